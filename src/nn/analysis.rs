//! Per-layer analysis of a whole network: every output's dims and element type and the volume
//! it is shown as, the geometry of every windowed layer, params, MACs, weight and activation
//! memory, receptive fields, and which layers can be computed at all. Needs no computation on
//! data, so the UI shows it at once. Every size is checked here, before any kernel or
//! allocation sees it (see [`super::geometry`]).

use super::error::{ErrorKind, LayerError};
use super::geometry::{self, GeomError};
use super::layer::{Layer, LayerKind, Src};
use super::network::Network;
use super::ops::{self, Arg, Args, Info, OpError, Operand};
use super::receptive::ReceptiveField;
use super::tensor::{Elem, Shape3};
use super::view::{Hint, ViewMap};

pub use super::analysis_volume::{FilterShape, Geometry};

/// Whether a layer is computed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Status {
    Computed,
    /// An op convscope does not compute, or a layer that depends on one.
    NotComputable(String),
}

/// What analysis knows about one layer.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LayerInfo {
    /// The inputs as the volumes they are shown as.
    pub inputs: Vec<Shape3>,
    pub input_dims: Vec<Vec<usize>>,
    /// Whether each input holds its channels first or last.
    pub input_hints: Vec<Hint>,
    /// The output as the volume it is shown as.
    pub output: Shape3,
    /// The output tensor: dims (ONNX axis order for a model, `(D, H, W)` for a spec) and type.
    pub dims: Vec<usize>,
    pub elem: Elem,
    pub hint: Hint,
    /// How the output is shown as a volume.
    pub view: ViewMap,
    pub status: Status,
    /// Conv and pool layers: how the window fits.
    pub geometry: Option<Geometry>,
    pub params: u64,
    pub macs: u64,
    /// Bytes of this layer's output (f32, or i64 for integers).
    pub act_bytes: u64,
    /// Bytes of the weights this layer needs, whether or not they are loaded yet.
    pub weight_bytes: u64,
    pub rf: ReceptiveField,
    pub warnings: Vec<String>,
}

impl LayerInfo {
    pub fn window(&self) -> Option<&super::geometry::Window2d> {
        self.geometry.as_ref().map(Geometry::window)
    }

    pub fn rows(&self) -> Option<super::geometry::Axis> {
        self.window().map(|w| w.rows)
    }

    pub fn cols(&self) -> Option<super::geometry::Axis> {
        self.window().map(|w| w.cols)
    }

    /// Resolved padding (zero for layers without a window).
    pub fn pads(&self) -> super::geometry::Pads {
        self.window().map(super::geometry::Window2d::pads).unwrap_or_default()
    }

    pub fn conv(&self) -> Option<&super::geometry::ConvGeometry> {
        match &self.geometry {
            Some(Geometry::Conv(g)) => Some(g),
            _ => None,
        }
    }

    pub fn pool(&self) -> Option<&super::geometry::PoolGeometry> {
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
        self.window().map(super::geometry::Window2d::formula)
    }

    pub fn computed(&self) -> bool {
        self.status == Status::Computed
    }

    pub fn info(&self) -> Info {
        Info::new(self.dims.clone(), self.elem)
    }
}

/// The whole network's figures.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Analysis {
    pub input: Shape3,
    pub input_dims: Vec<usize>,
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
        bytes_of(&self.input_dims, Elem::F32)
            .saturating_add(self.total_weight_bytes)
            .saturating_add(self.total_act_bytes)
    }

    /// The layers that are not computed, with why.
    pub fn not_computable(&self) -> impl Iterator<Item = (usize, &str)> {
        self.layers.iter().enumerate().filter_map(|(i, l)| match &l.status {
            Status::NotComputable(r) => Some((i, r.as_str())),
            Status::Computed => None,
        })
    }
}

/// Bytes of a tensor of `dims` (f32 as 4 bytes, integers stored as i64).
pub fn bytes_of(dims: &[usize], elem: Elem) -> u64 {
    let n: u64 = dims.iter().fold(1u64, |a, &d| a.saturating_mul(d as u64));
    n.saturating_mul(if elem.is_float() { 4 } else { 8 })
}

/// A tensor's info, with the hint of how to show it.
#[derive(Clone, Debug)]
pub(crate) struct Known {
    pub info: Info,
    pub hint: Hint,
    pub rf: ReceptiveField,
    pub status: Status,
    pub name: String,
}

/// Analyse every layer in order.
///
/// # Errors
/// The first invalid layer: a bad parameter, an input that is not an earlier layer, a duplicate
/// name, weights of the wrong shape, a size past the bounds, or (with `strict`) a fit that is not
/// whole. An op convscope does not compute is no error: its layer (and every layer after it
/// that needs it) is marked not computable.
pub fn analyze(net: &Network) -> Result<Analysis, LayerError> {
    let mut a = Analyzer::new(&net.input)?;
    for layer in &net.layers {
        a.push(layer)?;
    }
    Ok(a.finish(net))
}

/// Analysis one layer at a time, for builders that need the shapes of what they built so far
/// (the ONNX importer folds `Shape` of a computed tensor from it).
pub struct Analyzer {
    image: Shape3,
    input_known: Known,
    layers: Vec<LayerInfo>,
    names: Vec<String>,
    index: std::collections::HashMap<String, usize>,
}

impl Analyzer {
    /// # Errors
    /// An input with a zero or too large size.
    pub fn new(input: &super::network::InputSpec) -> Result<Self, LayerError> {
        let check_input = || -> Result<(), GeomError> {
            geometry::count("input", &input.dims)?;
            for &v in &input.dims {
                geometry::bounded("input size", v)?;
                if v == 0 {
                    return Err(GeomError::Zero { key: "input size", sym: "dims" });
                }
            }
            Ok(())
        };
        check_input().map_err(|e| LayerError::new("input", e))?;
        let input_known = Known {
            info: Info::new(input.dims.clone(), input.elem),
            hint: input.hint,
            rf: ReceptiveField::input(),
            status: Status::Computed,
            name: "input".into(),
        };
        Ok(Analyzer {
            image: input.shape,
            input_known,
            layers: Vec::new(),
            names: Vec::new(),
            index: std::collections::HashMap::new(),
        })
    }

    /// Analyse the next layer (its inputs must be earlier layers or the input).
    ///
    /// # Errors
    /// As [`analyze`].
    pub fn push(&mut self, layer: &Layer) -> Result<&LayerInfo, LayerError> {
        let i = self.layers.len();
        if let Some(&first) = self.index.get(layer.name.as_str()) {
            let kind = ErrorKind::DuplicateName { name: layer.name.clone(), first, second: i };
            return Err(LayerError::new(&layer.name, kind));
        }
        let mut known = Vec::with_capacity(layer.inputs.len());
        for &s in &layer.inputs {
            match s {
                Src::Input => known.push(self.input_known.clone()),
                Src::Layer(j) if j < i => {
                    let l = &self.layers[j];
                    known.push(Known {
                        info: l.info(),
                        hint: l.hint,
                        rf: l.rf,
                        status: l.status.clone(),
                        name: self.names[j].clone(),
                    });
                }
                Src::Layer(j) => {
                    let name =
                        self.names.get(j).map_or("a later layer", |n| n.as_str()).to_string();
                    return Err(LayerError::new(&layer.name, ErrorKind::UnknownInput { name }));
                }
            }
        }
        let info = analyze_layer(layer, &known, self.image)
            .map_err(|kind| LayerError::new(&layer.name, kind))?;
        self.index.insert(layer.name.clone(), i);
        self.names.push(layer.name.clone());
        self.layers.push(info);
        Ok(&self.layers[i])
    }

    /// The layers analysed so far.
    pub fn layers(&self) -> &[LayerInfo] {
        &self.layers
    }

    /// The dims and type of a source analysed so far.
    pub fn info(&self, s: Src) -> Option<Info> {
        match s {
            Src::Input => Some(self.input_known.info.clone()),
            Src::Layer(i) => self.layers.get(i).map(LayerInfo::info),
        }
    }

    /// Whether a source analysed so far is computed.
    pub fn computed(&self, s: Src) -> bool {
        match s {
            Src::Input => true,
            Src::Layer(i) => self.layers.get(i).is_some_and(LayerInfo::computed),
        }
    }

    /// Forget the last layer (a builder that replaces it).
    pub fn pop(&mut self) {
        if let Some(name) = self.names.pop() {
            self.index.remove(&name);
            self.layers.pop();
        }
    }

    /// The whole network's figures; `net` is the network whose layers were pushed.
    pub fn finish(self, net: &Network) -> Analysis {
        let layers = self.layers;
        let sum =
            |f: fn(&LayerInfo) -> u64| layers.iter().fold(0u64, |a, l| a.saturating_add(f(l)));
        let total_params = sum(|l| l.params);
        let total_macs = sum(|l| l.macs);
        let total_act_bytes = sum(|l| l.act_bytes);
        let total_weight_bytes = sum(|l| l.weight_bytes);
        let peak_act_bytes = peak_live_bytes(net, &layers);
        Analysis {
            input: self.image,
            input_dims: net.input.dims.clone(),
            layers,
            total_params,
            total_macs,
            total_act_bytes,
            total_weight_bytes,
            peak_act_bytes,
            network_depth: net.depth(),
        }
    }
}

/// The largest sum of live volumes while running layers in order: one sweep, adding each output
/// when it is made and removing it after its last reader.
fn peak_live_bytes(net: &Network, infos: &[LayerInfo]) -> u64 {
    let n = net.layers.len();
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
    let input_bytes = bytes_of(&net.input.dims, Elem::F32);
    let mut live = input_bytes;
    let mut peak = live;
    for i in 0..n {
        live = live.saturating_add(infos[i].act_bytes);
        peak = peak.max(live);
        for &j in &dies[i] {
            live = live.saturating_sub(infos[j].act_bytes);
        }
        if input_last == i {
            live = live.saturating_sub(input_bytes);
        }
    }
    peak
}

/// A layer's info from its inputs'.
fn analyze_layer(layer: &Layer, ins: &[Known], image: Shape3) -> Result<LayerInfo, ErrorKind> {
    let blocked = ins.iter().find(|k| k.status != Status::Computed);
    let not_computable = |reason: String, ins: &[Known]| LayerInfo {
        inputs: ins.iter().map(|k| ViewMap::of(&k.info.dims, k.hint).shape).collect(),
        input_dims: ins.iter().map(|k| k.info.dims.clone()).collect(),
        input_hints: ins.iter().map(|k| k.hint).collect(),
        output: Shape3::new(1, 1, 1),
        dims: vec![],
        elem: Elem::F32,
        hint: Hint::default(),
        view: ViewMap::of(&[], Hint::default()),
        status: Status::NotComputable(reason),
        geometry: None,
        params: 0,
        macs: 0,
        act_bytes: 0,
        weight_bytes: 0,
        rf: ReceptiveField::whole(image),
        warnings: Vec::new(),
    };
    if let Some(b) = blocked {
        return Ok(not_computable(format!("needs {}, which is not computed", b.name), ins));
    }
    let mut info = match &layer.kind {
        LayerKind::Op(op) => {
            let args = op_args(op, ins)?;
            match op.infer(&args) {
                Ok(out) => op_info(op, &args, out, ins, image),
                Err(OpError::Unsupported(reason)) => return Ok(not_computable(reason, ins)),
                Err(OpError::NotConstant { what }) => {
                    return Ok(not_computable(format!("{what} is computed from the data"), ins));
                }
                Err(e) => return Err(ErrorKind::Op(e)),
            }
        }
        _ => super::analysis_volume::analyze(layer, ins, image)?,
    };
    geometry::count("output", &info.dims)?;
    info.act_bytes = bytes_of(&info.dims, info.elem);
    info.input_dims = ins.iter().map(|k| k.info.dims.clone()).collect();
    info.input_hints = ins.iter().map(|k| k.hint).collect();
    info.inputs = ins.iter().map(|k| ViewMap::of(&k.info.dims, k.hint).shape).collect();
    Ok(info)
}

/// An op's operands as analysis sees them: runtime inputs' infos and constants.
pub(crate) fn op_args<'a>(
    op: &'a ops::OpLayer,
    ins: &'a [Known],
) -> Result<Args<'a, Info>, ErrorKind> {
    let items =
        op.operands
            .iter()
            .map(|o| match o {
                Operand::Input(k) => ins
                    .get(*k)
                    .map(|kn| Arg::Run(&kn.info))
                    .ok_or(ErrorKind::Arity { kind: "op", want: "its operands", got: ins.len() }),
                Operand::Const(t) => Ok(Arg::Const(t)),
                Operand::Absent => Ok(Arg::Absent),
            })
            .collect::<Result<_, _>>()?;
    Ok(Args { items })
}

/// The hint of an op's output: kept through ops that keep positions, set by a transpose.
fn op_hint(op: &ops::Op, ins: &[Known], out: &Info) -> Hint {
    let first = ins.first().map(|k| (k.hint, k.info.rank()));
    match (op, first) {
        (ops::Op::Transpose { perm: Some(p) }, Some((h, 4))) => match (h, p.as_slice()) {
            (Hint::ChannelsFirst, [0, 2, 3, 1]) => Hint::ChannelsLast,
            (Hint::ChannelsLast, [0, 3, 1, 2]) => Hint::ChannelsFirst,
            _ => Hint::ChannelsFirst,
        },
        (_, Some((h, r))) if r == out.rank() && op_keeps_positions(op) => h,
        _ => Hint::ChannelsFirst,
    }
}

/// Ops whose output cell (r, c) comes from the same (r, c) of their inputs.
fn op_keeps_positions(op: &ops::Op) -> bool {
    use ops::Op::*;
    matches!(
        op,
        Unary(_)
            | Binary(_)
            | Variadic(_)
            | Where
            | Cast(_)
            | Identity
            | BatchNorm { .. }
            | InstanceNorm { .. }
            | GroupNorm { .. }
    ) || matches!(
        op,
        Softmax { axis: 1, legacy: false, .. } | Concat { axis: 1 } | Split { axis: 1, .. }
    )
}

fn op_info(
    op: &ops::OpLayer,
    args: &Args<Info>,
    out: Info,
    ins: &[Known],
    image: Shape3,
) -> LayerInfo {
    let hint = op_hint(&op.op, ins, &out);
    let view = ViewMap::of(&out.dims, hint);
    let keeps =
        op_keeps_positions(&op.op) && ins.first().is_some_and(|k| k.info.rank() == out.rank());
    let rf = if keeps {
        ReceptiveField::union(&ins.iter().map(|k| k.rf).collect::<Vec<_>>())
    } else {
        ReceptiveField::whole(image)
    };
    let consts: u64 = op
        .operands
        .iter()
        .filter_map(|o| match o {
            Operand::Const(t) => Some(t.len() as u64),
            _ => None,
        })
        .sum();
    let (params, macs) = match &op.op {
        ops::Op::MatMul | ops::Op::Gemm { .. } => {
            let k = args.info(0).map_or(0, |a| match &op.op {
                ops::Op::Gemm { trans_a: true, .. } => a.dims.first().copied().unwrap_or(0),
                _ => a.dims.last().copied().unwrap_or(0),
            });
            let n_out: u64 = out.dims.iter().map(|&d| d as u64).product();
            (consts, n_out.saturating_mul(k as u64))
        }
        ops::Op::BatchNorm { .. }
        | ops::Op::InstanceNorm { .. }
        | ops::Op::LayerNorm { .. }
        | ops::Op::GroupNorm { .. } => (consts, 0),
        ops::Op::Binary(ops::Binary::Prelu) => (consts, 0),
        _ => (0, 0),
    };
    LayerInfo {
        inputs: Vec::new(),
        input_dims: Vec::new(),
        input_hints: Vec::new(),
        output: view.shape,
        dims: out.dims.clone(),
        elem: out.elem,
        hint,
        view,
        status: Status::Computed,
        geometry: None,
        params,
        macs,
        act_bytes: 0,
        weight_bytes: 4 * params,
        rf,
        warnings: Vec::new(),
    }
}
