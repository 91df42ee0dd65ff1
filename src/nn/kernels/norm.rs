//! Normalisations: inference batch norm (per channel) and local response norm (across channels).

use super::to_volume;
use crate::nn::tensor::Volume;
use ndarray::{ArrayView1, ArrayView3, Axis};

/// `y = (x − mean[d]) / sqrt(var[d] + eps) · gamma[d] + beta[d]`, folded into one multiply-add
/// per value.
///
/// # Panics
/// If a parameter does not have `D` values.
pub fn batch_norm(
    x: &ArrayView3<f32>,
    gamma: &ArrayView1<f32>,
    beta: &ArrayView1<f32>,
    mean: &ArrayView1<f32>,
    var: &ArrayView1<f32>,
    eps: f32,
) -> Volume {
    let depth = x.dim().0;
    for (name, a) in [("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var)] {
        assert_eq!(a.len(), depth, "batch norm {name} has {} values for depth {depth}", a.len());
    }
    let mut y = to_volume(x);
    for (d, mut plane) in y.axis_iter_mut(Axis(0)).enumerate() {
        let scale = f64::from(gamma[d]) / (f64::from(var[d]) + f64::from(eps)).sqrt();
        let shift = f64::from(beta[d]) - f64::from(mean[d]) * scale;
        let (scale, shift) = (scale as f32, shift as f32);
        plane.mapv_inplace(|v| v * scale + shift);
    }
    y
}

/// ONNX LRN: `y = x / (bias + alpha/size · Σ x²)^beta`, the sum over channels
/// `c − ⌊(size−1)/2⌋ ..= c + ⌈(size−1)/2⌉` that exist.
///
/// # Panics
/// If `size` is 0.
pub fn lrn(x: &ArrayView3<f32>, size: usize, alpha: f32, beta: f32, bias: f32) -> Volume {
    assert!(size >= 1, "lrn size must be ≥ 1");
    let (depth, h, w) = x.dim();
    let n = h * w;
    let mut y = to_volume(x);
    if depth == 0 || n == 0 {
        return y;
    }
    let (before, after) = ((size - 1) / 2, size / 2); // ⌊(size−1)/2⌋, ⌈(size−1)/2⌉
    // Standard layout is contiguous, so `as_slice_mut` cannot fail.
    let v = y.as_slice_mut().expect("standard layout");
    let squares: Vec<f32> = v.iter().map(|a| a * a).collect();
    let mut sum = vec![0.0f32; n];
    for (c, plane) in v.chunks_exact_mut(n).enumerate() {
        sum.fill(0.0);
        for i in c.saturating_sub(before)..(c + after + 1).min(depth) {
            sum.iter_mut().zip(&squares[i * n..(i + 1) * n]).for_each(|(s, q)| *s += q);
        }
        let k = alpha / size as f32;
        plane.iter_mut().zip(&sum).for_each(|(a, &s)| *a /= (bias + k * s).powf(beta));
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn batch_norm_per_channel() {
        // channel 0: (x − 1)/sqrt(4)·2 + 0.5 → x=3: 2.5, x=−1: −1.5
        // channel 1: (x − 0)/sqrt(0.25)·1 − 1 → x=3: 5,  x=−1: −3
        let x = array![[[3.0, -1.0]], [[3.0, -1.0]]];
        let y = batch_norm(
            &x.view(),
            &array![2.0, 1.0].view(),
            &array![0.5, -1.0].view(),
            &array![1.0, 0.0].view(),
            &array![4.0, 0.25].view(),
            0.0,
        );
        assert_eq!(y, array![[[2.5, -1.5]], [[5.0, -3.0]]]);
    }

    /// The ONNX formula written out for one position with explicit channel windows.
    fn lrn_by_hand(
        x: &[f32],
        size: usize,
        alpha: f32,
        beta: f32,
        bias: f32,
        lo: &[usize],
        hi: &[usize],
    ) -> Vec<f32> {
        (0..x.len())
            .map(|c| {
                let s: f32 = (lo[c]..=hi[c]).map(|i| x[i] * x[i]).sum();
                x[c] / (bias + alpha / size as f32 * s).powf(beta)
            })
            .collect()
    }

    #[test]
    fn lrn_odd_and_even_windows() {
        let xs = [1.0f32, -2.0, 3.0, 0.5, 4.0];
        let x = ndarray::Array3::from_shape_vec((5, 1, 1), xs.to_vec()).unwrap();
        // size 3: channels c−1 ..= c+1
        let y = lrn(&x.view(), 3, 1e-1, 0.75, 2.0);
        let want = lrn_by_hand(&xs, 3, 1e-1, 0.75, 2.0, &[0, 0, 1, 2, 3], &[1, 2, 3, 4, 4]);
        // size 2: ⌊1/2⌋ = 0 before, ⌈1/2⌉ = 1 after: channels c ..= c+1
        let y2 = lrn(&x.view(), 2, 1e-1, 0.75, 1.0);
        let want2 = lrn_by_hand(&xs, 2, 1e-1, 0.75, 1.0, &[0, 1, 2, 3, 4], &[1, 2, 3, 4, 4]);
        for (got, want) in [(y, want), (y2, want2)] {
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-6, "{got} vs {want:?}");
            }
        }
        // channel 0, size 3: 1 / (2 + 0.1/3 · (1 + 4))^0.75
        assert!((lrn(&x.view(), 3, 0.1, 0.75, 2.0)[[0, 0, 0]] - 0.559_958_6).abs() < 1e-6);
    }
}
