//! A network: an input description and a list of layers in topological order (a DAG).

use super::layer::{Layer, Src};
use super::tensor::Shape3;
use std::path::PathBuf;

/// How a photo becomes the input volume: center-crop to the input's aspect, resize to `H × W`,
/// then `x' = (x·scale − mean[c]) / std[c]` with `x` the pixel value in `0..=255`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Normalize {
    pub scale: f32,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Normalize {
    /// `0..1`: divide by 255.
    pub fn unit() -> Self {
        Normalize { scale: 1.0 / 255.0, mean: [0.0; 3], std: [1.0; 3] }
    }
    /// `-1..1`: `x/127.5 − 1`.
    pub fn signed() -> Self {
        Normalize { scale: 1.0 / 127.5, mean: [1.0; 3], std: [1.0; 3] }
    }
    /// `x·scale` with no mean or std (`scale = 1` keeps raw `0..255` pixels).
    pub fn scaled(scale: f32) -> Self {
        Normalize { scale, mean: [0.0; 3], std: [1.0; 3] }
    }
    /// A named scale as specs and sidecars write it: `0..1`, `-1..1`, `0..255` or `imagenet`.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "0..1" => Some(Self::unit()),
            "-1..1" => Some(Self::signed()),
            "0..255" => Some(Self::scaled(1.0)),
            "imagenet" => Some(Self::imagenet()),
            _ => None,
        }
    }
    /// torchvision's ImageNet mean/std on `0..1` values.
    pub fn imagenet() -> Self {
        Normalize { scale: 1.0 / 255.0, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }
    }
    /// Apply to one pixel value of channel `c`.
    pub fn apply(&self, x: f32, c: usize) -> f32 {
        let c = c.min(2);
        (x * self.scale - self.mean[c]) / self.std[c]
    }
    /// Human-readable form, e.g. `(x − 127)/128` or `x/255`.
    pub fn describe(&self) -> String {
        let same = |a: [f32; 3]| a[0] == a[1] && a[1] == a[2];
        if *self == Self::unit() {
            return "x/255 (0..1)".into();
        }
        if *self == Self::signed() {
            return "x/127.5 − 1 (-1..1)".into();
        }
        if *self == Self::imagenet() {
            return "ImageNet mean/std on x/255".into();
        }
        if self.scale == 1.0 && same(self.mean) && same(self.std) {
            return format!("(x − {})/{}", self.mean[0], self.std[0]);
        }
        format!("(x·{:.5} − {:?})/{:?}", self.scale, self.mean, self.std)
    }
}

/// The network's input volume and how to fill it from a photo.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSpec {
    pub shape: Shape3,
    pub normalize: Normalize,
    /// A photo to use when the user gives none.
    pub default_image: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// A preset name or the file stem of the spec/model.
    pub name: String,
    pub input: InputSpec,
    pub layers: Vec<Layer>,
    /// Class labels, one per output of the last layer, when known.
    pub labels: Option<Vec<String>>,
    /// The file this network was loaded from (a spec or a model), if any.
    pub source: Option<PathBuf>,
}

impl Network {
    /// Find a layer by name, or by its 0-based index written as a number.
    pub fn find(&self, name_or_index: &str) -> Option<usize> {
        if let Some(i) = self.layers.iter().position(|l| l.name == name_or_index) {
            return Some(i);
        }
        name_or_index.parse::<usize>().ok().filter(|&i| i < self.layers.len())
    }

    /// Network depth: the number of layers with learned weights (conv and fc). This is not the
    /// depth of a volume (its number of channels).
    pub fn depth(&self) -> usize {
        self.layers.iter().filter(|l| l.kind.has_weights()).count()
    }

    /// A copy of everything but the layers (which the caller supplies).
    pub fn clone_without_layers(&self) -> Network {
        Network {
            name: self.name.clone(),
            input: self.input.clone(),
            layers: Vec::new(),
            labels: self.labels.clone(),
            source: self.source.clone(),
        }
    }

    /// The name of a source, for messages.
    pub fn src_name(&self, s: Src) -> &str {
        match s {
            Src::Input => "input",
            Src::Layer(i) => &self.layers[i].name,
        }
    }
}
