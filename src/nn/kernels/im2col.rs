//! The general conv path: unfold the input windows into a matrix (im2col), then one GEMM per group.
//!
//! For group `g`: `Y_g (Kg × OH·OW) = W_g (Kg × FH·FW·Cg) · cols_g (FH·FW·Cg × OH·OW)`.
//! The rows of `cols` follow the weights' own `(fy, fx, ci)` order, so each filter `W[k]`, stored
//! `(FH, FW, Cg)`, is already one contiguous GEMM row: the weights need no repacking (gemm packs
//! its operands into its own panels internally).

use super::geometry::ConvGeom;
use super::sgemm::{Mat, matmul};
use rayon::prelude::*;

/// Below this many `cols` values the unfolding stays on the calling thread.
const PARALLEL_MIN_VALUES: usize = 1 << 16;

/// `out (K × OH·OW) = W ⊛ x` without bias; `x` is `(Cin, H, W)` and `w` is `(K, FH, FW, Cg)`,
/// both standard layout.
pub(crate) fn conv_im2col(x: &[f32], w: &[f32], g: &ConvGeom, out: &mut [f32]) {
    let (kdim, npix) = (g.kdim(), g.npix());
    if npix == 0 {
        return;
    }
    let mut cols = vec![0.0f32; kdim * npix];
    for grp in 0..g.groups {
        unfold(x, g, grp, &mut cols);
        let filters = &w[grp * g.kg * kdim..(grp + 1) * g.kg * kdim];
        let lhs = Mat::row_major(filters, g.kg, kdim, kdim);
        let rhs = Mat::row_major(&cols, kdim, npix, npix);
        matmul(&mut out[grp * g.kg * npix..(grp + 1) * g.kg * npix], npix, lhs, rhs);
    }
}

/// A 1×1, stride-1, unpadded conv: each group's input channels are already the
/// `(Cg × H·W)` right-hand operand, so there is nothing to unfold.
pub(crate) fn conv_pointwise(x: &[f32], w: &[f32], g: &ConvGeom, out: &mut [f32]) {
    debug_assert!(g.is_pointwise());
    let npix = g.npix();
    for grp in 0..g.groups {
        let filters = &w[grp * g.kg * g.cg..(grp + 1) * g.kg * g.cg];
        let lhs = Mat::row_major(filters, g.kg, g.cg, g.cg);
        let input = &x[grp * g.cg * npix..(grp + 1) * g.cg * npix];
        let rhs = Mat::row_major(input, g.cg, npix, npix);
        matmul(&mut out[grp * g.kg * npix..(grp + 1) * g.kg * npix], npix, lhs, rhs);
    }
}

/// Fill `cols` (`FH·FW·Cg` rows of `OH·OW`) with group `grp`'s windows; padding becomes 0.
fn unfold(x: &[f32], g: &ConvGeom, grp: usize, cols: &mut [f32]) {
    let plane_len = g.h * g.w;
    let fill = |(row_index, row): (usize, &mut [f32])| {
        let (tap, ci) = (row_index / g.cg, row_index % g.cg);
        let c = grp * g.cg + ci;
        fill_row(row, &x[c * plane_len..(c + 1) * plane_len], g, tap / g.fw, tap % g.fw);
    };
    if cols.len() >= PARALLEL_MIN_VALUES && rayon::current_num_threads() > 1 {
        cols.par_chunks_mut(g.npix()).enumerate().for_each(fill);
    } else {
        cols.chunks_mut(g.npix()).enumerate().for_each(fill);
    }
}

/// One row of `cols`: input `plane` seen through tap `(fy, fx)` at every output pixel.
fn fill_row(row: &mut [f32], plane: &[f32], g: &ConvGeom, fy: usize, fx: usize) {
    let (ylo, yhi) = g.rows_for(fy);
    let (xlo, xhi) = g.cols_for(fx);
    for (oy, seg) in row.chunks_exact_mut(g.ow).enumerate() {
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
