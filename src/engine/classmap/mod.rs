//! Class maps: where on the photo a classifier's evidence for one class lies.
//!
//! - [`cam`]: CAM, exact when the head is global average pool → fc:
//!   `M_c = Σ_k w_ck·A_k` over the last conv volume `A` (`mean(M_c) + b_c` is the logit);
//! - [`gradcam`]: Grad-CAM at any volume layer: `α_k = mean_{h,w} ∂y_c/∂A_k` (`y_c` the class's
//!   logit, before any softmax), `M = Σ_k α_k·A_k` (the `.npy` keeps it before its ReLU);
//! - [`occlusion`]: forward-only; a `P × P` patch slides with stride `S` over the input volume and
//!   cell `(i, j)` is `p_c(image) − p_c(image with the patch at (i·S, j·S))`.
//!
//! Every map is at its own resolution with its raw values; the overlay upsamples it to the
//! photo and says so.

mod cam;
mod gradcam;
mod head;
mod occlusion;
pub mod overlay;
mod pick;
#[cfg(test)]
mod tests;

pub use cam::cam;
pub use gradcam::gradcam;
pub use head::{CamHead, Head, cam_head, head};
pub use occlusion::{Occlusion, occlusion};
pub use pick::{compute, default_layer, parse_class};

use ndarray::Array2;

/// How a class map is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
pub enum Method {
    Cam,
    #[value(name = "gradcam")]
    GradCam,
    Occlusion,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Cam => "CAM",
            Method::GradCam => "Grad-CAM",
            Method::Occlusion => "occlusion",
        }
    }

    pub fn next(self) -> Method {
        match self {
            Method::Cam => Method::GradCam,
            Method::GradCam => Method::Occlusion,
            Method::Occlusion => Method::Cam,
        }
    }
}

/// Why a class map cannot be made.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MapError {
    #[error("{0}")]
    NotClassifier(String),
    #[error("CAM needs a global average pool → fc head: {0}")]
    NoCamHead(String),
    #[error("class {class} is out of range (the last layer has {classes} values)")]
    Class { class: usize, classes: usize },
    #[error("layer '{layer}' is {shape}, not a volume: Grad-CAM needs H × W × K")]
    NotVolume { layer: String, shape: String },
    #[error(transparent)]
    Backward(#[from] crate::nn::backward::BackError),
    #[error(transparent)]
    Forward(#[from] crate::nn::LayerError),
    #[error("occlusion patch {patch} with stride {stride} does not fit a {h}×{w} input")]
    Patch { patch: usize, stride: usize, h: usize, w: usize },
}

/// One channel's share of a map cell: `weight·A_k[r, c]`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Term {
    pub channel: usize,
    pub weight: f32,
    pub activation: f32,
}

impl Term {
    pub fn value(&self) -> f32 {
        self.weight * self.activation
    }
}

/// A class map and what it is made of.
#[derive(Clone, Debug)]
pub struct ClassMap {
    pub method: Method,
    pub class: usize,
    /// The layer whose volume the map is made from (the occlusion grid has none).
    pub layer: Option<usize>,
    /// `(rows, cols)`: the raw map (no ReLU, no normalisation).
    pub map: Array2<f32>,
    /// Per channel: `w_ck` for CAM, `α_k` for Grad-CAM.
    pub weights: Vec<f32>,
    /// The volume the weights multiply, `(K, H, W)` (CAM and Grad-CAM).
    pub volume: Option<ndarray::Array3<f32>>,
    /// The class's logit and softmax probability on the unchanged image.
    pub logit: f32,
    pub prob: f32,
    /// CAM: the fc bias `b_c` (so `mean(map) + b_c` is the logit).
    pub bias: f32,
    /// Occlusion: the patch, the stride, the fill, and the grid formula with its numbers.
    pub occlusion: Option<Occlusion>,
}

impl ClassMap {
    /// The top `n` channels of cell `(r, c)` by `|weight·A_k|`, largest first.
    pub fn terms(&self, r: usize, c: usize, n: usize) -> Vec<Term> {
        let Some(v) = &self.volume else { return Vec::new() };
        let mut t: Vec<Term> = self
            .weights
            .iter()
            .enumerate()
            .filter_map(|(k, &w)| {
                v.get([k, r, c]).map(|&a| Term { channel: k, weight: w, activation: a })
            })
            .collect();
        t.sort_by(|a, b| b.value().abs().total_cmp(&a.value().abs()));
        t.truncate(n);
        t
    }

    /// How the map was computed, in one line with its numbers.
    pub fn describe(&self, net: &crate::nn::Network) -> String {
        let (h, w) = self.map.dim();
        let at = |i: Option<usize>| i.map_or_else(String::new, |i| net.layers[i].name.clone());
        match self.method {
            Method::Cam => format!(
                "CAM: M = Σ_k w[c,k]·A_k over '{}' ({h}×{w}×{}), fc row of class {}",
                at(self.layer),
                self.weights.len(),
                self.class
            ),
            Method::GradCam => format!(
                "Grad-CAM at '{}' ({h}×{w}×{}): α_k = mean ∂logit/∂A_k, M = Σ_k α_k·A_k",
                at(self.layer),
                self.weights.len()
            ),
            Method::Occlusion => self.occlusion.as_ref().map_or_else(String::new, |o| o.formula()),
        }
    }
}

/// `Σ_k w_k·A_k` over the channels of a `(K, H, W)` volume.
pub(crate) fn weighted_sum(a: &ndarray::Array3<f32>, w: &[f32]) -> Array2<f32> {
    let (_, rows, cols) = a.dim();
    let mut map = Array2::<f32>::zeros((rows, cols));
    for (plane, &wk) in a.axis_iter(ndarray::Axis(0)).zip(w) {
        map.scaled_add(wk, &plane);
    }
    map
}

/// Softmax probabilities of a logit vector.
pub(crate) fn softmax(x: &[f32]) -> Vec<f32> {
    crate::model::classes::softmax(x)
}
