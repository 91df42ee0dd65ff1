//! The resize kernels against their reference vectors (tests/data/kernels/resize).

pub mod common;
mod depth_space;
mod hostile;
mod pad;
mod resize_hand;
mod resize_vectors;
