//! Matrix products: MatMul with numpy's rules (a 1-D operand is promoted and its axis dropped
//! again; batch axes broadcast) and Gemm (`α·A'·B' + β·C` with transposes), on the same safe
//! GEMM door the convolutions use.

use super::{Args, Info, Op, OpError, shape_err};
use crate::nn::kernels::sgemm::{Mat, matmul, parallelism};
use crate::nn::tensor::{Tensor, dims_text};
use ndarray::{ArrayD, IxDyn};

/// A MatMul's broadcast batch dims, its `m × k · k × n` product, and the output dims.
struct Plan {
    batch: Vec<usize>,
    m: usize,
    k: usize,
    n: usize,
    out: Vec<usize>,
}

fn plan(a: &[usize], b: &[usize]) -> Result<Plan, OpError> {
    if a.is_empty() || b.is_empty() {
        return Err(shape_err("MatMul of a scalar"));
    }
    let (a2, b2): (Vec<usize>, Vec<usize>) = (
        if a.len() == 1 { vec![1, a[0]] } else { a.to_vec() },
        if b.len() == 1 { vec![b[0], 1] } else { b.to_vec() },
    );
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (k2, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
    if k != k2 {
        return Err(shape_err(format!(
            "MatMul of {} and {}: inner dims {k} and {k2} differ",
            dims_text(a),
            dims_text(b)
        )));
    }
    let batch = super::broadcast_dims(&a2[..a2.len() - 2], &b2[..b2.len() - 2])?;
    let mut out = batch.clone();
    if a.len() > 1 {
        out.push(m);
    }
    if b.len() > 1 {
        out.push(n);
    }
    Ok(Plan { batch, m, k, n, out })
}

pub(super) fn infer(op: &Op, args: &Args<Info>) -> Result<Info, OpError> {
    let a = args.need(0, "A")?;
    let b = args.need(1, "B")?;
    match op {
        Op::MatMul => {
            if !a.elem.is_float() || !b.elem.is_float() {
                return Err(OpError::Operand("MatMul of integers (use MatMulInteger)".into()));
            }
            Ok(Info::f32(plan(&a.dims, &b.dims)?.out))
        }
        Op::Gemm { trans_a, trans_b, .. } => {
            if a.rank() != 2 || b.rank() != 2 {
                return Err(shape_err(format!(
                    "Gemm needs 2-D A and B, got {} and {}",
                    dims_text(&a.dims),
                    dims_text(&b.dims)
                )));
            }
            let (m, k) = if *trans_a { (a.dims[1], a.dims[0]) } else { (a.dims[0], a.dims[1]) };
            let (k2, n) = if *trans_b { (b.dims[1], b.dims[0]) } else { (b.dims[0], b.dims[1]) };
            if k != k2 {
                return Err(shape_err(format!("Gemm inner dims {k} and {k2} differ")));
            }
            if let Some(c) = args.info(2) {
                let d = super::broadcast_dims(&[m, n], &c.dims)?;
                if d != [m, n] {
                    return Err(shape_err(format!(
                        "C {} does not broadcast to [{m}, {n}]",
                        dims_text(&c.dims)
                    )));
                }
            }
            Ok(Info::f32(vec![m, n]))
        }
        _ => Err(OpError::Unsupported(op.name().to_string())),
    }
}

/// Offsets of each batch entry's matrix in a standard-layout operand of `dims` (matrix in the
/// last two axes), broadcast to `batch`.
fn batch_offsets(dims: &[usize], batch: &[usize], mat: usize) -> Vec<usize> {
    let nb = dims.len().saturating_sub(2);
    let own = &dims[..nb];
    let total: usize = batch.iter().product();
    let mut out = Vec::with_capacity(total);
    let mut idx = vec![0usize; batch.len()];
    for _ in 0..total {
        // Map the broadcast index onto the operand's own batch axes (trailing-aligned).
        let mut off = 0;
        let mut stride = mat;
        for (j, &d) in own.iter().enumerate().rev() {
            let bi = idx[batch.len() - own.len() + j];
            off += if d == 1 { 0 } else { bi } * stride;
            stride *= d;
        }
        out.push(off);
        for a in (0..batch.len()).rev() {
            idx[a] += 1;
            if idx[a] < batch[a] {
                break;
            }
            idx[a] = 0;
        }
    }
    out
}

pub(super) fn eval(op: &Op, args: &Args<Tensor>, out: &Info) -> Result<Tensor, OpError> {
    // Borrowed when already contiguous (a Gemm's weights always are): no copy per pass.
    let (va, vb) = (args.f32(0)?, args.f32(1)?);
    let (a, b) = (va.as_standard_layout(), vb.as_standard_layout());
    let (sa, sb) = (a.as_slice().expect("standard"), b.as_slice().expect("standard"));
    let mut y = vec![0.0f32; out.dims.iter().product()];
    match op {
        Op::MatMul => {
            let Plan { batch, m, k, n, .. } = plan(a.shape(), b.shape())?;
            let (ad, bd): (Vec<usize>, Vec<usize>) = (
                if a.ndim() == 1 { vec![1, a.shape()[0]] } else { a.shape().to_vec() },
                if b.ndim() == 1 { vec![b.shape()[0], 1] } else { b.shape().to_vec() },
            );
            let oa = batch_offsets(&ad, &batch, m * k);
            let ob = batch_offsets(&bd, &batch, k * n);
            let par = parallelism(2 * m * n * k);
            for (bi, (&pa, &pb)) in oa.iter().zip(&ob).enumerate() {
                let lhs = Mat::row_major(&sa[pa..pa + m * k], m, k, k);
                let rhs = Mat::row_major(&sb[pb..pb + k * n], k, n, n);
                matmul(&mut y[bi * m * n..(bi + 1) * m * n], n, lhs, rhs, par);
            }
        }
        Op::Gemm { alpha, beta, trans_a, trans_b } => {
            let (r0, c0) = (a.shape()[0], a.shape()[1]);
            let (r1, c1) = (b.shape()[0], b.shape()[1]);
            let lhs = if *trans_a {
                Mat { data: sa, rows: c0, cols: r0, rs: 1, cs: c0 }
            } else {
                Mat::row_major(sa, r0, c0, c0)
            };
            let rhs = if *trans_b {
                Mat { data: sb, rows: c1, cols: r1, rs: 1, cs: c1 }
            } else {
                Mat::row_major(sb, r1, c1, c1)
            };
            let (m, n) = (lhs.rows, rhs.cols);
            matmul(&mut y, n, lhs, rhs, parallelism(2 * m * n * lhs.cols));
            if *alpha != 1.0 {
                y.iter_mut().for_each(|v| *v *= alpha);
            }
            if let Some(c) = args.value(2) {
                let c = c.to_f32();
                let c =
                    c.broadcast(IxDyn(&[m, n])).ok_or_else(|| shape_err("C does not broadcast"))?;
                y.iter_mut().zip(c.iter()).for_each(|(v, &cv)| *v += beta * cv);
            }
        }
        _ => return Err(OpError::Unsupported(op.name().to_string())),
    }
    let y = ArrayD::from_shape_vec(IxDyn(&out.dims), y).map_err(|e| shape_err(e.to_string()))?;
    Ok(Tensor::F32(y.into_shared()))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{X, f, run, vals};
    use super::*;

    #[test]
    fn matmul_batches_broadcast_and_vectors_promote() {
        // A: [2, 2, 3] two matrices; B: [3, 1] shared.
        let a = f(&[2, 2, 3], &[1., 2., 3., 4., 5., 6., 1., 0., 0., 0., 1., 0.]);
        let b = f(&[3, 1], &[1., 1., 1.]);
        let y = run(Op::MatMul, vec![X::R(a), X::C(b)]).unwrap();
        assert_eq!((y.dims(), vals(&y)), (&[2, 2, 1][..], vec![6., 15., 1., 1.]));
        // [3] · [3, 2] = [2].
        let y = run(
            Op::MatMul,
            vec![X::R(f(&[3], &[1., 2., 3.])), X::C(f(&[3, 2], &[1., 0., 0., 1., 1., 1.]))],
        )
        .unwrap();
        assert_eq!((y.dims(), vals(&y)), (&[2][..], vec![4., 5.]));
        assert!(run(Op::MatMul, vec![X::R(f(&[2], &[1., 2.])), X::C(f(&[3], &[1.; 3]))]).is_err());
    }

    #[test]
    fn gemm_with_transposes_alpha_beta_and_c() {
        // Aᵀ with A = [[1, 2], [3, 4]] (so A' = [[1, 3], [2, 4]]), B = I, α 2, β 1, C = [10, 20].
        let y = run(
            Op::Gemm { alpha: 2.0, beta: 1.0, trans_a: true, trans_b: false },
            vec![
                X::R(f(&[2, 2], &[1., 2., 3., 4.])),
                X::C(f(&[2, 2], &[1., 0., 0., 1.])),
                X::C(f(&[2], &[10., 20.])),
            ],
        )
        .unwrap();
        assert_eq!(vals(&y), [12., 26., 14., 28.]);
    }
}
