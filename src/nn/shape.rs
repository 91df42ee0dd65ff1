//! Shape arithmetic along one axis: `out = (n − F + P_before + P_after)/S + 1`, with the numbers
//! written out the way the cs231n notes do, and padding specs resolved to pixels.

use super::kernels::Pads;
use super::layer::Padding;

/// How one spatial axis (rows or cols) of a conv or pool fits its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DimFit {
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

impl DimFit {
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

    /// The padding term as written in a formula: `2·P` when symmetric, else `P1 + P2`.
    fn pad_term(&self) -> String {
        if self.pad_before == self.pad_after {
            format!("2·{}", self.pad_before)
        } else {
            format!("{} + {}", self.pad_before, self.pad_after)
        }
    }

    /// The formula with its numbers: `(227 − 11 + 2·0)/4 + 1 = 55`; a fit that is not whole reads
    /// `(224 − 11 + 2·0)/4 + 1 = 54.25 → 54`.
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

/// Fit one axis. Errors are messages without the layer name (the caller adds it).
///
/// ```
/// use convscope::nn::shape::fit;
/// // AlexNet conv1: 227 input rows, F = 11, dilation 1, S = 4, no padding.
/// let rows = fit(227, 11, 1, 4, (0, 0), false).unwrap();
/// assert_eq!(rows.out, 55);
/// assert_eq!(rows.formula(), "(227 − 11 + 2·0)/4 + 1 = 55");
/// ```
///
/// # Errors
/// F = 0, S = 0, dilation 0, or a kernel larger than the padded input.
pub fn fit(
    n: usize,
    f: usize,
    dilation: usize,
    stride: usize,
    pads: (usize, usize),
    ceil_mode: bool,
) -> Result<DimFit, String> {
    if f == 0 {
        return Err("size 0 is not allowed (F ≥ 1)".into());
    }
    if stride == 0 {
        return Err("stride 0 is not allowed (S ≥ 1)".into());
    }
    if dilation == 0 {
        return Err("dilation 0 is not allowed (≥ 1)".into());
    }
    let f_eff = dilation * (f - 1) + 1;
    let padded = n + pads.0 + pads.1;
    if f_eff > padded {
        let what = if dilation > 1 { format!("dilated size {f_eff}") } else { format!("size {f}") };
        return Err(format!(
            "{what} is larger than the padded input {padded} ({n} + {} + {}): output would be 0",
            pads.0, pads.1
        ));
    }
    let span = padded - f_eff;
    let mut out = if ceil_mode { span.div_ceil(stride) + 1 } else { span / stride + 1 };
    // ONNX/PyTorch: with ceil_mode, a last window that starts inside the end padding is dropped.
    if ceil_mode && out > 1 && (out - 1) * stride >= n + pads.0 {
        out -= 1;
    }
    Ok(DimFit { n, f, dilation, stride, pad_before: pads.0, pad_after: pads.1, ceil_mode, out })
}

/// Resolve a padding spec to pixels for an `n_h × n_w` input and effective kernel `fh × fw`.
pub fn resolve(pad: &Padding, n: (usize, usize), f_eff: (usize, usize), s: (usize, usize)) -> Pads {
    match *pad {
        Padding::Explicit { top, left, bottom, right } => Pads { top, left, bottom, right },
        Padding::Valid => Pads::default(),
        Padding::SameUpper | Padding::SameLower => {
            let total = |n: usize, f: usize, s: usize| {
                let out = n.div_ceil(s.max(1));
                ((out.max(1) - 1) * s + f).saturating_sub(n)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alexnet_conv1_is_55() {
        let d = fit(227, 11, 1, 4, (0, 0), false).unwrap();
        assert_eq!(d.out, 55);
        assert_eq!(d.formula(), "(227 − 11 + 2·0)/4 + 1 = 55");
        assert!(d.warning("rows").is_none());
    }

    #[test]
    fn non_integer_fit_floors_and_says_what_is_lost() {
        // (224 − 11)/4 + 1 = 54.25: 213 = 4·53 + 1, so the last input row is never covered.
        let d = fit(224, 11, 1, 4, (0, 0), false).unwrap();
        assert_eq!(d.out, 54);
        assert_eq!(d.formula(), "(224 − 11 + 2·0)/4 + 1 = 54.25 → 54 (floor)");
        assert_eq!(d.uncovered(), 1);
        let w = d.warning("rows").unwrap();
        assert!(w.contains("54.25") && w.contains("last 1 input row never"), "{w}");
    }

    #[test]
    fn table_of_fits() {
        // (n, f, dil, s, pads, ceil) → out
        let rows = [
            (5, 3, 1, 2, (1, 1), false, 3),     // cs231n demo
            (11, 5, 1, 2, (0, 0), false, 4),    // the seed's numpy example
            (32, 3, 1, 1, (1, 1), false, 32),   // "same" 3×3
            (224, 3, 1, 2, (0, 1), false, 112), // TF SAME stride 2, extra pad at the end
            (13, 3, 2, 1, (0, 0), false, 9),    // dilation 2: F_eff 5
            (55, 3, 1, 2, (0, 0), false, 27),   // AlexNet pool
            (6, 2, 1, 2, (0, 0), true, 3),
            (7, 2, 1, 2, (0, 0), true, 4), // ceil: (7−2)/2+1 = 3.5 → 4
            (5, 2, 1, 2, (0, 1), true, 3), // last window would start in padding? (2·2=4 < 5+0) keeps 3
        ];
        for (n, f, dil, s, p, ceil, out) in rows {
            assert_eq!(fit(n, f, dil, s, p, ceil).unwrap().out, out, "{n} {f} {dil} {s} {p:?}");
        }
    }

    #[test]
    fn ceil_mode_drops_a_window_that_starts_in_padding() {
        // n=4, F=2, S=2, pad (0,1): span 3 → ceil 2+1 = 3, but window 3 starts at 4 ≥ n → 2.
        assert_eq!(fit(4, 2, 1, 2, (0, 1), true).unwrap().out, 2);
    }

    #[test]
    fn invalid_parameters_are_errors() {
        assert!(fit(10, 0, 1, 1, (0, 0), false).unwrap_err().contains("size 0"));
        assert!(fit(10, 3, 1, 0, (0, 0), false).unwrap_err().contains("stride 0"));
        let e = fit(5, 7, 1, 1, (0, 0), false).unwrap_err();
        assert!(e.contains("larger than the padded input 5"), "{e}");
        assert!(fit(5, 3, 3, 1, (0, 0), false).unwrap_err().contains("dilated size 7"));
    }

    #[test]
    fn same_padding_puts_the_odd_pixel_at_the_end_or_start() {
        let up = resolve(&Padding::SameUpper, (224, 224), (3, 3), (2, 2));
        assert_eq!(up, Pads { top: 0, left: 0, bottom: 1, right: 1 });
        let lo = resolve(&Padding::SameLower, (224, 224), (3, 3), (2, 2));
        assert_eq!(lo, Pads { top: 1, left: 1, bottom: 0, right: 0 });
        let s1 = resolve(&Padding::SameUpper, (7, 7), (5, 5), (1, 1));
        assert_eq!(s1, Pads { top: 2, left: 2, bottom: 2, right: 2 });
    }
}
