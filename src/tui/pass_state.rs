//! The numbers on screen: the last finished pass, which of its outputs belong to the network on
//! screen, the pass in flight, and the job whose replies are wanted.
//!
//! After an edit the last finished pass is of an older network until the new pass ends: outputs
//! above the first changed layer are still right (same index), later ones are shown by name while
//! their shape still fits, dimmed ([`PassState::is_stale`]).

use super::state::Progress;
use crate::engine::pass::{Reply, Task};
use crate::engine::resume::first_difference;
use crate::engine::{Results, VolStats};
use crate::nn::analysis::Analysis;
use crate::nn::{Network, Shape3, Src, Tensor, View3};
use std::sync::Arc;

#[derive(Debug, Default)]
pub(super) struct PassState {
    pub results: Option<Arc<Results>>,
    /// `src_map[i]`: the index of layer i's output in `results` (by name after an edit, while
    /// the pass runs), `None` when `results` has no output of layer i's current shape.
    pub src_map: Vec<Option<usize>>,
    /// Layers from this index on show numbers of an older network until the pass ends.
    pub fresh_upto: usize,
    /// The network's input, once the model is loaded (edits recompute from it).
    pub input: Option<Tensor>,
    /// What the input is, e.g. `chelsea.png → 227×227×3`.
    pub input_label: String,
    /// The photo as it entered the network (after crop and resize), when it was a photo.
    pub photo: Option<Arc<image::RgbImage>>,
    /// The photo as the user gave it, to make the input again when its size is edited.
    pub image: Option<crate::engine::pass::Image>,
    /// Bumped when results or the network change, so older cached rasters are not reused.
    pub generation: u64,
    /// The job whose replies are wanted; replies of other jobs are stale and dropped.
    pub job: u64,
    /// The job whose pass `results` holds.
    pub done_job: u64,
    pub progress: Option<Progress>,
    pub error: Option<String>,
}

/// What a reply changed, for the app to follow up on.
pub(super) enum Applied {
    /// A stale reply: nothing changed.
    Nothing,
    /// The model arrived with its weights: the network and its analysis.
    Loaded(Arc<Network>, Arc<Analysis>),
    /// Progress, a finished pass or an error.
    Changed,
}

impl PassState {
    /// Take replies only from job `id` from now on.
    pub fn expect(&mut self, id: u64) {
        self.job = id;
        self.progress = None;
        self.error = None;
    }

    /// Apply a worker reply; replies of superseded jobs are dropped.
    pub fn apply(&mut self, reply: Reply) -> Applied {
        if reply.job() != self.job {
            return Applied::Nothing;
        }
        match reply {
            Reply::Loaded { net, analysis, input, input_label, photo, .. } => {
                self.input = Some(input);
                self.input_label = input_label;
                self.photo = photo;
                return Applied::Loaded(net, analysis);
            }
            Reply::Progress { layer, total, name, .. } => {
                self.progress = Some(Progress { layer, total, name });
            }
            Reply::Done { job, results } => {
                self.results = Some(results);
                self.done_job = job;
                self.generation += 1;
                self.progress = None;
            }
            Reply::Failed { error, .. } => {
                self.error = Some(error);
                self.progress = None;
            }
        }
        Applied::Changed
    }

    /// Where `s`'s numbers are in `results` (see `src_map`).
    fn result_src(&self, s: Src) -> Option<Src> {
        match s {
            Src::Input => Some(Src::Input),
            Src::Layer(i) => self.src_map.get(i).copied().flatten().map(Src::Layer),
        }
    }

    /// The output volume of `s`: fresh, or after an edit (while the pass runs) the old one when
    /// its shape still fits (see [`PassState::is_stale`]).
    pub fn volume(&self, s: Src) -> Option<&View3> {
        let r = self.results.as_ref()?;
        r.view(self.result_src(s)?)
    }

    pub fn stats(&self, s: Src) -> Option<&VolStats> {
        self.results.as_ref()?.stats.get(super::selection::row_of(self.result_src(s)?))
    }

    /// Recompute which outputs of `results` belong to `net`: the same index above the first
    /// changed layer, the same name (and shape) after it.
    pub fn resync(&mut self, net: &Network, analysis: &Analysis) {
        let n = net.layers.len();
        let Some(r) = &self.results else {
            self.src_map = vec![None; n];
            self.fresh_upto = 0;
            return;
        };
        let from = first_difference(&r.net, net);
        self.fresh_upto = from;
        self.src_map = (0..n)
            .map(|i| {
                if i < from {
                    return Some(i);
                }
                let name = &net.layers[i].name;
                let j = r.net.layers.iter().position(|l| &l.name == name)?;
                let v = r.view(Src::Layer(j))?;
                (Shape3::of(&v.view()) == analysis.layers.get(i)?.output).then_some(j)
            })
            .collect();
    }

    /// Whether the panels of `s` show numbers of an older network (until the pass ends).
    pub fn is_stale(&self, s: Src) -> bool {
        match s {
            Src::Input => false,
            Src::Layer(i) => self.results.is_some() && i >= self.fresh_upto,
        }
    }

    /// Whether the last finished pass is `net`'s (of `layers` layers).
    pub fn is_current(&self, layers: usize) -> bool {
        self.results.is_some() && self.fresh_upto >= layers
    }

    /// A pass of `net`, reusing the outputs above the first layer that differs from the last
    /// finished pass; `None` before the input exists.
    pub fn recompute(&self, net: &Arc<Network>, analysis: &Arc<Analysis>) -> Option<Task> {
        let input = self.input.clone()?;
        let (prev, prev_views, prev_stats, from) = match &self.results {
            Some(r) => {
                let from = first_difference(&r.net, net).min(r.acts.len());
                let keep = (from + 1).min(r.views.len()).min(r.stats.len());
                (
                    r.acts.kept(from).to_vec(),
                    r.views[..keep].to_vec(),
                    r.stats[..keep].to_vec(),
                    from,
                )
            }
            None => (Vec::new(), Vec::new(), Vec::new(), 0),
        };
        Some(Task::Recompute {
            net: net.clone(),
            analysis: analysis.clone(),
            input,
            prev,
            prev_views,
            prev_stats,
            from,
        })
    }
}
