//! The reference paths: the definitional loop and one neuron gathered from its contributors.

use super::Dims;
use crate::nn::ops::convt::geometry::ConvTransposeGeometry;
use ndarray::{Array3, ArrayView1, ArrayView3, ArrayView4};

/// The definitional loop: every input cell `x[ci, iy, ix]`, through every tap `(fy, fx)` of
/// every output channel of its group, adds `x·W[ci, k, fy, fx]` to output
/// `(iy·S_h + fy·d_h − P_top, ix·S_w + fx·d_w − P_left)` when that lies inside the output.
/// Summed in f64; kept as the reference.
///
/// # Panics
/// As [`conv_transpose`].
pub fn conv_transpose_naive(
    x: &ArrayView3<f32>,
    w: &ArrayView4<f32>,
    b: Option<&ArrayView1<f32>>,
    g: &ConvTransposeGeometry,
) -> Array3<f32> {
    let d = Dims::new(x.dim(), w.dim(), b.map(|b| b.len()), g);
    let mut acc = Array3::<f64>::zeros((d.groups * d.kg, d.oh, d.ow));
    for ci in 0..d.c {
        let grp = ci / d.cg;
        for ((iy, ix), &xv) in x.index_axis(ndarray::Axis(0), ci).indexed_iter() {
            for kk in 0..d.kg {
                for fy in 0..d.fh {
                    let oy = g.rows.output_index(iy, fy);
                    if oy < 0 || oy >= d.oh as i64 {
                        continue; // cropped by the pads
                    }
                    for fx in 0..d.fw {
                        let ox = g.cols.output_index(ix, fx);
                        if ox < 0 || ox >= d.ow as i64 {
                            continue;
                        }
                        let t = f64::from(xv) * f64::from(w[[ci, kk, fy, fx]]);
                        acc[[grp * d.kg + kk, oy as usize, ox as usize]] += t;
                    }
                }
            }
        }
    }
    Array3::from_shape_fn(acc.dim(), |(k, r, c)| {
        (acc[[k, r, c]] + b.map_or(0.0, |b| f64::from(b[k]))) as f32
    })
}

/// One output neuron, explained.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronTerms {
    /// `Σ contrib + bias`, summed in f32 in the order of `contrib`.
    pub value: f32,
    pub bias: f32,
    /// `(ci, Σ over the neuron's contributors of x[ci, iy, ix]·W[ci, k_g, fy, fx])` for each input
    /// channel `ci` of the neuron's group, ascending.
    pub contrib: Vec<(usize, f32)>,
}

/// Neuron `(k, r, c)` gathered from [`ConvTransposeGeometry::contributors`]; each channel's
/// sum in f64.
///
/// # Panics
/// As [`conv_transpose`], and if `(k, r, c)` is outside the output.
pub fn neuron(
    x: &ArrayView3<f32>,
    w: &ArrayView4<f32>,
    b: Option<&ArrayView1<f32>>,
    g: &ConvTransposeGeometry,
    (k, r, c): (usize, usize, usize),
) -> NeuronTerms {
    let d = Dims::new(x.dim(), w.dim(), b.map(|b| b.len()), g);
    assert!(k < d.groups * d.kg, "channel {k} is outside the output");
    let terms = g.contributors(r, c);
    let kk = k % d.kg;
    let contrib = g
        .channels_of(k)
        .map(|ci| {
            let s: f64 = terms
                .iter()
                .map(|t| f64::from(x[[ci, t.iy, t.ix]]) * f64::from(w[[ci, kk, t.fy, t.fx]]))
                .sum();
            (ci, s as f32)
        })
        .collect::<Vec<_>>();
    let bias = b.map_or(0.0, |b| b[k]);
    let value = contrib.iter().map(|&(_, v)| v).sum::<f32>() + bias;
    NeuronTerms { value, bias, contrib }
}
