//! Why a ConvTranspose does not fit, and the bounds every size is held to.

/// The largest size of any one dimension, stride, pad, dilation, output padding or output size.
pub const MAX_DIM: usize = 1 << 24;
/// The most values any one tensor may hold.
pub const MAX_ELEMS: usize = 1 << 31;

/// Why a ConvTranspose does not fit. Every message names the axis (`rows`, `cols`; `axis` is
/// empty for the node's own attributes such as `group`), the ONNX attribute and its value; the
/// layer's name is the caller's to add.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransposeError {
    /// `rows: pads −1 is negative (ONNX requires ≥ 0)`.
    #[error("{}{key} {value} is negative (ONNX requires ≥ 0)", at(axis))]
    Negative { axis: &'static str, key: &'static str, value: i64 },
    /// `rows: strides 0 is not allowed (S ≥ 1)`.
    #[error("{}{key} 0 is not allowed ({sym} ≥ 1)", at(axis))]
    Zero { axis: &'static str, key: &'static str, sym: &'static str },
    /// An attribute or size above [`MAX_DIM`].
    #[error("{}{key} {value} is too large (at most {MAX_DIM})", at(axis))]
    TooLarge { axis: &'static str, key: &'static str, value: i128 },
    /// The ONNX rule: `output_padding < stride` or `output_padding < dilation`.
    #[error(
        "{axis}: output_padding {value} must be smaller than stride {stride} or dilation {dilation}"
    )]
    OutputPadding { axis: &'static str, value: usize, stride: usize, dilation: usize },
    /// `output_padding ≥ stride` (but below the dilation): the spec's rule lets it through, but a
    /// Conv over the output would not see the input size again; onnxruntime and onnx.reference
    /// refuse it.
    #[error(
        "{axis}: output_padding {value} is not smaller than stride {stride}: a Conv over the {out} output cells would see {back} inputs, not {n} (onnxruntime and onnx.reference refuse it)"
    )]
    OutputPaddingStride {
        axis: &'static str,
        value: usize,
        stride: usize,
        out: usize,
        back: usize,
        n: usize,
    },
    /// `output_shape` past `n·S + d·(F − 1)`: more than `S − 1` cells beyond the full output.
    #[error(
        "{axis}: output_shape {value} is larger than {most} = {n}·{stride} + {f_eff} − 1, the most a Conv back to {n} inputs allows"
    )]
    OutputShapeTooLarge {
        axis: &'static str,
        value: usize,
        most: usize,
        n: usize,
        stride: usize,
        f_eff: usize,
    },
    /// `output_shape` 0: ONNX wants a positive size.
    #[error("{axis}: output_shape 0 is not allowed (at least 1)")]
    OutputShapeZero { axis: &'static str },
    /// The output-size formula gives 0 or less: `(3 − 1)·2 − 4 − 4 + 1·(3 − 1) + 0 + 1 = −3`.
    #[error("{axis}: the output would be empty: {formula}")]
    Empty { axis: &'static str, formula: String },
    /// ONNX forbids `pads` together with an `auto_pad` other than NOTSET.
    #[error("pads cannot be given together with auto_pad {auto_pad}")]
    PadsWithAutoPad { auto_pad: &'static str },
    /// An `auto_pad` string ONNX does not know.
    #[error("auto_pad {0:?} is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")]
    AutoPad(String),
    /// ConvTranspose exists from opset 1 on.
    #[error("opset {0} has no ConvTranspose (opset ≥ 1)")]
    Opset(i64),
    /// `group` must divide the input channels.
    #[error("group {group} does not divide the {channels} input channels")]
    Groups { group: usize, channels: usize },
    /// The weights' first dimension must be the input depth C (ONNX layout `(C, K/group, FH, FW)`).
    #[error("weights {dims} do not match the input: their first dimension must be C = {channels}")]
    WeightChannels { dims: String, channels: usize },
    /// A `kernel_shape` attribute that disagrees with the weights.
    #[error("{axis}: kernel_shape {value} disagrees with the weights' {f}")]
    KernelShape { axis: &'static str, value: i64, f: usize },
    /// A tensor with more than [`MAX_ELEMS`] values.
    #[error("{what} {dims} holds {count} values (at most {MAX_ELEMS})")]
    TooManyValues { what: &'static str, dims: String, count: u128 },
}

/// `rows: ` before a message about one axis; nothing for the node's own attributes (`group`).
fn at(axis: &str) -> String {
    if axis.is_empty() { String::new() } else { format!("{axis}: ") }
}

/// `v` as a size of at most [`MAX_DIM`]; negative values are [`TransposeError::Negative`].
pub(crate) fn attr(axis: &'static str, key: &'static str, v: i64) -> Result<usize, TransposeError> {
    if v < 0 {
        return Err(TransposeError::Negative { axis, key, value: v });
    }
    size(axis, key, v as u64 as usize)
}

/// `v` of at most [`MAX_DIM`].
pub(crate) fn size(
    axis: &'static str,
    key: &'static str,
    v: usize,
) -> Result<usize, TransposeError> {
    if v > MAX_DIM {
        return Err(TransposeError::TooLarge { axis, key, value: v as i128 });
    }
    Ok(v)
}

/// `v` of at least 1 and at most [`MAX_DIM`].
pub(crate) fn positive(
    axis: &'static str,
    key: &'static str,
    sym: &'static str,
    v: i64,
) -> Result<usize, TransposeError> {
    if v == 0 {
        return Err(TransposeError::Zero { axis, key, sym });
    }
    attr(axis, key, v)
}

/// The number of values of a tensor with these dims, at most [`MAX_ELEMS`].
pub(crate) fn count(what: &'static str, dims: &[usize]) -> Result<usize, TransposeError> {
    let wide = dims.iter().try_fold(1u128, |a, &d| a.checked_mul(d as u128));
    match wide {
        Some(n) if n <= MAX_ELEMS as u128 => Ok(n as usize),
        _ => Err(TransposeError::TooManyValues {
            what,
            dims: dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×"),
            count: wide.unwrap_or(u128::MAX),
        }),
    }
}

/// ONNX `auto_pad`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AutoPad {
    /// Explicit `pads` (or none: zeros).
    #[default]
    NotSet,
    /// Pad to `n·S` outputs; an odd total puts the extra pixel at the end.
    SameUpper,
    /// Pad to `n·S` outputs; an odd total puts the extra pixel at the start.
    SameLower,
    /// No padding.
    Valid,
}

impl AutoPad {
    /// Parse the attribute as ONNX spells it.
    ///
    /// # Errors
    /// [`TransposeError::AutoPad`] for any other string.
    pub fn parse(s: &str) -> Result<AutoPad, TransposeError> {
        Ok(match s {
            "NOTSET" | "" => AutoPad::NotSet,
            "SAME_UPPER" => AutoPad::SameUpper,
            "SAME_LOWER" => AutoPad::SameLower,
            "VALID" => AutoPad::Valid,
            other => return Err(TransposeError::AutoPad(other.to_string())),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            AutoPad::NotSet => "NOTSET",
            AutoPad::SameUpper => "SAME_UPPER",
            AutoPad::SameLower => "SAME_LOWER",
            AutoPad::Valid => "VALID",
        }
    }
}
