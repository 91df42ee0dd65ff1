//! The header: model, image, input shape and the network depth (weight layers, not a volume's
//! depth); on the right, the pass's progress or time.

use super::{theme, waiting};
use crate::tui::app::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let sep = || Span::styled(" · ", t.dim());
    let mut left = vec![
        Span::styled("convscope", t.title()),
        sep(),
        Span::styled(app.net().name.clone(), t.accent()),
    ];
    if !app.input_label().is_empty() {
        left.extend([
            sep(),
            Span::styled("image ", t.label()),
            Span::raw(app.input_label().to_string()),
        ]);
    }
    let input = &app.net().input;
    left.extend([sep(), Span::styled("input ", t.label()), Span::raw(input.describe())]);
    if input.hint == crate::nn::Hint::ChannelsLast && input.dims.len() == 4 {
        left.extend([sep(), Span::styled("NHWC model", t.accent())]);
    }
    if let Some(from) = &input.size_from {
        left.push(Span::styled(format!(" (size from {from})"), t.dim()));
    }
    let not = app.analysis().not_computable().count();
    if not > 0 {
        left.extend([sep(), Span::styled(format!("{not} not computed"), t.warn())]);
    }
    left.extend([
        sep(),
        Span::styled("network depth ", t.label()),
        Span::styled(app.analysis().network_depth.to_string(), t.accent()),
        Span::styled(" (layers with weights), not D", t.dim()),
    ]);

    let right = match (&app.results(), &app.progress(), &app.error()) {
        (_, _, Some(_)) => Span::styled(waiting(app), t.error()),
        (_, Some(_), _) => Span::styled(waiting(app), t.warn()),
        (Some(r), None, None) => {
            Span::styled(format!("pass {} ms", r.elapsed.as_millis()), t.dim())
        }
        (None, None, None) => Span::styled(waiting(app), t.warn()),
    };
    let rw = (right.width() as u16).min(area.width);
    // Without room for everything, the image goes first (the shape panel still names it).
    let width = |s: &[Span]| s.iter().map(|x| x.width()).sum::<usize>();
    if width(&left) + rw as usize + 1 > area.width as usize && !app.input_label().is_empty() {
        left.drain(3..6);
    }
    Line::from(left).render(Rect { width: area.width.saturating_sub(rw + 1), ..area }, buf);
    Line::from(right).render(Rect { x: area.right() - rw, width: rw, ..area }, buf);
}

#[cfg(test)]
mod tests {
    use crate::tui::testing;

    #[test]
    fn header_names_model_input_and_network_depth() {
        let app = testing::numpy_app();
        let term = testing::render(&app, 100, 1, super::render);
        insta::assert_snapshot!(term.backend());
        let wide = testing::render(&app, 170, 1, super::render);
        let text = testing::text(&wide);
        assert!(
            text.contains("input 11×11×4 · network depth 1 (layers with weights), not D"),
            "{text}"
        );
        assert!(text.contains("pass "), "{text}");
    }
}
