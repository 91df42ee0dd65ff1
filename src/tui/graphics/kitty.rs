//! The kitty graphics protocol: transmit an image once (RGB, zlib, base64, in chunks), place it
//! by id with a display size in cells, delete placements and images; and, inside tmux, unicode
//! placeholders (the image is a virtual placement and the cells carry `U+10EEEE` with row and
//! column diacritics, coloured with the image id), the only kitty mode that survives tmux panes.
//!
//! See the protocol's documentation: keys `a` (action), `f=24` (RGB), `s`/`v` (size in pixels),
//! `i` (image id), `p` (placement id), `o=z` (zlib), `m` (more chunks), `c`/`r` (cells),
//! `C=1` (do not move the cursor), `z` (z-index), `U=1` (virtual placement), `q=2` (no replies).

use super::Image;
use base64::Engine;
use std::fmt::Write;
use std::io::Write as _;

/// Base64 bytes per chunk: the protocol's limit (a multiple of 4).
const CHUNK: usize = 4096;

/// Drawn over text. Under text (negative z) kitty 0.26 under Xvfb let old glyphs show through
/// every later frame, so the cursor is marked on the border instead (the cells under an image
/// are blank anyway).
pub const Z_OVER_TEXT: i32 = 1;

/// Raw payloads up to this size are sent as they are; a larger one goes as an indexed PNG when
/// the image has at most 256 colours and that is smaller (one byte a pixel instead of three).
pub const PALETTE_ABOVE: usize = 12 * 1024;

/// The sequence that transmits `img` as image `img.id`, compressed, without placing it: RGB
/// (`f=24`) through zlib (`o=z`), or, for a large map of at most 256 colours, an indexed PNG
/// (`f=100`) when that is smaller.
pub fn transmit(img: &Image) -> String {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = z.write_all(&img.rgb);
    let mut packed = z.finish().unwrap_or_default();
    let mut head = format!("a=t,f=24,o=z,s={},v={}", img.w, img.h);
    if packed.len() > PALETTE_ABOVE
        && let Some(png) = indexed_png(img).filter(|p| p.len() < packed.len())
    {
        packed = png;
        head = "a=t,f=100".to_string();
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(packed);
    let mut out = String::with_capacity(b64.len() + 64 * (b64.len() / CHUNK + 1));
    let chunks: Vec<&[u8]> = b64.as_bytes().chunks(CHUNK).collect();
    let n = chunks.len().max(1);
    for i in 0..n {
        let data = chunks.get(i).map_or("", |c| std::str::from_utf8(c).unwrap_or(""));
        let more = u8::from(i + 1 < n);
        if i == 0 {
            let _ = write!(out, "\x1b_G{head},i={},q=2,m={more};{data}\x1b\\", img.id);
        } else {
            let _ = write!(out, "\x1b_Gm={more};{data}\x1b\\");
        }
    }
    out
}

/// `img` as an 8-bit indexed PNG, when it has at most 256 colours.
fn indexed_png(img: &Image) -> Option<Vec<u8>> {
    let mut slot: std::collections::HashMap<[u8; 3], u8> = std::collections::HashMap::new();
    let mut palette = Vec::new();
    let mut index = Vec::with_capacity(img.rgb.len() / 3);
    for c in img.rgb.chunks_exact(3) {
        let c = [c[0], c[1], c[2]];
        let i = match slot.get(&c) {
            Some(&i) => i,
            None => {
                let i = u8::try_from(slot.len()).ok()?;
                slot.insert(c, i);
                palette.extend_from_slice(&c);
                i
            }
        };
        index.push(i);
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, img.w, img.h);
    enc.set_color(png::ColorType::Indexed);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_palette(palette);
    enc.set_compression(png::Compression::High);
    let mut w = enc.write_header().ok()?;
    w.write_image_data(&index).ok()?;
    w.finish().ok()?;
    Some(out)
}

/// Place image `id` at the cursor over `cols × rows` cells, as placement `pid`.
pub fn place(id: u32, pid: u32, cols: u16, rows: u16) -> String {
    format!("\x1b_Ga=p,i={id},p={pid},c={cols},r={rows},C=1,z={Z_OVER_TEXT},q=2\x1b\\")
}

/// A virtual placement of image `id` over `cols × rows` cells, shown where its placeholders are.
pub fn place_virtual(id: u32, cols: u16, rows: u16) -> String {
    format!("\x1b_Ga=p,U=1,i={id},c={cols},r={rows},q=2\x1b\\")
}

/// Remove placement `pid` of image `id` (the image stays stored, to be placed again).
pub fn unplace(id: u32, pid: u32) -> String {
    format!("\x1b_Ga=d,d=i,i={id},p={pid},q=2\x1b\\")
}

/// Remove image `id` and free its data.
pub fn delete(id: u32) -> String {
    format!("\x1b_Ga=d,d=I,i={id},q=2\x1b\\")
}

/// Wrap a sequence for tmux's passthrough (`allow-passthrough on`): `ESC P tmux; … ESC \`,
/// with each ESC inside doubled.
pub fn tmux_wrap(seq: &str) -> String {
    format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
}

/// The placeholder character.
pub const PLACEHOLDER: char = '\u{10EEEE}';

/// The cell symbol of placeholder row `r`, column `c`: `U+10EEEE`, then the row and column
/// diacritics. `None` past the table (297 rows or columns).
pub fn placeholder(r: u16, c: u16) -> Option<String> {
    let d = |i: u16| DIACRITICS.get(i as usize).and_then(|&u| char::from_u32(u));
    Some([PLACEHOLDER, d(r)?, d(c)?].iter().collect())
}

/// The foreground colour that names image `id` in its placeholders (the low 24 bits).
pub fn id_colour(id: u32) -> (u8, u8, u8) {
    ((id >> 16) as u8, (id >> 8) as u8, id as u8)
}

/// The most rows or columns a placeholder image can have.
pub const MAX_PLACEHOLDER_CELLS: u16 = DIACRITICS.len() as u16;

/// Row and column numbers for placeholders, in order (from kitty's rowcolumn-diacritics.txt).
#[rustfmt::skip]
const DIACRITICS: [u32; 297] = [
    0x305, 0x30D, 0x30E, 0x310, 0x312, 0x33D, 0x33E, 0x33F, 0x346, 0x34A, 0x34B, 0x34C, 0x350,
    0x351, 0x352, 0x357, 0x35B, 0x363, 0x364, 0x365, 0x366, 0x367, 0x368, 0x369, 0x36A, 0x36B,
    0x36C, 0x36D, 0x36E, 0x36F, 0x483, 0x484, 0x485, 0x486, 0x487, 0x592, 0x593, 0x594, 0x595,
    0x597, 0x598, 0x599, 0x59C, 0x59D, 0x59E, 0x59F, 0x5A0, 0x5A1, 0x5A8, 0x5A9, 0x5AB, 0x5AC,
    0x5AF, 0x5C4, 0x610, 0x611, 0x612, 0x613, 0x614, 0x615, 0x616, 0x617, 0x657, 0x658, 0x659,
    0x65A, 0x65B, 0x65D, 0x65E, 0x6D6, 0x6D7, 0x6D8, 0x6D9, 0x6DA, 0x6DB, 0x6DC, 0x6DF, 0x6E0,
    0x6E1, 0x6E2, 0x6E4, 0x6E7, 0x6E8, 0x6EB, 0x6EC, 0x730, 0x732, 0x733, 0x735, 0x736, 0x73A,
    0x73D, 0x73F, 0x740, 0x741, 0x743, 0x745, 0x747, 0x749, 0x74A, 0x7EB, 0x7EC, 0x7ED, 0x7EE,
    0x7EF, 0x7F0, 0x7F1, 0x7F3, 0x816, 0x817, 0x818, 0x819, 0x81B, 0x81C, 0x81D, 0x81E, 0x81F,
    0x820, 0x821, 0x822, 0x823, 0x825, 0x826, 0x827, 0x829, 0x82A, 0x82B, 0x82C, 0x82D, 0x951,
    0x953, 0x954, 0xF82, 0xF83, 0xF86, 0xF87, 0x135D, 0x135E, 0x135F, 0x17DD, 0x193A, 0x1A17,
    0x1A75, 0x1A76, 0x1A77, 0x1A78, 0x1A79, 0x1A7A, 0x1A7B, 0x1A7C, 0x1B6B, 0x1B6D, 0x1B6E,
    0x1B6F, 0x1B70, 0x1B71, 0x1B72, 0x1B73, 0x1CD0, 0x1CD1, 0x1CD2, 0x1CDA, 0x1CDB, 0x1CE0,
    0x1DC0, 0x1DC1, 0x1DC3, 0x1DC4, 0x1DC5, 0x1DC6, 0x1DC7, 0x1DC8, 0x1DC9, 0x1DCB, 0x1DCC,
    0x1DD1, 0x1DD2, 0x1DD3, 0x1DD4, 0x1DD5, 0x1DD6, 0x1DD7, 0x1DD8, 0x1DD9, 0x1DDA, 0x1DDB,
    0x1DDC, 0x1DDD, 0x1DDE, 0x1DDF, 0x1DE0, 0x1DE1, 0x1DE2, 0x1DE3, 0x1DE4, 0x1DE5, 0x1DE6,
    0x1DFE, 0x20D0, 0x20D1, 0x20D4, 0x20D5, 0x20D6, 0x20D7, 0x20DB, 0x20DC, 0x20E1, 0x20E7,
    0x20E9, 0x20F0, 0x2CEF, 0x2CF0, 0x2CF1, 0x2DE0, 0x2DE1, 0x2DE2, 0x2DE3, 0x2DE4, 0x2DE5,
    0x2DE6, 0x2DE7, 0x2DE8, 0x2DE9, 0x2DEA, 0x2DEB, 0x2DEC, 0x2DED, 0x2DEE, 0x2DEF, 0x2DF0,
    0x2DF1, 0x2DF2, 0x2DF3, 0x2DF4, 0x2DF5, 0x2DF6, 0x2DF7, 0x2DF8, 0x2DF9, 0x2DFA, 0x2DFB,
    0x2DFC, 0x2DFD, 0x2DFE, 0x2DFF, 0xA66F, 0xA67C, 0xA67D, 0xA6F0, 0xA6F1, 0xA8E0, 0xA8E1,
    0xA8E2, 0xA8E3, 0xA8E4, 0xA8E5, 0xA8E6, 0xA8E7, 0xA8E8, 0xA8E9, 0xA8EA, 0xA8EB, 0xA8EC,
    0xA8ED, 0xA8EE, 0xA8EF, 0xA8F0, 0xA8F1, 0xAAB0, 0xAAB2, 0xAAB3, 0xAAB7, 0xAAB8, 0xAABE,
    0xAABF, 0xAAC1, 0xFE20, 0xFE21, 0xFE22, 0xFE23, 0xFE24, 0xFE25, 0xFE26, 0x10A0F, 0x10A38,
    0x1D185, 0x1D186, 0x1D187, 0x1D188, 0x1D189, 0x1D1AA, 0x1D1AB, 0x1D1AC, 0x1D1AD, 0x1D242,
    0x1D243, 0x1D244,
];

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::io::Read;

    /// The commands of a stream: the key=value map and the payload of each `ESC _ G … ESC \`.
    pub fn commands(s: &str) -> Vec<(std::collections::HashMap<String, String>, String)> {
        let mut out = Vec::new();
        for part in s.split("\x1b_G").skip(1) {
            let body = part.split("\x1b\\").next().unwrap_or("");
            let (keys, data) = body.split_once(';').unwrap_or((body, ""));
            let map = keys
                .split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            out.push((map, data.to_string()));
        }
        out
    }

    /// Decode the images a stream transmits: (id, width, height, RGB bytes), checking the chunk
    /// rules on the way (payloads of 4096 base64 bytes but the last, m=1 until the last).
    pub fn decode(s: &str) -> Vec<(u32, u32, u32, Vec<u8>)> {
        let mut out = Vec::new();
        let mut open: Option<(u32, u32, u32, String)> = None;
        for (k, data) in commands(s) {
            if k.get("a").map(String::as_str) == Some("t") {
                let n = |key: &str| k.get(key).map_or(0, |v| v.parse::<u32>().unwrap());
                if k.get("f").map(String::as_str) == Some("100") {
                    open = Some((n("i"), 0, 0, String::new()));
                } else {
                    assert_eq!(k.get("f").map(String::as_str), Some("24"));
                    assert_eq!(k.get("o").map(String::as_str), Some("z"), "not compressed");
                    open = Some((n("i"), n("s"), n("v"), String::new()));
                }
            }
            if let Some(o) = open.as_mut() {
                if k.contains_key("m") {
                    o.3.push_str(&data);
                }
                if k.get("m").map(String::as_str) == Some("0") {
                    let (id, w, h, b64) = open.take().unwrap();
                    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
                    if w == 0 {
                        let png = image::load_from_memory(&bytes).unwrap().to_rgb8();
                        out.push((id, png.width(), png.height(), png.into_raw()));
                        continue;
                    }
                    let mut rgb = Vec::new();
                    flate2::read::ZlibDecoder::new(&bytes[..]).read_to_end(&mut rgb).unwrap();
                    assert_eq!(rgb.len(), (w * h * 3) as usize);
                    out.push((id, w, h, rgb));
                } else if k.get("m").map(String::as_str) == Some("1") {
                    assert_eq!(data.len(), CHUNK, "a middle chunk of {} bytes", data.len());
                }
            }
        }
        out
    }

    #[test]
    fn a_transmitted_image_decodes_to_its_pixels() {
        // Big enough for several chunks even compressed: noise does not compress.
        let (w, h) = (97u32, 61u32);
        let mut x = 0x9E37_79B9_u32;
        let rgb: Vec<u8> = (0..w * h * 3)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        let img = Image::new(w, h, rgb.clone());
        let s = transmit(&img);
        assert!(commands(&s).len() > 2, "expected several chunks");
        let got = decode(&s);
        assert_eq!(got, vec![(img.id, w, h, rgb)]);
    }

    #[test]
    fn a_large_noisy_map_of_256_colours_goes_as_an_indexed_png() {
        let (w, h) = (224u32, 224u32);
        let mut x = 7u32;
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let v = (x >> 16) as u8;
                [v, 255 - v, v / 2]
            })
            .collect();
        let img = Image::new(w, h, rgb.clone());
        let s = transmit(&img);
        assert!(s.starts_with("\x1b_Ga=t,f=100,"), "{}", &s[..40]);
        // Near one byte a pixel, in base64: well under the three of RGB.
        assert!(s.len() < 224 * 224 * 3 / 2, "{} bytes", s.len());
        assert_eq!(decode(&s), vec![(img.id, w, h, rgb)]);
    }

    #[test]
    fn flat_maps_compress_far_below_their_size() {
        let img = Image::new(224, 224, vec![7; 224 * 224 * 3]);
        let s = transmit(&img);
        assert!(s.len() < 2_000, "{} bytes for a flat 224×224", s.len());
        assert_eq!(decode(&s)[0].3.len(), 224 * 224 * 3);
    }

    #[test]
    fn placement_and_tmux_forms() {
        let p = commands(&place(5, 9, 40, 20));
        assert_eq!(p[0].0["c"], "40");
        assert_eq!(p[0].0["r"], "20");
        assert_eq!(p[0].0["C"], "1");
        let t = tmux_wrap(&unplace(5, 9));
        assert!(t.starts_with("\x1bPtmux;\x1b\x1b_G") && t.ends_with("\x1b\x1b\\\x1b\\"), "{t:?}");
        // Row 0, column 2: U+10EEEE, U+0305, U+030E.
        assert_eq!(placeholder(0, 2).unwrap(), "\u{10EEEE}\u{305}\u{30E}");
        assert!(placeholder(MAX_PLACEHOLDER_CELLS, 0).is_none());
        assert_eq!(id_colour(0x0A0B0C), (10, 11, 12));
    }
}
