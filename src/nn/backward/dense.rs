//! Backward of the dense layers with respect to their data operands: `fc` (`y = W·x + b`,
//! so `∂s/∂x = Wᵀ·g`), Gemm (`Y = α·A'·B' + β·C`) and MatMul (numpy's rules: broadcast batch
//! axes, 1-D operands promoted).

use super::broadcast::sum_to;
use crate::nn::kernels::sgemm::{Mat, matmul, parallelism};
use ndarray::{Array2, ArrayD, ArrayView2, ArrayViewD, Axis, IxDyn};

/// `a · b` of two 2-D views on the GEMM door.
fn mm(a: &ArrayView2<f32>, b: &ArrayView2<f32>) -> Array2<f32> {
    let (m, k) = a.dim();
    let n = b.dim().1;
    let (a, b) = (a.as_standard_layout(), b.as_standard_layout());
    let mut y = vec![0.0f32; m * n];
    matmul(
        &mut y,
        n,
        Mat::row_major(a.as_slice().expect("standard"), m, k, k),
        Mat::row_major(b.as_slice().expect("standard"), k, n, n),
        parallelism(2 * m * n * k),
    );
    Array2::from_shape_vec((m, n), y).expect("m·n values")
}

/// `∂s/∂x` of `fc` on a `(D, H, W)` volume flattened in `(H, W, D)` order: `Wᵀ·g`, unflattened.
pub fn fc(
    w: &ArrayView2<f32>,
    gy: &[f32],
    (d, h, wd): (usize, usize, usize),
) -> ndarray::Array3<f32> {
    let g = ArrayView2::from_shape((1, gy.len()), gy).expect("a row");
    let flat = mm(&g, w); // (1 × inputs) = gᵀ·W
    let hwd = flat.into_shape_with_order((h, wd, d)).expect("H·W·D inputs");
    hwd.permuted_axes([2, 0, 1]).as_standard_layout().into_owned()
}

/// `(∂s/∂A, ∂s/∂B, ∂s/∂C)` of Gemm, each of its operand's dims (`C` summed back from its
/// broadcast).
pub fn gemm(
    (alpha, beta, trans_a, trans_b): (f32, f32, bool, bool),
    a: &ArrayView2<f32>,
    b: &ArrayView2<f32>,
    c_dims: Option<&[usize]>,
    gy: &ArrayView2<f32>,
) -> (ArrayD<f32>, ArrayD<f32>, Option<ArrayD<f32>>) {
    let a1 = if trans_a { a.t() } else { a.view() };
    let b1 = if trans_b { b.t() } else { b.view() };
    // Y = α·A₁·B₁: ∂A₁ = α·G·B₁ᵀ, ∂B₁ = α·A₁ᵀ·G.
    let ga1 = mm(gy, &b1.t()) * alpha;
    let gb1 = mm(&a1.t(), gy) * alpha;
    let ga = if trans_a { ga1.t().to_owned() } else { ga1 };
    let gb = if trans_b { gb1.t().to_owned() } else { gb1 };
    let gc = c_dims.map(|d| sum_to(&gy.into_dyn(), d) * beta);
    (ga.into_dyn(), gb.into_dyn(), gc)
}

/// `(∂s/∂A, ∂s/∂B)` of MatMul.
pub fn matmul_grads(
    a: &ArrayViewD<f32>,
    b: &ArrayViewD<f32>,
    gy: &ArrayViewD<f32>,
) -> (ArrayD<f32>, ArrayD<f32>) {
    let (ad, bd) = (a.shape().to_vec(), b.shape().to_vec());
    let a2 = if ad.len() == 1 { a.view().insert_axis(Axis(0)) } else { a.view() };
    let b2 = if bd.len() == 1 { b.view().insert_axis(Axis(1)) } else { b.view() };
    let (m, k) = (a2.shape()[a2.ndim() - 2], a2.shape()[a2.ndim() - 1]);
    let n = b2.shape()[b2.ndim() - 1];
    let batch =
        crate::nn::ops::broadcast_dims(&a2.shape()[..a2.ndim() - 2], &b2.shape()[..b2.ndim() - 2])
            .expect("shape analysis checked the batch axes");
    let full = |mut v: Vec<usize>, r: usize, c: usize| {
        v.extend([r, c]);
        v
    };
    let ab = a2.broadcast(IxDyn(&full(batch.clone(), m, k))).expect("batch broadcast");
    let bb = b2.broadcast(IxDyn(&full(batch.clone(), k, n))).expect("batch broadcast");
    let g = gy.to_shape(IxDyn(&full(batch.clone(), m, n))).expect("the output's values");
    let nb: usize = batch.iter().product();
    let ab = ab.to_shape((nb, m, k)).expect("batch");
    let bb = bb.to_shape((nb, k, n)).expect("batch");
    let g = g.to_shape((nb, m, n)).expect("batch");
    let mut ga = ndarray::Array3::<f32>::zeros((nb, m, k));
    let mut gb = ndarray::Array3::<f32>::zeros((nb, k, n));
    for i in 0..nb {
        let gi = g.index_axis(Axis(0), i);
        ga.index_axis_mut(Axis(0), i).assign(&mm(&gi, &bb.index_axis(Axis(0), i).t()));
        gb.index_axis_mut(Axis(0), i).assign(&mm(&ab.index_axis(Axis(0), i).t(), &gi));
    }
    let ga = ga.into_shape_with_order(IxDyn(&full(batch.clone(), m, k))).expect("same count");
    let gb = gb.into_shape_with_order(IxDyn(&full(batch, k, n))).expect("same count");
    let ga = sum_to(&ga.view(), a2.shape()).into_shape_with_order(IxDyn(&ad)).expect("same count");
    let gb = sum_to(&gb.view(), b2.shape()).into_shape_with_order(IxDyn(&bd)).expect("same count");
    (ga, gb)
}
