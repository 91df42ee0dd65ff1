//! Live edits of the ONNX op layers that have hyperparameters a user may change:
//! ConvTranspose (stride, pad, dilation, output_padding, auto_pad, output_shape), Resize (mode,
//! coordinate and nearest modes, cubic a, and its scales or sizes when they are constants) and
//! Pad (mode, pads when constant, value). Every other op says it is not editable.
//!
//! The editor text uses the ONNX attribute names, except the three a conv layer also has
//! (`stride`, `pad`, `dilation`), which read as they do there. Weights never change: the filter
//! size and groups of a ConvTranspose come from its weights.

use super::error::{Kind, ModelError, Result};
use crate::nn::ops::convt::geometry::{AutoPad, ConvTransposeAttrs};
use crate::nn::ops::pad::PadMode;
use crate::nn::ops::resize::{Mode, ResizeAttrs, ResizeOp, ResizeParams};
use crate::nn::ops::{Op, OpLayer, Operand};
use crate::nn::tensor::{Elem, Tensor};
use toml::Value;

/// The largest stride, dilation, pad or size an edit may give (the geometry checks the rest).
const MAX_INT: i64 = 1 << 20;

/// The ops whose parameters can be edited, for messages.
pub const EDITABLE_OPS: &str = "conv_transpose, resize and pad";

/// The editor text for an op layer, or `None` when the op has nothing editable.
pub fn op_params_text(layer: &OpLayer) -> Option<String> {
    let mut t = String::new();
    let mut line = |k: &str, v: String| t.push_str(&format!("{k} = {v}\n"));
    match &layer.op {
        Op::ConvTranspose(a) => {
            line("stride", list(&a.strides));
            if a.auto_pad == AutoPad::NotSet {
                line("pad", list(&a.pads.unwrap_or([0; 4])));
            } else {
                line("auto_pad", quoted(a.auto_pad.name()));
            }
            line("dilation", list(&a.dilations));
            line("output_padding", list(&a.output_padding));
            if let Some(s) = a.output_shape {
                line("output_shape", list(&s));
            }
        }
        Op::Resize(p) => {
            line("mode", quoted(p.mode.onnx_name()));
            if !p.op.is_legacy() {
                line("coordinate_transformation_mode", quoted(p.coord.onnx_name()));
                if p.mode == Mode::Nearest {
                    line("nearest_mode", quoted(p.nearest.onnx_name()));
                }
                if p.mode == Mode::Cubic {
                    line("cubic_coeff_a", float(p.cubic_coeff_a));
                }
            }
            match (constant(layer, 2), constant(layer, 3)) {
                (_, Some(s)) => line("sizes", list(&s.ints())),
                (Some(s), _) => {
                    let v: Vec<String> = s.floats().into_iter().map(float).collect();
                    line("scales", format!("[{}]", v.join(", ")));
                }
                _ => {}
            }
        }
        Op::Pad { mode, pads, value } => {
            line("mode", quoted(mode.onnx_name()));
            match pads {
                Some(p) => line("pads", list(p)),
                None => {
                    if let Some(p) = constant(layer, 1) {
                        line("pads", list(&p.ints()));
                    }
                }
            }
            if *mode == PadMode::Constant {
                let v = match layer.operands.get(2) {
                    Some(Operand::Const(t)) => t.scalar_f32(),
                    Some(Operand::Input(_)) => None,
                    _ => Some(*value),
                };
                if let Some(v) = v {
                    line("value", float(v));
                }
            }
        }
        _ => return None,
    }
    Some(t)
}

/// Apply editor text to an op layer named `name`.
///
/// # Errors
/// An op that is not editable, an unknown key, a key that is not a constant here (computed by
/// the graph), or a bad value; each names the key and the value.
pub fn edit_op(layer: &OpLayer, table: &toml::Table, name: &str) -> Result<OpLayer> {
    let at = |kind: Kind| ModelError::layer(name, kind);
    let kind = layer.op.name();
    let allowed: &[&str] = match &layer.op {
        Op::ConvTranspose(_) => {
            &["stride", "pad", "dilation", "output_padding", "auto_pad", "output_shape"]
        }
        Op::Resize(_) => &[
            "mode",
            "coordinate_transformation_mode",
            "nearest_mode",
            "cubic_coeff_a",
            "scales",
            "sizes",
        ],
        Op::Pad { .. } => &["mode", "pads", "value"],
        _ => {
            return Err(at(Kind::Onnx(not_editable(kind))));
        }
    };
    if let Some(key) = table.keys().find(|k| !allowed.contains(&k.as_str()) && *k != "type") {
        return Err(at(Kind::KeyNotForType { key: key.clone(), kind: kind.into() }));
    }
    if let Some(t) = table.get("type").and_then(Value::as_str).filter(|t| *t != kind) {
        return Err(at(Kind::Value {
            key: "type".into(),
            value: format!("\"{t}\""),
            rule: format!("an ONNX {kind} layer keeps its type"),
        }));
    }
    let mut out = layer.clone();
    match &mut out.op {
        Op::ConvTranspose(a) => conv_transpose(a, table).map_err(at)?,
        Op::Resize(p) => {
            let (params, scales, sizes) = resize(p, layer, table).map_err(at)?;
            **p = params;
            set_operand(&mut out.operands, 2, scales);
            set_operand(&mut out.operands, 3, sizes);
        }
        Op::Pad { mode, pads, value } => {
            if let Some(v) = table.get("mode") {
                *mode = PadMode::from_attr(word("mode", v).map_err(at)?)
                    .map_err(|_| at(bad("mode", v, "constant, reflect, edge or wrap")))?;
            }
            if let Some(v) = table.get("pads") {
                let n = match (&*pads, layer.operands.get(1)) {
                    (Some(p), _) => p.len(),
                    (None, Some(Operand::Const(t))) => t.len(),
                    (None, Some(Operand::Input(_))) => return Err(at(computed("pads"))),
                    _ => {
                        return Err(at(Kind::KeyNotForType {
                            key: "pads".into(),
                            kind: kind.into(),
                        }));
                    }
                };
                let p = ints("pads", v, n, -MAX_INT, MAX_INT).map_err(at)?;
                match pads {
                    Some(old) => *old = p,
                    None => out.operands[1] = Operand::Const(Tensor::int(&[n], p, Elem::I64)),
                }
            }
            if let Some(v) = table.get("value") {
                let x = number("value", v).map_err(at)?;
                match layer.operands.get(2) {
                    Some(Operand::Input(_)) => return Err(at(computed("value"))),
                    Some(Operand::Const(t)) if t.elem() != Elem::F32 => {
                        return Err(at(bad("value", v, "this Pad works on integers")));
                    }
                    Some(Operand::Const(t)) => {
                        out.operands[2] = Operand::Const(Tensor::f32(t.dims(), vec![x]));
                    }
                    _ if layer.operands.len() > 1 => {
                        set_operand(&mut out.operands, 2, Some(Tensor::f32(&[], vec![x])));
                    }
                    _ => *value = x,
                }
            }
        }
        _ => unreachable!("checked above"),
    }
    Ok(out)
}

fn conv_transpose(a: &mut ConvTransposeAttrs, t: &toml::Table) -> std::result::Result<(), Kind> {
    if let Some(v) = t.get("stride") {
        a.strides = pair("stride", v, 1)?;
    }
    if let Some(v) = t.get("dilation") {
        a.dilations = pair("dilation", v, 1)?;
    }
    if let Some(v) = t.get("output_padding") {
        a.output_padding = pair("output_padding", v, 0)?;
    }
    match (t.get("pad"), t.get("auto_pad")) {
        (Some(_), Some(_)) => return Err(Kind::Conflict { a: "pad", b: "auto_pad" }),
        (Some(v), None) => {
            let p = match v {
                Value::Integer(_) => vec![int("pad", v, 0, MAX_INT)?; 4],
                _ => ints("pad", v, 4, 0, MAX_INT)?,
            };
            a.pads = Some([p[0], p[1], p[2], p[3]]);
            a.auto_pad = AutoPad::NotSet;
        }
        (None, Some(v)) => {
            a.auto_pad = AutoPad::parse(word("auto_pad", v)?)
                .map_err(|_| bad("auto_pad", v, "NOTSET, SAME_UPPER, SAME_LOWER or VALID"))?;
            if a.auto_pad != AutoPad::NotSet {
                a.pads = None;
            }
        }
        (None, None) => {}
    }
    if let Some(v) = t.get("output_shape") {
        a.output_shape = Some(pair("output_shape", v, 1)?);
    }
    Ok(())
}

type ResizeEdit = (ResizeParams, Option<Tensor>, Option<Tensor>);

fn resize(
    p: &ResizeParams,
    layer: &OpLayer,
    t: &toml::Table,
) -> std::result::Result<ResizeEdit, Kind> {
    let text = |key: &'static str| t.get(key).map(|v| word(key, v)).transpose();
    let legacy = p.op.is_legacy();
    let keep = |s: &'static str| (!legacy).then_some(s);
    let attrs = ResizeAttrs {
        mode: Some(text("mode")?.unwrap_or(p.mode.onnx_name())),
        coordinate_transformation_mode: text("coordinate_transformation_mode")?
            .or(keep(p.coord.onnx_name())),
        nearest_mode: text("nearest_mode")?.or(keep(p.nearest.onnx_name())),
        cubic_coeff_a: match t.get("cubic_coeff_a") {
            Some(v) => Some(number("cubic_coeff_a", v)?),
            None => (!legacy).then_some(p.cubic_coeff_a),
        },
        exclude_outside: (!legacy).then_some(i64::from(p.exclude_outside)),
        extrapolation_value: (!legacy).then_some(p.extrapolation_value),
        antialias: matches!(p.op, ResizeOp::Resize { opset: 18.. })
            .then_some(i64::from(p.antialias)),
        keep_aspect_ratio_policy: matches!(p.op, ResizeOp::Resize { opset: 18.. })
            .then_some(p.keep_aspect_ratio_policy.onnx_name()),
        axes: None,
    };
    // `axes` is kept as it was resolved, so the rank is not needed.
    let mut params =
        ResizeParams::from_attrs(p.op, 0, &attrs).map_err(|e| Kind::Onnx(e.to_string()))?;
    params.axes = p.axes.clone();
    let (mut scales, mut sizes) = (constant(layer, 2).cloned(), constant(layer, 3).cloned());
    match (t.get("scales"), t.get("sizes")) {
        (Some(_), Some(_)) => return Err(Kind::Conflict { a: "scales", b: "sizes" }),
        (Some(v), None) => {
            let n = operand_len(layer, "scales")?;
            let arr = v.as_array().ok_or_else(|| bad("scales", v, "a list of numbers"))?;
            if arr.len() != n {
                return Err(bad("scales", v, &format!("{n} values, one per resized axis")));
            }
            let mut out = Vec::with_capacity(n);
            for x in arr {
                let s = number("scales", x)?;
                if !(s > 0.0 && s <= 1024.0) {
                    return Err(bad("scales", x, "each scale in (0, 1024]"));
                }
                out.push(s);
            }
            (scales, sizes) = (Some(Tensor::f32(&[n], out)), None);
        }
        (None, Some(v)) => {
            if legacy || matches!(p.op, ResizeOp::Resize { opset: 10 }) {
                return Err(bad("sizes", v, "this Resize takes scales only"));
            }
            let n = operand_len(layer, "sizes")?;
            let s = ints("sizes", v, n, 1, MAX_INT)?;
            (scales, sizes) = (None, Some(Tensor::int(&[n], s, Elem::I64)));
        }
        (None, None) => {}
    }
    Ok((params, scales, sizes))
}

/// The length of the scales or sizes a Resize has (either one: the user may switch).
fn operand_len(layer: &OpLayer, key: &str) -> std::result::Result<usize, Kind> {
    for k in [2, 3] {
        match layer.operands.get(k) {
            Some(Operand::Const(t)) if !t.is_empty() => return Ok(t.len()),
            Some(Operand::Input(_)) => return Err(computed(key)),
            _ => {}
        }
    }
    Err(Kind::KeyNotForType { key: key.into(), kind: "resize".into() })
}

/// Operand `k` when it is a non-empty constant.
fn constant(layer: &OpLayer, k: usize) -> Option<&Tensor> {
    match layer.operands.get(k) {
        Some(Operand::Const(t)) if !t.is_empty() => Some(t),
        _ => None,
    }
}

fn set_operand(ops: &mut Vec<Operand>, k: usize, t: Option<Tensor>) {
    if matches!(ops.get(k), Some(Operand::Input(_))) || (t.is_none() && k >= ops.len()) {
        return;
    }
    while ops.len() <= k {
        ops.push(Operand::Absent);
    }
    ops[k] = t.map_or(Operand::Absent, Operand::Const);
}

fn computed(key: &str) -> Kind {
    Kind::Onnx(format!(
        "{key}: the graph computes it from another tensor, so it cannot be edited here"
    ))
}

/// Why an op layer has no editor.
pub fn not_editable(kind: &str) -> String {
    format!(
        "a {kind} layer has no parameters to edit; the editable ONNX ops are {EDITABLE_OPS}, and \
         the input size of a model whose H and W are open"
    )
}

fn bad(key: &str, v: &Value, rule: &str) -> Kind {
    Kind::Value { key: key.into(), value: v.to_string(), rule: rule.into() }
}

fn word<'a>(key: &str, v: &'a Value) -> std::result::Result<&'a str, Kind> {
    v.as_str().ok_or_else(|| bad(key, v, "a quoted word"))
}

fn number(key: &str, v: &Value) -> std::result::Result<f32, Kind> {
    let x = match v {
        Value::Float(f) => *f,
        Value::Integer(i) => *i as f64,
        _ => return Err(bad(key, v, "a number")),
    };
    if !x.is_finite() || x.abs() > f64::from(f32::MAX) {
        return Err(bad(key, v, "a finite number"));
    }
    Ok(x as f32)
}

fn int(key: &str, v: &Value, lo: i64, hi: i64) -> std::result::Result<i64, Kind> {
    match v.as_integer() {
        Some(i) if (lo..=hi).contains(&i) => Ok(i),
        _ => Err(bad(key, v, &format!("a whole number from {lo} to {hi}"))),
    }
}

fn ints(key: &str, v: &Value, n: usize, lo: i64, hi: i64) -> std::result::Result<Vec<i64>, Kind> {
    let arr = v.as_array().ok_or_else(|| bad(key, v, &format!("a list of {n} numbers")))?;
    if arr.len() != n {
        return Err(bad(key, v, &format!("{n} values")));
    }
    arr.iter().map(|x| int(key, x, lo, hi)).collect()
}

/// A number (both axes) or `[rows, cols]`, each at least `lo`.
fn pair(key: &str, v: &Value, lo: i64) -> std::result::Result<[i64; 2], Kind> {
    if v.is_integer() {
        let x = int(key, v, lo, MAX_INT)?;
        return Ok([x, x]);
    }
    let p = ints(key, v, 2, lo, MAX_INT).map_err(|_| bad(key, v, "a number or [rows, cols]"))?;
    Ok([p[0], p[1]])
}

fn list<T: std::fmt::Display>(v: &[T]) -> String {
    let items: Vec<String> = v.iter().map(ToString::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

/// A float as TOML writes it (always with a point).
fn float(x: f32) -> String {
    let s = x.to_string();
    if s.contains(['.', 'e', 'E']) || !x.is_finite() { s } else { format!("{s}.0") }
}
