//! Colormaps and value scales.
//!
//! `auto` uses viridis for non-negative data and RdBu (0 at the centre) for signed data; the
//! user can cycle through a fixed list. A sequential map spans `min..max`; a diverging map spans
//! `−M..M` with `M = max(|min|, |max|)`, so white is always exactly 0.

use super::color::Rgb;
use colorous::Gradient;

/// The marker colour of NaN and ±∞ values (bright magenta: in none of the colormaps).
pub const NON_FINITE: Rgb = Rgb(255, 0, 255);

/// Sequential maps run low→high; diverging maps have their neutral colour at 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Colormap {
    /// viridis for non-negative data, RdBu for signed data.
    Auto,
    Viridis,
    Magma,
    Inferno,
    Cividis,
    Greys,
    /// matplotlib's RdBu: negative red, positive blue, white at 0.
    RdBu,
    PuOr,
    PiYG,
}

impl Colormap {
    /// The cycle order of the `c` key.
    pub const ALL: [Colormap; 9] = [
        Colormap::Auto,
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Inferno,
        Colormap::Cividis,
        Colormap::Greys,
        Colormap::RdBu,
        Colormap::PuOr,
        Colormap::PiYG,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Colormap::Auto => "auto",
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
            Colormap::Inferno => "inferno",
            Colormap::Cividis => "cividis",
            Colormap::Greys => "greys",
            Colormap::RdBu => "RdBu",
            Colormap::PuOr => "PuOr",
            Colormap::PiYG => "PiYG",
        }
    }

    /// Parse a `--colormap` name (case-insensitive).
    pub fn parse(name: &str) -> Option<Colormap> {
        Colormap::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// The names `--colormap` accepts, for an error message.
    pub fn names() -> String {
        Colormap::ALL.map(|c| c.name()).join(", ")
    }

    /// The next map in the cycle.
    pub fn next(self) -> Colormap {
        let i = Colormap::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Colormap::ALL[(i + 1) % Colormap::ALL.len()]
    }

    /// The concrete map for data in `lo..=hi` (resolves `Auto`).
    pub fn resolve(self, lo: f32, hi: f32) -> Colormap {
        match self {
            Colormap::Auto if lo < 0.0 && hi > 0.0 => Colormap::RdBu,
            Colormap::Auto if hi <= 0.0 && lo < 0.0 => Colormap::RdBu,
            Colormap::Auto => Colormap::Viridis,
            c => c,
        }
    }

    pub fn is_diverging(self) -> bool {
        matches!(self, Colormap::RdBu | Colormap::PuOr | Colormap::PiYG)
    }

    fn gradient(self) -> Gradient {
        match self {
            Colormap::Auto | Colormap::Viridis => colorous::VIRIDIS,
            Colormap::Magma => colorous::MAGMA,
            Colormap::Inferno => colorous::INFERNO,
            Colormap::Cividis => colorous::CIVIDIS,
            Colormap::Greys => colorous::GREYS,
            Colormap::RdBu => colorous::RED_BLUE,
            Colormap::PuOr => colorous::PURPLE_ORANGE,
            Colormap::PiYG => colorous::PINK_GREEN,
        }
    }

    /// How to read the map's colours, in words: `red < 0 < blue`, `purple (low) → yellow (high)`.
    pub fn reading(self) -> &'static str {
        match self {
            Colormap::Auto | Colormap::Viridis => "purple (low) → yellow (high)",
            Colormap::Magma => "black (low) → pale yellow (high)",
            Colormap::Inferno => "black (low) → yellow (high)",
            Colormap::Cividis => "blue (low) → yellow (high)",
            Colormap::Greys => "black (low) → white (high)",
            Colormap::RdBu => "red < 0 < blue",
            Colormap::PuOr => "purple < 0 < orange",
            Colormap::PiYG => "pink < 0 < green",
        }
    }

    /// The colour at position `t` in `0..=1` (clamped). Greys runs dark→light, like the others.
    pub fn at(self, t: f32) -> Rgb {
        let t = if t.is_nan() { 0.5 } else { t.clamp(0.0, 1.0) } as f64;
        let t = if self == Colormap::Greys { 1.0 - t } else { t };
        self.gradient().eval_continuous(t).into()
    }
}

/// A value → `t ∈ 0..=1` map for one heatmap: the data range and the concrete colormap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// The smallest and largest value of the data the scale was built for.
    pub lo: f32,
    pub hi: f32,
    pub map: Colormap,
}

impl Scale {
    /// A scale for data spanning `lo..=hi` with the user's choice of map.
    pub fn new(lo: f32, hi: f32, choice: Colormap) -> Scale {
        let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo, hi) } else { (0.0, 0.0) };
        Scale { lo, hi, map: choice.resolve(lo, hi) }
    }

    /// The scale of all values of a slice or a volume.
    pub fn of<'a>(values: impl IntoIterator<Item = &'a f32>, choice: Colormap) -> Scale {
        let (lo, hi) = min_max(values);
        Scale::new(lo, hi, choice)
    }

    /// The ends of the colour bar: `lo..hi`, or `−M..M` for a diverging map.
    pub fn range(&self) -> (f32, f32) {
        if self.map.is_diverging() {
            let m = self.lo.abs().max(self.hi.abs());
            (-m, m)
        } else {
            (self.lo, self.hi)
        }
    }

    /// Position of `v` on the bar. A constant slice maps to the middle (or to 0 for diverging).
    pub fn t(&self, v: f32) -> f32 {
        let (a, b) = self.range();
        if b > a { ((v - a) / (b - a)).clamp(0.0, 1.0) } else { 0.5 }
    }

    /// The colour of `v` on a 256-step colormap (like matplotlib's N = 256): what images get,
    /// so that a map has at most 257 colours (with [`NON_FINITE`]) and packs as a palette.
    pub fn rgb_256(&self, v: f32) -> Rgb {
        if v.is_finite() { self.map.at((self.t(v) * 255.0).round() / 255.0) } else { NON_FINITE }
    }

    /// The colour of `v`; NaN and ±∞ get [`NON_FINITE`], a colour no colormap has.
    pub fn rgb(&self, v: f32) -> Rgb {
        if v.is_finite() { self.map.at(self.t(v)) } else { NON_FINITE }
    }
}

/// `(min, max)` of finite values; `(0, 0)` when there are none.
pub fn min_max<'a>(values: impl IntoIterator<Item = &'a f32>) -> (f32, f32) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    if lo <= hi { (lo, hi) } else { (0.0, 0.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_picks_viridis_for_non_negative_and_rdbu_for_signed_data() {
        assert_eq!(Scale::new(0.0, 5.0, Colormap::Auto).map, Colormap::Viridis);
        assert_eq!(Scale::new(-1.0, 5.0, Colormap::Auto).map, Colormap::RdBu);
        assert_eq!(Scale::new(-3.0, -1.0, Colormap::Auto).map, Colormap::RdBu);
        assert_eq!(Scale::new(-1.0, 5.0, Colormap::Magma).map, Colormap::Magma);
    }

    #[test]
    fn a_diverging_scale_puts_zero_at_the_centre() {
        let s = Scale::new(-1.0, 4.0, Colormap::Auto);
        assert_eq!(s.range(), (-4.0, 4.0));
        assert_eq!(s.t(0.0), 0.5);
        assert_eq!(s.t(4.0), 1.0);
        assert_eq!(s.t(-4.0), 0.0);
        let white = s.rgb(0.0);
        assert!(white.0 > 230 && white.1 > 230 && white.2 > 230, "{white:?}");
        // RdBu: negative is red, positive is blue.
        assert!(s.rgb(-4.0).0 > s.rgb(-4.0).2);
        assert!(s.rgb(4.0).2 > s.rgb(4.0).0);
    }

    #[test]
    fn a_sequential_scale_spans_min_to_max() {
        let s = Scale::new(2.0, 6.0, Colormap::Auto);
        assert_eq!(s.t(2.0), 0.0);
        assert_eq!(s.t(4.0), 0.5);
        assert_eq!(s.t(6.0), 1.0);
        // viridis: dark purple at 0, yellow at 1.
        assert_eq!(s.rgb(2.0), Rgb(68, 1, 84));
        assert!(s.rgb(6.0).luma() > 0.8);
        assert_eq!(Scale::new(3.0, 3.0, Colormap::Auto).t(3.0), 0.5);
    }

    #[test]
    fn colormaps_cycle_and_parse() {
        let mut c = Colormap::Auto;
        for _ in 0..Colormap::ALL.len() {
            c = c.next();
        }
        assert_eq!(c, Colormap::Auto);
        assert_eq!(Colormap::parse("rdbu"), Some(Colormap::RdBu));
        assert_eq!(Colormap::parse("jet"), None);
        assert_eq!(min_max(&[1.0, f32::NAN, -2.0]), (-2.0, 1.0));
        assert_eq!(min_max(&[]), (0.0, 0.0));
    }
}
