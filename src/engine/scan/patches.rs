//! A hit as a picture: its photo, cropped and resized as the network saw it, then cut to the
//! neuron's receptive field (cells outside the photo, in the padding, are grey).

use super::{Hit, Scan};
use crate::nn::Network;
use crate::nn::analysis::Analysis;

/// The receptive-field crop of `hit` of layer `layer`, at most `max` pixels on a side.
///
/// # Errors
/// The photo cannot be read any more.
pub fn patch(
    net: &Network,
    analysis: &Analysis,
    scan: &Scan,
    layer: usize,
    hit: &Hit,
    max: u32,
) -> Result<image::RgbImage, String> {
    let p = scan.photos.get(hit.image as usize).ok_or("no such photo")?;
    let img = crate::model::image_input::open_image(&scan.dir.join(&p.path))
        .map_err(|e| e.to_string())?;
    let s = net.input.shape;
    let seen = crate::model::image_input::crop_resize(&img, s.h, s.w);
    let b = analysis.layers[layer].rf.window(hit.r as usize, hit.c as usize);
    let (h, w) = ((b.bottom - b.top).max(1) as u32, (b.right - b.left).max(1) as u32);
    let crop = image::RgbImage::from_fn(w, h, |x, y| {
        let (yy, xx) = (b.top + i64::from(y), b.left + i64::from(x));
        if (0..s.h as i64).contains(&yy) && (0..s.w as i64).contains(&xx) {
            *seen.get_pixel(xx as u32, yy as u32)
        } else {
            image::Rgb([90, 90, 90])
        }
    });
    if h.max(w) <= max {
        return Ok(crop);
    }
    let f = f64::from(max) / f64::from(h.max(w));
    let (nw, nh) =
        (((f64::from(w) * f).round() as u32).max(1), ((f64::from(h) * f).round() as u32).max(1));
    Ok(image::imageops::resize(&crop, nw, nh, image::imageops::FilterType::Triangle))
}
