//! Colour tiers: what the terminal can show, and how an RGB colour is brought down to it.
//!
//! - [`Tier::Truecolor`]: 24-bit `Color::Rgb`, when `COLORTERM` is `truecolor` or `24bit`;
//! - [`Tier::C256`]: the nearest colour of the xterm 6×6×6 cube or grey ramp (`TERM=*256color*`);
//! - [`Tier::C16`] and [`Tier::Mono`] (`NO_COLOR`, `TERM=dumb`): heatmaps become the ASCII
//!   intensity ramp [`ASCII_RAMP`], so they stay readable without colour. `C16` still colours the
//!   ramp (blue/red for the sign) and the UI chrome; `Mono` uses no colour at all.

use ratatui::style::Color;

/// The `--color` flag: `auto` detects the tier from the environment, the others force it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorMode {
    #[default]
    Auto,
    Truecolor,
    #[value(name = "256")]
    C256,
    #[value(name = "16")]
    C16,
    None,
}

/// What the terminal can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    Truecolor,
    C256,
    C16,
    Mono,
}

/// Ten characters from empty to full, for heatmaps without colour.
pub const ASCII_RAMP: [char; 10] = [' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];

/// An RGB colour before it is brought down to a tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Relative luminance in `0..=1` (sRGB weights, no gamma), to pick a readable text colour.
    pub fn luma(self) -> f32 {
        (0.2126 * self.0 as f32 + 0.7152 * self.1 as f32 + 0.0722 * self.2 as f32) / 255.0
    }
    /// Black on light colours, white on dark ones.
    pub fn contrast(self) -> Rgb {
        if self.luma() > 0.5 { Rgb(0, 0, 0) } else { Rgb(255, 255, 255) }
    }
    /// `[r, g, b]`.
    pub fn bytes(self) -> [u8; 3] {
        [self.0, self.1, self.2]
    }
}

impl From<colorous::Color> for Rgb {
    fn from(c: colorous::Color) -> Self {
        Rgb(c.r, c.g, c.b)
    }
}

impl Tier {
    /// Pick the tier: `--color` wins; else `NO_COLOR`/`TERM=dumb` → Mono, `COLORTERM` →
    /// truecolor, `TERM=*256color*` → 256, anything else → 16.
    pub fn detect(mode: ColorMode, env: impl Fn(&str) -> Option<String>) -> Tier {
        match mode {
            ColorMode::Truecolor => return Tier::Truecolor,
            ColorMode::C256 => return Tier::C256,
            ColorMode::C16 => return Tier::C16,
            ColorMode::None => return Tier::Mono,
            ColorMode::Auto => {}
        }
        let set = |k: &str| env(k).filter(|v| !v.is_empty());
        let term = set("TERM").unwrap_or_default();
        if set("NO_COLOR").is_some() || term == "dumb" {
            return Tier::Mono;
        }
        if let Some(ct) = set("COLORTERM")
            && matches!(ct.to_ascii_lowercase().as_str(), "truecolor" | "24bit")
        {
            return Tier::Truecolor;
        }
        if term.contains("256color") { Tier::C256 } else { Tier::C16 }
    }

    /// The tier of this process's environment.
    pub fn from_env(mode: ColorMode) -> Tier {
        Tier::detect(mode, |k| std::env::var(k).ok())
    }

    /// Whether heatmaps are drawn with colour (half blocks) rather than the ASCII ramp.
    pub fn has_pixels(self) -> bool {
        matches!(self, Tier::Truecolor | Tier::C256)
    }

    /// Bring an RGB colour down to this tier. `C16` picks the nearest of the 16 ANSI colours;
    /// `Mono` gives `Color::Reset`.
    pub fn color(self, c: Rgb) -> Color {
        match self {
            Tier::Truecolor => Color::Rgb(c.0, c.1, c.2),
            Tier::C256 => Color::Indexed(quantize_256(c)),
            Tier::C16 => nearest_ansi16(c),
            Tier::Mono => Color::Reset,
        }
    }

    /// A short name for the status line.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Truecolor => "truecolor",
            Tier::C256 => "256 colours",
            Tier::C16 => "16 colours",
            Tier::Mono => "no colour",
        }
    }
}

/// The six levels of each axis of the xterm colour cube (indices 16..=231).
const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn dist2(a: Rgb, b: Rgb) -> i32 {
    let d = |x: u8, y: u8| x as i32 - y as i32;
    d(a.0, b.0).pow(2) + d(a.1, b.1).pow(2) + d(a.2, b.2).pow(2)
}

/// The index of the nearest cube level to `v`.
fn cube_level(v: u8) -> usize {
    CUBE.iter().enumerate().min_by_key(|(_, l)| (**l as i32 - v as i32).abs()).map_or(0, |(i, _)| i)
}

/// The xterm-256 palette index nearest to `c`: the best of the 6×6×6 cube (16..=231) and the
/// 24-step grey ramp (232..=255, `8 + 10·i`).
pub fn quantize_256(c: Rgb) -> u8 {
    let (ri, gi, bi) = (cube_level(c.0), cube_level(c.1), cube_level(c.2));
    let cube = Rgb(CUBE[ri], CUBE[gi], CUBE[bi]);
    let cube_idx = 16 + 36 * ri + 6 * gi + bi;
    let mean = (c.0 as i32 + c.1 as i32 + c.2 as i32) / 3;
    let gi = ((mean - 8 + 5) / 10).clamp(0, 23);
    let g = (8 + 10 * gi) as u8;
    if dist2(c, Rgb(g, g, g)) < dist2(c, cube) { (232 + gi) as u8 } else { cube_idx as u8 }
}

/// The RGB value xterm shows for a palette index (16..=255; 0..=15 are approximations).
pub fn palette_rgb(i: u8) -> Rgb {
    match i {
        0..=15 => ANSI16[i as usize].1,
        16..=231 => {
            let i = i as usize - 16;
            Rgb(CUBE[i / 36], CUBE[(i / 6) % 6], CUBE[i % 6])
        }
        _ => {
            let g = 8 + 10 * (i - 232);
            Rgb(g, g, g)
        }
    }
}

const ANSI16: [(Color, Rgb); 16] = [
    (Color::Black, Rgb(0, 0, 0)),
    (Color::Red, Rgb(205, 0, 0)),
    (Color::Green, Rgb(0, 205, 0)),
    (Color::Yellow, Rgb(205, 205, 0)),
    (Color::Blue, Rgb(0, 0, 238)),
    (Color::Magenta, Rgb(205, 0, 205)),
    (Color::Cyan, Rgb(0, 205, 205)),
    (Color::Gray, Rgb(229, 229, 229)),
    (Color::DarkGray, Rgb(127, 127, 127)),
    (Color::LightRed, Rgb(255, 0, 0)),
    (Color::LightGreen, Rgb(0, 255, 0)),
    (Color::LightYellow, Rgb(255, 255, 0)),
    (Color::LightBlue, Rgb(92, 92, 255)),
    (Color::LightMagenta, Rgb(255, 0, 255)),
    (Color::LightCyan, Rgb(0, 255, 255)),
    (Color::White, Rgb(255, 255, 255)),
];

fn nearest_ansi16(c: Rgb) -> Color {
    ANSI16.iter().min_by_key(|(_, rgb)| dist2(c, *rgb)).map_or(Color::Reset, |(col, _)| *col)
}

/// The characters of a signed (diverging) map without colour: blank near 0, then four steps of
/// magnitude, the `-` family below 0 and the `+` family above it.
pub const SIGNED_NEG: [char; 5] = [' ', ',', '-', '=', '%'];
pub const SIGNED_POS: [char; 5] = [' ', '.', '+', '*', '#'];

/// The character of `v` on a signed ramp whose ends are `−m` and `m`.
pub fn signed_char(v: f32, m: f32) -> char {
    if !v.is_finite() || m <= 0.0 {
        return ' ';
    }
    let level = ((v.abs() / m).clamp(0.0, 1.0) * 4.0).round() as usize;
    if v < 0.0 { SIGNED_NEG[level] } else { SIGNED_POS[level] }
}

/// The ramp character for an intensity `t` in `0..=1` (clamped; NaN is blank).
pub fn ramp_char(t: f32) -> char {
    if t.is_nan() {
        return ' ';
    }
    let i = (t.clamp(0.0, 1.0) * (ASCII_RAMP.len() - 1) as f32).round() as usize;
    ASCII_RAMP[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn detection_follows_the_environment_and_the_flag_overrides_it() {
        let auto = ColorMode::Auto;
        let tc = [("TERM", "xterm-256color"), ("COLORTERM", "truecolor")];
        assert_eq!(Tier::detect(auto, env(&tc)), Tier::Truecolor);
        assert_eq!(Tier::detect(auto, env(&[("COLORTERM", "24bit")])), Tier::Truecolor);
        assert_eq!(Tier::detect(auto, env(&[("TERM", "screen-256color")])), Tier::C256);
        assert_eq!(Tier::detect(auto, env(&[("TERM", "xterm")])), Tier::C16);
        assert_eq!(
            Tier::detect(auto, env(&[("TERM", "dumb"), ("COLORTERM", "24bit")])),
            Tier::Mono
        );
        let no = [("NO_COLOR", "1"), ("COLORTERM", "truecolor")];
        assert_eq!(Tier::detect(auto, env(&no)), Tier::Mono);
        // An empty NO_COLOR does not count (no-color.org).
        let empty = [("NO_COLOR", ""), ("TERM", "xterm-256color")];
        assert_eq!(Tier::detect(auto, env(&empty)), Tier::C256);
        assert_eq!(Tier::detect(ColorMode::Truecolor, env(&no)), Tier::Truecolor);
        assert_eq!(Tier::detect(ColorMode::None, env(&tc)), Tier::Mono);
        assert_eq!(Tier::detect(ColorMode::C256, env(&[])), Tier::C256);
    }

    #[test]
    fn quantization_hits_exact_palette_entries() {
        for i in 16..=255u8 {
            assert_eq!(quantize_256(palette_rgb(i)), i, "palette index {i}");
        }
        assert_eq!(quantize_256(Rgb(255, 0, 0)), 196);
        assert_eq!(quantize_256(Rgb(0, 0, 0)), 16);
        assert_eq!(quantize_256(Rgb(128, 128, 128)), 244);
        // Viridis' dark purple goes to a purple, not a grey.
        let q = palette_rgb(quantize_256(Rgb(68, 1, 84)));
        assert!(q.2 > q.1 && q.0 > q.1, "{q:?}");
    }

    #[test]
    fn the_ramp_runs_from_blank_to_full() {
        assert_eq!(ramp_char(0.0), ' ');
        assert_eq!(ramp_char(1.0), '@');
        assert_eq!(ramp_char(0.5), '+');
        assert_eq!(ramp_char(2.0), '@');
        assert_eq!(ramp_char(f32::NAN), ' ');
    }
}

#[cfg(test)]
mod near_white_tests {
    use super::*;
    use crate::tui::colormap::Colormap;

    fn chroma(c: Rgb) -> i32 {
        let (a, b, c) = (c.0 as i32, c.1 as i32, c.2 as i32);
        a.max(b).max(c) - a.min(b).min(c)
    }

    #[test]
    fn near_white_colours_of_every_map_stay_grey_in_256_colours() {
        let mut worst = (0, Rgb(0, 0, 0), 0u8);
        for map in Colormap::ALL {
            for i in 0..=1000 {
                let c = map.at(i as f32 / 1000.0);
                let mean = (c.0 as i32 + c.1 as i32 + c.2 as i32) / 3;
                if chroma(c) <= 40 && mean >= 180 {
                    let q = quantize_256(c);
                    let got = chroma(palette_rgb(q));
                    if got - chroma(c) > worst.0 {
                        worst = (got - chroma(c), c, q);
                    }
                }
            }
        }
        assert!(worst.0 <= 20, "{:?} became palette {} (chroma {})", worst.1, worst.2, worst.0);
    }
}
