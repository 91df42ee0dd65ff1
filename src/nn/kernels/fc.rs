//! Dense (fully connected) layer.

use super::sgemm::{Mat, matmul};
use crate::nn::tensor::Volume;
use ndarray::{Array3, ArrayView1, ArrayView2, ArrayView3};

/// `y = W · flat(x) + b` as an `(outputs, 1, 1)` volume, where `flat(x)` lists `x` in
/// `(H, W, D)` C order: input `i = (r·W + c)·D + d` is `x[[d, r, c]]`.
///
/// # Panics
/// If `w` is not `(outputs, H·W·D)` or `b` does not have `outputs` values.
pub fn fc(x: &ArrayView3<f32>, w: &ArrayView2<f32>, b: Option<&ArrayView1<f32>>) -> Volume {
    let (outputs, inputs) = w.dim();
    assert_eq!(inputs, x.len(), "fc weights {:?} for an input of {} values", w.dim(), x.len());
    if let Some(b) = b {
        assert_eq!(b.len(), outputs, "fc bias has {} values for {outputs} outputs", b.len());
    }
    let flat: Vec<f32> = x.view().permuted_axes([1, 2, 0]).iter().copied().collect();
    let w = w.as_standard_layout();
    // Standard layout is contiguous, so `as_slice` cannot fail.
    let ws = w.as_slice().expect("standard layout");
    let mut y = vec![0.0f32; outputs];
    matmul(
        &mut y,
        1,
        Mat::row_major(ws, outputs, inputs, inputs),
        Mat { data: &flat, rows: inputs, cols: 1, rs: 1, cs: 1 },
        // A matrix-vector product: the threads take blocks of outputs (see `matmul_raw`).
        super::sgemm::parallelism(2 * outputs * inputs),
    );
    if let Some(b) = b {
        y.iter_mut().zip(b).for_each(|(v, b)| *v += b);
    }
    Array3::from_shape_vec((outputs, 1, 1), y).expect("outputs values")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};

    #[test]
    fn flattens_in_hwd_order() {
        // x (H=1, W=2, D=2): X[0,0,:] = [1, 2], X[0,1,:] = [3, 4] → flat = [1, 2, 3, 4].
        let x = array![[[1.0, 3.0]], [[2.0, 4.0]]]; // stored (D, H, W)
        let id = Array2::eye(4);
        let v = fc(&x.view(), &id.view(), None);
        assert_eq!(v.into_raw_vec_and_offset().0, vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn weighted_sum_plus_bias() {
        // flat = [1, 2, 3, 4]; rows [1 1 1 1] → 10, [0 0 0 2] → 8, [1 −1 0 0] → −1.
        let x = array![[[1.0, 3.0]], [[2.0, 4.0]]];
        let w = array![[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 2.0], [1.0, -1.0, 0.0, 0.0]];
        let b = array![0.5, 0.0, -1.0];
        let v = fc(&x.view(), &w.view(), Some(&b.view()));
        assert_eq!(v.dim(), (3, 1, 1));
        assert_eq!(v.into_raw_vec_and_offset().0, vec![10.5, 8.0, -2.0]);
    }

    #[test]
    fn large_fc_matches_a_plain_sum() {
        let x = super::super::testutil::random3((16, 3, 5), 3);
        let w = super::super::testutil::random4((1, 1, 37, 240), 4)
            .into_shape_with_order((37, 240))
            .unwrap();
        let v = fc(&x.view(), &w.view(), None);
        for o in 0..37 {
            let mut sum = 0.0f64;
            for r in 0..3 {
                for c in 0..5 {
                    for d in 0..16 {
                        sum += f64::from(w[[o, (r * 5 + c) * 16 + d]]) * f64::from(x[[d, r, c]]);
                    }
                }
            }
            assert!((f64::from(v[[o, 0, 0]]) - sum).abs() < 1e-4, "output {o}");
        }
    }
}
