//! Reductions over axes (ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceL2, ReduceProd,
//! ReduceL1, ReduceSumSquare, ReduceLogSumExp), ArgMax/ArgMin, and the global pools. Sums are in
//! f64.

use super::{Args, Info, Op, OpError, axis};
use crate::nn::tensor::{Elem, Tensor};
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Mean,
    Sum,
    Max,
    Min,
    L1,
    L2,
    Prod,
    SumSquare,
    LogSumExp,
}

impl ReduceOp {
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Mean => "reduce_mean",
            ReduceOp::Sum => "reduce_sum",
            ReduceOp::Max => "reduce_max",
            ReduceOp::Min => "reduce_min",
            ReduceOp::L1 => "reduce_l1",
            ReduceOp::L2 => "reduce_l2",
            ReduceOp::Prod => "reduce_prod",
            ReduceOp::SumSquare => "reduce_sum_square",
            ReduceOp::LogSumExp => "reduce_log_sum_exp",
        }
    }

    fn fold(self, vals: impl Iterator<Item = f64>) -> f64 {
        let mut n = 0usize;
        let mut acc = match self {
            ReduceOp::Max => f64::NEG_INFINITY,
            ReduceOp::Min => f64::INFINITY,
            ReduceOp::Prod => 1.0,
            _ => 0.0,
        };
        if self == ReduceOp::LogSumExp {
            let vals: Vec<f64> = vals.collect();
            let m = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let m = if m.is_finite() { m } else { 0.0 };
            return m + vals.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
        }
        for v in vals {
            n += 1;
            acc = match self {
                ReduceOp::Mean | ReduceOp::Sum => acc + v,
                ReduceOp::Max => {
                    if v.is_nan() || v > acc {
                        v
                    } else {
                        acc
                    }
                }
                ReduceOp::Min => {
                    if v.is_nan() || v < acc {
                        v
                    } else {
                        acc
                    }
                }
                ReduceOp::L1 => acc + v.abs(),
                ReduceOp::L2 | ReduceOp::SumSquare => acc + v * v,
                ReduceOp::Prod => acc * v,
                ReduceOp::LogSumExp => unreachable!("handled above"),
            };
        }
        match self {
            ReduceOp::Mean if n > 0 => acc / n as f64,
            ReduceOp::L2 => acc.sqrt(),
            _ => acc,
        }
    }
}

/// The axes a reduction runs over (sorted, unique), or `None` for "none" (noop).
pub(crate) fn reduce_axes(
    axes: &Option<Vec<i64>>,
    noop: bool,
    args: &Args<Info>,
    rank: usize,
) -> Result<Option<Vec<usize>>, OpError> {
    let given: Option<Vec<i64>> = match axes {
        Some(a) => Some(a.clone()),
        None if args.is_present(1) => {
            Some(args.need_const(1, "axes")?.to_i64().iter().copied().collect())
        }
        None => None,
    };
    let list = match given {
        Some(a) if !a.is_empty() => a,
        _ if noop => return Ok(None),
        _ => (0..rank as i64).collect(),
    };
    let mut v: Vec<usize> = list.iter().map(|&a| axis(a, rank)).collect::<Result<_, _>>()?;
    v.sort_unstable();
    v.dedup();
    Ok(Some(v))
}

fn out_dims(dims: &[usize], axes: &[usize], keep: bool) -> Vec<usize> {
    dims.iter()
        .enumerate()
        .filter_map(|(i, &d)| if axes.contains(&i) { keep.then_some(1) } else { Some(d) })
        .collect()
}

pub(super) fn infer(op: &Op, args: &Args<Info>) -> Result<Info, OpError> {
    let x = args.need(0, "input")?;
    match op {
        Op::Reduce { axes, keepdims, noop_with_empty_axes, op: r } => {
            let elem = if matches!(r, ReduceOp::Mean | ReduceOp::L2 | ReduceOp::LogSumExp) {
                Elem::F32
            } else {
                x.elem
            };
            Ok(match reduce_axes(axes, *noop_with_empty_axes, args, x.rank())? {
                Some(a) => Info::new(out_dims(&x.dims, &a, *keepdims), elem),
                None => Info::new(x.dims, elem),
            })
        }
        Op::ArgMax { axis: a, keepdims, .. } => {
            let a = axis(*a, x.rank())?;
            if x.dims[a] == 0 {
                return Err(super::shape_err("argmax over an empty axis"));
            }
            Ok(Info::new(out_dims(&x.dims, &[a], *keepdims), Elem::I64))
        }
        _ => Err(OpError::Unsupported(op.name().to_string())),
    }
}

/// TopK's outputs: the input's dims with `k` along the axis; values keep the input's type,
/// indices are int64.
pub(super) fn top_k_info(op: &Op, output: usize, args: &Args<Info>) -> Result<Info, OpError> {
    let Op::TopK { axis: a, .. } = op else { unreachable!("not TopK") };
    let x = args.need(0, "input")?;
    let a = axis(*a, x.rank())?;
    let k = args.need_const(1, "TopK's K")?.ints();
    let [k] = k[..] else {
        return Err(super::shape_err(format!("TopK's K has {} values, not 1", k.len())));
    };
    if !(0..=x.dims[a] as i64).contains(&k) {
        return Err(OpError::Value {
            key: "K".into(),
            value: k.to_string(),
            rule: format!("0 ≤ K ≤ {} (the axis length)", x.dims[a]),
        });
    }
    let mut d = x.dims.clone();
    d[a] = k as usize;
    Ok(if output == 0 { Info::new(d, x.elem) } else { Info::new(d, Elem::I64) })
}

/// TopK: along the axis, the `k` largest (or smallest) values, ties to the lower index.
pub(super) fn top_k(
    op: &Op,
    output: usize,
    args: &Args<Tensor>,
    out: &Info,
) -> Result<Tensor, OpError> {
    let Op::TopK { axis: a, largest, .. } = op else { unreachable!("not TopK") };
    let x = args.get(0)?;
    let a = axis(*a, x.dims().len())?;
    let k = out.dims[a];
    let vals = x.to_f32();
    let lanes = vals.view();
    let n = x.dims()[a];
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let mut idx = ndarray::ArrayD::<i64>::zeros(IxDyn(&out.dims));
    for (lane, mut dst) in lanes.lanes(Axis(a)).into_iter().zip(idx.lanes_mut(Axis(a))) {
        order.clear();
        order.extend(0..n);
        // A stable sort keeps equal values in index order; NaN sorts as the largest.
        order.sort_by(|&i, &j| {
            let (p, q) = (lane[i], lane[j]);
            let c = p.partial_cmp(&q).unwrap_or_else(|| p.is_nan().cmp(&q.is_nan()));
            if *largest { c.reverse() } else { c }
        });
        for (d, &i) in dst.iter_mut().zip(&order[..k]) {
            *d = i as i64;
        }
    }
    if output == 1 {
        return Ok(Tensor::Int(idx.into_shared(), Elem::I64));
    }
    let pick = |i: &ndarray::ArrayD<i64>| -> Vec<usize> { i.iter().map(|&v| v as usize).collect() };
    let picked = pick(&idx);
    let mut flat = Vec::with_capacity(picked.len());
    let stride_out: usize = out.dims[a + 1..].iter().product();
    let stride_in: usize = x.dims()[a + 1..].iter().product();
    for (o, &i) in picked.iter().enumerate() {
        let (outer, inner) = (o / (k * stride_out), o % stride_out);
        flat.push(outer * n * stride_in + i * stride_in + inner);
    }
    Ok(match x {
        Tensor::F32(v) => {
            let s = v.as_standard_layout();
            let s = s.as_slice().expect("standard layout");
            Tensor::f32(&out.dims, flat.iter().map(|&f| s[f]).collect())
        }
        Tensor::Int(v, e) => {
            let s = v.as_standard_layout();
            let s = s.as_slice().expect("standard layout");
            Tensor::int(&out.dims, flat.iter().map(|&f| s[f]).collect(), *e)
        }
    })
}

/// Fold the values of `x` over `axes` with `f` on each group.
fn over<T: Copy>(
    x: &ArrayViewD<T>,
    axes: &[usize],
    keep: bool,
    f: impl Fn(&[T]) -> T,
) -> ArrayD<T> {
    let dims = x.shape().to_vec();
    // Move the reduced axes last, then every output cell is one contiguous run.
    let kept: Vec<usize> = (0..dims.len()).filter(|i| !axes.contains(i)).collect();
    let order: Vec<usize> = kept.iter().chain(axes).copied().collect();
    let moved = x.view().permuted_axes(IxDyn(&order)).as_standard_layout().into_owned();
    let group: usize = axes.iter().map(|&a| dims[a]).product();
    let flat = moved.as_slice().expect("standard layout");
    let out: Vec<T> = if group == 0 {
        // Reducing an empty axis: one identity value per output cell.
        let cells: usize = kept.iter().map(|&a| dims[a]).product();
        (0..cells).map(|_| f(&[])).collect()
    } else {
        flat.chunks(group).map(&f).collect()
    };
    ArrayD::from_shape_vec(IxDyn(&out_dims(&dims, axes, keep)), out).expect("one value per cell")
}

pub(super) fn eval(op: &Op, args: &Args<Tensor>, out: &Info) -> Result<Tensor, OpError> {
    let x = args.get(0)?;
    let rank = x.dims().len();
    match op {
        Op::Reduce { axes, keepdims, noop_with_empty_axes, op: r } => {
            let infos = super::info_args(args);
            let Some(ax) = reduce_axes(axes, *noop_with_empty_axes, &infos, rank)? else {
                return Ok(if out.elem.is_float() { Tensor::F32(x.to_f32()) } else { x.clone() });
            };
            let xf = x.to_f32();
            let y = over(&xf.view(), &ax, *keepdims, |v| {
                r.fold(v.iter().map(|&x| f64::from(x))) as f32
            });
            Ok(if out.elem.is_float() {
                Tensor::F32(y.into_shared())
            } else {
                Tensor::Int(y.mapv(|v| v as i64).into_shared(), out.elem)
            })
        }
        Op::ArgMax { axis: a, keepdims, select_last_index, min } => {
            let a = axis(*a, rank)?;
            let xf = x.to_f32();
            let v = xf.view();
            let moved = v.view().permuted_axes(IxDyn(&{
                let mut o: Vec<usize> = (0..rank).filter(|&i| i != a).collect();
                o.push(a);
                o
            }));
            let moved = moved.as_standard_layout().into_owned();
            let n = v.shape()[a];
            let flat = moved.as_slice().expect("standard layout");
            let best: Vec<i64> = flat
                .chunks(n)
                .map(|c| {
                    let mut bi = 0usize;
                    for (j, &val) in c.iter().enumerate() {
                        let better = if *min { val < c[bi] } else { val > c[bi] };
                        let tie = val == c[bi] && *select_last_index;
                        if better || tie {
                            bi = j;
                        }
                    }
                    bi as i64
                })
                .collect();
            let dims = out_dims(v.shape(), &[a], *keepdims);
            Ok(Tensor::int(&dims, best, Elem::I64))
        }
        _ => Err(OpError::Unsupported(op.name().to_string())),
    }
}

/// GlobalAveragePool / GlobalMaxPool: every axis after N and C to 1.
pub(super) fn global_pool(x: &ArrayViewD<f32>, max: bool) -> Result<Tensor, OpError> {
    let axes: Vec<usize> = (2..x.ndim()).collect();
    let op = if max { ReduceOp::Max } else { ReduceOp::Mean };
    let y = over(x, &axes, true, |v| op.fold(v.iter().map(|&x| f64::from(x))) as f32);
    Ok(Tensor::F32(y.into_shared()))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{X, f, i, run, vals};
    use super::*;

    fn reduce(op: ReduceOp, axes: &[i64], keep: bool) -> Op {
        Op::Reduce { op, axes: Some(axes.to_vec()), keepdims: keep, noop_with_empty_axes: false }
    }

    #[test]
    fn reductions_over_written_out_values() {
        // x = [[1, 2, 3], [4, 5, 6]].
        let x = || X::R(f(&[2, 3], &[1., 2., 3., 4., 5., 6.]));
        let y = run(reduce(ReduceOp::Mean, &[1], true), vec![x()]).unwrap();
        assert_eq!((y.dims(), vals(&y)), (&[2, 1][..], vec![2., 5.]));
        let y = run(reduce(ReduceOp::Sum, &[0], false), vec![x()]).unwrap();
        assert_eq!(vals(&y), [5., 7., 9.]);
        let y = run(reduce(ReduceOp::L2, &[-1], false), vec![x()]).unwrap();
        assert!((vals(&y)[0] - 14f32.sqrt()).abs() < 1e-6);
        let all = Op::Reduce {
            op: ReduceOp::Max,
            axes: None,
            keepdims: false,
            noop_with_empty_axes: false,
        };
        assert_eq!(vals(&run(all, vec![x()]).unwrap()), [6.]);
        // Axes as an operand (opset 18).
        let op = Op::Reduce {
            op: ReduceOp::Min,
            axes: None,
            keepdims: true,
            noop_with_empty_axes: false,
        };
        let y = run(op, vec![x(), X::C(i(&[1], &[0]))]).unwrap();
        assert_eq!(vals(&y), [1., 2., 3.]);
        // An absent axes operand reduces over every axis; with noop_with_empty_axes it is a copy.
        let op = Op::Reduce {
            op: ReduceOp::Sum,
            axes: None,
            keepdims: false,
            noop_with_empty_axes: false,
        };
        assert_eq!(vals(&run(op, vec![x(), X::A]).unwrap()), [21.]);
        let op = Op::Reduce {
            op: ReduceOp::Sum,
            axes: None,
            keepdims: false,
            noop_with_empty_axes: true,
        };
        assert_eq!(vals(&run(op, vec![x(), X::A]).unwrap()), [1., 2., 3., 4., 5., 6.]);
    }

    #[test]
    fn argmax_ties_and_global_pools() {
        let x = X::R(f(&[2, 3], &[1., 7., 7., 9., 0., 9.]));
        let first = Op::ArgMax { axis: 1, keepdims: false, select_last_index: false, min: false };
        assert_eq!(run(first, vec![x]).unwrap().ints(), [1, 0]);
        let x = X::R(f(&[2, 3], &[1., 7., 7., 9., 0., 9.]));
        let last = Op::ArgMax { axis: 1, keepdims: true, select_last_index: true, min: false };
        let y = run(last, vec![x]).unwrap();
        assert_eq!((y.dims(), y.ints()), (&[2, 1][..], vec![2, 2]));
        let g =
            run(Op::GlobalPool { max: true }, vec![X::R(f(&[1, 2, 2, 1], &[1., 5., -1., -2.]))])
                .unwrap();
        assert_eq!((g.dims(), vals(&g)), (&[1, 2, 1, 1][..], vec![5., -1.]));
    }
}
