//! The input image with the selected neuron's receptive field drawn as a box, and the window
//! traced back through every layer (padding and dilation counted). The box is the library's
//! `ReceptiveField::window`; the trace shows how each layer widens it.

use super::{centered_note, panel, theme, waiting};
use crate::nn::Src;
use crate::tui::app::App;
use crate::tui::cache::{Key, What};
use crate::tui::colormap::{Colormap, Scale};
use crate::tui::raster::Raster;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// A window `[top, bottom) × [left, right)` in one volume's coordinates (may hang over edges).
pub type Win = (i64, i64, i64, i64);

/// The neuron's window in every volume on its path back to the input (first input of each
/// layer): `(name, shape, window)`, from the neuron's own layer down to the input. The windows
/// come from the library's [`crate::nn::receptive::trace`].
pub fn trace(app: &App, sel: Src, r: usize, c: usize) -> Vec<(String, String, Win)> {
    crate::nn::receptive::trace(app.net(), app.analysis(), sel, r, c)
        .into_iter()
        .map(|s| {
            let w = s.window;
            (
                app.name_of(s.src).to_string(),
                app.shape(s.src).to_string(),
                (w.top, w.left, w.bottom, w.right),
            )
        })
        .collect()
}

pub(super) fn photo_raster(app: &App, area: Rect) -> Option<std::rc::Rc<Raster>> {
    let key = Key::of(app, What::Photo, area.width, area.height);
    if let Some(p) = &app.photo() {
        let (w, h) = p.dimensions();
        let ch = |k: usize| {
            ndarray::Array2::from_shape_fn((h as usize, w as usize), |(y, x)| {
                p.get_pixel(x as u32, y as u32).0[k] as f32
            })
        };
        let (r, g, b) = (ch(0), ch(1), ch(2));
        return Some(app.cache.borrow_mut().get_or(key, || {
            Raster::rgb([r.view(), g.view(), b.view()], app.tier(), area.width, area.height)
        }));
    }
    // No photo (an input of depth 4, or an .npy): the mean over depth.
    let v = app.volume(Src::Input)?;
    let mean = v.mean_axis(ndarray::Axis(0))?;
    let scale = Scale::of(mean.iter(), Colormap::Auto);
    Some(
        app.cache
            .borrow_mut()
            .get_or(key, || Raster::new(mean.view(), scale, app.tier(), area.width, area.height)),
    )
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let (r, c) = app.cursor();
    let title = format!("input image · receptive field of {}[{r}, {c}, :]", app.name_of(app.sel()));
    let block = panel(app, title, None);
    let inner = block.inner(area);
    block.render(area, buf);
    let text_w = 46.min(inner.width / 2);
    let img_area = Rect { width: inner.width - text_w, ..inner };
    let text_area = Rect { x: img_area.right(), width: text_w, ..inner };
    let img = app.analysis().input;
    let rf_box = match app.sel() {
        Src::Input => (r as i64, c as i64, r as i64 + 1, c as i64 + 1),
        Src::Layer(i) => {
            let b = &app.analysis().layers[i].rf.window(r, c);
            (b.top, b.left, b.bottom, b.right)
        }
    };
    let clip = |v: i64, n: usize| v.clamp(0, n as i64) as usize;
    let (ct, cl, cb, cr) = (
        clip(rf_box.0, img.h),
        clip(rf_box.1, img.w),
        clip(rf_box.2, img.h),
        clip(rf_box.3, img.w),
    );
    let mut lines = vec![
        Line::from(vec![
            Span::styled("box ", t.label()),
            Span::styled(
                format!("rows {}..{}, cols {}..{}", rf_box.0, rf_box.2, rf_box.1, rf_box.3),
                t.accent(),
            ),
        ]),
        Line::from(format!(
            "{}×{} px; inside the {}×{} image: rows {ct}..{cb}, cols {cl}..{cr}",
            rf_box.2 - rf_box.0,
            rf_box.3 - rf_box.1,
            img.h,
            img.w
        )),
        Line::from(""),
        Line::from(Span::styled("traced back, layer by layer:", t.label())),
    ];
    for (name, shape, (a, l, b, rr)) in trace(app, app.sel(), r, c) {
        lines.push(Line::from(vec![
            Span::styled(format!("{name:<9}"), t.accent()),
            Span::raw(format!(" r {a}..{b} c {l}..{rr}")),
            Span::styled(format!("  of {shape}"), t.dim()),
        ]));
    }
    if let Src::Layer(i) = app.sel() {
        let rf = &app.analysis().layers[i].rf;
        if rf.jump != [0, 0] {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                format!(
                    "size {}×{}, jump {}, start {}",
                    rf.size[0], rf.size[1], rf.jump[0], rf.start[0]
                ),
                t.dim(),
            )));
        }
    }
    Paragraph::new(lines).wrap(Wrap { trim: false }).render(text_area, buf);
    let Some(ras) = photo_raster(app, img_area) else {
        centered_note(app, img_area, buf, &waiting(app));
        return;
    };
    ras.render(img_area, buf, None);
    // Outline the clipped box on the image.
    if cb <= ct || cr <= cl {
        return;
    }
    let g = ras.geom;
    let (ox, oy) = g.origin(img_area);
    let (x0, y0) = g.corner_cell(ct, cl);
    let (x1, y1) = g.corner_cell(cb - 1, cr - 1);
    let x1 = x1 + if g.half { 0 } else { 1 };
    let style = t.rf_box();
    let mut put = |x: u16, y: u16, ch: char| {
        if let Some(cell) = buf.cell_mut((ox + x, oy + y)) {
            cell.set_char(ch).set_fg(style.fg.unwrap_or_default());
            if let Some(bg) = style.bg {
                cell.set_bg(bg);
            }
            cell.modifier.insert(style.add_modifier);
        }
    };
    if x0 == x1 && y0 == y1 {
        put(x0, y0, '□');
        return;
    }
    for x in x0..=x1 {
        put(x, y0, '─');
        put(x, y1, '─');
    }
    for y in y0..=y1 {
        put(x0, y, '│');
        put(x1, y, '│');
    }
    put(x0, y0, '┌');
    put(x1, y0, '┐');
    put(x0, y1, '└');
    put(x1, y1, '┘');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use crate::tui::testing;

    #[test]
    fn the_trace_ends_at_the_library_receptive_field() {
        let app = testing::alexnet_shapes();
        for (layer, r, c) in [(3, 1, 2), (4, 0, 0), (12, 6, 9), (0, 54, 54)] {
            let tr = trace(&app, Src::Layer(layer), r, c);
            let (_, _, (t, l, b, rr)) = tr.last().unwrap().clone();
            let want = &app.analysis().layers[layer].rf.window(r, c);
            assert_eq!(
                (t, l, b, rr),
                (want.top, want.left, want.bottom, want.right),
                "layer {layer}"
            );
        }
        // pool1 (1, 2) sees rows 8..27, cols 16..35 of the image (19×19).
        let tr = trace(&app, Src::Layer(3), 1, 2);
        assert_eq!(tr.last().unwrap().2, (8, 16, 27, 35));
        assert_eq!(tr[1].0, "norm1");
    }

    #[test]
    fn the_box_is_drawn_on_the_input() {
        let mut app = testing::numpy_app();
        app.update(Action::Select(Src::Layer(0)));
        app.update(Action::SetCursor(1, 1));
        let term = testing::render(&app, 80, 14, render);
        insta::assert_snapshot!(term.backend());
        let text = testing::text(&term);
        assert!(text.contains("rows 2..7, cols 2..7"), "{text}");
    }
}
