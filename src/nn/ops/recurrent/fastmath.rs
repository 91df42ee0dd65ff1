//! σ and tanh over slices, written so the compiler vectorises them (no libm calls, no
//! branches): the step loop's activations were a quarter of an LSTM's time through libm's
//! `expf` / `tanhf`.
//!
//! `exp` is Cephes' `expf` (range reduction by ln 2 split in two, a degree-5 polynomial,
//! scaling by 2ⁿ through the exponent bits); `tanh` is Cephes' `tanhf` (an odd polynomial below
//! |x| = 0.625, `1 − 2/(e^{2|x|} + 1)` above). Both stay within a few units in the last place of
//! the exact function: the tests check ≤ 4·10⁻⁷ relative (σ below −87, which is under 10⁻³⁸,
//! to an absolute 10⁻³⁸). NaN stays NaN.

/// `1.5·2²³`: adding it rounds an f32 below 2²² to an integer, held in the low mantissa bits.
const ROUND: f32 = 12_582_912.0;

/// eˣ for x in [−87, 88] (beyond, the nearer bound's value: only σ and tanh use this, where
/// such arguments saturate).
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0); // NaN stays NaN
    // n = round(x / ln 2), r = x − n·ln 2 with ln 2 = C1 + C2 (C1 exact in a few bits).
    let t = x * std::f32::consts::LOG2_E + ROUND;
    let n = t - ROUND;
    let k = t.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let z = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 5e-1;
    let y = p * z + r + 1.0;
    // 2ⁿ: n is in [−126, 127], a normal exponent.
    y * f32::from_bits(((k + 127) as u32) << 23)
}

/// `1/(1 + e^−x)`.
#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// tanh x.
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let small =
        ((((-5.704_988_7e-3 * z + 2.063_909e-2) * z - 5.373_971_6e-2) * z + 1.333_144_2e-1) * z
            - 3.333_328e-1)
            * z
            * x
            + x;
    let big = (1.0 - 2.0 / (exp(2.0 * a) + 1.0)).copysign(x);
    if a < 0.625 { small } else { big }
}

/// σ of every value, in place.
pub(crate) fn sigmoid_slice(xs: &mut [f32]) {
    xs.iter_mut().for_each(|x| *x = sigmoid(*x));
}

/// tanh of every value, in place.
pub(crate) fn tanh_slice(xs: &mut [f32]) {
    xs.iter_mut().for_each(|x| *x = tanh(*x));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every 97th f32 in [−120, 120] and a dense sweep near 0, against f64.
    fn points() -> impl Iterator<Item = f32> {
        let wide = (0..u32::MAX / 97).map(|i| f32::from_bits(i * 97)).filter(|v| v.abs() <= 120.0);
        let near = (-20_000..=20_000).map(|i| i as f32 * 1e-4);
        wide.flat_map(|v| [v, -v]).chain(near)
    }

    #[test]
    fn sigmoid_and_tanh_are_within_a_few_ulp() {
        let (mut worst_s, mut worst_t) = (0.0f64, 0.0f64);
        for x in points() {
            let (mut s, mut t) = ([x], [x]);
            sigmoid_slice(&mut s);
            tanh_slice(&mut t);
            let xd = x as f64;
            let (ws, wt) = (1.0 / (1.0 + (-xd).exp()), xd.tanh());
            let es = if xd < -87.0 {
                if (s[0] as f64 - ws).abs() <= 1e-38 { 0.0 } else { 1.0 }
            } else {
                (s[0] as f64 - ws).abs() / ws
            };
            let et =
                if wt == 0.0 { (t[0] as f64).abs() } else { (t[0] as f64 - wt).abs() / wt.abs() };
            worst_s = worst_s.max(es);
            worst_t = worst_t.max(et);
        }
        assert!(worst_s <= 4e-7, "σ: {worst_s:e}");
        assert!(worst_t <= 4e-7, "tanh: {worst_t:e}");
    }

    #[test]
    fn edges() {
        let mut v = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 1e-30];
        let mut t = v;
        sigmoid_slice(&mut v);
        tanh_slice(&mut t);
        assert!(v[0].is_nan() && t[0].is_nan());
        assert_eq!((v[1], v[2], v[3]), (1.0, v[2], 0.5));
        assert!(v[2] < 1e-37);
        assert_eq!((t[1], t[2], t[3], t[5]), (1.0, -1.0, 0.0, 1e-30));
        assert_eq!(t[4], 0.0);
    }
}
