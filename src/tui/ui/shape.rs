//! The shape panel: how the selected layer turns its input shape into its output shape, with
//! the formula's numbers, K and the filter shape, S and P, params, MACs, memory and the
//! receptive field in the input image.

use super::{panel, theme};
use crate::nn::geometry::Pads;
use crate::nn::{LayerKind, Src};
use crate::tui::app::App;
use crate::tui::bars::{fmt_bytes, fmt_count, fmt_si};
use crate::tui::state::Focus;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

fn pads_text(p: Pads) -> String {
    if p.top == p.left && p.left == p.bottom && p.bottom == p.right {
        format!("{}", p.top)
    } else {
        format!("[{}, {}, {}, {}] (top, left, bottom, right)", p.top, p.left, p.bottom, p.right)
    }
}

/// What the input's depth is: the photo's colour channels, or the channels of a tensor input.
fn input_depth(app: &App) -> String {
    let d = app.analysis().input.d;
    match super::column::input_channel_names(app) {
        Some(names) => format!("{d} = {} (the photo's colour channels)", names.join(", ")),
        None => format!("{d} = channels of the input"),
    }
}

/// The window a filter of size `f` with dilation `d` covers: `F_eff = d·(F − 1) + 1`.
fn f_eff(f: usize, d: usize) -> usize {
    d * (f.max(1) - 1) + 1
}

/// The rule that keeps H×W: `P = (F − 1)/2 with S = 1 keeps 32×32` (with dilation, of F_eff).
fn same_size_rule(f: usize, d: usize, x: crate::nn::Shape3) -> String {
    let eff = f_eff(f, d);
    if eff % 2 == 1 {
        let what = if d > 1 { "F_eff" } else { "F" };
        format!("P = ({what} − 1)/2 = {} with S = 1 keeps {}×{}", (eff - 1) / 2, x.h, x.w)
    } else {
        format!("an even F ({eff}) cannot keep {}×{} with the same pad on both sides", x.h, x.w)
    }
}

/// The panel's lines for the selected volume.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = theme(app);
    let kv = |k: &str, v: String| {
        Line::from(vec![Span::styled(format!("{k} "), t.label()), Span::raw(v)])
    };
    let i = match app.sel() {
        Src::Input => {
            let s = app.analysis().input;
            let mut out = vec![
                Line::from(Span::styled("input volume".to_string(), t.accent())),
                kv("shape", format!("{s} (H×W×D)")),
                kv("depth", input_depth(app)),
                kv("normalised", app.net().input.normalize.describe()),
                kv("memory", format!("{} ({s} f32)", fmt_bytes(4 * s.len() as u64))),
            ];
            if !app.input_label().is_empty() {
                out.insert(1, kv("from", app.input_label().to_string()));
            }
            return out;
        }
        Src::Layer(i) => i,
    };
    let layer = &app.net().layers[i];
    let info = &app.analysis().layers[i];
    // Volumes as H×W×D; other tensors with their dims (and how they are drawn).
    let model = app.net().is_model();
    let show = |dims: &[usize], v: crate::nn::Shape3, hint| {
        let m = crate::nn::ViewMap::of(dims, hint);
        if m.is_volume() && dims.len() == if model { 4 } else { 3 } {
            v.to_string()
        } else {
            crate::nn::tensor::dims_text(dims)
        }
    };
    let ins: Vec<String> = info
        .input_dims
        .iter()
        .zip(&info.inputs)
        .zip(&info.input_hints)
        .map(|((d, &v), &h)| show(d, v, h))
        .collect();
    let out_text = match app.not_computed(app.sel()) {
        Some(_) => "—".to_string(),
        None => show(&info.dims, info.output, info.hint),
    };
    let mut out = vec![
        Line::from(vec![
            Span::styled(layer.name.clone(), t.accent()),
            Span::styled(format!(" · {}", layer.kind.type_name()), t.dim()),
        ]),
        Line::from(vec![
            Span::styled("in ", t.label()),
            Span::raw(ins.join(" + ")),
            Span::styled(" → out ", t.label()),
            Span::styled(out_text.clone(), t.accent()),
        ]),
    ];
    if let Some(why) = app.not_computed(app.sel()) {
        out.push(Line::from(Span::styled(format!("not computed: {why}"), t.warn())));
        return out;
    }
    if !info.view.is_volume() || info.dims.len() != if model { 4 } else { 3 } {
        out.push(Line::from(Span::styled(
            format!("drawn as {}: {}", info.output, info.view.describe()),
            t.dim(),
        )));
    }
    if let LayerKind::Op(op) = &layer.kind {
        for s in crate::nn::ops::explain::shape_lines(op, &info.input_dims, &info.dims) {
            out.push(Line::from(s));
        }
    }
    if let Some(f) = info.formula() {
        out.push(Line::from(Span::styled(f, t.accent())));
    }
    for w in &info.warnings {
        out.push(Line::from(Span::styled(format!("! {w}"), t.warn())));
    }
    let x = info.inputs.first().copied().unwrap_or_default();
    match &layer.kind {
        LayerKind::Conv(p) => {
            let f = info.filter();
            // What the user chooses, then what follows from it.
            let pair =
                |a: usize, b: usize| if a == b { a.to_string() } else { format!("{a}×{b}") };
            let mut chosen = format!(
                "K = {}, F = {}×{}, S = {}, P = {}",
                p.filters,
                p.kh,
                p.kw,
                pair(p.stride_h, p.stride_w),
                pads_text(info.pads())
            );
            if p.dilation_h > 1 || p.dilation_w > 1 {
                chosen.push_str(&format!(", dilation {}", pair(p.dilation_h, p.dilation_w)));
            }
            if p.groups > 1 {
                chosen.push_str(&format!(", groups {}", p.groups));
            }
            out.push(kv("chosen", chosen));
            out.push(Line::from(Span::styled("computed from them:", t.label())));
            out.push(kv("K", format!("{0}: depth = {0} = number of filters", p.filters)));
            if let Some(f) = f {
                let span = if f.groups == 1 {
                    format!("each filter spans the full input depth {}", x.d)
                } else {
                    format!(
                        "each filter spans {} of the {} input channels (groups {})",
                        f.depth, x.d, f.groups
                    )
                };
                out.push(kv("filter", format!("{}×{}×{}: {span}", f.fh, f.fw, f.depth)));
                let bias = if p.bias { format!(" + {}", f.k) } else { String::new() };
                out.push(kv(
                    "params",
                    format!(
                        "{} = {}·{}·{}·{}{bias}",
                        fmt_count(info.params),
                        f.fh,
                        f.fw,
                        f.depth,
                        f.k
                    ),
                ));
            }
            if p.dilation_h > 1 || p.dilation_w > 1 {
                out.push(kv(
                    "dilated",
                    format!(
                        "F_eff = d·(F − 1) + 1 = {}·({} − 1) + 1 = {}: the window a filter covers",
                        p.dilation_h,
                        p.kh,
                        f_eff(p.kh, p.dilation_h)
                    ),
                ));
            }
            out.push(kv("same size", same_size_rule(p.kh, p.dilation_h, x)));
        }
        LayerKind::MaxPool(p) | LayerKind::AvgPool(p) => {
            out.push(kv(
                "window",
                format!("{}×{}, S = {}, P = {}", p.kh, p.kw, p.stride_h, pads_text(info.pads())),
            ));
            out.push(kv("depth", format!("{} unchanged: each slice is pooled alone", x.d)));
        }
        LayerKind::Fc { outputs } => {
            out.push(kv("neurons", format!("{outputs}, each sees all {} inputs", x.len())));
            out.push(kv(
                "params",
                format!("{} = ({} + 1)·{outputs}", fmt_count(info.params), x.len()),
            ));
        }
        LayerKind::GlobalAvgPool => out.push(kv("depth", format!("{}: one mean per slice", x.d))),
        LayerKind::Flatten => out.push(kv("order", "(H, W, D) C order, as numpy's reshape".into())),
        LayerKind::Op(_) => {}
        k if k.has_weights() => {}
        _ if info.inputs.len() == 1 => out.push(kv("shape", "unchanged (element-wise)".into())),
        _ => {}
    }
    if !matches!(layer.kind, LayerKind::Conv(_) | LayerKind::Fc { .. }) && info.params > 0 {
        out.push(kv("params", fmt_count(info.params)));
    }
    if info.macs > 0 {
        out.push(kv("MACs", format!("{} ({})", fmt_si(info.macs), fmt_count(info.macs))));
    }
    out.push(kv("memory", format!("{} ({} {})", fmt_bytes(info.act_bytes), out_text, info.elem)));
    let rf = info.rf;
    let img = app.analysis().input;
    let rf_text = if rf.jump == [0, 0] {
        format!("the whole {}×{} input", img.h, img.w)
    } else {
        format!(
            "{}×{} px of the {}×{} input, jump {}, start {}",
            rf.size[0], rf.size[1], img.h, img.w, rf.jump[0], rf.start[0]
        )
    };
    out.push(kv("receptive field", rf_text));
    out.extend(origin_line(app, layer));
    if let Some(note) = app.net().untrained_note() {
        out.push(Line::from(vec![
            Span::styled("network ", t.label()),
            Span::styled(note, t.warn()),
        ]));
    }
    out
}

/// Where a layer's weights come from: trained numbers from a file, the hand-designed edge bank,
/// seeded random numbers, or a re-initialisation after an edit. `None` without weights.
pub fn origin_line(app: &App, layer: &crate::nn::Layer) -> Option<Line<'static>> {
    use crate::nn::Origin;
    let t = theme(app);
    let kv = |k: &str, v: String, style| {
        Line::from(vec![Span::styled(format!("{k} "), t.label()), Span::styled(v, style)])
    };
    Some(match &layer.origin {
        Origin::Reinitialized { seed, edges } => {
            let what = if *edges {
                "the hand-designed edge bank".to_string()
            } else {
                format!("seeded random weights (seed {seed})")
            };
            Line::from(vec![
                Span::styled("↺ re-initialized", t.reinit()),
                Span::raw(format!(
                    ": an edit changed the weight shape, so these are {what}, not trained ones"
                )),
            ])
        }
        Origin::Random { seed } => {
            kv("weights", format!("seeded random (seed {seed}), not trained"), t.warn())
        }
        Origin::Edges => kv(
            "weights",
            "hand-designed edge bank (init = \"edges\"), not trained".into(),
            t.warn(),
        ),
        Origin::File(path) if layer.kind.has_weights() => {
            let name = path.file_name().map_or(String::new(), |n| n.to_string_lossy().into());
            let name = crate::text::printable(&name);
            kv("weights", format!("loaded from the file {name}"), ratatui::style::Style::new())
        }
        _ => return None,
    })
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let title = format!("shape · {}", app.name_of(app.sel()));
    let block = panel(app, area, title, Some(Focus::Shape));
    let inner = block.inner(area);
    let mut rows = crate::tui::wrap::lines(lines(app), inner.width);
    let h = inner.height as usize;
    if rows.len() > h && h > 0 {
        // What does not fit is counted, not cut.
        let more = rows.len() - (h - 1);
        rows.truncate(h - 1);
        let t = theme(app);
        rows.push(Line::from(Span::styled(format!("+{more} more lines (z zooms)"), t.dim())));
    }
    Paragraph::new(rows).block(block).render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Action;
    use crate::tui::testing;

    #[test]
    fn alexnet_conv1_explains_55x55x96() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::Select(Src::Layer(0)));
        let term = testing::render(&app, 60, 14, render);
        insta::assert_snapshot!(term.backend());
        let text = testing::text(&term);
        assert!(text.contains("(227 − 11 + 2·0)/4 + 1 = 55"), "{text}");
        assert!(text.contains("96: depth = 96 = number of filters"), "{text}");
        assert!(text.contains("11×11×3: each filter spans the full input depth 3"), "{text}");
        assert!(text.contains("34,944"), "{text}");
    }

    #[test]
    fn grouped_conv_and_pool() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::Select(Src::Layer(4))); // conv2, groups 2
        let text = testing::text(&testing::render(&app, 90, 14, render));
        assert!(
            text.contains("5×5×48: each filter spans 48 of the 96 input channels (groups 2)"),
            "{text}"
        );
        app.update(Action::Select(Src::Layer(3))); // pool1
        let text = testing::text(&testing::render(&app, 90, 14, render));
        assert!(text.contains("(55 − 3 + 2·0)/2 + 1 = 27"), "{text}");
        assert!(text.contains("19×19 px"), "{text}");
    }
}
