//! LSTM and GRU against the reference vectors in tests/data: float64 results of
//! tools/rnn_ref.py, which tools/gen_rnn_vectors.py checked against onnxruntime (every case)
//! and onnx.reference (every case it can run) before writing them.

use super::common::{Case, FLOOR, REL, f64_tensor, load, worst};
use ndarray::{ArrayD, Axis};

fn check(file: &str, min_cases: usize) {
    let cases = load(file);
    assert!(cases.len() >= min_cases, "{file}: only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let owned = case.owned();
        let out = case.run(&owned);
        let mut outs = vec![("Y", Some(out.y.clone())), ("Y_h", Some(out.y_h.clone()))];
        if case.cell == convscope::nn::ops::recurrent::Cell::Lstm {
            outs.push(("Y_c", out.y_c.clone()));
        } else {
            assert!(out.y_c.is_none(), "{}: GRU has no Y_c", case.name);
        }
        for (name, got) in outs {
            let got = got.unwrap_or_else(|| panic!("{}: no {name}", case.name));
            let want = f64_tensor(&case.outputs[name]);
            let err = worst(&format!("{} {name}", case.name), &got, &want);
            println!("{file} {:40} {name:4} worst {err:.2e}", case.name);
            if err > REL {
                failures.push(format!("{} {name}: {err:.2e}", case.name));
            }
        }
    }
    assert!(failures.is_empty(), "beyond {REL} (floor {FLOOR}): {failures:?}");
}

#[test]
fn lstm_matches_reference_vectors() {
    check("lstm.json", 18);
}

#[test]
fn gru_matches_reference_vectors() {
    check("gru.json", 19);
}

/// A view that is not in standard layout (X transposed in memory) gives the same outputs.
#[test]
fn strided_views_give_the_same_outputs() {
    for file in ["lstm.json", "gru.json"] {
        let case = load(file).into_iter().find(|c| c.name == "gemm_path_bidirectional").unwrap();
        let owned = case.owned();
        let want = case.run(&owned);
        let mut o2 = case.owned();
        // Same logical X, stored [input, batch, seq] and viewed back through a permutation.
        let stored: ArrayD<f32> =
            owned.x.view().permuted_axes(vec![2, 1, 0]).as_standard_layout().into_owned();
        o2.x = stored;
        let strided = o2.x.view().permuted_axes(vec![2, 1, 0]);
        assert_eq!(strided.shape(), owned.x.shape());
        assert!(!strided.is_standard_layout());
        let params = case.params();
        let mut inputs = case.inputs(&o2);
        inputs.x = strided;
        let got = run_inputs(&case, &inputs, &params);
        assert_eq!(got, want, "{file}");
    }
}

fn run_inputs(
    case: &Case,
    i: &convscope::nn::ops::recurrent::RnnInputs,
    p: &convscope::nn::ops::recurrent::RnnParams,
) -> convscope::nn::ops::recurrent::RnnOut {
    let i = i.clone();
    match case.cell {
        convscope::nn::ops::recurrent::Cell::Lstm => convscope::nn::ops::recurrent::lstm(
            i.x,
            i.w,
            i.r,
            i.b,
            i.seq_lens,
            i.initial_h,
            i.initial_c,
            i.p,
            p,
        ),
        convscope::nn::ops::recurrent::Cell::Gru => {
            convscope::nn::ops::recurrent::gru(i.x, i.w, i.r, i.b, i.seq_lens, i.initial_h, p)
        }
    }
    .unwrap()
}

/// Y's steps past a sequence's length are exactly 0, and Y_h is Y at the sequence's last
/// step (forward) or first time (reverse).
#[test]
fn sequence_lens_zero_the_tail_and_hold_the_state() {
    let cases = load("lstm.json");
    let case = cases.iter().find(|c| c.name == "seq_lens_bidirectional").unwrap();
    let owned = case.owned();
    let out = case.run(&owned);
    let lens = owned.lens.clone().unwrap();
    for (b, &len) in lens.iter().enumerate() {
        let len = len as usize;
        for t in len..out.y.shape()[0] {
            assert!(out.y.index_axis(Axis(0), t).index_axis(Axis(1), b).iter().all(|&v| v == 0.0));
        }
        let y = |t: usize, d: usize| {
            out.y.index_axis(Axis(0), t).index_axis(Axis(0), d).index_axis(Axis(0), b).to_owned()
        };
        assert_eq!(out.y_h.index_axis(Axis(0), 0).index_axis(Axis(0), b), y(len - 1, 0));
        assert_eq!(out.y_h.index_axis(Axis(0), 1).index_axis(Axis(0), b), y(0, 1));
    }
}
