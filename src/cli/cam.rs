//! `convscope cam`: a class map (CAM, Grad-CAM or occlusion) of one photo, as the raw `.npy`
//! at the map's own resolution or as an overlay `.png` at the photo's size.

use super::guard;
use crate::engine::classmap::{self as cm, Method, overlay};
use crate::model::{self, WeightMode, image_input, npy};
use crate::nn::Network;
use crate::nn::analysis::analyze;
use crate::nn::forward::forward;
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
    if !a.fill.is_finite() {
        bail!("--fill {}: the patch value must be a finite number", a.fill);
    }
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
    let logits = acts.output(head.logits).floats();
    let class = match &a.class {
        Some(s) => cm::parse_class(&net, s, head.classes).map_err(|e| eyre!(e))?,
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
        None => cm::default_layer(&net, &analysis, &head)
            .ok_or_else(|| eyre!("{}: has no volume layer", net.name))?,
    };
    let t0 = Instant::now();
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut progress = |done: usize, total: usize| {
        if show {
            let line = super::out::progress_line(done, total, "passes", t0.elapsed().as_secs_f64());
            eprint!("\r{line}   ");
        }
        // SIGINT and SIGTERM end the command (and remove its temp file) from the signal thread.
        true
    };
    let map = cm::compute(
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
