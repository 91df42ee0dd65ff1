//! The scan cache, beside the photos: `DIR/.convscope-scan/<model hash>/<layer>.json`, one file
//! per layer, valid while the model, the input size, k and the list of photos (paths, sizes,
//! times) are the same. Written whole or not at all; a folder that cannot be written gets no
//! cache (and says so), never an error.

use super::{LayerScan, files::Photo};
use std::path::{Path, PathBuf};

/// The cache folder's name inside the scanned folder.
pub const DIR: &str = ".convscope-scan";

/// What one cache file holds.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub model: String,
    pub input: Vec<usize>,
    pub k: usize,
    pub photos: Vec<Photo>,
    pub scan: LayerScan,
}

/// A file name for a layer: its name with anything but `[A-Za-z0-9._-]` as `_`, and its index.
fn file_name(layer: usize, name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' })
        .collect();
    format!("{layer:03}-{clean}.json")
}

pub fn path(dir: &Path, model: &str, layer: usize, name: &str) -> PathBuf {
    dir.join(DIR).join(model).join(file_name(layer, name))
}

/// The cached scan of a layer, when it matches.
pub fn read(dir: &Path, key: &Entry, layer: usize) -> Option<LayerScan> {
    let p = path(dir, &key.model, layer, &key.scan.layer);
    let meta = std::fs::metadata(&p).ok()?;
    // A cache file is small (k hits per channel); anything huge is not ours.
    if !meta.is_file() || meta.len() > 256 << 20 {
        return None;
    }
    let text = std::fs::read_to_string(&p).ok()?;
    let e: Entry = serde_json::from_str(&text).ok()?;
    let same = e.model == key.model
        && e.input == key.input
        && e.k == key.k
        && e.photos == key.photos
        && e.scan.layer == key.scan.layer
        && e.scan.shape == key.scan.shape
        && e.scan.top.len() == key.scan.shape[2]
        && e.scan.top.iter().flatten().all(|h| (h.image as usize) < e.photos.len());
    same.then_some(e.scan)
}

/// Write a layer's scan.
///
/// # Errors
/// The folder cannot be written (the caller reports it and goes on).
pub fn write(dir: &Path, e: &Entry, layer: usize) -> Result<PathBuf, String> {
    let p = path(dir, &e.model, layer, &e.scan.layer);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).map_err(|err| format!("{}: {err}", parent.display()))?;
    }
    let text = serde_json::to_string(e).map_err(|err| err.to_string())?;
    crate::output::write_atomic(&p, |w| w.write_all(text.as_bytes()))
        .map_err(|err| err.to_string())?;
    Ok(p)
}
