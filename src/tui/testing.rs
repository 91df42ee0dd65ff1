//! Test fixtures: apps on real presets and on a hand-made ramp volume, rendered to TestBackend.

use super::app::{App, Results};
use super::color::Tier;
use super::colormap::Colormap;
use super::stats::VolStats;
use crate::model::{self, WeightMode, image_input};
use crate::nn::analysis::analyze;
use crate::nn::forward::forward;
use crate::nn::{
    InputSpec, Layer, LayerKind, Network, Normalize, Origin, Shape3, Src, Volume, Weights,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::sync::Arc;
use std::time::Duration;

/// AlexNet's shapes, no pass yet (what the first frame shows).
pub fn alexnet_shapes() -> App {
    let net = model::load("alexnet", WeightMode::ShapesOnly).expect("the alexnet preset loads");
    let a = analyze(&net).expect("the alexnet preset is valid");
    App::new(net, a, Tier::Truecolor, Colormap::Auto)
}

/// Run the pass synchronously and store the results as the worker would.
pub fn with_results(mut app: App, input: Volume, label: &str) -> App {
    let acts = forward(&app.net, input).expect("the test network runs");
    let stats =
        std::iter::once(&acts.input).chain(acts.outputs.iter()).map(|v| VolStats::of(v)).collect();
    app.results = Some(Arc::new(Results { acts, stats, elapsed: Duration::from_millis(1) }));
    app.input_label = label.to_string();
    app.generation += 1;
    app
}

/// The seed's numpy example (11×11×4 → conv 5×5 s2 → 4×4×2), computed.
pub fn numpy_app() -> App {
    let net = model::load("cs231n-numpy", WeightMode::Full).expect("the preset loads");
    let a = analyze(&net).expect("the preset is valid");
    let (input, src) = image_input::load_input(&net, None, None).expect("a seeded random input");
    with_results(App::new(net, a, Tier::Truecolor, Colormap::Auto), input, &src.label)
}

/// A 4×4×3 input: `X[r, c, 0] = 4r + c − 8` (signed), `X[r, c, 1] = 4r + c` (0..15),
/// `X[r, c, 2] = −1 − (4r + c)` (all negative), then a ReLU (whose d 2 is dead).
pub fn ramp_app(tier: Tier) -> App {
    let shape = Shape3::new(4, 4, 3);
    let net = Network {
        name: "ramp".into(),
        input: InputSpec { shape, normalize: Normalize::unit(), default_image: None },
        layers: vec![Layer {
            name: "relu1".into(),
            kind: LayerKind::Relu,
            inputs: vec![Src::Input],
            weights: Weights::None,
            origin: Origin::None,
            strict: false,
        }],
        labels: None,
        source: None,
    };
    let a = analyze(&net).expect("a relu on 4×4×3 is valid");
    let input = Volume::from_shape_fn((3, 4, 4), |(d, r, c)| {
        let v = (4 * r + c) as f32;
        [v - 8.0, v, -1.0 - v][d]
    });
    with_results(App::new(net, a, tier, Colormap::Auto), input, "ramp 4×4×3")
}

/// Render one panel (or the whole screen) into a `w × h` TestBackend.
pub fn render(
    app: &App,
    w: u16,
    h: u16,
    f: impl Fn(&App, Rect, &mut Buffer),
) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("TestBackend never fails");
    term.draw(|frame| {
        let area = frame.area();
        f(app, area, frame.buffer_mut());
    })
    .expect("TestBackend never fails");
    term
}

/// The screen as plain text, one line per row.
pub fn text(term: &Terminal<TestBackend>) -> String {
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}
