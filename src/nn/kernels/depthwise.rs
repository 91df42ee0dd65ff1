//! Depthwise conv (one input channel per group): a direct kernel, no im2col.
//!
//! Output channel `k` reads only input channel `k / Kg`; rayon splits the work over channels.
//! The input plane is copied once, zero-padded, into `S_h·S_w` phase planes of pitch `P`:
//! phase `(a, b)` holds the padded cells `(r·S_h + a, c·S_w + b)`. Tap `(fy, fx)` of output
//! `(oy, ox)` reads padded cell `(oy·S_h + fy·D_h, ox·S_w + fx·D_w)`, which is cell
//! `(oy + fy·D_h / S_h, ox + fx·D_w / S_w)` of phase `(fy·D_h mod S_h, fx·D_w mod S_w)`. So with
//! the output accumulated at the same pitch `P`, output value `i` of a strip of rows is
//! `Σ_taps w · phases[i + offset(tap)]` for any stride: one flat loop over the strip, blocks of
//! 64 values summed over all taps in registers (the `P − OW` columns at the end of each row are
//! junk and are dropped when the strip is copied out). For unit stride there is one phase, the
//! padded plane itself.
//!
//! The sum, the row copies and the column-stride-2 split run on explicit AVX-512 or AVX2 FMAs
//! and permutes where the CPU has them ([`Isa`]), else on plain code. The rows of the phase
//! planes are copied with vectors (a row of a small plane is too short for a `memcpy` call to
//! pay); at column stride 2 each input row is read once and split into its two column phases.
//! Small planes with one filter per channel (EfficientNet's 7×7 stages) go to
//! [`super::depthwise_blocked`], 16 or 8 channels per vector.

use super::depthwise_blocked::{self as blocked, ScratchBlock};
use super::epilogue::Epilogue;
use super::geometry::ConvGeom;
use super::isa::Isa;
use crate::nn::geometry::valid_outputs;
use rayon::prelude::*;

/// Below this many multiply-adds the channels are done on the calling thread.
const PARALLEL_MIN_MACS: usize = 1 << 16;
/// Accumulator values per strip (8 KiB: the strip and its input rows stay in L1).
const STRIP_VALUES: usize = 2048;
/// Accumulator values held in registers while all taps are added (4 AVX-512 registers).
const BLOCK: usize = 64;
/// Strips are computed in whole vectors of this many values; the phases end with this many
/// zeros so the last vector's reads stay inside them.
const LANES: usize = 16;

/// The shape of one channel's phase planes, shared by every channel of a call.
struct Phases {
    /// Output rows computed per output row: `OW` plus the junk columns.
    pitch: usize,
    /// Rows of each phase plane.
    rows: usize,
    /// Junk columns at the end of each accumulator row: the largest column offset of a tap.
    span: usize,
    /// [`Phases::offset`] of every tap, in `(fy, fx)` order: the same for every channel, so
    /// computed once per call rather than with a few divisions per tap per channel.
    offsets: Vec<usize>,
    /// Where each phase plane sees real input, likewise the same for every channel.
    fills: Vec<PhaseFill>,
}

/// Phase plane `(a, b)` holds real input in rows `ylo..yhi` and columns `xlo..xhi` (input row
/// `r·S_h + a − top`, column `c·S_w + b − left`); everything else is zero.
#[derive(Clone, Copy)]
struct PhaseFill {
    a: usize,
    b: usize,
    ylo: usize,
    yhi: usize,
    xlo: usize,
    xhi: usize,
}

impl Phases {
    fn of(g: &ConvGeom) -> Self {
        let span = (g.fw - 1) * g.dw / g.sw;
        let mut ph = Phases {
            pitch: g.ow + span,
            rows: g.oh + (g.fh - 1) * g.dh / g.sh,
            span,
            offsets: Vec::new(),
            fills: Vec::new(),
        };
        ph.offsets = (0..g.fh * g.fw).map(|t| ph.offset(g, t / g.fw, t % g.fw)).collect();
        ph.fills = (0..g.sh * g.sw)
            .map(|p| {
                let (a, b) = (p / g.sw, p % g.sw);
                let (ylo, yhi) = valid_outputs(ph.rows, g.h, g.sh, g.pads.top, a);
                let (xlo, xhi) = valid_outputs(ph.pitch, g.w, g.sw, g.pads.left, b);
                PhaseFill { a, b, ylo, yhi, xlo, xhi }
            })
            .collect();
        ph
    }

    fn plane_len(&self) -> usize {
        self.rows * self.pitch
    }

    /// Where tap `(fy, fx)` reads, relative to the output value it adds to.
    fn offset(&self, g: &ConvGeom, fy: usize, fx: usize) -> usize {
        let (y, x) = (fy * g.dh, fx * g.dw);
        let phase = (y % g.sh) * g.sw + x % g.sw;
        phase * self.plane_len() + (y / g.sh) * self.pitch + x / g.sw
    }
}

/// The values of one channel's phase planes (the direct kernel's scratch).
pub(crate) fn scratch_len(g: &ConvGeom) -> usize {
    let rows = g.oh.saturating_add((g.fh - 1).saturating_mul(g.dh) / g.sh);
    let pitch = g.ow.saturating_add((g.fw - 1).saturating_mul(g.dw) / g.sw);
    [g.sh, g.sw, rows, pitch].iter().fold(1usize, |a, &b| a.saturating_mul(b))
}

/// One output channel's inputs.
struct Job<'a> {
    src: &'a [f32],
    /// The input's activation, applied as the plane is copied into its phases.
    pre: Epilogue,
    filter: &'a [f32],
    bias: f32,
    epi: Epilogue,
    g: &'a ConvGeom,
    ph: &'a Phases,
    isa: Isa,
}

/// Work buffers of one worker, reused channel after channel.
#[derive(Default)]
struct Scratch {
    phases: Vec<f32>,
    acc: Vec<f32>,
    /// `(offset in phases, weight)` of each tap.
    taps: Vec<(usize, f32)>,
}

/// `out = act(W ⊛ pre(x) + b)` for `Cg == 1`; `x` is `(Cin, H, W)`, `w` is `(K, FH, FW, 1)`,
/// both standard layout; `pre` maps 0 to 0 (the padding stays zero).
pub(crate) fn conv_depthwise(
    x: &[f32],
    pre: Epilogue,
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    out: &mut [f32],
) {
    conv_depthwise_at(Isa::detect(), x, pre, w, bias, epi, g, out);
}

/// [`conv_depthwise`] on the vector instructions of `isa`, which the CPU must support.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv_depthwise_at(
    isa: Isa,
    x: &[f32],
    pre: Epilogue,
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    out: &mut [f32],
) {
    assert!(isa <= Isa::detect(), "{isa:?} on a CPU without it");
    debug_assert_eq!(g.cg, 1);
    let (npix, plane_len, taps) = (g.npix(), g.h * g.w, g.fh * g.fw);
    if npix == 0 {
        return;
    }
    let ph = Phases::of(g);
    let one = |s: &mut Scratch, (k, plane): (usize, &mut [f32])| {
        let c = k / g.kg;
        let job = Job {
            src: &x[c * plane_len..(c + 1) * plane_len],
            pre,
            filter: &w[k * taps..(k + 1) * taps],
            bias: bias.map_or(0.0, |b| b[k]),
            epi,
            g,
            ph: &ph,
            isa,
        };
        channel_dispatch(plane, &job, s);
    };
    let parallel = g.k * npix * taps >= PARALLEL_MIN_MACS && rayon::current_num_threads() > 1;
    if blocked::applies(g, isa) {
        // Blocks of channels; the channels after the last full block go one by one.
        let l = blocked::lanes(isa);
        let blocks = |(sb, s): &mut (ScratchBlock, Scratch), (i, chunk): (usize, &mut [f32])| {
            if chunk.len() == l * npix {
                blocked::block(isa, x, pre, w, bias, epi, g, i * l, chunk, sb);
            } else {
                chunk.chunks_mut(npix).enumerate().for_each(|(j, p)| one(s, (i * l + j, p)));
            }
        };
        let init = || (ScratchBlock::default(), Scratch::default());
        in_runs(out, l * npix, parallel, init, blocks);
        return;
    }
    in_runs(out, npix, parallel, Scratch::default, one);
}

/// `f(scratch, (i, chunk))` for every `unit`-long chunk `i` of `out`: on the pool when
/// `parallel`, in one contiguous run of chunks per thread, each with one scratch from `init`.
/// (Rayon's own splitting of the chunks made a fresh scratch, zeroed anew, for every piece it
/// split off, and scattered each thread's channels: at two threads EfficientNet-Lite0's 7²
/// depthwise layers took 0.03–0.04 ms in one run and 0.13–0.17 in the next, against 0.05–0.08
/// on one thread; in runs, 0.026–0.037.)
fn in_runs<S>(
    out: &mut [f32],
    unit: usize,
    parallel: bool,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, (usize, &mut [f32])) + Sync,
) {
    let chunks = out.len().div_ceil(unit.max(1));
    let threads = rayon::current_num_threads();
    if !parallel || threads <= 1 || chunks <= 1 {
        let mut s = init();
        out.chunks_mut(unit).enumerate().for_each(|item| f(&mut s, item));
        return;
    }
    let per = chunks.div_ceil(threads);
    out.par_chunks_mut(per * unit).enumerate().for_each(|(r, run)| {
        let mut s = init();
        run.chunks_mut(unit).enumerate().for_each(|(j, chunk)| f(&mut s, (r * per + j, chunk)));
    });
}

/// [`channel`] on the vector instructions of `job.isa`.
fn channel_dispatch(out: &mut [f32], job: &Job, s: &mut Scratch) {
    match job.isa {
        // SAFETY: `conv_depthwise_at` checked that the CPU supports `job.isa`.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { channel_avx512(out, job, s) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { channel_avx2(out, job, s) },
        _ => channel(out, job, s, accumulate, fill_plain),
    }
}

/// The phases of `job` on plain code.
fn fill_plain(phases: &mut Vec<f32>, job: &Job) {
    if job.g.sw == 2 {
        fill_phases_sw2(phases, job, split_pairs);
    } else {
        fill_phases(phases, job, copy_strided);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn channel_avx512(out: &mut [f32], job: &Job, s: &mut Scratch) {
    let sum = |acc: &mut [f32], src: &[f32], taps: &[(usize, f32)]| {
        // SAFETY: this function only runs on a CPU with AVX-512F.
        unsafe { accumulate_avx512(acc, src, taps) }
    };
    let fill = |phases: &mut Vec<f32>, job: &Job| {
        if job.g.sw == 2 {
            // SAFETY: as above.
            let split = |d0: &mut [f32], d1: &mut [f32], src: &[f32], act: Epilogue| unsafe {
                split_pairs_avx512(d0, d1, src, act)
            };
            fill_phases_sw2(phases, job, split)
        } else {
            let copy = |dst: &mut [f32], src: &[f32], stride: usize, act: Epilogue| {
                if stride == 1 {
                    // SAFETY: as above.
                    unsafe { act.copy_avx512(dst, src) }
                } else {
                    copy_strided(dst, src, stride, act)
                }
            };
            fill_phases(phases, job, copy)
        }
    };
    channel(out, job, s, sum, fill);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn channel_avx2(out: &mut [f32], job: &Job, s: &mut Scratch) {
    let sum = |acc: &mut [f32], src: &[f32], taps: &[(usize, f32)]| {
        // SAFETY: this function only runs on a CPU with AVX2 and FMA.
        unsafe { accumulate_avx2(acc, src, taps) }
    };
    let fill = |phases: &mut Vec<f32>, job: &Job| {
        if job.g.sw == 2 {
            // SAFETY: as above.
            let split = |d0: &mut [f32], d1: &mut [f32], src: &[f32], act: Epilogue| unsafe {
                split_pairs_avx2(d0, d1, src, act)
            };
            fill_phases_sw2(phases, job, split)
        } else {
            let copy = |dst: &mut [f32], src: &[f32], stride: usize, act: Epilogue| {
                if stride == 1 {
                    // SAFETY: as above.
                    unsafe { act.copy_avx2(dst, src) }
                } else {
                    copy_strided(dst, src, stride, act)
                }
            };
            fill_phases(phases, job, copy)
        }
    };
    channel(out, job, s, sum, fill);
}

/// One output plane, bias and activation included; `sum` is [`accumulate`] or a vector form of
/// it, `fill` is [`fill_phases`] or a vector form of it.
#[inline(always)]
fn channel(
    out: &mut [f32],
    job: &Job,
    s: &mut Scratch,
    sum: impl Fn(&mut [f32], &[f32], &[(usize, f32)]),
    fill: impl Fn(&mut Vec<f32>, &Job),
) {
    let (g, ph) = (job.g, job.ph);
    fill(&mut s.phases, job);
    s.taps.clear();
    s.taps.extend(ph.offsets.iter().copied().zip(job.filter.iter().copied()));
    let strip_rows = (STRIP_VALUES / ph.pitch).clamp(1, g.oh);
    for oy0 in (0..g.oh).step_by(strip_rows) {
        let rows = strip_rows.min(g.oh - oy0);
        // The last row's junk is cut, then the strip rounded up to whole vectors: the reads end
        // inside the phases' trailing zeros.
        let len = (rows * ph.pitch - ph.span).next_multiple_of(LANES);
        s.acc.resize(len, 0.0);
        sum(&mut s.acc[..len], &s.phases[oy0 * ph.pitch..], &s.taps);
        let dst = &mut out[oy0 * g.ow..(oy0 + rows) * g.ow];
        for (r, dst) in dst.chunks_exact_mut(g.ow).enumerate() {
            let r0 = r * ph.pitch;
            job.epi.finish_into(dst, &s.acc[r0..r0 + g.ow], job.bias);
        }
    }
}

/// `phases[(a·S_w + b)·plane + r·P + c]` = padded input cell `(r·S_h + a, c·S_w + b)`, that is
/// input `(r·S_h + a − top, c·S_w + b − left)` or zero outside the input; then `LANES` zeros.
///
/// A [`Scratch`] serves one call, whose channels all share one geometry, so the zeros never move:
/// they are written when the buffer is first sized, and each later channel writes only the cells
/// that hold real input.
#[inline(always)]
fn fill_phases(
    phases: &mut Vec<f32>,
    job: &Job,
    copy: impl Fn(&mut [f32], &[f32], usize, Epilogue),
) {
    let (g, ph) = (job.g, job.ph);
    let plane = ph.plane_len();
    size_phases(phases, job);
    for (phase, f) in phases.chunks_exact_mut(plane).zip(&ph.fills) {
        let PhaseFill { a, b, ylo, yhi, xlo, xhi } = *f;
        if xlo == xhi {
            continue;
        }
        for r in ylo..yhi {
            // In range by `valid_outputs`.
            let iy = r * g.sh + a - g.pads.top;
            let ix0 = xlo * g.sw + b - g.pads.left;
            let src = &job.src[iy * g.w + ix0..(iy + 1) * g.w];
            copy(&mut phase[r * ph.pitch + xlo..r * ph.pitch + xhi], src, g.sw, job.pre);
        }
    }
}

/// Sizes `phases` for `job`'s call: zero once, when first sized (see [`fill_phases`]).
fn size_phases(phases: &mut Vec<f32>, job: &Job) {
    let len = job.g.sh * job.g.sw * job.ph.plane_len() + LANES;
    if phases.len() != len {
        phases.clear();
        phases.resize(len, 0.0);
    }
}

/// [`fill_phases`] for column stride 2. Each input row is read once, in input-row order, and
/// its even and odd columns go to the two column phases of its row phase in one `split` (the
/// generic fill reads every row twice, once per column phase, and pays a call per phase row).
///
/// Column phase `b` holds input column `2c + b − left` at cell `c`, so over the cells `c` where
/// both phases hold input, `q = 2c − left` runs over column pairs `(q, q + 1)`: evens to phase
/// 0, odds to phase 1. The cells where only one phase holds input (at most one or two at each
/// end) are copied one by one.
#[inline(always)]
fn fill_phases_sw2(
    phases: &mut Vec<f32>,
    job: &Job,
    split: impl Fn(&mut [f32], &mut [f32], &[f32], Epilogue),
) {
    let (g, ph, act) = (job.g, job.ph, job.pre);
    assert_eq!(g.sw, 2, "column stride 2");
    size_phases(phases, job);
    let (plane, pitch, left) = (ph.plane_len(), ph.pitch, g.pads.left);
    // Input rows in order, so the reads stream (phase by phase, they would skip every other
    // row). The fills come in `(a, 0), (a, 1)` pairs that share their rows.
    for iy in 0..g.h {
        let py = iy + g.pads.top;
        let (a, r) = (py % g.sh, py / g.sh);
        let (f0, f1) = (ph.fills[2 * a], ph.fills[2 * a + 1]);
        debug_assert!(f0.b == 0 && f1.b == 1 && (f0.ylo, f0.yhi) == (f1.ylo, f1.yhi));
        if !(f0.ylo..f0.yhi).contains(&r) {
            continue;
        }
        // Cells where both phases hold input; empty when `cl ≥ ch`.
        let cl = f0.xlo.max(f1.xlo);
        let ch = f0.xhi.min(f1.xhi).max(cl);
        let (p0, p1) = (a * 2 * plane, (a * 2 + 1) * plane);
        let src = &job.src[iy * g.w..(iy + 1) * g.w];
        let row = r * pitch;
        for (base, f) in [(p0, f0), (p1, f1)] {
            let ends = (f.xlo..cl.min(f.xhi)).chain(ch.max(f.xlo)..f.xhi);
            for c in ends {
                phases[base + row + c] = act.apply(src[2 * c + f.b - left]);
            }
        }
        if cl < ch {
            // Input columns `q .. q + 2(ch − cl)`: `q ≥ 0` as `cl ≥ xlo` of phase 0, and
            // the last one is `< W` as `ch − 1 < xhi` of phase 1.
            let q = 2 * cl - left;
            let (even, odd) = phases.split_at_mut(p1);
            split(
                &mut even[p0 + row + cl..p0 + row + ch],
                &mut odd[row + cl..row + ch],
                &src[q..q + 2 * (ch - cl)],
                act,
            );
        }
    }
}

/// `even[i] = act(src[2i])`, `odd[i] = act(src[2i + 1])`.
///
/// # Panics
/// If `even` and `odd` differ in length or `src` is not twice as long.
fn split_pairs(even: &mut [f32], odd: &mut [f32], src: &[f32], act: Epilogue) {
    assert!(even.len() == odd.len() && src.len() == 2 * even.len(), "pairs");
    for ((e, o), p) in even.iter_mut().zip(odd.iter_mut()).zip(src.chunks_exact(2)) {
        (*e, *o) = (act.apply(p[0]), act.apply(p[1]));
    }
}

/// [`split_pairs`] on AVX-512: 16 pairs from two loads and two permutes, the last vector masked.
/// The activation is matched once per call, not once per vector.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn split_pairs_avx512(even: &mut [f32], odd: &mut [f32], src: &[f32], act: Epilogue) {
    use std::arch::x86_64::*;
    assert!(odd.len() == even.len() && src.len() == 2 * even.len(), "pairs");
    // SAFETY (all three): the CPU supports AVX-512F, as this function requires.
    match act {
        Epilogue::None => unsafe { split_pairs_with(even, odd, src, |v| v) },
        Epilogue::Relu => unsafe {
            split_pairs_with(even, odd, src, |v| _mm512_max_ps(v, _mm512_setzero_ps()))
        },
        Epilogue::Clip(lo, hi) => unsafe {
            let (lo, hi) = (_mm512_set1_ps(lo), _mm512_set1_ps(hi));
            split_pairs_with(even, odd, src, |v| _mm512_min_ps(_mm512_max_ps(v, lo), hi))
        },
    }
}

/// [`split_pairs_avx512`] with the activation `act` (of [`Epilogue::vector`]): whole vectors
/// unmasked, then one masked.
///
/// # Safety
/// The CPU must support AVX-512F; `odd` is as long as `even`, `src` twice as long.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn split_pairs_with(
    even: &mut [f32],
    odd: &mut [f32],
    src: &[f32],
    act: impl Fn(std::arch::x86_64::__m512) -> std::arch::x86_64::__m512,
) {
    use std::arch::x86_64::*;
    let n = even.len();
    debug_assert!(odd.len() == n && src.len() == 2 * n, "pairs");
    let evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    let odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    let (s, de, dodd) = (src.as_ptr(), even.as_mut_ptr(), odd.as_mut_ptr());
    let mut c = 0;
    // SAFETY: the loads read `src[2c..2c + 32]` and the stores write `even[c..c + 16]` and
    // `odd[c..c + 16]`, with `c + 16 ≤ n` and `src.len() = 2n`.
    unsafe {
        while c + LANES <= n {
            let p = s.add(2 * c);
            let (lo, hi) = (_mm512_loadu_ps(p), _mm512_loadu_ps(p.add(LANES)));
            _mm512_storeu_ps(de.add(c), act(_mm512_permutex2var_ps(lo, evens, hi)));
            _mm512_storeu_ps(dodd.add(c), act(_mm512_permutex2var_ps(lo, odds, hi)));
            c += LANES;
        }
    }
    if c < n {
        let k = n - c;
        let m = super::isa::first16;
        // SAFETY: as above for `k < 16` pairs, every load and store masked to them.
        unsafe {
            let p = s.add(2 * c);
            let lo = _mm512_maskz_loadu_ps(m(2 * k), p);
            let hi = _mm512_maskz_loadu_ps(m((2 * k).saturating_sub(LANES)), p.wrapping_add(LANES));
            _mm512_mask_storeu_ps(de.add(c), m(k), act(_mm512_permutex2var_ps(lo, evens, hi)));
            _mm512_mask_storeu_ps(dodd.add(c), m(k), act(_mm512_permutex2var_ps(lo, odds, hi)));
        }
    }
}

/// [`split_pairs`] on AVX2: 8 pairs from two loads, two in-lane shuffles and two cross-lane
/// permutes, the last vector masked.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn split_pairs_avx2(even: &mut [f32], odd: &mut [f32], src: &[f32], act: Epilogue) {
    use std::arch::x86_64::*;
    const L: usize = 8;
    let n = even.len();
    assert!(odd.len() == n && src.len() == 2 * n, "pairs");
    let (s, de, dodd) = (src.as_ptr(), even.as_mut_ptr(), odd.as_mut_ptr());
    let mut c = 0;
    while c < n {
        let k = L.min(n - c);
        // SAFETY: as in `split_pairs_avx512`, 8 pairs at a time: the loads read
        // `src[2c..2c + 2k]`, the stores write `even[c..c + k]` and `odd[c..c + k]`.
        unsafe {
            let p = s.add(2 * c);
            let (lo, hi) = if k == L {
                (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(L)))
            } else {
                let hi = _mm256_maskload_ps(
                    p.wrapping_add(L),
                    super::isa::first_lanes((2 * k).saturating_sub(L)),
                );
                (_mm256_maskload_ps(p, super::isa::first_lanes(2 * k)), hi)
            };
            // In each 128-bit lane: [lo0 lo2 hi0 hi2], then the 64-bit halves reordered.
            let e = _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(
                _mm256_shuffle_ps::<0b10_00_10_00>(lo, hi),
            )));
            let o = _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(
                _mm256_shuffle_ps::<0b11_01_11_01>(lo, hi),
            )));
            let (e, o) = (act.vector256(e), act.vector256(o));
            if k == L {
                _mm256_storeu_ps(de.add(c), e);
                _mm256_storeu_ps(dodd.add(c), o);
            } else {
                // A masked store (`vmaskmovps`) costs more than the whole vector on AMD.
                let (mut ev, mut ov) = ([0.0f32; L], [0.0f32; L]);
                _mm256_storeu_ps(ev.as_mut_ptr(), e);
                _mm256_storeu_ps(ov.as_mut_ptr(), o);
                even[c..n].copy_from_slice(&ev[..k]);
                odd[c..n].copy_from_slice(&ov[..k]);
            }
        }
        c += k;
    }
}

/// `dst[j] = act(src[j·stride])` for every `j` of `dst`.
///
/// # Panics
/// If `src` is too short.
#[inline(always)]
pub(super) fn copy_strided(dst: &mut [f32], src: &[f32], stride: usize, act: Epilogue) {
    if stride == 1 {
        dst.copy_from_slice(&src[..dst.len()]);
    } else {
        assert!(dst.is_empty() || (dst.len() - 1) * stride < src.len(), "copy past src");
        dst.iter_mut().zip(src.iter().step_by(stride)).for_each(|(d, s)| *d = *s);
    }
    act.activate(dst);
}

/// `acc[i] = Σ_taps w · src[i + offset]`, `BLOCK` values at a time held in registers, so each
/// value is stored once rather than once per tap.
///
/// # Panics
/// If a tap reads past `src`.
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

/// [`accumulate`] on AVX-512 FMAs, for `acc.len()` a multiple of `LANES`: four vectors at a
/// time, then one.
///
/// # Safety
/// The CPU must support AVX-512F.
///
/// # Panics
/// If `acc.len()` is not a multiple of `LANES` or a tap reads past `src`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn accumulate_avx512(acc: &mut [f32], src: &[f32], taps: &[(usize, f32)]) {
    use std::arch::x86_64::*;
    assert_eq!(acc.len() % LANES, 0, "the strip is whole vectors");
    let max_offset = taps.iter().map(|t| t.0).max().unwrap_or(0);
    assert!(acc.len() + max_offset <= src.len(), "a tap reads past the phases");
    let (n, a, s) = (acc.len(), acc.as_mut_ptr(), src.as_ptr());
    let mut i = 0;
    // SAFETY: every load is at `i + j·LANES + offset + LANES ≤ n + max_offset ≤ src.len()` and
    // every store at `i + j·LANES + LANES ≤ n`, by the asserts above.
    unsafe {
        while i + BLOCK <= n {
            let mut r = [_mm512_setzero_ps(); BLOCK / LANES];
            for &(offset, wv) in taps {
                let (w, p) = (_mm512_set1_ps(wv), s.add(i + offset));
                for (j, r) in r.iter_mut().enumerate() {
                    *r = _mm512_fmadd_ps(w, _mm512_loadu_ps(p.add(j * LANES)), *r);
                }
            }
            for (j, r) in r.iter().enumerate() {
                _mm512_storeu_ps(a.add(i + j * LANES), *r);
            }
            i += BLOCK;
        }
        while i < n {
            let mut r = _mm512_setzero_ps();
            for &(offset, wv) in taps {
                r = _mm512_fmadd_ps(_mm512_set1_ps(wv), _mm512_loadu_ps(s.add(i + offset)), r);
            }
            _mm512_storeu_ps(a.add(i), r);
            i += LANES;
        }
    }
}

/// [`accumulate_avx512`] on AVX2 FMAs: eight vectors of 8 at a time, then one.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
///
/// # Panics
/// If `acc.len()` is not a multiple of 8 or a tap reads past `src`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn accumulate_avx2(acc: &mut [f32], src: &[f32], taps: &[(usize, f32)]) {
    use std::arch::x86_64::*;
    const L: usize = 8;
    assert_eq!(acc.len() % L, 0, "the strip is whole vectors");
    let max_offset = taps.iter().map(|t| t.0).max().unwrap_or(0);
    assert!(acc.len() + max_offset <= src.len(), "a tap reads past the phases");
    let (n, a, s) = (acc.len(), acc.as_mut_ptr(), src.as_ptr());
    let mut i = 0;
    // SAFETY: every load is at `i + j·8 + offset + 8 ≤ n + max_offset ≤ src.len()` and every
    // store at `i + j·8 + 8 ≤ n`, by the asserts above.
    unsafe {
        while i + BLOCK <= n {
            let mut r = [_mm256_setzero_ps(); BLOCK / L];
            for &(offset, wv) in taps {
                let (w, p) = (_mm256_set1_ps(wv), s.add(i + offset));
                for (j, r) in r.iter_mut().enumerate() {
                    *r = _mm256_fmadd_ps(w, _mm256_loadu_ps(p.add(j * L)), *r);
                }
            }
            for (j, r) in r.iter().enumerate() {
                _mm256_storeu_ps(a.add(i + j * L), *r);
            }
            i += BLOCK;
        }
        while i < n {
            let mut r = _mm256_setzero_ps();
            for &(offset, wv) in taps {
                r = _mm256_fmadd_ps(_mm256_set1_ps(wv), _mm256_loadu_ps(s.add(i + offset)), r);
            }
            _mm256_storeu_ps(a.add(i), r);
            i += L;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector copy of stride 1 equals the plain one for every length, with `src` exactly
    /// as long as the copy (a read past it would be a wrong value or a fault).
    /// The vector copies of stride 1 and the vector pair splits equal the plain ones for every
    /// length, with `src` exactly as long as the copy (a read past it would be a wrong value or
    /// a fault) and `dst` one value short of its buffer (a write past it would show).
    #[test]
    fn vector_copies_match_plain() {
        for isa in Isa::available() {
            for n in 0..80 {
                let src: Vec<f32> = (0..2 * n).map(|i| i as f32 - 20.5).collect();
                for act in [Epilogue::None, Epilogue::Clip(1.0, 30.0)] {
                    let copy = |d: &mut [f32]| match isa {
                        // SAFETY: `Isa::available` lists only levels this CPU supports.
                        #[cfg(target_arch = "x86_64")]
                        Isa::Avx512 => unsafe { act.copy_avx512(d, &src[..n]) },
                        // SAFETY: as above.
                        #[cfg(target_arch = "x86_64")]
                        Isa::Avx2 => unsafe { act.copy_avx2(d, &src[..n]) },
                        _ => copy_strided(d, &src[..n], 1, act),
                    };
                    let (mut want, mut got) = (vec![-1.0; n + 1], vec![-1.0; n + 1]);
                    copy_strided(&mut want[..n], &src[..n], 1, act);
                    copy(&mut got[..n]);
                    assert_eq!(got, want, "{isa:?} copy, n = {n}, {act:?}");
                    let split = |e: &mut [f32], o: &mut [f32]| match isa {
                        // SAFETY: as above.
                        #[cfg(target_arch = "x86_64")]
                        Isa::Avx512 => unsafe { split_pairs_avx512(e, o, &src, act) },
                        // SAFETY: as above.
                        #[cfg(target_arch = "x86_64")]
                        Isa::Avx2 => unsafe { split_pairs_avx2(e, o, &src, act) },
                        _ => split_pairs(e, o, &src, act),
                    };
                    let (mut e, mut o) = (vec![-1.0; n + 1], vec![-1.0; n + 1]);
                    split(&mut e[..n], &mut o[..n]);
                    let pick = |b: usize| {
                        let mut v: Vec<f32> = (0..n).map(|i| act.apply(src[2 * i + b])).collect();
                        v.push(-1.0);
                        v
                    };
                    assert_eq!((e, o), (pick(0), pick(1)), "{isa:?} split, n = {n}, {act:?}");
                }
            }
        }
    }
}
