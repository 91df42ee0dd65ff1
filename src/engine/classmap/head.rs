//! Finding a classifier's head: the layer that holds the logits, and (for CAM) the
//! global-average-pool → fc structure above it.

use super::MapError;
use crate::nn::analysis::Analysis;
use crate::nn::ops::{Binary, Op, Operand, ReduceOp};
use crate::nn::tensor::dims_text;
use crate::nn::{LayerKind, Network, Src};
use ndarray::Array2;

/// Where a classifier's scores are.
#[derive(Clone, Debug, PartialEq)]
pub struct Head {
    /// The layer whose output is the logits (the softmax's input when the network ends in one).
    pub logits: usize,
    pub classes: usize,
    /// Whether the last layer is a softmax over the logits.
    pub softmax: bool,
}

fn single_input(net: &Network, i: usize) -> Option<usize> {
    match net.layers[i].inputs.as_slice() {
        [Src::Layer(j)] => Some(*j),
        _ => None,
    }
}

/// The classifier head of a network whose last layer holds one value per class.
///
/// # Errors
/// A last layer that is not a class vector (more than one axis above 1).
pub fn head(net: &Network, analysis: &Analysis) -> Result<Head, MapError> {
    let last = net
        .layers
        .len()
        .checked_sub(1)
        .ok_or_else(|| MapError::NotClassifier(format!("{}: has no layers", net.name)))?;
    let dims = &analysis.layers[last].dims;
    if dims.iter().filter(|&&d| d > 1).count() != 1 {
        return Err(MapError::NotClassifier(format!(
            "{}: the last layer '{}' is {}, not a class vector (one axis above 1)",
            net.name,
            net.layers[last].name,
            dims_text(dims)
        )));
    }
    let classes = dims.iter().product();
    let is_softmax = match &net.layers[last].kind {
        LayerKind::Softmax => true,
        LayerKind::Op(o) => matches!(o.op, Op::Softmax { log: false, .. }),
        _ => false,
    };
    if is_softmax && let Some(j) = single_input(net, last) {
        return Ok(Head { logits: j, classes, softmax: true });
    }
    Ok(Head { logits: last, classes, softmax: false })
}

/// A CAM head: `A` → global average pool → (reshapes) → fc, with the fc's weights as
/// `(classes, K)` and its bias.
#[derive(Clone, Debug)]
pub struct CamHead {
    /// The volume the pool averages: the last conv volume.
    pub volume: Src,
    pub pool: usize,
    pub fc: usize,
    pub w: Array2<f32>,
    pub b: Vec<f32>,
}

fn const_of(o: &crate::nn::ops::OpLayer, i: usize) -> Option<&crate::nn::Tensor> {
    match o.operands.get(i) {
        Some(Operand::Const(t)) => Some(t),
        _ => None,
    }
}

/// Find the global-average-pool → fc head above `head.logits`.
///
/// # Errors
/// [`MapError::NoCamHead`] saying which layer breaks the pattern.
pub fn cam_head(net: &Network, analysis: &Analysis, head: &Head) -> Result<CamHead, MapError> {
    let no = |msg: String| MapError::NoCamHead(msg);
    let name = |i: usize| net.layers[i].name.clone();
    let mut i = head.logits;
    // A bias added by its own node (MatMul + Add).
    let mut bias: Option<Vec<f32>> = None;
    if let LayerKind::Op(o) = &net.layers[i].kind
        && o.op == Op::Binary(Binary::Add)
        && let Some(j) = single_input(net, i)
    {
        let b = const_of(o, 0).or_else(|| const_of(o, 1));
        if let Some(b) = b.filter(|b| b.len() == head.classes) {
            bias = Some(b.floats());
            i = j;
        }
    }
    let fc = i;
    let k_of = |i: usize| -> usize {
        analysis.layers[i].input_dims.first().map_or(0, |d| d.iter().product())
    };
    let k = k_of(fc);
    let (w, b) = match (&net.layers[fc].kind, &net.layers[fc].weights) {
        (LayerKind::Fc { .. }, crate::nn::Weights::Fc { w, b }) => {
            (w.to_owned(), b.as_ref().map_or_else(|| vec![0.0; head.classes], |b| b.to_vec()))
        }
        (LayerKind::Op(o), _) if matches!(o.op, Op::Gemm { trans_a: false, .. } | Op::MatMul) => {
            let bt = const_of(o, 1)
                .ok_or_else(|| no(format!("'{}' multiplies by a computed matrix", name(fc))))?;
            let bm = bt.to_f32();
            let bm = bm.view().into_dimensionality::<ndarray::Ix2>().map_err(|_| {
                no(format!("'{}' has weights {}, not a matrix", name(fc), dims_text(bt.dims())))
            })?;
            let (alpha, beta, tb) = match o.op {
                Op::Gemm { alpha, beta, trans_b, .. } => (alpha, beta, trans_b),
                _ => (1.0, 1.0, false),
            };
            let w = if tb { bm.to_owned() } else { bm.t().to_owned() } * alpha;
            let b = match const_of(o, 2) {
                Some(c) if c.len() == head.classes => c.floats().iter().map(|v| v * beta).collect(),
                Some(c) if c.len() == 1 => vec![c.floats()[0] * beta; head.classes],
                _ => vec![0.0; head.classes],
            };
            (w, b)
        }
        _ => {
            return Err(no(format!(
                "the logits come from '{}' ({}), not an fc, Gemm or MatMul",
                name(fc),
                net.layers[fc].kind.type_name()
            )));
        }
    };
    let b = bias.map_or(b.clone(), |extra| b.iter().zip(extra).map(|(a, e)| a + e).collect());
    if w.dim() != (head.classes, k) {
        return Err(no(format!(
            "'{}' weights are {:?}, not {} × {k}",
            name(fc),
            w.dim(),
            head.classes
        )));
    }
    // Down through the reshapes to the pool.
    let mut p =
        single_input(net, fc).ok_or_else(|| no(format!("'{}' reads the input", name(fc))))?;
    loop {
        let reshape = match &net.layers[p].kind {
            LayerKind::Flatten | LayerKind::Dropout => true,
            LayerKind::Op(o) => matches!(
                o.op,
                Op::Reshape { .. }
                    | Op::Flatten { .. }
                    | Op::Squeeze { .. }
                    | Op::Unsqueeze { .. }
                    | Op::Identity
                    | Op::Dropout
            ),
            _ => false,
        };
        if !reshape {
            break;
        }
        p = single_input(net, p).ok_or_else(|| no(format!("'{}' has no single input", name(p))))?;
    }
    let is_avg = match &net.layers[p].kind {
        LayerKind::GlobalAvgPool => true,
        LayerKind::Op(o) => {
            matches!(o.op, Op::GlobalPool { max: false } | Op::Reduce { op: ReduceOp::Mean, .. })
        }
        _ => false,
    };
    if !is_avg {
        return Err(no(format!(
            "below the fc '{}' is '{}' ({}), not a global average pool",
            name(fc),
            name(p),
            net.layers[p].kind.type_name()
        )));
    }
    let volume =
        net.layers[p].inputs.first().copied().ok_or_else(|| no("a pool with no input".into()))?;
    let shape = analysis.shape_of(volume);
    let pooled: usize = analysis.layers[p].dims.iter().product();
    if pooled != shape.d || shape.d != k {
        return Err(no(format!(
            "'{}' averages {} into {pooled} values; the fc takes {k}",
            name(p),
            shape
        )));
    }
    Ok(CamHead { volume, pool: p, fc, w, b })
}
