//! Per-layer shape analysis of a whole network: shapes, formulas, filter shapes, params, MACs,
//! activation memory and receptive fields. Needs no computation on data, so the UI shows it at once.

use super::error::LayerError;
use super::kernels::Pads;
use super::layer::{Layer, LayerKind, Src, Weights};
use super::network::Network;
use super::receptive::ReceptiveField;
use super::shape::{self, DimFit};
use super::tensor::Shape3;

/// A conv layer's filter bank: K filters of `FH × FW × D_in/groups`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FilterShape {
    pub k: usize,
    pub fh: usize,
    pub fw: usize,
    /// Depth of one filter: the input depth divided by the groups.
    pub depth: usize,
    pub groups: usize,
}

/// What shape analysis knows about one layer.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LayerInfo {
    pub inputs: Vec<Shape3>,
    pub output: Shape3,
    /// Conv and pool layers: how rows and cols fit.
    pub rows: Option<DimFit>,
    pub cols: Option<DimFit>,
    #[serde(skip)]
    pub pads: Pads,
    pub filter: Option<FilterShape>,
    pub params: u64,
    pub macs: u64,
    /// Bytes of this layer's output volume (f32).
    pub act_bytes: u64,
    pub rf: ReceptiveField,
    pub warnings: Vec<String>,
}

impl LayerInfo {
    /// The output-size formula, once when rows and cols agree, else for each axis.
    pub fn formula(&self) -> Option<String> {
        let (r, c) = (self.rows?, self.cols?);
        Some(if r == c {
            r.formula()
        } else {
            format!("rows {} · cols {}", r.formula(), c.formula())
        })
    }
}

/// The whole network's figures.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Analysis {
    pub input: Shape3,
    pub layers: Vec<LayerInfo>,
    pub total_params: u64,
    pub total_macs: u64,
    /// Bytes of all layer outputs together (the explorer keeps every one).
    pub total_act_bytes: u64,
    /// The largest memory a plain inference needs at once: the input of a layer, its output, and
    /// everything still waiting for a later layer.
    pub peak_act_bytes: u64,
    /// Network depth: the number of layers with weights.
    pub network_depth: usize,
}

impl Analysis {
    pub fn shape_of(&self, s: Src) -> Shape3 {
        match s {
            Src::Input => self.input,
            Src::Layer(i) => self.layers[i].output,
        }
    }
}

/// Analyse every layer in order.
///
/// # Errors
/// The first invalid layer: a bad parameter, an input that is not an earlier layer, a duplicate
/// name, weights of the wrong shape, or (with `strict`) a fit that is not whole.
pub fn analyze(net: &Network) -> Result<Analysis, LayerError> {
    let mut layers: Vec<LayerInfo> = Vec::with_capacity(net.layers.len());
    let input_rf = ReceptiveField::input();
    for (i, layer) in net.layers.iter().enumerate() {
        if let Some(j) = net.layers[..i].iter().position(|l| l.name == layer.name) {
            return Err(err(
                layer,
                format!("name '{}' is used twice (layers {j} and {i})", layer.name),
            ));
        }
        let mut shapes = Vec::with_capacity(layer.inputs.len());
        let mut rfs = Vec::with_capacity(layer.inputs.len());
        for &s in &layer.inputs {
            match s {
                Src::Input => {
                    shapes.push(net.input.shape);
                    rfs.push(input_rf);
                }
                Src::Layer(j) if j < i => {
                    shapes.push(layers[j].output);
                    rfs.push(layers[j].rf);
                }
                Src::Layer(j) => {
                    let name = net.layers.get(j).map_or("?", |l| l.name.as_str());
                    return Err(err(layer, format!("input '{name}' is not an earlier layer")));
                }
            }
        }
        let info = analyze_layer(layer, shapes, &rfs, net.input.shape)?;
        layers.push(info);
    }
    let total_params = layers.iter().map(|l| l.params).sum();
    let total_macs = layers.iter().map(|l| l.macs).sum();
    let total_act_bytes = layers.iter().map(|l| l.act_bytes).sum();
    let peak_act_bytes = peak_live_bytes(net, &layers);
    Ok(Analysis {
        input: net.input.shape,
        layers,
        total_params,
        total_macs,
        total_act_bytes,
        peak_act_bytes,
        network_depth: net.depth(),
    })
}

fn err(layer: &Layer, message: impl Into<String>) -> LayerError {
    LayerError::new(&layer.name, message)
}

fn bytes(s: Shape3) -> u64 {
    4 * s.len() as u64
}

/// The largest sum of live volumes while running layers in order.
fn peak_live_bytes(net: &Network, infos: &[LayerInfo]) -> u64 {
    let n = net.layers.len();
    // last_use[j]: the last layer that reads layer j (or j itself); the final layer lives to the end.
    let mut last_use: Vec<usize> = (0..n).collect();
    let mut input_last = 0;
    for (i, l) in net.layers.iter().enumerate() {
        for s in &l.inputs {
            match *s {
                Src::Input => input_last = i,
                Src::Layer(j) => last_use[j] = last_use[j].max(i),
            }
        }
    }
    if let Some(last) = last_use.last_mut() {
        *last = n;
    }
    let input_bytes = bytes(net.input.shape);
    (0..n)
        .map(|i| {
            let live: u64 = (0..=i).filter(|&j| last_use[j] >= i).map(|j| infos[j].act_bytes).sum();
            live + if input_last >= i { input_bytes } else { 0 }
        })
        .max()
        .unwrap_or(input_bytes)
}

fn analyze_layer(
    layer: &Layer,
    inputs: Vec<Shape3>,
    rfs: &[ReceptiveField],
    image: Shape3,
) -> Result<LayerInfo, LayerError> {
    let e = |m: String| err(layer, m);
    let arity = layer.inputs.len();
    let variadic = matches!(layer.kind, LayerKind::Add | LayerKind::Mul | LayerKind::Concat);
    if arity == 0 || (!variadic && arity != 1) {
        let want = if variadic { "at least 1 input" } else { "exactly 1 input" };
        return Err(e(format!("{} takes {want}, got {arity}", layer.kind.type_name())));
    }
    let x = inputs[0];
    let mut info = LayerInfo {
        inputs: inputs.clone(),
        output: x,
        rows: None,
        cols: None,
        pads: Pads::default(),
        filter: None,
        params: 0,
        macs: 0,
        act_bytes: 0,
        rf: ReceptiveField::union(rfs),
        warnings: Vec::new(),
    };
    match &layer.kind {
        LayerKind::Conv(p) => {
            if p.filters == 0 {
                return Err(e("filters 0 is not allowed (K ≥ 1)".into()));
            }
            if p.groups == 0 || !x.d.is_multiple_of(p.groups) || !p.filters.is_multiple_of(p.groups)
            {
                return Err(e(format!(
                    "groups {} must divide the input depth {} and the filters {}",
                    p.groups, x.d, p.filters
                )));
            }
            let (pads, rows, cols) = fit_window(
                layer,
                x,
                (p.kh, p.kw),
                (p.dilation_h, p.dilation_w),
                (p.stride_h, p.stride_w),
                &p.pad,
                false,
            )?;
            let f = FilterShape {
                k: p.filters,
                fh: p.kh,
                fw: p.kw,
                depth: x.d / p.groups,
                groups: p.groups,
            };
            if let Weights::Conv { w, b } = &layer.weights {
                let want = [f.k, f.fh, f.fw, f.depth];
                if w.shape() != want {
                    return Err(e(format!(
                        "weights have shape {:?}, expected {want:?} (K, F, F, D_in/groups)",
                        w.shape()
                    )));
                }
                if let Some(b) = b
                    && b.len() != f.k
                {
                    return Err(e(format!("bias has {} values, expected K = {}", b.len(), f.k)));
                }
            }
            info.output = Shape3::new(rows.out, cols.out, p.filters);
            let per_filter = (f.fh * f.fw * f.depth) as u64;
            info.params = per_filter * f.k as u64 + if p.bias { f.k as u64 } else { 0 };
            info.macs = per_filter * info.output.len() as u64;
            info.filter = Some(f);
            set_window(&mut info, layer, pads, rows, cols)?;
        }
        LayerKind::MaxPool(p) | LayerKind::AvgPool(p) => {
            let (pads, rows, cols) = fit_window(
                layer,
                x,
                (p.kh, p.kw),
                (1, 1),
                (p.stride_h, p.stride_w),
                &p.pad,
                p.ceil_mode,
            )?;
            info.output = Shape3::new(rows.out, cols.out, x.d);
            set_window(&mut info, layer, pads, rows, cols)?;
        }
        LayerKind::GlobalAvgPool => {
            info.output = Shape3::new(1, 1, x.d);
            info.rf = ReceptiveField::whole(image);
        }
        LayerKind::Fc { outputs } => {
            if *outputs == 0 {
                return Err(e("outputs 0 is not allowed (≥ 1)".into()));
            }
            if let Weights::Fc { w, b } = &layer.weights {
                if w.dim() != (*outputs, x.len()) {
                    return Err(e(format!(
                        "weights have shape {:?}, expected [{outputs}, {}] (outputs, inputs)",
                        w.shape(),
                        x.len()
                    )));
                }
                if let Some(b) = b
                    && b.len() != *outputs
                {
                    return Err(e(format!("bias has {} values, expected {outputs}", b.len())));
                }
            }
            info.output = Shape3::new(1, 1, *outputs);
            info.params = (x.len() as u64 + 1) * *outputs as u64;
            info.macs = x.len() as u64 * *outputs as u64;
            info.rf = ReceptiveField::whole(image);
        }
        LayerKind::Flatten => info.output = Shape3::new(1, 1, x.len()),
        LayerKind::Prelu => {
            if let Weights::Prelu { slope } = &layer.weights
                && slope.len() != x.d
                && slope.len() != 1
            {
                return Err(e(format!(
                    "slope has {} values, expected 1 or D = {}",
                    slope.len(),
                    x.d
                )));
            }
            info.params = x.d as u64;
        }
        LayerKind::BatchNorm { .. } => {
            if let Weights::BatchNorm { gamma, beta, mean, var } = &layer.weights {
                for (name, a) in [("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var)] {
                    if a.len() != x.d {
                        return Err(e(format!(
                            "{name} has {} values, expected D = {}",
                            a.len(),
                            x.d
                        )));
                    }
                }
            }
            info.params = 2 * x.d as u64;
        }
        LayerKind::Lrn { size, .. } if *size == 0 => {
            return Err(e("size 0 is not allowed (≥ 1)".into()));
        }
        LayerKind::Add | LayerKind::Mul => {
            let out = *inputs.iter().max_by_key(|s| s.len()).unwrap_or(&x);
            for s in &inputs {
                let fits = *s == out || (s.h == 1 && s.w == 1 && (s.d == out.d || s.d == 1));
                if !fits {
                    return Err(e(format!("input shapes {s} and {out} cannot be combined")));
                }
            }
            info.output = out;
        }
        LayerKind::Concat => {
            let d = inputs.iter().map(|s| s.d).sum();
            if let Some(s) = inputs.iter().find(|s| (s.h, s.w) != (x.h, x.w)) {
                return Err(e(format!("concat needs equal H×W, got {x} and {s}")));
            }
            info.output = Shape3::new(x.h, x.w, d);
        }
        LayerKind::Relu
        | LayerKind::Clip { .. }
        | LayerKind::LeakyRelu { .. }
        | LayerKind::Sigmoid
        | LayerKind::Lrn { .. }
        | LayerKind::Softmax
        | LayerKind::Dropout => {}
    }
    info.act_bytes = bytes(info.output);
    Ok(info)
}

type Window = (Pads, DimFit, DimFit);

fn fit_window(
    layer: &Layer,
    x: Shape3,
    f: (usize, usize),
    dil: (usize, usize),
    s: (usize, usize),
    pad: &super::layer::Padding,
    ceil_mode: bool,
) -> Result<Window, LayerError> {
    let f_eff = (dil.0 * f.0.saturating_sub(1) + 1, dil.1 * f.1.saturating_sub(1) + 1);
    let pads = shape::resolve(pad, (x.h, x.w), f_eff, s);
    let axis = |name: &str, r: Result<DimFit, String>| {
        r.map_err(|m| LayerError::new(&layer.name, format!("{name} {m}")))
    };
    let rows = axis("rows:", shape::fit(x.h, f.0, dil.0, s.0, (pads.top, pads.bottom), ceil_mode))?;
    let cols = axis("cols:", shape::fit(x.w, f.1, dil.1, s.1, (pads.left, pads.right), ceil_mode))?;
    Ok((pads, rows, cols))
}

/// Record a conv/pool window: warnings, strictness, and the receptive field it grows.
fn set_window(
    info: &mut LayerInfo,
    layer: &Layer,
    pads: Pads,
    rows: DimFit,
    cols: DimFit,
) -> Result<(), LayerError> {
    for (axis, d) in [("rows", rows), ("cols", cols)] {
        if let Some(w) = d.warning(axis) {
            if layer.strict {
                let msg = format!("{axis}: {} does not fit (strict)", d.exact_formula());
                return Err(LayerError::new(&layer.name, msg));
            }
            info.warnings.push(w);
        }
    }
    info.rf = info.rf.through(&rows, &cols);
    info.pads = pads;
    info.rows = Some(rows);
    info.cols = Some(cols);
    Ok(())
}
