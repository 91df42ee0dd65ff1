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
    Some(
        app.cache
            .borrow_mut()
            .get_or(key, || Raster::of_image(&img, app.paint(), area.width, area.height)),
    )
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
             centres",
            input.h, input.w
        ),
        t.dim(),
    )));
    if let Some(e) = cv.elapsed {
        lines.push(Line::from(Span::styled(
            format!("computed in {:.0} ms", e.as_secs_f64() * 1e3),
            t.dim(),
        )));
    }
    Paragraph::new(lines).wrap(Wrap { trim: true }).render(inner, buf);
}

#[cfg(test)]
mod tests {
    use crate::nn::layer::{ConvParams, Layer, LayerKind, Origin, Padding, Weights};
    use crate::nn::network::{InputSpec, Normalize};
    use crate::nn::{Network, Shape3, Src};
    use crate::tui::action::Action;
    use crate::tui::testing;
    use ndarray::{Array1, Array2, Array4};
    use ratatui::style::Color;

    /// 8×8 RGB → conv 1×1 summing R, G, B → relu → global average pool → fc (bright, dark).
    /// CAM of "bright" is the brightness: hot where the photo is white.
    fn net() -> Network {
        let l = |name: &str, kind: LayerKind, input: Src, weights: Weights| Layer {
            name: name.into(),
            kind,
            inputs: vec![input],
            weights,
            origin: Origin::None,
            strict: false,
        };
        let conv = ConvParams {
            filters: 1,
            kh: 1,
            kw: 1,
            stride_h: 1,
            stride_w: 1,
            pad: Padding::Valid,
            dilation_h: 1,
            dilation_w: 1,
            groups: 1,
            bias: false,
        };
        let w = Array4::from_elem((1, 1, 1, 3), 1.0f32).into_shared();
        let fc = Array2::from_shape_vec((2, 1), vec![1.0, -1.0]).unwrap().into_shared();
        Network {
            name: "bright".into(),
            input: InputSpec::volume(Shape3::new(8, 8, 3), Normalize::unit(), None),
            layers: vec![
                l("conv", LayerKind::Conv(conv), Src::Input, Weights::Conv { w, b: None }),
                l("relu", LayerKind::Relu, Src::Layer(0), Weights::None),
                l("gap", LayerKind::GlobalAvgPool, Src::Layer(1), Weights::None),
                l(
                    "fc",
                    LayerKind::Fc { outputs: 2 },
                    Src::Layer(2),
                    Weights::Fc { w: fc, b: Some(Array1::zeros(2).into_shared()) },
                ),
            ],
            labels: Some(vec!["bright".into(), "dark".into()]),
            source: None,
            files: vec![],
            aliases: vec![],
            folded_nodes: 0,
        }
    }

    #[test]
    fn cam_is_hot_over_the_white_half_and_says_what_it_is_made_of() {
        // The left half white, the right half black.
        let photo = image::RgbImage::from_fn(8, 8, |x, _| {
            if x < 4 { image::Rgb([255; 3]) } else { image::Rgb([0; 3]) }
        });
        let mut h = testing::photo_app(net(), photo);
        h.update(Action::ClassMapView);
        testing::run_effects(&mut h);
        let term = testing::render(&h, 100, 24, super::render);
        let text = testing::text(&term);
        assert!(text.contains("CAM of 'bright'"), "{text}");
        // mean(M) + b = the logit: the white half's brightness 3 (R + G + B at 1) averaged: 1.5.
        assert!(text.contains("mean(M) + b = 1.5000 + 0.0000 = 1.5000"), "{text}");
        // The compute time varies from run to run: not part of the snapshot.
        let steady: String = text
            .lines()
            .map(|l| if l.contains(" ms ") { "(time)" } else { l })
            .collect::<Vec<_>>()
            .join("\n");
        insta::assert_snapshot!(steady);
        // Colours: the image's left half is red over white (hot), its right half dark (cold).
        let buf = term.backend().buffer();
        let rgb = |c: Color| match c {
            Color::Rgb(r, g, b) => (r, g, b),
            other => panic!("a truecolor cell, got {other:?}"),
        };
        let row = 10;
        let (hot, cold) = (buf[(8, row)].fg, buf[(40, row)].fg);
        let (hr, hg, _) = rgb(hot);
        let (cr, cg, cb) = rgb(cold);
        assert!(hr > 140 && hr as i32 - hg as i32 > 60, "hot cell {hot:?}");
        assert!(cr < 60 && cg < 60 && cb < 60, "cold cell {cold:?}");
    }
}
