//! Turning a parsed [`Spec`] into a [`Network`]: layer kinds from `type`, parameters checked and
//! named in every error, inputs resolved by name, weights loaded or initialised.
//!
//! The same [`layer_kind`] check serves spec files and the live editor.

use super::error::{Kind, ModelError, Result};
use super::spec::{BiasSpec, Dims, LayerSpec, Scale, Spec};
use super::spec_weights::weights_for;
use crate::nn::analysis::analyze;
use crate::nn::{ConvParams, InputSpec, Layer, LayerKind, Network, Normalize, Origin, Padding};
use crate::nn::{PoolParams, Shape3, Src, Weights};
use crate::text::printable;
use std::path::{Path, PathBuf};

/// What to do about weights while loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightMode {
    /// Load files and generate initialised weights: ready to run.
    Full,
    /// Load files but leave `init = …` layers empty: enough for shapes (fast for VGG16).
    ShapesOnly,
}

/// Every `type` a spec may name.
pub const TYPES: &[&str] = &[
    "conv",
    "relu",
    "relu6",
    "clip",
    "leaky_relu",
    "prelu",
    "sigmoid",
    "maxpool",
    "avgpool",
    "global_avgpool",
    "batchnorm",
    "lrn",
    "fc",
    "flatten",
    "softmax",
    "dropout",
    "add",
    "mul",
    "concat",
];

/// The keys each type accepts besides `name`, `type` and `inputs`.
fn allowed_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "conv" => &[
            "filters", "size", "stride", "pad", "dilation", "groups", "weights", "bias", "init",
            "seed", "strict",
        ],
        "fc" => &["outputs", "weights", "bias", "init", "seed"],
        "maxpool" | "avgpool" => {
            &["size", "stride", "pad", "ceil_mode", "count_include_pad", "strict"]
        }
        "clip" => &["min", "max"],
        "leaky_relu" => &["alpha"],
        "prelu" => &["slope", "weights"],
        "batchnorm" => &["eps", "gamma", "shift", "mean", "var"],
        "lrn" => &["size", "alpha", "beta", "k"],
        _ => &[],
    }
}

/// Build a network from a spec; `base` is the folder that relative paths start from.
///
/// # Errors
/// Any invalid layer, named with its parameter and value; unreadable weight files.
pub fn build(spec: &Spec, name: &str, base: Option<&Path>, mode: WeightMode) -> Result<Network> {
    let input = input_spec(spec, base)?;
    let mut layers: Vec<Layer> = Vec::with_capacity(spec.layers.len());
    for (i, ls) in spec.layers.iter().enumerate() {
        // Names reach terminals and error lines: escape anything a terminal would act on.
        let lname = ls.name.as_deref().map_or_else(
            || format!("{}{}", printable(&ls.kind), i + 1),
            |n| printable(n).into_owned(),
        );
        let kind = layer_kind(ls, &lname)?;
        let inputs = resolve_inputs(ls, &lname, i, &layers)?;
        let strict = ls.strict.unwrap_or(spec.strict);
        layers.push(Layer {
            name: lname,
            kind,
            inputs,
            weights: Weights::None,
            origin: Origin::None,
            strict,
        });
    }
    let labels_file = spec.input.labels.as_ref().map(|f| rel(base, f));
    let labels = match &labels_file {
        Some(f) => Some(read_labels(f)?),
        None => None,
    };
    let files = labels_file.into_iter().collect();
    let mut net = Network {
        name: printable(name).into_owned(),
        input,
        layers,
        labels,
        source: None,
        files,
        aliases: Vec::new(),
        folded_nodes: 0,
    };
    // Shapes first (weights are checked against them), then weights, then a full check.
    let shapes = analyze(&net)?;
    if mode == WeightMode::Full {
        // Generated weights are allocated below: refuse before, not when the allocator fails.
        crate::nn::budget::check(|| "the network's weights".into(), shapes.total_weight_bytes)?;
    }
    for (i, ls) in spec.layers.iter().enumerate() {
        let seed = ls.seed.unwrap_or(spec.seed.unwrap_or(0).wrapping_add(i as u64));
        let x = shapes.shape_of(net.layers[i].inputs[0]);
        let (w, origin) = weights_for(&net.layers[i], ls, x, base, seed, mode)?;
        net.layers[i].weights = w;
        net.layers[i].origin = origin;
    }
    analyze(&net)?;
    Ok(net)
}

pub(super) fn rel(base: Option<&Path>, f: &str) -> PathBuf {
    match base {
        Some(b) => b.join(f),
        None => PathBuf::from(f),
    }
}

/// Read a labels file: one class per line.
///
/// # Errors
/// The file cannot be read.
pub fn read_labels(path: &Path) -> Result<Vec<String>> {
    let bytes = super::error::read_file(path, "labels")?;
    Ok(super::onnx::sidecar::parse_labels(&String::from_utf8_lossy(&bytes)))
}

/// An input-table error.
fn input_value(key: &str, value: impl std::fmt::Display, rule: &str) -> ModelError {
    let kind = Kind::Value { key: key.into(), value: value.to_string(), rule: rule.into() };
    ModelError::layer("input", kind)
}

fn input_spec(spec: &Spec, base: Option<&Path>) -> Result<InputSpec> {
    let [h, w, d] = spec.input.shape;
    if h == 0 || w == 0 || d == 0 {
        return Err(input_value("shape", format!("[{h}, {w}, {d}]"), "H, W and D must be ≥ 1"));
    }
    let finite = |key: &str, v: f32| {
        if v.is_finite() { Ok(v) } else { Err(input_value(key, v, "a finite number")) }
    };
    let mut norm = match &spec.input.scale {
        None => Normalize::unit(),
        Some(Scale::Factor(f)) => Normalize::scaled(finite("scale", *f)?),
        Some(Scale::Named(other)) => Normalize::named(other).ok_or_else(|| {
            let rule = "use \"0..1\", \"-1..1\", \"0..255\", \"imagenet\" or a number";
            input_value("scale", format!("\"{other}\""), rule)
        })?,
    };
    if let Some(m) = &spec.input.mean {
        norm.mean = per_channel("mean", m)?;
    }
    if let Some(s) = &spec.input.std {
        norm.std = per_channel("std", s)?;
        if let Some(z) = norm.std.iter().find(|v| **v == 0.0) {
            return Err(input_value("std", z, "a division by zero"));
        }
    }
    for v in norm.mean.iter().chain(&norm.std) {
        finite("mean and std", *v)?;
    }
    let default_image = spec.input.image.as_ref().map(|f| rel(base, f));
    Ok(InputSpec::volume(Shape3::new(h, w, d), norm, default_image))
}

fn per_channel(key: &str, v: &[f32]) -> Result<[f32; 3]> {
    match *v {
        [a] => Ok([a; 3]),
        [a, b, c] => Ok([a, b, c]),
        _ => Err(input_value(key, format!("{v:?}"), "1 or 3 values")),
    }
}

fn resolve_inputs(ls: &LayerSpec, lname: &str, i: usize, earlier: &[Layer]) -> Result<Vec<Src>> {
    let Some(names) = &ls.inputs else {
        return Ok(vec![if i == 0 { Src::Input } else { Src::Layer(i - 1) }]);
    };
    if names.is_empty() {
        return Err(ModelError::layer(lname, Kind::EmptyInputs));
    }
    names
        .iter()
        .map(|n| {
            if n == "input" {
                return Ok(Src::Input);
            }
            let n = printable(n);
            match earlier.iter().position(|l| l.name == *n) {
                Some(j) => Ok(Src::Layer(j)),
                None => Err(ModelError::layer(lname, Kind::UnknownInput { name: n.into_owned() })),
            }
        })
        .collect()
}

/// Check a layer table's keys and values and return what it computes.
///
/// # Errors
/// An unknown type, a key that does not apply to the type, or a value out of range; the message
/// names the layer, the key and the value.
pub fn layer_kind(ls: &LayerSpec, lname: &str) -> Result<LayerKind> {
    let t = ls.kind.as_str();
    let err = |kind: Kind| ModelError::layer(lname, kind);
    if !TYPES.contains(&t) {
        return Err(err(Kind::UnknownType { kind: t.into(), known: TYPES.join(", ") }));
    }
    // Serialising our own struct of plain fields cannot fail.
    let table = toml::Value::try_from(ls).expect("a layer table serialises");
    let allowed = allowed_keys(t);
    if let Some(t_keys) = table.as_table() {
        for key in t_keys.keys() {
            let base = matches!(key.as_str(), "name" | "type" | "inputs");
            if !base && !allowed.contains(&key.as_str()) {
                return Err(err(Kind::KeyNotForType { key: key.clone(), kind: t.into() }));
            }
        }
    }
    let p = Params { ls, lname };
    Ok(match t {
        "conv" => {
            let (kh, kw) = p.pair("size", None)?;
            let (stride_h, stride_w) = p.pair("stride", Some(1))?;
            let (dilation_h, dilation_w) = p.pair("dilation", Some(1))?;
            LayerKind::Conv(ConvParams {
                filters: p.count("filters", ls.filters, None)?,
                kh,
                kw,
                stride_h,
                stride_w,
                pad: p.padding()?,
                dilation_h,
                dilation_w,
                groups: p.count("groups", ls.groups, Some(1))?,
                bias: !matches!(ls.bias, Some(BiasSpec::On(false))),
            })
        }
        "maxpool" | "avgpool" => {
            let (kh, kw) = p.pair("size", None)?;
            let (sh, sw) = p.pair("stride", Some(kh.max(1)))?;
            let pp = PoolParams {
                kh,
                kw,
                stride_h: sh,
                stride_w: sw,
                dilation_h: 1,
                dilation_w: 1,
                pad: p.padding()?,
                ceil_mode: ls.ceil_mode.unwrap_or(false),
                count_include_pad: ls.count_include_pad.unwrap_or(false),
            };
            if t == "maxpool" { LayerKind::MaxPool(pp) } else { LayerKind::AvgPool(pp) }
        }
        "fc" => LayerKind::Fc { outputs: p.count("outputs", ls.outputs, None)? },
        "relu" => LayerKind::Relu,
        "relu6" => LayerKind::Clip { min: 0.0, max: 6.0 },
        "clip" => {
            let (min, max) = (ls.min.unwrap_or(f32::NEG_INFINITY), ls.max.unwrap_or(f32::INFINITY));
            if min.is_nan() || max.is_nan() || min > max {
                let value = format!("{min}");
                return Err(err(Kind::Value {
                    key: "min".into(),
                    value,
                    rule: format!("≤ max {max}"),
                }));
            }
            LayerKind::Clip { min, max }
        }
        "leaky_relu" => LayerKind::LeakyRelu { alpha: ls.alpha.unwrap_or(0.01) },
        "prelu" => LayerKind::Prelu,
        "sigmoid" => LayerKind::Sigmoid,
        "global_avgpool" => LayerKind::GlobalAvgPool,
        "batchnorm" => {
            let eps = ls.eps.unwrap_or(1e-5);
            if !(eps >= 0.0 && eps.is_finite()) {
                return Err(err(Kind::Value {
                    key: "eps".into(),
                    value: eps.to_string(),
                    rule: "≥ 0".into(),
                }));
            }
            LayerKind::BatchNorm { eps }
        }
        "lrn" => {
            let size = match &ls.size {
                None => 5,
                Some(Dims::One(n)) if *n >= 1 => usize::try_from(*n).unwrap_or(usize::MAX),
                Some(other) => {
                    let rule = "one odd number ≥ 1".into();
                    return Err(err(Kind::Value { key: "size".into(), value: show(other), rule }));
                }
            };
            LayerKind::Lrn {
                size,
                alpha: ls.alpha.unwrap_or(1e-4),
                beta: ls.beta.unwrap_or(0.75),
                bias: ls.k.unwrap_or(1.0),
            }
        }
        "flatten" => LayerKind::Flatten,
        "softmax" => LayerKind::Softmax,
        "dropout" => LayerKind::Dropout,
        "add" => LayerKind::Add,
        "mul" => LayerKind::Mul,
        "concat" => LayerKind::Concat,
        _ => unreachable!("checked against TYPES above"),
    })
}

fn show(d: &Dims) -> String {
    match d {
        Dims::One(n) => n.to_string(),
        Dims::Many(v) => format!("{v:?}"),
        Dims::Named(s) => format!("\"{s}\""),
    }
}

struct Params<'a> {
    ls: &'a LayerSpec,
    lname: &'a str,
}

impl Params<'_> {
    fn dims(&self, key: &str) -> Option<&Dims> {
        match key {
            "size" => self.ls.size.as_ref(),
            "stride" => self.ls.stride.as_ref(),
            "dilation" => self.ls.dilation.as_ref(),
            _ => self.ls.pad.as_ref(),
        }
    }

    fn err(&self, kind: Kind) -> ModelError {
        ModelError::layer(self.lname, kind)
    }

    fn value(&self, key: &str, value: String, rule: String) -> ModelError {
        self.err(Kind::Value { key: key.into(), value, rule })
    }

    /// A count ≥ 1 (filters, groups, outputs).
    fn count(&self, key: &str, v: Option<i64>, default: Option<usize>) -> Result<usize> {
        match (v, default) {
            (Some(n), _) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            (Some(n), _) => Err(self.value(key, n.to_string(), format!("{key} ≥ 1"))),
            (None, Some(d)) => Ok(d),
            (None, None) => Err(self.err(Kind::Missing { key: key.into() })),
        }
    }

    /// A per-axis value ≥ 1: one number for both, or `[rows, cols]`.
    fn pair(&self, key: &str, default: Option<usize>) -> Result<(usize, usize)> {
        let sym = match key {
            "size" => "F",
            "stride" => "S",
            _ => "d",
        };
        let check = |n: i64| -> Result<usize> {
            if n < 1 {
                return Err(self.value(key, n.to_string(), format!("{sym} ≥ 1")));
            }
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        };
        match (self.dims(key), default) {
            (None, Some(d)) => Ok((d, d)),
            (None, None) => Err(self.err(Kind::Missing { key: key.into() })),
            (Some(Dims::One(n)), _) => check(*n).map(|n| (n, n)),
            (Some(Dims::Many(v)), _) if v.len() == 2 => Ok((check(v[0])?, check(v[1])?)),
            (Some(other), _) => {
                Err(self.value(key, show(other), "a number or [rows, cols]".into()))
            }
        }
    }

    fn padding(&self) -> Result<Padding> {
        let bad = |d: &Dims| {
            let rule = "P ≥ 0, [top, left, bottom, right], \"same\" or \"valid\"";
            self.value("pad", show(d), rule.into())
        };
        let Some(d) = &self.ls.pad else { return Ok(Padding::symmetric(0)) };
        // Non-negative i64 always fits usize here; geometry bounds the size later.
        let u = |p: i64| usize::try_from(p).unwrap_or(usize::MAX);
        match d {
            Dims::One(p) if *p >= 0 => Ok(Padding::symmetric(u(*p))),
            Dims::Many(v) if v.len() == 4 && v.iter().all(|p| *p >= 0) => {
                let u = |i: usize| u(v[i]);
                Ok(Padding::Explicit { top: u(0), left: u(1), bottom: u(2), right: u(3) })
            }
            Dims::Named(s) if s == "same" => Ok(Padding::SameUpper),
            Dims::Named(s) if s == "same_lower" => Ok(Padding::SameLower),
            Dims::Named(s) if s == "valid" => Ok(Padding::Valid),
            other => Err(bad(other)),
        }
    }
}
