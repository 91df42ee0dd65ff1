//! ONNX Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9) on f32 tensors.
//!
//! Resize is separable: each resized axis maps every output index `y` to a coordinate
//! `x_original` in the input ([`CoordTransform`]), takes a few neighbours of it with weights
//! (one for nearest, two for linear, four for cubic, more when antialiasing stretches the filter)
//! and the output is the weighted sum, axis after axis. [`output_dims`] fixes the sizes and the
//! effective scale of every axis, [`resize()`] (or [`resize_into`]) runs the kernel, [`source`]
//! explains one output index of one axis.
//!
//! Ground truth is the ONNX operator text and `onnx.reference`; where the two disagree, or the
//! reference cannot run the op, onnxruntime decides:
//! - coordinates are computed in f64 from the f32 `scales` (as the reference does), and a scale
//!   from `sizes` is `size/in` in f64, which is why effective scales are `f64` here;
//! - `align_corners`, `tf_crop_and_resize` and `pytorch_half_pixel` use the integer output length
//!   (the operator text and onnxruntime; the reference uses the fractional `in·scale`);
//!   `pytorch_half_pixel` maps a length-1 output to 0 (the text; the reference says −0.5);
//! - Upsample and Resize 10 follow onnxruntime in f32 ([`NearestMode::Simple`]);
//! - the output size ignores `roi` (both runtimes), although the text multiplies by it;
//! - `exclude_outside` follows the reference for every mode: a nearest sample that falls outside
//!   the input reads 0 (onnxruntime refuses the attribute there), and for linear without
//!   antialias it changes nothing.
//!
//! Taps of weight exactly 0 are dropped from the kernel's tables, so an `inf` or NaN input
//! sample the reference would multiply by 0 (and so spread as NaN) is not read here.

mod coords;
mod kernel;
mod params;

pub use coords::{SourceCoord, source};
pub use kernel::{resize, resize_into};
pub use params::{
    CoordTransform, KeepAspect, Mode, NearestMode, ResizeAttrs, ResizeOp, ResizeParams, parse_coord,
};

use crate::nn::ops::bounds::{MAX_DIM, MAX_ELEMS, count, dims_str};

/// Why a Resize node cannot run. Messages carry the attribute or input and its value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ResizeError {
    #[error("unknown {attr} '{value}'")]
    Unknown { attr: &'static str, value: String },
    #[error("{attr} = {value} is not allowed")]
    BadValue { attr: &'static str, value: String },
    #[error("Resize opset {opset} does not exist (Resize starts at 10; before it, Upsample)")]
    Opset { opset: u32 },
    #[error("attribute {attr} does not exist in this op's opset {opset}")]
    AttrNotInOpset { attr: &'static str, opset: u32 },
    #[error("antialias = 1 needs mode linear or cubic, not nearest")]
    AntialiasNearest,
    #[error("axis {axis} is out of range for rank {rank}")]
    BadAxis { axis: i64, rank: usize },
    #[error("axis {axis} is listed twice in axes")]
    RepeatedAxis { axis: i64 },
    #[error("give exactly one of scales and sizes (got {got})")]
    ScalesOrSizes { got: &'static str },
    #[error("{what} has {got} values, expected {want} (one per resized axis)")]
    Length { what: &'static str, got: usize, want: usize },
    #[error("scale {scale} on axis {axis} must be a finite number > 0")]
    BadScale { axis: usize, scale: f32 },
    #[error("Upsample scale {scale} on axis {axis} is below 1 (Upsample only enlarges)")]
    UpsampleBelowOne { axis: usize, scale: f32 },
    #[error("size {size} on axis {axis} must be at least 1")]
    BadSize { axis: usize, size: i64 },
    #[error("axis {axis} is empty: it cannot be resized to {size}")]
    EmptyInput { axis: usize, size: i64 },
    #[error("{what} needs an roi (2 values per resized axis)")]
    NoRoi { what: &'static str },
    #[error("roi value {value} is not finite")]
    BadRoi { value: f32 },
    #[error("{input} on axis {axis} gives an output of {value} (at most {MAX_DIM})")]
    DimTooLarge { axis: usize, input: String, value: f64 },
    #[error("the output {dims} holds too many values (at most {MAX_ELEMS})")]
    TooManyValues { dims: String },
}

/// The output dims and the effective scale of every axis (1 for an axis that is not resized).
///
/// Opset 19 rules: with `scales`, `out = floor(in·scale)` (in f64, as the reference does); with
/// `sizes`, `out = size` and `scale = size/in`, unless `keep_aspect_ratio_policy` is
/// `not_larger`/`not_smaller`: then one scale `min`/`max(size/in)` over the resized axes and
/// `out = round_half_up(scale·in)`. An empty `scales` or `sizes` counts as absent (opset 11 must
/// pass an empty `scales` with `sizes`). `roi` is only checked here (tf_crop_and_resize).
///
/// ```
/// use convscope::nn::ops::resize::{Mode, ResizeParams, output_dims};
/// let p = ResizeParams::new(Mode::Nearest);
/// let (dims, scales) = output_dims(&[1, 3, 5, 7], Some(&[1.0, 1.0, 2.0, 0.5]), None, None, &p)
///     .unwrap();
/// assert_eq!(dims, [1, 3, 10, 3]); // floor(7·0.5) = 3
/// assert_eq!(scales, [1.0, 1.0, 2.0, 0.5]);
/// ```
///
/// # Errors
/// Both or neither of scales/sizes; a length that does not match the resized axes; a scale that
/// is not finite and > 0 (or < 1 for Upsample); a size < 1, or > 0 on an empty axis; a missing
/// or non-finite roi for tf_crop_and_resize; any output dim above [`MAX_DIM`] or a total above
/// [`MAX_ELEMS`].
pub fn output_dims(
    in_dims: &[usize],
    scales: Option<&[f32]>,
    sizes: Option<&[i64]>,
    roi: Option<&[f32]>,
    p: &ResizeParams,
) -> Result<(Vec<usize>, Vec<f64>), ResizeError> {
    let rank = in_dims.len();
    let axes = p.resized_axes(rank);
    if let Some(&bad) = axes.iter().find(|&&a| a >= rank) {
        return Err(ResizeError::BadAxis { axis: bad as i64, rank });
    }
    let scales = scales.filter(|s| !s.is_empty());
    let sizes = sizes.filter(|s| !s.is_empty());
    let mut dims = in_dims.to_vec();
    let mut eff = vec![1.0f64; rank];
    let bounded = |axis: usize, input: String, v: f64| {
        if v <= MAX_DIM as f64 {
            Ok(v as usize)
        } else {
            Err(ResizeError::DimTooLarge { axis, input, value: v })
        }
    };
    match (scales, sizes) {
        (Some(s), None) => {
            check_len("scales", s.len(), axes.len())?;
            for (&axis, &scale) in axes.iter().zip(s) {
                if !(scale.is_finite() && scale > 0.0) {
                    return Err(ResizeError::BadScale { axis, scale });
                }
                if p.op == ResizeOp::Upsample && scale < 1.0 {
                    return Err(ResizeError::UpsampleBelowOne { axis, scale });
                }
                let s64 = f64::from(scale);
                let out = (in_dims[axis] as f64 * s64).floor();
                dims[axis] = bounded(axis, format!("{} × {scale}", in_dims[axis]), out)?;
                eff[axis] = s64;
            }
        }
        (None, Some(z)) => {
            if p.op.is_legacy() {
                return Err(ResizeError::ScalesOrSizes { got: "sizes, which this opset lacks" });
            }
            check_len("sizes", z.len(), axes.len())?;
            for (&axis, &size) in axes.iter().zip(z) {
                if size < 1 {
                    return Err(ResizeError::BadSize { axis, size });
                }
                if in_dims[axis] == 0 {
                    return Err(ResizeError::EmptyInput { axis, size });
                }
                bounded(axis, format!("size {size}"), size as f64)?;
            }
            let ratio = |i: usize| z[i] as f64 / in_dims[axes[i]] as f64;
            let common = match p.keep_aspect_ratio_policy {
                KeepAspect::Stretch => None,
                KeepAspect::NotLarger => (0..axes.len()).map(ratio).reduce(f64::min),
                KeepAspect::NotSmaller => (0..axes.len()).map(ratio).reduce(f64::max),
            };
            for (i, &axis) in axes.iter().enumerate() {
                if let Some(scale) = common {
                    // round_int of the operator text: halfway cases up.
                    let out = (scale * in_dims[axis] as f64 + 0.5).floor();
                    dims[axis] = bounded(axis, format!("{} × {scale}", in_dims[axis]), out)?;
                    eff[axis] = scale;
                } else {
                    dims[axis] = z[i] as usize;
                    eff[axis] = ratio(i);
                }
            }
        }
        (Some(_), Some(_)) => return Err(ResizeError::ScalesOrSizes { got: "both" }),
        (None, None) => return Err(ResizeError::ScalesOrSizes { got: "neither" }),
    }
    if p.coord == CoordTransform::TfCropAndResize {
        let roi = roi.filter(|r| !r.is_empty()).ok_or(ResizeError::NoRoi {
            what: "coordinate_transformation_mode tf_crop_and_resize",
        })?;
        check_len("roi", roi.len(), 2 * axes.len())?;
        if let Some(&value) = roi.iter().find(|v| !v.is_finite()) {
            return Err(ResizeError::BadRoi { value });
        }
    }
    if let Some((axis, &d)) = dims.iter().enumerate().find(|(_, d)| **d > MAX_DIM) {
        return Err(ResizeError::DimTooLarge { axis, input: "the input".into(), value: d as f64 });
    }
    if count(&dims).is_none() {
        return Err(ResizeError::TooManyValues { dims: dims_str(&dims) });
    }
    Ok((dims, eff))
}

fn check_len(what: &'static str, got: usize, want: usize) -> Result<(), ResizeError> {
    if got == want { Ok(()) } else { Err(ResizeError::Length { what, got, want }) }
}

/// The roi `(start, end)` of input axis `axis`: `roi` lists the starts of the resized axes, then
/// their ends. Axes that are not resized, and a missing roi, read `(0, 1)`.
pub fn roi_for_axis(roi: Option<&[f32]>, p: &ResizeParams, rank: usize, axis: usize) -> (f32, f32) {
    let axes = p.resized_axes(rank);
    let n = axes.len();
    match (roi.filter(|r| r.len() == 2 * n), axes.iter().position(|&a| a == axis)) {
        (Some(r), Some(i)) => (r[i], r[n + i]),
        _ => (0.0, 1.0),
    }
}
