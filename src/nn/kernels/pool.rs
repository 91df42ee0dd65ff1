//! Pooling: max and average over `KH × KW` windows, and the global average.
//!
//! Window `o` along an axis covers input `o·S − pad_before .. o·S − pad_before + K`. Only the real
//! cells are read. For the average's denominator, `count_include_pad` counts the window's cells
//! inside the explicit padding, never the part a ceil-rounded output hangs past it (ONNX,
//! onnxruntime and PyTorch agree on this).

use super::epilogue::Epilogue;
use crate::nn::geometry::{Axis, AxisWindow, PoolGeometry};
use crate::nn::tensor::Volume;
use ndarray::{Array3, ArrayView3};
use rayon::prelude::*;

/// Below this many window reads the channels are pooled on the calling thread.
const PARALLEL_MIN_READS: usize = 1 << 16;

/// Pools every channel: `f(plane, row_window, col_windows, out_row, scratch)` fills one output
/// row. The windows come from the layer's geometry.
fn pool(
    x: &ArrayView3<f32>,
    g: &PoolGeometry,
    f: impl Fn(&[f32], AxisWindow, &[AxisWindow], &mut [f32], &mut Vec<f32>) + Sync,
) -> Volume {
    let (depth, h, w) = x.dim();
    assert_eq!(
        (depth, h, w),
        (g.input.d, g.input.h, g.input.w),
        "pool input (D, H, W) disagrees with the geometry {g:?}"
    );
    let (ra, ca) = (g.window.rows, g.window.cols);
    let (out_h, out_w) = g.window.out();
    let rows: Vec<AxisWindow> = (0..out_h).map(|o| ra.window(o)).collect();
    let cols: Vec<AxisWindow> = (0..out_w).map(|o| ca.window(o)).collect();
    let x = x.as_standard_layout();
    // Standard layout is contiguous, so `as_slice` cannot fail.
    let xs = x.as_slice().expect("standard layout");
    let npix = out_h.checked_mul(out_w).expect("pool output size overflows");
    let total = depth.checked_mul(npix).expect("pool output size overflows");
    // Every output row is filled below, so a recycled buffer needs no clearing.
    let mut out = super::buffers::take(total);
    if npix == 0 {
        return Array3::from_shape_vec((depth, out_h, out_w), out).expect("D·OH·OW values");
    }
    let one = |tmp: &mut Vec<f32>, (d, plane): (usize, &mut [f32])| {
        let src = &xs[d * h * w..(d + 1) * h * w];
        for (out_row, &ry) in plane.chunks_exact_mut(out_w).zip(&rows) {
            f(src, ry, &cols, out_row, tmp);
        }
    };
    let reads = total.saturating_mul(ra.f).saturating_mul(ca.f);
    if reads >= PARALLEL_MIN_READS && rayon::current_num_threads() > 1 {
        out.par_chunks_mut(npix).enumerate().for_each_init(Vec::new, one);
    } else {
        let mut tmp = Vec::new();
        out.chunks_mut(npix).enumerate().for_each(|item| one(&mut tmp, item));
    }
    Array3::from_shape_vec((depth, out_h, out_w), out).expect("D·OH·OW values")
}

/// The largest real cell of each window: padding is −∞ and never wins (the geometry keeps every
/// pad smaller than the window, so each window has a real cell); a NaN in a window gives NaN.
pub fn max_pool(x: &ArrayView3<f32>, g: &PoolGeometry) -> Volume {
    max_pool_with(x, g, |v| v)
}

/// [`max_pool`] of `pre(x)`, `pre` applied to each value as it is read: the pool of a relu/clip
/// layer kept as a lazy view, from the view's input, without computing the view. Equal to
/// [`max_pool`] of the activated input, bit for bit ([`Epilogue::apply`] on the same values;
/// one arm per activation, so each loop is compiled for its own).
pub fn max_pool_of_act(x: &ArrayView3<f32>, pre: Epilogue, g: &PoolGeometry) -> Volume {
    match pre {
        Epilogue::None => max_pool(x, g),
        Epilogue::Relu => max_pool_with(x, g, |v| Epilogue::Relu.apply(v)),
        Epilogue::Clip(lo, hi) => max_pool_with(x, g, move |v| Epilogue::Clip(lo, hi).apply(v)),
    }
}

/// [`max_pool`] of `act(x)`.
fn max_pool_with(x: &ArrayView3<f32>, g: &PoolGeometry, act: impl Fn(f32) -> f32 + Sync) -> Volume {
    let w = x.dim().2;
    let ca = g.window.cols;
    let (stride, dil) = (ca.stride, ca.dilation);
    let (lo, hi) = full_run(ca);
    pool(x, g, |src, ry, cols, out_row, tmp| {
        // The max down the window's rows, for every input column (a vectorised pass per row),
        // then `stride` cells of slack that `row_max` may read past the last column…
        tmp.clear();
        tmp.resize(w + stride, f32::NEG_INFINITY);
        for iy in taps(&ry) {
            let row = &src[iy * w..(iy + 1) * w];
            tmp.iter_mut().zip(row).for_each(|(m, &v)| *m = max(*m, act(v)));
        }
        // …then across each window's columns: the run of windows wholly inside the row one tap
        // at a time over all of them (unit-stride or stride-2 reads the compiler vectorises),
        // the windows that hang into the padding one by one.
        let (head, rest) = out_row.split_at_mut(lo);
        let tail = &mut rest[hi - lo..];
        let edges = head.iter_mut().zip(cols).chain(tail.iter_mut().zip(&cols[hi..]));
        for (o, rx) in edges {
            *o = taps(rx).fold(f32::NEG_INFINITY, |m, ix| max(m, tmp[ix]));
        }
        if lo < hi {
            // A full window starts inside the row.
            let first = cols[lo].start as usize;
            let run = &mut out_row[lo..hi];
            run.fill(f32::NEG_INFINITY);
            for t in 0..cols[lo].f {
                let from = first + t * dil;
                // Cells `from + i·stride` for `i < run.len()`, each inside the row as window
                // `lo + i` is full; the chunks' other cells end inside the slack.
                let cells = &tmp[from..from + run.len() * stride];
                match stride {
                    1 => row_max::<1>(run, cells),
                    2 => row_max::<2>(run, cells),
                    _ => run
                        .iter_mut()
                        .zip(cells.iter().step_by(stride))
                        .for_each(|(o, &v)| *o = max(*o, v)),
                }
            }
        }
    })
}

/// NaN wins, then the larger value: the order of the reads does not matter.
#[inline(always)]
fn max(m: f32, v: f32) -> f32 {
    if v > m || v.is_nan() { v } else { m }
}

/// `run[i] = max(run[i], cells[i·S])`.
#[inline(always)]
fn row_max<const S: usize>(run: &mut [f32], cells: &[f32]) {
    run.iter_mut().zip(cells.chunks_exact(S)).for_each(|(o, c)| *o = max(*o, c[0]));
}

/// The outputs `lo..hi` of `axis` whose windows lie wholly inside the input: one run, as window
/// starts grow with the output index (empty when there is none).
fn full_run(axis: Axis) -> (usize, usize) {
    let full = |o: &usize| axis.window(*o).is_full();
    let lo = (0..axis.out).find(full).unwrap_or(axis.out);
    let hi = lo + (lo..axis.out).take_while(full).count();
    (lo, hi)
}

/// The input indices a window reads (every `dil`-th cell from its first real tap).
fn taps(a: &AxisWindow) -> impl Iterator<Item = usize> + '_ {
    // Taps lo..hi lie inside the input, so their indices are in 0..n.
    (a.lo..a.hi).map(|t| a.index(t) as usize)
}

/// The mean of each window (ONNX `AveragePool`): the sum of the real cells divided by the real
/// cells, or with `count_include_pad` by the cells inside the explicit padding. A window with
/// nothing to count gives 0.
pub fn avg_pool(x: &ArrayView3<f32>, g: &PoolGeometry) -> Volume {
    let w = x.dim().2;
    let include_pad = g.count_include_pad;
    pool(x, g, |src, ry, cols, out_row, _| {
        for (o, &rx) in out_row.iter_mut().zip(cols) {
            let mut sum = 0.0f32;
            let rc = rx.input_range();
            for iy in taps(&ry) {
                if rx.dil == 1 {
                    sum += src[iy * w + rc.start..iy * w + rc.end].iter().sum::<f32>();
                } else {
                    sum += taps(&rx).map(|ix| src[iy * w + ix]).sum::<f32>();
                }
            }
            let real = (ry.hi - ry.lo) * (rx.hi - rx.lo);
            let count = if include_pad { ry.padded * rx.padded } else { real };
            *o = if count == 0 { 0.0 } else { sum / count as f32 };
        }
    })
}

/// The mean of each channel: `(D, 1, 1)`, summed in f64 (in four interleaved partial sums, so
/// the adds do not wait on each other). An empty plane gives 0.
pub fn global_avg_pool(x: &ArrayView3<f32>) -> Volume {
    let (depth, h, w) = x.dim();
    let x = x.as_standard_layout();
    // Standard layout is contiguous, so `as_slice` cannot fail.
    let xs = x.as_slice().expect("standard layout");
    let n = h * w;
    let mean = |plane: &[f32]| {
        let mut acc = [0.0f64; 4];
        let quads = plane.chunks_exact(4);
        let rest: f64 = quads.remainder().iter().map(|&v| f64::from(v)).sum();
        for q in quads {
            for (a, &v) in acc.iter_mut().zip(q) {
                *a += f64::from(v);
            }
        }
        let sum = (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest;
        (sum / n as f64) as f32
    };
    let means: Vec<f32> =
        if n == 0 { vec![0.0; depth] } else { xs.chunks_exact(n).map(mean).collect() };
    Array3::from_shape_vec((depth, 1, 1), means).expect("D values")
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
