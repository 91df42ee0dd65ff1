//! Where a recompute starts after an edit: the one rule, used by the explorer to schedule a pass
//! and to tell which numbers on screen still belong to the edited network.
//!
//! Two networks compute the same output at layer i when everything up to it is the same: the
//! input, and every layer's name, kind, inputs, strictness and weights (the same shared
//! numbers, not equal ones: that check is cheap, and a pass over the same weights gives the same
//! output).

use crate::nn::{Layer, Network, Weights};
use ndarray::{ArcArray, Dimension};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{WeightMode, edit, load};
    use crate::nn::analysis::analyze;

    #[test]
    fn the_first_difference_is_where_an_edit_starts() {
        let net = load("cifar", WeightMode::Full).unwrap();
        assert_eq!(first_difference(&net, &net.clone()), 5, "clones share their weights");
        let e = edit::edit_params(&net, 2, "size = 4\nstride = 4\n").unwrap();
        assert_eq!(first_difference(&net, &e.net), 2);
        assert_eq!(e.target, 2);
        assert_eq!(analyze(&e.net).unwrap(), e.analysis);
        // Equal numbers in other arrays count as different: only shared weights are the same.
        let fresh = load("cifar", WeightMode::Full).unwrap();
        assert_eq!(first_difference(&net, &fresh), 0);
        let mut renamed = net.clone();
        renamed.layers[4].name = "softmax".into();
        assert_eq!(first_difference(&net, &renamed), 4);
    }
}
