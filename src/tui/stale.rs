//! Which numbers belong to the network on screen. After an edit the last finished pass is of
//! an older network until the new pass ends: outputs above the first changed layer are still
//! right (same index), later ones are shown by name while their shape still fits, dimmed
//! ([`App::is_stale`]). The same comparison tells a recompute where to start.

use super::app::App;
use super::stats::VolStats;
use crate::nn::{Layer, Network, Shape3, Src, Volume, Weights};
use ndarray::{ArcArray, Dimension};
use std::sync::Arc;

/// Whether two arrays are the same shared numbers (not just equal ones): cheap, and a pass
/// over the same weights gives the same output.
fn same_array<D: Dimension>(a: &ArcArray<f32, D>, b: &ArcArray<f32, D>) -> bool {
    a.as_ptr() == b.as_ptr() && a.shape() == b.shape() && a.strides() == b.strides()
}

fn same_opt(a: &Option<ndarray::ArcArray1<f32>>, b: &Option<ndarray::ArcArray1<f32>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_array(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn same_weights(a: &Weights, b: &Weights) -> bool {
    match (a, b) {
        (Weights::None, Weights::None) => true,
        (Weights::Conv { w, b }, Weights::Conv { w: w2, b: b2 }) => {
            same_array(w, w2) && same_opt(b, b2)
        }
        (Weights::Fc { w, b }, Weights::Fc { w: w2, b: b2 }) => {
            same_array(w, w2) && same_opt(b, b2)
        }
        (Weights::Prelu { slope }, Weights::Prelu { slope: s2 }) => same_array(slope, s2),
        (
            Weights::BatchNorm { gamma, beta, mean, var },
            Weights::BatchNorm { gamma: g2, beta: b2, mean: m2, var: v2 },
        ) => {
            same_array(gamma, g2)
                && same_array(beta, b2)
                && same_array(mean, m2)
                && same_array(var, v2)
        }
        _ => false,
    }
}

/// Whether layer `b` computes exactly what `a` computes from the same inputs.
pub fn same_layer(a: &Layer, b: &Layer) -> bool {
    a.name == b.name
        && a.kind == b.kind
        && a.inputs == b.inputs
        && a.strict == b.strict
        && same_weights(&a.weights, &b.weights)
}

/// The first layer whose output may differ between `a` and `b`: every output above it is the
/// same, so a pass of `b` can reuse them. Equal networks give their length.
pub fn first_difference(a: &Network, b: &Network) -> usize {
    let n = a.layers.len().min(b.layers.len());
    if a.input != b.input {
        return 0;
    }
    (0..n).find(|&i| !same_layer(&a.layers[i], &b.layers[i])).unwrap_or(n)
}

impl App {
    /// Where `s`'s numbers are in `results` (see `src_map`).
    fn result_src(&self, s: Src) -> Option<Src> {
        match s {
            Src::Input => Some(Src::Input),
            Src::Layer(i) => self.src_map.get(i).copied().flatten().map(Src::Layer),
        }
    }

    /// The output volume of `s`: fresh, or after an edit (while the pass runs) the old one when
    /// its shape still fits (see [`App::is_stale`]).
    pub fn volume(&self, s: Src) -> Option<&Arc<Volume>> {
        let r = self.results.as_ref()?;
        match self.result_src(s)? {
            Src::Input => Some(&r.acts.input),
            Src::Layer(i) => r.acts.outputs.get(i),
        }
    }

    pub fn stats(&self, s: Src) -> Option<&VolStats> {
        self.results.as_ref()?.stats.get(App::row_of(self.result_src(s)?))
    }

    /// Recompute which outputs of `results` belong to the current network: the same index
    /// above the first changed layer, the same name (and shape) after it.
    pub fn resync(&mut self) {
        let n = self.net.layers.len();
        let Some(r) = &self.results else {
            self.src_map = vec![None; n];
            self.fresh_upto = 0;
            return;
        };
        let from = first_difference(&r.net, &self.net);
        self.fresh_upto = from;
        self.src_map = (0..n)
            .map(|i| {
                if i < from {
                    return Some(i);
                }
                let name = &self.net.layers[i].name;
                let j = r.net.layers.iter().position(|l| &l.name == name)?;
                let v = r.acts.outputs.get(j)?;
                (Shape3::of(&v.view()) == self.analysis.layers[i].output).then_some(j)
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

    /// Whether the last finished pass is the current network's.
    pub fn pass_is_current(&self) -> bool {
        self.results.is_some() && self.fresh_upto >= self.net.layers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{WeightMode, edit, load};

    #[test]
    fn the_first_difference_is_where_an_edit_starts() {
        let net = load("cifar", WeightMode::Full).unwrap();
        assert_eq!(first_difference(&net, &net.clone()), 5, "clones share their weights");
        let e = edit::edit_params(&net, 2, "size = 4\nstride = 4\n").unwrap();
        assert_eq!(first_difference(&net, &e.net), 2);
        assert_eq!(e.recompute_from, 2);
        // Equal numbers in other arrays count as different: only shared weights are the same.
        let fresh = load("cifar", WeightMode::Full).unwrap();
        assert_eq!(first_difference(&net, &fresh), 0);
        let mut renamed = net.clone();
        renamed.layers[4].name = "softmax".into();
        assert_eq!(first_difference(&net, &renamed), 4);
    }
}
