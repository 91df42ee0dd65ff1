//! Depthwise conv on small planes, a block of channels at a time: one vector holds one pixel of
//! 16 channels (AVX-512) or 8 (AVX2), so every multiply-add is a full vector however small the
//! plane (a 7×7 plane is 49 values: in the planar kernel its rows of 7 fill vectors poorly and
//! the per-row work, the phase split and the padding, dominates).
//!
//! For a block of channels (`Kg == 1`, so output channel `c` reads input channel `c`): the
//! padded input is transposed into `(PH, PW, lanes)`, the transposed weights are `(taps, lanes)`,
//! each output pixel is `Σ_taps w[tap] · padded[pixel + offset(tap)]` summed in the same tap
//! order as the planar kernel, and the results are written back to the block's output planes.

use super::epilogue::Epilogue;
use super::geometry::ConvGeom;
use super::isa::Isa;
use std::ops::Range;

/// Planes of at most this many output pixels (56²) are computed channel-blocked on AVX-512.
///
/// With the padded input filled by AVX-512 gathers, an Intel Xeon (one thread, EfficientNet-
/// Lite0 in the network) had blocked win up to 28² and lose at 56² (0.28 → 0.39–0.40 ms at
/// stride 1): the gather of each pixel cost more than the full vectors saved. On an AMD EPYC
/// Zen 4 the gathers were slower still, and blocked lost at 28² too (5×5 from 56² stride 2,
/// alone: 0.23 planar against 0.28). The fill is now 16×16 transposes of the input rows; on
/// that Zen 4, alone (planar or gathered → transposed, ms): 56² 3×3 0.27 → 0.20, 56² from 112²
/// stride 2 0.37 → 0.26, 28² 5×5 0.26 → 0.14, 14² 5×5 0.17 → 0.11, 7² 5×5 0.079 → 0.056. At
/// 112² (32 channels, a 832 KiB padded block) blocked and planar were even (0.20), so the
/// planar kernel keeps it. Not measured again on the Xeon.
const MAX_PIXELS_AVX512: usize = 3136;
/// The same bound on AVX2 (its fill was always 8×8 transposes), where the planar kernel's
/// per-row work costs more. Zen 2, one thread,
/// EfficientNet-Lite0's depthwise layers in the network (planar → blocked, ms): 7² 5×5 0.28 →
/// 0.16, 14² 5×5 0.33 → 0.26, 28² 5×5 stride 2 0.41 → 0.21, 56² from 112² stride 2 0.53 →
/// 0.42; at 112² (12544 pixels) the planar kernel won, 0.34 against 0.39.
const MAX_PIXELS_AVX2: usize = 4096;

/// Below this many output pixels the block's sums go back to their planes value by value: in
/// the network on the Zen 4 the transposes' partial stores to 16 planes lost there (14² 5×5
/// 0.158 against 0.202 ms, 7² 5×5 0.094 against 0.103), and won from 28² on (28² 5×5 0.183
/// against 0.246, 56² 0.27 against 0.45). Ending on an overlapping block instead of masked
/// stores did not change that (7² 0.090–0.098 against 0.081–0.084).
const TRANSPOSED_UNSTAGE_MIN_PIXELS: usize = 784;

/// Channels per block on `isa`: one vector of f32.
pub(crate) fn lanes(isa: Isa) -> usize {
    if isa == Isa::Avx512 { 16 } else { 8 }
}

/// Whether [`block`] applies to `g` on `isa` (which the CPU must support): one filter per
/// channel, small output planes, at least one full block of channels, a vector level.
pub(crate) fn applies(g: &ConvGeom, isa: Isa) -> bool {
    let max = match isa {
        Isa::Avx512 => MAX_PIXELS_AVX512,
        Isa::Avx2 => MAX_PIXELS_AVX2,
        Isa::Baseline => return false,
    };
    cfg!(target_arch = "x86_64") && g.cg == 1 && g.kg == 1 && g.k >= lanes(isa) && g.npix() <= max
}

/// Work buffers of one worker, reused block after block.
#[derive(Default)]
pub(crate) struct ScratchBlock {
    padded: Vec<f32>,
    weights: Vec<f32>,
    staged: Vec<f32>,
    /// Where each tap reads in `padded`, relative to its output's window corner.
    taps: Vec<usize>,
}

/// Output channels `c0..c0 + lanes(isa)` into `out` (their planes, `OH·OW` each).
///
/// # Panics
/// If [`applies`] is false for `g` and `isa`, or `x`, `w`, `out` do not hold the block's
/// channels.
#[allow(clippy::too_many_arguments)]
pub(crate) fn block(
    isa: Isa,
    x: &[f32],
    pre: Epilogue,
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    c0: usize,
    out: &mut [f32],
    s: &mut ScratchBlock,
) {
    assert!(applies(g, isa) && isa <= Isa::detect(), "channel-blocked depthwise on {g:?}");
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY: the CPU supports AVX-512F, asserted above.
        Isa::Avx512 => unsafe { block_avx512(x, pre, w, bias, epi, g, c0, out, s) },
        // SAFETY: the CPU supports AVX2 and FMA, asserted above.
        _ => unsafe { block_avx2(x, pre, w, bias, epi, g, c0, out, s) },
    }
}

/// The padded extent `(PH, PW)` the outputs read, and the padded rows and columns that hold
/// input; sizes `s.padded` to `PH·PW·lanes` (zeros written once per geometry: a scratch serves
/// one call, whose blocks share one, and the fills never overwrite the padding) and fills
/// `s.taps` with each tap's offset in it.
fn layout(g: &ConvGeom, lanes: usize, s: &mut ScratchBlock) -> (usize, Range<usize>, Range<usize>) {
    let ph = (g.oh - 1) * g.sh + (g.fh - 1) * g.dh + 1;
    let pw = (g.ow - 1) * g.sw + (g.fw - 1) * g.dw + 1;
    if s.padded.len() != ph * pw * lanes {
        s.padded.clear();
        s.padded.resize(ph * pw * lanes, 0.0);
        s.taps.clear();
        let tap_at = |(fy, fx): (usize, usize)| (fy * g.dh * pw + fx * g.dw) * lanes;
        s.taps.extend((0..g.fh).flat_map(|fy| (0..g.fw).map(move |fx| tap_at((fy, fx)))));
    }
    let rows = g.pads.top.min(ph)..(g.h + g.pads.top).min(ph);
    let cols = g.pads.left.min(pw)..(g.w + g.pads.left).min(pw);
    (pw, rows, cols)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn block_avx512(
    x: &[f32],
    pre: Epilogue,
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    c0: usize,
    out: &mut [f32],
    s: &mut ScratchBlock,
) {
    use std::arch::x86_64::*;
    const LANES: usize = 16;
    let (npix, hw) = (g.npix(), g.h * g.w);
    let (pw, rows, cols) = prepare(x, w, bias, g, c0, LANES, out, s);
    let pad = s.padded.as_mut_ptr();
    // SAFETY: input pixel `(iy, ix)` of block channel `l` is `base[l·HW + iy·W + ix]`, read
    // for `(iy, ix)` inside the input (its rows are `rows − top`, its columns `cols − left`;
    // the last vector of a row is masked to them); padded pixel `(py, px)` is written at
    // `(py·PW + px)·16 ..+16` with `py < PH`, `px < PW`.
    unsafe {
        let base = x.as_ptr().add(c0 * hw);
        for py in rows {
            let row = base.add((py - g.pads.top) * g.w);
            let mut px = cols.start;
            while px < cols.end {
                let n = LANES.min(cols.end - px);
                let m = super::isa::first16(n);
                let mut r = [_mm512_setzero_ps(); LANES];
                for (l, v) in r.iter_mut().enumerate() {
                    *v = _mm512_maskz_loadu_ps(m, row.add(l * hw + px - g.pads.left));
                }
                for (j, v) in transpose16(r).into_iter().enumerate().take(n) {
                    _mm512_storeu_ps(pad.add((py * pw + px + j) * LANES), pre.vector(v));
                }
                px += n;
            }
        }
    }
    let (wt, st) = (s.weights.as_ptr(), s.staged.as_mut_ptr());
    let b = match bias {
        // SAFETY: 16 values from `c0`, inside `b` (checked by `prepare`).
        Some(b) => unsafe { _mm512_loadu_ps(b.as_ptr().add(c0)) },
        None => _mm512_setzero_ps(),
    };
    let finish = |acc: __m512| epi.vector(_mm512_add_ps(acc, b));
    // Column stride 1 or 2, unit dilation, 3 or 5 taps wide: each filter row's input vectors
    // are loaded once for 8 pixels and reused across its taps (see `pixels_rows`).
    match (g.sw, g.dw, g.fw) {
        // SAFETY: as the generic loop below: every read is inside `padded` and `weights`, every
        // store inside `staged`.
        (1, 1, 3) => unsafe { rows_avx512::<3, 1>(g, pw, s, finish) },
        // SAFETY: as above.
        (1, 1, 5) => unsafe { rows_avx512::<5, 1>(g, pw, s, finish) },
        // SAFETY: as above.
        (2, 1, 3) => unsafe { rows_avx512::<3, 2>(g, pw, s, finish) },
        // SAFETY: as above.
        (2, 1, 5) => unsafe { rows_avx512::<5, 2>(g, pw, s, finish) },
        _ => {
            const PX: usize = 4;
            let tap_offsets = &s.taps[..];
            // SAFETY: pixel `(oy, ox)` reads `padded[((oy·S_h)·PW + ox·S_w)·16 + taps[t] ..+16]`,
            // whose row is at most `(OH−1)·S_h + (FH−1)·D_h < PH` and column at most
            // `(OW−1)·S_w + (FW−1)·D_w < PW`: inside `padded`. Weights are read at
            // `t·16 < taps·16`, staged values written at `(oy·OW + ox)·16 < npix·16`.
            unsafe {
                for oy in 0..g.oh {
                    let mut ox = 0;
                    while ox < g.ow {
                        let n = PX.min(g.ow - ox);
                        let corner = pad.add(((oy * g.sh) * pw + ox * g.sw) * LANES);
                        let step = g.sw * LANES;
                        let mut acc = [_mm512_setzero_ps(); PX];
                        match n {
                            4 => acc = pixels::<4>(corner, step, tap_offsets, wt),
                            3 => acc[..3].copy_from_slice(&pixels::<3>(
                                corner,
                                step,
                                tap_offsets,
                                wt,
                            )),
                            2 => acc[..2].copy_from_slice(&pixels::<2>(
                                corner,
                                step,
                                tap_offsets,
                                wt,
                            )),
                            _ => acc[..1].copy_from_slice(&pixels::<1>(
                                corner,
                                step,
                                tap_offsets,
                                wt,
                            )),
                        }
                        for (j, a) in acc.iter().enumerate().take(n) {
                            _mm512_storeu_ps(st.add((oy * g.ow + ox + j) * LANES), finish(*a));
                        }
                        ox += n;
                    }
                }
            }
        }
    }
    if npix >= TRANSPOSED_UNSTAGE_MIN_PIXELS {
        // SAFETY: the CPU supports AVX-512F, as this function requires.
        unsafe { unstage_avx512(out, &s.staged, npix) };
    } else {
        unstage(out, &s.staged, LANES, npix);
    }
}

/// The sums of every output pixel of a block for column stride `S`, unit column dilation and
/// a filter `F` taps wide, 8 pixels of a row at a time, finished by `finish` into `s.staged`.
///
/// # Safety
/// The CPU must support AVX-512F; `s` laid out for `g` by [`prepare`] with 16 lanes and `pw`
/// its padded width; `g.sw == S`, `g.dw == 1` and `g.fw == F`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn rows_avx512<const F: usize, const S: usize>(
    g: &ConvGeom,
    pw: usize,
    s: &mut ScratchBlock,
    finish: impl Fn(std::arch::x86_64::__m512) -> std::arch::x86_64::__m512,
) {
    use std::arch::x86_64::*;
    const LANES: usize = 16;
    debug_assert!(g.sw == S && g.dw == 1 && g.fw == F);
    let (pad, wt, st) = (s.padded.as_ptr(), s.weights.as_ptr(), s.staged.as_mut_ptr());
    let row_step = g.dh * pw * LANES;
    // SAFETY: pixel `(oy, ox + j)`, filter row `fy`, reads padded pixels `(oy·S_h + fy·D_h,
    // (ox + j)·S + fx)` for `fx < F`: row below `PH` and column at most `(OW − 1)·S + F − 1 <
    // PW`, as in the generic loop; weights at `(fy·F + fx)·16`, stores at `(oy·OW + ox + j)·16`.
    unsafe {
        for oy in 0..g.oh {
            let mut ox = 0;
            while ox < g.ow {
                let n = 8.min(g.ow - ox);
                let corner = pad.add(((oy * g.sh) * pw + ox * S) * LANES);
                let at = st.add((oy * g.ow + ox) * LANES);
                macro_rules! run {
                    ($($n:literal),*) => {
                        match n {
                            $($n => {
                                let acc = pixels_rows::<$n, F, S>(corner, row_step, g.fh, wt);
                                for (j, a) in acc.iter().enumerate() {
                                    _mm512_storeu_ps(at.add(j * LANES), finish(*a));
                                }
                            })*
                            _ => unreachable!("{n} pixels"),
                        }
                    };
                }
                run!(1, 2, 3, 4, 5, 6, 7, 8);
                ox += n;
            }
        }
    }
}

/// [`pixels`] for `N ≤ 8` consecutive pixels, column stride `S ≤ 2`, unit column dilation,
/// `F ≤ 5` taps a filter row: each filter row's `(N − 1)·S + F` input vectors are loaded once
/// and each of its weights once, where [`pixels`] loads an input vector per tap and pixel. The
/// sums run over the taps in the same `(fy, fx)` order, so the results are the same.
///
/// # Safety
/// The CPU must support AVX-512F; `corner + fy·row_step + (j·S + fx)·16` must have 16 readable
/// values for `fy < fh`, `j < N`, `fx < F`, and `wt` `16·fh·F`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn pixels_rows<const N: usize, const F: usize, const S: usize>(
    corner: *const f32,
    row_step: usize,
    fh: usize,
    wt: *const f32,
) -> [std::arch::x86_64::__m512; N] {
    use std::arch::x86_64::*;
    const { assert!(N <= 8 && F <= 5 && S <= 2) };
    let mut acc = [_mm512_setzero_ps(); N];
    // SAFETY: as the caller vouches.
    unsafe {
        for fy in 0..fh {
            let p = corner.add(fy * row_step);
            // At most 7·2 + 5 = 19 vectors, with the 8 sums and a weight inside 32 registers.
            let mut row = [_mm512_setzero_ps(); 19];
            for (i, r) in row.iter_mut().enumerate().take((N - 1) * S + F) {
                *r = _mm512_loadu_ps(p.add(i * 16));
            }
            for fx in 0..F {
                let wv = _mm512_loadu_ps(wt.add((fy * F + fx) * 16));
                for (j, a) in acc.iter_mut().enumerate() {
                    *a = _mm512_fmadd_ps(wv, row[j * S + fx], *a);
                }
            }
        }
    }
    acc
}

/// Checks that `x`, `w`, `bias` and `out` hold the block `c0..c0 + lanes`, lays out
/// `s.padded` (see [`layout`]), transposes the block's weights into `s.weights`
/// (`(taps, lanes)`) and sizes `s.staged` (`(npix, lanes)`).
#[allow(clippy::too_many_arguments)]
fn prepare(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    c0: usize,
    lanes: usize,
    out: &[f32],
    s: &mut ScratchBlock,
) -> (usize, Range<usize>, Range<usize>) {
    let (npix, hw, taps) = (g.npix(), g.h * g.w, g.fh * g.fw);
    assert_eq!(out.len(), lanes * npix, "a block writes one plane per lane");
    assert!((c0 + lanes) * hw <= x.len(), "the block's input channels");
    assert!((c0 + lanes) * taps <= w.len(), "the block's filters");
    assert!(bias.is_none_or(|b| c0 + lanes <= b.len()), "the block's biases");
    let l = layout(g, lanes, s);
    s.weights.clear();
    s.weights.resize(taps * lanes, 0.0);
    for (l, filter) in w[c0 * taps..(c0 + lanes) * taps].chunks_exact(taps).enumerate() {
        for (dst, &v) in s.weights.chunks_exact_mut(lanes).zip(filter) {
            dst[l] = v;
        }
    }
    s.staged.resize(npix * lanes, 0.0);
    l
}

/// The staged `(npix, lanes)` sums back into `lanes` output planes, value by value.
fn unstage(out: &mut [f32], staged: &[f32], lanes: usize, npix: usize) {
    for (l, plane) in out.chunks_exact_mut(npix).enumerate() {
        for (v, px) in plane.iter_mut().zip(staged.chunks_exact(lanes)) {
            *v = px[l];
        }
    }
}
/// The staged `(npix, 16)` sums back into 16 output planes: 16×16 transposes of 16 pixels'
/// sums, the last block overlapping the one before it (writing its values again) rather than
/// storing a masked part.
///
/// # Safety
/// The CPU must support AVX-512F.
///
/// # Panics
/// If `staged` or `out` is not `16·npix` values, or `npix < 16`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn unstage_avx512(out: &mut [f32], staged: &[f32], npix: usize) {
    use std::arch::x86_64::*;
    const LANES: usize = 16;
    assert!(out.len() == LANES * npix && staged.len() == LANES * npix, "16 planes");
    assert!(npix >= LANES, "whole blocks of 16 pixels");
    let (st, o) = (staged.as_ptr(), out.as_mut_ptr());
    let mut p = 0;
    // SAFETY: staged pixel `start + j` is `staged[(start + j)·16 ..+16]`, `start + j < npix`;
    // output plane `l` is `out[l·npix..(l + 1)·npix]`, written at `start..start + 16 ≤ npix`.
    unsafe {
        while p < npix {
            let start = p.min(npix - LANES);
            let mut r = [_mm512_setzero_ps(); LANES];
            for (j, v) in r.iter_mut().enumerate() {
                *v = _mm512_loadu_ps(st.add((start + j) * LANES));
            }
            for (l, v) in transpose16(r).into_iter().enumerate() {
                _mm512_storeu_ps(o.add(l * npix + start), v);
            }
            p = start + LANES;
        }
    }
}

/// The 16×16 transpose: lane `i` of output `j` is lane `j` of input `i`.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn transpose16(r: [std::arch::x86_64::__m512; 16]) -> [std::arch::x86_64::__m512; 16] {
    use std::arch::x86_64::*;
    // Pairs of rows interleaved, then pairs of pairs: in each 128-bit lane `q`, `u[4a + b]`
    // holds column `4q + b` of rows `4a..4a + 4`.
    let mut t = [_mm512_setzero_ps(); 16];
    for i in 0..8 {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    let mut u = [_mm512_setzero_ps(); 16];
    for a in 0..4 {
        let (lo, hi) = (t[4 * a], t[4 * a + 1]);
        let (lo2, hi2) = (t[4 * a + 2], t[4 * a + 3]);
        u[4 * a] = _mm512_shuffle_ps::<0x44>(lo, lo2);
        u[4 * a + 1] = _mm512_shuffle_ps::<0xEE>(lo, lo2);
        u[4 * a + 2] = _mm512_shuffle_ps::<0x44>(hi, hi2);
        u[4 * a + 3] = _mm512_shuffle_ps::<0xEE>(hi, hi2);
    }
    // Then the 128-bit lanes: even and odd lanes of row groups (0, 1) and (2, 3), then of
    // those.
    let mut v = [_mm512_setzero_ps(); 16];
    for b in 0..4 {
        v[b] = _mm512_shuffle_f32x4::<0x88>(u[b], u[4 + b]);
        v[4 + b] = _mm512_shuffle_f32x4::<0xDD>(u[b], u[4 + b]);
        v[8 + b] = _mm512_shuffle_f32x4::<0x88>(u[8 + b], u[12 + b]);
        v[12 + b] = _mm512_shuffle_f32x4::<0xDD>(u[8 + b], u[12 + b]);
    }
    let mut out = [_mm512_setzero_ps(); 16];
    for b in 0..8 {
        out[b] = _mm512_shuffle_f32x4::<0x88>(v[b], v[8 + b]);
        out[8 + b] = _mm512_shuffle_f32x4::<0xDD>(v[b], v[8 + b]);
    }
    out
}

/// [`block_avx512`] on AVX2: 8 channels per vector. AVX2's gather is slow on AMD, so the
/// padded input is filled by 8×8 transposes of the input's own rows (8 pixels of 8 channels),
/// activated on the way, and the output planes by transposes of the staged sums.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn block_avx2(
    x: &[f32],
    pre: Epilogue,
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    c0: usize,
    out: &mut [f32],
    s: &mut ScratchBlock,
) {
    use std::arch::x86_64::*;
    const LANES: usize = 8;
    const PX: usize = 8;
    let (npix, hw) = (g.npix(), g.h * g.w);
    let (pw, rows, cols) = prepare(x, w, bias, g, c0, LANES, out, s);
    let (top, left) = (g.pads.top, g.pads.left);
    let base = x[c0 * hw..(c0 + LANES) * hw].as_ptr();
    let padded = s.padded.as_mut_ptr();
    // SAFETY: input pixel `(iy, ix)` of block channel `l` is `base[l·HW + iy·W + ix]`, read
    // for `(iy, ix)` inside the input (its rows are `rows − top`, its columns `cols − left`);
    // padded pixel `(py, px)` is written at `(py·PW + px)·8 ..+8` with `py < PH`, `px < PW`.
    unsafe {
        for py in rows {
            let row = base.add((py - top) * g.w);
            let mut px = cols.start;
            while px + 8 <= cols.end {
                let mut r = [_mm256_setzero_ps(); 8];
                for (l, v) in r.iter_mut().enumerate() {
                    *v = _mm256_loadu_ps(row.add(l * hw + px - left));
                }
                for (j, v) in transpose8(r).into_iter().enumerate() {
                    _mm256_storeu_ps(padded.add((py * pw + px + j) * LANES), pre.vector256(v));
                }
                px += 8;
            }
            for px in px..cols.end {
                for l in 0..LANES {
                    let v = pre.apply(*row.add(l * hw + px - left));
                    *padded.add((py * pw + px) * LANES + l) = v;
                }
            }
        }
    }
    let b = match bias {
        // SAFETY: 8 values from `c0`, inside `b` (checked by `prepare`).
        Some(b) => unsafe { _mm256_loadu_ps(b.as_ptr().add(c0)) },
        None => _mm256_setzero_ps(),
    };
    let (pad, wt, st) = (s.padded.as_ptr(), s.weights.as_ptr(), s.staged.as_mut_ptr());
    let tap_offsets = &s.taps[..];
    // SAFETY: as in `block_avx512`, with 8 lanes: every read is inside `padded` and
    // `weights`, every store inside `staged`.
    unsafe {
        for oy in 0..g.oh {
            let mut ox = 0;
            while ox < g.ow {
                let n = PX.min(g.ow - ox);
                let corner = pad.add(((oy * g.sh) * pw + ox * g.sw) * LANES);
                let at = st.add((oy * g.ow + ox) * LANES);
                let step = g.sw * LANES;
                macro_rules! run {
                    ($($n:literal),*) => {
                        match n {
                            $($n => pixels_avx2::<$n>(corner, step, tap_offsets, wt, b, epi, at),)*
                            _ => unreachable!("{n} pixels"),
                        }
                    };
                }
                run!(1, 2, 3, 4, 5, 6, 7, 8);
                ox += n;
            }
        }
    }
    // SAFETY: staged pixel `p` is `staged[p·8..p·8 + 8]`, `p < npix`; output plane `l` is
    // `out[l·npix..(l + 1)·npix]` (the sizes checked by `prepare`).
    unsafe {
        let (st, o) = (s.staged.as_ptr(), out.as_mut_ptr());
        let mut p = 0;
        while p + 8 <= npix {
            let mut r = [_mm256_setzero_ps(); 8];
            for (j, v) in r.iter_mut().enumerate() {
                *v = _mm256_loadu_ps(st.add((p + j) * LANES));
            }
            for (l, v) in transpose8(r).into_iter().enumerate() {
                _mm256_storeu_ps(o.add(l * npix + p), v);
            }
            p += 8;
        }
        for p in p..npix {
            for l in 0..LANES {
                *o.add(l * npix + p) = *st.add(p * LANES + l);
            }
        }
    }
}

/// The 8×8 transpose: lane `i` of output `j` is lane `j` of input `i`.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn transpose8(r: [std::arch::x86_64::__m256; 8]) -> [std::arch::x86_64::__m256; 8] {
    use std::arch::x86_64::*;
    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
    // Lanes 0–3 of each half: columns 0, 1, 2, 3 (low half) and 4, 5, 6, 7 (high half) of
    // rows 0–3, then of rows 4–7.
    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    [
        _mm256_permute2f128_ps::<0x20>(u0, u4),
        _mm256_permute2f128_ps::<0x20>(u1, u5),
        _mm256_permute2f128_ps::<0x20>(u2, u6),
        _mm256_permute2f128_ps::<0x20>(u3, u7),
        _mm256_permute2f128_ps::<0x31>(u0, u4),
        _mm256_permute2f128_ps::<0x31>(u1, u5),
        _mm256_permute2f128_ps::<0x31>(u2, u6),
        _mm256_permute2f128_ps::<0x31>(u3, u7),
    ]
}

/// [`pixels`] on AVX2, finished (bias `b`, then `epi`) and stored at `st`, 8 values apart.
///
/// # Safety
/// The CPU must support AVX2 and FMA; every `corner + j·step + tap` (`j < N`) must have 8
/// readable values, `wt` `8·taps.len()`, and `st` room for `8·N`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn pixels_avx2<const N: usize>(
    corner: *const f32,
    step: usize,
    taps: &[usize],
    wt: *const f32,
    b: std::arch::x86_64::__m256,
    epi: Epilogue,
    st: *mut f32,
) {
    use std::arch::x86_64::*;
    let mut acc = [_mm256_setzero_ps(); N];
    // SAFETY: as the caller vouches.
    unsafe {
        for (t, &at) in taps.iter().enumerate() {
            let wv = _mm256_loadu_ps(wt.add(t * 8));
            let p = corner.add(at);
            for (j, a) in acc.iter_mut().enumerate() {
                *a = _mm256_fmadd_ps(wv, _mm256_loadu_ps(p.add(j * step)), *a);
            }
        }
        for (j, a) in acc.iter().enumerate() {
            _mm256_storeu_ps(st.add(j * 8), epi.vector256(_mm256_add_ps(*a, b)));
        }
    }
}

/// The sums of `N` consecutive output pixels of one row (window corners `step` apart from
/// `corner`), over every tap.
///
/// # Safety
/// The CPU must support AVX-512F; every `corner + j·step + tap` (`j < N`) must have 16 readable
/// values, and `wt` `16·taps.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn pixels<const N: usize>(
    corner: *const f32,
    step: usize,
    taps: &[usize],
    wt: *const f32,
) -> [std::arch::x86_64::__m512; N] {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_setzero_ps(); N];
    // SAFETY: as the caller vouches.
    unsafe {
        for (t, &at) in taps.iter().enumerate() {
            let wv = _mm512_loadu_ps(wt.add(t * 16));
            let p = corner.add(at);
            for (j, a) in acc.iter_mut().enumerate() {
                *a = _mm512_fmadd_ps(wv, _mm512_loadu_ps(p.add(j * step)), *a);
            }
        }
    }
    acc
}
