//! The size rules: written-out tables, onnxruntime's sweep, the formulas and the errors.

use convscope::nn::ops::convt::geometry::{
    AutoPad, AxisAttrs, PadSource, TransposeAxis, TransposeError,
};

fn attrs(stride: i64, dilation: i64, pads: Option<(i64, i64)>, op: i64) -> AxisAttrs {
    AxisAttrs { stride, dilation, pads, output_padding: op, ..Default::default() }
}

fn fit(n: usize, f: usize, a: AxisAttrs) -> TransposeAxis {
    TransposeAxis::fit("rows", n, f, &a).unwrap_or_else(|e| panic!("{n} {f} {a:?}: {e}"))
}

#[test]
fn explicit_pads_table() {
    // (n, F, S, d, pads, op) → out = (n − 1)·S − P_b − P_e + d·(F − 1) + op + 1
    let table = [
        (3, 3, 1, 1, (0, 0), 0, 5),     // 2·1 − 0 − 0 + 2 + 0 + 1
        (160, 2, 2, 1, (0, 0), 0, 320), // PaddleOCR's up-conv: 159·2 + 1 + 1
        (40, 3, 2, 1, (1, 1), 1, 80),   // 39·2 − 2 + 2 + 1 + 1
        (3, 3, 2, 2, (0, 0), 1, 10),    // 4 + 2·2 + 1 + 1
        (3, 2, 3, 1, (0, 0), 2, 10),    // 6 + 1 + 2 + 1
        (1, 3, 1, 1, (1, 1), 0, 1),     // 0 − 2 + 2 + 0 + 1
        (4, 3, 2, 1, (0, 2), 0, 7),     // 6 − 0 − 2 + 2 + 1
        (1, 1, 1, 1, (0, 0), 0, 1),
        (5, 4, 3, 3, (3, 2), 2, 19), // 12 − 5 + 9 + 2 + 1
    ];
    for (n, f, s, d, p, op, out) in table {
        let a = fit(n, f, attrs(s, d, Some(p), op));
        assert_eq!(a.out, out, "{n} {f} {s} {d} {p:?} {op}");
        assert_eq!((a.pad_begin as i64, a.pad_end as i64), p);
    }
}

#[test]
fn auto_pad_table() {
    use AutoPad::*;
    // (auto_pad, n, F, S, d, op) → (out, P_b, P_e). SAME_*: total = op + d·(F − 1) + 1 − S.
    let table = [
        (SameUpper, 3, 3, 2, 1, 0, (6, 0, 1)), // total 1: the extra at the end
        (SameLower, 3, 3, 2, 1, 0, (6, 1, 0)), // total 1: the extra at the start
        (SameUpper, 3, 4, 2, 1, 0, (6, 1, 1)), // total 2
        (SameUpper, 3, 3, 2, 1, 1, (6, 1, 1)), // total 2 with output padding
        (SameLower, 3, 2, 2, 1, 1, (6, 1, 0)), // total 1
        (SameUpper, 4, 3, 1, 2, 0, (4, 2, 2)), // total 4: F_eff 5
        (SameUpper, 3, 1, 2, 1, 0, (5, 0, 0)), // total −1, clamped: 5, not 6
        (SameLower, 3, 2, 3, 1, 0, (8, 0, 0)), // total −1, clamped: 8, not 9
        (Valid, 3, 3, 2, 1, 0, (7, 0, 0)),
        (Valid, 2, 3, 3, 2, 2, (10, 0, 0)), // 3 + 4 + 2 + 1
    ];
    for (auto_pad, n, f, s, d, op, (out, pb, pe)) in table {
        let a = AxisAttrs { auto_pad, ..attrs(s, d, None, op) };
        let g = fit(n, f, a);
        assert_eq!(
            (g.out, g.pad_begin, g.pad_end),
            (out, pb, pe),
            "{auto_pad:?} {n} {f} {s} {d} {op}"
        );
    }
}

#[test]
fn output_shape_table() {
    use AutoPad::*;
    // total = (n − 1)·S + op + d·(F − 1) + 1 − output_shape; n = 3, F = 3, S = 2: full 7.
    // The odd pixel goes to the end only with SAME_UPPER; pads are ignored.
    let table = [
        (NotSet, None, 0, 6, (1, 0, 0)), // total 1: the extra at the start
        (NotSet, Some((3, 3)), 0, 6, (1, 0, 0)), // pads ignored
        (SameUpper, None, 0, 6, (0, 1, 0)), // total 1: the extra at the end
        (SameLower, None, 0, 6, (1, 0, 0)),
        (Valid, None, 0, 6, (1, 0, 0)),
        (NotSet, None, 0, 5, (1, 1, 0)), // total 2
        (NotSet, None, 0, 4, (2, 1, 0)), // total 3
        (SameUpper, None, 0, 4, (1, 2, 0)),
        (NotSet, None, 1, 6, (1, 1, 0)), // total 2 with output padding
        (NotSet, None, 0, 7, (0, 0, 0)),
        (NotSet, None, 0, 8, (0, 0, 1)), // total −1: one surplus cell (bias only)
        (SameUpper, None, 0, 8, (0, 0, 1)),
        (NotSet, None, 1, 8, (0, 0, 0)), // full is 8 with output padding
        (NotSet, None, 0, 1, (3, 3, 0)), // total 6
    ];
    for (auto_pad, pads, op, req, (pb, pe, surplus)) in table {
        let a = AxisAttrs { auto_pad, output_shape: Some(req), ..attrs(2, 1, pads, op) };
        let g = fit(3, 3, a);
        assert_eq!(g.out, req as usize);
        assert_eq!(
            (g.pad_begin, g.pad_end, g.surplus),
            (pb, pe, surplus),
            "{auto_pad:?} {op} {req}"
        );
        assert!(matches!(g.source, PadSource::OutputShape { .. }));
    }
}

/// Every fit of onnxruntime's sweep (tools/make_refs.py): the same output size and first pad,
/// or a refusal where it refuses.
#[test]
fn agrees_with_onnxruntime_sweep() {
    let data = super::common::data("convtranspose_sizes.json");
    let modes = data["modes"].as_array().unwrap();
    let (mut accepted, mut refused) = (0, 0);
    for row in data["fits"].as_array().unwrap() {
        let r: Vec<i64> = row.as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        let auto_pad = AutoPad::parse(modes[r[5] as usize].as_str().unwrap()).unwrap();
        let a = AxisAttrs {
            stride: r[2],
            dilation: r[3],
            output_padding: r[4],
            auto_pad,
            pads: (r[6] >= 0).then_some((r[6], r[7])),
            output_shape: (r[8] >= 0).then_some(r[8]),
            opset: 11,
        };
        let ours = TransposeAxis::fit("rows", r[0] as usize, r[1] as usize, &a);
        if r[9] >= 0 {
            let g = ours.unwrap_or_else(|e| panic!("{r:?}: onnxruntime accepts, we say {e}"));
            if r[10] == -2 {
                // onnxruntime's output is all zeros: no input lands inside it, here either.
                assert_eq!(g.out as i64, r[9], "{r:?}: {g:?}");
                assert!((0..g.out).all(|o| g.taps_at(o).is_empty()), "{r:?}: {g:?}");
            } else {
                assert_eq!((g.out as i64, g.pad_begin as i64), (r[9], r[10]), "{r:?}: {g:?}");
            }
            accepted += 1;
        } else {
            let why = data["errors"][r[10] as usize].as_str().unwrap();
            assert!(ours.is_err(), "{r:?}: onnxruntime refuses ({why}), we accept {ours:?}");
            refused += 1;
        }
    }
    assert!(accepted > 300 && refused > 100, "{accepted} accepted, {refused} refused");
}

#[test]
fn formulas_carry_the_numbers() {
    let g = fit(27, 3, attrs(2, 1, Some((1, 1)), 1));
    // (27 − 1)·2 = 52; − 1 − 1 = 50; + 1·(3 − 1) = 52; + 1 + 1 = 54.
    assert_eq!(g.formula(), "(27 − 1)·2 − 1 − 1 + 1·(3 − 1) + 1 + 1 = 54");
    assert_eq!(g.pads_formula(), "pads 1 + 1 (explicit)");
    let same = fit(3, 3, AxisAttrs { auto_pad: AutoPad::SameUpper, ..attrs(2, 1, None, 0) });
    assert_eq!(same.formula(), "(3 − 1)·2 − 0 − 1 + 1·(3 − 1) + 0 + 1 = 6");
    assert_eq!(
        same.pads_formula(),
        "total_padding = 2·(3 − 1) + 0 + 1·(3 − 1) + 1 − 3·2 = 1 → pads 0 + 1 (SAME_UPPER: the extra at the end)"
    );
    let clamped = fit(3, 1, AxisAttrs { auto_pad: AutoPad::SameLower, ..attrs(2, 1, None, 0) });
    assert!(
        clamped.pads_formula().ends_with(
            "= −1 < 0 → pads 0 + 0 (SAME_LOWER: clamped at 0, so the output is 5, not 6)"
        )
    );
    let shaped = fit(3, 3, AxisAttrs { output_shape: Some(6), ..attrs(2, 1, None, 0) });
    assert_eq!(
        shaped.pads_formula(),
        "total_padding = 2·(3 − 1) + 0 + 1·(3 − 1) + 1 − 6 = 1 → pads 1 + 0 (output_shape 6, not SAME_UPPER: the extra at the start)"
    );
    let surplus = fit(3, 3, AxisAttrs { output_shape: Some(8), ..attrs(2, 1, None, 0) });
    assert_eq!(
        surplus.formula(),
        "(3 − 1)·2 − 0 − 0 + 1·(3 − 1) + 0 + 1 = 7, + 1 past the full output = 8"
    );
    assert!(surplus.warning("rows").unwrap().contains("hold only the bias"));
    assert!(g.warning("rows").is_none());
}

#[test]
fn opset_1_odd_splits_are_flagged() {
    let a = AxisAttrs { auto_pad: AutoPad::SameUpper, opset: 1, ..attrs(2, 1, None, 0) };
    let g = fit(3, 3, a);
    // The runtimes' (opset-11) split all the same: the extra at the end.
    assert_eq!((g.pad_begin, g.pad_end), (0, 1));
    assert!(g.warning("rows").unwrap().contains("opset 1"), "{:?}", g.warning("rows"));
    let even = fit(3, 4, a); // total 2: both rules agree
    assert!(even.warning("rows").is_none());
}

#[test]
fn errors_name_the_attribute_and_value() {
    let e = |n: usize, f: usize, a: AxisAttrs| TransposeAxis::fit("rows", n, f, &a).unwrap_err();
    let d = AxisAttrs::default();
    assert_eq!(
        e(3, 3, AxisAttrs { stride: 0, ..d }).to_string(),
        "rows: strides 0 is not allowed (S ≥ 1)"
    );
    assert_eq!(
        e(3, 3, AxisAttrs { pads: Some((-1, 0)), ..d }).to_string(),
        "rows: pads -1 is negative (ONNX requires ≥ 0)"
    );
    assert_eq!(
        e(3, 3, attrs(2, 1, None, 2)).to_string(),
        "rows: output_padding 2 must be smaller than stride 2 or dilation 1"
    );
    // 1 < dilation 2, so the spec's rule passes; a Conv back over the 8 outputs sees 4 inputs.
    assert_eq!(
        e(3, 3, attrs(1, 2, None, 1)),
        TransposeError::OutputPaddingStride {
            axis: "rows",
            value: 1,
            stride: 1,
            out: 8,
            back: 4,
            n: 3
        }
    );
    assert_eq!(
        e(3, 3, AxisAttrs { output_shape: Some(9), ..attrs(2, 1, None, 0) }).to_string(),
        "rows: output_shape 9 is larger than 8 = 3·2 + 3 − 1, the most a Conv back to 3 inputs allows"
    );
    assert_eq!(
        e(3, 3, attrs(2, 1, Some((4, 4)), 0)).to_string(),
        "rows: the output would be empty: (3 − 1)·2 − 4 − 4 + 1·(3 − 1) + 0 + 1 = −1"
    );
    assert_eq!(
        e(3, 3, AxisAttrs { auto_pad: AutoPad::Valid, pads: Some((0, 0)), ..d }).to_string(),
        "pads cannot be given together with auto_pad VALID"
    );
    assert_eq!(
        e(3, 3, AxisAttrs { output_shape: Some(0), ..d }),
        TransposeError::OutputShapeZero { axis: "rows" }
    );
    assert_eq!(e(3, 3, AxisAttrs { opset: 0, ..d }), TransposeError::Opset(0));
    assert!(matches!(e(0, 3, d), TransposeError::Zero { key: "input size", .. }));
    assert!(matches!(e(3, 0, d), TransposeError::Zero { key: "kernel size", .. }));
    assert!(matches!(
        e(3, 3, AxisAttrs { dilation: 1 << 25, ..d }),
        TransposeError::TooLarge { key: "dilations", value: 33554432, .. }
    ));
    assert!(matches!(e(1 << 30, 3, d), TransposeError::TooLarge { key: "input size", .. }));
    // Bounded inputs whose output passes MAX_DIM: (2^24 − 1)·2^24 + …
    let big = AxisAttrs { stride: 1 << 24, ..d };
    assert!(matches!(e(1 << 24, 1, big), TransposeError::TooLarge { key: "output size", .. }));
    // Pads computed from output_shape pass MAX_DIM too.
    let tiny = AxisAttrs { stride: 1 << 24, output_shape: Some(1), ..d };
    assert!(matches!(e(1 << 24, 1, tiny), TransposeError::TooLarge { key: "pads", .. }));
    assert!(AutoPad::parse("SAME").is_err());
}

#[test]
fn node_errors_name_the_attribute() {
    use convscope::nn::ops::convt::geometry::{Chw, ConvTransposeAttrs, ConvTransposeGeometry};
    let e = |c: usize, w: [usize; 4], a: ConvTransposeAttrs| {
        ConvTransposeGeometry::new(Chw::new(c, 3, 3), w, &a).unwrap_err().to_string()
    };
    let d = ConvTransposeAttrs::default;
    assert_eq!(
        e(2, [2, 1, 3, 3], ConvTransposeAttrs { group: 0, ..d() }),
        "group 0 is not allowed (group ≥ 1)"
    );
    assert_eq!(
        e(3, [3, 1, 3, 3], ConvTransposeAttrs { group: 2, ..d() }),
        "group 2 does not divide the 3 input channels"
    );
    assert_eq!(
        e(2, [3, 1, 3, 3], d()),
        "weights 3×1×3×3 do not match the input: their first dimension must be C = 2"
    );
    assert_eq!(
        e(2, [2, 1, 3, 3], ConvTransposeAttrs { kernel_shape: Some([3, 2]), ..d() }),
        "cols: kernel_shape 2 disagrees with the weights' 3"
    );
    assert_eq!(
        e(2, [2, 1, 3, 3], ConvTransposeAttrs { strides: [1, -2], ..d() }),
        "cols: strides -2 is negative (ONNX requires ≥ 0)"
    );
    // 2^16 filters of a 2^8 × 2^8 output: 2^32 values.
    let big = e(
        1,
        [1, 1 << 16, 1, 1],
        ConvTransposeAttrs { strides: [1 << 8, 1 << 8], output_padding: [255, 255], ..d() },
    );
    assert!(big.starts_with("output 65536×768×768 holds"), "{big}");
}
