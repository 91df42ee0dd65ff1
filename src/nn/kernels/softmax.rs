//! Softmax over depth at every position.

use super::to_volume;
use crate::nn::tensor::Volume;
use ndarray::ArrayView3;

/// `y[d, r, c] = e^(x[d,r,c] − m) / Σ_d' e^(x[d',r,c] − m)` with `m = max_d x[d, r, c]`, so large
/// inputs cannot overflow.
pub fn softmax_depth(x: &ArrayView3<f32>) -> Volume {
    let mut y = to_volume(x);
    let (depth, h, w) = y.dim();
    let n = h * w;
    if depth == 0 || n == 0 {
        return y;
    }
    // Standard layout is contiguous, so `as_slice_mut` cannot fail.
    let v = y.as_slice_mut().expect("standard layout");
    let mut max = v[..n].to_vec();
    for plane in v.chunks_exact(n).skip(1) {
        max.iter_mut().zip(plane).for_each(|(m, &a)| *m = m.max(a));
    }
    let mut sum = vec![0.0f32; n];
    for plane in v.chunks_exact_mut(n) {
        for ((a, &m), s) in plane.iter_mut().zip(&max).zip(&mut sum) {
            *a = (*a - m).exp();
            *s += *a;
        }
    }
    for plane in v.chunks_exact_mut(n) {
        plane.iter_mut().zip(&sum).for_each(|(a, &s)| *a /= s);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn known_values_at_each_position() {
        // Position 0: [1, 2, 3] → [0.09003057, 0.24472847, 0.66524096]; position 1: all equal.
        let x = array![[[1.0, 5.0]], [[2.0, 5.0]], [[3.0, 5.0]]];
        let y = softmax_depth(&x.view());
        let want =
            [[0.090_030_57, 1.0 / 3.0], [0.244_728_47, 1.0 / 3.0], [0.665_240_96, 1.0 / 3.0]];
        for d in 0..3 {
            for c in 0..2 {
                assert!((y[[d, 0, c]] - want[d][c]).abs() < 1e-6, "{d},{c}: {}", y[[d, 0, c]]);
            }
        }
    }

    #[test]
    fn large_inputs_do_not_overflow() {
        let x = array![[[1001.0]], [[1002.0]], [[1003.0]], [[-1e30]]];
        let y = softmax_depth(&x.view());
        let want = [0.090_030_57, 0.244_728_47, 0.665_240_96, 0.0];
        for (g, w) in y.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{g} vs {w}");
        }
    }
}
