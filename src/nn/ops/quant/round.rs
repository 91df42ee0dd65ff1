//! The scalar arithmetic every quantised op shares, written the way onnxruntime computes it.
//!
//! * Quantise: `q = saturate(round(x / scale) + zp)`, the division in f32, `round` half to even.
//! * Dequantise: `x = (q − zp) · scale`, the subtraction in integers, then one f32 multiply.
//! * Requantise (QLinearConv, QLinearMatMul): `y = saturate(round(f32(acc) · m) + zp)` with the
//!   multiplier `m = (x_scale · w_scale) / y_scale` formed in f32, left to right. The product is
//!   an f32 product, as in onnxruntime's MLAS; onnx.reference multiplies in f64 instead and so
//!   disagrees near ties (acc = 3, m = f32(1/6): f32 gives exactly 0.5 → 0, f64 gives
//!   0.50000001 → 1).
//!
//! Non-finite values follow onnxruntime's vector code: NaN becomes the type's minimum, ±inf
//! saturate to the ends. onnx.reference casts them through int32 and gets platform garbage.

use crate::nn::ops::quant::types::IntType;

/// `saturate(round_half_even(v) + zp)`; NaN gives the type's minimum.
///
/// ```
/// use convscope::nn::ops::quant::{round_saturate, IntType};
/// assert_eq!(round_saturate(2.5, 0, IntType::I8), 2); // a tie goes to the even neighbour
/// assert_eq!(round_saturate(3.5, 0, IntType::I8), 4);
/// assert_eq!(round_saturate(-2.5, 0, IntType::I8), -2);
/// assert_eq!(round_saturate(1e30, 0, IntType::U8), 255);
/// assert_eq!(round_saturate(f32::NAN, 7, IntType::U8), 0);
/// ```
pub fn round_saturate(v: f32, zp: i64, t: IntType) -> i64 {
    if v.is_nan() {
        return t.range().0;
    }
    // `as` saturates at the i64 ends (±inf included); zp is an int32 value at most, so the
    // saturating add and the clamp give the exact saturated result.
    let r = v.round_ties_even() as i64;
    t.saturate(r.saturating_add(zp))
}

/// QuantizeLinear of one value: `saturate(round(x / scale) + zp)`.
///
/// ```
/// use convscope::nn::ops::quant::{quantize_value, IntType};
/// // 0.7391 / 0.0118 = 62.64 → 63, + 128 = 191.
/// assert_eq!(quantize_value(0.7391, 0.0118, 128, IntType::U8), 191);
/// ```
pub fn quantize_value(x: f32, scale: f32, zp: i64, t: IntType) -> i64 {
    round_saturate(x / scale, zp, t)
}

/// DequantizeLinear of one value: `(q − zp) · scale`, the difference rounded once to f32.
///
/// ```
/// use convscope::nn::ops::quant::dequantize_value;
/// assert_eq!(dequantize_value(191, 128, 0.5), 31.5);
/// ```
pub fn dequantize_value(q: i64, zp: i64, scale: f32) -> f32 {
    // Both are values of an integer type of at most 32 bits: the difference cannot overflow.
    (q - zp) as f32 * scale
}

/// The requantisation multiplier `(x_scale · w_scale) / y_scale`, in f32, in that order.
pub fn multiplier(x_scale: f32, w_scale: f32, y_scale: f32) -> f32 {
    x_scale * w_scale / y_scale
}

/// Requantise an exact accumulator: `saturate(round(f32(acc) · m) + zp)`.
///
/// ```
/// use convscope::nn::ops::quant::{multiplier, requantize, IntType};
/// let m = multiplier(1.0, 1.0, 6.0); // f32(1/6) = 0.16666667
/// // 3 · 0.16666667 is 0.50000001 exactly, but the f32 product is 0.5, a tie: 0.
/// assert_eq!(requantize(3, m, 0, IntType::U8), 0);
/// assert_eq!(requantize(9, m, 0, IntType::U8), 2); // 1.5 → 2
/// ```
pub fn requantize(acc: i64, m: f32, zp: i64, t: IntType) -> i64 {
    round_saturate(acc as f32 * m, zp, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_even_both_ways() {
        // 0.5 → 0, 1.5 → 2, 2.5 → 2, 3.5 → 4 and their negatives.
        let got: Vec<i64> = [0.5f32, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5]
            .iter()
            .map(|&v| round_saturate(v, 0, IntType::I8))
            .collect();
        assert_eq!(got, [0, 2, 2, 4, 0, -2, -2, -4]);
    }

    #[test]
    fn saturates_at_both_ends_after_the_zero_point() {
        // round(100) + 200 = 300 → 255; round(−100) + 20 = −80 → 0.
        assert_eq!(round_saturate(100.0, 200, IntType::U8), 255);
        assert_eq!(round_saturate(-100.0, 20, IntType::U8), 0);
        // int8: 200 − 3 = 197 → 127; −200 − 3 → −128.
        assert_eq!(round_saturate(200.0, -3, IntType::I8), 127);
        assert_eq!(round_saturate(-200.0, -3, IntType::I8), -128);
        assert_eq!(round_saturate(f32::INFINITY, 0, IntType::I16), 32_767);
        assert_eq!(round_saturate(f32::NEG_INFINITY, 0, IntType::U16), 0);
        assert_eq!(round_saturate(f32::NAN, 0, IntType::I8), -128);
    }

    #[test]
    fn quantise_divides_in_f32() {
        // Negative scales are legal ONNX: 0.75 / −0.5 = −1.5 → −2, + 10 = 8.
        assert_eq!(quantize_value(0.75, -0.5, 10, IntType::U8), 8);
        // A zero scale: 1/0 = inf → 255, −1/0 → 0, 0/0 = NaN → 0 (onnxruntime's results).
        assert_eq!(quantize_value(1.0, 0.0, 10, IntType::U8), 255);
        assert_eq!(quantize_value(-1.0, 0.0, 10, IntType::U8), 0);
        assert_eq!(quantize_value(0.0, 0.0, 10, IntType::U8), 0);
    }

    #[test]
    fn multiplier_is_left_to_right() {
        // (0.0067069773 · 0.040026467) / 0.14988928 rounds differently from
        // 0.0067069773 · (0.040026467 / 0.14988928); onnxruntime gives 45 for acc 24846.
        let m = multiplier(0.006_706_977_3, 0.040_026_467, 0.149_889_28);
        assert_eq!(requantize(24_846, m, 0, IntType::U8), 45);
        let other = 0.006_706_977_3f32 * (0.040_026_467f32 / 0.149_889_28f32);
        assert_eq!(requantize(24_846, other, 0, IntType::U8), 44);
    }

    #[test]
    fn dequantise_subtracts_in_integers() {
        assert_eq!(dequantize_value(0, 255, 0.5), -127.5);
        assert_eq!(dequantize_value(-128, 127, 1.0), -255.0);
        // int32 values beyond 2^24 round once, to nearest even: 2^24 + 1 → 2^24.
        assert_eq!(dequantize_value((1 << 24) + 1, 0, 1.0), 16_777_216.0);
    }
}
