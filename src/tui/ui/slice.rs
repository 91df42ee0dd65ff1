//! The depth slice `X[:, :, d]`: the selected volume's map at depth d as a half-block heatmap,
//! with the cursor, ticks on the left and bottom borders at its row and column, and a legend (colour bar with its
//! ends, and the slice's min and max).

use super::{centered_note, panel, theme, waiting};
use crate::tui::app::App;
use crate::tui::bars::fmt_val;
use crate::tui::cache::{Key, What};
use crate::tui::raster::{Geometry, Raster, colour_bar};
use crate::tui::state::{Focus, ScaleMode};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use std::rc::Rc;

/// `depth slice X[:, :, 7] of conv1 · 55×55 · d 7/96`, shortened to fit `width` columns.
pub fn title(app: &App, width: usize) -> String {
    let s = app.shape(app.sel());
    if app.shows_rgb() && app.tier() == crate::tui::color::Tier::Mono {
        // Without colour the photo is drawn as its brightness: say so, not "RGB".
        return format!("input photo as brightness (no colour here) · {}×{}", s.h, s.w);
    }
    if app.shows_rgb() {
        let forms = [
            format!("input photo in colour (R, G, B together) · {}×{}×3", s.h, s.w),
            format!("input photo (RGB) · {}×{}", s.h, s.w),
            "input photo (RGB)".to_string(),
        ];
        return super::title_fit(&forms, width);
    }
    let (d, name) = (app.d(), app.name_of(app.sel()));
    let forms = [
        format!("depth slice X[:, :, {d}] of {name} · {}×{} · d {d}/{}", s.h, s.w, s.d),
        format!("X[:, :, {d}] of {name} · {}×{} · d {d}/{}", s.h, s.w, s.d),
        format!("{name} X[:, :, {d}] · {}×{} · d {d}/{}", s.h, s.w, s.d),
        format!("{name} · {}×{} · d {d}/{}", s.h, s.w, s.d),
        format!("{name} · d {d}/{}", s.d),
    ];
    super::title_fit(&forms, width)
}

/// The map's cells inside the panel: the inner area less the legend row.
pub fn map_area(area: Rect) -> Rect {
    let inner = Rect::new(
        area.x + 1,
        area.y + 1,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    Rect { height: inner.height.saturating_sub(legend_rows(inner)), ..inner }
}

/// Rows under the map for its legend: the colour bar, and (when the panel is tall enough) a
/// second row that says how to read the colours and which scale is used.
fn legend_rows(inner: Rect) -> u16 {
    if inner.height >= 14 { 2 } else { 1 }
}

/// How to read the colours of `scale` at this tier: `RdBu: red < 0 < blue`, or the characters
/// of the ramp without colour.
pub fn how_to_read(app: &App, scale: &crate::tui::colormap::Scale) -> String {
    use crate::tui::color::{ASCII_RAMP, SIGNED_NEG, SIGNED_POS, Tier};
    match app.tier() {
        t if t.has_pixels() => {
            let zero = if !scale.map.is_diverging() && scale.lo < 0.0 {
                " (0 not marked: c for RdBu)"
            } else {
                ""
            };
            format!("{}: {}{zero}", scale.map.name(), scale.map.reading())
        }
        tier => {
            let cols = if tier == Tier::C16 { ", red < 0 < blue" } else { "" };
            if scale.map.is_diverging() {
                let neg: String = SIGNED_NEG[1..].iter().rev().collect();
                let pos: String = SIGNED_POS[1..].iter().collect();
                format!("characters {neg} < 0 < {pos}{cols}")
            } else {
                let ramp: String = ASCII_RAMP[1..].iter().collect();
                format!("characters low {ramp} high")
            }
        }
    }
}

/// The legend's second row, longest first: how the map is drawn (`ratio`), how its colours
/// read, and the scale mode with the keys that change them. Every form keeps the ratio and the
/// scale mode (the colour bar beside it shows the map when its name does not fit).
pub fn reading(app: &App, scale: &crate::tui::colormap::Scale, ratio: &[String]) -> Vec<String> {
    let how = how_to_read(app, scale);
    let (mode, short) = match app.scale_mode() {
        ScaleMode::Slice => ("scale of this slice", "per slice"),
        ScaleMode::Layer => ("scale of the whole layer", "per layer"),
    };
    let name = if app.tier().has_pixels() { scale.map.name() } else { "characters" };
    let mut out = Vec::new();
    for r in ratio {
        for f in [
            format!("{how} · {mode} (s) · c colormap"),
            format!("{how} · {mode} (s)"),
            format!("{how} · {short} (s)"),
            format!("{name} · {short} (s)"),
            format!("{short} (s)"),
        ] {
            out.push(if r.is_empty() { f } else { format!("{r} · {f}") });
        }
    }
    out
}

/// Where the map is drawn (for mouse clicks): its geometry and area.
pub fn geometry(app: &App, area: Rect) -> (Geometry, Rect) {
    let s = app.shape(app.sel());
    let m = map_area(area);
    (Geometry::of(s.h, s.w, app.paint(), m.width, m.height), m)
}

/// The cached raster of slice d of the selected volume for a map area.
pub fn raster(app: &App, m: Rect) -> Option<Rc<Raster>> {
    let vol = app.volume(app.sel())?;
    let scale = app.scale(app.sel(), app.d())?;
    let key =
        Key::of(app, What::Slice { row: App::row_of(app.sel()), d: app.d() }, m.width, m.height);
    let slice = vol.index_axis(ndarray::Axis(0), app.d());
    Some(
        app.cache
            .borrow_mut()
            .get_or(key, || Raster::new(slice, scale, app.paint(), m.width, m.height)),
    )
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let mode = match app.scale_mode() {
        ScaleMode::Slice => "per slice",
        ScaleMode::Layer => "per layer",
    };
    let title = title(app, area.width as usize);
    let block = panel(app, area, title.clone(), Some(Focus::Slice));
    let block = match app.scale(app.sel(), app.d()) {
        Some(_) if app.shows_rgb() => block,
        Some(s) => {
            let name = if app.tier().has_pixels() { s.map.name() } else { "characters" };
            let right = format!(" {name} · {mode} ");
            if title.chars().count() + right.chars().count() + 3 <= area.width as usize {
                block.title_top(Line::from(right).right_aligned())
            } else {
                block
            }
        }
        None => block,
    };
    let inner = block.inner(area);
    block.render(area, buf);
    if let Some(why) = app.not_computed(app.sel()) {
        centered_note(app, inner, buf, &format!("not computed: {why}"));
        return;
    }
    let m = map_area(area);
    if app.shows_rgb() {
        let Some(r) = super::input::photo_raster(app, m) else {
            centered_note(app, inner, buf, &waiting(app));
            return;
        };
        super::draw_raster(app, &r, m, buf, Some(app.cursor()));
        ticks(app, &r, m, area, buf);
        let forms = [
            "the photo as the network sees it · . shows one channel (d 0 = R), , comes back",
            ". shows one channel (d 0 = R) · , comes back to the photo",
            ". one channel · , the photo",
        ];
        let note = super::first_fit(&forms, inner.width as usize);
        let row = Rect::new(inner.x, inner.bottom().saturating_sub(1), inner.width, 1);
        Line::from(Span::styled(note, t.dim())).centered().render(row, buf);
        if legend_rows(inner) == 2 {
            let ratio = r.geom.ratio_of("photo pixel", "photo pixels");
            let forms = [format!("{ratio} ({})", r.geom.px_word()), ratio];
            let row = Rect::new(inner.x, m.bottom(), inner.width, 1);
            let text = super::first_fit(&forms, inner.width as usize);
            Line::from(Span::styled(text, t.label())).centered().render(row, buf);
        }
        return;
    }
    let s = app.shape(app.sel());
    if s.h == 1 && s.w == 1 {
        // One number per slice: a colour block would sit at one end of its own scale.
        one_value(app, inner, buf);
        return;
    }
    let Some(r) = raster(app, m) else {
        centered_note(app, inner, buf, &waiting(app));
        return;
    };
    super::draw_raster(app, &r, m, buf, Some(app.cursor()));
    ticks(app, &r, m, area, buf);
    let two = legend_rows(inner) == 2;
    legend(app, &r, Rect::new(inner.x, m.bottom(), inner.width, 1), buf, !two);
    if two {
        let ratios = ratio_forms(app, &r.geom, " (z for more)");
        // The 1 px = … ratio and the scale mode are kept in every form.
        let note = super::first_fit(&reading(app, &r.scale, &ratios), inner.width as usize);
        let row = Rect::new(inner.x, m.bottom() + 1, inner.width, 1);
        Line::from(Span::styled(note, t.dim())).centered().render(row, buf);
    }
}

/// A 1×1 slice (fc, global pool) as its number, and where it sits among the layer's values.
fn one_value(app: &App, inner: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let Some(vals) = super::column::values(app) else {
        centered_note(app, inner, buf, &waiting(app));
        return;
    };
    let d = app.d().min(vals.len().saturating_sub(1));
    let Some(&v) = vals.get(d) else { return };
    let finite: Vec<f32> = vals.iter().copied().filter(|x| x.is_finite()).collect();
    let (lo, hi) = crate::tui::colormap::min_max(finite.iter());
    let above = finite.iter().filter(|x| **x > v).count();
    let n = vals.len();
    let w = inner.width as usize;
    let bar_w = w.saturating_sub(4).min(40);
    let pos = if hi > lo && v.is_finite() {
        (((v - lo) / (hi - lo)) * (bar_w.max(1) - 1) as f32).round() as usize
    } else {
        bar_w / 2
    };
    let bar: String = (0..bar_w).map(|i| if i == pos { '●' } else { '─' }).collect();
    let lines = vec![
        Line::from(vec![
            Span::styled(format!("X[0, 0, {d}] = "), t.label()),
            Span::styled(fmt_val(v), t.accent()),
        ]),
        Line::from(Span::styled(
            super::first_fit(
                &[
                    "a 1×1 slice is one number, not an image: the depth column holds all of them",
                    "a 1×1 slice is one number, not an image",
                    "one number per slice",
                ],
                w,
            ),
            t.dim(),
        )),
        Line::raw(""),
        Line::from(Span::styled(
            super::first_fit(
                &[format!("among the {n} values of this layer"), format!("among {n}")],
                w,
            ),
            t.label(),
        )),
        Line::from(format!("├{bar}┤")),
        Line::from(vec![
            Span::styled("min ", t.label()),
            Span::raw(fmt_val(lo)),
            Span::styled("  max ", t.label()),
            Span::raw(fmt_val(hi)),
        ]),
        Line::from(Span::raw(format!("rank {} of {n} from the top", above + 1))),
    ];
    let top = inner.y + inner.height.saturating_sub(lines.len() as u16) / 2;
    for (i, l) in lines.into_iter().enumerate() {
        let y = top + i as u16;
        if y < inner.bottom() {
            l.centered().render(Rect::new(inner.x, y, inner.width, 1), buf);
        }
    }
}

/// How the map is drawn, longest first: the ratio with what a pixel is and the zoom hint
/// (`zoom`, when the map is averaged and not zoomed), the ratio with the hint, the ratio alone.
fn ratio_forms(app: &App, g: &Geometry, zoom: &str) -> [String; 3] {
    let ratio = g.ratio();
    let zoom = if matches!(g.fit, crate::tui::raster::Fit::Down { .. }) && !app.zoom() {
        zoom
    } else {
        ""
    };
    [format!("{ratio} ({}){zoom}", g.px_word()), format!("{ratio}{zoom}"), ratio]
}

/// Ticks on the border point at the cursor's row and column.
fn ticks(app: &App, r: &Raster, m: Rect, area: Rect, buf: &mut Buffer) {
    if let Some((x, y)) = r.geom.cell_of(app.cursor().0, app.cursor().1) {
        let (ox, oy) = r.geom.origin(m);
        let tick = theme(app).accent();
        if let Some(c) = buf.cell_mut((ox + x, area.bottom().saturating_sub(1))) {
            c.set_char('▲').set_style(tick);
        }
        if let Some(c) = buf.cell_mut((area.x, oy + y)) {
            c.set_char('▶').set_style(tick);
        }
    }
}

/// `−4.1 ▕colours▏ 4.1  min −0.52 max 4.1`.
fn legend(app: &App, r: &Raster, area: Rect, buf: &mut Buffer, with_ratio: bool) {
    if area.height == 0 || area.width < 12 {
        return;
    }
    let t = theme(app);
    let (a, b) = r.scale.range();
    let (lo, hi) = (fmt_val(a), fmt_val(b));
    let extra = format!("  min {} max {}", fmt_val(r.scale.lo), fmt_val(r.scale.hi));
    // How the map is drawn: neurons per pixel, and (with room) what a pixel is.
    let [long, _, short] = ratio_forms(app, &r.geom, " · z for more");
    let (long_ratio, short_ratio) = (format!("  {long}"), format!("  {short}"));
    let fixed = lo.chars().count() + hi.chars().count() + 2;
    let w = area.width as usize;
    let ratio_text = if !with_ratio {
        String::new()
    } else if w >= fixed + long_ratio.chars().count() + 8 {
        long_ratio
    } else if w >= fixed + short_ratio.chars().count() + 6 {
        short_ratio
    } else {
        String::new()
    };
    let fixed = fixed + ratio_text.chars().count();
    let show_extra = r.scale.map.is_diverging() && area.width as usize > fixed + extra.len() + 10;
    let bar_w = (area.width as usize)
        .saturating_sub(fixed + if show_extra { extra.len() } else { 0 })
        .min(40);
    let mut spans = vec![Span::styled(lo, t.dim()), Span::raw(" ")];
    for (ch, fg, bg) in colour_bar(&r.scale, app.tier(), bar_w as u16) {
        spans.push(Span::styled(ch.to_string(), ratatui::style::Style::new().fg(fg).bg(bg)));
    }
    spans.extend([Span::raw(" "), Span::styled(hi, t.dim())]);
    if show_extra {
        spans.push(Span::styled(extra, t.dim()));
    }
    if !ratio_text.is_empty() {
        spans.push(Span::styled(ratio_text, t.label()));
    }
    if let Some(bad) = non_finite(app) {
        spans.push(Span::styled(format!("  {bad} ▪"), t.error()));
    }
    Line::from(spans).centered().render(area, buf);
}

/// `3 NaN · 1 +∞` of the slice shown (or of the layer, with the per-layer scale).
pub fn non_finite(app: &App) -> Option<String> {
    let st = app.stats(app.sel())?;
    let bad = match app.scale_mode() {
        ScaleMode::Slice => *st.ch_bad.get(app.d())?,
        ScaleMode::Layer => st.bad,
    };
    bad.describe()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Src;
    use crate::tui::action::Action;
    use crate::tui::color::Tier;
    use crate::tui::colormap::Scale;
    use crate::tui::raster::value_color;
    use crate::tui::testing;

    #[test]
    fn the_ramp_slice_follows_its_data() {
        // Input slice d 1 of the ramp volume holds X[r, c, 1] = 4r + c (0..15), upscaled ×3.
        let mut app = testing::ramp_app(Tier::Truecolor);
        app.update(Action::SetDepth(1));
        app.update(Action::SetCursor(1, 2));
        let term = testing::render(&app, 16, 9, render);
        insta::assert_snapshot!(term.backend());
        let buf = term.backend().buffer();
        let (g, m) = geometry(&app, Rect::new(0, 0, 16, 9));
        assert_eq!(g.fit, crate::tui::raster::Fit::Up { k: 3 });
        let (ox, oy) = g.origin(m);
        let scale = Scale::new(0.0, 15.0, app.colormap());
        let col = |v: f32| value_color(&scale, Tier::Truecolor, v);
        // Cell (0, 0): pixel rows 0 and 1 are both value X[0, 0] = 0.
        assert_eq!((buf[(ox, oy)].fg, buf[(ox, oy)].bg), (col(0.0), col(0.0)));
        // Cell row 1 holds pixel rows 2 (X[0, c]) and 3 (X[1, c]): fg = top, bg = bottom.
        assert_eq!((buf[(ox + 9, oy + 1)].fg, buf[(ox + 9, oy + 1)].bg), (col(3.0), col(7.0)));
        // The last row: X[3, 3] = 15 is the brightest.
        assert_eq!(buf[(ox + 11, oy + 5)].bg, col(15.0));
        assert_eq!(buf[(ox + 11, oy + 5)].bg, ratatui::style::Color::Rgb(253, 231, 37));
        // The cursor at (1, 2) is marked in its block and keeps its colour behind the mark.
        let (cx, cy) = g.cell_of(1, 2).unwrap();
        assert_eq!(buf[(ox + cx, oy + cy)].symbol(), "┼");
        assert_eq!(buf[(ox + cx, oy + cy)].bg, col(6.0));
    }

    #[test]
    fn signed_data_is_diverging_with_zero_white() {
        // Input d 0 of the ramp volume is 4r + c − 8: signed, RdBu.
        let app = testing::ramp_app(Tier::Truecolor);
        let term = testing::render(&app, 16, 9, render);
        let buf = term.backend().buffer();
        let (g, m) = geometry(&app, Rect::new(0, 0, 16, 9));
        let (ox, oy) = g.origin(m);
        // X[2, 0] = 0 is white; X[0, 0] = −8 red; X[3, 3] = 7 blue.
        let px = |r: usize, c: usize| match buf[(ox + 3 * c as u16, oy + (3 * r as u16) / 2)].fg {
            ratatui::style::Color::Rgb(r, g, b) => (r, g, b),
            other => panic!("{other:?}"),
        };
        let white = px(2, 0);
        assert!(white.0 > 230 && white.1 > 230 && white.2 > 230, "{white:?}");
        let red = px(0, 0);
        assert!(red.0 > red.2 + 50, "{red:?}");
        let wide = testing::render(&app, 70, 9, render);
        assert!(testing::text(&wide).contains("RdBu · per slice"), "{}", testing::text(&wide));
    }

    #[test]
    fn tiers_without_pixels_use_the_ascii_ramp() {
        let mut app = testing::ramp_app(Tier::Mono);
        app.update(Action::SetDepth(1));
        let term = testing::render(&app, 20, 7, render);
        insta::assert_snapshot!(term.backend());
        let mut c256 = testing::ramp_app(Tier::C256);
        c256.update(Action::SetDepth(1));
        let term = testing::render(&c256, 16, 9, render);
        let buf = term.backend().buffer();
        let (g, m) = geometry(&c256, Rect::new(0, 0, 16, 9));
        let (ox, oy) = g.origin(m);
        assert!(matches!(buf[(ox, oy)].fg, ratatui::style::Color::Indexed(_)));
    }

    #[test]
    fn before_the_pass_the_title_already_has_the_shape() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::Select(Src::Layer(0)));
        app.update(Action::SetDepth(7));
        let term = testing::render(&app, 64, 12, render);
        let text = testing::text(&term);
        assert!(text.contains("depth slice X[:, :, 7] of conv1 · 55×55 · d 7/96"), "{text}");
        assert!(text.contains("loading the weights"), "{text}");
    }

    #[test]
    fn the_input_opens_as_the_colour_photo_and_channels_are_one_key_away() {
        use crate::nn::Src;
        use crate::tui::action::Action;
        let mut app = crate::tui::testing::cifar_photo_app();
        assert_eq!(app.sel(), Src::Input);
        assert!(app.shows_rgb());
        let term = crate::tui::testing::render(&app, 60, 24, super::render);
        let text = crate::tui::testing::text(&term);
        assert!(text.contains("input photo in colour (R, G, B together) · 32×32×3"), "{text}");
        // The cell over pixel (0, 0) is drawn in that pixel's colour (its upper half).
        let p = app.photo().unwrap().get_pixel(0, 0).0;
        let (g, m) = super::geometry(&app, ratatui::layout::Rect::new(0, 0, 60, 24));
        let (ox, oy) = g.origin(m);
        let cell = &term.backend().buffer()[(ox, oy)];
        assert_eq!(cell.fg, ratatui::style::Color::Rgb(p[0], p[1], p[2]), "{cell:?}");
        // `.` shows channel d 0 (R) as a heatmap; `,` from d 0 comes back to the photo.
        app.update(Action::NextDepth);
        assert!(!app.shows_rgb() && app.d() == 0);
        let text =
            crate::tui::testing::text(&crate::tui::testing::render(&app, 60, 24, super::render));
        assert!(text.contains("X[:, :, 0] of input"), "{text}");
        app.update(Action::NextDepth);
        assert_eq!(app.d(), 1);
        app.update(Action::PrevDepth);
        app.update(Action::PrevDepth);
        assert!(app.shows_rgb());
    }

    #[test]
    fn the_scale_mode_stays_readable_when_the_legend_is_narrow() {
        use crate::tui::action::Action;
        let mut app = crate::tui::testing::numpy_app();
        app.update(Action::Select(crate::nn::Src::Layer(0)));
        let forms =
            [("per slice (s)", "scale of this slice (s)"), ("per layer (s)", "whole layer (s)")];
        for (word, long) in forms {
            for w in 24..90u16 {
                let area = ratatui::layout::Rect::new(0, 0, w, 20);
                let (g, _) = super::geometry(&app, area);
                let need = format!("{} · {word}", g.ratio()).chars().count();
                let text = crate::tui::testing::text(&crate::tui::testing::render(
                    &app,
                    w,
                    20,
                    super::render,
                ));
                if need + 2 <= w as usize {
                    let said = text.contains(word) || text.contains(long);
                    assert!(said, "{word} at width {w}:\n{text}");
                    assert!(text.contains(&g.ratio()), "{word} at width {w}:\n{text}");
                }
            }
            app.update(Action::ToggleScale);
        }
    }

    #[test]
    fn the_legend_says_how_many_neurons_a_pixel_is_and_it_is_true() {
        use crate::tui::color::Tier;
        use crate::tui::raster::Geometry;
        // 55×55 into 40×20 cells = 40×40 half-block pixels: each pixel averages 1.4×1.4.
        assert_eq!(
            Geometry::new(55, 55, Tier::Truecolor, 40, 20).ratio(),
            "1 px = mean of 1.4×1.4 neurons"
        );
        // 11×11 into the same: whole 3×3 blocks.
        assert_eq!(Geometry::new(11, 11, Tier::Truecolor, 40, 20).ratio(), "1 neuron = 3×3 px");
        assert_eq!(Geometry::new(40, 40, Tier::Truecolor, 40, 20).ratio(), "1 px = 1 neuron");
        // On screen: the legend carries the ratio of the geometry the map is drawn with.
        let mut app = crate::tui::testing::numpy_app();
        app.update(crate::tui::action::Action::Select(crate::nn::Src::Layer(0)));
        let area = ratatui::layout::Rect::new(0, 0, 70, 20);
        let (g, _) = super::geometry(&app, area);
        let text =
            crate::tui::testing::text(&crate::tui::testing::render(&app, 70, 20, super::render));
        assert!(text.contains(&g.ratio()), "{} not in\n{text}", g.ratio());
        // A 4×4 map in 68×16 cells: 8×8 px per neuron, so the map is 32 cells wide (one half-
        // block each) and 16 rows tall (two pixels each), as drawn.
        assert!(text.contains("1 neuron = 8×8 px (px = half a cell)"), "{text}");
        let row = text.lines().nth(3).unwrap();
        assert_eq!(row.matches('▀').count(), 32, "{row}");
        let rows = text.lines().filter(|l| l.contains('▀') || l.contains('┼')).count();
        assert_eq!(rows, 16, "{text}");
    }
}
