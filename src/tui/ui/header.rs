//! The header: model, image, input shape and the network depth (weight layers, not a volume's
//! depth); on the right, the pass's progress or time.

use super::{theme, waiting};
use crate::tui::app::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// How much of the header to write: each step drops or shortens one part, in the order a
/// narrow terminal gives them up (the shape panel still names the image and the input).
#[derive(Clone, Copy)]
struct Form {
    brand: bool,
    image: bool,
    input_label: bool,
    size_from: bool,
    depth_long: bool,
}

const FORMS: [Form; 6] = {
    let full =
        Form { brand: true, image: true, input_label: true, size_from: true, depth_long: true };
    [
        full,
        Form { image: false, ..full },
        Form { image: false, brand: false, ..full },
        Form { image: false, brand: false, input_label: false, ..full },
        Form { image: false, brand: false, input_label: false, size_from: false, ..full },
        Form {
            image: false,
            brand: false,
            input_label: false,
            size_from: false,
            depth_long: false,
        },
    ]
};

/// The header's left part in form `f`; `untrained` is whether the network's weights are
/// generated (computed once per frame, not once per form).
fn left<'a>(app: &App, f: Form, untrained: bool) -> Vec<Span<'a>> {
    let t = theme(app);
    let sep = || Span::styled(" · ", t.dim());
    let mut left = Vec::new();
    if f.brand {
        left.extend([Span::styled("convscope", t.title()), sep()]);
    }
    left.push(Span::styled(app.net().name.clone(), t.accent()));
    if untrained {
        let word = if f.depth_long { " (weights not trained)" } else { " (untrained)" };
        left.push(Span::styled(word, t.warn()));
    }
    if f.image && !app.input_label().is_empty() {
        left.extend([
            sep(),
            Span::styled("image ", t.label()),
            Span::raw(app.input_label().to_string()),
        ]);
    }
    let input = &app.net().input;
    left.push(sep());
    if f.input_label {
        left.push(Span::styled("input ", t.label()));
    }
    left.push(Span::raw(input.describe()));
    if input.hint == crate::nn::Hint::ChannelsLast && input.dims.len() == 4 {
        left.extend([sep(), Span::styled("NHWC model", t.accent())]);
    }
    if let (true, Some(from)) = (f.size_from, &input.size_from) {
        left.push(Span::styled(format!(" (size from {from})"), t.dim()));
    }
    let not = app.analysis().not_computable().count();
    if not > 0 {
        left.extend([sep(), Span::styled(format!("{not} not computed"), t.warn())]);
    }
    let why =
        if f.depth_long { " (layers with weights), not D" } else { " (weight layers), not D" };
    left.extend([
        sep(),
        Span::styled("network depth ", t.label()),
        Span::styled(app.analysis().network_depth.to_string(), t.accent()),
        Span::styled(why, t.dim()),
    ]);
    left
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let right = match (&app.results(), &app.progress(), &app.error()) {
        (_, _, Some(_)) => vec![Span::styled(waiting(app), t.error())],
        (_, Some(p), _) => vec![
            Span::styled(waiting(app), t.warn()),
            Span::styled(format!("computing {}/{}", p.layer + 1, p.total), t.warn()),
        ],
        (Some(r), None, None) => {
            let ms = r.elapsed.as_millis();
            vec![
                Span::styled(format!("pass {ms} ms"), t.dim()),
                Span::styled(format!("{ms} ms"), t.dim()),
            ]
        }
        (None, None, None) => {
            vec![Span::styled(waiting(app), t.warn()), Span::styled("loading…", t.warn())]
        }
    };
    let width = |s: &[Span]| s.iter().map(|x| x.width()).sum::<usize>();
    let room = area.width as usize;
    // The longest header and right-hand note that fit together; else the shortest header
    // shortened at a word, beside the shortest note.
    let untrained = app.net().untrained_note().is_some();
    let mut choice = None;
    'forms: for f in FORMS {
        let l = left(app, f, untrained);
        for r in &right {
            if width(&l) + r.width() < room {
                choice = Some((l, r.clone()));
                break 'forms;
            }
        }
    }
    let (l, r) = choice.unwrap_or_else(|| {
        // Neither side may take more than half: both shortened at a word.
        let r = right.last().cloned().unwrap_or_default();
        let rw = r.width().min(room / 2);
        let last = left(app, FORMS[FORMS.len() - 1], untrained);
        let l = super::fit_spans(last, room.saturating_sub(rw + 1));
        (l, Span::styled(super::fit_text(&r.content, rw), r.style))
    });
    let rw = (r.width() as u16).min(area.width);
    Line::from(l).render(Rect { width: area.width.saturating_sub(rw + 1), ..area }, buf);
    Line::from(r).render(Rect { x: area.right() - rw, width: rw, ..area }, buf);
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

    #[test]
    fn a_narrow_header_drops_parts_whole_and_keeps_the_network_depth() {
        let app = testing::alexnet_shapes();
        for w in [40u16, 60, 70, 80, 100, 120] {
            let text = testing::text(&testing::render(&app, w, 1, super::render));
            let text = text.trim_end();
            assert!(text.contains("alex"), "{w}: {text}");
            // Nothing is cut in the middle of a word: either a whole form or one ending in `…`.
            let cut = text.split_whitespace().any(|word| word == "(" || word.ends_with('('));
            assert!(!cut, "{w}: {text}");
            if w >= 90 {
                assert!(
                    text.contains("network depth 8 (") && text.contains("not D"),
                    "{w}: {text}"
                );
                assert!(
                    text.contains("alexnet (untrained)")
                        || text.contains("alexnet (weights not trained)"),
                    "{w}: {text}"
                );
            }
        }
    }
}
