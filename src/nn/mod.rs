//! The numeric core: volumes, layers, shape arithmetic, kernels and the forward pass.
//! Nothing here knows about terminals.

pub mod analysis;
pub mod budget;
pub mod error;
pub mod forward;
pub mod geometry;
pub mod kernels;
pub mod layer;
pub mod network;
pub mod receptive;
pub mod tensor;

pub use error::{ErrorKind, LayerError};
pub use layer::{ConvParams, Layer, LayerKind, Origin, Padding, PoolParams, Src, Weights};
pub use network::{InputSpec, Network, Normalize};
pub use tensor::{Shape3, Volume};
