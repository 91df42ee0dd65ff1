//! Softmax and LogSoftmax over any axis: `y = e^(x − m) / Σ e^(x − m)` with `m` the maximum of
//! the run, so large inputs cannot overflow. Before opset 13 the run is every axis from `axis`
//! on, flattened (the "legacy" form).

use super::{OpError, Tensor, axis};
use ndarray::{ArrayViewD, IxDyn};

pub(super) fn eval(
    x: &ArrayViewD<f32>,
    ax: i64,
    legacy: bool,
    log: bool,
) -> Result<Tensor, OpError> {
    let rank = x.ndim();
    let a = axis(ax, rank.max(1))?;
    let dims = x.shape().to_vec();
    // Runs of `n` values along the axis (or the flattened tail), `stride` apart.
    let (outer, n, inner) = if legacy {
        (dims[..a].iter().product::<usize>(), dims[a..].iter().product::<usize>(), 1)
    } else {
        (
            dims[..a].iter().product(),
            dims.get(a).copied().unwrap_or(1),
            dims[a + 1..].iter().product(),
        )
    };
    let mut y = x.as_standard_layout().into_owned();
    let v = y.as_slice_mut().expect("standard layout");
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| (o * n + k) * inner + i;
            let m = (0..n).map(|k| v[at(k)]).fold(f32::NEG_INFINITY, f32::max);
            let m = if m.is_finite() { m } else { 0.0 };
            let sum: f64 = (0..n).map(|k| f64::from((v[at(k)] - m).exp())).sum();
            for k in 0..n {
                let e = v[at(k)] - m;
                v[at(k)] =
                    if log { e - sum.ln() as f32 } else { (f64::from(e.exp()) / sum) as f32 };
            }
        }
    }
    let y = y.into_shape_with_order(IxDyn(&dims)).expect("same dims");
    Ok(Tensor::F32(y.into_shared()))
}

#[cfg(test)]
mod tests {
    use super::super::Op;
    use super::super::testutil::{X, f, run, vals};

    #[test]
    fn softmax_on_an_axis_and_in_the_legacy_form() {
        // [[0, ln 3], [0, 0]] on axis 0: column 0 → ½ ½; column 1 → ¾ ¼.
        let x = f(&[2, 2], &[0.0, 3f32.ln(), 0.0, 0.0]);
        let y =
            run(Op::Softmax { axis: 0, legacy: false, log: false }, vec![X::R(x.clone())]).unwrap();
        for (g, w) in vals(&y).iter().zip([0.5, 0.75, 0.5, 0.25]) {
            assert!((g - w).abs() < 1e-6);
        }
        // Legacy axis 0: all four values at once: 1, 3, 1, 1 over 6.
        let y = run(Op::Softmax { axis: 0, legacy: true, log: false }, vec![X::R(x)]).unwrap();
        for (g, w) in vals(&y).iter().zip([1. / 6., 0.5, 1. / 6., 1. / 6.]) {
            assert!((g - w).abs() < 1e-6);
        }
        let y = run(
            Op::Softmax { axis: -1, legacy: false, log: true },
            vec![X::R(f(&[2], &[0.0, 0.0]))],
        )
        .unwrap();
        assert!((vals(&y)[0] + 2f32.ln()).abs() < 1e-6);
    }
}
