//! Scans and their patches off the UI thread, on a latest-wins runner of their own.

use super::runner::{Job, Runner};
use super::scan::{self, Hit, Scan};
use crate::nn::Network;
use crate::nn::analysis::Analysis;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum ScanRequest {
    /// Scan `dir` for every volume layer, `k` hits per channel (the cache answers when it can).
    Scan { net: Arc<Network>, analysis: Arc<Analysis>, dir: PathBuf, k: usize },
    /// The receptive-field crops of channel `d` of `layer`'s hits.
    Patches { net: Arc<Network>, analysis: Arc<Analysis>, scan: Arc<Scan>, layer: usize, d: usize },
}

/// One patch: the hit, and its crop or why it has none.
pub type Patch = (Hit, Result<Arc<image::RgbImage>, String>);

#[derive(Debug)]
pub enum ScanReply {
    Progress { job: u64, done: usize, total: usize, secs: f64 },
    Scanned { job: u64, scan: Arc<Scan>, secs: f64 },
    Patches { job: u64, layer: usize, d: usize, patches: Vec<Patch> },
    Failed { job: u64, error: String },
}

impl ScanReply {
    pub fn job(&self) -> u64 {
        match self {
            ScanReply::Progress { job, .. }
            | ScanReply::Scanned { job, .. }
            | ScanReply::Patches { job, .. }
            | ScanReply::Failed { job, .. } => *job,
        }
    }
}

/// The largest side of a patch, in pixels.
pub const PATCH_MAX: u32 = 128;

pub fn execute(job: Job, req: ScanRequest, send: &dyn Fn(ScanReply)) {
    let id = job.id;
    match req {
        ScanRequest::Scan { net, analysis, dir, k } => {
            let t0 = std::time::Instant::now();
            let layers = scan::volume_layers(&analysis);
            let mut progress = |done, total| {
                send(ScanReply::Progress {
                    job: id,
                    done,
                    total,
                    secs: t0.elapsed().as_secs_f64(),
                });
                job.is_current()
            };
            match scan::scan(&net, &analysis, &dir, &layers, k, &mut progress) {
                Ok(Some(s)) => send(ScanReply::Scanned {
                    job: id,
                    scan: Arc::new(s),
                    secs: t0.elapsed().as_secs_f64(),
                }),
                Ok(None) => {}
                Err(error) => send(ScanReply::Failed { job: id, error }),
            }
        }
        ScanRequest::Patches { net, analysis, scan, layer, d } => {
            let hits = scan.layer(layer).and_then(|l| l.top.get(d)).cloned().unwrap_or_default();
            let mut patches = Vec::new();
            for h in hits {
                if !job.is_current() {
                    return;
                }
                let p = scan::patches::patch(&net, &analysis, &scan, layer, &h, PATCH_MAX)
                    .map(Arc::new);
                patches.push((h, p));
            }
            send(ScanReply::Patches { job: id, layer, d, patches });
        }
    }
}

pub fn spawn(send: impl Fn(ScanReply) + Send + 'static) -> Runner<ScanRequest> {
    Runner::spawn(
        "convscope-scan",
        |job: Job, req: ScanRequest, send: &dyn Fn(ScanReply)| execute(job, req, send),
        |job, msg| ScanReply::Failed { job, error: format!("the scan failed inside: {msg}") },
        send,
    )
}
