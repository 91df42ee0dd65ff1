//! The status bar: the keys of the current panel (from the key table), then a message, a
//! pending count, or the colour tier.

use super::theme;
use crate::tui::app::App;
use crate::tui::keymap::hints;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let right = match (&app.message, app.count) {
        (Some(m), _) => Span::styled(m.clone(), t.accent()),
        (None, Some(n)) => Span::styled(format!("count {n}…"), t.accent()),
        (None, None) => Span::styled(app.tier.name(), t.dim()),
    };
    let rw = (right.width() as u16).min(area.width);
    let mut spans = Vec::new();
    let mut used = 0usize;
    let room = area.width.saturating_sub(rw + 1) as usize;
    for (keys, word) in hints(&app.scopes()) {
        let piece = format!("{keys} {word}");
        let w = piece.chars().count() + 2;
        if used + w > room {
            break;
        }
        used += w;
        spans.push(Span::styled(keys, t.accent()));
        spans.push(Span::styled(format!(" {word}  "), t.dim()));
    }
    Line::from(spans).render(Rect { width: room as u16, ..area }, buf);
    Line::from(right).render(Rect { x: area.right() - rw, width: rw, ..area }, buf);
}

#[cfg(test)]
mod tests {
    use crate::tui::app::Focus;
    use crate::tui::testing;

    #[test]
    fn the_status_bar_follows_the_focus() {
        let mut app = testing::alexnet_shapes();
        let term = testing::render(&app, 120, 1, super::render);
        insta::assert_snapshot!(term.backend());
        app.focus = Focus::Slice;
        let text = testing::text(&testing::render(&app, 120, 1, super::render));
        assert!(text.starts_with("? help  q quit  hjkl move"), "{text}");
    }
}
