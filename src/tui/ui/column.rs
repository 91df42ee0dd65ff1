//! The depth column `X[r, c, :]`: the D values at the cursor as bars, the current d highlighted,
//! with value, min, max, mean and the top-5 channels.

use super::{centered_note, panel, theme, waiting};
use crate::nn::Src;
use crate::tui::app::App;
use crate::tui::bars::{ColumnStats, bar, fmt_val, window_start};
use crate::tui::state::Focus;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// `depth column X[3, 4, :] · 96 values`, shortened to fit a panel `width` columns wide.
pub fn title(app: &App, width: usize) -> String {
    let (r, c) = app.cursor();
    let n = app.shape(app.sel()).d;
    let forms = [
        format!("depth column X[{r}, {c}, :] · {n} values"),
        format!("depth column X[{r}, {c}, :]"),
        format!("column X[{r}, {c}, :] · {n} values"),
        format!("X[{r}, {c}, :] · {n} values"),
        format!("X[{r}, {c}, :]"),
    ];
    super::title_fit(&forms, width)
}

/// The column's values at the cursor, if computed.
pub fn values(app: &App) -> Option<Vec<f32>> {
    let v = app.volume(app.sel())?;
    let (r, c) = app.cursor();
    (r < v.dim().1 && c < v.dim().2).then(|| v.slice(ndarray::s![.., r, c]).to_vec())
}

/// Rows of the bar list start after this many header lines.
const HEAD: u16 = 6;

/// The channel under absolute row `y` (for mouse clicks).
pub fn channel_at(app: &App, area: Rect, y: u16) -> Option<usize> {
    let list = area.height.saturating_sub(2 + HEAD) as usize;
    let off = y.checked_sub(area.y + 1 + HEAD)? as usize;
    let n = app.shape(app.sel()).d;
    let d = window_start(n, list, app.d()) + off;
    (off < list && d < n).then_some(d)
}

/// The names of the input's channels when it is a photo (`R`, `G`, `B`, or `grey`), else `None`.
pub fn input_channel_names(app: &App) -> Option<&'static [&'static str]> {
    app.photo()?;
    match app.analysis().input.d {
        1 => Some(&["grey"]),
        3 => Some(&["R", "G", "B"]),
        4 => Some(&["R", "G", "B", "A"]),
        _ => None,
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let block = panel(app, area, title(app, area.width as usize), Some(Focus::Column));
    let inner = block.inner(area);
    block.render(area, buf);
    if app.not_computed(app.sel()).is_some() {
        centered_note(app, inner, buf, "not computed");
        return;
    }
    let Some(vals) = values(app) else {
        centered_note(app, inner, buf, &waiting(app));
        return;
    };
    let st = ColumnStats::of(&vals);
    let cur = vals.get(app.d()).copied().unwrap_or(0.0);
    let top = st.top.iter().map(|(d, v)| format!("{d}:{}", fmt_val(*v))).collect::<Vec<_>>();
    // top-5 takes two lines when one is too narrow.
    let mut top_lines = vec![String::from("top-5")];
    // Whole items only: what does not fit on the second line is left out, marked with `…`.
    let width = inner.width as usize;
    for item in top {
        let n = top_lines.len();
        let last = &mut top_lines[n - 1];
        if last.chars().count() + 1 + item.chars().count() <= width {
            last.push(' ');
            last.push_str(&item);
        } else if n < 2 {
            top_lines.push(format!("     {item}"));
        } else {
            if last.chars().count() + 2 <= width {
                last.push_str(" …");
            }
            break;
        }
    }
    top_lines.resize(2, String::new());
    let head = vec![
        Line::from(vec![
            Span::styled(format!("d {}", app.d()), t.label()),
            Span::raw(" = "),
            Span::styled(fmt_val(cur), t.accent()),
        ]),
        Line::from(vec![
            Span::styled("min ", t.label()),
            Span::raw(fmt_val(st.min)),
            Span::styled("  max ", t.label()),
            Span::raw(fmt_val(st.max)),
        ]),
        Line::from({
            let mut l = vec![Span::styled("mean ", t.label()), Span::raw(fmt_val(st.mean))];
            if let Some(bad) = st.bad.describe() {
                l.push(Span::styled(format!("  {bad}"), t.error()));
            }
            l
        }),
        Line::from(vec![
            Span::styled("top-5", t.label()),
            Span::raw(top_lines[0][5..].to_string()),
        ]),
        Line::from(top_lines[1].clone()),
        Line::from(Span::styled("  d  value", t.dim())),
    ];
    for (i, l) in head.into_iter().enumerate().take(inner.height as usize) {
        l.render(Rect::new(inner.x, inner.y + i as u16, inner.width, 1), buf);
    }
    let list_h = inner.height.saturating_sub(HEAD) as usize;
    let max_abs = st.min.abs().max(st.max.abs());
    let signed = st.min < 0.0;
    // The input's rows of a photo are named: d 0 is R, d 1 is G, d 2 is B.
    let names = (app.sel() == Src::Input).then(|| input_channel_names(app)).flatten();
    let dw =
        vals.len().saturating_sub(1).to_string().len().max(2) + if names.is_some() { 2 } else { 0 };
    let num_w = vals.iter().map(|v| fmt_val(*v).len()).max().unwrap_or(1);
    let bar_w = (inner.width as usize).saturating_sub(dw + num_w + 4);
    let first = window_start(vals.len(), list_h, app.d());
    for (i, d) in (first..vals.len()).take(list_h).enumerate() {
        let current = d == app.d();
        let mark = if current { "▶" } else { " " };
        let line = Line::from(vec![
            Span::styled(mark, t.accent()),
            Span::styled(
                match names.and_then(|n| n.get(d)) {
                    Some(name) => format!("{:>w$} {name} ", d, w = dw - 2),
                    None => format!("{d:>dw$} "),
                },
                if current { t.accent() } else { t.dim() },
            ),
            // The bar and its number share one style, so a cursor move that repaints the column
            // sends one colour code for the whole list rather than two per row (SSH bytes).
            Span::styled(bar(vals[d], max_abs, bar_w, signed), t.bar(current)),
            Span::styled(format!(" {:>num_w$}", fmt_val(vals[d])), t.bar(current)),
        ]);
        line.render(Rect::new(inner.x, inner.y + HEAD + i as u16, inner.width, 1), buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Src;
    use crate::tui::action::Action;
    use crate::tui::testing;

    #[test]
    fn the_column_lists_every_channel_at_the_cursor() {
        let mut app = testing::numpy_app();
        app.update(Action::Select(Src::Layer(0)));
        app.update(Action::SetCursor(1, 2));
        app.update(Action::SetDepth(1));
        let term = testing::render(&app, 40, 12, render);
        insta::assert_snapshot!(term.backend());
        let text = testing::text(&term);
        assert!(text.contains("depth column X[1, 2, :] · 2 values"), "{text}");
        let v = app.volume(Src::Layer(0)).unwrap();
        assert!(text.contains(&fmt_val(v[[1, 1, 2]])), "{text}");
        assert!(text.contains(&fmt_val(v[[0, 1, 2]])), "{text}");
    }

    #[test]
    fn the_current_d_is_highlighted_and_scrolled_into_view() {
        let mut app = testing::ramp_app(crate::tui::color::Tier::Truecolor);
        app.update(Action::Select(Src::Layer(0)));
        app.update(Action::SetDepth(1));
        let term = testing::render(&app, 30, 10, render);
        let buf = term.backend().buffer();
        // Row of d 1: header 6 lines + border, list starts at d 0.
        assert_eq!(buf[(1, 8)].symbol(), "▶");
        assert_eq!(buf[(1, 7)].symbol(), " ");
        assert_eq!(channel_at(&app, Rect::new(0, 0, 30, 10), 8), Some(1));
    }
}
