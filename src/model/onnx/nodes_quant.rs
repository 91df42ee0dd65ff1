//! Quantised nodes (QDQ, dynamic quantisation, integer and QLinear conv/matmul) and the
//! recurrent ones (LSTM, GRU). What the kernels refuse as unsupported (float8, int4, blocked
//! quantisation, …) leaves the node not computable; a bad attribute is an error.

use super::attrs::Node;
use super::build::{Builder, Value};
use super::nodes::{Mapped, Operand, op, unknown, unsupported};
use crate::nn::Elem;
use crate::nn::ops::quant::{self, AutoPad, ConvAttrs, QdqNode, QuantError};
use crate::nn::ops::recurrent::{Cell, RnnAttrs, RnnError, RnnParams};
use crate::nn::ops::{Op, QuantOp, int_type};
use color_eyre::eyre::{Result, bail};

const FLOAT: i32 = 1;

/// The element type of node input `i` (a constant's, or the analysed runtime tensor's).
fn elem(b: &Builder, n: &Node, i: usize) -> Result<Option<Elem>> {
    Ok(match b.input(n, i)? {
        Some(Value::Const(t)) => Some(t.elem()),
        Some(Value::Run(s)) => b.info(*s).map(|x| x.elem),
        _ => None,
    })
}

/// The ONNX type code of an integer element type (floats as FLOAT).
fn code(e: Elem) -> i32 {
    match int_type(e) {
        Ok(t) => t.onnx_code(),
        Err(_) if e.is_float() => FLOAT,
        Err(_) => match e {
            Elem::I64 => 7,
            Elem::Bool => 9,
            Elem::U32 => 12,
            _ => 0,
        },
    }
}

/// A kernel's refusal: unsupported features leave the node not computable, anything else is a
/// broken node.
fn refused(n: &Node, e: QuantError) -> Result<Mapped> {
    match e {
        QuantError::Unsupported { .. } => unsupported(format!("{}: {e}", n.label), n),
        e => bail!(n.err(e)),
    }
}

fn qdq_node(b: &Builder, n: &Node) -> Result<Option<QdqNode>> {
    let opt =
        |k: &str| -> Result<Option<i64>> { Ok(if n.has(k) { Some(n.int(k, 0)?) } else { None }) };
    let Some(x) = elem(b, n, 0)? else { return Ok(None) };
    let zp = elem(b, n, 2)?;
    Ok(Some(QdqNode {
        opset: n.opset,
        axis: opt("axis")?,
        saturate: opt("saturate")?,
        block_size: opt("block_size")?,
        output_dtype: opt("output_dtype")?,
        precision: opt("precision")?,
        x_dtype: code(x),
        scale_dtype: elem(b, n, 1)?.map_or(FLOAT, code),
        zero_point_dtype: zp.map(code),
    }))
}

fn conv_attrs(n: &Node) -> Result<ConvAttrs> {
    let auto = n.string("auto_pad", "NOTSET")?;
    Ok(ConvAttrs {
        auto_pad: AutoPad::parse("Conv", &auto).map_err(|e| n.err(e))?,
        dilations: n.ints("dilations")?,
        group: if n.has("group") { Some(n.int("group", 1)?) } else { None },
        kernel_shape: n.ints("kernel_shape")?,
        pads: n.ints("pads")?,
        strides: n.ints("strides")?,
    })
}

fn quant_op(q: QuantOp, n: &Node) -> Result<Mapped> {
    op(Op::Quant(Box::new(q)), n)
}

pub fn map(b: &Builder, n: &Node) -> Result<Mapped> {
    match n.op {
        "QuantizeLinear" | "DequantizeLinear" => {
            let Some(node) = qdq_node(b, n)? else {
                return unsupported(format!("{}: its input is not computed", n.label), n);
            };
            let r = if n.op == "QuantizeLinear" {
                quant::quantize_attrs(&node)
            } else {
                quant::dequantize_attrs(&node)
            };
            let r = match r {
                Ok(r) => r,
                Err(e) => return refused(n, e),
            };
            let ty = match r.ty {
                quant::IntType::U8 => Elem::U8,
                quant::IntType::I8 => Elem::I8,
                quant::IntType::I32 => Elem::I32,
                quant::IntType::U16 => Elem::U16,
                quant::IntType::I16 => Elem::I16,
            };
            if n.op == "QuantizeLinear" {
                quant_op(QuantOp::Quantize { axis: r.axis, ty }, n)
            } else {
                quant_op(QuantOp::Dequantize { axis: r.axis }, n)
            }
        }
        "DynamicQuantizeLinear" => quant_op(QuantOp::DynamicQuantize, n),
        "ConvInteger" => quant_op(QuantOp::ConvInteger(conv_attrs(n)?), n),
        "MatMulInteger" => quant_op(QuantOp::MatMulInteger, n),
        "QLinearConv" => quant_op(QuantOp::QLinearConv(conv_attrs(n)?), n),
        "QLinearMatMul" => quant_op(QuantOp::QLinearMatMul, n),
        "LSTM" | "GRU" => rnn(n),
        _ => unknown(n),
    }
}

fn rnn(n: &Node) -> Result<Mapped> {
    let cell = if n.op == "LSTM" { Cell::Lstm } else { Cell::Gru };
    let s = |k: &str| -> Result<Option<String>> {
        Ok(if n.has(k) { Some(n.string(k, "")?) } else { None })
    };
    let i =
        |k: &str| -> Result<Option<i64>> { Ok(if n.has(k) { Some(n.int(k, 0)?) } else { None }) };
    let strings = |k: &str| -> Result<Option<Vec<String>>> {
        Ok(n.strings(k)?.map(|v| v.into_iter().collect()))
    };
    let attrs = RnnAttrs {
        direction: s("direction")?,
        hidden_size: i("hidden_size")?,
        activations: strings("activations")?,
        activation_alpha: n.floats("activation_alpha")?,
        activation_beta: n.floats("activation_beta")?,
        clip: if n.has("clip") { Some(n.float("clip", 0.0)?) } else { None },
        input_forget: i("input_forget")?,
        linear_before_reset: i("linear_before_reset")?,
        layout: i("layout")?,
    };
    let p = match RnnParams::from_attrs(cell, n.opset, &attrs) {
        Ok(p) => p,
        Err(e @ RnnError::Unsupported { .. }) => {
            return unsupported(format!("{}: {e}", n.label), n);
        }
        Err(e) => bail!(n.err(e)),
    };
    let count = if cell == Cell::Lstm { 8 } else { 6 };
    let operands = (0..count).map(Operand::Input).collect();
    Ok(Mapped::Op(Op::Rnn(Box::new(p)), operands))
}
