//! Constant folding: nodes whose inputs are all constants are computed at load time, because real
//! files compute their weights (fp16 initializers behind `Cast`) and their reshape targets
//! (`Shape → Gather → Unsqueeze → Concat → Reshape`).

use super::attrs::Node;
use super::proto::tensor_proto::DataType;
use super::tensor::{Const, Data};
use color_eyre::eyre::{Result, bail};

/// Ops the importer only ever computes on constants.
pub const FOLD_ONLY: &[&str] = &[
    "Constant",
    "ConstantOfShape",
    "Cast",
    "Shape",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Slice",
    "Transpose",
    "Neg",
    "Sqrt",
];

/// Whether `op` can be computed here when all its inputs are constants.
pub fn can_fold(op: &str) -> bool {
    FOLD_ONLY.contains(&op)
        || matches!(
            op,
            "Reshape"
                | "Flatten"
                | "Concat"
                | "Add"
                | "Sub"
                | "Mul"
                | "Div"
                | "Sum"
                | "Relu"
                | "Sigmoid"
                | "Clip"
                | "LeakyRelu"
                | "Identity"
                | "Dropout"
        )
}

/// Compute a node on constant inputs (`None` for an omitted optional input); returns its outputs.
///
/// # Errors
/// Wrong arity, bad attributes, incompatible shapes, or an op that cannot be folded.
pub fn fold(n: &Node, ins: &[Option<&Const>]) -> Result<Vec<Const>> {
    let x = |i: usize| {
        ins.get(i).copied().flatten().ok_or_else(|| n.err(format!("input {i} is missing")))
    };
    let out = match n.op {
        "Constant" => constant(n)?,
        "ConstantOfShape" => {
            let dims = to_dims(n, x(0)?)?;
            let len = dims.iter().product();
            match n.tensor("value")? {
                Some(v) if v.len() == 1 => match v.data {
                    Data::F32(f) => Const::f32(dims, vec![f[0]; len]),
                    Data::I64(i) => Const::i64(dims, vec![i[0]; len]),
                },
                Some(_) => bail!(n.err("value must hold one element")),
                None => Const::f32(dims, vec![0.0; len]),
            }
        }
        "Cast" => cast(n, x(0)?)?,
        "Identity" | "Dropout" => x(0)?.clone(),
        "Shape" => shape_of(n, &x(0)?.dims)?,
        "Unsqueeze" | "Squeeze" => {
            let t = x(0)?;
            let axes = match ins.get(1).copied().flatten() {
                Some(a) => Some(a.to_i64()),
                None => n.ints("axes")?,
            };
            let dims = if n.op == "Unsqueeze" {
                let axes = axes.ok_or_else(|| n.err("needs axes"))?;
                let rank = t.dims.len() + axes.len();
                let mut axes =
                    axes.iter().map(|&a| axis(n, a, rank)).collect::<Result<Vec<_>>>()?;
                axes.sort_unstable();
                let mut dims = t.dims.clone();
                for a in axes {
                    dims.insert(a.min(dims.len()), 1);
                }
                dims
            } else {
                let axes = match axes {
                    Some(a) => {
                        a.iter().map(|&a| axis(n, a, t.dims.len())).collect::<Result<Vec<_>>>()?
                    }
                    None => (0..t.dims.len()).filter(|&i| t.dims[i] == 1).collect(),
                };
                t.dims
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !axes.contains(i))
                    .map(|(_, &d)| d)
                    .collect()
            };
            t.reshaped(dims)
        }
        "Reshape" => {
            let t = x(0)?;
            let dims = reshape_dims(n, &t.dims, &x(1)?.to_i64(), n.int("allowzero", 0)? != 0)?;
            t.reshaped(dims)
        }
        "Flatten" => {
            let t = x(0)?;
            let a = flatten_axis(n, t.dims.len())?;
            t.reshaped(vec![t.dims[..a].iter().product(), t.dims[a..].iter().product()])
        }
        "Gather" => gather(n, x(0)?, x(1)?)?,
        "Slice" => slice(n, ins)?,
        "Transpose" => {
            let t = x(0)?;
            let perm = match n.ints("perm")? {
                Some(p) => {
                    p.iter().map(|&a| axis(n, a, t.dims.len())).collect::<Result<Vec<_>>>()?
                }
                None => (0..t.dims.len()).rev().collect(),
            };
            let dims: Vec<usize> = perm.iter().map(|&p| t.dims[p]).collect();
            let strides = strides(&t.dims);
            remap(t, dims, |idx| idx.iter().zip(&perm).map(|(&i, &p)| i * strides[p]).sum())
        }
        "Concat" => concat(n, ins)?,
        "Add" | "Sub" | "Mul" | "Div" => binary(n, x(0)?, x(1)?)?,
        "Sum" => {
            let mut acc = x(0)?.clone();
            for i in 1..ins.len() {
                acc = binary_op(n, "Add", &acc, x(i)?)?;
            }
            acc
        }
        "Neg" => unary(x(0)?, |v| -v),
        "Sqrt" => unary(x(0)?, f32::sqrt),
        "Relu" => unary(x(0)?, |v| v.max(0.0)),
        "Sigmoid" => unary(x(0)?, |v| 1.0 / (1.0 + (-v).exp())),
        "LeakyRelu" => {
            let a = n.float("alpha", 0.01)?;
            unary(x(0)?, |v| if v < 0.0 { a * v } else { v })
        }
        "Clip" => {
            let (lo, hi) =
                clip_bounds(n, ins.get(1).copied().flatten(), ins.get(2).copied().flatten())?;
            unary(x(0)?, |v| v.max(lo).min(hi))
        }
        _ => bail!(n.err("cannot be computed on constant inputs at load time")),
    };
    Ok(vec![out])
}

/// `Clip`'s bounds: attributes before opset 11, optional scalar inputs from 11 on.
///
/// # Errors
/// A bound that is not a one-element tensor.
pub fn clip_bounds(n: &Node, min: Option<&Const>, max: Option<&Const>) -> Result<(f32, f32)> {
    if n.opset < 11 {
        return Ok((n.float("min", f32::NEG_INFINITY)?, n.float("max", f32::INFINITY)?));
    }
    let bound = |c: Option<&Const>, what: &str, default: f32| match c {
        None => Ok(default),
        Some(c) => c
            .scalar_f32()
            .ok_or_else(|| n.err(format!("{what} must be a scalar, got dims {:?}", c.dims))),
    };
    Ok((bound(min, "min", f32::NEG_INFINITY)?, bound(max, "max", f32::INFINITY)?))
}

/// `Shape` of a tensor with these dims (with opset 15's `start`/`end`).
///
/// # Errors
/// Bad attributes.
pub fn shape_of(n: &Node, dims: &[usize]) -> Result<Const> {
    let d: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
    let s = clamp_axis(n.int("start", 0)?, d.len());
    let e = clamp_axis(n.int("end", d.len() as i64)?, d.len()).max(s);
    Ok(Const::i64(vec![e - s], d[s..e].to_vec()))
}

fn constant(n: &Node) -> Result<Const> {
    if let Some(t) = n.tensor("value")? {
        return Ok(t);
    }
    if n.has("value_float") {
        return Ok(Const::f32(vec![], vec![n.float("value_float", 0.0)?]));
    }
    if let Some(v) = n.floats("value_floats")? {
        return Ok(Const::f32(vec![v.len()], v));
    }
    if n.has("value_int") {
        return Ok(Const::i64(vec![], vec![n.int("value_int", 0)?]));
    }
    if let Some(v) = n.ints("value_ints")? {
        return Ok(Const::i64(vec![v.len()], v));
    }
    bail!(n.err("has no value convscope can read (sparse and string constants are not supported)"))
}

fn cast(n: &Node, t: &Const) -> Result<Const> {
    let to = n.int("to", 0)?;
    Ok(match DataType::try_from(to as i32) {
        Ok(DataType::Float | DataType::Double) => Const::f32(t.dims.clone(), t.to_f32()),
        Ok(DataType::Float16) => {
            let v = t.to_f32().iter().map(|&x| half::f16::from_f32(x).to_f32()).collect();
            Const::f32(t.dims.clone(), v)
        }
        Ok(DataType::Bool) => {
            Const::i64(t.dims.clone(), t.to_f32().iter().map(|&x| (x != 0.0) as i64).collect())
        }
        Ok(
            DataType::Int64
            | DataType::Int32
            | DataType::Int16
            | DataType::Int8
            | DataType::Uint8
            | DataType::Uint16
            | DataType::Uint32
            | DataType::Uint64,
        ) => Const::i64(t.dims.clone(), t.to_i64()),
        _ => bail!(n.err(format!("cast to element type {to} is not supported"))),
    })
}

fn to_dims(n: &Node, t: &Const) -> Result<Vec<usize>> {
    t.to_i64()
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| n.err(format!("dimension {d} is negative"))))
        .collect()
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

fn clamp_axis(a: i64, rank: usize) -> usize {
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
    let known: usize = dims.iter().product();
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

fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1];
    }
    s
}

/// Build a tensor of `dims` whose element at each multi-index is `t`'s element at `src(index)`.
fn remap(t: &Const, dims: Vec<usize>, src: impl Fn(&[usize]) -> usize) -> Const {
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

fn gather(n: &Node, t: &Const, idx: &Const) -> Result<Const> {
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
    let (st, k) = (strides(&t.dims), idx.dims.len());
    let idx_strides = strides(&idx.dims);
    Ok(remap(t, dims, |o| {
        let flat: usize = o[a..a + k].iter().zip(&idx_strides).map(|(i, s)| i * s).sum();
        let before: usize = o[..a].iter().zip(&st).map(|(i, s)| i * s).sum();
        let after: usize = o[a + k..].iter().zip(&st[a + 1..]).map(|(i, s)| i * s).sum();
        before + picks[flat] * st[a] + after
    }))
}

fn slice(n: &Node, ins: &[Option<&Const>]) -> Result<Const> {
    let t = ins[0].ok_or_else(|| n.err("input 0 is missing"))?;
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
    let r = t.dims.len();
    let (mut begin, mut step) = (vec![0i64; r], vec![1i64; r]);
    let mut dims = t.dims.clone();
    for (k, &a) in axes.iter().enumerate() {
        let a = axis(n, a, r)?;
        let d = t.dims[a] as i64;
        let s = *steps.get(k).unwrap_or(&1);
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

fn concat(n: &Node, ins: &[Option<&Const>]) -> Result<Const> {
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
        dims[a] += t.dims[a];
    }
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

fn unary(t: &Const, f: impl Fn(f32) -> f32) -> Const {
    Const::f32(t.dims.clone(), t.to_f32().into_iter().map(f).collect())
}

fn binary(n: &Node, a: &Const, b: &Const) -> Result<Const> {
    binary_op(n, n.op, a, b)
}

/// Numpy-style broadcasting of two dims lists.
///
/// # Errors
/// Dims that are neither equal nor 1.
pub fn broadcast(n: &Node, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let r = a.len().max(b.len());
    let at = |d: &[usize], i: usize| if i + d.len() >= r { d[i + d.len() - r] } else { 1 };
    (0..r)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y || y == 1 => Ok(x),
            (1, y) => Ok(y),
            _ => Err(n.err(format!("dims {a:?} and {b:?} do not broadcast"))),
        })
        .collect()
}

/// The flat index into a tensor of `dims` for an output multi-index, under broadcasting.
fn broadcast_index(dims: &[usize], out: &[usize]) -> usize {
    let off = out.len() - dims.len();
    let st = strides(dims);
    dims.iter().enumerate().map(|(i, &d)| if d == 1 { 0 } else { out[off + i] * st[i] }).sum()
}

fn binary_op(n: &Node, op: &str, a: &Const, b: &Const) -> Result<Const> {
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

#[cfg(test)]
mod tests {
    use super::super::proto::{AttributeProto, NodeProto, attribute_proto::AttributeType};
    use super::*;

    fn node(op: &str, attrs: Vec<AttributeProto>) -> NodeProto {
        NodeProto {
            op_type: Some(op.into()),
            name: Some("n".into()),
            attribute: attrs,
            ..Default::default()
        }
    }
    fn ints(name: &str, v: &[i64]) -> AttributeProto {
        AttributeProto {
            name: Some(name.into()),
            r#type: Some(AttributeType::Ints as i32),
            ints: v.to_vec(),
            ..Default::default()
        }
    }
    fn int(name: &str, v: i64) -> AttributeProto {
        AttributeProto {
            name: Some(name.into()),
            r#type: Some(AttributeType::Int as i32),
            i: Some(v),
            ..Default::default()
        }
    }
    fn run(p: &NodeProto, ins: &[&Const]) -> Const {
        let ins: Vec<Option<&Const>> = ins.iter().map(|c| Some(*c)).collect();
        fold(&Node::new(p, 13), &ins).unwrap().remove(0)
    }

    #[test]
    fn the_flatten_shape_pattern_folds() {
        // Shape([1,8,2,2]) → Gather(0) → Unsqueeze(0) → Concat with [-1] → [1, -1].
        let x = Const::f32(vec![1, 8, 2, 2], vec![0.0; 32]);
        let shape = run(&node("Shape", vec![]), &[&x]);
        assert_eq!(shape, Const::i64(vec![4], vec![1, 8, 2, 2]));
        let batch = run(&node("Gather", vec![]), &[&shape, &Const::i64(vec![], vec![0])]);
        assert_eq!(batch, Const::i64(vec![], vec![1]));
        let b1 = run(&node("Unsqueeze", vec![]), &[&batch, &Const::i64(vec![1], vec![0])]);
        assert_eq!(b1.dims, [1]);
        let target =
            run(&node("Concat", vec![int("axis", 0)]), &[&b1, &Const::i64(vec![1], vec![-1])]);
        assert_eq!(target, Const::i64(vec![2], vec![1, -1]));
        let flat = run(&node("Reshape", vec![]), &[&x, &target]);
        assert_eq!(flat.dims, [1, 32]);
    }

    #[test]
    fn transpose_gather_and_slice_move_the_right_values() {
        let t = Const::f32(vec![2, 3], vec![0., 1., 2., 3., 4., 5.]);
        let tt = run(&node("Transpose", vec![]), &[&t]);
        assert_eq!(tt, Const::f32(vec![3, 2], vec![0., 3., 1., 4., 2., 5.]));
        let g =
            run(&node("Gather", vec![int("axis", 1)]), &[&t, &Const::i64(vec![2], vec![2, -3])]);
        assert_eq!(g, Const::f32(vec![2, 2], vec![2., 0., 5., 3.]));
        let s = run(
            &node("Slice", vec![]),
            &[
                &t,
                &Const::i64(vec![1], vec![1]),
                &Const::i64(vec![1], vec![i64::MAX]),
                &Const::i64(vec![1], vec![1]),
            ],
        );
        assert_eq!(s, Const::f32(vec![2, 2], vec![1., 2., 4., 5.]));
    }

    #[test]
    fn arithmetic_broadcasts_like_numpy() {
        let a = Const::f32(vec![2, 1], vec![1., 2.]);
        let b = Const::f32(vec![3], vec![10., 20., 30.]);
        let s = run(&node("Add", vec![]), &[&a, &b]);
        assert_eq!(s, Const::f32(vec![2, 3], vec![11., 21., 31., 12., 22., 32.]));
        let i = run(
            &node("Mul", vec![]),
            &[&Const::i64(vec![1], vec![6]), &Const::i64(vec![], vec![7])],
        );
        assert_eq!(i, Const::i64(vec![1], vec![42]));
    }

    #[test]
    fn cast_to_fp16_rounds_and_unsqueeze_uses_attr_before_opset_13() {
        let t = Const::f32(vec![1], vec![0.1]);
        let c = run(&node("Cast", vec![int("to", DataType::Float16 as i64)]), &[&t]);
        assert_eq!(c.to_f32(), [half::f16::from_f32(0.1).to_f32()]);
        let p = node("Unsqueeze", vec![ints("axes", &[0, 3])]);
        let u = fold(&Node::new(&p, 11), &[Some(&Const::f32(vec![2, 2], vec![0.; 4]))]).unwrap();
        assert_eq!(u[0].dims, [1, 2, 2, 1]);
    }

    #[test]
    fn reshape_rejects_a_wrong_total() {
        let p = node("Reshape", vec![]);
        let n = Node::new(&p, 13);
        assert_eq!(reshape_dims(&n, &[1, 3, 2, 2], &[0, -1], false).unwrap(), [1, 12]);
        let e = reshape_dims(&n, &[1, 3, 2, 2], &[5, -1], false).unwrap_err().to_string();
        assert!(e.contains("cannot reshape [1, 3, 2, 2]"), "{e}");
    }
}
