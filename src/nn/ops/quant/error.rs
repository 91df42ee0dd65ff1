//! Why a quantised op refused its inputs. Every message names the op and carries the values, so
//! the explorer can show it as it is.

use crate::nn::ops::quant::types::{IntType, MAX_DIM, MAX_ELEMS};

/// Every way a quantised op can refuse its inputs or attributes. Nothing here panics: a file
/// that is inconsistent in any way ends in one of these.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantError {
    /// A feature ONNX has that these kernels deliberately do not implement (float8, int4,
    /// blocked quantisation, float16 precision …).
    #[error("{op}: {what} is not supported")]
    Unsupported { op: &'static str, what: String },
    /// Shapes that do not fit each other.
    #[error("{op}: {msg}")]
    Shape { op: &'static str, msg: String },
    /// An attribute with a value ONNX does not allow (or not in this opset).
    #[error("{op}: attribute {attr}: {msg}")]
    Attr { op: &'static str, attr: &'static str, msg: String },
    /// An element type the op does not accept.
    #[error("{op}: {what} may not be {ty} (allowed: {allowed})")]
    Type { op: &'static str, what: &'static str, ty: String, allowed: &'static str },
    /// An integer tensor holding a value its element type cannot hold (the loader's bug or a
    /// hostile file).
    #[error("{op}: {what} holds {value}, outside {ty} [{lo}, {hi}]", lo = ty.range().0, hi = ty.range().1)]
    OutOfRange { op: &'static str, what: &'static str, value: i64, ty: IntType },
    /// A dimension above [`MAX_DIM`].
    #[error("{op}: {what} has a dimension {value} (at most {MAX_DIM})")]
    DimTooLarge { op: &'static str, what: &'static str, value: u128 },
    /// A tensor of more than [`MAX_ELEMS`] values.
    #[error("{op}: {what} {dims:?} holds more than {MAX_ELEMS} values")]
    TooManyValues { op: &'static str, what: &'static str, dims: Vec<usize> },
    /// An exact integer result that the ONNX output type int32 cannot hold (onnxruntime would
    /// silently wrap it).
    #[error("{op}: output {index:?} sums to {value}, outside int32 (ONNX accumulates in int32)")]
    Int32Overflow { op: &'static str, index: Vec<usize>, value: i64 },
    /// A float input the op cannot give a meaning to (DynamicQuantizeLinear of NaN or ±inf).
    #[error("{op}: {msg}")]
    NonFinite { op: &'static str, msg: String },
}

/// Shorthand for [`QuantError::Shape`].
pub(crate) fn shape_err(op: &'static str, msg: impl Into<String>) -> QuantError {
    QuantError::Shape { op, msg: msg.into() }
}

/// Shorthand for [`QuantError::Attr`].
pub(crate) fn attr_err(op: &'static str, attr: &'static str, msg: impl Into<String>) -> QuantError {
    QuantError::Attr { op, attr, msg: msg.into() }
}
