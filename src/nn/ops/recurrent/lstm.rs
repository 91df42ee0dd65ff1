//! ONNX LSTM (LSTM-7, LSTM-14 and LSTM-22, which only adds types), on f32:
//!
//! ```text
//! i = f(Wi·x + Ri·h₋₁ + Pi⊙C₋₁ + Wbi + Rbi)
//! f = f(Wf·x + Rf·h₋₁ + Pf⊙C₋₁ + Wbf + Rbf)     (input_forget: f = 1 − i)
//! c = g(Wc·x + Rc·h₋₁ + Wbc + Rbc)
//! C = f⊙C₋₁ + i⊙c
//! o = f(Wo·x + Ro·h₋₁ + Po⊙C + Wbo + Rbo)
//! h = o⊙h(C)
//! ```
//!
//! with `f, g, h` = σ, tanh, tanh unless `activations` says otherwise, and `clip` bounding each
//! gate's argument (the peephole term included; not the C fed to `h`, as onnxruntime does).

use crate::nn::ops::recurrent::activation::Activation;
use crate::nn::ops::recurrent::dims::RnnDims;
use crate::nn::ops::recurrent::engine::{Prepared, RnnInputs, RnnOut, State, clip, recurrent};
use crate::nn::ops::recurrent::error::RnnError;
use crate::nn::ops::recurrent::params::{Cell, RnnParams};
use ndarray::ArrayViewD;

/// Run an ONNX LSTM node: inputs as the spec orders them, absent optional ones `None`.
///
/// # Errors
/// Shapes that disagree with each other or with `params` (see [`crate::nn::ops::recurrent::output_dims`]), a
/// `sequence_lens` entry outside `0..=seq`, or GRU parameters.
#[allow(clippy::too_many_arguments)] // the op's own inputs, in the spec's order
pub fn lstm(
    x: ArrayViewD<f32>,
    w: ArrayViewD<f32>,
    r: ArrayViewD<f32>,
    b: Option<ArrayViewD<f32>>,
    seq_lens: Option<&[i64]>,
    initial_h: Option<ArrayViewD<f32>>,
    initial_c: Option<ArrayViewD<f32>>,
    p: Option<ArrayViewD<f32>>,
    params: &RnnParams,
) -> Result<RnnOut, RnnError> {
    let inputs = RnnInputs { x, w, r, b, seq_lens, initial_h, initial_c, p };
    let pre = Prepared::new(Cell::Lstm, &inputs, params)?;
    Ok(pre.outputs(&pre.run_directions(direction)))
}

/// Run the first `steps` processing steps of direction `d` (forward: times 0, 1, …; reverse:
/// each sequence's last time first), leaving the states in `st` and writing `st.y`.
pub(crate) fn direction(pre: &Prepared, d: usize, steps: usize, st: &mut State) {
    let RnnDims { batch, hidden: h, .. } = pre.dims;
    let gh = 4 * h;
    let r = &pre.r[d * gh * h..(d + 1) * gh * h];
    let bias = &pre.bias[d * gh..(d + 1) * gh];
    let p = pre.p.as_ref().map(|p| &p[d * 3 * h..(d + 1) * 3 * h]);
    let cfg = Config {
        acts: pre.params.acts(d),
        clip: pre.params.clip,
        input_forget: pre.params.input_forget,
    };
    let steps = steps.min(pre.lens.iter().copied().max().unwrap_or(0));
    for s in 0..steps {
        recurrent(&mut st.gates, gh, &st.h, (r, &st.rt), 0..gh, batch);
        for b in 0..batch {
            if s >= pre.lens[b] {
                continue; // past this sequence's end: the state holds, Y stays 0
            }
            let t = pre.time(d, s, b);
            let row = pre.x_row(t, b) * gh;
            let hs = &mut st.h[b * h..(b + 1) * h];
            let cs = &mut st.c[b * h..(b + 1) * h];
            let xw = &st.xw[row..row + gh];
            cell(&mut st.gates[b * gh..(b + 1) * gh], xw, bias, p, cs, hs, &cfg);
            st.y[(t * batch + b) * h..(t * batch + b + 1) * h].copy_from_slice(hs);
        }
    }
}

struct Config<'a> {
    /// `f, g, h`.
    acts: &'a [Activation],
    clip: Option<f32>,
    input_forget: bool,
}

/// One batch entry's step: `g` holds R·h₋₁ for gates i, o, f, c on entry (and is used as
/// scratch); `c` and `h` are updated in place.
fn cell(
    g: &mut [f32],
    xw: &[f32],
    bias: &[f32],
    p: Option<&[f32]>,
    c: &mut [f32],
    h: &mut [f32],
    cfg: &Config,
) {
    let n = h.len();
    let (f, g_act, h_act) = (cfg.acts[0], cfg.acts[1], cfg.acts[2]);
    for ((v, x), b) in g.iter_mut().zip(xw).zip(bias) {
        *v += x + b;
    }
    let (gi, rest) = g.split_at_mut(n);
    let (go, rest) = rest.split_at_mut(n);
    let (gf, gc) = rest.split_at_mut(n);
    let peep = p.map(|p| (&p[..n], &p[n..2 * n], &p[2 * n..]));
    if let Some((pi, _, pf)) = peep {
        add_product(gi, pi, c);
        if !cfg.input_forget {
            add_product(gf, pf, c);
        }
    }
    clip(gi, cfg.clip);
    f.apply_slice(gi);
    if cfg.input_forget {
        gf.iter_mut().zip(gi.iter()).for_each(|(f, i)| *f = 1.0 - i);
    } else {
        clip(gf, cfg.clip);
        f.apply_slice(gf);
    }
    clip(gc, cfg.clip);
    g_act.apply_slice(gc);
    for j in 0..n {
        c[j] = gf[j] * c[j] + gi[j] * gc[j];
    }
    if let Some((_, po, _)) = peep {
        add_product(go, po, c);
    }
    clip(go, cfg.clip);
    f.apply_slice(go);
    gc.copy_from_slice(c);
    h_act.apply_slice(gc);
    for j in 0..n {
        h[j] = go[j] * gc[j];
    }
}

/// `acc += a ⊙ b`.
#[inline]
fn add_product(acc: &mut [f32], a: &[f32], b: &[f32]) {
    for ((v, x), y) in acc.iter_mut().zip(a).zip(b) {
        *v += x * y;
    }
}
