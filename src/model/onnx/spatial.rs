//! Layers that work per channel on 4-D volumes: `Conv`, the pools, `PRelu` and
//! `BatchNormalization`, with ONNX's attribute defaults.

use super::attrs::Node;
use super::graph::{Builder, Layout};
use super::tensor::Const;
use crate::nn::{ConvParams, LayerKind, Padding, PoolParams, Weights};
use color_eyre::eyre::{Result, bail};
use ndarray::{Array1, Array4};

/// `auto_pad` and `pads` as a [`Padding`]. ONNX writes `pads` as
/// `[top, left, bottom, right]` (all begins, then all ends).
fn padding(n: &Node) -> Result<Padding> {
    let auto = n.string("auto_pad", "NOTSET")?;
    Ok(match auto.as_str() {
        "NOTSET" => match n.sizes("pads", 4)? {
            Some(p) => Padding::Explicit { top: p[0], left: p[1], bottom: p[2], right: p[3] },
            None => Padding::symmetric(0),
        },
        "SAME_UPPER" => Padding::SameUpper,
        "SAME_LOWER" => Padding::SameLower,
        "VALID" => Padding::Valid,
        other => bail!(n.err(format!(
            "auto_pad '{other}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"
        ))),
    })
}

fn pair(n: &Node, name: &str, default: usize) -> Result<(usize, usize)> {
    Ok(match n.sizes(name, 2)? {
        Some(v) => (v[0], v[1]),
        None => (default, default),
    })
}

/// `Conv`: weights `(K, C/groups, FH, FW)` in ONNX become `(K, FH, FW, C/groups)`.
pub fn conv(b: &mut Builder, n: &Node) -> Result<()> {
    let x = b.nchw_input(n)?;
    let w = b.required_const(n, 1, "the weights")?;
    let bias = b.const_input(n, 2)?;
    let [k, cg, fh, fw] = w.dims[..] else {
        bail!(n.err(format!(
            "weights have dims {:?}; only 2-D convolutions (4-D weights) are supported",
            w.dims
        )));
    };
    if let Some(ks) = n.sizes("kernel_shape", 2)?
        && ks != [fh, fw]
    {
        bail!(n.err(format!("kernel_shape {ks:?} does not match the weights' {fh}×{fw}")));
    }
    let groups = n.int("group", 1)?;
    if groups < 1 {
        bail!(n.err(format!("group {groups} is not allowed (≥ 1)")));
    }
    let d_in = b.shape(x.src)?.d;
    let groups_u = usize::try_from(groups).unwrap_or(usize::MAX);
    if cg.checked_mul(groups_u) != Some(d_in) {
        bail!(n.err(format!("weights expect {cg}·{groups} input channels, the input has {d_in}")));
    }
    let (stride_h, stride_w) = pair(n, "strides", 1)?;
    let (dilation_h, dilation_w) = pair(n, "dilations", 1)?;
    let wv = Array4::from_shape_vec((k, cg, fh, fw), w.to_f32())
        .map_err(|e| n.err(format!("weights: {e}")))?
        .permuted_axes([0, 2, 3, 1])
        .as_standard_layout()
        .into_owned();
    let bv = match bias {
        Some(c) if c.len() == k => Some(Array1::from(c.to_f32())),
        Some(c) => bail!(n.err(format!("bias has {} values, expected K = {k}", c.len()))),
        None => None,
    };
    let p = ConvParams {
        filters: k,
        kh: fh,
        kw: fw,
        stride_h,
        stride_w,
        pad: padding(n)?,
        dilation_h,
        dilation_w,
        groups: groups as usize,
        bias: bv.is_some(),
    };
    b.layer(
        n,
        LayerKind::Conv(p),
        vec![x.src],
        Weights::Conv { w: wv.into_shared(), b: bv.map(Array1::into_shared) },
        Layout::Nchw,
    )
}

/// `MaxPool` and `AveragePool` (ceil_mode, count_include_pad, pads, auto_pad).
pub fn pool(b: &mut Builder, n: &Node) -> Result<()> {
    let x = b.nchw_input(n)?;
    let Some(ks) = n.sizes("kernel_shape", 2)? else {
        bail!(n.err("kernel_shape is required"));
    };
    if let Some(d) = n.sizes("dilations", 2)?
        && d != [1, 1]
    {
        bail!(n.err(format!("dilations {d:?} are not supported for pooling (only [1, 1])")));
    }
    let (stride_h, stride_w) = pair(n, "strides", 1)?;
    let p = PoolParams {
        kh: ks[0],
        kw: ks[1],
        stride_h,
        stride_w,
        pad: padding(n)?,
        ceil_mode: n.int("ceil_mode", 0)? != 0,
        count_include_pad: n.int("count_include_pad", 0)? != 0,
    };
    let kind = if n.op == "MaxPool" { LayerKind::MaxPool(p) } else { LayerKind::AvgPool(p) };
    b.layer(n, kind, vec![x.src], Weights::None, Layout::Nchw)
}

/// One value per channel from a constant that broadcasts over a `[1, C, H, W]` (or `[1, C]`)
/// tensor along C only: dims `[C, 1, 1]`, `[1, C, 1, 1]` (or `[C]`, `[1, C]` for 2-D), or a
/// single value. `None` when the constant varies along rows or cols.
pub fn per_channel(c: &Const, layout: Layout, channels: usize) -> Option<Vec<f32>> {
    let v = c.to_f32();
    if v.len() == 1 {
        return Some(vec![v[0]; channels]);
    }
    let mut dims: &[usize] = &c.dims;
    // Broadcasting aligns trailing axes; drop leading 1s.
    while dims.first() == Some(&1) && dims.len() > 1 {
        dims = &dims[1..];
    }
    let fits = match layout {
        Layout::Nchw => dims == [channels, 1, 1],
        Layout::Flat { from: None } => dims == [channels],
        Layout::Flat { from: Some(_) } => false,
    };
    // A constant whose values are all equal still has to broadcast: [5] cannot meet 3 channels.
    fits.then_some(v)
}

/// `PRelu` with one slope per channel (or one for all).
pub fn prelu(b: &mut Builder, n: &Node) -> Result<()> {
    let x = b.run_input(n, 0)?;
    let slope = b.required_const(n, 1, "the slope")?;
    let d = b.shape(x.src)?.d;
    let Some(s) = per_channel(&slope, x.layout, d) else {
        bail!(n.err(format!(
            "slope dims {:?} do not broadcast per channel over {d} channels; convscope's prelu has one slope per channel",
            slope.dims
        )));
    };
    let slope = if s.iter().all(|&a| a == s[0]) { vec![s[0]] } else { s };
    b.layer(
        n,
        LayerKind::Prelu,
        vec![x.src],
        Weights::Prelu { slope: Array1::from(slope).into_shared() },
        x.layout,
    )
}

/// Inference `BatchNormalization`: `(x − mean)/sqrt(var + ε)·scale + B`.
pub fn batch_norm(b: &mut Builder, n: &Node) -> Result<()> {
    let x = b.run_input(n, 0)?;
    if matches!(x.layout, Layout::Flat { from: Some(_) }) {
        bail!(n.err("needs a [1, C, H, W] or [1, C] input, not a flattened volume"));
    }
    if n.int("training_mode", 0)? != 0 {
        bail!(n.err("training_mode is on; convscope runs inference only"));
    }
    if n.opset < 9 && n.int("spatial", 1)? == 0 {
        bail!(n.err("spatial = 0 (per-position statistics) is not supported"));
    }
    let d = b.shape(x.src)?.d;
    let mut arrays = Vec::with_capacity(4);
    for (i, what) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
        let c = b.required_const(n, i, what)?;
        if c.len() != d {
            bail!(n.err(format!("{what} has {} values, expected C = {d}", c.len())));
        }
        arrays.push(Array1::from(c.to_f32()).into_shared());
    }
    let [gamma, beta, mean, var] =
        <[ndarray::ArcArray1<f32>; 4]>::try_from(arrays).expect("four arrays were pushed");
    let kind = LayerKind::BatchNorm { eps: n.float("epsilon", 1e-5)? };
    b.layer(n, kind, vec![x.src], Weights::BatchNorm { gamma, beta, mean, var }, x.layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_channel_accepts_only_channel_broadcasts() {
        let c = Const::f32(vec![3, 1, 1], vec![1., 2., 3.]);
        assert_eq!(per_channel(&c, Layout::Nchw, 3), Some(vec![1., 2., 3.]));
        let c4 = Const::f32(vec![1, 3, 1, 1], vec![1., 2., 3.]);
        assert_eq!(per_channel(&c4, Layout::Nchw, 3), Some(vec![1., 2., 3.]));
        // [3] on a 4-D tensor broadcasts along W, not C.
        let w = Const::f32(vec![3], vec![1., 2., 3.]);
        assert_eq!(per_channel(&w, Layout::Nchw, 3), None);
        assert_eq!(per_channel(&w, Layout::Flat { from: None }, 3), Some(vec![1., 2., 3.]));
        let s = Const::f32(vec![], vec![0.5]);
        assert_eq!(per_channel(&s, Layout::Nchw, 2), Some(vec![0.5, 0.5]));
        // Five equal values are still five channels: they do not fit three.
        let five = Const::f32(vec![5, 1, 1], vec![0.25; 5]);
        assert_eq!(per_channel(&five, Layout::Nchw, 3), None);
    }
}
