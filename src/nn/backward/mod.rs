//! The backward pass: the gradient of one scalar (a class score) with respect to every layer's
//! output, by the chain rule through convscope's own layers, from the score back to a chosen
//! layer.
//!
//! Only gradients with respect to *activations* are computed (Grad-CAM and saliency need no
//! weight gradients). Each layer kind has a vector-Jacobian product in [`layer`]: given the
//! layer's inputs, its output and `∂s/∂y`, it returns `∂s/∂x` for each runtime input. Every one
//! of them is checked against central finite differences in `tests.rs`.
//!
//! A layer on the path from the chosen layer to the score whose op has no backward stops the pass
//! with [`BackError::NoBackward`], which names the layer and the op; [`path_check`] finds that
//! layer before any work is done.

mod broadcast;
mod conv;
mod dense;
mod elementwise;
pub mod layer;
mod norm;
mod pool;
mod route;
#[cfg(test)]
mod tests;

use super::analysis::Analysis;
use super::forward::Activations;
use super::layer::Src;
use super::network::Network;
use ndarray::ArrayD;

pub use broadcast::sum_to;

/// Why a gradient cannot be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BackError {
    /// A layer between the chosen layer and the score has an op without a backward pass.
    #[error("layer '{layer}' ({op}) has no backward pass: {why}")]
    NoBackward { layer: String, op: String, why: String },
    /// A layer on the path was not computed (it depends on an op convscope does not run).
    #[error("layer '{layer}' is not computed, so nothing can flow back through it")]
    NotComputed { layer: String },
    /// The seed does not fit the layer it is for.
    #[error("the gradient seed {got:?} does not match layer '{layer}' {want:?}")]
    Seed { layer: String, got: Vec<usize>, want: Vec<usize> },
    /// The chosen layer does not feed the score.
    #[error("layer '{layer}' does not feed '{score}': the score does not depend on it")]
    Unreachable { layer: String, score: String },
}

/// Gradients of one scalar with respect to layer outputs.
#[derive(Clone, Debug)]
pub struct Grads {
    /// `layers[i]`: `∂s/∂(output of layer i)`, for the layers the pass reached (from the target
    /// layer to the seed); `None` elsewhere (outside the range, or not on any path to the seed).
    pub layers: Vec<Option<ArrayD<f32>>>,
    /// `∂s/∂input`, when the pass was asked to go all the way back.
    pub input: Option<ArrayD<f32>>,
}

impl Grads {
    pub fn get(&self, s: Src) -> Option<&ArrayD<f32>> {
        match s {
            Src::Input => self.input.as_ref(),
            Src::Layer(i) => self.layers.get(i)?.as_ref(),
        }
    }
}

/// The layers that lie on a path from `target` to layer `seed` (both included), as a mask.
pub fn on_path(net: &Network, target: Src, seed: usize) -> Vec<bool> {
    let n = net.layers.len();
    // Descendants of the target…
    let mut down = vec![false; n];
    for (i, l) in net.layers.iter().enumerate().take(seed + 1) {
        down[i] = Src::Layer(i) == target
            || l.inputs.iter().any(|&s| s == target || matches!(s, Src::Layer(j) if down[j]));
    }
    // …that are ancestors of the seed.
    let mut up = vec![false; n];
    if seed < n {
        up[seed] = true;
    }
    for i in (0..=seed.min(n.saturating_sub(1))).rev() {
        if up[i] {
            for s in &net.layers[i].inputs {
                if let Src::Layer(j) = *s {
                    up[j] = true;
                }
            }
        }
    }
    (0..n).map(|i| down[i] && up[i]).collect()
}

/// Check that a gradient can flow from layer `seed` back to `target` before computing anything:
/// the first layer on the path (nearest the score first) without a backward pass.
///
/// # Errors
/// [`BackError::NoBackward`] / [`BackError::NotComputed`] for the layer nearest the score, or
/// [`BackError::Unreachable`] when the target does not feed the seed.
pub fn path_check(
    net: &Network,
    analysis: &Analysis,
    target: Src,
    seed: usize,
) -> Result<(), BackError> {
    let mask = on_path(net, target, seed);
    let reaches = match target {
        Src::Layer(t) => mask.get(t).copied().unwrap_or(false),
        Src::Input => mask.iter().any(|&m| m),
    };
    if !reaches {
        return Err(BackError::Unreachable {
            layer: net.src_name(target).to_string(),
            score: net.layers.get(seed).map_or_else(String::new, |l| l.name.clone()),
        });
    }
    for i in (0..=seed).rev() {
        // The target's own op does not need a backward: its output is where the pass stops.
        if !mask[i] || Src::Layer(i) == target {
            continue;
        }
        let l = &net.layers[i];
        if !analysis.layers[i].computed() {
            return Err(BackError::NotComputed { layer: l.name.clone() });
        }
        if let Some(why) = layer::unsupported(l) {
            return Err(BackError::NoBackward {
                layer: l.name.clone(),
                op: l.kind.type_name().into(),
                why,
            });
        }
    }
    Ok(())
}

/// Back-propagate `seed_grad` (`∂s/∂y` of layer `seed`, of its dims) down to `target`: on
/// return, `grads.get(target)` is `∂s/∂target`.
///
/// `step(i)` is called before layer `i`'s backward; `false` cancels (`Ok(None)`).
///
/// # Errors
/// As [`path_check`], and a seed of the wrong dims.
pub fn backward(
    net: &Network,
    analysis: &Analysis,
    acts: &Activations,
    seed: usize,
    seed_grad: ArrayD<f32>,
    target: Src,
    step: &mut dyn FnMut(usize) -> bool,
) -> Result<Option<Grads>, BackError> {
    let want = &analysis.layers[seed].dims;
    if seed_grad.shape() != want.as_slice() {
        return Err(BackError::Seed {
            layer: net.layers[seed].name.clone(),
            got: seed_grad.shape().to_vec(),
            want: want.clone(),
        });
    }
    path_check(net, analysis, target, seed)?;
    let mask = on_path(net, target, seed);
    let mut grads = Grads { layers: vec![None; net.layers.len()], input: None };
    grads.layers[seed] = Some(seed_grad);
    let stop = match target {
        Src::Layer(t) => t,
        Src::Input => 0,
    };
    for i in (stop..=seed).rev() {
        if Src::Layer(i) == target {
            break;
        }
        if !mask[i] {
            grads.layers[i] = None;
            continue;
        }
        let Some(gy) = grads.layers[i].take() else { continue };
        if !step(i) {
            return Ok(None);
        }
        let l = &net.layers[i];
        let xs: Vec<&super::tensor::Tensor> = l.inputs.iter().map(|&s| acts.get(s)).collect();
        let gxs = layer::vjp(l, &analysis.layers[i], &xs, acts.output(i), &gy)?;
        for (src, gx) in l.inputs.iter().zip(gxs) {
            let Some(gx) = gx else { continue };
            let gx =
                if gx.is_standard_layout() { gx } else { gx.as_standard_layout().into_owned() };
            let on = match *src {
                Src::Layer(j) => mask[j] || *src == target,
                Src::Input => target == Src::Input,
            };
            if !on {
                continue;
            }
            let slot = match *src {
                Src::Layer(j) => &mut grads.layers[j],
                Src::Input => &mut grads.input,
            };
            match slot {
                Some(acc) => *acc += &gx,
                None => *slot = Some(gx),
            }
        }
        // Keep the seed's and the target's gradients; free the ones in between.
        if i != seed {
            grads.layers[i] = None;
        } else {
            grads.layers[i] = Some(gy);
        }
    }
    Ok(Some(grads))
}
