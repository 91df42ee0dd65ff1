//! `convscope scan`: run every photo of a folder and record, per channel of the chosen layers,
//! the photos and positions of its strongest activations (cached beside the photos).

use crate::engine::scan;
use crate::model::{self, WeightMode};
use crate::nn::analysis::analyze;
use clap::Args;
use color_eyre::eyre::{Result, bail, eyre};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// A preset name, a `.toml` spec or an `.onnx` model (default: the built-in EfficientNet-Lite0).
    #[arg(short, long, default_value = super::DEFAULT_MODEL)]
    pub model: String,
    /// The folder of photos (PNG and JPEG, searched recursively).
    pub dir: PathBuf,
    /// The layers, by name or index (repeat the flag); default: every volume layer.
    #[arg(long)]
    pub layer: Vec<String>,
    /// How many photos to keep per channel.
    #[arg(long, default_value_t = 9, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub top: u16,
    /// Print the hits of this channel of the (single) layer.
    #[arg(long)]
    pub channel: Option<usize>,
}

pub fn run(a: &ScanArgs, size: Option<(usize, usize)>) -> Result<()> {
    let net = super::load(&a.model, WeightMode::Full, size, None, None)?;
    let analysis = analyze(&net).map_err(model::ModelError::from)?;
    let layers: Vec<usize> = if a.layer.is_empty() {
        scan::volume_layers(&analysis)
    } else {
        a.layer
            .iter()
            .map(|l| {
                let i = net.find(l).ok_or_else(|| {
                    eyre!(
                        "{}: no layer '{l}' (give a name or an index 0..={})",
                        net.name,
                        net.layers.len() - 1
                    )
                })?;
                if !analysis.layers[i].view.is_volume() || !analysis.layers[i].computed() {
                    bail!(
                        "{}: is not a computed volume, so it has no channels to scan",
                        net.layers[i].name
                    );
                }
                Ok(i)
            })
            .collect::<Result<_>>()?
    };
    if layers.is_empty() {
        bail!("{}: has no volume layer to scan", net.name);
    }
    if a.channel.is_some() && layers.len() != 1 {
        bail!("--channel needs exactly one --layer");
    }
    let t0 = Instant::now();
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut last = 0.0f64;
    let mut progress = |done: usize, total: usize| {
        let secs = t0.elapsed().as_secs_f64();
        if show && (secs - last > 0.1 || done == total) {
            last = secs;
            eprint!("\r{}   ", super::out::progress_line(done, total, "photos", secs));
        }
        true
    };
    let s = scan::scan(&net, &analysis, &a.dir, &layers, a.top as usize, &mut progress)
        .map_err(|e| eyre!(e))?
        .ok_or_else(|| eyre!("interrupted"))?;
    if show && !s.cached {
        eprintln!();
    }
    let secs = t0.elapsed().as_secs_f64();
    let from = if s.cached { "read from the cache" } else { "scanned" };
    eprintln!(
        "{} photos {from} in {secs:.2} s for {} layer{} of {}, top {} per channel",
        s.photos.len(),
        s.layers.len(),
        if s.layers.len() == 1 { "" } else { "s" },
        net.name,
        s.k
    );
    for why in &s.skipped {
        eprintln!("skipped: {why}");
    }
    if let Some(n) = &s.cache_note {
        eprintln!("{n}");
    }
    let mut out = super::out::Report::default();
    for (i, ls) in &s.layers {
        let [h, w, d] = ls.shape;
        out.line(format!("{:<24} {h}×{w}×{d}: {d} channels", net.layers[*i].name));
    }
    if let Some(ch) = a.channel {
        let (i, ls) = &s.layers[0];
        let hits = ls.top.get(ch).ok_or_else(|| {
            eyre!("{}: channel {ch} is out of range (depth {})", ls.layer, ls.top.len())
        })?;
        out.line(format!(
            "{} channel {ch}: the {} strongest of {} photos",
            ls.layer,
            hits.len(),
            s.photos.len()
        ));
        for (n, h) in hits.iter().enumerate() {
            let b = analysis.layers[*i].rf.window(h.r as usize, h.c as usize);
            out.line(format!(
                "{:>3}. {:<40} [{}, {}]  {:>10.4}   receptive field rows {}:{}, cols {}:{}",
                n + 1,
                s.photos[h.image as usize].path,
                h.r,
                h.c,
                h.value,
                b.top,
                b.bottom,
                b.left,
                b.right
            ));
        }
    }
    out.print()
}
