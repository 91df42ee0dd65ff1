//! Per-channel statistics of a volume, computed once per pass on the worker: the colour scales
//! (per slice or per layer), the dead channels, and the NaN and ±∞ values, which are data and
//! are counted, never hidden.

use ndarray::ArrayView3;

/// How many values of a slice (or a volume) are not finite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NonFinite {
    pub nan: usize,
    pub pos_inf: usize,
    pub neg_inf: usize,
}

impl NonFinite {
    pub fn total(&self) -> usize {
        self.nan + self.pos_inf + self.neg_inf
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    fn add(&mut self, o: &NonFinite) {
        self.nan += o.nan;
        self.pos_inf += o.pos_inf;
        self.neg_inf += o.neg_inf;
    }

    /// `3 NaN · 1 +∞`, or `None` when every value is finite.
    pub fn describe(&self) -> Option<String> {
        let parts: Vec<String> = [(self.nan, "NaN"), (self.pos_inf, "+∞"), (self.neg_inf, "−∞")]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct VolStats {
    /// Min and max over the finite values (0 when there are none).
    pub min: f32,
    pub max: f32,
    /// Min and max of the finite values of each depth slice `X[:, :, d]`.
    pub ch_min: Vec<f32>,
    pub ch_max: Vec<f32>,
    /// The values of each slice that are NaN or ±∞.
    pub ch_bad: Vec<NonFinite>,
    /// The same, over the whole volume.
    pub bad: NonFinite,
    /// Values per slice (H·W).
    pub hw: usize,
}

/// Min and max of the finite values, the non-finite ones counted.
fn scan<'a>(values: impl IntoIterator<Item = &'a f32>) -> (f32, f32, NonFinite) {
    let mut bad = NonFinite::default();
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for &v in values {
        if v.is_finite() {
            lo = lo.min(v);
            hi = hi.max(v);
        } else if v.is_nan() {
            bad.nan += 1;
        } else if v > 0.0 {
            bad.pos_inf += 1;
        } else {
            bad.neg_inf += 1;
        }
    }
    if lo <= hi { (lo, hi, bad) } else { (0.0, 0.0, bad) }
}

impl VolStats {
    /// Scan a `(D, H, W)` volume.
    pub fn of(v: &ArrayView3<f32>) -> VolStats {
        let mut ch_min = Vec::with_capacity(v.dim().0);
        let mut ch_max = Vec::with_capacity(v.dim().0);
        let mut ch_bad = Vec::with_capacity(v.dim().0);
        let mut bad = NonFinite::default();
        for s in v.outer_iter() {
            let (lo, hi, b) = scan(s.iter());
            ch_min.push(lo);
            ch_max.push(hi);
            bad.add(&b);
            ch_bad.push(b);
        }
        let finite = |d: usize| ch_bad[d].total() < v.dim().1 * v.dim().2;
        let with_values: Vec<usize> = (0..ch_min.len()).filter(|&d| finite(d)).collect();
        let min = with_values.iter().map(|&d| ch_min[d]).fold(f32::INFINITY, f32::min);
        let max = with_values.iter().map(|&d| ch_max[d]).fold(f32::NEG_INFINITY, f32::max);
        let (min, max) = if min <= max { (min, max) } else { (0.0, 0.0) };
        let (_, h, w) = v.dim();
        VolStats { min, max, ch_min, ch_max, ch_bad, bad, hw: h * w }
    }

    /// A dead channel is constant over the whole slice (all zero after a ReLU, typically). A
    /// 1×1 slice is always constant, so there only an exact zero counts. A slice with a NaN or
    /// an infinity is not dead.
    pub fn is_dead(&self, d: usize) -> bool {
        match (self.ch_min.get(d), self.ch_max.get(d), self.ch_bad.get(d)) {
            (Some(a), Some(b), Some(bad)) => bad.is_empty() && a == b && (self.hw > 1 || *b == 0.0),
            _ => false,
        }
    }

    /// The dead channels, in order.
    pub fn dead(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.ch_min.len()).filter(|&d| self.is_dead(d))
    }

    /// How many dead channels are all zero (the rest are constant but not 0).
    pub fn dead_zero(&self) -> usize {
        self.dead().filter(|&d| self.ch_max[d] == 0.0).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn constant_slices_are_dead() {
        // d 0: 0..4 ramp; d 1: all zero; d 2: all 7.
        let v = Array3::from_shape_fn((3, 2, 2), |(d, r, c)| match d {
            0 => (2 * r + c) as f32,
            1 => 0.0,
            _ => 7.0,
        });
        let s = VolStats::of(&v.view());
        assert_eq!((s.min, s.max), (0.0, 7.0));
        assert_eq!(s.dead().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(s.dead_zero(), 1);
        assert!(!s.is_dead(0) && !s.is_dead(9));
        assert!(s.bad.is_empty() && s.bad.describe().is_none());
        // 1×1 slices: only zeros count.
        let fc =
            VolStats::of(&Array3::from_shape_vec((3, 1, 1), vec![0.0, 2.0, -1.0]).unwrap().view());
        assert_eq!(fc.dead().collect::<Vec<_>>(), vec![0]);
    }

    #[test]
    fn nan_and_infinities_are_counted_not_hidden() {
        // d 0: 1, NaN, 3, +∞; d 1: all NaN; d 2: −∞ and zeros.
        let v = Array3::from_shape_vec(
            (3, 2, 2),
            vec![
                1.0,
                f32::NAN,
                3.0,
                f32::INFINITY,
                f32::NAN,
                f32::NAN,
                f32::NAN,
                f32::NAN,
                f32::NEG_INFINITY,
                0.0,
                0.0,
                0.0,
            ],
        )
        .unwrap();
        let s = VolStats::of(&v.view());
        assert_eq!(s.ch_bad[0], NonFinite { nan: 1, pos_inf: 1, neg_inf: 0 });
        assert_eq!(s.ch_bad[1].nan, 4);
        assert_eq!(s.bad, NonFinite { nan: 5, pos_inf: 1, neg_inf: 1 });
        assert_eq!(s.bad.describe().unwrap(), "5 NaN · 1 +∞ · 1 −∞");
        // The scale spans the finite values only; a slice of NaN is not a dead channel.
        assert_eq!((s.min, s.max), (0.0, 3.0));
        assert_eq!((s.ch_min[0], s.ch_max[0]), (1.0, 3.0));
        assert!(!s.is_dead(1) && !s.is_dead(2));
    }
}
