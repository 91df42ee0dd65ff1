//! Reading a node's attributes, with the defaults of the ONNX spec supplied by the caller.

use super::proto::attribute_proto::AttributeType;
use super::proto::{AttributeProto, NodeProto};
use crate::nn::Tensor;
use color_eyre::eyre::{Result, bail, eyre};

/// A node as the importer sees it: its op, a name for messages, and typed attribute getters.
pub struct Node<'a> {
    pub proto: &'a NodeProto,
    pub op: &'a str,
    /// `Conv 'stem'`, or `Conv (output 'x')` for a node without a name.
    pub label: String,
    /// The opset version of the default domain, which decides some defaults (Softmax, Clip).
    pub opset: i64,
}

impl<'a> Node<'a> {
    pub fn new(proto: &'a NodeProto, opset: i64) -> Self {
        let op = proto.op_type.as_deref().unwrap_or("");
        let p = |s: &str| crate::text::printable(s).into_owned();
        let label = match proto.name.as_deref() {
            Some(n) if !n.is_empty() => format!("{} '{}'", p(op), p(n)),
            _ => match proto.output.first() {
                Some(o) => format!("{} (output '{}')", p(op), p(o)),
                None => format!("{} (unnamed)", p(op)),
            },
        };
        Node { proto, op, label, opset }
    }

    /// The layer name: the node name, else its first output's name.
    pub fn layer_name(&self) -> String {
        let name = match self.proto.name.as_deref() {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => match self.proto.output.first().filter(|o| !o.is_empty()) {
                Some(o) => o.clone(),
                None => self.op.to_lowercase(),
            },
        };
        crate::text::printable(&name).into_owned()
    }

    /// Input `i`'s tensor name; `None` when absent or written as `""` (an omitted optional input).
    pub fn input(&self, i: usize) -> Option<&'a str> {
        self.proto.input.get(i).map(String::as_str).filter(|s| !s.is_empty())
    }

    /// An error message that starts with this node.
    pub fn err(&self, msg: impl std::fmt::Display) -> color_eyre::eyre::Report {
        eyre!("{}: {msg}", self.label)
    }

    fn attr(&self, name: &str) -> Option<&'a AttributeProto> {
        self.proto.attribute.iter().find(|a| a.name.as_deref() == Some(name))
    }

    fn typed(&self, name: &str, want: AttributeType) -> Result<Option<&'a AttributeProto>> {
        let Some(a) = self.attr(name) else { return Ok(None) };
        if a.ref_attr_name.is_some() {
            bail!("{}: attribute '{name}' refers to a function attribute", self.label);
        }
        // Old writers leave `type` unset; trust the field that is present then.
        match a.r#type.and_then(|t| AttributeType::try_from(t).ok()) {
            Some(t) if t != want => bail!(
                "{}: attribute '{name}' is {}, expected {}",
                self.label,
                t.as_str_name(),
                want.as_str_name()
            ),
            _ => Ok(Some(a)),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.attr(name).is_some()
    }

    pub fn int(&self, name: &str, default: i64) -> Result<i64> {
        Ok(self.typed(name, AttributeType::Int)?.and_then(|a| a.i).unwrap_or(default))
    }

    pub fn float(&self, name: &str, default: f32) -> Result<f32> {
        Ok(self.typed(name, AttributeType::Float)?.and_then(|a| a.f).unwrap_or(default))
    }

    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>> {
        Ok(self.typed(name, AttributeType::Ints)?.map(|a| a.ints.clone()))
    }

    pub fn floats(&self, name: &str) -> Result<Option<Vec<f32>>> {
        Ok(self.typed(name, AttributeType::Floats)?.map(|a| a.floats.clone()))
    }

    pub fn string(&self, name: &str, default: &str) -> Result<String> {
        Ok(match self.typed(name, AttributeType::String)?.and_then(|a| a.s.as_deref()) {
            Some(s) => String::from_utf8_lossy(s).into_owned(),
            None => default.to_string(),
        })
    }

    pub fn tensor(&self, name: &str) -> Result<Option<Tensor>> {
        match self.typed(name, AttributeType::Tensor)?.and_then(|a| a.t.as_ref()) {
            Some(t) => Ok(Some(super::tensor::from_proto(
                t,
                &format!("{}: attribute '{name}'", self.label),
            )?)),
            None => Ok(None),
        }
    }

    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>> {
        Ok(self
            .typed(name, AttributeType::Strings)?
            .map(|a| a.strings.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect()))
    }

    /// A list of non-negative sizes (kernel_shape, strides, …) of exactly `n` entries.
    pub fn sizes(&self, name: &str, n: usize) -> Result<Option<Vec<usize>>> {
        let Some(v) = self.ints(name)? else { return Ok(None) };
        if v.len() != n || v.iter().any(|&x| x < 0) {
            bail!("{}: {name} {v:?} must be {n} non-negative numbers (2-D only)", self.label);
        }
        Ok(Some(v.into_iter().map(|x| x as usize).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int_attr(name: &str, i: i64) -> AttributeProto {
        AttributeProto {
            name: Some(name.into()),
            r#type: Some(AttributeType::Int as i32),
            i: Some(i),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_apply_when_absent_and_types_are_checked() {
        let proto = NodeProto {
            op_type: Some("Conv".into()),
            output: vec!["y".into()],
            attribute: vec![int_attr("group", 4)],
            ..Default::default()
        };
        let n = Node::new(&proto, 13);
        assert_eq!(n.label, "Conv (output 'y')");
        assert_eq!(n.layer_name(), "y");
        assert_eq!(n.int("group", 1).unwrap(), 4);
        assert_eq!(n.int("ceil_mode", 0).unwrap(), 0);
        assert_eq!(n.float("alpha", 0.01).unwrap(), 0.01);
        let e = n.ints("group").unwrap_err().to_string();
        assert_eq!(e, "Conv (output 'y'): attribute 'group' is INT, expected INTS");
    }

    #[test]
    fn sizes_must_be_two_dimensional() {
        let proto = NodeProto {
            name: Some("c".into()),
            op_type: Some("Conv".into()),
            attribute: vec![AttributeProto {
                name: Some("strides".into()),
                r#type: Some(AttributeType::Ints as i32),
                ints: vec![1, 1, 1],
                ..Default::default()
            }],
            ..Default::default()
        };
        let e = Node::new(&proto, 13).sizes("strides", 2).unwrap_err().to_string();
        assert!(e.starts_with("Conv 'c': strides [1, 1, 1] must be 2"), "{e}");
    }
}
