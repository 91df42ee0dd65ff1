//! The trained model embedded in the binary, so `convscope` with no arguments works from any
//! folder: EfficientNet-Lite0 (ImageNet, Apache-2.0; see demo/models/LICENSES.md).

use super::onnx::{load_onnx_bytes_with, sidecar::Sidecar};
use crate::model::error::{Kind, ModelError, Result};
use crate::nn::Network;
use std::path::Path;

pub const EFFICIENTNET: &str = "efficientnet-lite0";

const MODEL: &[u8] = include_bytes!("../../demo/models/efficientnet_lite0.onnx");
const SIDECAR: &str = include_str!("../../demo/models/efficientnet_lite0.toml");
const LABELS: &str = include_str!("../../demo/models/imagenet_labels.txt");

/// The built-in trained model, by name.
///
/// # Errors
/// Only if the embedded files were corrupted at build time.
pub fn load(name: &str) -> Option<Result<Network>> {
    (name == EFFICIENTNET).then(|| {
        let side = Sidecar::parse(SIDECAR, "efficientnet_lite0.toml", Path::new("."))
            .map_err(|e| ModelError::new(Kind::Onnx(format!("{e}"))))?
            .with_labels_text(LABELS);
        // The sidecar's photo path is relative to the source tree; the embedded cat stands in.
        let side = Sidecar { image: None, ..side };
        let mut net = load_onnx_bytes_with(MODEL, EFFICIENTNET, &side)?;
        net.name = EFFICIENTNET.to_string();
        Ok(net)
    })
}
