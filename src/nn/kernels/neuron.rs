//! One conv neuron, explained: its value and what each input channel contributed.

use super::geometry::ConvGeom;
use crate::nn::geometry::ConvGeometry;
use ndarray::{ArrayView1, ArrayView3, ArrayView4};

/// The terms of one output neuron.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronTerms {
    /// `Σ contrib + bias`, summed in f32 in the order of `contrib`.
    pub value: f32,
    pub bias: f32,
    /// `(ci, Σ over the window of X[ci] · W[d][.., .., ci − group start])` for each input channel
    /// `ci` (an index into the full input depth) of the neuron's group, in increasing order.
    pub contrib: Vec<(usize, f32)>,
}

/// Neuron `(d, r, c)` of the conv, computed directly from its window in `geom` (padding is
/// zero): only the taps the window says are inside the input are read.
///
/// # Panics
/// As [`super::conv2d`], and if `(d, r, c)` is outside the output.
pub fn conv_neuron(
    x: &ArrayView3<f32>,
    w: &ArrayView4<f32>,
    b: Option<&ArrayView1<f32>>,
    geom: &ConvGeometry,
    d: usize,
    r: usize,
    c: usize,
) -> NeuronTerms {
    let g = ConvGeom::new(x.dim(), w.dim(), b.map(|b| b.len()), geom);
    assert!(d < g.k && r < g.oh && c < g.ow, "neuron ({d}, {r}, {c}) is outside the output");
    let (rows, cols) = geom.window.neuron(r, c);
    let first = geom.channels_of(d).start;
    let contrib: Vec<(usize, f32)> = (0..g.cg)
        .map(|ci| {
            let mut sum = 0.0f64;
            for fy in rows.lo..rows.hi {
                // Taps lo..hi are inside the input: the indices are in range.
                let iy = rows.index(fy) as usize;
                for fx in cols.lo..cols.hi {
                    let xv = x[[first + ci, iy, cols.index(fx) as usize]];
                    sum += f64::from(xv) * f64::from(w[[d, fy, fx, ci]]);
                }
            }
            (first + ci, sum as f32)
        })
        .collect();
    let bias = b.map_or(0.0, |b| b[d]);
    let value = contrib.iter().map(|&(_, v)| v).sum::<f32>() + bias;
    NeuronTerms { value, bias, contrib }
}

#[cfg(test)]
mod tests {
    use super::super::conv2d;
    use super::super::testutil::conv_case;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The neuron equals the fast conv at every position, its channels are exactly its group's,
        /// and `value` is the sum of the listed terms plus the bias.
        #[test]
        fn every_neuron_matches_conv2d(case in conv_case(1..=3, 1..=3)) {
            let (x, w, b) = (case.x(), case.w(), case.b());
            let p = case.params();
            let g = case.geometry();
            let fast = conv2d(&x.view(), &w.view(), b.as_ref().map(|b| b.view()).as_ref(), &g);
            let scale = fast.iter().fold(1.0f32, |m, v| m.max(v.abs()));
            for ((d, r, c), &want) in fast.indexed_iter() {
                let t = conv_neuron(&x.view(), &w.view(), b.as_ref().map(|b| b.view()).as_ref(),
                    &g, d, r, c);
                prop_assert!((t.value - want).abs() <= 1e-4 * scale, "{:?}: {} vs {}", (d, r, c),
                    t.value, want);
                let group = d / (p.filters / p.groups);
                let cg = case.cin() / p.groups;
                let listed: Vec<usize> = t.contrib.iter().map(|&(ci, _)| ci).collect();
                prop_assert_eq!(listed, (group * cg..(group + 1) * cg).collect::<Vec<_>>());
                let sum: f32 = t.contrib.iter().map(|&(_, v)| v).sum();
                prop_assert_eq!(t.value, sum + t.bias);
                prop_assert_eq!(t.bias, b.as_ref().map_or(0.0, |b| b[d]));
            }
        }
    }

    #[test]
    fn contributions_of_a_two_channel_window() {
        // X: 2 channels of 2×2; channel 0 = [1 2; 3 4], channel 1 = all 10.
        // W[0] (2×2×2): tap weights 1 on channel 0, 0.5 on channel 1; b = 3; no padding.
        let x = ndarray::array![[[1.0, 2.0], [3.0, 4.0]], [[10.0, 10.0], [10.0, 10.0]]];
        let w = ndarray::Array4::from_shape_fn((1, 2, 2, 2), |(_, _, _, ci)| [1.0, 0.5][ci]);
        let b = ndarray::array![3.0];
        let g = super::super::testutil::geometry((2, 2, 2), 1, (2, 2), (1, 1), (1, 1), 1, 0);
        let t = conv_neuron(&x.view(), &w.view(), Some(&b.view()), &g, 0, 0, 0);
        assert_eq!(t.contrib, vec![(0, 1.0 + 2.0 + 3.0 + 4.0), (1, 0.5 * 40.0)]);
        assert_eq!((t.bias, t.value), (3.0, 10.0 + 20.0 + 3.0));
    }
}
