//! ONNX GRU (GRU-7, GRU-14 and GRU-22, which only adds types), on f32:
//!
//! ```text
//! z = f(Wz·x + Rz·h₋₁ + Wbz + Rbz)
//! r = f(Wr·x + Rr·h₋₁ + Wbr + Rbr)
//! h̃ = g(Wh·x + Rh·(r⊙h₋₁) + Rbh + Wbh)        linear_before_reset = 0
//! h̃ = g(Wh·x + r⊙(Rh·h₋₁ + Rbh) + Wbh)        linear_before_reset = 1
//! h = (1 − z)⊙h̃ + z⊙h₋₁
//! ```
//!
//! with `f, g` = σ, tanh unless `activations` says otherwise, and `clip` bounding each gate's
//! argument.

use crate::nn::ops::recurrent::activation::Activation;
use crate::nn::ops::recurrent::dims::RnnDims;
use crate::nn::ops::recurrent::engine::{Prepared, RnnInputs, RnnOut, State, clip, recurrent};
use crate::nn::ops::recurrent::error::RnnError;
use crate::nn::ops::recurrent::params::{Cell, RnnParams};
use ndarray::ArrayViewD;

/// Run an ONNX GRU node: inputs as the spec orders them, absent optional ones `None`.
///
/// # Errors
/// Shapes that disagree with each other or with `params` (see [`crate::nn::ops::recurrent::output_dims`]), a
/// `sequence_lens` entry outside `0..=seq`, or LSTM parameters.
pub fn gru(
    x: ArrayViewD<f32>,
    w: ArrayViewD<f32>,
    r: ArrayViewD<f32>,
    b: Option<ArrayViewD<f32>>,
    seq_lens: Option<&[i64]>,
    initial_h: Option<ArrayViewD<f32>>,
    params: &RnnParams,
) -> Result<RnnOut, RnnError> {
    let inputs = RnnInputs { x, w, r, b, seq_lens, initial_h, initial_c: None, p: None };
    let pre = Prepared::new(Cell::Gru, &inputs, params)?;
    Ok(pre.outputs(&pre.run_directions(direction)))
}

/// Run the first `steps` processing steps of direction `d`, as [`crate::nn::ops::recurrent::lstm`]'s does.
pub(crate) fn direction(pre: &Prepared, d: usize, steps: usize, st: &mut State) {
    let RnnDims { batch, hidden: h, .. } = pre.dims;
    let gh = 3 * h;
    let r = &pre.r[d * gh * h..(d + 1) * gh * h];
    let bias = &pre.bias[d * gh..(d + 1) * gh];
    let lbr = pre.params.linear_before_reset;
    let rbh = if lbr { &pre.rbh[d * h..(d + 1) * h] } else { &[][..] };
    let acts: &[Activation] = pre.params.acts(d);
    let (f, g) = (acts[0], acts[1]);
    let cl = pre.params.clip;
    let steps = steps.min(pre.lens.iter().copied().max().unwrap_or(0));
    for s in 0..steps {
        // Linear before reset: R·h₋₁ for all three gates at once. Otherwise Rz, Rr first;
        // Rh waits for r.
        if lbr {
            recurrent(&mut st.gates, gh, &st.h, (r, &st.rt), 0..gh, batch);
        } else {
            recurrent(&mut st.gates, gh, &st.h, (r, &st.rt), 0..2 * h, batch);
        }
        for b in 0..batch {
            if s >= pre.lens[b] {
                continue;
            }
            let row = pre.x_row(pre.time(d, s, b), b) * gh;
            let zr = &mut st.gates[b * gh..b * gh + 2 * h];
            for ((v, x), bb) in zr.iter_mut().zip(&st.xw[row..row + 2 * h]).zip(bias) {
                *v += x + bb;
            }
            clip(zr, cl);
            f.apply_slice(zr);
            if !lbr {
                let rg = &zr[h..];
                let hs = &st.h[b * h..(b + 1) * h];
                for ((o, rv), hv) in st.scratch[b * h..(b + 1) * h].iter_mut().zip(rg).zip(hs) {
                    *o = rv * hv;
                }
            }
        }
        if !lbr {
            recurrent(&mut st.gates[2 * h..], gh, &st.scratch, (r, &st.rt), 2 * h..gh, batch);
        }
        for b in 0..batch {
            if s >= pre.lens[b] {
                continue;
            }
            let t = pre.time(d, s, b);
            let row = pre.x_row(t, b) * gh;
            let (zr, hh) = st.gates[b * gh..(b + 1) * gh].split_at_mut(2 * h);
            let (z, rg) = zr.split_at(h);
            let (xh, bh) = (&st.xw[row + 2 * h..row + gh], &bias[2 * h..]);
            if lbr {
                for j in 0..h {
                    hh[j] = xh[j] + bh[j] + rg[j] * (hh[j] + rbh[j]);
                }
            } else {
                for j in 0..h {
                    hh[j] += xh[j] + bh[j];
                }
            }
            clip(hh, cl);
            g.apply_slice(hh);
            let hs = &mut st.h[b * h..(b + 1) * h];
            for j in 0..h {
                hs[j] = (1.0 - z[j]) * hh[j] + z[j] * hs[j];
            }
            st.y[(t * batch + b) * h..(t * batch + b + 1) * h].copy_from_slice(hs);
        }
    }
}
