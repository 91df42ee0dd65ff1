//! Element-wise activations, each with an in-place form for fusing into a buffer the caller owns.

use super::to_volume;
use crate::nn::tensor::Volume;
use ndarray::{ArrayRef3, ArrayView1, ArrayView3, Axis};

/// `max(x, 0)`.
pub fn relu(x: &ArrayView3<f32>) -> Volume {
    let mut y = to_volume(x);
    relu_inplace(&mut y);
    y
}

pub fn relu_inplace(x: &mut ArrayRef3<f32>) {
    x.mapv_inplace(|v| v.max(0.0));
}

/// `min(max(x, min), max)`; relu6 is `clip(x, 0, 6)`.
pub fn clip(x: &ArrayView3<f32>, min: f32, max: f32) -> Volume {
    let mut y = to_volume(x);
    clip_inplace(&mut y, min, max);
    y
}

pub fn clip_inplace(x: &mut ArrayRef3<f32>, min: f32, max: f32) {
    x.mapv_inplace(|v| v.max(min).min(max));
}

/// `x` where positive, `alpha · x` elsewhere.
pub fn leaky_relu(x: &ArrayView3<f32>, alpha: f32) -> Volume {
    let mut y = to_volume(x);
    leaky_relu_inplace(&mut y, alpha);
    y
}

pub fn leaky_relu_inplace(x: &mut ArrayRef3<f32>, alpha: f32) {
    x.mapv_inplace(|v| if v < 0.0 { alpha * v } else { v });
}

/// `1 / (1 + e^(−x))`.
pub fn sigmoid(x: &ArrayView3<f32>) -> Volume {
    let mut y = to_volume(x);
    sigmoid_inplace(&mut y);
    y
}

pub fn sigmoid_inplace(x: &mut ArrayRef3<f32>) {
    x.mapv_inplace(|v| 1.0 / (1.0 + (-v).exp()));
}

/// `x` where positive, `slope[d] · x` elsewhere; `slope` has one value per channel, or one
/// shared value.
///
/// # Panics
/// If `slope` has neither 1 nor `D` values.
pub fn prelu(x: &ArrayView3<f32>, slope: &ArrayView1<f32>) -> Volume {
    let depth = x.dim().0;
    assert!(
        slope.len() == depth || slope.len() == 1,
        "prelu has {} slopes for a volume of depth {depth}",
        slope.len()
    );
    let mut y = to_volume(x);
    for (d, mut plane) in y.axis_iter_mut(Axis(0)).enumerate() {
        let a = if slope.len() == 1 { slope[0] } else { slope[d] };
        plane.mapv_inplace(|v| if v < 0.0 { a * v } else { v });
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn row() -> ndarray::Array3<f32> {
        array![[[-3.0, -0.5, 0.0, 2.0, 8.0]]]
    }

    #[test]
    fn pointwise_values() {
        let x = row();
        assert_eq!(relu(&x.view()), array![[[0.0, 0.0, 0.0, 2.0, 8.0]]]);
        assert_eq!(clip(&x.view(), 0.0, 6.0), array![[[0.0, 0.0, 0.0, 2.0, 6.0]]]);
        assert_eq!(leaky_relu(&x.view(), 0.1), array![[[-0.3, -0.05, 0.0, 2.0, 8.0]]]);
        let s = sigmoid(&array![[[0.0, 2.0, -100.0, 100.0]]].view());
        let want = [0.5, 1.0 / (1.0 + (-2.0f32).exp()), 0.0, 1.0];
        for (g, w) in s.iter().zip(want) {
            assert!((g - w).abs() < 1e-7, "{g} vs {w}");
        }
    }

    #[test]
    fn inplace_on_a_strided_view() {
        let mut x = ndarray::Array3::from_elem((2, 2, 2), -1.0f32);
        x[[1, 1, 1]] = 5.0;
        let mut v = x.slice_mut(ndarray::s![.., .., 1]).insert_axis(Axis(2));
        clip_inplace(&mut v, -0.5, 4.0);
        assert_eq!(x[[0, 0, 1]], -0.5);
        assert_eq!(x[[1, 1, 1]], 4.0);
        assert_eq!(x[[0, 0, 0]], -1.0); // outside the view: untouched
    }

    #[test]
    fn prelu_per_channel_and_shared() {
        let x = array![[[-2.0, 3.0]], [[-2.0, 3.0]]];
        assert_eq!(
            prelu(&x.view(), &array![0.5, 0.25].view()),
            array![[[-1.0, 3.0]], [[-0.5, 3.0]]]
        );
        assert_eq!(prelu(&x.view(), &array![0.1].view()), array![[[-0.2, 3.0]], [[-0.2, 3.0]]]);
    }

    #[test]
    fn output_is_standard_layout() {
        let x = ndarray::Array3::<f32>::ones((2, 3, 4));
        let t = x.view().permuted_axes([0, 2, 1]);
        assert!(relu(&t).is_standard_layout());
    }
}
