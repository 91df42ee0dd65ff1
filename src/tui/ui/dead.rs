//! Dead channels: per layer, how many depth slices are constant (all zero, typically after a
//! ReLU). Enter jumps to the selected layer's first one; `n` jumps to the next anywhere.

use super::{centered_note, panel, theme, waiting};
use crate::tui::app::App;
use crate::tui::bars::window_start;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let block = panel(
        app,
        area,
        "dead channels: constant depth slices · Enter opens the first · n the next",
        None,
    );
    let inner = block.inner(area);
    block.render(area, buf);
    if app.results().is_none() {
        centered_note(app, inner, buf, &waiting(app));
        return;
    }
    let name_w =
        (0..app.rows()).map(|i| app.name_of(app.src_at(i)).chars().count()).max().unwrap_or(5);
    let head =
        format!("{:<name_w$} {:>12} {:>9} {:>7}  channels", "layer", "shape", "dead", "zero");
    Line::from(Span::styled(head, t.label())).render(Rect { height: 1, ..inner }, buf);
    // What the numbers mean, and that they hold for this one input only.
    let image = match app.input_label() {
        "" => "this input".to_string(),
        l => format!("this one input ({l})"),
    };
    let forms = [
        format!(
            "for {image} only: dead = constant slices of all slices, zero = of them all 0, \
             channels = their d; another image may wake them"
        ),
        format!("for {image} only: dead = constant slices, zero = all 0, channels = their d"),
        "for this input only · dead = constant · zero = all 0".to_string(),
    ];
    let note = super::first_fit(&forms, inner.width as usize);
    let note_area = Rect { y: inner.y + 1, height: 1, ..inner };
    Line::from(Span::styled(note, t.dim())).render(note_area, buf);
    let top = 2u16;
    let list_h = inner.height.saturating_sub(top) as usize;
    let fixed = name_w + 1 + 12 + 1 + 9 + 1 + 7 + 2;
    let room = (inner.width as usize).saturating_sub(fixed);
    let first = window_start(app.rows(), list_h, App::row_of(app.sel()));
    for (y, row) in (first..app.rows()).take(list_h).enumerate() {
        let src = app.src_at(row);
        let Some(st) = app.stats(src) else { continue };
        let dead: Vec<usize> = st.dead().collect();
        // As many indices as fit, whole; the rest counted.
        let mut list = String::new();
        for (k, d) in dead.iter().enumerate() {
            let item = if list.is_empty() { d.to_string() } else { format!(" {d}") };
            let more = format!(" +{} more", dead.len() - k);
            let last = k + 1 == dead.len();
            let need = item.len() + if last { 0 } else { more.len() };
            if list.len() + need > room {
                list.push_str(if list.is_empty() { more.trim_start() } else { &more });
                break;
            }
            list.push_str(&item);
        }
        let text = format!(
            "{:<name_w$} {:>12} {:>9} {:>7}  {list}",
            app.name_of(src),
            app.shape(src).to_string(),
            format!("{}/{}", dead.len(), st.ch_min.len()),
            st.dead_zero(),
        );
        let style = if src == app.sel() {
            t.selected()
        } else if dead.is_empty() {
            t.dim()
        } else {
            t.warn()
        };
        let r = Rect::new(inner.x, inner.y + top + y as u16, inner.width, 1);
        if src == app.sel() {
            buf.set_style(r, style);
        }
        Line::from(Span::styled(text, style)).render(r, buf);
    }
}

#[cfg(test)]
mod tests {
    use crate::nn::Src;
    use crate::tui::action::Action;
    use crate::tui::testing;

    #[test]
    fn dead_channels_are_counted_per_layer() {
        let mut app = testing::ramp_app(crate::tui::color::Tier::Mono);
        app.update(Action::Select(Src::Layer(0)));
        let term = testing::render(&app, 60, 6, super::render);
        insta::assert_snapshot!(term.backend());
        let text = testing::text(&term);
        assert!(text.lines().any(|l| l.contains("relu1") && l.contains(" 1/3 ")), "{text}");
        assert!(text.contains("for this input only"), "{text}");
        // Too narrow for the index: it is counted, not cut.
        let text = testing::text(&testing::render(&app, 44, 8, super::render));
        let row = text.lines().find(|l| l.contains("relu1")).unwrap();
        assert!(
            row.trim_end_matches(['│', ' ']).ends_with('2') || row.contains("+1 more"),
            "{row}"
        );
    }
}
