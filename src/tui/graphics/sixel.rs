//! DEC sixel: an image as bands of six pixel rows, one colour at a time, run-length coded.
//!
//! The terminal cannot scale a sixel image, so convscope scales it by a whole factor `k` (each
//! source pixel becomes a `k×k` square, cheap with run lengths) and places it at the cursor. The
//! palette has at most 256 registers, given in percent (0–100) per channel: an image with more
//! colours (a photo) is reduced by median cut, each register being the mean of its colours.

use super::Image;
use std::collections::HashMap;
use std::fmt::Write;

/// Colour registers a sixel terminal is sure to have.
pub const MAX_COLOURS: usize = 256;

/// An 8-bit RGB colour.
pub type Rgb8 = (u8, u8, u8);

/// A palette and each pixel's register.
struct Indexed {
    palette: Vec<(u8, u8, u8)>,
    index: Vec<u16>,
}

fn reduce(img: &Image) -> Indexed {
    let mut slots: HashMap<(u8, u8, u8), u16> = HashMap::new();
    let mut count: Vec<((u8, u8, u8), u64)> = Vec::new();
    let px: Vec<(u8, u8, u8)> = img.rgb.chunks_exact(3).map(|c| (c[0], c[1], c[2])).collect();
    for c in &px {
        let n = count.len();
        let i = *slots.entry(*c).or_insert(n as u16);
        if i as usize == n {
            count.push((*c, 0));
        }
        count[i as usize].1 += 1;
        if count.len() > u16::MAX as usize - 1 {
            break;
        }
    }
    if count.len() <= MAX_COLOURS {
        let index = px.iter().map(|c| slots[c]).collect();
        return Indexed { palette: count.into_iter().map(|(c, _)| c).collect(), index };
    }
    median_cut(&px)
}

/// Median cut: split the box of colours with the widest channel at its median (by pixel
/// count) until there are [`MAX_COLOURS`]; each register is its box's mean.
fn median_cut(px: &[(u8, u8, u8)]) -> Indexed {
    let mut hist: HashMap<(u8, u8, u8), u64> = HashMap::new();
    for c in px {
        *hist.entry(*c).or_insert(0) += 1;
    }
    let ch = |c: &(u8, u8, u8), k: usize| [c.0, c.1, c.2][k];
    let widest = |b: &[((u8, u8, u8), u64)]| {
        (0..3)
            .map(|k| {
                let (lo, hi) = b
                    .iter()
                    .fold((255u8, 0u8), |(l, h), (c, _)| (l.min(ch(c, k)), h.max(ch(c, k))));
                (hi.saturating_sub(lo), k)
            })
            .max()
            .unwrap_or((0, 0))
    };
    let mut boxes: Vec<Vec<(Rgb8, u64)>> = vec![hist.into_iter().collect()];
    while boxes.len() < MAX_COLOURS {
        let Some((i, (_, k))) = boxes
            .iter()
            .enumerate()
            .filter(|(_, b)| b.len() > 1)
            .map(|(i, b)| (i, widest(b)))
            .max_by_key(|(_, (range, _))| *range)
        else {
            break;
        };
        let mut b = boxes.swap_remove(i);
        b.sort_unstable_by_key(|(c, _)| ch(c, k));
        let total: u64 = b.iter().map(|(_, n)| n).sum();
        let (mut acc, mut cut) = (0, 1);
        for (j, (_, n)) in b.iter().enumerate() {
            acc += n;
            if acc * 2 >= total {
                cut = (j + 1).clamp(1, b.len() - 1);
                break;
            }
        }
        let rest = b.split_off(cut);
        boxes.push(b);
        boxes.push(rest);
    }
    let mut of: HashMap<(u8, u8, u8), u16> = HashMap::new();
    let palette = boxes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let n: u64 = b.iter().map(|(_, n)| n).sum::<u64>().max(1);
            let m = |k: usize| {
                ((b.iter().map(|(c, w)| u64::from(ch(c, k)) * w).sum::<u64>() + n / 2) / n) as u8
            };
            for (c, _) in b {
                of.insert(*c, i as u16);
            }
            (m(0), m(1), m(2))
        })
        .collect();
    let index = px.iter().map(|c| of.get(c).copied().unwrap_or(0)).collect();
    Indexed { palette, index }
}

/// A channel in sixel's percent.
pub fn percent(v: u8) -> u32 {
    (u32::from(v) * 100 + 127) / 255
}

/// The sixel stream of `img` scaled by `k` (≥ 1): `ESC P 0;1;0 q "1;1;W;H`, the palette, the
/// bands, `ESC \`. Pixels are square (aspect 1:1) and unset ones stay transparent.
pub fn encode(img: &Image, k: u32) -> String {
    let k = k.max(1) as usize;
    let (w, h) = (img.w as usize, img.h as usize);
    let q = reduce(img);
    let mut out = String::new();
    let _ = write!(out, "\x1bP0;1;0q\"1;1;{};{}", w * k, h * k);
    for (i, c) in q.palette.iter().enumerate() {
        let _ = write!(out, "#{i};2;{};{};{}", percent(c.0), percent(c.1), percent(c.2));
    }
    let rows = h * k;
    let mut bits = vec![0u8; w];
    let mut used = vec![false; q.palette.len()];
    for band in (0..rows).step_by(6) {
        let band_rows: Vec<usize> = (band..(band + 6).min(rows)).map(|y| y / k).collect();
        used.iter_mut().for_each(|u| *u = false);
        for &r in &band_rows {
            for c in 0..w {
                used[q.index[r * w + c] as usize] = true;
            }
        }
        let mut first = true;
        for (colour, _) in used.iter().enumerate().filter(|(_, u)| **u) {
            for (c, b) in bits.iter_mut().enumerate() {
                *b = 0;
                for (bit, &r) in band_rows.iter().enumerate() {
                    if q.index[r * w + c] as usize == colour {
                        *b |= 1 << bit;
                    }
                }
            }
            if !first {
                out.push('$');
            }
            first = false;
            let _ = write!(out, "#{colour}");
            runs(&mut out, &bits, k);
        }
        out.push('-');
    }
    out.push_str("\x1b\\");
    out
}

/// Append the sixel characters of `bits` (one per source column, each `k` wide), run-length
/// coded, without the trailing empty run.
fn runs(out: &mut String, bits: &[u8], k: usize) {
    let end = bits.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let mut i = 0;
    while i < end {
        let b = bits[i];
        let mut j = i + 1;
        while j < end && bits[j] == b {
            j += 1;
        }
        let n = (j - i) * k;
        let ch = char::from(63 + b);
        if n > 3 {
            let _ = write!(out, "!{n}{ch}");
        } else {
            (0..n).for_each(|_| out.push(ch));
        }
        i = j;
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Decode a sixel stream into (width, height, pixels as 8-bit RGB, `None` where unset).
    pub fn decode(s: &str) -> (usize, usize, Vec<Option<Rgb8>>) {
        let body = s.strip_prefix("\x1bP0;1;0q").expect("sixel start");
        let body = body.strip_suffix("\x1b\\").expect("sixel end");
        let mut it = body.chars().peekable();
        let num = |it: &mut std::iter::Peekable<std::str::Chars>| {
            let mut n = 0usize;
            while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
                n = n * 10 + d as usize;
                it.next();
            }
            n
        };
        assert_eq!(it.next(), Some('"'));
        let (_, _) = (num(&mut it), it.next());
        let (_, _) = (num(&mut it), it.next());
        let w = num(&mut it);
        it.next();
        let h = num(&mut it);
        let mut px = vec![None; w * h];
        let mut pal: HashMap<usize, (u8, u8, u8)> = HashMap::new();
        let (mut x, mut band, mut colour) = (0usize, 0usize, 0usize);
        let back = |p: usize| ((p * 255 + 50) / 100) as u8;
        while let Some(c) = it.next() {
            match c {
                '#' => {
                    colour = num(&mut it);
                    if it.peek() == Some(&';') {
                        let mut v = [0usize; 4];
                        for slot in &mut v {
                            it.next();
                            *slot = num(&mut it);
                        }
                        assert_eq!(v[0], 2, "RGB colour space");
                        pal.insert(colour, (back(v[1]), back(v[2]), back(v[3])));
                    }
                }
                '$' => x = 0,
                '-' => {
                    x = 0;
                    band += 1;
                }
                '!' => {
                    let n = num(&mut it);
                    let ch = it.next().unwrap();
                    for _ in 0..n {
                        put(&mut px, w, h, x, band, ch, pal[&colour]);
                        x += 1;
                    }
                }
                '?'..='~' => {
                    put(&mut px, w, h, x, band, c, pal[&colour]);
                    x += 1;
                }
                other => panic!("unexpected {other:?} in sixel data"),
            }
        }
        (w, h, px)
    }

    fn put(
        px: &mut [Option<(u8, u8, u8)>],
        w: usize,
        h: usize,
        x: usize,
        band: usize,
        ch: char,
        rgb: (u8, u8, u8),
    ) {
        let bits = ch as u8 - 63;
        for b in 0..6 {
            let y = band * 6 + b;
            if bits & (1 << b) != 0 {
                assert!(x < w && y < h, "pixel ({x}, {y}) outside {w}×{h}");
                px[y * w + x] = Some(rgb);
            }
        }
    }

    #[test]
    fn a_small_image_scaled_by_three_decodes_to_its_squares() {
        let (w, h) = (5u32, 4u32);
        let rgb: Vec<u8> =
            (0..w * h).flat_map(|i| [i as u8 * 12, 255 - i as u8 * 12, 40]).collect();
        let img = Image::new(w, h, rgb);
        let (dw, dh, px) = decode(&encode(&img, 3));
        assert_eq!((dw, dh), (15, 12));
        for y in 0..dh {
            for x in 0..dw {
                let want = img.pixel(y as u32 / 3, x as u32 / 3).unwrap();
                let got = px[y * dw + x].expect("every pixel set");
                let near = |a: u8, b: u8| (a as i32 - b as i32).abs() <= 2;
                assert!(near(got.0, want.0) && near(got.1, want.1) && near(got.2, want.2));
            }
        }
    }

    #[test]
    fn many_colours_fit_in_256_registers() {
        let (w, h) = (64u32, 64u32);
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|i| [(i % 256) as u8, (i / 16) as u8, (i * 7 % 256) as u8])
            .collect();
        let img = Image::new(w, h, rgb);
        let s = encode(&img, 1);
        let regs = s.matches(";2;").count();
        assert!(regs <= MAX_COLOURS, "{regs} registers");
        let (_, _, px) = decode(&s);
        // 4096 colours spread through the cube share 256 registers: each is near its register.
        let mut total = 0;
        for (i, p) in px.iter().enumerate() {
            let got = p.unwrap();
            let want = img.pixel(i as u32 / w, i as u32 % w).unwrap();
            let d = |a: u8, b: u8| (a as i32 - b as i32).abs();
            let far = d(got.0, want.0).max(d(got.1, want.1)).max(d(got.2, want.2));
            assert!(far <= 64, "pixel {i}: {got:?} vs {want:?}");
            total += far;
        }
        assert!(total / px.len() as i32 <= 20, "mean error {}", total / px.len() as i32);
    }
}
