//! `convscope top`: the k most probable classes for a photo.

use super::InputArgs;
use crate::model::{self, WeightMode, image_input};
use crate::nn::forward::forward;
use crate::nn::{LayerKind, Network};
use clap::Args;
use color_eyre::eyre::{Result, bail};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TopArgs {
    /// A preset name, a `.toml` spec or an `.onnx` model.
    #[arg(short, long)]
    pub model: String,
    /// The photo (PNG or JPEG).
    pub photo: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// How many classes to list.
    #[arg(short, default_value_t = 5)]
    pub k: usize,
}

/// `(class index, label, probability)`, most probable first.
pub type Ranked = Vec<(usize, String, f32)>;

/// Rank the classes of the last layer: softmax first unless the network ends in one.
pub fn top_k(net: &Network, last: &ndarray::ArrayView3<f32>, k: usize) -> Ranked {
    let logits: Vec<f32> = last.iter().copied().collect();
    let ends_in_softmax = matches!(net.layers.last().map(|l| &l.kind), Some(LayerKind::Softmax));
    let probs = if ends_in_softmax { logits } else { softmax(&logits) };
    let mut idx: Vec<usize> = (0..probs.len()).collect();
    idx.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    idx.into_iter()
        .take(k)
        .map(|i| {
            let label = net
                .labels
                .as_ref()
                .filter(|l| l.len() == probs.len())
                .map_or_else(|| format!("class {i}"), |l| l[i].clone());
            (i, label, probs[i])
        })
        .collect()
}

fn softmax(x: &[f32]) -> Vec<f32> {
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = x.iter().map(|v| (v - m).exp()).collect();
    let s: f32 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

pub fn run(a: &TopArgs) -> Result<()> {
    let net = model::load(&a.model, WeightMode::Full)?;
    let photo = a.photo.as_deref().or(a.input.image.as_deref());
    let (x, source) = image_input::load_input(&net, photo, a.input.input.as_deref())?;
    let acts = forward(&net, x)?;
    let Some(last) = acts.outputs.last() else { bail!("{}: has no layers", net.name) };
    let (d, h, w) = last.dim();
    if h * w != 1 {
        bail!("{}: the last layer is {h}×{w}×{d}, not a class vector (1×1×N)", net.name);
    }
    eprintln!("{} on {}", net.name, source.label);
    for (i, label, p) in top_k(&net, &last.view(), a.k) {
        println!("{label:<32} {p:.4}   (class {i})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_ranks_and_sums_to_one() {
        let net = model::load("cifar", WeightMode::ShapesOnly).unwrap();
        let logits = ndarray::Array3::from_shape_vec((3, 1, 1), vec![1.0, 3.0, 2.0]).unwrap();
        // cifar ends in softmax, so these are taken as probabilities as they are.
        let r = top_k(&net, &logits.view(), 2);
        assert_eq!((r[0].0, r[1].0), (1, 2));
        let p = softmax(&[0.0, 1.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        // e^1 / (1 + e^1)
        assert!((p[1] - 0.7310586).abs() < 1e-6);
    }
}
