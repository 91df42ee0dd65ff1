//! The numeric core: volumes, layers, shape arithmetic, kernels and the forward pass.
//! Nothing here knows about terminals.

pub mod analysis;
mod analysis_volume;
pub mod awake;
pub mod backward;
pub mod budget;
pub mod error;
pub mod forward;
pub mod geometry;
pub mod kernels;
pub mod layer;
pub mod network;
pub mod ops;
pub mod receptive;
pub mod tensor;
pub mod view;

pub use error::{ErrorKind, LayerError};
pub use layer::{ConvParams, Layer, LayerKind, Origin, Padding, PoolParams, Src, Weights};
pub use network::{InputSpec, Network, Normalize};
pub use tensor::{Elem, Shape3, Tensor, Volume};
pub use view::{Hint, View3, ViewMap};
