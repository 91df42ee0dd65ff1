//! LSTM and GRU nodes on the kernels of [`super::recurrent`]. Operands in ONNX order: X, W, R,
//! B, sequence_lens, initial_h, initial_c, P (GRU stops at initial_h); outputs Y, Y_h, Y_c.
//! Each output is its own layer; each runs the node (a few milliseconds for a text reader).

use super::recurrent::{self, Cell, RnnError, RnnParams};
use super::{Args, Info, OpError};
use crate::nn::tensor::Tensor;

fn err(e: RnnError) -> OpError {
    match e {
        RnnError::Unsupported { .. } => OpError::Unsupported(e.to_string()),
        e => OpError::Shape(e.to_string()),
    }
}

fn opt(args: &Args<Info>, i: usize) -> Option<Vec<usize>> {
    if args.is_present(i) { args.info(i).map(|x| x.dims) } else { None }
}

/// The dims of the node's three outputs.
///
/// # Errors
/// Shapes that do not fit the attributes or each other.
pub fn dims(p: &RnnParams, args: &Args<Info>) -> Result<recurrent::RnnDims, OpError> {
    let need = |i: usize, what: &str| args.need(i, what).map(|x| x.dims);
    let (x, w, r) = (need(0, "X")?, need(1, "W")?, need(2, "R")?);
    for i in 0..args.len() {
        if let Some(a) = args.info(i)
            && !a.elem.is_float()
            && i != 4
        {
            return Err(OpError::Operand(format!("{} input {i} holds {}", p.cell.name(), a.elem)));
        }
    }
    let lstm = p.cell == Cell::Lstm;
    recurrent::output_dims(
        p,
        &x,
        &w,
        &r,
        opt(args, 3).as_deref(),
        opt(args, 4).as_deref(),
        opt(args, 5).as_deref(),
        if lstm { opt(args, 6) } else { None }.as_deref(),
        if lstm { opt(args, 7) } else { None }.as_deref(),
    )
    .map_err(err)
}

pub(super) fn infer(p: &RnnParams, output: usize, args: &Args<Info>) -> Result<Info, OpError> {
    let d = dims(p, args)?;
    match output {
        0 => Ok(Info::f32(d.y)),
        1 => Ok(Info::f32(d.y_h)),
        _ => d.y_c.map(Info::f32).ok_or_else(|| OpError::Operand("GRU has no Y_c output".into())),
    }
}

pub(super) fn eval(p: &RnnParams, output: usize, args: &Args<Tensor>) -> Result<Tensor, OpError> {
    let f = |i: usize| -> Result<Option<ndarray::ArrayViewD<f32>>, OpError> {
        if args.value(i).is_some() { args.f32(i).map(Some) } else { Ok(None) }
    };
    let seq: Option<Vec<i64>> = args.value(4).map(Tensor::ints);
    let (x, w, r) = (args.f32(0)?, args.f32(1)?, args.f32(2)?);
    let out = match p.cell {
        Cell::Lstm => {
            recurrent::lstm(x, w, r, f(3)?, seq.as_deref(), f(5)?, f(6)?, f(7)?, p).map_err(err)?
        }
        Cell::Gru => recurrent::gru(x, w, r, f(3)?, seq.as_deref(), f(5)?, p).map_err(err)?,
    };
    let y = match output {
        0 => out.y,
        1 => out.y_h,
        _ => out.y_c.ok_or_else(|| OpError::Operand("GRU has no Y_c output".into()))?,
    };
    Ok(Tensor::F32(y.into_shared()))
}
