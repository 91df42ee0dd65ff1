//! The photos of a folder: PNG and JPEG files found recursively (symlinks not followed, so a
//! loop cannot trap the walk), in a stable order, with what the cache checks them by.

use std::path::{Path, PathBuf};

/// The most photos one scan takes.
pub const MAX_IMAGES: usize = 100_000;

/// One photo: its path relative to the folder, its size and modification time (seconds).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Photo {
    pub path: String,
    pub bytes: u64,
    pub mtime: u64,
}

fn is_photo(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

/// Every photo under `dir`, sorted by path; the cache folder is skipped.
///
/// # Errors
/// `dir` is not a readable folder, or it holds more than [`MAX_IMAGES`] photos.
pub fn photos(dir: &Path) -> Result<Vec<Photo>, String> {
    let meta = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!("{}: not a folder", dir.display()));
    }
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            // symlink_metadata: a link is neither followed nor taken.
            let Ok(m) = std::fs::symlink_metadata(&p) else { continue };
            if m.is_dir() {
                if p.file_name().is_some_and(|n| n == super::cache::DIR) {
                    continue;
                }
                stack.push(p);
            } else if m.is_file() && is_photo(&p) {
                let rel = p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().into_owned();
                let mtime = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                out.push(Photo { path: rel, bytes: m.len(), mtime });
                if out.len() > MAX_IMAGES {
                    return Err(format!("{}: more than {MAX_IMAGES} photos", dir.display()));
                }
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
