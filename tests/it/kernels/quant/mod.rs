//! The quant kernels against their reference vectors (tests/data/kernels/quant).

pub mod common;
mod dims_prop;
mod reference_conv;
mod reference_matmul;
mod reference_qdq;
