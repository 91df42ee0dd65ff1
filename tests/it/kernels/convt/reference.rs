//! onnxruntime's answers (tools/make_refs.py): every kernel, every neuron, every refusal.

use convscope::nn::ops::convt::kernel::{conv_transpose, conv_transpose_naive, neuron};

/// Inputs are multiples of 1/16, so every runtime's sum is exact: the match is to the bit,
/// barring a reordering of sums past 2^24 sixteenths, which these sizes never reach.
const TOL: f32 = 1e-6;

#[test]
fn every_case_matches_onnxruntime() {
    let data = super::common::data("convtranspose_ref.json");
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let g = super::common::geometry(case).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (x, w, b, y) = super::common::tensors(case);
        let out = g.out();
        assert_eq!((out.c, out.h, out.w), y.dim(), "{name}: {}", g.formula());
        let (xv, wv, bv) = (x.view(), w.view(), b.as_ref().map(|b| b.view()));
        let fast = conv_transpose(&xv, &wv, bv.as_ref(), &g);
        assert!(super::common::max_rel(&fast, &y) <= TOL, "{name}: GEMM kernel\n{fast}\nvs\n{y}");
        let slow = conv_transpose_naive(&xv, &wv, bv.as_ref(), &g);
        assert!(super::common::max_rel(&slow, &y) <= TOL, "{name}: naive\n{slow}\nvs\n{y}");
        for ((k, r, c), &want) in y.indexed_iter() {
            let t = neuron(&xv, &wv, bv.as_ref(), &g, (k, r, c));
            assert!(
                (t.value - want).abs() <= TOL * want.abs().max(1.0),
                "{name}: neuron {k} {r} {c}"
            );
        }
    }
}

#[test]
fn every_refusal_is_an_error() {
    let data = super::common::data("convtranspose_ref.json");
    let rejects = data["rejects"].as_array().unwrap();
    assert!(rejects.len() >= 10);
    for case in rejects {
        let name = case["name"].as_str().unwrap();
        let why = case["onnxruntime"].as_str().unwrap();
        match super::common::geometry(case) {
            Ok(g) => panic!("{name}: onnxruntime refuses ({why}); we accept {g:?}"),
            Err(e) => assert!(!e.to_string().is_empty(), "{name}"),
        }
    }
}

/// Where onnx.reference goes wrong, the data says so: it is no authority for groups (it slices
/// the weights by output channel and reuses the first group's bias) or for output_shape
/// without SAME_* (it keeps the pads at 0), and it lets SAME_* pads go negative.
#[test]
fn onnx_reference_disagreements_are_the_known_ones() {
    let data = super::common::data("convtranspose_ref.json");
    for case in data["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let agrees = case["reference"].as_str().unwrap() == "agrees";
        let group = case["attrs"]["group"].as_i64().unwrap();
        let notset_shape = !case["attrs"]["output_shape"].is_null()
            && case["attrs"]["auto_pad"].as_str().unwrap() != "SAME_UPPER"
            && case["attrs"]["auto_pad"].as_str().unwrap() != "SAME_LOWER";
        let known = group > 1 || notset_shape || name == "same_upper_clamped_k1_s2";
        assert!(agrees || known, "{name}: onnx.reference: {}", case["reference"]);
    }
}
