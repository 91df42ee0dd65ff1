//! Pools against hand-computed windows and a definitional reference.

use super::super::testutil::random3;
use super::*;
use crate::nn::layer::Padding;
use ndarray::array;
use proptest::prelude::*;

fn params(
    k: (usize, usize),
    s: (usize, usize),
    ceil_mode: bool,
    count_include_pad: bool,
) -> PoolParams {
    PoolParams {
        kh: k.0,
        kw: k.1,
        stride_h: s.0,
        stride_w: s.1,
        pad: Padding::Valid, // kernels take resolved `Pads`
        ceil_mode,
        count_include_pad,
    }
}

fn grid(h: usize, w: usize, f: impl Fn(usize, usize) -> f32) -> Array3<f32> {
    Array3::from_shape_fn((1, h, w), |(_, r, c)| f(r, c))
}

#[test]
fn max_2x2_stride_2() {
    let x = grid(4, 4, |r, c| (r * 4 + c + 1) as f32); // 1..=16
    let v = max_pool(&x.view(), &params((2, 2), (2, 2), false, false), Pads::default(), 2, 2);
    assert_eq!(v, array![[[6.0, 8.0], [14.0, 16.0]]]);
}

#[test]
fn padding_never_wins_a_max() {
    // All values negative: −1..=−9. 3×3 windows, stride 2, pad 1 → 2×2.
    let x = grid(3, 3, |r, c| -((r * 3 + c + 1) as f32));
    let v = max_pool(&x.view(), &params((3, 3), (2, 2), false, false), Pads::symmetric(1), 2, 2);
    // (0,0): {−1,−2,−4,−5}; (0,1): {−2,−3,−5,−6}; (1,0): {−4,−5,−7,−8}; (1,1): {−5,−6,−8,−9}
    assert_eq!(v, array![[[-1.0, -2.0], [-4.0, -5.0]]]);
}

#[test]
fn max_ceil_mode_clips_the_last_window() {
    // 5×5 values r·5 + c; 2×2 stride 2 with ceil → 3×3; the last row/column windows hold one cell.
    let x = grid(5, 5, |r, c| (r * 5 + c) as f32);
    let v = max_pool(&x.view(), &params((2, 2), (2, 2), true, false), Pads::default(), 3, 3);
    assert_eq!(v, array![[[6.0, 8.0, 9.0], [16.0, 18.0, 19.0], [21.0, 23.0, 24.0]]]);
}

#[test]
fn max_window_of_only_padding_is_minus_infinity() {
    let x = array![[[7.0]]];
    let pads = Pads { top: 0, left: 1, bottom: 0, right: 0 };
    let v = max_pool(&x.view(), &params((1, 1), (1, 1), false, false), pads, 1, 2);
    assert_eq!(v, array![[[f32::NEG_INFINITY, 7.0]]]);
}

#[test]
fn avg_count_include_pad_or_not() {
    // 3×3 values 1..=9, 3×3 windows, stride 1, pad 1.
    let x = grid(3, 3, |r, c| (r * 3 + c + 1) as f32);
    let p = |inc| params((3, 3), (1, 1), false, inc);
    let with = avg_pool(&x.view(), &p(true), Pads::symmetric(1), 3, 3);
    let without = avg_pool(&x.view(), &p(false), Pads::symmetric(1), 3, 3);
    // corner (0,0): 1+2+4+5 = 12; edge (0,1): 1+2+3+4+5+6 = 21; centre: 45
    assert_eq!(with[[0, 0, 0]], 12.0 / 9.0);
    assert_eq!(without[[0, 0, 0]], 12.0 / 4.0);
    assert_eq!(with[[0, 0, 1]], 21.0 / 9.0);
    assert_eq!(without[[0, 0, 1]], 21.0 / 6.0);
    assert_eq!((with[[0, 1, 1]], without[[0, 1, 1]]), (5.0, 5.0));
    // corner (2,2): 5+6+8+9 = 28
    assert_eq!((with[[0, 2, 2]], without[[0, 2, 2]]), (28.0 / 9.0, 28.0 / 4.0));
}

#[test]
fn avg_ceil_mode_never_counts_past_the_padding() {
    // Row [1..=6], window 3, stride 2, pad 1 each side, ceil → 4 outputs (PyTorch:
    // avg_pool1d(x, 3, 2, 1, ceil_mode=True) = [1, 3, 5, 3]).
    // Windows: [pad,1,2], [2,3,4], [4,5,6], [6,pad,past] — the last has 2 countable cells.
    let x = grid(1, 6, |_, c| (c + 1) as f32);
    let pads = Pads { top: 0, left: 1, bottom: 0, right: 1 };
    let with = avg_pool(&x.view(), &params((1, 3), (1, 2), true, true), pads, 1, 4);
    let without = avg_pool(&x.view(), &params((1, 3), (1, 2), true, false), pads, 1, 4);
    assert_eq!(with, array![[[1.0, 3.0, 5.0, 3.0]]]);
    assert_eq!(without, array![[[1.5, 3.0, 5.0, 6.0]]]);
}

#[test]
fn global_average_of_each_channel() {
    let x = array![[[1.0, 2.0], [3.0, 4.0]], [[-1.0, -1.0], [5.0, 1.0]]];
    assert_eq!(global_avg_pool(&x.view()), array![[[2.5]], [[1.0]]]);
}

/// The definition, in padded coordinates, one window at a time.
fn reference(
    x: &Array3<f32>,
    p: &PoolParams,
    pads: Pads,
    oh: usize,
    ow: usize,
    max: bool,
) -> Array3<f32> {
    let (d, h, w) = x.dim();
    Array3::from_shape_fn((d, oh, ow), |(c, r, q)| {
        let (mut best, mut sum, mut real, mut counted) = (f32::NEG_INFINITY, 0.0f32, 0, 0);
        for i in 0..p.kh {
            for j in 0..p.kw {
                let py = (r * p.stride_h + i) as isize - pads.top as isize;
                let px = (q * p.stride_w + j) as isize - pads.left as isize;
                let in_padding = py < (h + pads.bottom) as isize && px < (w + pads.right) as isize;
                if in_padding {
                    counted += 1;
                }
                if py >= 0 && px >= 0 && py < h as isize && px < w as isize {
                    let v = x[[c, py as usize, px as usize]];
                    best = best.max(v);
                    sum += v;
                    real += 1;
                }
            }
        }
        let n = if p.count_include_pad { counted } else { real };
        if max {
            best
        } else if n == 0 {
            0.0
        } else {
            sum / n as f32
        }
    })
}

proptest! {
    #[test]
    fn pools_match_the_definition(
        (d, h, w) in (1..=3usize, 1..=9usize, 1..=9usize),
        (kh, kw, sh, sw) in (1..=4usize, 1..=4usize, 1..=3usize, 1..=3usize),
        (t, l, b, r) in (0..=2usize, 0..=2usize, 0..=2usize, 0..=2usize),
        (ceil, inc, seed) in (any::<bool>(), any::<bool>(), any::<u64>()),
    ) {
        let (span_h, span_w) = (h + t + b, w + l + r);
        prop_assume!(span_h >= kh && span_w >= kw);
        let out = |span: usize, k: usize, s: usize| {
            if ceil { (span - k).div_ceil(s) + 1 } else { (span - k) / s + 1 }
        };
        let (oh, ow) = (out(span_h, kh, sh), out(span_w, kw, sw));
        let x = random3((d, h, w), seed);
        let p = params((kh, kw), (sh, sw), ceil, inc);
        let pads = Pads { top: t, left: l, bottom: b, right: r };
        prop_assert_eq!(max_pool(&x.view(), &p, pads, oh, ow), reference(&x, &p, pads, oh, ow, true));
        let got = avg_pool(&x.view(), &p, pads, oh, ow);
        let want = reference(&x, &p, pads, oh, ow, false);
        for (g, w) in got.iter().zip(&want) {
            prop_assert!((g - w).abs() <= 1e-5, "{} vs {}", g, w);
        }
    }
}
