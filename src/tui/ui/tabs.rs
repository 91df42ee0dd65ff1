//! The tab strip of compact layouts (below 110×30): one line above the shared place that names
//! every panel taking turns there, marks the one on screen, and gives the key that reaches the
//! others. A click on a name shows that panel.

use super::theme;
use crate::tui::app::App;
use crate::tui::layout::Stacked;
use crate::tui::state::Focus;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// What the strip starts with: the key that cycles the panels.
const LEAD: &str = "Tab ▸ ";
const TAIL: &str = "  z zoom";

/// A panel's name on the strip: long when everything fits, short otherwise.
fn names(f: Focus) -> [&'static str; 2] {
    match f {
        Focus::Layers => ["layer list", "layers"],
        Focus::Slice => ["depth slice", "slice"],
        Focus::Column => ["depth column", "column"],
        Focus::Shape => ["shape", "shape"],
        Focus::Explain => ["explain", "explain"],
    }
}

/// Each entry of the strip with its place, `[name]` for the one shown: the long names if they
/// all fit, else the short ones.
pub fn entries(stacked: &Stacked, area: Rect) -> Vec<(Focus, Rect, String)> {
    let lead = LEAD.chars().count() as u16;
    for form in 0..2 {
        let mut x = area.x + lead;
        let mut out = Vec::new();
        for f in stacked.panels() {
            let name = names(f)[form];
            let text =
                if stacked.shown == Some(f) { format!("[{name}]") } else { format!(" {name} ") };
            let w = text.chars().count() as u16;
            out.push((f, Rect::new(x, area.y, w, 1), text));
            x += w + 1;
        }
        if x <= area.right() || form == 1 {
            return out;
        }
    }
    Vec::new()
}

/// The panel whose name is under column `x` of the strip.
pub fn panel_at(stacked: &Stacked, area: Rect, x: u16) -> Option<Focus> {
    entries(stacked, area).into_iter().find(|(_, r, _)| x >= r.x && x < r.right()).map(|(f, ..)| f)
}

pub fn render(app: &App, stacked: &Stacked, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    buf.set_stringn(area.x, area.y, LEAD, area.width as usize, t.accent());
    let mut end = area.x;
    for (f, r, text) in entries(stacked, area) {
        if r.x >= area.right() {
            break;
        }
        let style = if stacked.shown == Some(f) { t.selected() } else { t.dim() };
        let room = (area.right() - r.x) as usize;
        buf.set_stringn(r.x, r.y, &text, room, style);
        end = r.right().min(area.right());
    }
    let tail = TAIL.chars().count() as u16;
    if end + tail < area.right() {
        buf.set_stringn(area.right() - tail, area.y, TAIL, tail as usize, t.dim());
    }
}

#[cfg(test)]
mod tests {
    use crate::tui::action::Action;
    use crate::tui::layout::areas;
    use crate::tui::state::Focus;
    use crate::tui::testing;
    use ratatui::layout::Rect;

    #[test]
    fn at_80x24_the_strip_names_every_hidden_panel_and_marks_the_shown_one() {
        let mut app = testing::alexnet_shapes();
        let a = areas(&app, Rect::new(0, 0, 80, 24));
        let strip = a.tabs.expect("a tab strip at 80×24");
        let panels: Vec<Focus> = a.stacked.panels().collect();
        assert_eq!(panels, [Focus::Slice, Focus::Column, Focus::Shape, Focus::Explain]);
        let term = testing::render(&app, 80, 24, super::super::draw);
        let row = testing::text(&term).lines().nth(strip.y as usize).unwrap().to_string();
        for word in ["Tab", "slice]", "column", "shape", "explain"] {
            assert!(row.contains(word), "{word} missing from {row:?}");
        }
        // A click on "explain" shows the explain panel, and the strip follows.
        let (_, r, _) = super::entries(&a.stacked, strip)
            .into_iter()
            .find(|(f, ..)| *f == Focus::Explain)
            .unwrap();
        assert_eq!(super::panel_at(&a.stacked, strip, r.x + 1), Some(Focus::Explain));
        app.update(Action::Focus(Focus::Explain));
        let a = areas(&app, Rect::new(0, 0, 80, 24));
        assert!(a.explain.is_some() && a.slice.is_none());
        let term = testing::render(&app, 80, 24, super::super::draw);
        let row = testing::text(&term).lines().nth(strip.y as usize).unwrap().to_string();
        assert!(row.contains("[explain]") && row.contains(" slice "), "{row:?}");
    }

    #[test]
    fn wide_screens_have_no_strip_and_narrow_ones_use_short_names() {
        let app = testing::alexnet_shapes();
        assert!(areas(&app, Rect::new(0, 0, 120, 40)).tabs.is_none());
        let a = areas(&app, Rect::new(0, 0, 60, 20));
        let strip = a.tabs.unwrap();
        let e = super::entries(&a.stacked, strip);
        assert_eq!(e[0].2, "[layers]");
        assert!(e.last().unwrap().1.right() <= strip.right(), "{e:?}");
    }
}
