//! ONNX LSTM and GRU (opsets 7 to 28: LSTM-7/14/22, GRU-7/14/22) on f32, for convscope.
//!
//! - [`RnnParams::from_attrs`] checks a node's attributes once;
//! - [`output_dims`] checks every input shape against the attributes and the other inputs
//!   (hostile files: every mismatch is an error, all arithmetic checked);
//! - [`lstm`] and [`gru`] run the node: per direction one GEMM for X·Wᵀ over every step, then
//!   per step one GEMM (a matrix–vector product for batch 1) for H·Rᵀ, with every buffer
//!   allocated before the step loop, and a large bidirectional node's directions on two
//!   threads;
//! - [`gates_at`] explains one hidden unit at one step: every gate's pre-activation and value,
//!   with the formula in words.
//!
//! Where the spec is silent or ambiguous this follows onnxruntime; see `README.md`.

pub mod activation;
mod dims;
mod engine;
mod error;
mod explain;
mod fastmath;
mod gru;
mod lstm;
mod params;

pub use activation::Activation;
pub use dims::{RnnDims, output_dims};
pub use engine::{RnnInputs, RnnOut};
pub use error::RnnError;
pub use explain::{GateQuery, GateRow, Gates, gates_at};
pub use gru::gru;
pub use lstm::lstm;
pub use params::{Cell, Direction, Layout, MAX_DIM, MAX_ELEMS, MAX_OPSET, RnnAttrs, RnnParams};
