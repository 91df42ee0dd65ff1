//! Properties: the GEMM kernel equals the naive loop, every neuron equals the kernel, and no
//! attribute, however hostile, makes the geometry panic.

use convscope::nn::ops::convt::geometry::{
    AutoPad, AxisAttrs, Chw, ConvTransposeAttrs, ConvTransposeGeometry, MAX_DIM, TransposeAxis,
};
use convscope::nn::ops::convt::kernel::{conv_transpose, conv_transpose_naive, neuron};
use proptest::prelude::*;

fn auto_pad() -> impl Strategy<Value = AutoPad> {
    prop_oneof![
        3 => Just(AutoPad::NotSet),
        1 => Just(AutoPad::SameUpper),
        1 => Just(AutoPad::SameLower),
        1 => Just(AutoPad::Valid),
    ]
}

/// A small problem: `(geometry, seed, bias)`. Attributes are drawn freely (output padding up to
/// 2, output_shape around the full size) and the ones the rules refuse are filtered out.
fn problem() -> impl Strategy<Value = (ConvTransposeGeometry, u64, bool)> {
    let shape =
        (1usize..=3, 1usize..=3, 1usize..=3, 1usize..=6, 1usize..=6, 1usize..=4, 1usize..=4);
    let axes = (1i64..=3, 1i64..=3, 1i64..=3, 1i64..=3, 0i64..=2, 0i64..=2);
    let pads = (proptest::option::of(proptest::array::uniform4(0i64..=3)), auto_pad());
    let shaped = proptest::option::of((-4i64..=2, -4i64..=2));
    (shape, axes, pads, shaped, any::<u64>(), any::<bool>()).prop_filter_map(
        "refused by the rules",
        |(
            (groups, cg, kg, h, w, fh, fw),
            (sh, sw, dh, dw, oph, opw),
            (pads, auto),
            shaped,
            seed,
            bias,
        )| {
            let pads = if auto == AutoPad::NotSet { pads } else { None };
            let full = |n: usize, f: usize, s: i64, d: i64, op: i64| {
                (n as i64 - 1) * s + (f as i64 - 1) * d + 1 + op
            };
            let output_shape =
                shaped.map(|(a, b)| [full(h, fh, sh, dh, oph) + a, full(w, fw, sw, dw, opw) + b]);
            let attrs = ConvTransposeAttrs {
                group: groups as i64,
                auto_pad: auto,
                strides: [sh, sw],
                dilations: [dh, dw],
                pads,
                output_padding: [oph, opw],
                output_shape,
                ..Default::default()
            };
            let c = groups * cg;
            let g = ConvTransposeGeometry::new(Chw::new(c, h, w), [c, kg, fh, fw], &attrs).ok()?;
            Some((g, seed, bias))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn gemm_kernel_equals_the_naive_loop((g, seed, bias) in problem()) {
        let (x, w, b) = super::common::random_tensors(&g, seed, bias);
        let bv = b.as_ref().map(|b| b.view());
        let fast = conv_transpose(&x.view(), &w.view(), bv.as_ref(), &g);
        let slow = conv_transpose_naive(&x.view(), &w.view(), bv.as_ref(), &g);
        let err = super::common::max_rel(&fast, &slow);
        prop_assert!(err <= 1e-4, "{err} for {g:?}");
    }

    #[test]
    fn every_neuron_equals_the_kernel((g, seed, bias) in problem()) {
        let (x, w, b) = super::common::random_tensors(&g, seed, bias);
        let bv = b.as_ref().map(|b| b.view());
        let y = conv_transpose(&x.view(), &w.view(), bv.as_ref(), &g);
        for ((k, r, c), &v) in y.indexed_iter() {
            let t = neuron(&x.view(), &w.view(), bv.as_ref(), &g, (k, r, c));
            prop_assert!((t.value - v).abs() <= 1e-4 * v.abs().max(1.0), "{k} {r} {c}: {} vs {v}", t.value);
            prop_assert_eq!(t.contrib.len(), g.cg());
            // Every contributor really lands on (r, c).
            for t in g.contributors(r, c) {
                prop_assert_eq!(g.rows.output_index(t.iy, t.fy), r as i64);
                prop_assert_eq!(g.cols.output_index(t.ix, t.fx), c as i64);
            }
        }
    }

    /// The contributors of all outputs are exactly the taps that land inside the output.
    #[test]
    fn contributors_partition_the_landing_taps((g, _seed, _bias) in problem()) {
        let a = g.rows;
        let mut landed = 0;
        for o in 0..a.out {
            landed += a.taps_at(o).len();
        }
        let inside: usize = (0..a.f).map(|t| { let (lo, hi) = a.inputs_for_tap(t); hi - lo }).sum();
        let brute = (0..a.n)
            .flat_map(|i| (0..a.f).map(move |t| (i, t)))
            .filter(|&(i, t)| (0..a.out as i64).contains(&a.output_index(i, t)))
            .count();
        prop_assert_eq!(landed, brute);
        prop_assert_eq!(inside, brute);
    }
}

/// Anything at all, including values near the i64 limits.
fn hostile_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => -3i64..=20,
        1 => any::<i64>(),
        1 => Just(i64::MAX),
        1 => Just(i64::MIN),
        1 => (MAX_DIM as i64 - 2)..=(MAX_DIM as i64 + 2),
    ]
}

fn hostile_usize() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0usize..=20, 1 => any::<usize>(), 1 => (MAX_DIM - 2)..=(MAX_DIM + 2)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn fit_never_panics(
        n in hostile_usize(), f in hostile_usize(),
        (stride, dilation, op) in (hostile_i64(), hostile_i64(), hostile_i64()),
        pads in proptest::option::of((hostile_i64(), hostile_i64())),
        output_shape in proptest::option::of(hostile_i64()),
        auto_pad in auto_pad(), opset in hostile_i64(),
    ) {
        let a = AxisAttrs { stride, dilation, pads, output_padding: op, output_shape, auto_pad, opset };
        if let Ok(g) = TransposeAxis::fit("rows", n, f, &a) {
            // A fit's sizes are bounded and its formula holds.
            for v in [g.n, g.f, g.stride, g.dilation, g.pad_begin, g.pad_end, g.output_padding, g.out] {
                prop_assert!(v <= MAX_DIM);
            }
            let natural = (g.n as i128 - 1) * g.stride as i128 - g.pad_begin as i128 - g.pad_end as i128
                + g.dilation as i128 * (g.f as i128 - 1) + g.output_padding as i128 + 1;
            prop_assert_eq!(natural + g.surplus as i128, g.out as i128);
            prop_assert!(g.output_padding < g.stride);
            let _ = (g.formula(), g.pads_formula(), g.warning("rows"));
            let _ = (g.inputs_for_tap(0), g.inputs_for_tap(g.f - 1));
            if g.f <= 4096 {
                let _ = (g.taps_at(0), g.taps_at(g.out - 1));
            }
        }
    }

    #[test]
    fn geometry_never_panics(
        (c, h, w) in (hostile_usize(), hostile_usize(), hostile_usize()),
        wd in proptest::array::uniform4(hostile_usize()),
        group in hostile_i64(),
        strides in proptest::array::uniform2(hostile_i64()),
        dilations in proptest::array::uniform2(hostile_i64()),
        pads in proptest::option::of(proptest::array::uniform4(hostile_i64())),
        output_padding in proptest::array::uniform2(hostile_i64()),
        output_shape in proptest::option::of(proptest::array::uniform2(hostile_i64())),
        kernel_shape in proptest::option::of(proptest::array::uniform2(hostile_i64())),
        auto_pad in auto_pad(),
    ) {
        let attrs = ConvTransposeAttrs {
            opset: 11, auto_pad, group, kernel_shape, strides, dilations, pads, output_padding, output_shape,
        };
        if let Ok(g) = ConvTransposeGeometry::new(Chw::new(c, h, w), wd, &attrs) {
            let out = g.out();
            prop_assert!((out.c as u128) * (out.h as u128) * (out.w as u128) <= 1 << 31);
            prop_assert_eq!(g.weight_dims(), wd);
            let _ = (g.formula(), g.warnings());
        }
    }
}
