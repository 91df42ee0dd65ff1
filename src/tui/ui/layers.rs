//! The layer list: index, name, kind and output shape H×W×D; the selected layer is
//! highlighted, layers with a shape warning carry a `!`, and layers whose weights an edit
//! re-initialised carry a `↺` (the title says what it means).

use super::{panel, theme};
use crate::tui::app::App;
use crate::tui::bars::window_start;
use crate::tui::state::Focus;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// The first list row shown in a panel of `area` (shared with mouse hit-testing).
pub fn first_row(app: &App, area: Rect) -> usize {
    window_start(app.rows(), area.height.saturating_sub(2) as usize, App::row_of(app.sel()))
}

/// The list row under absolute cell row `y`, if any.
pub fn row_at(app: &App, area: Rect, y: u16) -> Option<usize> {
    let inner = area.height.saturating_sub(2);
    let off = y.checked_sub(area.y + 1).filter(|&o| o < inner)? as usize;
    let row = first_row(app, area) + off;
    (row < app.rows()).then_some(row)
}

/// `name` cut to `w` characters, with `…` when cut.
pub fn clip(name: &str, w: usize) -> String {
    if name.chars().count() <= w {
        return name.to_string();
    }
    let mut s: String = name.chars().take(w.saturating_sub(1)).collect();
    s.push('…');
    s
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let inner = Rect::new(
        area.x + 1,
        area.y + 1,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    let kind_w = app.net().layers.iter().map(|l| l.kind.type_name().len()).max().unwrap_or(5);
    let idx_w = app.net().layers.len().saturating_sub(1).to_string().len().max(2);
    let shape_w =
        (0..app.rows()).map(|i| app.shape(app.src_at(i)).to_string().chars().count()).max();
    // Long names (EfficientNet's `block1.expand_relu6`) come first: when they do not fit beside
    // the kind column, the kind goes (the shape panel names it); what is still too long is cut so
    // the shape stays visible.
    let longest = (0..app.rows()).map(|i| app.name_of(app.src_at(i)).chars().count()).max();
    let longest = longest.unwrap_or(5);
    // The • of the network depth (question 6) keeps its two columns: names are cut first.
    let mark_w = if app.net().layers.iter().any(|l| l.kind.has_weights()) { 2 } else { 0 };
    // `--compare`: each row ends in `1 − cos` and max |Δ| against the other pass.
    let cmp_w = if app.compare().diffs.is_empty() { 0 } else { CMP_W };
    let fixed = idx_w + shape_w.unwrap_or(8) + 3 + mark_w + cmp_w;
    let show_kind = longest + kind_w + 1 + fixed <= inner.width as usize;
    let kind_w = if show_kind { kind_w } else { 0 };
    let room =
        (inner.width as usize).saturating_sub(fixed + kind_w + usize::from(show_kind)).max(4);
    let name_w = longest.min(room);
    // The depth mark goes on every layer with weights or on none (a mark on some rows only would
    // read as "the others do not count"); it comes after ↺ and !, which matter more.
    let row_w = |i: usize| {
        let l = &app.net().layers[i];
        let shape = app.shape(crate::nn::Src::Layer(i)).to_string().chars().count();
        let marks = 2 * usize::from(l.origin.is_reinitialized())
            + 2 * usize::from(!app.analysis().layers[i].warnings.is_empty());
        idx_w + 1 + name_w + if show_kind { kind_w + 1 } else { 0 } + 1 + shape + marks
    };
    let marks_fit = (0..app.net().layers.len())
        .filter(|&i| app.net().layers[i].kind.has_weights())
        .all(|i| row_w(i) + 2 <= inner.width as usize);
    let reinit = app.net().layers.iter().any(|l| l.origin.is_reinitialized());
    let title = if reinit {
        let head = format!("layers ({}) · ", app.net().layers.len());
        let full = head.chars().count() + "↺ re-initialized".chars().count() + 2;
        let mark = if full <= area.width as usize { "↺ re-initialized" } else { "↺ re-init" };
        Line::from(vec![Span::raw(head), Span::styled(mark, t.reinit())])
    } else {
        // The rows marked • are the layers with weights: they make up the network depth.
        let head = format!("layers ({})", app.net().layers.len());
        let key = format!(" · • = network depth {}", app.analysis().network_depth);
        if marks_fit && head.chars().count() + key.chars().count() + 2 <= area.width as usize {
            Line::from(vec![Span::raw(head), Span::styled(key, t.dim())])
        } else {
            Line::from(head)
        }
    };
    let title = match app.compare_label().filter(|_| cmp_w > 0) {
        Some(other) => {
            let head = format!("layers ({}) ", app.net().layers.len());
            let full = format!("· 1−cos, max|Δ| vs {other}");
            let fits = head.chars().count() + full.chars().count() + 2 <= area.width as usize;
            let key = if fits { full } else { "· 1−cos, max|Δ|".to_string() };
            Line::from(vec![Span::raw(head), Span::styled(key, t.dim())])
        }
        None => title,
    };
    let block = panel(app, area, title, Some(Focus::Layers));
    block.render(area, buf);
    let first = first_row(app, area);
    for (y, row) in (first..app.rows()).take(inner.height as usize).enumerate() {
        let src = app.src_at(row);
        let (idx, kind, warn, fresh_w, deep) = match row {
            0 => ("in".to_string(), "", false, false, false),
            i => {
                let l = &app.net().layers[i - 1];
                (
                    format!("{}", i - 1),
                    l.kind.type_name(),
                    !app.analysis().layers[i - 1].warnings.is_empty(),
                    l.origin.is_reinitialized(),
                    l.kind.has_weights(),
                )
            }
        };

        let selected = src == app.sel();
        let name = clip(app.name_of(src), name_w);
        // A layer convscope does not compute has no shape: a dash, and the row greyed.
        let missing = app.not_computed(src).is_some();
        let shape = if missing { "—".to_string() } else { app.shape(src).to_string() };
        let text = if show_kind {
            format!("{idx:>idx_w$} {name:<name_w$} {kind:<kind_w$} {shape}")
        } else {
            format!("{idx:>idx_w$} {name:<name_w$} {shape}")
        };
        let mut spans = vec![if missing { Span::styled(text, t.dim()) } else { Span::raw(text) }];
        if fresh_w {
            spans.push(Span::styled(" ↺", t.reinit()));
        }
        if warn {
            spans.push(Span::styled(" !", t.warn()));
        }
        if deep && marks_fit {
            spans.push(Span::styled(" •", t.dim()));
        }
        let mut line = Line::from(spans);
        if selected {
            line = line.style(t.selected());
        }
        let r = Rect::new(inner.x, inner.y + y as u16, inner.width, 1);
        if selected {
            buf.set_style(r, t.selected());
        }
        line.render(r, buf);
        if cmp_w > 0 && inner.width as usize > cmp_w {
            let cell = match app.layer_diff(src) {
                Some(d) => format!("{:>5.3} {:>5}", d.cosine, short(d.max_abs)),
                None => format!("{:>11}", "—"),
            };
            let x = inner.right() - cmp_w as u16;
            let style = if selected { t.selected() } else { t.dim() };
            buf.set_string(x, r.y, format!(" {cell}"), style);
        }
    }
}

/// Columns of the compare column: ` 0.586 61.95`.
const CMP_W: usize = 12;

/// A value in at most 5 characters: `61.95`, `102.9`, `6`, `2e+03`.
fn short(v: f32) -> String {
    let s = crate::tui::bars::fmt_val(v);
    if s.chars().count() <= 5 { s } else { format!("{v:.0e}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Src;
    use crate::tui::action::Action;
    use crate::tui::testing;
    use ratatui::style::Color;

    #[test]
    fn the_list_shows_every_layer_with_its_shape() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::Select(Src::Layer(0)));
        let term = testing::render(&app, 34, 26, render);
        insta::assert_snapshot!(term.backend());
        // The selected row (conv1, list row 1, screen row 2) is highlighted.
        let buf = term.backend().buffer();
        assert_eq!(buf[(3, 2)].bg, Color::Blue);
        assert_eq!(buf[(3, 3)].bg, Color::Reset);
    }

    #[test]
    fn long_names_push_out_the_kind_column_before_they_are_cut() {
        let mut net = crate::model::load("alexnet", crate::model::WeightMode::ShapesOnly).unwrap();
        net.layers[0].name = "block1.expand_conv".into();
        let a = crate::nn::analysis::analyze(&net).unwrap();
        let app = App::new(net, a, crate::tui::color::Tier::Truecolor, crate::tui::Colormap::Auto);
        let mut app = testing::Harness { app, effects: vec![] };
        app.update(Action::Select(Src::Layer(0)));
        let text = testing::text(&testing::render(&app, 34, 8, render));
        // 32 inner columns: "block1.expand_conv" (18) + "conv" would not fit with the shape and
        // the network-depth mark, which keeps its place: the kind goes, then the name is cut.
        assert!(text.contains(" 0 block1.expand_c… 55×55×96 •"), "{text}");
        assert!(!text.contains("maxpool"), "{text}");
        // Short names keep the kind.
        let app = testing::alexnet_shapes();
        let text = testing::text(&testing::render(&app, 34, 8, render));
        assert!(text.contains("conv1 conv"), "{text}");
        // The layers with weights are marked: they are what "network depth 8" counts.
        let text = testing::text(&testing::render(&app, 60, 26, render));
        assert!(text.contains("• = network depth 8"), "{text}");
        assert_eq!(text.matches('•').count(), 8 + 1, "{text}");
        // Too narrow for the mark on every weighted row: on none (and no key in the title).
        for w in 24..40 {
            let text = testing::text(&testing::render(&app, w, 26, render));
            let n: usize = text.lines().skip(1).map(|l| l.matches('•').count()).sum();
            assert!(n == 0 || n == 8, "width {w}: {n} marks\n{text}");
        }
    }

    #[test]
    fn long_names_are_cut_so_the_shape_stays() {
        assert_eq!(clip("block1.expand_relu6", 10), "block1.ex…");
        assert_eq!(clip("conv1", 10), "conv1");
    }

    #[test]
    fn a_long_list_scrolls_to_keep_the_selection_visible() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::Select(Src::Layer(20)));
        let area = Rect::new(0, 0, 34, 8);
        let first = first_row(&app, area);
        assert!(first <= 21 && 21 < first + 6);
        assert_eq!(row_at(&app, area, 1), Some(first));
        assert_eq!(row_at(&app, area, 0), None);
        assert_eq!(row_at(&app, area, 7), None);
    }
}
