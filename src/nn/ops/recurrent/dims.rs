//! Every input shape of an LSTM or GRU checked against the attributes and the other inputs,
//! and the output shapes: [`output_dims`].
//!
//! Shapes may come from a hostile file: every dim is bounded by [`MAX_DIM`], every product is
//! checked (in u128) against [`MAX_ELEMS`], including the X·Wᵀ buffer the kernels allocate, and
//! every disagreement is an error that names the input. Nothing here panics.

use crate::nn::ops::recurrent::error::{RnnError, dims_text};
use crate::nn::ops::recurrent::params::{Cell, Layout, MAX_DIM, MAX_ELEMS, RnnParams};

/// The sizes of one LSTM or GRU node and its outputs' dims (in the node's layout).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RnnDims {
    pub seq: usize,
    pub batch: usize,
    pub input: usize,
    pub hidden: usize,
    /// `num_directions`.
    pub dirs: usize,
    /// Layout 0: `[seq, dirs, batch, hidden]`; layout 1: `[batch, seq, dirs, hidden]`.
    pub y: Vec<usize>,
    /// Layout 0: `[dirs, batch, hidden]`; layout 1: `[batch, dirs, hidden]`.
    pub y_h: Vec<usize>,
    /// LSTM only, as `y_h`.
    pub y_c: Option<Vec<usize>>,
}

/// The number of values of a tensor with these dims, if at most [`MAX_ELEMS`].
pub(crate) fn count(dims: &[usize]) -> Option<usize> {
    let n = dims.iter().try_fold(1u128, |a, &d| a.checked_mul(d as u128))?;
    (n <= MAX_ELEMS as u128).then_some(n as usize)
}

/// Check the input shapes of an LSTM (all eight inputs) or a GRU (`initial_c` and `p` must be
/// `None`) against `params` and each other; absent optional inputs are `None`.
///
/// # Errors
/// [`RnnError::Shape`] naming the first input at fault: a wrong rank; a dim above [`MAX_DIM`];
/// a tensor or work buffer of more than [`MAX_ELEMS`] values; `num_directions` disagreeing with
/// `direction`; W, R, B or P not `gates·hidden_size` (R's last dim, which must equal the
/// `hidden_size` attribute when given, and be positive) where the spec says; W's input size not
/// X's; `sequence_lens` not `[batch]`; an initial state not `[dirs, batch, hidden]` (layout 1:
/// `[batch, dirs, hidden]`); a GRU given `initial_c` or `P`.
#[allow(clippy::too_many_arguments)] // the op's own inputs, in the spec's order
pub fn output_dims(
    params: &RnnParams,
    x: &[usize],
    w: &[usize],
    r: &[usize],
    b: Option<&[usize]>,
    seq_lens: Option<&[usize]>,
    initial_h: Option<&[usize]>,
    initial_c: Option<&[usize]>,
    p: Option<&[usize]>,
) -> Result<RnnDims, RnnError> {
    let cell = params.cell;
    let op = cell.name();
    let err = |input: &'static str, dims: &[usize], msg: String| RnnError::Shape {
        op,
        input,
        dims: dims_text(dims),
        msg,
    };
    let inputs = [
        ("X", Some(x)),
        ("W", Some(w)),
        ("R", Some(r)),
        ("B", b),
        ("sequence_lens", seq_lens),
        ("initial_h", initial_h),
        ("initial_c", initial_c),
        ("P", p),
    ];
    for (name, dims) in inputs {
        let Some(dims) = dims else { continue };
        if cell == Cell::Gru && (name == "initial_c" || name == "P") {
            return Err(err(name, dims, "GRU has no such input".into()));
        }
        let want = match name {
            "B" | "P" => 2,
            "sequence_lens" => 1,
            _ => 3,
        };
        if dims.len() != want {
            return Err(err(name, dims, format!("rank {} (the spec says {want})", dims.len())));
        }
        if let Some(&d) = dims.iter().find(|&&d| d > MAX_DIM) {
            return Err(err(name, dims, format!("dim {d} is too large (at most {MAX_DIM})")));
        }
        if count(dims).is_none() {
            return Err(err(name, dims, format!("more than {MAX_ELEMS} values")));
        }
    }
    let (seq, batch, input) = match params.layout {
        Layout::SeqMajor => (x[0], x[1], x[2]),
        Layout::BatchMajor => (x[1], x[0], x[2]),
    };
    let dirs = params.direction.count();
    let hidden = r[2];
    if hidden == 0 {
        return Err(err("R", r, "hidden size (dim 2) is 0".into()));
    }
    if let Some(h) = params.hidden_size
        && h != hidden
    {
        return Err(err("R", r, format!("dim 2 is {hidden}, but hidden_size is {h}")));
    }
    // Every dim is at most 2^24, so these products fit.
    let gh = cell.gates() * hidden;
    let gates = if cell == Cell::Lstm { "4·hidden_size" } else { "3·hidden_size" };
    let dir_word = format!("{dirs} for direction {:?}", params.direction);
    for (name, dims) in [("W", w), ("R", r)] {
        if dims[0] != dirs {
            return Err(err(
                name,
                dims,
                format!("dim 0 is {}, num_directions is {dir_word}", dims[0]),
            ));
        }
        if dims[1] != gh {
            return Err(err(name, dims, format!("dim 1 is {}, {gates} is {gh}", dims[1])));
        }
    }
    if w[2] != input {
        return Err(err("W", w, format!("dim 2 is {}, X's input size is {input}", w[2])));
    }
    let rows = |name: &'static str, dims: &[usize], cols: usize, what: &str| {
        if dims != [dirs, cols] {
            return Err(err(
                name,
                dims,
                format!("the spec says [num_directions, {what}] = [{dirs}, {cols}]"),
            ));
        }
        Ok(())
    };
    if let Some(b) = b {
        rows("B", b, 2 * gh, &format!("2·{gates}"))?;
    }
    if let Some(p) = p {
        rows("P", p, 3 * hidden, "3·hidden_size")?;
    }
    if let Some(s) = seq_lens
        && s[0] != batch
    {
        return Err(err("sequence_lens", s, format!("X's batch size is {batch}")));
    }
    let state = match params.layout {
        Layout::SeqMajor => [dirs, batch, hidden],
        Layout::BatchMajor => [batch, dirs, hidden],
    };
    for (name, dims) in [("initial_h", initial_h), ("initial_c", initial_c)] {
        if let Some(d) = dims
            && d != state
        {
            return Err(err(name, d, format!("X, R and direction say {}", dims_text(&state))));
        }
    }
    let y = match params.layout {
        Layout::SeqMajor => vec![seq, dirs, batch, hidden],
        Layout::BatchMajor => vec![batch, seq, dirs, hidden],
    };
    // The kernels' X·Wᵀ buffer holds seq·batch·dirs·gates·hidden values; Y is smaller.
    if count(&[seq, batch, dirs, gh]).is_none() {
        return Err(err(
            "X",
            x,
            format!("X·Wᵀ for every step would hold more than {MAX_ELEMS} values"),
        ));
    }
    Ok(RnnDims {
        seq,
        batch,
        input,
        hidden,
        dirs,
        y,
        y_h: state.to_vec(),
        y_c: (cell == Cell::Lstm).then(|| state.to_vec()),
    })
}
