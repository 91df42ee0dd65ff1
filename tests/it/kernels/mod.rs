//! Kernels built against their own reference vectors (onnxruntime and onnx.reference), before
//! they were wired into the ONNX importer.

mod convt;
mod quant;
mod recurrent;
mod resize;
