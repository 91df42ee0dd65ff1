use super::*;
use proptest::prelude::*;

fn fit(n: usize, f: usize, dil: usize, s: usize, p: (usize, usize), ceil: bool) -> Axis {
    Axis::fit("rows", n, f, dil, s, p, ceil).unwrap()
}

#[test]
fn alexnet_conv1_is_55() {
    let d = fit(227, 11, 1, 4, (0, 0), false);
    assert_eq!(d.out, 55);
    assert_eq!(d.formula(), "(227 − 11 + 2·0)/4 + 1 = 55");
    assert!(d.warning("rows").is_none());
}

#[test]
fn non_integer_fit_floors_and_says_what_is_lost() {
    // (224 − 11)/4 + 1 = 54.25: 213 = 4·53 + 1, so the last input row is never covered.
    let d = fit(224, 11, 1, 4, (0, 0), false);
    assert_eq!(d.out, 54);
    assert_eq!(d.formula(), "(224 − 11 + 2·0)/4 + 1 = 54.25 → 54 (floor)");
    assert_eq!(d.uncovered(), 1);
    let w = d.warning("rows").unwrap();
    assert!(w.contains("54.25") && w.contains("last 1 input row never"), "{w}");
}

#[test]
fn table_of_fits() {
    // (n, f, dil, s, pads, ceil) → out
    let rows = [
        (5, 3, 1, 2, (1, 1), false, 3),     // cs231n demo
        (11, 5, 1, 2, (0, 0), false, 4),    // the seed's numpy example
        (32, 3, 1, 1, (1, 1), false, 32),   // "same" 3×3
        (224, 3, 1, 2, (0, 1), false, 112), // TF SAME stride 2, extra pad at the end
        (13, 3, 2, 1, (0, 0), false, 9),    // dilation 2: F_eff 5
        (55, 3, 1, 2, (0, 0), false, 27),   // AlexNet pool
        (6, 2, 1, 2, (0, 0), true, 3),
        (7, 2, 1, 2, (0, 0), true, 4), // ceil: (7−2)/2+1 = 3.5 → 4
        (5, 2, 1, 2, (0, 1), true, 3), // the last window starts at 4 < 5 + 0: kept
        (4, 2, 1, 2, (0, 1), true, 2), // the last window would start at 4 ≥ 4: dropped
    ];
    for (n, f, dil, s, p, ceil, out) in rows {
        assert_eq!(fit(n, f, dil, s, p, ceil).out, out, "{n} {f} {dil} {s} {p:?}");
    }
}

#[test]
fn invalid_parameters_are_errors_naming_the_key() {
    let e = |n, f, d, s, p| Axis::fit("rows", n, f, d, s, p, false).unwrap_err();
    assert_eq!(e(10, 0, 1, 1, (0, 0)), GeomError::Zero { key: "size", sym: "F" });
    assert_eq!(e(10, 3, 1, 0, (0, 0)), GeomError::Zero { key: "stride", sym: "S" });
    assert_eq!(e(10, 3, 0, 1, (0, 0)), GeomError::Zero { key: "dilation", sym: "d" });
    assert!(matches!(e(5, 7, 1, 1, (0, 0)), GeomError::DoesNotFit { padded: 5, .. }));
    let dil = e(5, 3, 3, 1, (0, 0));
    assert!(matches!(&dil, GeomError::DoesNotFit { what, .. } if what == "dilated size 7"));
    assert_eq!(e(10, 3, 1, 0, (0, 0)).to_string(), "stride 0 is not allowed (S ≥ 1)");
}

#[test]
fn hostile_sizes_are_refused_before_any_arithmetic_wraps() {
    // The reproduction of the corrupted-heap bug: pad 2^62 on a 16×16 input.
    let huge = 1usize << 62;
    let e = Axis::fit("rows", 16, 3, 1, 1, (huge, 0), false).unwrap_err();
    assert_eq!(e, GeomError::TooLarge { key: "pad".into(), value: huge as u128 });
    assert_eq!(e.to_string(), format!("pad {huge} is too large (at most {MAX_DIM})"));
    for (f, d, s) in [(usize::MAX, 1, 1), (3, usize::MAX, 1), (3, 1, usize::MAX), (1 << 31, 1, 1)] {
        let e = Axis::fit("rows", 16, f, d, s, (0, 0), false).unwrap_err();
        assert!(matches!(e, GeomError::TooLarge { .. }), "{f} {d} {s}: {e:?}");
    }
    // A dilated extent past the bound, each factor below it.
    let e = Axis::fit("rows", 16, 1 << 13, 1 << 12, 1, (0, 0), false).unwrap_err();
    assert!(matches!(e, GeomError::TooLarge { ref key, .. } if key == "dilated size"), "{e:?}");
    let pad = Padding::Explicit { top: huge, left: 0, bottom: 0, right: 0 };
    let spec = WindowSpec {
        kernel: (3, 3),
        dilation: (1, 1),
        stride: (1, 1),
        pad: &pad,
        ceil_mode: false,
    };
    assert!(matches!(Window2d::fit(16, 16, spec), Err(GeomError::TooLarge { .. })));
}

#[test]
fn counts_are_bounded_and_never_overflow() {
    assert_eq!(count("output", &[55, 55, 96]), Ok(290_400));
    let e = count("output", &[1 << 24, 1 << 24, 1 << 24]).unwrap_err();
    assert!(matches!(e, GeomError::TooManyValues { count, .. } if count == 1u128 << 72));
    let e = count("weights", &[usize::MAX, usize::MAX, 4]).unwrap_err();
    assert!(matches!(e, GeomError::TooManyValues { count: u128::MAX, .. }));
    assert_eq!(count("x", &[1 << 31]), Ok(1 << 31));
    assert!(count("x", &[(1 << 31) + 1]).is_err());
}

#[test]
fn same_padding_puts_the_odd_pixel_at_the_end_or_start() {
    let up = resolve(&Padding::SameUpper, (224, 224), (3, 3), (2, 2));
    assert_eq!(up, Pads { top: 0, left: 0, bottom: 1, right: 1 });
    let lo = resolve(&Padding::SameLower, (224, 224), (3, 3), (2, 2));
    assert_eq!(lo, Pads { top: 1, left: 1, bottom: 0, right: 0 });
    let s1 = resolve(&Padding::SameUpper, (7, 7), (5, 5), (1, 1));
    assert_eq!(s1, Pads { top: 2, left: 2, bottom: 2, right: 2 });
}

#[test]
fn windows_in_numpy_slices() {
    // AlexNet conv1 neuron (12, 40): rows 48:59, cols 160:171.
    let a = fit(227, 11, 1, 4, (0, 0), false);
    assert_eq!(
        (a.window(12).x_slice(), a.window(40).x_slice()),
        ("48:59".into(), "160:171".into())
    );
    assert!(a.window(12).is_full());
    // cs231n demo: 5×5 input, P = 1, F = 3, S = 2: neuron 0 hangs over the top by 1.
    let w = fit(5, 3, 1, 2, (1, 1), false).window(0);
    assert_eq!((w.start, w.lo, w.hi, w.overhang(), w.x_slice()), (-1, 1, 3, (1, 0), "0:2".into()));
    assert_eq!(w.tap_slice(), "1:3");
    // Dilation 2, F = 3 at 0 with P = 2: taps at −2, 0, 2.
    let dil = fit(10, 3, 2, 1, (2, 2), false).window(0);
    assert_eq!((dil.lo, dil.hi, dil.x_slice()), (1, 3, "0:3:2".to_string()));
}

#[test]
fn a_window_wholly_in_padding_is_empty_not_a_panic() {
    // Conv F = 2 with pad 4 on a 4-long axis: output 0 reads input −4, −3 only.
    let a = fit(4, 2, 1, 2, (4, 4), false);
    let w = a.window(0);
    assert!(w.is_empty());
    assert_eq!((w.input_range(), w.overhang(), w.x_slice()), (0..0, (2, 0), "0:0".into()));
    assert_eq!(w.padded, 2);
    // The last output (start 4 + 2·5 − 4 = 6... past the input) is empty too.
    let last = a.window(a.out - 1);
    assert!(last.is_empty() && last.start >= 4);
}

#[test]
fn pool_pads_must_be_smaller_than_the_window() {
    let pad = Padding::Explicit { top: 0, left: 0, bottom: 4, right: 4 };
    let spec = WindowSpec {
        kernel: (2, 2),
        dilation: (1, 1),
        stride: (2, 2),
        pad: &pad,
        ceil_mode: false,
    };
    let e = PoolGeometry::new(Shape3::new(4, 4, 1), spec, false).unwrap_err();
    assert_eq!(e, GeomError::PoolPad { axis: "rows", pad: 4, window: 2 });
    // cifar's pool1 (2×2) with pad 2.
    let pad = Padding::symmetric(2);
    let spec = WindowSpec { pad: &pad, ..spec };
    assert!(matches!(
        PoolGeometry::new(Shape3::new(32, 32, 12), spec, false),
        Err(GeomError::PoolPad { pad: 2, window: 2, .. })
    ));
    let pad = Padding::symmetric(1);
    let ok = PoolGeometry::new(Shape3::new(32, 32, 12), WindowSpec { pad: &pad, ..spec }, false);
    assert_eq!(ok.unwrap().out(), Shape3::new(17, 17, 12));
}

#[test]
fn conv_geometry_knows_its_filters_and_groups() {
    let pad = Padding::symmetric(2);
    let spec = WindowSpec {
        kernel: (5, 5),
        dilation: (1, 1),
        stride: (1, 1),
        pad: &pad,
        ceil_mode: false,
    };
    // AlexNet conv2: 27×27×96 in, 256 filters in 2 groups.
    let g = ConvGeometry::new(Shape3::new(27, 27, 96), 256, 2, spec).unwrap();
    assert_eq!((g.cg(), g.kg(), g.filter_dims()), (48, 128, [256, 5, 5, 48]));
    assert_eq!(g.out(), Shape3::new(27, 27, 256));
    assert_eq!((g.channels_of(0), g.channels_of(200)), (0..48, 48..96));
    assert!(g.groups_fit());
    assert_eq!(
        ConvGeometry::new(Shape3::new(8, 8, 3), 0, 1, spec).unwrap_err(),
        GeomError::Zero { key: "filters", sym: "K" }
    );
    let e = ConvGeometry::new(Shape3::new(16, 16, 3), 1 << 24, 1, spec);
    assert!(matches!(e, Err(GeomError::TooManyValues { .. })), "{e:?}");
}

/// The definition, one index at a time.
fn by_scan(out_len: usize, in_len: usize, s: usize, pad: usize, off: usize) -> Vec<usize> {
    (0..out_len)
        .filter(|&o| {
            let i = (o * s + off) as isize - pad as isize;
            i >= 0 && i < in_len as isize
        })
        .collect()
}

#[test]
fn valid_outputs_table() {
    // (out_len, in_len, stride, pad, offset) → (lo, hi)
    let rows = [
        ((4, 11, 2, 0, 0), (0, 4)),
        ((4, 11, 2, 0, 4), (0, 4)),
        ((3, 5, 2, 1, 0), (1, 3)),
        ((3, 5, 2, 1, 2), (0, 2)),
        ((5, 5, 1, 1, 0), (1, 5)),
        ((5, 5, 1, 1, 2), (0, 4)),
        ((2, 1, 1, 3, 0), (2, 2)),
        ((4, 0, 1, 1, 0), (1, 1)),
    ];
    for ((o, n, s, p, f), want) in rows {
        assert_eq!(valid_outputs(o, n, s, p, f), want, "row {:?}", (o, n, s, p, f));
    }
}

#[test]
fn valid_outputs_is_the_contiguous_scan() {
    for o in 0..7 {
        for n in 0..7 {
            for s in 1..4 {
                for p in 0..4 {
                    for f in 0..7 {
                        let (lo, hi) = valid_outputs(o, n, s, p, f);
                        assert_eq!((lo..hi).collect::<Vec<_>>(), by_scan(o, n, s, p, f));
                    }
                }
            }
        }
    }
}

proptest! {
    /// Every window agrees with its definition: tap t reads input `o·S + t·d − P_before`, the
    /// taps inside `0..n` are `lo..hi`, and `padded` counts the taps before `n + P_after`.
    #[test]
    fn windows_follow_their_definition(
        n in 1usize..12, f in 1usize..6, dil in 1usize..4, s in 1usize..4,
        before in 0usize..8, after in 0usize..8, ceil in any::<bool>(),
    ) {
        let Ok(a) = Axis::fit("rows", n, f, dil, s, (before, after), ceil) else {
            prop_assume!(false);
            unreachable!()
        };
        for o in 0..a.out {
            let w = a.window(o);
            let idx = |t: usize| (o * s + t * dil) as i64 - before as i64;
            let inside: Vec<usize> = (0..f).filter(|&t| (0..n as i64).contains(&idx(t))).collect();
            let want = inside.first().map_or((0, 0), |&lo| (lo, inside.last().unwrap() + 1));
            prop_assert_eq!((w.lo, w.hi), want, "o = {}", o);
            let padded = (0..f).filter(|&t| idx(t) < (n + after) as i64).count();
            prop_assert_eq!(w.padded, padded);
            for t in w.lo..w.hi {
                prop_assert!(w.input_range().contains(&(idx(t) as usize)));
                let (vlo, vhi) = a.valid_for_tap(t);
                prop_assert!((vlo..vhi).contains(&o));
            }
        }
    }
}
