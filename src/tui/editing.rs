//! Live editing, the app's side: open the popups, check each edit off the UI thread, apply a
//! valid one, recompute from the first changed layer on the worker, undo and redo, save.
//!
//! The app never waits: checks, passes and saves are [`Effect`]s that the event loop hands to
//! their threads; their answers come back through [`App::checked`], [`App::apply`] and
//! [`App::saved`]. Until a new pass is done, the panels of layers at or after the edit show the
//! old numbers (when the shape still fits) and are dimmed.

use super::action::Action;
use super::app::{App, Results};
use super::checker::{CheckRequest, Checked, EditOp};
use super::popup::{
    Chooser, ChooserMode, ParamsEditor, Popup, SavePrompt, default_save_path, describe_params,
    expand_home, field_text,
};
use super::stale::first_difference;
use super::worker::Task;
use crate::model::edit::Edited;
use crate::model::to_spec::params_text;
use crate::nn::analysis::{Analysis, analyze};
use crate::nn::{Network, Src};
use crossterm::event::{KeyCode, KeyEvent};
use std::path::PathBuf;
use std::sync::Arc;

/// Work for other threads, collected by `update` and run by the event loop.
#[derive(Debug)]
pub enum Effect {
    /// Check an edit (the checker thread).
    Check(CheckRequest),
    /// Run a pass (the worker; the loop tells the app the job id).
    Compute(Task),
    /// Write the network as a spec (a thread of its own; the answer goes to [`App::saved`]).
    Save { net: Arc<Network>, path: PathBuf },
}

/// The pass before the edits since, for the before/after view.
#[derive(Clone, Debug)]
pub struct Before {
    pub results: Arc<Results>,
    /// What changed since, oldest first (`conv1: stride 4 → 2`).
    pub edits: Vec<String>,
}

impl Before {
    /// `conv1: stride 4 → 2`, or `the last 3 edits`.
    pub fn label(&self) -> String {
        match self.edits.as_slice() {
            [one] => one.clone(),
            many => format!("the last {} edits", many.len()),
        }
    }

    /// `the edit (conv1: stride 4 → 2)`, or `the last 3 edits`, for sentences.
    pub fn phrase(&self) -> String {
        match self.edits.as_slice() {
            [one] => format!("the edit ({one})"),
            many => format!("the last {} edits", many.len()),
        }
    }
}

/// A popup-less edit (delete) waiting for its check.
#[derive(Clone, Debug)]
pub struct Quick {
    pub id: u64,
    pub what: String,
    pub select: usize,
    /// The network it was checked on; if another edit came first, it is dropped.
    pub base: Arc<Network>,
}

impl App {
    /// The editing actions (called by `update`).
    pub(super) fn edit_action(&mut self, action: Action) {
        match action {
            Action::Edit => self.open_editor(),
            Action::InsertAfter => self.open_chooser(ChooserMode::Insert),
            Action::ChangeKind => self.open_chooser(ChooserMode::Kind),
            Action::DeleteLayer => self.delete_selected(),
            Action::Undo => self.undo(),
            Action::Redo => self.redo(),
            Action::Save => self.open_save(),
            Action::BeforeAfter => self.toggle_diff(),
            Action::Confirm => self.confirm(),
            Action::Cancel => {
                self.popup = None;
                self.message = Some("cancelled: nothing changed".into());
            }
            Action::NewLine => {
                if let Some(Popup::Params(ed)) = &mut self.popup {
                    ed.text.insert_newline();
                    self.recheck();
                }
            }
            Action::ChoicePrev => self.choose(-1),
            Action::ChoiceNext => self.choose(1),
            Action::TextKey(ev) => self.text_key(ev),
            _ => {}
        }
    }

    /// The selected layer, when it can be edited now; else say why not.
    fn editable_layer(&mut self) -> Option<usize> {
        if self.input.is_none() {
            self.message = Some("the weights are still loading: edit once they are in".into());
            return None;
        }
        match self.sel {
            Src::Input => {
                self.message =
                    Some("the input has no parameters: select a layer with ] or ↓".into());
                None
            }
            Src::Layer(i) => Some(i),
        }
    }

    /// Ask the checker about `op` on the current network; returns the request id.
    fn check(&mut self, op: EditOp) -> u64 {
        self.checks += 1;
        let req = CheckRequest {
            id: self.checks,
            net: self.net.clone(),
            analysis: self.analysis.clone(),
            op,
        };
        self.effects.push(Effect::Check(req));
        self.checks
    }

    fn open_editor(&mut self) {
        let Some(i) = self.editable_layer() else { return };
        let l = &self.net.layers[i];
        let mut ed = ParamsEditor::new(i, &l.name, l.kind.type_name(), &params_text(l));
        ed.check.wait_for(self.check(ed.op()));
        self.popup = Some(Popup::Params(Box::new(ed)));
    }

    fn open_chooser(&mut self, mode: ChooserMode) {
        let Some(i) = self.editable_layer() else { return };
        let l = &self.net.layers[i];
        let mut ch = Chooser::new(mode, i, &l.name, l.kind.type_name());
        ch.check.wait_for(self.check(ch.op()));
        self.popup = Some(Popup::Choose(Box::new(ch)));
    }

    fn choose(&mut self, by: isize) {
        let op = match &mut self.popup {
            Some(Popup::Choose(ch)) => {
                ch.step(by);
                ch.op()
            }
            _ => return,
        };
        let id = self.check(op);
        if let Some(Popup::Choose(ch)) = &mut self.popup {
            ch.check.wait_for(id);
        }
    }

    /// Check the editor's text again (it changed).
    fn recheck(&mut self) {
        let op = match &self.popup {
            Some(Popup::Params(ed)) => ed.op(),
            _ => return,
        };
        let id = self.check(op);
        if let Some(Popup::Params(ed)) = &mut self.popup {
            ed.check.wait_for(id);
        }
    }

    fn text_key(&mut self, ev: KeyEvent) {
        let changed = match &mut self.popup {
            Some(Popup::Params(ed)) => ed.text.input(ev),
            // One line: Enter is never text (it saves, through the key table).
            Some(Popup::Save(p)) if !p.saving && ev.code != KeyCode::Enter => {
                let typed = p.text.input(ev);
                p.error = p.error.take().filter(|_| !typed);
                false
            }
            _ => false,
        };
        if changed {
            self.recheck();
        }
    }

    fn delete_selected(&mut self) {
        let Some(i) = self.editable_layer() else { return };
        let what = format!("delete {}", self.net.layers[i].name);
        let id = self.check(EditOp::Delete { layer: i });
        self.message = Some(format!("{what}…"));
        self.quick = Some(Quick { id, what, select: i, base: self.net.clone() });
    }

    fn open_save(&mut self) {
        if self.input.is_none() {
            self.message = Some("the weights are still loading: save once they are in".into());
            return;
        }
        self.popup = Some(Popup::Save(Box::new(SavePrompt::new(&default_save_path(&self.net)))));
    }

    fn toggle_diff(&mut self) {
        self.diff = !self.diff;
        self.view = super::app::View::Main;
        self.zoom = false;
        self.message = Some(if self.diff {
            "before/after: the slice shows after − before the last edit (b again: the slice)".into()
        } else {
            "before/after off".into()
        });
    }

    /// Enter in a popup: apply a valid edit, or save.
    fn confirm(&mut self) {
        let Some(popup) = self.popup.take() else { return };
        match popup {
            Popup::Params(mut ed) => {
                if ed.unchanged() {
                    self.message = Some(format!("{}: unchanged", ed.name));
                    return;
                }
                if !ed.check.done {
                    ed.check.apply_when_done = true;
                    self.popup = Some(Popup::Params(ed));
                    return;
                }
                match ed.check.edited.take() {
                    Some(e) => {
                        let text = field_text(&ed.text);
                        let what = describe_params(&ed.name, &ed.original, &text);
                        self.apply_edited(e, what, ed.layer);
                    }
                    // Not valid: nothing happens, the text and the error stay.
                    None => self.popup = Some(Popup::Params(ed)),
                }
            }
            Popup::Choose(mut ch) => {
                if !ch.check.done {
                    ch.check.apply_when_done = true;
                    self.popup = Some(Popup::Choose(ch));
                    return;
                }
                match ch.check.edited.take() {
                    Some(e) => {
                        let what = match ch.mode {
                            ChooserMode::Insert => {
                                format!("insert {} after {}", ch.kind(), ch.name)
                            }
                            ChooserMode::Kind => format!("{}: kind → {}", ch.name, ch.kind()),
                        };
                        let target = ch.op().target();
                        self.apply_edited(e, what, target);
                    }
                    None => self.popup = Some(Popup::Choose(ch)),
                }
            }
            Popup::Save(mut p) => {
                let path = p.path();
                if p.saving {
                } else if path.is_empty() {
                    p.error = Some("type a path ending in .toml".into());
                } else {
                    p.saving = true;
                    p.error = None;
                    let path = expand_home(&path);
                    self.effects.push(Effect::Save { net: self.net.clone(), path });
                }
                self.popup = Some(Popup::Save(p));
            }
        }
    }

    /// The checker's answer.
    pub fn checked(&mut self, c: Checked) {
        if self.quick.as_ref().is_some_and(|q| q.id == c.id) {
            let Some(q) = self.quick.take() else { return };
            match c.result {
                Ok(_) if !Arc::ptr_eq(&q.base, &self.net) => {
                    self.alert =
                        Some(format!("{}: not done, the network changed meanwhile", q.what));
                }
                Ok(e) => self.apply_edited(e, q.what, q.select),
                Err(msg) => self.alert = Some(format!("cannot {}: {msg}", q.what)),
            }
            return;
        }
        let old = self.analysis.clone();
        let apply = match &mut self.popup {
            Some(Popup::Params(ed)) => {
                let t = ed.layer;
                ed.check.answer(c.id, c.result, t, &old) && ed.check.apply_when_done
            }
            Some(Popup::Choose(ch)) => {
                let t = ch.op().target();
                ch.check.answer(c.id, c.result, t, &old) && ch.check.apply_when_done
            }
            _ => false,
        };
        if apply {
            self.confirm();
        }
    }

    /// The answer of a save.
    pub fn saved(&mut self, path: PathBuf, result: Result<Vec<PathBuf>, String>) {
        match result {
            Ok(files) => {
                if matches!(self.popup, Some(Popup::Save(_))) {
                    self.popup = None;
                }
                let extra = files.len().saturating_sub(1);
                let beside =
                    if extra > 0 { format!(" + {extra} files beside it") } else { String::new() };
                self.message = Some(format!("saved {}{beside}", path.display()));
            }
            Err(e) => match &mut self.popup {
                Some(Popup::Save(p)) => {
                    p.saving = false;
                    p.error = Some(e);
                }
                _ => self.alert = Some(format!("save failed: {e}")),
            },
        }
    }

    /// Make a checked edit the current network (undoable).
    fn apply_edited(&mut self, e: Edited, what: String, select: usize) {
        self.history.push((*self.net).clone());
        self.undo_what.push(what.clone());
        self.redo_what.clear();
        let (shapes, reinit) = (e.changed.len(), e.reinitialized.len());
        self.set_net(e.net, e.analysis, what.clone(), Src::Layer(select));
        let mut msg = format!("{what} · {shapes} shapes changed");
        if reinit > 0 {
            msg.push_str(&format!(" · {reinit} re-initialized"));
        }
        msg.push_str(" · u undoes");
        self.message = Some(msg);
    }

    fn undo(&mut self) {
        match self.history.undo((*self.net).clone()) {
            Some(net) => {
                let what = self.undo_what.pop().unwrap_or_default();
                self.redo_what.push(what.clone());
                self.restore(net, format!("undo {what}"));
            }
            None => self.message = Some("nothing to undo".into()),
        }
    }

    fn redo(&mut self) {
        match self.history.redo((*self.net).clone()) {
            Some(net) => {
                let what = self.redo_what.pop().unwrap_or_default();
                self.undo_what.push(what.clone());
                self.restore(net, format!("redo {what}"));
            }
            None => self.message = Some("nothing to redo".into()),
        }
    }

    /// Show a network from the history; the selection follows the layer's name.
    fn restore(&mut self, net: Network, what: String) {
        let analysis = match analyze(&net) {
            Ok(a) => a,
            // Every network in the history was valid when it was current.
            Err(e) => {
                self.alert = Some(format!("{what}: {e}"));
                return;
            }
        };
        let sel = match self.sel {
            Src::Input => Src::Input,
            Src::Layer(i) => {
                let name = &self.net.layers[i].name;
                Src::Layer(net.layers.iter().position(|l| &l.name == name).unwrap_or(i))
            }
        };
        self.set_net(net, analysis, what.clone(), sel);
        let redo = if self.history.can_redo() { " · C-r redoes" } else { "" };
        self.message = Some(format!("{what}{redo}"));
    }

    /// Replace the network: keep the selection valid, remember the last pass for before/after,
    /// and recompute from the first changed layer.
    fn set_net(&mut self, net: Network, analysis: Analysis, what: String, select: Src) {
        let old = self.shape(self.sel);
        match &self.results {
            Some(r) if self.pass_is_current() => {
                self.before = Some(Before { results: r.clone(), edits: vec![what] });
            }
            _ => {
                if let Some(b) = &mut self.before {
                    b.edits.push(what);
                }
            }
        }
        self.net = Arc::new(net);
        self.analysis = Arc::new(analysis);
        self.sel = match select {
            Src::Layer(i) if self.net.layers.is_empty() || i >= self.net.layers.len() => {
                self.src_at(self.rows() - 1)
            }
            s => s,
        };
        let new = self.shape(self.sel);
        self.cursor = (
            super::app::rel_pos(self.cursor.0, old.h, new.h),
            super::app::rel_pos(self.cursor.1, old.w, new.w),
        );
        self.clamp();
        self.resync();
        self.generation += 1;
        self.cache.borrow_mut().clear();
        self.request_compute();
    }

    /// Ask the worker for a pass of the current network, reusing the outputs above the first
    /// layer that differs from the last finished pass.
    fn request_compute(&mut self) {
        let Some(input) = self.input.clone() else { return };
        let (prev, prev_stats, from) = match &self.results {
            Some(r) => {
                let from = first_difference(&r.net, &self.net).min(r.acts.outputs.len());
                (r.acts.outputs[..from].to_vec(), r.stats[..=from].to_vec(), from)
            }
            None => (Vec::new(), Vec::new(), 0),
        };
        self.effects.push(Effect::Compute(Task::Recompute {
            net: self.net.clone(),
            analysis: self.analysis.clone(),
            input,
            prev,
            prev_stats,
            from,
        }));
    }
}

#[cfg(test)]
#[path = "editing_tests.rs"]
mod tests;
