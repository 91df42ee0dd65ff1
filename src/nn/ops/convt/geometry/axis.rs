//! One spatial axis of a ConvTranspose: ONNX's padding rules, the output size and its formula.
//!
//! Input `i` seen through tap `t` lands on output `o = i·S + t·d − P_b`; the output keeps
//! `0 ≤ o < out` with `out = (n − 1)·S − P_b − P_e + d·(F − 1) + output_padding + 1`.

use super::error::{AutoPad, MAX_DIM, TransposeError, attr, positive, size};

/// One axis's attributes as the model states them: untrusted, possibly negative or huge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisAttrs {
    pub stride: i64,
    pub dilation: i64,
    /// `(begin, end)`; `None` when the node has no `pads` attribute.
    pub pads: Option<(i64, i64)>,
    pub output_padding: i64,
    pub output_shape: Option<i64>,
    pub auto_pad: AutoPad,
    /// The model's opset for the default domain (only changes warnings, see [`TransposeAxis::warning`]).
    pub opset: i64,
}

impl Default for AxisAttrs {
    /// ONNX's defaults: stride 1, dilation 1, no pads, no output padding, NOTSET, opset 11.
    fn default() -> Self {
        AxisAttrs {
            stride: 1,
            dilation: 1,
            pads: None,
            output_padding: 0,
            output_shape: None,
            auto_pad: AutoPad::NotSet,
            opset: 11,
        }
    }
}

/// Where an axis's pads came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PadSource {
    /// The `pads` attribute, or zeros without one.
    Explicit,
    /// `auto_pad = VALID`.
    Valid,
    /// `auto_pad = SAME_*` without `output_shape`: padded towards `n·S` outputs. `total` is
    /// `full − n·S` before it is clamped at 0.
    Same { upper: bool, total: i64 },
    /// `output_shape` given: `total = full − output_shape` before it is clamped at 0; the odd
    /// pixel goes to the end with SAME_UPPER, to the start otherwise.
    OutputShape { requested: usize, total: i64, extra_at_end: bool, pads_ignored: bool },
}

/// How one spatial axis of a ConvTranspose fits. Every size is at most [`MAX_DIM`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransposeAxis {
    /// Input size.
    pub n: usize,
    /// Kernel size F.
    pub f: usize,
    pub stride: usize,
    pub dilation: usize,
    /// Cells cropped from the start of the full output.
    pub pad_begin: usize,
    /// Cells cropped from the end.
    pub pad_end: usize,
    pub output_padding: usize,
    /// Output size.
    pub out: usize,
    /// Cells past the full output (an `output_shape` above it; they hold only the bias).
    pub surplus: usize,
    pub source: PadSource,
    pub opset: i64,
}

/// Checked `i64` arithmetic on bounded sizes: overflow is an error, never a wrap.
fn ck(axis: &'static str, v: Option<i64>) -> Result<i64, TransposeError> {
    v.ok_or(TransposeError::TooLarge { axis, key: "output size", value: i128::MAX })
}

impl TransposeAxis {
    /// Fit one axis of `n` inputs and a kernel of `f` taps under ONNX's rules.
    ///
    /// ```
    /// use convscope::nn::ops::convt::geometry::{AxisAttrs, TransposeAxis};
    /// let a = AxisAttrs { stride: 2, pads: Some((1, 1)), output_padding: 1, ..Default::default() };
    /// let rows = TransposeAxis::fit("rows", 40, 3, &a).unwrap();
    /// assert_eq!(rows.out, 80);
    /// assert_eq!(rows.formula(), "(40 − 1)·2 − 1 − 1 + 1·(3 − 1) + 1 + 1 = 80");
    /// ```
    ///
    /// # Errors
    /// Any attribute negative, zero where ONNX needs ≥ 1, or above [`MAX_DIM`]; `pads` with an
    /// `auto_pad`; `output_padding` not below the stride (see [`TransposeError`]); an
    /// `output_shape` of 0 or too large; an empty output.
    pub fn fit(
        axis: &'static str,
        n: usize,
        f: usize,
        a: &AxisAttrs,
    ) -> Result<TransposeAxis, TransposeError> {
        if a.opset < 1 {
            return Err(TransposeError::Opset(a.opset));
        }
        let n = size(axis, "input size", n)?;
        if n == 0 {
            return Err(TransposeError::Zero { axis, key: "input size", sym: "n" });
        }
        let f = size(axis, "kernel size", f)?;
        if f == 0 {
            return Err(TransposeError::Zero { axis, key: "kernel size", sym: "F" });
        }
        let stride = positive(axis, "strides", "S", a.stride)?;
        let dilation = positive(axis, "dilations", "d", a.dilation)?;
        let op = attr(axis, "output_padding", a.output_padding)?;
        let pads = match a.pads {
            Some(_) if a.auto_pad != AutoPad::NotSet => {
                return Err(TransposeError::PadsWithAutoPad { auto_pad: a.auto_pad.name() });
            }
            Some((b, e)) => Some((attr(axis, "pads", b)?, attr(axis, "pads", e)?)),
            None => None,
        };
        let requested = match a.output_shape {
            Some(0) => return Err(TransposeError::OutputShapeZero { axis }),
            Some(v) => Some(attr(axis, "output_shape", v)?),
            None => None,
        };
        if op >= stride && op >= dilation {
            return Err(TransposeError::OutputPadding { axis, value: op, stride, dilation });
        }
        let f_eff = dilation.checked_mul(f - 1).and_then(|v| v.checked_add(1));
        let f_eff = size(axis, "dilated kernel size", f_eff.unwrap_or(usize::MAX))?;
        let (n64, s64, fe64) = (n as i64, stride as i64, f_eff as i64);
        // The uncropped output, output padding included: (n − 1)·S + d·(F − 1) + 1 + op.
        let full =
            ck(axis, (n64 - 1).checked_mul(s64).and_then(|v| v.checked_add(fe64 + op as i64)))?;
        let split = |total: i64, extra_at_end: bool| {
            let t = total.max(0);
            let begin = if extra_at_end { t / 2 } else { t - t / 2 };
            (begin, t - begin)
        };
        let (pad_begin, pad_end, out, surplus, source) = match (requested, a.auto_pad) {
            (Some(req), auto) => {
                let total = ck(axis, full.checked_sub(req as i64))?;
                let extra_at_end = auto == AutoPad::SameUpper;
                let (b, e) = split(total, extra_at_end);
                let pads_ignored = pads.is_some();
                let src =
                    PadSource::OutputShape { requested: req, total, extra_at_end, pads_ignored };
                (b, e, req as i64, (-total).max(0), src)
            }
            (None, AutoPad::SameUpper | AutoPad::SameLower) => {
                let upper = a.auto_pad == AutoPad::SameUpper;
                let total = ck(axis, n64.checked_mul(s64).and_then(|ns| full.checked_sub(ns)))?;
                let (b, e) = split(total, upper);
                (b, e, full - b - e, 0, PadSource::Same { upper, total })
            }
            (None, AutoPad::Valid) => (0, 0, full, 0, PadSource::Valid),
            (None, AutoPad::NotSet) => {
                let (b, e) = pads.map_or((0, 0), |(b, e)| (b as i64, e as i64));
                (b, e, full - b - e, 0, PadSource::Explicit)
            }
        };
        let g = TransposeAxis {
            n,
            f,
            stride,
            dilation,
            pad_begin: 0,
            pad_end: 0,
            output_padding: op,
            out: 0,
            surplus: 0,
            source,
            opset: a.opset,
        };
        if out <= 0 {
            return Err(TransposeError::Empty {
                axis,
                formula: g.expression_with(pad_begin, pad_end, out),
            });
        }
        let g = TransposeAxis {
            pad_begin: size(axis, "pads", pad_begin as usize)?,
            pad_end: size(axis, "pads", pad_end as usize)?,
            out: size(axis, "output size", out as usize)?,
            surplus: surplus as usize,
            ..g
        };
        // onnxruntime's check: a Conv (F, S, d) with these pads over the output must see the `n`
        // inputs again. Here `out + P_b + P_e − F_eff = (n − 1)·S + op + surplus`, so this
        // holds exactly when `op + surplus < S`.
        let back = ((n - 1) * stride + op + g.surplus) / stride + 1;
        if back != n {
            if op >= stride {
                let out = g.out;
                return Err(TransposeError::OutputPaddingStride {
                    axis,
                    value: op,
                    stride,
                    out,
                    back,
                    n,
                });
            }
            let most = n * stride + f_eff - 1;
            let e =
                TransposeError::OutputShapeTooLarge { axis, value: g.out, most, n, stride, f_eff };
            return Err(e);
        }
        Ok(g)
    }

    /// The dilated kernel extent `d·(F − 1) + 1`.
    pub fn f_eff(&self) -> usize {
        self.dilation * (self.f - 1) + 1
    }

    /// The uncropped output, output padding included: `(n − 1)·S + d·(F − 1) + 1 + op`.
    pub fn full(&self) -> usize {
        (self.n - 1) * self.stride + self.f_eff() + self.output_padding
    }

    /// The output index input `i` lands on through tap `t` (negative or `≥ out` when cropped).
    pub fn output_index(&self, i: usize, t: usize) -> i64 {
        (i * self.stride + t * self.dilation) as i64 - self.pad_begin as i64
    }

    /// The inputs `lo..hi` whose tap `t` lands inside the output.
    pub fn inputs_for_tap(&self, t: usize) -> (usize, usize) {
        let off = (t * self.dilation) as i64 - self.pad_begin as i64;
        let s = self.stride as i64;
        // i·S + off ≥ 0  ⇔  i ≥ ceil(−off / S)
        let lo = if off >= 0 { 0 } else { ((-off + s - 1) / s) as usize }.min(self.n);
        // i·S + off < out  ⇔  i < ceil((out − off) / S)
        let room = self.out as i64 - off;
        let hi = if room <= 0 { 0 } else { ((room + s - 1) / s) as usize }.min(self.n);
        (lo, hi.max(lo))
    }

    /// Every `(input i, tap t)` that lands on output `o`, taps ascending.
    pub fn taps_at(&self, o: usize) -> Vec<(usize, usize)> {
        let (s, d) = (self.stride, self.dilation);
        let at = o + self.pad_begin; // i·S + t·d = at
        let last_input = (self.n - 1) * s;
        // t·d ≤ at, and at − t·d ≤ (n − 1)·S.
        let t_lo = at.saturating_sub(last_input).div_ceil(d);
        let t_hi = (at / d + 1).min(self.f);
        (t_lo..t_hi)
            .filter(|t| (at - t * d).is_multiple_of(s))
            .map(|t| ((at - t * d) / s, t))
            .collect()
    }

    /// `(n − 1)·S − P_b − P_e + d·(F − 1) + op + 1` with the numbers and value `v`.
    fn expression_with(&self, pb: i64, pe: i64, v: i64) -> String {
        let (n, s, d, f, op) = (self.n, self.stride, self.dilation, self.f, self.output_padding);
        let minus = |v: i64| if v < 0 { format!("−{}", v.unsigned_abs()) } else { v.to_string() };
        format!("({n} − 1)·{s} − {pb} − {pe} + {d}·({f} − 1) + {op} + 1 = {}", minus(v))
    }

    /// The output size with its numbers: `(27 − 1)·2 − 1 − 1 + 1·(3 − 1) + 1 + 1 = 54`. An
    /// `output_shape` past the full output adds `, + 1 past the full output = 8`.
    pub fn formula(&self) -> String {
        let (pb, pe) = (self.pad_begin as i64, self.pad_end as i64);
        let head = self.expression_with(pb, pe, (self.out - self.surplus) as i64);
        if self.surplus == 0 {
            head
        } else {
            format!("{head}, + {} past the full output = {}", self.surplus, self.out)
        }
    }

    /// `total_padding = S·(n − 1) + op + d·(F − 1) + 1 − target = value`.
    fn total_formula(&self, target: &str, total: i64) -> String {
        let (n, s, d, f, op) = (self.n, self.stride, self.dilation, self.f, self.output_padding);
        let v = if total < 0 { format!("−{}", total.unsigned_abs()) } else { total.to_string() };
        format!("total_padding = {s}·({n} − 1) + {op} + {d}·({f} − 1) + 1 − {target} = {v}")
    }

    /// Where the pads came from, with the numbers: `pads 1 + 1 (explicit)`, or
    /// `total_padding = 2·(3 − 1) + 0 + 1·(3 − 1) + 1 − 3·2 = 1 → pads 0 + 1 (SAME_UPPER: the
    /// extra at the end)`.
    pub fn pads_formula(&self) -> String {
        let pads = format!("pads {} + {}", self.pad_begin, self.pad_end);
        let side = |at_end: bool| if at_end { "the end" } else { "the start" };
        match self.source {
            PadSource::Explicit => format!("{pads} (explicit)"),
            PadSource::Valid => format!("{pads} (VALID)"),
            PadSource::Same { upper, total } => {
                let name = if upper { "SAME_UPPER" } else { "SAME_LOWER" };
                let head = self.total_formula(&format!("{}·{}", self.n, self.stride), total);
                if total < 0 {
                    let ns = self.n * self.stride;
                    format!(
                        "{head} < 0 → {pads} ({name}: clamped at 0, so the output is {}, not {ns})",
                        self.out
                    )
                } else if total % 2 == 1 {
                    format!("{head} → {pads} ({name}: the extra at {})", side(upper))
                } else {
                    format!("{head} → {pads} ({name})")
                }
            }
            PadSource::OutputShape { requested, total, extra_at_end, .. } => {
                let head = self.total_formula(&requested.to_string(), total);
                if total < 0 {
                    let cells = if self.surplus == 1 { "cell lies" } else { "cells lie" };
                    format!(
                        "{head} < 0 → {pads}; the last {} output {cells} past the full output and hold only the bias",
                        self.surplus
                    )
                } else if total % 2 == 1 {
                    let split = if extra_at_end { "SAME_UPPER" } else { "not SAME_UPPER" };
                    format!(
                        "{head} → {pads} (output_shape {requested}, {split}: the extra at {})",
                        side(extra_at_end)
                    )
                } else {
                    format!("{head} → {pads} (output_shape {requested})")
                }
            }
        }
    }

    /// What the integrator or the user should know about this fit, if anything.
    pub fn warning(&self, axis: &str) -> Option<String> {
        let mut notes = Vec::new();
        let odd_split = match self.source {
            PadSource::Same { total, .. } | PadSource::OutputShape { total, .. } => {
                total > 0 && total % 2 == 1
            }
            _ => false,
        };
        if self.opset < 11 && odd_split {
            notes.push(format!(
                "{axis}: opset {}'s text splits an odd total_padding the other way round; onnxruntime and onnx.reference use the opset-11 rule for every opset, and so does this",
                self.opset
            ));
        }
        if let PadSource::OutputShape { pads_ignored: true, .. } = self.source {
            notes.push(format!("{axis}: pads are ignored: output_shape is given"));
        }
        if self.surplus > 0 {
            notes.push(format!(
                "{axis}: output_shape {} is past the full output {}: the last {} hold only the bias",
                self.out,
                self.full(),
                self.surplus
            ));
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    }
}

const _: () = assert!(MAX_DIM as u128 * MAX_DIM as u128 * 4 < i64::MAX as u128);
