//! Spatial and normalisation nodes. Conv, the pools, LRN, and per-channel BatchNormalization,
//! PRelu and GlobalAveragePool on a `[1, C, H, W]` volume become convscope's own volume layers
//! (their kernels, explain panels and edits); every other case is the general op.

use super::attrs::Node;
use super::build::Builder;
use super::nodes::{self, Mapped, Operand, op, unsupported};
use crate::nn::ops::convt::geometry::{AutoPad as TAutoPad, ConvTransposeAttrs};
use crate::nn::ops::pad::PadMode;
use crate::nn::ops::resize::{ResizeAttrs, ResizeOp, ResizeParams};
use crate::nn::ops::{Op, depth_mode};
use crate::nn::{ConvParams, LayerKind, Padding, PoolParams, Src, Tensor, Weights};
use color_eyre::eyre::{Result, bail};
use ndarray::Array1;

/// The running input 0 when it is a float `[1, C, H, W]` volume: its source and C, H, W.
fn volume_input(b: &Builder, n: &Node) -> Result<Option<(Src, [usize; 3])>> {
    Ok(match b.run_info(n, 0)? {
        Some((s, x)) if x.elem.is_float() => match x.dims[..] {
            [1, c, h, w] => Some((s, [c, h, w])),
            _ => None,
        },
        _ => None,
    })
}

/// `auto_pad` and `pads` as a [`Padding`]; ONNX writes `pads` as `[top, left, bottom, right]`.
fn padding(n: &Node) -> Result<Padding> {
    Ok(match n.string("auto_pad", "NOTSET")?.as_str() {
        "NOTSET" | "" => match n.sizes("pads", 4)? {
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

/// The rank of input 0 when it is not 4 (for the not-computable reason).
fn not_2d(b: &Builder, n: &Node) -> Result<Option<String>> {
    Ok(match b.run_info(n, 0)? {
        Some((_, x)) if x.rank() != 4 => Some(format!(
            "{}: a {}-D input {} (convscope computes 2-D, [1, C, H, W])",
            n.label,
            x.rank().saturating_sub(2),
            crate::nn::tensor::dims_text(&x.dims)
        )),
        Some((_, x)) if x.dims[0] != 1 => {
            Some(format!("{}: a batch of {} (convscope runs batch 1)", n.label, x.dims[0]))
        }
        _ => None,
    })
}

pub fn map(b: &Builder, n: &Node) -> Result<Mapped> {
    match n.op {
        "Conv" => conv(b, n),
        "MaxPool" | "AveragePool" => pool(b, n),
        "GlobalAveragePool" => match volume_input(b, n)? {
            Some((x, _)) => vol(LayerKind::GlobalAvgPool, Weights::None, x),
            None => op(Op::GlobalPool { max: false }, n),
        },
        "GlobalMaxPool" => op(Op::GlobalPool { max: true }, n),
        "BatchNormalization" => batch_norm(b, n),
        "InstanceNormalization" => op(Op::InstanceNorm { eps: n.float("epsilon", 1e-5)? }, n),
        "LayerNormalization" => {
            let o = Op::LayerNorm { axis: n.int("axis", -1)?, eps: n.float("epsilon", 1e-5)? };
            op(o, n)
        }
        "GroupNormalization" => {
            let g = n.int("num_groups", 0)?;
            if g < 1 {
                bail!(n.err(format!("num_groups {g} is not allowed (≥ 1)")));
            }
            let eps = n.float("epsilon", 1e-5)?;
            op(Op::GroupNorm { groups: g as usize, eps }, n)
        }
        "LpNormalization" => match n.int("p", 2)? {
            p @ (1 | 2) => op(Op::LpNorm { axis: n.int("axis", -1)?, p: p as u8 }, n),
            p => bail!(n.err(format!("p {p} is not allowed (1 or 2)"))),
        },
        "LRN" => lrn(b, n),
        "ConvTranspose" => conv_transpose(b, n),
        "Resize" | "Upsample" => resize(b, n),
        "Pad" => pad(n),
        "DepthToSpace" => {
            let mode = if n.opset >= 11 { Some(n.string("mode", "DCR")?) } else { None };
            let mode = depth_mode(mode.as_deref()).map_err(|e| n.err(e))?;
            op(Op::DepthToSpace { block: n.int("blocksize", 0)?, mode }, n)
        }
        "SpaceToDepth" if n.string("mode", "DCR")? != "DCR" => {
            unsupported(format!("{}: SpaceToDepth mode CRD", n.label), n)
        }
        "SpaceToDepth" => op(Op::SpaceToDepth { block: n.int("blocksize", 0)? }, n),
        _ => super::nodes_quant::map(b, n),
    }
}

fn vol(kind: LayerKind, weights: Weights, x: Src) -> Result<Mapped> {
    Ok(Mapped::Volume { kind, weights, x })
}

/// `Conv` with constant 4-D weights on a `[1, C, H, W]` volume: weights `(K, C/groups, FH, FW)`
/// in ONNX become `(K, FH, FW, C/groups)`.
fn conv(b: &Builder, n: &Node) -> Result<Mapped> {
    if let Some(why) = not_2d(b, n)? {
        return unsupported(why, n);
    }
    let Some((x, [c, _, _])) = volume_input(b, n)? else {
        return unsupported(format!("{}: its input is not a float volume", n.label), n);
    };
    let Some(w) = b.const_input(n, 1)? else {
        return unsupported(format!("{}: weights computed at run time", n.label), n);
    };
    let [k, cg, fh, fw] = w.dims()[..] else {
        bail!(
            n.err(format!("weights have dims {:?}; a 2-D convolution has 4-D weights", w.dims()))
        );
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
    if cg.checked_mul(groups as usize) != Some(c) {
        bail!(n.err(format!("weights expect {cg}·{groups} input channels, the input has {c}")));
    }
    let (stride_h, stride_w) = pair(n, "strides", 1)?;
    let (dilation_h, dilation_w) = pair(n, "dilations", 1)?;
    let wv = conv_weights(w, [k, cg, fh, fw]).map_err(|e| n.err(format!("weights: {e}")))?;
    let bv = match b.const_input(n, 2)? {
        Some(t) if t.len() == k => Some(Array1::from(t.floats())),
        Some(t) => bail!(n.err(format!("bias has {} values, expected K = {k}", t.len()))),
        None if n.input(2).is_some() => {
            return unsupported(format!("{}: bias computed at run time", n.label), n);
        }
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
    let weights = Weights::Conv { w: wv, b: bv.map(Array1::into_shared) };
    vol(LayerKind::Conv(p), weights, x)
}

/// ONNX's `(K, Cg, FH, FW)` conv weights in convscope's `(K, FH, FW, Cg)` order. When one of
/// the moved axes is 1 (a depthwise or a 1×1 conv, most of a mobile network) the order in memory
/// is the same, and the weights share the model's tensor instead of being copied.
fn conv_weights(
    w: &Tensor,
    [k, cg, fh, fw]: [usize; 4],
) -> std::result::Result<ndarray::ArcArray<f32, ndarray::Ix4>, ndarray::ShapeError> {
    let a = w.to_f32();
    if (cg == 1 || fh * fw == 1) && a.is_standard_layout() {
        return a.into_shape_with_order((k, fh, fw, cg));
    }
    Ok(a.into_shape_with_order((k, cg, fh, fw))?
        .permuted_axes([0, 2, 3, 1])
        .as_standard_layout()
        .into_owned()
        .into_shared())
}

/// `MaxPool` and `AveragePool` (ceil_mode, count_include_pad, dilations, pads, auto_pad).
fn pool(b: &Builder, n: &Node) -> Result<Mapped> {
    if let Some(why) = not_2d(b, n)? {
        return unsupported(why, n);
    }
    let Some((x, _)) = volume_input(b, n)? else {
        return unsupported(format!("{}: its input is not a float volume", n.label), n);
    };
    let Some(ks) = n.sizes("kernel_shape", 2)? else {
        bail!(n.err("kernel_shape is required"));
    };
    let (stride_h, stride_w) = pair(n, "strides", 1)?;
    let (dilation_h, dilation_w) = pair(n, "dilations", 1)?;
    if n.op == "MaxPool" && n.int("storage_order", 0)? != 0 {
        return unsupported(format!("{}: storage_order 1", n.label), n);
    }
    let p = PoolParams {
        kh: ks[0],
        kw: ks[1],
        stride_h,
        stride_w,
        dilation_h,
        dilation_w,
        pad: padding(n)?,
        ceil_mode: n.int("ceil_mode", 0)? != 0,
        count_include_pad: n.int("count_include_pad", 0)? != 0,
    };
    let kind = if n.op == "MaxPool" { LayerKind::MaxPool(p) } else { LayerKind::AvgPool(p) };
    vol(kind, Weights::None, x)
}

/// One value per channel of a constant that broadcasts over `[1, C, H, W]` along C only
/// (`[C, 1, 1]`, `[1, C, 1, 1]`, or one value).
fn per_channel(t: &Tensor, c: usize) -> Option<Vec<f32>> {
    let v = t.floats();
    if v.len() == 1 {
        return Some(vec![v[0]; c]);
    }
    let mut dims: &[usize] = t.dims();
    while dims.len() > 3 && dims[0] == 1 {
        dims = &dims[1..];
    }
    (dims == [c, 1, 1]).then_some(v)
}

/// `PRelu` with one slope per channel of a volume is convscope's prelu; any other broadcast is
/// the general op.
pub fn prelu(b: &Builder, n: &Node) -> Result<Mapped> {
    if let Some((x, [c, _, _])) = volume_input(b, n)?
        && let Some(s) = b.const_input(n, 1)?
        && let Some(v) = per_channel(s, c)
    {
        let slope = if v.iter().all(|&a| a == v[0]) { vec![v[0]] } else { v };
        let weights = Weights::Prelu { slope: Array1::from(slope).into_shared() };
        return vol(LayerKind::Prelu, weights, x);
    }
    op(Op::Binary(crate::nn::ops::Binary::Prelu), n)
}

/// Inference `BatchNormalization`: `(x − mean)/sqrt(var + ε)·scale + B`.
fn batch_norm(b: &Builder, n: &Node) -> Result<Mapped> {
    if n.int("training_mode", 0)? != 0 {
        return unsupported(format!("{}: training_mode is on (inference only)", n.label), n);
    }
    if n.opset < 9 && n.int("spatial", 1)? == 0 {
        return unsupported(format!("{}: spatial = 0", n.label), n);
    }
    let eps = n.float("epsilon", 1e-5)?;
    if let Some((x, [c, _, _])) = volume_input(b, n)? {
        let mut arrays = Vec::with_capacity(4);
        for i in 1..=4 {
            match b.const_input(n, i)? {
                Some(t) if t.len() == c && t.elem().is_float() => {
                    arrays.push(Array1::from(t.floats()).into_shared());
                }
                _ => break,
            }
        }
        if let Ok([gamma, beta, mean, var]) = <[_; 4]>::try_from(arrays) {
            let weights = Weights::BatchNorm { gamma, beta, mean, var };
            return vol(LayerKind::BatchNorm { eps }, weights, x);
        }
    }
    Ok(Mapped::Op(Op::BatchNorm { eps }, (0..5).map(Operand::Input).collect()))
}

fn lrn(b: &Builder, n: &Node) -> Result<Mapped> {
    let size = n.int("size", 0)?;
    if size < 1 {
        bail!(n.err(format!("size {size} is not allowed (≥ 1)")));
    }
    let Some((x, _)) = volume_input(b, n)? else {
        return unsupported(format!("{}: LRN of a tensor that is not [1, C, H, W]", n.label), n);
    };
    let kind = LayerKind::Lrn {
        size: size as usize,
        alpha: n.float("alpha", 1e-4)?,
        beta: n.float("beta", 0.75)?,
        bias: n.float("bias", 1.0)?,
    };
    vol(kind, Weights::None, x)
}

/// A list attribute of exactly `N` integers, or the default.
fn ints_n<const N: usize>(n: &Node, name: &str, default: [i64; N]) -> Result<[i64; N]> {
    match n.ints(name)? {
        None => Ok(default),
        Some(v) => <[i64; N]>::try_from(v.as_slice())
            .map_err(|_| n.err(format!("{name} {v:?} must have {N} values (2-D only)"))),
    }
}

fn conv_transpose(b: &Builder, n: &Node) -> Result<Mapped> {
    if let Some(why) = not_2d(b, n)? {
        return unsupported(why, n);
    }
    let auto = n.string("auto_pad", "NOTSET")?;
    let auto_pad = TAutoPad::parse(&auto).map_err(|e| n.err(e))?;
    let kernel_shape = match n.ints("kernel_shape")? {
        Some(_) => Some(ints_n::<2>(n, "kernel_shape", [0, 0])?),
        None => None,
    };
    let pads = match n.ints("pads")? {
        Some(_) => Some(ints_n::<4>(n, "pads", [0; 4])?),
        None => None,
    };
    let output_shape = match n.ints("output_shape")? {
        Some(v) if v.len() == 4 => Some([v[2], v[3]]),
        Some(_) => Some(ints_n::<2>(n, "output_shape", [0, 0])?),
        None => None,
    };
    let attrs = ConvTransposeAttrs {
        opset: n.opset,
        auto_pad,
        group: n.int("group", 1)?,
        kernel_shape,
        strides: ints_n(n, "strides", [1, 1])?,
        dilations: ints_n(n, "dilations", [1, 1])?,
        pads,
        output_padding: ints_n(n, "output_padding", [0, 0])?,
        output_shape,
    };
    op(Op::ConvTranspose(Box::new(attrs)), n)
}

/// Resize (opsets 10–19) and Upsample (7, 9), with operands normalised to X, roi, scales,
/// sizes.
fn resize(b: &Builder, n: &Node) -> Result<Mapped> {
    let rank = match b.run_info(n, 0)? {
        Some((_, x)) => x.rank(),
        None => match b.const_input(n, 0)? {
            Some(t) => t.dims().len(),
            None => return unsupported(format!("{}: its input is not computed", n.label), n),
        },
    };
    let (rop, operands) = if n.op == "Upsample" {
        let scales = if n.opset < 9 {
            let s = n.floats("scales")?.ok_or_else(|| n.err("scales is required"))?;
            Operand::Const(Tensor::f32(&[s.len()], s))
        } else {
            Operand::Input(1)
        };
        (ResizeOp::Upsample, vec![Operand::Input(0), Operand::Absent, scales, Operand::Absent])
    } else if n.opset < 11 {
        let ops = vec![Operand::Input(0), Operand::Absent, Operand::Input(1), Operand::Absent];
        (ResizeOp::Resize { opset: n.opset as u32 }, ops)
    } else {
        (ResizeOp::Resize { opset: n.opset.min(19) as u32 }, nodes::all(n))
    };
    let s = |k: &str| -> Result<Option<String>> {
        Ok(if n.has(k) { Some(n.string(k, "")?) } else { None })
    };
    let (mode, coord, nearest, keep) = (
        s("mode")?,
        s("coordinate_transformation_mode")?,
        s("nearest_mode")?,
        s("keep_aspect_ratio_policy")?,
    );
    let axes = n.ints("axes")?;
    let opt_f = |k: &str| -> Result<Option<f32>> {
        Ok(if n.has(k) { Some(n.float(k, 0.0)?) } else { None })
    };
    let opt_i =
        |k: &str| -> Result<Option<i64>> { Ok(if n.has(k) { Some(n.int(k, 0)?) } else { None }) };
    let attrs = ResizeAttrs {
        mode: mode.as_deref(),
        coordinate_transformation_mode: coord.as_deref(),
        nearest_mode: nearest.as_deref(),
        cubic_coeff_a: opt_f("cubic_coeff_a")?,
        exclude_outside: opt_i("exclude_outside")?,
        extrapolation_value: opt_f("extrapolation_value")?,
        antialias: opt_i("antialias")?,
        keep_aspect_ratio_policy: keep.as_deref(),
        axes: axes.as_deref(),
    };
    let p = ResizeParams::from_attrs(rop, rank, &attrs).map_err(|e| n.err(e))?;
    Ok(Mapped::Op(Op::Resize(Box::new(p)), operands))
}

fn pad(n: &Node) -> Result<Mapped> {
    let mode = PadMode::from_attr(&n.string("mode", "constant")?).map_err(|e| n.err(e))?;
    if n.opset < 11 {
        // Pad-1 called them paddings.
        let pads = match n.ints("pads")? {
            Some(p) => p,
            None => n.ints("paddings")?.ok_or_else(|| n.err("pads is required"))?,
        };
        let value = n.float("value", 0.0)?;
        return Ok(Mapped::Op(Op::Pad { mode, pads: Some(pads), value }, vec![Operand::Input(0)]));
    }
    op(Op::Pad { mode, pads: None, value: 0.0 }, n)
}
