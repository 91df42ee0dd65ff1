//! Kernels: the numbers behind every layer, on stored `(D, H, W)` volumes.
//!
//! Every function takes views and returns a fresh standard-layout [`Volume`]. Windowed kernels
//! take the layer's checked geometry ([`crate::nn::geometry`]). Shapes are checked with
//! `assert!` (and sizes with checked arithmetic): a mismatch here is a bug in shape analysis
//! (which reports user errors as `Result`s before any kernel runs), so each function documents
//! its `# Panics`.
//!
//! - [`conv2d`] / [`conv2d_fused`]: im2col + `gemm`, a direct depthwise kernel, a no-copy 1×1 path;
//!   [`conv2d_naive`] is the literal cs231n loop, kept as the reference; [`conv_neuron`] explains
//!   one output neuron channel by channel;
//! - pools, normalisations, dense, softmax, activations, element-wise ops and concatenation.

mod activation;
pub mod buffers;
mod concat;
mod conv;
mod depthwise;
mod depthwise_blocked;
mod elementwise;
mod epilogue;
mod fc;
mod geometry;
mod im2col;
mod implicit;
mod isa;
mod naive;
mod neuron;
mod norm;
mod pool;
pub(crate) mod sgemm;
mod shared;
mod softmax;
#[cfg(test)]
mod testutil;

pub use activation::{
    clip, clip_inplace, leaky_relu, leaky_relu_inplace, logistic, logistic_slice, prelu, relu,
    relu_inplace, sigmoid, sigmoid_inplace,
};
pub(crate) use activation::{map_slice, parallel_len, zip_slice};
pub use concat::concat_depth;
pub use conv::{conv2d, conv2d_fused, conv2d_of_act};
pub use elementwise::{add, mul};
pub use epilogue::Epilogue;
pub use fc::fc;
pub use naive::conv2d_naive;
pub use neuron::{NeuronTerms, conv_neuron};
pub use norm::{batch_norm, lrn};
pub use pool::{avg_pool, global_avg_pool, max_pool, max_pool_of_act};
pub use softmax::softmax_depth;

/// A standard-layout copy of `x`: every kernel returns its volume in this layout.
pub(crate) fn to_volume(x: &ndarray::ArrayView3<f32>) -> Volume {
    x.as_standard_layout().into_owned()
}

use crate::nn::tensor::Volume;
