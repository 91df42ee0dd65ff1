//! QLinearConv: an exact integer convolution, plus bias, requantised to 8 bits.
//!
//! ```text
//! acc[n, m, r, c] = Σ (x − x_zp)(w − w_zp[m]) + B[m]          (exact; must fit int32)
//! y = saturate(round(f32(acc) · (x_scale · w_scale[m]) / y_scale) + y_zp)
//! ```
//!
//! as onnxruntime computes it (see [`crate::nn::ops::quant::round`]). x, w and y are uint8 or int8 each; the
//! scale and zero point of x and y are per-tensor, w's scale and zero point each per-tensor or
//! one per filter (independently, as onnxruntime accepts). B is int32 `[M]`. onnxruntime 1.32
//! implements only x and y of the same type and w int8 unless x is uint8; the spec and these
//! kernels allow every combination.

use ndarray::{ArrayD, ArrayViewD};

use crate::nn::ops::quant::conv_geom::{ConvAttrs, conv_geometry};
use crate::nn::ops::quant::conv_integer::{
    check_conv_zero_point_dims, check_int32, conv_accumulate, conv_operands,
};
use crate::nn::ops::quant::error::{QuantError, shape_err};
use crate::nn::ops::quant::inputs::{IntInput, QDims, QInput, QOutput};
use crate::nn::ops::quant::qdq::from_vec;
use crate::nn::ops::quant::round::{multiplier, requantize};
use crate::nn::ops::quant::types::{IntType, check_dims, check_int, is_per_tensor, require_type};

const OP: &str = "QLinearConv";

/// The output dims of QLinearConv, `[N, M, OH, OW]`, after checking every shape.
///
/// # Errors
/// As [`conv_geometry`]; any scale, zero point or bias of the wrong shape.
pub fn output_dims_qlinear_conv(
    x: QDims,
    w: QDims,
    y_scale: &[usize],
    y_zero_point: &[usize],
    bias: Option<&[usize]>,
    attrs: &ConvAttrs,
) -> Result<Vec<usize>, QuantError> {
    let g = conv_geometry(OP, x.data, w.data, attrs)?;
    let m = g.filters;
    let mut all = vec![x.scale, x.zero_point, w.scale, w.zero_point, y_scale, y_zero_point];
    all.extend(bias);
    for d in all {
        check_dims(OP, "parameter", d)?;
    }
    check_conv_zero_point_dims(OP, Some(x.zero_point), Some(w.zero_point), m)?;
    for (what, d) in [("x_scale", x.scale), ("y_scale", y_scale), ("y_zero_point", y_zero_point)] {
        if !is_per_tensor(d) {
            return Err(shape_err(OP, format!("{what} {d:?} must be a scalar")));
        }
    }
    if !is_per_tensor(w.scale) && w.scale != [m] {
        return Err(shape_err(
            OP,
            format!("w_scale {:?} must be a scalar or have one value per filter ([{m}])", w.scale),
        ));
    }
    if let Some(b) = bias
        && b != [m]
    {
        return Err(shape_err(
            OP,
            format!("bias {b:?} must be 1-D with one value per filter ([{m}])"),
        ));
    }
    Ok(g.out_dims().to_vec())
}

/// Everything needed to requantise filter `m`'s sums.
pub(crate) struct Requant {
    /// One per filter.
    pub multipliers: Vec<f32>,
    pub bias: Vec<i64>,
    pub y_zp: i64,
    pub ty: IntType,
}

/// The checked operands of a QLinearConv: the conv's, and the requantisation.
pub(crate) fn qconv_operands(
    x: &QInput,
    w: &QInput,
    y: &QOutput,
    bias: Option<&ArrayViewD<i64>>,
    attrs: &ConvAttrs,
) -> Result<(crate::nn::ops::quant::conv_integer::ConvOperands, Requant), QuantError> {
    output_dims_qlinear_conv(
        QDims { data: x.data.shape(), scale: x.scale.shape(), zero_point: x.zero_point.shape() },
        QDims { data: w.data.shape(), scale: w.scale.shape(), zero_point: w.zero_point.shape() },
        y.scale.shape(),
        y.zero_point.shape(),
        bias.map(|b| b.shape()),
        attrs,
    )?;
    require_type(OP, "y", y.ty, &[IntType::U8, IntType::I8], "uint8, int8")?;
    let xi = IntInput { data: x.data.view(), ty: x.ty, zero_point: Some(x.zero_point.view()) };
    let wi = IntInput { data: w.data.view(), ty: w.ty, zero_point: Some(w.zero_point.view()) };
    let o = conv_operands(OP, &xi, &wi, attrs)?;
    check_int(OP, "y_zero_point", &y.zero_point, y.ty)?;
    let m = o.geom.filters;
    let first = |v: &ArrayViewD<f32>| v.iter().next().copied().unwrap_or(1.0);
    let (xs, ys) = (first(&x.scale), first(&y.scale));
    let ws: Vec<f32> = w.scale.iter().copied().collect();
    let multipliers =
        (0..m).map(|i| multiplier(xs, if ws.len() == 1 { ws[0] } else { ws[i] }, ys)).collect();
    let bias = match bias {
        Some(b) => {
            check_int(OP, "B", b, IntType::I32)?;
            b.iter().copied().collect()
        }
        None => vec![0; m],
    };
    let y_zp = y.zero_point.iter().next().copied().unwrap_or(0);
    Ok((o, Requant { multipliers, bias, y_zp, ty: y.ty }))
}

/// QLinearConv (opset 10): `[N, M, OH, OW]` values of `y.ty`.
///
/// # Errors
/// As [`output_dims_qlinear_conv`]; types other than uint8/int8 (int32 for B); values outside
/// their types; an accumulator (sum plus bias) outside int32.
pub fn qlinear_conv(
    x: QInput,
    w: QInput,
    y: QOutput,
    bias: Option<ArrayViewD<i64>>,
    attrs: &ConvAttrs,
) -> Result<ArrayD<i64>, QuantError> {
    let (o, rq) = qconv_operands(&x, &w, &y, bias.as_ref(), attrs)?;
    let mut acc = conv_accumulate(&o);
    let dims = o.geom.out_dims();
    let pixels = dims[2] * dims[3];
    for (i, v) in acc.iter_mut().enumerate() {
        *v += rq.bias[(i / pixels.max(1)) % dims[1].max(1)];
    }
    check_int32(OP, &dims, &acc)?;
    for (i, v) in acc.iter_mut().enumerate() {
        let m = (i / pixels.max(1)) % dims[1].max(1);
        *v = requantize(*v, rq.multipliers[m], rq.y_zp, rq.ty);
    }
    Ok(from_vec(&dims, acc))
}

#[cfg(test)]
#[path = "qlinear_conv_tests.rs"]
mod tests;
