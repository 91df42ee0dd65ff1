//! Tests of the fast conv against the naive reference and against values written out by hand.

use super::super::depthwise::conv_depthwise_at;
use super::super::im2col::{Banding, conv_gemm_banded};
use super::super::isa::Isa;
use super::super::naive::conv2d_naive;
use super::super::testutil::{
    ConvCase, assert_close, conv_case, geometry, geometry_padded, random3, random4,
};
use super::*;
use crate::nn::geometry::Pads;
use ndarray::{Array1, Array4, array};
use proptest::prelude::*;

/// Tolerance relative to `max(1, max |reference|)`.
const REL: f32 = 1e-4;

fn naive_of(c: &ConvCase) -> Volume {
    let b = c.b();
    conv2d_naive(&c.x().view(), &c.w().view(), b.as_ref().map(|b| b.view()).as_ref(), &c.geometry())
}

fn fast_of(c: &ConvCase, epi: Epilogue) -> Volume {
    let b = c.b();
    let bv = b.as_ref().map(|b| b.view());
    conv2d_fused(&c.x().view(), &c.w().view(), bv.as_ref(), &c.geometry(), epi)
}

/// The values of `c` computed along a forced route.
fn forced(c: &ConvCase, r: Route) -> Volume {
    routed(c, &c.x(), Epilogue::None, r)
}

/// The conv of `c`'s weights over `pre(x)` along route `r`.
fn routed(c: &ConvCase, x: &Volume, pre: Epilogue, r: Route) -> Volume {
    let (oh, ow) = c.out();
    let (w, b) = (c.w(), c.b());
    let g = ConvGeom::new(x.dim(), w.dim(), b.as_ref().map(|b| b.len()), &c.geometry());
    let bs = b.as_ref().map(|b| b.as_slice().unwrap());
    let v = run(r, &x.view(), pre, &w.view(), bs, Epilogue::None, &g);
    Array3::from_shape_vec((g.k, oh, ow), v).unwrap()
}

/// The depthwise kernel of `c`'s weights over `pre(x)` on every vector level this CPU has
/// (dispatch alone would test only the widest).
fn depthwise_levels(c: &ConvCase, x: &Volume, pre: Epilogue) -> Vec<(Isa, Volume)> {
    let (w, b) = (c.w(), c.b());
    let g = ConvGeom::new(x.dim(), w.dim(), b.as_ref().map(|b| b.len()), &c.geometry());
    let bs = b.as_ref().map(|b| b.as_slice().unwrap());
    let (xs, ws) = (x.as_slice().unwrap(), w.as_slice().unwrap());
    let run = |isa| {
        let mut out = vec![f32::NAN; g.k * g.npix()];
        conv_depthwise_at(isa, xs, pre, ws, bs, Epilogue::None, &g, &mut out);
        (isa, Array3::from_shape_vec((g.k, g.oh, g.ow), out).unwrap())
    };
    Isa::available().into_iter().map(run).collect()
}

/// The GEMM path with one output row per band, the bands on the rayon pool.
fn banded_tiny(c: &ConvCase) -> Volume {
    banded_tiny_of(c, &c.x(), Epilogue::None)
}

fn banded_tiny_of(c: &ConvCase, x: &Volume, pre: Epilogue) -> Volume {
    let (oh, ow) = c.out();
    let (w, b) = (c.w(), c.b());
    let g = ConvGeom::new(x.dim(), w.dim(), b.as_ref().map(|b| b.len()), &c.geometry());
    let tiny = Banding { values: 1, min_pixels: 1, parallel_min_flops: 0 };
    let mut out = vec![f32::NAN; g.k * oh * ow];
    let (xs, ws) = (x.as_slice().unwrap(), w.as_slice().unwrap());
    let bs = b.as_ref().map(|b| b.as_slice().unwrap());
    conv_gemm_banded(xs, pre, ws, bs, Epilogue::None, &g, g.is_pointwise(), &mut out, tiny);
    Array3::from_shape_vec((g.k, oh, ow), out).unwrap()
}

/// The implicit GEMM with every conv on a pool of three threads, however small: the threads
/// split the tiles in three runs, each filling its own phase rows (`split`), or share planes
/// filled once, or share a small map's filter blocks.
fn implicit_parallel(c: &ConvCase, isa: Isa, split: bool) -> Volume {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    let (x, w, b) = (c.x(), c.w(), c.b());
    let g = ConvGeom::new(x.dim(), w.dim(), b.as_ref().map(|b| b.len()), &c.geometry());
    let mut out = vec![f32::NAN; g.k * g.npix()];
    let (xs, ws) = (x.as_slice().unwrap(), w.as_slice().unwrap());
    let bs = b.as_ref().map(|b| b.as_slice().unwrap());
    let split_max = if split { usize::MAX } else { 0 };
    pool.install(|| {
        super::super::implicit::conv_implicit_with(
            isa,
            xs,
            Epilogue::None,
            ws,
            bs,
            Epilogue::None,
            &g,
            &mut out,
            0,
            split_max,
        )
    });
    Array3::from_shape_vec((g.k, g.oh, g.ow), out).unwrap()
}

/// Every route that applies to `c`, over `pre(x)` read as the kernel goes and over the input
/// activated beforehand: the two must be the same numbers, bit for bit (the explorer's
/// relu/clip layers are lazy views whose consumers read them this way).
fn assert_pre_is_exact(c: &ConvCase, pre: Epilogue) {
    let x = c.x();
    let mut activated = x.clone();
    pre.activate(activated.as_slice_mut().unwrap());
    let g = ConvGeom::new(x.dim(), c.w().dim(), None, &c.geometry());
    let mut routes = vec![Route::Im2col];
    if super::implicit::available() {
        routes.push(Route::Implicit);
    }
    if g.is_pointwise() {
        routes.push(Route::Pointwise);
    }
    if g.is_depthwise() {
        routes.push(Route::Depthwise);
    }
    for r in routes {
        let (got, want) = (routed(c, &x, pre, r), routed(c, &activated, Epilogue::None, r));
        assert_eq!(got, want, "{pre:?} read by {r:?}");
    }
    let (got, want) = (banded_tiny_of(c, &x, pre), banded_tiny_of(c, &activated, Epilogue::None));
    assert_eq!(got, want, "{pre:?} read by tiny bands");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any conv: the dispatched kernel and the im2col path both equal the reference.
    #[test]
    fn conv2d_matches_naive(case in conv_case(1..=4, 1..=3)) {
        let want = naive_of(&case);
        assert_close(&fast_of(&case, Epilogue::None).view(), &want.view(), REL);
        assert_close(&forced(&case, Route::Im2col).view(), &want.view(), REL);
        assert_close(&banded_tiny(&case).view(), &want.view(), REL);
        if super::implicit::available() {
            assert_close(&forced(&case, Route::Implicit).view(), &want.view(), REL);
        }
    }

    /// The implicit GEMM over maps wider and taller than one tile (64 grid pixels), with full
    /// and partial blocks of 6 filters, groups, strides, dilations and uneven pads, at one and
    /// two threads (tiles on the pool, or each tile's filter blocks shared out).
    #[test]
    fn implicit_matches_naive(
        mut case in conv_case(1..=5, 1..=2),
        kg in 1..=20usize,
        h in 1..=30usize,
        w in 1..=40usize,
    ) {
        if !super::implicit::available() {
            return Ok(());
        }
        case.kg = kg;
        case.resize(h, w);
        let want = naive_of(&case);
        assert_close(&forced(&case, Route::Implicit).view(), &want.view(), REL);
        // Every microkernel this CPU has (AVX2's 16-pixel tiles and AVX-512's 64).
        for isa in Isa::available().into_iter().filter(|&i| i >= Isa::Avx2) {
            for split in [false, true] {
                assert_close(&implicit_parallel(&case, isa, split).view(), &want.view(), REL);
            }
        }
    }

    /// Depthwise (one input channel per group, 1–3 filters per group): the direct kernel.
    #[test]
    fn depthwise_matches_naive(case in conv_case(1..=1, 1..=6)) {
        let want = naive_of(&case);
        assert_close(&forced(&case, Route::Depthwise).view(), &want.view(), REL);
        assert_close(&fast_of(&case, Epilogue::None).view(), &want.view(), REL);
        for (_, got) in depthwise_levels(&case, &case.x(), Epilogue::None) {
            assert_close(&got.view(), &want.view(), REL);
        }
    }

    /// Depthwise on rows long enough for several vectors (the row copies of stride 1, the
    /// paired column phases of stride 2 with their masked and one-by-one ends, the scalar copy
    /// of stride 3), many channels sharing one scratch (whose padding zeros are written once per
    /// call), and an input clip read as the phases are filled.
    #[test]
    fn depthwise_wide_rows_match_naive(
        mut case in conv_case(1..=1, 4..=9),
        w in 10..=100usize,
        h in 1..=12usize,
    ) {
        case.resize(h, w);
        let want = naive_of(&case);
        let (x, clip) = (case.x(), Epilogue::Clip(-0.3, 0.4));
        let activated = x.mapv(|v| clip.apply(v));
        let levels = depthwise_levels(&case, &activated, Epilogue::None);
        for ((isa, got), (_, want_clipped)) in depthwise_levels(&case, &x, clip).into_iter().zip(levels) {
            prop_assert_eq!(got, want_clipped, "{:?}", isa);
        }
        for (_, got) in depthwise_levels(&case, &x, Epilogue::None) {
            assert_close(&got.view(), &want.view(), REL);
        }
    }

    /// Depthwise with one filter per channel and many channels: on small planes the
    /// channel-blocked kernel (full blocks of 16 and the channels after them), with and
    /// without bias and a fused clip.
    #[test]
    fn depthwise_channel_blocks_match_naive(mut case in conv_case(1..=1, 16..=40)) {
        case.kg = 1;
        let want = naive_of(&case);
        assert_close(&forced(&case, Route::Depthwise).view(), &want.view(), REL);
        let clip = want.mapv(|v| v.clamp(-0.5, 0.5));
        assert_close(&fast_of(&case, Epilogue::Clip(-0.5, 0.5)).view(), &clip.view(), REL);
    }

    /// 1×1, stride 1, unpadded: the no-copy GEMM path.
    #[test]
    fn pointwise_matches_naive(mut case in conv_case(1..=5, 1..=3)) {
        case.f = (1, 1);
        case.s = (1, 1);
        case.pads = Pads::default();
        case.ceil = false;
        let want = naive_of(&case);
        assert_close(&forced(&case, Route::Pointwise).view(), &want.view(), REL);
        assert_close(&banded_tiny(&case).view(), &want.view(), REL);
        assert_close(&fast_of(&case, Epilogue::None).view(), &want.view(), REL);
    }

    /// An input activation applied as the kernels read equals the activated input, on every
    /// route (1×1 cases, depthwise cases and channel blocks of 16 included).
    #[test]
    fn input_activation_is_exact(
        mut case in conv_case(1..=3, 1..=2),
        shape in 0..4usize,
        lo in -1.0f32..=0.0,
        hi in 0.0f32..=1.0,
    ) {
        match shape {
            0 => {
                case.f = (1, 1);
                case.s = (1, 1);
                case.pads = Pads::default();
                case.ceil = false;
            }
            1 => {
                case.cg = 1;
            }
            2 => {
                (case.cg, case.kg, case.groups) = (1, 1, 17);
            }
            _ => {}
        }
        for pre in [Epilogue::Relu, Epilogue::Clip(lo, hi)] {
            assert_pre_is_exact(&case, pre);
        }
    }

    /// The fused activation is the activation of the reference.
    #[test]
    fn fused_epilogue_matches_naive(case in conv_case(1..=3, 1..=2)) {
        let want = naive_of(&case);
        let relu = want.mapv(|v| if v > 0.0 { v } else { 0.0 });
        let clip = want.mapv(|v| v.clamp(-0.5, 0.5));
        assert_close(&fast_of(&case, Epilogue::Relu).view(), &relu.view(), REL);
        assert_close(&fast_of(&case, Epilogue::Clip(-0.5, 0.5)).view(), &clip.view(), REL);
    }
}

/// cs231n's example: an 11×11×4 input, two 5×5×4 filters, stride 2 → 4×4×2.
#[test]
fn seed_example_11x11x4_two_filters_stride_2() {
    let x = random3((4, 11, 11), 7); // X[r, c, d] is x[[d, r, c]]
    let w = random4((2, 5, 5, 4), 8);
    let b = array![0.25, -1.5];
    let g = geometry((4, 11, 11), 2, (5, 5), (2, 2), (1, 1), 1, 0);
    let v = conv2d(&x.view(), &w.view(), Some(&b.view()), &g);
    assert_eq!(v.dim(), (2, 4, 4));
    // V[0,0,0] = np.sum(X[:5, :5, :] * W0) + b0
    // V[1,2,3] = np.sum(X[4:9, 6:11, :] * W1) + b1
    for (d, r, c) in [(0, 0, 0), (1, 2, 3), (0, 3, 1)] {
        let mut sum = 0.0f32;
        for i in 0..5 {
            for j in 0..5 {
                for k in 0..4 {
                    sum += x[[k, 2 * r + i, 2 * c + j]] * w[[d, i, j, k]];
                }
            }
        }
        let want = sum + b[d];
        assert!((v[[d, r, c]] - want).abs() < 1e-5, "V[{d},{r},{c}] = {} ≠ {want}", v[[d, r, c]]);
    }
}

/// A 3×3 input of ones, a 2×2 filter of ones, padding 1: each output counts the real cells.
#[test]
fn ones_with_padding_count_real_cells() {
    let x = Array3::ones((1, 3, 3));
    let w = Array4::ones((1, 2, 2, 1));
    let g = geometry((1, 3, 3), 1, (2, 2), (1, 1), (1, 1), 1, 1);
    let v = conv2d(&x.view(), &w.view(), None, &g);
    let want = array![[
        [1.0, 2.0, 2.0, 1.0],
        [2.0, 4.0, 4.0, 2.0],
        [2.0, 4.0, 4.0, 2.0],
        [1.0, 2.0, 2.0, 1.0]
    ]];
    assert_eq!(v, want);
}

/// Asymmetric padding and a ceil-rounded size: the last column reads past the right padding.
#[test]
fn asymmetric_padding_and_window_past_the_padding() {
    // 1×4 input [1 2 3 4], filter 1×2 of [10, 1], stride 2, left pad 1, right pad 0, out 3.
    // windows: [pad,1] → 1; [2,3] → 23; [4, past] → 40.
    let x = array![[[1.0, 2.0, 3.0, 4.0]]];
    let w = Array4::from_shape_vec((1, 1, 2, 1), vec![10.0, 1.0]).unwrap();
    let pads = Pads { top: 0, left: 1, bottom: 0, right: 0 };
    let g = geometry_padded((1, 1, 4), 1, (1, 2), (1, 2), (1, 1), 1, pads, true);
    assert_eq!(g.window.out(), (1, 3), "ceil((4 + 1 − 2)/2) + 1 = 3");
    let v = conv2d(&x.view(), &w.view(), None, &g);
    assert_eq!(v, array![[[1.0, 23.0, 40.0]]]);
}

/// Dilation 3 on a 1×5 row: out[i] = x[i] + 2·x[i+3].
#[test]
fn dilated_row() {
    let x = array![[[1.0, 2.0, 3.0, 4.0, 5.0]]];
    let w = Array4::from_shape_vec((1, 1, 2, 1), vec![1.0, 2.0]).unwrap();
    let g = geometry((1, 1, 5), 1, (1, 2), (1, 1), (1, 3), 1, 0);
    let v = conv2d(&x.view(), &w.view(), None, &g);
    assert_eq!(v, array![[[1.0 + 8.0, 2.0 + 10.0]]]);
}

/// Two groups: filter 0 sees only channel 0, filters 1 and 2 only channel 1... with K = 2·groups.
#[test]
fn groups_see_only_their_channels() {
    // Channels: 1, 10, 100, 1000 (constant 2×2 planes); groups 2 → Cg = 2; K = 4, 1×1 filters.
    let x = Array3::from_shape_fn((4, 2, 2), |(c, _, _)| [1.0, 10.0, 100.0, 1000.0][c]);
    // W[k] = [a, b] on the group's two channels.
    let w =
        Array4::from_shape_vec((4, 1, 1, 2), vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 0.0]).unwrap();
    let b = Array1::from(vec![0.0, 0.0, 0.5, 0.0]);
    let g = geometry((4, 2, 2), 4, (1, 1), (1, 1), (1, 1), 2, 0);
    let v = conv2d(&x.view(), &w.view(), Some(&b.view()), &g);
    let want = [1.0, 10.0, 1100.5, 200.0];
    for (k, want) in want.into_iter().enumerate() {
        assert!(v.index_axis(ndarray::Axis(0), k).iter().all(|&y| y == want), "filter {k}: {v}");
    }
}

#[test]
fn route_table() {
    let g = |cin: usize, k: usize, f: usize, s: usize, pad: usize, groups: usize| {
        let geom = geometry((cin, 8, 8), k, (f, f), (s, s), (1, 1), groups, pad);
        route(&ConvGeom::new((cin, 8, 8), (k, f, f, cin / groups), None, &geom))
    };
    assert_eq!(g(32, 32, 3, 1, 1, 32), Route::Depthwise);
    assert_eq!(g(32, 64, 3, 2, 1, 32), Route::Depthwise);
    assert_eq!(g(1, 4, 5, 1, 0, 1), Route::Depthwise);
    assert_eq!(g(1, 32, 5, 1, 0, 1), Route::Im2col);
    assert_eq!(g(64, 32, 1, 1, 0, 1), Route::Pointwise);
    assert_eq!(g(64, 32, 1, 1, 0, 4), Route::Pointwise);
    // A strided 1×1 conv at 4×4 outputs: AVX2's 16-pixel tile drops nothing, AVX-512's 64 would.
    let tile16 = if Isa::detect() == Isa::Avx2 { Route::Implicit } else { Route::Im2col };
    assert_eq!(g(64, 32, 1, 2, 0, 1), tile16);
    assert_eq!(g(64, 32, 3, 1, 1, 2), Route::Im2col);
    // The implicit GEMM: 16 to 96 filters, `cols` rows ≥ 64, little
    // grid waste.
    let big = |cin: usize, hw: usize, k: usize, f: usize, s: usize, pad: usize| {
        let geom = geometry((cin, hw, hw), k, (f, f), (s, s), (1, 1), 1, pad);
        route(&ConvGeom::new((cin, hw, hw), (k, f, f, cin), None, &geom))
    };
    let implicit = if super::implicit::available() { Route::Implicit } else { Route::Im2col };
    assert_eq!(big(3, 227, 96, 11, 4, 0), implicit, "AlexNet conv1");
    assert_eq!(big(64, 56, 64, 3, 1, 1), implicit);
    assert_eq!(big(128, 56, 256, 3, 1, 1), Route::Im2col, "256 filters: gemm's kernel");
    assert_eq!(big(64, 112, 128, 3, 1, 1), Route::Im2col, "128 filters: gemm's kernel");
    assert_eq!(big(3, 224, 64, 3, 1, 1), Route::Im2col, "27 rows of cols");
    assert_eq!(big(256, 14, 64, 3, 1, 1), Route::Im2col, "16 of every 14 columns computed");
    assert_eq!(big(64, 8, 64, 1, 1, 60), Route::Im2col, "padding far larger than the input");
    // A geometry whose phase planes would pass usize: refused, not wrapped into a small size.
    let huge = |cin: usize, s: usize, pad: usize| {
        let geom = geometry((cin, 1, 1), 64, (1, 1), (s, s), (1, 1), 1, pad);
        ConvGeom::new((cin, 1, 1), (64, 1, 1, cin), None, &geom)
    };
    assert!(!super::implicit::suits(&huge(1 << 20, 1 << 20, 1 << 23)));
}

#[test]
#[should_panic(expected = "Cg·groups must equal D_in")]
fn wrong_input_depth_panics() {
    let g = geometry((3, 5, 5), 2, (3, 3), (1, 1), (1, 1), 1, 0);
    let (x, w) = (Array3::zeros((3, 5, 5)), Array4::zeros((2, 3, 3, 4)));
    conv2d(&x.view(), &w.view(), None, &g);
}

#[test]
#[should_panic(expected = "disagrees with the geometry")]
fn an_input_other_than_the_geometrys_panics() {
    let g = geometry((3, 5, 5), 2, (3, 3), (1, 1), (1, 1), 1, 0);
    let (x, w) = (Array3::zeros((3, 6, 5)), Array4::zeros((2, 3, 3, 3)));
    conv2d(&x.view(), &w.view(), None, &g);
}

/// EfficientNet's 7×7, 14×14, 28×28 and 56×56 depthwise shapes, small, and an 11×11 one (rows
/// of 8 pixels and 3): the channel-blocked kernel applies (on every vector level), on one thread
/// and on the pool, with a fused relu. Rows of 7, 11, 14, 28, 29 and 56 input pixels leave
/// partial transposes at their ends, and 49 to 3136 output pixels take both ways back to the
/// planes (841, not a multiple of 16, ends on an overlapping block).
#[test]
fn depthwise_channel_blocks_7x7_to_56x56() {
    let cases = [
        (69, 5, 1, 2, 7),
        (48, 3, 1, 1, 7),
        (33, 5, 2, 2, 7),
        (37, 3, 2, 1, 14),
        (18, 5, 1, 2, 14),
        (20, 3, 1, 1, 11),
        (17, 5, 1, 2, 28),
        (16, 5, 2, 2, 28),
        (17, 3, 1, 1, 56),
        (16, 3, 1, 1, 29),
        (16, 3, 2, 1, 56),
    ];
    for (k, f, s, pad, side) in cases {
        let case = ConvCase {
            groups: k,
            cg: 1,
            kg: 1,
            h: side * s,
            w: side * s,
            f: (f, f),
            s: (s, s),
            dil: (1, 1),
            pads: Pads::symmetric(pad),
            ceil: false,
            bias: true,
            seed: k as u64,
        };
        let (x, w) = (case.x(), case.w());
        let g = ConvGeom::new(x.dim(), w.dim(), Some(k), &case.geometry());
        for isa in Isa::available().into_iter().filter(|&i| i > Isa::Baseline) {
            assert!(super::super::depthwise_blocked::applies(&g, isa), "{g:?} on {isa:?}");
        }
        let want = naive_of(&case).mapv(|v| v.max(0.0));
        assert_close(&fast_of(&case, Epilogue::Relu).view(), &want.view(), REL);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let got = pool.install(|| fast_of(&case, Epilogue::Relu));
        assert_close(&got.view(), &want.view(), REL);
    }
}

/// Big enough that the unfolding, the GEMM and the depthwise channels run on the rayon pool.
#[test]
fn larger_cases_on_the_parallel_paths() {
    let cases = [
        // (cin, k, f, stride, pad, groups, h)
        (16, 32, 3, 1, 1, 1, 24),
        (12, 24, 5, 2, 2, 3, 27),
        (32, 32, 3, 1, 1, 32, 40),
        (16, 32, 3, 2, 1, 16, 33),
        // 13 × 16 pixels: too few for two bands a thread, so one band each (104 + 104 on
        // two threads, 80 + 80 + 48 on three); 160 filters keep it on im2col.
        (64, 160, 3, 1, 1, 1, 13),
    ];
    for (i, &(cin, k, f, s, pad, groups, h)) in cases.iter().enumerate() {
        let case = ConvCase {
            groups,
            cg: cin / groups,
            kg: k / groups,
            h,
            w: h + 3,
            f: (f, f),
            s: (s, s),
            dil: (1, 1),
            pads: Pads::symmetric(pad),
            ceil: false,
            bias: true,
            seed: 100 + i as u64,
        };
        let want = naive_of(&case);
        assert_close(&fast_of(&case, Epilogue::None).view(), &want.view(), REL);
        // Two and three threads: the bands are re-cut into a multiple of the threads (648
        // pixels of the first case: 4 bands of 176, 176, 176, 120 and 6 of 112, …, 88).
        for threads in [2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let got = pool.install(|| fast_of(&case, Epilogue::None));
            assert_close(&got.view(), &want.view(), REL);
        }
    }
}

/// The bands the threads share: a multiple of the threads, of about equal width (two a thread,
/// or one if two would be too narrow and the conv unfolds), none narrower than 64 pixels, none wider than the band
/// asked for.
#[test]
fn bands_even_out_across_threads() {
    let d = Banding::DEFAULT;
    let big = usize::MAX / 2;
    assert_eq!(super::super::im2col::even_bands(784, 256, 1, big, d, true), 256, "one thread");
    assert_eq!(super::super::im2col::even_bands(784, 256, 2, 1000, d, true), 256, "too small");
    // VGG16's 28² convs: 4 bands of 208, 208, 208, 160 instead of 256, 256, 256, 16.
    assert_eq!(super::super::im2col::even_bands(784, 256, 2, big, d, true), 208);
    // AlexNet's conv2 at 27²: 4 bands of 192 (the last 153) instead of 3 of 256.
    assert_eq!(super::super::im2col::even_bands(729, 256, 2, big, d, true), 192);
    // 13²: bands of 43 would be too narrow, so one band a thread (96 and 73).
    assert_eq!(super::super::im2col::even_bands(169, 256, 2, big, d, true), 96);
    // …but not at three threads (57), nor at 7² on two (25): the filters are shared out.
    assert_eq!(super::super::im2col::even_bands(169, 256, 3, big, d, true), 256);
    assert_eq!(super::super::im2col::even_bands(49, 256, 2, big, d, true), 256);
    // …nor for a 1×1 conv at 14², which has no columns to unfold.
    assert_eq!(super::super::im2col::even_bands(196, 256, 2, big, d, false), 256);
    // Many bands already: 196 of 256 at 224² stay 196 bands (of 256).
    assert_eq!(super::super::im2col::even_bands(224 * 224, 256, 2, big, d, true), 256);
    let tiny = Banding { values: 1, min_pixels: 1, parallel_min_flops: 0 };
    assert_eq!(super::super::im2col::even_bands(784, 1, 2, big, tiny, true), 1, "a test's bands");
}

/// One band only (a small plane) but enough work to share: at two threads the filters are
/// split into blocks, each its own GEMM over the same columns. The split must not change a
/// value, with an input activation read on the way and uneven blocks (40 filters: 32 + 8).
#[test]
fn filter_blocks_at_two_threads_equal_one_thread() {
    // (cin, k, f, pad, h)
    for (cin, k, f, pad, h) in [(64, 96, 1, 0, 14), (64, 40, 3, 1, 7)] {
        let case = ConvCase {
            groups: 1,
            cg: cin,
            kg: k,
            h,
            w: h,
            f: (f, f),
            s: (1, 1),
            dil: (1, 1),
            pads: Pads::symmetric(pad),
            ceil: false,
            bias: true,
            seed: k as u64,
        };
        let x = case.x();
        let one = routed(&case, &x, Epilogue::Relu, route_of(&case));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let two = pool.install(|| routed(&case, &x, Epilogue::Relu, route_of(&case)));
        assert_eq!(one, two, "{k} filters of {f}×{f}");
        let relu_x = x.mapv(|v| v.max(0.0));
        let b = case.b();
        let want = conv2d_naive(
            &relu_x.view(),
            &case.w().view(),
            b.as_ref().map(|b| b.view()).as_ref(),
            &case.geometry(),
        );
        assert_close(&two.view(), &want.view(), REL);
    }
}

fn route_of(c: &ConvCase) -> Route {
    let (x, w) = (c.x(), c.w());
    route(&ConvGeom::new(x.dim(), w.dim(), None, &c.geometry()))
}
