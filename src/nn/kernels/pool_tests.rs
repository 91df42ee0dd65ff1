//! Pools against hand-computed windows and a definitional reference.

use super::super::testutil::{pool_geometry, random3};
use super::*;
use crate::nn::geometry::Pads;
use ndarray::array;
use proptest::prelude::*;

fn geo(
    x: &Array3<f32>,
    k: (usize, usize),
    s: (usize, usize),
    pads: Pads,
    ceil: bool,
    inc: bool,
) -> PoolGeometry {
    pool_geometry(x.dim(), k, s, pads, ceil, inc)
}

fn grid(h: usize, w: usize, f: impl Fn(usize, usize) -> f32) -> Array3<f32> {
    Array3::from_shape_fn((1, h, w), |(_, r, c)| f(r, c))
}

#[test]
fn max_2x2_stride_2() {
    let x = grid(4, 4, |r, c| (r * 4 + c + 1) as f32); // 1..=16
    let v = max_pool(&x.view(), &geo(&x, (2, 2), (2, 2), Pads::default(), false, false));
    assert_eq!(v, array![[[6.0, 8.0], [14.0, 16.0]]]);
}

#[test]
fn padding_never_wins_a_max() {
    // All values negative: −1..=−9. 3×3 windows, stride 2, pad 1 → 2×2.
    let x = grid(3, 3, |r, c| -((r * 3 + c + 1) as f32));
    let v = max_pool(&x.view(), &geo(&x, (3, 3), (2, 2), Pads::symmetric(1), false, false));
    // (0,0): {−1,−2,−4,−5}; (0,1): {−2,−3,−5,−6}; (1,0): {−4,−5,−7,−8}; (1,1): {−5,−6,−8,−9}
    assert_eq!(v, array![[[-1.0, -2.0], [-4.0, -5.0]]]);
}

#[test]
fn max_ceil_mode_clips_the_last_window() {
    // 5×5 values r·5 + c; 2×2 stride 2 with ceil → 3×3; the last row/column windows hold one cell.
    let x = grid(5, 5, |r, c| (r * 5 + c) as f32);
    let v = max_pool(&x.view(), &geo(&x, (2, 2), (2, 2), Pads::default(), true, false));
    assert_eq!(v, array![[[6.0, 8.0, 9.0], [16.0, 18.0, 19.0], [21.0, 23.0, 24.0]]]);
}

#[test]
fn avg_count_include_pad_or_not() {
    // 3×3 values 1..=9, 3×3 windows, stride 1, pad 1.
    let x = grid(3, 3, |r, c| (r * 3 + c + 1) as f32);
    let p = |inc| geo(&x, (3, 3), (1, 1), Pads::symmetric(1), false, inc);
    let with = avg_pool(&x.view(), &p(true));
    let without = avg_pool(&x.view(), &p(false));
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
    let with = avg_pool(&x.view(), &geo(&x, (1, 3), (1, 2), pads, true, true));
    let without = avg_pool(&x.view(), &geo(&x, (1, 3), (1, 2), pads, true, false));
    assert_eq!(with, array![[[1.0, 3.0, 5.0, 3.0]]]);
    assert_eq!(without, array![[[1.5, 3.0, 5.0, 6.0]]]);
}

#[test]
fn global_average_of_each_channel() {
    let x = array![[[1.0, 2.0], [3.0, 4.0]], [[-1.0, -1.0], [5.0, 1.0]]];
    assert_eq!(global_avg_pool(&x.view()), array![[[2.5]], [[1.0]]]);
}

/// Planes of every length from 0 to 40 (whole quads and a remainder), in a transposed view:
/// each mean equals an f64 sum in order, to f32 rounding.
#[test]
fn global_average_of_any_plane_length() {
    for n in 0..=40usize {
        let x = random3((3, n, 1), n as u64);
        let t = x.view().permuted_axes([0, 2, 1]);
        let got = global_avg_pool(&t);
        assert_eq!(got.dim(), (3, 1, 1));
        for d in 0..3 {
            let sum: f64 = (0..n).map(|i| f64::from(x[[d, i, 0]])).sum();
            let want = if n == 0 { 0.0 } else { (sum / n as f64) as f32 };
            assert!((got[[d, 0, 0]] - want).abs() <= 1e-6 * want.abs().max(1.0), "n {n}");
        }
    }
}

/// The definition, in padded coordinates, one window at a time: kernel `k`, stride `s`.
fn reference(
    x: &Array3<f32>,
    (kh, kw): (usize, usize),
    (sh, sw): (usize, usize),
    pads: Pads,
    (oh, ow): (usize, usize),
    count_include_pad: bool,
    max: bool,
) -> Array3<f32> {
    let (d, h, w) = x.dim();
    Array3::from_shape_fn((d, oh, ow), |(c, r, q)| {
        let (mut best, mut sum, mut real, mut counted) = (f32::NEG_INFINITY, 0.0f32, 0, 0);
        for i in 0..kh {
            for j in 0..kw {
                let py = (r * sh + i) as isize - pads.top as isize;
                let px = (q * sw + j) as isize - pads.left as isize;
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
        let n = if count_include_pad { counted } else { real };
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
    /// Any window whose pads are smaller than it (the rule the geometry enforces): both pools
    /// equal the definition, and every max is a real cell (never −∞).
    #[test]
    fn pools_match_the_definition(
        (d, h, w) in (1..=3usize, 1..=9usize, 1..=9usize),
        (kh, kw, sh, sw) in (1..=4usize, 1..=4usize, 1..=3usize, 1..=3usize),
        (t, l, b, r) in (0..=3usize, 0..=3usize, 0..=3usize, 0..=3usize),
        (ceil, inc, seed) in (any::<bool>(), any::<bool>(), any::<u64>()),
    ) {
        // Every pad smaller than the window.
        let (t, b, l, r) = (t % kh, b % kh, l % kw, r % kw);
        prop_assume!(h + t + b >= kh && w + l + r >= kw);
        let x = random3((d, h, w), seed);
        let pads = Pads { top: t, left: l, bottom: b, right: r };
        let g = geo(&x, (kh, kw), (sh, sw), pads, ceil, inc);
        let out = g.window.out();
        let want_max = reference(&x, (kh, kw), (sh, sw), pads, out, inc, true);
        let got_max = max_pool(&x.view(), &g);
        prop_assert!(got_max.iter().all(|v| v.is_finite()));
        prop_assert_eq!(got_max, want_max);
        let got = avg_pool(&x.view(), &g);
        let want = reference(&x, (kh, kw), (sh, sw), pads, out, inc, false);
        for (g, w) in got.iter().zip(&want) {
            prop_assert!((g - w).abs() <= 1e-5, "{} vs {}", g, w);
        }
    }
}

/// A max pool reading through a relu/clip view equals the pool of the activated input, bit for
/// bit, NaN, ±∞ and −0 included (a NaN wins the pool of raw values, but the activation maps it
/// to a number first, as the view's own loop does).
#[test]
fn max_pool_of_act_is_the_pool_of_the_activated_input() {
    let odd = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0, 7.5, -3.0, 0.25];
    let x = random3((3, 9, 11), 4);
    let x = Array3::from_shape_fn(x.dim(), |(d, r, c)| {
        if (d + r * 3 + c) % 5 == 0 { odd[(r + c) % odd.len()] } else { 8.0 * x[[d, r, c]] - 4.0 }
    });
    let g = geo(&x, (3, 2), (2, 2), Pads { top: 1, left: 0, bottom: 1, right: 1 }, true, false);
    for pre in [Epilogue::None, Epilogue::Relu, Epilogue::Clip(0.0, 6.0), Epilogue::Clip(-1.0, 1.0)]
    {
        let mut activated = x.clone();
        activated.mapv_inplace(|v| pre.apply(v));
        let (got, want) = (max_pool_of_act(&x.view(), pre, &g), max_pool(&activated.view(), &g));
        let bits = |v: &Volume| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want), "{pre:?}");
    }
}

/// The max of the real cells of each window, with dilation; a NaN among them gives NaN.
fn nan_aware_max(x: &Array3<f32>, g: &PoolGeometry) -> Array3<f32> {
    let (d, h, w) = x.dim();
    let (ra, ca) = (g.window.rows, g.window.cols);
    Array3::from_shape_fn((d, ra.out, ca.out), |(c, r, q)| {
        let (wr, wc) = (ra.window(r), ca.window(q));
        let mut best = f32::NEG_INFINITY;
        for i in 0..ra.f {
            for j in 0..ca.f {
                let (py, px) = (wr.index(i), wc.index(j));
                if py >= 0 && px >= 0 && py < h as i64 && px < w as i64 {
                    let v = x[[c, py as usize, px as usize]];
                    if v.is_nan() || best.is_nan() {
                        best = f32::NAN;
                    } else {
                        best = best.max(v);
                    }
                }
            }
        }
        best
    })
}

proptest! {
    /// Rows long enough that most windows lie wholly inside them (pooled one tap at a time over
    /// the whole run) and the rest hang into the padding (pooled one by one), any stride and
    /// dilation, NaNs scattered in: the max pool equals the definition, NaN for NaN.
    #[test]
    fn max_pool_of_long_rows_matches_the_definition(
        (d, h, w) in (1..=2usize, 1..=6usize, 1..=40usize),
        (kh, kw, sh, sw) in (1..=3usize, 1..=4usize, 1..=3usize, 1..=4usize),
        (dh, dw, t, l, r) in (1..=2usize, 1..=2usize, 0..=2usize, 0..=3usize, 0..=3usize),
        (ceil, seed, nan_every) in (any::<bool>(), any::<u64>(), 3..=50usize),
    ) {
        let (t, l, r) = (t % kh, l % kw, r % kw);
        prop_assume!(h + 2 * t > (kh - 1) * dh && w + l + r > (kw - 1) * dw);
        let x = random3((d, h, w), seed);
        let x = Array3::from_shape_fn(x.dim(), |(c, i, j)| {
            if (c * 7 + i * w + j) % nan_every == nan_every - 1 { f32::NAN } else { x[[c, i, j]] }
        });
        let pad = crate::nn::layer::Padding::Explicit { top: t, left: l, bottom: t, right: r };
        let spec = crate::nn::geometry::WindowSpec {
            kernel: (kh, kw),
            dilation: (dh, dw),
            stride: (sh, sw),
            pad: &pad,
            ceil_mode: ceil,
        };
        let shape = crate::nn::tensor::Shape3::new(h, w, d);
        let Ok(g) = PoolGeometry::new(shape, spec, false) else {
            return Err(TestCaseError::reject("not a valid pool"));
        };
        let (got, want) = (max_pool(&x.view(), &g), nan_aware_max(&x, &g));
        let bits = |v: &Array3<f32>| {
            v.iter().map(|f| if f.is_nan() { u32::MAX } else { f.to_bits() }).collect::<Vec<_>>()
        };
        prop_assert_eq!(bits(&got), bits(&want));
    }
}
