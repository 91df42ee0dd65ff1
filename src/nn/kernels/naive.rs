//! The reference conv: the literal cs231n loop, kept forever to check the fast kernels against.

use super::geometry::ConvGeom;
use crate::nn::geometry::ConvGeometry;
use crate::nn::tensor::Volume;
use ndarray::{Array3, ArrayView1, ArrayView3, ArrayView4};

/// `V[d, r, c] = Σ X[window(r, c)] · W[d] + b[d]`, one neuron at a time, summed in f64.
///
/// Same contract as [`super::conv2d`]: window cell `(iy, ix) = (r·S + fy·dil − top,
/// c·S + fx·dil − left)`; any cell outside the input (padding) is zero.
///
/// # Panics
/// As [`super::conv2d`].
pub fn conv2d_naive(
    x: &ArrayView3<f32>,
    w: &ArrayView4<f32>,
    b: Option<&ArrayView1<f32>>,
    geom: &ConvGeometry,
) -> Volume {
    let g = ConvGeom::new(x.dim(), w.dim(), b.map(|b| b.len()), geom);
    let pads = g.pads;
    Array3::from_shape_fn((g.k, g.oh, g.ow), |(d, r, c)| {
        let group = d / g.kg;
        let mut sum = 0.0f64;
        for fy in 0..g.fh {
            for fx in 0..g.fw {
                for ci in 0..g.cg {
                    let iy = (r * g.sh + fy * g.dh) as isize - pads.top as isize;
                    let ix = (c * g.sw + fx * g.dw) as isize - pads.left as isize;
                    if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize {
                        continue; // padding: X is zero here
                    }
                    let xv = x[[group * g.cg + ci, iy as usize, ix as usize]];
                    sum += f64::from(xv) * f64::from(w[[d, fy, fx, ci]]);
                }
            }
        }
        (sum + b.map_or(0.0, |b| f64::from(b[d]))) as f32
    })
}
