//! Per-channel statistics of a volume, computed once per pass on the worker: the colour scales
//! (per slice or per layer) and the dead channels come from them.

use crate::nn::Volume;

#[derive(Clone, Debug, PartialEq)]
pub struct VolStats {
    pub min: f32,
    pub max: f32,
    /// Min and max of each depth slice `X[:, :, d]`.
    pub ch_min: Vec<f32>,
    pub ch_max: Vec<f32>,
    /// Values per slice (H·W).
    pub hw: usize,
}

impl VolStats {
    /// Scan a stored `(D, H, W)` volume.
    pub fn of(v: &Volume) -> VolStats {
        let (ch_min, ch_max): (Vec<f32>, Vec<f32>) =
            v.outer_iter().map(|s| super::colormap::min_max(s.iter())).unzip();
        let min = ch_min.iter().copied().fold(f32::INFINITY, f32::min);
        let max = ch_max.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let (min, max) = if min <= max { (min, max) } else { (0.0, 0.0) };
        let (_, h, w) = v.dim();
        VolStats { min, max, ch_min, ch_max, hw: h * w }
    }

    /// A dead channel is constant over the whole slice (all zero after a ReLU, typically). A
    /// 1×1 slice is always constant, so there only an exact zero counts.
    pub fn is_dead(&self, d: usize) -> bool {
        match (self.ch_min.get(d), self.ch_max.get(d)) {
            (Some(a), Some(b)) => a == b && (self.hw > 1 || *b == 0.0),
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
        let s = VolStats::of(&v);
        assert_eq!((s.min, s.max), (0.0, 7.0));
        assert_eq!(s.dead().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(s.dead_zero(), 1);
        assert!(!s.is_dead(0) && !s.is_dead(9));
        // 1×1 slices: only zeros count.
        let fc = VolStats::of(&Array3::from_shape_vec((3, 1, 1), vec![0.0, 2.0, -1.0]).unwrap());
        assert_eq!(fc.dead().collect::<Vec<_>>(), vec![0]);
    }
}
