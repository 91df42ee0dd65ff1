//! Which ONNX ops the importer knows, and the one error that lists every op it does not.

use super::attrs::Node;
use super::fold::FOLD_ONLY;
use std::collections::BTreeMap;

/// Ops that map onto layers (or pass through).
pub const MAPPED: &[&str] = &[
    "Add",
    "AveragePool",
    "BatchNormalization",
    "Clip",
    "Concat",
    "Conv",
    "Div",
    "Dropout",
    "Flatten",
    "Gemm",
    "GlobalAveragePool",
    "Identity",
    "LRN",
    "LeakyRelu",
    "MatMul",
    "MaxPool",
    "Mul",
    "PRelu",
    "Relu",
    "Reshape",
    "Sigmoid",
    "Softmax",
    "Sub",
    "Sum",
];

/// `Conv, Relu, …; on constants only: Cast, …` for messages.
pub fn supported_list() -> String {
    format!("{}; on constants only: {}", MAPPED.join(", "), FOLD_ONLY.join(", "))
}

fn is_default_domain(d: Option<&str>) -> bool {
    matches!(d, None | Some("" | "ai.onnx"))
}

/// `None` when every node's op is known; else one line naming each unknown op type with a node.
pub fn unsupported(nodes: &[Node]) -> Option<String> {
    let mut bad: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for n in nodes {
        let known = is_default_domain(n.proto.domain.as_deref())
            && (MAPPED.contains(&n.op) || FOLD_ONLY.contains(&n.op));
        if !known {
            let op = match n.proto.domain.as_deref() {
                Some(d) if !is_default_domain(Some(d)) => format!("{d}.{}", n.op),
                _ => n.op.to_string(),
            };
            let e = bad.entry(op).or_insert_with(|| (n.layer_name(), 0));
            e.1 += 1;
        }
    }
    if bad.is_empty() {
        return None;
    }
    let list: Vec<String> = bad
        .iter()
        .map(|(op, (node, count))| match count {
            1 => format!("{op} (node '{node}')"),
            c => format!("{op} (node '{node}' and {} more)", c - 1),
        })
        .collect();
    Some(format!(
        "unsupported ONNX ops: {}; convscope supports {}",
        list.join(", "),
        supported_list()
    ))
}
