//! What LSTM and GRU share: checking and flattening the inputs, each direction's one X·Wᵀ GEMM
//! over every step, the per-step recurrent product H·Rᵀ, the states, running the directions
//! (on two threads when large), and laying their results out as Y, Y_h and Y_c.

use crate::nn::kernels::sgemm::{Mat, matmul};
use crate::nn::ops::recurrent::dims::{RnnDims, output_dims};
use crate::nn::ops::recurrent::error::RnnError;
use crate::nn::ops::recurrent::params::{Cell, Layout, RnnParams};
use gemm::Parallelism;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use std::borrow::Cow;

/// The inputs of one LSTM or GRU call, in the spec's order; absent optional inputs are `None`.
#[derive(Clone, Debug)]
pub struct RnnInputs<'a> {
    /// `[seq, batch, input]` (layout 1: `[batch, seq, input]`).
    pub x: ArrayViewD<'a, f32>,
    /// `[dirs, gates·H, input]`.
    pub w: ArrayViewD<'a, f32>,
    /// `[dirs, gates·H, H]`.
    pub r: ArrayViewD<'a, f32>,
    /// `[dirs, 2·gates·H]`: Wb then Rb.
    pub b: Option<ArrayViewD<'a, f32>>,
    /// `[batch]`, each in `0..=seq`.
    pub seq_lens: Option<&'a [i64]>,
    /// `[dirs, batch, H]` (layout 1: `[batch, dirs, H]`).
    pub initial_h: Option<ArrayViewD<'a, f32>>,
    /// LSTM only, as `initial_h`.
    pub initial_c: Option<ArrayViewD<'a, f32>>,
    /// LSTM only: peepholes `[dirs, 3·H]`, gates i, o, f.
    pub p: Option<ArrayViewD<'a, f32>>,
}

/// An LSTM's or GRU's outputs, in the node's layout.
#[derive(Clone, Debug, PartialEq)]
pub struct RnnOut {
    /// Every step's hidden state; zeros at steps past a sequence's length.
    pub y: ArrayD<f32>,
    /// The hidden state after each sequence's last step (zeros for a sequence of length 0).
    pub y_h: ArrayD<f32>,
    /// LSTM only: the cell state after each sequence's last step.
    pub y_c: Option<ArrayD<f32>>,
}

/// The values of a view in logical order, borrowed when the view is already standard layout.
pub(crate) fn flat<'a>(v: &ArrayViewD<'a, f32>) -> Cow<'a, [f32]> {
    match v.to_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(v.iter().copied().collect()),
    }
}

/// Work (multiply-adds) above which a bidirectional node runs its directions on two threads:
/// about a millisecond, against tens of microseconds to start a thread. In convscope's tree
/// this would be a `rayon::join`.
pub(crate) const PARALLEL_MIN_MACS: usize = 1 << 22;

/// The machine's cores, asked once (on Linux the answer reads cgroup files).
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Checked, flattened inputs.
pub(crate) struct Prepared<'a, 'p> {
    pub params: &'p RnnParams,
    pub dims: RnnDims,
    pub x: Cow<'a, [f32]>,
    pub w: Cow<'a, [f32]>,
    pub r: Cow<'a, [f32]>,
    /// `[dirs, gates·H]`, added to X·Wᵀ + H·Rᵀ: Wb + Rb, except a linear-before-reset GRU's
    /// h gate, which has only Wbh here (its Rbh is in `rbh`).
    pub bias: Vec<f32>,
    /// `[dirs, H]`: a linear-before-reset GRU's Rbh; empty otherwise.
    pub rbh: Vec<f32>,
    pub p: Option<Cow<'a, [f32]>>,
    pub h0: Option<Cow<'a, [f32]>>,
    pub c0: Option<Cow<'a, [f32]>>,
    /// Each batch entry's sequence length.
    pub lens: Vec<usize>,
}

impl<'a, 'p> Prepared<'a, 'p> {
    /// Check `inp` against `params` (which must be for `cell`) and flatten it.
    pub fn new(cell: Cell, inp: &RnnInputs<'a>, params: &'p RnnParams) -> Result<Self, RnnError> {
        let op = cell.name();
        if params.cell != cell {
            return Err(RnnError::Unsupported {
                op,
                msg: format!("called with {} parameters", params.cell.name()),
            });
        }
        let want = cell.activations() * params.direction.count();
        if params.activations.len() != want {
            return Err(RnnError::Attr {
                op,
                attr: "activations",
                msg: format!("{} in the parameters, {want} needed", params.activations.len()),
            });
        }
        let lens_dims = inp.seq_lens.map(|s| [s.len()]);
        let dims = output_dims(
            params,
            inp.x.shape(),
            inp.w.shape(),
            inp.r.shape(),
            inp.b.as_ref().map(|v| v.shape()),
            lens_dims.as_ref().map(|d| &d[..]),
            inp.initial_h.as_ref().map(|v| v.shape()),
            inp.initial_c.as_ref().map(|v| v.shape()),
            inp.p.as_ref().map(|v| v.shape()),
        )?;
        let lens = match inp.seq_lens {
            None => vec![dims.seq; dims.batch],
            Some(s) => s
                .iter()
                .enumerate()
                .map(|(batch, &v)| match usize::try_from(v) {
                    Ok(l) if l <= dims.seq => Ok(l),
                    _ => Err(RnnError::SeqLen { op, batch, value: v, seq: dims.seq }),
                })
                .collect::<Result<_, _>>()?,
        };
        let (h, gh) = (dims.hidden, cell.gates() * dims.hidden);
        let lbr = cell == Cell::Gru && params.linear_before_reset;
        let mut bias = vec![0.0; dims.dirs * gh];
        let mut rbh = if lbr { vec![0.0; dims.dirs * h] } else { Vec::new() };
        if let Some(b) = &inp.b {
            let b = flat(b);
            for d in 0..dims.dirs {
                let (wb, rb) = b[d * 2 * gh..(d + 1) * 2 * gh].split_at(gh);
                for (k, dst) in bias[d * gh..(d + 1) * gh].iter_mut().enumerate() {
                    *dst = if lbr && k >= 2 * h { wb[k] } else { wb[k] + rb[k] };
                }
                if lbr {
                    rbh[d * h..(d + 1) * h].copy_from_slice(&rb[2 * h..]);
                }
            }
        }
        Ok(Prepared {
            params,
            x: flat(&inp.x),
            w: flat(&inp.w),
            r: flat(&inp.r),
            bias,
            rbh,
            p: inp.p.as_ref().map(flat),
            h0: inp.initial_h.as_ref().map(flat),
            c0: inp.initial_c.as_ref().map(flat),
            lens,
            dims,
        })
    }

    /// Values per step and batch entry in X·Wᵀ and in each direction's gates: gates·H.
    pub fn gh(&self) -> usize {
        self.params.cell.gates() * self.dims.hidden
    }

    /// The row of X (and of X·Wᵀ) holding step `t` of batch entry `b`.
    pub fn x_row(&self, t: usize, b: usize) -> usize {
        match self.params.layout {
            Layout::SeqMajor => t * self.dims.batch + b,
            Layout::BatchMajor => b * self.dims.seq + t,
        }
    }

    /// Where direction `d`, batch entry `b` of an initial or final state starts.
    pub fn state_at(&self, d: usize, b: usize) -> usize {
        let RnnDims { batch, dirs, hidden, .. } = self.dims;
        match self.params.layout {
            Layout::SeqMajor => (d * batch + b) * hidden,
            Layout::BatchMajor => (b * dirs + d) * hidden,
        }
    }

    /// The time index that direction `d` reads at processing step `s` of batch entry `b`
    /// (which must be shorter than its length).
    pub fn time(&self, d: usize, s: usize, b: usize) -> usize {
        if self.params.direction.is_reverse(d) { self.lens[b] - 1 - s } else { s }
    }

    /// Fresh buffers for direction `d`: its X·Wᵀ for every step (one GEMM), Rᵀ when the
    /// batch is above 1, and the states set from the initial ones.
    pub fn state(&self, d: usize) -> State {
        let RnnDims { seq, batch, input, hidden, .. } = self.dims;
        let gh = self.gh();
        // xw[row, k] = Σ_i X[row, i]·W[d, k, i], rows as `x_row`. W[d] is [gh, input]
        // row-major, so (i, k) of W[d]ᵀ is W[d][k·input + i].
        let rows = seq * batch;
        let mut xw = vec![0.0; rows * gh];
        let w = &self.w[d * gh * input..(d + 1) * gh * input];
        let lhs = Mat::row_major(&self.x, rows, input, input);
        let rhs = Mat { data: w, rows: input, cols: gh, rs: 1, cs: input };
        matmul(&mut xw, gh, lhs, rhs, Parallelism::None);
        // gemm is slow on a column-major right operand with few rows on the left (it packs
        // the transpose every call), so a batch above 1 gets R[d]ᵀ made once, row-major.
        let r = &self.r[d * gh * hidden..(d + 1) * gh * hidden];
        let mut rt = Vec::new();
        if batch > 1 {
            rt = vec![0.0; hidden * gh];
            transpose(r, gh, hidden, &mut rt);
        }
        let load = |init: &Option<Cow<[f32]>>| {
            let mut s = vec![0.0; batch * hidden];
            if let Some(init) = init {
                for b in 0..batch {
                    let at = self.state_at(d, b);
                    s[b * hidden..(b + 1) * hidden].copy_from_slice(&init[at..at + hidden]);
                }
            }
            s
        };
        State {
            xw,
            rt,
            h: load(&self.h0),
            c: if self.params.cell == Cell::Lstm { load(&self.c0) } else { Vec::new() },
            gates: vec![0.0; batch * gh],
            scratch: vec![0.0; batch * hidden],
            y: vec![0.0; seq * batch * hidden],
        }
    }

    /// Every direction run to the end by `run(pre, d, steps, state)`; the two directions of a
    /// large bidirectional node on two threads.
    pub fn run_directions(&self, run: fn(&Prepared, usize, usize, &mut State)) -> Vec<State> {
        let one = |d: usize| {
            let mut st = self.state(d);
            run(self, d, self.dims.seq, &mut st);
            st
        };
        let RnnDims { seq, batch, input, hidden, dirs, .. } = self.dims;
        let macs = (seq * batch).saturating_mul(self.gh()).saturating_mul(input + hidden);
        if dirs == 1 || macs < PARALLEL_MIN_MACS || cores() < 2 {
            return (0..dirs).map(one).collect();
        }
        std::thread::scope(|s| {
            let backward = s.spawn(|| one(1));
            let forward = one(0);
            match backward.join() {
                Ok(b) => vec![forward, b],
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// Y, Y_h and Y_c in the node's layout from each direction's final buffers.
    pub fn outputs(&self, states: &[State]) -> RnnOut {
        let RnnDims { seq, batch, hidden, dirs, .. } = self.dims;
        let mut y = vec![0.0; seq * dirs * batch * hidden];
        let mut y_h = vec![0.0; dirs * batch * hidden];
        let mut y_c = vec![0.0; if self.params.cell == Cell::Lstm { y_h.len() } else { 0 }];
        for (d, st) in states.iter().enumerate() {
            for b in 0..batch {
                let src = b * hidden..(b + 1) * hidden;
                for t in 0..seq {
                    let at = match self.params.layout {
                        Layout::SeqMajor => ((t * dirs + d) * batch + b) * hidden,
                        Layout::BatchMajor => ((b * seq + t) * dirs + d) * hidden,
                    };
                    let from = (t * batch + b) * hidden;
                    y[at..at + hidden].copy_from_slice(&st.y[from..from + hidden]);
                }
                // A sequence of length 0 leaves zeros, as onnxruntime does.
                if self.lens[b] > 0 {
                    let at = self.state_at(d, b);
                    y_h[at..at + hidden].copy_from_slice(&st.h[src.clone()]);
                    if !y_c.is_empty() {
                        y_c[at..at + hidden].copy_from_slice(&st.c[src]);
                    }
                }
            }
        }
        let shaped = |dims: &[usize], v: Vec<f32>| {
            ArrayD::from_shape_vec(IxDyn(dims), v).expect("output_dims sized the buffer")
        };
        RnnOut {
            y: shaped(&self.dims.y, y),
            y_h: shaped(&self.dims.y_h, y_h),
            y_c: self.dims.y_c.as_ref().map(|d| shaped(d, y_c)),
        }
    }
}

/// One direction's working buffers, all allocated before the step loop.
pub(crate) struct State {
    /// `[seq·batch, gates·H]` X·W[d]ᵀ, rows as [`Prepared::x_row`].
    pub xw: Vec<f32>,
    /// `[H, gates·H]` R[d]ᵀ row-major when the batch is above 1; empty for batch 1.
    pub rt: Vec<f32>,
    /// `[batch, H]` hidden state, updated in place.
    pub h: Vec<f32>,
    /// `[batch, H]` LSTM cell state; empty for GRU.
    pub c: Vec<f32>,
    /// `[batch, gates·H]` one step's gate sums.
    pub gates: Vec<f32>,
    /// `[batch, H]` GRU `r ⊙ h`.
    pub scratch: Vec<f32>,
    /// `[seq, batch, H]` this direction's Y.
    pub y: Vec<f32>,
}

/// `dst[b·dst_rs + g − rows.start] = Σ_k h[b·H + k]·R[g, k]` for `g` in `rows`: the
/// recurrent product of `batch` states with some rows of `R` (`[gh, H]` row-major). Batch 1
/// is a matrix–vector product over R's contiguous rows; larger batches one GEMM with `rt`,
/// R's transpose (`[H, gh]` row-major).
pub(crate) fn recurrent(
    dst: &mut [f32],
    dst_rs: usize,
    h: &[f32],
    (r, rt): (&[f32], &[f32]),
    rows: std::ops::Range<usize>,
    batch: usize,
) {
    let hidden = h.len() / batch.max(1);
    if batch == 0 || hidden == 0 {
        return;
    }
    if batch == 1 {
        let r = &r[rows.start * hidden..rows.end * hidden];
        for (o, row) in dst[..rows.len()].iter_mut().zip(r.chunks_exact(hidden)) {
            *o = dot(row, h);
        }
        return;
    }
    let gh = r.len() / hidden;
    let lhs = Mat::row_major(h, batch, hidden, hidden);
    let rhs = Mat { data: &rt[rows.start..], rows: hidden, cols: rows.len(), rs: gh, cs: 1 };
    matmul(dst, dst_rs, lhs, rhs, Parallelism::None);
}

/// `dst = srcᵀ` for a row-major `rows × cols` source, in 16 × 16 tiles so that both sides
/// stay in cache.
fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    const T: usize = 16;
    for r0 in (0..rows).step_by(T) {
        for c0 in (0..cols).step_by(T) {
            for r in r0..(r0 + T).min(rows) {
                for c in c0..(c0 + T).min(cols) {
                    dst[c * rows + r] = src[r * cols + c];
                }
            }
        }
    }
}

/// `Σ a[i]·b[i]` with 16 independent partial sums, so the compiler can keep them in vector
/// registers.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    const L: usize = 16;
    let (ac, ar) = a.as_chunks::<L>();
    let (bc, br) = b[..a.len()].as_chunks::<L>();
    let mut acc = [0.0f32; L];
    for (x, y) in ac.iter().zip(bc) {
        for i in 0..L {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ar.iter().zip(br).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// Bound every value to `[−c, c]` if there is a clip (NaN stays NaN; no panic for any `c`).
#[inline]
pub(crate) fn clip(xs: &mut [f32], c: Option<f32>) {
    if let Some(c) = c {
        xs.iter_mut().for_each(|x| *x = clip_one(*x, c));
    }
}

/// `x` bounded to `[−c, c]`.
#[inline]
pub(crate) fn clip_one(x: f32, c: f32) -> f32 {
    if x > c {
        c
    } else if x < -c {
        -c
    } else {
        x
    }
}
