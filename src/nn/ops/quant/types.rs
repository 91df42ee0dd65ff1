//! The integer element types of quantised tensors, their saturation ranges, and the size limits
//! every shape from a file is held to.
//!
//! Integer tensors travel as `ArrayD<i64>` holding the exact values; the [`IntType`] tag says
//! which ONNX type they are. Sizes may come from a hostile file, so every dimension is at most
//! [`MAX_DIM`] and every tensor at most [`MAX_ELEMS`] values: products of two such numbers fit
//! easily in 64 bits.

use ndarray::ArrayViewD;

use crate::nn::ops::quant::error::QuantError;

/// The largest size of any one dimension, stride, pad, dilation or kernel extent (2^24).
pub const MAX_DIM: usize = 1 << 24;
/// The most values any one tensor may hold (2^31).
pub const MAX_ELEMS: usize = 1 << 31;

/// ONNX integer element types a quantised tensor can have here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntType {
    U8,
    I8,
    I32,
    U16,
    I16,
}

impl IntType {
    /// The saturation range `[lo, hi]`: u8 `[0, 255]`, i8 `[−128, 127]`, u16 `[0, 65535]`,
    /// i16 `[−32768, 32767]`, i32 `[−2^31, 2^31 − 1]`.
    pub const fn range(self) -> (i64, i64) {
        match self {
            IntType::U8 => (0, 255),
            IntType::I8 => (-128, 127),
            IntType::U16 => (0, 65_535),
            IntType::I16 => (-32_768, 32_767),
            IntType::I32 => (i32::MIN as i64, i32::MAX as i64),
        }
    }

    /// The ONNX name: `uint8`, `int8`, …
    pub const fn name(self) -> &'static str {
        match self {
            IntType::U8 => "uint8",
            IntType::I8 => "int8",
            IntType::U16 => "uint16",
            IntType::I16 => "int16",
            IntType::I32 => "int32",
        }
    }

    /// The `TensorProto.DataType` code: UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6.
    pub const fn onnx_code(self) -> i32 {
        match self {
            IntType::U8 => 2,
            IntType::I8 => 3,
            IntType::U16 => 4,
            IntType::I16 => 5,
            IntType::I32 => 6,
        }
    }

    /// The type of a `TensorProto.DataType` code. float8 (17–20), int4/uint4 (21, 22), float4
    /// (23), float8e8m0 (24), int2/uint2 (25, 26) and float6 (27, 28) are refused as
    /// [`QuantError::Unsupported`]; anything else that is not one of the five as
    /// [`QuantError::Type`].
    ///
    /// # Errors
    /// As above; `op` and `what` name the op and the input in the message.
    pub fn from_onnx(
        op: &'static str,
        what: &'static str,
        code: i32,
    ) -> Result<IntType, QuantError> {
        Ok(match code {
            2 => IntType::U8,
            3 => IntType::I8,
            4 => IntType::U16,
            5 => IntType::I16,
            6 => IntType::I32,
            17..=20 | 23 | 24 | 27 | 28 => {
                return Err(QuantError::Unsupported {
                    op,
                    what: format!("{what} of a float8/float4/float6 type (data type {code})"),
                });
            }
            21 | 22 | 25 | 26 => {
                return Err(QuantError::Unsupported {
                    op,
                    what: format!("{what} of a 4-bit or 2-bit integer type (data type {code})"),
                });
            }
            _ => {
                return Err(QuantError::Type {
                    op,
                    what,
                    ty: format!("data type {code}"),
                    allowed: "uint8, int8, uint16, int16, int32",
                });
            }
        })
    }

    /// Whether `v` is a value of this type.
    pub const fn contains(self, v: i64) -> bool {
        let (lo, hi) = self.range();
        lo <= v && v <= hi
    }

    /// `v` clamped into the range.
    pub const fn saturate(self, v: i64) -> i64 {
        let (lo, hi) = self.range();
        if v < lo {
            lo
        } else if v > hi {
            hi
        } else {
            v
        }
    }
}

impl std::fmt::Display for IntType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Refuse a type not in `allowed` (written out for the message, e.g. `"uint8, int8"`).
///
/// # Errors
/// [`QuantError::Type`].
pub(crate) fn require_type(
    op: &'static str,
    what: &'static str,
    ty: IntType,
    ok: &[IntType],
    allowed: &'static str,
) -> Result<(), QuantError> {
    if ok.contains(&ty) {
        Ok(())
    } else {
        Err(QuantError::Type { op, what, ty: ty.name().to_string(), allowed })
    }
}

/// The number of values of a tensor with these dims, after checking each dim against
/// [`MAX_DIM`] and the count against [`MAX_ELEMS`].
///
/// # Errors
/// [`QuantError::DimTooLarge`], [`QuantError::TooManyValues`].
pub fn check_dims(
    op: &'static str,
    what: &'static str,
    dims: &[usize],
) -> Result<usize, QuantError> {
    let mut n: u128 = 1;
    for &d in dims {
        if d > MAX_DIM {
            return Err(QuantError::DimTooLarge { op, what, value: d as u128 });
        }
        // Each factor is at most 2^24 and we stop once past 2^31, so this cannot overflow.
        n *= d as u128;
        if n > MAX_ELEMS as u128 {
            return Err(QuantError::TooManyValues { op, what, dims: dims.to_vec() });
        }
    }
    Ok(n as usize)
}

/// Every value of `v` lies in `ty`'s range.
///
/// # Errors
/// [`QuantError::OutOfRange`] with the first offending value.
pub(crate) fn check_values(
    op: &'static str,
    what: &'static str,
    v: &ArrayViewD<i64>,
    ty: IntType,
) -> Result<(), QuantError> {
    match v.iter().find(|&&x| !ty.contains(x)) {
        Some(&value) => Err(QuantError::OutOfRange { op, what, value, ty }),
        None => Ok(()),
    }
}

/// Dims and values of one integer input checked at once: the count of values.
///
/// # Errors
/// As [`check_dims`] and [`check_values`].
pub(crate) fn check_int(
    op: &'static str,
    what: &'static str,
    v: &ArrayViewD<i64>,
    ty: IntType,
) -> Result<usize, QuantError> {
    let n = check_dims(op, what, v.shape())?;
    check_values(op, what, v, ty)?;
    Ok(n)
}

/// Whether dims describe a per-tensor parameter: a scalar or a 1-element 1-D tensor.
pub(crate) fn is_per_tensor(dims: &[usize]) -> bool {
    dims.is_empty() || (dims.len() == 1 && dims[0] == 1)
}

/// An axis attribute resolved against a rank: `−r ≤ axis < r`, negative counting from the back.
///
/// # Errors
/// [`QuantError::Attr`] for an axis outside the range.
pub(crate) fn resolve_axis(op: &'static str, axis: i64, rank: usize) -> Result<usize, QuantError> {
    let r = rank as i64;
    let a = if axis < 0 { axis.checked_add(r) } else { Some(axis) };
    match a {
        Some(a) if (0..r).contains(&a) => Ok(a as usize),
        _ => Err(crate::nn::ops::quant::error::attr_err(
            op,
            "axis",
            format!("{axis} is outside [−{rank}, {}] for an input of rank {rank}", r - 1),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_saturation() {
        assert_eq!(IntType::U8.saturate(300), 255);
        assert_eq!(IntType::U8.saturate(-1), 0);
        assert_eq!(IntType::I8.saturate(-129), -128);
        assert_eq!(IntType::I16.saturate(40_000), 32_767);
        assert_eq!(IntType::U16.saturate(-5), 0);
        assert_eq!(IntType::I32.saturate(i64::MAX), 2_147_483_647);
        assert!(IntType::I8.contains(127) && !IntType::I8.contains(128));
    }

    #[test]
    fn onnx_codes_round_trip_and_refuse_small_floats() {
        for t in [IntType::U8, IntType::I8, IntType::U16, IntType::I16, IntType::I32] {
            assert_eq!(IntType::from_onnx("Op", "y", t.onnx_code()), Ok(t));
        }
        for code in [17, 18, 19, 20, 21, 22, 23] {
            assert!(matches!(
                IntType::from_onnx("Op", "y", code),
                Err(QuantError::Unsupported { .. })
            ));
        }
        assert!(matches!(IntType::from_onnx("Op", "y", 1), Err(QuantError::Type { .. })));
    }

    #[test]
    fn dims_are_bounded() {
        assert_eq!(check_dims("Op", "x", &[2, 3, 4]), Ok(24));
        assert_eq!(check_dims("Op", "x", &[]), Ok(1));
        assert!(check_dims("Op", "x", &[MAX_DIM + 1]).is_err());
        assert!(check_dims("Op", "x", &[MAX_DIM, MAX_DIM]).is_err());
        assert_eq!(check_dims("Op", "x", &[1 << 16, 1 << 15]), Ok(MAX_ELEMS));
    }

    #[test]
    fn axes_resolve_from_the_back() {
        assert_eq!(resolve_axis("Op", -1, 4), Ok(3));
        assert_eq!(resolve_axis("Op", 0, 1), Ok(0));
        assert!(resolve_axis("Op", 4, 4).is_err());
        assert!(resolve_axis("Op", -5, 4).is_err());
        assert!(resolve_axis("Op", i64::MIN, 4).is_err());
        assert!(resolve_axis("Op", 0, 0).is_err());
    }
}
