//! The explorer's state. It changes only in [`App::update`] (user actions), [`App::apply`]
//! (worker replies), [`App::checked`] and [`App::saved`] (answers about edits and saves);
//! drawing only reads it (the raster cache is a memo, not state).

use super::action::Action;
use super::cache::RasterCache;
use super::color::Tier;
use super::colormap::{Colormap, Scale};
use super::editing::{Before, Effect, Quick};
use super::keymap::Scope;
use super::layout;
use super::popup::Popup;
use super::stats::VolStats;
use super::worker::Reply;
use crate::model::edit::History;
use crate::nn::analysis::Analysis;
use crate::nn::forward::Activations;
use crate::nn::{Network, Shape3, Src, Volume};
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

/// The panel that receives panel-specific keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Focus {
    Layers,
    Slice,
    Column,
    Shape,
    Explain,
}

impl Focus {
    pub const ORDER: [Focus; 5] =
        [Focus::Layers, Focus::Slice, Focus::Column, Focus::Shape, Focus::Explain];
}

/// What fills the screen below the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    /// The dashboard: layers, slice, column, shape, explain.
    Main,
    Montage,
    Filters,
    Input,
    Dead,
}

/// The range the colours of a slice span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScaleMode {
    /// min..max of the slice shown.
    Slice,
    /// min..max of the whole layer volume, the same for every d.
    Layer,
}

/// A finished forward pass and what the worker computed from it.
#[derive(Clone, Debug)]
pub struct Results {
    /// The network the pass ran (after an edit, until the next pass ends, an older one).
    pub net: Arc<Network>,
    pub acts: Activations,
    /// `stats[0]` is the input, `stats[i + 1]` layer i.
    pub stats: Vec<VolStats>,
    pub elapsed: Duration,
}

/// A pass in flight: layer `layer` of `total` is being computed.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub layer: usize,
    pub total: usize,
    pub name: String,
}

pub struct App {
    pub net: Arc<Network>,
    pub analysis: Arc<Analysis>,
    /// What the input is, e.g. `chelsea.png → 227×227×3`.
    pub input_label: String,
    /// The photo as it entered the network (after crop and resize), when it was a photo.
    pub photo: Option<Arc<image::RgbImage>>,
    pub results: Option<Arc<Results>>,
    /// `src_map[i]`: the index of layer i's output in `results` (by name after an edit, while
    /// the pass runs), `None` when `results` has no output of layer i's current shape.
    pub src_map: Vec<Option<usize>>,
    /// Layers from this index on show numbers of an older network until the pass ends.
    pub fresh_upto: usize,
    /// The network's input volume, once the model is loaded (edits recompute from it).
    pub input: Option<Arc<Volume>>,
    /// Bumped when results or the network change, so older cached rasters are not reused.
    pub generation: u64,
    /// The job whose replies are wanted; replies of other jobs are stale and dropped.
    pub job: u64,
    /// The job whose pass `results` holds.
    pub done_job: u64,
    pub progress: Option<Progress>,
    pub error: Option<String>,
    /// The selected volume: the input or a layer's output.
    pub sel: Src,
    /// The neuron cursor `(r, c)` in the selected volume.
    pub cursor: (usize, usize),
    /// The depth index d.
    pub d: usize,
    pub focus: Focus,
    pub view: View,
    pub help: bool,
    /// The page of the key help shown (wraps around; the overlay knows how many there are).
    pub help_page: usize,
    pub zoom: bool,
    pub colormap: Colormap,
    pub scale_mode: ScaleMode,
    pub tier: Tier,
    /// A pending count prefix.
    pub count: Option<usize>,
    /// The terminal size `(cols, rows)`.
    pub size: (u16, u16),
    /// One line for the status bar, cleared by the next action.
    pub message: Option<String>,
    /// The same, for errors (shown in red).
    pub alert: Option<String>,
    pub quit: bool,
    pub cache: RefCell<RasterCache>,
    /// The open editing popup; it takes every key.
    pub popup: Option<Popup>,
    /// Undo / redo of whole networks, with what each edit was.
    pub history: History,
    pub undo_what: Vec<String>,
    pub redo_what: Vec<String>,
    /// The last pass before the latest edits (the before/after view compares with it).
    pub before: Option<Before>,
    /// The slice panel shows after − before.
    pub diff: bool,
    /// Work for the event loop to hand to other threads.
    pub effects: Vec<Effect>,
    /// The last edit-check request id.
    pub checks: u64,
    /// A delete waiting for its check.
    pub quick: Option<Quick>,
}

/// Index `i` of an axis of length `a`, moved to the same relative place on an axis of length
/// `b` (the centre of its cell).
pub fn rel_pos(i: usize, a: usize, b: usize) -> usize {
    if a == 0 || b == 0 { 0 } else { ((2 * i + 1) * b / (2 * a)).min(b - 1) }
}

impl App {
    pub fn new(net: Network, analysis: Analysis, tier: Tier, colormap: Colormap) -> App {
        App {
            net: Arc::new(net),
            analysis: Arc::new(analysis),
            input_label: String::new(),
            photo: None,
            results: None,
            src_map: Vec::new(),
            fresh_upto: 0,
            input: None,
            generation: 0,
            job: 0,
            done_job: 0,
            progress: None,
            error: None,
            sel: Src::Input,
            cursor: (0, 0),
            d: 0,
            focus: Focus::Layers,
            view: View::Main,
            help: false,
            help_page: 0,
            zoom: false,
            colormap,
            scale_mode: ScaleMode::Slice,
            tier,
            count: None,
            size: (120, 40),
            message: None,
            alert: None,
            quit: false,
            cache: RefCell::new(RasterCache::default()),
            popup: None,
            history: History::default(),
            undo_what: Vec::new(),
            redo_what: Vec::new(),
            before: None,
            diff: false,
            effects: Vec::new(),
            checks: 0,
            quick: None,
        }
    }

    /// Rows of the layer list: the input, then every layer.
    pub fn rows(&self) -> usize {
        self.net.layers.len() + 1
    }

    pub fn row_of(s: Src) -> usize {
        match s {
            Src::Input => 0,
            Src::Layer(i) => i + 1,
        }
    }

    pub fn src_at(&self, row: usize) -> Src {
        match row.min(self.rows() - 1) {
            0 => Src::Input,
            i => Src::Layer(i - 1),
        }
    }

    pub fn name_of(&self, s: Src) -> &str {
        self.net.src_name(s)
    }

    pub fn shape(&self, s: Src) -> Shape3 {
        self.analysis.shape_of(s)
    }

    /// The colour scale of slice d of `s`, per the scale mode.
    pub fn scale(&self, s: Src, d: usize) -> Option<Scale> {
        let st = self.stats(s)?;
        let (lo, hi) = match self.scale_mode {
            ScaleMode::Slice => (*st.ch_min.get(d)?, *st.ch_max.get(d)?),
            ScaleMode::Layer => (st.min, st.max),
        };
        Some(Scale::new(lo, hi, self.colormap))
    }

    /// The value under the cursor at depth d.
    pub fn value(&self) -> Option<f32> {
        let (r, c) = self.cursor;
        self.volume(self.sel)?.get([self.d, r, c]).copied()
    }

    /// Key scopes for the current context, most specific first.
    pub fn scopes(&self) -> Vec<Scope> {
        match self.popup {
            Some(Popup::Params(_)) => return vec![Scope::Editor],
            Some(Popup::Choose(_)) => return vec![Scope::Chooser],
            Some(Popup::Save(_)) => return vec![Scope::Prompt],
            None => {}
        }
        if self.help {
            return vec![Scope::Help];
        }
        match self.view {
            View::Montage => vec![Scope::Montage],
            View::Filters => vec![Scope::Filters],
            View::Dead => vec![Scope::Dead],
            View::Input => vec![],
            View::Main => match self.focus {
                Focus::Layers => vec![Scope::Layers],
                Focus::Column => vec![Scope::Column],
                _ => vec![],
            },
        }
    }

    /// Take replies only from the job the app is waiting for.
    pub fn expect_job(&mut self, id: u64) {
        self.job = id;
        self.progress = None;
        self.error = None;
    }

    /// Apply a worker reply; replies of superseded jobs are dropped.
    pub fn apply(&mut self, reply: Reply) {
        if reply.job() != self.job {
            return;
        }
        match reply {
            Reply::Loaded { net, analysis, input, input_label, photo, .. } => {
                self.net = net;
                self.analysis = analysis;
                self.input = Some(input);
                self.input_label = input_label;
                self.photo = photo;
                self.clamp();
                self.resync();
            }
            Reply::Progress { layer, total, name, .. } => {
                self.progress = Some(Progress { layer, total, name });
            }
            Reply::Done { job, results } => {
                self.results = Some(results);
                self.done_job = job;
                self.generation += 1;
                self.progress = None;
                self.cache.borrow_mut().clear();
                self.resync();
            }
            Reply::Failed { error, .. } => {
                self.error = Some(error);
                self.progress = None;
            }
        }
    }

    /// Apply one user action.
    pub fn update(&mut self, action: Action) {
        self.message = None;
        self.alert = None;
        if let Action::Digit(n) = action {
            let n = n as usize;
            self.count = match self.count {
                Some(c) => Some((c * 10 + n).min(9999)),
                None if n > 0 => Some(n),
                None => None,
            };
            return;
        }
        let n = if action.takes_count() { self.count.take().unwrap_or(1) } else { 1 };
        self.count = None;
        let n_i = n as isize;
        match action {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.help = !self.help;
                self.help_page = 0;
            }
            Action::HelpPage => self.help_page += 1,
            Action::Back => self.back(),
            Action::Open => self.open(),
            Action::FocusNext => self.cycle_focus(1),
            Action::FocusPrev => self.cycle_focus(-1),
            Action::Up => self.move_cursor(-n_i, 0),
            Action::Down => self.move_cursor(n_i, 0),
            Action::Left => self.move_cursor(0, -n_i),
            Action::Right => self.move_cursor(0, n_i),
            Action::UpFast => self.move_cursor(-8 * n_i, 0),
            Action::DownFast => self.move_cursor(8 * n_i, 0),
            Action::LeftFast => self.move_cursor(0, -8 * n_i),
            Action::RightFast => self.move_cursor(0, 8 * n_i),
            Action::PrevLayer => self.step_layer(-n_i),
            Action::NextLayer => self.step_layer(n_i),
            Action::FirstLayer => self.select(Src::Input),
            Action::LastLayer => self.select(self.src_at(self.rows() - 1)),
            Action::PrevDepth => self.step_depth(-n_i),
            Action::NextDepth => self.step_depth(n_i),
            Action::PrevDepth10 => self.step_depth(-10 * n_i),
            Action::NextDepth10 => self.step_depth(10 * n_i),
            Action::PrevDepthRow => self.step_depth(-(self.montage_cols() as isize)),
            Action::NextDepthRow => self.step_depth(self.montage_cols() as isize),
            Action::CycleColormap => {
                self.colormap = self.colormap.next();
                self.message = Some(format!("colormap: {}", self.colormap.name()));
            }
            Action::ToggleScale => {
                self.scale_mode = match self.scale_mode {
                    ScaleMode::Slice => ScaleMode::Layer,
                    ScaleMode::Layer => ScaleMode::Slice,
                };
            }
            Action::Zoom => self.zoom = !self.zoom && self.view == View::Main,
            Action::Montage => self.toggle_view(View::Montage),
            Action::Filters => self.toggle_view(View::Filters),
            Action::InputView => self.toggle_view(View::Input),
            Action::DeadView => self.toggle_view(View::Dead),
            Action::NextDead => self.next_dead(),
            Action::Digit(_) => {}
            Action::SetCursor(r, c) => {
                self.cursor = (r, c);
                self.clamp();
            }
            Action::Select(s) => self.select(s),
            Action::SetDepth(d) => {
                self.d = d;
                self.clamp();
            }
            Action::Focus(f) => self.focus = f,
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.fix_focus();
            }
            Action::Edit
            | Action::InsertAfter
            | Action::DeleteLayer
            | Action::ChangeKind
            | Action::Undo
            | Action::Redo
            | Action::Save
            | Action::BeforeAfter
            | Action::Confirm
            | Action::Cancel
            | Action::NewLine
            | Action::ChoicePrev
            | Action::ChoiceNext
            | Action::TextKey(_) => self.edit_action(action),
        }
    }

    fn back(&mut self) {
        if self.help {
            self.help = false;
        } else if self.zoom {
            self.zoom = false;
        } else if self.view != View::Main {
            self.view = View::Main;
        } else if self.diff {
            self.diff = false;
        }
    }

    fn open(&mut self) {
        match (self.view, self.focus) {
            (View::Montage, _) => {
                self.view = View::Main;
                self.focus = Focus::Slice;
            }
            (View::Dead, _) => {
                let first = self.stats(self.sel).and_then(|s| s.dead().next());
                match first {
                    Some(d) => {
                        self.d = d;
                        self.view = View::Main;
                        self.focus = Focus::Slice;
                    }
                    None => self.message = Some(format!("{}: no dead channel", self.sel_name())),
                }
            }
            (View::Main, Focus::Layers) => self.focus = Focus::Slice,
            _ => {}
        }
        self.fix_focus();
    }

    fn sel_name(&self) -> String {
        self.name_of(self.sel).to_string()
    }

    fn toggle_view(&mut self, v: View) {
        self.view = if self.view == v { View::Main } else { v };
        self.zoom = false;
    }

    fn cycle_focus(&mut self, dir: isize) {
        let visible = layout::focusable(self);
        if visible.is_empty() {
            return;
        }
        let i = visible.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let n = visible.len() as isize;
        self.focus = visible[(i + dir).rem_euclid(n) as usize];
    }

    /// Keep the focus on a panel that is on screen.
    fn fix_focus(&mut self) {
        let visible = layout::focusable(self);
        if !visible.is_empty() && !visible.contains(&self.focus) {
            self.focus = visible[0];
        }
    }

    fn move_cursor(&mut self, dr: isize, dc: isize) {
        let s = self.shape(self.sel);
        let step = |v: usize, dv: isize, n: usize| {
            (v as isize + dv).clamp(0, n.max(1) as isize - 1) as usize
        };
        self.cursor = (step(self.cursor.0, dr, s.h), step(self.cursor.1, dc, s.w));
    }

    fn step_layer(&mut self, by: isize) {
        let row = (App::row_of(self.sel) as isize + by).clamp(0, self.rows() as isize - 1);
        self.select(self.src_at(row as usize));
    }

    fn step_depth(&mut self, by: isize) {
        let d = self.shape(self.sel).d;
        self.d = (self.d as isize + by).clamp(0, d.max(1) as isize - 1) as usize;
    }

    /// Select a volume; the cursor keeps its relative position and d is clamped.
    pub fn select(&mut self, s: Src) {
        let (old, new) = (self.shape(self.sel), self.shape(s));
        self.cursor = (rel_pos(self.cursor.0, old.h, new.h), rel_pos(self.cursor.1, old.w, new.w));
        self.sel = s;
        self.clamp();
    }

    /// Keep the cursor, d and the selection inside the current shapes.
    pub(super) fn clamp(&mut self) {
        if App::row_of(self.sel) >= self.rows() {
            self.sel = self.src_at(self.rows() - 1);
        }
        let s = self.shape(self.sel);
        self.cursor =
            (self.cursor.0.min(s.h.saturating_sub(1)), self.cursor.1.min(s.w.saturating_sub(1)));
        self.d = self.d.min(s.d.saturating_sub(1));
    }

    fn next_dead(&mut self) {
        let Some(st) = self.stats(self.sel) else {
            self.message = Some("computing: dead channels are known when the pass ends".into());
            return;
        };
        let dead: Vec<usize> = st.dead().collect();
        match dead.iter().find(|&&d| d > self.d).or(dead.first()) {
            Some(&d) => {
                self.d = d;
                self.message =
                    Some(format!("dead channel d {d} ({} in {})", dead.len(), self.sel_name()));
            }
            None => self.message = Some(format!("{}: no dead channel", self.sel_name())),
        }
    }

    /// Thumbnails per row in the montage at the current size.
    pub fn montage_cols(&self) -> usize {
        layout::montage_grid(self).0.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::testing;

    #[test]
    fn changing_layers_keeps_the_cursor_where_it_was_relatively() {
        let mut app = testing::alexnet_shapes();
        app.select(Src::Layer(0)); // conv1 55×55×96
        app.cursor = (54, 27);
        app.d = 90;
        app.select(Src::Layer(3)); // pool1 27×27×96
        assert_eq!(app.cursor, (26, 13));
        assert_eq!(app.d, 90);
        app.select(Src::Input); // 227×227×3
        assert_eq!(app.cursor, (222, 113));
        assert_eq!(app.d, 2);
    }

    #[test]
    fn counts_repeat_moves_and_the_cursor_stays_inside() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::Select(Src::Layer(0)));
        for a in [Action::Digit(1), Action::Digit(2), Action::Right] {
            app.update(a);
        }
        assert_eq!(app.cursor, (0, 12));
        app.update(Action::DownFast);
        assert_eq!(app.cursor, (8, 12));
        for _ in 0..10 {
            app.update(Action::RightFast);
        }
        assert_eq!(app.cursor, (8, 54));
        app.update(Action::Digit(0));
        assert_eq!(app.count, None, "a leading 0 is not a count");
        app.update(Action::PrevDepth);
        assert_eq!(app.d, 0);
        app.update(Action::NextDepth10);
        assert_eq!(app.d, 10);
    }

    #[test]
    fn layer_keys_walk_the_list_and_views_toggle() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::NextLayer);
        assert_eq!(app.sel, Src::Layer(0));
        app.update(Action::LastLayer);
        assert_eq!(App::row_of(app.sel), app.rows() - 1);
        app.update(Action::Montage);
        assert_eq!(app.view, View::Montage);
        app.update(Action::Back);
        assert_eq!(app.view, View::Main);
        app.update(Action::Help);
        assert!(app.help);
        assert_eq!(app.scopes(), vec![Scope::Help]);
        app.update(Action::Back);
        assert!(!app.help);
        app.update(Action::Quit);
        assert!(app.quit);
    }
}
