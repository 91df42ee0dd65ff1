//! Depthwise conv on small planes, 16 channels at a time: one AVX-512 vector holds one pixel of
//! 16 channels, so every multiply-add is a full vector however small the plane (a 7×7 plane is
//! 49 values: in the planar kernel its rows of 7 fill vectors poorly and the per-row work
//! dominates).
//!
//! For a block of 16 channels (`Kg == 1`, so output channel `c` reads input channel `c`): the
//! padded input is gathered into `(PH, PW, 16)`, the transposed weights are `(taps, 16)`, each
//! output pixel is `Σ_taps w[tap] · padded[pixel + offset(tap)]` summed in the same tap order
//! as the planar kernel, and the results are written back to the 16 output planes.

use super::epilogue::Epilogue;
use super::geometry::ConvGeom;

/// Channels per block: one AVX-512 vector of f32.
pub(crate) const LANES: usize = 16;
/// Planes of at most this many output pixels are computed channel-blocked (7×7 wins by 1.5–1.7×;
/// at 14×14 the planar kernel is as fast, at 28×28 faster: the gather of each input pixel then
/// costs more than the full vectors save).
const MAX_PIXELS: usize = 64;

/// Whether [`block`] applies to `g`: one filter per channel, small output planes, at least one
/// full block of channels, and an AVX-512 CPU.
pub(crate) fn applies(g: &ConvGeom) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        // The gather's byte offsets, `15·H·W·4`, must fit an i32.
        g.cg == 1
            && g.kg == 1
            && g.k >= LANES
            && g.npix() <= MAX_PIXELS
            && LANES * g.h * g.w * 4 < i32::MAX as usize
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
}

/// Output channels `c0..c0 + 16` into `out` (their 16 planes, `OH·OW` each).
///
/// # Panics
/// If [`applies`] is false for `g`, or `x`, `w`, `out` do not hold the block's channels.
#[allow(clippy::too_many_arguments)]
pub(crate) fn block(
    x: &[f32],
    pre: Epilogue,
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
        block_avx512(x, pre, w, bias, epi, g, c0, out, s)
    }
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
    s: &mut Scratch16,
) {
    use std::arch::x86_64::*;
    let (npix, hw, taps) = (g.npix(), g.h * g.w, g.fh * g.fw);
    assert_eq!(out.len(), LANES * npix, "a block writes 16 planes");
    assert!((c0 + LANES) * hw <= x.len(), "the block's input channels");
    assert!((c0 + LANES) * taps <= w.len(), "the block's filters");
    // The padded extent the outputs read.
    let ph = (g.oh - 1) * g.sh + (g.fh - 1) * g.dh + 1;
    let pw = (g.ow - 1) * g.sw + (g.fw - 1) * g.dw + 1;
    // A scratch serves one call, whose blocks share one geometry: the padding's zeros are
    // written once, when the buffer is sized, and never overwritten by the gathers below.
    if s.padded.len() != ph * pw * LANES {
        s.padded.clear();
        s.padded.resize(ph * pw * LANES, 0.0);
        s.taps.clear();
        let tap_at = |(fy, fx): (usize, usize)| (fy * g.dh * pw + fx * g.dw) * LANES;
        s.taps.extend((0..g.fh).flat_map(|fy| (0..g.fw).map(move |fx| tap_at((fy, fx)))));
    }
    s.weights.clear();
    s.weights.extend((0..taps * LANES).map(|i| w[(c0 + i % LANES) * taps + i / LANES]));
    s.staged.resize(npix * LANES, 0.0);
    let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let offsets = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(hw as i32));
    let (pad, wt, st) = (s.padded.as_mut_ptr(), s.weights.as_ptr(), s.staged.as_mut_ptr());
    // Padded rows/columns that hold input: `p − pad` inside the input.
    let rows = g.pads.top.min(ph)..(g.h + g.pads.top).min(ph);
    let cols = g.pads.left.min(pw)..(g.w + g.pads.left).min(pw);
    // SAFETY: gathers read `x[(c0 + l)·HW + iy·W + ix]` for `l < 16` and `(iy, ix)` inside the
    // input, within `x` by the assert above; stores to `padded` are at `(py·PW + px)·16` with
    // `py < PH`, `px < PW`, inside its `PH·PW·16` values.
    unsafe {
        let base = x.as_ptr().add(c0 * hw);
        for py in rows {
            let iy = py - g.pads.top;
            for px in cols.clone() {
                let ix = px - g.pads.left;
                let v = _mm512_i32gather_ps::<4>(offsets, base.add(iy * g.w + ix).cast());
                _mm512_storeu_ps(pad.add((py * pw + px) * LANES), pre.vector(v));
            }
        }
    }
    let b = match bias {
        Some(b) => {
            assert!(c0 + LANES <= b.len(), "the block's biases");
            // SAFETY: 16 values from `c0`, inside `b` by the assert.
            unsafe { _mm512_loadu_ps(b.as_ptr().add(c0)) }
        }
        None => _mm512_setzero_ps(),
    };
    let finish = |acc: __m512| epi.vector(_mm512_add_ps(acc, b));
    const PX: usize = 4;
    let tap_offsets = &s.taps[..];
    // SAFETY: pixel `(oy, ox)` reads `padded[((oy·S_h)·PW + ox·S_w)·16 + taps[t] ..+16]`,
    // whose row is at most `(OH−1)·S_h + (FH−1)·D_h < PH` and column at most
    // `(OW−1)·S_w + (FW−1)·D_w < PW`: inside `padded`. Weights are read at `t·16 < taps·16`,
    // staged values written at `(oy·OW + ox)·16 < npix·16`.
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
                    3 => acc[..3].copy_from_slice(&pixels::<3>(corner, step, tap_offsets, wt)),
                    2 => acc[..2].copy_from_slice(&pixels::<2>(corner, step, tap_offsets, wt)),
                    _ => acc[..1].copy_from_slice(&pixels::<1>(corner, step, tap_offsets, wt)),
                }
                for (j, a) in acc.iter().enumerate().take(n) {
                    _mm512_storeu_ps(st.add((oy * g.ow + ox + j) * LANES), finish(*a));
                }
                ox += n;
            }
        }
    }
    for (l, plane) in out.chunks_exact_mut(npix).enumerate() {
        for (p, v) in plane.iter_mut().enumerate() {
            *v = s.staged[p * LANES + l];
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
            let wv = _mm512_loadu_ps(wt.add(t * LANES));
            let p = corner.add(at);
            for (j, a) in acc.iter_mut().enumerate() {
                *a = _mm512_fmadd_ps(wv, _mm512_loadu_ps(p.add(j * step)), *a);
            }
        }
    }
    acc
}
