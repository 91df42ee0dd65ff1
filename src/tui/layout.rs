//! Where each panel goes, as a pure function of the screen size and the state. Drawing and mouse
//! hit-testing both call [`areas`], so a click always lands on what was drawn.
//!
//! - **Wide** (≥ 110×30): layers over shape on the left, slice over explain in the middle, the
//!   depth column on the right; everything readable at once at 120×40.
//! - **Compact**: the layer list on the left (when there is room) and one panel stacked in the
//!   rest: the focused one among slice, column, shape and explain (Tab cycles).
//! - Below [`MIN_SIZE`]: the "terminal too small" message.

use super::app::App;
use super::state::{Focus, View};
use ratatui::layout::Rect;

/// The smallest screen the explorer draws on: `(cols, rows)`.
pub const MIN_SIZE: (u16, u16) = (40, 12);
/// From this size on, all dashboard panels are shown at once.
pub const WIDE: (u16, u16) = (110, 30);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub too_small: bool,
    pub header: Rect,
    pub status: Rect,
    /// Everything between header and status (views use it whole).
    pub body: Rect,
    pub layers: Option<Rect>,
    pub slice: Option<Rect>,
    pub column: Option<Rect>,
    pub shape: Option<Rect>,
    pub explain: Option<Rect>,
    /// A classifier's top-5 classes (networks with labels), under the depth column.
    pub top5: Option<Rect>,
    /// Compact layouts: the one-line strip above the stacked panel that names the panels
    /// sharing that place and the key that reaches each ([`stacked`] lists them).
    pub tabs: Option<Rect>,
    /// Which panels share the stacked place (compact layouts), in Tab order; `shown` is drawn.
    pub stacked: Stacked,
}

/// The panels that take turns in a compact layout's shared place, and the one on screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stacked {
    /// Indices into [`Focus::ORDER`] of the panels sharing the place (a bit per panel).
    mask: u8,
    pub shown: Option<Focus>,
}

impl Stacked {
    pub fn panels(&self) -> impl Iterator<Item = Focus> + '_ {
        Focus::ORDER
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.mask & (1 << i) != 0)
            .map(|(_, f)| f)
    }
    fn add(&mut self, f: Focus) {
        if let Some(i) = Focus::ORDER.iter().position(|g| *g == f) {
            self.mask |= 1 << i;
        }
    }
}

impl Areas {
    pub fn of(&self, f: Focus) -> Option<Rect> {
        match f {
            Focus::Layers => self.layers,
            Focus::Slice => self.slice,
            Focus::Column => self.column,
            Focus::Shape => self.shape,
            Focus::Explain => self.explain,
        }
    }
}

/// The width the layer list wants: marker, index, name, kind, shape, warning mark, borders.
pub fn layers_width(app: &App) -> u16 {
    let name =
        (0..app.rows()).map(|i| app.name_of(app.src_at(i)).chars().count()).max().unwrap_or(5);
    let kind = app.net().layers.iter().map(|l| l.kind.type_name().len()).max().unwrap_or(4);
    let shape = (0..app.rows()).map(|i| app.shape(app.src_at(i)).to_string().chars().count()).max();
    let idx = app.rows().to_string().len().max(2);
    (2 + idx + 1 + name + 1 + kind + 1 + shape.unwrap_or(8) + 2) as u16
}

pub fn areas(app: &App, area: Rect) -> Areas {
    let (w, h) = (area.width, area.height);
    let mut a = Areas::default();
    if w < MIN_SIZE.0 || h < MIN_SIZE.1 {
        a.too_small = true;
        a.body = area;
        return a;
    }
    a.header = Rect::new(area.x, area.y, w, 1);
    a.status = Rect::new(area.x, area.y + h - 1, w, 1);
    a.body = Rect::new(area.x, area.y + 1, w, h - 2);
    if app.view() != View::Main {
        return a;
    }
    let body = a.body;
    if app.zoom() {
        set(&mut a, app.focus(), body);
        return a;
    }
    if w >= WIDE.0 && h >= WIDE.1 {
        // Past 150 columns the extra width goes to the left (the shape panel's formulas) and
        // to the slice; the depth column keeps its width.
        let left = layers_width(app).clamp(34, 36).max((w / 5).min(48));
        let right = if w >= 150 { 39 } else { 37 };
        let mid = w - left - right;
        // The list takes what the shape panel (24 rows) leaves, at least 2/5 of the height.
        let lh = (app.rows() as u16 + 2)
            .clamp(6, (body.height * 2 / 5).max(body.height.saturating_sub(24)).max(6));
        a.layers = Some(Rect::new(body.x, body.y, left, lh));
        a.shape = Some(Rect::new(body.x, body.y + lh, left, body.height - lh));
        let sh = (body.height * 5 / 8).max(10);
        a.slice = Some(Rect::new(body.x + left, body.y, mid, sh));
        a.explain = Some(Rect::new(body.x + left, body.y + sh, mid, body.height - sh));
        let top5 = if super::ui::top5::applies(app) { super::ui::top5::HEIGHT } else { 0 };
        a.column = Some(Rect::new(body.x + left + mid, body.y, right, body.height - top5));
        if top5 > 0 {
            a.top5 = Some(Rect::new(body.x + left + mid, body.bottom() - top5, right, top5));
        }
        return a;
    }
    // Compact: the list on the left when there is room, the depth column on the right when
    // there is room, and one stacked panel in the rest.
    let mut rest = body;
    if w >= 72 {
        let left = layers_width(app).clamp(22, 30);
        a.layers = Some(Rect::new(body.x, body.y, left, body.height));
        rest = Rect::new(body.x + left, body.y, w - left, body.height);
    }
    if w >= 96 {
        let right = 33;
        a.column = Some(Rect::new(rest.right() - right, rest.y, right, rest.height));
        rest.width -= right;
    }
    let shown = match app.focus() {
        Focus::Layers if a.layers.is_none() => Focus::Layers,
        Focus::Column if a.column.is_none() => Focus::Column,
        Focus::Layers | Focus::Column => Focus::Slice,
        f => f,
    };
    for f in Focus::ORDER {
        let own_place = match f {
            Focus::Layers => a.layers.is_some(),
            Focus::Column => a.column.is_some(),
            _ => false,
        };
        if !own_place {
            a.stacked.add(f);
        }
    }
    a.stacked.shown = Some(shown);
    if rest.height > 4 {
        a.tabs = Some(Rect { height: 1, ..rest });
        rest = Rect { y: rest.y + 1, height: rest.height - 1, ..rest };
    }
    set(&mut a, shown, rest);
    a
}

fn set(a: &mut Areas, f: Focus, r: Rect) {
    match f {
        Focus::Layers => a.layers = Some(r),
        Focus::Slice => a.slice = Some(r),
        Focus::Column => a.column = Some(r),
        Focus::Shape => a.shape = Some(r),
        Focus::Explain => a.explain = Some(r),
    }
}

/// The panels Tab cycles through at the current size: all five (compact layouts stack the
/// hidden ones in the shared area, so each is one Tab away).
pub fn focusable(_app: &App) -> Vec<Focus> {
    Focus::ORDER.to_vec()
}

/// The smallest and largest montage thumbnail widths.
pub const THUMB_MIN: u16 = 6;
pub const THUMB_MAX: u16 = 32;

/// The montage grid for the current size: `(per_row, thumb_cols, thumb_rows, rows_visible)`.
/// Each thumbnail has one more row for its label and one column of gap.
pub fn montage_grid(app: &App) -> (usize, u16, u16, usize) {
    let (w, h) = app.size();
    let inner_w = w.saturating_sub(2) as usize;
    let inner_h = h.saturating_sub(4) as usize;
    let n = app.shape(app.sel()).d.max(1);
    let grid = |tw: usize| {
        let th = (tw / 2).max(1);
        let per_row = ((inner_w + 1) / (tw + 1)).max(1);
        let rows_fit = (inner_h / (th + 1)).max(1);
        (per_row, tw as u16, th as u16, rows_fit)
    };
    // The largest thumbnails that show every slice, but never smaller than the user asked for
    // (then the slices are paged).
    let min = app.thumb_min().clamp(THUMB_MIN, THUMB_MAX) as usize;
    for tw in (min..=THUMB_MAX as usize).rev() {
        let (per_row, tw, th, rows_fit) = grid(tw);
        if n.div_ceil(per_row) <= rows_fit {
            return (per_row, tw, th, rows_fit);
        }
    }
    grid(min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use crate::tui::testing;

    #[test]
    fn at_120x40_every_panel_is_on_screen_and_none_overlap() {
        let app = testing::alexnet_shapes();
        let a = areas(&app, Rect::new(0, 0, 120, 40));
        assert!(!a.too_small);
        let panels: Vec<Rect> = Focus::ORDER.iter().map(|f| a.of(*f).unwrap()).collect();
        for (i, p) in panels.iter().enumerate() {
            assert!(a.body.contains(p.as_position()) && p.right() <= 120 && p.bottom() <= 39);
            for q in &panels[i + 1..] {
                assert!(!p.intersects(*q), "{p:?} overlaps {q:?}");
            }
        }
        // The depth column fits its title; the slice gets most of the height.
        let s = a.slice.unwrap();
        assert!(s.width >= 45 && s.height >= 23, "{s:?}");
    }

    #[test]
    fn at_200x60_the_room_goes_to_the_slice_and_the_shape_panel() {
        let app = testing::alexnet_shapes();
        let small = areas(&app, Rect::new(0, 0, 120, 40));
        let big = areas(&app, Rect::new(0, 0, 200, 60));
        let (s0, s1) = (small.slice.unwrap(), big.slice.unwrap());
        let (p0, p1) = (small.shape.unwrap(), big.shape.unwrap());
        assert!(s1.width >= 2 * s0.width && s1.height > s0.height, "{s0:?} {s1:?}");
        assert!(p1.width >= 40 && p1.width > p0.width && p1.height > p0.height, "{p0:?} {p1:?}");
        // The depth column does not grow past what its bars need.
        assert!(big.column.unwrap().width <= 40);
    }

    #[test]
    fn small_screens_stack_then_refuse() {
        let mut app = testing::alexnet_shapes();
        let a = areas(&app, Rect::new(0, 0, 80, 24));
        assert!(a.layers.is_some() && a.slice.is_some() && a.explain.is_none());
        let a = areas(&app, Rect::new(0, 0, 100, 30));
        assert!(a.layers.is_some() && a.slice.is_some() && a.column.is_some());
        app.update(Action::Focus(Focus::Explain));
        let a = areas(&app, Rect::new(0, 0, 60, 20));
        assert!(a.layers.is_none() && a.explain.is_some());
        app.update(Action::Zoom);
        let a = areas(&app, Rect::new(0, 0, 120, 40));
        assert_eq!(a.explain, Some(a.body));
        assert!(a.slice.is_none() && a.layers.is_none());
        for (w, h) in [(20, 6), (1, 1), (0, 0), (39, 40)] {
            assert!(areas(&app, Rect::new(0, 0, w, h)).too_small);
        }
    }
}
