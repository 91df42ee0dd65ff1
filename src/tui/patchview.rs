//! The patches view (`p`): what drives channel d of the selected layer across a folder of
//! photos. Opening it starts the scan on its own worker (or reads the cache); each new layer or
//! d asks the worker for that channel's receptive-field crops.

use super::app::{App, Effect};
use crate::engine::scan::Scan;
use crate::engine::scanjob::{Patch, ScanReply, ScanRequest};
use crate::nn::Src;
use std::path::PathBuf;
use std::sync::Arc;

/// Hits kept per channel.
pub const TOP: usize = 9;

#[derive(Debug, Default)]
pub struct PatchView {
    /// The folder scanned: `--scan`, else the photo's folder.
    pub dir: Option<PathBuf>,
    pub scan: Option<Arc<Scan>>,
    pub secs: f64,
    /// Photos done of total, and seconds so far, while the scan runs.
    pub progress: Option<(usize, usize, f64)>,
    pub error: Option<String>,
    /// The patches shown: for (layer, d).
    pub patches: Option<(usize, usize, Vec<Patch>)>,
    /// Bumped with every new set of patches (the raster cache keys on it).
    pub serial: u64,
    job: u64,
    /// What the newest request is for: the scan of a network, or the patches of (layer, d).
    scanned_for: Option<usize>,
    asked: Option<(usize, usize)>,
}

impl App {
    pub fn set_scan_dir(&mut self, dir: Option<PathBuf>) {
        self.patch_mut().dir = dir;
    }

    /// Ask for the scan, or for the selected channel's patches, when the view needs them.
    pub(super) fn refresh_patches(&mut self) {
        if self.view() != super::state::View::Patches || !self.pass_is_current() {
            return;
        }
        let Some(dir) = self.patch_view().dir.clone() else { return };
        let net = self.net().clone();
        let analysis = self.analysis().clone();
        // A new network (an edit) needs a new scan: its layers are other layers.
        let net_id = Arc::as_ptr(&net) as usize;
        if self.patch_view().scanned_for != Some(net_id) {
            let id = self.patch_view().job + 1;
            let pv = self.patch_mut();
            pv.job = id;
            pv.scanned_for = Some(net_id);
            pv.scan = None;
            pv.patches = None;
            pv.asked = None;
            pv.error = None;
            pv.progress = Some((0, 0, 0.0));
            let req = ScanRequest::Scan { net, analysis, dir, k: TOP };
            self.push_effect(Effect::Scan { id, req: Box::new(req) });
            return;
        }
        let Some(scan) = self.patch_view().scan.clone() else { return };
        let Src::Layer(layer) = self.sel() else { return };
        let want = (layer, self.d());
        if self.patch_view().asked == Some(want) || scan.layer(layer).is_none() {
            return;
        }
        let id = self.patch_view().job + 1;
        let pv = self.patch_mut();
        pv.job = id;
        pv.asked = Some(want);
        let req = ScanRequest::Patches { net, analysis, scan, layer, d: want.1 };
        self.push_effect(Effect::Scan { id, req: Box::new(req) });
    }

    pub(super) fn scan_reply(&mut self, r: ScanReply) {
        if r.job() != self.patch_view().job {
            return;
        }
        let pv = self.patch_mut();
        match r {
            ScanReply::Progress { done, total, secs, .. } => {
                pv.progress = Some((done, total, secs))
            }
            ScanReply::Scanned { scan, secs, .. } => {
                pv.scan = Some(scan);
                pv.secs = secs;
                pv.progress = None;
            }
            ScanReply::Patches { layer, d, patches, .. } => {
                pv.patches = Some((layer, d, patches));
                pv.serial += 1;
            }
            ScanReply::Failed { error, .. } => {
                pv.error = Some(error);
                pv.progress = None;
            }
        }
    }
}
