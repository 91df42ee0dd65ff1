//! The forward pass. It keeps every layer's output (the explorer shows all of them) and can
//! resume from any layer, reusing the outputs above it (live editing recomputes only what follows
//! an edit). Layers that cannot be computed (an op convscope does not have, and what depends on
//! it) get an empty placeholder; every other layer runs.

use super::analysis::{Analysis, LayerInfo, analyze};
use super::error::{ErrorKind, LayerError};
use super::kernels as k;
use super::layer::{Layer, LayerKind, Src, Weights};
use super::network::Network;
use super::ops::{Arg, Args, Operand};
use super::tensor::{Tensor, Volume, dims_text};
use ndarray::IxDyn;

/// Every tensor of one forward pass.
#[derive(Clone, Debug)]
pub struct Activations {
    pub input: Tensor,
    /// `outputs[i]` is layer i's output (empty for a layer that is not computed).
    pub outputs: Vec<Tensor>,
}

/// The outputs nobody else holds go back to the kernels' buffer pool, so the next pass reuses
/// their memory instead of faulting in fresh pages.
impl Drop for Activations {
    fn drop(&mut self) {
        for t in self.outputs.drain(..) {
            if let Tensor::F32(a) = t
                && let Ok(owned) = a.try_into_owned_nocopy()
            {
                let (data, _) = owned.into_raw_vec_and_offset();
                k::buffers::give(data);
            }
        }
    }
}

impl Activations {
    pub fn get(&self, s: Src) -> &Tensor {
        match s {
            Src::Input => &self.input,
            Src::Layer(i) => &self.outputs[i],
        }
    }
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

/// Run layers `from..` with `prev[..from]` reused as the outputs above them.
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
    prev: &[Tensor],
    from: usize,
    step: &mut dyn FnMut(usize) -> bool,
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
    for (i, layer) in net.layers.iter().enumerate().skip(from) {
        if !step(i) {
            return Ok(None);
        }
        let info = &analysis.layers[i];
        let out = if info.computed() {
            let xs: Vec<&Tensor> = layer.inputs.iter().map(|&s| acts.get(s)).collect();
            run_layer(layer, info, &xs)?
        } else {
            Tensor::empty()
        };
        acts.outputs.push(out);
    }
    Ok(Some(acts))
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
    // The kernel's (D, H, W) in the layer's own dims ([1, D, H, W] for a model).
    let a = v.into_dyn().into_shape_with_order(IxDyn(&info.dims)).map_err(|e| {
        LayerError::new(&layer.name, super::ops::OpError::Shape(format!("output: {e}")))
    })?;
    Ok(Tensor::F32(a.into_shared()))
}

fn volume_layer(layer: &Layer, info: &LayerInfo, xs: &[&Tensor]) -> Result<Volume, LayerError> {
    let x = vol(layer, xs[0])?;
    let views = || xs.iter().map(|t| vol(layer, t)).collect::<Result<Vec<_>, _>>();
    Ok(match &layer.kind {
        LayerKind::Conv(_) => {
            let Weights::Conv { w, b } = &layer.weights else { return Err(no_weights(layer)) };
            let g = info.conv().unwrap_or_else(|| geometry_bug(layer));
            k::conv2d(&x, &w.view(), b.as_ref().map(|b| b.view()).as_ref(), g)
        }
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
