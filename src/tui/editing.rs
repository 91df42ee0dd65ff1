//! Live editing, the app's side: open the popups, check each edit off the UI thread, apply a
//! valid one, recompute from the first changed layer on the worker, undo and redo, save.
//!
//! The app never waits: checks, passes and saves are [`Effect`]s that the event loop hands to
//! their threads; their answers come back as messages to [`App::update`]. Until a new pass is
//! done, the panels of layers at or after the edit show the old numbers (when the shape still
//! fits) and are dimmed.

use super::action::Action;
use super::app::{App, Effect};
use super::edit_session::{Before, Quick};
use super::popup::{
    Chooser, ChooserMode, ParamsEditor, Popup, SavePrompt, default_save_path, describe_params,
    expand_home, field_text,
};
use super::selection::rel_pos;
use super::state::View;
use crate::engine::check::{CheckRequest, Checked, EditOp};
use crate::engine::pass::Task;
use crate::model::edit::Edited;
use crate::model::to_spec::params_text;
use crate::model::{edit_input, edit_op};
use crate::nn::analysis::{Analysis, analyze};
use crate::nn::{LayerKind, Network, Src};
use crossterm::event::{KeyCode, KeyEvent};
use std::path::PathBuf;
use std::sync::Arc;

impl App {
    /// The editing actions (from `update`).
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
                self.parts().3.popup = None;
                self.say("cancelled: nothing changed");
            }
            Action::NewLine => {
                if let Some(Popup::Params(ed)) = &mut self.parts().3.popup {
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
        if self.input().is_none() {
            self.say("the weights are still loading: edit once they are in");
            return None;
        }
        match self.sel() {
            Src::Input => {
                self.say("the input has no parameters: select a layer with ] or ↓");
                None
            }
            Src::Layer(i) => Some(i),
        }
    }

    /// Ask the checker about `op` on the current network; returns the request id.
    fn check_op(&mut self, op: EditOp) -> u64 {
        let req = CheckRequest { net: self.net().clone(), analysis: self.analysis().clone(), op };
        self.check(req)
    }

    fn open_editor(&mut self) {
        if self.input().is_none() {
            self.say("the weights are still loading: edit once they are in");
            return;
        }
        let mut ed = match self.sel() {
            Src::Input => match edit_input::input_text(self.net()) {
                Some(text) => ParamsEditor::for_input(&text),
                None => {
                    let why = edit_input::why_not(self.net());
                    self.say(format!("{why} · select a layer with ] or ↓"));
                    return;
                }
            },
            Src::Layer(i) => {
                let l = &self.net().layers[i];
                if let LayerKind::Op(op) = &l.kind
                    && edit_op::op_params_text(op).is_none()
                {
                    let msg = format!("{}: {}", l.name, edit_op::not_editable(l.kind.type_name()));
                    self.say(msg);
                    return;
                }
                ParamsEditor::new(i, &l.name, l.kind.type_name(), &params_text(l))
            }
        };
        ed.check.wait_for(self.check_op(ed.op()));
        self.parts().3.popup = Some(Popup::Params(Box::new(ed)));
    }

    fn open_chooser(&mut self, mode: ChooserMode) {
        let Some(i) = self.editable_layer() else { return };
        let l = &self.net().layers[i];
        let mut ch = Chooser::new(mode, i, &l.name, l.kind.type_name());
        ch.check.wait_for(self.check_op(ch.op()));
        self.parts().3.popup = Some(Popup::Choose(Box::new(ch)));
    }

    fn choose(&mut self, by: isize) {
        let op = match &mut self.parts().3.popup {
            Some(Popup::Choose(ch)) => {
                ch.step(by);
                ch.op()
            }
            _ => return,
        };
        let id = self.check_op(op);
        if let Some(Popup::Choose(ch)) = &mut self.parts().3.popup {
            ch.check.wait_for(id);
        }
    }

    /// Check the editor's text again (it changed).
    fn recheck(&mut self) {
        let op = match self.popup() {
            Some(Popup::Params(ed)) => ed.op(),
            _ => return,
        };
        let id = self.check_op(op);
        if let Some(Popup::Params(ed)) = &mut self.parts().3.popup {
            ed.check.wait_for(id);
        }
    }

    fn text_key(&mut self, ev: KeyEvent) {
        let changed = match &mut self.parts().3.popup {
            Some(Popup::Params(ed)) => ed.text.input(ev),
            // One line: Enter is never text (it saves, through the key table).
            Some(Popup::Save(p))
                if !p.saving
                    && ev.code == KeyCode::Char('u')
                    && ev.modifiers.contains(crossterm::event::KeyModifiers::CONTROL) =>
            {
                // C-u clears the path, as in a shell.
                p.text = super::popup::text_field("");
                p.error = None;
                false
            }
            Some(Popup::Save(p) | Popup::Class(p)) if !p.saving && ev.code != KeyCode::Enter => {
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
        let what = format!("delete {}", self.net().layers[i].name);
        let id = self.check_op(EditOp::Delete { layer: i });
        self.say(format!("{what}…"));
        let base = self.net().clone();
        self.parts().3.quick = Some(Quick { id, what, select: i, base });
    }

    fn open_save(&mut self) {
        if self.input().is_none() {
            self.say("the weights are still loading: save once they are in");
            return;
        }
        let path = default_save_path(self.net());
        self.parts().3.popup = Some(Popup::Save(Box::new(SavePrompt::new(&path))));
    }

    fn toggle_diff(&mut self) {
        let (_, view, _, edit) = self.parts();
        edit.diff = !edit.diff;
        view.view = View::Main;
        view.zoom = false;
        let on = edit.diff;
        let compared = self.before().and_then(|b| b.compared()).map(str::to_string);
        let msg = match (on, compared) {
            (true, Some(c)) => {
                format!("Δ: the slice shows this input − {c}, cell by cell (b again: the slice)")
            }
            (true, _) => {
                "before/after: the slice shows after − before the last edit (b again: the slice)"
                    .to_string()
            }
            (false, _) => "before/after off".to_string(),
        };
        self.say(msg);
    }

    /// Enter in a popup: apply a valid edit, or save.
    fn confirm(&mut self) {
        let Some(popup) = self.parts().3.popup.take() else { return };
        match popup {
            Popup::Params(mut ed) => {
                if ed.unchanged() {
                    self.say(format!("{}: unchanged", ed.name));
                    return;
                }
                if !ed.check.done {
                    ed.check.apply_when_done = true;
                    self.parts().3.popup = Some(Popup::Params(ed));
                    return;
                }
                match ed.check.edited.take() {
                    Some(e) => {
                        let text = field_text(&ed.text);
                        let what = describe_params(&ed.name, &ed.original, &text);
                        self.apply_edited(e, what, ed.target());
                    }
                    // Not valid: nothing happens, the text and the error stay.
                    None => self.parts().3.popup = Some(Popup::Params(ed)),
                }
            }
            Popup::Choose(mut ch) => {
                if !ch.check.done {
                    ch.check.apply_when_done = true;
                    self.parts().3.popup = Some(Popup::Choose(ch));
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
                        self.apply_edited(e, what, Src::Layer(target));
                    }
                    None => self.parts().3.popup = Some(Popup::Choose(ch)),
                }
            }
            Popup::Class(mut p) => match self.pick_class(&p.path()) {
                Ok(()) => self.say(format!("class map of class {}", p.path())),
                Err(e) => {
                    p.error = Some(e);
                    self.parts().3.popup = Some(Popup::Class(p));
                }
            },
            Popup::Save(mut p) => {
                let path = p.path();
                if p.saving {
                } else if path.is_empty() {
                    p.error = Some("type a path ending in .toml".into());
                } else {
                    p.saving = true;
                    p.error = None;
                    let path = expand_home(&path);
                    self.push_effect(Effect::Save { net: self.net().clone(), path });
                }
                self.parts().3.popup = Some(Popup::Save(p));
            }
        }
    }

    /// The checker's answer.
    pub(super) fn checked(&mut self, c: Checked) {
        if self.parts().3.quick.as_ref().is_some_and(|q| q.id == c.id) {
            let Some(q) = self.parts().3.quick.take() else { return };
            match c.result {
                Ok(_) if !Arc::ptr_eq(&q.base, self.net()) => {
                    self.warn(format!("{}: not done, the network changed meanwhile", q.what));
                }
                Ok(e) => self.apply_edited(e, q.what, Src::Layer(q.select)),
                Err(e) => {
                    let name = q.base.layers.get(q.select).map_or("", |l| l.name.as_str());
                    self.warn(format!("cannot {}: {}", q.what, e.message_for(name)));
                }
            }
            return;
        }
        let old = self.analysis().clone();
        let apply = match &mut self.parts().3.popup {
            Some(Popup::Params(ed)) => {
                let (t, name) = (ed.layer, ed.name.clone());
                ed.check.answer(c.id, c.result, t, &name, &old) && ed.check.apply_when_done
            }
            Some(Popup::Choose(ch)) => {
                let (t, name) = (ch.op().target(), ch.name.clone());
                ch.check.answer(c.id, c.result, t, &name, &old) && ch.check.apply_when_done
            }
            _ => false,
        };
        if apply {
            self.confirm();
        }
    }

    /// The answer of a save.
    pub(super) fn saved(&mut self, path: PathBuf, result: Result<Vec<PathBuf>, String>) {
        match result {
            Ok(files) => {
                if matches!(self.popup(), Some(Popup::Save(_))) {
                    self.parts().3.popup = None;
                }
                let extra = files.len().saturating_sub(1);
                let beside =
                    if extra > 0 { format!(" + {extra} files beside it") } else { String::new() };
                self.say(format!("saved {}{beside}", path.display()));
            }
            Err(e) => match &mut self.parts().3.popup {
                Some(Popup::Save(p)) => {
                    p.saving = false;
                    p.error = Some(e);
                }
                _ => self.warn(format!("save failed: {e}")),
            },
        }
    }

    /// Make a checked edit the current network (undoable).
    fn apply_edited(&mut self, e: Edited, what: String, select: Src) {
        let before = (**self.net()).clone();
        self.parts().3.history.push(before, what.clone());
        let shapes = e.changed.len();
        let reinit = reinit_words(&e.net, &e.reinitialized);
        self.set_net(e.net, e.analysis, what.clone(), select);
        let s = if shapes == 1 { "" } else { "s" };
        let mut msg = format!("{what} · {shapes} shape{s} changed");
        if !reinit.is_empty() {
            msg.push_str(&format!(" · re-initialized: {reinit}"));
        }
        msg.push_str(" · u undoes");
        self.say(msg);
    }

    fn undo(&mut self) {
        let current = (**self.net()).clone();
        match self.parts().3.history.undo(current) {
            Some((net, what)) => self.restore(net, format!("undo {what}")),
            None => self.say("nothing to undo"),
        }
    }

    fn redo(&mut self) {
        let current = (**self.net()).clone();
        match self.parts().3.history.redo(current) {
            Some((net, what)) => self.restore(net, format!("redo {what}")),
            None => self.say("nothing to redo"),
        }
    }

    /// Show a network from the history; the selection follows the layer's name.
    fn restore(&mut self, net: Network, what: String) {
        let analysis = match analyze(&net) {
            Ok(a) => a,
            // Every network in the history was valid when it was current.
            Err(e) => {
                self.warn(format!("{what}: {e}"));
                return;
            }
        };
        let sel = match self.sel() {
            Src::Input => Src::Input,
            Src::Layer(i) => {
                let name = &self.net().layers[i].name;
                Src::Layer(net.layers.iter().position(|l| &l.name == name).unwrap_or(i))
            }
        };
        self.set_net(net, analysis, what.clone(), sel);
        let redo = if self.history().can_redo() { " · C-r redoes" } else { "" };
        self.say(format!("{what}{redo}"));
    }

    /// Replace the network: keep the selection valid, remember the last pass for before/after,
    /// and recompute from the first changed layer.
    fn set_net(&mut self, net: Network, analysis: Analysis, what: String, select: Src) {
        let old = self.shape(self.sel());
        let current = self.pass_is_current();
        let results = self.results().cloned();
        {
            let edit = self.parts().3;
            match results {
                Some(r) if current => edit.before = Some(Before { results: r, edits: vec![what] }),
                _ => {
                    if let Some(b) = &mut edit.before {
                        b.edits.push(what);
                    }
                }
            }
        }
        let (net, analysis) = (Arc::new(net), Arc::new(analysis));
        self.set_network(net.clone(), analysis.clone());
        let (sel, _, pass, _) = self.parts();
        sel.sel = match select {
            Src::Layer(i) if i >= net.layers.len() => {
                super::selection::src_at(&analysis, usize::MAX)
            }
            s => s,
        };
        let new = analysis.shape_of(sel.sel);
        sel.cursor = (rel_pos(sel.cursor.0, old.h, new.h), rel_pos(sel.cursor.1, old.w, new.w));
        sel.forget_place();
        sel.clamp(&analysis);
        pass.resync(&net, &analysis);
        pass.generation += 1;
        self.cache.borrow_mut().clear();
        let pass = self.parts().2;
        let resized = pass.input.as_ref().is_some_and(|x| x.dims() != net.input.dims.as_slice());
        if resized {
            // A new input size: the input is made again from the photo, and the whole pass runs.
            let model = net.source.as_ref().map_or(net.name.clone(), |p| p.display().to_string());
            let image = pass.image.clone();
            self.compute(Task::Load { model, net: Some(net), image });
        } else if let Some(task) = pass.recompute(&net, &analysis) {
            self.compute(task);
        }
    }
}

#[cfg(test)]
#[path = "editing_tests.rs"]
mod tests;

/// What the re-initialised layers' weights became, grouped: `conv1 edge bank, conv2 fc6 seeded
/// random (seed 7)`.
fn reinit_words(net: &crate::nn::Network, layers: &[usize]) -> String {
    use crate::nn::Origin;
    let mut edges = Vec::new();
    let mut random: Vec<(u64, Vec<&str>)> = Vec::new();
    for &i in layers {
        let Some(l) = net.layers.get(i) else { continue };
        match l.origin {
            Origin::Reinitialized { edges: true, .. } | Origin::Edges => {
                edges.push(l.name.as_str())
            }
            Origin::Reinitialized { seed, edges: false } | Origin::Random { seed } => {
                match random.iter_mut().find(|(s, _)| *s == seed) {
                    Some((_, names)) => names.push(l.name.as_str()),
                    None => random.push((seed, vec![l.name.as_str()])),
                }
            }
            _ => {}
        }
    }
    let mut parts = Vec::new();
    if !edges.is_empty() {
        parts.push(format!("{} the edge bank", edges.join(" ")));
    }
    for (seed, names) in random {
        parts.push(format!("{} seeded random (seed {seed})", names.join(" ")));
    }
    parts.join(", ")
}
