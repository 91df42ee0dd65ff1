//! Dense layers and the shape ops around them: `Gemm`, `MatMul` (its `Add` is folded into the
//! bias in `merge`), `Flatten`, `Reshape` when it only flattens, and `Softmax`.

use super::attrs::Node;
use super::fold;
use super::graph::{Builder, Layout, Run};
use crate::nn::{LayerKind, Shape3, Weights};
use color_eyre::eyre::{Result, bail};
use ndarray::{Array1, Array2};

/// `Gemm` (`Y = α·A·B + β·C`, with transA/transB) and `MatMul` of the running `[1, K]` tensor
/// by a constant matrix: an `fc` layer with weights `(outputs, inputs)`.
pub fn dense(b: &mut Builder, n: &Node) -> Result<()> {
    let a = b.run_input(n, 0)?;
    let Layout::Flat { from } = a.layout else {
        bail!(n.err("needs a 2-D [1, K] input (add a Flatten before it)"));
    };
    let w = b.required_const(n, 1, "the weight matrix B")?;
    let gemm = n.op == "Gemm";
    if gemm && n.int("transA", 0)? != 0 {
        bail!(n.err("transA = 1 would make the running tensor [K, 1]; convscope needs batch 1"));
    }
    let trans_b = gemm && n.int("transB", 0)? != 0;
    let (alpha, beta) =
        if gemm { (n.float("alpha", 1.0)?, n.float("beta", 1.0)?) } else { (1.0, 1.0) };
    let [r, c] = w.dims[..] else {
        bail!(
            n.err(format!("weight matrix has dims {:?}; only a 2-D matrix is supported", w.dims))
        );
    };
    let (k, outputs) = if trans_b { (c, r) } else { (r, c) };
    let x = b.shape(a.src)?;
    if x.len() != k {
        bail!(n.err(format!(
            "weight matrix {:?} expects {k} inputs, the input has {}",
            w.dims,
            x.len()
        )));
    }
    let m =
        Array2::from_shape_vec((r, c), w.to_f32()).map_err(|e| n.err(format!("weights: {e}")))?;
    // fc weights are (outputs, inputs): B is (inputs, outputs) unless transB.
    let mut wv = if trans_b { m } else { m.reversed_axes().as_standard_layout().into_owned() };
    if alpha != 1.0 {
        wv.mapv_inplace(|v| v * alpha);
    }
    if let Some(s) = from {
        wv = chw_columns_to_hwd(&wv, s);
    }
    let bias = match b.const_input(n, 2)? {
        None => None,
        Some(cb) => {
            let v = cb.to_f32();
            let per_output = v.len() == outputs && cb.dims.iter().rev().skip(1).all(|&d| d == 1);
            let bias = match v.len() {
                1 => vec![beta * v[0]; outputs],
                _ if per_output => v.iter().map(|&x| beta * x).collect(),
                _ => bail!(n.err(format!(
                    "bias C has dims {:?}; with batch 1 it must broadcast to [1, {outputs}]",
                    cb.dims
                ))),
            };
            Some(Array1::from(bias))
        }
    };
    let kind = LayerKind::Fc { outputs };
    b.layer(
        n,
        kind,
        vec![a.src],
        Weights::Fc { w: wv.into_shared(), b: bias.map(Array1::into_shared) },
        Layout::Flat { from: None },
    )
}

/// Reorder the columns of `(outputs, inputs)` weights whose inputs ONNX flattened in `(C, H, W)`
/// order so they read convscope's `(H, W, D)` flatten order.
pub fn chw_columns_to_hwd(w: &Array2<f32>, s: Shape3) -> Array2<f32> {
    Array2::from_shape_fn(w.dim(), |(o, i)| {
        // i indexes (y, x, c) in HWD order; ONNX's column for the same value is c·H·W + y·W + x.
        let (y, x, c) = (i / (s.w * s.d), (i / s.d) % s.w, i % s.d);
        w[[o, c * s.h * s.w + y * s.w + x]]
    })
}

/// `Flatten`, and `Reshape` when its target only flattens (or keeps) the running tensor.
pub fn flatten(b: &mut Builder, n: &Node) -> Result<()> {
    let x = b.run_input(n, 0)?;
    let dims = b.onnx_dims(x)?;
    let target = if n.op == "Flatten" {
        let a = fold::flatten_axis(n, dims.len())?;
        vec![dims[..a].iter().product(), dims[a..].iter().product::<usize>()]
    } else {
        let shape = b.required_const(n, 1, "the target shape")?;
        fold::reshape_dims(n, &dims, &shape.to_i64(), n.int("allowzero", 0)? != 0)?
    };
    let total: usize = dims.iter().product();
    if target == dims {
        return b.alias(n, x);
    }
    match (x.layout, target.as_slice()) {
        (Layout::Nchw, [1, t]) if *t == total => {
            let s = b.shape(x.src)?;
            let from = (s.h * s.w > 1).then_some(s);
            b.layer(n, LayerKind::Flatten, vec![x.src], Weights::None, Layout::Flat { from })
        }
        // [1, N] back to [1, N, 1, 1] (squeeze-and-excite style): the same 1 × 1 × N volume.
        (Layout::Flat { from: None }, [1, c, 1, 1]) if *c == total => {
            b.alias(n, Run { src: x.src, layout: Layout::Nchw })
        }
        _ => bail!(n.err(format!(
            "reshapes {dims:?} to {target:?}; convscope maps only a flatten to [1, N] (batch 1)"
        ))),
    }
}

/// `Softmax` over the channel axis (per position), or over a `[1, N]` vector.
pub fn softmax(b: &mut Builder, n: &Node) -> Result<()> {
    let x = b.run_input(n, 0)?;
    let rank = if x.layout == Layout::Nchw { 4 } else { 2 };
    let default = if n.opset < 13 { 1 } else { -1 };
    let a = fold::axis(n, n.int("axis", default)?, rank)?;
    let s = b.shape(x.src)?;
    let ok = match x.layout {
        // Before opset 13, axis 1 of a 4-D tensor means one softmax over C·H·W together.
        Layout::Nchw => a == 1 && (n.opset >= 13 || s.h * s.w == 1),
        // Over all N values, which does not depend on their order.
        Layout::Flat { .. } => a == 1 || (n.opset < 13 && a == 0),
    };
    if !ok {
        bail!(n.err(format!(
            "softmax over axis {a} of a {}-D {} tensor; convscope's softmax runs over the channels",
            rank,
            if x.layout == Layout::Nchw {
                format!("[1, {}, {}, {}]", s.d, s.h, s.w)
            } else {
                format!("[1, {}]", s.len())
            }
        )));
    }
    b.layer(n, LayerKind::Softmax, vec![x.src], Weights::None, x.layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_columns_follow_the_hwd_flatten() {
        // A 2×2×3 volume (H, W, D). ONNX column c·4 + y·2 + x; convscope input (y·2 + x)·3 + c.
        let s = Shape3::new(2, 2, 3);
        let w = Array2::from_shape_fn((1, 12), |(_, i)| i as f32);
        let p = chw_columns_to_hwd(&w, s);
        // convscope input 0 is (y0, x0, c0): ONNX column 0; input 1 is c1 at (0, 0): column 4.
        assert_eq!(p.row(0).to_vec(), [0., 4., 8., 1., 5., 9., 2., 6., 10., 3., 7., 11.]);
    }
}
