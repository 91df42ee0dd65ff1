//! The editing popups: the parameter editor (`e`) and the kind chooser (`a`, `t`). Under the
//! text (or the kinds) is the preview of what the edit does — the layer's new output shape with
//! the formula's numbers, every later layer whose shape changes, the weights that are
//! re-initialised — or the error in red, naming the key and the reason.

use super::theme;
use crate::tui::app::App;
use crate::tui::keymap::{Scope, hints};
use crate::tui::popup::{Chooser, ChooserMode, ParamsEditor, Validation};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

/// A rectangle of at most `w × h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let (w, h) = (w.min(area.width), h.min(area.height));
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}

/// `Enter/C-s apply · Esc/C-c cancel`, from the key table.
pub fn keys_line(scope: Scope) -> String {
    let parts: Vec<String> = hints(&[scope]).into_iter().map(|(k, w)| format!("{k} {w}")).collect();
    format!(" {} ", parts.join(" · "))
}

fn old_text(s: Option<crate::nn::Shape3>) -> String {
    s.map_or("new".to_string(), |s| s.to_string())
}

/// The preview of a check, cut to `room` lines.
pub fn preview_lines(app: &App, v: &Validation, room: usize) -> Vec<Line<'static>> {
    let t = theme(app);
    let checking = (!v.done).then(|| Span::styled("  checking…", t.dim()));
    let mut out: Vec<Line<'static>> = Vec::new();
    match &v.shown {
        None => out.push(Line::from(Span::styled("checking…", t.dim()))),
        Some(Err(msg)) => {
            let mut first = vec![Span::styled(format!("✗ {msg}"), t.error())];
            first.extend(checking);
            out.push(Line::from(first));
            out.push(Line::from(Span::styled(
                "Enter does nothing until the text is valid; Esc leaves everything as it was",
                t.dim(),
            )));
        }
        Some(Ok(p)) => {
            let ins: Vec<String> = p.inputs.iter().map(|s| s.to_string()).collect();
            let mut head = vec![
                Span::styled(p.name.clone(), t.accent()),
                Span::styled(format!(" · {}  ", p.kind), t.dim()),
                Span::styled("in ", t.label()),
                Span::raw(ins.join(" + ")),
                Span::styled(" → out ", t.label()),
                Span::styled(p.output.to_string(), t.accent()),
            ];
            match p.before {
                Some(b) if b != p.output => {
                    head.push(Span::styled(format!("  (was {b})"), t.dim()))
                }
                Some(_) => head.push(Span::styled("  (unchanged)", t.dim())),
                None => head.push(Span::styled("  (new layer)", t.dim())),
            }
            head.extend(checking);
            out.push(Line::from(head));
            if let Some(f) = &p.formula {
                out.push(Line::from(Span::styled(f.clone(), t.accent())));
                // The spec's words for the letters of the formula and the shape panel.
                let names = match p.kind {
                    "conv" => "filters = K · size = F · stride = S · pad = P · dilation = d",
                    _ => "size = F · stride = S · pad = P",
                };
                out.push(Line::from(Span::styled(names, t.dim())));
            }
            let (now, was) = p.params;
            if now > 0 || was.is_some_and(|w| w > 0) {
                let count = crate::fmt::count(now);
                let mut l = vec![Span::styled("params ", t.label()), Span::raw(count)];
                match was {
                    Some(w) if w != now => {
                        l.push(Span::styled(format!("  (was {})", crate::fmt::count(w)), t.dim()))
                    }
                    Some(_) => l.push(Span::styled("  (unchanged)", t.dim())),
                    None => {}
                }
                out.push(Line::from(l));
            }
            for w in &p.warnings {
                out.push(Line::from(Span::styled(format!("! {w}"), t.warn())));
            }
            if !p.reinit.is_empty() {
                out.push(Line::from(vec![
                    Span::styled("re-initialized", t.reinit()),
                    Span::raw(format!(" (weight shape changed): {}", p.reinit.join(", "))),
                ]));
            }
            if p.later.is_empty() {
                out.push(Line::from(Span::styled("no later layer changes shape", t.dim())));
            } else {
                out.push(Line::from(Span::styled(
                    format!("later layers that change shape ({}):", p.later.len()),
                    t.label(),
                )));
                let w = p.later.iter().map(|(n, _, _)| n.chars().count()).max().unwrap_or(4);
                let old_w = p.later.iter().map(|(_, o, _)| old_text(*o).chars().count()).max();
                let old_w = old_w.unwrap_or(3);
                let left = room.saturating_sub(out.len());
                let fits =
                    if p.later.len() <= left { p.later.len() } else { left.saturating_sub(1) };
                for (name, old, new) in p.later.iter().take(fits) {
                    let old = old_text(*old);
                    out.push(Line::from(vec![
                        Span::raw(format!("  {name:<w$} {old:>old_w$} → ")),
                        Span::styled(new.to_string(), t.accent()),
                    ]));
                }
                if fits < p.later.len() {
                    out.push(Line::from(Span::styled(
                        format!("  … and {} more", p.later.len() - fits),
                        t.dim(),
                    )));
                }
            }
        }
    }
    out.truncate(room);
    out
}

/// Draw a popup frame; returns its inner area.
fn frame(app: &App, r: Rect, buf: &mut Buffer, title: String, scope: Scope) -> Rect {
    let t = theme(app);
    Clear.render(r, buf);
    let block = Block::bordered()
        .border_style(t.border(true))
        .title(Line::from(title).style(t.title()))
        .title_bottom(Line::from(Span::styled(keys_line(scope), t.dim())));
    let inner = block.inner(r);
    block.render(r, buf);
    inner
}

fn rule(app: &App, x: u16, y: u16, w: u16, buf: &mut Buffer) {
    buf.set_string(x, y, "─".repeat(w as usize), theme(app).dim());
}

fn lines_at(lines: Vec<Line<'static>>, x: u16, y: u16, w: u16, buf: &mut Buffer) {
    for (i, l) in lines.into_iter().enumerate() {
        l.render(Rect::new(x, y + i as u16, w, 1), buf);
    }
}

/// The width popups use on a screen of `area`.
fn popup_width(area: Rect) -> u16 {
    area.width.saturating_sub(4).clamp(20, 84)
}

pub fn render_params(app: &App, ed: &ParamsEditor, area: Rect, buf: &mut Buffer) {
    let text_h = (ed.text.lines().len() as u16 + 1).clamp(3, 8);
    let max_h = area.height.saturating_sub(2);
    let room = max_h.saturating_sub(text_h + 3) as usize;
    let preview = preview_lines(app, &ed.check, room);
    let h = text_h + 3 + preview.len() as u16;
    let r = centered(area, popup_width(area), h);
    let title = format!(" edit {} · {} ", ed.name, ed.kind);
    let inner = frame(app, r, buf, title, Scope::Editor);
    if inner.height == 0 {
        return;
    }
    let text_h = text_h.min(inner.height);
    (&ed.text).render(Rect { height: text_h, ..inner }, buf);
    if inner.height > text_h {
        rule(app, inner.x, inner.y + text_h, inner.width, buf);
    }
    let left = inner.height.saturating_sub(text_h + 1) as usize;
    let preview: Vec<_> = preview.into_iter().take(left).collect();
    lines_at(preview, inner.x, inner.y + text_h + 1, inner.width, buf);
}

pub fn render_chooser(app: &App, ch: &Chooser, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let n = ch.options.len() as u16;
    let max_h = area.height.saturating_sub(2);
    let room = max_h.saturating_sub(n + 3) as usize;
    let preview = preview_lines(app, &ch.check, room);
    let r = centered(area, popup_width(area), n + 3 + preview.len() as u16);
    let title = match ch.mode {
        ChooserMode::Insert => format!(" add a layer after {} ", ch.name),
        ChooserMode::Kind => format!(" change the kind of {} ", ch.name),
    };
    let inner = frame(app, r, buf, title, Scope::Chooser);
    let kinds: Vec<Line<'static>> = ch
        .options
        .iter()
        .enumerate()
        .map(|(i, k)| {
            if i == ch.pick {
                Line::from(format!("▶ {k}")).style(t.selected())
            } else {
                Line::from(format!("  {k}"))
            }
        })
        .collect();
    let n = n.min(inner.height);
    lines_at(kinds.into_iter().take(n as usize).collect(), inner.x, inner.y, inner.width, buf);
    if inner.height > n {
        rule(app, inner.x, inner.y + n, inner.width, buf);
    }
    let left = inner.height.saturating_sub(n + 1) as usize;
    lines_at(preview.into_iter().take(left).collect(), inner.x, inner.y + n + 1, inner.width, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::popup::Popup;
    use crate::tui::testing;
    use crossterm::event::KeyCode;
    use ratatui::style::Color;

    fn draw(app: &App, w: u16, h: u16) -> ratatui::Terminal<ratatui::backend::TestBackend> {
        testing::render(app, w, h, |app, area, buf| match &app.popup() {
            Some(Popup::Params(ed)) => render_params(app, ed, area, buf),
            Some(Popup::Choose(ch)) => render_chooser(app, ch, area, buf),
            _ => {}
        })
    }

    #[test]
    fn a_valid_edit_previews_the_new_shape_and_the_layers_after_it() {
        let mut app = testing::alexnet_edit_app();
        app.update(crate::tui::action::Action::Select(crate::nn::Src::Layer(0)));
        app.update(crate::tui::action::Action::Edit);
        // Down to `stride = 4`, delete the 4, type 2.
        testing::press(&mut app, &[KeyCode::Down, KeyCode::Down, KeyCode::End, KeyCode::Backspace]);
        testing::type_str(&mut app, "2");
        testing::run_checks(&mut app);
        let term = draw(&app, 90, 30);
        insta::assert_snapshot!(term.backend());
        let text = testing::text(&term);
        assert!(text.contains("stride = 2"), "{text}");
        assert!(text.contains("(227 − 11 + 2·0)/2 + 1 = 109"), "{text}");
        assert!(text.contains("out 109×109×96  (was 55×55×96)"), "{text}");
        assert!(text.contains("pool1  27×27×96 → 54×54×96"), "{text}");
        assert!(text.contains("re-initialized (weight shape changed): fc6"), "{text}");
    }

    #[test]
    fn an_invalid_edit_shows_the_key_and_the_reason_in_red() {
        let mut app = testing::alexnet_edit_app();
        app.update(crate::tui::action::Action::Select(crate::nn::Src::Layer(0)));
        app.update(crate::tui::action::Action::Edit);
        testing::press(&mut app, &[KeyCode::Down, KeyCode::Down, KeyCode::End, KeyCode::Backspace]);
        testing::type_str(&mut app, "0");
        testing::run_checks(&mut app);
        let term = draw(&app, 90, 16);
        insta::assert_snapshot!(term.backend());
        let text = testing::text(&term);
        let (y, line) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains("✗ stride 0 is not allowed (S ≥ 1)"))
            .unwrap_or_else(|| panic!("no error line:\n{text}"));
        let x = line.chars().position(|c| c == '✗').unwrap() as u16;
        let buf = term.backend().buffer();
        for dx in 0..20 {
            assert_eq!(buf[(x + dx, y as u16)].fg, Color::Red, "cell {dx} of the error line");
        }
        // The preview line under it is not red.
        assert_ne!(buf[(x, y as u16 + 1)].fg, Color::Red);
    }

    #[test]
    fn the_chooser_previews_each_kind() {
        let mut app = testing::alexnet_edit_app();
        app.update(crate::tui::action::Action::Select(crate::nn::Src::Layer(1)));
        app.update(crate::tui::action::Action::InsertAfter);
        app.update(crate::tui::action::Action::ChoiceNext);
        app.update(crate::tui::action::Action::ChoiceNext); // maxpool
        testing::run_checks(&mut app);
        let text = testing::text(&draw(&app, 90, 24));
        assert!(text.contains("add a layer after relu1"), "{text}");
        assert!(text.contains("▶ maxpool"), "{text}");
        assert!(
            text.contains("maxpool_new1 · maxpool  in 55×55×96 → out 27×27×96  (new layer)"),
            "{text}"
        );
        assert!(text.contains("(55 − 2 + 2·0)/2 + 1 = 27.5 → 27 (floor)"), "{text}");
        // The layers after it were there before: old → new shapes, not "new".
        assert!(text.contains("27×27×96 → 13×13×96"), "{text}");
        assert!(!text.contains(" new →"), "{text}");
    }
}
