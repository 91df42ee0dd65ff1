//! An LSTM or GRU node's attributes, checked once: [`RnnParams::from_attrs`].

use crate::nn::ops::recurrent::activation::{Activation, NAMES, ParseError};
use crate::nn::ops::recurrent::error::RnnError;

/// The largest size of any one dimension (as convscope's `geometry::MAX_DIM`).
pub const MAX_DIM: usize = 1 << 24;
/// The most values any one tensor, or any buffer the kernels allocate, may hold (as
/// convscope's `geometry::MAX_ELEMS`).
pub const MAX_ELEMS: usize = 1 << 31;
/// The newest ai.onnx opset whose LSTM and GRU this crate knows (onnx 1.23: LSTM-22, GRU-22).
pub const MAX_OPSET: i64 = 28;

/// Which recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cell {
    /// Gates i, o, f, c (in that order in W, R and B), peepholes i, o, f.
    Lstm,
    /// Gates z, r, h.
    Gru,
}

impl Cell {
    /// `LSTM` or `GRU`, as ONNX names the op.
    pub fn name(self) -> &'static str {
        match self {
            Cell::Lstm => "LSTM",
            Cell::Gru => "GRU",
        }
    }

    /// Gates per direction: the factor of `hidden_size` in W's and R's second dim.
    pub fn gates(self) -> usize {
        match self {
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }

    /// Activations per direction: LSTM f, g, h; GRU f, g.
    pub fn activations(self) -> usize {
        match self {
            Cell::Lstm => 3,
            Cell::Gru => 2,
        }
    }
}

/// The `direction` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Forward,
    Reverse,
    Bidirectional,
}

impl Direction {
    /// `num_directions`: 2 for bidirectional, else 1.
    pub fn count(self) -> usize {
        if self == Direction::Bidirectional { 2 } else { 1 }
    }

    /// Whether direction index `d` (0 or 1) runs from the end of each sequence to its start.
    pub fn is_reverse(self, d: usize) -> bool {
        self == Direction::Reverse || (self == Direction::Bidirectional && d == 1)
    }
}

/// The `layout` attribute (opset 14 on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// 0: X `[seq, batch, input]`, Y `[seq, dirs, batch, H]`, states `[dirs, batch, H]`.
    SeqMajor,
    /// 1: X `[batch, seq, input]`, Y `[batch, seq, dirs, H]`, states `[batch, dirs, H]`.
    BatchMajor,
}

/// A node's attributes as read from the file, each `None` when absent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RnnAttrs {
    pub direction: Option<String>,
    pub hidden_size: Option<i64>,
    pub activations: Option<Vec<String>>,
    pub activation_alpha: Option<Vec<f32>>,
    pub activation_beta: Option<Vec<f32>>,
    pub clip: Option<f32>,
    /// LSTM only.
    pub input_forget: Option<i64>,
    /// GRU only.
    pub linear_before_reset: Option<i64>,
    /// Opset 14 on.
    pub layout: Option<i64>,
}

/// A node's checked attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct RnnParams {
    pub cell: Cell,
    /// The operator version the model's opset selects: 7, 14 or 22 (22 only adds types).
    pub since_version: u32,
    pub direction: Direction,
    /// The attribute, if given; the kernels take the size from R and check it against this.
    pub hidden_size: Option<usize>,
    /// [`Cell::activations`] per direction, forward direction first: LSTM `f, g, h`, GRU `f, g`.
    pub activations: Vec<Activation>,
    /// Bound on every gate's pre-activation, `[−clip, clip]`.
    pub clip: Option<f32>,
    pub input_forget: bool,
    pub linear_before_reset: bool,
    pub layout: Layout,
}

impl RnnParams {
    /// Check an LSTM's or GRU's attributes under the model's ai.onnx `opset`.
    ///
    /// # Errors
    /// An opset before 7 or after [`MAX_OPSET`]; an unknown direction or activation name; the
    /// wrong number of activations (3 per direction for LSTM, 2 for GRU); more α or β values
    /// than the activations take, or non-finite ones; hidden_size ≤ 0 or above [`MAX_DIM`];
    /// clip ≤ 0 or NaN; input_forget, linear_before_reset or layout not 0 or 1; an attribute
    /// the op or its version does not have.
    pub fn from_attrs(cell: Cell, opset: i64, attrs: &RnnAttrs) -> Result<Self, RnnError> {
        let op = cell.name();
        let since_version = match opset {
            7..=13 => 7,
            14..=21 => 14,
            22..=MAX_OPSET => 22,
            _ => {
                return Err(RnnError::Unsupported {
                    op,
                    msg: format!("opset {opset} is not supported (7 to {MAX_OPSET})"),
                });
            }
        };
        let attr = |attr: &'static str, msg: String| RnnError::Attr { op, attr, msg };
        let direction = match attrs.direction.as_deref() {
            None | Some("forward") => Direction::Forward,
            Some("reverse") => Direction::Reverse,
            Some("bidirectional") => Direction::Bidirectional,
            Some(other) => {
                return Err(attr(
                    "direction",
                    format!("{other:?} is not forward, reverse or bidirectional"),
                ));
            }
        };
        let hidden_size = match attrs.hidden_size {
            None => None,
            Some(h) if h <= 0 => return Err(attr("hidden_size", format!("{h} is not positive"))),
            Some(h) if h as u64 > MAX_DIM as u64 => {
                return Err(attr("hidden_size", format!("{h} is too large (at most {MAX_DIM})")));
            }
            Some(h) => Some(h as usize),
        };
        let activations = activations(cell, direction, attrs)?;
        if let Some(c) = attrs.clip
            && (c.is_nan() || c <= 0.0)
        {
            return Err(attr("clip", format!("{c} is not a positive threshold")));
        }
        let flag = |name: &'static str, v: Option<i64>, ours: bool| match v {
            None => Ok(false),
            Some(_) if !ours => Err(attr(name, format!("{op} has no such attribute"))),
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            Some(v) => Err(attr(name, format!("{v} is not 0 or 1"))),
        };
        let input_forget = flag("input_forget", attrs.input_forget, cell == Cell::Lstm)?;
        let linear_before_reset =
            flag("linear_before_reset", attrs.linear_before_reset, cell == Cell::Gru)?;
        let layout = match attrs.layout {
            Some(_) if since_version < 14 => {
                return Err(attr(
                    "layout",
                    format!("{op}-{since_version} has no layout (opset 14 on)"),
                ));
            }
            None | Some(0) => Layout::SeqMajor,
            Some(1) => Layout::BatchMajor,
            Some(v) => return Err(attr("layout", format!("{v} is not 0 or 1"))),
        };
        Ok(RnnParams {
            cell,
            since_version,
            direction,
            hidden_size,
            activations,
            clip: attrs.clip,
            input_forget,
            linear_before_reset,
            layout,
        })
    }

    /// The activations of direction `d`: LSTM `[f, g, h]`, GRU `[f, g]`.
    pub fn acts(&self, d: usize) -> &[Activation] {
        let n = self.cell.activations();
        &self.activations[d * n..(d + 1) * n]
    }
}

/// The activations per direction, with their α and β consumed in order.
fn activations(cell: Cell, dir: Direction, attrs: &RnnAttrs) -> Result<Vec<Activation>, RnnError> {
    let op = cell.name();
    let attr = |attr: &'static str, msg: String| RnnError::Attr { op, attr, msg };
    let want = cell.activations() * dir.count();
    let default: Vec<String> =
        ["Sigmoid", "Tanh", "Tanh"][..cell.activations()].iter().map(|s| s.to_string()).collect();
    let names: Vec<String> = match &attrs.activations {
        None => default.iter().cycle().take(want).cloned().collect(),
        Some(list) if list.len() != want => {
            let each = if cell == Cell::Lstm { "f, g, h" } else { "f, g" };
            return Err(attr(
                "activations",
                format!(
                    "{} names, but {op} {} takes {want} ({each} per direction)",
                    list.len(),
                    if dir == Direction::Bidirectional { "bidirectional" } else { "one-way" },
                ),
            ));
        }
        Some(list) => list.clone(),
    };
    let (alphas, betas) = (
        attrs.activation_alpha.as_deref().unwrap_or(&[]),
        attrs.activation_beta.as_deref().unwrap_or(&[]),
    );
    for (key, vals) in [("activation_alpha", alphas), ("activation_beta", betas)] {
        if let Some(v) = vals.iter().find(|v| !v.is_finite()) {
            return Err(attr(key, format!("{v} is not finite")));
        }
    }
    let (mut ai, mut bi) = (alphas.iter().copied(), betas.iter().copied());
    let mut out = Vec::with_capacity(want);
    for name in &names {
        match Activation::parse(name, &mut ai, &mut bi) {
            Ok(a) => out.push(a),
            Err(ParseError::UnknownName(n)) => {
                return Err(attr(
                    "activations",
                    format!("{n:?} is not one of {}", NAMES.join(", ")),
                ));
            }
        }
    }
    for (key, total, left) in [
        ("activation_alpha", alphas.len(), ai.count()),
        ("activation_beta", betas.len(), bi.count()),
    ] {
        if left > 0 {
            return Err(attr(
                key,
                format!("{total} values, but the activations {names:?} take only {}", total - left),
            ));
        }
    }
    Ok(out)
}
