//! `Add`, `Sub`, `Mul`, `Div`, `Sum` and `Concat`.
//!
//! Between running tensors they become convscope's `add`, `mul` and `concat` layers (residuals,
//! gates, branches). With one constant operand:
//! - an `Add` right after a `MatMul`/`Gemm`/`Conv` that nothing else reads becomes its bias (this
//!   is how `MatMul + Add` turns into one fc layer);
//! - any other per-channel constant (`[C, 1, 1]`, `[1, C]`, a scalar) becomes an inference
//!   `batchnorm` computing `x·scale + shift` (mean 0, var 1, ε 0), which is exact;
//! - a constant that varies over rows or cols cannot be expressed and is an error.

use super::attrs::Node;
use super::fold;
use super::graph::{Builder, Layout, Run, Value};
use super::spatial::per_channel;
use super::tensor::Const;
use crate::nn::{LayerKind, Src, Weights};
use color_eyre::eyre::{Result, bail};
use ndarray::Array1;
use std::rc::Rc;

pub fn arithmetic(b: &mut Builder, n: &Node) -> Result<()> {
    let mut runs: Vec<(usize, Run)> = Vec::new();
    let mut consts: Vec<Rc<Const>> = Vec::new();
    for i in 0..n.proto.input.len() {
        match b.input(n, i)? {
            Some(Value::Run(r)) => runs.push((i, *r)),
            Some(Value::Const(c)) => consts.push(c.clone()),
            None => {}
        }
    }
    let Some(&(first, x)) = runs.first() else { bail!(n.err("has no running input")) };
    if consts.is_empty() {
        return between_runs(b, n, &runs);
    }
    if runs.len() > 1 {
        bail!(n.err("mixes several running tensors with a constant; convscope cannot express it"));
    }
    let mut c = (*consts[0]).clone();
    for more in &consts[1..] {
        let sum = fold::fold(
            &Node { op: "Add", ..Node::new(n.proto, n.opset) },
            &[Some(&c), Some(more)],
        )?;
        c = sum.into_iter().next().expect("fold returns one output");
    }
    let d = b.shape(x.src)?.d;
    let Some(v) = per_channel(&c, x.layout, d) else {
        bail!(n.err(format!(
            "constant operand '{}' with dims {:?} varies over rows/cols; convscope can only \
             combine a running volume with a per-channel constant",
            constant_name(n, first),
            c.dims
        )));
    };
    let ones = vec![1.0; d];
    let (scale, shift) = match (n.op, first) {
        ("Add" | "Sum", _) => (ones, v),
        ("Sub", 0) => (ones, v.iter().map(|a| -a).collect()),
        ("Sub", _) => (vec![-1.0; d], v),
        ("Mul", _) => (v, vec![0.0; d]),
        ("Div", 0) => (v.iter().map(|a| 1.0 / a).collect(), vec![0.0; d]),
        _ => bail!(n.err("divides a constant by a running tensor; convscope cannot express it")),
    };
    let tensor = n.input(first).unwrap_or("");
    if scale.iter().all(|&s| s == 1.0) && b.single_use(tensor) && add_to_bias(b, x.src, &shift) {
        return b.set_output(n, Value::Run(x));
    }
    let weights = Weights::BatchNorm {
        gamma: Array1::from(scale).into_shared(),
        beta: Array1::from(shift).into_shared(),
        mean: Array1::zeros(d).into_shared(),
        var: Array1::ones(d).into_shared(),
    };
    b.layer(n, LayerKind::BatchNorm { eps: 0.0 }, vec![x.src], weights, x.layout)
}

fn constant_name<'a>(n: &Node<'a>, run_index: usize) -> &'a str {
    (0..n.proto.input.len()).filter(|&i| i != run_index).find_map(|i| n.input(i)).unwrap_or("")
}

/// Add `shift` to the bias of the fc or conv layer `src`; `false` if it is neither.
fn add_to_bias(b: &mut Builder, src: Src, shift: &[f32]) -> bool {
    let Src::Layer(i) = src else { return false };
    let layer = &mut b.net.layers[i];
    let (bias, has_bias) = match (&mut layer.weights, &mut layer.kind) {
        (Weights::Fc { b, .. }, LayerKind::Fc { .. }) => (b, None),
        (Weights::Conv { b, .. }, LayerKind::Conv(p)) => (b, Some(&mut p.bias)),
        _ => return false,
    };
    let sum = match bias.take() {
        Some(old) if old.len() == shift.len() => {
            (&old + &Array1::from(shift.to_vec())).into_shared()
        }
        Some(old) => {
            *bias = Some(old);
            return false;
        }
        None => Array1::from(shift.to_vec()).into_shared(),
    };
    *bias = Some(sum);
    if let Some(flag) = has_bias {
        *flag = true;
    }
    true
}

fn between_runs(b: &mut Builder, n: &Node, runs: &[(usize, Run)]) -> Result<()> {
    let x = runs[0].1;
    if runs.len() == 1 {
        // Sum of one tensor is that tensor.
        return b.alias(n, x);
    }
    let kind = match n.op {
        "Add" | "Sum" => LayerKind::Add,
        "Mul" => LayerKind::Mul,
        op => bail!(
            n.err(format!("{op} of two running tensors is not supported (only Add, Sum, Mul)"))
        ),
    };
    let layout = same_layout(n, runs)?;
    b.layer(n, kind, runs.iter().map(|(_, r)| r.src).collect(), Weights::None, layout)
}

fn same_layout(n: &Node, runs: &[(usize, Run)]) -> Result<Layout> {
    let layout = runs[0].1.layout;
    if runs.iter().any(|(_, r)| r.layout != layout) {
        bail!(
            n.err("combines a 4-D volume with a flattened tensor (or two different flattenings)")
        );
    }
    Ok(layout)
}

/// `Concat` along the channel axis.
pub fn concat(b: &mut Builder, n: &Node) -> Result<()> {
    let mut runs = Vec::new();
    for i in 0..n.proto.input.len() {
        match b.input(n, i)? {
            Some(Value::Run(r)) => runs.push((i, *r)),
            Some(Value::Const(_)) => bail!(n.err(format!(
                "input '{}' is a constant; convscope concatenates running volumes only",
                n.input(i).unwrap_or("")
            ))),
            None => {}
        }
    }
    if runs.is_empty() {
        bail!(n.err("has no inputs"));
    }
    let layout = same_layout(n, &runs)?;
    let rank = if layout == Layout::Nchw { 4 } else { 2 };
    let a = fold::axis(n, n.int("axis", 1)?, rank)?;
    if a != 1 || layout != (Layout::Nchw) && layout != (Layout::Flat { from: None }) {
        bail!(n.err(format!(
            "concatenates on axis {a}; convscope concatenates channels (axis 1) only"
        )));
    }
    b.layer(n, LayerKind::Concat, runs.iter().map(|(_, r)| r.src).collect(), Weights::None, layout)
}
