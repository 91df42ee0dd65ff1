//! What is selected: a volume (the input or a layer's output), the neuron cursor `(r, c)` in
//! it, the depth index `d`, and a pending count prefix. Moves are clamped to the shapes.

use crate::nn::analysis::Analysis;
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
        Selection { sel: Src::Input, cursor: (0, 0), d: 0, count: None, rgb: true }
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
    }

    pub fn step_layer(&mut self, a: &Analysis, by: isize) {
        let row = (row_of(self.sel) as isize).saturating_add(by).clamp(0, rows(a) as isize - 1);
        self.select(a, src_at(a, row as usize));
    }

    pub fn step_depth(&mut self, a: &Analysis, by: isize) {
        let d = a.shape_of(self.sel).d;
        self.d = (self.d as isize).saturating_add(by).clamp(0, d.max(1) as isize - 1) as usize;
    }

    /// Select a volume; the cursor keeps its relative position and d is clamped.
    pub fn select(&mut self, a: &Analysis, s: Src) {
        let old = a.shape_of(self.sel);
        let s = src_at(a, row_of(s));
        self.relocate(old, a.shape_of(s));
        self.sel = s;
        self.clamp(a);
    }

    /// Move the cursor from a volume of shape `old` to the same relative place in `new`.
    pub fn relocate(&mut self, old: Shape3, new: Shape3) {
        self.cursor = (rel_pos(self.cursor.0, old.h, new.h), rel_pos(self.cursor.1, old.w, new.w));
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
