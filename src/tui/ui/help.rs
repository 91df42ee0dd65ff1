//! The `?` overlay, generated from the key table so it never drifts from the bindings.

use super::theme;
use crate::tui::app::App;
use crate::tui::keymap::{BINDINGS, Scope, keys_label};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

const SCOPES: [Scope; 6] =
    [Scope::Global, Scope::Layers, Scope::Column, Scope::Montage, Scope::Filters, Scope::Dead];

/// Every line of the help, in table order, grouped by scope.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = theme(app);
    let mut out = Vec::new();
    for scope in SCOPES {
        out.push(Line::from(Span::styled(scope.title().to_string(), t.title())));
        for b in BINDINGS.iter().filter(|b| b.scope == scope) {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<14}", keys_label(b)), t.accent()),
                Span::raw(b.help.to_string()),
            ]));
        }
        out.push(Line::from(""));
    }
    out.push(Line::from(Span::styled("mouse", t.title())));
    for (k, h) in [
        ("click map", "put the cursor there"),
        ("wheel", "depth d − 1 / d + 1"),
        ("click list", "select a layer (or a channel, a slice)"),
    ] {
        out.push(Line::from(vec![Span::styled(format!("  {k:<14}"), t.accent()), Span::raw(h)]));
    }
    out
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let all = lines(app);
    let col_w = all.iter().map(|l| l.width()).max().unwrap_or(20) as u16 + 2;
    let inner_h = area.height.saturating_sub(4).max(1);
    let cols = (all.len() as u16).div_ceil(inner_h).max(1);
    let w = (cols * col_w + 2).min(area.width);
    let h = ((all.len() as u16).div_ceil(cols) + 2).min(area.height);
    let r = Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h);
    Clear.render(r, buf);
    let block = Block::bordered()
        .title(Line::from(" keys · ? or Esc closes ").style(theme(app).title()))
        .border_style(theme(app).border(true));
    let inner = block.inner(r);
    block.render(r, buf);
    let per_col = inner.height.max(1) as usize;
    for (i, line) in all.iter().enumerate() {
        let (c, y) = ((i / per_col) as u16, (i % per_col) as u16);
        let x = inner.x + c * col_w;
        if x >= inner.right() {
            break;
        }
        let cell = Rect::new(x, inner.y + y, col_w.min(inner.right() - x), 1);
        line.clone().render(cell, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::BINDINGS;
    use crate::tui::testing;

    #[test]
    fn help_lists_every_binding_of_the_table() {
        let app = testing::alexnet_shapes();
        let term = testing::render(&app, 120, 40, render);
        insta::assert_snapshot!(term.backend());
        let text = testing::text(&term);
        for b in BINDINGS.iter().filter(|b| b.scope != Scope::Help) {
            assert!(text.contains(b.help), "missing: {}", b.help);
        }
    }
}
