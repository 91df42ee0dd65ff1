//! iTerm2 inline images (also WezTerm): `ESC ] 1337 ; File=… : base64(PNG) BEL`, the image at
//! its own size with a display size in cells; the terminal scales it.

use super::Image;
use base64::Engine;

/// The sequence that draws `img` at the cursor over `cols × rows` cells.
pub fn encode(img: &Image, cols: u16, rows: u16) -> String {
    let mut png = Vec::new();
    let enc = image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Adaptive,
    );
    // Encoding our own well-formed buffer into a Vec does not fail; an empty image is skipped.
    if image::ImageEncoder::write_image(enc, &img.rgb, img.w, img.h, image::ExtendedColorType::Rgb8)
        .is_err()
    {
        return String::new();
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
    format!(
        "\x1b]1337;File=inline=1;size={};width={cols};height={rows};preserveAspectRatio=0:{b64}\x07",
        png.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_the_png_of_the_image() {
        let img = Image::new(3, 2, (0..18).map(|i| i * 14).collect());
        let s = encode(&img, 6, 2);
        let (head, b64) = s.split_once(':').unwrap();
        assert!(head.contains("width=6;height=2;preserveAspectRatio=0"), "{head}");
        let png =
            base64::engine::general_purpose::STANDARD.decode(b64.trim_end_matches('\x07')).unwrap();
        let back = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!((back.width(), back.height()), (3, 2));
        assert_eq!(back.into_raw(), img.rgb);
    }
}
