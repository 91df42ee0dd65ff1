//! The montage: every depth slice of the selected volume as a labelled thumbnail; the picked
//! one (d) is highlighted and Enter opens it.

use super::{centered_note, panel, theme, thumb_caption, waiting};
use crate::tui::app::App;
use crate::tui::cache::{Key, What};
use crate::tui::layout::montage_grid;
use crate::tui::raster::Raster;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

/// The first thumbnail shown for a grid (pages keep d visible).
fn first_of(app: &App, (per_row, _, _, rows_fit): (usize, u16, u16, usize)) -> usize {
    let page = per_row * rows_fit;
    (app.d() / page) * page
}

/// The first thumbnail shown at the current size.
fn first(app: &App) -> usize {
    first_of(app, montage_grid(app))
}

/// The slice whose thumbnail is under absolute cell `(x, y)` of the body `area`.
pub fn slice_at(app: &App, area: Rect, x: u16, y: u16) -> Option<usize> {
    let (per_row, tw, th, rows_fit) = montage_grid(app);
    let (dx, dy) = (x.checked_sub(area.x + 1)?, y.checked_sub(area.y + 1)?);
    let (col, row) = ((dx / (tw + 1)) as usize, (dy / (th + 1)) as usize);
    if col >= per_row || row >= rows_fit {
        return None;
    }
    let d = first(app) + row * per_row + col;
    (d < app.shape(app.sel()).d).then_some(d)
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let s = app.shape(app.sel());
    let grid = montage_grid(app);
    let (per_row, tw, th, rows_fit) = grid;
    let first = first_of(app, grid);
    let (from, to) = (first, (first + per_row * rows_fit).min(s.d));
    let shown = if s.h == 1 && s.w == 1 {
        format!("{} values as one chart", s.d)
    } else if to - from < s.d {
        format!("slices {from}:{to} of {} (+{} more: , . scroll)", s.d, s.d - (to - from))
    } else {
        format!("{} slices", s.d)
    };
    let forms = [
        format!(
            "montage · {} · {shown} of {}×{} · d {}/{} · Enter opens",
            app.name_of(app.sel()),
            s.h,
            s.w,
            app.d(),
            s.d
        ),
        format!("montage · {} · {shown} · d {}/{}", app.name_of(app.sel()), app.d(), s.d),
        format!("montage · {shown}"),
    ];
    let title = super::title_fit(&forms, area.width as usize);
    let block = panel(app, area, title, None);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(vol) = app.volume(app.sel()) else {
        centered_note(app, inner, buf, &waiting(app));
        return;
    };
    if s.h == 1 && s.w == 1 {
        // An fc layer or a global pool: D numbers, drawn as one chart rather than D squares.
        let values: Vec<f32> = vol.iter().copied().collect();
        bar_chart(app, inner, buf, &values);
        return;
    }
    for i in 0..per_row * rows_fit {
        let d = first + i;
        if d >= s.d {
            break;
        }
        let (col, row) = ((i % per_row) as u16, (i / per_row) as u16);
        let cell = Rect::new(inner.x + col * (tw + 1), inner.y + row * (th + 1), tw, th + 1);
        if cell.right() > inner.right() || cell.bottom() > inner.bottom() {
            continue;
        }
        let Some(scale) = app.scale(app.sel(), d) else { continue };
        let key = Key::of(app, What::Thumb { row: App::row_of(app.sel()), d }, tw, th);
        let slice = vol.index_axis(ndarray::Axis(0), d);
        let r =
            app.cache.borrow_mut().get_or(key, || Raster::new(slice, scale, app.paint(), tw, th));
        super::draw_raster(app, &r, Rect::new(cell.x, cell.y, tw, th), buf, None);
        let dead = app.stats(app.sel()).is_some_and(|st| st.is_dead(d));
        let label = if dead { format!("d {d} dead") } else { format!("d {d}") };
        let style = if d == app.d() {
            t.selected()
        } else if dead {
            t.warn()
        } else {
            t.dim()
        };
        thumb_caption(buf, cell.x, cell.y + th, tw, &label, style);
    }
}

/// The D values of a 1×1×D volume as one chart: column j covers channels `a:b` and its bar spans
/// their min to max (through 0); the column of d is highlighted.
fn bar_chart(app: &App, area: Rect, buf: &mut Buffer, values: &[f32]) {
    use crate::tui::bars::fmt_val;
    let t = theme(app);
    let n = values.len();
    if n == 0 || area.height < 5 || area.width < 12 {
        return;
    }
    let label_w = 9u16;
    let cols = ((area.width - label_w) as usize).min(n).max(1);
    let rows = (area.height - 3) as usize;
    let span = |j: usize| (j * n / cols)..((j + 1) * n / cols).max(j * n / cols + 1);
    // The range runs through 0, so every bar starts at the zero line.
    let (lo, hi) = crate::tui::colormap::min_max(values);
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let range = if hi > lo { hi - lo } else { 1.0 };
    // Row 0 is `hi`, row rows-1 is `lo`.
    let row_of = |v: f32| {
        (((hi - v) / range) * (rows - 1) as f32).round().clamp(0.0, (rows - 1) as f32) as usize
    };
    let per = n.div_ceil(cols);
    let d = app.d().min(n - 1);
    let at_d = format!("d {d} = {}", fmt_val(values[d]));
    let forms = if per > 1 {
        vec![
            format!(
                "{n} values, one per channel · each column = {per} channels, its bar from their min to their max · {at_d}"
            ),
            format!("{n} values · each column = {per} channels, min to max · {at_d}"),
            format!("{n} values · column = {per} channels · {at_d}"),
        ]
    } else {
        vec![format!("{n} values, one per channel · {at_d}"), format!("{n} values · {at_d}")]
    };
    let head = super::first_fit(&forms, area.width as usize);
    buf.set_stringn(area.x, area.y, head, area.width as usize, t.label());
    let top = area.y + 1;
    let x0 = area.x + label_w;
    buf.set_stringn(area.x, top, fmt_val(hi), label_w as usize - 1, t.dim());
    buf.set_stringn(area.x, top + row_of(0.0) as u16, "0", label_w as usize - 1, t.dim());
    buf.set_stringn(area.x, top + rows as u16 - 1, fmt_val(lo), label_w as usize - 1, t.dim());
    let zero = row_of(0.0);
    // Above 0 and below 0 in the colours of the diverging maps (RdBu: red < 0 < blue);
    // without colour, negative parts are shaded.
    let mono = !app.tier().has_pixels() && app.tier() != crate::tui::color::Tier::C16;
    let hue = |col| ratatui::style::Style::new().fg(col);
    let signs = (hue(ratatui::style::Color::Blue), hue(ratatui::style::Color::Red));
    for j in 0..cols {
        let r = span(j);
        let chunk = &values[r.clone()];
        let x = x0 + j as u16;
        buf.set_string(x, top + zero as u16, "─", t.dim());
        if !chunk.iter().any(|v| v.is_finite()) {
            buf.set_string(x, top + zero as u16, "?", t.error());
            continue;
        }
        let (cmin, cmax) = crate::tui::colormap::min_max(chunk);
        let (pos, neg) = if r.contains(&d) { (t.selected(), t.selected()) } else { signs };
        let (a, b) = (row_of(cmax.max(0.0)), row_of(cmin.min(0.0)));
        for y in a..=b {
            let below = y > zero || (y == zero && cmax <= 0.0 && cmin < 0.0);
            let (ch, style) = match (below, mono) {
                (true, true) => ("▒", neg),
                (true, false) => ("█", neg),
                (false, _) => ("█", pos),
            };
            if y != zero || cmax != 0.0 || cmin != 0.0 {
                buf.set_string(x, top + y as u16, ch, style);
            }
        }
    }
    let axis = top + rows as u16;
    let last = format!("{}", n - 1);
    buf.set_string(x0, axis, "0", t.dim());
    let lx = (x0 + cols as u16).saturating_sub(last.len() as u16);
    buf.set_string(lx, axis, &last, t.dim());
    let mid = "channel (d) → · ←/→ move d · Enter opens";
    let mx = x0 + (cols as u16).saturating_sub(mid.chars().count() as u16) / 2;
    if mx > x0 + 2 && mx + (mid.chars().count() as u16) < lx {
        buf.set_string(mx, axis, mid, t.dim());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Src;
    use crate::tui::action::Action;
    use crate::tui::testing;

    #[test]
    fn an_fc_layer_is_one_bar_chart_with_its_columns_explained() {
        let mut app = testing::cifar_app();
        let fc = (0..app.net().layers.len())
            .find(|&i| matches!(app.net().layers[i].kind, crate::nn::LayerKind::Fc { .. }))
            .expect("cifar has an fc layer");
        app.update(Action::Select(Src::Layer(fc)));
        app.update(Action::Resize(80, 20));
        let term = testing::render(&app, 80, 20, render);
        let text = testing::text(&term);
        let values: Vec<f32> = app.volume(app.sel()).expect("computed").iter().copied().collect();
        assert!(text.contains(&format!("{} values, one per channel", values.len())), "{text}");
        // One column per channel here: the largest value's bar reaches the top row, the
        // smallest's the bottom row (of the chart, inside the border and below the heading).
        let buf = term.backend().buffer();
        let (x0, top, rows) = (1 + 9, 2u16, 20 - 2 - 3);
        let arg = |best: fn(f32, f32) -> bool| {
            (0..values.len()).fold(0, |b, i| if best(values[i], values[b]) { i } else { b })
        };
        let (hi, lo) = (arg(|a, b| a > b), arg(|a, b| a < b));
        if values[hi] > 0.0 {
            assert_eq!(buf[(x0 + hi as u16, top)].symbol(), "█", "{text}");
        }
        if values[lo] < 0.0 {
            assert_eq!(buf[(x0 + lo as u16, top + rows - 1)].symbol(), "█", "{text}");
        }
        assert!(values[hi] > 0.0 || values[lo] < 0.0, "some value is not 0");
    }

    #[test]
    fn every_slice_is_a_labelled_thumbnail() {
        let mut app = testing::ramp_app(crate::tui::color::Tier::Mono);
        app.update(Action::Select(Src::Layer(0)));
        app.update(Action::SetDepth(1));
        app.update(Action::Resize(40, 14));
        let term = testing::render(&app, 40, 12, render);
        insta::assert_snapshot!(term.backend());
        let text = testing::text(&term);
        assert!(text.contains("d 2 dead") && text.contains("d 1"), "{text}");
        assert_eq!(slice_at(&app, Rect::new(0, 0, 40, 12), 2, 2), Some(0));
    }

    #[test]
    fn slices_that_do_not_fit_are_counted_in_the_title() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::Select(Src::Layer(4)));
        app.update(Action::Resize(80, 24));
        let (per_row, _, _, rows_fit) = crate::tui::layout::montage_grid(&app);
        let shown = per_row * rows_fit;
        assert!(shown < 256, "conv2's 256 slices do not fit 80×24");
        let text = testing::text(&testing::render(&app, 80, 24, render));
        let want = format!("slices 0:{shown} of 256 (+{} more", 256 - shown);
        assert!(text.contains(&want), "{want}\n{text}");
    }
}
