//! The GEMM conv path, in bands of output rows: unfold a band's windows (im2col), multiply, finish.
//!
//! For group `g` and a band of output pixels:
//! `Y_g[:, band] = W_g (Kg × FH·FW·Cg) · cols (FH·FW·Cg × band)`.
//! The rows of `cols` follow the weights' own `(fy, fx, ci)` order, so each filter `W[k]`, stored
//! `(FH, FW, Cg)`, is already one contiguous GEMM row: the weights need no repacking (gemm packs
//! its operands into its own panels). A band's `cols` and GEMM result stay in L2; the bias and
//! the activation are applied while copying the result out, so the output is written once.
//! A 1×1, stride-1, unpadded conv skips the unfolding: its input is already `(Cg × H·W)`.
//! Bands run in parallel on the rayon pool when there are enough of them; otherwise each GEMM
//! splits itself.

use super::epilogue::Epilogue;
use super::geometry::{ConvGeom, ValidTaps};
use super::sgemm::{Mat, matmul, parallelism};
use gemm::Parallelism;
use rayon::prelude::*;
use std::cell::Cell;

/// How the output is cut into bands, and when bands run in parallel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Banding {
    /// Aim for a band whose `cols` holds about this many values…
    pub values: usize,
    /// …but at least this many output pixels, so each GEMM stays wide.
    pub min_pixels: usize,
    /// Bands go to the rayon pool only when the whole conv has at least this many flops.
    pub parallel_min_flops: usize,
}

impl Banding {
    /// 256 KiB of `cols` (half of L2, leaving room for gemm's packed panels), ≥ 256 pixels.
    pub const DEFAULT: Banding =
        Banding { values: 1 << 16, min_pixels: 256, parallel_min_flops: 1 << 20 };
}

/// Per-thread buffers, reused band after band and call after call.
#[derive(Default)]
struct Scratch {
    cols: Vec<f32>,
    dst: Vec<f32>,
}

thread_local! {
    /// Kept between calls: allocating and faulting in a fresh megabyte-sized buffer on every
    /// call measurably slowed some convs. It holds at most one band's `cols` and result.
    static SCRATCH: Cell<Scratch> = Cell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch. A nested call on the same thread (rayon can run another
/// conv's band here while this one waits inside gemm) finds the slot empty and uses fresh buffers.
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    let mut s = SCRATCH.take();
    let r = f(&mut s);
    SCRATCH.set(s);
    r
}

/// `out (K × OH·OW) = act(W ⊛ x + b)`; `x` is `(Cin, H, W)`, `w` is `(K, FH, FW, Cg)`, both
/// standard layout. `pointwise` (see [`ConvGeom::is_pointwise`]) reads the input in place.
pub(crate) fn conv_gemm(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    pointwise: bool,
    out: &mut [f32],
) {
    conv_gemm_banded(x, w, bias, epi, g, pointwise, out, Banding::DEFAULT);
}

/// [`conv_gemm`] with explicit banding (tests use tiny bands to exercise the band logic).
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv_gemm_banded(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    pointwise: bool,
    out: &mut [f32],
    banding: Banding,
) {
    let (kdim, npix) = (g.kdim(), g.npix());
    if npix == 0 || g.kg == 0 {
        return;
    }
    let want_pixels = (banding.values / kdim.max(1)).max(banding.min_pixels).max(1);
    let band_rows = want_pixels.div_ceil(g.ow).min(g.oh);
    let band_px = band_rows * g.ow;
    let bands = g.oh.div_ceil(band_rows);
    let threads = rayon::current_num_threads();
    let flops = 2 * g.kg * kdim * band_px;
    let across_bands =
        threads > 1 && bands >= 2 * threads && flops * bands >= banding.parallel_min_flops;
    let per_gemm = if across_bands { Parallelism::None } else { parallelism(flops) };
    let valid = ValidTaps::of(g);
    for (grp, out_g) in out.chunks_exact_mut(g.kg * npix).enumerate() {
        let filters =
            Mat::row_major(&w[grp * g.kg * kdim..(grp + 1) * g.kg * kdim], g.kg, kdim, kdim);
        let bias_g = bias.map(|b| &b[grp * g.kg..(grp + 1) * g.kg]);
        let band = |s: &mut Scratch, (b, mut pieces): (usize, Vec<&mut [f32]>)| {
            let (oy0, width) = (b * band_rows, pieces[0].len());
            let rhs = if pointwise {
                let input = &x[grp * g.cg * npix + oy0 * g.ow..];
                Mat { data: input, rows: g.cg, cols: width, rs: npix, cs: 1 }
            } else {
                s.cols.resize(kdim * width, 0.0);
                unfold(x, g, &valid, grp, oy0, &mut s.cols[..kdim * width]);
                Mat::row_major(&s.cols[..kdim * width], kdim, width, width)
            };
            s.dst.resize(g.kg * width, 0.0);
            matmul(&mut s.dst[..g.kg * width], width, filters, rhs, per_gemm);
            for (k, piece) in pieces.iter_mut().enumerate() {
                let b = bias_g.map_or(0.0, |b| b[k]);
                epi.finish_into(piece, &s.dst[k * width..(k + 1) * width], b);
            }
        };
        let work = split_bands(out_g, npix, band_px);
        if across_bands {
            work.into_par_iter().enumerate().for_each(|item| with_scratch(|s| band(s, item)));
        } else {
            with_scratch(|s| work.into_iter().enumerate().for_each(|item| band(s, item)));
        }
    }
}

/// The output of one group (`Kg` planes of `npix`) cut into bands: for each band, the piece of
/// every plane it covers.
fn split_bands(out: &mut [f32], npix: usize, band_px: usize) -> Vec<Vec<&mut [f32]>> {
    let mut bands: Vec<Vec<&mut [f32]>> = Vec::new();
    for plane in out.chunks_exact_mut(npix) {
        for (b, piece) in plane.chunks_mut(band_px).enumerate() {
            if b == bands.len() {
                bands.push(Vec::new());
            }
            bands[b].push(piece);
        }
    }
    bands
}

/// Fill `cols` (`FH·FW·Cg` rows of a band of whole output rows from `oy0`) with group `grp`'s
/// windows; padding becomes 0.
fn unfold(x: &[f32], g: &ConvGeom, valid: &ValidTaps, grp: usize, oy0: usize, cols: &mut [f32]) {
    let plane_len = g.h * g.w;
    let width = cols.len() / g.kdim();
    for (row_index, row) in cols.chunks_exact_mut(width).enumerate() {
        let (tap, ci) = (row_index / g.cg, row_index % g.cg);
        let c = grp * g.cg + ci;
        let (fy, fx) = (tap / g.fw, tap % g.fw);
        let plane = &x[c * plane_len..(c + 1) * plane_len];
        fill_row(row, plane, g, (fy, fx), valid.rows[fy], valid.cols[fx], oy0);
    }
}

/// One row of `cols`: input `plane` seen through tap `(fy, fx)` at output rows `oy0..`; only
/// output rows `ylo..yhi` and columns `xlo..xhi` see real input.
fn fill_row(
    row: &mut [f32],
    plane: &[f32],
    g: &ConvGeom,
    (fy, fx): (usize, usize),
    (ylo, yhi): (usize, usize),
    (xlo, xhi): (usize, usize),
    oy0: usize,
) {
    for (oy, seg) in (oy0..).zip(row.chunks_exact_mut(g.ow)) {
        if oy < ylo || oy >= yhi || xlo == xhi {
            seg.fill(0.0);
            continue;
        }
        // In range by `rows_for` / `cols_for`: no underflow, no read past the input.
        let iy = oy * g.sh + fy * g.dh - g.pads.top;
        let src = &plane[iy * g.w..(iy + 1) * g.w];
        let ix0 = xlo * g.sw + fx * g.dw - g.pads.left;
        seg[..xlo].fill(0.0);
        seg[xhi..].fill(0.0);
        let dst = &mut seg[xlo..xhi];
        if g.sw == 1 {
            dst.copy_from_slice(&src[ix0..ix0 + dst.len()]);
        } else {
            dst.iter_mut().zip(src[ix0..].iter().step_by(g.sw)).for_each(|(d, s)| *d = *s);
        }
    }
}
