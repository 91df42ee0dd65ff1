//! The command line: `convscope [IMAGE] [-m MODEL]` opens the explorer; subcommands print or
//! write what the library computes. Both faces call the same library.

mod bench;
pub mod cam;
mod compare;
mod export;
mod guard;
pub mod out;
mod scan;
mod summary;
pub mod top;

use clap::{Args, Parser, Subcommand};
use color_eyre::eyre::Result;
use std::path::PathBuf;

/// The model the UI opens when none is given.
pub const DEFAULT_MODEL: &str = crate::model::builtin::EFFICIENTNET;

#[derive(Parser, Debug)]
#[command(
    name = "convscope",
    version,
    about = "See the volumes inside a convolutional network: shapes, depth slices, depth columns, \
             filters and single neurons, on a real photo, in any terminal.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The photo to open (PNG or JPEG); defaults to the model's image, else the built-in cat.
    pub image: Option<PathBuf>,
    /// A preset name (see `convscope presets`), a `.toml` spec or an `.onnx` model.
    #[arg(short, long)]
    pub model: Option<String>,
    /// Colour tier: auto detects from COLORTERM, TERM and NO_COLOR.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: crate::tui::ColorMode,
    /// Start with this colormap (viridis, rdbu, …).
    #[arg(long)]
    pub colormap: Option<String>,
    /// How maps reach the terminal: real pixels (kitty, iterm, sixel) or half-blocks; auto
    /// reads CONVSCOPE_GRAPHICS, then the environment, then asks the terminal (≤ 100 ms).
    #[arg(long, value_enum, default_value = "auto")]
    pub graphics: crate::tui::graphics::Choice,
    /// The folder of photos the patches view (`p`) scans for what drives each channel
    /// (default: the photo's folder).
    #[arg(long)]
    pub scan: Option<PathBuf>,
    /// Compare with another photo: per layer the cosine distance and max |Δ| (a column of the
    /// layer list), and `b` shows the Δ slice.
    #[arg(long, conflicts_with = "compare_model")]
    pub compare: Option<PathBuf>,
    /// Compare with another model of the same graph shape (float against quantised), on the
    /// same input.
    #[arg(long)]
    pub compare_model: Option<String>,
    /// The memory budget for weights and kept volumes, like 8G or 512M (default: 75% of the
    /// machine's memory, at most 60% of an address-space limit).
    #[arg(long, global = true, value_parser = crate::nn::budget::parse_size)]
    pub max_memory: Option<u64>,
    /// The input size HxW (rows × cols) of a model that leaves H and W open, like 640x480.
    #[arg(long, global = true, value_parser = parse_hw)]
    pub size: Option<(usize, usize)>,
}

/// `640x480` → (640, 480): rows, then cols, each 1..=16384.
fn parse_hw(s: &str) -> std::result::Result<(usize, usize), String> {
    let (h, w) =
        s.split_once(['x', 'X', '×']).ok_or_else(|| format!("'{s}' is not HxW (like 640x480)"))?;
    let side = |v: &str| -> std::result::Result<usize, String> {
        let n: usize = v.trim().parse().map_err(|_| format!("'{v}' is not a size"))?;
        if (1..=16384).contains(&n) {
            Ok(n)
        } else {
            Err(format!("{n} is out of range (1 to 16384)"))
        }
    };
    Ok((side(h)?, side(w)?))
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the built-in networks.
    Presets,
    /// Per-layer shape table: shapes, the formula behind each, params, MACs, receptive fields.
    Summary {
        #[command(flatten)]
        model: ModelArg,
        /// Emit JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write a layer's output volume (.npy, or one depth slice as .png) or its weights (.npy).
    Export(export::ExportArgs),
    /// Time the forward pass, per layer and in total.
    Bench(bench::BenchArgs),
    /// The most probable classes for a photo (models with a labels file).
    Top(top::TopArgs),
    /// Where the network looks for a class: CAM, Grad-CAM or occlusion, as .npy or an overlay .png.
    Cam(cam::CamArgs),
    /// What drives each channel across a folder of photos: the top activations, cached.
    Scan(scan::ScanArgs),
    /// Two photos (or two models of one graph shape) layer by layer: 1 − cos and max |Δ|.
    Compare(compare::CompareArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ModelArg {
    /// A preset name, a `.toml` spec or an `.onnx` model.
    #[arg(short, long)]
    pub model: String,
}

/// How to load `model` for a command whose input comes from `input` (and maybe `photo`).
///
/// # Errors
/// As [`crate::model::load_with`].
pub fn load(
    model: &str,
    mode: crate::model::WeightMode,
    size: Option<(usize, usize)>,
    photo: Option<&std::path::Path>,
    npy: Option<&std::path::Path>,
) -> crate::model::Result<crate::nn::Network> {
    let opts = crate::model::LoadOptions {
        size,
        photo: photo.map(std::path::Path::to_path_buf),
        npy: npy.map(std::path::Path::to_path_buf),
    };
    crate::model::load_with(model, mode, &opts)
}

/// Where the input volume comes from.
#[derive(Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// A photo (PNG or JPEG), cropped and resized to the input shape.
    #[arg(long, conflicts_with = "input")]
    pub image: Option<PathBuf>,
    /// A float32 `.npy` used as the input as it is: `(H, W, D)` for a volume, else the input's
    /// ONNX dims (a model with open H and W takes any size).
    #[arg(long)]
    pub input: Option<PathBuf>,
}

/// Run, turning an allocation the machine refuses (a panic of [`crate::nn::kernels::buffers`],
/// after the budget let a pass through) into an error line rather than a crash. Other panics
/// are bugs and go on unwinding.
///
/// # Errors
/// As [`run`], and `out of memory: …`.
pub fn run_guarded(cli: Cli) -> Result<()> {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_oom(crate::engine::runner::panic_message(info.payload()).as_str()) {
            prev(info);
        }
    }));
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli))) {
        Ok(r) => r,
        Err(p) => {
            let msg = crate::engine::runner::panic_message(p.as_ref());
            if is_oom(&msg) {
                Err(color_eyre::eyre::eyre!("{msg} (try a smaller input, or --max-memory)"))
            } else {
                std::panic::resume_unwind(p)
            }
        }
    }
}

fn is_oom(msg: &str) -> bool {
    msg.starts_with("out of memory")
}

/// Parse the arguments and run.
///
/// # Errors
/// Anything the user can get wrong; `main` prints it on one line and exits with code 2.
pub fn run(cli: Cli) -> Result<()> {
    if let Some(bytes) = cli.max_memory {
        crate::nn::budget::set(bytes);
    }
    match cli.command {
        Some(Command::Presets) => summary::presets(),
        Some(Command::Summary { model, json }) => summary::run(&model.model, json, cli.size),
        Some(Command::Export(a)) => export::run(&a, cli.size),
        Some(Command::Bench(a)) => bench::run(&a, cli.size),
        Some(Command::Top(a)) => top::run(&a, cli.size),
        Some(Command::Cam(a)) => cam::run(&a, cli.size),
        Some(Command::Scan(a)) => scan::run(&a, cli.size),
        Some(Command::Compare(a)) => compare::run(&a, cli.size),
        None => crate::tui::run(crate::tui::Options {
            model: cli.model.unwrap_or_else(|| DEFAULT_MODEL.to_string()),
            image: cli.image,
            color: cli.color,
            colormap: cli.colormap,
            size: cli.size,
            graphics: cli.graphics,
            scan: cli.scan,
            compare: cli.compare,
            compare_model: cli.compare_model,
        }),
    }
}
