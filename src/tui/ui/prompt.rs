//! The save prompt (`w`): a path, what will be written, and why the last try failed.

use super::editor::{centered, keys_line};
use super::theme;
use crate::tui::app::App;
use crate::tui::keymap::Scope;
use crate::tui::popup::SavePrompt;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

pub fn render(app: &App, p: &SavePrompt, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let w = area.width.saturating_sub(4).clamp(20, 84);
    let r = centered(area, w, 8);
    Clear.render(r, buf);
    let block = Block::bordered()
        .border_style(t.border(true))
        .title(Line::from(" save the network as a spec ").style(t.title()))
        .title_bottom(Line::from(Span::styled(keys_line(Scope::Prompt), t.dim())));
    let inner = block.inner(r);
    block.render(r, buf);
    if inner.height == 0 {
        return;
    }
    let label = "path ";
    buf.set_string(inner.x, inner.y, label, t.label());
    let lw = label.len() as u16;
    (&p.text).render(Rect::new(inner.x + lw, inner.y, inner.width.saturating_sub(lw), 1), buf);
    let note = match (&p.error, p.saving) {
        (_, true) => Line::from(Span::styled("saving…", t.warn())),
        (Some(e), _) => Line::from(Span::styled(format!("✗ {e}"), t.error())),
        (None, _) => Line::from(Span::styled(
            "a .toml spec; weights from files and re-initialized ones go beside it as .npy. \
             The model the network came from is never overwritten.",
            t.dim(),
        )),
    };
    let rest = Rect { y: inner.y + 2, height: inner.height.saturating_sub(2), ..inner };
    Paragraph::new(note).wrap(Wrap { trim: true }).render(rest, buf);
}

/// The class prompt of the class-map view: what was typed and the labels it matches.
pub fn render_class(app: &App, p: &SavePrompt, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let w = area.width.saturating_sub(4).clamp(20, 84);
    let r = centered(area, w, 9);
    Clear.render(r, buf);
    let block = Block::bordered()
        .border_style(t.border(true))
        .title(Line::from(" class map of which class? ").style(t.title()))
        .title_bottom(Line::from(Span::styled("Enter: pick · Esc: cancel", t.dim())));
    let inner = block.inner(r);
    block.render(r, buf);
    if inner.height == 0 {
        return;
    }
    let label = "class ";
    buf.set_string(inner.x, inner.y, label, t.label());
    let lw = label.len() as u16;
    (&p.text).render(Rect::new(inner.x + lw, inner.y, inner.width.saturating_sub(lw), 1), buf);
    let typed = p.path().to_lowercase();
    let mut lines = Vec::new();
    if let Some(e) = &p.error {
        lines.push(Line::from(Span::styled(format!("✗ {e}"), t.error())));
    }
    let labels = app.net().labels.clone().unwrap_or_default();
    let hits: Vec<String> = labels
        .iter()
        .enumerate()
        .filter(|(_, l)| !typed.is_empty() && l.to_lowercase().contains(&typed))
        .take(4)
        .map(|(i, l)| format!("{i:>4}  {l}"))
        .collect();
    if hits.is_empty() {
        lines.push(Line::from(Span::styled(
            "a label (or a unique part of one), or the class index",
            t.dim(),
        )));
    }
    lines.extend(hits.into_iter().map(|h| Line::from(Span::styled(h, t.dim()))));
    let rest = Rect { y: inner.y + 2, height: inner.height.saturating_sub(2), ..inner };
    Paragraph::new(lines).wrap(Wrap { trim: true }).render(rest, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::popup::Popup;
    use crate::tui::testing;

    #[test]
    fn a_failed_save_says_why_and_keeps_the_path() {
        let mut app = testing::alexnet_edit_app();
        app.update(crate::tui::action::Action::Save);
        let Some(Popup::Save(p)) = &app.popup() else { panic!("the prompt opens") };
        assert_eq!(p.path(), "alexnet-edited.toml");
        app.update(crate::tui::app::Msg::Saved(
            "nope/x.toml".into(),
            Err("nope: no such folder".into()),
        ));
        let Some(Popup::Save(p)) = &app.popup() else { panic!("the prompt stays open") };
        let term = testing::render(&app, 70, 12, |app, area, buf| render(app, p, area, buf));
        let text = testing::text(&term);
        assert!(text.contains("✗ nope: no such folder"), "{text}");
        assert!(text.contains("path alexnet-edited.toml"), "{text}");
    }
}
