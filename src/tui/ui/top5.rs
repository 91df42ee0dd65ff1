//! The top-5 classes of a classifier (a network with a labels file whose last layer has one
//! value per label): label, probability and a bar. The numbers are the last layer's output, put
//! through softmax unless the network ends in one.

use super::{centered_note, panel, theme, waiting};
use crate::model::classes::{has_classes, top_k};
use crate::nn::Src;
use crate::tui::app::App;
use crate::tui::bars::bar;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// Rows the panel takes: five classes and two borders.
pub const HEIGHT: u16 = 7;

/// Whether this network gets a top-5 panel: it has labels, one per value of its last layer.
pub fn applies(app: &App) -> bool {
    app.net()
        .layers
        .len()
        .checked_sub(1)
        .is_some_and(|last| has_classes(app.net(), app.analysis().layers[last].output.len()))
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let last = app.net().layers.len() - 1;
    let title = format!("top-5 classes · softmax of {}", app.net().layers[last].name);
    let block = panel(app, area, title, None);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(v) = app.volume(Src::Layer(last)) else {
        centered_note(app, inner, buf, &waiting(app));
        return;
    };
    let values: Vec<f32> = v.iter().copied().collect();
    let ranked = top_k(app.net(), &values, inner.height as usize);
    let w = inner.width as usize;
    let label_w = w.saturating_sub(6 + 1 + 8).clamp(4, 20);
    let bar_w = w.saturating_sub(label_w + 1 + 6 + 1);
    for (row, (_, label, p)) in ranked.iter().enumerate() {
        let name: String = label.chars().take(label_w).collect();
        let style = if row == 0 { t.accent() } else { t.dim() };
        let line = Line::from(vec![
            Span::styled(format!("{name:<label_w$} "), style),
            Span::styled(format!("{p:>6.3} "), style),
            Span::styled(bar(*p, 1.0, bar_w, false), t.bar(row == 0)),
        ]);
        line.render(Rect::new(inner.x, inner.y + row as u16, inner.width, 1), buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{WeightMode, load};
    use crate::nn::analysis::analyze;
    use crate::tui::color::Tier;
    use crate::tui::colormap::Colormap;
    use crate::tui::testing;

    #[test]
    fn efficientnet_on_the_cat_shows_a_cat_first() {
        let net = load("efficientnet-lite0", WeightMode::Full).unwrap();
        let (x, _) = crate::model::image_input::load_input(&net, None, None).unwrap();
        let analysis = analyze(&net).unwrap();
        let app = App::new(net, analysis, Tier::Truecolor, Colormap::Auto);
        assert!(applies(&app));
        let app = testing::with_results(testing::Harness { app, effects: vec![] }, x, "chelsea");
        let text = testing::text(&testing::render(&app, 39, HEIGHT, render));
        let first = text.lines().nth(1).unwrap_or_default();
        assert!(first.contains("Egyptian cat") && first.contains("0.36"), "{text}");
        assert_eq!(text.lines().filter(|l| l.contains("0.")).count(), 5, "{text}");
    }

    #[test]
    fn networks_without_labels_get_no_panel() {
        assert!(!applies(&testing::alexnet_shapes()));
    }
}
