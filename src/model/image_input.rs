//! Filling a network's input volume: from a photo (center-crop, resize, normalise), from an
//! `(H, W, D)` `.npy`, or, for depths a photo cannot have, from a seeded random volume.

use super::error::{Kind, ModelError, Result, read_file};
use super::init;
use super::npy;
use crate::nn::tensor::{Shape3, Tensor, Volume, dims_text, from_hwd};
use crate::nn::{InputSpec, Network};
use image::{DynamicImage, imageops::FilterType};
use std::path::Path;

/// The largest photo convscope decodes: 16384 on a side and 256 MiB of pixels, checked from the
/// header before decoding (the image crate's `Limits`).
const MAX_IMAGE_SIDE: u32 = 16384;
const MAX_IMAGE_BYTES: u64 = 256 << 20;

/// Decode a photo file: a regular file, a PNG or JPEG within the limits.
///
/// # Errors
/// One line naming the file: missing, not a file, not an image, corrupt or too large.
pub fn open_image(p: &Path) -> Result<DynamicImage> {
    let bytes = read_file(p, "image")?;
    let bad = |why: String| ModelError::new(Kind::Image(why)).in_file(p.display());
    let mut reader = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| bad(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_BYTES);
    reader.limits(limits);
    if reader.format().is_none() {
        return Err(bad("not a PNG or JPEG file".into()));
    }
    let img = reader.decode().map_err(|e| bad(e.to_string()))?;
    if img.width() == 0 || img.height() == 0 {
        return Err(bad("the image is empty".into()));
    }
    Ok(img)
}

/// The photo used when neither the user nor the network names one (CC0, see demo/images).
pub const DEFAULT_IMAGE: &[u8] = include_bytes!("../../demo/images/chelsea.png");
pub const DEFAULT_IMAGE_NAME: &str = "chelsea.png";

/// Where an input volume came from, in words for the header and the CLI.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSource {
    pub label: String,
    /// The photo as it entered the network (after crop and resize), RGB, for drawing.
    pub photo: Option<image::RgbImage>,
}

/// Build the input tensor: `npy` wins, else the photo `image`, else the network's default image,
/// else the built-in cat; an input a photo cannot fill (a depth other than 1 or 3, or a tensor
/// that is no volume) gets a seeded random one.
///
/// An `.npy` is `(H, W, D)` for an input that is a volume (as exports are), or has the input's
/// own dims in ONNX order.
///
/// # Errors
/// Unreadable files, or an `.npy` of the wrong shape, naming the file.
pub fn load_input(
    net: &Network,
    image: Option<&Path>,
    npy_path: Option<&Path>,
) -> Result<(Tensor, InputSource)> {
    let want = net.input.shape;
    let bytes = crate::nn::analysis::bytes_of(&net.input.dims, crate::nn::Elem::F32);
    crate::nn::budget::check(|| format!("the {} input", net.input.describe()), bytes)?;
    if let Some(p) = npy_path {
        let a = npy::read_f32::<ndarray::IxDyn>(p, "input", "--input")?;
        let label = format!("{} ({})", p.display(), dims_text(a.shape()));
        let as_volume = a.ndim() == 3
            && Shape3::new(a.shape()[0], a.shape()[1], a.shape()[2]) == want
            && net.input.takes_photo_shape();
        if as_volume {
            let v = a.into_dimensionality::<ndarray::Ix3>().expect("rank 3");
            return Ok((
                net.input.from_volume(from_hwd(&v.view())),
                InputSource { label, photo: None },
            ));
        }
        if a.shape() == net.input.dims.as_slice() {
            return Ok((Tensor::F32(a.into_shared()), InputSource { label, photo: None }));
        }
        let want_text = if net.input.takes_photo_shape() {
            format!("{want} (H, W, D) or {}", dims_text(&net.input.dims))
        } else {
            dims_text(&net.input.dims)
        };
        let got = match a.shape() {
            [h, w, d] => format!("{h}×{w}×{d} (H, W, D)"),
            dims => dims_text(dims),
        };
        let kind = Kind::InputShape { got, want: want_text };
        return Err(ModelError::new(kind).in_file(p.display()));
    }
    match image.or(net.input.default_image.as_deref()) {
        Some(p) => Ok(input_from_photo(net, &open_image(p)?, p)),
        None => {
            // The embedded PNG is a valid image checked by the tests.
            let img = image::load_from_memory(DEFAULT_IMAGE).expect("the built-in photo decodes");
            Ok(input_from_photo(net, &img, Path::new(DEFAULT_IMAGE_NAME)))
        }
    }
}

/// The input tensor from a decoded photo (`path` names it): crop, resize and normalise. An input
/// a photo cannot fill gets a seeded random tensor instead.
pub fn input_from_photo(net: &Network, img: &DynamicImage, path: &Path) -> (Tensor, InputSource) {
    let want = net.input.shape;
    if !net.input.takes_photo() {
        let t = random_tensor(&net.input.dims, net.input.elem, 0x5EED);
        let why = if net.input.takes_photo_shape() {
            format!("depth {} cannot come from a photo", want.d)
        } else {
            format!("a {} tensor is not a photo", dims_text(&net.input.dims))
        };
        let label = format!("seeded random {} input ({why})", net.input.describe());
        return (t, InputSource { label, photo: None });
    }
    let name =
        path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into());
    let rgb = crop_resize(img, want.h, want.w);
    let v = normalize(&rgb, &net.input);
    let label = format!("{name} → {want}");
    (net.input.from_volume(v), InputSource { label, photo: Some(rgb) })
}

/// Center-crop to the aspect of `h × w`, then resize (bicubic) to exactly `h × w`.
pub fn crop_resize(img: &DynamicImage, h: usize, w: usize) -> image::RgbImage {
    center_crop(img, h, w).resize_exact(w as u32, h as u32, FilterType::CatmullRom).to_rgb8()
}

/// The center crop of `img` to the aspect of `h × w`, at the photo's own resolution.
pub fn center_crop(img: &DynamicImage, h: usize, w: usize) -> DynamicImage {
    let (iw, ih) = (img.width() as f64, img.height() as f64);
    let aspect = w as f64 / h as f64;
    let (cw, ch) = if iw / ih > aspect { (ih * aspect, ih) } else { (iw, iw / aspect) };
    let (x0, y0) = (((iw - cw) / 2.0).round() as u32, ((ih - ch) / 2.0).round() as u32);
    img.crop_imm(x0, y0, (cw.round() as u32).max(1), (ch.round() as u32).max(1))
}

/// Pixels to a `(D, H, W)` volume with the network's normalisation (D = 1 takes luminance).
pub fn normalize(rgb: &image::RgbImage, spec: &InputSpec) -> Volume {
    let s = spec.shape;
    let n = &spec.normalize;
    Volume::from_shape_fn((s.d, s.h, s.w), |(c, y, x)| {
        let p = rgb.get_pixel(x as u32, y as u32).0;
        let v = if s.d == 1 {
            0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
        } else {
            p[c] as f32
        };
        n.apply(v, c)
    })
}

/// A seeded standard-normal volume.
pub fn random_volume(s: Shape3, seed: u64) -> Volume {
    let v = init::normal(s.len(), seed);
    // `normal` returns exactly s.len() values.
    Volume::from_shape_vec((s.d, s.h, s.w), v).expect("length matches the shape")
}

/// A seeded standard-normal tensor of `dims`.
pub fn random_tensor(dims: &[usize], elem: crate::nn::Elem, seed: u64) -> Tensor {
    let n = dims.iter().product();
    let v = init::normal(n, seed);
    if elem.is_float() {
        return Tensor::f32(dims, v);
    }
    // Integers: small values around 0, inside the type's range (bools 0 or 1).
    let (lo, hi) = elem.range();
    let ints = v.iter().map(|&x| ((x * 4.0).round() as i64).clamp(lo, hi)).collect();
    Tensor::int(dims, ints, elem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_photo_decodes() {
        let img = image::load_from_memory(DEFAULT_IMAGE).unwrap();
        assert!(img.width() > 100 && img.height() > 100);
    }

    #[test]
    fn crop_keeps_the_centre() {
        // A 4×2 image whose middle two columns are white: cropping to square keeps them.
        let mut img = image::RgbImage::new(4, 2);
        for y in 0..2 {
            for x in 1..3 {
                img.put_pixel(x, y, image::Rgb([255, 255, 255]));
            }
        }
        let out = crop_resize(&DynamicImage::ImageRgb8(img), 2, 2);
        assert!(out.pixels().all(|p| p.0 == [255, 255, 255]));
    }
}
