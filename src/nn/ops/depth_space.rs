//! ONNX DepthToSpace (opsets 1, 11, 13; modes DCR and CRD) and SpaceToDepth (1, 13) on
//! `[N, C, H, W]` tensors, with block size `b`.
//!
//! DepthToSpace moves channels into `b×b` spatial blocks: `[N, C, H, W]` → `[N, C/b², H·b, W·b]`.
//! Output `(n, c, h·b + i, w·b + j)` reads input channel
//! - DCR (depth-column-row, the default): `(i·b + j)·C/b² + c` — the block offset is the slow
//!   part of the channel index;
//! - CRD (column-row-depth, PyTorch's `pixel_shuffle`): `c·b² + i·b + j`.
//!
//! SpaceToDepth is the inverse of DCR: output `(n, (i·b + j)·C + c, h, w)` reads input
//! `(n, c, h·b + i, w·b + j)`. (It has no mode attribute in any opset.)

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use crate::nn::ops::bounds::{MAX_DIM, MAX_ELEMS, count, dims_str};

/// The channel order of DepthToSpace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepthMode {
    Dcr,
    Crd,
}

impl DepthMode {
    /// `mode` from its ONNX name (absent means DCR).
    ///
    /// # Errors
    /// [`DepthSpaceError::Unknown`] for any other string.
    pub fn from_attr(v: Option<&str>) -> Result<Self, DepthSpaceError> {
        match v.unwrap_or("DCR") {
            "DCR" => Ok(DepthMode::Dcr),
            "CRD" => Ok(DepthMode::Crd),
            v => Err(DepthSpaceError::Unknown { attr: "mode", value: v.to_string() }),
        }
    }
}

/// Why a DepthToSpace or SpaceToDepth node cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DepthSpaceError {
    #[error("unknown {attr} '{value}'")]
    Unknown { attr: &'static str, value: String },
    #[error("the input has rank {rank}; it must be [N, C, H, W]")]
    Rank { rank: usize },
    #[error("blocksize {blocksize} must be between 1 and {MAX_DIM}")]
    BlockSize { blocksize: i64 },
    #[error("{what} {value} is not divisible by {by}")]
    NotDivisible { what: &'static str, value: usize, by: usize },
    #[error("{what} {value} is too large (at most {MAX_DIM})")]
    TooLarge { what: &'static str, value: u128 },
    #[error("the output {dims} holds too many values (at most {MAX_ELEMS})")]
    TooManyValues { dims: String },
}

/// A checked block size and the input dims.
fn check(in_dims: &[usize], blocksize: i64) -> Result<([usize; 4], usize), DepthSpaceError> {
    let &[n, c, h, w] = in_dims else {
        return Err(DepthSpaceError::Rank { rank: in_dims.len() });
    };
    if !(1..=MAX_DIM as i64).contains(&blocksize) {
        return Err(DepthSpaceError::BlockSize { blocksize });
    }
    Ok(([n, c, h, w], blocksize as usize))
}

fn finish(what: &'static str, dims: [u128; 4]) -> Result<Vec<usize>, DepthSpaceError> {
    if let Some(&value) = dims.iter().find(|&&d| d > MAX_DIM as u128) {
        return Err(DepthSpaceError::TooLarge { what, value });
    }
    let dims: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    if count(&dims).is_none() {
        return Err(DepthSpaceError::TooManyValues { dims: dims_str(&dims) });
    }
    Ok(dims)
}

/// `[N, C/b², H·b, W·b]`.
///
/// # Errors
/// Not rank 4, a block size outside `1..=MAX_DIM`, `C` not divisible by `b²`, an output dim
/// above [`MAX_DIM`] or too many values.
pub fn depth_to_space_dims(
    in_dims: &[usize],
    blocksize: i64,
) -> Result<Vec<usize>, DepthSpaceError> {
    let ([n, c, h, w], b) = check(in_dims, blocksize)?;
    let bb = (b as u128) * (b as u128);
    if !(c as u128).is_multiple_of(bb) {
        let by = usize::try_from(bb).unwrap_or(usize::MAX);
        return Err(DepthSpaceError::NotDivisible { what: "channels", value: c, by });
    }
    let wide = |v: usize| v as u128 * b as u128;
    finish("output size", [n as u128, c as u128 / bb, wide(h), wide(w)])
}

/// `[N, C·b², H/b, W/b]`.
///
/// # Errors
/// Not rank 4, a block size outside `1..=MAX_DIM`, `H` or `W` not divisible by `b`, an output
/// dim above [`MAX_DIM`] or too many values.
pub fn space_to_depth_dims(
    in_dims: &[usize],
    blocksize: i64,
) -> Result<Vec<usize>, DepthSpaceError> {
    let ([n, c, h, w], b) = check(in_dims, blocksize)?;
    for (what, value) in [("height", h), ("width", w)] {
        if !value.is_multiple_of(b) {
            return Err(DepthSpaceError::NotDivisible { what, value, by: b });
        }
    }
    let bb = (b as u128) * (b as u128);
    finish("channels", [n as u128, c as u128 * bb, (h / b) as u128, (w / b) as u128])
}

/// The input index `[n, c_in, h, w]` that DepthToSpace output `[n, c, y, x]` reads, for an
/// input of `in_channels` channels.
pub fn depth_to_space_source(
    out_idx: [usize; 4],
    in_channels: usize,
    blocksize: usize,
    mode: DepthMode,
) -> [usize; 4] {
    let [n, c, y, x] = out_idx;
    let b = blocksize;
    let (h, i, w, j) = (y / b, y % b, x / b, x % b);
    let ch = match mode {
        DepthMode::Dcr => (i * b + j) * (in_channels / (b * b)) + c,
        DepthMode::Crd => c * b * b + i * b + j,
    };
    [n, ch, h, w]
}

/// The input index `[n, c, y, x]` that SpaceToDepth output `[n, c_out, h, w]` reads, for an
/// input of `in_channels` channels.
pub fn space_to_depth_source(
    out_idx: [usize; 4],
    in_channels: usize,
    blocksize: usize,
) -> [usize; 4] {
    let [n, co, h, w] = out_idx;
    let b = blocksize;
    let (block, c) = (co / in_channels, co % in_channels);
    let (i, j) = (block / b, block % b);
    [n, c, h * b + i, w * b + j]
}

/// DepthToSpace of `x` with dims from [`depth_to_space_dims`].
///
/// # Panics
/// When `x` is not rank 4 or its channels are not divisible by `blocksize²`.
pub fn depth_to_space(x: &ArrayViewD<f32>, blocksize: usize, mode: DepthMode) -> ArrayD<f32> {
    let dims = depth_to_space_dims(x.shape(), blocksize as i64).expect("depth_to_space: bad dims");
    let (c_in, b) = (x.shape()[1], blocksize);
    let x = x.as_standard_layout();
    let src = x.as_slice().expect("standard layout is contiguous");
    let (h, w) = (x.shape()[2], x.shape()[3]);
    let mut out = ArrayD::zeros(IxDyn(&dims));
    let [n_out, c_out, h_out, w_out] = [dims[0], dims[1], dims[2], dims[3]];
    let dst = out.as_slice_mut().expect("a new array is contiguous");
    // One output row (n, c, y) reads b input rows (one per j), interleaved.
    for (r, row) in dst.chunks_exact_mut(w_out).enumerate() {
        let y = r % h_out;
        let c = (r / h_out) % c_out;
        let n = r / (h_out * c_out);
        debug_assert!(n < n_out);
        for j in 0..b {
            let [_, ch, hh, _] = depth_to_space_source([n, c, y, j], c_in, b, mode);
            let s = &src[((n * c_in + ch) * h + hh) * w..][..w];
            for (wi, &v) in s.iter().enumerate() {
                row[wi * b + j] = v;
            }
        }
    }
    out
}

/// SpaceToDepth of `x` with dims from [`space_to_depth_dims`].
///
/// # Panics
/// When `x` is not rank 4 or its height or width is not divisible by `blocksize`.
pub fn space_to_depth(x: &ArrayViewD<f32>, blocksize: usize) -> ArrayD<f32> {
    let dims = space_to_depth_dims(x.shape(), blocksize as i64).expect("space_to_depth: bad dims");
    let (c_in, h, w, b) = (x.shape()[1], x.shape()[2], x.shape()[3], blocksize);
    let x = x.as_standard_layout();
    let src = x.as_slice().expect("standard layout is contiguous");
    let mut out = ArrayD::zeros(IxDyn(&dims));
    let (c_out, h_out, w_out) = (dims[1], dims[2], dims[3]);
    let dst = out.as_slice_mut().expect("a new array is contiguous");
    // Output row (n, co, h') reads every b-th value of input row (n, c, h'·b + i), from j.
    for (r, row) in dst.chunks_exact_mut(w_out).enumerate() {
        let hh = r % h_out;
        let co = (r / h_out) % c_out;
        let n = r / (h_out * c_out);
        let [_, c, y, j] = space_to_depth_source([n, co, hh, 0], c_in, b);
        let s = &src[((n * c_in + c) * h + y) * w..][..w];
        for (v, &s) in row.iter_mut().zip(s[j..].iter().step_by(b)) {
            *v = s;
        }
    }
    out
}
