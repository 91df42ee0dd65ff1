//! From a class map at its own resolution to the photo: bilinear between cell centres, then a
//! ReLU and a scale to the map's maximum, then blended over the photo.
//!
//! A CAM or Grad-CAM cell `r` of a layer with `n` rows over an input of `H` rows is centred at
//! `(r + ½)·H/n − ½` (how `cv2.resize` and pytorch-grad-cam place it); an occlusion cell `i` is
//! centred on its patch, at `i·S + (P − 1)/2`.

use super::{ClassMap, Method};
use ndarray::Array2;

/// The centre, in input pixels, of map row (or col) `i` of `n` over an input of `size`.
fn centre(m: &ClassMap, i: usize, n: usize, size: usize) -> f32 {
    match (&m.occlusion, m.method) {
        (Some(o), Method::Occlusion) => (i * o.stride) as f32 + (o.patch as f32 - 1.0) / 2.0,
        _ => (i as f32 + 0.5) * size as f32 / n as f32 - 0.5,
    }
}

/// Where pixel `p` falls between centres: the two cells and the weight of the second.
fn between(m: &ClassMap, p: f32, n: usize, size: usize) -> (usize, usize, f32) {
    if n <= 1 {
        return (0, 0, 0.0);
    }
    let first = centre(m, 0, n, size);
    let last = centre(m, n - 1, n, size);
    if p <= first {
        return (0, 0, 0.0);
    }
    if p >= last {
        return (n - 1, n - 1, 0.0);
    }
    // Centres are evenly spaced.
    let step = (last - first) / (n - 1) as f32;
    let t = (p - first) / step;
    let i = (t.floor() as usize).min(n - 2);
    (i, i + 1, t - i as f32)
}

/// The raw map resampled to `h × w` input pixels (bilinear between cell centres, clamped at
/// the edges). `scale` maps output pixels to input pixels (the photo may be larger).
pub fn resample(m: &ClassMap, h: usize, w: usize, (in_h, in_w): (usize, usize)) -> Array2<f32> {
    let (n_r, n_c) = m.map.dim();
    let (sy, sx) = (in_h as f32 / h.max(1) as f32, in_w as f32 / w.max(1) as f32);
    Array2::from_shape_fn((h, w), |(y, x)| {
        let py = (y as f32 + 0.5) * sy - 0.5;
        let px = (x as f32 + 0.5) * sx - 0.5;
        let (r0, r1, ty) = between(m, py, n_r, in_h);
        let (c0, c1, tx) = between(m, px, n_c, in_w);
        let v = |r: usize, c: usize| m.map[[r, c]];
        let top = v(r0, c0) * (1.0 - tx) + v(r0, c1) * tx;
        let bot = v(r1, c0) * (1.0 - tx) + v(r1, c1) * tx;
        top * (1.0 - ty) + bot * ty
    })
}

/// ReLU, then divided by the maximum: `0..=1` (all zeros when nothing is positive).
pub fn heat(values: &Array2<f32>) -> Array2<f32> {
    let max = values.iter().copied().fold(0.0f32, f32::max);
    values.mapv(|v| if max > 0.0 && v.is_finite() { v.max(0.0) / max } else { 0.0 })
}

/// The heat (of the photo's size) over the photo: turbo colours at alpha `0.5·heat + 0.1`
/// where the heat is above zero, so cold areas keep the photo.
pub fn blend(photo: &image::RgbImage, heat: &Array2<f32>) -> image::RgbImage {
    image::RgbImage::from_fn(photo.width(), photo.height(), |x, y| {
        let p = photo.get_pixel(x, y).0;
        let t = heat.get([y as usize, x as usize]).copied().unwrap_or(0.0);
        let c = colorous::TURBO.eval_continuous(f64::from(t));
        let a = if t > 0.0 { 0.35 + 0.35 * t } else { 0.25 };
        let mix = |o: u8, h: u8| (f32::from(o) * (1.0 - a) + f32::from(h) * a).round() as u8;
        image::Rgb([mix(p[0], c.r), mix(p[1], c.g), mix(p[2], c.b)])
    })
}
