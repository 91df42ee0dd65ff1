//! Conv geometry by hand; the shapes agree with onnxruntime 1.32 and onnx.reference.

use super::*;

fn geom(x: &[usize], w: &[usize], a: &ConvAttrs) -> Result<ConvGeom, QuantError> {
    conv_geometry("ConvInteger", x, w, a)
}

fn out(x: &[usize], w: &[usize], a: &ConvAttrs) -> [usize; 4] {
    geom(x, w, a).unwrap().out_dims()
}

#[test]
fn explicit_pads_strides_dilations() {
    let (x, w) = ([1, 2, 7, 6], [2, 2, 3, 2]);
    // No attributes: (7 − 3)/1 + 1 = 5, (6 − 2)/1 + 1 = 5.
    assert_eq!(out(&x, &w, &ConvAttrs::default()), [1, 2, 5, 5]);
    // Dilation 2: reach 2·2 + 1 = 5 and 2·1 + 1 = 3: (7 − 5) + 1 = 3, (6 − 3) + 1 = 4.
    let a = ConvAttrs { dilations: Some(vec![2, 2]), ..ConvAttrs::default() };
    assert_eq!(out(&x, &w, &a), [1, 2, 3, 4]);
    // Pads as large as the kernel are legal: rows (7 + 3 + 3 − 3)/1 + 1 = 11.
    let a = ConvAttrs { pads: Some(vec![3, 0, 3, 0]), ..ConvAttrs::default() };
    assert_eq!(out(&x, &w, &a), [1, 2, 11, 5]);
    // Rows (7 + 8 − 3)/2 + 1 = 7: the first and last windows lie wholly in padding.
    let a = ConvAttrs {
        pads: Some(vec![4, 0, 4, 0]),
        strides: Some(vec![2, 1]),
        ..ConvAttrs::default()
    };
    assert_eq!(out(&x, &w, &a), [1, 2, 7, 5]);
}

#[test]
fn groups_with_everything() {
    // x [2, 4, 5, 5], w [6, 2, 3, 3], group 2, pads [1, 0, 2, 1], strides [2, 1], dilations [1, 2]:
    // rows (5 + 1 + 2 − 3)/2 + 1 = 3; cols reach 5: (5 + 0 + 1 − 5)/1 + 1 = 2.
    let a = ConvAttrs {
        group: Some(2),
        pads: Some(vec![1, 0, 2, 1]),
        strides: Some(vec![2, 1]),
        dilations: Some(vec![1, 2]),
        ..ConvAttrs::default()
    };
    let g = geom(&[2, 4, 5, 5], &[6, 2, 3, 3], &a).unwrap();
    assert_eq!(g.out_dims(), [2, 6, 3, 2]);
    assert_eq!((g.cg(), g.mg(), g.taps()), (2, 3, 18));
    // group 3 divides neither 4 channels nor matches w's 2 per group.
    let a = ConvAttrs { group: Some(3), ..ConvAttrs::default() };
    assert!(geom(&[2, 4, 5, 5], &[6, 2, 3, 3], &a).is_err());
    // 4 filters cannot be split in 3 groups even when channels fit.
    let a = ConvAttrs { group: Some(3), ..ConvAttrs::default() };
    assert!(geom(&[1, 3, 5, 5], &[4, 1, 3, 3], &a).is_err());
}

#[test]
fn auto_pad() {
    let (x, w) = ([1, 2, 7, 6], [2, 2, 3, 2]);
    for (s, want) in [(1, [7, 6]), (2, [4, 3]), (3, [3, 2])] {
        for ap in [AutoPad::SameUpper, AutoPad::SameLower] {
            for d in [1, 2] {
                let a = ConvAttrs {
                    auto_pad: ap,
                    strides: Some(vec![s, s]),
                    dilations: Some(vec![d, d]),
                    ..ConvAttrs::default()
                };
                let o = out(&x, &w, &a);
                assert_eq!([o[2], o[3]], want, "{ap:?} s{s} d{d}");
            }
        }
    }
    // Odd total padding: n 6, k 2, s 1: total (6 − 1) + 2 − 6 = 1; UPPER puts it at the end.
    let up = ConvAxis::fit_same("C", 6, 2, 1, 1, false).unwrap();
    let lo = ConvAxis::fit_same("C", 6, 2, 1, 1, true).unwrap();
    assert_eq!((up.pad_begin, up.pad_end, lo.pad_begin, lo.pad_end), (0, 1, 1, 0));
    // A 1×1 kernel with stride 3 needs no padding: max(0, (2 − 1)·3 + 1 − 5) = 0.
    let a = ConvAxis::fit_same("C", 5, 1, 1, 3, false).unwrap();
    assert_eq!((a.pad_begin, a.pad_end, a.out), (0, 0, 2));
    let a = ConvAttrs { auto_pad: AutoPad::Valid, ..ConvAttrs::default() };
    assert_eq!(out(&x, &w, &a), [1, 2, 5, 5]);
    // pads with auto_pad is refused, even VALID.
    let a = ConvAttrs { auto_pad: AutoPad::Valid, pads: Some(vec![0; 4]), ..ConvAttrs::default() };
    assert!(geom(&x, &w, &a).is_err());
    assert!(AutoPad::parse("C", "FOO").is_err());
    assert_eq!(AutoPad::parse("C", "SAME_LOWER"), Ok(AutoPad::SameLower));
}

#[test]
fn refusals() {
    let (x, w) = ([1, 2, 7, 6], [2, 2, 3, 2]);
    let d = ConvAttrs::default();
    // Kernel bigger than the input.
    assert!(geom(&[1, 2, 2, 2], &w, &d).is_err());
    // kernel_shape must match w.
    let a = ConvAttrs { kernel_shape: Some(vec![3, 3]), ..d.clone() };
    assert!(geom(&x, &w, &a).is_err());
    let a = ConvAttrs { kernel_shape: Some(vec![3, 2]), ..d.clone() };
    assert!(geom(&x, &w, &a).is_ok());
    for bad in [
        ConvAttrs { pads: Some(vec![1, 1]), ..d.clone() },
        ConvAttrs { pads: Some(vec![-1, 0, 0, 0]), ..d.clone() },
        ConvAttrs { strides: Some(vec![0, 1]), ..d.clone() },
        ConvAttrs { dilations: Some(vec![1, i64::MAX]), ..d.clone() },
        ConvAttrs { group: Some(0), ..d.clone() },
        ConvAttrs { pads: Some(vec![1 << 25, 0, 0, 0]), ..d.clone() },
    ] {
        assert!(geom(&x, &w, &bad).is_err(), "{bad:?}");
    }
    // Ranks: 1-D convs are not supported, rank 2 is no conv at all.
    assert!(matches!(geom(&[1, 2, 7], &[2, 2, 3], &d), Err(QuantError::Unsupported { .. })));
    assert!(matches!(geom(&[2, 7], &[2, 3], &d), Err(QuantError::Shape { .. })));
    // An empty batch is fine; an empty spatial axis is not.
    assert_eq!(out(&[0, 2, 7, 6], &w, &d), [0, 2, 5, 5]);
    assert!(geom(&[1, 2, 0, 6], &w, &d).is_err());
}
