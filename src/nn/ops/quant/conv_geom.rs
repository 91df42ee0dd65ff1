//! Checked 2-D convolution geometry for ConvInteger and QLinearConv, as ONNX defines it.
//!
//! Per spatial axis, with input size n, kernel k, dilation d, stride s and pads pb, pe:
//!
//! ```text
//! out = floor((n + pb + pe − d·(k − 1) − 1) / s) + 1
//! ```
//!
//! `auto_pad` SAME_UPPER / SAME_LOWER choose the pads so that `out = ceil(n / s)`: the total
//! `max(0, (out − 1)·s + d·(k − 1) + 1 − n)` is split in half, the odd one at the end (UPPER)
//! or the beginning (LOWER). VALID means no padding. Dilation is honoured with SAME as ONNX and
//! onnx.reference do (onnxruntime refuses that combination).
//!
//! Every value comes from a file: each is bounded by [`MAX_DIM`] and all arithmetic is done in
//! u64 on bounded values, so nothing can wrap.

use crate::nn::ops::quant::error::{QuantError, attr_err, shape_err};
use crate::nn::ops::quant::types::{MAX_DIM, check_dims};

/// The `auto_pad` attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AutoPad {
    /// Explicit `pads` (the default).
    #[default]
    NotSet,
    SameUpper,
    SameLower,
    Valid,
}

impl AutoPad {
    /// Parse the attribute's string.
    ///
    /// # Errors
    /// [`QuantError::Attr`] for anything but NOTSET, SAME_UPPER, SAME_LOWER, VALID.
    pub fn parse(op: &'static str, s: &str) -> Result<AutoPad, QuantError> {
        Ok(match s {
            "NOTSET" | "" => AutoPad::NotSet,
            "SAME_UPPER" => AutoPad::SameUpper,
            "SAME_LOWER" => AutoPad::SameLower,
            "VALID" => AutoPad::Valid,
            _ => return Err(attr_err(op, "auto_pad", format!("unknown value {s:?}"))),
        })
    }
}

/// The attributes of a Conv-like node as the file has them (`None` when absent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConvAttrs {
    pub auto_pad: AutoPad,
    pub dilations: Option<Vec<i64>>,
    pub group: Option<i64>,
    pub kernel_shape: Option<Vec<i64>>,
    /// `[top, left, bottom, right]` (ONNX: `[x1_begin, x2_begin, x1_end, x2_end]`).
    pub pads: Option<Vec<i64>>,
    pub strides: Option<Vec<i64>>,
}

/// How one spatial axis fits. All fields are at most [`MAX_DIM`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvAxis {
    pub n: usize,
    pub k: usize,
    pub dilation: usize,
    pub stride: usize,
    pub pad_begin: usize,
    pub pad_end: usize,
    pub out: usize,
}

impl ConvAxis {
    /// Fit one axis with explicit pads.
    ///
    /// ```
    /// use convscope::nn::ops::quant::ConvAxis;
    /// // 56 rows, 3×3 kernel, stride 1, pads 1 and 1: (56 + 2 − 2 − 1)/1 + 1 = 56.
    /// assert_eq!(ConvAxis::fit("Conv", 56, 3, 1, 1, (1, 1)).unwrap().out, 56);
    /// // 7 rows, k 3, dilation 2, stride 2, no pads: (7 − 4 − 1)/2 + 1 = 2.
    /// assert_eq!(ConvAxis::fit("Conv", 7, 3, 2, 2, (0, 0)).unwrap().out, 2);
    /// ```
    ///
    /// # Errors
    /// A size, kernel, stride or dilation 0 or over [`MAX_DIM`]; a dilated kernel larger than the
    /// padded input (onnxruntime refuses it; onnx.reference returns an empty axis).
    pub fn fit(
        op: &'static str,
        n: usize,
        k: usize,
        dilation: usize,
        stride: usize,
        (pad_begin, pad_end): (usize, usize),
    ) -> Result<ConvAxis, QuantError> {
        for (what, v) in [("kernel", k), ("stride", stride), ("dilation", dilation)] {
            if v == 0 || v > MAX_DIM {
                return Err(shape_err(op, format!("{what} {v} must be in 1..={MAX_DIM}")));
            }
        }
        if n == 0 {
            return Err(shape_err(op, "an input of size 0 along a spatial axis"));
        }
        for (what, v) in [("input size", n), ("pad", pad_begin), ("pad", pad_end)] {
            if v > MAX_DIM {
                return Err(shape_err(op, format!("{what} {v} is above {MAX_DIM}")));
            }
        }
        // Every operand is at most 2^24: the products stay below 2^49.
        let reach = dilation as u64 * (k as u64 - 1) + 1;
        let padded = (n + pad_begin + pad_end) as u64;
        if reach > padded {
            return Err(shape_err(
                op,
                format!(
                    "the dilated kernel spans {reach} but the padded input is {padded} \
                     ({n} + {pad_begin} + {pad_end})"
                ),
            ));
        }
        let out = ((padded - reach) / stride as u64 + 1) as usize;
        Ok(ConvAxis { n, k, dilation, stride, pad_begin, pad_end, out })
    }

    /// Fit with SAME_UPPER / SAME_LOWER pads: `out = ceil(n / s)`.
    ///
    /// # Errors
    /// As [`ConvAxis::fit`]; pads that would exceed [`MAX_DIM`].
    pub fn fit_same(
        op: &'static str,
        n: usize,
        k: usize,
        dilation: usize,
        stride: usize,
        lower: bool,
    ) -> Result<ConvAxis, QuantError> {
        if stride == 0
            || stride > MAX_DIM
            || k == 0
            || k > MAX_DIM
            || dilation == 0
            || dilation > MAX_DIM
        {
            // Let `fit` word the error.
            return ConvAxis::fit(op, n, k, dilation, stride, (0, 0));
        }
        let target = n.div_ceil(stride) as u64;
        let reach = dilation as u64 * (k as u64 - 1) + 1;
        let total = (target.saturating_sub(1) * stride as u64 + reach).saturating_sub(n as u64);
        if total > 2 * MAX_DIM as u64 {
            return Err(shape_err(op, format!("SAME padding of {total} is too large")));
        }
        let total = total as usize;
        let begin = if lower { total.div_ceil(2) } else { total / 2 };
        ConvAxis::fit(op, n, k, dilation, stride, (begin, total - begin))
    }
}

/// A 2-D convolution resolved against its input and weight shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeom {
    /// N, C: batch and input channels.
    pub batch: usize,
    pub channels: usize,
    /// M: output channels (filters).
    pub filters: usize,
    pub group: usize,
    pub rows: ConvAxis,
    pub cols: ConvAxis,
}

impl ConvGeom {
    /// Input channels per group, `C / group` (the weight's dim 1).
    pub fn cg(&self) -> usize {
        self.channels / self.group
    }

    /// Filters per group, `M / group`.
    pub fn mg(&self) -> usize {
        self.filters / self.group
    }

    /// The length of one filter: `C/group · kh · kw`.
    pub fn taps(&self) -> usize {
        self.cg() * self.rows.k * self.cols.k
    }

    /// `[N, M, OH, OW]`.
    pub fn out_dims(&self) -> [usize; 4] {
        [self.batch, self.filters, self.rows.out, self.cols.out]
    }

    /// `[top, left, bottom, right]` as resolved.
    pub fn pads(&self) -> [usize; 4] {
        [self.rows.pad_begin, self.cols.pad_begin, self.rows.pad_end, self.cols.pad_end]
    }
}

/// A list attribute of `len` values each in `lo..=MAX_DIM`, or `default` when absent.
fn list(
    op: &'static str,
    attr: &'static str,
    v: &Option<Vec<i64>>,
    len: usize,
    lo: i64,
    default: usize,
) -> Result<Vec<usize>, QuantError> {
    let Some(v) = v else { return Ok(vec![default; len]) };
    if v.len() != len {
        return Err(attr_err(op, attr, format!("has {} values, needs {len}", v.len())));
    }
    v.iter()
        .map(|&e| {
            if e < lo || e > MAX_DIM as i64 {
                Err(attr_err(op, attr, format!("value {e} is outside {lo}..={MAX_DIM}")))
            } else {
                Ok(e as usize)
            }
        })
        .collect()
}

/// Resolve a 2-D convolution: x `[N, C, H, W]`, w `[M, C/group, kh, kw]`, the attributes.
///
/// # Errors
/// Ranks other than 4 (1-D and 3-D convs are not supported); attribute lists of the wrong
/// length or with values out of range; `kernel_shape` not matching w; `pads` together with an
/// `auto_pad` other than NOTSET (onnxruntime refuses it); `group` not dividing C and M; a
/// kernel larger than the padded input; an output over the limits.
pub fn conv_geometry(
    op: &'static str,
    x: &[usize],
    w: &[usize],
    a: &ConvAttrs,
) -> Result<ConvGeom, QuantError> {
    check_dims(op, "x", x)?;
    check_dims(op, "w", w)?;
    if x.len() != w.len() || x.len() < 3 {
        return Err(shape_err(op, format!("x {x:?} and w {w:?} must have the same rank ≥ 3")));
    }
    if x.len() != 4 {
        return Err(QuantError::Unsupported {
            op,
            what: format!("a {}-D convolution (only 2-D, [N, C, H, W])", x.len() - 2),
        });
    }
    let (kh, kw) = (w[2], w[3]);
    if let Some(ks) = &a.kernel_shape
        && (ks.len() != 2 || ks[0] != kh as i64 || ks[1] != kw as i64)
    {
        return Err(attr_err(op, "kernel_shape", format!("{ks:?} does not match w {w:?}")));
    }
    let strides = list(op, "strides", &a.strides, 2, 1, 1)?;
    let dil = list(op, "dilations", &a.dilations, 2, 1, 1)?;
    let group = match a.group {
        None => 1,
        Some(g) if (1..=MAX_DIM as i64).contains(&g) => g as usize,
        Some(g) => return Err(attr_err(op, "group", format!("{g} is outside 1..={MAX_DIM}"))),
    };
    // Dims are at most 2^24, group too: the product fits in u64.
    if x[1] as u64 != w[1] as u64 * group as u64 {
        return Err(shape_err(
            op,
            format!(
                "x has {} channels but w {w:?} with group {group} needs {}",
                x[1],
                w[1] * group
            ),
        ));
    }
    if !w[0].is_multiple_of(group) {
        return Err(shape_err(op, format!("group {group} does not divide the {} filters", w[0])));
    }
    if a.auto_pad != AutoPad::NotSet && a.pads.is_some() {
        return Err(attr_err(op, "pads", "given together with auto_pad (onnxruntime refuses it)"));
    }
    let (rows, cols) = match a.auto_pad {
        AutoPad::NotSet | AutoPad::Valid => {
            let p = list(op, "pads", &a.pads, 4, 0, 0)?;
            (
                ConvAxis::fit(op, x[2], kh, dil[0], strides[0], (p[0], p[2]))?,
                ConvAxis::fit(op, x[3], kw, dil[1], strides[1], (p[1], p[3]))?,
            )
        }
        AutoPad::SameUpper | AutoPad::SameLower => {
            let lower = a.auto_pad == AutoPad::SameLower;
            (
                ConvAxis::fit_same(op, x[2], kh, dil[0], strides[0], lower)?,
                ConvAxis::fit_same(op, x[3], kw, dil[1], strides[1], lower)?,
            )
        }
    };
    let g = ConvGeom { batch: x[0], channels: x[1], filters: w[0], group, rows, cols };
    check_dims(op, "output", &g.out_dims())?;
    Ok(g)
}

#[cfg(test)]
#[path = "conv_geom_tests.rs"]
mod tests;
