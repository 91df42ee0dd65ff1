//! `convscope export`: a layer's output as `.npy` (H, W, D), one depth slice as a colour-mapped
//! `.png`, or a layer's weights as `.npy`. Files appear whole or not at all.

use super::InputArgs;
use super::guard;
use crate::model::{self, WeightMode, image_input, npy};
use crate::nn::analysis::{Status, analyze};
use crate::nn::forward::forward;
use crate::nn::tensor::dims_text;
use crate::nn::view::ExportOrder;
use crate::nn::{Src, Tensor, ViewMap, Weights};
use clap::Args;
use color_eyre::eyre::{Result, bail, eyre};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// A preset name, a `.toml` spec or an `.onnx` model.
    #[arg(short, long)]
    pub model: String,
    #[command(flatten)]
    pub input: InputArgs,
    /// The layer, by name or 0-based index (`input` for the input volume).
    #[arg(long)]
    pub layer: String,
    /// Where to write the output volume: `.npy` (H, W, D) or, with `--slice`, `.png`.
    #[arg(long, required_unless_present = "weights")]
    pub out: Option<PathBuf>,
    /// With a `.png` out: the depth slice `X[:, :, d]` to draw.
    #[arg(long)]
    pub slice: Option<usize>,
    /// Write the layer's weights to this `.npy`: conv (K, F, F, D_in/groups), fc (outputs, inputs).
    #[arg(long)]
    pub weights: Option<PathBuf>,
}

pub fn run(a: &ExportArgs, size: Option<(usize, usize)>) -> Result<()> {
    let net = super::load(
        &a.model,
        WeightMode::Full,
        size,
        a.input.image.as_deref(),
        a.input.input.as_deref(),
    )?;
    let inputs =
        guard::inputs(&net, &a.model, &[a.input.image.as_deref(), a.input.input.as_deref()]);
    for out in a.out.iter().chain(&a.weights) {
        guard::not_an_input(out, &inputs)?;
        crate::output::target(out)?;
    }
    if let (Some(o), Some(w)) = (&a.out, &a.weights)
        && (o == w || crate::output::same_file(o, w))
    {
        bail!("{}: --out and --weights name the same file", o.display());
    }
    let src = if a.layer == "input" {
        Src::Input
    } else {
        let i = net.find(&a.layer).ok_or_else(|| {
            eyre!(
                "{}: no layer '{}' (give a name, `input`, or an index 0..={})",
                net.name,
                a.layer,
                net.layers.len().saturating_sub(1)
            )
        })?;
        Src::Layer(i)
    };
    let mut notes = Vec::new();
    if let Some(wpath) = &a.weights {
        let Src::Layer(i) = src else { bail!("input: has no weights") };
        let l = &net.layers[i];
        match &l.weights {
            Weights::Conv { w, .. } => npy::write(wpath, w)?,
            Weights::Fc { w, .. } => npy::write(wpath, w)?,
            _ => {
                bail!("{}: a {} layer has no filter weights to export", l.name, l.kind.type_name())
            }
        }
        notes.push(format!("wrote {} weights to {}", l.name, wpath.display()));
    }
    let Some(out) = &a.out else { return print_notes(&notes) };
    let (x, source) =
        image_input::load_input(&net, a.input.image.as_deref(), a.input.input.as_deref())?;
    if source.photo.is_none() {
        notes.push(format!("input: {}", source.label));
    }
    let analysis = analyze(&net).map_err(model::ModelError::from)?;
    let name = net.src_name(src).to_string();
    let view = match src {
        Src::Input => ViewMap::of(&net.input.dims, net.input.hint),
        Src::Layer(i) => {
            if let Status::NotComputable(why) = &analysis.layers[i].status {
                bail!("{name}: is not computed: {why}");
            }
            analysis.layers[i].view.clone()
        }
    };
    let acts = forward(&net, x).map_err(model::ModelError::from)?;
    let t = acts.get(src);
    let is_png = out.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"));
    match (is_png, a.slice) {
        (true, Some(d)) => write_slice_png(out, &view.apply(t).view(), d, &name)?,
        (true, None) => bail!("{}: a .png holds one depth slice: add --slice d", out.display()),
        (false, Some(_)) => bail!("{}: --slice needs a .png output", out.display()),
        (false, None) => match view.export(t) {
            Tensor::F32(a) => npy::write(out, &a)?,
            Tensor::Int(a, _) => npy::write_i64(out, &a)?,
        },
    }
    let dims = view.export_dims();
    let shape = match view.export_order() {
        ExportOrder::Hwd => {
            let d: Vec<String> = dims.iter().map(ToString::to_string).collect();
            format!("{} (H, W, D)", d.join("×"))
        }
        ExportOrder::Onnx => format!("{} (ONNX order, without the batch)", dims_text(&dims)),
    };
    notes.push(format!("wrote {name} {shape} to {}", out.display()));
    print_notes(&notes)
}

/// Status lines go to stderr only once the command has succeeded, so a failure is one line.
fn print_notes(notes: &[String]) -> Result<()> {
    for n in notes {
        eprintln!("{n}");
    }
    Ok(())
}

/// Draw `X[:, :, d]` with viridis (or RdBu centred on 0 when it has negative values), upscaled
/// nearest so the short side is at least 256 px.
fn write_slice_png(path: &Path, v: &ndarray::ArrayView3<f32>, d: usize, layer: &str) -> Result<()> {
    let (depth, h, w) = v.dim();
    if d >= depth {
        bail!("{layer}: slice {d} is out of range (depth {depth}: 0 to {})", depth - 1);
    }
    let s = v.index_axis(ndarray::Axis(0), d);
    let (lo, hi) =
        s.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let signed = lo < 0.0;
    let scale = 256usize.div_ceil(h.min(w)).max(1);
    let img = image::RgbImage::from_fn((w * scale) as u32, (h * scale) as u32, |x, y| {
        let val = s[[y as usize / scale, x as usize / scale]];
        let c = if signed {
            let m = lo.abs().max(hi.abs()).max(f32::MIN_POSITIVE);
            // RdBu runs red (low) to blue (high); 0 sits at the centre.
            colorous::RED_BLUE.eval_continuous(f64::from(0.5 + 0.5 * val / m))
        } else {
            let t = if hi > lo { (val - lo) / (hi - lo) } else { 0.0 };
            colorous::VIRIDIS.eval_continuous(f64::from(t))
        };
        image::Rgb([c.r, c.g, c.b])
    });
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Png).map_err(|e| eyre!("{e}"))?;
    crate::output::write_atomic(path, |w| w.write_all(buf.get_ref()))?;
    Ok(())
}
