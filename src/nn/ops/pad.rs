//! ONNX Pad: opset 2 (pads and value as attributes), 11 (pads and constant_value as inputs),
//! 18 (`axes`), 19 (`wrap` mode).
//!
//! `pads` lists the begins of the padded axes, then their ends: `[x1_begin, x2_begin, …,
//! x1_end, x2_end, …]`. A negative pad removes that many values from that side. The output
//! length of an axis of `n` values is `n + begin + end`, and output index `o` reads input index
//! `i = o − begin` when it lies in the part that survives the crops, `[max(−begin, 0),
//! n − max(−end, 0))`. Outside it:
//!
//! | mode     | reads                                                   | onnxruntime requires |
//! |----------|---------------------------------------------------------|----------------------|
//! | constant | `constant_value`                                        | —                    |
//! | edge     | the nearest surviving value                             | ≥ 1 value survives   |
//! | reflect  | the mirror image about the first/last surviving value   | each pad < survivors |
//! | wrap     | the surviving values repeated, as on a torus            | ≥ 1 value survives   |
//!
//! Crops happen before padding (`[1, 2, 3, 4]` with pads `(−1, 2)` in reflect mode is
//! `[2, 3, 4, 3, 2]`), as in onnxruntime; `onnx.reference` (numpy.pad) refuses negative pads, and
//! lets reflect pads reach past the values (reflecting again), which onnxruntime refuses and so
//! does this module. An axis whose pads are both 0 is never checked (an empty axis stays empty).

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use crate::nn::ops::bounds::{MAX_DIM, MAX_ELEMS, count, dims_str, norm_axis};

/// How the new values are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PadMode {
    Constant,
    Reflect,
    Edge,
    /// Opset 19.
    Wrap,
}

impl PadMode {
    /// `mode` from its ONNX name.
    ///
    /// # Errors
    /// [`PadError::Unknown`] for any other string.
    pub fn from_attr(v: &str) -> Result<Self, PadError> {
        Ok(match v {
            "constant" => PadMode::Constant,
            "reflect" => PadMode::Reflect,
            "edge" => PadMode::Edge,
            "wrap" => PadMode::Wrap,
            v => return Err(PadError::Unknown { attr: "mode", value: v.to_string() }),
        })
    }

    /// The attribute value as ONNX spells it.
    pub fn onnx_name(self) -> &'static str {
        match self {
            PadMode::Constant => "constant",
            PadMode::Reflect => "reflect",
            PadMode::Edge => "edge",
            PadMode::Wrap => "wrap",
        }
    }
}

/// Why a Pad node cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PadError {
    #[error("unknown {attr} '{value}'")]
    Unknown { attr: &'static str, value: String },
    #[error("pads has {got} values, expected {want} (a begin and an end per padded axis)")]
    Length { got: usize, want: usize },
    #[error("axis {axis} is out of range for rank {rank}")]
    BadAxis { axis: i64, rank: usize },
    #[error("axis {axis} is listed twice in axes")]
    RepeatedAxis { axis: i64 },
    #[error("pad {pad} on axis {axis} is too large (at most {MAX_DIM} either way)")]
    PadTooLarge { axis: usize, pad: i64 },
    #[error("axis {axis}: {n} + {begin} + {end} = {len} values")]
    BadLength { axis: usize, n: usize, begin: i64, end: i64, len: i128 },
    #[error("the output {dims} holds too many values (at most {MAX_ELEMS})")]
    TooManyValues { dims: String },
    #[error("axis {axis}: {mode:?} mode needs at least one value left after cropping")]
    NothingLeft { axis: usize, mode: PadMode },
    #[error(
        "axis {axis}: reflect pad {pad} needs at most {max} (the axis has {left} values after cropping)"
    )]
    ReflectTooFar { axis: usize, pad: i64, max: usize, left: usize },
}

/// A checked pad of one tensor: per input axis its begin and end (negative crops), and the
/// output dims. Built by [`plan`], which also checks what the mode needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PadPlan {
    pub mode: PadMode,
    pub in_dims: Vec<usize>,
    pub begin: Vec<i64>,
    pub end: Vec<i64>,
    pub out_dims: Vec<usize>,
}

/// Per input axis `(begin, end)`, from `pads` over `axes` (all axes when `None`).
fn resolve(
    in_dims: &[usize],
    pads: &[i64],
    axes: Option<&[i64]>,
) -> Result<(Vec<i64>, Vec<i64>), PadError> {
    let rank = in_dims.len();
    let axes: Vec<usize> = match axes {
        None => (0..rank).collect(),
        Some(list) => {
            let mut seen = vec![false; rank];
            let mut out = Vec::with_capacity(list.len());
            for &a in list {
                let i = norm_axis(a, rank).ok_or(PadError::BadAxis { axis: a, rank })?;
                if std::mem::replace(&mut seen[i], true) {
                    return Err(PadError::RepeatedAxis { axis: a });
                }
                out.push(i);
            }
            out
        }
    };
    let want = 2 * axes.len();
    if pads.len() != want {
        return Err(PadError::Length { got: pads.len(), want });
    }
    let (mut begin, mut end) = (vec![0; rank], vec![0; rank]);
    for (k, &axis) in axes.iter().enumerate() {
        for (slot, pad) in [(&mut begin, pads[k]), (&mut end, pads[axes.len() + k])] {
            if pad.unsigned_abs() > MAX_DIM as u64 {
                return Err(PadError::PadTooLarge { axis, pad });
            }
            slot[axis] = pad;
        }
    }
    Ok((begin, end))
}

/// The output dims: `n + begin + end` per axis, each in `0..=MAX_DIM`, at most [`MAX_ELEMS`]
/// values in all. Mode-independent; [`plan`] adds the mode's checks.
///
/// # Errors
/// A pads length that is not twice the axes, a bad or repeated axis, a pad above [`MAX_DIM`],
/// a negative or too large output length, too many values.
pub fn output_dims(
    in_dims: &[usize],
    pads: &[i64],
    axes: Option<&[i64]>,
) -> Result<Vec<usize>, PadError> {
    let (begin, end) = resolve(in_dims, pads, axes)?;
    dims_of(in_dims, &begin, &end)
}

fn dims_of(in_dims: &[usize], begin: &[i64], end: &[i64]) -> Result<Vec<usize>, PadError> {
    let mut dims = Vec::with_capacity(in_dims.len());
    for (axis, &n) in in_dims.iter().enumerate() {
        let (b, e) = (begin[axis], end[axis]);
        let len = n as i128 + i128::from(b) + i128::from(e);
        if !(0..=MAX_DIM as i128).contains(&len) {
            return Err(PadError::BadLength { axis, n, begin: b, end: e, len });
        }
        dims.push(len as usize);
    }
    if count(&dims).is_none() {
        return Err(PadError::TooManyValues { dims: dims_str(&dims) });
    }
    Ok(dims)
}

/// Check a pad for `mode` (see the module table) and fix its output dims.
///
/// # Errors
/// Those of [`output_dims`]; edge, reflect or wrap on an axis cropped (or given) empty; a
/// reflect pad not smaller than the values left.
pub fn plan(
    in_dims: &[usize],
    pads: &[i64],
    axes: Option<&[i64]>,
    mode: PadMode,
) -> Result<PadPlan, PadError> {
    let (begin, end) = resolve(in_dims, pads, axes)?;
    let out_dims = dims_of(in_dims, &begin, &end)?;
    for (axis, &n) in in_dims.iter().enumerate() {
        let (b, e) = (begin[axis], end[axis]);
        if mode == PadMode::Constant || (b == 0 && e == 0) {
            continue;
        }
        let (lo, hi) = kept(n, b, e);
        let left = hi.saturating_sub(lo);
        if left == 0 {
            return Err(PadError::NothingLeft { axis, mode });
        }
        if mode == PadMode::Reflect {
            for pad in [b, e] {
                if pad > 0 && pad as usize >= left {
                    return Err(PadError::ReflectTooFar { axis, pad, max: left - 1, left });
                }
            }
        }
    }
    Ok(PadPlan { mode, in_dims: in_dims.to_vec(), begin, end, out_dims })
}

/// The input indices an axis keeps after its crops: `lo..hi` (empty when `hi ≤ lo`).
fn kept(n: usize, begin: i64, end: i64) -> (usize, usize) {
    let lo = (-begin).max(0) as usize;
    let hi = n.saturating_sub((-end).max(0) as usize);
    (lo, hi)
}

/// The input index output index `o` of `axis` reads, or `None` for the constant.
fn axis_source(plan: &PadPlan, axis: usize, o: usize) -> Option<usize> {
    let (b, e) = (plan.begin[axis], plan.end[axis]);
    let (lo, hi) = kept(plan.in_dims[axis], b, e);
    let i = o as i64 - b;
    if (lo as i64..hi as i64).contains(&i) {
        return Some(i as usize);
    }
    let (lo, m) = (lo as i64, hi as i64 - lo as i64);
    if m <= 0 {
        return None;
    }
    // k: the position among the m kept values, outside 0..m here.
    let k = i - lo;
    let k = match plan.mode {
        PadMode::Constant => return None,
        PadMode::Edge => k.clamp(0, m - 1),
        PadMode::Reflect if k < 0 => (-k).min(m - 1),
        PadMode::Reflect => (2 * (m - 1) - k).max(0),
        PadMode::Wrap => k.rem_euclid(m),
    };
    Some((lo + k) as usize)
}

/// Where output cell `out_idx` comes from: the input index, or `None` for a constant cell.
///
/// # Panics
/// When `out_idx` does not have one index per axis, or an index is outside the output.
pub fn source_index(out_idx: &[usize], plan: &PadPlan) -> Option<Vec<usize>> {
    assert_eq!(out_idx.len(), plan.out_dims.len(), "pad: one index per axis");
    out_idx
        .iter()
        .enumerate()
        .map(|(axis, &o)| {
            assert!(o < plan.out_dims[axis], "pad: index {o} outside axis {axis}");
            axis_source(plan, axis, o)
        })
        .collect()
}

/// Pad `x` (whose shape must be the plan's `in_dims`) with `value` for constant cells.
///
/// The per-axis source maps are built once; the output is written one innermost row at a time,
/// the kept middle of each row as one copy.
///
/// # Panics
/// When `x`'s shape is not `plan.in_dims`.
pub fn pad(x: &ArrayViewD<f32>, plan: &PadPlan, value: f32) -> ArrayD<f32> {
    assert_eq!(x.shape(), plan.in_dims.as_slice(), "pad: the plan is for another shape");
    let mut out = ArrayD::from_elem(IxDyn(&plan.out_dims), value);
    let rank = plan.in_dims.len();
    if out.is_empty() || rank == 0 {
        if rank == 0 {
            out.assign(x);
        }
        return out;
    }
    let maps: Vec<Vec<Option<usize>>> = (0..rank)
        .map(|a| (0..plan.out_dims[a]).map(|o| axis_source(plan, a, o)).collect())
        .collect();
    let x = x.as_standard_layout();
    let src = x.as_slice().expect("standard layout is contiguous");
    let dst = out.as_slice_mut().expect("a new array is contiguous");
    let last = rank - 1;
    let (n_in, n_out) = (plan.in_dims[last], plan.out_dims[last]);
    // The contiguous run of the last axis that copies straight: outputs o0..o1 read i0...
    let run = maps[last].iter().position(Option::is_some).map(|o0| {
        let i0 = maps[last][o0].unwrap_or(0);
        let len =
            maps[last][o0..].iter().enumerate().take_while(|(k, m)| **m == Some(i0 + k)).count();
        (o0, i0, len)
    });
    let mut idx = vec![0usize; last];
    for row in dst.chunks_exact_mut(n_out) {
        // The input row of this output row, unless some outer axis reads the constant.
        let base = idx
            .iter()
            .enumerate()
            .try_fold(0usize, |acc, (a, &o)| maps[a][o].map(|i| acc * plan.in_dims[a] + i));
        if let (Some(base), true) = (base, n_in > 0) {
            let s = &src[base * n_in..(base + 1) * n_in];
            let (o0, i0, len) = run.unwrap_or((0, 0, 0));
            row[o0..o0 + len].copy_from_slice(&s[i0..i0 + len]);
            for o in (0..o0).chain(o0 + len..n_out) {
                if let Some(i) = maps[last][o] {
                    row[o] = s[i];
                }
            }
        }
        // Next output row: an odometer over the outer axes.
        for a in (0..last).rev() {
            idx[a] += 1;
            if idx[a] < plan.out_dims[a] {
                break;
            }
            idx[a] = 0;
        }
    }
    out
}
