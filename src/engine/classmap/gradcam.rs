//! Grad-CAM (Selvaraju et al. 2017) at any volume layer: the gradient of the class's logit
//! flows back through convscope's own backward passes to the layer's output `A`;
//! `α_k = mean_{h,w} ∂y_c/∂A_k[h, w]` and `M = Σ_k α_k·A_k` (shown after a ReLU; the raw map
//! keeps its negative part).

use super::{ClassMap, MapError, Method, head, softmax};
use crate::nn::analysis::Analysis;
use crate::nn::backward::backward;
use crate::nn::forward::Activations;
use crate::nn::tensor::Tensor;
use crate::nn::view::ViewMap;
use crate::nn::{Network, Src};
use ndarray::{Array3, ArrayD, Axis, IxDyn};

/// A source's output as its `(D, H, W)` volume.
pub(crate) fn volume(
    net: &Network,
    analysis: &Analysis,
    acts: &Activations,
    s: Src,
) -> Array3<f32> {
    view_of(net, analysis, s).apply(acts.get(s)).to_owned()
}

pub(crate) fn view_of(net: &Network, analysis: &Analysis, s: Src) -> ViewMap {
    match s {
        Src::Input => ViewMap::of(&net.input.dims, net.input.hint),
        Src::Layer(i) => analysis.layers[i].view.clone(),
    }
}

/// `∂logit_c/∂(output of layer)`, as the layer's `(K, H, W)` volume.
///
/// # Errors
/// As [`backward`], and a class out of range.
pub fn logit_gradient(
    net: &Network,
    analysis: &Analysis,
    acts: &Activations,
    class: usize,
    layer: usize,
    step: &mut dyn FnMut(usize) -> bool,
) -> Result<Option<Array3<f32>>, MapError> {
    let h = head(net, analysis)?;
    if class >= h.classes {
        return Err(MapError::Class { class, classes: h.classes });
    }
    let dims = analysis.layers[h.logits].dims.clone();
    let mut seed = ArrayD::<f32>::zeros(IxDyn(&dims));
    // The class vector's one axis above 1 holds the classes: flat index = class.
    if let Some(v) = seed.as_slice_mut() {
        v[class] = 1.0;
    }
    let Some(g) = backward(net, analysis, acts, h.logits, seed, Src::Layer(layer), step)? else {
        return Ok(None);
    };
    let gl = g.layers[layer]
        .clone()
        .unwrap_or_else(|| ArrayD::zeros(IxDyn(&analysis.layers[layer].dims)));
    let t = Tensor::F32(gl.into_shared());
    Ok(Some(analysis.layers[layer].view.apply(&t).to_owned()))
}

/// Grad-CAM of `class` at `layer`.
///
/// # Errors
/// A layer that is not a volume, a path with no backward (named), not a classifier.
pub fn gradcam(
    net: &Network,
    analysis: &Analysis,
    acts: &Activations,
    class: usize,
    layer: usize,
    step: &mut dyn FnMut(usize) -> bool,
) -> Result<Option<ClassMap>, MapError> {
    let info = &analysis.layers[layer];
    if !info.view.is_volume() {
        return Err(MapError::NotVolume {
            layer: net.layers[layer].name.clone(),
            shape: crate::nn::tensor::dims_text(&info.dims),
        });
    }
    let Some(g) = logit_gradient(net, analysis, acts, class, layer, step)? else { return Ok(None) };
    let a = volume(net, analysis, acts, Src::Layer(layer));
    let (_, rows, cols) = a.dim();
    let n = (rows * cols).max(1) as f64;
    let alpha: Vec<f32> = g
        .axis_iter(Axis(0))
        .map(|p| (p.iter().map(|&v| f64::from(v)).sum::<f64>() / n) as f32)
        .collect();
    let map = super::weighted_sum(&a, &alpha);
    let h = head(net, analysis)?;
    let logits = acts.output(h.logits).floats();
    let probs = softmax(&logits);
    Ok(Some(ClassMap {
        method: Method::GradCam,
        class,
        layer: Some(layer),
        map,
        weights: alpha,
        volume: Some(a),
        logit: logits[class],
        prob: probs[class],
        bias: 0.0,
        occlusion: None,
    }))
}
