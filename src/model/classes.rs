//! Class predictions: the most probable labels of a classifier's last layer.

use crate::nn::{LayerKind, Network};

/// `(class index, label, probability)`, most probable first.
pub type Ranked = Vec<(usize, String, f32)>;

/// Whether the network's last layer is a class vector with one label per output.
pub fn has_classes(net: &Network, last_len: usize) -> bool {
    net.labels.as_ref().is_some_and(|l| l.len() == last_len)
}

/// Rank the classes of the last layer's values: softmax first unless the network ends in one.
/// Labels come from the network when there is one per value, else `class i`.
pub fn top_k(net: &Network, last: &[f32], k: usize) -> Ranked {
    let ends_in_softmax = matches!(net.layers.last().map(|l| &l.kind), Some(LayerKind::Softmax));
    let probs = if ends_in_softmax { last.to_vec() } else { softmax(last) };
    let mut idx: Vec<usize> = (0..probs.len()).collect();
    idx.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    idx.into_iter()
        .take(k)
        .map(|i| {
            let label = match &net.labels {
                Some(l) if l.len() == probs.len() => l[i].clone(),
                _ => format!("class {i}"),
            };
            (i, label, probs[i])
        })
        .collect()
}

/// The label of class `i`: the network's, or `class i`.
pub fn label(net: &Network, i: usize) -> String {
    net.labels.as_ref().and_then(|l| l.get(i)).cloned().unwrap_or_else(|| format!("class {i}"))
}

/// Numerically stable softmax.
pub fn softmax(x: &[f32]) -> Vec<f32> {
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = x.iter().map(|v| (v - m).exp()).collect();
    let s: f32 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{WeightMode, load};

    #[test]
    fn softmax_ranks_and_sums_to_one() {
        let net = load("cifar", WeightMode::ShapesOnly).unwrap();
        // cifar ends in softmax, so these are taken as probabilities as they are.
        let r = top_k(&net, &[1.0, 3.0, 2.0], 2);
        assert_eq!((r[0].0, r[1].0), (1, 2));
        assert_eq!(r[0].1, "class 1");
        let p = softmax(&[0.0, 1.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        // e^1 / (1 + e^1)
        assert!((p[1] - 0.7310586).abs() < 1e-6);
    }
}
