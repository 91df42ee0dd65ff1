//! Weight initialisation: seeded He-normal, and a hand-designed bank of edge, blob and
//! colour-opponent filters so first-layer maps mean something without a trained model.

use crate::nn::{LayerKind, Shape3, Weights};
use ndarray::{Array1, Array4, ArrayViewMut3};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Standard normal values from `seed` (ziggurat over xoshiro256++), deterministic whatever the
/// thread count: each chunk of 64 Ki values has its own stream.
pub fn normal(len: usize, seed: u64) -> Vec<f32> {
    const CHUNK: usize = 1 << 16;
    let mut out = vec![0f32; len];
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(ci, chunk)| {
        // seed_from_u64 runs the seed through SplitMix64, so neighbouring seeds give unrelated streams.
        let mix = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ci as u64;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(mix);
        for v in chunk.iter_mut() {
            *v = StandardNormal.sample(&mut rng);
        }
    });
    out
}

/// He-normal weights of shape `(K, FH, FW, C)`: N(0, 2/fan_in) with fan_in = FH·FW·C.
pub fn he_normal(shape: [usize; 4], seed: u64) -> Array4<f32> {
    let fan_in = (shape[1] * shape[2] * shape[3]).max(1) as f32;
    let std = (2.0 / fan_in).sqrt();
    let v: Vec<f32> = normal(shape.iter().product(), seed).into_iter().map(|x| x * std).collect();
    // `normal` returns exactly the product of the shape's dimensions.
    Array4::from_shape_vec(shape, v).expect("length matches the shape")
}

/// Fresh weights for a conv or fc layer whose input is `x`: the edge bank when `edges` (conv over
/// RGB), else He-normal from `seed`; biases start at zero. Other kinds have no weights to make.
pub fn fresh(kind: &LayerKind, x: Shape3, edges: bool, seed: u64) -> Weights {
    match kind {
        LayerKind::Conv(p) => {
            let shape = [p.filters, p.kh, p.kw, x.d / p.groups.max(1)];
            let w = if edges && x.d == 3 { self::edges(shape) } else { he_normal(shape, seed) };
            let b = p.bias.then(|| Array1::zeros(p.filters).into_shared());
            Weights::Conv { w: w.into_shared(), b }
        }
        LayerKind::Fc { outputs } => {
            let w = he_normal([*outputs, 1, 1, x.len()], seed);
            // (K, 1, 1, N) holds exactly K·N values in the same order as (K, N).
            let w = w.into_shape_with_order((*outputs, x.len())).expect("same length");
            Weights::Fc { w: w.into_shared(), b: Some(Array1::zeros(*outputs).into_shared()) }
        }
        _ => Weights::None,
    }
}

/// The edge bank for a layer over an RGB input: filters `(K, FH, FW, 3)`.
///
/// In order: luminance edges at 8 orientations (odd Gabor, both signs of contrast come from the
/// ReLU of ± pairs), bars (even Gabor), centre–surround blobs (on and off), then colour-opponent
/// blobs (red–green, green–red, blue–yellow, yellow–blue), and again at a finer scale. Each filter has
/// unit L2 norm.
pub fn edges(shape: [usize; 4]) -> Array4<f32> {
    let [k, fh, fw, c] = shape;
    let mut w = Array4::<f32>::zeros(shape);
    let per_scale = 8 + 8 + 2 + 4;
    for i in 0..k {
        let scale = 1.0 / (1.0 + (i / per_scale) as f32 * 0.6);
        let mut f = w.index_axis_mut(ndarray::Axis(0), i);
        fill_filter(&mut f, i % per_scale, scale);
        let norm = f.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            f.mapv_inplace(|v| v / norm);
        }
    }
    debug_assert_eq!((fh, fw, c), (w.dim().1, w.dim().2, 3));
    w
}

fn fill_filter(f: &mut ArrayViewMut3<f32>, which: usize, scale: f32) {
    let (fh, fw, _) = f.dim();
    let (cy, cx) = ((fh as f32 - 1.0) / 2.0, (fw as f32 - 1.0) / 2.0);
    let extent = (fh.max(fw) as f32 / 2.0).max(1.0);
    let sigma = extent * 0.6 * scale.max(0.3);
    let lambda = extent * 1.6 * scale;
    let lum = [1.0f32 / 3.0; 3];
    for y in 0..fh {
        for x in 0..fw {
            let (dy, dx) = (y as f32 - cy, x as f32 - cx);
            let r2 = dy * dy + dx * dx;
            let gauss = (-r2 / (2.0 * sigma * sigma)).exp();
            let (value, colour): (f32, [f32; 3]) = match which {
                0..=7 => {
                    let th = which as f32 * std::f32::consts::PI / 8.0;
                    let u = dx * th.cos() + dy * th.sin();
                    (gauss * (2.0 * std::f32::consts::PI * u / lambda).sin(), lum)
                }
                8..=15 => {
                    let th = (which - 8) as f32 * std::f32::consts::PI / 8.0;
                    let u = dx * th.cos() + dy * th.sin();
                    (gauss * (2.0 * std::f32::consts::PI * u / lambda).cos(), lum)
                }
                16 | 17 => {
                    let inner = (-r2 / (2.0 * (sigma * 0.5).powi(2))).exp();
                    let dog = inner - 0.5 * gauss;
                    (if which == 16 { dog } else { -dog }, lum)
                }
                18 => (gauss, [1.0, -1.0, 0.0]),
                19 => (gauss, [-1.0, 1.0, 0.0]),
                20 => (gauss, [-0.5, -0.5, 1.0]),
                _ => (gauss, [0.5, 0.5, -1.0]),
            };
            for (ch, col) in colour.iter().enumerate() {
                f[[y, x, ch]] = value * col;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn he_normal_is_seeded_and_scaled() {
        let a = he_normal([64, 3, 3, 32], 7);
        assert_eq!(a, he_normal([64, 3, 3, 32], 7));
        assert_ne!(a, he_normal([64, 3, 3, 32], 8));
        let n = a.len() as f32;
        let mean = a.sum() / n;
        let var = a.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n;
        let want = 2.0 / (3.0 * 3.0 * 32.0);
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var / want - 1.0).abs() < 0.05, "var {var} want {want}");
    }

    #[test]
    fn edge_filters_respond_to_their_orientation() {
        let w = edges([22, 7, 7, 3]);
        // Filter 0 (θ = 0) varies along x: left and right halves have opposite sign.
        let f = w.index_axis(ndarray::Axis(0), 0);
        let left: f32 = f.slice(ndarray::s![.., ..3, ..]).sum();
        let right: f32 = f.slice(ndarray::s![.., 4.., ..]).sum();
        assert!(left * right < 0.0 && left.abs() > 0.1, "{left} {right}");
        // The red–green blob (18) is positive on R and negative on G.
        let rg = w.index_axis(ndarray::Axis(0), 18);
        assert!(rg[[3, 3, 0]] > 0.0 && rg[[3, 3, 1]] < 0.0);
        for i in 0..22 {
            let n: f32 = w.index_axis(ndarray::Axis(0), i).iter().map(|v| v * v).sum();
            assert!((n - 1.0).abs() < 1e-4, "filter {i} norm² {n}");
        }
    }
}
