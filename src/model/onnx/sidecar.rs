//! The sidecar TOML next to an ONNX model (`<stem>.toml`): what an `.onnx` file does not say about
//! its input, that is how a photo becomes the input volume, its size when the model leaves it
//! open, a default photo and the class labels.
//!
//! ```toml
//! [input]
//! size = [224, 224]               # H, W: center crop to this aspect, then resize
//! scale = 1.0                     # x' = (x·scale − mean)/std on pixels x in 0..255
//! mean = 127.0                    # one number, or [r, g, b]
//! std = 128.0
//! image = "../images/chelsea.png" # optional default photo, relative to this file
//! labels = "imagenet_labels.txt"  # one class per line, relative to this file
//! ```
//! `scale` may also be `"0..1"`, `"-1..1"`, `"0..255"` or `"imagenet"`, as in network specs.

use crate::model::spec::parse_toml;
use crate::nn::Normalize;
use color_eyre::eyre::{Result, bail, eyre};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    input: InputTable,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InputTable {
    size: Option<[usize; 2]>,
    scale: Option<ScaleKey>,
    mean: Option<PerChannel>,
    std: Option<PerChannel>,
    image: Option<String>,
    labels: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ScaleKey {
    Factor(f32),
    Named(String),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PerChannel {
    One(f32),
    Rgb([f32; 3]),
}

impl PerChannel {
    fn rgb(&self) -> [f32; 3] {
        match self {
            PerChannel::One(v) => [*v; 3],
            PerChannel::Rgb(v) => *v,
        }
    }
}

/// What a sidecar says, with paths resolved against its folder.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sidecar {
    /// `(H, W)`.
    pub size: Option<(usize, usize)>,
    pub normalize: Option<Normalize>,
    pub image: Option<PathBuf>,
    pub labels_file: Option<PathBuf>,
    /// The labels, once read (see [`Sidecar::load`] or [`Sidecar::with_labels_text`]).
    pub labels: Option<Vec<String>>,
}

impl Sidecar {
    /// The sidecar path for a model: `<stem>.toml` in the same folder.
    pub fn path_for(model: &Path) -> PathBuf {
        model.with_extension("toml")
    }

    /// Parse sidecar text; `origin` names it in messages and `base` is its folder.
    ///
    /// # Errors
    /// TOML errors and unknown keys as `file:line:col: message`; invalid values.
    pub fn parse(text: &str, origin: &str, base: &Path) -> Result<Sidecar> {
        let f: File = parse_toml(text, origin)?;
        let t = f.input;
        if let Some([h, w]) = t.size
            && (h == 0 || w == 0)
        {
            bail!("{origin}: input.size [{h}, {w}] must be at least 1×1");
        }
        let scale = match &t.scale {
            None => None,
            Some(ScaleKey::Factor(f)) => Some(Normalize::scaled(*f)),
            Some(ScaleKey::Named(other)) => Some(Normalize::named(other).ok_or_else(|| {
                eyre!(
                    "{origin}: input.scale '{other}' is not a number or one of 0..1, -1..1, 0..255, imagenet"
                )
            })?),
        };
        let normalize = if scale.is_some() || t.mean.is_some() || t.std.is_some() {
            let mut n = scale.unwrap_or(Normalize::scaled(1.0));
            if let Some(m) = &t.mean {
                n.mean = m.rgb();
            }
            if let Some(s) = &t.std {
                n.std = s.rgb();
                if n.std.contains(&0.0) {
                    bail!("{origin}: input.std {:?} has a zero", n.std);
                }
            }
            Some(n)
        } else {
            None
        };
        Ok(Sidecar {
            size: t.size.map(|[h, w]| (h, w)),
            normalize,
            image: t.image.map(|p| base.join(p)),
            labels_file: t.labels.map(|p| base.join(p)),
            labels: None,
        })
    }

    /// Read the sidecar at `path` and the labels file it names.
    ///
    /// # Errors
    /// Unreadable files, or [`Sidecar::parse`] errors.
    pub fn load(path: &Path) -> Result<Sidecar> {
        let bytes = crate::model::error::read_file(path, "sidecar").map_err(|e| eyre!("{e}"))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let base = path.parent().unwrap_or(Path::new(""));
        let mut s = Sidecar::parse(&text, &path.display().to_string(), base)?;
        if let Some(f) = &s.labels_file {
            let t = crate::model::error::read_file(f, "labels")
                .map_err(|e| eyre!("{e} (named by {})", path.display()))?;
            s.labels = Some(parse_labels(&String::from_utf8_lossy(&t)));
        }
        Ok(s)
    }

    /// Attach labels from text (for a model and labels embedded in the binary).
    pub fn with_labels_text(mut self, text: &str) -> Self {
        self.labels = Some(parse_labels(text));
        self
    }
}

/// One class per line. A leading WordNet id (`n02124075 Egyptian cat`) is dropped, so the label
/// reads `Egyptian cat`.
pub fn parse_labels(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let l = crate::text::printable(l.trim());
            let l = l.as_ref();
            match l.split_once(' ') {
                Some((id, rest))
                    if id.len() == 9
                        && id.starts_with('n')
                        && id[1..].bytes().all(|b| b.is_ascii_digit()) =>
                {
                    rest.trim().to_string()
                }
                _ => l.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn efficientnet_style_sidecar() {
        let text = "[input]\nsize = [224, 224]\nscale = 1.0\nmean = 127\nstd = 128.0\nlabels = \"l.txt\"\n";
        let s = Sidecar::parse(text, "m.toml", Path::new("models")).unwrap();
        assert_eq!(s.size, Some((224, 224)));
        let n = s.normalize.unwrap();
        assert_eq!(n.apply(255.0, 0), 1.0); // (255 − 127)/128
        assert_eq!(n.describe(), "(x − 127)/128");
        assert_eq!(s.labels_file, Some(PathBuf::from("models/l.txt")));
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = Sidecar::parse("[input]\nsize = [1, 2]\nmeen = 3\n", "m.toml", Path::new(""))
            .unwrap_err();
        let e = e.to_string();
        assert!(e.starts_with("m.toml:3:1: unknown field `meen`"), "{e}");
        let e = Sidecar::parse("[input]\nscale = \"0..2\"\n", "m.toml", Path::new("")).unwrap_err();
        assert!(e.to_string().contains("input.scale '0..2'"), "{e}");
    }

    #[test]
    fn labels_drop_wordnet_ids() {
        let l = parse_labels("n01440764 tench\nn02124075 Egyptian cat\nplain label\n");
        assert_eq!(l, ["tench", "Egyptian cat", "plain label"]);
    }
}
