//! The sizes of one conv call as the hot loops read them, taken from the layer's checked
//! [`ConvGeometry`] and the tensors, and checked against each other before any loop runs.

use crate::nn::geometry::{ConvGeometry, MAX_DIM, Pads, valid_outputs};

/// The sizes of one conv call, flattened for the kernels. Every product the kernels form
/// (`K·OH·OW`, `Cin·H·W`, `Cg·FH·FW`) was checked not to overflow when it was built.
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

/// `a·b·…` or a panic: a kernel is never handed sizes whose product wraps.
fn product(what: &str, dims: &[usize]) -> usize {
    dims.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .unwrap_or_else(|| panic!("conv {what} {dims:?} overflows"))
}

impl ConvGeom {
    /// # Panics
    /// If the input, weight and bias shapes disagree with `g` (the input volume, `K`, `FH`,
    /// `FW`, `D_in = groups·Cg`, `K % groups`), a stride, dilation or `groups` is 0, or a size
    /// product overflows.
    pub fn new(
        x: (usize, usize, usize),
        w: (usize, usize, usize, usize),
        bias_len: Option<usize>,
        g: &ConvGeometry,
    ) -> Self {
        let (cin, h, wd) = x;
        let (k, fh, fw, cg) = w;
        let (rows, cols) = (g.window.rows, g.window.cols);
        assert!(rows.stride >= 1 && cols.stride >= 1, "conv stride must be ≥ 1: {g:?}");
        assert!(rows.dilation >= 1 && cols.dilation >= 1, "conv dilation must be ≥ 1: {g:?}");
        assert!(g.groups >= 1, "conv groups must be ≥ 1: {g:?}");
        assert_eq!(
            (cin, h, wd),
            (g.input.d, g.input.h, g.input.w),
            "conv input (D, H, W) disagrees with the geometry {g:?}"
        );
        assert_eq!(
            (k, fh, fw),
            (g.filters, rows.f, cols.f),
            "conv weights (K, FH, FW, Cg) = {w:?} disagree with the geometry {g:?}"
        );
        assert_eq!(
            cg.checked_mul(g.groups),
            Some(cin),
            "conv weights {w:?}: Cg·groups must equal D_in = {cin}"
        );
        assert_eq!(k % g.groups, 0, "conv K = {k} is not a multiple of groups = {}", g.groups);
        if let Some(n) = bias_len {
            assert_eq!(n, k, "conv bias has {n} values for K = {k} filters");
        }
        let (oh, ow) = (rows.out, cols.out);
        for a in [rows, cols] {
            let sizes = [a.n, a.f, a.dilation, a.stride, a.pad_before, a.pad_after, a.out];
            assert!(sizes.iter().all(|&v| v <= MAX_DIM), "conv geometry out of bounds: {g:?}");
        }
        product("output", &[k, oh, ow]);
        product("input", &[cin, h, wd]);
        product("im2col rows", &[cg, fh, fw]);
        product("strided phases", &[cin, cols.stride, h, wd]);
        product(
            "phase planes",
            &[rows.stride, cols.stride, oh + fh * rows.dilation, ow + fw * cols.dilation],
        );
        ConvGeom {
            cin,
            h,
            w: wd,
            k,
            fh,
            fw,
            cg,
            groups: g.groups,
            kg: k / g.groups,
            sh: rows.stride,
            sw: cols.stride,
            dh: rows.dilation,
            dw: cols.dilation,
            pads: g.window.pads(),
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
