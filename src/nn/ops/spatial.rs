//! The resampling and re-layout ops on their own kernels: ConvTranspose ([`super::convt`]),
//! Resize and Upsample ([`super::resize`]), Pad ([`super::pad`]), DepthToSpace and SpaceToDepth
//! ([`super::depth_space`]). `infer` checks every size with the kernel's own shape rule before
//! anything is allocated; `eval` runs the kernel.

use super::convt::geometry::{Chw, ConvTransposeAttrs, ConvTransposeGeometry};
use super::depth_space::{self, DepthMode};
use super::pad::{self, PadMode, PadPlan};
use super::resize::{self, ResizeParams};
use super::{Args, Info, Op, OpError, shape_err};
use crate::nn::tensor::{Tensor, dims_text};
use ndarray::{Axis, Dimension, Ix3, Ix4};

fn err(e: impl std::fmt::Display) -> OpError {
    OpError::Shape(e.to_string())
}

/// A float input of rank 4 with batch 1 (`[1, C, H, W]`), for the 2-D kernels.
fn batch1_volume(x: &Info, op: &str) -> Result<Chw, OpError> {
    if !x.elem.is_float() {
        return Err(OpError::Operand(format!("{op} needs floats, got {}", x.elem)));
    }
    match x.dims[..] {
        [1, c, h, w] => Ok(Chw::new(c, h, w)),
        [n, _, _, _] => {
            Err(OpError::Unsupported(format!("{op} of a batch of {n} (convscope runs batch 1)")))
        }
        _ => Err(OpError::Unsupported(format!(
            "{op} of a rank-{} tensor {} (convscope computes 2-D, [1, C, H, W])",
            x.rank(),
            dims_text(&x.dims)
        ))),
    }
}

fn w_dims(w: &Tensor) -> Result<[usize; 4], OpError> {
    match *w.dims() {
        [a, b, c, d] => Ok([a, b, c, d]),
        _ => Err(OpError::Unsupported(format!(
            "ConvTranspose weights {} (only 2-D, 4-D weights)",
            dims_text(w.dims())
        ))),
    }
}

/// The ConvTranspose geometry for these operands.
///
/// # Errors
/// A non-constant weight, a rank other than 4, a geometry the kernel refuses, a bias of the
/// wrong length.
pub fn conv_transpose_geometry(
    attrs: &ConvTransposeAttrs,
    args: &Args<Info>,
) -> Result<ConvTransposeGeometry, OpError> {
    let x = batch1_volume(&args.need(0, "X")?, "ConvTranspose")?;
    let w = args.need_const(1, "the weights")?;
    if !w.elem().is_float() {
        return Err(OpError::Operand("ConvTranspose weights are not floats".into()));
    }
    let g = ConvTransposeGeometry::new(x, w_dims(w)?, attrs).map_err(err)?;
    if let Some(b) = args.info(2) {
        let k = g.out().c;
        if b.dims != [k] {
            return Err(shape_err(format!("bias {} should be [{k}] (K)", dims_text(&b.dims))));
        }
    }
    Ok(g)
}

/// Resize's roi, scales and sizes operands (empty tensors count as absent, as at opset 11).
struct ResizeInputs {
    roi: Option<Vec<f32>>,
    scales: Option<Vec<f32>>,
    sizes: Option<Vec<i64>>,
}

fn resize_inputs<T>(args: &Args<T>) -> Result<ResizeInputs, OpError> {
    let non_empty = |i: usize, what: &str| -> Result<Option<&Tensor>, OpError> {
        if !args.is_present(i) {
            return Ok(None);
        }
        let t = args.need_const(i, what)?;
        Ok((!t.is_empty()).then_some(t))
    };
    Ok(ResizeInputs {
        roi: non_empty(1, "Resize roi")?.map(Tensor::floats),
        scales: non_empty(2, "Resize scales")?.map(Tensor::floats),
        sizes: non_empty(3, "Resize sizes")?.map(Tensor::ints),
    })
}

/// A Resize's output dims, its per-axis effective scales and its roi.
type ResizePlan = (Vec<usize>, Vec<f64>, Option<Vec<f32>>);

/// The output dims and per-axis effective scales of a Resize.
fn resize_plan<T>(p: &ResizeParams, x: &[usize], args: &Args<T>) -> Result<ResizePlan, OpError> {
    let r = resize_inputs(args)?;
    let (dims, scales) =
        resize::output_dims(x, r.scales.as_deref(), r.sizes.as_deref(), r.roi.as_deref(), p)
            .map_err(err)?;
    Ok((dims, scales, r.roi))
}

/// [`resize_plan`] for the explain panel.
pub(super) fn resize_plan_of(
    p: &ResizeParams,
    x: &[usize],
    args: &Args<Info>,
) -> Result<ResizePlan, OpError> {
    resize_plan(p, x, args)
}

/// The pads of a Pad: the attribute (before opset 11) or operand 1, and the axes (operand 3).
fn pad_plan<T>(
    mode: PadMode,
    pads: &Option<Vec<i64>>,
    x: &[usize],
    args: &Args<T>,
) -> Result<PadPlan, OpError> {
    let pads = match pads {
        Some(p) => p.clone(),
        None => args.need_const(1, "Pad pads")?.ints(),
    };
    let axes = if args.is_present(3) { Some(args.need_const(3, "Pad axes")?.ints()) } else { None };
    pad::plan(x, &pads, axes.as_deref(), mode).map_err(err)
}

/// The constant a Pad fills with: the attribute, or operand 2 (a scalar), else 0.
fn pad_value(value: f32, args: &Args<Tensor>) -> Result<f32, OpError> {
    match args.value(2) {
        Some(t) if t.len() == 1 => Ok(t.floats()[0]),
        Some(t) if t.is_empty() => Ok(value),
        Some(t) => {
            Err(shape_err(format!("Pad constant_value {} is not a scalar", dims_text(t.dims()))))
        }
        None => Ok(value),
    }
}

fn float_input(args: &Args<Info>, op: &str) -> Result<Info, OpError> {
    let x = args.need(0, "input")?;
    if !x.elem.is_float() {
        return Err(OpError::Unsupported(format!("{op} of {} values", x.elem)));
    }
    Ok(x)
}

pub(super) fn infer(op: &Op, args: &Args<Info>) -> Result<Info, OpError> {
    match op {
        Op::ConvTranspose(attrs) => {
            let g = conv_transpose_geometry(attrs, args)?;
            let o = g.out();
            Ok(Info::f32(vec![1, o.c, o.h, o.w]))
        }
        Op::Resize(p) => {
            let x = float_input(args, "Resize")?;
            Ok(Info::f32(resize_plan(p, &x.dims, args)?.0))
        }
        Op::Pad { mode, pads, .. } => {
            let x = args.need(0, "input")?;
            Ok(Info::new(pad_plan(*mode, pads, &x.dims, args)?.out_dims, x.elem))
        }
        Op::DepthToSpace { block, .. } => {
            let x = float_input(args, "DepthToSpace")?;
            Ok(Info::f32(depth_space::depth_to_space_dims(&x.dims, *block).map_err(err)?))
        }
        Op::SpaceToDepth { block } => {
            let x = float_input(args, "SpaceToDepth")?;
            Ok(Info::f32(depth_space::space_to_depth_dims(&x.dims, *block).map_err(err)?))
        }
        _ => unreachable!("not a spatial op: {op:?}"),
    }
}

/// Pad of integers, element by element through the plan's source index (integer tensors are
/// small: shapes and indices).
fn pad_ints(
    x: &ndarray::ArrayViewD<i64>,
    plan: &PadPlan,
    value: i64,
    e: crate::nn::Elem,
) -> Tensor {
    let out = ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&plan.out_dims), |idx| {
        let at: Vec<usize> = idx.slice().to_vec();
        match pad::source_index(&at, plan) {
            Some(src) => x[ndarray::IxDyn(&src)],
            None => value,
        }
    });
    Tensor::Int(out.into_shared(), e)
}

pub(super) fn eval(op: &Op, args: &Args<Tensor>) -> Result<Tensor, OpError> {
    if let (Op::Pad { mode, pads, value }, Tensor::Int(x, e)) = (op, args.get(0)?) {
        let plan = pad_plan(*mode, pads, x.shape(), args)?;
        let v = pad_value(*value, args)?;
        return Ok(pad_ints(&x.view(), &plan, v.round() as i64, *e));
    }
    let x = args.f32(0)?;
    let y = match op {
        Op::ConvTranspose(attrs) => {
            let infos = super::info_args(args);
            let g = conv_transpose_geometry(attrs, &infos)?;
            let w = args.f32(1)?;
            let w4 = w.into_dimensionality::<Ix4>().map_err(err)?;
            let b = match args.value(2) {
                Some(_) => Some(args.f32(2)?.into_dimensionality::<ndarray::Ix1>().map_err(err)?),
                None => None,
            };
            let x3 = x.index_axis(Axis(0), 0).into_dimensionality::<Ix3>().map_err(err)?;
            let y = super::convt::kernel::conv_transpose(&x3, &w4, b.as_ref(), &g);
            y.insert_axis(Axis(0)).into_dyn()
        }
        Op::Resize(p) => {
            let (dims, scales, roi) = resize_plan(p, x.shape(), args)?;
            resize::resize(&x, &dims, &scales, roi.as_deref(), p)
        }
        Op::Pad { mode, pads, value } => {
            let plan = pad_plan(*mode, pads, x.shape(), args)?;
            pad::pad(&x, &plan, pad_value(*value, args)?)
        }
        Op::DepthToSpace { block, mode } => {
            depth_space::depth_to_space_dims(x.shape(), *block).map_err(err)?;
            depth_space::depth_to_space(&x, *block as usize, *mode)
        }
        Op::SpaceToDepth { block } => {
            depth_space::space_to_depth_dims(x.shape(), *block).map_err(err)?;
            depth_space::space_to_depth(&x, *block as usize)
        }
        _ => unreachable!("not a spatial op: {op:?}"),
    };
    Ok(Tensor::F32(y.into_shared()))
}

/// DCR or CRD, as the node says (DCR by default).
///
/// # Errors
/// Another string.
pub fn depth_mode(v: Option<&str>) -> Result<DepthMode, OpError> {
    DepthMode::from_attr(v).map_err(err)
}
