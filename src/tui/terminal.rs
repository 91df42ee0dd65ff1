//! The terminal side: setup and restore, the event loop, and mouse → action mapping.
//!
//! One channel carries both terminal events (read on an input thread) and worker replies, so the
//! loop sleeps until something happens: no tick, no polling. After each batch of messages it
//! draws once; ratatui diffs the frame against the previous one, so a keystroke sends only the
//! cells that changed (no full clears).

use super::Options;
use super::action::Action;
use super::app::{App, Focus, View};
use super::checker::{Checked, Checker};
use super::color::Tier;
use super::colormap::Colormap;
use super::editing::Effect;
use super::gapfill::GapFill;
use super::keymap;
use super::layout;
use super::ui;
use super::worker::{Reply, Task, Worker};
use crate::model::{self, WeightMode};
use crate::nn::analysis::analyze;
use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEvent,
    MouseEventKind,
};
use ratatui::layout::Rect;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

enum Msg {
    Term(Event),
    Worker(Reply),
    /// The checker's answer about an edit.
    Checked(Box<Checked>),
    /// A save finished: the path and the files written, or why not.
    Saved(PathBuf, Result<Vec<PathBuf>, String>),
    /// The terminal input closed (or failed): quit.
    InputGone,
}

/// Enter in an editor → the new pass on screen, for `$CONVSCOPE_TIMING`.
struct EditClock {
    t0: Instant,
    /// The job of the pass the edit asked for (once it was submitted).
    job: Option<u64>,
}

/// Open the explorer and run until the user quits. The terminal is restored on quit, on error
/// and on panic.
///
/// # Errors
/// An unknown model or colormap, an invalid network, a missing image, or a terminal that
/// cannot be set up.
pub fn run(opts: Options) -> Result<()> {
    let t0 = Instant::now();
    let tier = Tier::from_env(opts.color);
    let colormap = match &opts.colormap {
        Some(n) => Colormap::parse(n)
            .ok_or_else(|| eyre!("unknown colormap '{n}' (known: {})", Colormap::names()))?,
        None => Colormap::Auto,
    };
    if let Some(p) = &opts.image
        && !p.is_file()
    {
        bail!("{}: no such image file", p.display());
    }
    // Shapes need no weights: this is fast even for VGG16, so the first frame shows them at once.
    let net = model::load(&opts.model, WeightMode::ShapesOnly)?;
    let analysis = analyze(&net).map_err(|e| eyre!("{e}"))?;
    let mut app = App::new(net, analysis, tier, colormap);

    // Installed first so that ratatui's hook (restore the terminal) runs before it prints.
    let _ = color_eyre::install();
    // try_init sets up raw mode, the alternate screen and the restoring panic hook; frames then go
    // through GapFill, which trades short cursor moves for the cells already on screen.
    drop(ratatui::try_init().wrap_err("convscope needs a terminal")?);
    let backend = GapFill::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()));
    let mut terminal = ratatui::Terminal::new(backend)?;
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
        prev(info);
    }));
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
    let result = event_loop(&mut terminal, &mut app, &opts, t0);
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// Append a timing line to `$CONVSCOPE_TIMING` when it is set (for measurements).
fn timing(what: &str, t0: Instant) {
    if let Some(path) = std::env::var_os("CONVSCOPE_TIMING")
        && let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path)
    {
        let _ = writeln!(f, "{what} {:.1} ms", t0.elapsed().as_secs_f64() * 1e3);
    }
}

/// The explorer's terminal: crossterm on stdout, through the gap-filling wrapper.
type Term = ratatui::Terminal<GapFill<ratatui::backend::CrosstermBackend<std::io::Stdout>>>;

fn event_loop(terminal: &mut Term, app: &mut App, opts: &Options, t0: Instant) -> Result<()> {
    let size = terminal.size()?;
    app.update(Action::Resize(size.width, size.height));
    terminal.draw(|f| f.render_widget(&*app, f.area()))?;
    timing("first_frame", t0);

    let (tx, rx) = mpsc::channel::<Msg>();
    let tx_in = tx.clone();
    std::thread::Builder::new().name("convscope-input".into()).spawn(move || {
        loop {
            let msg = match event::read() {
                Ok(ev) => Msg::Term(ev),
                Err(_) => Msg::InputGone,
            };
            let gone = matches!(msg, Msg::InputGone);
            if tx_in.send(msg).is_err() || gone {
                break;
            }
        }
    })?;
    let tx_w = tx.clone();
    let mut worker = Worker::spawn(move |r| {
        let _ = tx_w.send(Msg::Worker(r));
    });
    let tx_c = tx.clone();
    let checker = Checker::spawn(move |c| {
        let _ = tx_c.send(Msg::Checked(Box::new(c)));
    });
    let id = worker.submit(Task::Load { model: opts.model.clone(), image: opts.image.clone() });
    app.expect_job(id);

    let mut timed = false;
    let mut clock: Option<EditClock> = None;
    let mut step = |app: &mut App, area: Rect, msg: Msg, clock: &mut Option<EditClock>| {
        handle(app, area, msg, clock);
        run_effects(app, &mut worker, &checker, &tx, clock);
    };
    while let Ok(first) = rx.recv() {
        // Keystroke → frame drawn, for `$CONVSCOPE_TIMING`.
        let key_at = matches!(first, Msg::Term(event::Event::Key(_))).then(Instant::now);
        step(app, terminal.size().map(Rect::from).unwrap_or_default(), first, &mut clock);
        while let Ok(more) = rx.try_recv() {
            step(app, Rect::new(0, 0, app.size.0, app.size.1), more, &mut clock);
        }
        if app.quit {
            break;
        }
        if !timed && app.results.is_some() {
            timing("pass_done", t0);
            timed = true;
        }
        terminal.draw(|f| f.render_widget(&*app, f.area()))?;
        if let Some(t) = key_at {
            timing("key_to_frame", t);
        }
        if let Some(c) = &clock
            && c.job.is_some_and(|j| j == app.done_job)
        {
            timing(&format!("edit_fresh {}", app.net.name), c.t0);
            clock = None;
        }
    }
    Ok(())
}

/// Hand the app's effects to their threads.
fn run_effects(
    app: &mut App,
    worker: &mut Worker,
    checker: &Checker,
    tx: &mpsc::Sender<Msg>,
    clock: &mut Option<EditClock>,
) {
    for e in std::mem::take(&mut app.effects) {
        match e {
            Effect::Check(req) => checker.submit(req),
            Effect::Compute(task) => {
                let id = worker.submit(task);
                app.expect_job(id);
                if let Some(c) = clock
                    && c.job.is_none()
                {
                    c.job = Some(id);
                }
            }
            Effect::Save { net, path } => {
                let tx = tx.clone();
                // Large weights take a while to write; the UI keeps running meanwhile.
                let _ =
                    std::thread::Builder::new().name("convscope-save".into()).spawn(move || {
                        let r = model::save::save_spec(&net, &path).map_err(|e| format!("{e:#}"));
                        let _ = tx.send(Msg::Saved(path, r));
                    });
            }
        }
    }
}

fn handle(app: &mut App, area: Rect, msg: Msg, clock: &mut Option<EditClock>) {
    match msg {
        Msg::Term(Event::Key(k)) if k.kind != KeyEventKind::Release => {
            if let Some(a) = keymap::lookup(&app.scopes(), &k) {
                // Time an edit from its Enter; any other key forgets an Enter that applied nothing.
                if a == Action::Confirm && app.popup.is_some() {
                    *clock = Some(EditClock { t0: Instant::now(), job: None });
                } else if clock.as_ref().is_some_and(|c| c.job.is_none()) {
                    *clock = None;
                }
                app.update(a);
            }
        }
        Msg::Term(Event::Mouse(m)) => {
            for a in mouse_actions(app, area, m) {
                app.update(a);
            }
        }
        Msg::Term(Event::Resize(w, h)) => app.update(Action::Resize(w, h)),
        Msg::Term(_) => {}
        Msg::Worker(r) => app.apply(r),
        Msg::Checked(c) => app.checked(*c),
        Msg::Saved(path, r) => app.saved(path, r),
        Msg::InputGone => app.update(Action::Quit),
    }
}

/// What a mouse event means where it happens: a click on the map sets the cursor, on the layer
/// list selects a layer, on the depth column sets d, on a montage thumbnail opens that slice;
/// the wheel changes d.
pub fn mouse_actions(app: &App, area: Rect, m: MouseEvent) -> Vec<Action> {
    let a = layout::areas(app, Rect::new(0, 0, area.width, area.height));
    if a.too_small || app.help || app.popup.is_some() {
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
    match app.view {
        View::Main => {
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
        assert_eq!(app.sel, Src::Layer(0));
        // The map: the cell that shows (2, 3) maps back to (2, 3).
        let (g, map) = ui::slice::geometry(&app, a.slice.unwrap());
        let (cx, cy) = g.cell_of(2, 3).unwrap();
        let (ox, oy) = g.origin(map);
        for act in mouse_actions(&app, screen, click(ox + cx, oy + cy)) {
            app.update(act);
        }
        assert_eq!((app.cursor, app.focus), ((2, 3), Focus::Slice));
        let wheel = MouseEvent { kind: MouseEventKind::ScrollDown, ..click(0, 0) };
        assert_eq!(mouse_actions(&app, screen, wheel), vec![Action::NextDepth]);
    }
}
