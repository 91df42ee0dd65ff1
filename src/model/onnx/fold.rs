//! Constant folding: nodes whose inputs are all constants are computed at load time, because real
//! files compute their weights (fp16 initializers behind `Cast`) and their reshape targets
//! (`Shape → Gather → Unsqueeze → Concat → Reshape`).

use super::attrs::Node;
pub use super::indexing::{axis, flatten_axis, reshape_dims};
use super::indexing::{binary_op, clamp_axis, concat, gather, slice, to_dims, transpose};
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
            // to_dims checked the count against the bounds and the budget.
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
            // A constant's dims multiply to its length, which fits in memory.
            t.reshaped(vec![t.dims[..a].iter().product(), t.dims[a..].iter().product()])
        }
        "Gather" => gather(n, x(0)?, x(1)?)?,
        "Slice" => slice(n, ins)?,
        "Transpose" => transpose(n, x(0)?)?,
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

fn unary(t: &Const, f: impl Fn(f32) -> f32) -> Const {
    Const::f32(t.dims.clone(), t.to_f32().into_iter().map(f).collect())
}

fn binary(n: &Node, a: &Const, b: &Const) -> Result<Const> {
    binary_op(n, n.op, a, b)
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
