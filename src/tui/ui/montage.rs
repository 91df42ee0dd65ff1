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

/// The first thumbnail shown (pages keep d visible).
fn first(app: &App) -> usize {
    let (per_row, _, _, rows_fit) = montage_grid(app);
    let page = per_row * rows_fit;
    (app.d() / page) * page
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
    let (per_row, _, _, rows_fit) = montage_grid(app);
    let (from, to) = (first(app), (first(app) + per_row * rows_fit).min(s.d));
    let shown = if to - from < s.d {
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
    let (per_row, tw, th, rows_fit) = montage_grid(app);
    let first = first(app);
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
            app.cache.borrow_mut().get_or(key, || Raster::new(slice, scale, app.tier(), tw, th));
        r.render(Rect::new(cell.x, cell.y, tw, th), buf, None);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Src;
    use crate::tui::action::Action;
    use crate::tui::testing;

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
