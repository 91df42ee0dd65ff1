//! Pooling: max and average over `KH × KW` windows, and the global average.
//!
//! Window `o` along an axis covers input `o·S − pad_before .. o·S − pad_before + K`. Only the real
//! cells are read. For the average's denominator, `count_include_pad` counts the window's cells
//! inside the explicit padding, never the part a ceil-rounded output hangs past it (ONNX,
//! onnxruntime and PyTorch agree on this).

use super::Pads;
use crate::nn::layer::PoolParams;
use crate::nn::tensor::Volume;
use ndarray::{Array3, ArrayView3};
use rayon::prelude::*;

/// Below this many window reads the channels are pooled on the calling thread.
const PARALLEL_MIN_READS: usize = 1 << 16;

/// One window along one axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    /// The real input cells `lo..hi`.
    lo: usize,
    hi: usize,
    /// Cells of the window inside the input plus its explicit padding.
    padded: usize,
}

fn spans(out: usize, k: usize, s: usize, before: usize, after: usize, len: usize) -> Vec<Span> {
    (0..out)
        .map(|o| {
            let start = (o * s) as isize - before as isize; // ≥ −before
            let end = start + k as isize;
            let lo = start.clamp(0, len as isize) as usize;
            let hi = (end.clamp(0, len as isize) as usize).max(lo);
            let padded = (end.min((len + after) as isize) - start).max(0) as usize;
            Span { lo, hi, padded }
        })
        .collect()
}

/// Pools every channel: `f(plane, row_span, col_spans, out_row, scratch)` fills one output row.
fn pool(
    x: &ArrayView3<f32>,
    p: &PoolParams,
    pads: Pads,
    out_h: usize,
    out_w: usize,
    f: impl Fn(&[f32], Span, &[Span], &mut [f32], &mut Vec<f32>) + Sync,
) -> Volume {
    assert!(p.stride_h >= 1 && p.stride_w >= 1, "pool stride must be ≥ 1: {p:?}");
    assert!(p.kh >= 1 && p.kw >= 1, "pool window must be at least 1×1: {p:?}");
    let (depth, h, w) = x.dim();
    let rows = spans(out_h, p.kh, p.stride_h, pads.top, pads.bottom, h);
    let cols = spans(out_w, p.kw, p.stride_w, pads.left, pads.right, w);
    let x = x.as_standard_layout();
    // Standard layout is contiguous, so `as_slice` cannot fail.
    let xs = x.as_slice().expect("standard layout");
    let npix = out_h * out_w;
    if npix == 0 || h * w == 0 {
        let out = vec![0.0f32; depth * npix];
        return Array3::from_shape_vec((depth, out_h, out_w), out).expect("D·OH·OW values");
    }
    // Every output row is filled below, so a recycled buffer needs no clearing.
    let mut out = super::buffers::take(depth * npix);
    let one = |tmp: &mut Vec<f32>, (d, plane): (usize, &mut [f32])| {
        let src = &xs[d * h * w..(d + 1) * h * w];
        for (out_row, &ry) in plane.chunks_exact_mut(out_w).zip(&rows) {
            f(src, ry, &cols, out_row, tmp);
        }
    };
    if depth * npix * p.kh * p.kw >= PARALLEL_MIN_READS && rayon::current_num_threads() > 1 {
        out.par_chunks_mut(npix).enumerate().for_each_init(Vec::new, one);
    } else {
        let mut tmp = Vec::new();
        out.chunks_mut(npix).enumerate().for_each(|item| one(&mut tmp, item));
    }
    Array3::from_shape_vec((depth, out_h, out_w), out).expect("D·OH·OW values")
}

/// The largest real cell of each window: padding is −∞ and never wins. A window with no real cell
/// (only possible with padding ≥ the window) gives −∞; a NaN in a window gives NaN.
pub fn max_pool(
    x: &ArrayView3<f32>,
    p: &PoolParams,
    pads: Pads,
    out_h: usize,
    out_w: usize,
) -> Volume {
    let w = x.dim().2;
    // NaN wins, then the larger value: the order of the reads does not matter.
    let max = |m: f32, v: f32| if v > m || v.is_nan() { v } else { m };
    pool(x, p, pads, out_h, out_w, |src, ry, cols, out_row, tmp| {
        // The max down the window's rows, for every input column (a vectorised pass per row)…
        tmp.clear();
        tmp.resize(w, f32::NEG_INFINITY);
        for row in src.chunks_exact(w).take(ry.hi).skip(ry.lo) {
            tmp.iter_mut().zip(row).for_each(|(m, &v)| *m = max(*m, v));
        }
        // …then across each window's columns.
        for (o, rx) in out_row.iter_mut().zip(cols) {
            *o = tmp[rx.lo..rx.hi].iter().fold(f32::NEG_INFINITY, |m, &v| max(m, v));
        }
    })
}

/// The mean of each window (ONNX `AveragePool`): the sum of the real cells divided by the real
/// cells, or with `count_include_pad` by the cells inside the explicit padding. A window with
/// nothing to count gives 0.
pub fn avg_pool(
    x: &ArrayView3<f32>,
    p: &PoolParams,
    pads: Pads,
    out_h: usize,
    out_w: usize,
) -> Volume {
    let w = x.dim().2;
    let include_pad = p.count_include_pad;
    pool(x, p, pads, out_h, out_w, |src, ry, cols, out_row, _| {
        for (o, &rx) in out_row.iter_mut().zip(cols) {
            let mut sum = 0.0f32;
            for iy in ry.lo..ry.hi {
                sum += src[iy * w + rx.lo..iy * w + rx.hi].iter().sum::<f32>();
            }
            let count =
                if include_pad { ry.padded * rx.padded } else { (ry.hi - ry.lo) * (rx.hi - rx.lo) };
            *o = if count == 0 { 0.0 } else { sum / count as f32 };
        }
    })
}

/// The mean of each channel: `(D, 1, 1)`, summed in f64. An empty plane gives 0.
pub fn global_avg_pool(x: &ArrayView3<f32>) -> Volume {
    let (depth, h, w) = x.dim();
    Array3::from_shape_fn((depth, 1, 1), |(d, _, _)| {
        let plane = x.index_axis(ndarray::Axis(0), d);
        let sum: f64 = plane.iter().map(|&v| f64::from(v)).sum();
        if h * w == 0 { 0.0 } else { (sum / (h * w) as f64) as f32 }
    })
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
