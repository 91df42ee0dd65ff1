//! What each ONNX node computes: its op with the spec's defaults and the opset's differences
//! settled, and its operands. Spatial ops are in [`super::nodes_spatial`], quantised and
//! recurrent ones in [`super::nodes_quant`].
//!
//! A node convscope cannot compute (an unknown op, a feature it does not implement) maps to
//! [`Op::Unsupported`] with the reason: the model opens, and that node and what needs it are
//! shown as not computable. A node whose attributes break the spec is an error.

use super::attrs::Node;
use super::build::Builder;
use super::nodes_spatial;
use crate::nn::ops::{Binary, Op, ReduceOp, Unary, Variadic};
use crate::nn::{Elem, LayerKind, Src, Tensor, Weights};
use color_eyre::eyre::{Result, bail};

/// An operand of the op: node input `i`, a constant made here, or absent.
#[derive(Clone, Debug)]
pub enum Operand {
    Input(usize),
    Const(Tensor),
    Absent,
}

/// What a node becomes.
pub enum Mapped {
    /// A `Constant` node.
    Const(Tensor),
    /// A volume layer (conv, pool, batchnorm, …) reading `x`, with convscope's own kernels,
    /// explain panels and edits.
    Volume { kind: LayerKind, weights: Weights, x: Src },
    /// A general op.
    Op(Op, Vec<Operand>),
}

/// Every node input, in order.
pub fn all(n: &Node) -> Vec<Operand> {
    (0..n.proto.input.len()).map(Operand::Input).collect()
}

pub fn op(o: Op, n: &Node) -> Result<Mapped> {
    Ok(Mapped::Op(o, all(n)))
}

pub fn unsupported(why: impl Into<String>, n: &Node) -> Result<Mapped> {
    Ok(Mapped::Op(Op::Unsupported { reason: why.into() }, all(n)))
}

/// Whether an op computes its output `k` (multi-output nodes).
pub fn has_output(op: &Op, k: usize) -> bool {
    use crate::nn::ops::QuantOp;
    match op {
        Op::Split { outputs, .. } => k < *outputs,
        Op::TopK { .. } => k < 2,
        Op::Rnn(_) => k < 3,
        Op::Quant(q) => matches!(**q, QuantOp::DynamicQuantize) && k < 3,
        Op::LayerNorm { .. } => k < 3,
        Op::Dropout => k < 2,
        _ => k == 0,
    }
}

/// The axes of a node from its attribute (before `since`) or its input `i` (from `since`).
fn axes_attr(n: &Node, since: i64) -> Result<Option<Vec<i64>>> {
    if n.opset < since { n.ints("axes") } else { Ok(None) }
}

/// The node's op and operands.
///
/// # Errors
/// An attribute of the wrong type or with a value the spec does not allow.
pub fn map(b: &Builder, n: &Node) -> Result<Mapped> {
    if !matches!(n.proto.domain.as_deref(), None | Some("" | "ai.onnx")) {
        return unknown(n);
    }
    if n.opset < 7 && n.int("broadcast", 0)? != 0 {
        return unsupported(format!("{}: the broadcast attribute of opsets before 7", n.label), n);
    }
    let u = |x: Unary| op(Op::Unary(x), n);
    let bin = |x: Binary| op(Op::Binary(x), n);
    match n.op {
        "Constant" => constant(n),
        "Relu" | "Sigmoid" | "LeakyRelu" | "Clip" => activation(b, n),
        "HardSigmoid" => {
            u(Unary::HardSigmoid { alpha: n.float("alpha", 0.2)?, beta: n.float("beta", 0.5)? })
        }
        "HardSwish" => u(Unary::HardSwish),
        "Tanh" => u(Unary::Tanh),
        "Exp" => u(Unary::Exp),
        "Log" => u(Unary::Log),
        "Sqrt" => u(Unary::Sqrt),
        "Reciprocal" => u(Unary::Reciprocal),
        "Neg" => u(Unary::Neg),
        "Abs" => u(Unary::Abs),
        "Erf" => u(Unary::Erf),
        "Gelu" => match n.string("approximate", "none")?.as_str() {
            "none" => u(Unary::Gelu { tanh: false }),
            "tanh" => u(Unary::Gelu { tanh: true }),
            o => bail!(n.err(format!("approximate '{o}' is not one of none, tanh"))),
        },
        "Softplus" => u(Unary::Softplus),
        "Softsign" => u(Unary::Softsign),
        "Swish" => u(Unary::Swish { alpha: n.float("alpha", 1.0)? }),
        "Shrink" => u(Unary::Shrink { lambd: n.float("lambd", 0.5)?, bias: n.float("bias", 0.0)? }),
        "Elu" => u(Unary::Elu { alpha: n.float("alpha", 1.0)? }),
        "Selu" => u(Unary::Selu {
            alpha: n.float("alpha", 1.673_263_2)?,
            gamma: n.float("gamma", 1.050_701)?,
        }),
        "Celu" => u(Unary::Celu { alpha: n.float("alpha", 1.0)? }),
        "ThresholdedRelu" => u(Unary::ThresholdedRelu { alpha: n.float("alpha", 1.0)? }),
        "Mish" => u(Unary::Mish),
        "Floor" => u(Unary::Floor),
        "Ceil" => u(Unary::Ceil),
        "Round" => u(Unary::Round),
        "Sign" => u(Unary::Sign),
        "Sin" => u(Unary::Sin),
        "Cos" => u(Unary::Cos),
        "Not" => u(Unary::Not),
        "IsNaN" => u(Unary::IsNaN),
        "IsInf" => u(Unary::IsInf {
            pos: n.int("detect_positive", 1)? != 0,
            neg: n.int("detect_negative", 1)? != 0,
        }),
        "Add" => bin(Binary::Add),
        "Sub" => bin(Binary::Sub),
        "Mul" => bin(Binary::Mul),
        "Div" => bin(Binary::Div),
        "Pow" => bin(Binary::Pow),
        "Mod" => bin(Binary::Mod { fmod: n.int("fmod", 0)? != 0 }),
        "Equal" => bin(Binary::Equal),
        "Less" => bin(Binary::Less),
        "LessOrEqual" => bin(Binary::LessOrEqual),
        "Greater" => bin(Binary::Greater),
        "GreaterOrEqual" => bin(Binary::GreaterOrEqual),
        "And" => bin(Binary::And),
        "Or" => bin(Binary::Or),
        "Xor" => bin(Binary::Xor),
        "PRelu" => nodes_spatial::prelu(b, n),
        "Sum" => op(Op::Variadic(Variadic::Sum), n),
        "Mean" => op(Op::Variadic(Variadic::Mean), n),
        "Max" => op(Op::Variadic(Variadic::Max), n),
        "Min" => op(Op::Variadic(Variadic::Min), n),
        "Where" => op(Op::Where, n),
        "Cast" => cast(n),
        "Identity" => op(Op::Identity, n),
        "Dropout" => dropout(b, n),
        _ => shape_or_other(b, n),
    }
}

fn shape_or_other(b: &Builder, n: &Node) -> Result<Mapped> {
    match n.op {
        "Reshape" if n.opset < 5 => unsupported("Reshape with a shape attribute (opset < 5)", n),
        "Reshape" => op(Op::Reshape { allowzero: n.int("allowzero", 0)? != 0 }, n),
        "Flatten" => op(Op::Flatten { axis: n.int("axis", 1)? }, n),
        "Squeeze" => op(Op::Squeeze { axes: axes_attr(n, 13)? }, n),
        "Unsqueeze" => op(Op::Unsqueeze { axes: axes_attr(n, 13)? }, n),
        "Transpose" => op(Op::Transpose { perm: n.ints("perm")? }, n),
        "Concat" if !n.has("axis") && n.opset >= 4 => {
            bail!(n.err("the attribute 'axis' is required"))
        }
        "Concat" => op(Op::Concat { axis: n.int("axis", 1)? }, n),
        "Split" => split(n),
        "Slice" => {
            let attrs = if n.opset < 10 {
                Some([n.ints("starts")?, n.ints("ends")?, n.ints("axes")?])
            } else {
                None
            };
            op(Op::Slice { attrs }, n)
        }
        "Gather" => op(Op::Gather { axis: n.int("axis", 0)? }, n),
        "Expand" => op(Op::Expand, n),
        "Tile" => op(Op::Tile, n),
        "Shape" => shape(b, n),
        "Size" => match b.run_info(n, 0)? {
            Some((_, x)) => {
                let count = x.dims.iter().product::<usize>() as i64;
                Ok(Mapped::Const(Tensor::int(&[], vec![count], Elem::I64)))
            }
            None => op(Op::Size, n),
        },
        "ConstantOfShape" => {
            let value = n.tensor("value")?.unwrap_or_else(|| Tensor::f32(&[1], vec![0.0]));
            op(Op::ConstantOfShape { value }, n)
        }
        "Range" => op(Op::Range, n),
        "ReduceMean" | "ReduceSum" | "ReduceMax" | "ReduceMin" | "ReduceL1" | "ReduceL2"
        | "ReduceProd" | "ReduceSumSquare" | "ReduceLogSumExp" => reduce(n),
        "ArgMax" | "ArgMin" => op(
            Op::ArgMax {
                axis: n.int("axis", 0)?,
                keepdims: n.int("keepdims", 1)? != 0,
                select_last_index: n.int("select_last_index", 0)? != 0,
                min: n.op == "ArgMin",
            },
            n,
        ),
        "TopK" => {
            if n.opset < 10 {
                let k = n.int("k", 0)?;
                let o = Op::TopK { axis: n.int("axis", -1)?, largest: true, sorted: true };
                return Ok(Mapped::Op(
                    o,
                    vec![Operand::Input(0), Operand::Const(Tensor::int(&[1], vec![k], Elem::I64))],
                ));
            }
            op(
                Op::TopK {
                    axis: n.int("axis", -1)?,
                    largest: n.int("largest", 1)? != 0,
                    sorted: n.int("sorted", 1)? != 0,
                },
                n,
            )
        }
        "Softmax" | "LogSoftmax" => {
            let legacy = n.opset < 13;
            let axis = n.int("axis", if legacy { 1 } else { -1 })?;
            op(Op::Softmax { axis, legacy, log: n.op == "LogSoftmax" }, n)
        }
        "MatMul" => op(Op::MatMul, n),
        "Gemm" => op(
            Op::Gemm {
                alpha: n.float("alpha", 1.0)?,
                beta: n.float("beta", 1.0)?,
                trans_a: n.int("transA", 0)? != 0,
                trans_b: n.int("transB", 0)? != 0,
            },
            n,
        ),
        _ => nodes_spatial::map(b, n),
    }
}

fn constant(n: &Node) -> Result<Mapped> {
    if let Some(t) = n.tensor("value")? {
        return Ok(Mapped::Const(t));
    }
    if n.has("value_float") {
        return Ok(Mapped::Const(Tensor::f32(&[], vec![n.float("value_float", 0.0)?])));
    }
    if let Some(v) = n.floats("value_floats")? {
        return Ok(Mapped::Const(Tensor::f32(&[v.len()], v)));
    }
    if n.has("value_int") {
        return Ok(Mapped::Const(Tensor::int(&[], vec![n.int("value_int", 0)?], Elem::I64)));
    }
    if let Some(v) = n.ints("value_ints")? {
        return Ok(Mapped::Const(Tensor::int(&[v.len()], v, Elem::I64)));
    }
    bail!(n.err("holds no value convscope reads (value, value_float(s) or value_int(s))"))
}

/// Relu, Sigmoid, LeakyRelu and Clip on floats are convscope's own activation layers; Clip of
/// integers, or with bounds computed at run time, is the general op.
fn activation(b: &Builder, n: &Node) -> Result<Mapped> {
    let x = b.run_info(n, 0)?;
    let float = x.as_ref().is_some_and(|(_, i)| i.elem.is_float());
    let (min, max) = match n.op {
        "Clip" if n.opset < 11 => {
            (n.float("min", f32::NEG_INFINITY)?, n.float("max", f32::INFINITY)?)
        }
        "Clip" => {
            let bound = |i: usize, default: f32| -> Result<Option<f32>> {
                if n.input(i).is_none() {
                    return Ok(Some(default));
                }
                Ok(match b.const_input(n, i)? {
                    Some(t) if t.len() == 1 => Some(t.floats()[0]),
                    Some(t) => {
                        bail!(n.err(format!("bound (input {i}) has {} values, not one", t.len())))
                    }
                    None => None,
                })
            };
            match (bound(1, f32::NEG_INFINITY)?, bound(2, f32::INFINITY)?) {
                (Some(lo), Some(hi)) => (lo, hi),
                _ => return unsupported(format!("{}: bounds computed at run time", n.label), n),
            }
        }
        _ => (0.0, 0.0),
    };
    let kind = match n.op {
        "Relu" => LayerKind::Relu,
        "Sigmoid" => LayerKind::Sigmoid,
        "LeakyRelu" => LayerKind::LeakyRelu { alpha: n.float("alpha", 0.01)? },
        _ => LayerKind::Clip { min, max },
    };
    match x {
        Some((src, _)) if float => Ok(Mapped::Volume { kind, weights: Weights::None, x: src }),
        _ => {
            let u = match kind {
                LayerKind::Relu => Unary::Relu,
                LayerKind::Sigmoid => Unary::Sigmoid,
                LayerKind::LeakyRelu { alpha } => Unary::LeakyRelu { alpha },
                _ => Unary::Clip { min, max },
            };
            Ok(Mapped::Op(Op::Unary(u), vec![Operand::Input(0)]))
        }
    }
}

fn cast(n: &Node) -> Result<Mapped> {
    let to = n.int("to", 0)?;
    let code = i32::try_from(to).unwrap_or(0);
    match super::tensor::elem_of(code) {
        Some(e) => op(Op::Cast(e), n),
        None => {
            unsupported(format!("{}: a cast to {}", n.label, super::tensor::type_name(code)), n)
        }
    }
}

/// Dropout at inference is the identity; its mask output is not computed.
fn dropout(b: &Builder, n: &Node) -> Result<Mapped> {
    if n.opset >= 12
        && let Some(t) = b.const_input(n, 2)?
        && t.ints().iter().any(|&v| v != 0)
    {
        return unsupported(format!("{}: training_mode is on (inference only)", n.label), n);
    }
    if n.opset < 7 && n.int("is_test", 0)? == 0 {
        return unsupported(format!("{}: is_test = 0 (training)", n.label), n);
    }
    Ok(Mapped::Op(Op::Dropout, vec![Operand::Input(0)]))
}

fn split(n: &Node) -> Result<Mapped> {
    let axis = n.int("axis", 0)?;
    let outputs = n.proto.output.len();
    let split = if n.opset < 13 { n.ints("split")? } else { None };
    if n.opset >= 18 && n.input(1).is_none() && n.has("num_outputs") {
        let k = n.int("num_outputs", 0)?;
        if k < 1 || k as usize != outputs {
            bail!(n.err(format!("num_outputs {k} does not match its {outputs} outputs")));
        }
    }
    op(Op::Split { axis, split, outputs }, n)
}

/// `Shape` of a tensor whose dims analysis knows is a constant; else a layer.
fn shape(b: &Builder, n: &Node) -> Result<Mapped> {
    let start = n.int("start", 0)?;
    let end = if n.has("end") { Some(n.int("end", 0)?) } else { None };
    let Some((_, x)) = b.run_info(n, 0)? else { return op(Op::Shape { start, end }, n) };
    // Negative ends count from the back; both clamp to 0..=rank (opset 15).
    let r = x.dims.len() as i64;
    let clamp = |v: i64| (if v < 0 { v.saturating_add(r) } else { v }).clamp(0, r) as usize;
    let (s, e) = (clamp(start), clamp(end.unwrap_or(r)));
    let dims: Vec<i64> = x.dims[s..e.max(s)].iter().map(|&d| d as i64).collect();
    Ok(Mapped::Const(Tensor::int(&[dims.len()], dims, Elem::I64)))
}

fn reduce(n: &Node) -> Result<Mapped> {
    let r = match n.op {
        "ReduceMean" => ReduceOp::Mean,
        "ReduceSum" => ReduceOp::Sum,
        "ReduceMax" => ReduceOp::Max,
        "ReduceMin" => ReduceOp::Min,
        "ReduceL1" => ReduceOp::L1,
        "ReduceL2" => ReduceOp::L2,
        "ReduceProd" => ReduceOp::Prod,
        "ReduceSumSquare" => ReduceOp::SumSquare,
        _ => ReduceOp::LogSumExp,
    };
    // ReduceSum took axes as an input from opset 13, the others from 18.
    let since = if r == ReduceOp::Sum { 13 } else { 18 };
    op(
        Op::Reduce {
            op: r,
            axes: axes_attr(n, since)?,
            keepdims: n.int("keepdims", 1)? != 0,
            noop_with_empty_axes: n.int("noop_with_empty_axes", 0)? != 0,
        },
        n,
    )
}

/// Ops that are not ONNX ops convscope knows, and quantised/recurrent/spatial fall-through.
pub fn unknown(n: &Node) -> Result<Mapped> {
    let domain = n.proto.domain.as_deref().unwrap_or("");
    let what = if domain.is_empty() || domain == "ai.onnx" {
        format!("{} (op {} is not supported)", n.label, n.op)
    } else {
        format!("{} (op {domain}::{} is not supported)", n.label, n.op)
    };
    unsupported(what, n)
}
