//! `.npy` files in and out, with errors that name the file, the layer and the key, and writes that
//! never leave a partial file behind.

use super::error::{Kind, ModelError, Result, read_file};
use crate::nn::{budget, geometry};
use ndarray::{Array, ArrayBase, Data, Dimension};
use ndarray_npy::npy::header::Header;
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use std::io::Write;
use std::path::Path;

/// An error's message on one line (some nest several lines).
fn one_line(e: &dyn std::fmt::Display) -> String {
    crate::text::one_line(&e.to_string())
}

/// Read an f32 array of dimension `D` from `path`. The header is checked before anything is
/// allocated: its shape must hold at most 2^31 values that fit the memory budget, and the file
/// must hold exactly that many float32s.
///
/// # Errors
/// The file is missing or not a regular file, not an f32 `.npy`, truncated, too large, or has the
/// wrong number of dimensions; one line naming the layer, the key and the file.
pub fn read_f32<D: Dimension>(path: &Path, layer: &str, key: &str) -> Result<Array<f32, D>> {
    let err = |reason: String| {
        let kind = Kind::Npy { key: key.to_string(), path: path.display().to_string(), reason };
        ModelError::layer(layer, kind)
    };
    let what = if key.starts_with("--") { "input" } else { "weights" };
    let bytes = read_file(path, what).map_err(|e| err(e.kind.to_string()))?;
    check_header_len(&bytes).map_err(err)?;
    let mut cur = std::io::Cursor::new(&bytes[..]);
    let header = Header::from_reader(&mut cur).map_err(|e| err(one_line(&e)))?;
    let desc = header.type_descriptor.to_string();
    if !matches!(desc.as_str(), "'<f4'" | "'=f4'") {
        let desc = crate::text::printable(&desc);
        return Err(err(format!("holds {desc}, not little-endian float32 ('<f4')")));
    }
    let n = geometry::count(key, &header.shape).map_err(|e| err(e.to_string()))?;
    let data = bytes.len() as u64 - cur.position();
    if data != 4 * n as u64 {
        return Err(err(format!(
            "its shape {:?} needs {} bytes of data, the file holds {data} (truncated?)",
            header.shape,
            4 * n
        )));
    }
    budget::check(|| format!("{layer}'s {key}"), 4 * n as u64)?;
    let dyn_arr = ndarray::ArrayD::<f32>::read_npy(&bytes[..])
        .map_err(|e| err(format!("not a float32 .npy ({})", one_line(&e))))?;
    let shape = dyn_arr.shape().to_vec();
    dyn_arr.into_dimensionality::<D>().map_err(|_| {
        let want = D::NDIM.map_or("some".to_string(), |n| n.to_string());
        err(format!("has shape {shape:?}, expected {want} dimensions"))
    })
}

/// The dims an `.npy`'s header declares (the file is checked as [`read_f32`] checks it).
///
/// # Errors
/// As [`read_f32`].
pub fn header_dims(path: &Path, key: &str) -> Result<Vec<usize>> {
    let err = |reason: String| {
        let kind = Kind::Npy { key: key.to_string(), path: path.display().to_string(), reason };
        ModelError::layer("input", kind)
    };
    let bytes = read_file(path, "input").map_err(|e| err(e.kind.to_string()))?;
    check_header_len(&bytes).map_err(err)?;
    let mut cur = std::io::Cursor::new(&bytes[..]);
    let header = Header::from_reader(&mut cur).map_err(|e| err(one_line(&e)))?;
    geometry::count(key, &header.shape).map_err(|e| err(e.to_string()))?;
    Ok(header.shape)
}

/// The longest header convscope reads: numpy writes well under 1 KiB.
const MAX_HEADER: u64 = 1 << 16;

/// The header's declared length must fit the file and [`MAX_HEADER`] before the `.npy` reader
/// allocates it (a v2 header may declare 4 GiB).
fn check_header_len(bytes: &[u8]) -> std::result::Result<(), String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Ok(()); // the reader names what is wrong
    }
    let (len, start) = match bytes[6] {
        1 => (u64::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        _ if bytes.len() >= 12 => {
            (u64::from(u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]])), 12)
        }
        _ => return Err("truncated header".into()),
    };
    if len > MAX_HEADER || start + len > bytes.len() as u64 {
        return Err(format!(
            "its header claims {len} bytes; the file holds {} (truncated or corrupt)",
            bytes.len()
        ));
    }
    Ok(())
}

/// Write an array as `.npy`, whole or not at all (see [`crate::output`]).
///
/// # Errors
/// The target cannot be written (a folder, a device, no such folder, disk full); nothing is left
/// behind then.
pub fn write<S: Data<Elem = f32>, D: Dimension>(path: &Path, a: &ArrayBase<S, D>) -> Result<()> {
    crate::output::write_atomic(path, |w| write_to(w, a))
}

/// Write an integer array as an int64 `.npy`, whole or not at all.
///
/// # Errors
/// As [`write`].
pub fn write_i64<S: Data<Elem = i64>, D: Dimension>(
    path: &Path,
    a: &ArrayBase<S, D>,
) -> Result<()> {
    crate::output::write_atomic(path, |w| {
        a.write_npy(w).map_err(|e| std::io::Error::other(one_line(&e)))
    })
}

/// An array's `.npy` bytes into `w`.
///
/// # Errors
/// I/O errors of `w`.
pub fn write_to<S: Data<Elem = f32>, D: Dimension>(
    w: &mut dyn Write,
    a: &ArrayBase<S, D>,
) -> std::io::Result<()> {
    a.write_npy(w).map_err(|e| std::io::Error::other(one_line(&e)))
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

    /// Hostile headers are refused before anything the size of their claim is allocated.
    #[test]
    fn headers_that_lie_are_refused_in_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.npy");
        write(&p, &Array::from_shape_fn((2, 3), |(i, j)| (i * 3 + j) as f32)).unwrap();
        let good = std::fs::read(&p).unwrap();
        let lie = |from: &str, to: &str| {
            // Keep the header's length: take the extra characters from its padding spaces.
            let find =
                |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
            let mut bad = good.clone();
            let at = find(&bad, from.as_bytes()).unwrap();
            bad.splice(at..at + from.len(), to.bytes());
            let nl = find(&bad, b"\n").unwrap();
            bad.drain(nl - (to.len() - from.len())..nl);
            assert_eq!(bad.len(), good.len(), "same header length");
            std::fs::write(&p, &bad).unwrap();
            read_f32::<ndarray::Ix2>(&p, "fc1", "weights").unwrap_err()
        };
        let huge = lie("(2, 3)", "(9999999999, 99999)");
        assert!(
            matches!(&huge.kind, Kind::Npy { reason, .. } if reason.contains("values")),
            "{huge}"
        );
        let short = lie("(2, 3)", "(3, 3)");
        assert!(short.to_string().contains("truncated"), "{short}");
        let f8 = lie("<f4", "<f8");
        assert!(f8.to_string().contains("not little-endian float32"), "{f8}");
        std::fs::write(&p, &good[..20]).unwrap();
        let cut = read_f32::<ndarray::Ix2>(&p, "fc1", "weights").unwrap_err().to_string();
        assert!(!cut.contains('\n') && cut.starts_with("fc1: weights file"), "{cut}");
    }
}
