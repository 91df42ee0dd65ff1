//! Depthwise conv 16 channels at a time: one AVX-512 vector holds one pixel of 16 channels, so
//! every multiply-add is a full vector whatever the plane's width (the planar kernel pays per
//! row: its rows of 7, 14 or 56 values fill vectors poorly, and copying and finishing each row
//! costs about as much as its arithmetic).
//!
//! For a block of 16 channels (`Kg == 1`, so output channel `c` reads input channel `c`), strip
//! by strip of output rows (so the strip's input and results stay in L2):
//! 1. the strip's padded input rows are transposed into `(rows, PW, 16)`, 16×16 tiles at a time
//!    in registers, with zeros for the padding;
//! 2. each output pixel is `Σ_taps w[tap] · padded[pixel + offset(tap)]` on the transposed
//!    weights `(taps, 16)`, in the same tap order as the planar kernel, eight pixels at a time
//!    (eight independent sums keep the multiply-add units busy), then bias and activation;
//! 3. the results, `(pixels, 16)`, are transposed back into the 16 output planes.

use super::epilogue::Epilogue;
use super::geometry::ConvGeom;

/// Channels per block: one AVX-512 vector of f32.
pub(crate) const LANES: usize = 16;
/// A strip's transposed input aims at this many bytes (with its results, well inside L2).
const STRIP_BYTES: usize = 96 << 10;

/// Below this many output pixels per plane, or at any stride above 1, the blocked kernel beats
/// the planar one; above it at unit stride the planar kernel's long rows fill its vectors and it
/// wins (measured one thread: 56²×144 3×3 planar 0.25 ms, blocked 0.29 ms; 112²×32 0.15 against
/// 0.25; 14²×672 5×5 0.21 against 0.15; 112²×96 stride 2 0.54 against 0.28).
const BLOCKED_MAX_UNIT_STRIDE_PIXELS: usize = 48 * 48;

/// Whether [`block`] applies to `g`: one filter per channel, at least one full block of
/// channels, an AVX-512 CPU, and a plane where blocking pays
/// ([`BLOCKED_MAX_UNIT_STRIDE_PIXELS`]).
pub(crate) fn applies(g: &ConvGeom) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let pays = g.sh > 1 || g.sw > 1 || g.npix() <= BLOCKED_MAX_UNIT_STRIDE_PIXELS;
        g.cg == 1
            && g.kg == 1
            && g.k >= LANES
            && pays
            && std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = g;
        false
    }
}

/// Work buffers of one worker, reused block after block.
#[derive(Default)]
pub(crate) struct Scratch16 {
    padded: Vec<f32>,
    weights: Vec<f32>,
    staged: Vec<f32>,
    /// Where each tap reads in `padded`, relative to its output's window corner.
    taps: Vec<usize>,
    /// Where each output pixel of a strip has its window corner in `padded`.
    corners: Vec<usize>,
}

/// Output channels `c0..c0 + 16` into `out` (their 16 planes, `OH·OW` each).
///
/// # Panics
/// If [`applies`] is false for `g`, or `x`, `w`, `out` do not hold the block's channels.
#[allow(clippy::too_many_arguments)]
pub(crate) fn block(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    c0: usize,
    out: &mut [f32],
    s: &mut Scratch16,
) {
    assert!(applies(g), "channel-blocked depthwise on {g:?}");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `applies` checked that the CPU supports AVX-512F.
    unsafe {
        block_avx512(x, w, bias, epi, g, c0, out, s)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn block_avx512(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    c0: usize,
    out: &mut [f32],
    s: &mut Scratch16,
) {
    use std::arch::x86_64::*;
    let (npix, hw, taps) = (g.npix(), g.h * g.w, g.fh * g.fw);
    assert_eq!(out.len(), LANES * npix, "a block writes 16 planes");
    assert!((c0 + LANES) * hw <= x.len(), "the block's input channels");
    assert!((c0 + LANES) * taps <= w.len(), "the block's filters");
    if npix == 0 {
        return;
    }
    // The padded extent the outputs read: columns `0..PW` of padded rows.
    let pw = (g.ow - 1) * g.sw + (g.fw - 1) * g.dw + 1;
    // Output rows per strip: its input rows (`strip·S_h` plus the window's reach) near
    // `STRIP_BYTES`.
    let row_bytes = pw * LANES * size_of::<f32>();
    let strip = (STRIP_BYTES / (row_bytes * g.sh).max(1)).clamp(1, g.oh);
    let reach = (g.fh - 1) * g.dh + 1;
    s.taps.clear();
    let tap_at = |(fy, fx): (usize, usize)| (fy * g.dh * pw + fx * g.dw) * LANES;
    s.taps.extend((0..g.fh).flat_map(|fy| (0..g.fw).map(move |fx| tap_at((fy, fx)))));
    s.weights.clear();
    s.weights.extend((0..taps * LANES).map(|i| w[(c0 + i % LANES) * taps + i / LANES]));
    let b = match bias {
        Some(b) => {
            assert!(c0 + LANES <= b.len(), "the block's biases");
            // SAFETY: 16 values from `c0`, inside `b` by the assert.
            unsafe { _mm512_loadu_ps(b.as_ptr().add(c0)) }
        }
        None => _mm512_setzero_ps(),
    };
    let finish = |acc: __m512| {
        let v = _mm512_add_ps(acc, b);
        match epi {
            Epilogue::None => v,
            // `max(v, lo)` returns `lo` for a NaN `v`, as `f32::max` does.
            Epilogue::Relu => _mm512_max_ps(v, _mm512_setzero_ps()),
            Epilogue::Clip(lo, hi) => {
                _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(lo)), _mm512_set1_ps(hi))
            }
        }
    };
    // Input columns that land inside the padded extent: `ix < PW − left`.
    let (left, top) = (g.pads.left, g.pads.top);
    let in_cols = g.w.min(pw.saturating_sub(left));
    let base = x.as_ptr().wrapping_add(c0 * hw);
    // Sized once for the largest strip: shrinking and regrowing would zero-fill each time.
    let max_rows = (strip - 1) * g.sh + reach;
    if s.padded.len() < max_rows * pw * LANES {
        s.padded.resize(max_rows * pw * LANES, 0.0);
    }
    if s.staged.len() < strip * g.ow * LANES {
        s.staged.resize(strip * g.ow * LANES, 0.0);
    }
    for oy0 in (0..g.oh).step_by(strip) {
        let oy1 = (oy0 + strip).min(g.oh);
        let py0 = oy0 * g.sh;
        let prows = (oy1 - 1 - oy0) * g.sh + reach;
        let pad = s.padded.as_mut_ptr();
        for r in 0..prows {
            let py = py0 + r;
            let row = &mut s.padded[r * pw * LANES..(r + 1) * pw * LANES];
            if py < top || py - top >= g.h || in_cols == 0 {
                row.fill(0.0);
                continue;
            }
            row[..left.min(pw) * LANES].fill(0.0);
            row[(left + in_cols) * LANES..].fill(0.0);
            let iy = py - top;
            let mut ix0 = 0;
            while ix0 < in_cols {
                let m = LANES.min(in_cols - ix0);
                // SAFETY: loads read `x[(c0 + l)·HW + iy·W + ix0 ..+m]`, inside the block's
                // input channels (asserted above) since `ix0 + m ≤ in_cols ≤ W`; stores write
                // padded pixels `left + ix0 + j < left + in_cols ≤ PW` of row `r < prows`.
                unsafe {
                    let mask = lanes_mask(m);
                    let mut t = [_mm512_setzero_ps(); LANES];
                    for (l, v) in t.iter_mut().enumerate() {
                        let src = base.add(l * hw + iy * g.w + ix0);
                        *v = _mm512_maskz_loadu_ps(mask, src);
                    }
                    transpose16(&mut t);
                    for (j, v) in t.iter().enumerate().take(m) {
                        _mm512_storeu_ps(pad.add((r * pw + left + ix0 + j) * LANES), *v);
                    }
                }
                ix0 += m;
            }
        }
        let n = (oy1 - oy0) * g.ow;
        s.corners.clear();
        for oy in oy0..oy1 {
            let row = (oy * g.sh - py0) * pw;
            s.corners.extend((0..g.ow).map(|ox| (row + ox * g.sw) * LANES));
        }
        let (pad, wt, st) = (s.padded.as_ptr(), s.weights.as_ptr(), s.staged.as_mut_ptr());
        let tap_offsets = &s.taps[..];
        // SAFETY: pixel `(oy, ox)` reads `padded[((oy·S_h − py0)·PW + ox·S_w)·16 + taps[t] ..+16]`,
        // whose row is at most `(oy1−1−oy0)·S_h + (FH−1)·D_h < prows` and column at most
        // `(OW−1)·S_w + (FW−1)·D_w < PW`: inside `padded`. Weights are read at `t·16 < taps·16`,
        // staged values written at `((oy − oy0)·OW + ox)·16 < n·16`.
        unsafe {
            // The strip's pixels in order, eight at a time across row ends: eight independent
            // sums whatever the width (a 7-wide row would otherwise end in one lone sum).
            let corners = &s.corners[..];
            let mut p = 0;
            while p < n {
                let m = 8.min(n - p);
                let at: [*const f32; 8] =
                    std::array::from_fn(|j| pad.add(corners[p + j.min(m - 1)]));
                let acc = pixels::<8>(&at, tap_offsets, wt);
                for (j, a) in acc.iter().enumerate().take(m) {
                    _mm512_storeu_ps(st.add((p + j) * LANES), finish(*a));
                }
                p += m;
            }
        }
        // The strip's pixels `oy0·OW ..` of each plane, 16 at a time.
        let p_base = oy0 * g.ow;
        let (st, o) = (s.staged.as_ptr(), out.as_mut_ptr());
        let mut p0 = 0;
        while p0 < n {
            let m = LANES.min(n - p0);
            // SAFETY: loads read staged pixels `p0 + j < n`; stores write plane `l`'s values
            // `p_base + p0 ..+m ≤ p_base + n ≤ npix`, inside the block's 16 planes of `out`.
            unsafe {
                let mut t = [_mm512_setzero_ps(); LANES];
                for (j, v) in t.iter_mut().enumerate().take(m) {
                    *v = _mm512_loadu_ps(st.add((p0 + j) * LANES));
                }
                transpose16(&mut t);
                let mask = lanes_mask(m);
                for (l, v) in t.iter().enumerate() {
                    _mm512_mask_storeu_ps(o.add(l * npix + p_base + p0), mask, *v);
                }
            }
            p0 += m;
        }
    }
}

/// The mask of the first `m ≤ 16` lanes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lanes_mask(m: usize) -> u16 {
    if m >= LANES { u16::MAX } else { (1u16 << m) - 1 }
}

/// Transpose the 16×16 matrix whose rows are `r` in place: afterwards `r[j]` lane `i` is what
/// `r[i]` lane `j` was. Three rounds of shuffles: 32-bit pairs, 64-bit pairs, 128-bit lanes.
///
/// # Safety
/// The CPU must support AVX-512F. (Not a `target_feature` function, so that it can be inlined
/// into [`block_avx512`]: out of line, its sixteen-vector arrays go through memory.)
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn transpose16(r: &mut [std::arch::x86_64::__m512; LANES]) {
    // SAFETY: the caller vouches for AVX-512F; the shuffles only move register lanes.
    unsafe {
        use std::arch::x86_64::*;
        let mut t = [_mm512_setzero_ps(); LANES];
        for p in 0..8 {
            t[2 * p] = _mm512_unpacklo_ps(r[2 * p], r[2 * p + 1]);
            t[2 * p + 1] = _mm512_unpackhi_ps(r[2 * p], r[2 * p + 1]);
        }
        // u[4q + c]: column `4L + c` of rows `4q..4q + 4`, in each 128-bit lane L.
        let mut u = [_mm512_setzero_ps(); LANES];
        let (lo, hi) = (
            |a: __m512, b: __m512| {
                _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)))
            },
            |a: __m512, b: __m512| {
                _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)))
            },
        );
        for q in 0..4 {
            u[4 * q] = lo(t[4 * q], t[4 * q + 2]);
            u[4 * q + 1] = hi(t[4 * q], t[4 * q + 2]);
            u[4 * q + 2] = lo(t[4 * q + 1], t[4 * q + 3]);
            u[4 * q + 3] = hi(t[4 * q + 1], t[4 * q + 3]);
        }
        for c in 0..4 {
            let a = _mm512_shuffle_f32x4::<0x88>(u[c], u[4 + c]);
            let b = _mm512_shuffle_f32x4::<0x88>(u[8 + c], u[12 + c]);
            r[c] = _mm512_shuffle_f32x4::<0x88>(a, b);
            r[c + 8] = _mm512_shuffle_f32x4::<0xdd>(a, b);
            let a = _mm512_shuffle_f32x4::<0xdd>(u[c], u[4 + c]);
            let b = _mm512_shuffle_f32x4::<0xdd>(u[8 + c], u[12 + c]);
            r[c + 4] = _mm512_shuffle_f32x4::<0x88>(a, b);
            r[c + 12] = _mm512_shuffle_f32x4::<0xdd>(a, b);
        }
    }
}

/// The sums of `N` output pixels whose window corners are `corners`, over every tap.
///
/// # Safety
/// The CPU must support AVX-512F; every `corners[j] + tap` must have 16 readable values, and
/// `wt` `16·taps.len()`. Inlined into [`block_avx512`], as [`transpose16`] is.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn pixels<const N: usize>(
    corners: &[*const f32; N],
    taps: &[usize],
    wt: *const f32,
) -> [std::arch::x86_64::__m512; N] {
    use std::arch::x86_64::*;
    // SAFETY: as the caller vouches.
    unsafe {
        let mut acc = [_mm512_setzero_ps(); N];
        for (t, &at) in taps.iter().enumerate() {
            let wv = _mm512_loadu_ps(wt.add(t * LANES));
            for (a, c) in acc.iter_mut().zip(corners) {
                *a = _mm512_fmadd_ps(wv, _mm512_loadu_ps(c.add(at)), *a);
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The in-register transpose against the definition.
    #[test]
    fn transpose16_transposes() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            use std::arch::x86_64::*;
            let m: Vec<f32> = (0..256).map(|i| i as f32).collect();
            let mut got = [0.0f32; 256];
            // SAFETY: the CPU supports AVX-512F (checked above); loads and stores stay
            // inside the 256-value arrays.
            unsafe {
                let mut r = [_mm512_setzero_ps(); LANES];
                for (i, v) in r.iter_mut().enumerate() {
                    *v = _mm512_loadu_ps(m.as_ptr().add(i * LANES));
                }
                transpose16(&mut r);
                for (i, v) in r.iter().enumerate() {
                    _mm512_storeu_ps(got.as_mut_ptr().add(i * LANES), *v);
                }
            }
            for i in 0..16 {
                for j in 0..16 {
                    assert_eq!(got[j * 16 + i], m[i * 16 + j], "({i}, {j})");
                }
            }
        }
    }
}
