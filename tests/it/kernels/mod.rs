//! Kernels built against their own reference vectors (onnxruntime and onnx.reference), before
//! they were wired into the ONNX importer.

mod resize;
mod quant;
mod convt;
mod recurrent;
