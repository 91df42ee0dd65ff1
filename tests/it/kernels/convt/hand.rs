//! Tiny cases worked by hand, the explain panel's contributors, and the kernel's bands.

use convscope::nn::ops::convt::geometry::{
    AutoPad, Chw, Contribution, ConvTransposeAttrs, ConvTransposeGeometry,
};
use convscope::nn::ops::convt::kernel::{conv_transpose, conv_transpose_naive, neuron};
use ndarray::{Array1, Array3, Array4, array};

fn geometry(input: Chw, w: [usize; 4], attrs: ConvTransposeAttrs) -> ConvTransposeGeometry {
    ConvTransposeGeometry::new(input, w, &attrs).unwrap()
}

/// Runs all three paths on one problem and checks they agree with `want`.
fn check(
    x: &Array3<f32>,
    w: &Array4<f32>,
    b: Option<&Array1<f32>>,
    g: &ConvTransposeGeometry,
    want: &Array3<f32>,
) {
    let bv = b.map(|b| b.view());
    let fast = conv_transpose(&x.view(), &w.view(), bv.as_ref(), g);
    assert_eq!(&fast, want, "GEMM kernel");
    let slow = conv_transpose_naive(&x.view(), &w.view(), bv.as_ref(), g);
    assert_eq!(&slow, want, "naive");
    for ((k, r, c), &v) in want.indexed_iter() {
        assert_eq!(neuron(&x.view(), &w.view(), bv.as_ref(), g, (k, r, c)).value, v, "{k} {r} {c}");
    }
}

/// x = [1 2; 3 4], W = [1 10; 100 1000], stride 1: each input stamps x·W at its own offset.
fn two_by_two() -> (Array3<f32>, Array4<f32>) {
    let x = array![[[1.0, 2.0], [3.0, 4.0]]];
    let w = array![[[[1.0, 10.0], [100.0, 1000.0]]]];
    (x, w)
}

#[test]
fn stride_1_stamps_overlap() {
    let (x, w) = two_by_two();
    let g = geometry(Chw::new(1, 2, 2), [1, 1, 2, 2], ConvTransposeAttrs::default());
    assert_eq!(g.formula(), "(2 − 1)·1 − 0 − 0 + 1·(2 − 1) + 0 + 1 = 3");
    // out[1][1] = x00·w11 + x01·w10 + x10·w01 + x11·w00 = 1000 + 200 + 30 + 4 = 1234;
    // out[0][1] = x00·w01 + x01·w00 = 10 + 2; out[2][1] = x10·w11 + x11·w10 = 3000 + 400.
    // Then + 0.5 bias.
    let want = array![[[1.0, 12.0, 20.0], [103.0, 1234.0, 2040.0], [300.0, 3400.0, 4000.0]]] + 0.5;
    check(&x, &w, Some(&array![0.5]), &g, &want);
    // Neuron (1, 1): every input through the tap that reaches it, `fy = 1 − iy`, `fx = 1 − ix`.
    let cs = g.contributors(1, 1);
    let term = |iy, ix, fy, fx| Contribution { iy, ix, fy, fx };
    assert_eq!(cs, [term(1, 1, 0, 0), term(1, 0, 0, 1), term(0, 1, 1, 0), term(0, 0, 1, 1)]);
    let t = neuron(&x.view(), &w.view(), Some(&array![0.5].view()), &g, (0, 1, 1));
    assert_eq!((t.value, t.bias, t.contrib), (1234.5, 0.5, vec![(0, 1234.0)]));
}

#[test]
fn stride_2_with_a_2x2_kernel_tiles_without_overlap() {
    let (x, w) = two_by_two();
    let attrs = ConvTransposeAttrs { strides: [2, 2], ..Default::default() };
    let g = geometry(Chw::new(1, 2, 2), [1, 1, 2, 2], attrs);
    // out[2·iy + fy][2·ix + fx] = x[iy][ix]·w[fy][fx]: four 2×2 tiles.
    let want = array![[
        [1.0, 10.0, 2.0, 20.0],
        [100.0, 1000.0, 200.0, 2000.0],
        [3.0, 30.0, 4.0, 40.0],
        [300.0, 3000.0, 400.0, 4000.0]
    ]];
    check(&x, &w, None, &g, &want);
    assert_eq!(g.contributors(2, 1), [Contribution { iy: 1, ix: 0, fy: 0, fx: 1 }]);
}

#[test]
fn pads_crop_the_full_output() {
    let (x, w) = two_by_two();
    // Top 1 and left 1 cropped from the 3×3 of `stride_1_stamps_overlap`.
    let attrs = ConvTransposeAttrs { pads: Some([1, 1, 0, 0]), ..Default::default() };
    let g = geometry(Chw::new(1, 2, 2), [1, 1, 2, 2], attrs);
    check(&x, &w, None, &g, &array![[[1234.0, 2040.0], [3400.0, 4000.0]]]);
}

#[test]
fn output_padding_adds_cells_at_the_end() {
    // One row: x = [1 2], w = [1 1 1], stride 2, output_padding 1: (2 − 1)·2 + 2 + 1 + 1 = 6.
    // x0 stamps cells 0, 1, 2; x1 stamps 2, 3, 4; cell 5 holds only the bias.
    let x = array![[[1.0], [2.0]]];
    let w = array![[[[1.0], [1.0], [1.0]]]];
    let attrs =
        ConvTransposeAttrs { strides: [2, 1], output_padding: [1, 0], ..Default::default() };
    let g = geometry(Chw::new(1, 2, 1), [1, 1, 3, 1], attrs);
    let want = array![[[1.0], [1.0], [3.0], [2.0], [2.0], [0.0]]] + 0.25;
    check(&x, &w, Some(&array![0.25]), &g, &want);
    assert!(g.contributors(5, 0).is_empty());
}

#[test]
fn dilation_spreads_the_taps() {
    // x = [1 2], w = [1 10], dilation 2: (2 − 1)·1 + 2·(2 − 1) + 1 = 4 cells.
    // x0 → cell 0 (·1) and cell 2 (·10); x1 → cell 1 (·1) and cell 3 (·10).
    let x = array![[[1.0, 2.0]]];
    let w = array![[[[1.0, 10.0]]]];
    let attrs = ConvTransposeAttrs { dilations: [1, 2], ..Default::default() };
    let g = geometry(Chw::new(1, 1, 2), [1, 1, 1, 2], attrs);
    check(&x, &w, None, &g, &array![[[1.0, 2.0, 10.0, 20.0]]]);
}

#[test]
fn same_lower_puts_the_odd_pad_first() {
    // x = [1 2 3] (a column), w = [1 10 100], stride 2: full 7, SAME_* aims at 3·2 = 6, so
    // one cell is cropped: SAME_LOWER from the start. Full: [1 10 102 20 203 30 300].
    let x = array![[[1.0], [2.0], [3.0]]];
    let w = array![[[[1.0], [10.0], [100.0]]]];
    let lower =
        ConvTransposeAttrs { strides: [2, 1], auto_pad: AutoPad::SameLower, ..Default::default() };
    let g = geometry(Chw::new(1, 3, 1), [1, 1, 3, 1], lower.clone());
    check(&x, &w, None, &g, &array![[[10.0], [102.0], [20.0], [203.0], [30.0], [300.0]]]);
    let upper = ConvTransposeAttrs { auto_pad: AutoPad::SameUpper, ..lower };
    let g = geometry(Chw::new(1, 3, 1), [1, 1, 3, 1], upper);
    check(&x, &w, None, &g, &array![[[1.0], [10.0], [102.0], [20.0], [203.0], [30.0]]]);
}

#[test]
fn groups_keep_channels_apart() {
    // Two channels, two groups, one filter each: output k reads only input channel k.
    // x0 = [1], x1 = [2]; W[0] = [1 2], W[1] = [3 4] (1×2 kernels): out0 = [1 2], out1 = [6 8].
    let x = array![[[1.0]], [[2.0]]];
    let w = array![[[[1.0, 2.0]]], [[[3.0, 4.0]]]];
    let attrs = ConvTransposeAttrs { group: 2, ..Default::default() };
    let g = geometry(Chw::new(2, 1, 1), [2, 1, 1, 2], attrs);
    assert_eq!((g.cg(), g.kg(), g.channels_of(1)), (1, 1, 1..2));
    check(&x, &w, Some(&array![0.0, 1.0]), &g, &array![[[1.0, 2.0]], [[7.0, 9.0]]]);
    let t = neuron(&x.view(), &w.view(), None, &g, (1, 0, 1));
    assert_eq!(t.contrib, vec![(1, 8.0)]);
}

#[test]
fn views_in_any_layout_give_the_same_volume() {
    let g = geometry(
        Chw::new(3, 4, 5),
        [3, 2, 3, 3],
        ConvTransposeAttrs { strides: [2, 1], ..Default::default() },
    );
    let (x, w, b) = super::common::random_tensors(&g, 7, true);
    let want = conv_transpose(&x.view(), &w.view(), b.as_ref().map(|b| b.view()).as_ref(), &g);
    // The same x stored (W, H, C), seen through a permuted view.
    let xt = x.clone().permuted_axes([2, 1, 0]).as_standard_layout().into_owned();
    let xv = xt.view().permuted_axes([2, 1, 0]);
    let got = conv_transpose(&xv, &w.view(), b.as_ref().map(|b| b.view()).as_ref(), &g);
    assert_eq!(got, want);
}

/// Problems large enough for several bands of input rows and the parallel paths, on one thread
/// and on two, against the naive loop.
#[test]
fn bands_and_threads_agree_with_the_naive_loop() {
    let cases = [
        // (C, H, W, K/g, F, stride, pad, op, groups)
        (16, 70, 64, 8, 3, 2, 1, 1, 1),
        (8, 40, 33, 4, 2, 2, 0, 0, 2),
        (6, 23, 50, 6, 5, 3, 2, 2, 3),
    ];
    for (c, h, w, kg, f, s, p, op, groups) in cases {
        let attrs = ConvTransposeAttrs {
            group: groups,
            strides: [s, s],
            pads: Some([p; 4]),
            output_padding: [op, op],
            ..Default::default()
        };
        let g = geometry(Chw::new(c, h, w), [c, kg, f, f], attrs);
        let (x, wt, b) = super::common::random_tensors(&g, c as u64, true);
        let bv = b.as_ref().map(|b| b.view());
        let want = conv_transpose_naive(&x.view(), &wt.view(), bv.as_ref(), &g);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let got = pool.install(|| conv_transpose(&x.view(), &wt.view(), bv.as_ref(), &g));
            let err = super::common::max_rel(&got, &want);
            assert!(err <= 1e-4, "{c} {h} {w} on {threads} threads: {err}");
        }
    }
}
