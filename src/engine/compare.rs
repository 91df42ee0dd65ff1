//! Two inputs (or two models of the same graph shape) side by side: how far their volumes part,
//! layer by layer — the cosine distance `1 − a·b/(|a||b|)` and `max |a − b|` — off the UI thread.

use super::pass::Image;
use super::results::{Results, views_of};
use super::runner::{Job, Runner};
use super::stats::VolStats;
use crate::model::{self, WeightMode, image_input};
use crate::nn::analysis::{Analysis, analyze};
use crate::nn::forward::forward;
use crate::nn::tensor::dims_text;
use crate::nn::{Network, View3};
use std::sync::Arc;
use std::time::Instant;

/// How far one volume is from its counterpart.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct LayerDiff {
    /// `1 − cos`: 0 for the same direction, 1 for orthogonal, 2 for opposite.
    pub cosine: f64,
    pub max_abs: f32,
}

/// The diff of two volumes of the same shape (`None` otherwise, or when one is not computed).
pub fn diff(a: &View3, b: &View3) -> Option<LayerDiff> {
    if a.dim() != b.dim() || a.is_empty() {
        return None;
    }
    let (mut dot, mut na, mut nb, mut max) = (0.0f64, 0.0f64, 0.0f64, 0.0f32);
    for (&x, &y) in a.iter().zip(b.iter()) {
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        dot += f64::from(x) * f64::from(y);
        na += f64::from(x) * f64::from(x);
        nb += f64::from(y) * f64::from(y);
        max = max.max((x - y).abs());
    }
    let cosine = if na == 0.0 && nb == 0.0 {
        0.0
    } else if na == 0.0 || nb == 0.0 {
        1.0
    } else {
        (1.0 - dot / (na.sqrt() * nb.sqrt())).max(0.0)
    };
    Some(LayerDiff { cosine, max_abs: max })
}

/// Per list row of `a` (the input first, then every layer): the diff with the row of `b` of the
/// same index when both ran one network (or two of one graph shape), else with `b`'s layer of the
/// same name (a quantised model has more nodes than its float original, but its main tensors
/// keep their names).
pub fn diffs(a: &Results, b: &Results) -> Vec<Option<LayerDiff>> {
    if Arc::ptr_eq(&a.net, &b.net) {
        return a.views.iter().zip(&b.views).map(|(x, y)| diff(x, y)).collect();
    }
    let row_b = |row: usize| -> Option<usize> {
        if row == 0 {
            return Some(0);
        }
        let name = &a.net.layers[row - 1].name;
        let i = b.net.layers.iter().position(|l| &l.name == name)?;
        Some(i + 1)
    };
    (0..a.views.len()).map(|row| diff(&a.views[row], b.views.get(row_b(row)?)?)).collect()
}

/// What to compare the pass with.
#[derive(Clone, Debug)]
pub enum Other {
    /// Another photo through the same network.
    Image(Image),
    /// Another model (a preset, spec or ONNX file) of the same graph shape, on the same input.
    Model(String),
}

impl Other {
    pub fn label(&self) -> String {
        match self {
            Other::Image(img) => img.path.file_name().map_or_else(
                || img.path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            Other::Model(m) => m.clone(),
        }
    }
}

/// Check that `b` has `a`'s graph shape: as many layers, each of the same output dims.
///
/// # Errors
/// The first layer that differs, named in both.
pub fn same_shape(a: &Network, aa: &Analysis, b: &Network, ab: &Analysis) -> Result<(), String> {
    if a.input.dims != b.input.dims {
        return Err(format!(
            "{} takes {}, {} takes {}: not the same graph shape",
            b.name,
            dims_text(&b.input.dims),
            a.name,
            dims_text(&a.input.dims)
        ));
    }
    if a.layers.len() != b.layers.len() {
        return Err(format!(
            "{} has {} layers, {} has {}: not the same graph shape",
            b.name,
            b.layers.len(),
            a.name,
            a.layers.len()
        ));
    }
    for (i, (x, y)) in aa.layers.iter().zip(&ab.layers).enumerate() {
        if x.dims != y.dims {
            return Err(format!(
                "{}: layer {i} '{}' is {}, in {} '{}' is {}: not the same graph shape",
                b.name,
                b.layers[i].name,
                dims_text(&y.dims),
                a.name,
                a.layers[i].name,
                dims_text(&x.dims)
            ));
        }
    }
    Ok(())
}

/// Run the other pass. With the same graph shape its results carry `a`'s network, so layers
/// match by index; another model of other shapes keeps its own, and layers match by name.
///
/// # Errors
/// A model that does not load, takes another input or shares no layer name, or a pass that
/// fails.
pub fn run_other(a: &Results, analysis: &Analysis, other: &Other) -> Result<Results, String> {
    let t0 = Instant::now();
    let (net_b, input) = match other {
        Other::Image(img) => {
            let (x, _) = image_input::input_from_photo(&a.net, &img.photo, &img.path);
            (a.net.clone(), x)
        }
        Other::Model(m) => {
            // A model that leaves its size open takes A's; a fixed one keeps its own.
            let s = a.net.input.shape;
            let opts = model::LoadOptions { size: Some((s.h, s.w)), ..Default::default() };
            let net = model::load_with(m, WeightMode::Full, &opts)
                .or_else(|_| model::load(m, WeightMode::Full))
                .map_err(|e| e.to_string())?;
            let an = analyze(&net).map_err(|e| e.to_string())?;
            if net.input.dims != a.net.input.dims {
                return Err(format!(
                    "{} takes {}, {} takes {}",
                    net.name,
                    dims_text(&net.input.dims),
                    a.net.name,
                    dims_text(&a.net.input.dims)
                ));
            }
            let net = Arc::new(net);
            let same = same_shape(&a.net, analysis, &net, &an).is_ok();
            if !same && !net.layers.iter().any(|l| a.net.find(&l.name).is_some()) {
                return Err(format!(
                    "{} shares no layer name with {} and has another graph shape ({})",
                    net.name,
                    a.net.name,
                    same_shape(&a.net, analysis, &net, &an).unwrap_err()
                ));
            }
            let shown = if same { a.net.clone() } else { net.clone() };
            return finish(&net, &an, a.acts.input.clone(), shown, t0);
        }
    };
    finish(&net_b, analysis, input, a.net.clone(), t0)
}

/// Run `net` on `input`; the results carry `shown` (the network whose layers they stand for).
fn finish(
    net: &Network,
    analysis: &Analysis,
    input: crate::nn::Tensor,
    shown: Arc<Network>,
    t0: Instant,
) -> Result<Results, String> {
    let acts = forward(net, input).map_err(|e| e.to_string())?;
    let views = views_of(&acts, analysis, net, 0);
    let stats = views.iter().map(|v| VolStats::of(&v.view())).collect();
    Ok(Results { net: shown, acts, views, stats, elapsed: t0.elapsed() })
}

#[derive(Clone, Debug)]
pub struct CompareRequest {
    pub a: Arc<Results>,
    pub analysis: Arc<Analysis>,
    pub other: Other,
}

#[derive(Debug)]
pub enum CompareReply {
    Done { job: u64, results: Arc<Results>, diffs: Vec<Option<LayerDiff>> },
    Failed { job: u64, error: String },
}

impl CompareReply {
    pub fn job(&self) -> u64 {
        match self {
            CompareReply::Done { job, .. } | CompareReply::Failed { job, .. } => *job,
        }
    }
}

pub fn execute(job: Job, req: CompareRequest, send: &dyn Fn(CompareReply)) {
    match run_other(&req.a, &req.analysis, &req.other) {
        Ok(b) => {
            if !job.is_current() {
                return;
            }
            let diffs = diffs(&req.a, &b);
            send(CompareReply::Done { job: job.id, results: Arc::new(b), diffs });
        }
        Err(error) => send(CompareReply::Failed { job: job.id, error }),
    }
}

pub fn spawn(send: impl Fn(CompareReply) + Send + 'static) -> Runner<CompareRequest> {
    Runner::spawn(
        "convscope-compare",
        |job: Job, req: CompareRequest, send: &dyn Fn(CompareReply)| execute(job, req, send),
        |job, msg| CompareReply::Failed {
            job,
            error: format!("the comparison failed inside: {msg}"),
        },
        send,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn cosine_distance_and_max_difference_of_two_volumes() {
        // a = (1, 0, 2), b = (2, 0, 4) point the same way: distance 0, max |Δ| 2.
        let v = |x: Vec<f32>| Array3::from_shape_vec((3, 1, 1), x).unwrap().into_shared();
        let d = diff(&v(vec![1.0, 0.0, 2.0]), &v(vec![2.0, 0.0, 4.0])).unwrap();
        assert!(d.cosine.abs() < 1e-12 && d.max_abs == 2.0, "{d:?}");
        // Orthogonal: 1; opposite: 2.
        assert!(
            (diff(&v(vec![1.0, 0.0, 0.0]), &v(vec![0.0, 3.0, 0.0])).unwrap().cosine - 1.0).abs()
                < 1e-12
        );
        assert!(
            (diff(&v(vec![1.0, 2.0, 0.0]), &v(vec![-1.0, -2.0, 0.0])).unwrap().cosine - 2.0).abs()
                < 1e-12
        );
        // a·b = 1·3 + 2·1 = 5, |a| = √5, |b| = √10: 1 − 5/√50.
        let d = diff(&v(vec![1.0, 2.0, 0.0]), &v(vec![3.0, 1.0, 0.0])).unwrap();
        assert!((d.cosine - (1.0 - 5.0 / 50f64.sqrt())).abs() < 1e-9 && d.max_abs == 2.0);
        // Other shapes, or a NaN placeholder: not comparable.
        assert!(diff(&v(vec![1.0, 2.0, 0.0]), &Array3::zeros((1, 3, 1)).into_shared()).is_none());
        assert!(diff(&v(vec![f32::NAN, 2.0, 0.0]), &v(vec![1.0, 2.0, 0.0])).is_none());
    }

    #[test]
    fn another_model_must_have_the_same_graph_shape() {
        let a = crate::model::load("alexnet", WeightMode::ShapesOnly).unwrap();
        let b = crate::model::load("vgg16", WeightMode::ShapesOnly).unwrap();
        let (aa, ab) = (analyze(&a).unwrap(), analyze(&b).unwrap());
        assert!(same_shape(&a, &aa, &a, &aa).is_ok());
        let e = same_shape(&a, &aa, &b, &ab).unwrap_err();
        assert!(e.contains("not the same graph shape"), "{e}");
    }
}
