//! Class maps off the UI thread: one latest-wins runner of its own, so a long occlusion scan
//! never holds up a forward pass (or the other way round). Occlusion reports each pass and stops
//! when a newer request supersedes it.

use super::classmap::{ClassMap, Method};
use super::results::Results;
use super::runner::{Job, Runner};
use crate::nn::analysis::Analysis;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One class map to compute on a finished pass.
#[derive(Clone, Debug)]
pub struct MapRequest {
    pub results: Arc<Results>,
    pub analysis: Arc<Analysis>,
    pub method: Method,
    pub class: usize,
    /// Grad-CAM's layer.
    pub layer: usize,
    /// Occlusion's patch, stride and fill.
    pub occlusion: (usize, usize, f32),
}

#[derive(Debug)]
pub enum MapReply {
    /// Occlusion: `done` of `total` passes.
    Progress {
        job: u64,
        done: usize,
        total: usize,
    },
    Done {
        job: u64,
        map: Arc<ClassMap>,
        elapsed: Duration,
    },
    Failed {
        job: u64,
        error: String,
    },
}

impl MapReply {
    pub fn job(&self) -> u64 {
        match self {
            MapReply::Progress { job, .. }
            | MapReply::Done { job, .. }
            | MapReply::Failed { job, .. } => *job,
        }
    }
}

/// Compute one map, sending its replies; says nothing when superseded.
pub fn execute(job: Job, req: MapRequest, send: &dyn Fn(MapReply)) {
    let t0 = Instant::now();
    let r = &req.results;
    let mut progress = |done: usize, total: usize| {
        send(MapReply::Progress { job: job.id, done, total });
        job.is_current()
    };
    let out = super::classmap::compute(
        &r.net,
        &req.analysis,
        &r.acts,
        req.method,
        req.class,
        req.layer,
        req.occlusion,
        &mut progress,
    );
    match out {
        Ok(Some(map)) => {
            send(MapReply::Done { job: job.id, map: Arc::new(map), elapsed: t0.elapsed() })
        }
        Ok(None) => {} // superseded
        Err(e) => send(MapReply::Failed { job: job.id, error: format!("{}: {e}", r.net.name) }),
    }
}

/// The class-map thread; replies come back through `send`.
pub fn spawn(send: impl Fn(MapReply) + Send + 'static) -> Runner<MapRequest> {
    Runner::spawn(
        "convscope-maps",
        |job: Job, req: MapRequest, send: &dyn Fn(MapReply)| execute(job, req, send),
        |job, msg| MapReply::Failed { job, error: format!("the class map failed inside: {msg}") },
        send,
    )
}
