//! The filters of a conv layer: every `W[k]` as an RGB image when each filter has 3 input
//! channels (filters are small images), else `W[d]` as one mini heatmap per input channel.

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
        let block = panel(app, "filters", None);
        let inner = block.inner(area);
        block.render(area, buf);
        centered_note(app, inner, buf, "the input has no filters: select a conv layer ([ ])");
        return;
    };
    let layer = &app.net().layers[li];
    let (LayerKind::Conv(p), Weights::Conv { w, b }) = (&layer.kind, &layer.weights) else {
        let block = panel(app, format!("filters · {}", layer.name), None);
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
        let msg = if matches!(layer.kind, LayerKind::Conv(_)) {
            "loading the weights…".to_string()
        } else {
            format!(
                "{} is {}: no filters; conv layers: {}",
                layer.name,
                layer.kind.type_name(),
                convs.join(", ")
            )
        };
        centered_note(app, inner, buf, &msg);
        return;
    };
    let (k, fh, fw, cg) = w.dim();
    let d = app.d().min(k.saturating_sub(1));
    let bias = b.as_ref().map_or(String::new(), |b| format!(" · b[{d}] = {}", fmt_val(b[d])));
    let rgb = cg == 3;
    let title = if rgb {
        format!(
            "filters of {} · K = {} filters of {fh}×{fw}×3, each shown as an RGB image · W[{d}]{bias}",
            layer.name, p.filters
        )
    } else {
        format!("filter W[{d}] of {} · {fh}×{fw}×{cg}: one map per input channel{bias}", layer.name)
    };
    let block = panel(app, title, None);
    let inner = block.inner(area);
    block.render(area, buf);
    let half = app.tier().has_pixels();
    let n = if rgb { k } else { cg };
    let (per_row, tw, th, rows_fit) = grid(n, (fh, fw), half, inner);
    let page = per_row * rows_fit;
    let first = if rgb { (d / page) * page } else { 0 };
    let wd = w.index_axis(Axis(0), d);
    let sym = wd.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = Scale::new(
        -sym,
        sym,
        if app.colormap() == Colormap::Auto { Colormap::RdBu } else { app.colormap() },
    );
    for i in 0..page.min(n.saturating_sub(first)) {
        let item = first + i;
        let (col, row) = ((i % per_row) as u16, (i / per_row) as u16);
        let cell = Rect::new(inner.x + col * (tw + 1), inner.y + row * (th + 1), tw, th);
        if cell.right() > inner.right() || cell.bottom() >= inner.bottom() {
            continue;
        }
        let key = Key::of(
            app,
            What::Filter {
                layer: li,
                k: if rgb { item } else { d },
                ci: if rgb { usize::MAX } else { item },
            },
            tw,
            th,
        );
        let r = app.cache.borrow_mut().get_or(key, || {
            if rgb {
                let f = w.index_axis(Axis(0), item);
                let ch = [stretch(&f, 0), stretch(&f, 1), stretch(&f, 2)];
                Raster::rgb([ch[0].view(), ch[1].view(), ch[2].view()], app.tier(), tw, th)
            } else {
                Raster::new(wd.index_axis(Axis(2), item), scale, app.tier(), tw, th)
            }
        });
        r.render(cell, buf, None);
        let label = if rgb { format!("{item}") } else { format!("ch {item}") };
        let style = if rgb && item == d { t.selected() } else { t.dim() };
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
