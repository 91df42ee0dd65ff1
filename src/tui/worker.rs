//! The forward pass off the UI thread (gitui's async pattern).
//!
//! Every job gets an id; submitting a job makes all older ones stale. A running pass checks
//! before each layer whether it is still the newest job and stops early when it is not, and the
//! app drops any reply whose id is not the one it waits for. The UI never blocks on a job.

use super::app::Results;
use super::stats::VolStats;
use crate::model::{self, WeightMode, image_input};
use crate::nn::analysis::{Analysis, analyze};
use crate::nn::forward::forward_from;
use crate::nn::{Network, Volume};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Instant;

/// What to compute.
#[derive(Clone, Debug)]
pub enum Task {
    /// Load the model with its weights, build the input, and run the whole pass.
    Load { model: String, image: Option<PathBuf> },
    /// Recompute layers `from..` of `net` on `input`, reusing `prev[..from]` and their
    /// statistics `prev_stats` (input first) (live editing).
    Recompute {
        net: Arc<Network>,
        analysis: Arc<Analysis>,
        input: Arc<Volume>,
        prev: Vec<Arc<Volume>>,
        prev_stats: Vec<VolStats>,
        from: usize,
    },
}

/// What a job reports, each tagged with its job id.
#[derive(Debug)]
pub enum Reply {
    /// The model is loaded with its weights and the input is ready.
    Loaded {
        job: u64,
        net: Arc<Network>,
        analysis: Arc<Analysis>,
        input: Arc<Volume>,
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

/// The handle the UI keeps: submit jobs; replies arrive through the sender given to `spawn`.
pub struct Worker {
    tx: Sender<(u64, Task)>,
    latest: Arc<AtomicU64>,
    next: u64,
}

impl Worker {
    /// Start the worker thread. `send` forwards each reply to the UI loop (and wakes it).
    pub fn spawn(send: impl Fn(Reply) + Send + 'static) -> Worker {
        let (tx, rx) = channel::<(u64, Task)>();
        let latest = Arc::new(AtomicU64::new(0));
        let l2 = latest.clone();
        std::thread::Builder::new()
            .name("convscope-worker".into())
            .spawn(move || run(rx, l2, send))
            .expect("spawning a thread only fails when the OS is out of resources");
        Worker { tx, latest, next: 0 }
    }

    /// Submit a task; every older job becomes stale. Returns the new job's id.
    pub fn submit(&mut self, task: Task) -> u64 {
        self.next += 1;
        let id = self.next;
        self.latest.store(id, Ordering::SeqCst);
        // A send fails only when the worker thread has died; the UI then simply gets no reply.
        let _ = self.tx.send((id, task));
        id
    }
}

fn run(rx: Receiver<(u64, Task)>, latest: Arc<AtomicU64>, send: impl Fn(Reply)) {
    while let Ok(mut job) = rx.recv() {
        // Only the newest queued job matters.
        while let Ok(newer) = rx.try_recv() {
            job = newer;
        }
        let (id, task) = job;
        if latest.load(Ordering::SeqCst) != id {
            continue;
        }
        if let Err(error) = execute(id, task, &latest, &send) {
            send(Reply::Failed { job: id, error });
        }
    }
}

/// Run one job, sending its replies; stops early (silently) when `latest` moves past `id`.
///
/// # Errors
/// A model that does not load or a layer that fails; the message says which.
pub fn execute(
    id: u64,
    task: Task,
    latest: &AtomicU64,
    send: &impl Fn(Reply),
) -> Result<(), String> {
    let (net, analysis, input, prev, mut stats, from) = match task {
        Task::Load { model, image } => {
            let net = model::load(&model, WeightMode::Full).map_err(|e| format!("{e}"))?;
            let analysis = analyze(&net).map_err(|e| e.to_string())?;
            let (input, source) = image_input::load_input(&net, image.as_deref(), None)
                .map_err(|e| format!("{e}"))?;
            let (net, analysis, input) = (Arc::new(net), Arc::new(analysis), Arc::new(input));
            send(Reply::Loaded {
                job: id,
                net: net.clone(),
                analysis: analysis.clone(),
                input: input.clone(),
                input_label: source.label,
                photo: source.photo.map(Arc::new),
            });
            (net, analysis, input, Vec::new(), Vec::new(), 0)
        }
        Task::Recompute { net, analysis, input, prev, prev_stats, from } => {
            (net, analysis, input, prev, prev_stats, from)
        }
    };
    let total = net.layers.len();
    let t0 = Instant::now();
    let mut step = |i: usize| {
        if latest.load(Ordering::SeqCst) != id {
            return false;
        }
        let name = net.layers[i].name.clone();
        send(Reply::Progress { job: id, layer: i, total, name });
        true
    };
    let acts =
        forward_from(&net, &analysis, input, &prev, from, &mut step).map_err(|e| e.to_string())?;
    let Some(acts) = acts else { return Ok(()) }; // superseded: say nothing
    let elapsed = t0.elapsed();
    // Volumes above the edit kept their numbers, so their statistics are kept too.
    stats.truncate(from + 1);
    let done = stats.len();
    let all = std::iter::once(&acts.input).chain(acts.outputs.iter());
    stats.extend(all.skip(done).map(|v| VolStats::of(v)));
    send(Reply::Done { job: id, results: Arc::new(Results { net, acts, stats, elapsed }) });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::testing;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_newer_job_supersedes_an_older_one() {
        let (tx, rx) = mpsc::channel();
        let mut w = Worker::spawn(move |r| {
            let _ = tx.send(r);
        });
        let load = || Task::Load { model: "cs231n-numpy".into(), image: None };
        let first = w.submit(load());
        let second = w.submit(load());
        assert!(second > first);
        let mut app = testing::alexnet_shapes();
        app.expect_job(second);
        loop {
            let r = rx.recv_timeout(Duration::from_secs(30)).expect("the worker answers");
            let done = matches!(&r, Reply::Done { job, .. } if *job == second);
            app.apply(r);
            if done {
                break;
            }
        }
        // The second job's network replaced the shapes-only AlexNet, and its pass is shown.
        assert_eq!(app.net.name, "cs231n-numpy");
        let out = app.volume(crate::nn::Src::Layer(0)).expect("conv1 is computed");
        assert_eq!(out.dim(), (2, 4, 4));
    }

    #[test]
    fn stale_replies_are_dropped() {
        let mut app = testing::numpy_app();
        app.expect_job(7);
        app.apply(Reply::Failed { job: 6, error: "old".into() });
        app.apply(Reply::Progress { job: 6, layer: 0, total: 1, name: "conv1".into() });
        assert_eq!((app.error.as_deref(), app.progress.is_none()), (None, true));
        app.apply(Reply::Failed { job: 7, error: "bad input".into() });
        assert_eq!(app.error.as_deref(), Some("bad input"));
    }
}
