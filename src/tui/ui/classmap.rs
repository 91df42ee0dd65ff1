//! The class-map view (`g`): the map blended over the photo, the top-5 classes to pick from,
//! and what the map's value under the cursor is made of.

use super::{centered_note, draw_raster, panel, theme, waiting};
use crate::engine::classmap::{ClassMap, Method, overlay};
use crate::tui::app::App;
use crate::tui::bars::bar;
use crate::tui::cache::{Key, What};
use crate::tui::raster::Raster;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let cv = app.class_view();
    let text_w = 52.min(area.width / 2);
    let img_area = Rect { width: area.width - text_w, ..area };
    let side = Rect { x: img_area.right(), width: text_w, ..area };
    let top5_h = super::top5::HEIGHT.min(side.height);
    let top5_area = Rect { height: top5_h, ..side };
    let info_area = Rect { y: side.y + top5_h, height: side.height - top5_h, ..side };
    render_map(app, img_area, buf);
    render_top5(app, top5_area, buf, cv.top5_focus);
    render_info(app, info_area, buf);
}

fn title(app: &App) -> String {
    let cv = app.class_view();
    let class = app.map_class().map_or_else(String::new, |c| {
        format!(" of '{}'", crate::model::classes::label(app.net(), c))
    });
    format!("{}{class} · Space: method · Tab: class list", cv.method().name())
}

/// The blended photo: the map resampled to the input (bilinear between cell centres), ReLU,
/// scaled to its maximum, turbo colours over the photo.
fn overlay_raster(app: &App, m: &ClassMap, area: Rect) -> Option<std::rc::Rc<Raster>> {
    let input = app.analysis().input;
    let (h, w) = (input.h, input.w);
    let heat = overlay::heat(&overlay::resample(m, h, w, (h, w)));
    let base = match app.photo() {
        Some(p) => (**p).clone(),
        None => image::RgbImage::from_pixel(w as u32, h as u32, image::Rgb([96, 96, 96])),
    };
    let img = overlay::blend(&base, &heat);
    let key =
        Key::of(app, What::ClassMap { serial: app.class_view().serial }, area.width, area.height);
    let ch = |k: usize| {
        ndarray::Array2::from_shape_fn((h, w), |(y, x)| {
            img.get_pixel(x as u32, y as u32).0[k] as f32
        })
    };
    let (r, g, b) = (ch(0), ch(1), ch(2));
    Some(app.cache.borrow_mut().get_or(key, || {
        Raster::rgb([r.view(), g.view(), b.view()], app.paint(), area.width, area.height)
    }))
}

/// The input pixel at the centre of map cell `(r, c)`.
fn cell_centre(m: &ClassMap, (r, c): (usize, usize), (h, w): (usize, usize)) -> (usize, usize) {
    let (n_r, n_c) = m.map.dim();
    match &m.occlusion {
        Some(o) => {
            ((r * o.stride + o.patch / 2).min(h - 1), (c * o.stride + o.patch / 2).min(w - 1))
        }
        None => {
            (((2 * r + 1) * h / (2 * n_r)).min(h - 1), ((2 * c + 1) * w / (2 * n_c)).min(w - 1))
        }
    }
}

fn render_map(app: &App, area: Rect, buf: &mut Buffer) {
    let block = panel(app, area, title(app), None);
    let inner = block.inner(area);
    block.render(area, buf);
    let cv = app.class_view();
    let Some(m) = &cv.map else {
        let note = match (&cv.error, cv.progress, app.results()) {
            (Some(e), _, _) => e.clone(),
            (_, Some((d, t)), _) => format!("occlusion: {d}/{t} passes…"),
            (_, _, None) => waiting(app),
            _ => "computing the class map…".into(),
        };
        centered_note(app, inner, buf, &note);
        return;
    };
    let input = app.analysis().input;
    if let Some(r) = overlay_raster(app, m, inner) {
        let cursor = cell_centre(m, cv.cell, (input.h, input.w));
        draw_raster(app, &r, inner, buf, (!cv.top5_focus).then_some(cursor));
    }
    if !cv.is_current() {
        crate::tui::dim::dim(buf, inner, app.tier());
    }
}

fn render_top5(app: &App, area: Rect, buf: &mut Buffer, focused: bool) {
    let t = theme(app);
    let block =
        panel(app, area, "class: ↑/↓ when focused (Tab)", None).border_style(t.border(focused));
    let inner = block.inner(area);
    block.render(area, buf);
    let ranked = app.ranked(inner.height as usize);
    if ranked.is_empty() {
        centered_note(app, inner, buf, &waiting(app));
        return;
    }
    let chosen = app.map_class();
    let w = inner.width as usize;
    let label_w = w.saturating_sub(2 + 6 + 1 + 8).clamp(4, 24);
    let bar_w = w.saturating_sub(2 + label_w + 1 + 6 + 1);
    for (row, (i, label, p)) in ranked.iter().enumerate() {
        let on = Some(*i) == chosen;
        let name: String = label.chars().take(label_w).collect();
        let style = if on { t.accent() } else { t.dim() };
        let line = Line::from(vec![
            Span::styled(if on { "▶ " } else { "  " }, style),
            Span::styled(format!("{name:<label_w$} "), style),
            Span::styled(format!("{p:>6.3} "), style),
            Span::styled(bar(*p, 1.0, bar_w, false), t.bar(on)),
        ]);
        line.render(Rect::new(inner.x, inner.y + row as u16, inner.width, 1), buf);
    }
}

fn render_info(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let cv = app.class_view();
    let (r, c) = cv.cell;
    let block = panel(app, area, format!("map[{r}, {c}]: what it is made of"), None);
    let inner = block.inner(area);
    block.render(area, buf);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(n) = &cv.note {
        lines.push(Line::from(Span::styled(n.clone(), t.warn())));
    }
    if let Some((d, tot)) = cv.progress.filter(|(_, tot)| *tot > 0) {
        let bw = (inner.width as usize).saturating_sub(22);
        lines.push(Line::from(vec![
            Span::styled(format!("occlusion {d:>3}/{tot} "), t.warn()),
            Span::styled(bar(d as f32, tot as f32, bw, false), t.bar(true)),
        ]));
    }
    if let Some(e) = &cv.error {
        lines.push(Line::from(Span::styled(format!("✗ {e}"), t.error())));
    }
    let Some(m) = &cv.map else {
        Paragraph::new(lines).wrap(Wrap { trim: true }).render(inner, buf);
        return;
    };
    let (h, w) = m.map.dim();
    let v = m.map.get([r, c]).copied().unwrap_or(f32::NAN);
    lines.push(Line::from(Span::styled(m.describe(app.net()), t.dim())));
    lines.push(Line::from(vec![
        Span::styled("class ", t.label()),
        Span::raw(format!("{} · logit {:.4} · p {:.4}", m.class, m.logit, m.prob)),
    ]));
    match m.method {
        Method::Occlusion => {
            if let Some(o) = &m.occlusion {
                let (r0, c0) = (r * o.stride, c * o.stride);
                lines.push(Line::from(format!(
                    "patch rows {r0}:{}, cols {c0}:{} set to {}",
                    r0 + o.patch,
                    c0 + o.patch,
                    o.fill
                )));
                lines.push(Line::from(vec![
                    Span::styled("drop ", t.label()),
                    Span::styled(format!("{v:+.5}"), t.accent()),
                    Span::raw(format!(" = p {:.5} − p occluded {:.5}", m.prob, m.prob - v)),
                ]));
            }
        }
        _ => {
            let weight = if m.method == Method::Cam { "w[c,k]" } else { "α_k" };
            lines.push(Line::from(vec![
                Span::styled("M ", t.label()),
                Span::styled(format!("{v:.5}"), t.accent()),
                Span::raw(format!(
                    " = Σ_k {weight}·A_k[{r}, {c}] over {} channels; largest:",
                    m.weights.len()
                )),
            ]));
            for term in m.terms(r, c, 6) {
                lines.push(Line::from(format!(
                    "  k {:>4}: {:+.5} × {:.4} = {:+.5}",
                    term.channel,
                    term.weight,
                    term.activation,
                    term.value()
                )));
            }
            if m.method == Method::Cam {
                let mean = m.map.mean().unwrap_or(0.0);
                lines.push(Line::from(Span::styled(
                    format!(
                        "mean(M) + b = {mean:.4} + {:.4} = {:.4} = the logit",
                        m.bias,
                        mean + m.bias
                    ),
                    t.dim(),
                )));
            }
        }
    }
    let input = app.analysis().input;
    lines.push(Line::from(Span::styled(
        format!(
            "drawn: ReLU(M)/max over the {}×{} photo, the {h}×{w} map bilinear between cell \
             centres{}",
            input.h,
            input.w,
            cv.elapsed.map_or_else(String::new, |e| format!(
                " · computed in {:.0} ms",
                e.as_secs_f64() * 1e3
            ))
        ),
        t.dim(),
    )));
    Paragraph::new(lines).wrap(Wrap { trim: true }).render(inner, buf);
}
