//! Drawing: one function per panel, each in its own file with its own tests. `draw` splits the
//! screen with [`layout::areas`](super::layout::areas) and hands each part to its panel.

pub mod classmap;
pub mod column;
pub mod dead;
pub mod diff;
pub mod editor;
pub mod explain;
pub mod filters;
pub mod header;
pub mod help;
pub mod input;
pub mod layers;
pub mod montage;
pub mod patches;
pub mod prompt;
pub mod shape;
pub mod slice;
pub mod small;
pub mod status;
pub mod tabs;
pub mod top5;

use super::app::App;
use super::dim::dim;
use super::layout;
use super::popup::Popup;
use super::state::{Focus, View};
use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Widget};

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        draw(self, area, buf);
    }
}

/// Draw the whole screen.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    app.gfx.borrow_mut().placements.clear();
    let a = layout::areas(app, area);
    if a.too_small {
        small::render(app, area, buf);
        return;
    }
    header::render(app, a.header, buf);
    // After an edit, until the pass ends, panels of the selected layer show old numbers: dimmed.
    let stale = app.is_stale(app.sel());
    match app.view() {
        View::Main => {
            if let Some(r) = a.layers {
                layers::render(app, r, buf);
            }
            if let Some(r) = a.slice {
                if app.diff() {
                    diff::render(app, r, buf);
                } else {
                    slice::render(app, r, buf);
                    if stale {
                        dim(buf, r, app.tier());
                    }
                }
            }
            if let Some(r) = a.column {
                column::render(app, r, buf);
                if stale {
                    dim(buf, r, app.tier());
                }
            }
            if let Some(r) = a.shape {
                shape::render(app, r, buf);
            }
            if let Some(r) = a.explain {
                explain::render(app, r, buf);
            }
            if let Some(r) = a.top5 {
                top5::render(app, r, buf);
            }
            if let Some(r) = a.tabs {
                tabs::render(app, &a.stacked, r, buf);
            }
        }
        View::Montage => {
            montage::render(app, a.body, buf);
            if stale {
                dim(buf, a.body, app.tier());
            }
        }
        View::Filters => filters::render(app, a.body, buf),
        View::Input => input::render(app, a.body, buf),
        View::ClassMap => classmap::render(app, a.body, buf),
        View::Patches => patches::render(app, a.body, buf),
        View::Dead => {
            dead::render(app, a.body, buf);
            if !app.pass_is_current() && app.results().is_some() {
                dim(buf, a.body, app.tier());
            }
        }
    }
    status::render(app, a.status, buf, a.tabs.is_some());
    // Images show only where no overlay (help, editor, prompt) drew over their cells.
    app.gfx.borrow_mut().seal(buf);
    if app.help() {
        help::render(app, area, buf);
    }
    match &app.popup() {
        Some(Popup::Params(ed)) => editor::render_params(app, ed, a.body, buf),
        Some(Popup::Choose(ch)) => editor::render_chooser(app, ch, a.body, buf),
        Some(Popup::Save(p)) => prompt::render(app, p, a.body, buf),
        Some(Popup::Class(p)) => prompt::render_class(app, p, a.body, buf),
        None => {}
    }
    app.gfx.borrow_mut().verify(buf);
}

/// Draw a raster in `area` (with the cursor's mark) and, in pixel mode, record its image.
pub fn draw_raster(
    app: &App,
    r: &crate::tui::raster::Raster,
    area: Rect,
    buf: &mut Buffer,
    cursor: Option<(usize, usize)>,
) {
    r.render(area, buf, cursor);
    if let Some((img, rect)) = r.placement(area) {
        app.gfx.borrow_mut().push(img, rect);
    }
}

pub fn theme(app: &App) -> Theme {
    Theme::new(app.tier())
}

/// A bordered panel over `area`; the focused one (in the dashboard) has a highlighted border. A
/// title too long for the border is shortened at a word with `…` (see [`fit_spans`]); panels
/// that know better short forms pick one first with [`title_fit`].
pub fn panel<'a>(
    app: &App,
    area: Rect,
    title: impl Into<Line<'a>>,
    focus: Option<Focus>,
) -> Block<'a> {
    let t = theme(app);
    let focused = app.view() == View::Main && focus.is_some_and(|f| f == app.focus());
    let title: Line = title.into();
    let title = Line::from(fit_spans(title.spans, area.width.saturating_sub(2) as usize));
    Block::bordered()
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(t.border(focused))
        .title(title.style(t.title()))
}

/// `spans` cut to `width` columns without cutting a word: the text ends at the last space that
/// fits (trailing separators dropped) and gets `…`. A single word longer than the width is cut
/// with `…` at its end, the only case where a word is cut.
pub fn fit_spans(spans: Vec<Span<'_>>, width: usize) -> Vec<Span<'static>> {
    let chars: Vec<(char, Style)> =
        spans.iter().flat_map(|s| s.content.chars().map(move |c| (c, s.style))).collect();
    if chars.len() <= width {
        return spans.into_iter().map(|s| Span::styled(s.content.into_owned(), s.style)).collect();
    }
    if width == 0 {
        return Vec::new();
    }
    let room = width - 1;
    let mut end = (0..=room).rev().find(|&i| i < chars.len() && chars[i].0 == ' ').unwrap_or(room);
    while end > 0 && matches!(chars[end - 1].0, ' ' | '·' | ',' | '(' | '—' | ':' | '=') {
        end -= 1;
    }
    if end == 0 {
        end = room;
    }
    let mut out: Vec<Span<'static>> = Vec::new();
    for (c, style) in chars[..end]
        .iter()
        .copied()
        .chain(std::iter::once(('…', chars[end.min(chars.len() - 1)].1)))
    {
        match out.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push(c),
            _ => out.push(Span::styled(c.to_string(), style)),
        }
    }
    out
}

/// [`fit_spans`] for plain text.
pub fn fit_text(text: &str, width: usize) -> String {
    fit_spans(vec![Span::raw(text)], width).iter().map(|s| s.content.as_ref()).collect()
}

/// The first of `forms` (longest first) that fits in `width` columns, else the last
/// (shortest) shortened at a word with `…`.
pub fn first_fit<S: AsRef<str>>(forms: &[S], width: usize) -> String {
    let last = forms.last().map_or("", |f| f.as_ref());
    match forms.iter().map(|f| f.as_ref()).find(|f| f.chars().count() <= width) {
        Some(f) => f.to_string(),
        None => fit_text(last, width),
    }
}

/// [`first_fit`] for a panel title: the panel's two border columns are not the title's.
pub fn title_fit<S: AsRef<str>>(forms: &[S], panel_width: usize) -> String {
    first_fit(forms, panel_width.saturating_sub(2))
}

/// `X[12, 40, 7]`.
pub fn at3(name: &str, r: usize, c: usize, d: usize) -> String {
    format!("{name}[{r}, {c}, {d}]")
}

/// A `label value` pair of spans.
pub fn kv<'a>(app: &App, label: impl Into<String>, value: impl Into<String>) -> Vec<Span<'a>> {
    let t = theme(app);
    vec![
        Span::styled(label.into(), t.label()),
        Span::raw(" "),
        Span::styled(value.into(), t.accent()),
    ]
}

/// The label under a thumbnail (montage, filters), centred on its `width` columns.
pub fn thumb_caption(buf: &mut Buffer, x: u16, y: u16, width: u16, label: &str, style: Style) {
    let w = width as usize;
    buf.set_stringn(x, y, format!("{label:^w$}"), w, style);
}

/// Centred one-line message in an area (used while computing).
pub fn centered_note(app: &App, area: Rect, buf: &mut Buffer, text: &str) {
    if area.height == 0 {
        return;
    }
    let w = (text.chars().count() as u16).min(area.width);
    let x = area.x + (area.width - w) / 2;
    let y = area.y + area.height / 2;
    buf.set_stringn(x, y, text, w as usize, theme(app).dim());
}

/// What the panels say while there is no data yet.
pub fn waiting(app: &App) -> String {
    if let Some(e) = &app.error() {
        return format!("error: {e}");
    }
    match &app.progress() {
        Some(p) => format!("computing {} · {}/{}", p.name, p.layer + 1, p.total),
        None if app.input().is_some() => "computing…".into(),
        None => "loading the weights and the input…".into(),
    }
}

#[cfg(test)]
mod fit_tests {
    use super::{first_fit, fit_text};

    #[test]
    fn shortened_text_ends_at_a_word_with_an_ellipsis() {
        assert_eq!(
            fit_text("depth column X[0, 0, :] · 96 values", 31),
            "depth column X[0, 0, :] · 96…"
        );
        assert_eq!(
            fit_text("depth column X[0, 0, :] · 96 values", 100),
            "depth column X[0, 0, :] · 96 values"
        );
        assert_eq!(fit_text("network depth 50 (layers with weights)", 20), "network depth 50…");
        assert_eq!(fit_text("abcdefghij", 5), "abcd…");
        assert_eq!(fit_text("abc", 0), "");
        for w in 0..40 {
            let s = fit_text("shape · block3.expand_relu6 · 56×56×144", w);
            assert!(s.chars().count() <= w, "{w}: {s}");
        }
        assert_eq!(first_fit(&["a long form", "short"], 3), "sh…");
    }
}
