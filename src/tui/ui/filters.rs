//! The filters of a conv layer: every `W[k]` as an RGB image when each filter has 3 input
//! channels (filters are small images), every `W[k]` as one signed map when each reads one
//! channel (depthwise: `W[k]` reads channel k), else `W[d]` as one map per input channel it
//! reads. On top: where the weights come from and how the colours read; `Enter` shows the
//! numbers of `W[d]`.

use super::{centered_note, panel, theme, thumb_caption};
use crate::nn::{LayerKind, Src, Weights};
use crate::tui::app::App;
use crate::tui::bars::fmt_val;
use crate::tui::cache::{Key, What};
use crate::tui::colormap::{Colormap, Scale};
use crate::tui::raster::Raster;
use ndarray::{Array2, ArrayView3, Axis};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// The thumbnail grid for `n` tiles of `ph × pw` pixels: `(per_row, tile_cols, tile_rows,
/// rows_fit)`, the largest whole upscale at which all tiles fit (else the smallest, paged).
pub fn grid(
    n: usize,
    (ph, pw): (usize, usize),
    half: bool,
    area: Rect,
) -> (usize, u16, u16, usize) {
    let at = |k: usize| {
        let tw = if half { pw * k } else { 2 * pw * k }.max(4);
        let th = if half { (ph * k).div_ceil(2) } else { ph * k }.max(1);
        let per_row = ((area.width as usize + 1) / (tw + 1)).max(1);
        let rows = (area.height as usize / (th + 1)).max(1);
        (per_row, tw as u16, th as u16, rows)
    };
    for k in (1..=8).rev() {
        let g = at(k);
        if g.0 * g.3 >= n
            && (g.1 as usize) <= area.width as usize
            && (g.2 as usize) < area.height as usize
        {
            return g;
        }
    }
    at(1)
}

fn stretch(w: &ArrayView3<f32>, ci: usize) -> Array2<f32> {
    let (lo, hi) = crate::tui::colormap::min_max(w.iter());
    let span = if hi > lo { hi - lo } else { 1.0 };
    w.index_axis(Axis(2), ci).mapv(|v| (v - lo) / span * 255.0)
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let Src::Layer(li) = app.sel() else {
        let block = panel(app, area, "filters", None);
        let inner = block.inner(area);
        block.render(area, buf);
        centered_note(app, inner, buf, "the input has no filters: select a conv layer ([ ])");
        return;
    };
    let layer = &app.net().layers[li];
    let (LayerKind::Conv(p), Weights::Conv { w, b }) = (&layer.kind, &layer.weights) else {
        let block = panel(app, area, format!("filters · {}", layer.name), None);
        let inner = block.inner(area);
        block.render(area, buf);
        let convs: Vec<&str> = app
            .net()
            .layers
            .iter()
            .filter(|l| matches!(l.kind, LayerKind::Conv(_)))
            .map(|l| l.name.as_str())
            .take(6)
            .collect();
        if matches!(layer.kind, LayerKind::Conv(_)) {
            centered_note(app, inner, buf, "loading the weights…");
            return;
        }
        let msg = vec![
            Line::from(vec![Span::styled(
                format!("{} is {}: it has no filters", layer.name, layer.kind.type_name()),
                t.accent(),
            )]),
            Line::from(format!(
                "filters belong to conv layers: {} · [ ] change the layer, f or Esc goes back",
                convs.join(", ")
            )),
        ];
        let top = Rect {
            y: inner.y + inner.height / 3,
            height: inner.height - inner.height / 3,
            ..inner
        };
        ratatui::widgets::Paragraph::new(crate::tui::wrap::lines(msg, top.width))
            .centered()
            .render(top, buf);
        return;
    };
    let (k, fh, fw, cg) = w.dim();
    let d = app.d().min(k.saturating_sub(1));
    let bias = b.as_ref().map_or(String::new(), |b| format!(" · b[{d}] = {}", fmt_val(b[d])));
    let mode = Mode::of(cg);
    let per_group = (k / p.groups.max(1)).max(1);
    let first_channel = (d / per_group) * cg;
    let title = match mode {
        Mode::Rgb => format!(
            "filters of {} · K = {} filters of {fh}×{fw}×3, each shown as {} · W[{d}]{bias}",
            layer.name,
            p.filters,
            if app.tier().has_pixels() {
                "an RGB image"
            } else {
                "its brightness (no colour here)"
            }
        ),
        Mode::Each if p.groups > 1 && p.groups == k => format!(
            "filters of {} · depthwise: W[k] is {fh}×{fw} and reads input channel k only · W[{d}]{bias}",
            layer.name
        ),
        Mode::Each => {
            format!("filters of {} · K = {k} filters of {fh}×{fw}×1 · W[{d}]{bias}", layer.name)
        }
        Mode::Channels => format!(
            "filter W[{d}] of {} · {fh}×{fw}×{cg}: one map per input channel it reads{bias}",
            layer.name
        ),
    };
    let block = panel(app, area, title, None);
    let inner = block.inner(area);
    block.render(area, buf);
    // Two lines on top: where the weights come from, and how the colours read.
    let wd = w.index_axis(Axis(0), d);
    let sym = match mode {
        Mode::Each => w.iter().fold(0.0f32, |m, v| m.max(v.abs())),
        _ => wd.iter().fold(0.0f32, |m, v| m.max(v.abs())),
    };
    let choice = if app.colormap() == Colormap::Auto { Colormap::RdBu } else { app.colormap() };
    let scale = Scale::new(-sym, sym, choice);
    let mut head: Vec<Line> = Vec::new();
    if let Some(l) = super::shape::origin_line(app, layer) {
        head.push(l);
    }
    if let Some(note) = app.net().untrained_note() {
        head.push(Line::from(Span::styled(note, t.warn())));
    }
    head.push(legend(app, mode, &scale, inner.width));
    let head_rows = (head.len() as u16).min(inner.height);
    for (i, l) in head.into_iter().take(head_rows as usize).enumerate() {
        let row = Rect::new(inner.x, inner.y + i as u16, inner.width, 1);
        Line::from(super::fit_spans(l.spans, inner.width as usize)).render(row, buf);
    }
    let mut body = Rect { y: inner.y + head_rows, height: inner.height - head_rows, ..inner };
    if app.filter_numbers() {
        let lines = numbers(app, &wd, mode, first_channel, body.width);
        let rows = (lines.len() as u16 + 1).min(body.height / 2 + 1);
        let at = Rect { y: body.bottom() - rows, height: rows, ..body };
        // Rows that do not fit scroll (C-d, C-u) and are counted.
        let room = rows as usize - 1;
        let fits = lines.len() <= room;
        let page = if fits { room } else { room.saturating_sub(1).max(1) };
        let skip = app.trace_scroll().min(lines.len().saturating_sub(page));
        app.note_scroll_page(page);
        let mut shown: Vec<Line> = lines.iter().skip(skip).take(page).cloned().collect();
        if !fits {
            let end = skip + shown.len();
            shown.push(Line::from(Span::styled(
                format!("rows {skip}:{end} of {} (C-d, C-u scroll)", lines.len()),
                t.dim(),
            )));
        }
        for (i, l) in shown.into_iter().enumerate() {
            let row = Rect::new(at.x, at.y + 1 + i as u16, at.width, 1);
            Line::from(super::fit_spans(l.spans, at.width as usize)).render(row, buf);
        }
        body.height -= rows;
    }
    let half = app.tier().has_pixels();
    let n = if mode == Mode::Channels { cg } else { k };
    let (per_row, tw, th, rows_fit) = grid(n, (fh, fw), half, body);
    let page = per_row * rows_fit;
    let first = if mode == Mode::Channels { 0 } else { (d / page) * page };
    for i in 0..page.min(n.saturating_sub(first)) {
        let item = first + i;
        let (col, row) = ((i % per_row) as u16, (i / per_row) as u16);
        let cell = Rect::new(body.x + col * (tw + 1), body.y + row * (th + 1), tw, th);
        if cell.right() > body.right() || cell.bottom() >= body.bottom() {
            continue;
        }
        let (fk, ci) = match mode {
            Mode::Rgb => (item, usize::MAX),
            Mode::Each => (item, 0),
            Mode::Channels => (d, item),
        };
        let key = Key::of(app, What::Filter { layer: li, k: fk, ci }, tw, th);
        let r = app.cache.borrow_mut().get_or(key, || match mode {
            Mode::Rgb => {
                let f = w.index_axis(Axis(0), item);
                let ch = [stretch(&f, 0), stretch(&f, 1), stretch(&f, 2)];
                Raster::rgb([ch[0].view(), ch[1].view(), ch[2].view()], app.paint(), tw, th)
            }
            Mode::Each => Raster::new(
                w.index_axis(Axis(0), item).index_axis(Axis(2), 0),
                scale,
                app.tier(),
                tw,
                th,
            ),
            Mode::Channels => Raster::new(wd.index_axis(Axis(2), item), scale, app.paint(), tw, th),
        });
        super::draw_raster(app, &r, cell, buf, None);
        let label = match mode {
            Mode::Channels => format!("ch {}", first_channel + item),
            _ => format!("{item}"),
        };
        let style = if mode != Mode::Channels && item == d { t.selected() } else { t.dim() };
        thumb_caption(buf, cell.x, cell.y + th, tw, &label, style);
    }
    if first + page < n {
        let more = format!(" +{} more ", n - first - page);
        buf.set_string(
            area.right().saturating_sub(more.len() as u16 + 1),
            area.bottom() - 1,
            more,
            t.dim(),
        );
    }
}

/// How a layer's filters are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Each filter reads 3 channels: every `W[k]` as one RGB image.
    Rgb,
    /// Each filter reads one channel (depthwise, or a one-channel input): every `W[k]` as one
    /// signed map, all on one scale.
    Each,
    /// `W[d]` alone, one signed map per input channel it reads.
    Channels,
}

impl Mode {
    /// The layout for filters that read `cg` input channels each.
    fn of(cg: usize) -> Mode {
        match cg {
            3 => Mode::Rgb,
            1 => Mode::Each,
            _ => Mode::Channels,
        }
    }
}

/// The legend line: how the colours read, and the key that shows the numbers.
fn legend(app: &App, mode: Mode, scale: &Scale, width: u16) -> Line<'static> {
    let t = theme(app);
    let keys = if app.filter_numbers() {
        " · Enter hides the numbers"
    } else {
        " · Enter shows W[d]'s numbers"
    };
    if mode == Mode::Rgb {
        let text = if app.tier().has_pixels() {
            "each filter stretched from its own min (dark) to its max (bright), R, G, B together"
                .to_string()
        } else {
            let ramp: String = crate::tui::color::ASCII_RAMP[1..].iter().collect();
            format!("each filter's brightness from its own min to its max: low {ramp} high")
        };
        return Line::from(vec![Span::styled(text, t.dim()), Span::styled(keys, t.label())]);
    }
    let (a, b) = scale.range();
    let mut spans = vec![Span::styled(fmt_val(a), t.dim()), Span::raw(" ")];
    let bar_w = (width as usize / 5).clamp(6, 20) as u16;
    for (ch, fg, bg) in crate::tui::raster::colour_bar(scale, app.tier(), bar_w) {
        spans.push(Span::styled(ch.to_string(), ratatui::style::Style::new().fg(fg).bg(bg)));
    }
    spans.push(Span::styled(format!(" {}", fmt_val(b)), t.dim()));
    let how = super::slice::how_to_read(app, scale);
    let whose = if mode == Mode::Each { "one scale for every filter" } else { "the scale of W[d]" };
    spans.push(Span::styled(format!("  {how} · {whose}"), t.dim()));
    spans.push(Span::styled(keys, t.label()));
    Line::from(spans)
}

/// The numbers of `W[d]`, one `F×F` grid per input channel, side by side while they fit.
fn numbers(
    app: &App,
    wd: &ArrayView3<f32>,
    mode: Mode,
    first_channel: usize,
    width: u16,
) -> Vec<Line<'static>> {
    let t = theme(app);
    let (fh, fw, cg) = wd.dim();
    let cell = 10usize;
    let block_w = fw * cell + 2;
    let per_line = ((width as usize) / block_w).max(1);
    let name = |ci: usize| match (mode, ci) {
        (Mode::Rgb, 0) => "R".to_string(),
        (Mode::Rgb, 1) => "G".to_string(),
        (Mode::Rgb, _) => "B".to_string(),
        _ => format!("ch {}", first_channel + ci),
    };
    let shown = cg.min(per_line * 2);
    let mut out = Vec::new();
    for band in (0..shown).collect::<Vec<_>>().chunks(per_line) {
        let mut head = String::new();
        for &ci in band {
            head.push_str(&format!(
                "{:<block_w$}",
                format!("W[{}][:, :, {ci}] = {}", app.d(), name(ci))
            ));
        }
        out.push(Line::from(Span::styled(head.trim_end().to_string(), t.label())));
        for y in 0..fh {
            let mut row = String::new();
            for &ci in band {
                for x in 0..fw {
                    row.push_str(&format!(" {:>w$}", fmt_val(wd[[y, x, ci]]), w = cell - 1));
                }
                row.push_str("  ");
            }
            out.push(Line::raw(row.trim_end().to_string()));
        }
    }
    if shown < cg {
        out.push(Line::from(Span::styled(
            format!("+{} more input channels (numbers of the first {shown} shown)", cg - shown),
            t.dim(),
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use crate::tui::testing;

    #[test]
    fn grid_fits_all_tiles_at_the_largest_whole_scale() {
        // 96 filters of 11×11 in 116×36 cells: k = 1 → 11×6 tiles, 9 per row, 5 rows = 45 < 96.
        let g = grid(96, (11, 11), true, Rect::new(0, 0, 116, 36));
        assert_eq!(g, (9, 11, 6, 5));
        // 2 filters of 5×5 in 60×20: k = 5 → 25×13 tiles, side by side.
        assert_eq!(grid(2, (5, 5), true, Rect::new(0, 0, 60, 20)).1, 25);
    }

    #[test]
    fn numpy_filters_show_one_map_per_input_channel() {
        let mut app = testing::numpy_app();
        app.update(Action::Select(Src::Layer(0)));
        let term = testing::render(&app, 60, 12, render);
        insta::assert_snapshot!(term.backend());
        let text = testing::text(&term);
        assert!(text.contains("filter W[0] of conv1 · 5×5×4"), "{text}");
        assert!(text.contains("ch 3"), "{text}");
    }
}
