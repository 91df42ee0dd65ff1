//! The input bundles of the integer ops: a tensor with its type tag, zero point and scale.

use ndarray::ArrayViewD;

use crate::nn::ops::quant::types::IntType;

/// An integer input of ConvInteger / MatMulInteger: values, type, optional zero point (ONNX:
/// of the same type; absent means 0).
#[derive(Clone, Debug)]
pub struct IntInput<'a> {
    pub data: ArrayViewD<'a, i64>,
    pub ty: IntType,
    pub zero_point: Option<ArrayViewD<'a, i64>>,
}

/// A quantised input of QLinearConv / QLinearMatMul: values, type, scale, zero point (both
/// required by the spec).
#[derive(Clone, Debug)]
pub struct QInput<'a> {
    pub data: ArrayViewD<'a, i64>,
    pub ty: IntType,
    pub scale: ArrayViewD<'a, f32>,
    pub zero_point: ArrayViewD<'a, i64>,
}

/// The quantised output of QLinearConv / QLinearMatMul: its type (that of `y_zero_point`),
/// scale and zero point.
#[derive(Clone, Debug)]
pub struct QOutput<'a> {
    pub ty: IntType,
    pub scale: ArrayViewD<'a, f32>,
    pub zero_point: ArrayViewD<'a, i64>,
}

/// The dims of a quantised input, for the `output_dims_*` functions.
#[derive(Clone, Copy, Debug)]
pub struct QDims<'a> {
    pub data: &'a [usize],
    pub scale: &'a [usize],
    pub zero_point: &'a [usize],
}
