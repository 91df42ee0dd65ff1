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
use ratatui::widgets::{Paragraph, Widget};

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
        return Some(
            app.cache
                .borrow_mut()
                .get_or(key, || Raster::of_image(p, app.paint(), area.width, area.height)),
        );
    }
    // No photo (an input of depth 4, or an .npy): the mean over depth.
    let v = app.volume(Src::Input)?;
    let mean = v.mean_axis(ndarray::Axis(0))?;
    let scale = Scale::of(mean.iter(), Colormap::Auto);
    Some(
        app.cache
            .borrow_mut()
            .get_or(key, || Raster::new(mean.view(), scale, app.paint(), area.width, area.height)),
    )
}

/// A window in numpy slice notation (`X[2:7, 2:7, :]`) when it lies inside the volume's
/// start; a window hanging past the top or left edge (into the padding) would read as numpy's
/// negative indices, so it is written as rows and cols instead.
fn window_text((top, left, bottom, right): Win, as_x: bool) -> String {
    if top >= 0 && left >= 0 {
        if as_x {
            format!("X[{top}:{bottom}, {left}:{right}, :]")
        } else {
            format!("[{top}:{bottom}, {left}:{right}]")
        }
    } else if as_x {
        format!(
            "rows {top}:{bottom}, cols {left}:{right} (negative = padding, not numpy's from-the-end)"
        )
    } else {
        format!("rows {top}:{bottom}, cols {left}:{right}")
    }
}

/// The answer to "is the receptive field the filter's size?" in one line, with real numbers:
/// `pool2's window is 3×3 and conv2's filters are 5×5, but this neuron sees 67×67 pixels`.
pub fn sees(app: &App, i: usize) -> String {
    let a = app.analysis();
    let info = &a.layers[i];
    let name = |j: usize| app.net().layers[j].name.clone();
    let own = |j: usize| -> Option<String> {
        let l = &a.layers[j];
        if let Some(g) = l.conv() {
            let (r, c) = (g.window.rows, g.window.cols);
            Some(format!("{}'s filters are {}×{}", name(j), r.f, c.f))
        } else {
            l.pool().map(|g| {
                let (r, c) = (g.window.rows, g.window.cols);
                format!("{}'s window is {}×{}", name(j), r.f, c.f)
            })
        }
    };
    // The nearest conv below this layer, on its first-input path.
    let mut below = None;
    let mut at = app.net().layers[i].inputs.first().copied();
    while let Some(Src::Layer(j)) = at {
        if a.layers[j].conv().is_some() {
            below = Some(j);
            break;
        }
        at = app.net().layers[j].inputs.first().copied();
    }
    let rf = info.rf;
    let img = a.input;
    let of = if app.photo().is_some() { "photo" } else { "input" };
    let seen = if rf.size[0] >= img.h && rf.size[1] >= img.w {
        format!("every pixel of the {}×{} {of}", img.h, img.w)
    } else {
        format!("{}×{} pixels of the {of}", rf.size[0], rf.size[1])
    };
    match (own(i), below.and_then(own)) {
        (Some(o), Some(b)) if info.conv().is_none() => {
            format!("{o} and {b}, but this neuron sees {seen}")
        }
        (Some(o), _) => format!("{o}, but this neuron sees {seen}"),
        (None, Some(b)) => {
            format!("{} has no window of its own ({b}); this neuron sees {seen}", name(i))
        }
        (None, None) => format!("this neuron sees {seen}"),
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let (r, c) = app.cursor();
    let title = format!("input image · receptive field of {}[{r}, {c}, :]", app.name_of(app.sel()));
    let block = panel(app, area, title, None);
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
    let mut lines = Vec::new();
    if let Src::Layer(i) = app.sel() {
        lines.push(Line::from(Span::styled(sees(app, i), t.accent())));
        lines.push(Line::from(""));
    }
    lines.extend([
        Line::from(vec![
            Span::styled("box ", t.label()),
            Span::styled(window_text(rf_box, true), t.accent()),
        ]),
        Line::from(format!(
            "{}×{} px; inside the {}×{} image: rows {ct}:{cb}, cols {cl}:{cr}",
            rf_box.2 - rf_box.0,
            rf_box.3 - rf_box.1,
            img.h,
            img.w
        )),
    ]);
    if let Src::Layer(i) = app.sel() {
        let rf = &app.analysis().layers[i].rf;
        if rf.jump != [0, 0] {
            let first = rf.window(0, 0);
            lines.push(Line::from(Span::styled(
                format!(
                    "jump {}: one neuron to the right moves the window {} px; start {}: \
                     neuron [0, 0]'s window begins at row {}, col {}{}",
                    rf.jump[1],
                    rf.jump[1],
                    rf.start[0],
                    first.top,
                    first.left,
                    if first.top < 0 || first.left < 0 { " (in the padding)" } else { "" }
                ),
                t.dim(),
            )));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("traced back, layer by layer:", t.label())));
    let steps = trace(app, app.sel(), r, c);
    if steps.iter().any(|(_, _, (a, l, ..))| *a < 0 || *l < 0) {
        lines.push(Line::from(Span::styled(
            "(negative rows and cols are zero padding, not numpy's from-the-end)",
            t.dim(),
        )));
    }
    // Everything as wrapped rows, wrapped once: the text above the trace, then each step.
    let wrap = |l: Vec<Line<'static>>| crate::tui::wrap::lines(l, text_area.width);
    let mut rows = wrap(lines);
    let step_rows: Vec<Vec<Line<'static>>> = steps
        .iter()
        .map(|(name, shape, (a, l, b, rr))| {
            wrap(vec![Line::from(vec![
                Span::styled(format!("{name:<9}"), t.accent()),
                Span::raw(format!(" {}", window_text((*a, *l, *b, *rr), false))),
                Span::styled(format!("  of {shape}"), t.dim()),
            ])])
        })
        .collect();
    // What fits, with a row for each "more" mark; the rest is counted, not cut.
    let room = (text_area.height as usize).saturating_sub(rows.len());
    // Scrolled (C-d, C-u): the steps above and below the window are counted, not cut.
    let fits = |skip: usize| {
        let count = |avail: usize| {
            let mut sum = 0;
            step_rows[skip..]
                .iter()
                .take_while(|h| {
                    sum += h.len();
                    sum <= avail
                })
                .count()
        };
        let avail = room.saturating_sub(usize::from(skip > 0));
        let n = count(avail);
        if skip + n < steps.len() { count(avail.saturating_sub(1)) } else { n }
    };
    let max_skip = (0..=steps.len()).find(|&k| k + fits(k) >= steps.len()).unwrap_or(0);
    let skip = app.trace_scroll().min(max_skip);
    let shown = fits(skip);
    app.note_scroll_page(shown);
    if skip > 0 {
        rows.extend(wrap(vec![Line::from(Span::styled(
            format!("↑ {skip} more above (C-u)"),
            t.dim(),
        ))]));
    }
    rows.extend(step_rows.into_iter().skip(skip).take(shown).flatten());
    let below = steps.len() - skip - shown;
    if below > 0 {
        rows.extend(wrap(vec![Line::from(Span::styled(
            format!("+{below} more (C-d scrolls)"),
            t.dim(),
        ))]));
    }
    Paragraph::new(rows).render(text_area, buf);
    let Some(ras) = photo_raster(app, img_area) else {
        centered_note(app, img_area, buf, &waiting(app));
        return;
    };
    super::draw_raster(app, &ras, img_area, buf, None);
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
    let mut put_at = |x: u16, y: u16, ch: char| {
        if let Some(cell) = buf.cell_mut((x, y)) {
            cell.set_char(ch).set_fg(style.fg.unwrap_or_default());
            if let Some(bg) = style.bg {
                cell.set_bg(bg);
            }
            cell.modifier.insert(style.add_modifier);
        }
    };
    if ras.image.is_some() {
        // Text over an image would hide under it (kitty) or erase its pixels and resend the
        // photo at every move (sixel, iTerm2): the box is marked on rulers around it instead.
        let (w, h) = (g.cols, g.rows);
        for x in x0..=x1 {
            if oy > 0 {
                put_at(ox + x, oy - 1, '▄');
            }
            put_at(ox + x, oy + h, '▀');
        }
        for y in y0..=y1 {
            if ox > 0 {
                put_at(ox - 1, oy + y, '▐');
            }
            put_at(ox + w, oy + y, '▌');
        }
        return;
    }
    let mut put = |x: u16, y: u16, ch: char| put_at(ox + x, oy + y, ch);
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
    fn the_readme_shows_the_q3_trace_as_the_screen_does() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::Select(Src::Layer(7))); // pool2
        app.update(Action::SetCursor(3, 5));
        let term = testing::render(&app, 120, 40, render);
        // The text column: the right 46 columns inside the border.
        let rows: Vec<String> = testing::text(&term)
            .lines()
            .skip(1)
            .take(38)
            .map(|l| l.chars().skip(73).take(46).collect::<String>().trim_end().to_string())
            .collect();
        let end = rows.iter().rposition(|r| !r.is_empty()).map_or(0, |i| i + 1);
        let body = rows[..end].join("\n");
        assert!(body.contains("sees 67×67 pixels"), "{body}");
        crate::readme_block::check("q3", &format!("```\n{body}\n```\n"));
    }

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
        assert!(text.contains("box X[2:7, 2:7, :]"), "{text}");
        assert_eq!(
            sees(&app, 0),
            "conv1's filters are 5×5, but this neuron sees 5×5 pixels of the input"
        );
        // At 14 rows the whole trace fits; at 12 the last step is counted, not cut, and C-d
        // scrolls to it.
        assert!(text.contains("input     [2:7, 2:7]  of 11×11×4"), "{text}");
        let short = testing::text(&testing::render(&app, 80, 13, render));
        assert!(short.contains("+2 more (C-d scrolls)"), "{short}");
        app.update(Action::ScrollDown);
        let scrolled = testing::text(&testing::render(&app, 80, 13, render));
        assert!(scrolled.contains("more above (C-u)"), "{scrolled}");
    }

    #[test]
    fn a_pool_says_its_window_the_conv_below_and_what_it_sees() {
        let app = testing::alexnet_shapes();
        let pool2 = app.net().find("pool2").unwrap();
        assert_eq!(
            sees(&app, pool2),
            "pool2's window is 3×3 and conv2's filters are 5×5, but this neuron sees 67×67 \
             pixels of the input"
        );
        let relu1 = app.net().find("relu1").unwrap();
        assert!(sees(&app, relu1).starts_with("relu1 has no window of its own (conv1's filters"));
    }
}
