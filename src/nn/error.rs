//! The error a user can cause with a bad layer: it names the layer, the parameter and the value.

/// `conv1: stride 0 is not allowed (S ≥ 1)`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{layer}: {message}")]
pub struct LayerError {
    pub layer: String,
    pub message: String,
}

impl LayerError {
    pub fn new(layer: impl Into<String>, message: impl Into<String>) -> Self {
        LayerError { layer: layer.into(), message: message.into() }
    }
}
