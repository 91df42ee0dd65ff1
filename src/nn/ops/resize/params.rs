//! The attributes of Resize and Upsample, parsed once into [`ResizeParams`].
//!
//! Which attributes exist depends on the op and opset:
//!
//! | op            | attributes                                                              |
//! |---------------|-------------------------------------------------------------------------|
//! | Upsample 7, 9 | `mode` (nearest, linear); `scales` is an attribute (7) or input (9)     |
//! | Resize 10     | `mode` (nearest, linear)                                                |
//! | Resize 11, 13 | + `coordinate_transformation_mode`, `nearest_mode`, `cubic_coeff_a`,    |
//! |               | `exclude_outside`, `extrapolation_value`; `mode` gains cubic            |
//! | Resize 18, 19 | + `antialias`, `axes`, `keep_aspect_ratio_policy`                       |
//!
//! Upsample and Resize 10 have no coordinate attribute: onnxruntime (the only runtime that defines
//! them, the reference cannot run Resize 10) maps `x_original = x_resized / scale` in f32 and picks
//! the nearest pixel by truncation when the axis is upsampled and by `ceil` when it is downsampled.
//! That legacy rule is [`NearestMode::Simple`].

use super::ResizeError;
use crate::nn::ops::bounds::norm_axis;

/// How values between input samples are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Nearest,
    /// Linear along each resized axis (bilinear for two, trilinear for three).
    Linear,
    /// Keys' cubic convolution with coefficient `cubic_coeff_a`, along each resized axis.
    Cubic,
}

/// How an output index maps to a coordinate in the input (`coordinate_transformation_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoordTransform {
    HalfPixel,
    /// Opset 19: like half_pixel, but centred when `in·scale` is not whole.
    HalfPixelSymmetric,
    PytorchHalfPixel,
    AlignCorners,
    Asymmetric,
    /// Opset 11 only (onnxruntime still accepts it later): `(x + 0.5)/scale`.
    TfHalfPixelForNn,
    TfCropAndResize,
}

/// How `nearest` rounds the input coordinate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NearestMode {
    RoundPreferFloor,
    RoundPreferCeil,
    Floor,
    Ceil,
    /// Upsample and Resize 10: truncate when the axis is upsampled (scale ≥ 1), ceil when it is
    /// downsampled.
    Simple,
}

/// How `sizes` is read (opset 18+).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepAspect {
    /// Each resized axis gets exactly its size.
    Stretch,
    /// One scale for all resized axes, the smallest `size/in`.
    NotLarger,
    /// One scale for all resized axes, the largest `size/in`.
    NotSmaller,
}

impl Mode {
    /// The attribute value as ONNX spells it.
    pub fn onnx_name(self) -> &'static str {
        match self {
            Mode::Nearest => "nearest",
            Mode::Linear => "linear",
            Mode::Cubic => "cubic",
        }
    }
}

impl CoordTransform {
    /// The attribute value as ONNX spells it.
    pub fn onnx_name(self) -> &'static str {
        match self {
            CoordTransform::HalfPixel => "half_pixel",
            CoordTransform::HalfPixelSymmetric => "half_pixel_symmetric",
            CoordTransform::PytorchHalfPixel => "pytorch_half_pixel",
            CoordTransform::AlignCorners => "align_corners",
            CoordTransform::Asymmetric => "asymmetric",
            CoordTransform::TfHalfPixelForNn => "tf_half_pixel_for_nn",
            CoordTransform::TfCropAndResize => "tf_crop_and_resize",
        }
    }
}

impl NearestMode {
    /// The attribute value as ONNX spells it; the legacy rule has no attribute (`simple`).
    pub fn onnx_name(self) -> &'static str {
        match self {
            NearestMode::RoundPreferFloor => "round_prefer_floor",
            NearestMode::RoundPreferCeil => "round_prefer_ceil",
            NearestMode::Floor => "floor",
            NearestMode::Ceil => "ceil",
            NearestMode::Simple => "simple",
        }
    }
}

impl KeepAspect {
    /// The attribute value as ONNX spells it.
    pub fn onnx_name(self) -> &'static str {
        match self {
            KeepAspect::Stretch => "stretch",
            KeepAspect::NotLarger => "not_larger",
            KeepAspect::NotSmaller => "not_smaller",
        }
    }
}

/// The op a node is: the attribute set and the legacy rules depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResizeOp {
    /// Upsample 7 or 9: scales only, every scale ≥ 1.
    Upsample,
    /// Resize with its opset (10 and up).
    Resize { opset: u32 },
}

impl ResizeOp {
    /// Upsample and Resize 10 share onnxruntime's legacy f32 mapping.
    pub fn is_legacy(self) -> bool {
        matches!(self, ResizeOp::Upsample | ResizeOp::Resize { opset: ..=10 })
    }
}

/// The raw attributes as read from a node; `None` means absent (the opset's default applies).
#[derive(Clone, Copy, Debug, Default)]
pub struct ResizeAttrs<'a> {
    pub mode: Option<&'a str>,
    pub coordinate_transformation_mode: Option<&'a str>,
    pub nearest_mode: Option<&'a str>,
    pub cubic_coeff_a: Option<f32>,
    pub exclude_outside: Option<i64>,
    pub extrapolation_value: Option<f32>,
    pub antialias: Option<i64>,
    pub keep_aspect_ratio_policy: Option<&'a str>,
    pub axes: Option<&'a [i64]>,
}

/// Everything the shape rule and the kernel need, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ResizeParams {
    pub op: ResizeOp,
    pub mode: Mode,
    pub coord: CoordTransform,
    pub nearest: NearestMode,
    pub cubic_coeff_a: f32,
    pub exclude_outside: bool,
    pub extrapolation_value: f32,
    pub antialias: bool,
    pub keep_aspect_ratio_policy: KeepAspect,
    /// The axes `scales`, `sizes` and `roi` refer to, resolved against the rank; `None` = all.
    pub axes: Option<Vec<usize>>,
}

impl ResizeParams {
    /// The defaults of Resize 19 (nearest, half_pixel, round_prefer_floor, a = −0.75).
    pub fn new(mode: Mode) -> Self {
        ResizeParams {
            op: ResizeOp::Resize { opset: 19 },
            mode,
            coord: CoordTransform::HalfPixel,
            nearest: NearestMode::RoundPreferFloor,
            cubic_coeff_a: -0.75,
            exclude_outside: false,
            extrapolation_value: 0.0,
            antialias: false,
            keep_aspect_ratio_policy: KeepAspect::Stretch,
            axes: None,
        }
    }

    /// Parse a node's attributes for `op`, on an input of rank `rank` (for negative `axes`).
    ///
    /// # Errors
    /// An unknown string (naming the attribute and the value), an attribute the opset does not
    /// have, a cubic or antialiased mode where the opset has none, a bad or repeated axis.
    pub fn from_attrs(op: ResizeOp, rank: usize, a: &ResizeAttrs) -> Result<Self, ResizeError> {
        let opset = match op {
            ResizeOp::Upsample => 9,
            ResizeOp::Resize { opset } if opset < 10 => {
                return Err(ResizeError::Opset { opset });
            }
            ResizeOp::Resize { opset } => opset,
        };
        let has = |attr: &'static str, since: u32, given: bool| {
            if given && (opset < since || op == ResizeOp::Upsample) {
                Err(ResizeError::AttrNotInOpset { attr, opset })
            } else {
                Ok(())
            }
        };
        has("coordinate_transformation_mode", 11, a.coordinate_transformation_mode.is_some())?;
        has("nearest_mode", 11, a.nearest_mode.is_some())?;
        has("cubic_coeff_a", 11, a.cubic_coeff_a.is_some())?;
        has("exclude_outside", 11, a.exclude_outside.is_some())?;
        has("extrapolation_value", 11, a.extrapolation_value.is_some())?;
        has("antialias", 18, a.antialias.is_some())?;
        has("keep_aspect_ratio_policy", 18, a.keep_aspect_ratio_policy.is_some())?;
        has("axes", 18, a.axes.is_some())?;

        let mode = match a.mode.unwrap_or("nearest") {
            "nearest" => Mode::Nearest,
            "linear" => Mode::Linear,
            "cubic" if !op.is_legacy() => Mode::Cubic,
            v => return Err(unknown("mode", v)),
        };
        let mut p = ResizeParams::new(mode);
        p.op = op;
        if op.is_legacy() {
            p.coord = CoordTransform::Asymmetric;
            p.nearest = NearestMode::Simple;
            return Ok(p);
        }
        if let Some(v) = a.coordinate_transformation_mode {
            p.coord = parse_coord(v)?;
        }
        if let Some(v) = a.nearest_mode {
            p.nearest = match v {
                "round_prefer_floor" => NearestMode::RoundPreferFloor,
                "round_prefer_ceil" => NearestMode::RoundPreferCeil,
                "floor" => NearestMode::Floor,
                "ceil" => NearestMode::Ceil,
                v => return Err(unknown("nearest_mode", v)),
            };
        }
        if let Some(v) = a.keep_aspect_ratio_policy {
            p.keep_aspect_ratio_policy = match v {
                "stretch" => KeepAspect::Stretch,
                "not_larger" => KeepAspect::NotLarger,
                "not_smaller" => KeepAspect::NotSmaller,
                v => return Err(unknown("keep_aspect_ratio_policy", v)),
            };
        }
        p.cubic_coeff_a = a.cubic_coeff_a.unwrap_or(-0.75);
        p.extrapolation_value = a.extrapolation_value.unwrap_or(0.0);
        p.exclude_outside = flag("exclude_outside", a.exclude_outside)?;
        p.antialias = flag("antialias", a.antialias)?;
        if !p.cubic_coeff_a.is_finite() {
            return Err(ResizeError::BadValue {
                attr: "cubic_coeff_a",
                value: p.cubic_coeff_a.to_string(),
            });
        }
        if p.antialias && mode == Mode::Nearest {
            return Err(ResizeError::AntialiasNearest);
        }
        if let Some(axes) = a.axes {
            let mut seen = vec![false; rank];
            let mut out = Vec::with_capacity(axes.len());
            for &ax in axes {
                let Some(i) = norm_axis(ax, rank) else {
                    return Err(ResizeError::BadAxis { axis: ax, rank });
                };
                if std::mem::replace(&mut seen[i], true) {
                    return Err(ResizeError::RepeatedAxis { axis: ax });
                }
                out.push(i);
            }
            p.axes = Some(out);
        }
        Ok(p)
    }

    /// The resized axes: `axes`, or every axis of a tensor of this rank.
    pub fn resized_axes(&self, rank: usize) -> Vec<usize> {
        self.axes.clone().unwrap_or_else(|| (0..rank).collect())
    }
}

/// `coordinate_transformation_mode` from its ONNX name.
///
/// # Errors
/// [`ResizeError::Unknown`] for any other string.
pub fn parse_coord(v: &str) -> Result<CoordTransform, ResizeError> {
    Ok(match v {
        "half_pixel" => CoordTransform::HalfPixel,
        "half_pixel_symmetric" => CoordTransform::HalfPixelSymmetric,
        "pytorch_half_pixel" => CoordTransform::PytorchHalfPixel,
        "align_corners" => CoordTransform::AlignCorners,
        "asymmetric" => CoordTransform::Asymmetric,
        "tf_half_pixel_for_nn" => CoordTransform::TfHalfPixelForNn,
        "tf_crop_and_resize" => CoordTransform::TfCropAndResize,
        v => return Err(unknown("coordinate_transformation_mode", v)),
    })
}

fn unknown(attr: &'static str, value: &str) -> ResizeError {
    ResizeError::Unknown { attr, value: value.to_string() }
}

fn flag(attr: &'static str, v: Option<i64>) -> Result<bool, ResizeError> {
    match v.unwrap_or(0) {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(ResizeError::BadValue { attr, value: v.to_string() }),
    }
}
