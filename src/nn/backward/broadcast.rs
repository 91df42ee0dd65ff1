//! The gradient of numpy broadcasting: a value broadcast to many cells gets the sum of their
//! gradients.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

/// Sum `g` (of the broadcast output's dims) down to `dims`: leading axes `g` has beyond
/// `dims` are summed away, and every axis where `dims` is 1 and `g` is not is summed to 1.
///
/// # Panics
/// If `dims` does not broadcast to `g`'s shape (shape analysis checked it).
pub fn sum_to(g: &ArrayViewD<f32>, dims: &[usize]) -> ArrayD<f32> {
    let extra = g.ndim().checked_sub(dims.len()).expect("an operand has at most the output's rank");
    let mut acc = g.to_owned();
    for _ in 0..extra {
        acc = acc.sum_axis(Axis(0));
    }
    for (a, &d) in dims.iter().enumerate() {
        if d == 1 && acc.shape()[a] != 1 {
            acc = acc.sum_axis(Axis(a)).insert_axis(Axis(a));
        }
    }
    assert_eq!(acc.shape(), dims, "sum_to: {:?} does not broadcast to {:?}", dims, g.shape());
    acc.into_shape_with_order(IxDyn(dims)).expect("same dims")
}

/// `x` broadcast to `dims` (numpy rules), as a view.
///
/// # Panics
/// If it does not broadcast (shape analysis checked it).
pub fn spread<'a>(x: &'a ArrayViewD<'a, f32>, dims: &[usize]) -> ArrayViewD<'a, f32> {
    x.broadcast(IxDyn(dims))
        .unwrap_or_else(|| panic!("{:?} does not broadcast to {dims:?}", x.shape()))
}
