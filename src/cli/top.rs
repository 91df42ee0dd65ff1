//! `convscope top`: the k most probable classes for a photo.

use super::InputArgs;
use crate::model::classes::top_k;
use crate::model::{WeightMode, image_input};
use crate::nn::forward::forward;
use clap::Args;
use color_eyre::eyre::{Result, bail};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TopArgs {
    /// A preset name, a `.toml` spec or an `.onnx` model (default: the built-in
    /// EfficientNet-Lite0, as in the explorer).
    #[arg(short, long, default_value = super::DEFAULT_MODEL)]
    pub model: String,
    /// The photo (PNG or JPEG).
    pub photo: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// How many classes to list.
    #[arg(short, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    pub k: u16,
}

pub fn run(a: &TopArgs, size: Option<(usize, usize)>) -> Result<()> {
    let photo = a.photo.as_deref().or(a.input.image.as_deref());
    let net = super::load(&a.model, WeightMode::Full, size, photo, a.input.input.as_deref())?;
    let (x, source) = image_input::load_input(&net, photo, a.input.input.as_deref())?;
    let acts = forward(&net, x)?;
    let Some(last) = acts.last() else { bail!("{}: has no layers", net.name) };
    let values: Vec<f32> = last.floats();
    let classes = last.dims().iter().filter(|&&d| d > 1).count() == 1;
    if !classes {
        bail!(
            "{}: the last layer is {}, not a class vector (one axis above 1)",
            net.name,
            crate::nn::tensor::dims_text(last.dims())
        );
    }
    eprintln!("{} on {}", net.name, source.label);
    let mut out = super::out::Report::default();
    for (i, label, p) in top_k(&net, &values, a.k as usize) {
        out.line(format!("{label:<32} {p:.4}   (class {i})"));
    }
    out.print()
}
