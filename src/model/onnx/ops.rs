//! The ONNX ops convscope computes (default domain, opsets 7–25), for the README, `summary`
//! and messages. Any other op opens as a not-computable layer.

/// Every op the importer maps, grouped as the README lists them.
pub const SUPPORTED: &[(&str, &[&str])] = &[
    (
        "elementwise",
        &[
            "Relu",
            "LeakyRelu",
            "PRelu",
            "Sigmoid",
            "HardSigmoid",
            "HardSwish",
            "Tanh",
            "Exp",
            "Log",
            "Sqrt",
            "Reciprocal",
            "Neg",
            "Abs",
            "Erf",
            "Gelu",
            "Softplus",
            "Softsign",
            "Elu",
            "Selu",
            "Celu",
            "ThresholdedRelu",
            "Mish",
            "Swish",
            "Shrink",
            "Floor",
            "Ceil",
            "Round",
            "Sign",
            "Sin",
            "Cos",
            "Not",
            "IsNaN",
            "IsInf",
            "Clip",
            "Add",
            "Sub",
            "Mul",
            "Div",
            "Pow",
            "Mod",
            "Max",
            "Min",
            "Mean",
            "Sum",
            "Where",
            "Equal",
            "Less",
            "LessOrEqual",
            "Greater",
            "GreaterOrEqual",
            "And",
            "Or",
            "Xor",
            "Cast",
            "Identity",
            "Dropout",
        ],
    ),
    (
        "reductions",
        &[
            "ReduceMean",
            "ReduceSum",
            "ReduceMax",
            "ReduceMin",
            "ReduceL1",
            "ReduceL2",
            "ReduceProd",
            "ReduceSumSquare",
            "ReduceLogSumExp",
            "ArgMax",
            "ArgMin",
            "TopK",
            "GlobalAveragePool",
            "GlobalMaxPool",
        ],
    ),
    (
        "normalisation",
        &[
            "BatchNormalization",
            "InstanceNormalization",
            "LayerNormalization",
            "GroupNormalization",
            "LpNormalization",
            "LRN",
        ],
    ),
    (
        "spatial (2-D)",
        &[
            "Conv",
            "ConvTranspose",
            "MaxPool",
            "AveragePool",
            "Pad",
            "Resize",
            "Upsample",
            "DepthToSpace",
            "SpaceToDepth",
        ],
    ),
    (
        "shape",
        &[
            "Reshape",
            "Transpose",
            "Flatten",
            "Squeeze",
            "Unsqueeze",
            "Concat",
            "Split",
            "Slice",
            "Gather",
            "Expand",
            "Tile",
            "Shape",
            "Size",
            "ConstantOfShape",
            "Range",
            "Constant",
        ],
    ),
    ("dense", &["MatMul", "Gemm", "Softmax", "LogSoftmax"]),
    ("recurrent", &["LSTM", "GRU"]),
    (
        "quantised",
        &[
            "QuantizeLinear",
            "DequantizeLinear",
            "DynamicQuantizeLinear",
            "ConvInteger",
            "MatMulInteger",
            "QLinearConv",
            "QLinearMatMul",
        ],
    ),
];

/// The README's list of supported ops (between its `ops:start` and `ops:end` markers).
pub fn markdown() -> String {
    let mut out = String::from("| group | ops |\n|---|---|\n");
    for (group, ops) in SUPPORTED {
        out.push_str(&format!("| {group} | {} |\n", ops.join(", ")));
    }
    out
}

/// Whether convscope maps this op of the default domain.
pub fn is_supported(op: &str) -> bool {
    SUPPORTED.iter().any(|(_, ops)| ops.contains(&op))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_readme_lists_exactly_the_supported_ops() {
        crate::readme_block::check("ops", &super::markdown());
    }

    #[test]
    fn every_listed_op_is_mapped_by_the_importer() {
        // The importer's match arms, read from its source: an op listed but not mapped (or
        // mapped but not listed) is a README that lies.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/model/onnx/");
        let src: String = ["nodes.rs", "nodes_spatial.rs", "nodes_quant.rs"]
            .iter()
            .map(|f| std::fs::read_to_string(format!("{dir}{f}")).unwrap())
            .collect();
        for (_, ops) in super::SUPPORTED {
            for op in *ops {
                assert!(src.contains(&format!("\"{op}\"")), "{op} is listed but never matched");
            }
        }
    }
}
