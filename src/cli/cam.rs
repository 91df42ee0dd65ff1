//! `convscope cam`: a class map (CAM, Grad-CAM or occlusion) of one photo, as the raw `.npy`
//! at the map's own resolution or as an overlay `.png` at the photo's size.

use super::guard;
use crate::engine::classmap::{self as cm, ClassMap, Method, overlay};
use crate::model::{self, WeightMode, image_input, npy};
use crate::nn::analysis::{Analysis, analyze};
use crate::nn::forward::{Activations, forward};
use crate::nn::{Network, Src};
use clap::Args;
use color_eyre::eyre::{Result, bail, eyre};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args, Debug)]
pub struct CamArgs {
    /// A preset name, a `.toml` spec or an `.onnx` model (default: the built-in EfficientNet-Lite0).
    #[arg(short, long, default_value = super::DEFAULT_MODEL)]
    pub model: String,
    /// The photo (PNG or JPEG); default: the model's photo, else the built-in cat.
    pub image: Option<PathBuf>,
    /// The class: an index, or a label (exact, or a unique part of one); default: the top class.
    #[arg(long)]
    pub class: Option<String>,
    /// Grad-CAM's layer, by name or index (default: the volume the head pools).
    #[arg(long)]
    pub layer: Option<String>,
    #[arg(long, value_enum, default_value = "gradcam")]
    pub method: Method,
    /// Occlusion: the patch side P, in input pixels.
    #[arg(long, default_value_t = 32)]
    pub patch: usize,
    /// Occlusion: the stride S between patches.
    #[arg(long, default_value_t = 16)]
    pub stride: usize,
    /// Occlusion: the value the patch is set to in the network's input volume (after
    /// normalisation: 0 is the dataset mean).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub fill: f32,
    /// `.npy`: the raw map (H, W) at the layer's resolution (the grid for occlusion), no ReLU,
    /// no normalisation; `.png`: the overlay at the photo's size.
    #[arg(long)]
    pub out: PathBuf,
    /// Print a JSON report (with α_k for Grad-CAM and the fc row for CAM) on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The class index `spec` names: a number, a label, or a unique part of one.
///
/// # Errors
/// No such class, or a part that matches several labels.
pub fn parse_class(net: &Network, spec: &str, classes: usize) -> Result<usize> {
    if let Ok(i) = spec.parse::<usize>() {
        if i < classes {
            return Ok(i);
        }
        bail!("{}: class {i} is out of range (0 to {})", net.name, classes - 1);
    }
    let Some(labels) = net.labels.as_ref().filter(|l| l.len() == classes) else {
        bail!("{}: has no labels; give the class as a number (0 to {})", net.name, classes - 1)
    };
    let lower = spec.to_lowercase();
    if let Some(i) = labels.iter().position(|l| l.to_lowercase() == lower) {
        return Ok(i);
    }
    let hits: Vec<usize> =
        (0..classes).filter(|&i| labels[i].to_lowercase().contains(&lower)).collect();
    match hits.as_slice() {
        [i] => Ok(*i),
        [] => bail!("{}: no class label contains '{spec}'", net.name),
        many => {
            let names: Vec<&str> = many.iter().take(5).map(|&i| labels[i].as_str()).collect();
            bail!(
                "{}: '{spec}' matches {} labels ({}…); be more precise",
                net.name,
                many.len(),
                names.join(", ")
            )
        }
    }
}

/// The default Grad-CAM layer: the volume a CAM head pools, else the last volume layer.
pub fn default_layer(net: &Network, analysis: &Analysis, head: &cm::Head) -> Option<usize> {
    if let Ok(ch) = cm::cam_head(net, analysis, head)
        && let Src::Layer(i) = ch.volume
    {
        return Some(i);
    }
    (0..=head.logits).rev().find(|&i| {
        let l = &analysis.layers[i];
        l.computed() && l.view.is_volume() && l.output.h * l.output.w > 1
    })
}

/// Compute one class map on a finished pass.
///
/// # Errors
/// As the methods.
#[allow(clippy::too_many_arguments)]
pub fn compute(
    net: &Network,
    analysis: &Analysis,
    acts: &Activations,
    method: Method,
    class: usize,
    layer: usize,
    occ: (usize, usize, f32),
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> std::result::Result<Option<ClassMap>, cm::MapError> {
    match method {
        Method::Cam => cm::cam(net, analysis, acts, class).map(Some),
        Method::GradCam => cm::gradcam(net, analysis, acts, class, layer, &mut |_| true),
        Method::Occlusion => {
            cm::occlusion(net, analysis, acts, class, occ.0, occ.1, occ.2, progress)
        }
    }
}

pub fn run(a: &CamArgs, size: Option<(usize, usize)>) -> Result<()> {
    let net = super::load(&a.model, WeightMode::Full, size, a.image.as_deref(), None)?;
    let inputs = guard::inputs(&net, &a.model, &[a.image.as_deref()]);
    guard::not_an_input(&a.out, &inputs)?;
    crate::output::target(&a.out)?;
    let ext = a.out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let png = match ext.as_deref() {
        Some("png") => true,
        Some("npy") => false,
        _ => {
            bail!("{}: --out must end in .npy (the raw map) or .png (the overlay)", a.out.display())
        }
    };
    let analysis = analyze(&net).map_err(model::ModelError::from)?;
    let head = cm::head(&net, &analysis).map_err(|e| eyre!("{e}"))?;
    let (x, source) = image_input::load_input(&net, a.image.as_deref(), None)?;
    if png && source.photo.is_none() {
        bail!(
            "{}: the input is not a photo ({}), so there is no overlay: use .npy",
            net.name,
            source.label
        );
    }
    let acts = forward(&net, x).map_err(model::ModelError::from)?;
    let logits = acts.outputs[head.logits].floats();
    let class = match &a.class {
        Some(s) => parse_class(&net, s, head.classes)?,
        None => (0..logits.len()).max_by(|&i, &j| logits[i].total_cmp(&logits[j])).unwrap_or(0),
    };
    let layer = match &a.layer {
        Some(l) => {
            let i = net.find(l).ok_or_else(|| {
                eyre!(
                    "{}: no layer '{l}' (give a name or an index 0..={})",
                    net.name,
                    net.layers.len() - 1
                )
            })?;
            if a.method != Method::GradCam {
                bail!(
                    "{}: --layer is for Grad-CAM ({} has its own layer)",
                    net.layers[i].name,
                    a.method.name()
                );
            }
            i
        }
        None => default_layer(&net, &analysis, &head)
            .ok_or_else(|| eyre!("{}: has no volume layer", net.name))?,
    };
    let t0 = Instant::now();
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut progress = |done: usize, total: usize| {
        if show {
            let secs = t0.elapsed().as_secs_f64();
            let eta = secs / done as f64 * (total - done) as f64;
            eprint!(
                "\r{} {done}/{total} passes · {secs:.1} s · ETA {eta:.1} s   ",
                bar(done, total)
            );
        }
        // SIGINT and SIGTERM end the command (and remove its temp file) from the signal thread.
        true
    };
    let map = compute(
        &net,
        &analysis,
        &acts,
        a.method,
        class,
        layer,
        (a.patch, a.stride, a.fill),
        &mut progress,
    )
    .map_err(|e| eyre!("{}", located(&net, &e)))?;
    if show && a.method == Method::Occlusion {
        eprintln!();
    }
    let Some(map) = map else { bail!("interrupted: nothing written") };
    let secs = t0.elapsed().as_secs_f64();
    if png {
        let img = original_photo(&net, a.image.as_deref())?;
        let crop = image_input::center_crop(&img, net.input.shape.h, net.input.shape.w).to_rgb8();
        let values = overlay::resample(
            &map,
            crop.height() as usize,
            crop.width() as usize,
            (net.input.shape.h, net.input.shape.w),
        );
        let out = overlay::blend(&crop, &overlay::heat(&values));
        let mut buf = std::io::Cursor::new(Vec::new());
        out.write_to(&mut buf, image::ImageFormat::Png).map_err(|e| eyre!("{e}"))?;
        crate::output::write_atomic(&a.out, |w| w.write_all(buf.get_ref()))?;
    } else {
        npy::write(&a.out, &map.map)?;
    }
    let label = crate::model::classes::label(&net, class);
    let (h, w) = map.map.dim();
    eprintln!(
        "{} of class {class} '{label}' (logit {:.4}, p {:.4}) {h}×{w} in {secs:.3} s → {}",
        a.method.name(),
        map.logit,
        map.prob,
        a.out.display()
    );
    eprintln!("{}", map.describe(&net));
    if a.json {
        let report = serde_json::json!({
            "model": net.name,
            "image": source.label,
            "method": a.method,
            "class": class,
            "label": label,
            "logit": map.logit,
            "prob": map.prob,
            "layer": map.layer.map(|i| net.layers[i].name.clone()),
            "shape": [h, w],
            "seconds": secs,
            "alpha": (a.method == Method::GradCam).then_some(&map.weights),
            "fc_row": (a.method == Method::Cam).then_some(&map.weights),
            "fc_bias": (a.method == Method::Cam).then_some(map.bias),
            "occlusion": map.occlusion,
        });
        super::out::print(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    }
    Ok(())
}

/// A map error with the model's name in front (the layer is in the message).
fn located(net: &Network, e: &cm::MapError) -> String {
    format!("{}: {e}", net.name)
}

fn bar(done: usize, total: usize) -> String {
    let n = 24 * done / total.max(1);
    format!("[{}{}]", "█".repeat(n), "·".repeat(24 - n))
}

/// The photo the input came from, at its own size.
fn original_photo(net: &Network, image: Option<&Path>) -> Result<image::DynamicImage> {
    Ok(match image.or(net.input.default_image.as_deref()) {
        Some(p) => image_input::open_image(p)?,
        // The embedded PNG is a valid image checked by the tests.
        None => {
            image::load_from_memory(image_input::DEFAULT_IMAGE).expect("the built-in photo decodes")
        }
    })
}
