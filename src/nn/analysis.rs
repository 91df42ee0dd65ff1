//! Per-layer shape analysis of a whole network: shapes, the geometry of every windowed layer,
//! params, MACs, weight and activation memory, receptive fields. Needs no computation on data,
//! so the UI shows it at once. Every size is checked here, before any kernel or allocation sees
//! it (see [`super::geometry`]).

use super::error::{ErrorKind, LayerError};
use super::geometry::{self, Axis, ConvGeometry, GeomError, Pads, PoolGeometry, Window2d};
use super::geometry::{MAX_ELEMS, WindowSpec};
use super::layer::{Layer, LayerKind, Src, Weights};
use super::network::Network;
use super::receptive::ReceptiveField;
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

/// The geometry of a windowed layer, built once here and read by everyone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Geometry {
    Conv(ConvGeometry),
    Pool(PoolGeometry),
}

impl Geometry {
    pub fn window(&self) -> &Window2d {
        match self {
            Geometry::Conv(g) => &g.window,
            Geometry::Pool(g) => &g.window,
        }
    }
}

/// What shape analysis knows about one layer.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LayerInfo {
    pub inputs: Vec<Shape3>,
    pub output: Shape3,
    /// Conv and pool layers: how the window fits.
    pub geometry: Option<Geometry>,
    pub params: u64,
    pub macs: u64,
    /// Bytes of this layer's output volume (f32).
    pub act_bytes: u64,
    /// Bytes of the weights this layer needs (f32), whether or not they are loaded yet.
    pub weight_bytes: u64,
    pub rf: ReceptiveField,
    pub warnings: Vec<String>,
}

impl LayerInfo {
    pub fn window(&self) -> Option<&Window2d> {
        self.geometry.as_ref().map(Geometry::window)
    }

    pub fn rows(&self) -> Option<Axis> {
        self.window().map(|w| w.rows)
    }

    pub fn cols(&self) -> Option<Axis> {
        self.window().map(|w| w.cols)
    }

    /// Resolved padding (zero for layers without a window).
    pub fn pads(&self) -> Pads {
        self.window().map(Window2d::pads).unwrap_or_default()
    }

    pub fn conv(&self) -> Option<&ConvGeometry> {
        match &self.geometry {
            Some(Geometry::Conv(g)) => Some(g),
            _ => None,
        }
    }

    pub fn pool(&self) -> Option<&PoolGeometry> {
        match &self.geometry {
            Some(Geometry::Pool(g)) => Some(g),
            _ => None,
        }
    }

    /// A conv layer's filters.
    pub fn filter(&self) -> Option<FilterShape> {
        self.conv().map(|g| {
            let [k, fh, fw, depth] = g.filter_dims();
            FilterShape { k, fh, fw, depth, groups: g.groups }
        })
    }

    /// The output-size formula, once when rows and cols agree, else for each axis.
    pub fn formula(&self) -> Option<String> {
        self.window().map(Window2d::formula)
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
    /// Bytes of every layer's weights.
    pub total_weight_bytes: u64,
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

    /// Bytes a pass that keeps every volume needs: the weights, the input and every output.
    pub fn pass_bytes(&self) -> u64 {
        bytes(self.input)
            .saturating_add(self.total_weight_bytes)
            .saturating_add(self.total_act_bytes)
    }
}

/// Analyse every layer in order.
///
/// # Errors
/// The first invalid layer: a bad parameter, an input that is not an earlier layer, a duplicate
/// name, weights of the wrong shape, a size past the bounds, or (with `strict`) a fit that is not
/// whole.
pub fn analyze(net: &Network) -> Result<Analysis, LayerError> {
    let input = net.input.shape;
    geometry::count("input", &[input.h, input.w, input.d])
        .and_then(|_| {
            [input.h, input.w, input.d].iter().try_for_each(|&v| {
                geometry::bounded("input size", v)?;
                if v == 0 {
                    return Err(GeomError::Zero { key: "input size", sym: "H, W, D" });
                }
                Ok(())
            })
        })
        .map_err(|e| LayerError::new("input", e))?;
    let mut layers: Vec<LayerInfo> = Vec::with_capacity(net.layers.len());
    let mut names = std::collections::HashMap::with_capacity(net.layers.len());
    let input_rf = ReceptiveField::input();
    for (i, layer) in net.layers.iter().enumerate() {
        if let Some(&first) = names.get(layer.name.as_str()) {
            let kind = ErrorKind::DuplicateName { name: layer.name.clone(), first, second: i };
            return Err(LayerError::new(&layer.name, kind));
        }
        names.insert(layer.name.as_str(), i);
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
                    let name = net.layers.get(j).map_or("?", |l| l.name.as_str()).to_string();
                    return Err(LayerError::new(&layer.name, ErrorKind::UnknownInput { name }));
                }
            }
        }
        let info = analyze_layer(layer, shapes, &rfs, net.input.shape)
            .map_err(|kind| LayerError::new(&layer.name, kind))?;
        layers.push(info);
    }
    let sum = |f: fn(&LayerInfo) -> u64| layers.iter().fold(0u64, |a, l| a.saturating_add(f(l)));
    let total_params = sum(|l| l.params);
    let total_macs = sum(|l| l.macs);
    let total_act_bytes = sum(|l| l.act_bytes);
    let total_weight_bytes = sum(|l| l.weight_bytes);
    let peak_act_bytes = peak_live_bytes(net, &layers);
    Ok(Analysis {
        input: net.input.shape,
        layers,
        total_params,
        total_macs,
        total_act_bytes,
        total_weight_bytes,
        peak_act_bytes,
        network_depth: net.depth(),
    })
}

fn bytes(s: Shape3) -> u64 {
    // Every shape here has at most MAX_ELEMS values: no overflow.
    4 * s.len() as u64
}

/// The largest sum of live volumes while running layers in order: one sweep, adding each output
/// when it is made and removing it after its last reader.
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
    let mut dies: Vec<Vec<usize>> = vec![Vec::new(); n + 1];
    for (j, &u) in last_use.iter().enumerate() {
        dies[u].push(j);
    }
    let mut live = bytes(net.input.shape);
    let mut peak = live;
    for i in 0..n {
        live = live.saturating_add(infos[i].act_bytes);
        peak = peak.max(live);
        for &j in &dies[i] {
            live = live.saturating_sub(infos[j].act_bytes);
        }
        if input_last == i {
            live = live.saturating_sub(bytes(net.input.shape));
        }
    }
    peak
}

/// `what` of shape `got` against `want`.
fn tensor_shape(
    what: &'static str,
    got: &[usize],
    want: &[usize],
    note: &'static str,
) -> ErrorKind {
    ErrorKind::TensorShape { what, got: format!("{got:?}"), want: format!("{want:?}"), note }
}

fn analyze_layer(
    layer: &Layer,
    inputs: Vec<Shape3>,
    rfs: &[ReceptiveField],
    image: Shape3,
) -> Result<LayerInfo, ErrorKind> {
    let arity = layer.inputs.len();
    let variadic = matches!(layer.kind, LayerKind::Add | LayerKind::Mul | LayerKind::Concat);
    if arity == 0 || (!variadic && arity != 1) {
        let want = if variadic { "at least 1 input" } else { "exactly 1 input" };
        return Err(ErrorKind::Arity { kind: layer.kind.type_name(), want, got: arity });
    }
    let x = inputs[0];
    let mut info = LayerInfo {
        inputs: inputs.clone(),
        output: x,
        geometry: None,
        params: 0,
        macs: 0,
        act_bytes: 0,
        weight_bytes: 0,
        rf: ReceptiveField::union(rfs),
        warnings: Vec::new(),
    };
    match &layer.kind {
        LayerKind::Conv(p) => {
            let spec = WindowSpec {
                kernel: (p.kh, p.kw),
                dilation: (p.dilation_h, p.dilation_w),
                stride: (p.stride_h, p.stride_w),
                pad: &p.pad,
                ceil_mode: false,
            };
            let g = ConvGeometry::new(x, p.filters, p.groups, spec)?;
            if !g.groups_fit() {
                return Err(ErrorKind::Groups { groups: p.groups, depth: x.d, filters: p.filters });
            }
            let want = g.filter_dims();
            if let Weights::Conv { w, b } = &layer.weights {
                if w.shape() != want {
                    let note = " (K, F, F, D_in/groups)";
                    return Err(tensor_shape("weights have shape", w.shape(), &want, note));
                }
                if let Some(b) = b
                    && b.len() != p.filters
                {
                    return Err(tensor_shape("bias has shape", b.shape(), &[p.filters], " (K)"));
                }
            }
            info.output = g.out();
            let per_filter = (want[1] * want[2] * want[3]) as u64;
            info.params = per_filter * p.filters as u64 + if p.bias { p.filters as u64 } else { 0 };
            info.macs = per_filter.saturating_mul(info.output.len() as u64);
            info.weight_bytes = 4 * info.params;
            info.geometry = Some(Geometry::Conv(g));
            set_window(&mut info, layer, g.window)?;
        }
        LayerKind::MaxPool(p) | LayerKind::AvgPool(p) => {
            let spec = WindowSpec {
                kernel: (p.kh, p.kw),
                dilation: (1, 1),
                stride: (p.stride_h, p.stride_w),
                pad: &p.pad,
                ceil_mode: p.ceil_mode,
            };
            let g = PoolGeometry::new(x, spec, p.count_include_pad)?;
            info.output = g.out();
            info.geometry = Some(Geometry::Pool(g));
            set_window(&mut info, layer, g.window)?;
        }
        LayerKind::GlobalAvgPool => {
            info.output = Shape3::new(1, 1, x.d);
            info.rf = ReceptiveField::whole(image);
        }
        LayerKind::Fc { outputs } => {
            if *outputs == 0 {
                return Err(GeomError::Zero { key: "outputs", sym: "outputs" }.into());
            }
            geometry::bounded("outputs", *outputs)?;
            geometry::count("weights", &[*outputs, x.len()])?;
            if let Weights::Fc { w, b } = &layer.weights {
                if w.dim() != (*outputs, x.len()) {
                    let note = " (outputs, inputs)";
                    return Err(tensor_shape(
                        "weights have shape",
                        w.shape(),
                        &[*outputs, x.len()],
                        note,
                    ));
                }
                if let Some(b) = b
                    && b.len() != *outputs
                {
                    return Err(tensor_shape("bias has shape", b.shape(), &[*outputs], ""));
                }
            }
            info.output = Shape3::new(1, 1, *outputs);
            info.params = (x.len() as u64 + 1) * *outputs as u64;
            info.macs = x.len() as u64 * *outputs as u64;
            info.weight_bytes = 4 * info.params;
            info.rf = ReceptiveField::whole(image);
        }
        LayerKind::Flatten => info.output = Shape3::new(1, 1, x.len()),
        LayerKind::Prelu => {
            if let Weights::Prelu { slope } = &layer.weights
                && slope.len() != x.d
                && slope.len() != 1
            {
                return Err(tensor_shape("slope has shape", slope.shape(), &[x.d], " (1 or D)"));
            }
            info.params = x.d as u64;
            info.weight_bytes = 4 * info.params;
        }
        LayerKind::BatchNorm { .. } => {
            if let Weights::BatchNorm { gamma, beta, mean, var } = &layer.weights {
                for (what, a) in [
                    ("gamma has shape", gamma),
                    ("beta has shape", beta),
                    ("mean has shape", mean),
                    ("var has shape", var),
                ] {
                    if a.len() != x.d {
                        return Err(tensor_shape(what, a.shape(), &[x.d], " (D)"));
                    }
                }
            }
            info.params = 2 * x.d as u64;
            info.weight_bytes = 4 * 4 * x.d as u64;
        }
        LayerKind::Lrn { size, .. } => {
            if *size == 0 {
                return Err(GeomError::Zero { key: "size", sym: "n" }.into());
            }
            geometry::bounded("size", *size)?;
        }
        LayerKind::Add | LayerKind::Mul => {
            let out = *inputs.iter().max_by_key(|s| s.len()).unwrap_or(&x);
            for s in &inputs {
                let fits = *s == out || (s.h == 1 && s.w == 1 && (s.d == out.d || s.d == 1));
                if !fits {
                    return Err(ErrorKind::Broadcast { a: *s, b: out });
                }
            }
            info.output = out;
        }
        LayerKind::Concat => {
            if let Some(s) = inputs.iter().find(|s| (s.h, s.w) != (x.h, x.w)) {
                return Err(ErrorKind::Concat { a: x, b: *s });
            }
            let d = inputs.iter().try_fold(0usize, |a, s| a.checked_add(s.d)).unwrap_or(usize::MAX);
            geometry::bounded("depth", d)?;
            info.output = Shape3::new(x.h, x.w, d);
        }
        LayerKind::Relu
        | LayerKind::Clip { .. }
        | LayerKind::LeakyRelu { .. }
        | LayerKind::Sigmoid
        | LayerKind::Softmax
        | LayerKind::Dropout => {}
    }
    let o = info.output;
    geometry::count("output", &[o.h, o.w, o.d])?;
    info.act_bytes = bytes(o);
    debug_assert!(o.len() <= MAX_ELEMS);
    Ok(info)
}

/// Record a window: warnings, strictness, and the receptive field it grows.
fn set_window(info: &mut LayerInfo, layer: &Layer, w: Window2d) -> Result<(), ErrorKind> {
    for (axis, d) in [("rows", w.rows), ("cols", w.cols)] {
        if let Some(msg) = d.warning(axis) {
            if layer.strict {
                return Err(ErrorKind::Strict { axis, formula: d.exact_formula() });
            }
            info.warnings.push(msg);
        }
    }
    info.rf = info.rf.through(&w);
    Ok(())
}
