//! Horizontal bars for the depth column and the explain panel: one row per value, eighth-block
//! resolution, with a zero axis when the values are signed.

/// Number formatting shared by every panel: 4 significant digits, plain `-`, exponent outside
/// `1e-3..1e5` (so a value can be pasted into numpy).
pub fn fmt_val(v: f32) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

pub use crate::fmt::{bytes as fmt_bytes, count as fmt_count, si as fmt_si};

const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];

/// A bar of `width` cells for `v` on a scale reaching `max_abs`. Signed scales put the axis `│`
/// in the middle: negative bars grow left (half-cell steps, `▐`), positive bars grow right.
pub fn bar(v: f32, max_abs: f32, width: usize, signed: bool) -> String {
    if width == 0 {
        return String::new();
    }
    let frac = if max_abs > 0.0 && v.is_finite() { (v.abs() / max_abs).min(1.0) } else { 0.0 };
    if !signed {
        return grow_right(frac, width);
    }
    let left = (width - 1) / 2;
    let right = width - 1 - left;
    let (l, r) = if v < 0.0 {
        (grow_left(frac, left), " ".repeat(right))
    } else {
        (" ".repeat(left), grow_right(frac, right))
    };
    format!("{l}│{r}")
}

fn grow_right(frac: f32, width: usize) -> String {
    let eighths = (frac * (width * 8) as f32).round() as usize;
    let (full, part) = (eighths / 8, eighths % 8);
    let mut s = "█".repeat(full.min(width));
    if part > 0 && full < width {
        s.push(EIGHTHS[part - 1]);
    }
    let used = s.chars().count();
    s.push_str(&" ".repeat(width - used));
    s
}

fn grow_left(frac: f32, width: usize) -> String {
    let halves = (frac * (width * 2) as f32).round() as usize;
    let (full, half) = (halves / 2, halves % 2 == 1);
    let used = (full + half as usize).min(width);
    let mut s = " ".repeat(width - used);
    if half && full < width {
        s.push('▐');
    }
    s.push_str(&"█".repeat(full.min(width)));
    s
}

/// The statistics the depth column shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnStats {
    pub min: f32,
    pub max: f32,
    /// The mean of the finite values.
    pub mean: f32,
    /// Channels sorted by value, largest first (at most 5).
    pub top: Vec<(usize, f32)>,
    /// The values that are NaN or ±∞ (min, max and mean are of the others).
    pub bad: crate::engine::stats::NonFinite,
}

impl ColumnStats {
    pub fn of(values: &[f32]) -> ColumnStats {
        let (min, max) = super::colormap::min_max(values);
        let finite: Vec<f64> = values.iter().filter(|v| v.is_finite()).map(|&v| v as f64).collect();
        let mean = if finite.is_empty() {
            0.0
        } else {
            (finite.iter().sum::<f64>() / finite.len() as f64) as f32
        };
        let mut bad = crate::engine::stats::NonFinite::default();
        for v in values.iter().filter(|v| !v.is_finite()) {
            match () {
                _ if v.is_nan() => bad.nan += 1,
                _ if *v > 0.0 => bad.pos_inf += 1,
                _ => bad.neg_inf += 1,
            }
        }
        let mut idx: Vec<(usize, f32)> = values.iter().copied().enumerate().collect();
        idx.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        idx.truncate(5);
        ColumnStats { min, max, mean, top: idx, bad }
    }
}

/// The first row of a window of `rows` rows over `n` items that keeps `sel` visible, centred
/// when it can be.
pub fn window_start(n: usize, rows: usize, sel: usize) -> usize {
    if n <= rows {
        return 0;
    }
    sel.saturating_sub(rows / 2).min(n - rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_with_four_significant_digits() {
        assert_eq!(fmt_val(3.21749), "3.217");
        assert_eq!(fmt_val(-0.012346), "-0.01235");
        assert_eq!(fmt_val(123.46), "123.5");
        assert_eq!(fmt_val(-7.0), "-7");
        assert_eq!(fmt_val(0.154), "0.154");
        assert_eq!(fmt_val(12345.0), "12345");
        assert_eq!(fmt_val(0.0), "0");
        assert_eq!(fmt_val(1.5e-5), "1.500e-5");
        assert_eq!(fmt_count(34944), "34,944");
        assert_eq!(fmt_count(138357544), "138,357,544");
        assert_eq!(fmt_bytes(55 * 55 * 96 * 4), "1.1 MiB");
        assert_eq!(fmt_si(105_415_200), "105.4M");
    }

    #[test]
    fn bars_grow_from_the_axis() {
        assert_eq!(bar(1.0, 1.0, 4, false), "████");
        assert_eq!(bar(0.5, 1.0, 4, false), "██  ");
        assert_eq!(bar(0.0625, 1.0, 2, false), "▏ ");
        assert_eq!(bar(1.0, 1.0, 5, true), "  │██");
        assert_eq!(bar(-1.0, 1.0, 5, true), "██│  ");
        assert_eq!(bar(-0.25, 1.0, 5, true), " ▐│  ");
        for w in 0..6 {
            for v in [-2.0, -0.3, 0.0, 0.7, 9.0, f32::NAN] {
                assert_eq!(bar(v, 1.0, w, true).chars().count(), w);
                assert_eq!(bar(v, 1.0, w, false).chars().count(), w);
            }
        }
    }

    #[test]
    fn column_stats_and_top_five() {
        let s = ColumnStats::of(&[1.0, 5.0, -2.0, 3.0, 5.0, 0.0, 4.0]);
        assert_eq!((s.min, s.max), (-2.0, 5.0));
        assert!((s.mean - 16.0 / 7.0).abs() < 1e-6);
        assert_eq!(s.top, vec![(1, 5.0), (4, 5.0), (6, 4.0), (3, 3.0), (0, 1.0)]);
        assert_eq!(window_start(96, 10, 0), 0);
        assert_eq!(window_start(96, 10, 50), 45);
        assert_eq!(window_start(96, 10, 95), 86);
        assert_eq!(window_start(5, 10, 3), 0);
    }
}
