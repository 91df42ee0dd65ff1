//! Turning a parsed [`Spec`] into a [`Network`]: layer kinds from `type`, parameters checked and
//! named in every error, inputs resolved by name, weights loaded or initialised.
//!
//! The same [`layer_kind`] check serves spec files and the live editor.

use super::spec::{BiasSpec, Dims, LayerSpec, Scale, Spec};
use super::spec_weights::weights_for;
use crate::nn::analysis::analyze;
use crate::nn::{ConvParams, InputSpec, Layer, LayerKind, Network, Normalize, Origin, Padding};
use crate::nn::{PoolParams, Shape3, Src, Weights};
use color_eyre::eyre::{Result, bail, eyre};
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
        let lname = ls.name.clone().unwrap_or_else(|| format!("{}{}", ls.kind, i + 1));
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
    let labels = match &spec.input.labels {
        Some(f) => Some(read_labels(&rel(base, f))?),
        None => None,
    };
    let mut net = Network { name: name.to_string(), input, layers, labels, source: None };
    // Shapes first (weights are checked against them), then weights, then a full check.
    let shapes = analyze(&net)?;
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
    let text = std::fs::read_to_string(path)
        .map_err(|e| eyre!("{}: cannot read the labels: {e}", path.display()))?;
    Ok(super::onnx::sidecar::parse_labels(&text))
}

fn input_spec(spec: &Spec, base: Option<&Path>) -> Result<InputSpec> {
    let [h, w, d] = spec.input.shape;
    if h == 0 || w == 0 || d == 0 {
        bail!("input: shape [{h}, {w}, {d}] has a zero (H, W and D must be ≥ 1)");
    }
    let mut norm = match &spec.input.scale {
        None => Normalize::unit(),
        Some(Scale::Factor(f)) => Normalize::scaled(*f),
        Some(Scale::Named(other)) => Normalize::named(other).ok_or_else(|| {
            eyre!(
                "input: scale \"{other}\" is not known (use \"0..1\", \"-1..1\", \"0..255\", \"imagenet\" or a number)"
            )
        })?,
    };
    if let Some(m) = &spec.input.mean {
        norm.mean = per_channel("mean", m)?;
    }
    if let Some(s) = &spec.input.std {
        norm.std = per_channel("std", s)?;
        if let Some(z) = norm.std.iter().find(|v| **v == 0.0) {
            bail!("input: std {z} is not allowed (a division by zero)");
        }
    }
    let default_image = spec.input.image.as_ref().map(|f| rel(base, f));
    Ok(InputSpec { shape: Shape3::new(h, w, d), normalize: norm, default_image })
}

fn per_channel(key: &str, v: &[f32]) -> Result<[f32; 3]> {
    match *v {
        [a] => Ok([a; 3]),
        [a, b, c] => Ok([a, b, c]),
        _ => bail!("input: {key} has {} values, expected 1 or 3", v.len()),
    }
}

fn resolve_inputs(ls: &LayerSpec, lname: &str, i: usize, earlier: &[Layer]) -> Result<Vec<Src>> {
    let Some(names) = &ls.inputs else {
        return Ok(vec![if i == 0 { Src::Input } else { Src::Layer(i - 1) }]);
    };
    if names.is_empty() {
        bail!("{lname}: inputs is empty (leave it out to read the previous layer)");
    }
    names
        .iter()
        .map(|n| {
            if n == "input" {
                return Ok(Src::Input);
            }
            match earlier.iter().position(|l| l.name == *n) {
                Some(j) => Ok(Src::Layer(j)),
                None => bail!("{lname}: inputs names '{n}', which is not an earlier layer"),
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
    if !TYPES.contains(&t) {
        bail!("{lname}: type \"{t}\" is not known (one of: {})", TYPES.join(", "));
    }
    let table = toml::Value::try_from(ls).map_err(|e| eyre!("{lname}: {e}"))?;
    let allowed = allowed_keys(t);
    if let Some(t_keys) = table.as_table() {
        for key in t_keys.keys() {
            let base = matches!(key.as_str(), "name" | "type" | "inputs");
            if !base && !allowed.contains(&key.as_str()) {
                bail!("{lname}: key `{key}` does not apply to type \"{t}\"");
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
            if min > max {
                bail!("{lname}: min {min} is larger than max {max}");
            }
            LayerKind::Clip { min, max }
        }
        "leaky_relu" => LayerKind::LeakyRelu { alpha: ls.alpha.unwrap_or(0.01) },
        "prelu" => LayerKind::Prelu,
        "sigmoid" => LayerKind::Sigmoid,
        "global_avgpool" => LayerKind::GlobalAvgPool,
        "batchnorm" => {
            let eps = ls.eps.unwrap_or(1e-5);
            if eps < 0.0 {
                bail!("{lname}: eps {eps} is not allowed (≥ 0)");
            }
            LayerKind::BatchNorm { eps }
        }
        "lrn" => {
            let size = match &ls.size {
                None => 5,
                Some(Dims::One(n)) if *n >= 1 => *n as usize,
                Some(other) => {
                    bail!("{lname}: size {} is not allowed (one odd number ≥ 1)", show(other))
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

    /// A count ≥ 1 (filters, groups, outputs).
    fn count(&self, key: &str, v: Option<i64>, default: Option<usize>) -> Result<usize> {
        match (v, default) {
            (Some(n), _) if n >= 1 => Ok(n as usize),
            (Some(n), _) => bail!("{}: {key} {n} is not allowed ({key} ≥ 1)", self.lname),
            (None, Some(d)) => Ok(d),
            (None, None) => bail!("{}: `{key}` is missing", self.lname),
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
                bail!("{}: {key} {n} is not allowed ({sym} ≥ 1)", self.lname);
            }
            Ok(n as usize)
        };
        match (self.dims(key), default) {
            (None, Some(d)) => Ok((d, d)),
            (None, None) => bail!("{}: `{key}` is missing", self.lname),
            (Some(Dims::One(n)), _) => check(*n).map(|n| (n, n)),
            (Some(Dims::Many(v)), _) if v.len() == 2 => Ok((check(v[0])?, check(v[1])?)),
            (Some(other), _) => {
                bail!(
                    "{}: {key} {} is not allowed (a number or [rows, cols])",
                    self.lname,
                    show(other)
                )
            }
        }
    }

    fn padding(&self) -> Result<Padding> {
        let bad = |d: &Dims| {
            eyre!(
                "{}: pad {} is not allowed (P ≥ 0, [top, left, bottom, right], \"same\" or \"valid\")",
                self.lname,
                show(d)
            )
        };
        let Some(d) = &self.ls.pad else { return Ok(Padding::symmetric(0)) };
        match d {
            Dims::One(p) if *p >= 0 => Ok(Padding::symmetric(*p as usize)),
            Dims::Many(v) if v.len() == 4 && v.iter().all(|p| *p >= 0) => {
                let u = |i: usize| v[i] as usize;
                Ok(Padding::Explicit { top: u(0), left: u(1), bottom: u(2), right: u(3) })
            }
            Dims::Named(s) if s == "same" => Ok(Padding::SameUpper),
            Dims::Named(s) if s == "same_lower" => Ok(Padding::SameLower),
            Dims::Named(s) if s == "valid" => Ok(Padding::Valid),
            other => Err(bad(other)),
        }
    }
}
