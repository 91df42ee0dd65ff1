//! Writing files that appear whole or not at all.
//!
//! - Every file is written to a hidden temporary name beside its target, synced, then renamed
//!   over it; a failure removes the temporary file, and so does SIGINT/SIGTERM (the temporary
//!   names are registered here, and [`crate::signals`] removes them).
//! - A target that is a directory, a FIFO or a device is refused; a symlink is written through to
//!   the file it points at (the link itself stays).
//! - A [`Batch`] of several files (a spec and its `.npy` tensors) is all or nothing: every file
//!   is written to its temporary name first, and only when all of them are complete are they
//!   renamed into place.

use crate::model::error::{Kind, ModelError, Result, io_reason};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files being written right now, removed by a signal handler.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temps() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A poisoned lock only means a writer panicked mid-push: the list is still valid.
    TEMPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Remove every temporary file being written (from a signal handler thread).
pub fn remove_temps() {
    for p in temps().drain(..) {
        let _ = std::fs::remove_file(p);
    }
}

fn write_error(path: &Path, e: &std::io::Error) -> ModelError {
    ModelError::new(Kind::Write(format!("cannot write: {}", io_reason(e)))).in_file(path.display())
}

/// Where writing `path` really goes: the path itself, or the file a symlink points at.
///
/// # Errors
/// A directory, FIFO, socket or device; a missing folder.
pub fn target(path: &Path) -> Result<PathBuf> {
    let refuse =
        |what: &'static str| Err(ModelError::new(Kind::NotAFile { what }).in_file(path.display()));
    let real = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => match std::fs::canonicalize(path) {
            Ok(t) => t,
            // A loop of links names no file at all: writing would replace one of the links.
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return refuse("a loop of symbolic links");
            }
            // A dangling link: write the file it names.
            Err(_) => match std::fs::read_link(path) {
                Ok(t) if t.is_absolute() => t,
                Ok(t) => path.parent().unwrap_or(Path::new(".")).join(t),
                Err(e) => return Err(write_error(path, &e)),
            },
        },
        _ => path.to_path_buf(),
    };
    match std::fs::metadata(&real) {
        Ok(m) if m.is_file() => {}
        Ok(m) if m.is_dir() => return refuse("a directory"),
        Ok(_) => return refuse("a FIFO or a device"),
        Err(_) => {
            let dir = real.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            if !dir.is_dir() {
                let why = format!("no such folder {}", dir.display());
                return Err(ModelError::new(Kind::Write(why)).in_file(path.display()));
            }
        }
    }
    Ok(real)
}

/// The hidden temporary name beside `real`.
fn temp_for(real: &Path) -> PathBuf {
    let dir = real.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = real.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    dir.join(format!(".{name}.tmp{}", std::process::id()))
}

/// Write `fill`'s bytes to the registered temporary file `tmp`, synced.
fn write_temp(
    path: &Path,
    tmp: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    temps().push(tmp.to_path_buf());
    let result = (|| -> std::io::Result<()> {
        let f = std::fs::File::create(tmp)?;
        let mut w = std::io::BufWriter::new(f);
        fill(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()
    })();
    if let Err(e) = result {
        forget(tmp);
        return Err(write_error(path, &e));
    }
    Ok(())
}

/// Remove a temporary file and its registration.
fn forget(tmp: &Path) {
    let _ = std::fs::remove_file(tmp);
    temps().retain(|p| p != tmp);
}

/// Write a file through `fill`, atomically (see the module docs).
///
/// # Errors
/// A target that cannot be written ([`target`]), or an I/O error; nothing is left behind.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let mut b = Batch::default();
    b.add(path, fill)?;
    b.commit()
}

/// Several files written all or nothing.
#[derive(Debug, Default)]
pub struct Batch {
    /// `(temporary, final)` of every file written so far.
    pending: Vec<(PathBuf, PathBuf)>,
}

impl Batch {
    /// Write one file of the batch (to its temporary name).
    ///
    /// # Errors
    /// As [`write_atomic`]; the batch's other files are removed when it is dropped.
    pub fn add(
        &mut self,
        path: &Path,
        fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<()> {
        let real = target(path)?;
        if self.pending.iter().any(|(_, r)| *r == real) {
            let why = "is written twice in one save".to_string();
            return Err(ModelError::new(Kind::Write(why)).in_file(path.display()));
        }
        let tmp = temp_for(&real);
        write_temp(path, &tmp, fill)?;
        self.pending.push((tmp, real));
        Ok(())
    }

    /// Rename every file into place; returns their final paths.
    ///
    /// # Errors
    /// A rename that fails: the files not yet renamed are removed.
    pub fn commit(mut self) -> Result<()> {
        for (tmp, real) in std::mem::take(&mut self.pending) {
            if let Err(e) = std::fs::rename(&tmp, &real) {
                forget(&tmp);
                return Err(write_error(&real, &e));
            }
            temps().retain(|p| *p != tmp);
        }
        Ok(())
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        for (tmp, _) in self.pending.drain(..) {
            forget(&tmp);
        }
    }
}

/// Whether two paths name the same file (the same inode, or the same canonical path).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.npy");
        let r = write_atomic(&p, |_| Err(std::io::Error::other("disk full")));
        assert!(r.unwrap_err().to_string().contains("disk full"));
        assert!(files(dir.path()).is_empty());
        assert!(temps().iter().all(|t| !t.starts_with(dir.path())));
    }

    #[test]
    fn a_batch_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.txt"), "old").unwrap();
        let mut b = Batch::default();
        b.add(&dir.path().join("a.txt"), |w| w.write_all(b"a")).unwrap();
        b.add(&dir.path().join("b.txt"), |w| w.write_all(b"new")).unwrap();
        let e = b.add(&dir.path().join("c.txt"), |_| Err(std::io::Error::other("disk full")));
        assert!(e.is_err());
        drop(b);
        assert_eq!(files(dir.path()), ["b.txt"], "only the file that was there before");
        assert_eq!(std::fs::read_to_string(dir.path().join("b.txt")).unwrap(), "old");
        let mut b = Batch::default();
        b.add(&dir.path().join("a.txt"), |w| w.write_all(b"a")).unwrap();
        b.add(&dir.path().join("b.txt"), |w| w.write_all(b"new")).unwrap();
        b.commit().unwrap();
        assert_eq!(files(dir.path()), ["a.txt", "b.txt"]);
        assert_eq!(std::fs::read_to_string(dir.path().join("b.txt")).unwrap(), "new");
    }

    #[test]
    fn devices_folders_and_missing_folders_are_refused_and_links_followed() {
        let dir = tempfile::tempdir().unwrap();
        let e = write_atomic(dir.path(), |w| w.write_all(b"x")).unwrap_err();
        assert_eq!(e.kind, Kind::NotAFile { what: "a directory" });
        let e = write_atomic(Path::new("/dev/null"), |w| w.write_all(b"x")).unwrap_err();
        assert_eq!(e.kind, Kind::NotAFile { what: "a FIFO or a device" });
        assert!(Path::new("/dev/null").exists(), "the device is untouched");
        let e = write_atomic(&dir.path().join("no/such/x.npy"), |w| w.write_all(b"x"));
        assert!(e.unwrap_err().to_string().contains("no such folder"));
        #[cfg(unix)]
        {
            let real = dir.path().join("real.npy");
            std::fs::write(&real, "old").unwrap();
            let link = dir.path().join("link.npy");
            std::os::unix::fs::symlink(&real, &link).unwrap();
            write_atomic(&link, |w| w.write_all(b"new")).unwrap();
            assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
            assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        }
    }

    #[test]
    fn the_same_file_by_another_name() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::write(&a, "x").unwrap();
        assert!(same_file(&a, &dir.path().join(".").join("a")));
        assert!(!same_file(&a, &dir.path().join("b")));
    }
}
