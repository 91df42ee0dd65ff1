//! The errors a user can cause with a bad layer. Each names the layer and carries the values;
//! the message is rendered once, at the edge.

use super::geometry::GeomError;
use super::tensor::Shape3;

/// `conv1: stride 0 is not allowed (S ≥ 1)` (boxed: errors are rare, results are many).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {}", .0.layer, .0.kind)]
pub struct LayerError(pub Box<At>);

/// The layer an error is about, and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct At {
    pub layer: String,
    pub kind: ErrorKind,
}

impl std::ops::Deref for LayerError {
    type Target = At;
    fn deref(&self) -> &At {
        &self.0
    }
}

/// What is wrong with a layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    /// A window that does not fit, a size out of bounds, a pool pad too large.
    #[error(transparent)]
    Geometry(#[from] GeomError),
    #[error("name '{name}' is used twice (layers {first} and {second})")]
    DuplicateName { name: String, first: usize, second: usize },
    #[error("input '{name}' is not an earlier layer")]
    UnknownInput { name: String },
    #[error("{kind} takes {want}, got {got}")]
    Arity { kind: &'static str, want: &'static str, got: usize },
    #[error("groups {groups} must divide the input depth {depth} and the filters {filters}")]
    Groups { groups: usize, depth: usize, filters: usize },
    /// A tensor of the wrong shape: `weights have shape [2, 3], expected [4, 3] (K, F, F, D_in/groups)`.
    #[error("{what} {got}, expected {want}{note}")]
    TensorShape { what: &'static str, got: String, want: String, note: &'static str },
    #[error("input shapes {a} and {b} cannot be combined")]
    Broadcast { a: Shape3, b: Shape3 },
    #[error("concat needs equal H×W, got {a} and {b}")]
    Concat { a: Shape3, b: Shape3 },
    #[error("{axis}: {formula} does not fit (strict)")]
    Strict { axis: &'static str, formula: String },
    #[error("input is {got}, the network expects {want}")]
    InputShape { got: String, want: String },
    #[error("cannot resume at layer {from}: only {kept} outputs are kept")]
    Resume { from: usize, kept: usize },
    #[error("has no weights (give `weights = \"w.npy\"` or `init = \"random\"`)")]
    NoWeights,
    /// A general op whose inputs or attributes do not fit.
    #[error(transparent)]
    Op(#[from] super::ops::OpError),
    /// Over the memory budget: refused before anything is allocated.
    #[error(transparent)]
    Budget(#[from] super::budget::BudgetError),
}

impl LayerError {
    pub fn new(layer: impl Into<String>, kind: impl Into<ErrorKind>) -> Self {
        LayerError(Box::new(At { layer: layer.into(), kind: kind.into() }))
    }
}
