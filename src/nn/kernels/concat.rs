//! Concatenation along depth.

use crate::nn::tensor::Volume;
use ndarray::{Array3, ArrayView3};

/// The volumes stacked along depth, in order: `(ΣD, H, W)`.
///
/// # Panics
/// If `xs` is empty or the volumes differ in `H × W`.
pub fn concat_depth(xs: &[ArrayView3<f32>]) -> Volume {
    let first = xs.first().expect("concat of no volumes");
    let (_, h, w) = first.dim();
    let mut depth = 0;
    for x in xs {
        assert_eq!((x.dim().1, x.dim().2), (h, w), "concat: {:?} vs {:?}", x.dim(), first.dim());
        depth += x.dim().0;
    }
    let mut values = Vec::with_capacity(depth * h * w);
    for x in xs {
        values.extend(x.iter().copied()); // logical (D, H, W) order
    }
    Array3::from_shape_vec((depth, h, w), values).expect("ΣD·H·W values")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn stacks_depth_in_order() {
        let a = array![[[1.0, 2.0]]];
        let b = array![[[3.0, 4.0]], [[5.0, 6.0]]];
        let v = concat_depth(&[a.view(), b.view()]);
        assert_eq!(v, array![[[1.0, 2.0]], [[3.0, 4.0]], [[5.0, 6.0]]]);
    }

    #[test]
    #[should_panic(expected = "concat")]
    fn different_sizes_panic() {
        let (a, b) = (Array3::<f32>::zeros((1, 2, 2)), Array3::<f32>::zeros((1, 2, 3)));
        concat_depth(&[a.view(), b.view()]);
    }
}
