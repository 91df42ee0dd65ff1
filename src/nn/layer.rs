//! Layers: what each kind of layer is, its hyper-parameters and its learned tensors.
//!
//! Conventions (the user-facing ones, shared by specs, exports and the UI):
//! - volumes are `H × W × D` when shown or exported; internally a [`Volume`] is stored `(D, H, W)`;
//! - conv weights are `(K, FH, FW, D_in/groups)`, so `W[k]` has the shape of an input patch;
//! - fc weights are `(outputs, inputs)`, where inputs are the flattened `(H, W, D)` input in C order.

use ndarray::{ArcArray, ArcArray1, ArcArray2};

/// Conv weights `(K, FH, FW, D_in/groups)`, shared: cloning a network (undo, before/after) is cheap.
pub type ArcArray4<A> = ArcArray<A, ndarray::Ix4>;

/// Zero padding of a conv or pool layer, as written in a spec or an ONNX file.
#[derive(Clone, Debug, PartialEq)]
pub enum Padding {
    /// Explicit pixels: top, left, bottom, right.
    Explicit { top: usize, left: usize, bottom: usize, right: usize },
    /// TF/ONNX `SAME_UPPER`: output = ceil(n / s); an odd total puts the extra pixel at the end.
    SameUpper,
    /// ONNX `SAME_LOWER`: like `SameUpper` but the extra pixel goes at the start.
    SameLower,
    /// No padding.
    Valid,
}

impl Padding {
    pub fn symmetric(p: usize) -> Self {
        Padding::Explicit { top: p, left: p, bottom: p, right: p }
    }
}

/// Hyper-parameters of a convolution (`conv`). Square kernels have `kh == kw`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvParams {
    /// K: the number of filters, which is the depth of the output volume.
    pub filters: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad: Padding,
    pub dilation_h: usize,
    pub dilation_w: usize,
    pub groups: usize,
    pub bias: bool,
}

/// Hyper-parameters of `maxpool` / `avgpool`.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolParams {
    pub kh: usize,
    pub kw: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    /// Spacing between window taps (ONNX `dilations`; 1 in every classic network).
    pub dilation_h: usize,
    pub dilation_w: usize,
    pub pad: Padding,
    pub ceil_mode: bool,
    /// avgpool only: whether padded zeros count in the mean's denominator.
    pub count_include_pad: bool,
}

/// What a layer computes.
#[derive(Clone, Debug, PartialEq)]
pub enum LayerKind {
    Conv(ConvParams),
    Relu,
    /// `min(max(x, min), max)`; `relu6` is `Clip { min: 0, max: 6 }`.
    Clip {
        min: f32,
        max: f32,
    },
    LeakyRelu {
        alpha: f32,
    },
    /// Per-channel slope for negative values (weights: [`Weights::Prelu`]).
    Prelu,
    Sigmoid,
    MaxPool(PoolParams),
    AvgPool(PoolParams),
    GlobalAvgPool,
    /// Inference batch norm: `(x − mean)/sqrt(var + eps)·gamma + beta` per channel.
    BatchNorm {
        eps: f32,
    },
    /// Local response normalisation across channels (AlexNet).
    Lrn {
        size: usize,
        alpha: f32,
        beta: f32,
        bias: f32,
    },
    /// Dense layer: `outputs` neurons, each connected to every input value.
    Fc {
        outputs: usize,
    },
    /// `H × W × D` → `1 × 1 × (H·W·D)`, in `(H, W, D)` C order.
    Flatten,
    /// Softmax over depth (at every position).
    Softmax,
    /// Identity at inference.
    Dropout,
    /// Element-wise sum of all inputs (same shape, or depth-broadcast of a 1×1×D input).
    Add,
    /// Element-wise product of all inputs (same shape, or depth-broadcast of a 1×1×D input).
    Mul,
    /// Concatenation along depth.
    Concat,
    /// A general op with ONNX semantics, on tensors of any rank (see [`crate::nn::ops`]).
    Op(Box<crate::nn::ops::OpLayer>),
}

impl LayerKind {
    /// The short name used in specs and tables (`conv`, `relu`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            LayerKind::Conv(_) => "conv",
            LayerKind::Relu => "relu",
            LayerKind::Clip { min, max } if *min == 0.0 && *max == 6.0 => "relu6",
            LayerKind::Clip { .. } => "clip",
            LayerKind::LeakyRelu { .. } => "leaky_relu",
            LayerKind::Prelu => "prelu",
            LayerKind::Sigmoid => "sigmoid",
            LayerKind::MaxPool(_) => "maxpool",
            LayerKind::AvgPool(_) => "avgpool",
            LayerKind::GlobalAvgPool => "global_avgpool",
            LayerKind::BatchNorm { .. } => "batchnorm",
            LayerKind::Lrn { .. } => "lrn",
            LayerKind::Fc { .. } => "fc",
            LayerKind::Flatten => "flatten",
            LayerKind::Softmax => "softmax",
            LayerKind::Dropout => "dropout",
            LayerKind::Add => "add",
            LayerKind::Mul => "mul",
            LayerKind::Concat => "concat",
            LayerKind::Op(o) => o.op.name(),
        }
    }

    /// Layers with learned weights count towards the network depth.
    pub fn has_weights(&self) -> bool {
        match self {
            LayerKind::Conv(_) | LayerKind::Fc { .. } => true,
            LayerKind::Op(o) => o.has_weights(),
            _ => false,
        }
    }
}

/// The learned tensors of a layer. Arrays are `ArcArray`s (build them with `.into_shared()`), so
/// cloning a network for undo or a before/after view shares the numbers instead of copying them.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Weights {
    #[default]
    None,
    /// `w`: `(K, FH, FW, D_in/groups)`; `b`: `(K)`.
    Conv { w: ArcArray4<f32>, b: Option<ArcArray1<f32>> },
    /// `w`: `(outputs, inputs)`; `b`: `(outputs)`.
    Fc { w: ArcArray2<f32>, b: Option<ArcArray1<f32>> },
    /// One slope per input channel.
    Prelu { slope: ArcArray1<f32> },
    BatchNorm {
        gamma: ArcArray1<f32>,
        beta: ArcArray1<f32>,
        mean: ArcArray1<f32>,
        var: ArcArray1<f32>,
    },
}

/// Where a layer reads its input from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Src {
    /// The network's input volume.
    Input,
    /// The output of the layer with this index.
    Layer(usize),
}

/// Where a layer's weights came from; decides how a saved spec writes them.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Origin {
    /// No weights.
    #[default]
    None,
    /// `init = "random"` with this seed.
    Random { seed: u64 },
    /// `init = "edges"`: the hand-designed bank.
    Edges,
    /// Loaded from a file (`.npy` or a model).
    File(std::path::PathBuf),
    /// Re-initialised after an edit changed the weight shape: no longer trained. The weights are
    /// the edge bank (`edges`) or He-normal from `seed`, so a saved spec can regenerate them.
    Reinitialized { seed: u64, edges: bool },
}

impl Origin {
    /// Whether an edit replaced this layer's weights.
    pub fn is_reinitialized(&self) -> bool {
        matches!(self, Origin::Reinitialized { .. })
    }
}

/// One node of the network DAG.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Unique within the network.
    pub name: String,
    pub kind: LayerKind,
    /// Inputs, each earlier in topological order.
    pub inputs: Vec<Src>,
    pub weights: Weights,
    pub origin: Origin,
    /// A non-integer output size is an error instead of a floored warning (cs231n's rule).
    pub strict: bool,
}
