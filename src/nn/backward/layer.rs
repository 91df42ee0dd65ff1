//! One layer's vector-Jacobian product: from `∂s/∂y` to `∂s/∂x` for each of its runtime
//! inputs, for every layer kind and op that has one; [`unsupported`] names the ones that do not.

use super::{BackError, conv, dense, elementwise as ew, norm, pool, route};
use crate::nn::analysis::LayerInfo;
use crate::nn::layer::{Layer, LayerKind, Weights};
use crate::nn::ops::reduce::{ReduceOp, reduce_axes};
use crate::nn::ops::{Arg, Args, Info, Op, OpLayer, Operand, Unary};
use crate::nn::tensor::Tensor;
use ndarray::{ArrayD, ArrayView3, ArrayViewD, IxDyn};

/// Why a layer has no backward pass, or `None` when it has one.
pub fn unsupported(l: &Layer) -> Option<String> {
    let LayerKind::Op(o) = &l.kind else { return None };
    let why = |s: &str| Some(s.to_string());
    match &o.op {
        Op::Unary(u) if ew::derivative(*u, 0.5, 0.5).is_none() => why("a test with a bool output"),
        Op::Unary(_) => None,
        Op::Binary(b) if !ew::binary_has_backward(*b) => {
            why("a comparison or logic op, piecewise constant")
        }
        Op::Binary(_) | Op::Variadic(_) => None,
        Op::Where | Op::Cast(_) if o.output == 0 => None,
        Op::Softmax { .. } | Op::MatMul | Op::Gemm { .. } | Op::GlobalPool { .. } => None,
        Op::BatchNorm { .. }
        | Op::InstanceNorm { .. }
        | Op::GroupNorm { .. }
        | Op::LpNorm { .. } => None,
        Op::LayerNorm { .. } if o.output == 0 => None,
        Op::ConvTranspose(_) => None,
        Op::Reduce {
            op:
                ReduceOp::Mean
                | ReduceOp::Sum
                | ReduceOp::Max
                | ReduceOp::Min
                | ReduceOp::L1
                | ReduceOp::L2
                | ReduceOp::SumSquare
                | ReduceOp::LogSumExp,
            ..
        } => None,
        Op::Dropout if o.output == 0 => None,
        op if route::moves_values(op) && !matches!(op, Op::Dropout) => None,
        Op::Resize(_) => why("resampling has no backward in convscope yet"),
        Op::Quant(_) => why("quantised integers have no gradient"),
        Op::Rnn(_) => why("recurrent layers have no backward in convscope yet"),
        Op::ArgMax { .. } | Op::TopK { .. } => why("an index output has no gradient"),
        Op::Shape { .. } | Op::Size | Op::ConstantOfShape { .. } | Op::Range => {
            why("a shape computation has no gradient")
        }
        other => Some(format!("{} has no backward in convscope", other.name())),
    }
}

fn op_err(l: &Layer, e: impl std::fmt::Display) -> BackError {
    BackError::NoBackward {
        layer: l.name.clone(),
        op: l.kind.type_name().into(),
        why: e.to_string(),
    }
}

/// A float tensor's values, or the error that it holds integers.
fn floats<'a>(l: &Layer, t: &'a Tensor) -> Result<ArrayViewD<'a, f32>, BackError> {
    t.as_f32().ok_or_else(|| op_err(l, "its input holds integers"))
}

/// A tensor (or gradient) of a volume layer seen as its `(D, H, W)` volume.
fn vol3<'a>(l: &Layer, a: ArrayViewD<'a, f32>) -> Result<ArrayView3<'a, f32>, BackError> {
    let dims = match *a.shape() {
        [c, h, w] | [1, c, h, w] => (c, h, w),
        _ => return Err(op_err(l, format!("needs a volume, got {:?}", a.shape()))),
    };
    a.into_shape_with_order(dims).map_err(|e| op_err(l, e))
}

/// The operands as infos (runtime inputs) and constants, as `infer` takes them.
fn info_args<'a>(o: &'a OpLayer, infos: &'a [Info]) -> Args<'a, Info> {
    Args {
        items: o
            .operands
            .iter()
            .map(|op| match op {
                Operand::Input(k) => infos.get(*k).map_or(Arg::Absent, Arg::Run),
                Operand::Const(t) => Arg::Const(t),
                Operand::Absent => Arg::Absent,
            })
            .collect(),
    }
}

fn back_to(dims: &[usize], v: ndarray::Array3<f32>) -> ArrayD<f32> {
    v.into_dyn().into_shape_with_order(IxDyn(dims)).expect("the input's values")
}

/// `∂s/∂x` for each of the layer's inputs (`None` where no gradient flows: integers,
/// constants), from `gy = ∂s/∂y`.
///
/// # Errors
/// An op without a backward pass, or a layer without its weights.
pub fn vjp(
    l: &Layer,
    info: &LayerInfo,
    xs: &[&Tensor],
    y: &Tensor,
    gy: &ArrayD<f32>,
) -> Result<Vec<Option<ArrayD<f32>>>, BackError> {
    if let LayerKind::Op(o) = &l.kind {
        return op_vjp(l, o, info, xs, y, gy);
    }
    let no_weights = || op_err(l, "it has no weights");
    let x0 = floats(l, xs[0])?;
    let xdims = xs[0].dims().to_vec();
    let gyv = gy.view();
    let one = |g: ArrayD<f32>| Ok(vec![Some(g)]);
    let unary = |u: Unary| -> Result<Vec<Option<ArrayD<f32>>>, BackError> {
        let yv = floats(l, y)?;
        one(ew::unary(u, &x0, &yv, gy))
    };
    match &l.kind {
        LayerKind::Relu => unary(Unary::Relu),
        LayerKind::Clip { min, max } => unary(Unary::Clip { min: *min, max: *max }),
        LayerKind::LeakyRelu { alpha } => unary(Unary::LeakyRelu { alpha: *alpha }),
        LayerKind::Sigmoid => unary(Unary::Sigmoid),
        LayerKind::Dropout => one(gy.clone()),
        LayerKind::Prelu => {
            let Weights::Prelu { slope } = &l.weights else { return Err(no_weights()) };
            let g = ew::prelu(&vol3(l, x0.view())?, &slope.view(), &vol3(l, gyv.view())?);
            one(back_to(&xdims, g))
        }
        LayerKind::Conv(_) => {
            let Weights::Conv { w, .. } = &l.weights else { return Err(no_weights()) };
            let g = info.conv().ok_or_else(|| op_err(l, "no geometry"))?;
            one(back_to(&xdims, conv::conv_input(&vol3(l, gyv.view())?, &w.view(), g)))
        }
        LayerKind::MaxPool(_) => {
            let g = info.pool().ok_or_else(|| op_err(l, "no geometry"))?;
            one(back_to(&xdims, pool::max_pool(&vol3(l, x0.view())?, &vol3(l, gyv.view())?, g)))
        }
        LayerKind::AvgPool(_) => {
            let g = info.pool().ok_or_else(|| op_err(l, "no geometry"))?;
            let x = vol3(l, x0.view())?;
            one(back_to(&xdims, pool::avg_pool(x.dim(), &vol3(l, gyv.view())?, g)))
        }
        LayerKind::GlobalAvgPool => {
            let x = vol3(l, x0.view())?;
            let (d, h, w) = x.dim();
            let g = vol3(l, gyv.view())?;
            let n = (h * w).max(1) as f32;
            let v = ndarray::Array3::from_shape_fn((d, h, w), |(c, _, _)| g[[c, 0, 0]] / n);
            one(back_to(&xdims, v))
        }
        LayerKind::BatchNorm { eps } => {
            let Weights::BatchNorm { gamma, var, .. } = &l.weights else {
                return Err(no_weights());
            };
            let mut g = vol3(l, gyv.view())?.to_owned();
            for (d, mut plane) in g.outer_iter_mut().enumerate() {
                let k = f64::from(gamma[d]) / (f64::from(var[d]) + f64::from(*eps)).sqrt();
                plane.mapv_inplace(|v| v * k as f32);
            }
            one(back_to(&xdims, g))
        }
        LayerKind::Lrn { size, alpha, beta, bias } => {
            let g = norm::lrn(
                &vol3(l, x0.view())?,
                &vol3(l, gyv.view())?,
                (*size, *alpha, *beta, *bias),
            );
            one(back_to(&xdims, g))
        }
        LayerKind::Fc { .. } => {
            let Weights::Fc { w, .. } = &l.weights else { return Err(no_weights()) };
            let x = vol3(l, x0.view())?;
            let gys: Vec<f32> = gy.iter().copied().collect();
            one(back_to(&xdims, dense::fc(&w.view(), &gys, x.dim())))
        }
        LayerKind::Flatten => {
            let x = vol3(l, x0.view())?;
            let (d, h, w) = x.dim();
            let hwd = gy.view().into_shape_with_order((h, w, d)).map_err(|e| op_err(l, e))?;
            let v = hwd.permuted_axes([2, 0, 1]).as_standard_layout().into_owned();
            one(back_to(&xdims, v))
        }
        LayerKind::Softmax => {
            let x = vol3(l, x0.view())?;
            let (d, h, w) = x.dim();
            let ys: Vec<f32> = floats(l, y)?.iter().copied().collect();
            let gys: Vec<f32> = gy.iter().copied().collect();
            let v = ew::softmax(&ys, &gys, d, h * w, false);
            one(ArrayD::from_shape_vec(IxDyn(&xdims), v).expect("same count"))
        }
        LayerKind::Add | LayerKind::Mul => {
            let out = vol3(l, gyv.view())?.to_owned();
            let views: Vec<ArrayView3<f32>> = xs
                .iter()
                .map(|t| t.volume().ok_or_else(|| op_err(l, "needs volumes")))
                .collect::<Result<_, _>>()?;
            let shape = out.dim();
            let add = matches!(l.kind, LayerKind::Add);
            let mut res = Vec::new();
            for (i, x) in views.iter().enumerate() {
                let mut g = out.clone();
                if !add {
                    for (j, o) in views.iter().enumerate() {
                        if j != i {
                            let ob = o.broadcast(shape).ok_or_else(|| op_err(l, "broadcast"))?;
                            g *= &ob;
                        }
                    }
                }
                let d = x.dim();
                let s = super::sum_to(&g.into_dyn().view(), &[d.0, d.1, d.2]);
                res.push(Some(s.into_shape_with_order(IxDyn(xs[i].dims())).expect("same count")));
            }
            Ok(res)
        }
        LayerKind::Concat => {
            let mut res = Vec::new();
            let g = vol3(l, gyv.view())?;
            let mut at = 0;
            for x in xs {
                let d = x.volume().ok_or_else(|| op_err(l, "needs volumes"))?.dim().0;
                let part = g.slice(ndarray::s![at..at + d, .., ..]).to_owned();
                res.push(Some(back_to(x.dims(), part)));
                at += d;
            }
            Ok(res)
        }
        LayerKind::Op(_) => unreachable!("handled above"),
    }
}

/// The runtime input a layer's operand `i` is, if it is one.
fn input_of(o: &OpLayer, i: usize) -> Option<usize> {
    match o.operands.get(i) {
        Some(Operand::Input(k)) => Some(*k),
        _ => None,
    }
}

/// The value of operand `i` (runtime or constant).
fn operand<'a>(o: &'a OpLayer, xs: &[&'a Tensor], i: usize) -> Option<&'a Tensor> {
    match o.operands.get(i)? {
        Operand::Input(k) => xs.get(*k).copied(),
        Operand::Const(t) => Some(t),
        Operand::Absent => None,
    }
}

fn op_vjp(
    l: &Layer,
    o: &OpLayer,
    info: &LayerInfo,
    xs: &[&Tensor],
    y: &Tensor,
    gy: &ArrayD<f32>,
) -> Result<Vec<Option<ArrayD<f32>>>, BackError> {
    if let Some(why) = unsupported(l) {
        return Err(BackError::NoBackward { layer: l.name.clone(), op: o.op.name().into(), why });
    }
    let mut res: Vec<Option<ArrayD<f32>>> = vec![None; xs.len()];
    // Put operand i's gradient on its runtime input (several operands may be one input).
    let mut give = |i: usize, g: ArrayD<f32>| {
        if let Some(k) = input_of(o, i)
            && xs.get(k).is_some_and(|t| t.elem().is_float())
        {
            match &mut res[k] {
                Some(acc) => *acc += &g,
                slot => *slot = Some(g),
            }
        }
    };
    let val = |i: usize| -> Result<ArrayViewD<f32>, BackError> {
        let t = operand(o, xs, i).ok_or_else(|| op_err(l, format!("input {i} is missing")))?;
        floats(l, t)
    };
    let yv = || floats(l, y);
    match &o.op {
        Op::Unary(u) => give(0, ew::unary(*u, &val(0)?, &yv()?, gy)),
        Op::Binary(b) => {
            let (ga, gb) = ew::binary(*b, &val(0)?, &val(1)?, &yv()?, gy);
            give(0, ga);
            give(1, gb);
        }
        Op::Variadic(v) => {
            let present: Vec<usize> =
                (0..o.operands.len()).filter(|&i| operand(o, xs, i).is_some()).collect();
            let vals: Vec<ArrayViewD<f32>> =
                present.iter().map(|&i| val(i)).collect::<Result<_, _>>()?;
            for (i, g) in present.into_iter().zip(ew::variadic(*v, &vals, &yv()?, gy)) {
                give(i, g);
            }
        }
        Op::Where => {
            let c = operand(o, xs, 0).ok_or_else(|| op_err(l, "no condition"))?.to_i64();
            let c =
                c.broadcast(IxDyn(gy.shape())).ok_or_else(|| op_err(l, "broadcast"))?.to_owned();
            for (i, pick) in [(1usize, true), (2, false)] {
                if let Some(t) = operand(o, xs, i) {
                    let mut g = gy.clone();
                    ndarray::Zip::from(&mut g).and(&c).for_each(|g, &c| {
                        if (c != 0) != pick {
                            *g = 0.0;
                        }
                    });
                    give(i, super::sum_to(&g.view(), t.dims()));
                }
            }
        }
        Op::Cast(_) | Op::Identity | Op::Dropout => give(0, gy.clone()),
        Op::Softmax { axis, legacy, log } => {
            let ys = yv()?;
            let dims = ys.shape().to_vec();
            let a = crate::nn::ops::axis(*axis, dims.len().max(1)).map_err(|e| op_err(l, e))?;
            let (n, inner) = if *legacy {
                (dims[a..].iter().product(), 1)
            } else {
                (dims.get(a).copied().unwrap_or(1), dims[a + 1..].iter().product())
            };
            let yflat: Vec<f32> = ys.iter().copied().collect();
            let gflat: Vec<f32> = gy.iter().copied().collect();
            let v = ew::softmax(&yflat, &gflat, n, inner, *log);
            give(0, ArrayD::from_shape_vec(IxDyn(&dims), v).expect("same count"));
        }
        Op::MatMul => {
            let (ga, gb) = dense::matmul_grads(&val(0)?, &val(1)?, &gy.view());
            give(0, ga);
            give(1, gb);
        }
        Op::Gemm { alpha, beta, trans_a, trans_b } => {
            let a = val(0)?;
            let b = val(1)?;
            let a2 = a.view().into_dimensionality::<ndarray::Ix2>().map_err(|e| op_err(l, e))?;
            let b2 = b.view().into_dimensionality::<ndarray::Ix2>().map_err(|e| op_err(l, e))?;
            let g2 = gy.view().into_dimensionality::<ndarray::Ix2>().map_err(|e| op_err(l, e))?;
            let c_dims = operand(o, xs, 2).map(|t| t.dims().to_vec());
            let (ga, gb, gc) =
                dense::gemm((*alpha, *beta, *trans_a, *trans_b), &a2, &b2, c_dims.as_deref(), &g2);
            give(0, ga);
            give(1, gb);
            if let Some(gc) = gc {
                give(2, gc);
            }
        }
        Op::GlobalPool { max } => give(0, pool::global(&val(0)?, &gy.view(), *max)),
        Op::Reduce { op: r, axes, noop_with_empty_axes, .. } => {
            let x = val(0)?;
            let infos: Vec<Info> = xs.iter().map(|t| Info::of(t)).collect();
            let args = info_args(o, &infos);
            let ax = reduce_axes(axes, *noop_with_empty_axes, &args, x.ndim())
                .map_err(|e| op_err(l, e))?;
            let Some(ax) = ax else {
                give(0, gy.clone());
                return Ok(res);
            };
            let n: usize = ax.iter().map(|&a| x.shape()[a]).product();
            let n = n.max(1) as f32;
            let ys = yv()?;
            let g = match r {
                ReduceOp::Mean => pool::reduce(&x, &ys, &gy.view(), &ax, |_, _| 1.0 / n),
                ReduceOp::Sum => pool::reduce(&x, &ys, &gy.view(), &ax, |_, _| 1.0),
                ReduceOp::Max | ReduceOp::Min => {
                    pool::reduce(&x, &ys, &gy.view(), &ax, |x, y| f32::from(x == y))
                }
                ReduceOp::L1 => pool::reduce(&x, &ys, &gy.view(), &ax, |x, _| {
                    if x > 0.0 {
                        1.0
                    } else if x < 0.0 {
                        -1.0
                    } else {
                        0.0
                    }
                }),
                ReduceOp::L2 => {
                    pool::reduce(&x, &ys, &gy.view(), &ax, |x, y| if y > 0.0 { x / y } else { 0.0 })
                }
                ReduceOp::SumSquare => pool::reduce(&x, &ys, &gy.view(), &ax, |x, _| 2.0 * x),
                ReduceOp::LogSumExp => pool::reduce(&x, &ys, &gy.view(), &ax, |x, y| (x - y).exp()),
                ReduceOp::Prod => return Err(op_err(l, "reduce_prod has no backward")),
            };
            give(0, g);
        }
        Op::BatchNorm { .. }
        | Op::InstanceNorm { .. }
        | Op::GroupNorm { .. }
        | Op::LayerNorm { .. }
        | Op::LpNorm { .. } => {
            let x = val(0)?;
            let dims = x.shape().to_vec();
            let xflat: Vec<f32> = x.iter().copied().collect();
            let gflat: Vec<f32> = gy.iter().copied().collect();
            let consts: Vec<Vec<f32>> = (0..o.operands.len())
                .map(|i| operand(o, xs, i).map(|t| t.floats()).unwrap_or_default())
                .collect();
            let v = norm::op(&o.op, &dims, &xflat, &gflat, &consts).map_err(|e| op_err(l, e))?;
            give(0, ArrayD::from_shape_vec(IxDyn(&dims), v).expect("same count"));
        }
        Op::ConvTranspose(attrs) => {
            let infos: Vec<Info> = xs.iter().map(|t| Info::of(t)).collect();
            let args = info_args(o, &infos);
            let g =
                crate::nn::ops::conv_transpose_geometry(attrs, &args).map_err(|e| op_err(l, e))?;
            let w = operand(o, xs, 1).ok_or_else(|| op_err(l, "no weights"))?;
            let w =
                floats(l, w)?.into_dimensionality::<ndarray::Ix4>().map_err(|e| op_err(l, e))?;
            let gyv = gy.view();
            let gx = conv::conv_transpose_input(&vol3(l, gyv.view())?, &w, &g);
            give(0, back_to(&info.input_dims[0], gx));
        }
        op if route::moves_values(op) => {
            let routed = route::route(o, xs, &info.info(), gy).map_err(|e| op_err(l, e))?;
            for (k, g) in routed.into_iter().enumerate() {
                if let Some(g) = g {
                    match &mut res[k] {
                        Some(acc) => *acc += &g,
                        slot => *slot = Some(g),
                    }
                }
            }
        }
        _ => return Err(op_err(l, "no backward")),
    }
    Ok(res)
}
