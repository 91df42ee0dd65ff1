//! A network: an input description and a list of layers in topological order (a DAG).

use super::layer::{Layer, Origin, Src};
use super::tensor::{Shape3, Tensor, Volume, dims_text};
use super::view::{Hint, ViewMap};
use ndarray::IxDyn;
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

/// The network's input and how to fill it from a photo.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSpec {
    /// The input as a volume `H × W × D` (the view of `dims`).
    pub shape: Shape3,
    /// The input tensor's dims: `[D, H, W]` for a spec, the ONNX dims (`[1, C, H, W]`,
    /// `[1, H, W, C]`, …) for a model.
    pub dims: Vec<usize>,
    /// Whether the channels come first or last.
    pub hint: Hint,
    /// The element type the input takes (float for every photo; a test graph may take ints).
    pub elem: super::tensor::Elem,
    /// Whether H and W may be set by the user (a model that leaves them open).
    pub open_size: bool,
    pub normalize: Normalize,
    /// A photo to use when the user gives none.
    pub default_image: Option<PathBuf>,
    /// Where the input size came from, for the header (`--size`, the sidecar, the photo…).
    pub size_from: Option<String>,
}

impl InputSpec {
    /// A spec's input volume, stored `(D, H, W)`.
    pub fn volume(shape: Shape3, normalize: Normalize, default_image: Option<PathBuf>) -> Self {
        InputSpec {
            shape,
            dims: shape.dhw(),
            hint: Hint::ChannelsFirst,
            elem: super::tensor::Elem::F32,
            open_size: false,
            normalize,
            default_image,
            size_from: None,
        }
    }

    /// A model's input tensor of `dims`, shown as the volume [`ViewMap::of`] gives.
    pub fn tensor(
        dims: Vec<usize>,
        hint: Hint,
        normalize: Normalize,
        default_image: Option<PathBuf>,
    ) -> Self {
        let shape = ViewMap::of(&dims, hint).shape;
        InputSpec {
            shape,
            dims,
            hint,
            elem: super::tensor::Elem::F32,
            open_size: false,
            normalize,
            default_image,
            size_from: None,
        }
    }

    /// The input tensor holding a `(D, H, W)` volume of this input's view shape (a photo): the
    /// same values in the tensor's own layout.
    ///
    /// # Panics
    /// If the volume is not of `self.shape`.
    pub fn from_volume(&self, v: Volume) -> Tensor {
        assert_eq!(Shape3::of(&v.view()), self.shape, "the volume has the input's shape");
        let t = Tensor::from_volume(v);
        if self.hint == Hint::ChannelsLast && self.dims.len() >= 3 {
            // (D, H, W) → (H, W, D), then the tensor's dims.
            let a = t
                .to_f32()
                .view()
                .permuted_axes(IxDyn(&[1, 2, 0]))
                .as_standard_layout()
                .into_owned();
            return Tensor::F32(
                a.into_shape_with_order(IxDyn(&self.dims)).expect("same count").into_shared(),
            );
        }
        t.reshaped(&self.dims)
    }

    /// Whether a photo can fill the input: depth 1 or 3 in a plain volume.
    pub fn takes_photo(&self) -> bool {
        self.takes_photo_shape() && matches!(self.shape.d, 1 | 3) && self.elem.is_float()
    }

    /// The input as a learner reads it: `11×11×4` for a volume, else its ONNX dims `[1, 80]`.
    pub fn describe(&self) -> String {
        if self.takes_photo_shape() { self.shape.to_string() } else { dims_text(&self.dims) }
    }

    /// Whether the input is a plain volume (`[D, H, W]`, `[1, C, H, W]` or `[1, H, W, C]`).
    pub fn takes_photo_shape(&self) -> bool {
        let v = ViewMap::of(&self.dims, self.hint);
        v.is_volume() || (self.dims.len() == 3 && self.dims[0] == 1)
    }
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
    /// Other files read to build it (a labels file), which commands must not write over.
    pub files: Vec<PathBuf>,
    /// Other names a source goes by: an ONNX node's output tensor names (`face_prob`), and the
    /// graph input's name.
    pub aliases: Vec<(String, Src)>,
    /// What the importer did beyond one layer per node: ONNX nodes folded into constants at
    /// load time (they are computed, but have no layer).
    pub folded_nodes: usize,
}

impl Network {
    /// Whether the weights are not trained, in words, when any weight layer was generated
    /// (`init = "edges"`, seeded random, or re-initialised by an edit) rather than loaded:
    /// `edge-bank first layer, seeded random deeper layers: shapes real, maps untrained`.
    pub fn untrained_note(&self) -> Option<String> {
        let weighted: Vec<&Origin> =
            self.layers.iter().filter(|l| l.kind.has_weights()).map(|l| &l.origin).collect();
        let edges =
            |o: &Origin| matches!(o, Origin::Edges | Origin::Reinitialized { edges: true, .. });
        let random = |o: &Origin| {
            matches!(o, Origin::Random { .. } | Origin::Reinitialized { edges: false, .. })
        };
        let (ne, nr) = (
            weighted.iter().filter(|o| edges(o)).count(),
            weighted.iter().filter(|o| random(o)).count(),
        );
        let generated = ne + nr;
        if generated == 0 {
            return None;
        }
        let tail = "shapes real, maps untrained";
        if generated < weighted.len() {
            return Some(format!(
                "{generated} of {} weight layers generated, not trained (edge bank or seeded random)",
                weighted.len()
            ));
        }
        let first_edges = weighted.first().is_some_and(|o| edges(o));
        Some(match (ne, nr) {
            (1, 0) => format!("hand-designed edge-bank filters: {tail}"),
            (_, 0) => format!("hand-designed edge-bank weights: {tail}"),
            (0, _) => format!("seeded random weights: {tail}"),
            (1, _) if first_edges => {
                format!("edge-bank first layer, seeded random deeper layers: {tail}")
            }
            _ => format!("edge-bank and seeded random weights: {tail}"),
        })
    }

    /// Find a layer by name, by another name it goes by (an ONNX output tensor), or by its
    /// 0-based index written as a number.
    pub fn find(&self, name_or_index: &str) -> Option<usize> {
        match self.find_src(name_or_index)? {
            Src::Layer(i) => Some(i),
            Src::Input => None,
        }
    }

    /// Find a source: `input` (or the input tensor's name), a layer by name or alias, or an
    /// index.
    pub fn find_src(&self, name: &str) -> Option<Src> {
        if name == "input" && !self.layers.iter().any(|l| l.name == "input") {
            return Some(Src::Input);
        }
        if let Some(i) = self.layers.iter().position(|l| l.name == name) {
            return Some(Src::Layer(i));
        }
        if let Some((_, s)) = self.aliases.iter().find(|(a, _)| a == name) {
            return Some(*s);
        }
        name.parse::<usize>().ok().filter(|&i| i < self.layers.len()).map(Src::Layer)
    }

    /// Whether this came from a model file (ONNX: tensors in ONNX order, nodes) rather than a
    /// spec (rank-3 `(D, H, W)` volumes, layers).
    pub fn is_model(&self) -> bool {
        self.folded_nodes > 0
            || !self.aliases.is_empty()
            || self.input.dims.len() != 3
            || self.source.as_ref().is_some_and(|p| p.extension().is_some_and(|e| e == "onnx"))
    }

    /// The other names of a source (for the layer list and `summary`).
    pub fn aliases_of(&self, s: Src) -> impl Iterator<Item = &str> {
        self.aliases.iter().filter(move |(_, a)| *a == s).map(|(n, _)| n.as_str())
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
            files: self.files.clone(),
            aliases: self.aliases.clone(),
            folded_nodes: self.folded_nodes,
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
