//! The checked geometry of a 2-D ONNX ConvTranspose (opsets 1, 11; batch 1).
//!
//! ConvTranspose is the transpose (the gradient) of a Conv: every input cell `x[ci, iy, ix]`
//! scatters `x·W[ci, k]` onto the output window starting at `(iy·S_h − P_top, ix·S_w − P_left)`,
//! so output neuron `(k, r, c)` is
//! `V[k, r, c] = Σ x[ci, iy, ix]·W[ci, k − g·K_g, fy, fx] + b[k]` over the taps with
//! `r = iy·S_h + fy·d_h − P_top` and `c = ix·S_w + fx·d_w − P_left`.
//! Sizes may come from a file, so nothing here trusts them: every attribute and size is bounded
//! by [`MAX_DIM`], every tensor by [`MAX_ELEMS`], and the arithmetic is checked.

mod axis;
mod error;

pub use axis::{AxisAttrs, PadSource, TransposeAxis};
pub use error::{AutoPad, MAX_DIM, MAX_ELEMS, TransposeError};

use error::{count, positive, size};

/// A volume's depth, rows and columns, stored `(C, H, W)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Chw {
    pub c: usize,
    pub h: usize,
    pub w: usize,
}

impl Chw {
    pub const fn new(c: usize, h: usize, w: usize) -> Self {
        Chw { c, h, w }
    }
}

/// A 2-D ConvTranspose node's attributes as ONNX states them (lists of the wrong length are the
/// importer's to refuse). `Default` is ONNX's defaults at opset 11.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvTransposeAttrs {
    pub opset: i64,
    pub auto_pad: AutoPad,
    pub group: i64,
    /// `[FH, FW]`; when given it must match the weights.
    pub kernel_shape: Option<[i64; 2]>,
    pub strides: [i64; 2],
    pub dilations: [i64; 2],
    /// ONNX order: `[top, left, bottom, right]` (`x1_begin, x2_begin, x1_end, x2_end`).
    pub pads: Option<[i64; 4]>,
    pub output_padding: [i64; 2],
    /// `[OH, OW]` (the importer drops a leading `N, C` if the model gives four values).
    pub output_shape: Option<[i64; 2]>,
}

impl Default for ConvTransposeAttrs {
    fn default() -> Self {
        ConvTransposeAttrs {
            opset: 11,
            auto_pad: AutoPad::NotSet,
            group: 1,
            kernel_shape: None,
            strides: [1, 1],
            dilations: [1, 1],
            pads: None,
            output_padding: [0, 0],
            output_shape: None,
        }
    }
}

impl ConvTransposeAttrs {
    /// The attributes of one axis (0: rows, 1: cols).
    pub fn axis(&self, i: usize) -> AxisAttrs {
        AxisAttrs {
            stride: self.strides[i],
            dilation: self.dilations[i],
            pads: self.pads.map(|p| (p[i], p[i + 2])),
            output_padding: self.output_padding[i],
            output_shape: self.output_shape.map(|s| s[i]),
            auto_pad: self.auto_pad,
            opset: self.opset,
        }
    }
}

/// One term of an output neuron: input cell `(iy, ix)` (every channel of the group) seen
/// through filter tap `(fy, fx)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Contribution {
    pub iy: usize,
    pub ix: usize,
    pub fy: usize,
    pub fx: usize,
}

/// A ConvTranspose layer's geometry: the input volume, K output channels, the groups, and how
/// rows and cols fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTransposeGeometry {
    pub input: Chw,
    /// K: the output depth, `group · W.shape[1]`.
    pub filters: usize,
    pub groups: usize,
    pub rows: TransposeAxis,
    pub cols: TransposeAxis,
}

impl ConvTransposeGeometry {
    /// The geometry of a ConvTranspose of `input` with weights of ONNX shape
    /// `weights = [C, K/group, FH, FW]`.
    ///
    /// # Errors
    /// Each axis's [`TransposeAxis::fit`] errors; a `group` of 0, negative, too large or not
    /// dividing C; weights whose first dimension is not C; a `kernel_shape` that disagrees
    /// with them; an input, output or weight tensor of more than [`MAX_ELEMS`] values.
    pub fn new(
        input: Chw,
        weights: [usize; 4],
        attrs: &ConvTransposeAttrs,
    ) -> Result<ConvTransposeGeometry, TransposeError> {
        let groups = positive("", "group", "group", attrs.group)?;
        let c = size("", "input channels", input.c)?;
        if c == 0 {
            return Err(TransposeError::Zero { axis: "", key: "input channels", sym: "C" });
        }
        if weights[0] != c {
            let dims = weights.map(|d| d.to_string()).join("×");
            return Err(TransposeError::WeightChannels { dims, channels: c });
        }
        if !c.is_multiple_of(groups) {
            return Err(TransposeError::Groups { group: groups, channels: c });
        }
        let kg = size("", "filters per group", weights[1])?;
        if kg == 0 {
            return Err(TransposeError::Zero {
                axis: "",
                key: "filters per group",
                sym: "K/group",
            });
        }
        let filters = size("", "filters", kg * groups)?; // both ≤ 2^24: no overflow
        let (fh, fw) = (weights[2], weights[3]);
        if let Some(ks) = attrs.kernel_shape {
            for (axis, value, f) in [("rows", ks[0], fh), ("cols", ks[1], fw)] {
                if value < 0 || value as u64 != f as u64 {
                    return Err(TransposeError::KernelShape { axis, value, f });
                }
            }
        }
        let rows = TransposeAxis::fit("rows", input.h, fh, &attrs.axis(0))?;
        let cols = TransposeAxis::fit("cols", input.w, fw, &attrs.axis(1))?;
        count("input", &[c, input.h, input.w])?;
        count("weights", &weights)?;
        count("output", &[filters, rows.out, cols.out])?;
        Ok(ConvTransposeGeometry { input, filters, groups, rows, cols })
    }

    /// Input channels per group, `C / group`.
    pub fn cg(&self) -> usize {
        self.input.c / self.groups
    }

    /// Output channels per group, `K / group` (the weights' second dimension).
    pub fn kg(&self) -> usize {
        self.filters / self.groups
    }

    /// The weights' ONNX shape `[C, K/group, FH, FW]`.
    pub fn weight_dims(&self) -> [usize; 4] {
        [self.input.c, self.kg(), self.rows.f, self.cols.f]
    }

    /// The output volume `(K, OH, OW)`.
    pub fn out(&self) -> Chw {
        Chw::new(self.filters, self.rows.out, self.cols.out)
    }

    /// The input channels output channel `k` reads: its group's.
    pub fn channels_of(&self, k: usize) -> std::ops::Range<usize> {
        let g = k / self.kg();
        g * self.cg()..(g + 1) * self.cg()
    }

    /// The output-size formulas, once when rows and cols agree, else for each axis.
    pub fn formula(&self) -> String {
        if self.rows == self.cols {
            self.rows.formula()
        } else {
            format!("rows {} · cols {}", self.rows.formula(), self.cols.formula())
        }
    }

    /// Both axes' warnings, if any.
    pub fn warnings(&self) -> Vec<String> {
        [self.rows.warning("rows"), self.cols.warning("cols")].into_iter().flatten().collect()
    }

    /// Every `(iy, ix, fy, fx)` adding to output neuron `(r, c)` of any channel, taps ascending
    /// (`fy`, then `fx`): `r = iy·S_h + fy·d_h − P_top`, `c = ix·S_w + fx·d_w − P_left`. Empty
    /// for a neuron in the padding past the full output (it holds only the bias).
    ///
    /// # Panics
    /// If `(r, c)` is outside the output.
    pub fn contributors(&self, r: usize, c: usize) -> Vec<Contribution> {
        assert!(r < self.rows.out && c < self.cols.out, "neuron ({r}, {c}) is outside the output");
        let (rows, cols) = (self.rows.taps_at(r), self.cols.taps_at(c));
        let mut v = Vec::with_capacity(rows.len() * cols.len());
        for &(iy, fy) in &rows {
            for &(ix, fx) in &cols {
                v.push(Contribution { iy, ix, fy, fx });
            }
        }
        v
    }
}
