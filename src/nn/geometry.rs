//! One checked geometry for every windowed op: padding resolution, output size, the window of
//! each output neuron (its taps inside the input, its numpy slice, the part in padding) and the
//! receptive-field step.
//!
//! Sizes may come from a file, so nothing here trusts them: each is bounded by [`MAX_DIM`] and
//! every sum and product is checked, so no input can wrap the arithmetic that later sizes a buffer.
//! Analysis builds one [`ConvGeometry`] or [`PoolGeometry`] per layer; the kernels,
//! `conv_neuron`, receptive fields and the explorer's explain panel read it, none re-derives it.
//! The formulas are written out the way the cs231n notes do: `(227 − 11 + 2·0)/4 + 1 = 55`.

use super::layer::Padding;
use super::tensor::Shape3;

/// The largest size of any one dimension, stride, pad, dilation or kernel extent.
pub const MAX_DIM: usize = 1 << 24;
/// The most values any one tensor may hold.
pub const MAX_ELEMS: usize = 1 << 31;

/// Why a window does not fit. Messages carry the key and the value; the layer is added by
/// [`super::LayerError`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GeomError {
    /// `stride 0 is not allowed (S ≥ 1)`.
    #[error("{key} 0 is not allowed ({sym} ≥ 1)")]
    Zero { key: &'static str, sym: &'static str },
    /// `pad 4611686018427387904 is too large (at most 16777216)`.
    #[error("{key} {value} is too large (at most {MAX_DIM})")]
    TooLarge { key: String, value: u128 },
    /// A kernel larger than the padded input.
    #[error(
        "{axis}: {what} is larger than the padded input {padded} ({n} + {before} + {after}): output would be 0"
    )]
    DoesNotFit {
        axis: &'static str,
        what: String,
        padded: usize,
        n: usize,
        before: usize,
        after: usize,
    },
    /// A pool pad at least as large as the window: some window would see only padding.
    #[error(
        "{axis}: pad {pad} is not smaller than the window {window} (onnxruntime and PyTorch refuse it: a window could lie wholly in the padding)"
    )]
    PoolPad { axis: &'static str, pad: usize, window: usize },
    /// A tensor with more than [`MAX_ELEMS`] values.
    #[error("{what} {dims} holds {count} values (at most {MAX_ELEMS})")]
    TooManyValues { what: String, dims: String, count: u128 },
}

/// `v` as a size: at most [`MAX_DIM`].
///
/// # Errors
/// [`GeomError::TooLarge`].
pub fn bounded(key: &str, v: usize) -> Result<usize, GeomError> {
    if v > MAX_DIM {
        return Err(GeomError::TooLarge { key: key.to_string(), value: v as u128 });
    }
    Ok(v)
}

/// The number of values of a tensor with these dims, at most [`MAX_ELEMS`].
///
/// # Errors
/// [`GeomError::TooManyValues`] (also when the product would overflow).
pub fn count(what: &str, dims: &[usize]) -> Result<usize, GeomError> {
    let wide = dims.iter().try_fold(1u128, |a, &d| a.checked_mul(d as u128));
    match wide {
        Some(n) if n <= MAX_ELEMS as u128 => Ok(n as usize),
        _ => Err(GeomError::TooManyValues {
            what: what.to_string(),
            dims: dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×"),
            count: wide.unwrap_or(u128::MAX),
        }),
    }
}

/// Resolved padding in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub struct Pads {
    pub top: usize,
    pub left: usize,
    pub bottom: usize,
    pub right: usize,
}

impl Pads {
    /// The same padding on all four sides.
    pub const fn symmetric(p: usize) -> Self {
        Pads { top: p, left: p, bottom: p, right: p }
    }
}

/// How one spatial axis (rows or cols) of a windowed op fits its input. Every field is at most
/// [`MAX_DIM`], so sums and products of two of them cannot overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Axis {
    /// Input size along this axis.
    pub n: usize,
    /// Kernel size F.
    pub f: usize,
    pub dilation: usize,
    pub stride: usize,
    pub pad_before: usize,
    pub pad_after: usize,
    pub ceil_mode: bool,
    /// The output size actually used (floored, or ceiled with `ceil_mode`).
    pub out: usize,
}

/// One output neuron's window along one axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisWindow {
    /// Input index of tap 0 (negative in the padding).
    pub start: i64,
    /// Taps `lo..hi` fall inside the input; `lo == hi` when the window lies wholly in padding.
    pub lo: usize,
    pub hi: usize,
    pub f: usize,
    pub dil: usize,
    /// Taps inside the input plus its explicit padding (the mean's count with padding).
    pub padded: usize,
}

impl AxisWindow {
    /// The input index of tap `t` (which may lie in the padding).
    pub fn index(&self, t: usize) -> i64 {
        self.start + (t * self.dil) as i64
    }

    /// Whether no tap reads real input.
    pub fn is_empty(&self) -> bool {
        self.lo == self.hi
    }

    /// Every tap reads real input.
    pub fn is_full(&self) -> bool {
        self.lo == 0 && self.hi == self.f
    }

    /// Taps hanging over the start and the end.
    pub fn overhang(&self) -> (usize, usize) {
        if self.is_empty() { (self.f, 0) } else { (self.lo, self.f - self.hi) }
    }

    /// The real input cells the window reads, `first..last + 1` (every `dil`-th of them), as
    /// indices into the input; empty when the window lies wholly in padding.
    pub fn input_range(&self) -> std::ops::Range<usize> {
        if self.is_empty() {
            return 0..0;
        }
        // Taps lo..hi are inside the input, so these indices are in 0..n.
        let first = self.index(self.lo) as usize;
        let last = self.index(self.hi - 1) as usize;
        first..last + 1
    }

    /// The numpy slice of the input: `44:55`, or `3:12:2` with dilation; `0:0` when empty.
    pub fn x_slice(&self) -> String {
        let r = self.input_range();
        if self.dil > 1 && r.len() > 1 {
            format!("{}:{}:{}", r.start, r.end, self.dil)
        } else {
            format!("{}:{}", r.start, r.end)
        }
    }

    /// The taps that read real input, as a numpy slice of the filter: `1:3`.
    pub fn tap_slice(&self) -> String {
        format!("{}:{}", self.lo, self.hi)
    }
}

impl Axis {
    /// Fit one axis: `out = (n − F_eff + P_before + P_after)/S + 1`, floored (or ceiled).
    ///
    /// ```
    /// use convscope::nn::geometry::Axis;
    /// // AlexNet conv1: 227 input rows, F = 11, dilation 1, S = 4, no padding.
    /// let rows = Axis::fit("rows", 227, 11, 1, 4, (0, 0), false).unwrap();
    /// assert_eq!(rows.out, 55);
    /// assert_eq!(rows.formula(), "(227 − 11 + 2·0)/4 + 1 = 55");
    /// ```
    ///
    /// # Errors
    /// F, S or dilation 0; any size above [`MAX_DIM`]; a kernel larger than the padded input.
    pub fn fit(
        axis: &'static str,
        n: usize,
        f: usize,
        dilation: usize,
        stride: usize,
        (pad_before, pad_after): (usize, usize),
        ceil_mode: bool,
    ) -> Result<Axis, GeomError> {
        for (key, sym, v) in
            [("size", "F", f), ("stride", "S", stride), ("dilation", "d", dilation)]
        {
            if v == 0 {
                return Err(GeomError::Zero { key, sym });
            }
            bounded(key, v)?;
        }
        bounded("input size", n)?;
        bounded("pad", pad_before)?;
        bounded("pad", pad_after)?;
        // All bounded by 2^24: these fit comfortably in 64 bits.
        let f_eff = dilation * (f - 1) + 1;
        bounded("dilated size", f_eff)?;
        let padded = n + pad_before + pad_after;
        if f_eff > padded {
            let what =
                if dilation > 1 { format!("dilated size {f_eff}") } else { format!("size {f}") };
            return Err(GeomError::DoesNotFit {
                axis,
                what,
                padded,
                n,
                before: pad_before,
                after: pad_after,
            });
        }
        let span = padded - f_eff;
        let mut out = if ceil_mode { span.div_ceil(stride) + 1 } else { span / stride + 1 };
        // ONNX/PyTorch: with ceil_mode, a last window that starts inside the end padding is dropped.
        if ceil_mode && out > 1 && (out - 1) * stride >= n + pad_before {
            out -= 1;
        }
        Ok(Axis { n, f, dilation, stride, pad_before, pad_after, ceil_mode, out })
    }

    /// Effective kernel extent with dilation: `d·(F − 1) + 1`.
    pub fn f_eff(&self) -> usize {
        self.dilation * (self.f - 1) + 1
    }

    /// The numerator `n − F_eff + P_before + P_after`.
    pub fn span(&self) -> usize {
        self.n + self.pad_before + self.pad_after - self.f_eff()
    }

    /// Whether the filter fits a whole number of times (`span % S == 0`).
    pub fn is_exact(&self) -> bool {
        self.span().is_multiple_of(self.stride)
    }

    /// `span/S + 1` as a real number, e.g. 54.25.
    pub fn real_out(&self) -> f64 {
        self.span() as f64 / self.stride as f64 + 1.0
    }

    /// Input rows/cols (not padding) that no window ever covers when the fit is floored.
    pub fn uncovered(&self) -> usize {
        if self.ceil_mode {
            return 0;
        }
        // The last window ends at (out−1)·S + F_eff in padded coordinates.
        let covered_end = (self.out - 1) * self.stride + self.f_eff();
        let real_end = self.pad_before + self.n;
        real_end.saturating_sub(covered_end)
    }

    /// The window of output `o` (any `o < out`).
    pub fn window(&self, o: usize) -> AxisWindow {
        let start = (o * self.stride) as i64 - self.pad_before as i64;
        let (n, dil) = (self.n as i64, self.dilation as i64);
        let f = self.f as i64;
        // The first tap at or past input index `limit`: ceil((limit − start)/dil), within 0..=F.
        let first_at = |limit: i64| {
            if start >= limit { 0 } else { ((limit - start + dil - 1) / dil).min(f) }
        };
        // Tap indices grow with t, so the taps inside the input are the contiguous lo..hi.
        let (lo, hi) = (first_at(0), first_at(n));
        let (lo, hi) = if lo < hi { (lo as usize, hi as usize) } else { (0, 0) };
        let padded = first_at(n + self.pad_after as i64) as usize;
        AxisWindow { start, lo, hi, f: self.f, dil: self.dilation, padded }
    }

    /// The outputs `o` whose tap at `offset` (`t·dilation`) reads real input: input index
    /// `o·S + offset − P_before` in `0..n`. Every other output reads padding there.
    pub fn valid_outputs(&self, offset: usize) -> (usize, usize) {
        valid_outputs(self.out, self.n, self.stride, self.pad_before, offset)
    }

    /// The outputs whose tap `t` reads real input.
    pub fn valid_for_tap(&self, t: usize) -> (usize, usize) {
        self.valid_outputs(t * self.dilation)
    }

    /// The padding term as written in a formula: `2·P` when symmetric, else `P1 + P2`.
    fn pad_term(&self) -> String {
        if self.pad_before == self.pad_after {
            format!("2·{}", self.pad_before)
        } else {
            format!("{} + {}", self.pad_before, self.pad_after)
        }
    }

    /// The formula with its numbers: `(227 − 11 + 2·0)/4 + 1 = 55`; a fit that is not whole reads
    /// `(224 − 11 + 2·0)/4 + 1 = 54.25 → 54 (floor)`.
    pub fn formula(&self) -> String {
        let head = self.expression();
        if self.is_exact() {
            format!("{head} = {}", self.out)
        } else {
            let how = if self.ceil_mode { "ceil" } else { "floor" };
            format!("{head} = {} → {} ({how})", fmt_real(self.real_out()), self.out)
        }
    }

    /// The left-hand side, `(227 − 11 + 2·0)/4 + 1`.
    pub fn expression(&self) -> String {
        format!("({} − {} + {})/{} + 1", self.n, self.f_eff(), self.pad_term(), self.stride)
    }

    /// `(55 − 11 + 2·0)/3 + 1 = 15.67`: the real value, unrounded.
    pub fn exact_formula(&self) -> String {
        format!("{} = {}", self.expression(), fmt_real(self.real_out()))
    }

    /// A warning for a fit that is not whole; `None` when it fits.
    pub fn warning(&self, axis: &str) -> Option<String> {
        if self.is_exact() {
            return None;
        }
        let frac = fmt_real(self.real_out());
        Some(if self.ceil_mode {
            format!("{axis}: {frac} is not whole; ceil_mode rounds up to {}", self.out)
        } else {
            let lost = self.uncovered();
            if lost == 0 {
                // Only padding is left over (stride 2 over an odd padded size): nothing is lost.
                return None;
            }
            let s = if lost == 1 { "" } else { "s" };
            format!(
                "{axis}: {frac} is not whole; floored to {}, the last {lost} input {}{s} never covered",
                self.out,
                if axis == "rows" { "row" } else { "col" },
            )
        })
    }
}

/// `54.25`, `15.67`, `3`: at most two decimals, no trailing zeros.
pub fn fmt_real(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The output indices `o` in `0..out_len` for which the input index `o·stride + offset − pad`
/// lies in `0..in_len`; they are contiguous, `lo..hi`. Sizes are at most [`MAX_DIM`].
pub fn valid_outputs(
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

/// Resolve a padding spec to pixels for an `n.0 × n.1` input, effective kernel `f_eff` and
/// stride `s` (all at most [`MAX_DIM`]).
pub fn resolve(pad: &Padding, n: (usize, usize), f_eff: (usize, usize), s: (usize, usize)) -> Pads {
    match *pad {
        Padding::Explicit { top, left, bottom, right } => Pads { top, left, bottom, right },
        Padding::Valid => Pads::default(),
        Padding::SameUpper | Padding::SameLower => {
            let total = |n: usize, f: usize, s: usize| {
                let out = n.div_ceil(s.max(1));
                ((out.max(1) - 1).saturating_mul(s)).saturating_add(f).saturating_sub(n)
            };
            let th = total(n.0, f_eff.0, s.0);
            let tw = total(n.1, f_eff.1, s.1);
            if *pad == Padding::SameUpper {
                Pads { top: th / 2, left: tw / 2, bottom: th - th / 2, right: tw - tw / 2 }
            } else {
                Pads { top: th - th / 2, left: tw - tw / 2, bottom: th / 2, right: tw / 2 }
            }
        }
    }
}

/// A 2-D window (conv or pool): how rows and cols fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Window2d {
    pub rows: Axis,
    pub cols: Axis,
}

/// What a window is made of, as a layer's parameters say it.
#[derive(Clone, Copy, Debug)]
pub struct WindowSpec<'a> {
    pub kernel: (usize, usize),
    pub dilation: (usize, usize),
    pub stride: (usize, usize),
    pub pad: &'a Padding,
    pub ceil_mode: bool,
}

impl Window2d {
    /// Fit a window over an `h × w` input.
    ///
    /// # Errors
    /// As [`Axis::fit`], per axis.
    pub fn fit(h: usize, w: usize, s: WindowSpec) -> Result<Window2d, GeomError> {
        for (key, sym, v) in [
            ("size", "F", s.kernel.0),
            ("size", "F", s.kernel.1),
            ("stride", "S", s.stride.0),
            ("stride", "S", s.stride.1),
            ("dilation", "d", s.dilation.0),
            ("dilation", "d", s.dilation.1),
        ] {
            if v == 0 {
                return Err(GeomError::Zero { key, sym });
            }
            bounded(key, v)?;
        }
        if let Padding::Explicit { top, left, bottom, right } = *s.pad {
            for p in [top, left, bottom, right] {
                bounded("pad", p)?;
            }
        }
        let f_eff = |f: usize, d: usize| d * (f - 1) + 1;
        let eff = (f_eff(s.kernel.0, s.dilation.0), f_eff(s.kernel.1, s.dilation.1));
        let p = resolve(s.pad, (h, w), eff, s.stride);
        let rows = Axis::fit(
            "rows",
            h,
            s.kernel.0,
            s.dilation.0,
            s.stride.0,
            (p.top, p.bottom),
            s.ceil_mode,
        )?;
        let cols = Axis::fit(
            "cols",
            w,
            s.kernel.1,
            s.dilation.1,
            s.stride.1,
            (p.left, p.right),
            s.ceil_mode,
        )?;
        Ok(Window2d { rows, cols })
    }

    pub fn pads(&self) -> Pads {
        Pads {
            top: self.rows.pad_before,
            left: self.cols.pad_before,
            bottom: self.rows.pad_after,
            right: self.cols.pad_after,
        }
    }

    /// Output rows and cols.
    pub fn out(&self) -> (usize, usize) {
        (self.rows.out, self.cols.out)
    }

    /// The window of output neuron `(r, c)`.
    pub fn neuron(&self, r: usize, c: usize) -> (AxisWindow, AxisWindow) {
        (self.rows.window(r), self.cols.window(c))
    }

    /// The output-size formula, once when rows and cols agree, else for each axis.
    pub fn formula(&self) -> String {
        if self.rows == self.cols {
            self.rows.formula()
        } else {
            format!("rows {} · cols {}", self.rows.formula(), self.cols.formula())
        }
    }

    /// Every pad smaller than the window (the pooling rule of onnxruntime and PyTorch).
    ///
    /// # Errors
    /// [`GeomError::PoolPad`] naming the first axis that breaks it.
    pub fn check_pool_pads(&self) -> Result<(), GeomError> {
        for (axis, a) in [("rows", self.rows), ("cols", self.cols)] {
            let pad = a.pad_before.max(a.pad_after);
            if pad >= a.f {
                return Err(GeomError::PoolPad { axis, pad, window: a.f });
            }
        }
        Ok(())
    }
}

/// A conv layer's geometry: the input volume, K filters of `FH × FW × D_in/groups`, the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConvGeometry {
    pub input: Shape3,
    /// K: the number of filters, which is the depth of the output.
    pub filters: usize,
    pub groups: usize,
    pub window: Window2d,
}

impl ConvGeometry {
    /// # Errors
    /// Groups that do not divide the input depth and the filters; K or groups 0 or too large;
    /// the window's errors; an output or filter bank of more than [`MAX_ELEMS`] values.
    pub fn new(
        input: Shape3,
        filters: usize,
        groups: usize,
        window: WindowSpec,
    ) -> Result<ConvGeometry, GeomError> {
        if filters == 0 {
            return Err(GeomError::Zero { key: "filters", sym: "K" });
        }
        if groups == 0 {
            return Err(GeomError::Zero { key: "groups", sym: "groups" });
        }
        bounded("filters", filters)?;
        bounded("groups", groups)?;
        let window = Window2d::fit(input.h, input.w, window)?;
        let g = ConvGeometry { input, filters, groups, window };
        count("output", &[g.window.rows.out, g.window.cols.out, filters])?;
        if input.d.is_multiple_of(groups) && filters.is_multiple_of(groups) {
            count("weights", &g.filter_dims())?;
        }
        Ok(g)
    }

    /// Whether groups divide the input depth and the filters.
    pub fn groups_fit(&self) -> bool {
        self.input.d.is_multiple_of(self.groups) && self.filters.is_multiple_of(self.groups)
    }

    /// Input channels per group (`D_in / groups`): the depth of one filter.
    pub fn cg(&self) -> usize {
        self.input.d / self.groups
    }

    /// Filters per group (`K / groups`).
    pub fn kg(&self) -> usize {
        self.filters / self.groups
    }

    /// `[K, FH, FW, D_in/groups]`: the weight tensor.
    pub fn filter_dims(&self) -> [usize; 4] {
        [self.filters, self.window.rows.f, self.window.cols.f, self.cg()]
    }

    pub fn out(&self) -> Shape3 {
        Shape3::new(self.window.rows.out, self.window.cols.out, self.filters)
    }

    /// The input channels filter `d` reads: its group's.
    pub fn channels_of(&self, d: usize) -> std::ops::Range<usize> {
        let g = d / self.kg().max(1);
        g * self.cg()..(g + 1) * self.cg()
    }
}

/// A pooling layer's geometry: the input volume and the window (pads smaller than it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PoolGeometry {
    pub input: Shape3,
    pub window: Window2d,
    /// avgpool only: whether padded zeros count in the mean's denominator.
    pub count_include_pad: bool,
}

impl PoolGeometry {
    /// # Errors
    /// The window's errors, and a pad that is not smaller than the window.
    pub fn new(
        input: Shape3,
        window: WindowSpec,
        count_include_pad: bool,
    ) -> Result<PoolGeometry, GeomError> {
        let window = Window2d::fit(input.h, input.w, window)?;
        window.check_pool_pads()?;
        count("output", &[window.rows.out, window.cols.out, input.d])?;
        Ok(PoolGeometry { input, window, count_include_pad })
    }

    pub fn out(&self) -> Shape3 {
        Shape3::new(self.window.rows.out, self.window.cols.out, self.input.d)
    }
}

#[cfg(test)]
#[path = "geometry_tests.rs"]
mod tests;
