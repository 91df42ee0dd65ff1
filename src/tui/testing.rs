//! Test fixtures: apps on real presets and on a hand-made ramp volume, driven through
//! `update` as the event loop would, and rendered to TestBackend.

use super::app::{App, Effect, Msg};
use super::color::Tier;
use super::colormap::Colormap;
use super::keymap;
use crate::engine::pass::{self, Reply, Task};
use crate::engine::runner::Job;
use crate::engine::{Results, VolStats};
use crate::model::{self, WeightMode, image_input};
use crate::nn::analysis::analyze;
use crate::nn::forward::forward;
use crate::nn::{
    InputSpec, Layer, LayerKind, Network, Normalize, Origin, Shape3, Src, Tensor, Volume, Weights,
};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// An app and the effects its updates asked for (which the tests run by hand).
pub struct Harness {
    pub app: App,
    pub effects: Vec<Effect>,
}

impl std::ops::Deref for Harness {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl Harness {
    /// Apply a message and keep its effects.
    pub fn update(&mut self, msg: impl Into<Msg>) {
        let e = self.app.update(msg);
        self.effects.extend(e);
    }
}

fn harness(net: Network, tier: Tier) -> Harness {
    let a = analyze(&net).expect("the test network is valid");
    Harness { app: App::new(net, a, tier, Colormap::Auto), effects: Vec::new() }
}

/// AlexNet's shapes, no pass yet (what the first frame shows).
pub fn alexnet_shapes() -> Harness {
    let net = model::load("alexnet", WeightMode::ShapesOnly).expect("the alexnet preset loads");
    harness(net, Tier::Truecolor)
}

/// Run the pass synchronously and hand the app its replies as the worker would.
pub fn with_results(h: Harness, input: Tensor, label: &str) -> Harness {
    with_photo(h, input, label, None)
}

/// CIFAR's example on the built-in cat photo, with the photo kept for drawing (as the explorer
/// has it).
pub fn cifar_photo_app() -> Harness {
    let net = model::load("cifar", WeightMode::Full).expect("the preset loads");
    let (input, src) = image_input::load_input(&net, None, None).expect("the built-in cat");
    let photo = src.photo.map(std::sync::Arc::new);
    assert!(photo.is_some(), "the built-in cat is a photo");
    with_photo(harness(net, Tier::Truecolor), input, &src.label, photo)
}

/// [`with_results`], with the photo the input was made from.
pub fn with_photo(
    mut h: Harness,
    input: Tensor,
    label: &str,
    photo: Option<std::sync::Arc<image::RgbImage>>,
) -> Harness {
    let net = h.net().clone();
    let analysis = h.analysis().clone();
    let effects = h.app.start(net.name.clone(), None);
    let Some(Effect::Compute { id, .. }) = effects.first() else { panic!("a first pass") };
    let id = *id;
    let acts = forward(&net, input).expect("the test network runs");
    let views = crate::engine::results::views_of(&acts, &analysis, &net, 0);
    let stats = views.iter().map(|v| VolStats::of(&v.view())).collect();
    let input = acts.input.clone();
    let elapsed = Duration::from_millis(1);
    let results = Arc::new(Results { net: net.clone(), acts, views, stats, elapsed });
    let input_label = label.to_string();
    h.update(Msg::Pass(Reply::Loaded { job: id, net, analysis, input, input_label, photo }));
    h.update(Msg::Pass(Reply::Done { job: id, results }));
    h
}

/// `net` computed on `photo` (of the input's size), with the photo kept for drawing.
pub fn photo_app(net: Network, photo: image::RgbImage) -> Harness {
    let v = image_input::normalize(&photo, &net.input);
    let input = net.input.from_volume(v);
    let h = harness(net, Tier::Truecolor);
    with_photo(h, input, "test photo", Some(std::sync::Arc::new(photo)))
}

/// Any network, computed on a seeded random input.
pub fn computed(net: Network) -> Harness {
    let input = image_input::random_tensor(&net.input.dims, net.input.elem, 7);
    with_results(harness(net, Tier::Truecolor), input, "random")
}

/// The seed's numpy example (11×11×4 → conv 5×5 s2 → 4×4×2), computed.
pub fn numpy_app() -> Harness {
    let net = model::load("cs231n-numpy", WeightMode::Full).expect("the preset loads");
    let (input, src) = image_input::load_input(&net, None, None).expect("a seeded random input");
    with_results(harness(net, Tier::Truecolor), input, &src.label)
}

/// cs231n's CIFAR-10 example (32×32×3 → conv1 12@3 → relu1 → pool1 → fc 10 → prob), computed:
/// small enough to run whole passes in unit tests.
pub fn cifar_app() -> Harness {
    let net = model::load("cifar", WeightMode::Full).expect("the preset loads");
    let (input, src) = image_input::load_input(&net, None, None).expect("the built-in cat");
    with_results(harness(net, Tier::Truecolor), input, &src.label)
}

/// A 4×4×3 input: `X[r, c, 0] = 4r + c − 8` (signed), `X[r, c, 1] = 4r + c` (0..15),
/// `X[r, c, 2] = −1 − (4r + c)` (all negative), then a ReLU (whose d 2 is dead).
pub fn ramp_app(tier: Tier) -> Harness {
    let shape = Shape3::new(4, 4, 3);
    let net = Network {
        name: "ramp".into(),
        input: InputSpec::volume(shape, Normalize::unit(), None),
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
        files: Vec::new(),
        aliases: Vec::new(),
        folded_nodes: 0,
    };
    let input = Tensor::from_volume(Volume::from_shape_fn((3, 4, 4), |(d, r, c)| {
        let v = (4 * r + c) as f32;
        [v - 8.0, v, -1.0 - v][d]
    }));
    with_results(harness(net, tier), input, "ramp 4×4×3")
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

/// AlexNet with its weights and a zero input, its pass done as far as the editor cares (the
/// input is in): enough to open editors and check edits (the network is loaded once for all
/// tests; clones share the weights).
pub fn alexnet_edit_app() -> Harness {
    static NET: std::sync::OnceLock<Network> = std::sync::OnceLock::new();
    let net = NET
        .get_or_init(|| model::load("alexnet", WeightMode::Full).expect("the alexnet preset loads"))
        .clone();
    let mut h = harness(net, Tier::Truecolor);
    let effects = h.app.start("alexnet".into(), None);
    let Some(Effect::Compute { id, .. }) = effects.first() else { panic!("a first pass") };
    let (net, analysis) = (h.net().clone(), h.analysis().clone());
    let input = Tensor::from_volume(Volume::zeros((3, 227, 227)));
    let input_label = "zeros".to_string();
    h.update(Msg::Pass(Reply::Loaded { job: *id, net, analysis, input, input_label, photo: None }));
    h
}

/// Press keys through the key table, as the terminal would.
pub fn press(app: &mut Harness, keys: &[KeyCode]) {
    for &code in keys {
        press_with(app, code, KeyModifiers::NONE);
    }
}

pub fn press_with(app: &mut Harness, code: KeyCode, mods: KeyModifiers) {
    if let Some(a) = keymap::lookup(&app.scopes(), &KeyEvent::new(code, mods)) {
        app.update(a);
    }
}

/// Type text through the key table.
pub fn type_str(app: &mut Harness, text: &str) {
    for c in text.chars() {
        press(app, &[KeyCode::Char(c)]);
    }
}

/// Answer the pending edit checks (not the passes), as the checker thread would.
pub fn run_checks(app: &mut Harness) {
    loop {
        let (checks, rest): (Vec<Effect>, Vec<Effect>) = std::mem::take(&mut app.effects)
            .into_iter()
            .partition(|e| matches!(e, Effect::Check { .. }));
        app.effects = rest;
        if checks.is_empty() {
            return;
        }
        for e in checks {
            if let Effect::Check { id, req } = e {
                app.update(Msg::Checked(Box::new(req.run(id))));
            }
        }
    }
}

/// Run every pending effect synchronously: checks, passes and saves. Returns the jobs that ran.
/// The folder relative save paths of tests land in (one per test process).
fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("convscope-test-saves-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

pub fn run_effects(app: &mut Harness) -> Vec<u64> {
    let mut jobs = Vec::new();
    loop {
        let effects = std::mem::take(&mut app.effects);
        if effects.is_empty() {
            return jobs;
        }
        for e in effects {
            match e {
                Effect::Check { id, req } => app.update(Msg::Checked(Box::new(req.run(id)))),
                Effect::Compare { id, req } => sync(app, id, Msg::Compare, |job, send| {
                    crate::engine::compare::execute(job, *req, send)
                }),
                Effect::Scan { id, req } => sync(app, id, Msg::Scan, |job, send| {
                    crate::engine::scanjob::execute(job, *req, send)
                }),
                Effect::ClassMap { id, req } => sync(app, id, Msg::Map, |job, send| {
                    crate::engine::mapjob::execute(job, *req, send)
                }),
                Effect::Compute { id, task } => {
                    run_job(app, id, task);
                    jobs.push(id);
                }
                Effect::Save { net, path } => {
                    // Tests type paths (storms type anything): a relative one is written under a
                    // scratch folder, never into the working tree.
                    let target =
                        if path.is_relative() { scratch().join(&path) } else { path.clone() };
                    let r = model::save::save_spec(&net, &target).map_err(|e| e.to_string());
                    app.update(Msg::Saved(path, r));
                }
            }
        }
    }
}

/// Run a worker's job `id` on this thread and hand its replies to the app as `wrap`s.
fn sync<R>(app: &mut Harness, id: u64, wrap: impl Fn(R) -> Msg, run: impl FnOnce(Job, &dyn Fn(R))) {
    let replies = std::cell::RefCell::new(Vec::new());
    let latest = AtomicU64::new(id);
    run(Job::new(id, &latest), &|r| replies.borrow_mut().push(r));
    for r in replies.into_inner() {
        app.update(wrap(r));
    }
}

/// Run one pass as job `id` and hand its replies to the app.
pub fn run_job(app: &mut Harness, id: u64, task: Task) {
    let replies = std::cell::RefCell::new(Vec::new());
    let latest = AtomicU64::new(id);
    let send = |r| replies.borrow_mut().push(r);
    if let Err(error) = pass::execute(Job::new(id, &latest), task, &send) {
        replies.borrow_mut().push(Reply::Failed { job: id, error });
    }
    for r in replies.into_inner() {
        app.update(Msg::Pass(r));
    }
}
