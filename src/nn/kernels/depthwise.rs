//! Depthwise conv (one input channel per group): a direct kernel, no im2col.
//!
//! Each output channel `k` reads only input channel `k / Kg`. For every output row, each tap
//! `(fy, fx)` adds `w · (input row, shifted)` to the row in one straight loop over the output
//! columns whose input is real, so the row stays in L1 and the loop vectorises. Rayon splits
//! the work over channels.

use super::epilogue::Epilogue;
use super::geometry::ConvGeom;
use rayon::prelude::*;

/// Below this many multiply-adds the channels are done on the calling thread.
const PARALLEL_MIN_MACS: usize = 1 << 16;

/// `out = act(W ⊛ x + b)` for `Cg == 1`; `x` is `(Cin, H, W)`, `w` is `(K, FH, FW, 1)`, both
/// standard layout.
pub(crate) fn conv_depthwise(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    out: &mut [f32],
) {
    debug_assert_eq!(g.cg, 1);
    let (npix, plane_len, taps) = (g.npix(), g.h * g.w, g.fh * g.fw);
    if npix == 0 {
        return;
    }
    let one = |(k, plane): (usize, &mut [f32])| {
        let c = k / g.kg;
        channel(plane, &x[c * plane_len..(c + 1) * plane_len], &w[k * taps..(k + 1) * taps], g);
        epi.finish(plane, bias.map_or(0.0, |b| b[k]));
    };
    if g.k * npix * taps >= PARALLEL_MIN_MACS && rayon::current_num_threads() > 1 {
        out.par_chunks_mut(npix).enumerate().for_each(one);
    } else {
        out.chunks_mut(npix).enumerate().for_each(one);
    }
}

/// One output plane from one input plane and one `FH × FW` filter.
fn channel(plane: &mut [f32], src: &[f32], filter: &[f32], g: &ConvGeom) {
    let cols: Vec<(usize, usize)> = (0..g.fw).map(|fx| g.cols_for(fx)).collect();
    let rows: Vec<(usize, usize)> = (0..g.fh).map(|fy| g.rows_for(fy)).collect();
    for (oy, row) in plane.chunks_exact_mut(g.ow).enumerate() {
        row.fill(0.0);
        for (fy, &(ylo, yhi)) in rows.iter().enumerate() {
            if oy < ylo || oy >= yhi {
                continue;
            }
            // In range by `rows_for`.
            let iy = oy * g.sh + fy * g.dh - g.pads.top;
            let src_row = &src[iy * g.w..(iy + 1) * g.w];
            for (fx, &(xlo, xhi)) in cols.iter().enumerate() {
                if xlo == xhi {
                    continue;
                }
                let wv = filter[fy * g.fw + fx];
                let ix0 = xlo * g.sw + fx * g.dw - g.pads.left;
                let dst = &mut row[xlo..xhi];
                if g.sw == 1 {
                    let s = &src_row[ix0..ix0 + dst.len()];
                    dst.iter_mut().zip(s).for_each(|(d, s)| *d += wv * s);
                } else {
                    let s = src_row[ix0..].iter().step_by(g.sw);
                    dst.iter_mut().zip(s).for_each(|(d, s)| *d += wv * s);
                }
            }
        }
    }
}
