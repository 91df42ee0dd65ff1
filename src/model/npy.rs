//! `.npy` files in and out, with errors that name the file, the layer and the key, and writes that
//! never leave a partial file behind.

use color_eyre::eyre::{Result, eyre};
use ndarray::{Array, ArrayBase, Data, Dimension};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use std::io::Write;
use std::path::Path;

/// Read an f32 array of dimension `D` from `path`.
///
/// # Errors
/// The file is missing, not an f32 `.npy`, or has the wrong number of dimensions.
pub fn read_f32<D: Dimension>(path: &Path, layer: &str, key: &str) -> Result<Array<f32, D>> {
    let file = std::fs::File::open(path)
        .map_err(|e| eyre!("{layer}: {key} file {}: {e}", path.display()))?;
    let dyn_arr = ndarray::ArrayD::<f32>::read_npy(std::io::BufReader::new(file))
        .map_err(|e| eyre!("{layer}: {key} file {}: not a float32 .npy ({e})", path.display()))?;
    let shape = dyn_arr.shape().to_vec();
    dyn_arr.into_dimensionality::<D>().map_err(|_| {
        let want = D::NDIM.map_or("some".to_string(), |n| n.to_string());
        eyre!(
            "{layer}: {key} file {} has shape {shape:?}, expected {want} dimensions",
            path.display()
        )
    })
}

/// Write an array as `.npy`: to a temporary file beside `path`, then renamed over it.
///
/// # Errors
/// The folder is not writable, or the disk is full; nothing is left behind then.
pub fn write<S: Data<Elem = f32>, D: Dimension>(path: &Path, a: &ArrayBase<S, D>) -> Result<()> {
    write_atomic(path, |w| a.write_npy(w).map_err(|e| eyre!("{e}")))
}

/// Write a file through `fill`, atomically: a temporary file beside `path`, then a rename.
///
/// # Errors
/// Any I/O error, with the path; the temporary file is removed.
pub fn write_atomic(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| eyre!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
    let result = (|| -> Result<()> {
        let f = std::fs::File::create(&tmp).map_err(|e| eyre!("{}: {e}", path.display()))?;
        let mut w = std::io::BufWriter::new(f);
        fill(&mut w).map_err(|e| eyre!("{}: {e}", path.display()))?;
        let f = w.into_inner().map_err(|e| eyre!("{}: {e}", path.display()))?;
        f.sync_all().map_err(|e| eyre!("{}: {e}", path.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| eyre!("{}: {e}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_rank() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.npy");
        let a = Array::from_shape_fn((2, 3), |(i, j)| (i * 3 + j) as f32);
        write(&p, &a).unwrap();
        let back: ndarray::Array2<f32> = read_f32(&p, "fc1", "weights").unwrap();
        assert_eq!(back, a);
        let e = read_f32::<ndarray::Ix4>(&p, "conv1", "weights").unwrap_err().to_string();
        assert!(e.contains("conv1: weights file") && e.contains("[2, 3]"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left");
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.npy");
        let r = write_atomic(&p, |_| Err(eyre!("disk full")));
        assert!(r.unwrap_err().to_string().contains("disk full"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
