//! ConvTranspose kernels on `(C, H, W)` volumes with ONNX `(C, K/group, FH, FW)` weights.
//!
//! - [`conv_transpose`]: per group, one GEMM per band of input rows,
//!   `cols (K_g·FH·FW × band) = Wᵀ_g (K_g·FH·FW × C_g) · X_g (C_g × band)`, then col2im
//!   scatter-adds each row `(k, fy, fx)` of `cols` onto output plane `k`, shifted by the tap and
//!   cropped by the pads. The weights need no repacking: `W_g` is `(C_g × K_g·FH·FW)` row-major,
//!   so `Wᵀ_g` is the same slice read with other strides. Each band's output rows get their
//!   bias just before its scatter, while both are in cache, so the output is written once.
//!   Threads split the output channels (each thread owns whole planes, so no two write the
//!   same value);
//! - [`conv_transpose_naive`]: the definitional loop, every input cell scattered through every
//!   tap, summed in f64: the reference the fast kernel is checked against;
//! - [`neuron`]: one output neuron gathered from [`ConvTransposeGeometry::contributors`], for
//!   the explain panel's check.
//!
//! Shapes are checked with `assert!` (and sizes with checked arithmetic) before any buffer is
//! touched: a mismatch is a bug in shape analysis, which reports user errors as `Result`s from
//! [`ConvTransposeGeometry::new`] before any kernel runs.

mod reference;

pub use reference::{NeuronTerms, conv_transpose_naive, neuron};

use crate::nn::kernels::buffers;
use crate::nn::kernels::sgemm::{Mat, matmul, parallelism};
use crate::nn::ops::convt::geometry::{ConvTransposeGeometry, MAX_DIM, TransposeAxis};
use gemm::Parallelism;
use ndarray::{Array3, ArrayView1, ArrayView3, ArrayView4};
use rayon::prelude::*;

/// Aim for a band of `cols` of about this many values (512 KiB: a quarter of L2 here, leaving
/// room for the band's output rows and gemm's packed panels).
const BAND_VALUES: usize = 1 << 17;
/// The most values one band's `cols` may hold (64 MiB), whatever the kernel size.
const MAX_COLS: usize = 1 << 24;
/// Threads split the output channels only past this many flops.
const PARALLEL_MIN_FLOPS: usize = 1 << 22;

/// The sizes of one call, checked against each other and against the geometry.
#[derive(Clone, Copy, Debug)]
struct Dims {
    c: usize,
    h: usize,
    w: usize,
    cg: usize,
    kg: usize,
    fh: usize,
    fw: usize,
    groups: usize,
    oh: usize,
    ow: usize,
}

/// `a·b·…` or a panic: no buffer is ever sized by a product that wraps.
fn product(what: &str, dims: &[usize]) -> usize {
    dims.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .unwrap_or_else(|| panic!("conv_transpose {what} {dims:?} overflows"))
}

impl Dims {
    /// # Panics
    /// If the input `(C, H, W)`, the weights `(C, K/group, FH, FW)` or the bias `(K)` disagree
    /// with `g`, or any size is out of bounds.
    fn new(
        x: (usize, usize, usize),
        w: (usize, usize, usize, usize),
        bias: Option<usize>,
        g: &ConvTransposeGeometry,
    ) -> Dims {
        let (rows, cols) = (g.rows, g.cols);
        for a in [rows, cols] {
            let sizes = [a.n, a.f, a.stride, a.dilation, a.pad_begin, a.pad_end, a.out];
            assert!(sizes.iter().all(|&v| v <= MAX_DIM), "geometry out of bounds: {g:?}");
            assert!(a.f >= 1 && a.stride >= 1 && a.dilation >= 1, "degenerate axis: {g:?}");
        }
        assert!(g.groups >= 1 && g.filters.is_multiple_of(g.groups), "bad groups: {g:?}");
        assert_eq!(x, (g.input.c, g.input.h, g.input.w), "input (C, H, W) disagrees with {g:?}");
        let [c, kg, fh, fw] = g.weight_dims();
        assert_eq!(w, (c, kg, fh, fw), "weights (C, K/group, FH, FW) disagree with {g:?}");
        assert_eq!(product("groups", &[g.cg(), g.groups]), c, "group does not divide C");
        if let Some(n) = bias {
            assert_eq!(n, g.filters, "bias has {n} values for K = {}", g.filters);
        }
        product("input", &[c, x.1, x.2]);
        product("weights", &[c, kg, fh, fw]);
        product("output", &[g.filters, rows.out, cols.out]);
        product("flops", &[2, c, kg, fh, fw, x.1, x.2]);
        let (h, w) = (x.1, x.2);
        let (cg, groups, oh, ow) = (g.cg(), g.groups, rows.out, cols.out);
        Dims { c, h, w, cg, kg, fh, fw, groups, oh, ow }
    }
}

/// For each tap, the inputs that land inside the output: computed once, out of the hot loops.
struct Taps {
    rows: Vec<(usize, usize)>,
    cols: Vec<(usize, usize)>,
}

impl Taps {
    fn of(a: &TransposeAxis, b: &TransposeAxis) -> Taps {
        Taps {
            rows: (0..a.f).map(|t| a.inputs_for_tap(t)).collect(),
            cols: (0..b.f).map(|t| b.inputs_for_tap(t)).collect(),
        }
    }
}

/// One call's operands, shared by the work items.
struct Call<'a> {
    x: &'a [f32],
    w: &'a [f32],
    bias: Option<&'a [f32]>,
    d: Dims,
    g: &'a ConvTransposeGeometry,
    taps: Taps,
    par: Parallelism,
}

/// `V[k, r, c] = Σ x[ci, iy, ix]·W[ci, k − g·K_g, fy, fx] + b[k]` by GEMM + col2im.
///
/// `x` is `(C, H, W)`, `w` the ONNX weights `(C, K/group, FH, FW)`, `b` the bias `(K)`; any
/// layout (non-standard views are copied once). Returns `(K, OH, OW)` in standard layout, on a
/// recycled buffer (see [`crate::nn::kernels::buffers`]).
///
/// # Panics
/// If the shapes disagree with `g` (see [`ConvTransposeGeometry`]).
pub fn conv_transpose(
    x: &ArrayView3<f32>,
    w: &ArrayView4<f32>,
    b: Option<&ArrayView1<f32>>,
    g: &ConvTransposeGeometry,
) -> Array3<f32> {
    let d = Dims::new(x.dim(), w.dim(), b.map(|b| b.len()), g);
    let (x, w) = (x.as_standard_layout(), w.as_standard_layout());
    let b = b.map(|b| b.as_standard_layout());
    let plane = d.oh * d.ow; // checked in Dims::new, as is every product below
    let mut out = buffers::take(d.groups * d.kg * plane);
    let threads = rayon::current_num_threads();
    let flops = 2 * d.c * d.kg * d.fh * d.fw * d.h * d.w;
    // Split each group's output channels so that there are about `threads` items in all.
    let threaded = threads > 1 && flops >= PARALLEL_MIN_FLOPS;
    let splits = if threaded { threads.div_ceil(d.groups).min(d.kg) } else { 1 };
    let chunk = d.kg.div_ceil(splits);
    let mut items: Vec<(usize, usize, &mut [f32])> = Vec::new();
    for (grp, out_g) in out.chunks_exact_mut(d.kg * plane).enumerate() {
        for (j, planes) in out_g.chunks_mut(chunk * plane).enumerate() {
            items.push((grp, j * chunk, planes));
        }
    }
    // Many items run one per thread; a single one may use every thread inside its GEMMs.
    let threaded = threaded && items.len() > 1;
    let par = if threaded { Parallelism::None } else { parallelism(flops) };
    let call = Call {
        x: x.as_slice().expect("standard layout"),
        w: w.as_slice().expect("standard layout"),
        bias: b.as_ref().map(|b| b.as_slice().expect("standard layout")),
        d,
        g,
        taps: Taps::of(&g.rows, &g.cols),
        par,
    };
    if threaded {
        items.into_par_iter().for_each(|(grp, k0, o)| call.planes(grp, k0, o));
    } else {
        items.into_iter().for_each(|(grp, k0, o)| call.planes(grp, k0, o));
    }
    Array3::from_shape_vec((d.groups * d.kg, d.oh, d.ow), out).expect("output sized K·OH·OW")
}

impl Call<'_> {
    /// Output planes `k0..k0 + n` of group `grp` (`out` holds exactly those `n` planes), every
    /// value written.
    fn planes(&self, grp: usize, k0: usize, out: &mut [f32]) {
        let (d, g) = (&self.d, self.g);
        let plane = d.oh * d.ow;
        assert!(out.len().is_multiple_of(plane) && k0 + out.len() / plane <= d.kg, "planes");
        let nk = out.len() / plane;
        let taps_per_k = d.fh * d.fw;
        let m_all = d.kg * taps_per_k; // a row of W_g
        let m = nk * taps_per_k; // rows of this item's `cols`
        // W_g is (C_g × K_g·FH·FW) row-major: Wᵀ for filters k0.. starts at k0·FH·FW, read with
        // rows 1 apart and columns m_all apart.
        let w_g = &self.w[grp * d.cg * m_all..(grp + 1) * d.cg * m_all];
        let lhs = Mat { data: &w_g[k0 * taps_per_k..], rows: m, cols: d.cg, rs: 1, cs: m_all };
        let bias = self.bias.map(|b| &b[grp * d.kg + k0..grp * d.kg + k0 + nk]);
        let per_row = m * d.w;
        let band_rows = (BAND_VALUES / per_row).max(1).min((MAX_COLS / per_row).max(1)).min(d.h);
        let need = per_row * band_rows;
        let mut cols = Vec::new();
        if let Err(e) = cols.try_reserve_exact(need) {
            panic!("out of memory: cannot allocate conv_transpose's {need} columns ({e})");
        }
        cols.resize(need, 0.0);
        let mut phases = vec![0.0f32; 2 * d.ow.div_ceil(2)];
        let hw = d.h * d.w;
        let (r, s) = (&g.rows, g.rows.stride);
        let mut filled = 0; // output rows 0..filled of every plane hold their bias
        for iy0 in (0..d.h).step_by(band_rows) {
            let nrows = band_rows.min(d.h - iy0);
            let width = nrows * d.w;
            let x_g = &self.x[grp * d.cg * hw + iy0 * d.w..];
            let rhs = Mat::row_major(x_g, d.cg, width, hw);
            let cols = &mut cols[..m * width];
            matmul(cols, width, lhs, rhs, self.par);
            // This band reaches output row (iy0 + nrows − 1)·S + (FH − 1)·d − P_top at most, and
            // earlier bands reached no further: start those rows at the bias now.
            let reach = ((iy0 + nrows - 1) * s + (d.fh - 1) * r.dilation + 1)
                .saturating_sub(r.pad_begin)
                .min(d.oh);
            self.fill(out, bias, filled, reach);
            filled = filled.max(reach);
            self.col2im(cols, (iy0, nrows), out, &mut phases);
        }
        self.fill(out, bias, filled, d.oh);
    }

    /// Set rows `from..to` of every plane of `out` to the plane's bias (or 0).
    fn fill(&self, out: &mut [f32], bias: Option<&[f32]>, from: usize, to: usize) {
        if from >= to {
            return;
        }
        let (plane, ow) = (self.d.oh * self.d.ow, self.d.ow);
        for (k, p) in out.chunks_exact_mut(plane).enumerate() {
            p[from * ow..to * ow].fill(bias.map_or(0.0, |b| b[k]));
        }
    }

    /// Scatter-add `cols` (rows `(k, fy, fx)` for this item's planes, columns the input pixels
    /// of rows `iy0..iy0 + nrows`) onto the planes of `out`. With stride 2 along the columns
    /// each output row's taps are first gathered into its even and odd cells (`phases`, two
    /// half rows, contiguous adds), then added to the row in one interleaving pass: two passes
    /// that vectorise instead of one strided scalar pass per tap.
    fn col2im(
        &self,
        cols: &[f32],
        (iy0, nrows): (usize, usize),
        out: &mut [f32],
        phases: &mut [f32],
    ) {
        let (d, taps) = (&self.d, &self.taps);
        let (r, c) = (&self.g.rows, &self.g.cols);
        let width = nrows * d.w;
        let per_k = d.fh * d.fw * width;
        let phased = c.stride == 2 && d.fw >= 2;
        let half = d.ow.div_ceil(2);
        for (k, plane) in out.chunks_exact_mut(d.oh * d.ow).enumerate() {
            let cols_k = &cols[k * per_k..(k + 1) * per_k];
            for fy in 0..d.fh {
                let (lo, hi) = taps.rows[fy];
                for iy in lo.max(iy0)..hi.min(iy0 + nrows) {
                    // Inputs lo..hi (and xlo..xhi below) land inside the output: no underflow.
                    let oy = iy * r.stride + fy * r.dilation - r.pad_begin;
                    let dst = &mut plane[oy * d.ow..(oy + 1) * d.ow];
                    let at = (iy - iy0) * d.w;
                    // Tap fx's inputs in this row, and the output column the first lands on.
                    let tap = |fx: usize| {
                        let (xlo, xhi) = taps.cols[fx];
                        let row = &cols_k[(fy * d.fw + fx) * width + at..][..d.w];
                        (xlo < xhi).then(|| {
                            (xlo * c.stride + fx * c.dilation - c.pad_begin, &row[xlo..xhi])
                        })
                    };
                    if !phased {
                        for (ox0, src) in (0..d.fw).filter_map(tap) {
                            add_strided(&mut dst[ox0..], src, c.stride);
                        }
                        continue;
                    }
                    let (even, odd) = phases[..2 * half].split_at_mut(half);
                    let mut started = [false; 2];
                    for (ox0, src) in (0..d.fw).filter_map(tap) {
                        let (p, j0) = (ox0 % 2, ox0 / 2);
                        let ph = if p == 0 { &mut even[..] } else { &mut odd[..] };
                        let seg = &mut ph[j0..j0 + src.len()];
                        if started[p] {
                            seg.iter_mut().zip(src).for_each(|(a, v)| *a += v);
                        } else {
                            seg.copy_from_slice(src);
                            ph[..j0].fill(0.0);
                            ph[j0 + src.len()..].fill(0.0);
                            started[p] = true;
                        }
                    }
                    for (p, ph) in [(0, &mut *even), (1, &mut *odd)] {
                        if !started[p] {
                            ph.fill(0.0);
                        }
                    }
                    add_interleaved(dst, even, odd);
                }
            }
        }
    }
}

/// `dst[2j] += even[j]`, `dst[2j + 1] += odd[j]`.
#[inline]
fn add_interleaved(dst: &mut [f32], even: &[f32], odd: &[f32]) {
    let pairs = dst.len() / 2;
    let (even, odd) = (&even[..dst.len().div_ceil(2)], &odd[..pairs]);
    for ((d, e), o) in dst.chunks_exact_mut(2).zip(even).zip(odd) {
        d[0] += e;
        d[1] += o;
    }
    if dst.len() % 2 == 1 {
        dst[2 * pairs] += even[pairs];
    }
}

/// `dst[j·s] += src[j]` for every `j`.
#[inline]
fn add_strided(dst: &mut [f32], src: &[f32], s: usize) {
    if s == 1 {
        dst[..src.len()].iter_mut().zip(src).for_each(|(d, v)| *d += v);
    } else {
        dst.iter_mut().step_by(s).zip(src).for_each(|(d, v)| *d += v);
    }
}
