//! Backward of pooling: a max routes each output's gradient to the cell it took (the first
//! maximum, as the forward reads), an average spreads it evenly over the cells it counted.

use crate::nn::geometry::{AxisWindow, PoolGeometry};
use ndarray::{Array3, ArrayD, ArrayView3, ArrayViewD, Axis};

fn taps(a: &AxisWindow) -> impl Iterator<Item = usize> + '_ {
    (a.lo..a.hi).map(|t| a.index(t) as usize)
}

/// `∂s/∂X` of a max pool.
pub fn max_pool(x: &ArrayView3<f32>, gy: &ArrayView3<f32>, g: &PoolGeometry) -> Array3<f32> {
    let mut gx = Array3::<f32>::zeros(x.dim());
    let (oh, ow) = g.window.out();
    for d in 0..x.dim().0 {
        for r in 0..oh {
            let ry = g.window.rows.window(r);
            for c in 0..ow {
                let rx = g.window.cols.window(c);
                let mut best: Option<(usize, usize, f32)> = None;
                for iy in taps(&ry) {
                    for ix in taps(&rx) {
                        let v = x[[d, iy, ix]];
                        if best.is_none_or(|(_, _, m)| v > m || (v.is_nan() && !m.is_nan())) {
                            best = Some((iy, ix, v));
                        }
                    }
                }
                if let Some((iy, ix, _)) = best {
                    gx[[d, iy, ix]] += gy[[d, r, c]];
                }
            }
        }
    }
    gx
}

/// `∂s/∂X` of an average pool (the denominator as the forward counts it).
pub fn avg_pool(dim: (usize, usize, usize), gy: &ArrayView3<f32>, g: &PoolGeometry) -> Array3<f32> {
    let mut gx = Array3::<f32>::zeros(dim);
    let (oh, ow) = g.window.out();
    for d in 0..dim.0 {
        for r in 0..oh {
            let ry = g.window.rows.window(r);
            for c in 0..ow {
                let rx = g.window.cols.window(c);
                let real = (ry.hi - ry.lo) * (rx.hi - rx.lo);
                let count = if g.count_include_pad { ry.padded * rx.padded } else { real };
                if count == 0 {
                    continue;
                }
                let share = gy[[d, r, c]] / count as f32;
                for iy in taps(&ry) {
                    for ix in taps(&rx) {
                        gx[[d, iy, ix]] += share;
                    }
                }
            }
        }
    }
    gx
}

/// `∂s/∂X` of a global pool over every axis after the first two (`[N, C, …]`): the mean
/// spreads `g/n`, the max routes `g` to the first maximum.
pub fn global(x: &ArrayViewD<f32>, gy: &ArrayViewD<f32>, max: bool) -> ArrayD<f32> {
    let dims = x.shape().to_vec();
    let (n, c) = (dims[0], dims[1]);
    let inner: usize = dims[2..].iter().product();
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let gys: Vec<f32> = gy.iter().copied().collect();
    let mut gx = vec![0.0f32; xs.len()];
    for nc in 0..n * c {
        let run = &xs[nc * inner..(nc + 1) * inner];
        let g = gys[nc];
        if max {
            let mut best: Option<(usize, f32)> = None;
            for (i, &v) in run.iter().enumerate() {
                if best.is_none_or(|(_, m)| v > m || (v.is_nan() && !m.is_nan())) {
                    best = Some((i, v));
                }
            }
            if let Some((i, _)) = best {
                gx[nc * inner + i] = g;
            }
        } else if inner > 0 {
            gx[nc * inner..(nc + 1) * inner].fill(g / inner as f32);
        }
    }
    ArrayD::from_shape_vec(dims, gx).expect("same count")
}

/// The gradient of a reduction over `axes` (`keepdims` or not) of `x` into `y`.
/// `local(x, y)` is `∂y/∂x` for one cell.
pub fn reduce(
    x: &ArrayViewD<f32>,
    y: &ArrayViewD<f32>,
    gy: &ArrayViewD<f32>,
    axes: &[usize],
    local: impl Fn(f32, f32) -> f32,
) -> ArrayD<f32> {
    // Put the reduced axes back (as 1s) so y and gy broadcast against x.
    let mut y = y.view();
    let mut gy = gy.view();
    if y.ndim() < x.ndim() {
        for &a in axes {
            y = y.insert_axis(Axis(a));
            gy = gy.insert_axis(Axis(a));
        }
    }
    let ys = y.broadcast(x.raw_dim()).expect("a reduction broadcasts back");
    let gs = gy.broadcast(x.raw_dim()).expect("a reduction broadcasts back");
    let mut gx = ArrayD::<f32>::zeros(x.raw_dim());
    ndarray::Zip::from(&mut gx).and(x).and(&ys).and(&gs).for_each(|o, &x, &y, &g| {
        *o = g * local(x, y);
    });
    gx
}
