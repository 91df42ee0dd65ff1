//! Scale and zero point of QuantizeLinear / DequantizeLinear, resolved against the input.
//!
//! ONNX (opset 13 on) knows two granularities without blocking:
//! * per-tensor: the scale is a scalar or a 1-element 1-D tensor; `axis` is then ignored (as
//!   onnxruntime and onnx.reference do, even when it is out of range);
//! * per-axis: the scale is 1-D of length `x.shape[axis]`; element `i` of the input uses
//!   `scale[(i / inner) % len]`, `inner` being the product of the dims after `axis`.
//!
//! The zero point must have the scale's shape (a scalar and a 1-element vector count as the same
//! shape). A scale of rank ≥ 2 is blocked quantisation, which is refused.

use ndarray::ArrayViewD;

use crate::nn::ops::quant::error::{QuantError, shape_err};
use crate::nn::ops::quant::types::{
    IntType, check_dims, check_values, is_per_tensor, resolve_axis,
};

/// The granularity the shapes describe: `None` per-tensor, `Some(axis)` per-axis.
///
/// # Errors
/// Dims over the limits, a scale of rank ≥ 2, a per-axis scale whose length is not
/// `x.shape[axis]`, an axis out of range, a zero point whose shape is not the scale's.
pub fn qdq_granularity(
    op: &'static str,
    x: &[usize],
    scale: &[usize],
    zero_point: Option<&[usize]>,
    axis: i64,
) -> Result<Option<usize>, QuantError> {
    check_dims(op, "x", x)?;
    check_dims(op, "scale", scale)?;
    if let Some(z) = zero_point {
        check_dims(op, "zero point", z)?;
    }
    if is_per_tensor(scale) {
        match zero_point {
            Some(z) if !is_per_tensor(z) => Err(shape_err(
                op,
                format!("zero point {z:?} must have the shape of the scale {scale:?}"),
            )),
            _ => Ok(None),
        }
    } else if scale.len() == 1 {
        let a = resolve_axis(op, axis, x.len())?;
        if scale[0] != x[a] {
            return Err(shape_err(
                op,
                format!(
                    "per-axis scale has {} values but x {x:?} has {} along axis {a}",
                    scale[0], x[a]
                ),
            ));
        }
        match zero_point {
            Some(z) if z != scale => Err(shape_err(
                op,
                format!("zero point {z:?} must have the shape of the scale {scale:?}"),
            )),
            _ => Ok(Some(a)),
        }
    } else {
        Err(shape_err(
            op,
            format!(
                "scale {scale:?} must be a scalar or 1-D (blocked quantisation is not supported)"
            ),
        ))
    }
}

/// Scale and zero point values laid out for lookup by flat (row-major) input index.
#[derive(Clone, Debug)]
pub(crate) struct AxisParams {
    scales: Vec<f32>,
    zero_points: Vec<i64>,
    /// The product of the input dims after the axis (1 per-tensor).
    inner: usize,
}

impl AxisParams {
    /// Resolve and check: shapes as [`qdq_granularity`], zero point values in `ty`'s range.
    pub(crate) fn new(
        op: &'static str,
        x: &[usize],
        scale: &ArrayViewD<f32>,
        zero_point: Option<&ArrayViewD<i64>>,
        axis: i64,
        ty: IntType,
    ) -> Result<AxisParams, QuantError> {
        let g = qdq_granularity(op, x, scale.shape(), zero_point.map(|z| z.shape()), axis)?;
        if let Some(z) = zero_point {
            check_values(op, "zero point", z, ty)?;
        }
        let scales: Vec<f32> = scale.iter().copied().collect();
        let zero_points = match zero_point {
            Some(z) => z.iter().copied().collect(),
            None => vec![0; scales.len()],
        };
        // Per-axis: dims after the axis multiply to at most MAX_ELEMS (checked above).
        let inner = g.map_or(1, |a| x[a + 1..].iter().product());
        Ok(AxisParams { scales, zero_points, inner })
    }

    /// `(scale, zero point)` of the input element at row-major position `flat`.
    pub(crate) fn at(&self, flat: usize) -> (f32, i64) {
        let i = if self.scales.len() == 1 { 0 } else { (flat / self.inner) % self.scales.len() };
        (self.scales[i], self.zero_points[i])
    }

    /// The zero points (one per-tensor, else one per index along the axis).
    pub(crate) fn zero_points(&self) -> &[i64] {
        &self.zero_points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_tensor_ignores_axis() {
        assert_eq!(qdq_granularity("Q", &[2, 3], &[], None, 7), Ok(None));
        assert_eq!(qdq_granularity("Q", &[2, 3], &[1], Some(&[]), 7), Ok(None));
        assert!(qdq_granularity("Q", &[2, 3], &[], Some(&[3]), 1).is_err());
    }

    #[test]
    fn per_axis_needs_matching_lengths() {
        assert_eq!(qdq_granularity("Q", &[2, 3, 4], &[3], Some(&[3]), 1), Ok(Some(1)));
        assert_eq!(qdq_granularity("Q", &[2, 3, 4], &[4], None, -1), Ok(Some(2)));
        assert!(qdq_granularity("Q", &[2, 3, 4], &[3], Some(&[]), 1).is_err());
        assert!(qdq_granularity("Q", &[2, 3, 4], &[3], None, 2).is_err());
        assert!(qdq_granularity("Q", &[2, 3, 4], &[3], None, 3).is_err());
        assert!(qdq_granularity("Q", &[2, 3, 4], &[2, 3], None, 1).is_err());
        assert!(qdq_granularity("Q", &[], &[3], None, 0).is_err());
    }

    #[test]
    fn lookup_by_flat_index() {
        // x [2, 3, 2], axis 1: flat 0..12 → channel (i / 2) % 3.
        let s = ndarray::arr1(&[1.0f32, 2.0, 3.0]).into_dyn();
        let z = ndarray::arr1(&[10i64, 20, 30]).into_dyn();
        let p =
            AxisParams::new("Q", &[2, 3, 2], &s.view(), Some(&z.view()), 1, IntType::U8).unwrap();
        let got: Vec<i64> = (0..12).map(|i| p.at(i).1).collect();
        assert_eq!(got, [10, 10, 20, 20, 30, 30, 10, 10, 20, 20, 30, 30]);
    }
}
