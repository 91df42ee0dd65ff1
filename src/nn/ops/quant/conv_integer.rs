//! ConvInteger, and the exact integer convolution QLinearConv shares with it.
//!
//! `y[n, m, r, c] = Σ_{ci, i, j} (x[n, g·C/group + ci, r·s − pt + i·d, c·s − pl + j·d] − x_zp)
//!                              · (w[m, ci, i, j] − w_zp[m])`
//!
//! where `g` is the group of filter `m`. Padding contributes nothing: a padded cell counts as
//! `x_zp` (real value 0), as in onnx.reference and onnxruntime. The sum is exact (i64); ONNX's
//! output type is int32, so a sum outside int32 is an error rather than onnxruntime's silent
//! wrap-around.
//!
//! Method: per image and group, im2col into tiles of output pixels (`taps × T` i32 values,
//! at most [`TILE_VALUES`]) and one exact integer GEMM per tile ([`crate::nn::ops::quant::gemm`]).

use ndarray::ArrayD;

use crate::nn::ops::quant::conv_geom::{ConvAttrs, ConvGeom, conv_geometry};
use crate::nn::ops::quant::error::{QuantError, shape_err};
use crate::nn::ops::quant::gemm::gemm_exact;
pub use crate::nn::ops::quant::inputs::IntInput;
use crate::nn::ops::quant::qdq::from_vec;
use crate::nn::ops::quant::types::{IntType, check_dims, check_int, is_per_tensor, require_type};

const OP: &str = "ConvInteger";
/// The most i32 values in one im2col tile (1 MiB).
pub(crate) const TILE_VALUES: usize = 1 << 18;

/// Checks the zero points of a conv: x per-tensor; w per-tensor or one per filter (`[M]`).
pub(crate) fn check_conv_zero_point_dims(
    op: &'static str,
    x_zp: Option<&[usize]>,
    w_zp: Option<&[usize]>,
    filters: usize,
) -> Result<(), QuantError> {
    if let Some(z) = x_zp
        && !is_per_tensor(z)
    {
        return Err(shape_err(op, format!("x_zero_point {z:?} must be a scalar")));
    }
    if let Some(z) = w_zp
        && !is_per_tensor(z)
        && z != [filters]
    {
        return Err(shape_err(
            op,
            format!(
                "w_zero_point {z:?} must be a scalar or have one value per filter ([{filters}])"
            ),
        ));
    }
    Ok(())
}

/// The output dims of ConvInteger, `[N, M, OH, OW]`, after checking every shape and attribute.
///
/// # Errors
/// As [`conv_geometry`]; zero points of the wrong shape.
pub fn output_dims_conv_integer(
    x: &[usize],
    x_zero_point: Option<&[usize]>,
    w: &[usize],
    w_zero_point: Option<&[usize]>,
    attrs: &ConvAttrs,
) -> Result<Vec<usize>, QuantError> {
    let g = conv_geometry(OP, x, w, attrs)?;
    for z in [x_zero_point, w_zero_point].into_iter().flatten() {
        check_dims(OP, "zero point", z)?;
    }
    check_conv_zero_point_dims(OP, x_zero_point, w_zero_point, g.filters)?;
    Ok(g.out_dims().to_vec())
}

/// A checked conv input: geometry, values in standard layout, zero points.
pub(crate) struct ConvOperands {
    pub geom: ConvGeom,
    pub x: Vec<i64>,
    pub x_zp: i64,
    pub w: Vec<i64>,
    /// One per filter (a per-tensor zero point is repeated).
    pub w_zp: Vec<i64>,
}

/// Check and gather a conv's operands (x and w uint8/int8, zero points of their types).
pub(crate) fn conv_operands(
    op: &'static str,
    x: &IntInput,
    w: &IntInput,
    attrs: &ConvAttrs,
) -> Result<ConvOperands, QuantError> {
    let eight = [IntType::U8, IntType::I8];
    require_type(op, "x", x.ty, &eight, "uint8, int8")?;
    require_type(op, "w", w.ty, &eight, "uint8, int8")?;
    let geom = conv_geometry(op, x.data.shape(), w.data.shape(), attrs)?;
    let (xz, wz) = (x.zero_point.as_ref(), w.zero_point.as_ref());
    check_conv_zero_point_dims(op, xz.map(|z| z.shape()), wz.map(|z| z.shape()), geom.filters)?;
    check_int(op, "x", &x.data, x.ty)?;
    check_int(op, "w", &w.data, w.ty)?;
    let x_zp = match xz {
        Some(z) => {
            check_int(op, "x_zero_point", z, x.ty)?;
            z.iter().next().copied().unwrap_or(0)
        }
        None => 0,
    };
    let w_zp = match wz {
        Some(z) => {
            check_int(op, "w_zero_point", z, w.ty)?;
            let v: Vec<i64> = z.iter().copied().collect();
            if v.len() == 1 { vec![v[0]; geom.filters] } else { v }
        }
        None => vec![0; geom.filters],
    };
    let x = x.data.as_standard_layout().iter().copied().collect();
    let w = w.data.as_standard_layout().iter().copied().collect();
    Ok(ConvOperands { geom, x, x_zp, w, w_zp })
}

/// The exact sums `[N, M, OH, OW]` (row-major) of a checked conv.
pub(crate) fn conv_accumulate(o: &ConvOperands) -> Vec<i64> {
    conv_accumulate_tiled(o, TILE_VALUES)
}

/// [`conv_accumulate`] with im2col tiles of at most `tile_values` values (at least one pixel).
pub(crate) fn conv_accumulate_tiled(o: &ConvOperands, tile_values: usize) -> Vec<i64> {
    let g = &o.geom;
    let (cg, mg, taps) = (g.cg(), g.mg(), g.taps());
    let (kh, kw) = (g.rows.k, g.cols.k);
    let (h, wd) = (g.rows.n, g.cols.n);
    let (oh, ow) = (g.rows.out, g.cols.out);
    let pixels = oh * ow;
    // Weights minus their zero points: [M][taps], each in [−255, 255] (same 8-bit type).
    let wp: Vec<i32> =
        o.w.chunks_exact(taps.max(1))
            .zip(&o.w_zp)
            .flat_map(|(row, &z)| row.iter().map(move |&v| (v - z) as i32))
            .collect();
    let mut y = vec![0i64; g.batch * g.filters * pixels];
    if taps == 0 || pixels == 0 {
        return y;
    }
    let tile = (tile_values / taps).clamp(1, pixels);
    let mut col = vec![0i32; taps * tile];
    let mut out = vec![0i64; mg * tile];
    let mut acc = Vec::new();
    let (sr, sc) = (g.rows.stride as i64, g.cols.stride as i64);
    let (dr, dc) = (g.rows.dilation as i64, g.cols.dilation as i64);
    let (pt, pl) = (g.rows.pad_begin as i64, g.cols.pad_begin as i64);
    for n in 0..g.batch {
        for grp in 0..g.group {
            let x_base = (n * g.channels + grp * cg) * h * wd;
            let mut p0 = 0;
            while p0 < pixels {
                let t = tile.min(pixels - p0);
                // im2col: row (ci, i, j) holds the tap of each pixel p0..p0 + t.
                for ci in 0..cg {
                    let plane = &o.x[x_base + ci * h * wd..x_base + (ci + 1) * h * wd];
                    for i in 0..kh {
                        for j in 0..kw {
                            let row = (ci * kh + i) * kw + j;
                            let dst = &mut col[row * t..(row + 1) * t];
                            for (q, d) in dst.iter_mut().enumerate() {
                                let p = p0 + q;
                                let r = (p / ow) as i64 * sr - pt + i as i64 * dr;
                                let c = (p % ow) as i64 * sc - pl + j as i64 * dc;
                                *d = if r >= 0 && (r as usize) < h && c >= 0 && (c as usize) < wd {
                                    (plane[r as usize * wd + c as usize] - o.x_zp) as i32
                                } else {
                                    0
                                };
                            }
                        }
                    }
                }
                let out = &mut out[..mg * t];
                out.fill(0);
                let a = &wp[grp * mg * taps..(grp + 1) * mg * taps];
                gemm_exact(a, &col[..taps * t], (mg, taps, t), out, &mut acc);
                for (mi, row) in out.chunks_exact(t).enumerate() {
                    let base = ((n * g.filters) + grp * mg + mi) * pixels + p0;
                    y[base..base + t].copy_from_slice(row);
                }
                p0 += t;
            }
        }
    }
    y
}

/// Refuse a sum outside int32, naming its `[N, M, OH, OW]` index.
pub(crate) fn check_int32(op: &'static str, dims: &[usize], v: &[i64]) -> Result<(), QuantError> {
    let Some((flat, &value)) = v.iter().enumerate().find(|&(_, &s)| !IntType::I32.contains(s))
    else {
        return Ok(());
    };
    let mut index = vec![0; dims.len()];
    let mut rest = flat;
    for (ix, &d) in index.iter_mut().zip(dims).rev() {
        *ix = rest % d.max(1);
        rest /= d.max(1);
    }
    Err(QuantError::Int32Overflow { op, index, value })
}

/// ConvInteger (opset 10): the exact int32 convolution of `x − x_zero_point` and
/// `w − w_zero_point`, `[N, M, OH, OW]`.
///
/// x and w are uint8 or int8 (independently); x's zero point is a scalar, w's a scalar or one
/// per filter (onnxruntime 1.32 supports only a scalar w zero point; onnx.reference and the
/// spec allow both).
///
/// # Errors
/// As [`output_dims_conv_integer`]; types other than uint8/int8; values outside their types;
/// a sum outside int32.
pub fn conv_integer(
    x: IntInput,
    w: IntInput,
    attrs: &ConvAttrs,
) -> Result<ArrayD<i64>, QuantError> {
    let o = conv_operands(OP, &x, &w, attrs)?;
    let y = conv_accumulate(&o);
    let dims = o.geom.out_dims();
    check_int32(OP, &dims, &y)?;
    Ok(from_vec(&dims, y))
}

#[cfg(test)]
#[path = "conv_integer_tests.rs"]
mod tests;
