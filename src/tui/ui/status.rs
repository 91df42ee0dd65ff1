//! The status bar: the keys of the current panel (from the key table), then a message, a
//! pending count, or the colour tier.

use super::theme;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::{BINDINGS, Scope, hints};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// `2 edits · u undo · C-r redo`, with the keys from the key table.
pub fn edits_note(app: &App) -> String {
    let key = |a: Action| {
        BINDINGS
            .iter()
            .find(|b| b.action == a && b.scope == Scope::Global)
            .and_then(|b| b.keys.first())
            .map(|k| k.label())
            .unwrap_or_default()
    };
    let n = app.history().undo_len();
    let mut s = format!("{n} edit{}", if n == 1 { "" } else { "s" });
    if app.history().can_undo() {
        s.push_str(&format!(" · {} undo", key(Action::Undo)));
    }
    if app.history().can_redo() {
        s.push_str(&format!(" · {} redo", key(Action::Redo)));
    }
    s
}

/// The status bar; `compact` (panels take turns, see the tab strip) puts the key that cycles
/// them first.
pub fn render(app: &App, area: Rect, buf: &mut Buffer, compact: bool) {
    let t = theme(app);
    let right = match (&app.alert(), &app.message(), app.count()) {
        (Some(e), _, _) => Span::styled(e.to_string(), t.error()),
        (None, Some(m), _) => Span::styled(m.to_string(), t.accent()),
        (None, None, Some(n)) => Span::styled(format!("count {n}…"), t.accent()),
        (None, None, None) if app.history().can_undo() || app.history().can_redo() => {
            Span::styled(edits_note(app), t.accent())
        }
        (None, None, None) => {
            Span::styled(format!("{} · {}", app.tier().name(), app.graphics().name()), t.dim())
        }
    };
    let rw = (right.width() as u16).min(area.width);
    let mut spans = Vec::new();
    let mut used = 0usize;
    let room = area.width.saturating_sub(rw + 1) as usize;
    let mut hints = hints(&app.scopes());
    // In a compact layout panels take turns: the key that reaches them goes first.
    if compact && let Some(i) = hints.iter().position(|(_, word)| *word == "panel") {
        let tab = hints.remove(i);
        hints.insert(0, tab);
    }
    for (keys, word) in hints {
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
    use crate::tui::action::Action;
    use crate::tui::app::App;
    use crate::tui::state::Focus;
    use crate::tui::testing;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    #[test]
    fn the_status_bar_follows_the_focus() {
        let mut app = testing::alexnet_shapes();
        let wide = |app: &App, area: Rect, buf: &mut Buffer| super::render(app, area, buf, false);
        let term = testing::render(&app, 120, 1, wide);
        insta::assert_snapshot!(term.backend());
        app.update(Action::Focus(Focus::Slice));
        let text = testing::text(&testing::render(&app, 120, 1, wide));
        assert!(text.starts_with("? help  q quit  hjkl move"), "{text}");
        // When panels take turns, the key that reaches them comes first.
        let compact = |app: &App, area: Rect, buf: &mut Buffer| super::render(app, area, buf, true);
        let text = testing::text(&testing::render(&app, 80, 1, compact));
        assert!(text.starts_with("Tab panel  ? help"), "{text}");
    }
}
