//! Small ONNX models built in the tests with the generated prost types: a graph input, nodes
//! with attributes, and float or int64 initializers.

use convscope::model::onnx::proto::attribute_proto::AttributeType;
use convscope::model::onnx::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, tensor_shape_proto, type_proto,
};
use prost::Message;

/// A float tensor type with these dims.
pub fn float_type(d: &[i64]) -> Option<TypeProto> {
    let dim = d
        .iter()
        .map(|&v| tensor_shape_proto::Dimension {
            value: Some(tensor_shape_proto::dimension::Value::DimValue(v)),
            ..Default::default()
        })
        .collect();
    Some(TypeProto {
        value: Some(type_proto::Value::TensorType(type_proto::Tensor {
            elem_type: Some(1),
            shape: Some(TensorShapeProto { dim }),
        })),
        ..Default::default()
    })
}

pub fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Ints as i32),
        ints: v.to_vec(),
        ..Default::default()
    }
}

pub fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(v),
        ..Default::default()
    }
}

pub fn tensor_attr(name: &str, t: TensorProto) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Tensor as i32),
        t: Some(t),
        ..Default::default()
    }
}

pub fn floats(name: &str, dims: &[i64], v: &[f32]) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        data_type: Some(1),
        dims: dims.to_vec(),
        float_data: v.to_vec(),
        ..Default::default()
    }
}

pub fn int64s(name: &str, dims: &[i64], v: &[i64]) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        data_type: Some(7),
        dims: dims.to_vec(),
        int64_data: v.to_vec(),
        ..Default::default()
    }
}

/// `op(inputs) -> output` with attributes.
pub fn node(op: &str, inputs: &[&str], output: &str, attrs: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: Some(op.into()),
        name: Some(output.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute: attrs,
        ..Default::default()
    }
}

/// A model with graph input `x` of `input` dims, the nodes, the initializers, the last node's
/// output as the graph output, and `opset`.
pub fn model(input: &[i64], nodes: Vec<NodeProto>, inits: Vec<TensorProto>, opset: i64) -> Vec<u8> {
    let out = nodes.last().and_then(|n| n.output.first().cloned()).unwrap_or_else(|| "x".into());
    let graph = GraphProto {
        name: Some("hostile".into()),
        node: nodes,
        initializer: inits,
        input: vec![ValueInfoProto {
            name: Some("x".into()),
            r#type: float_type(input),
            ..Default::default()
        }],
        output: vec![ValueInfoProto { name: Some(out), ..Default::default() }],
        ..Default::default()
    };
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(opset),
        }],
        graph: Some(graph),
        ..Default::default()
    }
    .encode_to_vec()
}

/// A 3→`k` channel 3×3 conv with these attributes, on a `[1, 3, 16, 16]` input.
pub fn conv(attrs: Vec<AttributeProto>) -> Vec<u8> {
    let w = floats("w", &[2, 3, 3, 3], &[0.1; 54]);
    model(&[1, 3, 16, 16], vec![node("Conv", &["x", "w"], "y", attrs)], vec![w], 13)
}
