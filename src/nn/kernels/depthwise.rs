//! Depthwise conv (one input channel per group): a direct kernel, no im2col.
//!
//! Output channel `k` reads only input channel `k / Kg`; rayon splits the work over channels.
//! - Unit stride: the input plane is copied once into a zero-padded plane of pitch `Wp`, and the
//!   output is accumulated with the same pitch, a strip of rows at a time. Then output value `i`
//!   of the strip is `Σ_taps w · padded[i + offset(tap)]`: one flat loop over the strip, blocks of
//!   64 values summed over all taps in registers (the `Wp − OW` columns at the end of each row are
//!   junk and are dropped when the strip is copied out).
//! - Other strides: for every output row, each tap adds `w · (input row, shifted)` over the
//!   output columns whose input is real.
//!
//! The crate is built for baseline x86-64 (SSE2); on a CPU with AVX-512 or AVX2 the same code is
//! compiled a second time for those instructions and picked at run time.

use super::epilogue::Epilogue;
use super::geometry::{ConvGeom, ValidTaps};
use rayon::prelude::*;

/// Below this many multiply-adds the channels are done on the calling thread.
const PARALLEL_MIN_MACS: usize = 1 << 16;
/// Accumulator values per strip (8 KiB: the strip and its input rows stay in L1).
const STRIP_VALUES: usize = 2048;
/// Accumulator values held in registers while all taps are added (4 AVX-512 registers).
const BLOCK: usize = 64;

/// One output channel's inputs.
struct Job<'a> {
    src: &'a [f32],
    filter: &'a [f32],
    bias: f32,
    epi: Epilogue,
    g: &'a ConvGeom,
    valid: &'a ValidTaps,
}

/// Work buffers of one worker, reused channel after channel.
#[derive(Default)]
struct Scratch {
    padded: Vec<f32>,
    acc: Vec<f32>,
    /// `(offset in padded, weight)` of each tap.
    taps: Vec<(usize, f32)>,
}

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
    let valid = ValidTaps::of(g);
    let one = |s: &mut Scratch, (k, plane): (usize, &mut [f32])| {
        let c = k / g.kg;
        let job = Job {
            src: &x[c * plane_len..(c + 1) * plane_len],
            filter: &w[k * taps..(k + 1) * taps],
            bias: bias.map_or(0.0, |b| b[k]),
            epi,
            g,
            valid: &valid,
        };
        channel_dispatch(plane, &job, s);
    };
    if g.k * npix * taps >= PARALLEL_MIN_MACS && rayon::current_num_threads() > 1 {
        out.par_chunks_mut(npix).enumerate().for_each_init(Scratch::default, one);
    } else {
        let mut s = Scratch::default();
        out.chunks_mut(npix).enumerate().for_each(|item| one(&mut s, item));
    }
}

/// [`channel`] compiled for the widest vector instructions this CPU has.
fn channel_dispatch(out: &mut [f32], job: &Job, s: &mut Scratch) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked on the line above.
            return unsafe { channel_avx512(out, job, s) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            return unsafe { channel_avx2(out, job, s) };
        }
    }
    channel(out, job, s);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn channel_avx512(out: &mut [f32], job: &Job, s: &mut Scratch) {
    channel(out, job, s);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn channel_avx2(out: &mut [f32], job: &Job, s: &mut Scratch) {
    channel(out, job, s);
}

/// One output plane, bias and activation included.
#[inline(always)]
fn channel(out: &mut [f32], job: &Job, s: &mut Scratch) {
    if job.g.sh == 1 && job.g.sw == 1 {
        unit_stride(out, job, s);
    } else {
        strided(out, job);
        job.epi.finish(out, job.bias);
    }
}

#[inline(always)]
fn unit_stride(out: &mut [f32], job: &Job, s: &mut Scratch) {
    let g = job.g;
    let span = (g.fw - 1) * g.dw; // junk columns at the end of each accumulator row
    let (hp, wp) = (g.oh + (g.fh - 1) * g.dh, g.ow + span);
    pad_plane(&mut s.padded, job, hp, wp);
    s.taps.clear();
    for fy in 0..g.fh {
        for fx in 0..g.fw {
            s.taps.push((fy * g.dh * wp + fx * g.dw, job.filter[fy * g.fw + fx]));
        }
    }
    let strip_rows = (STRIP_VALUES / wp).clamp(1, g.oh);
    for oy0 in (0..g.oh).step_by(strip_rows) {
        let rows = strip_rows.min(g.oh - oy0);
        // The last row's junk is cut, so the reads end inside `padded`.
        let len = rows * wp - span;
        s.acc.resize(len, 0.0);
        accumulate(&mut s.acc[..len], &s.padded[oy0 * wp..], &s.taps);
        for (r, dst) in out[oy0 * g.ow..(oy0 + rows) * g.ow].chunks_exact_mut(g.ow).enumerate() {
            job.epi.finish_into(dst, &s.acc[r * wp..r * wp + g.ow], job.bias);
        }
    }
}

/// `padded[py][px]` = input `(py − top, px − left)`, zero outside the input; each value is
/// written once.
#[inline(always)]
fn pad_plane(padded: &mut Vec<f32>, job: &Job, hp: usize, wp: usize) {
    let g = job.g;
    padded.resize(hp * wp, 0.0);
    let (ylo, yhi) = (g.pads.top.min(hp), (g.pads.top + g.h).min(hp));
    let (xlo, xhi) = (g.pads.left.min(wp), (g.pads.left + g.w).min(wp).max(g.pads.left.min(wp)));
    for (py, row) in padded.chunks_exact_mut(wp).enumerate() {
        if py < ylo || py >= yhi || xlo == xhi {
            row.fill(0.0);
            continue;
        }
        let src = &job.src[(py - g.pads.top) * g.w..][..xhi - xlo];
        row[..xlo].fill(0.0);
        row[xlo..xhi].copy_from_slice(src);
        row[xhi..].fill(0.0);
    }
}

/// `acc[i] = Σ_taps w · src[i + offset]`, `BLOCK` values at a time held in registers, so each
/// value is stored once rather than once per tap.
#[inline(always)]
fn accumulate(acc: &mut [f32], src: &[f32], taps: &[(usize, f32)]) {
    let full = acc.len() / BLOCK * BLOCK;
    let (blocks, tail) = acc.split_at_mut(full);
    for (b, block) in blocks.chunks_exact_mut(BLOCK).enumerate() {
        let mut r = [0.0f32; BLOCK];
        for &(offset, wv) in taps {
            let at = b * BLOCK + offset;
            // A BLOCK-long slice always converts to a BLOCK-long array.
            let x: &[f32; BLOCK] = src[at..at + BLOCK].try_into().expect("BLOCK values");
            for i in 0..BLOCK {
                r[i] += wv * x[i];
            }
        }
        block.copy_from_slice(&r);
    }
    tail.fill(0.0);
    for &(offset, wv) in taps {
        let x = &src[full + offset..full + offset + tail.len()];
        tail.iter_mut().zip(x).for_each(|(a, x)| *a += wv * x);
    }
}

#[inline(always)]
fn strided(out: &mut [f32], job: &Job) {
    let g = job.g;
    for (oy, row) in out.chunks_exact_mut(g.ow).enumerate() {
        row.fill(0.0);
        for (fy, &(ylo, yhi)) in job.valid.rows.iter().enumerate() {
            if oy < ylo || oy >= yhi {
                continue;
            }
            // In range by `rows_for`.
            let iy = oy * g.sh + fy * g.dh - g.pads.top;
            let src_row = &job.src[iy * g.w..(iy + 1) * g.w];
            for (fx, &(xlo, xhi)) in job.valid.cols.iter().enumerate() {
                if xlo == xhi {
                    continue;
                }
                let wv = job.filter[fy * g.fw + fx];
                let ix0 = xlo * g.sw + fx * g.dw - g.pads.left;
                let dst = &mut row[xlo..xhi];
                let s = src_row[ix0..].iter().step_by(g.sw);
                dst.iter_mut().zip(s).for_each(|(d, s)| *d += wv * s);
            }
        }
    }
}
