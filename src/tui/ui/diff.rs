//! Before/after (`b`): in place of the depth slice, the difference `after − before` of slice d of
//! the selected layer between the last pass before the edit and the current one, on a diverging
//! colormap with 0 white. When the layer is new or its shape changed there is no cell-by-cell
//! difference, and the panel says why.

use super::{centered_note, panel, theme, waiting};
use crate::nn::{Shape3, Src};
use crate::tui::app::App;
use crate::tui::bars::fmt_val;
use crate::tui::cache::{Key, What};
use crate::tui::colormap::{Colormap, Scale};
use crate::tui::raster::Raster;
use crate::tui::state::Focus;
use ndarray::{Array2, Axis};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// Slice d of the selected layer, after − before.
#[derive(Clone, Debug, PartialEq)]
pub struct SliceDiff {
    pub values: Array2<f32>,
    pub max_abs: f32,
    /// Values that differ, of all.
    pub changed: usize,
    pub total: usize,
}

/// The difference, or why there is none.
///
/// # Errors
/// A sentence for the panel: no edit yet, the pass is running, a new layer, another shape.
pub fn slice_diff(app: &App) -> Result<SliceDiff, String> {
    let Some(before) = &app.before() else {
        return Err(
            "no edit yet: after an edit (e, a, x, t), b shows here how this slice changed".into()
        );
    };
    let name = app.name_of(app.sel()).to_string();
    if app.is_stale(app.sel()) || app.volume(app.sel()).is_none() {
        return Err(format!("waiting for the new pass · {}", waiting(app)));
    }
    let Some(after) = app.volume(app.sel()) else { unreachable!("checked just above") };
    let b = &before.results;
    let old = match app.sel() {
        Src::Input => b.view(Src::Input),
        Src::Layer(_) => {
            let Some(j) = b.net.layers.iter().position(|l| l.name == name) else {
                return Err(format!("{name} did not exist before {}", before.phrase()));
            };
            b.view(Src::Layer(j))
        }
    };
    let Some(old) = old else {
        return Err(format!("{name} has no numbers before {}", before.phrase()));
    };
    let (was, now) = (Shape3::of(&old.view()), Shape3::of(&after.view()));
    if was != now {
        return Err(format!(
            "{name} was {was} before {} and is {now} now: a cell-by-cell difference needs \
             the same shape",
            before.phrase()
        ));
    }
    let d = app.d().min(now.d.saturating_sub(1));
    let values = &after.index_axis(Axis(0), d) - &old.index_axis(Axis(0), d);
    let values = values.to_owned();
    let max_abs = values.iter().fold(0f32, |m, v| m.max(v.abs()));
    let changed = values.iter().filter(|v| **v != 0.0).count();
    let total = values.len();
    Ok(SliceDiff { values, max_abs, changed, total })
}

/// `after − before · conv1 d 7/96 · conv1: stride 4 → 2`, cut to `width`.
pub fn title(app: &App, width: usize) -> String {
    let s = app.shape(app.sel());
    let name = app.name_of(app.sel());
    if let Some(c) = app.before().and_then(|b| b.compared()) {
        let forms = [
            format!("Δ = this − {c}: X[:, :, {}] of {name} · d {}/{}", app.d(), app.d(), s.d),
            format!("this − {c} · {name} · d {}/{}", app.d(), s.d),
            format!("this − {c}"),
        ];
        return super::title_fit(&forms, width);
    }
    let what = app.before().as_ref().map(|b| format!(" · {}", b.label())).unwrap_or_default();
    let forms = [
        format!("after − before X[:, :, {}] of {name} · d {}/{}{what}", app.d(), app.d(), s.d),
        format!("after − before · {name} · d {}/{}", app.d(), s.d),
        "after − before".to_string(),
    ];
    super::title_fit(&forms, width)
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let block = panel(app, area, title(app, area.width as usize), Some(Focus::Slice));
    let inner = block.inner(area);
    block.render(area, buf);
    let diff = match slice_diff(app) {
        Ok(d) => d,
        Err(why) => {
            if inner.height < 3 {
                centered_note(app, inner, buf, &why);
                return;
            }
            let r = Rect { y: inner.y + inner.height / 2 - 1, height: 3, ..inner };
            Paragraph::new(Span::styled(why, t.warn()))
                .centered()
                .wrap(Wrap { trim: true })
                .render(r, buf);
            return;
        }
    };
    let m = super::slice::map_area(area);
    let map = if app.colormap().is_diverging() { app.colormap() } else { Colormap::RdBu };
    let (lo, hi) = crate::tui::colormap::min_max(diff.values.iter());
    let scale = Scale::new(lo, hi, map);
    let key = Key {
        colormap: map,
        ..Key::of(app, What::Diff { row: App::row_of(app.sel()), d: app.d() }, m.width, m.height)
    };
    let r = app
        .cache
        .borrow_mut()
        .get_or(key, || Raster::new(diff.values.view(), scale, app.paint(), m.width, m.height));
    super::draw_raster(app, &r, m, buf, Some(app.cursor()));
    let legend = Rect::new(inner.x, inner.bottom().saturating_sub(1), inner.width, 1);
    let (a, b) = scale.range();
    let (lo, hi) = (fmt_val(a), fmt_val(b));
    let stats =
        format!("  max |Δ| {} · {}/{} changed", fmt_val(diff.max_abs), diff.changed, diff.total);
    let ends = lo.chars().count() + hi.chars().count() + 2;
    let room = legend.width as usize;
    // The bar shrinks first, then the numbers go.
    let show_stats = room >= ends + 6 + stats.chars().count();
    let bar_w = room.saturating_sub(ends + if show_stats { stats.chars().count() } else { 0 });
    let mut spans = vec![Span::styled(lo, t.dim()), Span::raw(" ")];
    for (ch, fg, bg) in crate::tui::raster::colour_bar(&scale, app.tier(), bar_w.min(30) as u16) {
        spans.push(Span::styled(ch.to_string(), ratatui::style::Style::new().fg(fg).bg(bg)));
    }
    spans.push(Span::styled(format!(" {hi}"), t.dim()));
    if show_stats {
        spans.push(Span::styled(stats, t.accent()));
    }
    Line::from(spans).centered().render(legend, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use crate::tui::testing;

    #[test]
    fn the_diff_is_after_minus_before_on_a_signed_colormap() {
        // cifar: pool1 from maxpool to avgpool keeps 16×16×12; a mean is never above the max,
        // so after − before ≤ 0 everywhere.
        let mut app = testing::cifar_app();
        app.update(Action::Select(Src::Layer(2)));
        app.update(Action::BeforeAfter);
        assert!(slice_diff(&app).unwrap_err().starts_with("no edit yet"));
        let before = app.volume(Src::Layer(2)).unwrap().clone();
        app.update(Action::ChangeKind);
        app.update(Action::ChoiceNext); // maxpool → avgpool
        testing::run_checks(&mut app);
        app.update(Action::Confirm);
        assert!(app.popup().is_none(), "a valid edit applies");
        assert!(slice_diff(&app).unwrap_err().starts_with("waiting for the new pass"));
        testing::run_effects(&mut app);
        let after = app.volume(Src::Layer(2)).unwrap().clone();
        app.update(Action::SetDepth(1));
        let d = slice_diff(&app).unwrap();
        let want = &after.index_axis(Axis(0), 1) - &before.index_axis(Axis(0), 1);
        assert_eq!(d.values, want);
        assert_eq!(d.total, 256);
        assert!(d.values.iter().all(|v| *v <= 0.0) && d.max_abs > 0.0);
        let term = testing::render(&app, 90, 24, render);
        let text = testing::text(&term);
        assert!(
            text.contains("after − before X[:, :, 1] of pool1 · d 1/12 · pool1: kind → avgpool"),
            "{text}"
        );
        let stats = format!("max |Δ| {} · ", fmt_val(d.max_abs));
        assert!(text.contains(&stats) && text.contains("/256 changed"), "{text}");
        // The most negative value is red, a zero difference white.
        let (g, m) = super::super::slice::geometry(&app, Rect::new(0, 0, 90, 24));
        let (ox, oy) = g.origin(m);
        let (r, c) = d.values.indexed_iter().min_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        let (x, y) = g.cell_of(r, c).unwrap();
        let cell = &term.backend().buffer()[(ox + x, oy + y)];
        let ratatui::style::Color::Rgb(red, _, blue) = cell.fg else { panic!("truecolor") };
        assert!(red > blue + 50, "({red}, {blue})");
    }

    #[test]
    fn another_shape_says_why_there_is_no_difference() {
        let mut app = testing::numpy_app();
        app.update(Action::Select(Src::Layer(0)));
        app.update(Action::Edit);
        testing::press(
            &mut app,
            &[crossterm::event::KeyCode::Down, crossterm::event::KeyCode::Down],
        );
        testing::press(
            &mut app,
            &[crossterm::event::KeyCode::End, crossterm::event::KeyCode::Backspace],
        );
        testing::type_str(&mut app, "3");
        testing::run_checks(&mut app);
        app.update(Action::Confirm);
        testing::run_effects(&mut app);
        app.update(Action::BeforeAfter);
        let why = slice_diff(&app).unwrap_err();
        assert_eq!(
            why,
            "conv1 was 4×4×2 before the edit (conv1: stride 2 → 3) and is 3×3×2 now: a \
             cell-by-cell difference needs the same shape"
        );
        // Esc goes back to the slice.
        app.update(Action::Back);
        assert!(!app.diff());
    }
}
