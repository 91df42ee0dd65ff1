//! The quantised ops on the exact kernels of [`super::quant`]: integers where ONNX says
//! integers (uint8, int8, int32, uint16, int16 values held exactly in i64 tensors).

use super::quant::{self, ConvAttrs, IntInput, IntType, QDims, QInput, QOutput, QuantError};
use super::{Args, Info, OpError};
use crate::nn::tensor::{Elem, Tensor};
use ndarray::ArrayViewD;

/// A quantised op, with its attributes resolved by the importer.
#[derive(Clone, Debug, PartialEq)]
pub enum QuantOp {
    /// QuantizeLinear: operands X, scale, zero point; `ty` is the output type.
    Quantize { axis: i64, ty: Elem },
    /// DequantizeLinear: operands X, scale, zero point.
    Dequantize { axis: i64 },
    /// DynamicQuantizeLinear: outputs y (uint8), scale, zero point.
    DynamicQuantize,
    /// ConvInteger: operands x, w, x_zero_point, w_zero_point.
    ConvInteger(ConvAttrs),
    /// MatMulInteger: operands a, b, a_zero_point, b_zero_point.
    MatMulInteger,
    /// QLinearConv: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B.
    QLinearConv(ConvAttrs),
    /// QLinearMatMul: a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp.
    QLinearMatMul,
}

impl QuantOp {
    pub fn name(&self) -> &'static str {
        match self {
            QuantOp::Quantize { .. } => "quantize",
            QuantOp::Dequantize { .. } => "dequantize",
            QuantOp::DynamicQuantize => "dynamic_quantize",
            QuantOp::ConvInteger(_) => "conv_integer",
            QuantOp::MatMulInteger => "matmul_integer",
            QuantOp::QLinearConv(_) => "qlinear_conv",
            QuantOp::QLinearMatMul => "qlinear_matmul",
        }
    }
}

fn err(e: QuantError) -> OpError {
    match e {
        QuantError::Unsupported { .. } => OpError::Unsupported(e.to_string()),
        e => OpError::Shape(e.to_string()),
    }
}

/// The kernels' integer type of an element type.
///
/// # Errors
/// A type the quantised ops do not take (floats, int64, bool, uint32).
pub fn int_type(e: Elem) -> Result<IntType, OpError> {
    Ok(match e {
        Elem::U8 => IntType::U8,
        Elem::I8 => IntType::I8,
        Elem::I32 => IntType::I32,
        Elem::U16 => IntType::U16,
        Elem::I16 => IntType::I16,
        other => {
            return Err(OpError::Operand(format!("{other} is not a quantised integer type")));
        }
    })
}

fn elem_of(t: IntType) -> Elem {
    match t {
        IntType::U8 => Elem::U8,
        IntType::I8 => Elem::I8,
        IntType::I32 => Elem::I32,
        IntType::U16 => Elem::U16,
        IntType::I16 => Elem::I16,
    }
}

fn dims(args: &Args<Info>, i: usize, what: &str) -> Result<Vec<usize>, OpError> {
    Ok(args.need(i, what)?.dims)
}

fn opt_dims(args: &Args<Info>, i: usize) -> Option<Vec<usize>> {
    args.info(i).filter(|_| args.is_present(i)).map(|x| x.dims)
}

pub(super) fn infer(op: &QuantOp, output: usize, args: &Args<Info>) -> Result<Info, OpError> {
    match op {
        QuantOp::Quantize { axis, ty } => {
            let x = dims(args, 0, "x")?;
            let zp = opt_dims(args, 2);
            let d = quant::output_dims_quantize_linear(
                &x,
                &dims(args, 1, "y_scale")?,
                zp.as_deref(),
                *axis,
            )
            .map_err(err)?;
            Ok(Info::new(d, *ty))
        }
        QuantOp::Dequantize { axis } => {
            let x = args.need(0, "x")?;
            int_type(x.elem)?;
            let zp = opt_dims(args, 2);
            let d = quant::output_dims_dequantize_linear(
                &x.dims,
                &dims(args, 1, "x_scale")?,
                zp.as_deref(),
                *axis,
            )
            .map_err(err)?;
            Ok(Info::f32(d))
        }
        QuantOp::DynamicQuantize => {
            let x = dims(args, 0, "x")?;
            let d = quant::output_dims_dynamic_quantize_linear(&x).map_err(err)?;
            Ok(match output {
                0 => Info::new(d, Elem::U8),
                1 => Info::f32(vec![]),
                _ => Info::new(vec![], Elem::U8),
            })
        }
        QuantOp::ConvInteger(a) => {
            let (xz, wz) = (opt_dims(args, 2), opt_dims(args, 3));
            let d = quant::output_dims_conv_integer(
                &dims(args, 0, "x")?,
                xz.as_deref(),
                &dims(args, 1, "w")?,
                wz.as_deref(),
                a,
            )
            .map_err(err)?;
            Ok(Info::new(d, Elem::I32))
        }
        QuantOp::MatMulInteger => {
            let (az, bz) = (opt_dims(args, 2), opt_dims(args, 3));
            let d = quant::output_dims_matmul_integer(
                &dims(args, 0, "A")?,
                az.as_deref(),
                &dims(args, 1, "B")?,
                bz.as_deref(),
            )
            .map_err(err)?;
            Ok(Info::new(d, Elem::I32))
        }
        QuantOp::QLinearConv(a) => {
            let ds: Vec<Vec<usize>> =
                (0..8).map(|i| dims(args, i, "a QLinearConv input")).collect::<Result<_, _>>()?;
            let b = opt_dims(args, 8);
            let d = quant::output_dims_qlinear_conv(
                QDims { data: &ds[0], scale: &ds[1], zero_point: &ds[2] },
                QDims { data: &ds[3], scale: &ds[4], zero_point: &ds[5] },
                &ds[6],
                &ds[7],
                b.as_deref(),
                a,
            )
            .map_err(err)?;
            Ok(Info::new(d, args.need(7, "y_zero_point")?.elem))
        }
        QuantOp::QLinearMatMul => {
            let ds: Vec<Vec<usize>> =
                (0..8).map(|i| dims(args, i, "a QLinearMatMul input")).collect::<Result<_, _>>()?;
            let d = quant::output_dims_qlinear_matmul(
                QDims { data: &ds[0], scale: &ds[1], zero_point: &ds[2] },
                QDims { data: &ds[3], scale: &ds[4], zero_point: &ds[5] },
                &ds[6],
                &ds[7],
            )
            .map_err(err)?;
            Ok(Info::new(d, args.need(7, "y_zero_point")?.elem))
        }
    }
}

/// Integer values of operand `i` (the kernels check their range).
fn ints<'a>(args: &'a Args<Tensor>, i: usize) -> Result<ArrayViewD<'a, i64>, OpError> {
    args.get(i)?
        .as_i64()
        .ok_or_else(|| OpError::Operand(format!("input {i} holds floats, not integers")))
}

fn opt_ints<'a>(args: &'a Args<Tensor>, i: usize) -> Result<Option<ArrayViewD<'a, i64>>, OpError> {
    if args.value(i).is_some() { ints(args, i).map(Some) } else { Ok(None) }
}

fn int_input<'a>(args: &'a Args<Tensor>, i: usize, zp: usize) -> Result<IntInput<'a>, OpError> {
    Ok(IntInput {
        data: ints(args, i)?,
        ty: int_type(args.get(i)?.elem())?,
        zero_point: opt_ints(args, zp)?,
    })
}

fn q_input<'a>(args: &'a Args<Tensor>, i: usize) -> Result<QInput<'a>, OpError> {
    Ok(QInput {
        data: ints(args, i)?,
        ty: int_type(args.get(i)?.elem())?,
        scale: args.f32(i + 1)?,
        zero_point: ints(args, i + 2)?,
    })
}

fn q_output<'a>(args: &'a Args<Tensor>, i: usize) -> Result<QOutput<'a>, OpError> {
    Ok(QOutput {
        ty: int_type(args.get(i + 1)?.elem())?,
        scale: args.f32(i)?,
        zero_point: ints(args, i + 1)?,
    })
}

pub(super) fn eval(op: &QuantOp, output: usize, args: &Args<Tensor>) -> Result<Tensor, OpError> {
    let int = |a: ndarray::ArrayD<i64>, e: Elem| Tensor::Int(a.into_shared(), e);
    Ok(match op {
        QuantOp::Quantize { axis, ty } => {
            let y = quant::quantize_linear(
                args.f32(0)?,
                args.f32(1)?,
                opt_ints(args, 2)?,
                *axis,
                int_type(*ty)?,
            )
            .map_err(err)?;
            int(y, *ty)
        }
        QuantOp::Dequantize { axis } => {
            let ty = int_type(args.get(0)?.elem())?;
            let y = quant::dequantize_linear(
                ints(args, 0)?,
                ty,
                args.f32(1)?,
                opt_ints(args, 2)?,
                *axis,
            )
            .map_err(err)?;
            Tensor::F32(y.into_shared())
        }
        QuantOp::DynamicQuantize => {
            let q = quant::dynamic_quantize_linear(args.f32(0)?).map_err(err)?;
            match output {
                0 => int(q.y, Elem::U8),
                1 => Tensor::f32(&[], vec![q.scale]),
                _ => Tensor::int(&[], vec![q.zero_point], Elem::U8),
            }
        }
        QuantOp::ConvInteger(a) => {
            let y = quant::conv_integer(int_input(args, 0, 2)?, int_input(args, 1, 3)?, a)
                .map_err(err)?;
            int(y, Elem::I32)
        }
        QuantOp::MatMulInteger => {
            let y = quant::matmul_integer(int_input(args, 0, 2)?, int_input(args, 1, 3)?)
                .map_err(err)?;
            int(y, Elem::I32)
        }
        QuantOp::QLinearConv(a) => {
            let y = q_output(args, 6)?;
            let ty = elem_of(y.ty);
            let out =
                quant::qlinear_conv(q_input(args, 0)?, q_input(args, 3)?, y, opt_ints(args, 8)?, a)
                    .map_err(err)?;
            int(out, ty)
        }
        QuantOp::QLinearMatMul => {
            let y = q_output(args, 6)?;
            let ty = elem_of(y.ty);
            let out =
                quant::qlinear_matmul(q_input(args, 0)?, q_input(args, 3)?, y).map_err(err)?;
            int(out, ty)
        }
    })
}
