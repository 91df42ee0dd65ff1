//! `convscope top`: the k most probable classes for a photo.

use super::InputArgs;
use crate::model::classes::top_k;
use crate::model::{self, WeightMode, image_input};
use crate::nn::forward::forward;
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
    let values: Vec<f32> = last.iter().copied().collect();
    for (i, label, p) in top_k(&net, &values, a.k) {
        println!("{label:<32} {p:.4}   (class {i})");
    }
    Ok(())
}
