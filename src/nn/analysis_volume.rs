//! Analysis of the volume layers (conv, pools, fc, batchnorm, LRN, the spec's element-wise and
//! merge layers): each reads volumes `(D, H, W)` — a spec's rank-3 tensors, or a model's
//! `[1, C, H, W]` — and writes one of the same kind.

use super::analysis::{Known, LayerInfo, Status};
use super::error::ErrorKind;
use super::geometry::{self, ConvGeometry, GeomError, PoolGeometry, Window2d, WindowSpec};
use super::layer::{Layer, LayerKind, Weights};
use super::receptive::ReceptiveField;
use super::tensor::{Elem, Shape3, dims_text};
use super::view::{Hint, ViewMap};

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

/// The volume a tensor is, and whether it carries a batch axis (`[1, C, H, W]`).
fn volume_of(k: &Known) -> Result<(Shape3, bool), ErrorKind> {
    let d = &k.info.dims;
    let bad = || {
        ErrorKind::Op(super::ops::OpError::Shape(format!(
            "needs a volume [C, H, W] or [1, C, H, W] of floats, got {} {}",
            k.info.elem,
            dims_text(d)
        )))
    };
    if !k.info.elem.is_float() {
        return Err(bad());
    }
    match d.as_slice() {
        [c, h, w] => Ok((Shape3::new(*h, *w, *c), false)),
        [1, c, h, w] => Ok((Shape3::new(*h, *w, *c), true)),
        _ => Err(bad()),
    }
}

fn tensor_shape(
    what: &'static str,
    got: &[usize],
    want: &[usize],
    note: &'static str,
) -> ErrorKind {
    ErrorKind::TensorShape { what, got: format!("{got:?}"), want: format!("{want:?}"), note }
}

/// Analyse a volume layer.
pub(super) fn analyze(layer: &Layer, ins: &[Known], image: Shape3) -> Result<LayerInfo, ErrorKind> {
    let arity = layer.inputs.len();
    let variadic = matches!(layer.kind, LayerKind::Add | LayerKind::Mul | LayerKind::Concat);
    if arity == 0 || (!variadic && arity != 1) {
        let want = if variadic { "at least 1 input" } else { "exactly 1 input" };
        return Err(ErrorKind::Arity { kind: layer.kind.type_name(), want, got: arity });
    }
    let elementwise = matches!(
        layer.kind,
        LayerKind::Relu
            | LayerKind::Clip { .. }
            | LayerKind::LeakyRelu { .. }
            | LayerKind::Sigmoid
            | LayerKind::Dropout
    );
    if elementwise {
        // Any tensor: the output is the input's shape.
        let k = &ins[0];
        let view = ViewMap::of(&k.info.dims, k.hint);
        return Ok(info_of(k.info.dims.clone(), k.info.elem, k.hint, view, k.rf));
    }
    let vols: Vec<(Shape3, bool)> = ins.iter().map(volume_of).collect::<Result<_, _>>()?;
    let (x, batched) = vols[0];
    let rfs: Vec<ReceptiveField> = ins.iter().map(|k| k.rf).collect();
    let mut out = x;
    let mut info = info_of(
        vec![],
        Elem::F32,
        Hint::ChannelsFirst,
        ViewMap::of(&[], Hint::default()),
        ReceptiveField::union(&rfs),
    );
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
            out = g.out();
            let per_filter = (want[1] * want[2] * want[3]) as u64;
            info.params = per_filter * p.filters as u64 + if p.bias { p.filters as u64 } else { 0 };
            info.macs = per_filter.saturating_mul(out.len() as u64);
            info.weight_bytes = 4 * info.params;
            info.geometry = Some(Geometry::Conv(g));
            set_window(&mut info, layer, g.window)?;
        }
        LayerKind::MaxPool(p) | LayerKind::AvgPool(p) => {
            let spec = WindowSpec {
                kernel: (p.kh, p.kw),
                dilation: (p.dilation_h, p.dilation_w),
                stride: (p.stride_h, p.stride_w),
                pad: &p.pad,
                ceil_mode: p.ceil_mode,
            };
            let g = PoolGeometry::new(x, spec, p.count_include_pad)?;
            out = g.out();
            info.geometry = Some(Geometry::Pool(g));
            set_window(&mut info, layer, g.window)?;
        }
        LayerKind::GlobalAvgPool => {
            out = Shape3::new(1, 1, x.d);
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
            out = Shape3::new(1, 1, *outputs);
            info.params = (x.len() as u64 + 1) * *outputs as u64;
            info.macs = x.len() as u64 * *outputs as u64;
            info.weight_bytes = 4 * info.params;
            info.rf = ReceptiveField::whole(image);
        }
        LayerKind::Flatten => {
            out = Shape3::new(1, 1, x.len());
            info.rf = ReceptiveField::whole(image);
        }
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
            let (o, _) = *vols.iter().max_by_key(|(s, _)| s.len()).unwrap_or(&vols[0]);
            for (s, _) in &vols {
                let fits = *s == o || (s.h == 1 && s.w == 1 && (s.d == o.d || s.d == 1));
                if !fits {
                    return Err(ErrorKind::Broadcast { a: *s, b: o });
                }
            }
            out = o;
        }
        LayerKind::Concat => {
            if let Some((s, _)) = vols.iter().find(|(s, _)| (s.h, s.w) != (x.h, x.w)) {
                return Err(ErrorKind::Concat { a: x, b: *s });
            }
            let d =
                vols.iter().try_fold(0usize, |a, (s, _)| a.checked_add(s.d)).unwrap_or(usize::MAX);
            geometry::bounded("depth", d)?;
            out = Shape3::new(x.h, x.w, d);
        }
        LayerKind::Softmax => {}
        LayerKind::Relu
        | LayerKind::Clip { .. }
        | LayerKind::LeakyRelu { .. }
        | LayerKind::Sigmoid
        | LayerKind::Dropout
        | LayerKind::Op(_) => unreachable!("handled by the caller"),
    }
    geometry::count("output", &[out.h, out.w, out.d])?;
    let dims = if batched { vec![1, out.d, out.h, out.w] } else { out.dhw() };
    info.view = ViewMap::of(&dims, Hint::ChannelsFirst);
    info.output = out;
    info.dims = dims;
    Ok(info)
}

fn info_of(
    dims: Vec<usize>,
    elem: Elem,
    hint: Hint,
    view: ViewMap,
    rf: ReceptiveField,
) -> LayerInfo {
    LayerInfo {
        inputs: Vec::new(),
        input_dims: Vec::new(),
        input_hints: Vec::new(),
        output: view.shape,
        dims,
        elem,
        hint,
        view,
        status: Status::Computed,
        geometry: None,
        params: 0,
        macs: 0,
        act_bytes: 0,
        weight_bytes: 0,
        rf,
        warnings: Vec::new(),
    }
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
