//! The forward pass. It keeps every layer's output (the explorer shows all of them) and can
//! resume from any layer, reusing the outputs above it (live editing recomputes only what follows
//! an edit). Layers that cannot be computed (an op convscope does not have, and what depends on
//! it) get an empty placeholder; every other layer runs.
//!
//! A relu or relu6/clip layer (one that maps 0 to 0) is kept as a lazy view of its input: the
//! pass stores nothing for it, a conv or a max pool that reads it applies the activation as it
//! reads (the kernels' input activation, exact to the bit), and the first reader of any other
//! kind (an average pool, an add, a panel, an export) computes it with the layer's own loop and
//! caches it, shared by every clone of the pass. So a pass writes one volume per conv instead
//! of two, and every layer still reads as a tensor through [`Activations::output`].

use super::analysis::{Analysis, LayerInfo, analyze};
use super::error::{ErrorKind, LayerError};
use super::kernels as k;
use super::layer::{Layer, LayerKind, Src, Weights};
use super::network::Network;
use super::ops::{Arg, Args, Operand};
use super::ops::{Unary, map_f32};
use super::tensor::{Tensor, Volume, dims_text};
use ndarray::IxDyn;
use std::sync::{Arc, OnceLock};

/// One layer's output as a pass keeps it: a tensor, or a lazy view of an activation.
#[derive(Clone, Debug)]
pub struct Kept(Slot);

#[derive(Clone, Debug)]
enum Slot {
    Ready(Tensor),
    View(Arc<ActView>),
}

/// `act(of)`, computed on first use by the activation layer's own loop and then cached.
#[derive(Debug)]
struct ActView {
    of: Tensor,
    act: Unary,
    /// The same activation as the conv kernels apply it on read.
    pre: k::Epilogue,
    done: OnceLock<Tensor>,
}

impl ActView {
    fn tensor(&self) -> &Tensor {
        self.done.get_or_init(|| match self.of.as_f32() {
            Some(x) => Tensor::F32(map_f32(self.act, &x).into_shared()),
            None => Tensor::empty(),
        })
    }
}

impl Kept {
    /// The tensor (a view is computed now, once).
    pub fn tensor(&self) -> &Tensor {
        match &self.0 {
            Slot::Ready(t) => t,
            Slot::View(v) => v.tensor(),
        }
    }

    /// A view not computed yet: its input and the activation a conv can apply while reading.
    fn pending(&self) -> Option<(&Tensor, k::Epilogue)> {
        match &self.0 {
            Slot::View(v) if v.done.get().is_none() => Some((&v.of, v.pre)),
            _ => None,
        }
    }

    /// Whether this output is a lazy view (computed on demand, not by the pass).
    pub fn is_view(&self) -> bool {
        matches!(self.0, Slot::View(_))
    }
}

impl From<Tensor> for Kept {
    fn from(t: Tensor) -> Self {
        Kept(Slot::Ready(t))
    }
}

/// Every tensor of one forward pass.
#[derive(Clone, Debug)]
pub struct Activations {
    pub input: Tensor,
    /// `outputs[i]` is layer i's output (empty for a layer that is not computed).
    outputs: Vec<Kept>,
}

/// The outputs nobody else holds go back to the kernels' buffer pool, so the next pass reuses
/// their memory instead of faulting in fresh pages.
impl Drop for Activations {
    fn drop(&mut self) {
        let give = |t: Tensor| {
            if let Tensor::F32(a) = t
                && let Ok(owned) = a.try_into_owned_nocopy()
            {
                let (data, _) = owned.into_raw_vec_and_offset();
                k::buffers::give(data);
            }
        };
        // Views first: each holds its input, which is another layer's output that could not be
        // given back while the view still shares it.
        let mut ready = Vec::with_capacity(self.outputs.len());
        for kept in self.outputs.drain(..) {
            match kept.0 {
                Slot::Ready(t) => ready.push(t),
                Slot::View(v) => {
                    if let Ok(ActView { of, done, .. }) = Arc::try_unwrap(v) {
                        drop(of);
                        done.into_inner().map(give);
                    }
                }
            }
        }
        ready.into_iter().for_each(give);
    }
}

impl Activations {
    pub fn get(&self, s: Src) -> &Tensor {
        match s {
            Src::Input => &self.input,
            Src::Layer(i) => self.output(i),
        }
    }

    /// Layer `i`'s output (a lazy view is computed now, once).
    ///
    /// # Panics
    /// If there is no layer `i` in this pass.
    pub fn output(&self, i: usize) -> &Tensor {
        self.outputs[i].tensor()
    }

    /// How many layers this pass holds.
    pub fn len(&self) -> usize {
        self.outputs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.outputs.is_empty()
    }

    /// The last layer's output.
    pub fn last(&self) -> Option<&Tensor> {
        self.outputs.last().map(Kept::tensor)
    }

    /// Every layer's output in order (lazy views are computed as the iterator reaches them).
    pub fn outputs(&self) -> impl Iterator<Item = &Tensor> {
        self.outputs.iter().map(Kept::tensor)
    }

    /// The kept outputs of layers `..n`, to resume a pass after them ([`forward_from`]).
    pub fn kept(&self, n: usize) -> &[Kept] {
        &self.outputs[..n.min(self.outputs.len())]
    }

    /// Whether layer `i`'s output is a lazy view (see the module's notes).
    pub fn is_view(&self, i: usize) -> bool {
        self.outputs.get(i).is_some_and(Kept::is_view)
    }

    /// How many outputs are lazy views, and how many of those are not computed yet.
    pub fn views(&self) -> (usize, usize) {
        let views = self.outputs.iter().filter(|k| k.is_view());
        let pending = views.clone().filter(|k| k.pending().is_some()).count();
        (views.count(), pending)
    }

    /// Layer `s` as a conv or a max pool reads it: a pending view gives its input and the
    /// activation the kernel applies as it reads; anything else its tensor.
    fn read_through(&self, s: Src) -> (&Tensor, k::Epilogue) {
        match s {
            Src::Layer(i) => {
                self.outputs[i].pending().unwrap_or_else(|| (self.output(i), k::Epilogue::None))
            }
            Src::Input => (&self.input, k::Epilogue::None),
        }
    }
}

/// A relu/clip layer as a lazy view of its input, when it can be one: an activation that maps
/// 0 to 0 (so a conv's zero padding stays zero when the conv applies it) and has no NaN bound
/// (the kernels' vector form would differ from the layer's loop there), on floats. Anything
/// else is `None`, and its input is not touched (reading a pending view would compute it).
fn view_of(layer: &Layer, acts: &Activations) -> Option<ActView> {
    let (act, pre) = match layer.kind {
        LayerKind::Relu => (Unary::Relu, k::Epilogue::Relu),
        LayerKind::Clip { min, max } => (Unary::Clip { min, max }, k::Epilogue::Clip(min, max)),
        _ => return None,
    };
    let [s] = layer.inputs.as_slice() else { return None };
    let of = acts.get(*s);
    let numbers = match pre {
        k::Epilogue::Clip(lo, hi) => !lo.is_nan() && !hi.is_nan(),
        _ => true,
    };
    let ok = numbers && of.as_f32().is_some() && pre.apply(0.0) == 0.0;
    ok.then(|| ActView { of: of.clone(), act, pre, done: OnceLock::new() })
}

/// Run the whole network on `input` (the network's input tensor; a spec's is `(D, H, W)`).
///
/// # Errors
/// An invalid network (see [`analyze`]), an input of the wrong shape, or a layer without weights.
pub fn forward(net: &Network, input: Tensor) -> Result<Activations, LayerError> {
    let analysis = analyze(net)?;
    let done = forward_from(net, &analysis, input, &[], 0, &mut |_| true)?;
    // The callback never cancels, so the pass always completes.
    Ok(done.expect("a pass that is never cancelled completes"))
}

/// [`forward`] on a `(D, H, W)` volume of the input's view shape (a photo, a spec's input).
///
/// # Errors
/// As [`forward`].
pub fn forward_volume(net: &Network, input: Volume) -> Result<Activations, LayerError> {
    forward(net, net.input.from_volume(input))
}

/// Run layers `from..` with `prev[..from]` reused as the outputs above them (see
/// [`Activations::kept`]; a tensor converts with `Kept::from`).
///
/// `step(i)` is called before layer `i` runs; returning `false` cancels the pass (`Ok(None)`),
/// which is how a superseded job stops early.
///
/// # Errors
/// As [`forward`]; also `prev` shorter than `from`.
pub fn forward_from(
    net: &Network,
    analysis: &Analysis,
    input: Tensor,
    prev: &[Kept],
    from: usize,
    step: &mut dyn FnMut(usize) -> bool,
) -> Result<Option<Activations>, LayerError> {
    forward_from_with(net, analysis, input, prev, from, step, Views::Lazy)
}

/// When a pass computes its relu/clip views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Views {
    /// Only when something other than a conv reads them (or a caller asks).
    Lazy,
    /// Each as soon as it is made, while its input is still in cache: for a caller that will
    /// read every layer (the explorer computes every layer's statistics), which costs less than
    /// computing them all after the pass. Conv readers then read the computed view; the values
    /// are the same.
    Eager,
}

/// [`forward_from`] with the views computed as `views` says.
///
/// # Errors
/// As [`forward_from`].
pub fn forward_from_with(
    net: &Network,
    analysis: &Analysis,
    input: Tensor,
    prev: &[Kept],
    from: usize,
    step: &mut dyn FnMut(usize) -> bool,
    views: Views,
) -> Result<Option<Activations>, LayerError> {
    if input.dims() != net.input.dims.as_slice() || input.elem() != net.input.elem {
        let kind = ErrorKind::InputShape {
            got: dims_text(input.dims()),
            want: dims_text(&net.input.dims),
        };
        return Err(LayerError::new("input", kind));
    }
    if prev.len() < from || analysis.layers.len() != net.layers.len() {
        let kind = ErrorKind::Resume { from, kept: prev.len() };
        return Err(LayerError::new("input", kind));
    }
    // Refuse a pass the memory budget cannot hold before allocating any of it.
    let need = analysis.layers[from..].iter().fold(0u64, |a, l| a.saturating_add(l.act_bytes));
    super::budget::check(|| "this pass (every layer's output)".into(), need)
        .map_err(|e| LayerError::new("input", ErrorKind::Budget(e)))?;
    let mut acts = Activations { input, outputs: prev[..from].to_vec() };
    // At two threads or more the other workers spin through the pass instead of sleeping
    // between its parallel regions (see `awake`).
    super::awake::with_awake_workers(|awake| {
        for (i, layer) in net.layers.iter().enumerate().skip(from) {
            if !step(i) {
                return Ok(None);
            }
            awake.arm();
            let info = &analysis.layers[i];
            let out = if !info.computed() {
                Tensor::empty().into()
            } else if let Some(view) = view_of(layer, &acts) {
                if views == Views::Eager {
                    view.tensor();
                }
                Kept(Slot::View(Arc::new(view)))
            } else if let (LayerKind::Conv(_), [s]) = (&layer.kind, layer.inputs.as_slice()) {
                let (x, pre) = acts.read_through(*s);
                conv_layer(layer, info, x, pre)?.into()
            } else if let (LayerKind::MaxPool(_), [s]) = (&layer.kind, layer.inputs.as_slice()) {
                // A max pool reads through a pending view too: the view stays uncomputed.
                let (x, pre) = acts.read_through(*s);
                let g = info.pool().unwrap_or_else(|| geometry_bug(layer));
                shaped(layer, info, k::max_pool_of_act(&vol(layer, x)?, pre, g))?.into()
            } else {
                let xs: Vec<&Tensor> = layer.inputs.iter().map(|&s| acts.get(s)).collect();
                run_layer(layer, info, &xs)?.into()
            };
            acts.outputs.push(out);
        }
        Ok(Some(acts))
    })
}

/// Analysis builds the geometry of every windowed layer; a missing one is a bug.
fn geometry_bug<T>(layer: &Layer) -> T {
    panic!("{}: analysis gave no geometry", layer.name)
}

fn no_weights(layer: &Layer) -> LayerError {
    LayerError::new(&layer.name, ErrorKind::NoWeights)
}

/// The volume of a tensor analysis accepted as one.
fn vol<'a>(layer: &Layer, t: &'a Tensor) -> Result<ndarray::ArrayView3<'a, f32>, LayerError> {
    t.volume().ok_or_else(|| {
        let msg = format!("needs a volume, got {} {}", t.elem(), dims_text(t.dims()));
        LayerError::new(&layer.name, super::ops::OpError::Shape(msg))
    })
}

/// Compute one layer from its inputs.
///
/// # Errors
/// A layer that needs weights and has none, or an op whose data breaks a rule.
pub fn run_layer(layer: &Layer, info: &LayerInfo, xs: &[&Tensor]) -> Result<Tensor, LayerError> {
    if let LayerKind::Op(op) = &layer.kind {
        let args = Args {
            items: op
                .operands
                .iter()
                .map(|o| match o {
                    Operand::Input(k) => xs.get(*k).map_or(Arg::Absent, |t| Arg::Run(*t)),
                    Operand::Const(t) => Arg::Const(t),
                    Operand::Absent => Arg::Absent,
                })
                .collect(),
        };
        return op.eval(&args, &info.info()).map_err(|e| LayerError::new(&layer.name, e));
    }
    // The activation layers of specs share the ONNX ops' loops.
    let elementwise = |u: super::ops::Unary| -> Result<Tensor, LayerError> {
        let x = xs[0].as_f32().ok_or_else(|| {
            LayerError::new(&layer.name, super::ops::OpError::Operand("needs floats".into()))
        })?;
        Ok(Tensor::F32(super::ops::map_f32(u, &x).into_shared()))
    };
    let v = match &layer.kind {
        LayerKind::Relu => return elementwise(super::ops::Unary::Relu),
        LayerKind::Clip { min, max } => {
            return elementwise(super::ops::Unary::Clip { min: *min, max: *max });
        }
        LayerKind::LeakyRelu { alpha } => {
            return elementwise(super::ops::Unary::LeakyRelu { alpha: *alpha });
        }
        LayerKind::Sigmoid => return elementwise(super::ops::Unary::Sigmoid),
        LayerKind::Dropout => return Ok(xs[0].clone()),
        _ => volume_layer(layer, info, xs)?,
    };
    shaped(layer, info, v)
}

/// A conv layer over `pre(x)` (`pre` is the input's activation when the input is a lazy view).
fn conv_layer(
    layer: &Layer,
    info: &LayerInfo,
    x: &Tensor,
    pre: k::Epilogue,
) -> Result<Tensor, LayerError> {
    shaped(layer, info, conv_volume(layer, info, &vol(layer, x)?, pre)?)
}

/// A conv layer's volume over `pre(x)`.
fn conv_volume(
    layer: &Layer,
    info: &LayerInfo,
    x: &ndarray::ArrayView3<f32>,
    pre: k::Epilogue,
) -> Result<Volume, LayerError> {
    let Weights::Conv { w, b } = &layer.weights else { return Err(no_weights(layer)) };
    let g = info.conv().unwrap_or_else(|| geometry_bug(layer));
    Ok(k::conv2d_of_act(x, pre, &w.view(), b.as_ref().map(|b| b.view()).as_ref(), g))
}

/// The kernel's (D, H, W) in the layer's own dims ([1, D, H, W] for a model).
fn shaped(layer: &Layer, info: &LayerInfo, v: Volume) -> Result<Tensor, LayerError> {
    let a = v.into_dyn().into_shape_with_order(IxDyn(&info.dims)).map_err(|e| {
        LayerError::new(&layer.name, super::ops::OpError::Shape(format!("output: {e}")))
    })?;
    Ok(Tensor::F32(a.into_shared()))
}

fn volume_layer(layer: &Layer, info: &LayerInfo, xs: &[&Tensor]) -> Result<Volume, LayerError> {
    let x = vol(layer, xs[0])?;
    let views = || xs.iter().map(|t| vol(layer, t)).collect::<Result<Vec<_>, _>>();
    Ok(match &layer.kind {
        LayerKind::Conv(_) => conv_volume(layer, info, &x, k::Epilogue::None)?,
        LayerKind::Prelu => {
            let Weights::Prelu { slope } = &layer.weights else { return Err(no_weights(layer)) };
            k::prelu(&x, &slope.view())
        }
        LayerKind::MaxPool(_) => {
            k::max_pool(&x, info.pool().unwrap_or_else(|| geometry_bug(layer)))
        }
        LayerKind::AvgPool(_) => {
            k::avg_pool(&x, info.pool().unwrap_or_else(|| geometry_bug(layer)))
        }
        LayerKind::GlobalAvgPool => k::global_avg_pool(&x),
        LayerKind::BatchNorm { eps } => {
            let Weights::BatchNorm { gamma, beta, mean, var } = &layer.weights else {
                return Err(no_weights(layer));
            };
            k::batch_norm(&x, &gamma.view(), &beta.view(), &mean.view(), &var.view(), *eps)
        }
        LayerKind::Lrn { size, alpha, beta, bias } => k::lrn(&x, *size, *alpha, *beta, *bias),
        LayerKind::Fc { .. } => {
            let Weights::Fc { w, b } = &layer.weights else { return Err(no_weights(layer)) };
            k::fc(&x, &w.view(), b.as_ref().map(|b| b.view()).as_ref())
        }
        LayerKind::Flatten => {
            let flat = super::tensor::to_hwd(&x);
            let n = flat.len();
            // A (H, W, D) standard-layout array has exactly n elements.
            flat.into_shape_with_order((n, 1, 1)).expect("n elements reshape to (n, 1, 1)")
        }
        LayerKind::Softmax => k::softmax_depth(&x),
        LayerKind::Add => k::add(&views()?),
        LayerKind::Mul => k::mul(&views()?),
        LayerKind::Concat => k::concat_depth(&views()?),
        LayerKind::Relu
        | LayerKind::Clip { .. }
        | LayerKind::LeakyRelu { .. }
        | LayerKind::Sigmoid
        | LayerKind::Dropout
        | LayerKind::Op(_) => unreachable!("handled by run_layer"),
    })
}
