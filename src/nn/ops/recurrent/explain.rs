//! The explain panel's view of one hidden unit at one step: every gate's pre-activation, split
//! into its terms, and its value, with the formula in words:
//! `i = σ(Wi·x + Ri·h₋₁ + Wbi + Rbi) = σ(0.31) = 0.577`.
//!
//! [`gates_at`] runs the kernel up to the step before, so the states it starts from are the
//! kernel's own, then recomputes that one step for that one unit with plain loops: the final
//! `h` agrees with Y to rounding (a different summation order), which the tests check.

use crate::nn::ops::recurrent::activation::Activation;
use crate::nn::ops::recurrent::engine::{Prepared, RnnInputs, clip_one, dot, flat};
use crate::nn::ops::recurrent::error::RnnError;
use crate::nn::ops::recurrent::params::{Cell, RnnParams};
use crate::nn::ops::recurrent::{gru, lstm};

/// Which hidden unit to explain, where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateQuery {
    /// 0, or 1 for the backward half of a bidirectional node.
    pub direction: usize,
    /// The time index into X and Y (not the order a reverse direction visits it in).
    pub t: usize,
    pub batch: usize,
    /// The hidden unit `j`.
    pub unit: usize,
}

/// One line of the explanation.
#[derive(Clone, Debug, PartialEq)]
pub struct GateRow {
    /// `i`, `o`, `f`, `c`, `C`, `h` (LSTM); `z`, `r`, `h̃`, `h` (GRU).
    pub name: &'static str,
    /// `input gate`, `cell state`, ….
    pub role: &'static str,
    /// The activation's argument, term by term: `("Wi·x", 0.12)`, `("Ri·h₋₁", 0.15)`, …; a
    /// term of an absent input (B, P) is left out. Empty for a row that is a combination.
    pub terms: Vec<(String, f32)>,
    /// The terms' sum, before any clip; `None` for a combination row.
    pub pre: Option<f32>,
    /// The argument after `clip`, when the clip changed it.
    pub clipped: Option<f32>,
    pub activation: Option<Activation>,
    pub value: f32,
    /// `i = σ(Wi·x + Ri·h₋₁ + Wbi + Rbi) = σ(0.31) = 0.577`.
    pub formula: String,
}

/// Every gate of one unit at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct Gates {
    pub cell: Cell,
    pub query: GateQuery,
    /// How many steps the direction had run before this one (`t` forward; `len − 1 − t` in
    /// reverse).
    pub step: usize,
    /// `h₋₁[j]`, the state this step starts from.
    pub h_prev: f32,
    /// LSTM: `C₋₁[j]`.
    pub c_prev: Option<f32>,
    /// LSTM: i, f, c, C, o, h; GRU: z, r, h̃, h (in the order they are computed).
    pub rows: Vec<GateRow>,
}

/// `0.31`, `0.577`, `-1.2e-5`: three decimals, trailing zeros dropped.
pub(crate) fn num(v: f32) -> String {
    if v == 0.0 || !v.is_finite() || (1e-3..1e4).contains(&v.abs()) {
        let s = format!("{v:.3}");
        let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
        if s == "-0" { "0".into() } else { s.to_string() }
    } else {
        format!("{v:.2e}")
    }
}

/// A gate row: `name = act(terms) = act(pre) = value`.
fn gate(
    name: &'static str,
    role: &'static str,
    terms: Vec<(String, f32)>,
    act: Activation,
    clip: Option<f32>,
) -> GateRow {
    let pre: f32 = terms.iter().map(|t| t.1).sum();
    let arg = clip.map_or(pre, |c| clip_one(pre, c));
    let value = act.apply(arg);
    let names: Vec<&str> = terms.iter().map(|t| t.0.as_str()).collect();
    let inner = match clip {
        Some(c) if arg != pre => format!("clip({}, ±{})) = {act}({}", num(pre), num(c), num(arg)),
        _ => num(pre),
    };
    let formula =
        format!("{name} = {act}({}) = {act}({inner}) = {}", names.join(" + "), num(value));
    let clipped = (arg != pre).then_some(arg);
    GateRow { name, role, terms, pre: Some(pre), clipped, activation: Some(act), value, formula }
}

/// A combination row (no activation of its own).
fn combo(name: &'static str, role: &'static str, value: f32, formula: String) -> GateRow {
    GateRow {
        name,
        role,
        terms: Vec::new(),
        pre: None,
        clipped: None,
        activation: None,
        value,
        formula,
    }
}

/// Explain hidden unit `q.unit` of batch entry `q.batch` at time `q.t` in direction
/// `q.direction`: each gate's pre-activation terms and value, with the formula in words.
///
/// # Errors
/// Anything [`crate::nn::ops::recurrent::lstm`] or [`crate::nn::ops::recurrent::gru`] refuses, a query outside the tensors, or a time
/// at or past that sequence's length (nothing is computed there: Y is 0).
pub fn gates_at(inputs: &RnnInputs, params: &RnnParams, q: GateQuery) -> Result<Gates, RnnError> {
    let cell = params.cell;
    let pre = Prepared::new(cell, inputs, params)?;
    let dm = &pre.dims;
    let (d, t, b, j) = (q.direction, q.t, q.batch, q.unit);
    let out_of = |what: &str, v: usize, n: usize| RnnError::Unsupported {
        op: cell.name(),
        msg: format!("gates_at: {what} {v} is outside 0..{n}"),
    };
    if d >= dm.dirs {
        return Err(out_of("direction", d, dm.dirs));
    }
    if b >= dm.batch {
        return Err(out_of("batch", b, dm.batch));
    }
    if j >= dm.hidden {
        return Err(out_of("unit", j, dm.hidden));
    }
    if t >= pre.lens[b] {
        return Err(out_of("time (this sequence's length bounds it)", t, pre.lens[b]));
    }
    let (h, gh, input) = (dm.hidden, pre.gh(), dm.input);
    let step = if params.direction.is_reverse(d) { pre.lens[b] - 1 - t } else { t };
    let mut st = pre.state(d);
    match cell {
        Cell::Lstm => lstm::direction(&pre, d, step, &mut st),
        Cell::Gru => gru::direction(&pre, d, step, &mut st),
    }
    let h_prev = &st.h[b * h..(b + 1) * h];
    let x = &pre.x[pre.x_row(t, b) * input..][..input];
    let raw_b = inputs.b.as_ref().map(flat);
    let (w, r) = (&pre.w[d * gh * input..], &pre.r[d * gh * h..]);
    // Row `k` of W·x, of R·v, and Wb / Rb, for gate row k of this direction.
    let wx = |k: usize| dot(&w[k * input..(k + 1) * input], x);
    let rv = |k: usize, v: &[f32]| dot(&r[k * h..(k + 1) * h], v);
    let bias = |k: usize| raw_b.as_ref().map(|bb| (bb[d * 2 * gh + k], bb[d * 2 * gh + gh + k]));
    let acts = params.acts(d);
    let mut rows = Vec::new();
    let term = |s: String, v: f32| (s, v);
    let with_bias = |mut terms: Vec<(String, f32)>, k: usize, g: &str| {
        if let Some((wb, rb)) = bias(k) {
            terms.push(term(format!("Wb{g}"), wb));
            terms.push(term(format!("Rb{g}"), rb));
        }
        terms
    };
    let c_prev = match cell {
        Cell::Lstm => {
            let cp = st.c[b * h + j];
            let peep = |k: usize| pre.p.as_ref().map(|p| p[d * 3 * h + k * h + j]);
            // W, R and B order the gates i, o, f, c; P orders them i, o, f.
            let lin = |k: usize, g: &str| {
                vec![
                    term(format!("W{g}·x"), wx(k * h + j)),
                    term(format!("R{g}·h₋₁"), rv(k * h + j, h_prev)),
                ]
            };
            let mut ti = lin(0, "i");
            if let Some(p) = peep(0) {
                ti.push(term("Pi·C₋₁".into(), p * cp));
            }
            let i = gate("i", "input gate", with_bias(ti, j, "i"), acts[0], params.clip);
            let f = if params.input_forget {
                let v = 1.0 - i.value;
                combo(
                    "f",
                    "forget gate",
                    v,
                    format!("f = 1 − i = 1 − {} = {}", num(i.value), num(v)),
                )
            } else {
                let mut tf = lin(2, "f");
                if let Some(p) = peep(2) {
                    tf.push(term("Pf·C₋₁".into(), p * cp));
                }
                gate("f", "forget gate", with_bias(tf, 2 * h + j, "f"), acts[0], params.clip)
            };
            let c = gate(
                "c",
                "cell gate",
                with_bias(lin(3, "c"), 3 * h + j, "c"),
                acts[1],
                params.clip,
            );
            let cv = f.value * cp + i.value * c.value;
            let big_c = combo(
                "C",
                "cell state",
                cv,
                format!(
                    "C = f·C₋₁ + i·c = {}·{} + {}·{} = {}",
                    num(f.value),
                    num(cp),
                    num(i.value),
                    num(c.value),
                    num(cv)
                ),
            );
            let mut to = lin(1, "o");
            if let Some(p) = peep(1) {
                to.push(term("Po·C".into(), p * cv));
            }
            let o = gate("o", "output gate", with_bias(to, h + j, "o"), acts[0], params.clip);
            let hv = o.value * acts[2].apply(cv);
            let ha = acts[2];
            let hf = format!("h = o·{ha}(C) = {}·{ha}({}) = {}", num(o.value), num(cv), num(hv));
            rows.extend([i, f, c, big_c, o, combo("h", "hidden state", hv, hf)]);
            Some(cp)
        }
        Cell::Gru => {
            let lin = |k: usize, g: &str| {
                vec![
                    term(format!("W{g}·x"), wx(k * h + j)),
                    term(format!("R{g}·h₋₁"), rv(k * h + j, h_prev)),
                ]
            };
            let z = gate("z", "update gate", with_bias(lin(0, "z"), j, "z"), acts[0], params.clip);
            let r_gate =
                gate("r", "reset gate", with_bias(lin(1, "r"), h + j, "r"), acts[0], params.clip);
            let k = 2 * h + j;
            let hb = bias(k);
            let mut th = vec![term("Wh·x".into(), wx(k))];
            if params.linear_before_reset {
                let rb = hb.map_or(0.0, |v| v.1);
                let name = if hb.is_some() { "r·(Rh·h₋₁ + Rbh)" } else { "r·(Rh·h₋₁)" };
                th.push(term(name.into(), r_gate.value * (rv(k, h_prev) + rb)));
                if let Some((wb, _)) = hb {
                    th.push(term("Wbh".into(), wb));
                }
            } else {
                // Rh·(r⊙h₋₁) needs r at every unit, not only j.
                let rh: Vec<f32> = (0..h)
                    .map(|u| {
                        let mut s = wx(h + u) + rv(h + u, h_prev);
                        if let Some((wb, rb)) = bias(h + u) {
                            s += wb + rb;
                        }
                        let s = params.clip.map_or(s, |c| clip_one(s, c));
                        acts[0].apply(s) * h_prev[u]
                    })
                    .collect();
                th.push(term("Rh·(r⊙h₋₁)".into(), rv(k, &rh)));
                if let Some((wb, rb)) = hb {
                    th.push(term("Rbh".into(), rb));
                    th.push(term("Wbh".into(), wb));
                }
            }
            let hh = gate("h̃", "candidate state", th, acts[1], params.clip);
            let hp = h_prev[j];
            let hv = (1.0 - z.value) * hh.value + z.value * hp;
            let hf = format!(
                "h = (1 − z)·h̃ + z·h₋₁ = (1 − {})·{} + {}·{} = {}",
                num(z.value),
                num(hh.value),
                num(z.value),
                num(hp),
                num(hv)
            );
            rows.extend([z, r_gate, hh, combo("h", "hidden state", hv, hf)]);
            None
        }
    };
    Ok(Gates { cell, query: q, step, h_prev: h_prev[j], c_prev, rows })
}
