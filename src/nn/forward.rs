//! The forward pass. It keeps every layer's output (the explorer shows all of them) and can
//! resume from any layer, reusing the outputs above it (live editing recomputes only what follows
//! an edit).

use super::analysis::{Analysis, LayerInfo, analyze};
use super::error::{ErrorKind, LayerError};
use super::kernels as k;
use super::layer::{Layer, LayerKind, Src, Weights};
use super::network::Network;
use super::tensor::{Shape3, Volume};
use std::sync::Arc;

/// Every volume of one forward pass.
#[derive(Clone, Debug)]
pub struct Activations {
    pub input: Arc<Volume>,
    /// `outputs[i]` is layer i's output.
    pub outputs: Vec<Arc<Volume>>,
}

/// The volumes nobody else holds go back to the kernels' buffer pool, so the next pass reuses
/// their memory instead of faulting in fresh pages.
impl Drop for Activations {
    fn drop(&mut self) {
        for v in self.outputs.drain(..) {
            if let Ok(v) = Arc::try_unwrap(v) {
                k::buffers::give_volume(v);
            }
        }
    }
}

impl Activations {
    pub fn get(&self, s: Src) -> &Arc<Volume> {
        match s {
            Src::Input => &self.input,
            Src::Layer(i) => &self.outputs[i],
        }
    }
}

/// Run the whole network on `input` (stored `(D, H, W)`).
///
/// # Errors
/// An invalid network (see [`analyze`]), an input of the wrong shape, or a layer without weights.
pub fn forward(net: &Network, input: Volume) -> Result<Activations, LayerError> {
    let analysis = analyze(net)?;
    let done = forward_from(net, &analysis, Arc::new(input), &[], 0, &mut |_| true)?;
    // The callback never cancels, so the pass always completes.
    Ok(done.expect("a pass that is never cancelled completes"))
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
    input: Arc<Volume>,
    prev: &[Arc<Volume>],
    from: usize,
    step: &mut dyn FnMut(usize) -> bool,
) -> Result<Option<Activations>, LayerError> {
    let got = Shape3::of(&input.view());
    if got != net.input.shape {
        let kind = ErrorKind::InputShape { got, want: net.input.shape };
        return Err(LayerError::new("input", kind));
    }
    if prev.len() < from || analysis.layers.len() != net.layers.len() {
        let kind = ErrorKind::Resume { from, kept: prev.len() };
        return Err(LayerError::new("input", kind));
    }
    let mut acts = Activations { input, outputs: prev[..from].to_vec() };
    for (i, layer) in net.layers.iter().enumerate().skip(from) {
        if !step(i) {
            return Ok(None);
        }
        let xs: Vec<&Volume> = layer.inputs.iter().map(|&s| acts.get(s).as_ref()).collect();
        let out = run_layer(layer, &analysis.layers[i], &xs)?;
        acts.outputs.push(Arc::new(out));
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

/// Compute one layer from its input volumes.
///
/// # Errors
/// A layer that needs weights and has none.
pub fn run_layer(layer: &Layer, info: &LayerInfo, xs: &[&Volume]) -> Result<Volume, LayerError> {
    let x = xs[0].view();
    Ok(match &layer.kind {
        LayerKind::Conv(_) => {
            let Weights::Conv { w, b } = &layer.weights else { return Err(no_weights(layer)) };
            let g = info.conv().unwrap_or_else(|| geometry_bug(layer));
            k::conv2d(&x, &w.view(), b.as_ref().map(|b| b.view()).as_ref(), g)
        }
        LayerKind::Relu => k::relu(&x),
        LayerKind::Clip { min, max } => k::clip(&x, *min, *max),
        LayerKind::LeakyRelu { alpha } => k::leaky_relu(&x, *alpha),
        LayerKind::Prelu => {
            let Weights::Prelu { slope } = &layer.weights else { return Err(no_weights(layer)) };
            k::prelu(&x, &slope.view())
        }
        LayerKind::Sigmoid => k::sigmoid(&x),
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
        LayerKind::Dropout => x.to_owned(),
        LayerKind::Add => k::add(&views(xs)),
        LayerKind::Mul => k::mul(&views(xs)),
        LayerKind::Concat => k::concat_depth(&views(xs)),
    })
}

fn views<'a>(xs: &'a [&'a Volume]) -> Vec<ndarray::ArrayView3<'a, f32>> {
    xs.iter().map(|v| v.view()).collect()
}
