//! convscope: make the volumes inside a convolutional network visible.
//!
//! - [`nn`]: tensors, layers, shape arithmetic and kernels (no terminal code);
//! - [`model`]: turns a TOML spec, a preset or an ONNX file into one [`nn::Network`];
//! - [`engine`]: pass results, statistics and the jobs that run off the UI thread (no UI);
//! - [`tui`]: the explorer's state, actions and widgets;
//! - [`cli`]: the subcommands.

pub mod alloc;
pub mod cli;
pub mod engine;
pub mod fmt;
pub mod model;
pub mod nn;
pub mod output;
#[cfg(test)]
mod readme_block;
pub mod signals;
pub mod text;
pub mod tui;
