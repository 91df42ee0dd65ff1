//! Conv kernels on the shapes that matter: `cargo bench --features criterion --bench conv`
//! (set `RAYON_NUM_THREADS=1` for the single-thread figures in FACTS.md).

use convscope::nn::Padding;
use convscope::nn::Shape3;
use convscope::nn::geometry::{ConvGeometry, WindowSpec};
use convscope::nn::kernels::conv2d;
use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::{Array1, Array3, Array4};
use std::hint::black_box;

/// One conv problem: input `(D, H, W)`, `K` filters of `F × F`, stride, symmetric pad, groups.
struct Case {
    name: &'static str,
    d: usize,
    hw: usize,
    k: usize,
    f: usize,
    stride: usize,
    pad: usize,
    groups: usize,
}

const CASES: [Case; 5] = [
    Case {
        name: "alexnet_conv1_227x227x3_96f11_s4",
        d: 3,
        hw: 227,
        k: 96,
        f: 11,
        stride: 4,
        pad: 0,
        groups: 1,
    },
    Case {
        name: "conv3x3_128to256_56x56_p1",
        d: 128,
        hw: 56,
        k: 256,
        f: 3,
        stride: 1,
        pad: 1,
        groups: 1,
    },
    Case {
        name: "conv1x1_256to64_56x56",
        d: 256,
        hw: 56,
        k: 64,
        f: 1,
        stride: 1,
        pad: 0,
        groups: 1,
    },
    Case { name: "cs231n_11x11x4_2f5_s2", d: 4, hw: 11, k: 2, f: 5, stride: 2, pad: 0, groups: 1 },
    Case {
        name: "depthwise3x3_112x112x32_p1",
        d: 32,
        hw: 112,
        k: 32,
        f: 3,
        stride: 1,
        pad: 1,
        groups: 32,
    },
];

/// Deterministic values in `[-1, 1]` without a random-number dependency.
fn wave(i: usize) -> f32 {
    ((i as f32) * 0.618_034).sin()
}

fn bench_conv(c: &mut Criterion) {
    for case in &CASES {
        let pad = Padding::symmetric(case.pad);
        let spec = WindowSpec {
            kernel: (case.f, case.f),
            dilation: (1, 1),
            stride: (case.stride, case.stride),
            pad: &pad,
            ceil_mode: false,
        };
        let input = Shape3::new(case.hw, case.hw, case.d);
        let g = ConvGeometry::new(input, case.k, case.groups, spec).expect("a valid bench conv");
        let mut n = 0;
        let mut next = || {
            n += 1;
            wave(n)
        };
        let x = Array3::from_shape_simple_fn((case.d, case.hw, case.hw), &mut next);
        let w =
            Array4::from_shape_simple_fn((case.k, case.f, case.f, case.d / case.groups), &mut next);
        let b = Array1::from_shape_simple_fn(case.k, &mut next);
        c.bench_function(case.name, |bench| {
            bench.iter(|| conv2d(&black_box(x.view()), &w.view(), Some(&b.view()), &g))
        });
    }
}

criterion_group!(benches, bench_conv);
criterion_main!(benches);
