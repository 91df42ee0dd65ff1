//! Exact ONNX quantisation kernels: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
//! ConvInteger, MatMulInteger, QLinearConv and QLinearMatMul.
//!
//! Integer tensors are `ArrayD<i64>` holding the exact values, tagged with an [`IntType`];
//! float tensors are f32. Axis order is ONNX's, batch included. Results match onnxruntime 1.32
//! bit for bit (integers exactly; see [`round`] for the one place onnx.reference differs), and
//! every shape, attribute and value from a file is checked: inconsistencies are
//! [`QuantError`]s, never panics.
//!
//! Each op has a pure function and an `output_dims_*` function that checks the shapes alone.

pub mod attrs;
pub mod axis_params;
pub mod conv_geom;
pub mod conv_integer;
pub mod describe;
pub mod error;
mod gemm;
pub mod inputs;
pub mod matmul;
pub mod matmul_shape;
pub mod qdq;
pub mod qlinear_conv;
pub mod round;
pub mod types;

pub use attrs::{QdqNode, QdqResolved, dequantize_attrs, quantize_attrs};
pub use axis_params::qdq_granularity;
pub use conv_geom::{AutoPad, ConvAttrs, ConvAxis, ConvGeom, conv_geometry};
pub use conv_integer::{conv_integer, output_dims_conv_integer};
pub use describe::{
    ConvNeuron, describe_dequantize, describe_quantize, describe_requantize, fmt_num,
    qlinear_conv_neuron,
};
pub use error::QuantError;
pub use inputs::{IntInput, QDims, QInput, QOutput};
pub use matmul::{
    matmul_integer, output_dims_matmul_integer, output_dims_qlinear_matmul, qlinear_matmul,
};
pub use matmul_shape::{MatMulShape, a_param_per_row, b_param_per_col, matmul_shape};
pub use qdq::{
    DynamicQuant, dequantize_linear, dynamic_quantize_linear, dynamic_scale_zero_point,
    output_dims_dequantize_linear, output_dims_dynamic_quantize_linear,
    output_dims_quantize_linear, quantize_linear,
};
pub use qlinear_conv::{output_dims_qlinear_conv, qlinear_conv};
pub use round::{dequantize_value, multiplier, quantize_value, requantize, round_saturate};
pub use types::{IntType, MAX_DIM, MAX_ELEMS, check_dims};
