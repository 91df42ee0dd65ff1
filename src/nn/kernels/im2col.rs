//! The GEMM conv path, in bands of output pixels: unfold a band's windows (im2col), multiply
//! straight into the output, finish the band in place.
//!
//! For group `g` and a band of output pixels:
//! `Y_g[:, band] = W_g (Kg × FH·FW·Cg) · cols (FH·FW·Cg × band)`.
//! The rows of `cols` follow the weights' own `(fy, fx, ci)` order, so each filter `W[k]`, stored
//! `(FH, FW, Cg)`, is already one contiguous GEMM row: the weights need no repacking (gemm packs
//! its operands into its own panels). The GEMM writes the band's columns of every output plane
//! (rows `OH·OW` apart), and the bias and the activation are applied to those columns while they
//! are still in cache, so the output is written once and never copied.
//! A 1×1, stride-1, unpadded conv skips the unfolding: its input is already `(Cg × H·W)`.
//! An input activation `pre` (the input is a relu/clip layer kept as a lazy view of its own
//! input) is applied to each value as it is copied into `cols`; a 1×1 conv with one then copies
//! its band into `cols` too, activated, instead of reading the input in place.
//! Bands run in parallel on the rayon pool when there are enough of them; otherwise each GEMM
//! splits itself.

use super::epilogue::Epilogue;
use super::geometry::{ConvGeom, ValidTaps};
use super::sgemm::{Mat, matmul_raw, parallelism};
use super::shared::SharedOut;
use gemm::Parallelism;
use rayon::prelude::*;
use std::cell::Cell;

/// How the output is cut into bands, and when bands run in parallel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Banding {
    /// Aim for a band whose operands and result hold about this many values…
    pub values: usize,
    /// …but at least this many output pixels, so each GEMM stays wide.
    pub min_pixels: usize,
    /// Bands go to the rayon pool only when the whole conv has at least this many flops.
    pub parallel_min_flops: usize,
}

impl Banding {
    /// 256 KiB of `cols` and result (half of L2, leaving room for gemm's packed panels),
    /// ≥ 256 pixels.
    pub const DEFAULT: Banding =
        Banding { values: 1 << 16, min_pixels: 256, parallel_min_flops: 1 << 20 };
}

/// Filters are shared out between threads in multiples of this (gemm's widest kernel covers
/// 64 rows; 16 keeps two blocks close in size).
const FILTER_BLOCK: usize = 16;

/// The most values one band's `cols` may hold (64 MiB).
const MAX_COLS: usize = 1 << 24;

thread_local! {
    /// One band's `cols`, kept between calls: allocating and faulting in a fresh megabyte-sized
    /// buffer on every call measurably slowed some convs.
    static COLS: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` with this thread's `cols`. A nested call on the same thread (rayon can run another
/// conv's band here while this one waits inside gemm) finds the slot empty and uses a fresh one.
fn with_cols<R>(f: impl FnOnce(&mut Vec<f32>) -> R) -> R {
    let mut s = COLS.take();
    let r = f(&mut s);
    COLS.set(s);
    r
}

/// One group's output, `Kg` planes of `npix` values, shared by bands that each write their own
/// columns of every plane.
#[derive(Clone, Copy)]
struct Planes {
    out: SharedOut,
    kg: usize,
    npix: usize,
}

impl Planes {
    /// Where value `px` of plane `k` is.
    fn at(&self, k: usize, px: usize) -> *mut f32 {
        self.out.at(k * self.npix + px)
    }
}

/// `out (K × OH·OW) = act(W ⊛ pre(x) + b)`; `x` is `(Cin, H, W)`, `w` is `(K, FH, FW, Cg)`,
/// both standard layout. `pointwise` (see [`ConvGeom::is_pointwise`]) reads the input in place
/// when `pre` is `None`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv_gemm(
    x: &[f32],
    pre: Epilogue,
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    pointwise: bool,
    out: &mut [f32],
) {
    conv_gemm_banded(x, pre, w, bias, epi, g, pointwise, out, Banding::DEFAULT);
}

/// [`conv_gemm`] with explicit banding (tests use tiny bands to exercise the band logic).
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv_gemm_banded(
    x: &[f32],
    pre: Epilogue,
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    pointwise: bool,
    out: &mut [f32],
    banding: Banding,
) {
    let (kdim, npix) = (g.kdim(), g.npix());
    assert_eq!(out.len(), g.k * npix, "conv output has room for K·OH·OW values");
    if npix == 0 || g.kg == 0 {
        return;
    }
    debug_assert_eq!(pre.apply(0.0), 0.0, "an input activation keeps the padding's zeros");
    let in_place = pointwise && pre == Epilogue::None;
    let per_pixel = if pointwise { g.cg } else { kdim } + g.kg;
    // At least `min_pixels` wide, unless the rows are so long that `cols` would pass
    // `MAX_COLS` values (a hostile kernel size): then as few pixels as fit, at least one.
    let widest = (MAX_COLS / per_pixel.max(1)).max(1);
    let want_pixels =
        (banding.values / per_pixel.max(1)).max(banding.min_pixels).min(widest).max(1);
    // gemm's widest kernel covers 64 pixels: a band that is a multiple of 64 leaves no ragged
    // edge inside the output (bands may end mid-row; `fill_row` handles that).
    let band_px = if want_pixels >= 64 { want_pixels.next_multiple_of(64) } else { want_pixels };
    let band_px = band_px.min(npix);
    let threads = rayon::current_num_threads();
    let band_px = even_bands(npix, band_px, threads, 2 * g.kg * kdim * npix, banding, !pointwise);
    let bands = npix.div_ceil(band_px);
    let flops = 2 * g.kg * kdim * band_px;
    let across_bands =
        threads > 1 && bands >= threads && flops * bands >= banding.parallel_min_flops;
    // Too few bands to share out (a conv at 7×7 is one band): the threads take
    // the filters of each band in blocks instead, each a GEMM of its own over the same columns.
    // (gemm's own splitting of such a short, wide GEMM barely gained at two threads.)
    let filter_blocks = if !across_bands && threads > 1 && flops >= banding.parallel_min_flops {
        g.kg.div_ceil(threads).next_multiple_of(FILTER_BLOCK).min(g.kg).max(1)
    } else {
        g.kg
    };
    let per_gemm =
        if across_bands || filter_blocks < g.kg { Parallelism::None } else { parallelism(flops) };
    // Threads that share a band's filters each fill `cols` of their own: the unfolding (or a
    // 1×1 conv's activated copy) is repeated, and a shared one was written by one core while
    // the other's GEMM read its lines. At two threads such a copy took 117 µs against 28 µs on
    // one thread (a 1×1 672 → 112 conv at 14² reading a relu6 view: 0.35 → 0.24 ms at two
    // threads, 0.36 on one); AlexNet's conv4 and conv5 (13², unfolded by both threads
    // together before) 2.53 → 2.45 and 1.66 → 1.58 ms.
    let own_cols = filter_blocks < g.kg && !in_place;
    let valid = ValidTaps::of(g);
    // A strided conv reads every `S_w`-th input column: split the columns into phases once, so
    // each row of `cols` is a contiguous copy. (A stride wider than the input gains nothing
    // from it, and would make the phases mostly padding.)
    let phased = (!pointwise && g.sw > 1 && g.sw <= g.w).then(|| ColumnPhases::of(x, g));
    let src = phased
        .as_ref()
        .map_or(Source { data: x, pitch: g.w, phases: 1, pre }, |p| p.source(g, pre));
    for (grp, out_g) in out.chunks_exact_mut(g.kg * npix).enumerate() {
        let planes = Planes { out: SharedOut::new(out_g), kg: g.kg, npix };
        let filters =
            Mat::row_major(&w[grp * g.kg * kdim..(grp + 1) * g.kg * kdim], g.kg, kdim, kdim);
        let bias_g = bias.map(|b| &b[grp * g.kg..(grp + 1) * g.kg]);
        // The band `px0..px0 + width`'s `cols` (rows of `width`).
        let fill = |cols: &mut Vec<f32>, px0: usize, width: usize| {
            let need = kdim * width;
            if let Err(e) = cols.try_reserve(need.saturating_sub(cols.len())) {
                panic!("out of memory: cannot allocate the conv's columns ({e})");
            }
            cols.resize(need, 0.0);
            let band_cols = &mut cols[..need];
            if pointwise {
                // 1×1, unit stride, unpadded: row `ci` is input channel `ci`'s band.
                for (ci, row) in band_cols.chunks_exact_mut(width).enumerate() {
                    let at = (grp * g.cg + ci) * npix + px0;
                    pre.activate_into(row, &x[at..at + width]);
                }
            } else {
                unfold(&src, g, &valid, grp, px0, band_cols);
            }
        };
        let band = |cols: &mut Vec<f32>, b: usize| {
            let px0 = b * band_px;
            let width = band_px.min(npix - px0);
            // The GEMM's right operand: the input itself, or the band's `cols`.
            let input = in_place.then(|| Mat {
                data: &x[grp * g.cg * npix + px0..],
                rows: g.cg,
                cols: width,
                rs: npix,
                cs: 1,
            });
            fn rhs_of<'a>(
                input: Option<Mat<'a>>,
                cols: &'a [f32],
                kdim: usize,
                n: usize,
            ) -> Mat<'a> {
                input.unwrap_or_else(|| Mat::row_major(&cols[..kdim * n], kdim, n, n))
            }
            let p = planes;
            let block = |k0: usize, rhs: Mat| {
                let k1 = (k0 + filter_blocks).min(p.kg);
                let lhs = Mat::row_major(&filters.data[k0 * kdim..k1 * kdim], k1 - k0, kdim, kdim);
                // SAFETY: `out_g` holds `kg` planes of `npix`, so `(k, px0 + j)` for
                // `k0 ≤ k < k1 ≤ kg`, `j < width` is inside it; each band owns the columns
                // `px0..px0 + width` of every plane, each block its planes `k0..k1`, and `out_g`
                // is not touched otherwise while they run.
                unsafe { matmul_raw(p.at(k0, px0), p.npix, lhs, rhs, per_gemm) };
                for k in k0..k1 {
                    // SAFETY: as above: this band's columns of plane `k`, written by nobody else.
                    let row = unsafe { std::slice::from_raw_parts_mut(p.at(k, px0), width) };
                    epi.finish(row, bias_g.map_or(0.0, |b| b[k]));
                }
            };
            if own_cols {
                (0..p.kg).into_par_iter().step_by(filter_blocks).for_each(|k0| {
                    with_cols(|c| {
                        fill(c, px0, width);
                        block(k0, rhs_of(input, c, kdim, width));
                    })
                });
                return;
            }
            if !in_place {
                fill(cols, px0, width);
            }
            let rhs = rhs_of(input, cols, kdim, width);
            if filter_blocks < p.kg {
                (0..p.kg).into_par_iter().step_by(filter_blocks).for_each(|k0| block(k0, rhs));
            } else {
                block(0, rhs);
            }
        };
        if across_bands {
            (0..bands).into_par_iter().for_each(|b| with_cols(|c| band(c, b)));
        } else if own_cols {
            // Each filter block fills its own columns (see `own_cols`).
            (0..bands).for_each(|b| band(&mut Vec::new(), b));
        } else {
            with_cols(|c| (0..bands).for_each(|b| band(c, b)));
        }
    }
    if let Some(p) = phased {
        super::buffers::give(p.data);
    }
}

/// The band width for `threads` threads: `band_px` on one thread or a conv too small to share
/// out; otherwise the output cut into a multiple of `threads` bands of about equal width (a
/// multiple of 16), at least `2·threads` of them, as long as each keeps [`MIN_SHARED_BAND`]
/// pixels. Bands of `band_px` left a ragged last band that one thread ran alone: VGG16's 28²
/// convs were 3 bands of 256 pixels and one of 16, and ran 1.41× faster on two threads than
/// on one (now 1.80×); AlexNet's conv2 (27²) was 3 bands, which the threads shared filter by
/// filter (3.54 → 3.13 ms at two threads). A map too small for `2·threads` such bands gets one
/// band a thread if those keep [`MIN_SHARED_BAND`] pixels and the conv `unfolds` (not a 1×1
/// conv: EfficientNet-Lite0's 14² ones were 5-10% slower so). AlexNet's 13² conv3–5 shared their
/// filters before, and each thread unfolded all 169 pixels' columns (2.3 MB at conv4) for its
/// half of the filters; with a band each, at two threads, conv3–5 took 2.3, 3.5, 2.3 against
/// 3.3, 5.3, 3.3 ms (alternating runs on a busy machine).
pub(crate) fn even_bands(
    npix: usize,
    band_px: usize,
    threads: usize,
    flops: usize,
    b: Banding,
    unfolds: bool,
) -> usize {
    // (Banding narrower than the default is a test's: its bands stay as asked.)
    if threads <= 1 || flops < b.parallel_min_flops || b.min_pixels < MIN_SHARED_BAND {
        return band_px;
    }
    let bands = npix.div_ceil(band_px).max(2 * threads).next_multiple_of(threads);
    // At most `band_px`, which `cols` is sized for: `npix / bands ≤ band_px`.
    let width = npix.div_ceil(bands);
    // Too narrow for two bands a thread: one band a thread, if that is wide enough and saves
    // unfolding every pixel's columns on each thread.
    let width = if width < MIN_SHARED_BAND && unfolds { npix.div_ceil(threads) } else { width };
    if width < MIN_SHARED_BAND { band_px } else { width.next_multiple_of(16).min(band_px) }
}

/// The narrowest band [`even_bands`] makes: narrower GEMMs lose more to their short rows than
/// the threads gain. A smaller map's filters are shared out instead, which beat gemm splitting
/// each GEMM itself (at two threads, AlexNet's 13² conv3–5 took 1.51, 2.57, 1.68 ms shared out,
/// 1.89, 2.89, 1.91 split by gemm; one band a thread is faster still, see [`even_bands`]).
const MIN_SHARED_BAND: usize = 64;

/// The input as `unfold` reads it: channel `c`, phase `b`, row `iy` starts at
/// `((c·phases + b)·H + iy)·pitch`, and input column `ix` is entry `ix / phases` of phase
/// `ix mod phases` (one phase of pitch `W` is the input itself). Every row of `cols` goes
/// through `pre`, padding included, which is why `pre` must map 0 to 0.
struct Source<'a> {
    data: &'a [f32],
    pitch: usize,
    phases: usize,
    pre: Epilogue,
}

/// The input's columns split by `ix mod S_w`: `data[((c·S_w + b)·H + iy)·pitch + j]` is input
/// `(c, iy, j·S_w + b)`; entries past the input's width are never read.
struct ColumnPhases {
    data: Vec<f32>,
    pitch: usize,
}

impl ColumnPhases {
    fn of(x: &[f32], g: &ConvGeom) -> Self {
        let pitch = g.w.div_ceil(g.sw);
        let mut data = super::buffers::take(g.cin * g.sw * g.h * pitch);
        let rows = data.chunks_exact_mut(g.h * pitch);
        for (cb, phase) in rows.enumerate() {
            let (c, b) = (cb / g.sw, cb % g.sw);
            let plane = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
            for (dst, src) in phase.chunks_exact_mut(pitch).zip(plane.chunks_exact(g.w)) {
                let n = (g.w + g.sw - 1 - b) / g.sw; // columns b, b + S_w, … below W
                dst.iter_mut().zip(src.iter().skip(b).step_by(g.sw)).for_each(|(d, s)| *d = *s);
                dst[n..].fill(0.0);
            }
        }
        ColumnPhases { data, pitch }
    }

    fn source(&self, g: &ConvGeom, pre: Epilogue) -> Source<'_> {
        Source { data: &self.data, pitch: self.pitch, phases: g.sw, pre }
    }
}

/// Fill `cols` (`FH·FW·Cg` rows covering the output pixels `px0..px0 + width`) with group
/// `grp`'s windows; padding becomes 0.
fn unfold(x: &Source, g: &ConvGeom, valid: &ValidTaps, grp: usize, px0: usize, cols: &mut [f32]) {
    let width = cols.len() / g.kdim();
    unfold_rows(x, g, valid, grp, px0, 0, width, cols);
}

/// Rows `row0..` of [`unfold`]'s `cols` (`rows` holds whole rows of `width` values).
#[allow(clippy::too_many_arguments)]
fn unfold_rows(
    x: &Source,
    g: &ConvGeom,
    valid: &ValidTaps,
    grp: usize,
    px0: usize,
    row0: usize,
    width: usize,
    rows: &mut [f32],
) {
    let plane_len = x.phases * g.h * x.pitch;
    for (i, row) in rows.chunks_exact_mut(width).enumerate() {
        let row_index = row0 + i;
        let (tap, ci) = (row_index / g.cg, row_index % g.cg);
        let c = grp * g.cg + ci;
        let (fy, fx) = (tap / g.fw, tap % g.fw);
        let plane = &x.data[c * plane_len..(c + 1) * plane_len];
        let at = (fy, fx);
        let (rows, cols) = (valid.rows[fy], valid.cols[fx]);
        fill_row(row, plane, (x.pitch, x.phases), x.pre, g, at, rows, cols, px0);
    }
}

/// One row of `cols`: input `plane` (its column phases, rows `pitch` apart, see [`Source`]) seen
/// through tap `(fy, fx)` at output pixels `px0..`, activated by `pre` as it is copied (which
/// keeps the zeros); only output rows `ylo..yhi` and columns `xlo..xhi` see real input.
#[allow(clippy::too_many_arguments)]
fn fill_row(
    row: &mut [f32],
    plane: &[f32],
    (pitch, phases): (usize, usize),
    pre: Epilogue,
    g: &ConvGeom,
    (fy, fx): (usize, usize),
    (ylo, yhi): (usize, usize),
    (xlo, xhi): (usize, usize),
    px0: usize,
) {
    let mut done = 0;
    while done < row.len() {
        let (oy, ox0) = ((px0 + done) / g.ow, (px0 + done) % g.ow);
        // The pixels `ox0..ox1` of output row `oy` land at `seg`.
        let ox1 = g.ow.min(ox0 + row.len() - done);
        let seg = &mut row[done..done + ox1 - ox0];
        done += ox1 - ox0;
        let (lo, hi) = (xlo.clamp(ox0, ox1), xhi.clamp(ox0, ox1));
        if oy < ylo || oy >= yhi || lo == hi {
            seg.fill(0.0);
            continue;
        }
        // In range by `rows_for` / `cols_for`: no underflow, no read past the input.
        let iy = oy * g.sh + fy * g.dh - g.pads.top;
        let ix0 = lo * g.sw + fx * g.dw - g.pads.left;
        seg[..lo - ox0].fill(0.0);
        seg[hi - ox0..].fill(0.0);
        let dst = &mut seg[lo - ox0..hi - ox0];
        if phases > 1 {
            // Columns ix0, ix0 + S_w, … are consecutive entries of phase `ix0 mod S_w`.
            let at = ((ix0 % phases) * g.h + iy) * pitch + ix0 / phases;
            pre.activate_into(dst, &plane[at..at + dst.len()]);
        } else if g.sw == 1 {
            let at = iy * pitch + ix0;
            pre.activate_into(dst, &plane[at..at + dst.len()]);
        } else {
            let row = &plane[iy * pitch..(iy + 1) * pitch];
            let pairs = dst.iter_mut().zip(row[ix0..].iter().step_by(g.sw));
            pairs.for_each(|(d, s)| *d = pre.apply(*s));
        }
    }
}
