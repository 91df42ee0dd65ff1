//! Turning a preset, a TOML spec or an ONNX file into one [`Network`].

pub mod builtin;
pub mod classes;
pub mod edit;
pub mod edit_input;
pub mod edit_op;
pub mod error;
pub mod from_spec;
pub mod image_input;
pub mod init;
pub mod npy;
pub mod onnx;
pub mod presets;
pub mod save;
pub mod spec;
mod spec_weights;
pub mod to_spec;

use crate::nn::Network;
pub use error::{Kind, ModelError, Result};
pub use from_spec::WeightMode;
use std::path::{Path, PathBuf};

/// Load a network from a preset name, a `.toml` spec or an `.onnx` file.
///
/// # Errors
/// An unknown preset, an unreadable file, or an invalid network; the message names the file,
/// the layer and the value.
pub fn load(model: &str, mode: WeightMode) -> Result<Network> {
    load_with(model, mode, &LoadOptions::default())
}

/// What decides the input size of a model that leaves it open.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `--size HxW`.
    pub size: Option<(usize, usize)>,
    /// The photo the input will be made from (its own size is used).
    pub photo: Option<PathBuf>,
    /// The `.npy` the input will be read from (its dims are used).
    pub npy: Option<PathBuf>,
}

impl LoadOptions {
    /// The ONNX size request: `--size`, the photo's dimensions, the `.npy`'s dims.
    ///
    /// # Errors
    /// A photo or `.npy` that cannot be read.
    pub fn request(&self) -> Result<onnx::SizeRequest> {
        let photo = match &self.photo {
            Some(p) => {
                error::regular_file(p, "image")?;
                let (w, h) = image::image_dimensions(p).map_err(|e| {
                    ModelError::new(Kind::Read { what: "image", reason: e.to_string() })
                        .in_file(p.display())
                })?;
                Some((h as usize, w as usize))
            }
            None => None,
        };
        let tensor = match &self.npy {
            Some(p) => Some(npy::header_dims(p, "--input")?),
            None => None,
        };
        Ok(onnx::SizeRequest { given: self.size, photo, tensor, multiple: 0 })
    }
}

/// Load a network as [`load`] does, with the size of an open ONNX input from `opts`.
///
/// # Errors
/// As [`load`]; `--size` for a network whose size is fixed.
pub fn load_with(model: &str, mode: WeightMode, opts: &LoadOptions) -> Result<Network> {
    let fixed = |net: Network| -> Result<Network> {
        match opts.size {
            Some((h, w)) => Err(ModelError::new(Kind::Onnx(format!(
                "--size {h}x{w}: this network's input size is fixed at {}",
                net.input.describe()
            )))
            .in_file(model)),
            None => Ok(net),
        }
    };
    if let Some(net) = builtin::load(model) {
        return fixed(net?);
    }
    if let Some(text) = presets::get(model) {
        let spec = spec::parse(text, &format!("preset {model}"))?;
        return fixed(from_spec::build(&spec, model, None, mode)?);
    }
    let path = Path::new(model);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "toml" => fixed(load_spec_file(path, mode)?),
        "onnx" => onnx::load_onnx_with(path, &opts.request()?),
        _ if path.exists() => Err(ModelError::new(Kind::UnknownFormat).in_file(model)),
        _ => Err(ModelError::new(Kind::UnknownModel { known: known_models() }).in_file(model)),
    }
}

/// Every model a name can open: the built-in trained one, then the presets.
pub fn known_models() -> String {
    let mut names = vec![builtin::EFFICIENTNET];
    names.extend(presets::names());
    names.join(", ")
}

fn load_spec_file(path: &Path, mode: WeightMode) -> Result<Network> {
    let spec = spec::read(path)?;
    let stem = path.file_stem().map_or("network".into(), |s| s.to_string_lossy().to_string());
    let name = spec.name.clone().unwrap_or(stem);
    let mut net = from_spec::build(&spec, &name, path.parent(), mode)
        .map_err(|e| e.in_file(path.display()))?;
    net.source = Some(path.to_path_buf());
    Ok(net)
}
