//! Turning a preset, a TOML spec or an ONNX file into one [`Network`].

pub mod builtin;
pub mod classes;
pub mod edit;
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
use std::path::Path;

/// Load a network from a preset name, a `.toml` spec or an `.onnx` file.
///
/// # Errors
/// An unknown preset, an unreadable file, or an invalid network; the message names the file,
/// the layer and the value.
pub fn load(model: &str, mode: WeightMode) -> Result<Network> {
    if let Some(net) = builtin::load(model) {
        return net;
    }
    if let Some(text) = presets::get(model) {
        let spec = spec::parse(text, &format!("preset {model}"))?;
        return from_spec::build(&spec, model, None, mode);
    }
    let path = Path::new(model);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "toml" => load_spec_file(path, mode),
        "onnx" => onnx::load_onnx(path),
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
