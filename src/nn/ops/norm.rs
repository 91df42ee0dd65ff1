//! Normalisations on any rank: BatchNormalization (inference), InstanceNormalization,
//! LayerNormalization, GroupNormalization and LpNormalization. Means and variances in f64.

use super::{Args, Info, Op, OpError, Tensor, axis, shape_err};
use crate::nn::tensor::dims_text;
use ndarray::{ArrayD, IxDyn};

/// A per-channel operand of `c` values (dims `[C]`, or anything holding C values).
fn per_channel(args: &Args<Info>, i: usize, what: &str, c: usize) -> Result<(), OpError> {
    let t = args.need(i, what)?;
    let n: usize = t.dims.iter().product();
    if n != c {
        return Err(shape_err(format!(
            "{what} {} has {n} values, expected C = {c}",
            dims_text(&t.dims)
        )));
    }
    Ok(())
}

pub(super) fn infer(op: &Op, args: &Args<Info>) -> Result<Info, OpError> {
    let x = args.need(0, "input")?;
    let c = if x.rank() >= 2 { x.dims[1] } else { 0 };
    match op {
        Op::BatchNorm { .. } => {
            for (i, w) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
                per_channel(args, i, w, c)?;
            }
        }
        Op::InstanceNorm { .. } => {
            per_channel(args, 1, "scale", c)?;
            per_channel(args, 2, "B", c)?;
        }
        Op::GroupNorm { groups, .. } => {
            if *groups == 0 || !c.is_multiple_of(*groups) {
                return Err(shape_err(format!("num_groups {groups} must divide the {c} channels")));
            }
            for (i, w) in [(1, "scale"), (2, "bias")] {
                let t = args.need(i, w)?;
                let n: usize = t.dims.iter().product();
                if n != c && n != *groups {
                    return Err(shape_err(format!("{w} has {n} values, expected C = {c}")));
                }
            }
        }
        Op::LayerNorm { axis: a, .. } => {
            let a = axis(*a, x.rank())?;
            let tail = &x.dims[a..];
            for (i, w) in [(1, "scale"), (2, "B")] {
                if let Some(t) = args.info(i) {
                    super::broadcast_dims(tail, &t.dims)
                        .ok()
                        .filter(|d| d.as_slice() == tail)
                        .ok_or_else(|| {
                            shape_err(format!(
                                "{w} {} does not broadcast to {}",
                                dims_text(&t.dims),
                                dims_text(tail)
                            ))
                        })?;
                }
            }
        }
        Op::LpNorm { axis: a, p } => {
            axis(*a, x.rank())?;
            if *p != 1 && *p != 2 {
                return Err(OpError::Value {
                    key: "p".into(),
                    value: p.to_string(),
                    rule: "1 or 2".into(),
                });
            }
        }
        _ => return Err(OpError::Unsupported(op.name().to_string())),
    }
    if x.rank() < 2 && !matches!(op, Op::LayerNorm { .. } | Op::LpNorm { .. }) {
        return Err(shape_err(format!("needs an [N, C, …] input, got {}", dims_text(&x.dims))));
    }
    Ok(x)
}

pub(super) fn eval(op: &Op, args: &Args<Tensor>) -> Result<Tensor, OpError> {
    let x = args.f32(0)?;
    let dims = x.shape().to_vec();
    let mut y = x.as_standard_layout().into_owned();
    let v = y.as_slice_mut().expect("standard layout");
    let vec =
        |i: usize| -> Result<Vec<f32>, OpError> { Ok(args.f32(i)?.iter().copied().collect()) };
    match op {
        Op::BatchNorm { eps } => {
            let (g, b, m, var) = (vec(1)?, vec(2)?, vec(3)?, vec(4)?);
            let (n, c, inner) = (dims[0], dims[1], dims[2..].iter().product::<usize>());
            for s in 0..n {
                for ch in 0..c {
                    let k = g[ch] / (var[ch] + eps).sqrt();
                    let run = &mut v[(s * c + ch) * inner..(s * c + ch + 1) * inner];
                    run.iter_mut().for_each(|x| *x = (*x - m[ch]) * k + b[ch]);
                }
            }
        }
        Op::InstanceNorm { eps } => {
            let (g, b) = (vec(1)?, vec(2)?);
            let (n, c, inner) = (dims[0], dims[1], dims[2..].iter().product::<usize>());
            for s in 0..n {
                for ch in 0..c {
                    let run = &mut v[(s * c + ch) * inner..(s * c + ch + 1) * inner];
                    normalize(run, *eps, |_, x| x * g[ch] + b[ch]);
                }
            }
        }
        Op::GroupNorm { groups, eps } => {
            let (g, b) = (vec(1)?, vec(2)?);
            let (n, c, inner) = (dims[0], dims[1], dims[2..].iter().product::<usize>());
            let per = c / groups;
            for s in 0..n {
                for grp in 0..*groups {
                    let run =
                        &mut v[(s * c + grp * per) * inner..(s * c + (grp + 1) * per) * inner];
                    normalize(run, *eps, |i, x| {
                        let ch = grp * per + i / inner;
                        let (gs, bs) = if g.len() == c { (g[ch], b[ch]) } else { (g[grp], b[grp]) };
                        x * gs + bs
                    });
                }
            }
        }
        Op::LayerNorm { axis: a, eps } => {
            let a = axis(*a, dims.len())?;
            let inner: usize = dims[a..].iter().product();
            let tail = IxDyn(&dims[a..]);
            let g =
                args.f32(1)?.broadcast(tail.clone()).map(|s| s.iter().copied().collect::<Vec<_>>());
            let b = match args.value(2) {
                Some(t) => {
                    t.to_f32().broadcast(tail).map(|s| s.iter().copied().collect::<Vec<_>>())
                }
                None => Some(vec![0.0; inner]),
            };
            let (Some(g), Some(b)) = (g, b) else {
                return Err(shape_err("scale or B does not broadcast"));
            };
            if inner > 0 {
                for run in v.chunks_mut(inner) {
                    normalize(run, *eps, |i, x| x * g[i] + b[i]);
                }
            }
        }
        Op::LpNorm { axis: a, p } => {
            let a = axis(*a, dims.len())?;
            let (n, inner) = (dims[a], dims[a + 1..].iter().product::<usize>());
            let outer: usize = dims[..a].iter().product();
            for o in 0..outer {
                for i in 0..inner {
                    let at = |k: usize| (o * n + k) * inner + i;
                    let norm: f64 = (0..n)
                        .map(|k| f64::from(v[at(k)]))
                        .map(|x| if *p == 1 { x.abs() } else { x * x })
                        .sum();
                    let norm = if *p == 1 { norm } else { norm.sqrt() };
                    if norm > 0.0 {
                        (0..n).for_each(|k| v[at(k)] = (f64::from(v[at(k)]) / norm) as f32);
                    }
                }
            }
        }
        _ => return Err(OpError::Unsupported(op.name().to_string())),
    }
    let y: ArrayD<f32> = y.into_shape_with_order(IxDyn(&dims)).expect("same dims");
    Ok(Tensor::F32(y.into_shared()))
}

/// LayerNormalization's Mean (output 1) and InvStdDev (output 2): the input's dims before the
/// axis, then 1s.
pub(super) fn layer_norm_stats_info(axis_: i64, args: &Args<Info>) -> Result<Info, OpError> {
    let x = args.need(0, "input")?;
    let a = axis(axis_, x.rank())?;
    let mut d = x.dims.clone();
    d[a..].iter_mut().for_each(|v| *v = 1);
    Ok(Info::f32(d))
}

pub(super) fn layer_norm_stats(
    axis_: i64,
    eps: f32,
    output: usize,
    args: &Args<Tensor>,
) -> Result<Tensor, OpError> {
    let x = args.f32(0)?;
    let a = axis(axis_, x.ndim())?;
    let inner: usize = x.shape()[a..].iter().product();
    let mut d = x.shape().to_vec();
    d[a..].iter_mut().for_each(|v| *v = 1);
    let v: Vec<f32> = x.iter().copied().collect();
    let stats: Vec<f32> = if inner == 0 {
        vec![0.0; d.iter().product()]
    } else {
        v.chunks(inner)
            .map(|run| {
                let n = run.len() as f64;
                let mean = run.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
                let var = run.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n;
                if output == 1 { mean as f32 } else { (1.0 / (var + f64::from(eps)).sqrt()) as f32 }
            })
            .collect()
    };
    Ok(Tensor::f32(&d, stats))
}

/// `(x − mean)/√(var + ε)` over `run`, then `affine(i, value)`.
fn normalize(run: &mut [f32], eps: f32, affine: impl Fn(usize, f32) -> f32) {
    if run.is_empty() {
        return;
    }
    let n = run.len() as f64;
    let mean = run.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = run.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n;
    let k = 1.0 / (var + f64::from(eps)).sqrt();
    for (i, x) in run.iter_mut().enumerate() {
        *x = affine(i, ((f64::from(*x) - mean) * k) as f32);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{X, f, run, vals};
    use super::*;

    #[test]
    fn layer_norm_over_the_last_axis() {
        // [1, 3] and [2, 4]: mean 2 and 3, var 1: (x − m)/1 = −1, 1 (ε 0).
        let y = run(
            Op::LayerNorm { axis: -1, eps: 0.0 },
            vec![
                X::R(f(&[2, 2], &[1., 3., 2., 4.])),
                X::C(f(&[2], &[1., 2.])),
                X::C(f(&[2], &[0., 10.])),
            ],
        )
        .unwrap();
        assert_eq!(vals(&y), [-1., 12., -1., 12.]);
    }

    #[test]
    fn instance_group_and_lp_norms() {
        let x = f(&[1, 2, 1, 2], &[0., 2., 5., 7.]);
        let y = run(
            Op::InstanceNorm { eps: 0.0 },
            vec![X::R(x.clone()), X::C(f(&[2], &[1., 1.])), X::C(f(&[2], &[0., 0.]))],
        )
        .unwrap();
        assert_eq!(vals(&y), [-1., 1., -1., 1.]);
        let g = run(
            Op::GroupNorm { groups: 1, eps: 0.0 },
            vec![X::R(x.clone()), X::C(f(&[2], &[1., 1.])), X::C(f(&[2], &[0., 0.]))],
        )
        .unwrap();
        // mean 3.5, var (12.25 + 2.25 + 2.25 + 12.25)/4 = 7.25.
        let s = 7.25f32.sqrt();
        for (a, b) in vals(&g).iter().zip([-3.5 / s, -1.5 / s, 1.5 / s, 3.5 / s]) {
            assert!((a - b).abs() < 1e-6);
        }
        let l = run(Op::LpNorm { axis: 1, p: 2 }, vec![X::R(f(&[1, 2], &[3., 4.]))]).unwrap();
        assert_eq!(vals(&l), [0.6, 0.8]);
        assert!(
            run(
                Op::GroupNorm { groups: 3, eps: 0.0 },
                vec![X::R(x), X::C(f(&[2], &[1.; 2])), X::C(f(&[2], &[0.; 2]))]
            )
            .is_err()
        );
    }
}
