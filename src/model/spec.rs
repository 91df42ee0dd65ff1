//! The network spec file (TOML), as written by hand. Key names are fixed: `[input]` with
//! `shape = [H, W, D]`; `[[layer]]` tables with `name`, `type`, `inputs`, and for conv `filters`,
//! `size`, `stride`, `pad`, `dilation`, `groups`, `weights`, `bias`, `init`.
//!
//! ```toml
//! name = "tiny"
//! [input]
//! shape = [32, 32, 3]
//! scale = "0..1"            # or "-1..1", "0..255", "imagenet", or mean = [..] / std = [..]
//!
//! [[layer]]
//! name = "conv1"
//! type = "conv"
//! filters = 12              # K: the depth of the output
//! size = 3                  # F, or [FH, FW]
//! stride = 1                # S, or [SH, SW]
//! pad = 1                   # P, or [top, left, bottom, right], or "same" / "valid"
//! init = "edges"            # or "random", or weights = "w.npy" (K, F, F, D_in/groups)
//! ```

use super::error::{Kind, ModelError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Make every non-integer fit an error (the cs231n notes' rule).
    #[serde(default, skip_serializing_if = "is_false")]
    pub strict: bool,
    /// Base seed for `init = "random"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub input: InputSpec,
    #[serde(default, rename = "layer")]
    pub layers: Vec<LayerSpec>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// `[H, W, D]`.
    pub shape: [usize; 3],
    /// `"0..1"`, `"-1..1"`, `"0..255"` or `"imagenet"`; or a number multiplying pixel values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
    /// Per-channel mean subtracted after scaling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<Vec<f32>>,
    /// Per-channel std dividing after the mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std: Option<Vec<f32>>,
    /// Default photo, relative to the spec file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// A labels file (one class per line), relative to the spec file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Scale {
    Named(String),
    Factor(f32),
}

/// One number, or one per axis / side.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Dims {
    One(i64),
    Many(Vec<i64>),
    Named(String),
}

/// `bias = true/false`, or `bias = "b.npy"`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum BiasSpec {
    On(bool),
    File(String),
}

/// A `[[layer]]` table. Which keys apply depends on `type`; the builder rejects keys that do not.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Dims>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stride: Option<Dims>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pad: Option<Dims>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dilation: Option<Dims>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bias: Option<BiasSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ceil_mode: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count_include_pad: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<f32>,
    /// LRN's additive constant k (`bias` is taken by conv).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eps: Option<f32>,
    /// prelu: one shared slope (or `weights = "slope.npy"` for one per channel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slope: Option<f32>,
    /// batchnorm statistics, `.npy` files of length D.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gamma: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shift: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub var: Option<String>,
}

/// Parse spec text. `origin` names the file in messages; errors carry `file:line:col`.
///
/// # Errors
/// TOML syntax errors and unknown keys, with the file, line and column.
pub fn parse(text: &str, origin: &str) -> Result<Spec> {
    parse_toml(text, origin)
}

/// Deserialize TOML text; errors read `origin:line:col: message` (specs and sidecars alike).
///
/// # Errors
/// TOML syntax errors, unknown keys and wrong types, located in the text.
pub fn parse_toml<T: serde::de::DeserializeOwned>(text: &str, origin: &str) -> Result<T> {
    toml::from_str::<T>(text).map_err(|e| toml_error(&e, text).in_file(origin))
}

/// A TOML error located in `text` (line and column of its span, else line 1).
pub fn toml_error(e: &toml::de::Error, text: &str) -> ModelError {
    let message = e.message().trim().to_string();
    let (line, col) = e.span().map_or((1, 1), |s| line_col(text, s.start));
    ModelError::new(Kind::Toml { line, col, message })
}

/// Read and parse a spec file.
///
/// # Errors
/// The file cannot be read, or [`parse`] fails.
pub fn read(path: &Path) -> Result<Spec> {
    let bytes = super::error::read_file(path, "spec")?;
    let text = String::from_utf8(bytes).map_err(|_| {
        let reason = "it is not UTF-8 text".to_string();
        ModelError::new(Kind::Read { what: "spec", reason }).in_file(path.display())
    })?;
    parse(&text, &path.display().to_string())
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_reports_line_and_column() {
        let text = "[input]\nshape = [5, 5, 3]\n\n[[layer]]\ntype = \"conv\"\nfliters = 2\n";
        let e = parse(text, "net.toml").unwrap_err().to_string();
        assert!(e.starts_with("net.toml:6:1: unknown field `fliters`"), "{e}");
    }

    #[test]
    fn bad_syntax_reports_line_and_column() {
        let e = parse("[input]\nshape = [5, 5,\n", "x.toml").unwrap_err().to_string();
        assert!(e.starts_with("x.toml:"), "{e}");
        assert!(e.contains(":3:") || e.contains(":2:"), "{e}");
    }

    #[test]
    fn pad_takes_a_number_a_list_or_a_word() {
        let text = r#"
            [input]
            shape = [8, 8, 3]
            [[layer]]
            type = "conv"
            pad = [0, 0, 1, 1]
            [[layer]]
            type = "conv"
            pad = "same"
            [[layer]]
            type = "conv"
            pad = 2
        "#;
        let s = parse(text, "t").unwrap();
        assert_eq!(s.layers[0].pad, Some(Dims::Many(vec![0, 0, 1, 1])));
        assert_eq!(s.layers[1].pad, Some(Dims::Named("same".into())));
        assert_eq!(s.layers[2].pad, Some(Dims::One(2)));
    }
}
