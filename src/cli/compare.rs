//! `convscope compare`: two photos through one network, or one photo through two models of the
//! same graph shape, and per layer how far the volumes part (`1 − cos`, max |Δ|).

use crate::engine::compare::{Other, diffs, run_other};
use crate::engine::pass::Image;
use crate::engine::results::{Results, views_of};
use crate::engine::stats::VolStats;
use crate::model::{self, WeightMode, image_input};
use crate::nn::analysis::analyze;
use crate::nn::forward::forward;
use clap::Args;
use color_eyre::eyre::{Result, bail, eyre};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// A preset name, a `.toml` spec or an `.onnx` model (default: the built-in EfficientNet-Lite0).
    #[arg(short, long, default_value = super::DEFAULT_MODEL)]
    pub model: String,
    /// The photo (A).
    pub a: PathBuf,
    /// The other photo (B); or give --model-b.
    pub b: Option<PathBuf>,
    /// Another model of the same graph shape, run on photo A.
    #[arg(long, conflicts_with = "b")]
    pub model_b: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &CompareArgs, size: Option<(usize, usize)>) -> Result<()> {
    let net = Arc::new(super::load(&a.model, WeightMode::Full, size, Some(&a.a), None)?);
    let analysis = analyze(&net).map_err(model::ModelError::from)?;
    let (x, _) = image_input::load_input(&net, Some(&a.a), None)?;
    let acts = forward(&net, x).map_err(model::ModelError::from)?;
    let views = views_of(&acts, &analysis, &net, 0);
    let stats = views.iter().map(|v| VolStats::of(&v.view())).collect();
    let ra = Results { net: net.clone(), acts, views, stats, elapsed: Default::default() };
    let other = match (&a.b, &a.model_b) {
        (Some(p), _) => {
            Other::Image(Image { path: p.clone(), photo: Arc::new(image_input::open_image(p)?) })
        }
        (None, Some(m)) => Other::Model(m.clone()),
        (None, None) => bail!("give a second photo, or --model-b"),
    };
    let rb = run_other(&ra, &analysis, &other).map_err(|e| eyre!(e))?;
    let d = diffs(&ra, &rb);
    let label = other.label();
    if a.json {
        let rows: Vec<serde_json::Value> = d
            .iter()
            .enumerate()
            .map(|(row, x)| {
                let name = if row == 0 { "input".to_string() } else { net.layers[row - 1].name.clone() };
                serde_json::json!({ "layer": name, "cosine_distance": x.map(|x| x.cosine), "max_abs_diff": x.map(|x| x.max_abs) })
            })
            .collect();
        let v = serde_json::json!({ "model": net.name, "a": a.a.display().to_string(), "b": label, "layers": rows });
        return super::out::print(&format!("{}\n", serde_json::to_string_pretty(&v)?));
    }
    let mut out = super::out::Report::default();
    out.line(format!(
        "{} on {} vs {label}: per layer 1 − cos and max |Δ|",
        net.name,
        a.a.display()
    ));
    for (row, x) in d.iter().enumerate() {
        let name = if row == 0 { "input" } else { net.layers[row - 1].name.as_str() };
        let cell = match x {
            Some(x) => format!("{:>10.6} {:>12.5}", x.cosine, x.max_abs),
            None => format!("{:>23}", "— (not comparable)"),
        };
        out.line(format!("{name:<28} {cell}"));
    }
    out.print()
}
