//! A finished forward pass and what the worker computed from it.

use super::stats::VolStats;
use crate::nn::analysis::Analysis;
use crate::nn::forward::Activations;
use crate::nn::{Network, Src, View3, ViewMap};
use std::sync::Arc;
use std::time::Duration;

/// Every tensor of one pass, the volumes they are shown as, their statistics, and the network
/// that made them.
#[derive(Clone, Debug)]
pub struct Results {
    /// The network the pass ran (after an edit, until the next pass ends, an older one).
    pub net: Arc<Network>,
    pub acts: Activations,
    /// `views[0]` is the input as a volume, `views[i + 1]` layer i's output (shared with the
    /// tensor where no conversion is needed).
    pub views: Vec<View3>,
    /// `stats[0]` is the input, `stats[i + 1]` layer i.
    pub stats: Vec<VolStats>,
    pub elapsed: Duration,
}

/// The volumes of `acts` from `from` on (the input is 0, layer i is i + 1).
pub fn views_of(acts: &Activations, analysis: &Analysis, net: &Network, from: usize) -> Vec<View3> {
    let input_view = ViewMap::of(&net.input.dims, net.input.hint);
    let all = std::iter::once((&acts.input, &input_view))
        .chain(acts.outputs().zip(analysis.layers.iter().map(|l| &l.view)));
    all.skip(from).map(|(t, v)| v.apply(t)).collect()
}

impl Results {
    /// The volume of `s`.
    pub fn view(&self, s: Src) -> Option<&View3> {
        match s {
            Src::Input => self.views.first(),
            Src::Layer(i) => self.views.get(i + 1),
        }
    }
}

impl Results {
    /// The first layer whose output holds a NaN or an infinity, with its counts.
    pub fn first_non_finite(&self) -> Option<(usize, &VolStats)> {
        self.stats
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, s)| !s.bad.is_empty())
            .map(|(i, s)| (i - 1, s))
    }
}
