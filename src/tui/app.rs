//! The explorer's state. It changes only in [`App::update`], which takes one [`Msg`] (a key
//! action, a pass reply, a check answer, a save result) and returns the [`Effect`]s the event
//! loop hands to other threads; drawing only reads it, through the accessors below (the raster
//! cache is a memo, not state).
//!
//! The state is four private parts, each in its own file: what is selected
//! ([`super::selection`]), how the screen is arranged ([`super::view_state`]), the numbers of the
//! last pass ([`super::pass_state`]) and the live-editing session ([`super::edit_session`]).

use super::action::Action;
use super::cache::RasterCache;
use super::color::Tier;
use super::colormap::{Colormap, Scale};
use super::edit_session::{Before, EditSession};
use super::keymap::Scope;
use super::layout;
use super::pass_state::{Applied, PassState};
use super::popup::Popup;
use super::selection::{self, Selection};
use super::state::{Focus, Progress, ScaleMode, View};
use super::view_state::ViewState;
use crate::engine::check::{CheckRequest, Checked};
use crate::engine::pass::{Reply, Task};
use crate::engine::{Results, VolStats};
use crate::model::edit::History;
use crate::nn::analysis::Analysis;
use crate::nn::{Network, Shape3, Src, Tensor, View3};
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;

/// Everything that can change the app.
#[derive(Debug)]
pub enum Msg {
    /// A user action (a key, the mouse, a resize).
    Action(Action),
    /// A reply of the forward-pass worker.
    Pass(Reply),
    /// The checker's answer about an edit.
    Checked(Box<Checked>),
    /// A save finished: the path, and the files written or why not.
    Saved(PathBuf, Result<Vec<PathBuf>, String>),
    /// A reply of the class-map worker.
    Map(crate::engine::mapjob::MapReply),
    /// A reply of the scan worker.
    Scan(crate::engine::scanjob::ScanReply),
    /// A reply of the compare worker.
    Compare(crate::engine::compare::CompareReply),
}

impl From<Action> for Msg {
    fn from(a: Action) -> Msg {
        Msg::Action(a)
    }
}

/// Work for other threads, returned by [`App::update`] and run by the event loop.
#[derive(Debug)]
pub enum Effect {
    /// Check an edit (the checker thread), as request `id`.
    Check { id: u64, req: CheckRequest },
    /// Run a pass (the worker), as job `id`.
    Compute { id: u64, task: Task },
    /// Write the network as a spec (a thread of its own; the answer comes back as
    /// [`Msg::Saved`]).
    Save { net: Arc<Network>, path: PathBuf },
    /// Compute a class map (the class-map worker), as request `id`.
    ClassMap { id: u64, req: Box<crate::engine::mapjob::MapRequest> },
    /// Scan a folder or crop a channel's patches (the scan worker), as request `id`.
    Scan { id: u64, req: Box<crate::engine::scanjob::ScanRequest> },
    /// Run the compared pass (the compare worker), as request `id`.
    Compare { id: u64, req: Box<crate::engine::compare::CompareRequest> },
}

pub struct App {
    net: Arc<Network>,
    analysis: Arc<Analysis>,
    selection: Selection,
    view: ViewState,
    pass: PassState,
    edit: EditSession,
    /// The class-map view (`g`).
    class: super::classview::ClassView,
    /// The patches view (`p`).
    patches: super::patchview::PatchView,
    /// `--compare` / `--compare-model`.
    compare: super::compareview::Compare,
    /// Work collected during one `update`.
    effects: Vec<Effect>,
    /// Memoised rasters; drawing may fill it.
    pub(super) cache: RefCell<RasterCache>,
    /// The terminal's graphics (half-blocks unless [`set_graphics`](Self::set_graphics)).
    caps: crate::tui::graphics::Caps,
    /// The images of the frame being drawn; the event loop sends them after the frame.
    pub gfx: RefCell<crate::tui::graphics::Frame>,
}

impl App {
    pub fn new(net: Network, analysis: Analysis, tier: Tier, colormap: Colormap) -> App {
        let rows = analysis.layers.len();
        let mut app = App {
            net: Arc::new(net),
            analysis: Arc::new(analysis),
            selection: Selection::new(),
            view: ViewState::new(tier, colormap),
            pass: PassState { src_map: vec![None; rows], ..PassState::default() },
            edit: EditSession::default(),
            class: Default::default(),
            patches: Default::default(),
            compare: Default::default(),
            effects: Vec::new(),
            cache: RefCell::new(RasterCache::default()),
            caps: crate::tui::graphics::Caps::halfblocks(),
            gfx: RefCell::default(),
        };
        app.selection.clamp(&app.analysis);
        app
    }

    /// The first pass: load the model's weights (when `net` lacks them) and run it.
    pub fn start(
        &mut self,
        model: String,
        image: Option<crate::engine::pass::Image>,
    ) -> Vec<Effect> {
        let net = Some(self.net.clone());
        self.pass.image = image.clone();
        self.compute(Task::Load { model, net, image });
        std::mem::take(&mut self.effects)
    }

    /// Apply one message; returns the work it asks for.
    pub fn update(&mut self, msg: impl Into<Msg>) -> Vec<Effect> {
        match msg.into() {
            Msg::Action(a) => self.action(a),
            Msg::Pass(r) => self.reply(r),
            Msg::Checked(c) => self.checked(*c),
            Msg::Saved(path, r) => self.saved(path, r),
            Msg::Map(r) => self.map_reply(r),
            Msg::Scan(r) => self.scan_reply(r),
            Msg::Compare(r) => self.compare_reply(r),
        }
        self.refresh_compare();
        self.refresh_class_map();
        self.refresh_patches();
        std::mem::take(&mut self.effects)
    }

    /// Ask for a pass as a new job; replies of older jobs are dropped from now on.
    pub(super) fn compute(&mut self, task: Task) {
        let id = self.pass.job + 1;
        self.pass.expect(id);
        self.effects.push(Effect::Compute { id, task });
    }

    /// Ask the checker about an edit; returns the request id.
    pub(super) fn check(&mut self, req: CheckRequest) -> u64 {
        let id = self.edit.next_check();
        self.effects.push(Effect::Check { id, req });
        id
    }

    pub(super) fn push_effect(&mut self, e: Effect) {
        self.effects.push(e);
    }

    fn reply(&mut self, r: Reply) {
        match self.pass.apply(r) {
            Applied::Nothing => {}
            Applied::Loaded(net, analysis) => {
                self.net = net;
                self.analysis = analysis;
                self.selection.clamp(&self.analysis);
                self.pass.resync(&self.net, &self.analysis);
            }
            Applied::Changed => {
                self.cache.borrow_mut().clear();
                self.pass.resync(&self.net, &self.analysis);
            }
        }
    }

    fn action(&mut self, action: Action) {
        self.view.message = None;
        self.view.alert = None;
        if let Action::Digit(n) = action {
            self.selection.digit(n);
            return;
        }
        if self.view.view == View::ClassMap
            && !self.view.help
            && self.edit.popup.is_none()
            && self.class_action(action)
        {
            return;
        }
        let n = if action.takes_count() { self.selection.take_count() } else { 1 };
        self.selection.count = None;
        let n = n as isize;
        let a = self.analysis.clone();
        let sel = &mut self.selection;
        match action {
            Action::Quit => self.view.quit = true,
            Action::Help => {
                self.view.help = !self.view.help;
                self.view.help_page = 0;
            }
            Action::HelpPage => self.view.help_page += 1,
            Action::Back => {
                if !self.view.back() {
                    self.edit.diff = false;
                }
            }
            Action::Open => self.open(),
            Action::FocusNext => self.cycle_focus(1),
            Action::FocusPrev => self.cycle_focus(-1),
            Action::Up => sel.move_cursor(&a, -n, 0),
            Action::Down => sel.move_cursor(&a, n, 0),
            Action::Left => sel.move_cursor(&a, 0, -n),
            Action::Right => sel.move_cursor(&a, 0, n),
            Action::UpFast => sel.move_cursor(&a, -8 * n, 0),
            Action::DownFast => sel.move_cursor(&a, 8 * n, 0),
            Action::LeftFast => sel.move_cursor(&a, 0, -8 * n),
            Action::RightFast => sel.move_cursor(&a, 0, 8 * n),
            Action::PrevLayer => sel.step_layer(&a, -n),
            Action::NextLayer => sel.step_layer(&a, n),
            Action::FirstLayer => sel.select(&a, Src::Input),
            Action::LastLayer => sel.select(&a, selection::src_at(&a, usize::MAX)),
            Action::PrevDepth | Action::NextDepth | Action::PrevDepth10 | Action::NextDepth10 => {
                let by = match action {
                    Action::PrevDepth => -n,
                    Action::NextDepth => n,
                    Action::PrevDepth10 => -10 * n,
                    _ => 10 * n,
                };
                let photo = sel.sel == Src::Input && self.pass.photo.is_some();
                if photo && sel.rgb {
                    // The first step from the colour photo shows channel d itself.
                    sel.rgb = false;
                } else if photo && by < 0 && sel.d == 0 {
                    sel.rgb = true;
                } else {
                    sel.step_depth(&a, by);
                }
            }
            Action::ScrollDown => {
                let page = self.view.scroll_page.get().max(1);
                self.view.trace_scroll = self.view.trace_scroll.saturating_add(page);
            }
            Action::ScrollUp => {
                let page = self.view.scroll_page.get().max(1);
                self.view.trace_scroll = self.view.trace_scroll.saturating_sub(page);
            }
            Action::ThumbsBigger => {
                self.view.thumb_min = (self.view.thumb_min + 4).min(layout::THUMB_MAX);
            }
            Action::ThumbsSmaller => {
                self.view.thumb_min = self.view.thumb_min.saturating_sub(4).max(layout::THUMB_MIN);
            }
            Action::PrevDepthRow => {
                let cols = self.montage_cols() as isize;
                self.selection.step_depth(&a, -cols)
            }
            Action::NextDepthRow => {
                let cols = self.montage_cols() as isize;
                self.selection.step_depth(&a, cols)
            }
            Action::CycleColormap => {
                self.view.colormap = self.view.colormap.next();
                self.view.message = Some(format!("colormap: {}", self.view.colormap.name()));
            }
            Action::ToggleScale => self.view.toggle_scale(),
            Action::Zoom => self.view.zoom = !self.view.zoom && self.view.view == View::Main,
            Action::Montage => self.view.toggle_view(View::Montage),
            Action::Filters => self.view.toggle_view(View::Filters),
            Action::InputView => self.view.toggle_view(View::Input),
            Action::DeadView => self.view.toggle_view(View::Dead),
            Action::ClassMapView => self.view.toggle_view(View::ClassMap),
            Action::PatchesView => self.view.toggle_view(View::Patches),
            Action::CycleMethod | Action::ClassFocus | Action::ClassPrompt => {}
            Action::NextDead => self.next_dead(),
            Action::Digit(_) => {}
            Action::SetCursor(r, c) => sel.set_cursor(&a, r, c),
            Action::Select(s) => sel.select(&a, s),
            Action::SetDepth(d) => sel.set_d(&a, d),
            Action::Focus(f) => self.view.focus = f,
            Action::Resize(w, h) => {
                self.view.size = (w, h);
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

    fn open(&mut self) {
        match (self.view.view, self.view.focus) {
            (View::Montage, _) => {
                self.view.view = View::Main;
                self.view.focus = Focus::Slice;
            }
            (View::Dead, _) => {
                let first = self.stats(self.sel()).and_then(|s| s.dead().next());
                match first {
                    Some(d) => {
                        self.selection.want_d = d;
                        self.selection.d = d;
                        self.view.view = View::Main;
                        self.view.focus = Focus::Slice;
                    }
                    None => self.say(format!("{}: no dead channel", self.sel_name())),
                }
            }
            (View::Main, Focus::Layers) => self.view.focus = Focus::Slice,
            (View::Filters, _) => self.view.filter_numbers = !self.view.filter_numbers,
            _ => {}
        }
        self.fix_focus();
    }

    fn sel_name(&self) -> String {
        self.name_of(self.sel()).to_string()
    }

    fn cycle_focus(&mut self, dir: isize) {
        let visible = layout::focusable(self);
        if visible.is_empty() {
            return;
        }
        let i = visible.iter().position(|f| *f == self.view.focus).unwrap_or(0) as isize;
        let n = visible.len() as isize;
        self.view.focus = visible[(i + dir).rem_euclid(n) as usize];
    }

    /// Keep the focus on a panel that is on screen.
    fn fix_focus(&mut self) {
        let visible = layout::focusable(self);
        if !visible.is_empty() && !visible.contains(&self.view.focus) {
            self.view.focus = visible[0];
        }
    }

    fn next_dead(&mut self) {
        let Some(st) = self.stats(self.sel()) else {
            self.say("computing: dead channels are known when the pass ends");
            return;
        };
        let dead: Vec<usize> = st.dead().collect();
        let d = self.selection.d;
        match dead.iter().find(|&&x| x > d).or(dead.first()) {
            Some(&x) => {
                self.selection.d = x;
                self.selection.want_d = x;
                self.say(format!("dead channel d {x} ({} in {})", dead.len(), self.sel_name()));
            }
            None => self.say(format!("{}: no dead channel", self.sel_name())),
        }
    }

    /// A line for the status bar.
    pub(super) fn say(&mut self, msg: impl Into<String>) {
        self.view.message = Some(msg.into());
    }

    /// An error line for the status bar.
    pub(super) fn warn(&mut self, msg: impl Into<String>) {
        self.view.alert = Some(msg.into());
    }

    // ---- the parts, for the other halves of the app (editing, tests) ----

    pub(super) fn class_mut(&mut self) -> &mut super::classview::ClassView {
        &mut self.class
    }

    pub fn class_view(&self) -> &super::classview::ClassView {
        &self.class
    }

    pub(super) fn compare_mut(&mut self) -> &mut super::compareview::Compare {
        &mut self.compare
    }

    pub fn compare(&self) -> &super::compareview::Compare {
        &self.compare
    }

    pub(super) fn patch_mut(&mut self) -> &mut super::patchview::PatchView {
        &mut self.patches
    }

    pub fn patch_view(&self) -> &super::patchview::PatchView {
        &self.patches
    }

    pub(super) fn open_popup(&mut self, p: Popup) {
        self.edit.popup = Some(p);
    }

    pub(super) fn parts(
        &mut self,
    ) -> (&mut Selection, &mut ViewState, &mut PassState, &mut EditSession) {
        (&mut self.selection, &mut self.view, &mut self.pass, &mut self.edit)
    }

    /// Replace the network (after an edit, an undo or a redo).
    pub(super) fn set_network(&mut self, net: Arc<Network>, analysis: Arc<Analysis>) {
        self.net = net;
        self.analysis = analysis;
    }

    // ---- what drawing reads ----

    pub fn net(&self) -> &Arc<Network> {
        &self.net
    }

    pub fn analysis(&self) -> &Arc<Analysis> {
        &self.analysis
    }

    /// The selected volume: the input or a layer's output.
    pub fn sel(&self) -> Src {
        self.selection.sel
    }

    /// The neuron cursor `(r, c)` in the selected volume.
    pub fn cursor(&self) -> (usize, usize) {
        self.selection.cursor
    }

    /// The depth index d.
    pub fn d(&self) -> usize {
        self.selection.d
    }

    /// A pending count prefix.
    pub fn count(&self) -> Option<usize> {
        self.selection.count
    }

    pub fn focus(&self) -> Focus {
        self.view.focus
    }

    pub fn view(&self) -> View {
        self.view.view
    }

    pub fn help(&self) -> bool {
        self.view.help
    }

    pub fn help_page(&self) -> usize {
        self.view.help_page
    }

    pub fn zoom(&self) -> bool {
        self.view.zoom
    }

    /// Steps of the input view's trace (rows of the filter numbers) scrolled past; the view
    /// clamps it.
    pub fn trace_scroll(&self) -> usize {
        self.view.trace_scroll
    }

    /// A view tells how many steps or rows it showed, so that C-d pages by that much.
    pub fn note_scroll_page(&self, shown: usize) {
        self.view.scroll_page.set(shown.max(1));
    }

    /// The smallest montage thumbnail width the user asked for (`+`, `-`).
    pub fn thumb_min(&self) -> u16 {
        self.view.thumb_min
    }

    /// Whether the filters view shows the numbers of `W[d]`.
    pub fn filter_numbers(&self) -> bool {
        self.view.filter_numbers
    }

    pub fn colormap(&self) -> Colormap {
        self.view.colormap
    }

    pub fn scale_mode(&self) -> ScaleMode {
        self.view.scale_mode
    }

    /// Draw maps as images with these graphics (the cached rasters are dropped).
    pub fn set_graphics(&mut self, caps: crate::tui::graphics::Caps) {
        self.caps = caps;
        self.cache.borrow_mut().clear();
    }

    pub fn graphics(&self) -> crate::tui::graphics::Caps {
        self.caps
    }

    /// What rasters are drawn with: the tier and the graphics.
    pub fn paint(&self) -> crate::tui::raster::Paint {
        crate::tui::raster::Paint { tier: self.tier(), caps: self.caps }
    }

    pub fn tier(&self) -> Tier {
        self.view.tier
    }

    /// The terminal size `(cols, rows)`.
    pub fn size(&self) -> (u16, u16) {
        self.view.size
    }

    pub fn message(&self) -> Option<&str> {
        self.view.message.as_deref()
    }

    pub fn alert(&self) -> Option<&str> {
        self.view.alert.as_deref()
    }

    pub fn quit(&self) -> bool {
        self.view.quit
    }

    pub fn results(&self) -> Option<&Arc<Results>> {
        self.pass.results.as_ref()
    }

    pub fn input_label(&self) -> &str {
        &self.pass.input_label
    }

    pub fn photo(&self) -> Option<&Arc<image::RgbImage>> {
        self.pass.photo.as_ref()
    }

    pub fn progress(&self) -> Option<&Progress> {
        self.pass.progress.as_ref()
    }

    pub fn error(&self) -> Option<&str> {
        self.pass.error.as_deref()
    }

    /// Bumped when results or the network change (the raster cache keys on it).
    pub fn generation(&self) -> u64 {
        self.pass.generation
    }

    /// The job whose pass the results hold.
    pub fn done_job(&self) -> u64 {
        self.pass.done_job
    }

    /// Whether the slice panel shows the input photo in colour instead of channel d.
    pub fn shows_rgb(&self) -> bool {
        self.selection.sel == Src::Input && self.selection.rgb && self.pass.photo.is_some()
    }

    /// The network's input volume, once the weights are loaded.
    pub fn input(&self) -> Option<&Tensor> {
        self.pass.input.as_ref()
    }

    pub fn popup(&self) -> Option<&Popup> {
        self.edit.popup.as_ref()
    }

    pub fn history(&self) -> &History {
        &self.edit.history
    }

    /// The pass before the latest edits (the before/after view compares with it).
    /// What `b` compares with: the pass before the last edits, else the compared pass
    /// (`--compare`, `--compare-model`).
    pub fn before(&self) -> Option<&Before> {
        self.edit.before.as_ref().or(self.compare.before.as_ref())
    }

    /// The slice panel shows after − before.
    pub fn diff(&self) -> bool {
        self.edit.diff
    }

    /// Rows of the layer list: the input, then every layer.
    pub fn rows(&self) -> usize {
        selection::rows(&self.analysis)
    }

    pub fn row_of(s: Src) -> usize {
        selection::row_of(s)
    }

    pub fn src_at(&self, row: usize) -> Src {
        selection::src_at(&self.analysis, row)
    }

    pub fn name_of(&self, s: Src) -> &str {
        self.net.src_name(s)
    }

    pub fn shape(&self, s: Src) -> Shape3 {
        self.analysis.shape_of(s)
    }

    /// The output volume of `s`: fresh, or after an edit (while the pass runs) the old one when
    /// its shape still fits (see [`App::is_stale`]).
    pub fn volume(&self, s: Src) -> Option<&View3> {
        self.pass.volume(s)
    }

    /// The output tensor of `s` in its own dims, when the last pass is the current network's.
    pub fn tensor(&self, s: Src) -> Option<&Tensor> {
        let r = self.results()?;
        if !self.pass_is_current() || self.is_stale(s) {
            return None;
        }
        Some(r.acts.get(s))
    }

    /// Why `s` is not computed, if it is not.
    pub fn not_computed(&self, s: Src) -> Option<&str> {
        match s {
            Src::Input => None,
            Src::Layer(i) => match &self.analysis.layers.get(i)?.status {
                crate::nn::analysis::Status::NotComputable(why) => Some(why.as_str()),
                crate::nn::analysis::Status::Computed => None,
            },
        }
    }

    pub fn stats(&self, s: Src) -> Option<&VolStats> {
        self.pass.stats(s)
    }

    /// Whether the panels of `s` show numbers of an older network (until the pass ends).
    pub fn is_stale(&self, s: Src) -> bool {
        self.pass.is_stale(s)
    }

    /// Whether the last finished pass is the current network's.
    pub fn pass_is_current(&self) -> bool {
        self.pass.is_current(self.net.layers.len())
    }

    /// The colour scale of slice d of `s`, per the scale mode.
    pub fn scale(&self, s: Src, d: usize) -> Option<Scale> {
        let st = self.stats(s)?;
        let (lo, hi) = match self.view.scale_mode {
            ScaleMode::Slice => (*st.ch_min.get(d)?, *st.ch_max.get(d)?),
            ScaleMode::Layer => (st.min, st.max),
        };
        Some(Scale::new(lo, hi, self.view.colormap))
    }

    /// The value under the cursor at depth d.
    pub fn value(&self) -> Option<f32> {
        let (r, c) = self.cursor();
        self.volume(self.sel())?.get([self.d(), r, c]).copied()
    }

    /// Key scopes for the current context, most specific first.
    pub fn scopes(&self) -> Vec<Scope> {
        match self.edit.popup {
            Some(Popup::Params(_)) => return vec![Scope::Editor],
            Some(Popup::Choose(_)) => return vec![Scope::Chooser],
            Some(Popup::Save(_) | Popup::Class(_)) => return vec![Scope::Prompt],
            None => {}
        }
        if self.view.help {
            return vec![Scope::Help];
        }
        match self.view.view {
            View::Montage => vec![Scope::Montage],
            View::Filters => vec![Scope::Filters],
            View::Dead => vec![Scope::Dead],
            View::Input => vec![Scope::Input],
            View::ClassMap => vec![Scope::ClassMap],
            View::Patches => vec![Scope::Patches],
            View::Main => match self.view.focus {
                Focus::Layers => vec![Scope::Layers],
                Focus::Column => vec![Scope::Column],
                _ => vec![],
            },
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
    fn changing_layers_keeps_the_cursor_on_the_same_place_of_the_photo() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::Select(Src::Layer(0))); // conv1 55×55×96
        app.update(Action::SetCursor(54, 27));
        app.update(Action::SetDepth(90));
        let rf = app.analysis().layers[0].rf;
        let centre = |i: usize, ax: usize| {
            rf.start[ax] + (i * rf.jump[ax]) as i64 + (rf.size[ax] as i64 - 1) / 2
        };
        let (y, x) = (centre(54, 0), centre(27, 1));
        app.update(Action::Select(Src::Layer(3))); // pool1 27×27×96
        let p = app.analysis().layers[3].rf;
        let at = |i: usize, ax: usize| {
            p.start[ax] as f64 + (i * p.jump[ax]) as f64 + (p.size[ax] as f64 - 1.0) / 2.0
        };
        let (r, c) = app.cursor();
        assert!((at(r, 0) - y as f64).abs() <= p.jump[0] as f64 / 2.0, "{r} → {}", at(r, 0));
        assert!((at(c, 1) - x as f64).abs() <= p.jump[1] as f64 / 2.0, "{c} → {}", at(c, 1));
        assert_eq!(app.d(), 90);
        app.update(Action::Select(Src::Input)); // 227×227×3: the very pixel
        assert_eq!(app.cursor(), (y as usize, x as usize));
        assert_eq!(app.d(), 2);
        app.update(Action::Select(Src::Layer(0)));
        assert_eq!((app.cursor(), app.d()), ((54, 27), 90));
    }

    #[test]
    fn counts_repeat_moves_and_the_cursor_stays_inside() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::Select(Src::Layer(0)));
        for a in [Action::Digit(1), Action::Digit(2), Action::Right] {
            app.update(a);
        }
        assert_eq!(app.cursor(), (0, 12));
        app.update(Action::DownFast);
        assert_eq!(app.cursor(), (8, 12));
        for _ in 0..10 {
            app.update(Action::RightFast);
        }
        assert_eq!(app.cursor(), (8, 54));
        app.update(Action::Digit(0));
        assert_eq!(app.count(), None, "a leading 0 is not a count");
        app.update(Action::PrevDepth);
        assert_eq!(app.d(), 0);
        app.update(Action::NextDepth10);
        assert_eq!(app.d(), 10);
        // A count that would overflow the arithmetic just stops at the edge.
        for _ in 0..4 {
            app.update(Action::Digit(9));
        }
        app.update(Action::NextLayer);
        assert_eq!(App::row_of(app.sel()), app.rows() - 1);
    }

    #[test]
    fn layer_keys_walk_the_list_and_views_toggle() {
        let mut app = testing::alexnet_shapes();
        app.update(Action::NextLayer);
        assert_eq!(app.sel(), Src::Layer(0));
        app.update(Action::LastLayer);
        assert_eq!(App::row_of(app.sel()), app.rows() - 1);
        app.update(Action::Montage);
        assert_eq!(app.view(), View::Montage);
        app.update(Action::Back);
        assert_eq!(app.view(), View::Main);
        app.update(Action::Help);
        assert!(app.help());
        assert_eq!(app.scopes(), vec![Scope::Help]);
        app.update(Action::Back);
        assert!(!app.help());
        app.update(Action::Quit);
        assert!(app.quit());
    }

    #[test]
    fn stale_replies_are_dropped() {
        let mut app = testing::numpy_app();
        let effects = app.app.start("cs231n-numpy".into(), None);
        let Some(Effect::Compute { id, .. }) = effects.first() else { panic!("{effects:?}") };
        let id = *id;
        app.update(Msg::Pass(Reply::Failed { job: id - 1, error: "old".into() }));
        let progress = Reply::Progress { job: id - 1, layer: 0, total: 1, name: "conv1".into() };
        app.update(Msg::Pass(progress));
        assert_eq!((app.error(), app.progress().is_none()), (None, true));
        app.update(Msg::Pass(Reply::Failed { job: id, error: "bad input".into() }));
        assert_eq!(app.error(), Some("bad input"));
    }
}
