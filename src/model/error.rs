//! The errors a user can cause with a model, a spec, a weight file or an input. Each names the
//! file and the layer (when there are ones) and carries the value; the message is rendered once,
//! by [`std::fmt::Display`], as `file: layer: what is wrong`.

use crate::nn::budget::BudgetError;
use crate::nn::{ErrorKind, LayerError};
use std::fmt;

/// A model-level error: where it is, and what (boxed: errors are rare, results are many).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelError(Box<Where>);

/// Where an error is, and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Where {
    /// The file (or the preset, or the editor) the error is in.
    pub file: Option<String>,
    pub layer: Option<String>,
    pub kind: Kind,
}

impl std::ops::Deref for ModelError {
    type Target = Where;
    fn deref(&self) -> &Where {
        &self.0
    }
}

impl std::ops::DerefMut for ModelError {
    fn deref_mut(&mut self) -> &mut Where {
        &mut self.0
    }
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Kind {
    /// `cannot read the spec: No such file or directory (os error 2)`.
    #[error("cannot read the {what}: {reason}")]
    Read { what: &'static str, reason: String },
    /// A directory, FIFO or device where a regular file was expected.
    #[error("is {what}, not a regular file")]
    NotAFile { what: &'static str },
    /// TOML syntax or types, located in the text (the line is 1-based).
    #[error("{line}:{col}: {message}")]
    Toml { line: usize, col: usize, message: String },
    /// `stride 0 is not allowed (S ≥ 1)`.
    #[error("{key} {value} is not allowed ({rule})")]
    Value { key: String, value: String, rule: String },
    /// `stride needs a number`.
    #[error("{key} needs {what}")]
    Empty { key: String, what: &'static str },
    #[error("`{key}` is missing")]
    Missing { key: String },
    #[error("key `{key}` does not apply to type \"{kind}\"")]
    KeyNotForType { key: String, kind: String },
    #[error("type \"{kind}\" is not known (one of: {known})")]
    UnknownType { kind: String, known: String },
    #[error("{key}: cannot be edited here")]
    NotEditable { key: String },
    #[error("give either `{a}` or `{b}`, not both")]
    Conflict { a: &'static str, b: &'static str },
    #[error("inputs is empty (leave it out to read the previous layer)")]
    EmptyInputs,
    #[error("inputs names '{name}', which is not an earlier layer")]
    UnknownInput { name: String },
    #[error("init \"edges\" needs an RGB input (depth 3), this layer's input has depth {depth}")]
    EdgesNeedRgb { depth: usize },
    #[error("init \"edges\" is for conv layers only")]
    EdgesConvOnly,
    #[error("init \"{init}\" is not known (\"random\" or \"edges\")")]
    UnknownInit { init: String },
    /// A layer the core rejects (its geometry, its weights, its inputs).
    #[error(transparent)]
    Layer(ErrorKind),
    #[error("no such preset or file (built-in models: {known})")]
    UnknownModel { known: String },
    #[error("not a .toml spec or an .onnx model")]
    UnknownFormat,
    /// An ONNX file the importer cannot map (the message names the node and the value).
    #[error("{0}")]
    Onnx(String),
    /// A `.npy` file that is not what its key needs.
    #[error("{key} file {path}: {reason}")]
    Npy { key: String, path: String, reason: String },
    #[error("cannot read the image: {0}")]
    Image(String),
    /// The input volume does not fit the network.
    #[error("input is {got}, the network expects {want}")]
    InputShape { got: String, want: String },
    #[error(transparent)]
    Budget(BudgetError),
    #[error("{0}")]
    Write(String),
}

impl ModelError {
    pub fn new(kind: Kind) -> Self {
        ModelError(Box::new(Where { file: None, layer: None, kind }))
    }

    /// An error about `layer`.
    pub fn layer(layer: impl Into<String>, kind: Kind) -> Self {
        ModelError(Box::new(Where { file: None, layer: Some(layer.into()), kind }))
    }

    /// An error in `file` (kept when one is already named).
    pub fn in_file(mut self, file: impl fmt::Display) -> Self {
        if self.file.is_none() {
            self.file = Some(file.to_string());
        }
        self
    }

    /// The message as an editor shows it while editing `layer`: without the file, and without
    /// the layer when it is that one.
    pub fn message_for(&self, layer: &str) -> String {
        match &self.layer {
            Some(l) if l != layer => format!("{l}: {}", self.kind),
            _ => self.kind.to_string(),
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `net.toml:6:1: …` as compilers write it; `net.toml: conv1: …` otherwise.
        let sep = if matches!(self.kind, Kind::Toml { .. }) { ":" } else { ": " };
        if let Some(file) = &self.file {
            write!(f, "{file}")?;
            if self.layer.is_some() {
                write!(f, ": ")?;
            } else {
                write!(f, "{sep}")?;
            }
        }
        if let Some(layer) = &self.layer {
            write!(f, "{layer}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for ModelError {}

impl From<LayerError> for ModelError {
    fn from(e: LayerError) -> Self {
        let at = *e.0;
        match at.kind {
            ErrorKind::Budget(b) => ModelError::layer(at.layer, Kind::Budget(b)),
            kind => ModelError::layer(at.layer, Kind::Layer(kind)),
        }
    }
}

impl From<BudgetError> for ModelError {
    fn from(e: BudgetError) -> Self {
        ModelError::new(Kind::Budget(e))
    }
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// A regular file, or the error that names what it is instead. A FIFO is refused before it is
/// opened (opening one blocks until a writer appears), and so are directories and devices.
///
/// # Errors
/// [`Kind::Read`] when it does not exist, [`Kind::NotAFile`] when it is something else.
pub fn regular_file(path: &std::path::Path, what: &'static str) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| {
        ModelError::new(Kind::Read { what, reason: io_reason(&e) }).in_file(path.display())
    })?;
    let ft = meta.file_type();
    if ft.is_file() {
        return Ok(());
    }
    let kind = if ft.is_dir() {
        "a directory"
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if ft.is_fifo() {
                "a FIFO (named pipe)"
            } else if ft.is_socket() {
                "a socket"
            } else if ft.is_block_device() || ft.is_char_device() {
                "a device"
            } else {
                "not a file"
            }
        }
        #[cfg(not(unix))]
        {
            "not a file"
        }
    };
    Err(ModelError::new(Kind::NotAFile { what: kind }).in_file(path.display()))
}

/// Read a whole regular file (after [`regular_file`]).
///
/// # Errors
/// As [`regular_file`], and I/O errors.
pub fn read_file(path: &std::path::Path, what: &'static str) -> Result<Vec<u8>> {
    regular_file(path, what)?;
    std::fs::read(path).map_err(|e| {
        ModelError::new(Kind::Read { what, reason: io_reason(&e) }).in_file(path.display())
    })
}

/// An I/O error in words, without Rust's `(os error 2)` suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_the_layer_and_the_value() {
        let e = ModelError::layer(
            "conv1",
            Kind::Value { key: "stride".into(), value: "0".into(), rule: "S ≥ 1".into() },
        )
        .in_file("net.toml");
        assert_eq!(e.to_string(), "net.toml: conv1: stride 0 is not allowed (S ≥ 1)");
        assert_eq!(e.message_for("conv1"), "stride 0 is not allowed (S ≥ 1)");
        assert_eq!(e.message_for("conv2"), "conv1: stride 0 is not allowed (S ≥ 1)");
        let t = ModelError::new(Kind::Toml { line: 6, col: 1, message: "unknown field".into() })
            .in_file("net.toml");
        assert_eq!(t.to_string(), "net.toml:6:1: unknown field");
    }

    #[test]
    fn fifos_and_folders_are_refused_without_opening_them() {
        let dir = tempfile::tempdir().unwrap();
        let e = regular_file(dir.path(), "model").unwrap_err();
        assert_eq!(e.kind, Kind::NotAFile { what: "a directory" });
        #[cfg(unix)]
        {
            let fifo = dir.path().join("pipe");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: mkfifo reads the NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            let e = read_file(&fifo, "model").unwrap_err();
            assert_eq!(e.kind, Kind::NotAFile { what: "a FIFO (named pipe)" });
            let e = regular_file(std::path::Path::new("/dev/null"), "image").unwrap_err();
            assert_eq!(e.kind, Kind::NotAFile { what: "a device" });
        }
        let e = regular_file(&dir.path().join("missing.toml"), "spec").unwrap_err();
        assert!(
            matches!(&e.kind, Kind::Read { what: "spec", reason } if reason.contains("No such"))
        );
    }
}
