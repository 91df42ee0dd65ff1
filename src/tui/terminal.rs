//! The terminal side: setup and restore, the event loop, and mouse → action mapping.
//!
//! One channel carries both terminal events (read on an input thread) and worker replies, so the
//! loop sleeps until something happens: no tick, no polling. After each batch of messages it
//! draws once; ratatui diffs the frame against the previous one, so a keystroke sends only the
//! cells that changed (no full clears).

use super::Options;
use super::action::Action;
use super::app::{App, Effect, Msg};
use super::color::Tier;
use super::colormap::Colormap;
use super::gapfill::GapFill;
use super::graphics::{self, emit::Emitter};
use super::keymap;
use super::layout;
use super::state::{Focus, View};
use super::ui;
use crate::engine::check::{self, CheckRequest};
use crate::engine::pass::{self, Image, Task};
use crate::engine::runner::Runner;
use crate::model::{self, WeightMode, image_input};
use crate::nn::analysis::analyze;
use color_eyre::eyre::{Result, WrapErr, eyre};
use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEvent,
    MouseEventKind,
};
use ratatui::layout::Rect;
use std::io::Write;
use std::sync::{Arc, mpsc};
use std::time::Instant;

/// What wakes the event loop.
enum Event2 {
    Term(Event),
    App(Msg),
    /// The terminal input closed (or failed), or a signal asked to end: quit.
    Quit,
}

/// Enter in an editor → the new pass on screen, for `$CONVSCOPE_TIMING`.
struct EditClock {
    t0: Instant,
    /// The job of the pass the edit asked for (once it was submitted).
    job: Option<u64>,
}

/// Open the explorer and run until the user quits. The model and the photo are opened and
/// checked before the terminal is touched, so a bad one is one line on stderr. The terminal is
/// restored on quit, on error, on a signal and on a panic of the UI thread; a panic of a job
/// becomes an error on screen.
///
/// # Errors
/// An unknown model or colormap, an invalid network, a missing or corrupt image, or a terminal
/// that cannot be set up.
pub fn run(opts: Options) -> Result<()> {
    let t0 = Instant::now();
    let tier = Tier::from_env(opts.color);
    let colormap = match &opts.colormap {
        Some(n) => Colormap::parse(n)
            .ok_or_else(|| eyre!("unknown colormap '{n}' (known: {})", Colormap::names()))?,
        None => Colormap::Auto,
    };
    let image = match &opts.image {
        Some(p) => Some(Image { path: p.clone(), photo: Arc::new(image_input::open_image(p)?) }),
        None => None,
    };
    // Shapes need no weights: this is fast even for VGG16, so the first frame shows them at
    // once. An ONNX model is parsed whole here, once; the worker reuses it.
    let load_opts = model::LoadOptions { size: opts.size, photo: opts.image.clone(), npy: None };
    let net = model::load_with(&opts.model, WeightMode::ShapesOnly, &load_opts)?;
    timing("model_loaded", t0);
    let analysis = analyze(&net).map_err(model::ModelError::from)?;
    timing("analyzed", t0);
    let mut app = App::new(net, analysis, tier, colormap);
    let folder = opts
        .image
        .as_ref()
        .and_then(|p| p.parent())
        .map(|p| if p.as_os_str().is_empty() { std::path::Path::new(".") } else { p });
    let other = match (&opts.compare, &opts.compare_model) {
        (Some(p), _) => Some(crate::engine::compare::Other::Image(Image {
            path: p.clone(),
            photo: Arc::new(image_input::open_image(p)?),
        })),
        (None, Some(m)) => Some(crate::engine::compare::Other::Model(m.clone())),
        (None, None) => None,
    };
    app.set_compare(other);
    app.set_scan_dir(opts.scan.clone().or_else(|| folder.map(std::path::Path::to_path_buf)));

    // Installed first so that ratatui's hook (restore the terminal) runs before it prints.
    let _ = color_eyre::install();
    crate::signals::arm_terminal();
    // try_init sets up raw mode, the alternate screen and the restoring panic hook; frames then go
    // through GapFill, which trades short cursor moves for the cells already on screen.
    timing("app_ready", t0);
    drop(ratatui::try_init().wrap_err("convscope needs a terminal")?);
    let backend = GapFill::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()));
    let mut terminal = ratatui::Terminal::new(backend)?;
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A job's panic is caught and shown as its error: the screen stays as it is.
        if crate::engine::runner::in_job() {
            return;
        }
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
        prev(info);
    }));
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
    // Before the input thread starts, so that the terminal's answers are ours to read.
    let (caps, waited) = graphics::detect::detect(opts.graphics, tier.has_pixels());
    timing_value("graphics_query", waited);
    app.set_graphics(caps);
    let mut images = Emitter::new(caps);
    let result = event_loop(&mut terminal, &mut app, &opts, image, t0, &mut images);
    let _ = write_raw(&mut terminal, &images.finish());
    crate::signals::clear_on_signal();
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    crate::signals::disarm_terminal();
    result
}

/// Append a timing line to `$CONVSCOPE_TIMING` when it is set (for measurements).
fn timing(what: &str, t0: Instant) {
    timing_value(what, t0.elapsed().as_secs_f64() * 1e3);
}

fn timing_value(what: &str, ms: f64) {
    if let Some(path) = std::env::var_os("CONVSCOPE_TIMING")
        && let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path)
    {
        let _ = writeln!(f, "{what} {ms:.1} ms");
    }
}

/// Write sequences past ratatui (images), and flush.
fn write_raw(terminal: &mut Term, seq: &str) -> std::io::Result<()> {
    if seq.is_empty() {
        return Ok(());
    }
    let out = terminal.backend_mut().inner_mut();
    out.write_all(seq.as_bytes())?;
    out.flush()
}

/// Draw a frame, then send its images: write again the cells images left (from the frame),
/// then the image sequences; the cells under pixels are no longer known to the gap filler.
fn draw(terminal: &mut Term, app: &App, images: &mut Emitter) -> Result<()> {
    let done = terminal.draw(|f| f.render_widget(app, f.area()))?;
    let screen = done.area;
    let placements = std::mem::take(&mut app.gfx.borrow_mut().placements);
    let plan = images.plan(&placements, screen);
    if plan.seq.is_empty() && plan.redraw.is_empty() {
        return Ok(());
    }
    let cells: Vec<(u16, u16, ratatui::buffer::Cell)> = plan
        .redraw
        .iter()
        .flat_map(|r| r.positions())
        .filter_map(|p| done.buffer.cell(p).map(|c| (p.x, p.y, c.clone())))
        .collect();
    let backend = terminal.backend_mut();
    ratatui::backend::Backend::draw(backend, cells.iter().map(|(x, y, c)| (*x, *y, c)))?;
    for r in &plan.covered {
        backend.forget(*r);
    }
    write_raw(terminal, &plan.seq)?;
    Ok(())
}

/// The explorer's terminal: crossterm on stdout, through the gap-filling wrapper.
type Term = ratatui::Terminal<GapFill<ratatui::backend::CrosstermBackend<std::io::Stdout>>>;

/// The threads the effects go to.
struct Threads {
    worker: Runner<Task>,
    checker: Runner<CheckRequest>,
    maps: Runner<crate::engine::mapjob::MapRequest>,
    scans: Runner<crate::engine::scanjob::ScanRequest>,
    compares: Runner<crate::engine::compare::CompareRequest>,
    tx: mpsc::Sender<Event2>,
}

fn event_loop(
    terminal: &mut Term,
    app: &mut App,
    opts: &Options,
    image: Option<Image>,
    t0: Instant,
    images: &mut Emitter,
) -> Result<()> {
    let size = terminal.size()?;
    app.update(Action::Resize(size.width, size.height));
    draw(terminal, app, images)?;
    timing("first_frame", t0);

    let (tx, rx) = mpsc::channel::<Event2>();
    let tx_in = tx.clone();
    std::thread::Builder::new().name("convscope-input".into()).spawn(move || {
        loop {
            let msg = match event::read() {
                Ok(ev) => Event2::Term(ev),
                Err(_) => Event2::Quit,
            };
            let gone = matches!(msg, Event2::Quit);
            if tx_in.send(msg).is_err() || gone {
                break;
            }
        }
    })?;
    let tx_sig = tx.clone();
    crate::signals::on_signal(move |_| {
        let _ = tx_sig.send(Event2::Quit);
    });
    let tx_w = tx.clone();
    let worker = pass::spawn(move |r| {
        let _ = tx_w.send(Event2::App(Msg::Pass(r)));
    });
    let tx_c = tx.clone();
    let checker = check::spawn(move |c| {
        let _ = tx_c.send(Event2::App(Msg::Checked(Box::new(c))));
    });
    let tx_m = tx.clone();
    let maps = crate::engine::mapjob::spawn(move |r| {
        let _ = tx_m.send(Event2::App(Msg::Map(r)));
    });
    let tx_s = tx.clone();
    let scans = crate::engine::scanjob::spawn(move |r| {
        let _ = tx_s.send(Event2::App(Msg::Scan(r)));
    });
    let tx_c2 = tx.clone();
    let compares = crate::engine::compare::spawn(move |r| {
        let _ = tx_c2.send(Event2::App(Msg::Compare(r)));
    });
    let mut threads = Threads { worker, checker, maps, scans, compares, tx };
    let mut clock: Option<EditClock> = None;
    let first = app.start(opts.model.clone(), image);
    run_effects(first, &mut threads, &mut clock);

    let mut timed = false;
    let mut step = |app: &mut App, area: Rect, ev: Event2, clock: &mut Option<EditClock>| {
        let effects = handle(app, area, ev, clock);
        run_effects(effects, &mut threads, clock);
    };
    while let Ok(first) = rx.recv() {
        // Keystroke → frame drawn, for `$CONVSCOPE_TIMING`.
        let key_at = matches!(first, Event2::Term(event::Event::Key(_))).then(Instant::now);
        let before = app.size();
        step(app, terminal.size().map(Rect::from).unwrap_or_default(), first, &mut clock);
        while let Ok(more) = rx.try_recv() {
            let (w, h) = app.size();
            step(app, Rect::new(0, 0, w, h), more, &mut clock);
        }
        if app.quit() {
            break;
        }
        let resized = app.size() != before;
        if !timed && app.results().is_some() {
            timing("pass_done", t0);
            timed = true;
        }
        if resized {
            // ratatui clears the screen on a new size: every image goes too.
            let seq = images.invalidate();
            write_raw(terminal, &seq)?;
        }
        draw(terminal, app, images)?;
        if let Some(t) = key_at {
            timing("key_to_frame", t);
        }
        if let Some(c) = &clock
            && c.job.is_some_and(|j| j == app.done_job())
        {
            timing(&format!("edit_fresh {}", app.net().name), c.t0);
            clock = None;
        }
    }
    Ok(())
}

/// Hand effects to their threads.
fn run_effects(effects: Vec<Effect>, t: &mut Threads, clock: &mut Option<EditClock>) {
    for e in effects {
        match e {
            Effect::Check { id, req } => t.checker.submit_as(id, req),
            Effect::ClassMap { id, req } => t.maps.submit_as(id, *req),
            Effect::Scan { id, req } => t.scans.submit_as(id, *req),
            Effect::Compare { id, req } => t.compares.submit_as(id, *req),
            Effect::Compute { id, task } => {
                t.worker.submit_as(id, task);
                if let Some(c) = clock
                    && c.job.is_none()
                {
                    c.job = Some(id);
                }
            }
            Effect::Save { net, path } => {
                let tx = t.tx.clone();
                // Large weights take a while to write; the UI keeps running meanwhile.
                let _ =
                    std::thread::Builder::new().name("convscope-save".into()).spawn(move || {
                        let r = std::panic::catch_unwind(|| {
                            model::save::save_spec(&net, &path).map_err(|e| e.to_string())
                        })
                        .unwrap_or_else(|_| Err("the save failed inside".into()));
                        let _ = tx.send(Event2::App(Msg::Saved(path, r)));
                    });
            }
        }
    }
}

fn handle(app: &mut App, area: Rect, ev: Event2, clock: &mut Option<EditClock>) -> Vec<Effect> {
    match ev {
        Event2::Term(Event::Key(k)) if k.kind != KeyEventKind::Release => {
            let Some(a) = keymap::lookup(&app.scopes(), &k) else { return Vec::new() };
            // Time an edit from its Enter; any other key forgets an Enter that applied nothing.
            if a == Action::Confirm && app.popup().is_some() {
                *clock = Some(EditClock { t0: Instant::now(), job: None });
            } else if clock.as_ref().is_some_and(|c| c.job.is_none()) {
                *clock = None;
            }
            app.update(a)
        }
        Event2::Term(Event::Mouse(m)) => {
            let mut effects = Vec::new();
            for a in mouse_actions(app, area, m) {
                effects.extend(app.update(a));
            }
            effects
        }
        Event2::Term(Event::Resize(w, h)) => app.update(Action::Resize(w, h)),
        Event2::Term(_) => Vec::new(),
        Event2::App(msg) => app.update(msg),
        Event2::Quit => app.update(Action::Quit),
    }
}

/// What a mouse event means where it happens: a click on the map sets the cursor, on the layer
/// list selects a layer, on the depth column sets d, on a montage thumbnail opens that slice;
/// the wheel changes d.
pub fn mouse_actions(app: &App, area: Rect, m: MouseEvent) -> Vec<Action> {
    let a = layout::areas(app, Rect::new(0, 0, area.width, area.height));
    if a.too_small || app.help() || app.popup().is_some() {
        return vec![];
    }
    match m.kind {
        MouseEventKind::ScrollUp => return vec![Action::PrevDepth],
        MouseEventKind::ScrollDown => return vec![Action::NextDepth],
        MouseEventKind::Down(MouseButton::Left) => {}
        _ => return vec![],
    }
    let (x, y) = (m.column, m.row);
    let hit = |r: Option<Rect>| r.filter(|r| r.contains((x, y).into()));
    match app.view() {
        View::Main => {
            if let Some(r) = hit(a.tabs) {
                return ui::tabs::panel_at(&a.stacked, r, x)
                    .map(Action::Focus)
                    .into_iter()
                    .collect();
            }
            if let Some(r) = hit(a.slice) {
                let (g, map) = ui::slice::geometry(app, r);
                let mut out = vec![Action::Focus(Focus::Slice)];
                if let Some((row, col)) = g.source_at_abs(map, x, y) {
                    out.push(Action::SetCursor(row, col));
                }
                return out;
            }
            if let Some(r) = hit(a.layers) {
                let mut out = vec![Action::Focus(Focus::Layers)];
                if let Some(row) = ui::layers::row_at(app, r, y) {
                    out.push(Action::Select(app.src_at(row)));
                }
                return out;
            }
            if let Some(r) = hit(a.column) {
                let mut out = vec![Action::Focus(Focus::Column)];
                if let Some(d) = ui::column::channel_at(app, r, y) {
                    out.push(Action::SetDepth(d));
                }
                return out;
            }
            for f in [Focus::Shape, Focus::Explain] {
                if hit(a.of(f)).is_some() {
                    return vec![Action::Focus(f)];
                }
            }
            vec![]
        }
        View::Montage => match ui::montage::slice_at(app, a.body, x, y) {
            Some(d) => vec![Action::SetDepth(d), Action::Open],
            None => vec![],
        },
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Src;
    use crate::tui::testing;
    use crossterm::event::KeyModifiers;

    fn click(x: u16, y: u16) -> MouseEvent {
        MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        }
    }

    #[test]
    fn clicks_land_on_what_was_drawn() {
        let mut app = testing::numpy_app();
        app.update(Action::Resize(120, 40));
        let screen = Rect::new(0, 0, 120, 40);
        let a = layout::areas(&app, screen);
        // The layer list: screen row 2 is list row 1 = conv1.
        let l = a.layers.unwrap();
        for act in mouse_actions(&app, screen, click(l.x + 3, l.y + 2)) {
            app.update(act);
        }
        assert_eq!(app.sel(), Src::Layer(0));
        // The map: the cell that shows (2, 3) maps back to (2, 3).
        let (g, map) = ui::slice::geometry(&app, a.slice.unwrap());
        let (cx, cy) = g.cell_of(2, 3).unwrap();
        let (ox, oy) = g.origin(map);
        for act in mouse_actions(&app, screen, click(ox + cx, oy + cy)) {
            app.update(act);
        }
        assert_eq!((app.cursor(), app.focus()), ((2, 3), Focus::Slice));
        let wheel = MouseEvent { kind: MouseEventKind::ScrollDown, ..click(0, 0) };
        assert_eq!(mouse_actions(&app, screen, wheel), vec![Action::NextDepth]);
    }
}
