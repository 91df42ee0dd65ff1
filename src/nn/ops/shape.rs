//! Ops that move values rather than compute them: reshapes, transposes, concatenation,
//! splits, slices, gathers, expands, tiles, and the shape ops (Shape, Size, ConstantOfShape,
//! Range, Cast). On floats and integers alike, on any rank, with ONNX's rules for negative axes
//! and indices. Every size a constant operand gives is checked before anything is allocated.

use super::{Args, Info, Op, OpError, axis, shape_err, sizes};
use crate::nn::geometry;
use crate::nn::tensor::{Elem, Tensor, dims_text};
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Slice};

/// Apply `f` to the values of `t`, floats or integers alike.
fn each<F, G>(t: &Tensor, f: F, g: G) -> Result<Tensor, OpError>
where
    F: FnOnce(ArrayViewD<f32>) -> Result<ArrayD<f32>, OpError>,
    G: FnOnce(ArrayViewD<i64>) -> Result<ArrayD<i64>, OpError>,
{
    Ok(match t {
        Tensor::F32(a) => Tensor::F32(f(a.view())?.into_shared()),
        Tensor::Int(a, e) => Tensor::Int(g(a.view())?.into_shared(), *e),
    })
}

/// Generic over the element: one body for both types.
macro_rules! both {
    ($t:expr, |$a:ident| $body:expr) => {
        each($t, |$a: ArrayViewD<f32>| $body, |$a: ArrayViewD<i64>| $body)
    };
}

/// The dims a `Reshape` produces: `0` copies the input dim (unless `allowzero`), `-1` is inferred.
///
/// # Errors
/// More than one `-1`, a bad entry, or a total that differs from the input's.
pub fn reshape_dims(
    input: &[usize],
    shape: &[i64],
    allowzero: bool,
) -> Result<Vec<usize>, OpError> {
    let total: usize = geometry::count("input", input)?;
    let mut dims = Vec::with_capacity(shape.len());
    let mut infer = None;
    for (i, &s) in shape.iter().enumerate() {
        match s {
            -1 if infer.is_none() => {
                infer = Some(i);
                dims.push(1);
            }
            0 if !allowzero => dims.push(*input.get(i).ok_or_else(|| {
                shape_err(format!(
                    "shape {shape:?} copies dim {i}, which {} lacks",
                    dims_text(input)
                ))
            })?),
            s if s >= 0 => dims.push(geometry::bounded("shape", s as usize)?),
            _ => return Err(shape_err(format!("shape {shape:?} is not valid"))),
        }
    }
    let known = geometry::count("shape", &dims)?;
    if let Some(i) = infer {
        if known == 0 || !total.is_multiple_of(known) {
            return Err(shape_err(format!("cannot reshape {} to {shape:?}", dims_text(input))));
        }
        dims[i] = total / known;
    }
    if geometry::count("shape", &dims)? != total {
        return Err(shape_err(format!(
            "cannot reshape {} ({total} values) to {shape:?}",
            dims_text(input)
        )));
    }
    Ok(dims)
}

/// A transpose's permutation, checked to be one.
fn perm(p: &Option<Vec<i64>>, rank: usize) -> Result<Vec<usize>, OpError> {
    let perm: Vec<usize> = match p {
        Some(p) => p.iter().map(|&a| axis(a, rank)).collect::<Result<_, _>>()?,
        None => (0..rank).rev().collect(),
    };
    let mut sorted = perm.clone();
    sorted.sort_unstable();
    if sorted != (0..rank).collect::<Vec<_>>() {
        return Err(OpError::Value {
            key: "perm".into(),
            value: format!("{perm:?}"),
            rule: format!("a permutation of the {rank} axes"),
        });
    }
    Ok(perm)
}

/// Squeeze/Unsqueeze axes from the attribute or operand 1.
fn axes_of(attr: &Option<Vec<i64>>, args: &Args<Info>) -> Result<Option<Vec<i64>>, OpError> {
    if let Some(a) = attr {
        return Ok(Some(a.clone()));
    }
    if args.is_present(1) {
        return Ok(Some(args.need_const(1, "axes")?.to_i64().iter().copied().collect()));
    }
    Ok(None)
}

/// Slice parameters per axis: `(begin, step, count)`.
struct Cut {
    begin: Vec<i64>,
    step: Vec<i64>,
}

/// Per axis, a Slice's first input index and its step.
pub(super) type SliceCut = (Vec<i64>, Vec<i64>);

/// A Slice layer's output dims and, per axis, its first input index and step (for the explain
/// panel).
pub(super) fn slice_cut(
    layer: &super::OpLayer,
    args: &Args<Info>,
    dims: &[usize],
) -> Result<(Vec<usize>, SliceCut), OpError> {
    let Op::Slice { attrs } = &layer.op else {
        return Err(OpError::Operand("not a Slice".into()));
    };
    let (d, cut) = slice_plan(attrs, args, dims)?;
    Ok((d, (cut.begin, cut.step)))
}

fn slice_plan(
    attrs: &Option<[Option<Vec<i64>>; 3]>,
    args: &Args<Info>,
    dims: &[usize],
) -> Result<(Vec<usize>, Cut), OpError> {
    let list = |i: usize, what: &str| -> Result<Option<Vec<i64>>, OpError> {
        if args.is_present(i) {
            return Ok(Some(args.need_const(i, what)?.to_i64().iter().copied().collect()));
        }
        Ok(None)
    };
    let (starts, ends, axes, steps) = match attrs {
        Some([s, e, a]) => (s.clone(), e.clone(), a.clone(), None),
        None => (list(1, "starts")?, list(2, "ends")?, list(3, "axes")?, list(4, "steps")?),
    };
    let starts = starts.ok_or_else(|| OpError::Operand("starts are missing".into()))?;
    let ends = ends.ok_or_else(|| OpError::Operand("ends are missing".into()))?;
    let n = starts.len();
    let axes = axes.unwrap_or_else(|| (0..n as i64).collect());
    let steps = steps.unwrap_or_else(|| vec![1; n]);
    if ends.len() != n || axes.len() != n || steps.len() != n {
        return Err(shape_err(format!(
            "starts, ends, axes and steps have {n}, {}, {} and {} entries; they must agree",
            ends.len(),
            axes.len(),
            steps.len()
        )));
    }
    let r = dims.len();
    let mut out = dims.to_vec();
    let mut cut = Cut { begin: vec![0; r], step: vec![1; r] };
    let mut seen = vec![false; r];
    for k in 0..n {
        let a = axis(axes[k], r)?;
        if std::mem::replace(&mut seen[a], true) {
            return Err(shape_err(format!("axis {a} is sliced twice")));
        }
        let d = dims[a] as i64;
        let s = steps[k];
        if s == 0 {
            return Err(OpError::Value {
                key: "step".into(),
                value: "0".into(),
                rule: "≠ 0".into(),
            });
        }
        let norm =
            |v: i64, lo: i64, hi: i64| (if v < 0 { v.saturating_add(d) } else { v }).clamp(lo, hi);
        let (b, e) = if s > 0 {
            (norm(starts[k], 0, d), norm(ends[k], 0, d))
        } else {
            (norm(starts[k], -1, d - 1), norm(ends[k], -1, d - 1))
        };
        let count = if s > 0 {
            ((e - b).max(0) as u64).div_ceil(s as u64)
        } else {
            ((b - e).max(0) as u64).div_ceil(s.unsigned_abs())
        };
        cut.begin[a] = b;
        cut.step[a] = s;
        out[a] = count as usize;
    }
    Ok((out, cut))
}

/// The split sizes along `axis` of length `n`.
fn split_sizes(
    split: &Option<Vec<i64>>,
    outputs: usize,
    n: usize,
    args: &Args<Info>,
) -> Result<Vec<usize>, OpError> {
    let given = match split {
        Some(s) => Some(s.clone()),
        None if args.is_present(1) => {
            Some(args.need_const(1, "split")?.to_i64().iter().copied().collect())
        }
        None => None,
    };
    match given {
        Some(s) => {
            let v: Vec<usize> = s
                .iter()
                .map(|&x| {
                    usize::try_from(x).map_err(|_| shape_err(format!("split size {x} is negative")))
                })
                .collect::<Result<_, _>>()?;
            if v.iter().try_fold(0usize, |a, &b| a.checked_add(b)) != Some(n) {
                return Err(shape_err(format!("split sizes {s:?} do not add up to {n}")));
            }
            Ok(v)
        }
        None => {
            let k = outputs.max(1);
            // Equal parts; the last one smaller when it does not divide (opset 18).
            let part = n.div_ceil(k);
            Ok((0..k).map(|i| part.min(n.saturating_sub(i * part))).collect())
        }
    }
}

pub(super) fn infer(op: &Op, output: usize, args: &Args<Info>) -> Result<Info, OpError> {
    let x = args.need(0, "input")?;
    let r = x.rank();
    Ok(match op {
        Op::Reshape { allowzero } => {
            let shape = args.need_const(1, "the target shape")?.to_i64();
            let shape: Vec<i64> = shape.iter().copied().collect();
            Info::new(reshape_dims(&x.dims, &shape, *allowzero)?, x.elem)
        }
        Op::Flatten { axis: a } => {
            let a = if *a < 0 { a + r as i64 } else { *a };
            if !(0..=r as i64).contains(&a) {
                return Err(OpError::Value {
                    key: "axis".into(),
                    value: a.to_string(),
                    rule: format!("0 ≤ axis ≤ {r}"),
                });
            }
            let a = a as usize;
            let outer = geometry::count("outer", &x.dims[..a])?;
            let inner = geometry::count("inner", &x.dims[a..])?;
            Info::new(vec![outer, inner], x.elem)
        }
        Op::Squeeze { axes } => {
            let dims = match axes_of(axes, args)? {
                Some(a) => {
                    let ax: Vec<usize> = a.iter().map(|&v| axis(v, r)).collect::<Result<_, _>>()?;
                    if let Some(&bad) = ax.iter().find(|&&i| x.dims[i] != 1) {
                        return Err(shape_err(format!(
                            "axis {bad} of {} is not 1",
                            dims_text(&x.dims)
                        )));
                    }
                    (0..r).filter(|i| !ax.contains(i)).map(|i| x.dims[i]).collect()
                }
                None => x.dims.iter().copied().filter(|&d| d != 1).collect(),
            };
            Info::new(dims, x.elem)
        }
        Op::Unsqueeze { axes } => {
            let a =
                axes_of(axes, args)?.ok_or_else(|| OpError::Operand("axes are missing".into()))?;
            let rank = r + a.len();
            let mut ax: Vec<usize> = a.iter().map(|&v| axis(v, rank)).collect::<Result<_, _>>()?;
            ax.sort_unstable();
            if ax.windows(2).any(|w| w[0] == w[1]) {
                return Err(shape_err(format!("axes {a:?} repeat an axis")));
            }
            let mut dims = x.dims.clone();
            for a in ax {
                dims.insert(a, 1);
            }
            Info::new(dims, x.elem)
        }
        Op::Transpose { perm: p } => {
            let p = perm(p, r)?;
            Info::new(p.iter().map(|&i| x.dims[i]).collect(), x.elem)
        }
        Op::Concat { axis: a } => {
            let a = axis(*a, r)?;
            let mut dims = x.dims.clone();
            let mut elem = x.elem;
            for i in 1..args.len() {
                let Some(t) = args.info(i) else { continue };
                let fits = t.rank() == r && (0..r).all(|k| k == a || t.dims[k] == x.dims[k]);
                if !fits {
                    return Err(shape_err(format!(
                        "cannot concatenate {} and {} on axis {a}",
                        dims_text(&x.dims),
                        dims_text(&t.dims)
                    )));
                }
                dims[a] =
                    geometry::bounded("concatenated size", dims[a].saturating_add(t.dims[a]))?;
                if t.elem.is_float() {
                    elem = Elem::F32;
                }
            }
            Info::new(dims, elem)
        }
        Op::Split { axis: a, split, outputs } => {
            let a = axis(*a, r)?;
            let s = split_sizes(split, *outputs, x.dims[a], args)?;
            let size =
                *s.get(output).ok_or_else(|| shape_err(format!("split has no output {output}")))?;
            let mut dims = x.dims.clone();
            dims[a] = size;
            Info::new(dims, x.elem)
        }
        Op::Slice { attrs } => Info::new(slice_plan(attrs, args, &x.dims)?.0, x.elem),
        Op::Gather { axis: a } => {
            if r == 0 {
                return Err(shape_err("cannot gather from a scalar"));
            }
            let a = axis(*a, r)?;
            let idx = args.need(1, "indices")?;
            if idx.elem.is_float() {
                return Err(OpError::Operand("indices must be integers".into()));
            }
            let mut dims = x.dims[..a].to_vec();
            dims.extend(&idx.dims);
            dims.extend(&x.dims[a + 1..]);
            Info::new(dims, x.elem)
        }
        Op::Expand => {
            let shape = sizes(args.need_const(1, "the shape")?, "shape")?;
            Info::new(super::broadcast_dims(&x.dims, &shape)?, x.elem)
        }
        Op::Tile => {
            let reps = sizes(args.need_const(1, "repeats")?, "repeats")?;
            if reps.len() != r {
                return Err(shape_err(format!("{} repeats for a rank-{r} tensor", reps.len())));
            }
            let dims = x
                .dims
                .iter()
                .zip(&reps)
                .map(|(&d, &k)| geometry::bounded("tiled size", d.saturating_mul(k)))
                .collect::<Result<_, _>>()?;
            Info::new(dims, x.elem)
        }
        Op::Shape { start, end } => {
            let (s, e) = shape_range(*start, *end, r);
            Info::new(vec![e - s], Elem::I64)
        }
        Op::Size => Info::new(vec![], Elem::I64),
        Op::ConstantOfShape { value } => {
            let dims = sizes(args.need_const(0, "the shape")?, "shape")?;
            Info::new(dims, value.elem())
        }
        Op::Range => {
            let (s, l, d) = range_args(args)?;
            let n = ((l - s) / d).ceil().max(0.0);
            if !(n.is_finite() && n <= geometry::MAX_ELEMS as f64) {
                return Err(shape_err(format!("range({s}, {l}, {d}) is too long")));
            }
            let elem = args.need(0, "start")?.elem;
            Info::new(vec![n as usize], elem)
        }
        _ => return Err(OpError::Unsupported(format!("{} has no shape rule here", op.name()))),
    })
}

fn shape_range(start: i64, end: Option<i64>, r: usize) -> (usize, usize) {
    let clamp = |a: i64| (if a < 0 { a + r as i64 } else { a }).clamp(0, r as i64) as usize;
    let s = clamp(start);
    let e = clamp(end.unwrap_or(r as i64)).max(s);
    (s, e)
}

fn range_args(args: &Args<Info>) -> Result<(f64, f64, f64), OpError> {
    let get = |i: usize, what: &str| -> Result<f64, OpError> {
        let t = args.need_const(i, what)?;
        t.scalar_f32().map(f64::from).ok_or_else(|| shape_err(format!("{what} must be a scalar")))
    };
    let (s, l, d) = (get(0, "start")?, get(1, "limit")?, get(2, "delta")?);
    if d == 0.0 || !d.is_finite() || !s.is_finite() || !l.is_finite() {
        return Err(OpError::Value {
            key: "delta".into(),
            value: d.to_string(),
            rule: "finite and ≠ 0".into(),
        });
    }
    Ok((s, l, d))
}

/// Values of `t` converted to `e`, as ONNX Cast does (floats truncate toward zero; integers wrap
/// into the narrower type; bool is "not zero").
pub fn cast(t: &Tensor, e: Elem) -> Tensor {
    match e {
        Elem::F32 => Tensor::F32(t.to_f32()),
        Elem::Bool => Tensor::Int(t.to_f32().mapv(|v| (v != 0.0) as i64).into_shared(), e),
        _ => {
            let wrap = |v: i64| match e {
                Elem::I32 => v as i32 as i64,
                Elem::I16 => v as i16 as i64,
                Elem::I8 => v as i8 as i64,
                Elem::U8 => v as u8 as i64,
                Elem::U16 => v as u16 as i64,
                Elem::U32 => v as u32 as i64,
                _ => v,
            };
            Tensor::Int(t.to_i64().mapv(wrap).into_shared(), e)
        }
    }
}

fn standard<T: Clone>(a: ArrayViewD<T>, dims: &[usize]) -> Result<ArrayD<T>, OpError> {
    a.as_standard_layout()
        .into_owned()
        .into_shape_with_order(IxDyn(dims))
        .map_err(|e| shape_err(format!("reshape: {e}")))
}

pub(super) fn eval(
    op: &Op,
    output: usize,
    args: &Args<Tensor>,
    out: &Info,
) -> Result<Tensor, OpError> {
    let x = args.get(0)?;
    match op {
        Op::Reshape { .. } | Op::Flatten { .. } | Op::Squeeze { .. } | Op::Unsqueeze { .. } => {
            both!(x, |a| standard(a, &out.dims))
        }
        Op::Transpose { perm: p } => {
            let p = perm(p, x.dims().len())?;
            both!(x, |a| Ok(a.permuted_axes(IxDyn(&p)).as_standard_layout().into_owned()))
        }
        Op::Concat { axis: a } => {
            let a = axis(*a, x.dims().len())?;
            let parts: Vec<&Tensor> = (0..args.len()).filter_map(|i| args.value(i)).collect();
            if out.elem.is_float() {
                let owned: Vec<_> = parts.iter().map(|t| t.to_f32()).collect();
                let views: Vec<_> = owned.iter().map(|t| t.view()).collect();
                if let Some(y) = super::fast::concat(&views, a, &out.dims) {
                    return Ok(Tensor::F32(y.into_shared()));
                }
                let y =
                    ndarray::concatenate(Axis(a), &views).map_err(|e| shape_err(e.to_string()))?;
                Ok(Tensor::F32(y.into_shared()))
            } else {
                let owned: Vec<_> = parts.iter().map(|t| t.to_i64()).collect();
                let views: Vec<_> = owned.iter().map(|t| t.view()).collect();
                let y =
                    ndarray::concatenate(Axis(a), &views).map_err(|e| shape_err(e.to_string()))?;
                Ok(Tensor::Int(y.into_shared(), out.elem))
            }
        }
        Op::Split { axis: a, split, outputs } => {
            let a = axis(*a, x.dims().len())?;
            let n = x.dims()[a];
            let infos = super::info_args(args);
            let s = split_sizes(split, *outputs, n, &infos)?;
            let start: usize = s[..output].iter().sum();
            let len = s[output];
            both!(x, |v| Ok(v.slice_axis(Axis(a), Slice::from(start..start + len)).to_owned()))
        }
        Op::Slice { attrs } => {
            let infos = super::info_args(args);
            let (_, cut) = slice_plan(attrs, &infos, x.dims())?;
            both!(x, |v| {
                let mut v = v;
                for (k, &d) in out.dims.iter().enumerate() {
                    let (b, s) = (cut.begin[k], cut.step[k]);
                    let slice = if d == 0 {
                        Slice::new(0, Some(0), 1)
                    } else if s > 0 {
                        // b, b + s, …, b + (d − 1)·s: the last one ends the range.
                        let last = b + (d as i64 - 1) * s;
                        Slice::new(b as isize, Some(last as isize + 1), s as isize)
                    } else {
                        // b, b + s, …: the cells b − (d−1)·|s| ..= b, read backwards.
                        let lo = b + (d as i64 - 1) * s;
                        Slice::new(lo as isize, Some(b as isize + 1), s as isize)
                    };
                    v.slice_axis_inplace(Axis(k), slice);
                }
                Ok(v.to_owned())
            })
        }
        Op::Gather { axis: a } => {
            let a = axis(*a, x.dims().len())?;
            let len = x.dims()[a] as i64;
            let idx = args.get(1)?.to_i64();
            let picks: Vec<usize> = idx
                .iter()
                .map(|&i| {
                    let j = if i < 0 { i + len } else { i };
                    if (0..len).contains(&j) {
                        Ok(j as usize)
                    } else {
                        Err(shape_err(format!("index {i} is out of range 0..{len}")))
                    }
                })
                .collect::<Result<_, _>>()?;
            both!(x, |v| {
                let sel = v.select(Axis(a), &picks);
                standard(sel.view(), &out.dims)
            })
        }
        Op::Expand => both!(x, |v| Ok(v
            .broadcast(IxDyn(&out.dims))
            .ok_or_else(|| shape_err("expand: does not broadcast"))?
            .to_owned())),
        Op::Tile => {
            let reps = sizes(args.get(1)?, "repeats")?;
            both!(x, |v| {
                let mut cur = v.to_owned();
                for (k, &n) in reps.iter().enumerate() {
                    if n != 1 {
                        let views: Vec<_> = (0..n).map(|_| cur.view()).collect();
                        cur = ndarray::concatenate(Axis(k), &views)
                            .map_err(|e| shape_err(e.to_string()))?;
                    }
                }
                Ok(cur)
            })
        }
        Op::Shape { start, end } => {
            let (s, e) = shape_range(*start, *end, x.dims().len());
            let v: Vec<i64> = x.dims()[s..e].iter().map(|&d| d as i64).collect();
            Ok(Tensor::int(&[v.len()], v, Elem::I64))
        }
        Op::Size => Ok(Tensor::int(&[], vec![x.len() as i64], Elem::I64)),
        Op::ConstantOfShape { value } => {
            let n = geometry::count("output", &out.dims)?;
            Ok(match value {
                Tensor::F32(v) => {
                    Tensor::f32(&out.dims, vec![v.iter().next().copied().unwrap_or(0.0); n])
                }
                Tensor::Int(v, e) => {
                    Tensor::int(&out.dims, vec![v.iter().next().copied().unwrap_or(0); n], *e)
                }
            })
        }
        Op::Range => {
            let (s, _, d) = range_args(&super::info_args(args))?;
            let n = out.dims[0];
            Ok(if out.elem.is_float() {
                Tensor::f32(&[n], (0..n).map(|i| (s + d * i as f64) as f32).collect())
            } else {
                Tensor::int(&[n], (0..n).map(|i| (s + d * i as f64) as i64).collect(), out.elem)
            })
        }
        _ => Err(OpError::Unsupported(format!("{} is not a shape op", op.name()))),
    }
}

#[cfg(test)]
#[path = "shape_tests.rs"]
mod tests;
