//! numpy.matmul shapes, and where the per-row / per-column parameters of the integer matmuls
//! may sit.
//!
//! `A [..., M, K] · B [..., K, N] → [broadcast(...), M, N]`; a 1-D A is `[1, K]` with the M dim
//! dropped from the output, a 1-D B is `[K, 1]` with N dropped. Batch dims broadcast as numpy
//! does: aligned from the right, each pair equal or one of them 1.
//!
//! Zero points (and QLinearMatMul's scales) of A are a scalar (per tensor) or per row: `[M]`
//! for a 2-D A, or A's dims with the last one 1 (`[D1, D2, M, 1]`). Those of B are a scalar or
//! per column: `[N]` for a 2-D B, or B's dims with the second-to-last one 1 (`[D1, D2, 1, N]`).
//! This is the spec's wording and onnxruntime's `IsBQuantParamSupported` for B; onnxruntime
//! accepts only per-tensor parameters for A, and onnx.reference broadcasts a `[M]` a_zero_point
//! along K (a bug), so per-row A is tested against the definition.

use crate::nn::ops::quant::error::{QuantError, shape_err};
use crate::nn::ops::quant::types::{check_dims, is_per_tensor};

/// A matmul resolved against its input shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatMulShape {
    pub a_batch: Vec<usize>,
    pub b_batch: Vec<usize>,
    pub out_batch: Vec<usize>,
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub out_dims: Vec<usize>,
}

impl MatMulShape {
    /// For every output batch (row-major), the batch index into A and into B.
    pub(crate) fn batch_pairs(&self) -> Vec<(usize, usize)> {
        let total: usize = self.out_batch.iter().product();
        let idx_a = broadcast_index(&self.out_batch, &self.a_batch, total);
        let idx_b = broadcast_index(&self.out_batch, &self.b_batch, total);
        idx_a.into_iter().zip(idx_b).collect()
    }
}

/// The flat index into `src` (right-aligned, broadcast) of every flat index of `out`.
fn broadcast_index(out: &[usize], src: &[usize], total: usize) -> Vec<usize> {
    let off = out.len() - src.len();
    // Row-major strides of src, 0 where src broadcasts (size 1 or missing).
    let mut strides = vec![0usize; out.len()];
    let mut s = 1;
    for (i, &d) in src.iter().enumerate().rev() {
        strides[off + i] = if d == 1 { 0 } else { s };
        s *= d;
    }
    (0..total)
        .map(|mut flat| {
            let mut at = 0;
            for (&d, &st) in out.iter().zip(&strides).rev() {
                at += (flat % d) * st;
                flat /= d;
            }
            at
        })
        .collect()
}

/// Resolve `A · B` the way numpy.matmul does.
///
/// # Errors
/// A rank-0 operand, dims over the limits, inner dims that differ, batch dims that do not
/// broadcast, an output over the limits.
pub fn matmul_shape(op: &'static str, a: &[usize], b: &[usize]) -> Result<MatMulShape, QuantError> {
    check_dims(op, "A", a)?;
    check_dims(op, "B", b)?;
    if a.is_empty() || b.is_empty() {
        return Err(shape_err(op, "a matmul operand must have rank at least 1"));
    }
    // Both ranks are at least 1 here, and at least 2 outside the 1-D branches.
    let (ra, rb) = (a.len(), b.len());
    let (a_batch, m, ka) =
        if ra == 1 { (vec![], 1, a[0]) } else { (a[..ra - 2].to_vec(), a[ra - 2], a[ra - 1]) };
    let (b_batch, kb, n) =
        if rb == 1 { (vec![], b[0], 1) } else { (b[..rb - 2].to_vec(), b[rb - 2], b[rb - 1]) };
    if ka != kb {
        return Err(shape_err(op, format!("A {a:?} has K = {ka} but B {b:?} has K = {kb}")));
    }
    let len = a_batch.len().max(b_batch.len());
    let mut out_batch = vec![0; len];
    for (i, o) in out_batch.iter_mut().enumerate() {
        let pick = |v: &[usize]| (i + v.len()).checked_sub(len).map_or(1, |j| v[j]);
        let (da, db) = (pick(&a_batch), pick(&b_batch));
        *o = match (da, db) {
            _ if da == db => da,
            (1, d) | (d, 1) => d,
            _ => {
                return Err(shape_err(
                    op,
                    format!("batch dims of A {a:?} and B {b:?} do not broadcast"),
                ));
            }
        };
    }
    let mut out_dims = out_batch.clone();
    if a.len() > 1 {
        out_dims.push(m);
    }
    if b.len() > 1 {
        out_dims.push(n);
    }
    check_dims(op, "output", &out_dims)?;
    Ok(MatMulShape { a_batch, b_batch, out_batch, m, k: ka, n, out_dims })
}

/// Whether a parameter of A is per row (`true`) or per tensor (`false`).
///
/// # Errors
/// Any other shape.
pub fn a_param_per_row(
    op: &'static str,
    what: &'static str,
    p: &[usize],
    a: &[usize],
) -> Result<bool, QuantError> {
    check_dims(op, what, p)?;
    if is_per_tensor(p) {
        return Ok(false);
    }
    let r = a.len();
    let row_vector = r == 2 && p == [a[0]];
    let full = r >= 2 && p.len() == r && p[r - 1] == 1 && p[..r - 1] == a[..r - 1];
    if row_vector || full {
        Ok(true)
    } else {
        Err(shape_err(
            op,
            format!("{what} {p:?} is neither a scalar nor per row of A {a:?} ([M] or [..., M, 1])"),
        ))
    }
}

/// Whether a parameter of B is per column (`true`) or per tensor (`false`).
///
/// # Errors
/// Any other shape.
pub fn b_param_per_col(
    op: &'static str,
    what: &'static str,
    p: &[usize],
    b: &[usize],
) -> Result<bool, QuantError> {
    check_dims(op, what, p)?;
    if is_per_tensor(p) {
        return Ok(false);
    }
    let r = b.len();
    let col_vector = r == 2 && p == [b[1]];
    let full = r >= 2
        && p.len() == r
        && p[r - 2] == 1
        && p.iter().zip(b).enumerate().all(|(i, (x, y))| i == r - 2 || x == y);
    if col_vector || full {
        Ok(true)
    } else {
        Err(shape_err(
            op,
            format!(
                "{what} {p:?} is neither a scalar nor per column of B {b:?} ([N] or [..., 1, N])"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
        matmul_shape("MatMulInteger", a, b).ok().map(|s| s.out_dims)
    }

    #[test]
    fn numpy_shapes() {
        assert_eq!(dims(&[4, 5], &[5, 6]), Some(vec![4, 6]));
        assert_eq!(dims(&[2, 3, 4, 5], &[3, 5, 6]), Some(vec![2, 3, 4, 6]));
        assert_eq!(dims(&[2, 1, 4, 5], &[3, 5, 6]), Some(vec![2, 3, 4, 6]));
        assert_eq!(dims(&[5], &[5, 6]), Some(vec![6]));
        assert_eq!(dims(&[4, 5], &[5]), Some(vec![4]));
        assert_eq!(dims(&[5], &[5]), Some(vec![]));
        assert_eq!(dims(&[7, 4, 5], &[5]), Some(vec![7, 4]));
        assert_eq!(dims(&[4, 5], &[4, 6]), None);
        assert_eq!(dims(&[2, 4, 5], &[3, 5, 6]), None);
        assert_eq!(dims(&[], &[5]), None);
    }

    #[test]
    fn batch_pairs_broadcast() {
        // out batch [2, 3] from A batch [2, 1] and B batch [3]:
        // (0,0) (0,1) (0,2) (1,0) (1,1) (1,2) → A 0 0 0 1 1 1, B 0 1 2 0 1 2.
        let s = matmul_shape("M", &[2, 1, 4, 5], &[3, 5, 6]).unwrap();
        assert_eq!(s.batch_pairs(), [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
    }

    #[test]
    fn parameter_layouts() {
        let op = "M";
        assert_eq!(a_param_per_row(op, "a_zp", &[], &[4, 5]), Ok(false));
        assert_eq!(a_param_per_row(op, "a_zp", &[4], &[4, 5]), Ok(true));
        assert_eq!(a_param_per_row(op, "a_zp", &[2, 4, 1], &[2, 4, 5]), Ok(true));
        assert!(a_param_per_row(op, "a_zp", &[5], &[4, 5]).is_err());
        assert!(a_param_per_row(op, "a_zp", &[4], &[2, 4, 5]).is_err());
        assert!(a_param_per_row(op, "a_zp", &[1, 4, 1], &[2, 4, 5]).is_err());
        assert_eq!(b_param_per_col(op, "b_zp", &[6], &[5, 6]), Ok(true));
        assert_eq!(b_param_per_col(op, "b_zp", &[3, 1, 6], &[3, 5, 6]), Ok(true));
        assert!(b_param_per_col(op, "b_zp", &[5], &[5, 6]).is_err());
        assert!(b_param_per_col(op, "b_zp", &[6], &[3, 5, 6]).is_err());
        assert!(b_param_per_col(op, "b_zp", &[3], &[3]).is_err());
    }
}
