//! Backward of the ops that only move values (reshapes, transposes, slices, splits, concats,
//! pads, gathers, tiles, depth↔space): each output cell is a copy of one input cell, or a
//! constant. Rather than invert each op's index arithmetic by hand, the op itself is run once
//! on *index* tensors: every float input is replaced by `1, 2, 3, …` (input k's numbers
//! following input k−1's), so each output cell reads where it came from (0: a constant), and
//! the gradient is scatter-added back along that map. The numbers stay exact while they fit
//! f32's 24-bit mantissa, which [`MAX_CELLS`] guards.

use crate::nn::ops::{Arg, Args, Info, Op, OpError, OpLayer, Operand};
use crate::nn::tensor::Tensor;
use ndarray::{ArrayD, IxDyn};

/// The most input cells an index map can number exactly in f32.
pub const MAX_CELLS: usize = 1 << 24;

/// Whether an op only moves values (so [`route`] computes its gradient).
pub fn moves_values(op: &Op) -> bool {
    matches!(
        op,
        Op::Identity
            | Op::Dropout
            | Op::Reshape { .. }
            | Op::Flatten { .. }
            | Op::Squeeze { .. }
            | Op::Unsqueeze { .. }
            | Op::Transpose { .. }
            | Op::Concat { .. }
            | Op::Split { .. }
            | Op::Slice { .. }
            | Op::Gather { .. }
            | Op::Expand
            | Op::Tile
            | Op::Pad { .. }
            | Op::DepthToSpace { .. }
            | Op::SpaceToDepth { .. }
    )
}

/// The gradient of each operand position of a value-moving op (`None` for constants and
/// integer inputs).
///
/// # Errors
/// More input cells than f32 numbers exactly, or the op refusing its index inputs.
pub fn route(
    layer: &OpLayer,
    xs: &[&Tensor],
    out: &Info,
    gy: &ArrayD<f32>,
) -> Result<Vec<Option<ArrayD<f32>>>, OpError> {
    let mut op = layer.clone();
    // A pad's constant cells must read 0 ("no input"), whatever the model pads with.
    if let Op::Pad { value, .. } = &mut op.op {
        *value = 0.0;
        if let Some(o) = op.operands.get_mut(2)
            && matches!(o, Operand::Const(_))
        {
            *o = Operand::Const(Tensor::f32(&[], vec![0.0]));
        }
    }
    // Number the float runtime inputs' cells from 1.
    let mut next = 1usize;
    let mut ranges = Vec::new();
    let mut maps: Vec<Option<Tensor>> = Vec::new();
    for x in xs {
        if x.elem().is_float() {
            let n = x.len();
            if next + n > MAX_CELLS {
                return Err(OpError::Unsupported(format!(
                    "the gradient of a {} over more than {MAX_CELLS} values",
                    layer.op.name()
                )));
            }
            let v: Vec<f32> = (next..next + n).map(|i| i as f32).collect();
            maps.push(Some(Tensor::f32(x.dims(), v)));
            ranges.push(Some(next..next + n));
            next += n;
        } else {
            maps.push(None);
            ranges.push(None);
        }
    }
    let args = Args {
        items: op
            .operands
            .iter()
            .map(|o| match o {
                Operand::Input(k) => match (maps.get(*k), xs.get(*k)) {
                    (Some(Some(m)), _) => Arg::Run(m),
                    (_, Some(x)) => Arg::Run(*x),
                    _ => Arg::Absent,
                },
                Operand::Const(t) => Arg::Const(t),
                Operand::Absent => Arg::Absent,
            })
            .collect(),
    };
    let map = op.eval(&args, out)?;
    let map = map.to_f32();
    let mut flat: Vec<Vec<f32>> = xs
        .iter()
        .zip(&ranges)
        .map(|(x, r)| if r.is_some() { vec![0.0; x.len()] } else { Vec::new() })
        .collect();
    for (&m, &g) in map.iter().zip(gy.iter()) {
        let m = m as usize;
        if m == 0 {
            continue;
        }
        if let Some(k) = ranges.iter().position(|r| r.as_ref().is_some_and(|r| r.contains(&m))) {
            let start = ranges[k].as_ref().map_or(0, |r| r.start);
            flat[k][m - start] += g;
        }
    }
    Ok(xs
        .iter()
        .zip(flat)
        .zip(&ranges)
        .map(|((x, v), r)| {
            r.as_ref().map(|_| ArrayD::from_shape_vec(IxDyn(x.dims()), v).expect("one per cell"))
        })
        .collect())
}
