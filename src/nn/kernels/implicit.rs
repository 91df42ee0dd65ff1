//! Implicit GEMM: the conv as a GEMM whose right operand (im2col's `cols`) is never built.
//!
//! The input is copied once into zero-padded planes, split by `(row mod S_h, column mod S_w)`
//! ("phases"), so that every tap of a strided conv reads unit-stride rows of one phase. Output
//! pixels are then numbered on a grid as wide as a phase row (`pitch ≥ OW`): grid pixel
//! `q = oy·pitch + ox` of tap `(fy, fx)` and channel `c` reads phase value `offset(c, fy, fx) + q`.
//! Every row of `cols` is therefore a shifted view of the phase planes, and a tile of 64
//! consecutive grid pixels × 6 filters is one AVX-512 microkernel whose `k` loop loads four
//! vectors at `offset[k] + q0` and broadcasts six packed weights (on AVX2, 16 pixels × 6
//! filters: two vectors of 8). Grid columns `ox ≥ OW` are
//! computed and dropped: `pitch − OW` columns of `pitch` (2 of 58 for a 3×3 conv at 56²) are the
//! price of never writing `cols`, which costs im2col a copy of `FH·FW` times the input.
//!
//! Lanes past the grid, and past each phase plane, read other planes or the zeroed slack at
//! the buffer's end; their results land only in grid columns that are never stored.
//! The sums run over `k` in the weights' own `(fy, fx, ci)` order, one product at a time.

use super::epilogue::Epilogue;
use super::geometry::ConvGeom;
use super::isa::Isa;
use super::shared::SharedOut;
use rayon::prelude::*;

/// Vectors of 16 output pixels per AVX-512 tile.
const VECS: usize = 4;
/// Output (grid) pixels per AVX-512 tile.
const MR: usize = 16 * VECS;
/// Output pixels per AVX2 tile: two vectors of 8, so its 12 sums, two input vectors and a
/// broadcast weight fit AVX2's 16 registers.
const MR_AVX2: usize = 16;
/// Filters per tile.
const NR: usize = 6;
/// Rows of `cols` per pass over a tile's filter blocks: 256 rows of 64 pixels are 64 KiB,
/// which stay in L2 while every filter block runs over them. (128, 256 and no chunking were
/// within 5% of each other on AlexNet conv1 and a 3×3 64 → 64 conv at 56².)
const KC: usize = 256;
/// Below this many flops a conv runs on the calling thread.
const PARALLEL_MIN_FLOPS: usize = 1 << 20;
/// When the route pays, measured against im2col + gemm (one thread, VGG16, AlexNet and the
/// bench convs): im2col's copy costs most next to few filters per group, and a tile's grid
/// waste most on small maps. So the route takes 16 to 96 filters per group (a block of 6 pads
/// the last one with zero filters; at 256 filters gemm's own kernel won by 3–8%, and at 128 on
/// an Intel Xeon at 3.3 GHz with 2 MiB of L2 per core, VGG16 conv2_1/conv2_2 took 17.0–18.0 /
/// 37.2–39.7 ms against gemm's 14.5–14.6 / 30.6–32.0; AlexNet conv1's 96 still won, 1.6 against
/// 1.8 ms, and VGG16 conv1_2's 64 were even), `cols` rows of at least 64 (with fewer, each
/// tile's stores outweigh its sums: VGG's 3 → 64 conv took 1.8 against 1.1 ms), and at most 6%
/// of computed pixels dropped (VGG's 28² and 14² layers drop 14% and 31%, and lost by as much).
///
/// On AVX2 (Zen 2, one thread) the 16-pixel tile won where im2col's copy is dearest, AlexNet
/// conv1 (3 → 96, 11×11 stride 4: 3.06 → 2.66 ms alone, 2.31 → 2.18 in AlexNet's features), was
/// even at VGG's 64 filters (conv1_2 56.0 against 56.5 ms), and lost from 128 filters on
/// (VGG conv2_2 55 against 48 ms, a 3×3 128 → 256 conv 28 against 22 ms): each tile's 256
/// input rows are two cache lines apiece, which fills L1 with as few as 16 pixels per row.
const FILTERS: std::ops::RangeInclusive<usize> = 16..=96;
const MIN_KDIM: usize = 64;
const MAX_WASTE_PERCENT: usize = 6;

/// The output pixels of one microkernel call on a vector level.
fn tile_pixels(isa: Isa) -> Option<usize> {
    match isa {
        Isa::Avx512 => Some(MR),
        Isa::Avx2 => Some(MR_AVX2),
        Isa::Baseline => None,
    }
}

/// Where the phase planes put things, for one conv.
#[derive(Clone, Copy, Debug)]
struct Layout {
    /// Phase rows and columns (the grid's pitch).
    rows: usize,
    pitch: usize,
    /// Values of all planes, plus the slack that the last tile's lanes may read.
    len: usize,
}

impl Layout {
    fn of(g: &ConvGeom, mr: usize) -> Self {
        // The padded rows and columns the windows span, from the top-left padding on.
        let hp = (g.oh - 1) * g.sh + (g.fh - 1) * g.dh + 1;
        let wp = (g.ow - 1) * g.sw + (g.fw - 1) * g.dw + 1;
        let (rows, pitch) = (hp.div_ceil(g.sh), wp.div_ceil(g.sw));
        // Any read is below (planes − 1)·plane + rows·pitch + pitch + mr (see `offsets`).
        // Saturating: a hostile geometry's size then fails `suits`' bound instead of wrapping.
        let len = [g.cin, g.sh, g.sw, rows, pitch]
            .iter()
            .fold(1usize, |a, &d| a.saturating_mul(d))
            .saturating_add(pitch + mr);
        Layout { rows, pitch, len }
    }

    /// Grid pixels: `OH` rows of `pitch`.
    fn grid(&self, g: &ConvGeom) -> usize {
        g.oh * self.pitch
    }
}

/// Whether `g` is faster here than on im2col + gemm (see [`FILTERS`]), on this CPU, with phase
/// planes about the size of the input (a hostile pad or stride would make them enormous).
pub(crate) fn suits(g: &ConvGeom) -> bool {
    let isa = Isa::detect();
    let Some(mr) = tile_pixels(isa) else {
        return false;
    };
    if g.npix() == 0 || !FILTERS.contains(&g.kg) || g.kdim() < MIN_KDIM {
        return false;
    }
    let l = Layout::of(g, mr);
    let computed = l.grid(g).next_multiple_of(mr);
    let input = g.cin * g.h * g.w; // checked by `ConvGeom::new`
    l.len <= input.saturating_mul(2).saturating_add(1 << 16)
        && computed.saturating_mul(100) <= g.npix().saturating_mul(100 + MAX_WASTE_PERCENT)
}

/// The padded phase planes of `pre(x)`: plane `(c·S_h + by)·S_w + bx`, row `r`, column `j` is
/// input `(c, r·S_h + by − top, j·S_w + bx − left)`, or 0 outside the input.
/// Planes are filled on the rayon pool when `parallel` (a strided conv's phases are a gather,
/// which at two threads was a fifth of AlexNet conv1's time done serially).
fn phases(x: &[f32], pre: Epilogue, g: &ConvGeom, l: &Layout, parallel: bool) -> Vec<f32> {
    let mut data = super::buffers::take(l.len);
    fill_phases(x, pre, g, l, 0..l.rows, parallel, &mut data);
    data
}

/// [`phases`]' rows `rows` of every plane, and the zeroed slack, into `data` (`l.len` values);
/// the other rows are left as they are.
fn fill_phases(
    x: &[f32],
    pre: Epilogue,
    g: &ConvGeom,
    l: &Layout,
    rows: std::ops::Range<usize>,
    parallel: bool,
    data: &mut [f32],
) {
    let plane_len = l.rows * l.pitch;
    let (planes, slack) = data.split_at_mut(g.cin * g.sh * g.sw * plane_len);
    slack.fill(0.0);
    let fill = |(p, plane): (usize, &mut [f32])| {
        let (c, by, bx) = (p / (g.sh * g.sw), p / g.sw % g.sh, p % g.sw);
        let src = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
        // Phase columns `j` with `j·S_w + bx − left` inside `0..W`.
        let first = g.pads.left.saturating_sub(bx).div_ceil(g.sw);
        let end = (g.w + g.pads.left).saturating_sub(bx).div_ceil(g.sw).min(l.pitch);
        let plane_rows = plane.chunks_exact_mut(l.pitch).enumerate();
        for (r, row) in plane_rows.skip(rows.start).take(rows.len()) {
            let iy = (r * g.sh + by).checked_sub(g.pads.top).filter(|&iy| iy < g.h);
            let (Some(iy), true) = (iy, first < end) else {
                row.fill(0.0);
                continue;
            };
            row[..first].fill(0.0);
            row[end..].fill(0.0);
            let ix0 = first * g.sw + bx - g.pads.left;
            let line = &src[iy * g.w..(iy + 1) * g.w];
            super::depthwise::copy_strided(&mut row[first..end], &line[ix0..], g.sw, pre);
        }
    };
    if parallel {
        planes.par_chunks_exact_mut(plane_len).enumerate().for_each(fill);
    } else {
        planes.chunks_exact_mut(plane_len).enumerate().for_each(fill);
    }
}

/// The largest phase planes (values) that each thread fills for its own tiles. Larger planes
/// are filled once and shared: at VGG16 conv1_2's 3.3 M values, a run per thread without
/// stealing was 4-8% slower on two threads (24.4-24.9 against 25.9-26.3 ms).
const SPLIT_MAX_PLANES: usize = 1 << 20;

thread_local! {
    /// This thread's phase planes when the threads each fill the rows of their own tiles
    /// (see `conv_implicit_with`), kept between calls.
    static PLANES: std::cell::Cell<Vec<f32>> = const { std::cell::Cell::new(Vec::new()) };
}

/// For group `grp`, where row `k = (fy·FW + fx)·Cg + ci` of `cols` starts in the phase planes:
/// the grid pixel `q` of that row is `planes[offset[k] + q]`.
fn offsets(g: &ConvGeom, l: &Layout, grp: usize) -> Vec<usize> {
    let plane_len = l.rows * l.pitch;
    let mut off = Vec::with_capacity(g.kdim());
    for fy in 0..g.fh {
        let (by, r0) = ((fy * g.dh) % g.sh, (fy * g.dh) / g.sh);
        for fx in 0..g.fw {
            let (bx, j0) = ((fx * g.dw) % g.sw, (fx * g.dw) / g.sw);
            for ci in 0..g.cg {
                let plane = ((grp * g.cg + ci) * g.sh + by) * g.sw + bx;
                off.push(plane * plane_len + r0 * l.pitch + j0);
            }
        }
    }
    off
}

/// Group `grp`'s filters in blocks of `NR`: `packed[(b·kdim + k)·NR + j]` is weight `k` of
/// filter `b·NR + j`, 0 past the last filter.
fn pack(w: &[f32], g: &ConvGeom, grp: usize) -> Vec<f32> {
    let kdim = g.kdim();
    let blocks = g.kg.div_ceil(NR);
    let mut packed = vec![0.0; blocks * kdim * NR];
    let filters = &w[grp * g.kg * kdim..(grp + 1) * g.kg * kdim];
    for (f, row) in filters.chunks_exact(kdim).enumerate() {
        let (b, j) = (f / NR, f % NR);
        let block = &mut packed[b * kdim * NR..(b + 1) * kdim * NR];
        block.chunks_exact_mut(NR).zip(row).for_each(|(dst, &v)| dst[j] = v);
    }
    packed
}

/// Whether this CPU runs the route's microkernel.
#[cfg(test)]
pub(crate) fn available() -> bool {
    tile_pixels(Isa::detect()).is_some()
}

/// `out (K × OH·OW) = epi(W ⊛ pre(x) + b)`, as [`super::im2col::conv_gemm`] computes it.
///
/// # Panics
/// If the CPU lacks AVX2 (see [`available`]), or the sizes disagree with `g`.
pub(crate) fn conv_implicit(
    x: &[f32],
    pre: Epilogue,
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    out: &mut [f32],
) {
    conv_implicit_with(
        Isa::detect(),
        x,
        pre,
        w,
        bias,
        epi,
        g,
        out,
        PARALLEL_MIN_FLOPS,
        SPLIT_MAX_PLANES,
    );
}

/// [`conv_implicit`] on the microkernel of `isa` (AVX2 or AVX-512, which the CPU must support),
/// on the rayon pool from `parallel_min_flops` on (tests use 0), each thread filling its own
/// phase rows for planes of up to `split_max_planes` values (tests use both ways).
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv_implicit_with(
    isa: Isa,
    x: &[f32],
    pre: Epilogue,
    w: &[f32],
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
    out: &mut [f32],
    parallel_min_flops: usize,
    split_max_planes: usize,
) {
    let mr = tile_pixels(isa).filter(|_| isa <= Isa::detect());
    let mr = mr.expect("the implicit-GEMM conv needs AVX2 or AVX-512F");
    let (kdim, npix) = (g.kdim(), g.npix());
    assert_eq!(out.len(), g.k * npix, "conv output has room for K·OH·OW values");
    assert_eq!(x.len(), g.cin * g.h * g.w, "conv input has Cin·H·W values");
    assert_eq!(w.len(), g.k * kdim, "conv weights have K·FH·FW·Cg values");
    if npix == 0 || g.kg == 0 {
        return;
    }
    let l = Layout::of(g, mr);
    let threads = rayon::current_num_threads();
    let parallel = threads > 1 && 2 * g.k * kdim * npix >= parallel_min_flops;
    let grid = l.grid(g);
    let tiles = grid.div_ceil(mr);
    let fblocks = g.kg.div_ceil(NR);
    // Few pixel tiles (a small map): the threads share each tile's filter blocks instead.
    let chunks = if parallel && tiles < 2 * threads { threads.min(fblocks) } else { 1 };
    let per_chunk = fblocks.div_ceil(chunks);
    let dst = SharedOut::new(out);
    // Each group's tap offsets and packed filters.
    let groups: Vec<(Vec<usize>, Vec<f32>)> =
        (0..g.groups).map(|grp| (offsets(g, &l, grp), pack(w, g, grp))).collect();
    // One tile's sums (`tiles_of`, the scratch) from the planes in `data`, stored.
    let job = |data: &[f32], grp: usize, tiles_of: &mut Vec<f32>, item: usize| {
        let (off, packed) = (&groups[grp].0, &groups[grp].1);
        // Every lane of every tile reads inside `data`.
        let last = off.iter().max().copied().unwrap_or(0).checked_add(tiles * mr);
        let last = last.expect("implicit GEMM offsets overflow");
        assert!(last <= data.len(), "implicit GEMM reads past its planes: {last} > {}", l.len);
        let bias_g = bias.map(|b| &b[grp * g.kg..(grp + 1) * g.kg]);
        let (t, c) = (item / chunks, item % chunks);
        let q0 = t * mr;
        let fbs = c * per_chunk..((c + 1) * per_chunk).min(fblocks);
        tiles_of.resize(fbs.len() * NR * mr, 0.0);
        // `k` in chunks whose input rows (KC × MR values) stay in cache while every filter
        // block of the tile runs over them; the sums carry over in `tiles_of`.
        for k0 in (0..kdim).step_by(KC) {
            let k1 = (k0 + KC).min(kdim);
            for (fb, tile) in fbs.clone().zip(tiles_of.chunks_exact_mut(NR * mr)) {
                let wb = &packed[(fb * kdim + k0) * NR..(fb * kdim + k1) * NR];
                let (src, off) = (&data[q0..], &off[k0..k1]);
                // SAFETY: the CPU supports `isa`, checked on entry; `q0 + off[k] + mr ≤
                // last ≤ data.len()` for every `k`, checked above, and `wb` holds NR
                // weights per k.
                #[cfg(target_arch = "x86_64")]
                unsafe {
                    match isa {
                        Isa::Avx512 => tile_avx512(src, off, wb, tile, k0 > 0),
                        _ => tile_avx2(src, off, wb, tile, k0 > 0),
                    }
                };
            }
        }
        for (fb, tile) in fbs.zip(tiles_of.chunks_exact(NR * mr)) {
            let f0 = grp * g.kg + fb * NR;
            for j in 0..NR.min(g.kg - fb * NR) {
                let b = bias_g.map_or(0.0, |b| b[fb * NR + j]);
                let vals = &tile[j * mr..(j + 1) * mr];
                store(dst, (f0 + j) * npix, vals, q0, &l, g, epi, b);
            }
        }
    };
    if parallel && chunks == 1 && l.len <= split_max_planes {
        // Each thread takes a run of tiles and fills, in planes of its own, only the phase
        // rows they read: planes filled by one core and read by another cost more than the
        // fill (AlexNet conv1 at two threads: the shared fill took 165 µs, against 82 µs on
        // one thread; the conv 1.43 -> 1.37 ms). One run per thread: four per thread was
        // even with the shared planes.
        let parts = threads.min(tiles);
        (0..parts).into_par_iter().for_each(|part| {
            let (t0, t1) = (part * tiles / parts, (part + 1) * tiles / parts);
            if t0 == t1 {
                return;
            }
            // Stored pixels of grid rows `oy0..=oy1` read phase rows from `oy0` to
            // `oy1 + ((FH − 1)·D_h) / S_h` (see `offsets`).
            let oy0 = (t0 * mr / l.pitch).min(g.oh - 1);
            let oy1 = ((t1 * mr - 1) / l.pitch).min(g.oh - 1);
            let rows = oy0..(oy1 + 1 + (g.fh - 1) * g.dh / g.sh).min(l.rows);
            let mut data = PLANES.take();
            data.resize(l.len, 0.0);
            fill_phases(x, pre, g, &l, rows, false, &mut data);
            let mut tiles_of = Vec::new();
            for grp in 0..g.groups {
                (t0..t1).for_each(|t| job(&data, grp, &mut tiles_of, t));
            }
            PLANES.set(data);
        });
        return;
    }
    let data = phases(x, pre, g, &l, parallel);
    for grp in 0..g.groups {
        let items = tiles * chunks;
        if parallel {
            (0..items).into_par_iter().for_each_init(Vec::new, |s, item| job(&data, grp, s, item));
        } else {
            let mut tiles_of = Vec::new();
            (0..items).for_each(|item| job(&data, grp, &mut tiles_of, item));
        }
    }
    super::buffers::give(data);
}

/// Grid pixels `q0..q0 + mr` of one filter (`vals`) into its output plane at `plane`, with the
/// bias and `epi`; grid columns `ox ≥ OW` and rows `oy ≥ OH` are dropped.
#[allow(clippy::too_many_arguments)]
fn store(
    dst: SharedOut,
    plane: usize,
    vals: &[f32],
    q0: usize,
    l: &Layout,
    g: &ConvGeom,
    epi: Epilogue,
    bias: f32,
) {
    let (mut q, mr) = (q0, vals.len());
    while q < q0 + mr {
        let (oy, ox) = (q / l.pitch, q % l.pitch);
        if oy >= g.oh {
            break;
        }
        let row_end = oy * l.pitch + l.pitch;
        if ox < g.ow {
            let n = (g.ow - ox).min(q0 + mr - q);
            // SAFETY: this tile owns the pixels `q0..q0 + mr` of this filter's plane, and no
            // other tile writes them.
            let out = unsafe { dst.slice(plane + oy * g.ow + ox, n) };
            epi.finish_into(out, &vals[q - q0..q - q0 + n], bias);
        }
        q = row_end;
    }
}

/// One tile: `tile[j·MR + i] (+)= Σ_k src[off[k] + i] · w[k·NR + j]` for `i < MR`, `j < NR`,
/// added to the tile's sums when `carry`, over them otherwise.
///
/// # Safety
/// The CPU must support AVX-512F, and `src[off[k]..off[k] + MR]` must be in bounds for every
/// `k` (only the slice's start is used, so `src` may be shorter than that).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
// Constant-bound index loops over the 4 × 6 accumulators: they unroll into 24 registers.
#[allow(clippy::needless_range_loop)]
unsafe fn tile_avx512(src: &[f32], off: &[usize], w: &[f32], tile: &mut [f32], carry: bool) {
    use std::arch::x86_64::*;
    assert!(w.len() >= off.len() * NR, "packed weights for every k");
    assert_eq!(tile.len(), NR * MR, "a tile holds NR·MR sums");
    let mut acc = [[_mm512_setzero_ps(); NR]; VECS];
    if carry {
        for (v, row) in acc.iter_mut().enumerate() {
            for (j, a) in row.iter_mut().enumerate() {
                // SAFETY: `j·MR + 16·v + 16 ≤ NR·MR`.
                *a = unsafe { _mm512_loadu_ps(tile.as_ptr().add(j * MR + 16 * v)) };
            }
        }
    }
    let (s, wp) = (src.as_ptr(), w.as_ptr());
    for (k, &o) in off.iter().enumerate() {
        // SAFETY: the caller puts `src[o..o + MR]` in bounds; `w` holds `NR` weights per `k`.
        unsafe {
            let p = s.add(o);
            let xv = [
                _mm512_loadu_ps(p),
                _mm512_loadu_ps(p.add(16)),
                _mm512_loadu_ps(p.add(32)),
                _mm512_loadu_ps(p.add(48)),
            ];
            let wk = wp.add(k * NR);
            for j in 0..NR {
                let b = _mm512_set1_ps(*wk.add(j));
                for v in 0..VECS {
                    acc[v][j] = _mm512_fmadd_ps(xv[v], b, acc[v][j]);
                }
            }
        }
    }
    for (v, row) in acc.iter().enumerate() {
        for (j, a) in row.iter().enumerate() {
            // SAFETY: `j·MR + 16·v + 16 ≤ NR·MR`.
            unsafe { _mm512_storeu_ps(tile.as_mut_ptr().add(j * MR + 16 * v), *a) };
        }
    }
}

/// [`tile_avx512`] on AVX2: `MR_AVX2` (16) pixels, two vectors of 8, by `NR` filters.
///
/// # Safety
/// The CPU must support AVX2 and FMA, and `src[off[k]..off[k] + 16]` must be in bounds for
/// every `k`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::needless_range_loop)]
unsafe fn tile_avx2(src: &[f32], off: &[usize], w: &[f32], tile: &mut [f32], carry: bool) {
    use std::arch::x86_64::*;
    const V: usize = MR_AVX2 / 8;
    assert!(w.len() >= off.len() * NR, "packed weights for every k");
    assert_eq!(tile.len(), NR * MR_AVX2, "a tile holds NR·16 sums");
    let mut acc = [[_mm256_setzero_ps(); NR]; V];
    if carry {
        for (v, row) in acc.iter_mut().enumerate() {
            for (j, a) in row.iter_mut().enumerate() {
                // SAFETY: `j·16 + 8·v + 8 ≤ NR·16`.
                *a = unsafe { _mm256_loadu_ps(tile.as_ptr().add(j * MR_AVX2 + 8 * v)) };
            }
        }
    }
    let (s, wp) = (src.as_ptr(), w.as_ptr());
    for (k, &o) in off.iter().enumerate() {
        // SAFETY: the caller puts `src[o..o + 16]` in bounds; `w` holds `NR` weights per `k`.
        unsafe {
            let p = s.add(o);
            let xv = [_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8))];
            let wk = wp.add(k * NR);
            for j in 0..NR {
                let b = _mm256_broadcast_ss(&*wk.add(j));
                for v in 0..V {
                    acc[v][j] = _mm256_fmadd_ps(xv[v], b, acc[v][j]);
                }
            }
        }
    }
    for (v, row) in acc.iter().enumerate() {
        for (j, a) in row.iter().enumerate() {
            // SAFETY: `j·16 + 8·v + 8 ≤ NR·16`.
            unsafe { _mm256_storeu_ps(tile.as_mut_ptr().add(j * MR_AVX2 + 8 * v), *a) };
        }
    }
}
