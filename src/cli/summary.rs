//! `convscope summary` and `convscope presets`.

use crate::fmt::{bytes, count as thousands, si};
use crate::model::{self, WeightMode, presets, spec};
use crate::nn::analysis::{Analysis, LayerInfo, Status, analyze};
use crate::nn::{Layer, LayerKind, Network};
use color_eyre::eyre::Result;
use serde::Serialize;

pub fn presets() -> Result<()> {
    let mut out = super::out::Report::default();
    out.line(format!(
        "{:<18} EfficientNet-Lite0, trained on ImageNet (built in; the default)",
        crate::model::builtin::EFFICIENTNET
    ));
    for (name, text) in presets::PRESETS {
        let spec = spec::parse(text, name)?;
        out.line(format!("{name:<18} {}", spec.description.unwrap_or_default()));
        let net = model::load(name, WeightMode::ShapesOnly)?;
        if let Some(note) = net.untrained_note() {
            out.line(format!("{:<18}   {note}", ""));
        }
    }
    out.print()
}

pub fn run(model: &str, json: bool, size: Option<(usize, usize)>) -> Result<()> {
    let net = super::load(model, WeightMode::ShapesOnly, size, None, None)?;
    let a = analyze(&net).map_err(model::ModelError::from)?;
    let bad = non_finite(model, &net, &a, size)?;
    if json {
        let mut j = SummaryJson::new(&net, &a);
        j.non_finite = bad.iter().map(|b| b.json()).collect();
        let text = serde_json::to_string_pretty(&j)?;
        super::out::print(&(text + "\n"))
    } else {
        let mut text = table(&net, &a);
        for b in &bad {
            text.push_str(&format!("⚠ {}\n", b.line()));
        }
        super::out::print(&text)
    }
}

/// A NaN or an infinity found in the weights or in a pass.
struct Bad {
    layer: String,
    /// `weights` or `output`.
    what: &'static str,
    counts: crate::engine::stats::NonFinite,
}

impl Bad {
    fn line(&self) -> String {
        let c = self.counts.describe().unwrap_or_default();
        match self.what {
            "output" => format!(
                "{}: its output holds {c} on the default input: the first layer that makes them",
                self.layer
            ),
            _ => format!("{}: its weights hold {c}", self.layer),
        }
    }

    fn json(&self) -> NonFiniteJson {
        NonFiniteJson {
            layer: self.layer.clone(),
            r#in: self.what,
            nan: self.counts.nan,
            pos_inf: self.counts.pos_inf,
            neg_inf: self.counts.neg_inf,
        }
    }
}

/// NaN and ±∞ in a network read from files: in its weights, and the first layer whose output
/// holds them in a pass on the default input (when the pass fits the memory budget). Seeded
/// weights are always finite, so a network without file weights is not run.
fn non_finite(
    model: &str,
    net: &Network,
    a: &Analysis,
    size: Option<(usize, usize)>,
) -> Result<Vec<Bad>> {
    use crate::engine::stats::NonFinite;
    use crate::nn::{Origin, Weights};
    if !net.layers.iter().any(|l| matches!(l.origin, Origin::File(_))) {
        return Ok(Vec::new());
    }
    let count = |v: &mut dyn Iterator<Item = &f32>| {
        let mut n = NonFinite::default();
        for x in v {
            if x.is_nan() {
                n.nan += 1;
            } else if x.is_infinite() && *x > 0.0 {
                n.pos_inf += 1;
            } else if x.is_infinite() {
                n.neg_inf += 1;
            }
        }
        n
    };
    let mut out = Vec::new();
    for l in &net.layers {
        let c = match &l.weights {
            Weights::Conv { w, b } => count(&mut w.iter().chain(b.iter().flatten())),
            Weights::Fc { w, b } => count(&mut w.iter().chain(b.iter().flatten())),
            Weights::Prelu { slope } => count(&mut slope.iter()),
            Weights::BatchNorm { gamma, beta, mean, var } => {
                count(&mut gamma.iter().chain(beta.iter()).chain(mean.iter()).chain(var.iter()))
            }
            Weights::None => NonFinite::default(),
        };
        if !c.is_empty() {
            out.push(Bad { layer: l.name.clone(), what: "weights", counts: c });
        }
    }
    if crate::nn::budget::check(String::new, a.pass_bytes()).is_err() {
        return Ok(out);
    }
    // A model file carries its weights already; a spec generates them now.
    let full = if crate::engine::pass::has_weights(net) {
        net.clone()
    } else {
        super::load(model, WeightMode::Full, size, None, None)?
    };
    let (x, _) = crate::model::image_input::load_input(&full, None, None)?;
    let acts = crate::nn::forward::forward(&full, x).map_err(model::ModelError::from)?;
    if let Some((i, v)) =
        acts.outputs().enumerate().find(|(_, v)| v.to_f32().iter().any(|x| !x.is_finite()))
    {
        let counts = count(&mut v.to_f32().iter());
        out.push(Bad { layer: full.layers[i].name.clone(), what: "output", counts });
    }
    Ok(out)
}

#[derive(Serialize)]
struct NonFiniteJson {
    layer: String,
    /// `weights` or `output`.
    r#in: &'static str,
    nan: usize,
    pos_inf: usize,
    neg_inf: usize,
}

/// One row of the table, as cells.
fn row(i: usize, l: &Layer, info: &LayerInfo, model: bool) -> Vec<String> {
    let (k, filter) = match info.filter() {
        Some(f) => (f.k.to_string(), format!("{}×{}×{}", f.fh, f.fw, f.depth)),
        None => ("".into(), "".into()),
    };
    let (s, p) = match (info.rows(), info.cols()) {
        (Some(r), Some(c)) => (
            if r.stride == c.stride {
                r.stride.to_string()
            } else {
                format!("{},{}", r.stride, c.stride)
            },
            pad_text(info),
        ),
        _ => ("".into(), "".into()),
    };
    let rf = info.rf;
    let rf_text = if rf.jump == [0, 0] {
        "whole image".to_string()
    } else {
        format!("{}×{} j{}", rf.size[0], rf.size[1], rf.jump[0])
    };
    let mut note: Vec<String> = info.formula().into_iter().collect();
    if let LayerKind::Conv(c) = &l.kind {
        if c.groups > 1 {
            note.push(format!("groups {}", c.groups));
        }
        if c.dilation_h > 1 || c.dilation_w > 1 {
            note.push(format!("dilation {}", c.dilation_h));
        }
    }
    note.extend(info.warnings.iter().map(|w| format!("⚠ {w}")));
    let input = info
        .input_dims
        .iter()
        .zip(&info.input_hints)
        .map(|(d, &h)| shape_text(d, h, None, model))
        .collect::<Vec<_>>()
        .join(" + ");
    let output = match &info.status {
        Status::NotComputable(why) => {
            note.insert(0, format!("not computable: {why}"));
            "—".to_string()
        }
        Status::Computed => {
            let volume_rank = if model { 4 } else { 3 };
            let plain_volume = info.view.is_volume() && info.dims.len() == volume_rank;
            if !plain_volume && !info.dims.is_empty() {
                note.insert(0, format!("shown as {} ({})", info.output, info.view.describe()));
            }
            shape_text(&info.dims, info.hint, Some(info.elem), model)
        }
    };
    vec![
        i.to_string(),
        l.name.clone(),
        l.kind.type_name().to_string(),
        input,
        output,
        k,
        filter,
        s,
        p,
        if info.params > 0 { thousands(info.params) } else { "".into() },
        if info.macs > 0 { si(info.macs) } else { "".into() },
        rf_text,
        note.join("; "),
    ]
}

/// A tensor's shape as a learner reads it: `56×56×24` for a volume (H × W × D), else its dims
/// in ONNX order with their type when it is not float (`[1, 40, 6625]`, `int64 [4]`).
fn shape_text(
    dims: &[usize],
    hint: crate::nn::Hint,
    elem: Option<crate::nn::Elem>,
    model: bool,
) -> String {
    let v = crate::nn::ViewMap::of(dims, hint);
    // A model's volumes are [1, C, H, W] (or NHWC); a spec's are (D, H, W).
    if v.is_volume() && dims.len() == if model { 4 } else { 3 } {
        return v.shape.to_string();
    }
    let d = crate::nn::tensor::dims_text(dims);
    match elem {
        Some(e) if !e.is_float() => format!("{e} {d}"),
        _ => d,
    }
}

/// `88 of 91 nodes computed; not computable: LSTM 'LSTM_79' (…) and the 2 nodes after it`.
pub fn computed_line(net: &Network, a: &Analysis) -> String {
    let unit = if net.is_model() { "nodes" } else { "layers" };
    let total = net.layers.len() + net.folded_nodes;
    let not: Vec<(usize, &str)> = a.not_computable().collect();
    let mut line = format!("{} of {total} {unit} computed", total - not.len());
    if net.folded_nodes > 0 {
        line.push_str(&format!(" ({} folded into constants at load time)", net.folded_nodes));
    }
    let roots: Vec<&str> =
        not.iter().map(|(_, r)| *r).filter(|r| !r.starts_with("needs ")).collect();
    if !not.is_empty() {
        let after = not.len() - roots.len();
        let shown: Vec<&str> = roots.iter().take(3).copied().collect();
        line.push_str(&format!("; not computable: {}", shown.join(", ")));
        if roots.len() > shown.len() {
            line.push_str(&format!(" and {} more", roots.len() - shown.len()));
        }
        if after > 0 {
            let them = if roots.len() == 1 { "it" } else { "them" };
            let one = unit.trim_end_matches('s');
            let what = if after == 1 { one } else { unit };
            line.push_str(&format!(" and the {after} {what} after {them}"));
        }
    }
    line
}

fn pad_text(info: &LayerInfo) -> String {
    let p = info.pads();
    if p.top == p.left && p.left == p.bottom && p.bottom == p.right {
        p.top.to_string()
    } else {
        format!("{},{},{},{}", p.top, p.left, p.bottom, p.right)
    }
}

/// The torchinfo-like table with its footer.
pub fn table(net: &Network, a: &Analysis) -> String {
    let head = [
        "#",
        "name",
        "kind",
        "input",
        "output",
        "K",
        "filter",
        "S",
        "P",
        "params",
        "MACs",
        "receptive field",
        "note",
    ];
    let rows: Vec<Vec<String>> = net
        .layers
        .iter()
        .zip(&a.layers)
        .enumerate()
        .map(|(i, (l, info))| row(i, l, info, net.is_model()))
        .collect();
    let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let right = [0usize, 5, 7, 9, 10];
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (j, c) in cells.iter().enumerate() {
            let pad = width[j] - c.chars().count();
            if j == cells.len() - 1 {
                s.push_str(c);
            } else if right.contains(&j) {
                s.push_str(&format!("{}{c}  ", " ".repeat(pad)));
            } else {
                s.push_str(&format!("{c}{}  ", " ".repeat(pad)));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let input = net.input.describe();
    let mut out = format!("{} · input {input}", net.name);
    if net.input.hint == crate::nn::Hint::ChannelsLast && net.input.dims.len() == 4 {
        out.push_str(" · NHWC model");
    }
    if let Some(from) = &net.input.size_from {
        out.push_str(&format!(" (size from {from})"));
    }
    if net.input.takes_photo() {
        out.push_str(&format!(" · {}", net.input.normalize.describe()));
    }
    out.push('\n');
    let header: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    out.push_str(&line(&header));
    let total: usize = width.iter().sum::<usize>() + 2 * (width.len() - 1);
    out.push_str(&format!("{}\n", "─".repeat(total.min(160))));
    for r in &rows {
        out.push_str(&line(r));
    }
    out.push_str(&format!("{}\n", "─".repeat(total.min(160))));
    out.push_str(&format!(
        "total params {} · total MACs {} ({}) · activations {} (peak for one pass {})\n",
        thousands(a.total_params),
        thousands(a.total_macs),
        si(a.total_macs),
        bytes(a.total_act_bytes),
        bytes(a.peak_act_bytes),
    ));
    out.push_str(&format!(
        "network depth {} (layers with weights) — not a volume's depth D, which is its number of channels\n",
        a.network_depth
    ));
    out.push_str(&computed_line(net, a));
    out.push('\n');
    out
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    model: &'a str,
    input: [usize; 3],
    input_dims: &'a [usize],
    input_layout: &'static str,
    input_size_from: Option<&'a str>,
    computed: String,
    layers: Vec<LayerJson<'a>>,
    total_params: u64,
    total_macs: u64,
    total_act_bytes: u64,
    peak_act_bytes: u64,
    network_depth: usize,
    /// NaN and infinities found in file weights, and the first layer whose output holds them.
    non_finite: Vec<NonFiniteJson>,
}

#[derive(Serialize)]
struct LayerJson<'a> {
    index: usize,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    inputs: Vec<&'a str>,
    /// Other names (ONNX output tensors).
    aliases: Vec<&'a str>,
    /// The volume each input is shown as, H × W × D.
    input: [usize; 3],
    /// The volume the output is shown as, H × W × D.
    output: [usize; 3],
    /// The output tensor: its dims (ONNX order for a model) and element type.
    dims: &'a [usize],
    elem: &'static str,
    /// `computed`, or why not.
    status: &'static str,
    not_computable: Option<&'a str>,
    /// How the output is drawn as a volume (which axis is depth).
    view: String,
    /// How `export` writes it: `H, W, D` (a volume) or `ONNX order without the batch`.
    export_order: &'static str,
    export_dims: Vec<usize>,
    k: Option<usize>,
    filter: Option<[usize; 3]>,
    groups: Option<usize>,
    stride: Option<[usize; 2]>,
    pad: Option<[usize; 4]>,
    params: u64,
    macs: u64,
    act_bytes: u64,
    formula: Option<String>,
    receptive_field: crate::nn::receptive::ReceptiveField,
    warnings: &'a [String],
}

impl<'a> SummaryJson<'a> {
    fn new(net: &'a Network, a: &'a Analysis) -> Self {
        let layers = net
            .layers
            .iter()
            .zip(&a.layers)
            .enumerate()
            .map(|(index, (l, info))| {
                let p = info.pads();
                let windowed = info.rows().is_some();
                LayerJson {
                    index,
                    name: &l.name,
                    kind: l.kind.type_name(),
                    inputs: l.inputs.iter().map(|&s| net.src_name(s)).collect(),
                    aliases: net.aliases_of(crate::nn::Src::Layer(index)).collect(),
                    input: info.inputs.first().map_or([0; 3], |s| s.as_array()),
                    output: info.output.as_array(),
                    dims: &info.dims,
                    elem: info.elem.name(),
                    status: if info.computed() { "computed" } else { "not computable" },
                    not_computable: match &info.status {
                        Status::NotComputable(r) => Some(r.as_str()),
                        Status::Computed => None,
                    },
                    view: info.view.describe(),
                    export_order: match info.view.export_order() {
                        crate::nn::view::ExportOrder::Hwd => "H, W, D",
                        crate::nn::view::ExportOrder::Onnx => "ONNX order without the batch",
                    },
                    export_dims: info.view.export_dims(),
                    k: info.filter().map(|f| f.k),
                    filter: info.filter().map(|f| [f.fh, f.fw, f.depth]),
                    groups: info.filter().map(|f| f.groups),
                    stride: info.rows().zip(info.cols()).map(|(r, c)| [r.stride, c.stride]),
                    pad: windowed.then_some([p.top, p.left, p.bottom, p.right]),
                    params: info.params,
                    macs: info.macs,
                    act_bytes: info.act_bytes,
                    formula: info.formula(),
                    receptive_field: info.rf,
                    warnings: &info.warnings,
                }
            })
            .collect();
        SummaryJson {
            model: &net.name,
            input: a.input.as_array(),
            input_dims: &net.input.dims,
            input_layout: match (net.input.dims.len(), net.input.hint) {
                (4, crate::nn::Hint::ChannelsLast) => "NHWC",
                (4, _) => "NCHW",
                (3, _) if net.aliases.is_empty() => "D, H, W",
                _ => "tensor",
            },
            input_size_from: net.input.size_from.as_deref(),
            computed: computed_line(net, a),
            layers,
            total_params: a.total_params,
            total_macs: a.total_macs,
            total_act_bytes: a.total_act_bytes,
            peak_act_bytes: a.peak_act_bytes,
            network_depth: a.network_depth,
            non_finite: Vec::new(),
        }
    }
}
