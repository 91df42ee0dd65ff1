//! MatMulInteger and QLinearMatMul.
//!
//! * `MatMulInteger`: `Y = (A − a_zp) · (B − b_zp)`, exact, int32 output.
//! * `QLinearMatMul`: `y = saturate(round(f32(acc) · (a_scale · b_scale) / y_scale) + y_zp)`
//!   with `acc` the MatMulInteger sum; a's scale/zp per tensor or per row, b's per tensor or per
//!   column (see [`crate::nn::ops::quant::matmul_shape`]), y's per tensor.
//!
//! Batch dims broadcast as numpy.matmul. Every batch is one exact integer GEMM.

use ndarray::ArrayD;

use crate::nn::ops::quant::conv_integer::check_int32;
use crate::nn::ops::quant::error::{QuantError, shape_err};
use crate::nn::ops::quant::gemm::gemm_exact;
use crate::nn::ops::quant::inputs::{IntInput, QDims, QInput, QOutput};
use crate::nn::ops::quant::matmul_shape::{
    MatMulShape, a_param_per_row, b_param_per_col, matmul_shape,
};
use crate::nn::ops::quant::qdq::from_vec;
use crate::nn::ops::quant::round::{multiplier, requantize};
use crate::nn::ops::quant::types::{IntType, check_dims, check_int, is_per_tensor, require_type};

const MMI: &str = "MatMulInteger";
const QLM: &str = "QLinearMatMul";

/// The output dims of MatMulInteger, after checking both operands and zero points.
///
/// # Errors
/// As [`matmul_shape`]; zero points neither per tensor nor per row (A) / per column (B).
pub fn output_dims_matmul_integer(
    a: &[usize],
    a_zero_point: Option<&[usize]>,
    b: &[usize],
    b_zero_point: Option<&[usize]>,
) -> Result<Vec<usize>, QuantError> {
    let s = matmul_shape(MMI, a, b)?;
    if let Some(z) = a_zero_point {
        a_param_per_row(MMI, "a_zero_point", z, a)?;
    }
    if let Some(z) = b_zero_point {
        b_param_per_col(MMI, "b_zero_point", z, b)?;
    }
    Ok(s.out_dims)
}

/// The output dims of QLinearMatMul, after checking every operand and parameter.
///
/// # Errors
/// As [`output_dims_matmul_integer`]; scales of the wrong layout; y's scale or zero point not
/// a scalar.
pub fn output_dims_qlinear_matmul(
    a: QDims,
    b: QDims,
    y_scale: &[usize],
    y_zero_point: &[usize],
) -> Result<Vec<usize>, QuantError> {
    let s = matmul_shape(QLM, a.data, b.data)?;
    a_param_per_row(QLM, "a_scale", a.scale, a.data)?;
    a_param_per_row(QLM, "a_zero_point", a.zero_point, a.data)?;
    b_param_per_col(QLM, "b_scale", b.scale, b.data)?;
    b_param_per_col(QLM, "b_zero_point", b.zero_point, b.data)?;
    for (what, d) in [("y_scale", y_scale), ("y_zero_point", y_zero_point)] {
        check_dims(QLM, what, d)?;
        if !is_per_tensor(d) {
            return Err(shape_err(QLM, format!("{what} {d:?} must be a scalar")));
        }
    }
    Ok(s.out_dims)
}

/// Checked operands: values in row-major order, one zero point per tensor or per row/column.
struct Operands {
    shape: MatMulShape,
    a: Vec<i64>,
    b: Vec<i64>,
    a_zp: Vec<i64>,
    b_zp: Vec<i64>,
}

/// A per-tensor (1 value) or per-row/column parameter at batch `batch`, position `i` of `len`.
fn at<T: Copy>(p: &[T], batch: usize, len: usize, i: usize) -> T {
    if p.len() == 1 { p[0] } else { p[batch * len + i] }
}

fn operands(op: &'static str, a: &IntInput, b: &IntInput) -> Result<Operands, QuantError> {
    let eight = [IntType::U8, IntType::I8];
    require_type(op, "A", a.ty, &eight, "uint8, int8")?;
    require_type(op, "B", b.ty, &eight, "uint8, int8")?;
    let (az, bz) = (a.zero_point.as_ref(), b.zero_point.as_ref());
    let (ad, bd) = (a.data.shape(), b.data.shape());
    output_dims_matmul_integer(ad, az.map(|z| z.shape()), bd, bz.map(|z| z.shape()))
        .map_err(|e| rename(e, op))?;
    check_int(op, "A", &a.data, a.ty)?;
    check_int(op, "B", &b.data, b.ty)?;
    let zp = |z: Option<&ndarray::ArrayViewD<i64>>, ty, what| -> Result<Vec<i64>, QuantError> {
        match z {
            Some(z) => {
                check_int(op, what, z, ty)?;
                Ok(z.as_standard_layout().iter().copied().collect())
            }
            None => Ok(vec![0]),
        }
    };
    Ok(Operands {
        shape: matmul_shape(op, ad, bd)?,
        a: a.data.as_standard_layout().iter().copied().collect(),
        b: b.data.as_standard_layout().iter().copied().collect(),
        a_zp: zp(az, a.ty, "a_zero_point")?,
        b_zp: zp(bz, b.ty, "b_zero_point")?,
    })
}

/// Put `op`'s name on a shape error raised under MatMulInteger's.
fn rename(e: QuantError, op: &'static str) -> QuantError {
    match e {
        QuantError::Shape { msg, .. } => QuantError::Shape { op, msg },
        other => other,
    }
}

/// The exact sums, `[out batch, M, N]` row-major, and for each output batch its (A, B) batch.
fn accumulate(o: &Operands) -> (Vec<i64>, Vec<(usize, usize)>) {
    let MatMulShape { m, k, n, .. } = o.shape;
    let pairs = o.shape.batch_pairs();
    let mut y = vec![0i64; pairs.len() * m * n];
    let (mut ap, mut bp) = (Vec::with_capacity(m * k), Vec::with_capacity(k * n));
    let mut packed_b = None;
    let mut acc = Vec::new();
    for (ob, &(ab, bb)) in pairs.iter().enumerate() {
        // A − a_zp (per row), B − b_zp (per column): each in [−255, 255].
        ap.clear();
        for (row, vals) in o.a[ab * m * k..(ab + 1) * m * k].chunks_exact(k.max(1)).enumerate() {
            let z = at(&o.a_zp, ab, m, row);
            ap.extend(vals.iter().map(|&v| (v - z) as i32));
        }
        if packed_b != Some(bb) {
            bp.clear();
            for vals in o.b[bb * k * n..(bb + 1) * k * n].chunks_exact(n.max(1)) {
                bp.extend(
                    vals.iter().enumerate().map(|(col, &v)| (v - at(&o.b_zp, bb, n, col)) as i32),
                );
            }
            packed_b = Some(bb);
        }
        gemm_exact(&ap, &bp, (m, k, n), &mut y[ob * m * n..(ob + 1) * m * n], &mut acc);
    }
    (y, pairs)
}

/// MatMulInteger (opset 10): the exact int32 product of `A − a_zero_point` and
/// `B − b_zero_point`, numpy.matmul broadcasting.
///
/// # Errors
/// As [`output_dims_matmul_integer`]; types other than uint8/int8; values outside their
/// types; a sum outside int32.
pub fn matmul_integer(a: IntInput, b: IntInput) -> Result<ArrayD<i64>, QuantError> {
    let o = operands(MMI, &a, &b)?;
    let (y, _) = accumulate(&o);
    check_int32(MMI, &o.shape.out_dims, &y)?;
    Ok(from_vec(&o.shape.out_dims, y))
}

/// QLinearMatMul (opsets 10, 21): `y.ty` values of the requantised product.
///
/// # Errors
/// As [`output_dims_qlinear_matmul`]; types other than uint8/int8; values outside their types;
/// a sum outside int32.
pub fn qlinear_matmul(a: QInput, b: QInput, y: QOutput) -> Result<ArrayD<i64>, QuantError> {
    let dims = |q: &QInput| {
        (q.data.shape().to_vec(), q.scale.shape().to_vec(), q.zero_point.shape().to_vec())
    };
    let ((ad, asd, azd), (bd, bsd, bzd)) = (dims(&a), dims(&b));
    output_dims_qlinear_matmul(
        QDims { data: &ad, scale: &asd, zero_point: &azd },
        QDims { data: &bd, scale: &bsd, zero_point: &bzd },
        y.scale.shape(),
        y.zero_point.shape(),
    )?;
    require_type(QLM, "y", y.ty, &[IntType::U8, IntType::I8], "uint8, int8")?;
    check_int(QLM, "y_zero_point", &y.zero_point, y.ty)?;
    let ai = IntInput { data: a.data.view(), ty: a.ty, zero_point: Some(a.zero_point.view()) };
    let bi = IntInput { data: b.data.view(), ty: b.ty, zero_point: Some(b.zero_point.view()) };
    let o = operands(QLM, &ai, &bi)?;
    let (mut acc, pairs) = accumulate(&o);
    check_int32(QLM, &o.shape.out_dims, &acc)?;
    let a_s: Vec<f32> = a.scale.as_standard_layout().iter().copied().collect();
    let b_s: Vec<f32> = b.scale.as_standard_layout().iter().copied().collect();
    let y_s = y.scale.iter().next().copied().unwrap_or(1.0);
    let y_zp = y.zero_point.iter().next().copied().unwrap_or(0);
    let (m, n) = (o.shape.m, o.shape.n);
    for (ob, &(ab, bb)) in pairs.iter().enumerate() {
        let block = &mut acc[ob * m * n..(ob + 1) * m * n];
        for (row, vals) in block.chunks_exact_mut(n.max(1)).enumerate() {
            let sa = at(&a_s, ab, m, row);
            for (col, v) in vals.iter_mut().enumerate() {
                let mult = multiplier(sa, at(&b_s, bb, n, col), y_s);
                *v = requantize(*v, mult, y_zp, y.ty);
            }
        }
    }
    Ok(from_vec(&o.shape.out_dims, acc))
}

#[cfg(test)]
#[path = "matmul_tests.rs"]
mod tests;
