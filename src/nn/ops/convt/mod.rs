//! ONNX ConvTranspose: the checked geometry ([`geometry`]), a GEMM + col2im kernel, the
//! definitional loop kept as its reference, and one neuron explained ([`kernel`]).

pub mod geometry;
pub mod kernel;
