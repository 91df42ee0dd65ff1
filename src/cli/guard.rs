//! A command never writes over one of its own inputs: the model, the files it was read from
//! (its sidecar, its weights), the input `.npy` or the photo.

use crate::model::{Kind, ModelError};
use crate::nn::{Network, Origin};
use crate::output::same_file;
use std::path::{Path, PathBuf};

/// Every file a command read: the network's own files, the photo and the input.
pub fn inputs(net: &Network, model: &str, extra: &[Option<&Path>]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = Vec::new();
    let m = Path::new(model);
    if m.is_file() {
        v.push(m.to_path_buf());
        v.push(crate::model::onnx::Sidecar::path_for(m));
    }
    v.extend(net.source.iter().cloned());
    v.extend(net.files.iter().cloned());
    v.extend(net.input.default_image.iter().cloned());
    for l in &net.layers {
        if let Origin::File(p) = &l.origin {
            v.push(p.clone());
        }
    }
    v.extend(extra.iter().flatten().map(|p| p.to_path_buf()));
    v
}

/// Refuse `out` when it is one of `inputs`.
///
/// # Errors
/// One line naming the file.
pub fn not_an_input(out: &Path, inputs: &[PathBuf]) -> Result<(), ModelError> {
    if inputs.iter().any(|i| same_file(i, out)) {
        let why = "is one of this command's inputs; write the output somewhere else".into();
        return Err(ModelError::new(Kind::Write(why)).in_file(out.display()));
    }
    Ok(())
}
