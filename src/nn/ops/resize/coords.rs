//! One axis of Resize: where output index `y` lands in the input (`x_original`) and which input
//! samples it mixes, with which weights. The kernel's tables and the explain panel both read
//! these functions, so what is shown is what is computed.
//!
//! With `s` the axis scale, `in`/`out` its lengths and `(start, end)` its roi:
//!
//! | mode                 | x_original                                                   |
//! |----------------------|--------------------------------------------------------------|
//! | half_pixel           | `(y + 0.5)/s − 0.5`                                          |
//! | half_pixel_symmetric | `in/2·(1 − out/(in·s)) + (y + 0.5)/s − 0.5`                  |
//! | pytorch_half_pixel   | `(y + 0.5)/s − 0.5`, or 0 when `out = 1`                     |
//! | align_corners        | `y·(in − 1)/(out − 1)`, or 0 when `out = 1`                  |
//! | asymmetric           | `y/s`                                                        |
//! | tf_half_pixel_for_nn | `(y + 0.5)/s`                                                |
//! | tf_crop_and_resize   | `start·(in − 1) + y·(end − start)·(in − 1)/(out − 1)`        |
//!
//! Neighbours follow `onnx.reference`: with `r = x − floor(x)` (taken as 1 when `x` is whole, so
//! the pixel left of `x` is preferred), linear weighs `[1 − r, r]`, cubic uses Keys' kernel on
//! four samples, and antialiasing (downscaling only) stretches the filter by `1/s` and
//! normalises it. Indices outside the input are clamped (edge padding); with `exclude_outside`
//! their weight is 0 and the rest renormalised.

use super::{CoordTransform, Mode, NearestMode, ResizeParams};

/// One axis of one resize: lengths, scale and roi.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AxisMap {
    pub in_len: usize,
    pub out_len: usize,
    pub scale: f64,
    pub roi: (f32, f32),
}

/// The coordinate of output index `y` in the input; `None` when tf_crop_and_resize puts it
/// outside `[0, in − 1]` (the output is then `extrapolation_value`).
pub(crate) fn x_original(p: &ResizeParams, m: &AxisMap, y: usize) -> (f64, bool) {
    let (yf, s, n_in) = (y as f64, m.scale, m.in_len as f64);
    if p.op.is_legacy() {
        // onnxruntime's f32 arithmetic, which decides the floor of y/s.
        return (f64::from(y as f32 / m.scale as f32), false);
    }
    let x = match p.coord {
        CoordTransform::HalfPixel => (yf + 0.5) / s - 0.5,
        CoordTransform::HalfPixelSymmetric => {
            let adjustment = m.out_len as f64 / (s * n_in);
            let center = n_in / 2.0;
            let offset = center * (1.0 - adjustment);
            offset + (yf + 0.5) / s - 0.5
        }
        CoordTransform::PytorchHalfPixel if m.out_len > 1 => (yf + 0.5) / s - 0.5,
        CoordTransform::PytorchHalfPixel => 0.0,
        CoordTransform::AlignCorners if m.out_len > 1 => {
            yf * (n_in - 1.0) / (m.out_len as f64 - 1.0)
        }
        CoordTransform::AlignCorners => 0.0,
        CoordTransform::Asymmetric => yf / s,
        CoordTransform::TfHalfPixelForNn => (yf + 0.5) / s,
        CoordTransform::TfCropAndResize => {
            // As the reference's numpy does it: `end − start` and `start·(in − 1)` in f32.
            let (start, end) = m.roi;
            let last = m.in_len.saturating_sub(1) as f32;
            let x = if m.out_len > 1 {
                yf * f64::from(end - start) * (n_in - 1.0) / (m.out_len as f64 - 1.0)
            } else {
                f64::from((end - start) * last / 2.0)
            };
            let x = x + f64::from(start * last);
            return (x, x < 0.0 || x > n_in - 1.0);
        }
    };
    (x, false)
}

/// The taps of coordinate `x` as `(input index before clamping, weight)`, into `out` (cleared
/// first; reused so building a table allocates once per axis).
pub(crate) fn taps(p: &ResizeParams, m: &AxisMap, x: f64, out: &mut Vec<(i64, f64)>) {
    out.clear();
    let fl = x.floor();
    let ratio = if x == fl { 1.0 } else { x - fl };
    let scale = m.scale.min(1.0);
    let a = f64::from(p.cubic_coeff_a);
    match (p.mode, p.antialias) {
        (Mode::Nearest, _) => {
            if p.nearest == NearestMode::Simple {
                let i = if m.scale < 1.0 { x.ceil() } else { x.trunc() };
                out.push((i as i64, 1.0));
                return;
            }
            let right = ratio == 1.0
                || match p.nearest {
                    NearestMode::RoundPreferFloor => ratio > 0.5,
                    NearestMode::RoundPreferCeil => ratio >= 0.5,
                    NearestMode::Floor | NearestMode::Simple => false,
                    NearestMode::Ceil => true,
                };
            out.extend([(0, f64::from(u8::from(!right))), (0, f64::from(u8::from(right)))]);
        }
        (Mode::Linear, false) => out.extend([(0, 1.0 - ratio), (0, ratio)]),
        (Mode::Linear, true) => {
            let start = (-1.0 / scale).floor() as i64 + 1;
            let n = 2 - 2 * start;
            out.extend((start..start + n).map(|i| {
                let arg = (i as f64 - ratio) * scale;
                (0, (1.0 - arg.abs()).clamp(0.0, 1.0))
            }));
            normalise(out);
        }
        (Mode::Cubic, false) => {
            let (r, q) = (ratio, 1.0 - ratio);
            out.extend([
                (0, ((a * (r + 1.0) - 5.0 * a) * (r + 1.0) + 8.0 * a) * (r + 1.0) - 4.0 * a),
                (0, ((a + 2.0) * r - (a + 3.0)) * r * r + 1.0),
                (0, ((a + 2.0) * q - (a + 3.0)) * q * q + 1.0),
                (0, ((a * (q + 1.0) - 5.0 * a) * (q + 1.0) + 8.0 * a) * (q + 1.0) - 4.0 * a),
            ]);
        }
        (Mode::Cubic, true) => {
            let i_start = (-2.0 / scale).floor() as i64 + 1;
            out.extend((i_start..2 - i_start).map(|i| (0, keys(a, scale * (i as f64 - ratio)))));
            normalise(out);
        }
    }
    // The reference's neighbour choice: the n samples nearest to x, ties to the smaller index,
    // found on a copy of the input edge-padded by n/2 (n is always even here).
    let n = out.len() as i64;
    let pad = n / 2;
    let xp = x + pad as f64;
    let fp = xp.floor();
    let first = fp as i64 + if xp == fp { -(n / 2) } else { -(n / 2) + 1 } - pad;
    for (k, t) in out.iter_mut().enumerate() {
        t.0 = first.saturating_add(k as i64);
    }
    if p.mode == Mode::Nearest {
        // Keep the chosen sample only.
        let k = usize::from(out[1].1 == 1.0);
        out.swap(0, k);
        out.truncate(1);
    }
    if p.exclude_outside {
        let len = m.in_len as i64;
        for t in out.iter_mut() {
            if t.0 < 0 || t.0 >= len {
                t.1 = 0.0;
            }
        }
        normalise(out);
    }
}

/// Keys' cubic kernel at distance `x`.
fn keys(a: f64, x: f64) -> f64 {
    let x = x.abs();
    let (x2, x3) = (x * x, x * x * x);
    if x <= 1.0 {
        (a + 2.0) * x3 - (a + 3.0) * x2 + 1.0
    } else if x < 2.0 {
        a * x3 - 5.0 * a * x2 + 8.0 * a * x - 4.0 * a
    } else {
        0.0
    }
}

fn normalise(taps: &mut [(i64, f64)]) {
    let sum: f64 = taps.iter().map(|t| t.1).sum();
    if sum != 0.0 {
        taps.iter_mut().for_each(|t| t.1 /= sum);
    }
}

/// The clamp of edge padding: index `i` read as `0..in`.
pub(crate) fn clamp(i: i64, in_len: usize) -> usize {
    i.clamp(0, in_len.saturating_sub(1) as i64) as usize
}

/// Where one output index of one axis comes from, for the explain panel.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceCoord {
    /// The transformed coordinate in the input.
    pub x_original: f32,
    /// The transform with its numbers: `(17 + 0.5)/2 − 0.5 = 8.25`.
    pub formula: String,
    /// The input samples mixed, as `(clamped index, weight)`, zero weights left out; for nearest
    /// the one chosen (weight 0 when `exclude_outside` drops it). Empty when extrapolated.
    pub taps: Vec<(i64, f32)>,
    /// tf_crop_and_resize put the coordinate outside the input: the output is
    /// `extrapolation_value`.
    pub extrapolated: bool,
}

/// Explain output index `out_index` of an axis resized from `in_len` to `out_len` with the
/// effective `scale` (from [`super::output_dims`]) and this axis's `roi` (start, end; see
/// [`super::roi_for_axis`]).
pub fn source(
    out_index: usize,
    in_len: usize,
    out_len: usize,
    scale: f64,
    roi: (f32, f32),
    p: &ResizeParams,
) -> SourceCoord {
    let m = AxisMap { in_len, out_len, scale, roi };
    let (x, extrapolated) = x_original(p, &m, out_index);
    let mut raw = Vec::new();
    if !extrapolated {
        taps(p, &m, x, &mut raw);
    }
    let taps = raw
        .iter()
        .filter(|t| t.1 != 0.0 || p.mode == Mode::Nearest)
        .map(|&(i, w)| (clamp(i, in_len) as i64, w as f32))
        .collect();
    let mut formula = formula(p, &m, out_index, x);
    if extrapolated {
        let v = num(f64::from(p.extrapolation_value));
        formula.push_str(&format!(
            " is outside [0, {}]: extrapolation_value {v}",
            in_len.saturating_sub(1)
        ));
    }
    SourceCoord { x_original: x as f32, formula, taps, extrapolated }
}

fn formula(p: &ResizeParams, m: &AxisMap, y: usize, x: f64) -> String {
    let (s, n_in, n_out, x) = (num(m.scale), m.in_len, m.out_len, num(x));
    let (start, end) = (num(f64::from(m.roi.0)), num(f64::from(m.roi.1)));
    if p.op.is_legacy() {
        return format!("{y}/{s} = {x} (f32)");
    }
    match p.coord {
        CoordTransform::HalfPixel => format!("({y} + 0.5)/{s} − 0.5 = {x}"),
        CoordTransform::HalfPixelSymmetric => {
            let wide = num(m.scale * n_in as f64);
            format!("{}·(1 − {n_out}/{wide}) + ({y} + 0.5)/{s} − 0.5 = {x}", num(n_in as f64 / 2.0))
        }
        CoordTransform::PytorchHalfPixel if n_out > 1 => format!("({y} + 0.5)/{s} − 0.5 = {x}"),
        CoordTransform::AlignCorners if n_out > 1 => {
            format!("{y}·({n_in} − 1)/({n_out} − 1) = {x}")
        }
        CoordTransform::PytorchHalfPixel | CoordTransform::AlignCorners => {
            format!("output length 1 → {x}")
        }
        CoordTransform::Asymmetric => format!("{y}/{s} = {x}"),
        CoordTransform::TfHalfPixelForNn => format!("({y} + 0.5)/{s} = {x}"),
        CoordTransform::TfCropAndResize if n_out > 1 => {
            format!("{start}·({n_in} − 1) + {y}·({end} − {start})·({n_in} − 1)/({n_out} − 1) = {x}")
        }
        CoordTransform::TfCropAndResize => format!("({start} + {end})/2·({n_in} − 1) = {x}"),
    }
}

/// A number for a formula: whole numbers bare, others to 6 decimals without trailing zeros.
pub(crate) fn num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}
