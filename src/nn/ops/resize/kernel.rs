//! The Resize kernel: one table of taps per resized axis, built once, then one pass per axis.
//!
//! A pass views its source as `[outer, n_in, inner]` and writes `[outer, n_out, inner]`: on the
//! innermost axis (`inner = 1`) each output gathers its taps from one row; on any other axis each
//! output row is a weighted sum of whole input rows, a loop the compiler vectorises. Axes before
//! the first resized one are independent blocks (the `N·C` planes of an image resize), so the
//! intermediate buffers hold one block and stay in cache. Nearest rows with one tap of weight 1
//! are plain copies. No pass allocates per element: the two scratch buffers are sized once.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD};
use rayon::prelude::*;

use super::coords::{AxisMap, clamp, taps, x_original};
use super::{CoordTransform, ResizeParams, roi_for_axis};

/// The taps of every output index of one axis, `n` per index (padded with weight 0).
struct Table {
    axis: usize,
    n_in: usize,
    n_out: usize,
    n: usize,
    idx: Vec<usize>,
    w: Vec<f32>,
    /// Outputs tf_crop_and_resize puts outside the input (empty when there are none).
    extrap: Vec<bool>,
    /// Every output is one tap of weight 1: the pass is a copy.
    unit: bool,
}

impl Table {
    fn build(p: &ResizeParams, m: &AxisMap, axis: usize) -> Table {
        let mut buf = Vec::new();
        let mut extrap = vec![false; m.out_len];
        let mut n = 1;
        for (y, ex) in extrap.iter_mut().enumerate() {
            let (x, out) = x_original(p, m, y);
            *ex = out;
            if !out {
                taps(p, m, x, &mut buf);
                n = n.max(buf.iter().filter(|t| t.1 != 0.0).count());
            }
        }
        let mut idx = Vec::with_capacity(n * m.out_len);
        let mut w = Vec::with_capacity(n * m.out_len);
        for (y, &ex) in extrap.iter().enumerate() {
            buf.clear();
            if !ex {
                let (x, _) = x_original(p, m, y);
                taps(p, m, x, &mut buf);
                buf.retain(|t| t.1 != 0.0);
            }
            buf.resize(n, (0, 0.0));
            idx.extend(buf.iter().map(|t| clamp(t.0, m.in_len)));
            w.extend(buf.iter().map(|t| t.1 as f32));
        }
        let unit = n == 1 && w.iter().all(|&v| v == 1.0) && !extrap.contains(&true);
        if !extrap.contains(&true) {
            extrap.clear();
        }
        Table { axis, n_in: m.in_len, n_out: m.out_len, n, idx, w, extrap, unit }
    }

    fn taps(&self, o: usize) -> (&[usize], &[f32]) {
        let r = o * self.n..(o + 1) * self.n;
        (&self.idx[r.clone()], &self.w[r])
    }

    fn is_extrap(&self, o: usize) -> bool {
        self.extrap.get(o).copied().unwrap_or(false)
    }
}

/// Resize `x` to `out_dims` with the effective `scales` of [`super::output_dims`] (one per axis
/// of `x`) and the node's `roi` (as given to `output_dims`).
///
/// Axes with scale 1, an unchanged length and (for tf_crop_and_resize) the roi `(0, 1)` are
/// copied, as the reference does. The rest are resized one after another, most shrinking first
/// (and the innermost first among equals, which keeps the gathering pass on the smaller tensor):
/// the order changes only f32 rounding.
///
/// # Panics
/// When `out_dims` or `scales` do not have one entry per axis of `x`. Sizes are not re-checked:
/// pass what `output_dims` returned.
pub fn resize(
    x: &ArrayViewD<f32>,
    out_dims: &[usize],
    scales: &[f64],
    roi: Option<&[f32]>,
    p: &ResizeParams,
) -> ArrayD<f32> {
    // Every value is written below (an empty input fills the output with 0).
    let mut out = crate::nn::kernels::buffers::uninit_dyn(out_dims);
    resize_into(x, &mut out.view_mut(), scales, roi, p);
    out
}

/// [`resize()`] into an existing output (its shape is the output dims), so a caller that runs
/// the same node again can reuse the buffer: a fresh 40 MB output costs as much in page faults
/// as the whole kernel.
///
/// # Panics
/// As [`resize()`], with `out`'s rank for `out_dims`.
pub fn resize_into(
    x: &ArrayViewD<f32>,
    out: &mut ArrayViewMutD<f32>,
    scales: &[f64],
    roi: Option<&[f32]>,
    p: &ResizeParams,
) {
    let in_dims = x.shape().to_vec();
    let out_dims = out.shape().to_vec();
    let rank = in_dims.len();
    assert_eq!(out_dims.len(), rank, "resize: the output needs the rank of the input");
    assert_eq!(scales.len(), rank, "resize: scales needs one entry per axis");
    if out.is_empty() {
        return;
    }
    if x.is_empty() {
        out.fill(0.0);
        return;
    }
    let Some(dst) = out.as_slice_mut() else {
        let owned = resize(x, &out_dims, scales, roi, p);
        out.assign(&owned);
        return;
    };
    let mut tables: Vec<Table> = (0..rank)
        .filter_map(|axis| {
            let (s, e) = roi_for_axis(roi, p, rank, axis);
            let m = AxisMap {
                in_len: in_dims[axis],
                out_len: out_dims[axis],
                scale: scales[axis],
                roi: (s, e),
            };
            let crops = p.coord == CoordTransform::TfCropAndResize && (s, e) != (0.0, 1.0);
            let identity = m.scale == 1.0 && m.out_len == m.in_len && !crops;
            (!identity).then(|| Table::build(p, &m, axis))
        })
        .collect();
    let x = x.as_standard_layout();
    let src = x.as_slice().expect("standard layout is contiguous");
    if tables.is_empty() {
        dst.copy_from_slice(src);
        return;
    }
    tables.sort_by(|a, b| {
        let ra = a.n_out as f64 / a.n_in as f64;
        let rb = b.n_out as f64 / b.n_in as f64;
        ra.total_cmp(&rb).then(b.axis.cmp(&a.axis))
    });
    // Axes before the first resized one are independent blocks.
    let first = tables.iter().map(|t| t.axis).min().unwrap_or(0);
    let in_block: usize = in_dims[first..].iter().product();
    let out_block: usize = out_dims[first..].iter().product();
    // The largest intermediate a block goes through.
    let mut shape = in_dims[first..].to_vec();
    let mut biggest = 0;
    for t in &tables[..tables.len() - 1] {
        shape[t.axis - first] = t.n_out;
        biggest = biggest.max(shape.iter().product());
    }
    let ext = p.extrapolation_value;
    // One block (a channel of a spatial resize) through every pass, with two scratch buffers.
    let block = |(a, b): &mut (Vec<f32>, Vec<f32>), (s, d): (&[f32], &mut [f32])| {
        a.resize(biggest, 0.0);
        b.resize(biggest, 0.0);
        let mut shape = in_dims[first..].to_vec();
        let last = tables.len() - 1;
        for (k, t) in tables.iter().enumerate() {
            let rel = t.axis - first;
            let outer: usize = shape[..rel].iter().product();
            let inner: usize = shape[rel + 1..].iter().product();
            let len_in = outer * t.n_in * inner;
            let len_out = outer * t.n_out * inner;
            // Source: the input block, then the scratch buffer the previous pass wrote.
            let (from, to): (&[f32], &mut [f32]) = match (k, k == last) {
                (0, true) => (s, &mut *d),
                (0, false) => (s, &mut a[..len_out]),
                (_, true) if k % 2 == 1 => (&a[..len_in], &mut *d),
                (_, true) => (&b[..len_in], &mut *d),
                _ if k % 2 == 1 => (&a[..len_in], &mut b[..len_out]),
                _ => (&b[..len_in], &mut a[..len_out]),
            };
            pass(t, from, to, inner, ext);
            shape[rel] = t.n_out;
        }
    };
    // The blocks are independent: on the pool when there are several and enough values (each
    // block is computed the same way wherever it runs).
    if rayon::current_num_threads() > 1 && src.len() / in_block > 1 && dst.len() >= PARALLEL_MIN {
        let per = (src.len() / in_block).div_ceil(rayon::current_num_threads());
        src.par_chunks(per * in_block).zip(dst.par_chunks_mut(per * out_block)).for_each(
            |(s, d)| {
                let mut scratch = (Vec::new(), Vec::new());
                let pairs = s.chunks_exact(in_block).zip(d.chunks_exact_mut(out_block));
                pairs.for_each(|pair| block(&mut scratch, pair));
            },
        );
    } else {
        let mut scratch = (Vec::new(), Vec::new());
        let pairs = src.chunks_exact(in_block).zip(dst.chunks_exact_mut(out_block));
        pairs.for_each(|pair| block(&mut scratch, pair));
    }
}

/// Below this many output values a resize runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 16;

/// One axis: `[outer, n_in, inner]` → `[outer, n_out, inner]`.
fn pass(t: &Table, src: &[f32], dst: &mut [f32], inner: usize, ext: f32) {
    let (si, so) = (t.n_in * inner, t.n_out * inner);
    for (s, d) in src.chunks_exact(si).zip(dst.chunks_exact_mut(so)) {
        if inner == 1 {
            gather(t, s, d);
        } else {
            rows(t, s, d, inner);
        }
        if !t.extrap.is_empty() {
            for (o, row) in d.chunks_exact_mut(inner).enumerate() {
                if t.is_extrap(o) {
                    row.fill(ext);
                }
            }
        }
    }
}

/// The innermost axis: each output mixes samples of one row.
fn gather(t: &Table, s: &[f32], d: &mut [f32]) {
    match t.n {
        1 if t.unit => d.iter_mut().zip(&t.idx).for_each(|(v, &i)| *v = s[i]),
        1 => d.iter_mut().zip(t.idx.iter().zip(&t.w)).for_each(|(v, (&i, &w))| *v = w * s[i]),
        2 => {
            let taps = t.idx.chunks_exact(2).zip(t.w.chunks_exact(2));
            for (v, (i, w)) in d.iter_mut().zip(taps) {
                *v = w[0] * s[i[0]] + w[1] * s[i[1]];
            }
        }
        _ => {
            for (o, v) in d.iter_mut().enumerate() {
                let (idx, w) = t.taps(o);
                *v = idx.iter().zip(w).map(|(&i, &w)| w * s[i]).sum();
            }
        }
    }
}

/// Any other axis: each output row is a weighted sum of whole input rows.
fn rows(t: &Table, s: &[f32], d: &mut [f32], inner: usize) {
    let row = |i: usize| &s[i * inner..(i + 1) * inner];
    for (o, out) in d.chunks_exact_mut(inner).enumerate() {
        let (idx, w) = t.taps(o);
        if t.unit {
            out.copy_from_slice(row(idx[0]));
            continue;
        }
        if t.n >= 2 {
            let (a, b, wa, wb) = (row(idx[0]), row(idx[1]), w[0], w[1]);
            out.iter_mut().zip(a.iter().zip(b)).for_each(|(v, (&a, &b))| *v = wa * a + wb * b);
        } else {
            let (a, wa) = (row(idx[0]), w[0]);
            out.iter_mut().zip(a).for_each(|(v, &a)| *v = wa * a);
        }
        for (&i, &wk) in idx.iter().zip(w).skip(2) {
            out.iter_mut().zip(row(i)).for_each(|(v, &a)| *v += wk * a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Mode;
    use super::*;
    use ndarray::IxDyn;

    /// A resize big enough for the pool (9 channels, not a multiple of the threads) gives the
    /// one-thread values bit for bit, in every mode, shrinking and growing.
    #[test]
    fn channels_on_the_pool_give_the_one_thread_values() {
        let n = 9 * 48 * 48;
        let x = ArrayD::from_shape_vec(
            IxDyn(&[1, 9, 48, 48]),
            (0..n).map(|i| ((i * 37) % 101) as f32 * 0.1 - 5.0).collect(),
        )
        .unwrap();
        for mode in [Mode::Nearest, Mode::Linear, Mode::Cubic] {
            let p = ResizeParams::new(mode);
            for (out, scales) in [
                ([1, 9, 96, 100], [1.0, 1.0, 2.0, 100.0 / 48.0]),
                ([1, 9, 24, 30], [1.0, 1.0, 0.5, 0.625]),
            ] {
                let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
                let want = one.install(|| resize(&x.view(), &out, &scales, None, &p));
                for threads in [2, 3] {
                    let pool =
                        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                    let got = pool.install(|| resize(&x.view(), &out, &scales, None, &p));
                    let bits = |a: &ArrayD<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&got), bits(&want), "{mode:?} to {out:?} on {threads}");
                }
            }
        }
    }
}
