//! One step, one hidden unit, worked by hand: LSTM with every input, GRU both ways, and what
//! the explain panel says about them.

use convscope::nn::ops::recurrent::{
    Cell, GateQuery, RnnAttrs, RnnInputs, RnnParams, gates_at, gru, lstm,
};
use ndarray::{ArrayD, IxDyn};

fn t(dims: &[usize], v: &[f32]) -> ArrayD<f32> {
    ArrayD::from_shape_vec(IxDyn(dims), v.to_vec()).unwrap()
}

fn near(got: f32, want: f64, what: &str) {
    assert!((got as f64 - want).abs() <= 1e-6 * want.abs().max(1.0), "{what}: {got}, not {want}");
}

fn params(cell: Cell, extra: RnnAttrs) -> RnnParams {
    RnnParams::from_attrs(cell, 14, &RnnAttrs { hidden_size: Some(1), ..extra }).unwrap()
}

/// x = 1, h₋₁ = 0.5, C₋₁ = 1; gates in the spec's order i, o, f, c:
/// W = [0.5, 0.25, −0.5, 1], R = [0.1, 0.2, 0.3, 0.4], Wb = [0.1, 0, 0, 0], Rb = [0, 0, 0, 0.1],
/// P (i, o, f) = [0.2, 0.4, 0.6].
///
/// ```text
/// i = σ(0.5·1 + 0.1·0.5 + 0.2·1 + 0.1 + 0)  = σ(0.85) = 1/(1 + e^−0.85) = 0.700567142
/// f = σ(−0.5·1 + 0.3·0.5 + 0.6·1 + 0 + 0)  = σ(0.25) = 0.562176501
/// c = tanh(1·1 + 0.4·0.5 + 0 + 0.1)        = tanh(1.3) = 0.861723159
/// C = f·C₋₁ + i·c = 0.562176501·1 + 0.700567142·0.861723159 = 1.165871432
/// o = σ(0.25·1 + 0.2·0.5 + 0.4·C + 0 + 0)  = σ(0.35 + 0.466348573) = σ(0.816348573) = 0.693460694
/// h = o·tanh(C) = 0.693460694·0.822944141 = 0.570679416
/// ```
#[test]
fn lstm_one_step_one_unit() {
    let x = t(&[1, 1, 1], &[1.0]);
    let w = t(&[1, 4, 1], &[0.5, 0.25, -0.5, 1.0]);
    let r = t(&[1, 4, 1], &[0.1, 0.2, 0.3, 0.4]);
    let b = t(&[1, 8], &[0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1]);
    let h0 = t(&[1, 1, 1], &[0.5]);
    let c0 = t(&[1, 1, 1], &[1.0]);
    let p = t(&[1, 3], &[0.2, 0.4, 0.6]);
    let prm = params(Cell::Lstm, RnnAttrs::default());
    let out = lstm(
        x.view(),
        w.view(),
        r.view(),
        Some(b.view()),
        None,
        Some(h0.view()),
        Some(c0.view()),
        Some(p.view()),
        &prm,
    )
    .unwrap();
    assert_eq!(out.y.shape(), [1, 1, 1, 1]);
    near(out.y[[0, 0, 0, 0]], 0.570679416, "Y");
    near(out.y_h[[0, 0, 0]], 0.570679416, "Y_h");
    near(out.y_c.unwrap()[[0, 0, 0]], 1.165871432, "Y_c");

    let inputs = RnnInputs {
        x: x.view(),
        w: w.view(),
        r: r.view(),
        b: Some(b.view()),
        seq_lens: None,
        initial_h: Some(h0.view()),
        initial_c: Some(c0.view()),
        p: Some(p.view()),
    };
    let q = GateQuery { direction: 0, t: 0, batch: 0, unit: 0 };
    let g = gates_at(&inputs, &prm, q).unwrap();
    let names: Vec<&str> = g.rows.iter().map(|r| r.name).collect();
    assert_eq!(names, ["i", "f", "c", "C", "o", "h"]);
    assert_eq!((g.step, g.h_prev, g.c_prev), (0, 0.5, Some(1.0)));
    let i = &g.rows[0];
    near(i.pre.unwrap(), 0.85, "i pre");
    near(i.value, 0.700567142, "i");
    let terms: Vec<&str> = i.terms.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(terms, ["Wi·x", "Ri·h₋₁", "Pi·C₋₁", "Wbi", "Rbi"]);
    assert_eq!(i.formula, "i = σ(Wi·x + Ri·h₋₁ + Pi·C₋₁ + Wbi + Rbi) = σ(0.85) = 0.701");
    assert_eq!(g.rows[3].formula, "C = f·C₋₁ + i·c = 0.562·1 + 0.701·0.862 = 1.166");
    near(g.rows[4].pre.unwrap(), 0.816348573, "o pre");
    assert_eq!(g.rows[5].formula, "h = o·tanh(C) = 0.693·tanh(1.166) = 0.571");
    near(g.rows[5].value, 0.570679416, "h");
}

/// x = 1, h₋₁ = 0.5; gates z, r, h: W = [0.5, −1, 2], R = [0.2, 0.4, 0.8],
/// Wb = [0.1, 0, 0], Rb = [0, 0, −0.5].
///
/// ```text
/// z = σ(0.5 + 0.2·0.5 + 0.1 + 0) = σ(0.7)  = 0.668187772
/// r = σ(−1 + 0.4·0.5 + 0 + 0)    = σ(−0.8) = 0.310025519
/// linear_before_reset = 0:
///   h̃ = tanh(2 + 0.8·(r·0.5) − 0.5 + 0) = tanh(1.624010208) = 0.925203828
///   h  = (1 − z)·h̃ + z·0.5 = 0.331812228·0.925203828 + 0.334093886 = 0.641087829
/// linear_before_reset = 1:
///   h̃ = tanh(2 + r·(0.8·0.5 − 0.5) + 0) = tanh(1.968997448) = 0.961770489
///   h  = 0.331812228·0.961770489 + 0.334093886 = 0.653221095
/// ```
#[test]
fn gru_one_step_one_unit_both_resets() {
    let x = t(&[1, 1, 1], &[1.0]);
    let w = t(&[1, 3, 1], &[0.5, -1.0, 2.0]);
    let r = t(&[1, 3, 1], &[0.2, 0.4, 0.8]);
    let b = t(&[1, 6], &[0.1, 0.0, 0.0, 0.0, 0.0, -0.5]);
    let h0 = t(&[1, 1, 1], &[0.5]);
    for (lbr, want, hh_terms) in [
        (0, 0.641087829, vec!["Wh·x", "Rh·(r⊙h₋₁)", "Rbh", "Wbh"]),
        (1, 0.653221095, vec!["Wh·x", "r·(Rh·h₋₁ + Rbh)", "Wbh"]),
    ] {
        let prm =
            params(Cell::Gru, RnnAttrs { linear_before_reset: Some(lbr), ..Default::default() });
        let out =
            gru(x.view(), w.view(), r.view(), Some(b.view()), None, Some(h0.view()), &prm).unwrap();
        near(out.y[[0, 0, 0, 0]], want, "Y");
        near(out.y_h[[0, 0, 0]], want, "Y_h");
        assert!(out.y_c.is_none());
        let inputs = RnnInputs {
            x: x.view(),
            w: w.view(),
            r: r.view(),
            b: Some(b.view()),
            seq_lens: None,
            initial_h: Some(h0.view()),
            initial_c: None,
            p: None,
        };
        let g =
            gates_at(&inputs, &prm, GateQuery { direction: 0, t: 0, batch: 0, unit: 0 }).unwrap();
        let names: Vec<&str> = g.rows.iter().map(|r| r.name).collect();
        assert_eq!(names, ["z", "r", "h̃", "h"]);
        near(g.rows[0].value, 0.668187772, "z");
        near(g.rows[1].value, 0.310025519, "r");
        let terms: Vec<&str> = g.rows[2].terms.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(terms, hh_terms);
        assert_eq!(g.rows[0].formula, "z = σ(Wz·x + Rz·h₋₁ + Wbz + Rbz) = σ(0.7) = 0.668");
        near(g.rows[3].value, want, "h");
    }
}

/// A clip that bites shows in the formula and in `clipped`.
#[test]
fn clipped_gate_formula() {
    let x = t(&[1, 1, 1], &[3.0]);
    let w = t(&[1, 3, 1], &[1.0, 1.0, 1.0]);
    let r = t(&[1, 3, 1], &[0.0, 0.0, 0.0]);
    let prm = params(Cell::Gru, RnnAttrs { clip: Some(0.5), ..Default::default() });
    let inputs = RnnInputs {
        x: x.view(),
        w: w.view(),
        r: r.view(),
        b: None,
        seq_lens: None,
        initial_h: None,
        initial_c: None,
        p: None,
    };
    let g = gates_at(&inputs, &prm, GateQuery { direction: 0, t: 0, batch: 0, unit: 0 }).unwrap();
    assert_eq!(g.rows[0].clipped, Some(0.5));
    assert_eq!(g.rows[0].formula, "z = σ(Wz·x + Rz·h₋₁) = σ(clip(3, ±0.5)) = σ(0.5) = 0.622");
    let out = gru(x.view(), w.view(), r.view(), None, None, None, &prm).unwrap();
    near(out.y[[0, 0, 0, 0]], g.rows[3].value as f64, "Y against the explanation");
}
