//! Why an LSTM or GRU node cannot run. Every message names the op and the attribute or input
//! at fault, so a hostile or broken file is reported, never panicked on.

/// An error in an LSTM or GRU node's attributes, input shapes or input values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RnnError {
    /// A bad attribute: `LSTM: attribute activations: "Swish" is not one of …`.
    #[error("{op}: attribute {attr}: {msg}")]
    Attr { op: &'static str, attr: &'static str, msg: String },
    /// An input whose shape is wrong or disagrees with the others:
    /// `LSTM: input R [1, 8, 3]: dim 1 is 8, W says 4·hidden_size = 12`.
    #[error("{op}: input {input} {dims}: {msg}")]
    Shape { op: &'static str, input: &'static str, dims: String, msg: String },
    /// A `sequence_lens` entry outside `0..=seq_length`.
    #[error("{op}: sequence_lens[{batch}] = {value} is outside 0..={seq}")]
    SeqLen { op: &'static str, batch: usize, value: i64, seq: usize },
    /// Something this crate does not do: an opset before 7, a call with the other cell's
    /// parameters, an explain query outside the tensors.
    #[error("{op}: {msg}")]
    Unsupported { op: &'static str, msg: String },
}

/// `[2, 8, 3]`.
pub(crate) fn dims_text(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}
