//! Where one output element of an op layer comes from, with the real numbers: the explain
//! panel's text for the general ops. Index ops say which input element it copies; arithmetic
//! shows the formula applied to its operands; reductions and normalisations name the axis and
//! the statistics; ConvTranspose lists the input neurons and taps it sums; Resize gives the
//! source coordinate and the neighbours it mixes; LSTM/GRU show the gates at that step.
//!
//! Every line is computed from the same inputs the forward pass used; nothing is typed in.

use super::convt::kernel::neuron as convt_neuron;
use super::recurrent::{Cell, GateQuery, RnnInputs, gates_at};
use super::{Arg, Args, Binary, Info, Op, OpLayer, Operand, QuantOp, axis};
use crate::nn::tensor::{Tensor, dims_text};
use ndarray::{Axis, Ix1, Ix3, Ix4, IxDyn};

/// `[1, 3, 5]`.
fn at(idx: &[usize]) -> String {
    let v: Vec<String> = idx.iter().map(ToString::to_string).collect();
    format!("[{}]", v.join(", "))
}

/// A value as the panel prints it.
pub fn num(v: f32) -> String {
    if v == 0.0 || (v.abs() >= 1e-3 && v.abs() < 1e5) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" { "0".into() } else { s.to_string() }
    } else {
        format!("{v:.3e}")
    }
}

/// Element `idx` of a tensor as text (integers exactly).
fn value(t: &Tensor, idx: &[usize]) -> String {
    match t {
        Tensor::F32(a) => a.get(IxDyn(idx)).map_or("?".into(), |v| num(*v)),
        Tensor::Int(a, _) => a.get(IxDyn(idx)).map_or("?".into(), ToString::to_string),
    }
}

/// The input element a broadcast operand of `dims` contributes to output `idx`.
fn broadcast_index(dims: &[usize], idx: &[usize]) -> Vec<usize> {
    let off = idx.len().saturating_sub(dims.len());
    dims.iter().enumerate().map(|(k, &d)| if d == 1 { 0 } else { idx[off + k] }).collect()
}

/// A flat C-order position from an index, and back.
fn flat(dims: &[usize], idx: &[usize]) -> usize {
    dims.iter().zip(idx).fold(0, |a, (&d, &i)| a * d + i)
}

fn unflat(dims: &[usize], mut k: usize) -> Vec<usize> {
    let mut idx = vec![0; dims.len()];
    for (i, &d) in dims.iter().enumerate().rev() {
        if d > 0 {
            idx[i] = k % d;
            k /= d;
        }
    }
    idx
}

/// The operands by position: runtime values, constants, or absent.
struct Ops<'a> {
    items: Vec<Option<&'a Tensor>>,
    names: Vec<String>,
}

impl<'a> Ops<'a> {
    fn get(&self, i: usize) -> Option<&'a Tensor> {
        self.items.get(i).copied().flatten()
    }
    fn name(&self, i: usize) -> &str {
        self.names.get(i).map_or("?", String::as_str)
    }
}

/// The explain lines of output element `idx` of `layer` (an op layer), whose runtime inputs are
/// `xs` (named `names`) and output `out`.
pub fn explain(
    layer: &OpLayer,
    xs: &[&Tensor],
    names: &[String],
    out: &Tensor,
    idx: &[usize],
) -> Vec<String> {
    let mut items = Vec::with_capacity(layer.operands.len());
    let mut onames = Vec::with_capacity(layer.operands.len());
    for (i, o) in layer.operands.iter().enumerate() {
        match o {
            Operand::Input(k) => {
                items.push(xs.get(*k).copied());
                onames.push(names.get(*k).cloned().unwrap_or_else(|| format!("input {i}")));
            }
            Operand::Const(t) => {
                items.push(Some(t));
                onames.push(format!("a constant {}", dims_text(t.dims())));
            }
            Operand::Absent => {
                items.push(None);
                onames.push("absent".into());
            }
        }
    }
    let ops = Ops { items, names: onames };
    let v = value(out, idx);
    let head = format!("V{} = {v}", at(idx));
    let mut l = vec![head];
    let Some(x) = ops.get(0) else { return l };
    let same = |l: &mut Vec<String>, what: &str, src: &[usize]| {
        l.push(format!("= {}{} {what}", ops.name(0), at(src)));
        l.push(format!("  ({} = {})", at(src), value(x, src)));
    };
    match &layer.op {
        Op::Unary(u) => {
            l.push(format!(
                "= {} with x = {}{} = {}",
                u.formula(),
                ops.name(0),
                at(idx),
                value(x, idx)
            ));
        }
        Op::Binary(b) => {
            let y = ops.get(1).unwrap_or(x);
            let (ia, ib) = (broadcast_index(x.dims(), idx), broadcast_index(y.dims(), idx));
            l.push(format!("= {} with", b.formula()));
            l.push(format!("  a = {}{} = {}", ops.name(0), at(&ia), value(x, &ia)));
            l.push(format!("  b = {}{} = {}", ops.name(1), at(&ib), value(y, &ib)));
            if x.dims() != y.dims() {
                l.push(format!(
                    "  {} and {} broadcast to {}",
                    dims_text(x.dims()),
                    dims_text(y.dims()),
                    dims_text(out.dims())
                ));
            }
            if *b == Binary::Prelu {
                l.push("  (x if x ≥ 0, else slope·x)".into());
            }
        }
        Op::Variadic(vv) => {
            l.push(format!("= the {} of", vv.name()));
            for i in 0..ops.items.len() {
                if let Some(t) = ops.get(i) {
                    let j = broadcast_index(t.dims(), idx);
                    l.push(format!("  {}{} = {}", ops.name(i), at(&j), value(t, &j)));
                }
            }
        }
        Op::Where => {
            let c = x;
            let ic = broadcast_index(c.dims(), idx);
            let pick = if value(c, &ic) != "0" { 1 } else { 2 };
            if let Some(t) = ops.get(pick) {
                let j = broadcast_index(t.dims(), idx);
                l.push(format!("condition {}{} = {}", ops.name(0), at(&ic), value(c, &ic)));
                l.push(format!("= {}{} = {}", ops.name(pick), at(&j), value(t, &j)));
            }
        }
        Op::Cast(e) => {
            l.push(format!("= {}{} = {} as {e}", ops.name(0), at(idx), value(x, idx)));
        }
        Op::Identity | Op::Dropout => same(&mut l, "(the same element)", idx),
        Op::Reshape { .. } | Op::Flatten { .. } | Op::Squeeze { .. } | Op::Unsqueeze { .. } => {
            let k = flat(out.dims(), idx);
            let src = unflat(x.dims(), k);
            same(&mut l, &format!("(element {k} in C order: a reshape keeps the order)"), &src);
        }
        Op::Transpose { perm } => {
            let r = x.dims().len();
            let p: Vec<usize> = match perm {
                Some(p) => p.iter().map(|&a| a as usize).collect(),
                None => (0..r).rev().collect(),
            };
            let mut src = vec![0; r];
            for (o, &a) in p.iter().enumerate() {
                if let (Some(s), Some(&i)) = (src.get_mut(a), idx.get(o)) {
                    *s = i;
                }
            }
            let ps: Vec<String> = p.iter().map(ToString::to_string).collect();
            same(
                &mut l,
                &format!("(output axis k is input axis perm[k], perm [{}])", ps.join(", ")),
                &src,
            );
        }
        Op::Concat { axis: a } => {
            let Ok(a) = axis(*a, out.dims().len()) else { return l };
            let mut off = idx[a];
            for i in 0..ops.items.len() {
                let Some(t) = ops.get(i) else { continue };
                let n = t.dims()[a];
                if off < n {
                    let mut src = idx.to_vec();
                    src[a] = off;
                    l.push(format!("= {}{} (input {i}, along axis {a})", ops.name(i), at(&src)));
                    l.push(format!("  = {}", value(t, &src)));
                    break;
                }
                off -= n;
            }
        }
        Op::Split { axis: a, .. } => {
            let Ok(a) = axis(*a, x.dims().len()) else { return l };
            let start = start_of_split(layer, &ops, x, a);
            let mut src = idx.to_vec();
            src[a] += start;
            same(
                &mut l,
                &format!("(part {} starts at {start} along axis {a})", layer.output),
                &src,
            );
        }
        Op::Slice { .. } | Op::Expand | Op::Tile | Op::Gather { .. } => {
            if let Some((src, why)) = gather_like(layer, &ops, x, out, idx) {
                same(&mut l, &why, &src);
            }
        }
        Op::Pad { mode, .. } => {
            if let Some(plan) = pad_plan(layer, &ops, x) {
                match super::pad::source_index(idx, &plan) {
                    Some(src) => same(&mut l, &format!("({} padding)", mode.onnx_name()), &src),
                    None => l.push("= the constant: this element lies in the padding".into()),
                }
            }
        }
        Op::DepthToSpace { block, mode } => {
            let b = *block as usize;
            if let ([n, c, h, w], [_, ci, _, _]) = (idx, x.dims()) {
                let s = super::depth_space::depth_to_space_source([*n, *c, *h, *w], *ci, b, *mode);
                same(&mut l, &format!("(block {b}: depth moves into space)"), &s);
            }
        }
        Op::SpaceToDepth { block } => {
            let b = *block as usize;
            if let ([n, c, h, w], [_, ci, _, _]) = (idx, x.dims()) {
                let s = super::depth_space::space_to_depth_source([*n, *c, *h, *w], *ci, b);
                same(&mut l, &format!("(block {b}: space moves into depth)"), &s);
            }
        }
        Op::Resize(p) => resize_lines(&mut l, p, &ops, x, out, idx),
        Op::ConvTranspose(attrs) => convt_lines(&mut l, attrs, &ops, x, idx),
        Op::Reduce { op, .. } => {
            l.push(format!("= the {} of {} over the reduced axes", op.name(), ops.name(0)));
            l.push(format!("  ({} → {})", dims_text(x.dims()), dims_text(out.dims())));
        }
        Op::ArgMax { axis: a, min, .. } => {
            let which = if *min { "smallest" } else { "largest" };
            l.push(format!("= the index of the {which} value along axis {a} of {}", ops.name(0)));
        }
        Op::TopK { axis: a, .. } => {
            l.push(format!(
                "= the k largest along axis {a} of {} (k = {})",
                ops.name(0),
                out.dims().get(axis(*a, out.dims().len()).unwrap_or(0)).copied().unwrap_or(0)
            ));
        }
        Op::Softmax { axis: a, log, .. } => {
            let Ok(ax) = axis(*a, x.dims().len()) else { return l };
            let n = x.dims()[ax];
            let mut lane = idx.to_vec();
            let (mut mx, mut vals) = (f32::NEG_INFINITY, Vec::with_capacity(n));
            for k in 0..n {
                lane[ax] = k;
                let v = x.to_f32().get(IxDyn(&lane)).copied().unwrap_or(f32::NAN);
                mx = mx.max(v);
                vals.push(v);
            }
            let sum: f64 = vals.iter().map(|&v| f64::from(v - mx).exp()).sum();
            let f = if *log { "x − log Σ e^x" } else { "e^x / Σ e^x" };
            l.push(format!("= {f} over axis {ax} ({n} values)"));
            l.push(format!(
                "  x = {}{} = {}; max {}; Σ e^(x − max) = {}",
                ops.name(0),
                at(idx),
                value(x, idx),
                num(mx),
                num(sum as f32)
            ));
        }
        Op::MatMul | Op::Gemm { .. } => {
            let k = match &layer.op {
                Op::Gemm { trans_a: true, .. } => x.dims().first().copied().unwrap_or(0),
                _ => x.dims().last().copied().unwrap_or(0),
            };
            l.push(format!("= Σ over k of A[…, k] · B[k, …]: a dot product of {k} terms"));
            l.push(format!("  A = {} {}, B = {}", ops.name(0), dims_text(x.dims()), ops.name(1)));
            if let Op::Gemm { alpha, beta, .. } = &layer.op {
                l.push(format!("  then α·(A·B) + β·C with α = {alpha}, β = {beta}"));
            }
        }
        Op::BatchNorm { eps } => {
            let c = idx.get(1).copied().unwrap_or(0);
            let p = |i: usize| ops.get(i).map_or("?".into(), |t| value(t, &[c]));
            l.push(format!("= (x − mean[{c}]) / √(var[{c}] + {eps}) · γ[{c}] + β[{c}]"));
            l.push(format!(
                "  x = {}, mean {}, var {}, γ {}, β {}",
                value(x, idx),
                p(3),
                p(4),
                p(1),
                p(2)
            ));
        }
        Op::InstanceNorm { .. }
        | Op::LayerNorm { .. }
        | Op::GroupNorm { .. }
        | Op::LpNorm { .. } => {
            norm_lines(&mut l, &layer.op, x, idx);
        }
        Op::GlobalPool { max } => {
            let c = idx.get(1).copied().unwrap_or(0);
            let what = if *max { "largest value" } else { "mean" };
            l.push(format!("= the {what} of channel {c} of {} over every position", ops.name(0)));
        }
        Op::Quant(q) => quant_lines(&mut l, q, &ops, x, out, idx),
        Op::Rnn(p) => rnn_lines(&mut l, p, layer.output, &ops, idx),
        Op::Shape { .. } | Op::Size => {
            l.push(format!("= a size of {} {}", ops.name(0), dims_text(x.dims())))
        }
        Op::ConstantOfShape { .. } | Op::Range => l.push("= a constant the graph builds".into()),
        Op::Unsupported { reason } => l.push(format!("not computed: {reason}")),
    }
    l
}

fn start_of_split(layer: &OpLayer, ops: &Ops, x: &Tensor, a: usize) -> usize {
    let Op::Split { split, outputs, .. } = &layer.op else { return 0 };
    let n = x.dims()[a];
    let sizes: Vec<usize> = match (split, ops.get(1)) {
        (Some(s), _) => s.iter().map(|&v| v.max(0) as usize).collect(),
        (None, Some(t)) => t.ints().iter().map(|&v| v.max(0) as usize).collect(),
        (None, None) => {
            let per = n.div_ceil((*outputs).max(1));
            (0..*outputs).map(|k| per.min(n.saturating_sub(k * per))).collect()
        }
    };
    sizes.iter().take(layer.output).sum()
}

/// The infos of the operands, for re-running a shape rule.
fn infos<'a>(ops: &'a Ops<'a>) -> Args<'a, Info> {
    Args { items: ops.items.iter().map(|t| t.map_or(Arg::Absent, Arg::Const)).collect() }
}

/// Slice, Expand, Tile and Gather: the input element an output element copies.
fn gather_like(
    layer: &OpLayer,
    ops: &Ops,
    x: &Tensor,
    out: &Tensor,
    idx: &[usize],
) -> Option<(Vec<usize>, String)> {
    let xd = x.dims();
    match &layer.op {
        Op::Expand => Some((broadcast_index(xd, idx), "(expand repeats size-1 axes)".into())),
        Op::Tile => {
            let src: Vec<usize> =
                idx.iter().zip(xd).map(|(&i, &d)| if d == 0 { 0 } else { i % d }).collect();
            Some((src, "(tile: each index modulo the input's size)".into()))
        }
        Op::Gather { axis: a } => {
            let a = axis(*a, xd.len()).ok()?;
            let ind = ops.get(1)?;
            let r = ind.dims().len();
            let ii = &idx[a..a + r];
            let k = ind.ints().get(flat(ind.dims(), ii)).copied()?;
            let k = if k < 0 { k + xd[a] as i64 } else { k } as usize;
            let mut src: Vec<usize> = idx[..a].to_vec();
            src.push(k);
            src.extend_from_slice(&idx[a + r..]);
            Some((src, format!("(indices{} = {k} along axis {a})", at(ii))))
        }
        Op::Slice { .. } => {
            let infos = infos(ops);
            let (dims, cut) = super::shape::slice_cut(layer, &infos, xd).ok()?;
            debug_assert_eq!(dims, out.dims());
            let src: Vec<usize> = idx
                .iter()
                .enumerate()
                .map(|(k, &i)| (cut.0[k] + i as i64 * cut.1[k]).max(0) as usize)
                .collect();
            Some((src, "(start + index·step on each axis)".into()))
        }
        _ => None,
    }
}

fn pad_plan(layer: &OpLayer, ops: &Ops, x: &Tensor) -> Option<super::pad::PadPlan> {
    let Op::Pad { mode, pads, .. } = &layer.op else { return None };
    let pads = match pads {
        Some(p) => p.clone(),
        None => ops.get(1)?.ints(),
    };
    let axes = ops.get(3).map(Tensor::ints);
    super::pad::plan(x.dims(), &pads, axes.as_deref(), *mode).ok()
}

fn resize_lines(
    l: &mut Vec<String>,
    p: &super::resize::ResizeParams,
    ops: &Ops,
    x: &Tensor,
    out: &Tensor,
    idx: &[usize],
) {
    let infos = infos(ops);
    let Ok((_, scales, roi)) = super::spatial::resize_plan_of(p, x.dims(), &infos) else { return };
    let rank = x.dims().len();
    l.push(format!("= {} resize, {} coordinates", p.mode.onnx_name(), p.coord.onnx_name()));
    for a in 0..rank {
        let (n, m) = (x.dims()[a], out.dims()[a]);
        if n == m && (scales[a] - 1.0).abs() < 1e-12 {
            continue;
        }
        let r = super::resize::roi_for_axis(roi.as_deref(), p, rank, a);
        let s = super::resize::source(idx[a], n, m, scales[a], r, p);
        l.push(format!("axis {a}: x = {} ", s.formula));
        let taps: Vec<String> = s.taps.iter().map(|(i, w)| format!("{i}·{}", num(*w))).collect();
        if s.extrapolated {
            l.push("  outside the input: the extrapolation value".into());
        } else {
            l.push(format!("  reads input {} (index·weight)", taps.join(" + ")));
        }
    }
}

fn convt_lines(
    l: &mut Vec<String>,
    attrs: &super::convt::geometry::ConvTransposeAttrs,
    ops: &Ops,
    x: &Tensor,
    idx: &[usize],
) {
    let infos = infos(ops);
    let Ok(g) = super::conv_transpose_geometry(attrs, &infos) else { return };
    let (Some(w), [_, k, r, c]) = (ops.get(1), idx) else { return };
    l.push(format!("rows: {}", g.rows.formula()));
    let contributors = g.contributors(*r, *c);
    l.push(format!(
        "= Σ over {} input neurons × {} channels of x[ci, iy, ix] · W[ci, {k}, fy, fx] + b[{k}]",
        contributors.len(),
        g.cg()
    ));
    for t in contributors.iter().take(4) {
        l.push(format!("  input ({}, {}) with tap ({}, {})", t.iy, t.ix, t.fy, t.fx));
    }
    if contributors.len() > 4 {
        l.push(format!("  … and {} more", contributors.len() - 4));
    }
    let (Some(xa), Some(wa)) = (x.as_f32(), w.as_f32()) else { return };
    let (Ok(x3), Ok(w4)) =
        (xa.index_axis(Axis(0), 0).into_dimensionality::<Ix3>(), wa.into_dimensionality::<Ix4>())
    else {
        return;
    };
    let b = ops.get(2).and_then(Tensor::as_f32).and_then(|b| b.into_dimensionality::<Ix1>().ok());
    let terms = convt_neuron(&x3, &w4, b.as_ref(), &g, (*k, *r, *c));
    l.push(format!(
        "  sum {} + bias {} = {}",
        num(terms.value - terms.bias),
        num(terms.bias),
        num(terms.value)
    ));
}

fn norm_lines(l: &mut Vec<String>, op: &Op, x: &Tensor, idx: &[usize]) {
    let xf = x.to_f32();
    let d = x.dims();
    // The run of values normalised together with idx.
    let run: Vec<f32> = match op {
        Op::LayerNorm { axis: a, .. } => {
            let Ok(a) = axis(*a, d.len()) else { return };
            let inner: usize = d[a..].iter().product();
            let k = flat(d, idx) / inner.max(1);
            xf.iter().skip(k * inner).take(inner).copied().collect()
        }
        Op::InstanceNorm { .. } => {
            let inner: usize = d[2..].iter().product();
            let k = flat(d, idx) / inner.max(1);
            xf.iter().skip(k * inner).take(inner).copied().collect()
        }
        Op::GroupNorm { groups, .. } => {
            let per: usize = d[1..].iter().product::<usize>() / (*groups).max(1);
            let k = flat(d, idx) / per.max(1);
            xf.iter().skip(k * per).take(per).copied().collect()
        }
        _ => Vec::new(),
    };
    if let Op::LpNorm { axis: a, p } = op {
        l.push(format!("= x / ‖x‖{p} along axis {a}"));
        return;
    }
    let n = run.len().max(1) as f64;
    let mean = run.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = run.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
    l.push("= (x − mean) / √(var + ε) · scale + B".into());
    l.push(format!(
        "  over {} values: mean {}, var {}; x = {}",
        run.len(),
        num(mean as f32),
        num(var as f32),
        value(x, idx)
    ));
}

fn quant_lines(
    l: &mut Vec<String>,
    q: &QuantOp,
    ops: &Ops,
    x: &Tensor,
    out: &Tensor,
    idx: &[usize],
) {
    let scalar = |i: usize| ops.get(i).filter(|t| t.len() == 1);
    match q {
        QuantOp::Quantize { ty, .. } => {
            let (Some(s), Ok(t)) = (scalar(1), super::int_type(*ty)) else {
                l.push("per-axis scales: one scale and zero point per channel".into());
                return;
            };
            let zp = scalar(2).map_or(0, |z| z.ints()[0]);
            let xv = x.to_f32().get(IxDyn(idx)).copied().unwrap_or(f32::NAN);
            l.push(super::quant::describe_quantize(xv, s.floats()[0], zp, t));
            l.push(format!("  scale {}, zero point {zp}", num(s.floats()[0])));
        }
        QuantOp::Dequantize { .. } => {
            let (Some(s), Ok(t)) = (scalar(1), super::int_type(x.elem())) else {
                l.push("per-axis scales: one scale and zero point per channel".into());
                return;
            };
            let zp = scalar(2).map_or(0, |z| z.ints()[0]);
            let qv = x.to_i64().get(IxDyn(idx)).copied().unwrap_or(0);
            l.push(super::quant::describe_dequantize(qv, s.floats()[0], zp, t));
            l.push(format!("  scale {}, zero point {zp}", num(s.floats()[0])));
        }
        QuantOp::DynamicQuantize => {
            l.push("= saturate(round(x / scale) + zero point), uint8".into());
            l.push("  scale = (max(x, 0) − min(x, 0)) / 255 over the whole tensor".into());
        }
        QuantOp::ConvInteger(_) | QuantOp::MatMulInteger => {
            l.push(format!(
                "= Σ (x − x_zero_point)·(w − w_zero_point), exactly, as {}",
                out.elem()
            ));
        }
        QuantOp::QLinearConv(_) | QuantOp::QLinearMatMul => {
            let p = |i: usize| {
                scalar(i).map_or("per channel".into(), |t| {
                    value(t, &[]).replace("?", &num(t.floats()[0]))
                })
            };
            l.push(
                "= saturate(round(Σ (x − x_zp)(w − w_zp) · x_scale·w_scale/y_scale) + y_zp)".into(),
            );
            l.push(format!(
                "  x_scale {}, x_zp {}, w_scale {}, w_zp {}, y_scale {}, y_zp {}",
                p(1),
                p(2),
                p(4),
                p(5),
                p(6),
                p(7)
            ));
        }
    }
}

fn rnn_lines(
    l: &mut Vec<String>,
    p: &super::recurrent::RnnParams,
    output: usize,
    ops: &Ops,
    idx: &[usize],
) {
    // Y is [seq, dirs, batch, hidden]; Y_h and Y_c are [dirs, batch, hidden] (layout 0).
    let (t, dir, b, j) = match (output, idx) {
        (0, [t, d, b, j]) => (*t, *d, *b, *j),
        (_, [d, b, j]) => (usize::MAX, *d, *b, *j),
        _ => return,
    };
    let f = |i: usize| ops.get(i).and_then(Tensor::as_f32);
    let (Some(x), Some(w), Some(r)) = (f(0), f(1), f(2)) else { return };
    let seq = x.shape().first().copied().unwrap_or(0);
    let t = if t == usize::MAX { if dir == 0 { seq.saturating_sub(1) } else { 0 } } else { t };
    let lens: Option<Vec<i64>> = ops.get(4).map(Tensor::ints);
    let inputs = RnnInputs {
        x,
        w,
        r,
        b: f(3),
        seq_lens: lens.as_deref(),
        initial_h: f(5),
        initial_c: if p.cell == Cell::Lstm { f(6) } else { None },
        p: if p.cell == Cell::Lstm { f(7) } else { None },
    };
    match gates_at(&inputs, p, GateQuery { direction: dir, t, batch: b, unit: j }) {
        Ok(g) => {
            l.push(format!("unit {j} at step {t} (direction {dir}), from h₋₁ = {}", num(g.h_prev)));
            l.extend(g.rows.iter().map(|row| format!("  {}", row.formula)));
        }
        Err(e) => l.push(format!("gates: {e}")),
    }
}

/// Why an op layer's output has its shape, with the numbers (the shape panel's lines).
pub fn shape_lines(layer: &OpLayer, ins: &[Vec<usize>], out: &[usize]) -> Vec<String> {
    let consts: Vec<Option<&Tensor>> = layer
        .operands
        .iter()
        .map(|o| match o {
            Operand::Const(t) => Some(t),
            _ => None,
        })
        .collect();
    let dims_of = |i: usize| -> Option<Vec<usize>> {
        match layer.operands.get(i)? {
            Operand::Input(k) => ins.get(*k).cloned(),
            Operand::Const(t) => Some(t.dims().to_vec()),
            Operand::Absent => None,
        }
    };
    let x = dims_of(0).unwrap_or_default();
    let d = dims_text;
    let mut l = Vec::new();
    match &layer.op {
        Op::ConvTranspose(attrs) => {
            let args = Args {
                items: (0..layer.operands.len())
                    .map(|i| match consts[i] {
                        Some(t) => Arg::Const(t),
                        None => Arg::Absent,
                    })
                    .collect(),
            };
            let info = Info::f32(x.clone());
            let mut args = args;
            if let Some(first) = args.items.first_mut() {
                *first = Arg::Run(&info);
            }
            if let Ok(g) = super::conv_transpose_geometry(attrs, &args) {
                l.push(format!("rows: {}", g.rows.formula()));
                l.push(format!("cols: {}", g.cols.formula()));
                l.push(format!("  {}", g.rows.pads_formula()));
                l.push(format!(
                    "K = {}: each input neuron spreads a {}×{} patch into every output channel",
                    g.out().c,
                    g.rows.f,
                    g.cols.f
                ));
                l.extend(g.warnings());
            }
        }
        Op::Resize(p) => {
            for (a, (&n, &m)) in x.iter().zip(out).enumerate() {
                if n != m {
                    l.push(format!(
                        "axis {a}: {n} → {m} ({} scale {})",
                        if m > n { "up" } else { "down" },
                        num(m as f32 / n.max(1) as f32)
                    ));
                }
            }
            l.push(format!("mode {}, coordinates {}", p.mode.onnx_name(), p.coord.onnx_name()));
        }
        Op::Pad { mode, .. } => {
            for (a, (&n, &m)) in x.iter().zip(out).enumerate() {
                if n != m {
                    l.push(format!("axis {a}: {n} + pads = {m}"));
                }
            }
            l.push(format!("mode {}", mode.onnx_name()));
        }
        Op::Reshape { .. } | Op::Flatten { .. } | Op::Squeeze { .. } | Op::Unsqueeze { .. } => {
            let n: usize = out.iter().product();
            l.push(format!("{} → {}: the same {n} values in C order", d(&x), d(out)));
        }
        Op::Transpose { perm } => {
            l.push(format!("{} → {}, perm {:?}", d(&x), d(out), perm.clone().unwrap_or_default()));
        }
        Op::Concat { axis: a } => {
            let parts: Vec<String> = ins
                .iter()
                .filter_map(|s| {
                    let ax = axis(*a, s.len()).ok()?;
                    s.get(ax).map(ToString::to_string)
                })
                .collect();
            l.push(format!(
                "along axis {a}: {} = {}",
                parts.join(" + "),
                axis(*a, out.len()).ok().and_then(|ax| out.get(ax)).copied().unwrap_or(0)
            ));
        }
        Op::Split { axis: a, .. } => {
            l.push(format!("part {} of {} along axis {a}", layer.output, d(&x)))
        }
        Op::MatMul | Op::Gemm { .. } => {
            let b = dims_of(1).unwrap_or_default();
            l.push(format!("{} · {} → {}", d(&x), d(&b), d(out)));
            l.push("each output is a dot product along the shared axis".into());
        }
        Op::Reduce { op, axes, keepdims, .. } => {
            l.push(format!(
                "{} over axes {:?}{} → {}",
                op.name(),
                axes.clone().unwrap_or_default(),
                if *keepdims { " (kept as 1)" } else { "" },
                d(out)
            ));
        }
        Op::Softmax { axis: a, .. } => l.push(format!("over axis {a}; the shape is unchanged")),
        Op::LayerNorm { axis: a, .. } => {
            l.push(format!("normalises over axes {a}: (to the last) of {}", d(&x)))
        }
        Op::Rnn(p) => {
            l.push(format!(
                "X {} → Y {} ({:?}, hidden {})",
                d(&x),
                d(out),
                p.direction,
                p.hidden_size.map_or("from R".into(), |h| h.to_string())
            ));
            l.push("Y is [seq, directions, batch, hidden]".into());
        }
        Op::Quant(q) => l.push(format!("{}: {} → {}", q.name(), d(&x), d(out))),
        Op::Unsupported { reason } => l.push(format!("not computed: {reason}")),
        _ if ins.len() > 1 => l.push(format!(
            "{} broadcast → {}",
            ins.iter().map(|s| d(s)).collect::<Vec<_>>().join(" and "),
            d(out)
        )),
        _ => l.push(format!("{} → {}", d(&x), d(out))),
    }
    l
}
