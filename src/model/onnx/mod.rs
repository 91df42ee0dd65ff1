//! ONNX import (work in progress).

#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod proto;

use crate::nn::Network;
use color_eyre::eyre::{Result, bail};
use std::path::Path;

/// Load an `.onnx` file (and its sidecar `<stem>.toml`, if any) as a [`Network`].
///
/// # Errors
/// Not yet implemented.
pub fn load_onnx(path: &Path) -> Result<Network> {
    bail!("{}: ONNX import is not implemented yet", path.display())
}

/// Load an ONNX model held in memory; `name` names it in messages.
///
/// # Errors
/// Not yet implemented.
pub fn load_onnx_bytes(_bytes: &[u8], name: &str) -> Result<Network> {
    bail!("{name}: ONNX import is not implemented yet")
}
