//! Conv geometry: the checked sizes of one conv call, and which output indices see real input.

use super::Pads;
use crate::nn::layer::ConvParams;

/// The sizes of one conv call, taken from the tensors and checked against the parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConvGeom {
    pub cin: usize,
    pub h: usize,
    pub w: usize,
    /// K: output depth.
    pub k: usize,
    pub fh: usize,
    pub fw: usize,
    /// Input channels per group (`D_in / groups`).
    pub cg: usize,
    pub groups: usize,
    /// Filters per group (`K / groups`).
    pub kg: usize,
    pub sh: usize,
    pub sw: usize,
    pub dh: usize,
    pub dw: usize,
    pub pads: Pads,
    pub oh: usize,
    pub ow: usize,
}

impl ConvGeom {
    /// # Panics
    /// If the weight, bias and input shapes disagree with each other or with `p`
    /// (`K`, `FH`, `FW`, `D_in = groups·Cg`, `K % groups`), or a stride/dilation/groups is 0.
    pub fn new(
        x: (usize, usize, usize),
        w: (usize, usize, usize, usize),
        bias_len: Option<usize>,
        p: &ConvParams,
        pads: Pads,
        oh: usize,
        ow: usize,
    ) -> Self {
        let (cin, h, wd) = x;
        let (k, fh, fw, cg) = w;
        assert!(p.stride_h >= 1 && p.stride_w >= 1, "conv stride must be ≥ 1: {p:?}");
        assert!(p.dilation_h >= 1 && p.dilation_w >= 1, "conv dilation must be ≥ 1: {p:?}");
        assert!(p.groups >= 1, "conv groups must be ≥ 1: {p:?}");
        assert_eq!(
            (k, fh, fw),
            (p.filters, p.kh, p.kw),
            "conv weights (K, FH, FW, Cg) = {w:?} disagree with the parameters {p:?}"
        );
        assert_eq!(cg * p.groups, cin, "conv weights {w:?}: Cg·groups must equal D_in = {cin}");
        assert_eq!(k % p.groups, 0, "conv K = {k} is not a multiple of groups = {}", p.groups);
        if let Some(n) = bias_len {
            assert_eq!(n, k, "conv bias has {n} values for K = {k} filters");
        }
        ConvGeom {
            cin,
            h,
            w: wd,
            k,
            fh,
            fw,
            cg,
            groups: p.groups,
            kg: k / p.groups,
            sh: p.stride_h,
            sw: p.stride_w,
            dh: p.dilation_h,
            dw: p.dilation_w,
            pads,
            oh,
            ow,
        }
    }

    /// Rows of one group's im2col matrix: `Cg·FH·FW`.
    pub fn kdim(&self) -> usize {
        self.cg * self.fh * self.fw
    }

    /// Output pixels per channel: `OH·OW`.
    pub fn npix(&self) -> usize {
        self.oh * self.ow
    }

    /// One input channel per group: the direct depthwise kernel applies.
    pub fn is_depthwise(&self) -> bool {
        self.cg == 1
    }

    /// 1×1, stride 1, no padding, output the size of the input: the input is already the
    /// `(Cin, H·W)` GEMM operand.
    pub fn is_pointwise(&self) -> bool {
        self.fh == 1
            && self.fw == 1
            && self.sh == 1
            && self.sw == 1
            && self.pads == Pads::default()
            && (self.oh, self.ow) == (self.h, self.w)
    }

    /// Output rows whose input row `oy·sh + fy·dh − top` is inside the input.
    pub fn rows_for(&self, fy: usize) -> (usize, usize) {
        valid_outputs(self.oh, self.h, self.sh, self.pads.top, fy * self.dh)
    }

    /// Output columns whose input column `ox·sw + fx·dw − left` is inside the input.
    pub fn cols_for(&self, fx: usize) -> (usize, usize) {
        valid_outputs(self.ow, self.w, self.sw, self.pads.left, fx * self.dw)
    }
}

/// For each filter row `fy` (column `fx`), the output rows (columns) whose input is real:
/// [`ConvGeom::rows_for`] and [`ConvGeom::cols_for`] computed once, out of the hot loops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ValidTaps {
    pub rows: Vec<(usize, usize)>,
    pub cols: Vec<(usize, usize)>,
}

impl ValidTaps {
    pub fn of(g: &ConvGeom) -> Self {
        ValidTaps {
            rows: (0..g.fh).map(|fy| g.rows_for(fy)).collect(),
            cols: (0..g.fw).map(|fx| g.cols_for(fx)).collect(),
        }
    }
}

/// The output indices `o` in `lo..hi` (within `0..out_len`) for which the input index
/// `o·stride + offset − pad` lies in `0..in_len`; every other output reads padding.
pub(crate) fn valid_outputs(
    out_len: usize,
    in_len: usize,
    stride: usize,
    pad: usize,
    offset: usize,
) -> (usize, usize) {
    // o·s ≥ pad − offset
    let lo = pad.saturating_sub(offset).div_ceil(stride).min(out_len);
    // o·s ≤ in_len − 1 + pad − offset
    let hi = match (in_len + pad).checked_sub(offset + 1) {
        Some(max) if in_len > 0 => (max / stride + 1).min(out_len),
        _ => 0,
    };
    (lo, hi.max(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, one index at a time.
    fn by_scan(out_len: usize, in_len: usize, s: usize, pad: usize, off: usize) -> Vec<usize> {
        (0..out_len)
            .filter(|&o| {
                let i = (o * s + off) as isize - pad as isize;
                i >= 0 && i < in_len as isize
            })
            .collect()
    }

    #[test]
    fn valid_outputs_table() {
        // (out_len, in_len, stride, pad, offset) → (lo, hi)
        let rows = [
            ((4, 11, 2, 0, 0), (0, 4)),
            ((4, 11, 2, 0, 4), (0, 4)),
            ((3, 5, 2, 1, 0), (1, 3)),
            ((3, 5, 2, 1, 2), (0, 2)),
            ((5, 5, 1, 1, 0), (1, 5)),
            ((5, 5, 1, 1, 2), (0, 4)),
            ((2, 1, 1, 3, 0), (2, 2)),
            ((4, 0, 1, 1, 0), (1, 1)),
        ];
        for ((o, n, s, p, f), want) in rows {
            assert_eq!(valid_outputs(o, n, s, p, f), want, "row {:?}", (o, n, s, p, f));
        }
    }

    #[test]
    fn valid_outputs_is_the_contiguous_scan() {
        for o in 0..7 {
            for n in 0..7 {
                for s in 1..4 {
                    for p in 0..4 {
                        for f in 0..7 {
                            let (lo, hi) = valid_outputs(o, n, s, p, f);
                            assert_eq!((lo..hi).collect::<Vec<_>>(), by_scan(o, n, s, p, f));
                        }
                    }
                }
            }
        }
    }
}
