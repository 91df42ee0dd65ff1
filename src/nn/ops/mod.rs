//! General tensor ops with ONNX semantics, on tensors of any rank in ONNX axis order: the ops
//! real CNNs use between their convolutions (activations, broadcasting arithmetic, reshapes,
//! reductions, normalisations, matrix products, resampling, recurrent and quantised layers).
//!
//! Every op has two halves, kept side by side: `infer` (the output's dims and element type from
//! the inputs', checked — it runs before anything is allocated, on sizes that may come from a
//! file) and `eval` (the numbers). The ONNX importer builds one [`OpLayer`] per node output; the
//! same `eval` folds constants at load time.

mod binary;
pub mod bounds;
pub mod convt;
pub mod depth_space;
pub mod explain;
mod fast;
mod matmul;
mod norm;
pub mod pad;
pub mod quant;
mod quantized;
pub mod recurrent;
pub(crate) mod reduce;
pub mod resize;
mod rnn;
mod shape;
mod softmax;
mod spatial;
mod unary;

pub use binary::{Binary, Variadic, broadcast_dims};
pub use quantized::{QuantOp, int_type};
pub use reduce::ReduceOp;
pub use spatial::{conv_transpose_geometry, depth_mode};
pub use unary::{Unary, erf, map_f32, sigmoid};

use super::geometry::{self, GeomError};
use super::tensor::{Elem, Tensor, dims_text};

/// Why an op cannot run on these inputs.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum OpError {
    #[error(transparent)]
    Geometry(#[from] GeomError),
    /// `dims [2, 3] and [4] do not broadcast`.
    #[error("{0}")]
    Shape(String),
    /// An operand this op needs is missing or of the wrong type.
    #[error("{0}")]
    Operand(String),
    /// An attribute or a constant operand with a value the op refuses.
    #[error("{key} {value} is not allowed ({rule})")]
    Value { key: String, value: String, rule: String },
    /// An operand the op needs as a constant (to know its output's shape) is computed from data.
    #[error("{what} is computed from the data; convscope needs it constant to know the shapes")]
    NotConstant { what: String },
    /// An op convscope does not compute.
    #[error("{0}")]
    Unsupported(String),
}

pub(crate) fn shape_err(msg: impl Into<String>) -> OpError {
    OpError::Shape(msg.into())
}

/// An operand of an op layer, in ONNX input order.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// The layer's `k`-th runtime input (`layer.inputs[k]`).
    Input(usize),
    /// A constant: an initializer, or something folded from initializers.
    Const(Tensor),
    /// An optional input left out.
    Absent,
}

/// The dims and element type of a tensor, known before any value is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Info {
    pub dims: Vec<usize>,
    pub elem: Elem,
}

impl Info {
    pub fn new(dims: Vec<usize>, elem: Elem) -> Info {
        Info { dims, elem }
    }

    pub fn f32(dims: Vec<usize>) -> Info {
        Info { dims, elem: Elem::F32 }
    }

    pub fn of(t: &Tensor) -> Info {
        Info { dims: t.dims().to_vec(), elem: t.elem() }
    }

    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    /// The number of values, bounded (checked).
    ///
    /// # Errors
    /// More than 2^31 values.
    pub fn count(&self, what: &str) -> Result<usize, OpError> {
        Ok(geometry::count(what, &self.dims)?)
    }
}

/// What an op layer computes: the op, its operands, and which output of its ONNX node it is.
#[derive(Clone, Debug, PartialEq)]
pub struct OpLayer {
    pub op: Op,
    pub operands: Vec<Operand>,
    /// The output of a multi-output node (Split, TopK, LSTM) this layer stands for.
    pub output: usize,
}

/// The ops. Attributes are resolved from the ONNX node (defaults applied, opset differences
/// settled) by the importer.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Unary(Unary),
    Binary(Binary),
    /// Sum, Mean, Max, Min of any number of broadcast operands.
    Variadic(Variadic),
    /// `Where(condition, x, y)`.
    Where,
    Cast(Elem),
    Identity,
    /// Dropout at inference: output 0 is the input, output 1 (the mask) all true.
    Dropout,
    /// Shape from operand 1; `0` copies the input's dim unless `allowzero`.
    Reshape {
        allowzero: bool,
    },
    Flatten {
        axis: i64,
    },
    /// Axes from the attribute (before opset 13) or operand 1.
    Squeeze {
        axes: Option<Vec<i64>>,
    },
    Unsqueeze {
        axes: Option<Vec<i64>>,
    },
    Transpose {
        perm: Option<Vec<i64>>,
    },
    Concat {
        axis: i64,
    },
    /// Output `OpLayer::output` of the split; sizes from the attribute or operand 1.
    Split {
        axis: i64,
        split: Option<Vec<i64>>,
        outputs: usize,
    },
    /// Starts, ends, axes, steps from attributes (before opset 10) or operands 1..=4.
    Slice {
        attrs: Option<[Option<Vec<i64>>; 3]>,
    },
    Gather {
        axis: i64,
    },
    Expand,
    Tile,
    Shape {
        start: i64,
        end: Option<i64>,
    },
    Size,
    ConstantOfShape {
        value: Tensor,
    },
    Range,
    Reduce {
        op: ReduceOp,
        axes: Option<Vec<i64>>,
        keepdims: bool,
        noop_with_empty_axes: bool,
    },
    ArgMax {
        axis: i64,
        keepdims: bool,
        select_last_index: bool,
        min: bool,
    },
    /// Softmax/LogSoftmax over `axis`; `legacy` (before opset 13): over the flattened axes from
    /// `axis` on.
    Softmax {
        axis: i64,
        legacy: bool,
        log: bool,
    },
    MatMul,
    Gemm {
        alpha: f32,
        beta: f32,
        trans_a: bool,
        trans_b: bool,
    },
    /// BatchNormalization on any rank ≥ 2 (scale, B, mean, var operands).
    BatchNorm {
        eps: f32,
    },
    InstanceNorm {
        eps: f32,
    },
    LayerNorm {
        axis: i64,
        eps: f32,
    },
    GroupNorm {
        groups: usize,
        eps: f32,
    },
    LpNorm {
        axis: i64,
        p: u8,
    },
    /// GlobalAveragePool / GlobalMaxPool over every axis after the first two.
    GlobalPool {
        max: bool,
    },
    /// ConvTranspose of `[1, C, H, W]` by constant weights `(C, K/group, FH, FW)` (operands X,
    /// W, B).
    ConvTranspose(Box<convt::geometry::ConvTransposeAttrs>),
    /// Resize and Upsample; operands X, roi, scales, sizes (absent where the opset has none).
    Resize(Box<resize::ResizeParams>),
    /// Pad; pads from the attribute (before opset 11) or operand 1, the value from the
    /// attribute or operand 2, the axes from operand 3.
    Pad {
        mode: pad::PadMode,
        pads: Option<Vec<i64>>,
        value: f32,
    },
    DepthToSpace {
        block: i64,
        mode: depth_space::DepthMode,
    },
    SpaceToDepth {
        block: i64,
    },
    /// The quantised ops (exact integers).
    Quant(Box<quantized::QuantOp>),
    /// LSTM and GRU; `OpLayer::output` picks Y, Y_h or Y_c.
    Rnn(Box<recurrent::RnnParams>),
    /// TopK: values (output 0) and indices (output 1) of the k largest (or smallest) along
    /// `axis`; k from operand 1.
    TopK {
        axis: i64,
        largest: bool,
        sorted: bool,
    },
    /// An ONNX op convscope does not compute: the layer, and every layer that depends on it,
    /// is listed as not computable.
    Unsupported {
        reason: String,
    },
}

impl Op {
    /// The op's name as the layer list shows it.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Unary(u) => u.name(),
            Op::Binary(b) => b.name(),
            Op::Variadic(v) => v.name(),
            Op::Where => "where",
            Op::Cast(_) => "cast",
            Op::Identity => "identity",
            Op::Dropout => "dropout",
            Op::Reshape { .. } => "reshape",
            Op::Flatten { .. } => "flatten",
            Op::Squeeze { .. } => "squeeze",
            Op::Unsqueeze { .. } => "unsqueeze",
            Op::Transpose { .. } => "transpose",
            Op::Concat { .. } => "concat",
            Op::Split { .. } => "split",
            Op::Slice { .. } => "slice",
            Op::Gather { .. } => "gather",
            Op::Expand => "expand",
            Op::Tile => "tile",
            Op::Shape { .. } => "shape",
            Op::Size => "size",
            Op::ConstantOfShape { .. } => "constant_of_shape",
            Op::Range => "range",
            Op::Reduce { op, .. } => op.name(),
            Op::ArgMax { min: false, .. } => "argmax",
            Op::ArgMax { min: true, .. } => "argmin",
            Op::Softmax { log: false, .. } => "softmax",
            Op::Softmax { log: true, .. } => "log_softmax",
            Op::MatMul => "matmul",
            Op::Gemm { .. } => "gemm",
            Op::BatchNorm { .. } => "batchnorm",
            Op::InstanceNorm { .. } => "instance_norm",
            Op::LayerNorm { .. } => "layer_norm",
            Op::GroupNorm { .. } => "group_norm",
            Op::LpNorm { .. } => "lp_norm",
            Op::GlobalPool { max: false } => "global_avgpool",
            Op::GlobalPool { max: true } => "global_maxpool",
            Op::ConvTranspose(_) => "conv_transpose",
            Op::Resize(p) if p.op == resize::ResizeOp::Upsample => "upsample",
            Op::Resize(_) => "resize",
            Op::Pad { .. } => "pad",
            Op::DepthToSpace { .. } => "depth_to_space",
            Op::SpaceToDepth { .. } => "space_to_depth",
            Op::Quant(q) => q.name(),
            Op::Rnn(p) if p.cell == recurrent::Cell::Lstm => "lstm",
            Op::Rnn(_) => "gru",
            Op::TopK { .. } => "top_k",
            Op::Unsupported { .. } => "not computable",
        }
    }
}

/// The operands of an op, resolved: runtime inputs' infos (or values, at eval) and constants.
pub struct Args<'a, T> {
    pub items: Vec<Arg<'a, T>>,
}

/// One resolved operand.
pub enum Arg<'a, T> {
    /// A runtime input: its info (at infer) or its value (at eval).
    Run(&'a T),
    Const(&'a Tensor),
    Absent,
}

impl<'a, T> Args<'a, T> {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The constant at position `i`, if it is one.
    pub fn constant(&self, i: usize) -> Option<&'a Tensor> {
        match self.items.get(i) {
            Some(Arg::Const(t)) => Some(t),
            _ => None,
        }
    }

    pub fn is_present(&self, i: usize) -> bool {
        matches!(self.items.get(i), Some(Arg::Run(_) | Arg::Const(_)))
    }

    /// The constant at `i`, which must be one (its values decide the output's shape).
    ///
    /// # Errors
    /// Missing, or computed from the data.
    pub fn need_const(&self, i: usize, what: &str) -> Result<&'a Tensor, OpError> {
        match self.items.get(i) {
            Some(Arg::Const(t)) => Ok(t),
            Some(Arg::Run(_)) => Err(OpError::NotConstant { what: what.into() }),
            _ => Err(OpError::Operand(format!("{what} (input {i}) is missing"))),
        }
    }
}

impl<'a> Args<'a, Info> {
    /// The info of operand `i`, runtime or constant.
    pub fn info(&self, i: usize) -> Option<Info> {
        match self.items.get(i)? {
            Arg::Run(info) => Some((*info).clone()),
            Arg::Const(t) => Some(Info::of(t)),
            Arg::Absent => None,
        }
    }

    /// The info of operand `i`, which must be present.
    ///
    /// # Errors
    /// A missing operand.
    pub fn need(&self, i: usize, what: &str) -> Result<Info, OpError> {
        self.info(i).ok_or_else(|| OpError::Operand(format!("{what} (input {i}) is missing")))
    }
}

impl<'a> Args<'a, Tensor> {
    /// The value of operand `i`, runtime or constant.
    pub fn value(&self, i: usize) -> Option<&'a Tensor> {
        match self.items.get(i)? {
            Arg::Run(t) | Arg::Const(t) => Some(t),
            Arg::Absent => None,
        }
    }

    /// The value of operand `i`, which must be present (infer checked it).
    ///
    /// # Errors
    /// A missing operand.
    pub fn get(&self, i: usize) -> Result<&'a Tensor, OpError> {
        self.value(i).ok_or_else(|| OpError::Operand(format!("input {i} is missing")))
    }

    /// Operand `i` as f32 values.
    ///
    /// # Errors
    /// Missing, or integers where floats are needed.
    pub fn f32(&self, i: usize) -> Result<ndarray::ArrayViewD<'a, f32>, OpError> {
        self.get(i)?
            .as_f32()
            .ok_or_else(|| OpError::Operand(format!("input {i} holds integers, not floats")))
    }
}

/// Evaluated operands seen as infos (every one a constant), so the shape rules can run again
/// at eval.
pub(super) fn info_args<'a>(args: &'a Args<'a, Tensor>) -> Args<'a, Info> {
    Args {
        items: args
            .items
            .iter()
            .map(|a| match a {
                Arg::Run(t) | Arg::Const(t) => Arg::Const(t),
                Arg::Absent => Arg::Absent,
            })
            .collect(),
    }
}

/// Normalise a possibly negative axis for rank `rank`.
///
/// # Errors
/// An axis outside `−rank..rank`.
pub fn axis(a: i64, rank: usize) -> Result<usize, OpError> {
    let r = rank as i64;
    let v = if a < 0 { a.saturating_add(r) } else { a };
    if !(0..r).contains(&v) {
        return Err(OpError::Value {
            key: "axis".into(),
            value: a.to_string(),
            rule: format!("−{rank} ≤ axis < {rank} for a rank-{rank} tensor"),
        });
    }
    Ok(v as usize)
}

/// Integers of a constant as sizes (each ≥ 0 and bounded).
///
/// # Errors
/// A negative or too large value.
pub fn sizes(t: &Tensor, what: &str) -> Result<Vec<usize>, OpError> {
    t.to_i64()
        .iter()
        .map(|&v| {
            let u = usize::try_from(v).map_err(|_| OpError::Value {
                key: what.into(),
                value: v.to_string(),
                rule: "≥ 0".into(),
            })?;
            Ok(geometry::bounded(what, u)?)
        })
        .collect()
}

impl OpLayer {
    /// The output of the op: dims and element type.
    ///
    /// # Errors
    /// Shapes that do not fit, a bad attribute or constant, or more than 2^31 values.
    pub fn infer(&self, args: &Args<Info>) -> Result<Info, OpError> {
        let out = match &self.op {
            Op::Unary(u) => unary::infer(*u, args)?,
            Op::Binary(b) => binary::infer(*b, args)?,
            Op::Variadic(_) => binary::infer_variadic(args)?,
            Op::Where => binary::infer_where(args)?,
            Op::Cast(e) => Info::new(args.need(0, "input")?.dims, *e),
            Op::Identity => args.need(0, "input")?,
            Op::GlobalPool { .. } => {
                let x = args.need(0, "input")?;
                if x.rank() < 3 {
                    return Err(shape_err(format!(
                        "needs an [N, C, …] input, got {}",
                        dims_text(&x.dims)
                    )));
                }
                let mut d = x.dims.clone();
                d[2..].iter_mut().for_each(|v| *v = 1);
                Info::new(d, x.elem)
            }
            Op::Reduce { .. } | Op::ArgMax { .. } => reduce::infer(&self.op, args)?,
            Op::Softmax { axis, .. } => {
                let x = args.need(0, "input")?;
                self::axis(*axis, x.rank())?;
                x
            }
            Op::MatMul | Op::Gemm { .. } => matmul::infer(&self.op, args)?,
            Op::LayerNorm { axis, .. } if self.output > 0 => {
                norm::layer_norm_stats_info(*axis, args)?
            }
            Op::Dropout if self.output > 0 => Info::new(args.need(0, "input")?.dims, Elem::Bool),
            Op::Dropout => args.need(0, "input")?,
            Op::BatchNorm { .. }
            | Op::InstanceNorm { .. }
            | Op::LayerNorm { .. }
            | Op::GroupNorm { .. }
            | Op::LpNorm { .. } => norm::infer(&self.op, args)?,
            Op::ConvTranspose(_)
            | Op::Resize(_)
            | Op::Pad { .. }
            | Op::DepthToSpace { .. }
            | Op::SpaceToDepth { .. } => spatial::infer(&self.op, args)?,
            Op::Quant(q) => quantized::infer(q, self.output, args)?,
            Op::Rnn(p) => rnn::infer(p, self.output, args)?,
            Op::TopK { .. } => reduce::top_k_info(&self.op, self.output, args)?,
            Op::Unsupported { reason } => return Err(OpError::Unsupported(reason.clone())),
            _ => shape::infer(&self.op, self.output, args)?,
        };
        out.count("output")?;
        Ok(out)
    }

    /// Compute the output, whose info `infer` gave.
    ///
    /// # Errors
    /// What `infer` would refuse (an op run without its checks), or data that breaks a rule
    /// only the values show (an index out of range).
    pub fn eval(&self, args: &Args<Tensor>, out: &Info) -> Result<Tensor, OpError> {
        match &self.op {
            Op::Unary(u) => unary::eval(*u, args),
            Op::Binary(b) => binary::eval(*b, args, out),
            Op::Variadic(v) => binary::eval_variadic(*v, args, out),
            Op::Where => binary::eval_where(args, out),
            Op::Cast(e) => Ok(shape::cast(args.get(0)?, *e)),
            Op::Identity => Ok(args.get(0)?.clone()),
            Op::GlobalPool { max } => reduce::global_pool(&args.f32(0)?, *max),
            Op::Reduce { .. } | Op::ArgMax { .. } => reduce::eval(&self.op, args, out),
            Op::Softmax { axis, legacy, log } => softmax::eval(&args.f32(0)?, *axis, *legacy, *log),
            Op::MatMul | Op::Gemm { .. } => matmul::eval(&self.op, args, out),
            Op::LayerNorm { axis, eps } if self.output > 0 => {
                norm::layer_norm_stats(*axis, *eps, self.output, args)
            }
            // At inference nothing is dropped: the mask keeps every value.
            Op::Dropout if self.output > 0 => {
                Ok(Tensor::int(&out.dims, vec![1; out.dims.iter().product()], Elem::Bool))
            }
            Op::Dropout => Ok(args.get(0)?.clone()),
            Op::BatchNorm { .. }
            | Op::InstanceNorm { .. }
            | Op::LayerNorm { .. }
            | Op::GroupNorm { .. }
            | Op::LpNorm { .. } => norm::eval(&self.op, args),
            Op::ConvTranspose(_)
            | Op::Resize(_)
            | Op::Pad { .. }
            | Op::DepthToSpace { .. }
            | Op::SpaceToDepth { .. } => spatial::eval(&self.op, args),
            Op::Quant(q) => quantized::eval(q, self.output, args),
            Op::Rnn(p) => rnn::eval(p, self.output, args),
            Op::TopK { .. } => reduce::top_k(&self.op, self.output, args, out),
            Op::Unsupported { reason } => Err(OpError::Unsupported(reason.clone())),
            _ => shape::eval(&self.op, self.output, args, out),
        }
    }

    /// Whether the op multiplies by learned weights (a constant matrix or filter bank): such
    /// layers count towards the network depth.
    pub fn has_weights(&self) -> bool {
        let weighted = matches!(
            self.op,
            Op::MatMul | Op::Gemm { .. } | Op::ConvTranspose(_) | Op::Rnn(_)
        ) || matches!(&self.op, Op::Quant(q) if matches!(**q, QuantOp::ConvInteger(_) | QuantOp::MatMulInteger | QuantOp::QLinearConv(_) | QuantOp::QLinearMatMul));
        let w = if matches!(&self.op, Op::Quant(q) if matches!(**q, QuantOp::QLinearConv(_) | QuantOp::QLinearMatMul))
        {
            3
        } else {
            1
        };
        weighted && matches!(self.operands.get(w), Some(Operand::Const(_)))
    }

    /// Whether a layer of this op can be computed at all.
    pub fn computable(&self) -> bool {
        !matches!(self.op, Op::Unsupported { .. })
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    /// An operand in a test: a runtime value, a constant, or absent.
    pub enum X {
        R(Tensor),
        C(Tensor),
        A,
    }

    /// Infer then eval an op, checking that both agree on the output's dims and type.
    pub fn run(op: Op, operands: Vec<X>) -> Result<Tensor, OpError> {
        run_output(op, operands, 0)
    }

    pub fn run_output(op: Op, operands: Vec<X>, output: usize) -> Result<Tensor, OpError> {
        let layer = OpLayer { op, operands: vec![], output };
        let infos: Vec<Option<Info>> = operands
            .iter()
            .map(|x| match x {
                X::R(t) => Some(Info::of(t)),
                _ => None,
            })
            .collect();
        let args = Args {
            items: operands
                .iter()
                .zip(&infos)
                .map(|(x, i)| match (x, i) {
                    (X::R(_), Some(i)) => Arg::Run(i),
                    (X::C(t), _) => Arg::Const(t),
                    _ => Arg::Absent,
                })
                .collect(),
        };
        let out = layer.infer(&args)?;
        let vals = Args {
            items: operands
                .iter()
                .map(|x| match x {
                    X::R(t) => Arg::Run(t),
                    X::C(t) => Arg::Const(t),
                    X::A => Arg::Absent,
                })
                .collect(),
        };
        let y = layer.eval(&vals, &out)?;
        assert_eq!(y.dims(), out.dims.as_slice(), "eval agrees with infer on the dims");
        assert_eq!(y.elem(), out.elem, "eval agrees with infer on the type");
        Ok(y)
    }

    pub fn f(dims: &[usize], v: &[f32]) -> Tensor {
        Tensor::f32(dims, v.to_vec())
    }

    pub fn i(dims: &[usize], v: &[i64]) -> Tensor {
        Tensor::int(dims, v.to_vec(), Elem::I64)
    }

    pub fn vals(t: &Tensor) -> Vec<f32> {
        t.to_f32().iter().copied().collect()
    }
}
