//! Element-wise sum and product of several volumes, with depth and scalar broadcasting.

use crate::nn::tensor::Volume;
use ndarray::{Array3, ArrayView3, Zip};

/// `Σ xs` element by element. Each operand has the output's shape, or is a `(D, 1, 1)` vector
/// broadcast over `H × W`, or a `(1, 1, 1)` scalar (generally: numpy broadcasting, each axis
/// equal to the output's or 1). The output shape is the largest along each axis.
///
/// # Panics
/// If `xs` is empty or an operand does not broadcast to the output shape.
pub fn add(xs: &[ArrayView3<f32>]) -> Volume {
    combine(xs, "add", |a, b| a + b)
}

/// `Π xs` element by element; broadcasting as [`add`].
///
/// # Panics
/// As [`add`].
pub fn mul(xs: &[ArrayView3<f32>]) -> Volume {
    combine(xs, "mul", |a, b| a * b)
}

fn combine(xs: &[ArrayView3<f32>], op: &str, f: impl Fn(f32, f32) -> f32 + Sync) -> Volume {
    assert!(!xs.is_empty(), "{op} of no volumes");
    let shape = xs.iter().fold((0, 0, 0), |(d, h, w), x| {
        let (xd, xh, xw) = x.dim();
        (d.max(xd), h.max(xh), w.max(xw))
    });
    // Common case (a residual add): every operand has the output's shape and is contiguous.
    // One pass per operand after the first two, into a recycled buffer; the same operations in
    // the same order as the general path below.
    let slices: Option<Vec<&[f32]>> =
        xs.iter().map(|x| if x.dim() == shape { x.as_slice() } else { None }).collect();
    if let Some(slices) = slices.filter(|s| s.len() >= 2) {
        let mut out = super::buffers::volume(shape);
        let o = out.as_slice_mut().expect("buffers::volume is standard layout");
        super::activation::zip_slice(o, slices[0], slices[1], &f);
        for x in &slices[2..] {
            o.iter_mut().zip(*x).for_each(|(o, &v)| *o = f(*o, v));
        }
        return out;
    }
    let mut out = Array3::zeros(shape);
    for (i, x) in xs.iter().enumerate() {
        let x = x
            .broadcast(shape)
            .unwrap_or_else(|| panic!("{op}: {:?} does not broadcast to {shape:?}", x.dim()));
        if i == 0 {
            out.assign(&x);
        } else {
            Zip::from(&mut out).and(&x).for_each(|o, &v| *o = f(*o, v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn same_shape_sum_and_product() {
        let a = array![[[1.0, 2.0], [3.0, 4.0]]];
        let b = array![[[10.0, 20.0], [30.0, 40.0]]];
        assert_eq!(add(&[a.view(), b.view(), a.view()]), array![[[12.0, 24.0], [36.0, 48.0]]]);
        assert_eq!(mul(&[a.view(), b.view()]), array![[[10.0, 40.0], [90.0, 160.0]]]);
    }

    #[test]
    fn depth_vector_and_scalar_broadcast() {
        // x: 2 channels of 1×2; s: one value per channel (squeeze-and-excite); k: a scalar.
        let x = array![[[1.0, 2.0]], [[3.0, 4.0]]];
        let s = array![[[10.0]], [[100.0]]];
        let k = array![[[0.5]]];
        assert_eq!(mul(&[x.view(), s.view()]), array![[[10.0, 20.0]], [[300.0, 400.0]]]);
        assert_eq!(mul(&[s.view(), x.view()]), array![[[10.0, 20.0]], [[300.0, 400.0]]]);
        assert_eq!(add(&[x.view(), k.view()]), array![[[1.5, 2.5]], [[3.5, 4.5]]]);
    }

    /// The contiguous fast path and the general path (a transposed view) agree.
    #[test]
    fn contiguous_and_strided_operands_agree() {
        let a = Array3::from_shape_fn((3, 70, 50), |(d, r, c)| (d * 31 + r * 7 + c) as f32 * 0.1);
        let b = a.mapv(|v| 1.0 - v * 0.5);
        let c = a.mapv(|v| v.sin());
        let fast = add(&[a.view(), b.view(), c.view()]);
        let want = Array3::from_shape_fn(a.dim(), |i| a[i] + b[i] + c[i]);
        assert_eq!(fast, want);
        let (at, bt) = (a.view().reversed_axes(), b.view().reversed_axes());
        let strided = mul(&[at, bt]);
        assert_eq!(strided, mul(&[a.view(), b.view()]).reversed_axes());
    }

    #[test]
    #[should_panic(expected = "does not broadcast")]
    fn mismatched_depth_panics() {
        let (a, b) = (Array3::<f32>::zeros((2, 2, 2)), Array3::<f32>::zeros((3, 1, 1)));
        add(&[a.view(), b.view()]);
    }
}
