//! What is selected: a volume (the input or a layer's output), the neuron cursor `(r, c)` in
//! it, the depth index `d`, and a pending count prefix. Moves are clamped to the shapes.

use crate::nn::analysis::Analysis;
use crate::nn::receptive::ReceptiveField;
use crate::nn::{Shape3, Src};

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Selection {
    pub sel: Src,
    pub cursor: (usize, usize),
    pub d: usize,
    pub count: Option<usize>,
    /// The input's slice panel shows the photo in colour (all of R, G, B) rather than channel d;
    /// `,` below d 0 comes back to it, `.` leaves it for channel d.
    pub rgb: bool,
    /// Where the cursor stands in the input: the centre of its neuron's receptive field, in input
    /// pixels. Changing layers puts the cursor on the neuron whose field is centred nearest to it,
    /// so the cursor keeps its place in the photo; a layer that sees the whole input (fc,
    /// global pool) keeps it for the next spatial layer.
    pub anchor: Option<(f64, f64)>,
    /// The d last chosen: a layer with fewer channels clamps d, and it comes back on a deeper one.
    pub want_d: usize,
}

/// A volume's receptive field when its neurons have a place in the input (`None` for layers
/// that see all of it).
fn field(a: &Analysis, s: Src) -> Option<ReceptiveField> {
    let rf = match s {
        Src::Input => ReceptiveField { size: [1, 1], jump: [1, 1], start: [0, 0] },
        Src::Layer(i) => a.layers.get(i)?.rf,
    };
    (rf.jump[0] > 0 && rf.jump[1] > 0).then_some(rf)
}

/// The input pixel at the centre of neuron `i`'s field along one axis.
fn centre(rf: &ReceptiveField, axis: usize, i: usize) -> f64 {
    rf.start[axis] as f64 + (i * rf.jump[axis]) as f64 + (rf.size[axis] as f64 - 1.0) / 2.0
}

/// The neuron whose field's centre is nearest input pixel `p` along one axis of length `n`.
fn nearest(rf: &ReceptiveField, axis: usize, p: f64, n: usize) -> usize {
    let i = (p - centre(rf, axis, 0)) / rf.jump[axis] as f64;
    (i.round().max(0.0) as usize).min(n.saturating_sub(1))
}

/// Index `i` of an axis of length `a`, moved to the same relative place on an axis of length
/// `b` (the centre of its cell).
pub fn rel_pos(i: usize, a: usize, b: usize) -> usize {
    if a == 0 || b == 0 { 0 } else { ((2 * i + 1) * b / (2 * a)).min(b - 1) }
}

/// Rows of the layer list: the input, then every layer.
pub fn rows(a: &Analysis) -> usize {
    a.layers.len() + 1
}

pub fn row_of(s: Src) -> usize {
    match s {
        Src::Input => 0,
        Src::Layer(i) => i + 1,
    }
}

pub fn src_at(a: &Analysis, row: usize) -> Src {
    match row.min(rows(a) - 1) {
        0 => Src::Input,
        i => Src::Layer(i - 1),
    }
}

impl Selection {
    pub fn new() -> Self {
        Selection {
            sel: Src::Input,
            cursor: (0, 0),
            d: 0,
            count: None,
            rgb: true,
            anchor: None,
            want_d: 0,
        }
    }

    /// Put the cursor on `(r, c)` (clamped), and remember where that is in the input.
    pub fn set_cursor(&mut self, a: &Analysis, r: usize, c: usize) {
        self.cursor = (r, c);
        self.clamp(a);
        self.anchor = self.place(a);
    }

    /// Choose depth `d` (clamped); it is remembered across layers with fewer channels.
    pub fn set_d(&mut self, a: &Analysis, d: usize) {
        self.d = d;
        self.clamp(a);
        self.want_d = self.d;
    }

    /// Where the cursor's neuron looks in the input (its field's centre), if it has a place.
    fn place(&self, a: &Analysis) -> Option<(f64, f64)> {
        let rf = field(a, self.sel)?;
        Some((centre(&rf, 0, self.cursor.0), centre(&rf, 1, self.cursor.1)))
    }

    /// Take the pending count (1 without one).
    pub fn take_count(&mut self) -> usize {
        self.count.take().unwrap_or(1)
    }

    /// A digit of a count prefix; a leading 0 is not a count.
    pub fn digit(&mut self, n: u8) {
        let n = n as usize;
        self.count = match self.count {
            Some(c) => Some((c * 10 + n).min(9999)),
            None if n > 0 => Some(n),
            None => None,
        };
    }

    pub fn move_cursor(&mut self, a: &Analysis, dr: isize, dc: isize) {
        let s = a.shape_of(self.sel);
        let step = |v: usize, dv: isize, n: usize| {
            (v as isize).saturating_add(dv).clamp(0, n.max(1) as isize - 1) as usize
        };
        self.cursor = (step(self.cursor.0, dr, s.h), step(self.cursor.1, dc, s.w));
        self.anchor = self.place(a).or(self.anchor);
    }

    pub fn step_layer(&mut self, a: &Analysis, by: isize) {
        let row = (row_of(self.sel) as isize).saturating_add(by).clamp(0, rows(a) as isize - 1);
        self.select(a, src_at(a, row as usize));
    }

    pub fn step_depth(&mut self, a: &Analysis, by: isize) {
        let d = a.shape_of(self.sel).d;
        self.d = (self.d as isize).saturating_add(by).clamp(0, d.max(1) as isize - 1) as usize;
        self.want_d = self.d;
    }

    /// Select a volume. The cursor goes to the neuron that looks at the same place of the input
    /// (else keeps its relative position); d is the one last chosen, clamped.
    pub fn select(&mut self, a: &Analysis, s: Src) {
        let old = a.shape_of(self.sel);
        let s = src_at(a, row_of(s));
        let new = a.shape_of(s);
        // Until the cursor is moved it has no place to keep: (0, 0) stays (0, 0).
        match (self.anchor, field(a, s)) {
            (Some((y, x)), Some(rf)) => {
                self.cursor = (nearest(&rf, 0, y, new.h), nearest(&rf, 1, x, new.w));
            }
            (_, None) => self.cursor = (0, 0),
            (None, Some(_)) => self.relocate(old, new),
        }
        self.sel = s;
        self.d = self.want_d;
        self.clamp(a);
    }

    /// Move the cursor from a volume of shape `old` to the same relative place in `new`.
    pub fn relocate(&mut self, old: Shape3, new: Shape3) {
        self.cursor = (rel_pos(self.cursor.0, old.h, new.h), rel_pos(self.cursor.1, old.w, new.w));
    }

    /// Forget where the cursor stood in the input (the shapes changed under it).
    pub fn forget_place(&mut self) {
        self.anchor = None;
    }

    /// Keep the cursor, d and the selection inside the current shapes.
    pub fn clamp(&mut self, a: &Analysis) {
        if row_of(self.sel) >= rows(a) {
            self.sel = src_at(a, rows(a) - 1);
        }
        let s = a.shape_of(self.sel);
        self.cursor =
            (self.cursor.0.min(s.h.saturating_sub(1)), self.cursor.1.min(s.w.saturating_sub(1)));
        self.d = self.d.min(s.d.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::testing;

    #[test]
    fn the_cursor_keeps_its_place_in_the_photo_across_layers_and_d_comes_back() {
        let app = testing::alexnet_shapes();
        let a = app.analysis().clone();
        let mut s = Selection::new();
        s.select(&a, Src::Layer(0)); // conv1 55×55×96
        s.set_cursor(&a, 30, 20);
        s.set_d(&a, 90);
        let here = s.place(&a).unwrap();
        // Through the pools and convs the cursor stays on the neuron centred nearest that pixel.
        for i in 1..=14 {
            s.select(&a, Src::Layer(i));
            let rf = field(&a, Src::Layer(i)).unwrap();
            for axis in 0..2 {
                let got = centre(&rf, axis, [s.cursor.0, s.cursor.1][axis]);
                let want = [here.0, here.1][axis];
                assert!(
                    (got - want).abs() <= rf.jump[axis] as f64 / 2.0 + 0.5,
                    "layer {i}: {got} vs {want}"
                );
            }
        }
        // fc6 (1×1×4096) sees everything: the cursor is (0, 0), the place is kept.
        s.select(&a, Src::Layer(15));
        assert_eq!(s.cursor, (0, 0));
        assert_eq!(s.d, 90);
        // Back at conv1: the same neuron, and the same d.
        s.select(&a, Src::Layer(0));
        assert_eq!((s.cursor, s.d), ((30, 20), 90));
        // A layer with fewer channels clamps d; a deeper one brings it back.
        let cifar = testing::cifar_app();
        let b = cifar.analysis().clone();
        let mut s = Selection::new();
        s.select(&b, Src::Layer(0)); // 12 channels
        s.set_d(&b, 11);
        s.select(&b, Src::Layer(3)); // fc 10
        assert_eq!(s.d, 9);
        s.select(&b, Src::Layer(0));
        assert_eq!(s.d, 11);
    }
}
