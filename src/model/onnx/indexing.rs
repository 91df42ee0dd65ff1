//! Folding ops that move values rather than compute them: axes, reshapes, transposes, gathers,
//! slices, concatenation, and numpy broadcasting for arithmetic on constants.

use super::attrs::Node;
use super::tensor::{Const, Data};
use color_eyre::eyre::{Result, bail};

pub(super) fn to_dims(n: &Node, t: &Const) -> Result<Vec<usize>> {
    let dims = t
        .to_i64()
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| n.err(format!("dimension {d} is negative"))))
        .collect::<Result<Vec<_>>>()?;
    checked_len(n, &dims)?;
    Ok(dims)
}

/// The number of values of a tensor of `dims`, bounded (2^31) and within the memory budget, so
/// folding never allocates what it cannot hold.
///
/// # Errors
/// Too many values, or over the budget.
pub(super) fn checked_len(n: &Node, dims: &[usize]) -> Result<usize> {
    let len = crate::nn::geometry::count("tensor", dims).map_err(|e| n.err(e))?;
    crate::nn::budget::check(|| n.label.clone(), 8 * len as u64).map_err(|e| n.err(e))?;
    Ok(len)
}

/// Normalise a possibly negative axis for a tensor of rank `rank`.
pub fn axis(n: &Node, a: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let v = if a < 0 { a + r } else { a };
    if !(0..r).contains(&v) {
        bail!(n.err(format!("axis {a} is out of range for rank {rank}")));
    }
    Ok(v as usize)
}

/// `Flatten`'s axis, in `0..=rank` (negative counts from the end).
///
/// # Errors
/// An axis outside `-rank..=rank`.
pub fn flatten_axis(n: &Node, rank: usize) -> Result<usize> {
    let a = n.int("axis", 1)?;
    let v = if a < 0 { a + rank as i64 } else { a };
    if !(0..=rank as i64).contains(&v) {
        bail!(n.err(format!("axis {a} is out of range for rank {rank}")));
    }
    Ok(v as usize)
}

pub(super) fn clamp_axis(a: i64, rank: usize) -> usize {
    let r = rank as i64;
    (if a < 0 { a + r } else { a }).clamp(0, r) as usize
}

/// The dims a `Reshape` produces: `0` copies the input dim (unless `allowzero`), `-1` is inferred.
///
/// # Errors
/// More than one `-1`, or a total that differs from the input's.
pub fn reshape_dims(
    n: &Node,
    input: &[usize],
    shape: &[i64],
    allowzero: bool,
) -> Result<Vec<usize>> {
    let total: usize = input.iter().product();
    let mut dims = Vec::with_capacity(shape.len());
    let mut infer = None;
    for (i, &s) in shape.iter().enumerate() {
        match s {
            -1 if infer.is_none() => {
                infer = Some(i);
                dims.push(1);
            }
            0 if !allowzero => {
                dims.push(*input.get(i).ok_or_else(|| n.err("shape copies a missing dim"))?)
            }
            s if s >= 0 => dims.push(s as usize),
            _ => bail!(n.err(format!("shape {shape:?} is not valid"))),
        }
    }
    let known = checked_len(n, &dims)?;
    if let Some(i) = infer {
        if known == 0 || !total.is_multiple_of(known) {
            bail!(n.err(format!("cannot reshape {input:?} to {shape:?}")));
        }
        dims[i] = total / known;
    }
    if dims.iter().product::<usize>() != total {
        bail!(n.err(format!("cannot reshape {input:?} ({total} values) to {shape:?}")));
    }
    Ok(dims)
}

pub(super) fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1];
    }
    s
}

/// Build a tensor of `dims` whose element at each multi-index is `t`'s element at `src(index)`.
pub(super) fn remap(t: &Const, dims: Vec<usize>, src: impl Fn(&[usize]) -> usize) -> Const {
    // Every caller's dims come from checked shapes (see `checked_len`).
    let len: usize = dims.iter().product();
    let mut idx = vec![0usize; dims.len()];
    let mut order = Vec::with_capacity(len);
    for _ in 0..len {
        order.push(src(&idx));
        for a in (0..dims.len()).rev() {
            idx[a] += 1;
            if idx[a] < dims[a] {
                break;
            }
            idx[a] = 0;
        }
    }
    let data = match &t.data {
        Data::F32(v) => Data::F32(order.iter().map(|&i| v[i]).collect()),
        Data::I64(v) => Data::I64(order.iter().map(|&i| v[i]).collect()),
    };
    Const { dims, data }
}

pub(super) fn gather(n: &Node, t: &Const, idx: &Const) -> Result<Const> {
    if t.dims.is_empty() {
        bail!(n.err("cannot gather from a scalar"));
    }
    let a = axis(n, n.int("axis", 0)?, t.dims.len())?;
    let len = t.dims[a] as i64;
    let picks = idx
        .to_i64()
        .iter()
        .map(|&i| {
            let j = if i < 0 { i + len } else { i };
            if (0..len).contains(&j) {
                Ok(j as usize)
            } else {
                Err(n.err(format!("index {i} is out of range 0..{len}")))
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let mut dims = t.dims[..a].to_vec();
    dims.extend(&idx.dims);
    dims.extend(&t.dims[a + 1..]);
    checked_len(n, &dims)?;
    let (st, k) = (strides(&t.dims), idx.dims.len());
    let idx_strides = strides(&idx.dims);
    Ok(remap(t, dims, |o| {
        let flat: usize = o[a..a + k].iter().zip(&idx_strides).map(|(i, s)| i * s).sum();
        let before: usize = o[..a].iter().zip(&st).map(|(i, s)| i * s).sum();
        let after: usize = o[a + k..].iter().zip(&st[a + 1..]).map(|(i, s)| i * s).sum();
        before + picks[flat] * st[a] + after
    }))
}

pub(super) fn slice(n: &Node, ins: &[Option<&Const>]) -> Result<Const> {
    let t = ins.first().copied().flatten().ok_or_else(|| n.err("input 0 is missing"))?;
    let get = |i: usize, attr: &str| -> Result<Option<Vec<i64>>> {
        match ins.get(i).copied().flatten() {
            Some(c) => Ok(Some(c.to_i64())),
            None if n.opset < 10 => n.ints(attr),
            None => Ok(None),
        }
    };
    let starts = get(1, "starts")?.ok_or_else(|| n.err("needs starts"))?;
    let ends = get(2, "ends")?.ok_or_else(|| n.err("needs ends"))?;
    let axes = get(3, "axes")?.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = get(4, "")?.unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        bail!(n.err(format!(
            "starts, ends, axes and steps have {}, {}, {} and {} entries; they must agree",
            starts.len(),
            ends.len(),
            axes.len(),
            steps.len()
        )));
    }
    let r = t.dims.len();
    let mut seen = vec![false; r];
    let (mut begin, mut step) = (vec![0i64; r], vec![1i64; r]);
    let mut dims = t.dims.clone();
    for (k, &a) in axes.iter().enumerate() {
        let a = axis(n, a, r)?;
        if std::mem::replace(&mut seen[a], true) {
            bail!(n.err(format!("axis {a} is sliced twice")));
        }
        let d = t.dims[a] as i64;
        let s = steps[k];
        if s == 0 {
            bail!(n.err("step 0 is not allowed"));
        }
        let norm = |v: i64, lo: i64, hi: i64| (if v < 0 { v + d } else { v }).clamp(lo, hi);
        let (b, e) = if s > 0 {
            (norm(starts[k], 0, d), norm(ends[k], 0, d))
        } else {
            (norm(starts[k], -1, d - 1), norm(ends[k], -1, d - 1))
        };
        // Both spans and steps are positive here.
        let count = if s > 0 {
            ((e - b).max(0) as u64).div_ceil(s as u64)
        } else {
            ((b - e).max(0) as u64).div_ceil((-s) as u64)
        };
        (begin[a], step[a], dims[a]) = (b, s, count as usize);
    }
    let st = strides(&t.dims);
    Ok(remap(t, dims, |o| {
        o.iter().enumerate().map(|(a, &i)| (begin[a] + i as i64 * step[a]) as usize * st[a]).sum()
    }))
}

pub(super) fn concat(n: &Node, ins: &[Option<&Const>]) -> Result<Const> {
    let ts: Vec<&Const> = ins.iter().flatten().copied().collect();
    let first = ts.first().ok_or_else(|| n.err("needs at least one input"))?;
    let a = axis(n, n.int("axis", 0)?, first.dims.len())?;
    let mut dims = first.dims.clone();
    dims[a] = 0;
    for t in &ts {
        let same =
            t.dims.len() == dims.len() && (0..dims.len()).all(|i| i == a || t.dims[i] == dims[i]);
        if !same {
            bail!(n.err(format!(
                "cannot concatenate dims {:?} and {:?} on axis {a}",
                first.dims, t.dims
            )));
        }
        dims[a] = dims[a].saturating_add(t.dims[a]);
    }
    checked_len(n, &dims)?;
    let outer: usize = dims[..a].iter().product();
    let ints = ts.iter().all(|t| t.is_int());
    let (mut f, mut i) = (Vec::new(), Vec::new());
    for o in 0..outer {
        for t in &ts {
            let chunk: usize = t.dims[a..].iter().product();
            let r = o * chunk..(o + 1) * chunk;
            if ints {
                i.extend_from_slice(&t.to_i64()[r]);
            } else {
                f.extend_from_slice(&t.to_f32()[r]);
            }
        }
    }
    Ok(if ints { Const::i64(dims, i) } else { Const::f32(dims, f) })
}

/// Numpy-style broadcasting of two dims lists.
///
/// # Errors
/// Dims that are neither equal nor 1.
pub fn broadcast(n: &Node, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let r = a.len().max(b.len());
    let at = |d: &[usize], i: usize| if i + d.len() >= r { d[i + d.len() - r] } else { 1 };
    let dims = (0..r)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y || y == 1 => Ok(x),
            (1, y) => Ok(y),
            _ => Err(n.err(format!("dims {a:?} and {b:?} do not broadcast"))),
        })
        .collect::<Result<Vec<_>>>()?;
    checked_len(n, &dims)?;
    Ok(dims)
}

/// The flat index into a tensor of `dims` for an output multi-index, under broadcasting.
fn broadcast_index(dims: &[usize], out: &[usize]) -> usize {
    let off = out.len() - dims.len();
    let st = strides(dims);
    dims.iter().enumerate().map(|(i, &d)| if d == 1 { 0 } else { out[off + i] * st[i] }).sum()
}

pub(super) fn binary_op(n: &Node, op: &str, a: &Const, b: &Const) -> Result<Const> {
    let dims = broadcast(n, &a.dims, &b.dims)?;
    let ea = remap(a, dims.clone(), |o| broadcast_index(&a.dims, o));
    let eb = remap(b, dims.clone(), |o| broadcast_index(&b.dims, o));
    if a.is_int() && b.is_int() {
        let (x, y) = (ea.to_i64(), eb.to_i64());
        let mut v = Vec::with_capacity(x.len());
        for (&p, &q) in x.iter().zip(&y) {
            v.push(match op {
                "Add" => p.wrapping_add(q),
                "Sub" => p.wrapping_sub(q),
                "Mul" => p.wrapping_mul(q),
                _ => p.checked_div(q).ok_or_else(|| n.err("integer division by zero"))?,
            });
        }
        return Ok(Const::i64(dims, v));
    }
    let f = |p: f32, q: f32| match op {
        "Add" => p + q,
        "Sub" => p - q,
        "Mul" => p * q,
        _ => p / q,
    };
    let v = ea.to_f32().iter().zip(eb.to_f32()).map(|(&p, q)| f(p, q)).collect();
    Ok(Const::f32(dims, v))
}

/// `Transpose` with `perm` (default: reverse the axes).
///
/// # Errors
/// A `perm` entry out of range.
pub(super) fn transpose(n: &Node, t: &Const) -> Result<Const> {
    let perm = match n.ints("perm")? {
        Some(p) => p.iter().map(|&a| axis(n, a, t.dims.len())).collect::<Result<Vec<_>>>()?,
        None => (0..t.dims.len()).rev().collect(),
    };
    let mut sorted = perm.clone();
    sorted.sort_unstable();
    if sorted != (0..t.dims.len()).collect::<Vec<_>>() {
        bail!(n.err(format!("perm {perm:?} is not a permutation of the {} axes", t.dims.len())));
    }
    let dims: Vec<usize> = perm.iter().map(|&p| t.dims[p]).collect();
    let strides = strides(&t.dims);
    Ok(remap(t, dims, |idx| idx.iter().zip(&perm).map(|(&i, &p)| i * strides[p]).sum()))
}
