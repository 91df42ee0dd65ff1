//! Receptive fields: which input pixels one neuron can see.
//!
//! Per axis, a layer's neurons see a window of `size` input pixels; neighbouring neurons are
//! `jump` pixels apart; neuron 0's window starts at `start` (negative when it hangs over the
//! padding). A conv or pool with kernel F (dilation d), stride S and padding P_before maps
//! `size' = size + (d·(F−1))·jump`, `jump' = jump·S`, `start' = start − P_before·jump`.

use super::geometry::{Axis, Window2d};
use super::tensor::Shape3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReceptiveField {
    /// Window size in input pixels: rows, cols.
    pub size: [usize; 2],
    /// Distance in input pixels between neighbouring neurons: rows, cols.
    pub jump: [usize; 2],
    /// Input coordinate of neuron (0, 0)'s window's first pixel: rows, cols.
    pub start: [i64; 2],
}

/// A neuron's window in the input image, in input pixel coordinates (may extend past the image).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RfBox {
    pub top: i64,
    pub left: i64,
    /// Exclusive.
    pub bottom: i64,
    /// Exclusive.
    pub right: i64,
}

impl RfBox {
    /// The part inside an `h × w` image, as `(top, left, bottom, right)` with exclusive ends.
    pub fn clipped(&self, h: usize, w: usize) -> (usize, usize, usize, usize) {
        let c = |v: i64, n: usize| v.clamp(0, n as i64) as usize;
        (c(self.top, h), c(self.left, w), c(self.bottom, h), c(self.right, w))
    }
}

impl ReceptiveField {
    /// The input volume itself: every neuron sees its own pixel.
    pub fn input() -> Self {
        ReceptiveField { size: [1, 1], jump: [1, 1], start: [0, 0] }
    }

    /// A neuron that sees the whole image (fc, global pooling).
    pub fn whole(image: Shape3) -> Self {
        ReceptiveField { size: [image.h, image.w], jump: [0, 0], start: [0, 0] }
    }

    /// The field covered by several inputs (add, concat): the union of their windows.
    pub fn union(rfs: &[ReceptiveField]) -> Self {
        let Some(first) = rfs.first() else { return Self::input() };
        rfs[1..].iter().fold(*first, |a, b| {
            let mut out = a;
            for k in 0..2 {
                let start = a.start[k].min(b.start[k]);
                let end_of = |r: &ReceptiveField| {
                    r.start[k].saturating_add(i64::try_from(r.size[k]).unwrap_or(i64::MAX))
                };
                let end = end_of(&a).max(end_of(b));
                out.start[k] = start;
                out.size[k] = usize::try_from(end.saturating_sub(start)).unwrap_or(usize::MAX);
                out.jump[k] = a.jump[k].max(b.jump[k]);
            }
            out
        })
    }

    /// The field after a conv or pool window.
    pub fn through(&self, w: &Window2d) -> Self {
        let mut out = *self;
        for (k, d) in [w.rows, w.cols].into_iter().enumerate() {
            // Saturating: strides multiply down a deep network, and sizes come from files.
            out.size[k] = self.size[k].saturating_add((d.f_eff() - 1).saturating_mul(self.jump[k]));
            let back = i64::try_from(d.pad_before.saturating_mul(self.jump[k])).unwrap_or(i64::MAX);
            out.start[k] = self.start[k].saturating_sub(back);
            out.jump[k] = self.jump[k].saturating_mul(d.stride);
        }
        out
    }

    /// The window of neuron `(r, c)`.
    pub fn window(&self, r: usize, c: usize) -> RfBox {
        let at = |k: usize, o: usize| {
            let off = i64::try_from(o.saturating_mul(self.jump[k])).unwrap_or(i64::MAX);
            self.start[k].saturating_add(off)
        };
        let len = |k: usize| i64::try_from(self.size[k]).unwrap_or(i64::MAX);
        let (top, left) = (at(0, r), at(1, c));
        RfBox { top, left, bottom: top.saturating_add(len(0)), right: left.saturating_add(len(1)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::geometry::Axis;

    fn square(n: usize, f: usize, dil: usize, s: usize, p: (usize, usize)) -> Window2d {
        let a = Axis::fit("rows", n, f, dil, s, p, false).unwrap();
        Window2d { rows: a, cols: a }
    }

    #[test]
    fn alexnet_conv1_then_pool1() {
        // conv1 11×11 s4 p0: size 11, jump 4. pool1 3×3 s2: size 11 + 2·4 = 19, jump 8.
        let c1 = ReceptiveField::input().through(&square(227, 11, 1, 4, (0, 0)));
        assert_eq!((c1.size, c1.jump, c1.start), ([11, 11], [4, 4], [0, 0]));
        let p1 = c1.through(&square(55, 3, 1, 2, (0, 0)));
        assert_eq!((p1.size, p1.jump), ([19, 19], [8, 8]));
        // Neuron (1, 2) of pool1 starts at 8 rows, 16 cols.
        assert_eq!(p1.window(1, 2), RfBox { top: 8, left: 16, bottom: 27, right: 35 });
    }

    #[test]
    fn padding_and_dilation_move_and_grow_the_window() {
        // 3×3, pad 1, dilation 2 on 32: F_eff 5, window of neuron 0 starts at −1.
        let rf = ReceptiveField::input().through(&square(32, 3, 2, 1, (1, 1)));
        assert_eq!((rf.size, rf.start), ([5, 5], [-1, -1]));
        assert_eq!(rf.window(0, 0).clipped(32, 32), (0, 0, 4, 4));
    }
}

/// One step of a receptive-field trace: a volume and the window of it that one neuron depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceStep {
    pub src: super::layer::Src,
    pub window: RfBox,
}

/// The window of neuron `(r, c)` of `sel` in every volume on its path back to the input (through
/// each layer's first input), from `sel` itself down to the input. Padding and dilation are
/// counted: a conv or pool window of rows `[a, b)` reads input rows `[a·S − P, (b−1)·S − P + F_eff)`.
pub fn trace(
    net: &super::network::Network,
    analysis: &super::analysis::Analysis,
    sel: super::layer::Src,
    r: usize,
    c: usize,
) -> Vec<TraceStep> {
    use super::layer::{LayerKind, Src};
    let mut out = Vec::new();
    let (r, c) = (r as i64, c as i64);
    let mut window = RfBox { top: r, left: c, bottom: r + 1, right: c + 1 };
    let mut cur = sel;
    loop {
        out.push(TraceStep { src: cur, window });
        let Src::Layer(i) = cur else { break };
        let (layer, info) = (&net.layers[i], &analysis.layers[i]);
        let Some(&src) = layer.inputs.first() else { break };
        let x = analysis.shape_of(src);
        window = match (&layer.kind, info.window()) {
            (_, Some(&Window2d { rows, cols })) => {
                let back = |a: i64, b: i64, d: &Axis| {
                    let (s, p) = (d.stride as i64, d.pad_before as i64);
                    let start = |o: i64| o.saturating_mul(s).saturating_sub(p);
                    (start(a), start(b - 1).saturating_add(d.f_eff() as i64))
                };
                let (top, bottom) = back(window.top, window.bottom, &rows);
                let (left, right) = back(window.left, window.right, &cols);
                RfBox { top, left, bottom, right }
            }
            (LayerKind::Fc { .. } | LayerKind::Flatten | LayerKind::GlobalAvgPool, _) => {
                RfBox { top: 0, left: 0, bottom: x.h as i64, right: x.w as i64 }
            }
            _ => window,
        };
        cur = src;
    }
    out
}

#[cfg(test)]
mod trace_tests {
    use super::*;
    use crate::model::{WeightMode, load};
    use crate::nn::Src;
    use crate::nn::analysis::analyze;

    #[test]
    fn alexnet_pool2_traces_back_to_its_receptive_field() {
        let net = load("alexnet", WeightMode::ShapesOnly).unwrap();
        let a = analyze(&net).unwrap();
        let pool2 = net.find("pool2").unwrap();
        let steps = trace(&net, &a, Src::Layer(pool2), 3, 5);
        // pool2 (3×3 s2) ← relu2 ← conv2 (5×5 s1 p2) ← pool1 (3×3 s2) ← … ← conv1 (11×11 s4).
        let last = steps.last().unwrap();
        assert_eq!(last.src, Src::Input);
        assert_eq!(last.window, a.layers[pool2].rf.window(3, 5), "the trace ends at the field");
        // One step back through pool2 (3×3 s2): rows [3·2, 3·2 + 3) = [6, 9) of norm2.
        assert_eq!(steps[1].window, RfBox { top: 6, left: 10, bottom: 9, right: 13 });
        // conv2 has pad 2: rows [6 − 2, 8 − 2 + 5) = [4, 11) of pool1.
        let conv2 =
            steps.iter().position(|s| s.src == Src::Layer(net.find("conv2").unwrap())).unwrap();
        assert_eq!(steps[conv2 + 1].window, RfBox { top: 4, left: 8, bottom: 11, right: 15 });
    }
}
