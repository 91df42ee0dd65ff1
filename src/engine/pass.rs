//! The forward pass off the UI thread: load a model's weights and run it, or recompute from a
//! layer after an edit. Each job checks the memory budget before it allocates, reports progress
//! layer by layer, and stops early when a newer job supersedes it.

use super::results::Results;
use super::runner::{Job, Runner};
use super::stats::VolStats;
use crate::model::{self, WeightMode, image_input};
use crate::nn::analysis::{Analysis, analyze};
use crate::nn::forward::{Kept, Views, forward_from_with};
use crate::nn::{Network, Tensor, View3, budget};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// What to compute.
#[derive(Clone, Debug)]
pub enum Task {
    /// Make the network ready to run (its weights), build the input, and run the whole pass.
    /// `net` is the network as parsed for the first frame: when it already has every weight
    /// (an ONNX model, a spec of files) it is used as it is, else `model` is loaded again with
    /// its generated weights.
    Load { model: String, net: Option<Arc<Network>>, image: Option<Image> },
    /// Recompute layers `from..` of `net` on `input`, reusing `prev[..from]`, their views and
    /// their statistics (both input first) (live editing).
    Recompute {
        net: Arc<Network>,
        analysis: Arc<Analysis>,
        input: Tensor,
        prev: Vec<Kept>,
        prev_views: Vec<View3>,
        prev_stats: Vec<VolStats>,
        from: usize,
    },
}

/// A photo already opened and checked (before the terminal was set up), with its file name.
#[derive(Clone, Debug)]
pub struct Image {
    pub path: PathBuf,
    pub photo: Arc<image::DynamicImage>,
}

/// What a job reports, each tagged with its job id.
#[derive(Debug)]
pub enum Reply {
    /// The model is loaded with its weights and the input is ready.
    Loaded {
        job: u64,
        net: Arc<Network>,
        analysis: Arc<Analysis>,
        input: Tensor,
        input_label: String,
        photo: Option<Arc<image::RgbImage>>,
    },
    /// Layer `layer` (0-based) of `total` is being computed.
    Progress {
        job: u64,
        layer: usize,
        total: usize,
        name: String,
    },
    Done {
        job: u64,
        results: Arc<Results>,
    },
    Failed {
        job: u64,
        error: String,
    },
}

impl Reply {
    pub fn job(&self) -> u64 {
        match self {
            Reply::Loaded { job, .. }
            | Reply::Progress { job, .. }
            | Reply::Done { job, .. }
            | Reply::Failed { job, .. } => *job,
        }
    }
}

/// The worker thread: replies come back through `send`.
pub fn spawn(send: impl Fn(Reply) + Send + 'static) -> Runner<Task> {
    Runner::spawn(
        "convscope-worker",
        |job: Job, task: Task, send: &dyn Fn(Reply)| {
            if let Err(error) = execute(job, task, send) {
                send(Reply::Failed { job: job.id, error });
            }
        },
        |job, msg| Reply::Failed { job, error: format!("the pass failed inside: {msg}") },
        send,
    )
}

/// Whether every layer that needs weights has them.
pub fn has_weights(net: &Network) -> bool {
    use crate::nn::{LayerKind, Weights};
    net.layers.iter().all(|l| match l.kind {
        LayerKind::Conv(_)
        | LayerKind::Fc { .. }
        | LayerKind::Prelu
        | LayerKind::BatchNorm { .. } => l.weights != Weights::None,
        _ => true,
    })
}

/// Run one job, sending its replies; stops early (silently) when a newer job supersedes it.
///
/// # Errors
/// A model that does not load, a pass over the memory budget, or a layer that fails; the
/// message says which.
pub fn execute(job: Job, task: Task, send: &dyn Fn(Reply)) -> Result<(), String> {
    let id = job.id;
    if std::env::var_os("CONVSCOPE_TEST_PANIC").is_some_and(|v| v == "pass") {
        // A test hook: the PTY tests check that a panicking job leaves the explorer running.
        panic!("injected by CONVSCOPE_TEST_PANIC=pass");
    }
    let (net, analysis, input, prev, mut views, mut stats, from) = match task {
        Task::Load { model, net, image } => {
            let net = match net {
                Some(n) if has_weights(&n) => n,
                _ => Arc::new(model::load(&model, WeightMode::Full).map_err(|e| e.to_string())?),
            };
            let analysis = Arc::new(analyze(&net).map_err(|e| e.to_string())?);
            let (input, label, photo) = match image {
                Some(img) => {
                    let (v, src) = image_input::input_from_photo(&net, &img.photo, &img.path);
                    (v, src.label, src.photo)
                }
                None => {
                    let (v, src) =
                        image_input::load_input(&net, None, None).map_err(|e| e.to_string())?;
                    (v, src.label, src.photo)
                }
            };
            send(Reply::Loaded {
                job: id,
                net: net.clone(),
                analysis: analysis.clone(),
                input: input.clone(),
                input_label: label,
                photo: photo.map(Arc::new),
            });
            (net, analysis, input, Vec::new(), Vec::new(), Vec::new(), 0)
        }
        Task::Recompute { net, analysis, input, prev, prev_views, prev_stats, from } => {
            (net, analysis, input, prev, prev_views, prev_stats, from)
        }
    };
    let pass = || format!("one pass of {} (weights and every volume)", net.name);
    budget::check(pass, analysis.pass_bytes()).map_err(|e| e.to_string())?;
    let total = net.layers.len();
    let t0 = Instant::now();
    let mut step = |i: usize| {
        if !job.is_current() {
            return false;
        }
        let name = net.layers[i].name.clone();
        send(Reply::Progress { job: id, layer: i, total, name });
        true
    };
    let acts = forward_from_with(&net, &analysis, input, &prev, from, &mut step, Views::Eager)
        .map_err(|e| e.to_string())?;
    let Some(acts) = acts else { return Ok(()) }; // superseded: say nothing
    let elapsed = t0.elapsed();
    // Volumes above the edit kept their numbers, so their views and statistics are kept too.
    views.truncate(from + 1);
    stats.truncate(from + 1);
    let done = views.len().min(stats.len());
    views.truncate(done);
    stats.truncate(done);
    views.extend(super::results::views_of(&acts, &analysis, &net, done));
    stats.extend(views[done..].iter().map(|v| VolStats::of(&v.view())));
    let results = Results { net, acts, views, stats, elapsed };
    send(Reply::Done { job: id, results: Arc::new(results) });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_load_runs_the_whole_pass_and_a_newer_job_supersedes_it() {
        let (tx, rx) = mpsc::channel();
        let mut w = spawn(move |r| {
            let _ = tx.send(r);
        });
        let load = || Task::Load { model: "cs231n-numpy".into(), net: None, image: None };
        let first = w.submit(load());
        let second = w.submit(load());
        assert!(second > first);
        let results = loop {
            match rx.recv_timeout(Duration::from_secs(30)).expect("the worker answers") {
                Reply::Done { job, results } if job == second => break results,
                Reply::Failed { error, .. } => panic!("{error}"),
                _ => {}
            }
        };
        assert_eq!(results.net.name, "cs231n-numpy");
        assert_eq!(results.acts.output(0).dims(), [2, 4, 4]);
        assert_eq!(results.stats.len(), results.net.layers.len() + 1);
    }
}
