//! The `?` overlay, generated from the key table so it never drifts from the bindings. It is
//! laid out in columns; when they do not all fit, Space shows the next page.

use super::theme;
use crate::tui::app::App;
use crate::tui::keymap::{BINDINGS, SCOPES, keys_label};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

/// Every line of the help, in table order, grouped by scope.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = theme(app);
    let mut out = Vec::new();
    for scope in SCOPES {
        out.push(Line::from(Span::styled(scope.title().to_string(), t.title())));
        for b in BINDINGS.iter().filter(|b| b.scope == scope) {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<12}", keys_label(b)), t.accent()),
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
        out.push(Line::from(vec![Span::styled(format!("  {k:<12}"), t.accent()), Span::raw(h)]));
    }
    out
}

/// How the help is laid out on a screen of `area`: lines per column, column width, columns
/// per page and the number of pages.
pub fn pages(app: &App, area: Rect) -> (usize, u16, usize, usize) {
    let all = lines(app);
    let col_w = all.iter().map(|l| l.width()).max().unwrap_or(20) as u16 + 2;
    let per_col = area.height.saturating_sub(4).max(1) as usize;
    let cols = all.len().div_ceil(per_col).max(1);
    let fit = (area.width.saturating_sub(2) / col_w.max(1)).max(1) as usize;
    (per_col, col_w, fit, cols.div_ceil(fit))
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let all = lines(app);
    let (per_col, col_w, fit, n_pages) = pages(app, area);
    let page = app.help_page() % n_pages;
    let shown: Vec<&Line> = all.iter().skip(page * fit * per_col).take(fit * per_col).collect();
    let cols = shown.len().div_ceil(per_col).max(1) as u16;
    let w = (cols * col_w + 2).min(area.width);
    let h = (shown.len().min(per_col) as u16 + 2).min(area.height);
    let r = Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h);
    Clear.render(r, buf);
    let title = if n_pages > 1 {
        format!(" keys · page {}/{n_pages} · Space next · ? or Esc closes ", page + 1)
    } else {
        " keys · ? or Esc closes ".to_string()
    };
    let block = Block::bordered()
        .title(Line::from(title).style(theme(app).title()))
        .border_style(theme(app).border(true));
    let inner = block.inner(r);
    block.render(r, buf);
    for (i, line) in shown.into_iter().enumerate() {
        let (c, y) = ((i / per_col) as u16, (i % per_col) as u16);
        let x = inner.x + c * col_w;
        if x >= inner.right() || y >= inner.height {
            break;
        }
        let cell = Rect::new(x, inner.y + y, col_w.min(inner.right() - x), 1);
        line.clone().render(cell, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::{BINDINGS, Scope};
    use crate::tui::testing;

    #[test]
    fn help_lists_every_binding_of_the_table_over_its_pages() {
        let mut app = testing::alexnet_shapes();
        let term = testing::render(&app, 120, 40, render);
        insta::assert_snapshot!(term.backend());
        let (_, _, _, n) = pages(&app, Rect::new(0, 0, 120, 40));
        assert_eq!(n, 3, "120×40 needs three pages");
        let mut text = String::new();
        app.update(crate::tui::action::Action::Help);
        for p in 0..n {
            if p > 0 {
                app.update(crate::tui::action::Action::HelpPage);
            }
            text.push_str(&testing::text(&testing::render(&app, 120, 40, render)));
        }
        assert!(text.contains("page 3/3 · Space next"), "{text}");
        for b in BINDINGS.iter().filter(|b| b.scope != Scope::Help) {
            assert!(text.contains(b.help), "missing: {}", b.help);
        }
        // A page past the last wraps to the first.
        app.update(crate::tui::action::Action::HelpPage);
        let first = testing::text(&testing::render(&app, 120, 40, render));
        assert!(first.contains("page 1/3"), "{first}");
    }
}
