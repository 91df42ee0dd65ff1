//! QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear.
//!
//! * `QuantizeLinear`: `y = saturate(round(x / scale) + zp)`, per tensor or per axis.
//! * `DequantizeLinear`: `y = (x − zp) · scale`.
//! * `DynamicQuantizeLinear`: scale and zero point from the data's range widened to include 0,
//!   then QuantizeLinear to uint8.
//!
//! Which opset allows which type, attribute and granularity is checked by
//! [`crate::nn::ops::quant::attrs::quantize_attrs`] / [`crate::nn::ops::quant::attrs::dequantize_attrs`] when the node is read;
//! these functions check everything about the tensors themselves.

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use crate::nn::ops::quant::axis_params::{AxisParams, qdq_granularity};
use crate::nn::ops::quant::error::QuantError;
use crate::nn::ops::quant::round::{dequantize_value, quantize_value};
use crate::nn::ops::quant::types::{IntType, check_dims, check_values, require_type};

const Q: &str = "QuantizeLinear";
const DQ: &str = "DequantizeLinear";
const DYN: &str = "DynamicQuantizeLinear";

/// The output dims of QuantizeLinear (those of `x`), after checking the scale and zero point
/// against `x` and `axis` (see [`qdq_granularity`]).
///
/// # Errors
/// Any shape that does not fit.
pub fn output_dims_quantize_linear(
    x: &[usize],
    scale: &[usize],
    zero_point: Option<&[usize]>,
    axis: i64,
) -> Result<Vec<usize>, QuantError> {
    qdq_granularity(Q, x, scale, zero_point, axis)?;
    Ok(x.to_vec())
}

/// The output dims of DequantizeLinear (those of `x`); checks as
/// [`output_dims_quantize_linear`].
///
/// # Errors
/// Any shape that does not fit.
pub fn output_dims_dequantize_linear(
    x: &[usize],
    scale: &[usize],
    zero_point: Option<&[usize]>,
    axis: i64,
) -> Result<Vec<usize>, QuantError> {
    qdq_granularity(DQ, x, scale, zero_point, axis)?;
    Ok(x.to_vec())
}

/// The output dims of DynamicQuantizeLinear: `y` has the dims of `x`; `y_scale` and
/// `y_zero_point` are scalars (`[]`).
///
/// # Errors
/// Dims over the limits.
pub fn output_dims_dynamic_quantize_linear(x: &[usize]) -> Result<Vec<usize>, QuantError> {
    check_dims(DYN, "x", x)?;
    Ok(x.to_vec())
}

/// QuantizeLinear: `y = saturate(round(x / scale) + zero_point)` into `out`.
///
/// `zero_point` holds values of type `out` (ONNX: the zero point's type is the output type;
/// absent means 0). The division is in f32 and rounds half to even; NaN gives `out`'s minimum.
///
/// ```
/// use ndarray::{arr0, arr1};
/// use convscope::nn::ops::quant::{quantize_linear, IntType};
/// let x = arr1(&[0.25f32, 0.75, 1.25, -3.0]).into_dyn();
/// let y = quantize_linear(x.view(), arr0(0.5f32).into_dyn().view(),
///     Some(arr0(10i64).into_dyn().view()), 1, IntType::U8).unwrap();
/// // 0.5 → 0, 1.5 → 2, 2.5 → 2 (ties to even), −6; each + 10.
/// assert_eq!(y.as_slice().unwrap(), &[10, 12, 12, 4]);
/// ```
///
/// # Errors
/// Shapes as [`output_dims_quantize_linear`]; `out` int32; a zero point outside `out`.
pub fn quantize_linear(
    x: ArrayViewD<f32>,
    scale: ArrayViewD<f32>,
    zero_point: Option<ArrayViewD<i64>>,
    axis: i64,
    out: IntType,
) -> Result<ArrayD<i64>, QuantError> {
    let ok = [IntType::U8, IntType::I8, IntType::U16, IntType::I16];
    require_type(Q, "y", out, &ok, "uint8, int8, uint16, int16")?;
    let p = AxisParams::new(Q, x.shape(), &scale, zero_point.as_ref(), axis, out)?;
    let x = x.as_standard_layout();
    let y: Vec<i64> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let (s, z) = p.at(i);
            quantize_value(v, s, z, out)
        })
        .collect();
    Ok(from_vec(x.shape(), y))
}

/// DequantizeLinear: `y = (x − zero_point) · scale` in f32.
///
/// `x` and `zero_point` hold values of type `ty` (ONNX requires them to share it). For int32
/// the zero point must be 0 (ONNX: "there's no zero point"); onnxruntime would subtract a
/// nonzero one with int32 wrap-around, so a nonzero one is refused.
///
/// # Errors
/// Shapes as [`output_dims_dequantize_linear`]; values outside `ty`; a nonzero int32 zero point.
pub fn dequantize_linear(
    x: ArrayViewD<i64>,
    ty: IntType,
    scale: ArrayViewD<f32>,
    zero_point: Option<ArrayViewD<i64>>,
    axis: i64,
) -> Result<ArrayD<f32>, QuantError> {
    let p = AxisParams::new(DQ, x.shape(), &scale, zero_point.as_ref(), axis, ty)?;
    if ty == IntType::I32
        && let Some(&z) = p.zero_points().iter().find(|&&z| z != 0)
    {
        return Err(QuantError::Shape {
            op: DQ,
            msg: format!("an int32 input has no zero point in ONNX, but it is {z}"),
        });
    }
    check_values(DQ, "x", &x, ty)?;
    let x = x.as_standard_layout();
    let y: Vec<f32> = x
        .iter()
        .enumerate()
        .map(|(i, &q)| {
            let (s, z) = p.at(i);
            dequantize_value(q, z, s)
        })
        .collect();
    Ok(from_vec(x.shape(), y))
}

/// What DynamicQuantizeLinear computes: `y` (uint8 values), `y_scale`, `y_zero_point`.
#[derive(Clone, Debug, PartialEq)]
pub struct DynamicQuant {
    pub y: ArrayD<i64>,
    pub scale: f32,
    pub zero_point: i64,
}

/// The scale and zero point DynamicQuantizeLinear derives from a data range, in f32:
///
/// ```text
/// lo = min(0, min x)   hi = max(0, max x)          (the range must include 0)
/// scale = (hi − lo) / 255, or 1 when hi = lo       (onnxruntime; see below)
/// zp = round_half_even(clamp(0 − lo / scale, 0, 255))
/// ```
///
/// All inputs zero (or none) gives `hi = lo = 0`: the spec's formula would divide 0 by 0;
/// onnxruntime uses scale 1, and onnx.reference 1/255 (a misplaced parenthesis). Either way
/// `y` is all 0 and zp 0; we return onnxruntime's scale 1.
///
/// ```
/// use convscope::nn::ops::quant::dynamic_scale_zero_point;
/// // [−1, 3]: scale 4/255, zp = round(1/(4/255)) = round(63.75) = 64.
/// assert_eq!(dynamic_scale_zero_point(-1.0, 3.0), (4.0 / 255.0, 64));
/// // All positive: lo is 0, so zp is 0. All negative: hi is 0, so zp is 255.
/// assert_eq!(dynamic_scale_zero_point(1.0, 3.0).1, 0);
/// assert_eq!(dynamic_scale_zero_point(-3.0, -1.0).1, 255);
/// ```
pub fn dynamic_scale_zero_point(min: f32, max: f32) -> (f32, i64) {
    let lo = min.min(0.0);
    let hi = max.max(0.0);
    let scale = if hi == lo { 1.0 } else { (hi - lo) / 255.0 };
    let initial = 0.0 - lo / scale;
    let zp = initial.clamp(0.0, 255.0).round_ties_even() as i64;
    (scale, zp)
}

/// DynamicQuantizeLinear (opset 11): uint8 `y`, its scale and zero point (see
/// [`dynamic_scale_zero_point`]), then `y = saturate(round(x / scale) + zp)`.
///
/// # Errors
/// Dims over the limits; a NaN or infinite input (the range, and so every output, would be
/// meaningless; onnxruntime and onnx.reference disagree on it).
pub fn dynamic_quantize_linear(x: ArrayViewD<f32>) -> Result<DynamicQuant, QuantError> {
    check_dims(DYN, "x", x.shape())?;
    let (mut min, mut max) = (0.0f32, 0.0f32);
    for &v in &x {
        if !v.is_finite() {
            return Err(QuantError::NonFinite {
                op: DYN,
                msg: format!("input holds {v}: no scale can be derived"),
            });
        }
        min = min.min(v);
        max = max.max(v);
    }
    let (scale, zero_point) = dynamic_scale_zero_point(min, max);
    let x = x.as_standard_layout();
    let y: Vec<i64> =
        x.iter().map(|&v| quantize_value(v, scale, zero_point, IntType::U8)).collect();
    Ok(DynamicQuant { y: from_vec(x.shape(), y), scale, zero_point })
}

/// An array of these dims from row-major values (the count always matches by construction).
pub(crate) fn from_vec<T>(dims: &[usize], v: Vec<T>) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(dims), v).unwrap_or_else(|_| unreachable!("dims match the data"))
}

#[cfg(test)]
#[path = "qdq_tests.rs"]
mod tests;
