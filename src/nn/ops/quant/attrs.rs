//! What each opset of QuantizeLinear / DequantizeLinear allows, checked once when a node is read.
//!
//! | opset | change |
//! | --- | --- |
//! | 10 | per-tensor only, no attributes; y uint8/int8, x of DQ uint8/int8/int32 |
//! | 13 | `axis` (default 1): per-axis scale and zero point |
//! | 19 | float8 types and `saturate` (float8 only); float16/bfloat16 scales |
//! | 21 | `block_size` (blocked quantisation), `output_dtype` (Q), uint16/int16, uint4/int4 |
//! | 23 | `precision` (Q), `output_dtype` (DQ), float4e2m1 |
//! | 24, 25 | float8e8m0 scales; uint2/int2, float6 |
//!
//! The kernels here take f32 scales and the integer types of [`IntType`]; float8, 4-bit, 2-bit,
//! blocked quantisation and non-f32 scales or precision are refused as
//! [`QuantError::Unsupported`]. An attribute an opset does not define is an error (the ONNX
//! checker rejects it).

use crate::nn::ops::quant::error::{QuantError, attr_err};
use crate::nn::ops::quant::types::IntType;

/// `TensorProto.FLOAT`.
const FLOAT: i32 = 1;
/// The newest opset whose QuantizeLinear/DequantizeLinear semantics these kernels know.
pub const MAX_QDQ_OPSET: i64 = 25;

/// A QuantizeLinear or DequantizeLinear node as the file has it: the opset it is read under,
/// its attributes (`None` when absent) and the data types (`TensorProto.DataType` codes) of
/// its inputs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QdqNode {
    pub opset: i64,
    pub axis: Option<i64>,
    pub saturate: Option<i64>,
    pub block_size: Option<i64>,
    pub output_dtype: Option<i64>,
    pub precision: Option<i64>,
    /// The type of `x` (QuantizeLinear: must be float; DequantizeLinear: the quantised type).
    pub x_dtype: i32,
    pub scale_dtype: i32,
    pub zero_point_dtype: Option<i32>,
}

/// What a valid node resolves to: the axis to pass to the kernel and the integer type (the
/// output of QuantizeLinear, the input of DequantizeLinear).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QdqResolved {
    pub axis: i64,
    pub ty: IntType,
}

/// Resolve a QuantizeLinear node: output type from the zero point's type, else
/// `output_dtype`, else uint8.
///
/// # Errors
/// An attribute the opset lacks or a bad value; mismatched `output_dtype` and zero-point type;
/// a type the opset does not allow; the unsupported features listed in the module docs.
pub fn quantize_attrs(n: &QdqNode) -> Result<QdqResolved, QuantError> {
    const OP: &str = "QuantizeLinear";
    common(OP, n)?;
    if n.x_dtype != FLOAT {
        return Err(unsupported(OP, format!("x of data type {} (only float)", n.x_dtype)));
    }
    since(OP, n, "output_dtype", n.output_dtype, 21)?;
    since(OP, n, "precision", n.precision, 23)?;
    match n.precision {
        None | Some(0) | Some(1) => {}
        Some(p) => return Err(unsupported(OP, format!("precision {p} (only float)"))),
    }
    let from_attr = match n.output_dtype {
        None | Some(0) => None,
        Some(c) => Some(
            i32::try_from(c)
                .map_err(|_| attr_err(OP, "output_dtype", format!("{c} is no data type")))?,
        ),
    };
    let code = match (n.zero_point_dtype, from_attr) {
        (Some(z), Some(a)) if z != a => {
            return Err(attr_err(
                OP,
                "output_dtype",
                format!("{a} differs from the zero point's type {z}"),
            ));
        }
        (Some(z), _) => z,
        (None, Some(a)) => a,
        (None, None) => IntType::U8.onnx_code(),
    };
    let ty = IntType::from_onnx(OP, "y", code)?;
    let ok = match ty {
        IntType::U8 | IntType::I8 => true,
        IntType::U16 | IntType::I16 => n.opset >= 21,
        IntType::I32 => false,
    };
    if !ok {
        return Err(QuantError::Type {
            op: OP,
            what: "y",
            ty: format!("{ty} in opset {}", n.opset),
            allowed: "uint8, int8 (and uint16, int16 from opset 21)",
        });
    }
    Ok(QdqResolved { axis: n.axis.unwrap_or(1), ty })
}

/// Resolve a DequantizeLinear node: the input type, which the zero point must share.
///
/// # Errors
/// As [`quantize_attrs`]; a zero point whose type is not the input's.
pub fn dequantize_attrs(n: &QdqNode) -> Result<QdqResolved, QuantError> {
    const OP: &str = "DequantizeLinear";
    common(OP, n)?;
    since(OP, n, "output_dtype", n.output_dtype, 23)?;
    match n.output_dtype {
        None | Some(0) | Some(1) => {}
        Some(d) => return Err(unsupported(OP, format!("output_dtype {d} (only float)"))),
    }
    if n.precision.is_some() {
        return Err(attr_err(OP, "precision", "DequantizeLinear has no such attribute"));
    }
    let ty = IntType::from_onnx(OP, "x", n.x_dtype)?;
    if let Some(z) = n.zero_point_dtype
        && z != n.x_dtype
    {
        return Err(QuantError::Type {
            op: OP,
            what: "x_zero_point",
            ty: format!("data type {z}"),
            allowed: "the type of x",
        });
    }
    if matches!(ty, IntType::U16 | IntType::I16) && n.opset < 21 {
        return Err(QuantError::Type {
            op: OP,
            what: "x",
            ty: format!("{ty} in opset {}", n.opset),
            allowed: "uint8, int8, int32 (and uint16, int16 from opset 21)",
        });
    }
    Ok(QdqResolved { axis: n.axis.unwrap_or(1), ty })
}

/// The checks both ops share: opset range, `axis`, `saturate`, `block_size`, the scale type.
fn common(op: &'static str, n: &QdqNode) -> Result<(), QuantError> {
    if n.opset < 10 {
        return Err(attr_err(op, "opset", format!("{op} needs opset 10, not {}", n.opset)));
    }
    if n.opset > MAX_QDQ_OPSET {
        return Err(unsupported(op, format!("opset {} (known up to {MAX_QDQ_OPSET})", n.opset)));
    }
    since(op, n, "axis", n.axis, 13)?;
    since(op, n, "saturate", n.saturate, 19)?;
    since(op, n, "block_size", n.block_size, 21)?;
    if op == "DequantizeLinear" && n.saturate.is_some() {
        return Err(attr_err(op, "saturate", "DequantizeLinear has no such attribute"));
    }
    if let Some(s) = n.saturate
        && s != 0
        && s != 1
    {
        return Err(attr_err(op, "saturate", format!("{s} is neither 0 nor 1")));
    }
    match n.block_size {
        None | Some(0) => {}
        Some(b) if b < 0 => return Err(attr_err(op, "block_size", format!("{b} is negative"))),
        Some(b) => return Err(unsupported(op, format!("blocked quantisation (block_size {b})"))),
    }
    if n.scale_dtype != FLOAT {
        return Err(unsupported(
            op,
            format!("a scale of data type {} (only float)", n.scale_dtype),
        ));
    }
    Ok(())
}

/// An attribute that first exists in opset `first`.
fn since(
    op: &'static str,
    n: &QdqNode,
    attr: &'static str,
    v: Option<i64>,
    first: i64,
) -> Result<(), QuantError> {
    match v {
        Some(_) if n.opset < first => Err(attr_err(
            op,
            attr,
            format!("first defined in opset {first}, but the model uses opset {}", n.opset),
        )),
        _ => Ok(()),
    }
}

fn unsupported(op: &'static str, what: String) -> QuantError {
    QuantError::Unsupported { op, what }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(opset: i64) -> QdqNode {
        QdqNode { opset, x_dtype: FLOAT, scale_dtype: FLOAT, ..QdqNode::default() }
    }

    #[test]
    fn quantize_output_type_resolution() {
        // No zero point, no output_dtype: uint8, axis 1.
        assert_eq!(quantize_attrs(&node(10)), Ok(QdqResolved { axis: 1, ty: IntType::U8 }));
        let n = QdqNode { zero_point_dtype: Some(3), axis: Some(-1), ..node(13) };
        assert_eq!(quantize_attrs(&n), Ok(QdqResolved { axis: -1, ty: IntType::I8 }));
        let n = QdqNode { output_dtype: Some(5), ..node(21) };
        assert_eq!(quantize_attrs(&n).unwrap().ty, IntType::I16);
        // output_dtype and zero point disagree.
        let n = QdqNode { output_dtype: Some(5), zero_point_dtype: Some(2), ..node(21) };
        assert!(quantize_attrs(&n).is_err());
        // int16 before opset 21.
        let n = QdqNode { zero_point_dtype: Some(5), ..node(19) };
        assert!(quantize_attrs(&n).is_err());
    }

    #[test]
    fn attributes_need_their_opset() {
        assert!(quantize_attrs(&QdqNode { axis: Some(1), ..node(10) }).is_err());
        assert!(quantize_attrs(&QdqNode { saturate: Some(1), ..node(13) }).is_err());
        assert!(quantize_attrs(&QdqNode { saturate: Some(1), ..node(19) }).is_ok());
        assert!(quantize_attrs(&QdqNode { block_size: Some(0), ..node(19) }).is_err());
        assert!(quantize_attrs(&QdqNode { output_dtype: Some(2), ..node(19) }).is_err());
        assert!(
            dequantize_attrs(&QdqNode { x_dtype: 2, output_dtype: Some(1), ..node(21) }).is_err()
        );
        assert!(quantize_attrs(&node(9)).is_err());
        assert!(quantize_attrs(&node(26)).is_err());
    }

    #[test]
    fn unsupported_features_are_named() {
        let unsup =
            |r: Result<QdqResolved, QuantError>| matches!(r, Err(QuantError::Unsupported { .. }));
        assert!(unsup(quantize_attrs(&QdqNode { block_size: Some(32), ..node(21) })));
        assert!(unsup(quantize_attrs(&QdqNode { zero_point_dtype: Some(17), ..node(19) })));
        assert!(unsup(quantize_attrs(&QdqNode { output_dtype: Some(22), ..node(21) })));
        assert!(unsup(quantize_attrs(&QdqNode { scale_dtype: 10, ..node(19) })));
        assert!(unsup(quantize_attrs(&QdqNode { x_dtype: 6, ..node(13) })));
        assert!(unsup(quantize_attrs(&QdqNode { precision: Some(10), ..node(23) })));
        assert!(unsup(dequantize_attrs(&QdqNode { x_dtype: 21, ..node(21) })));
    }

    #[test]
    fn dequantize_types() {
        let n = QdqNode { x_dtype: 6, ..node(10) };
        assert_eq!(dequantize_attrs(&n), Ok(QdqResolved { axis: 1, ty: IntType::I32 }));
        let n = QdqNode { x_dtype: 2, zero_point_dtype: Some(3), ..node(13) };
        assert!(dequantize_attrs(&n).is_err());
        assert!(dequantize_attrs(&QdqNode { x_dtype: 4, ..node(19) }).is_err());
        assert!(dequantize_attrs(&QdqNode { x_dtype: 4, ..node(21) }).is_ok());
        assert!(dequantize_attrs(&QdqNode { x_dtype: 2, saturate: Some(1), ..node(21) }).is_err());
    }
}
