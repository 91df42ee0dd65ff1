//! One-line explanations of the quantisation arithmetic, for the explorer's explain panel.
//!
//! Every number shown is the one the kernel used; the quotient before rounding is printed with
//! as many decimals as it takes for the rounding shown to be visibly right (`2.5 → 2` only for
//! a true tie, `2.4999998 → 2` otherwise).

use ndarray::ArrayViewD;

use crate::nn::ops::quant::conv_geom::ConvAttrs;
use crate::nn::ops::quant::error::{QuantError, shape_err};
use crate::nn::ops::quant::inputs::{QInput, QOutput};
use crate::nn::ops::quant::qlinear_conv::qconv_operands;
use crate::nn::ops::quant::round::round_saturate;
use crate::nn::ops::quant::types::IntType;

/// A float with four significant digits, trailing zeros dropped: `0.7391`, `0.0118`, `62.6`,
/// `1.5e-7`.
pub fn fmt_num(v: f32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "−inf".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs() as f64;
    let s = if (1e-4..1e6).contains(&a) {
        let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
    } else {
        format!("{v:.3e}")
    };
    minus(s)
}

/// A leading `-` as the typographic minus `−`.
fn minus(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) => format!("−{rest}"),
        None => s,
    }
}

/// `62.6 → 63`: the quotient and its rounding, with enough decimals to show why.
fn fmt_rounding(q: f32) -> String {
    // Beyond every integer type: no rounding worth showing, only saturation.
    if !q.is_finite() || q.abs() >= 1e9 {
        return fmt_num(q);
    }
    let r = q.round_ties_even();
    if q == r {
        return fmt_int(r as i64);
    }
    let tie = (q - q.trunc()).abs() == 0.5;
    let mut shown = String::new();
    for d in 1..=9 {
        shown = format!("{q:.d$}");
        let back: f64 = shown.parse().unwrap_or(f64::NAN);
        let back_tie = (back - back.trunc()).abs() == 0.5;
        if back.round_ties_even() == r as f64 && back_tie == tie {
            break;
        }
    }
    let note = if tie { " (tie: to even)" } else { "" };
    format!("{} → {}{note}", minus(shown), fmt_int(r as i64))
}

fn fmt_int(v: i64) -> String {
    if v < 0 { format!("−{}", v.unsigned_abs()) } else { v.to_string() }
}

/// ` + 128` or ` − 3`.
fn plus(v: i64) -> String {
    if v < 0 { format!(" − {}", v.unsigned_abs()) } else { format!(" + {v}") }
}

/// `saturate(62.6 → 63 + 128) = 191`, or `… = 255 (saturated from 378)`.
fn saturate_tail(q: f32, zp: i64, t: IntType) -> String {
    let y = round_saturate(q, zp, t);
    if q.is_nan() {
        return format!("{y} (NaN becomes the {t} minimum)");
    }
    let head = format!("saturate({}{})", fmt_rounding(q), plus(zp));
    let unclipped = (q.round_ties_even() as f64) + zp as f64;
    if unclipped == y as f64 {
        format!("{head} = {}", fmt_int(y))
    } else {
        format!("{head} = {} (saturated to {t})", fmt_int(y))
    }
}

/// QuantizeLinear of one value:
/// `q = saturate(round(0.7391 / 0.0118) + 128) = saturate(62.64 → 63 + 128) = 191`.
///
/// ```
/// use convscope::nn::ops::quant::{describe_quantize, IntType};
/// assert_eq!(
///     describe_quantize(0.7391, 0.0118, 128, IntType::U8),
///     "q = saturate(round(0.7391 / 0.0118) + 128) = saturate(62.6 → 63 + 128) = 191"
/// );
/// assert_eq!(
///     describe_quantize(2.5, 1.0, 0, IntType::I8),
///     "q = saturate(round(2.5 / 1) + 0) = saturate(2.5 → 2 (tie: to even) + 0) = 2"
/// );
/// ```
pub fn describe_quantize(x: f32, scale: f32, zp: i64, t: IntType) -> String {
    let q = x / scale;
    format!(
        "q = saturate(round({} / {}){}) = {}",
        fmt_num(x),
        fmt_num(scale),
        plus(zp),
        saturate_tail(q, zp, t)
    )
}

/// DequantizeLinear of one value: `x = (191 − 128) · 0.0118 = 63 · 0.0118 = 0.7434`.
///
/// ```
/// use convscope::nn::ops::quant::{describe_dequantize, IntType};
/// assert_eq!(
///     describe_dequantize(191, 0.0118, 128, IntType::U8),
///     "x = (191 − 128) · 0.0118 = 63 · 0.0118 = 0.7434"
/// );
/// ```
pub fn describe_dequantize(q: i64, scale: f32, zp: i64, t: IntType) -> String {
    if !t.contains(q) || !t.contains(zp) {
        return format!("{q} or zero point {zp} is not a {t} value");
    }
    let d = q - zp;
    let zp_s = if zp < 0 { format!("({})", fmt_int(zp)) } else { zp.to_string() };
    let y = crate::nn::ops::quant::round::dequantize_value(q, zp, scale);
    format!(
        "x = ({} − {zp_s}) · {} = {} · {} = {}",
        fmt_int(q),
        fmt_num(scale),
        fmt_int(d),
        fmt_num(scale),
        fmt_num(y)
    )
}

/// The requantisation of one accumulator:
/// `y = saturate(round((1234 − 56) · 0.02 · 0.0109 / 0.1532) + 5) = saturate(round(1178 ·
/// 0.001423) + 5) = saturate(1.676 → 2 + 5) = 7`.
///
/// `sum` is `Σ (x − x_zp)(w − w_zp)`, `bias` the int32 bias (0 when absent).
pub fn describe_requantize(
    sum: i64,
    bias: i64,
    (x_scale, w_scale, y_scale): (f32, f32, f32),
    zp: i64,
    t: IntType,
) -> String {
    let m = crate::nn::ops::quant::round::multiplier(x_scale, w_scale, y_scale);
    let acc = sum.saturating_add(bias);
    let q = acc as f32 * m;
    let acc_s = if bias == 0 { fmt_int(sum) } else { format!("{}{}", fmt_int(sum), plus(bias)) };
    format!(
        "y = saturate(round(({acc_s}) · {} · {} / {}){}) = saturate(round({} · {}){}) = {}",
        fmt_num(x_scale),
        fmt_num(w_scale),
        fmt_num(y_scale),
        plus(zp),
        fmt_int(acc),
        fmt_num(m),
        plus(zp),
        saturate_tail(q, zp, t)
    )
}

/// One QLinearConv output neuron, computed on its own.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvNeuron {
    /// `[n, m, r, c]`.
    pub index: [usize; 4],
    /// `Σ (x − x_zp)(w − w_zp[m])` over the taps that read the input.
    pub sum: i64,
    /// Taps in the filter, and how many of them read the input rather than padding.
    pub taps: usize,
    pub taps_in_input: usize,
    pub bias: i64,
    pub x_scale: f32,
    pub w_scale: f32,
    pub y_scale: f32,
    pub y_zero_point: i64,
    pub ty: IntType,
    /// The output value, as [`crate::nn::ops::quant::qlinear_conv`] computes it.
    pub y: i64,
}

impl ConvNeuron {
    /// `y[0, 3, 5, 7]: Σ over 576 taps (540 in the input) = 1234; y = saturate(…) = 7`.
    pub fn describe(&self) -> String {
        let [n, m, r, c] = self.index;
        let scales = (self.x_scale, self.w_scale, self.y_scale);
        format!(
            "y[{n}, {m}, {r}, {c}]: Σ over {} taps ({} in the input) = {}; {}",
            self.taps,
            self.taps_in_input,
            fmt_int(self.sum),
            describe_requantize(self.sum, self.bias, scales, self.y_zero_point, self.ty)
        )
    }
}

/// The neuron `index = [n, m, r, c]` of a QLinearConv, with every step of its arithmetic.
///
/// # Errors
/// As [`crate::nn::ops::quant::qlinear_conv`]; an index outside the output.
pub fn qlinear_conv_neuron(
    x: QInput,
    w: QInput,
    y: QOutput,
    bias: Option<ArrayViewD<i64>>,
    attrs: &ConvAttrs,
    index: [usize; 4],
) -> Result<ConvNeuron, QuantError> {
    const OP: &str = "QLinearConv";
    let (o, rq) = qconv_operands(&x, &w, &y, bias.as_ref(), attrs)?;
    let g = o.geom;
    let [n, m, r, c] = index;
    if index.iter().zip(g.out_dims()).any(|(&i, d)| i >= d) {
        return Err(shape_err(OP, format!("neuron {index:?} is outside {:?}", g.out_dims())));
    }
    let (grp, cg) = (m / g.mg(), g.cg());
    let (mut sum, mut inside) = (0i64, 0usize);
    for ci in 0..cg {
        for i in 0..g.rows.k {
            for j in 0..g.cols.k {
                let xr = (r * g.rows.stride + i * g.rows.dilation) as i64 - g.rows.pad_begin as i64;
                let xc = (c * g.cols.stride + j * g.cols.dilation) as i64 - g.cols.pad_begin as i64;
                if xr < 0 || xc < 0 || xr >= g.rows.n as i64 || xc >= g.cols.n as i64 {
                    continue;
                }
                inside += 1;
                let ch = grp * cg + ci;
                let xv =
                    o.x[((n * g.channels + ch) * g.rows.n + xr as usize) * g.cols.n + xc as usize];
                let wv = o.w[((m * cg + ci) * g.rows.k + i) * g.cols.k + j];
                sum += (xv - o.x_zp) * (wv - o.w_zp[m]);
            }
        }
    }
    let acc = sum + rq.bias[m];
    if !IntType::I32.contains(acc) {
        return Err(QuantError::Int32Overflow { op: OP, index: index.to_vec(), value: acc });
    }
    let first = |v: &ArrayViewD<f32>, i: usize| {
        v.iter().nth(if v.len() == 1 { 0 } else { i }).copied().unwrap_or(1.0)
    };
    Ok(ConvNeuron {
        index,
        sum,
        taps: g.taps(),
        taps_in_input: inside,
        bias: rq.bias[m],
        x_scale: first(&x.scale, 0),
        w_scale: first(&w.scale, m),
        y_scale: first(&y.scale, 0),
        y_zero_point: rq.y_zp,
        ty: rq.ty,
        y: crate::nn::ops::quant::round::requantize(acc, rq.multipliers[m], rq.y_zp, rq.ty),
    })
}

#[cfg(test)]
#[path = "describe_tests.rs"]
mod tests;
