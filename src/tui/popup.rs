//! The editing popups' state: the parameter editor (`e`), the kind chooser (`a`, `t`) and the
//! save prompt (`w`). Each edit is checked as it changes (see [`crate::engine::check`]); the popup keeps
//! the newest answer to show and the edit to apply.

use crate::engine::check::EditOp;
use crate::model::ModelError;
use crate::model::edit::{Edited, INSERTABLE};
use crate::nn::Shape3;
use crate::nn::analysis::Analysis;
use crate::nn::{Network, Src};
use ratatui::style::Style;
use ratatui_textarea::TextArea;
use std::path::PathBuf;

/// What a valid edit does, as the preview shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    /// The edited (or inserted) layer: name, kind, input shapes.
    pub name: String,
    pub kind: &'static str,
    pub inputs: Vec<Shape3>,
    pub output: Shape3,
    /// Its output shape before the edit; `None` for a new layer.
    pub before: Option<Shape3>,
    /// Its parameter count after the edit, and before it (`None` for a new layer).
    pub params: (u64, Option<u64>),
    /// `(227 − 11 + 2·0)/2 + 1 = 109`.
    pub formula: Option<String>,
    pub warnings: Vec<String>,
    /// Every later layer whose output shape changes: name, old shape (`None`: new), new shape.
    pub later: Vec<(String, Option<Shape3>, Shape3)>,
    /// Layers whose weights are re-initialised because their shape changed.
    pub reinit: Vec<String>,
}

impl Preview {
    /// The preview of `e` for the layer `target` of the edited network.
    pub fn of(e: &Edited, target: usize, old: &Analysis) -> Preview {
        let t = target.min(e.net.layers.len().saturating_sub(1));
        let info = &e.analysis.layers[t];
        let layer = &e.net.layers[t];
        let before = match e.changed.iter().find(|(j, _, _)| *j == t) {
            Some((_, b, _)) => *b,
            // Unchanged: the old shape is the new one (the layer existed at the same index
            // unless it was inserted, and an inserted layer is always in `changed`).
            None => old.layers.get(t).map(|_| info.output),
        };
        let name = |j: usize| e.net.layers[j].name.clone();
        Preview {
            name: layer.name.clone(),
            kind: layer.kind.type_name(),
            inputs: info.inputs.clone(),
            output: info.output,
            before,
            params: (info.params, old.layers.get(t).filter(|_| before.is_some()).map(|l| l.params)),
            formula: info.formula(),
            warnings: info.warnings.clone(),
            later: e
                .changed
                .iter()
                .filter(|(j, _, _)| *j > t)
                .map(|&(j, b, a)| (name(j), b, a))
                .collect(),
            reinit: e.reinitialized.iter().map(|&j| name(j)).collect(),
        }
    }
}

/// The checks of one popup: the newest request, what to show, and the edit to apply.
#[derive(Debug, Default)]
pub struct Validation {
    /// The newest request; answers to older ones are dropped.
    pub id: u64,
    /// Whether the answer to `id` came.
    pub done: bool,
    /// The newest answer (while a newer request is pending, the previous one stays on screen).
    pub shown: Option<Result<Preview, String>>,
    /// The answer to `id` when it is valid: what Enter applies.
    pub edited: Option<Edited>,
    /// Enter came before the answer: apply it when it comes, if it is valid.
    pub apply_when_done: bool,
}

impl Validation {
    /// A new request replaces the old one.
    pub fn wait_for(&mut self, id: u64) {
        self.id = id;
        self.done = false;
        self.edited = None;
        self.apply_when_done = false;
    }

    /// Take an answer; `false` if it is not for the newest request. An error about the edited
    /// layer `name` itself is shown without its name.
    pub fn answer(
        &mut self,
        id: u64,
        result: Result<Edited, ModelError>,
        target: usize,
        name: &str,
        old: &Analysis,
    ) -> bool {
        if id != self.id {
            return false;
        }
        self.done = true;
        match result {
            Ok(e) => {
                self.shown = Some(Ok(Preview::of(&e, target, old)));
                self.edited = Some(e);
            }
            Err(e) => {
                self.shown = Some(Err(e.message_for(name)));
                self.edited = None;
            }
        }
        true
    }

    pub fn is_valid(&self) -> bool {
        self.done && self.edited.is_some()
    }
}

/// A one-widget text field with the app's look: no underlined cursor line.
pub fn text_field(text: &str) -> TextArea<'static> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let mut t = TextArea::new(lines);
    t.set_cursor_line_style(Style::default());
    t
}

/// The text of a field, lines joined with `\n`.
pub fn field_text(t: &TextArea) -> String {
    t.lines().join("\n")
}

/// `e`: a layer's parameters as spec text, checked as it is typed.
#[derive(Debug)]
pub struct ParamsEditor {
    pub layer: usize,
    /// The editor of the input's size (a model whose H and W are open), not of a layer.
    pub input: bool,
    pub name: String,
    pub kind: &'static str,
    pub text: TextArea<'static>,
    /// The text the editor opened with (applying it unchanged changes nothing).
    pub original: String,
    pub check: Validation,
}

impl ParamsEditor {
    pub fn new(layer: usize, name: &str, kind: &'static str, text: &str) -> ParamsEditor {
        let mut field = text_field(text);
        // Start on the first line's value, where an edit usually goes.
        field.move_cursor(ratatui_textarea::CursorMove::End);
        ParamsEditor {
            layer,
            input: false,
            name: name.to_string(),
            kind,
            text: field,
            original: field_text(&text_field(text)),
            check: Validation::default(),
        }
    }

    /// The editor of the input size of an open-size model.
    pub fn for_input(text: &str) -> ParamsEditor {
        ParamsEditor { input: true, ..ParamsEditor::new(0, "input", "input", text) }
    }

    pub fn op(&self) -> EditOp {
        let text = field_text(&self.text);
        if self.input {
            EditOp::InputSize { text }
        } else {
            EditOp::Params { layer: self.layer, text }
        }
    }

    /// What the edit selects once applied.
    pub fn target(&self) -> Src {
        if self.input { Src::Input } else { Src::Layer(self.layer) }
    }

    pub fn unchanged(&self) -> bool {
        field_text(&self.text).trim() == self.original.trim()
    }
}

/// What a chooser does with the picked kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChooserMode {
    /// `a`: insert a layer of that kind after the selected one.
    Insert,
    /// `t`: the selected layer becomes that kind.
    Kind,
}

/// `a` / `t`: pick a layer kind; each pick is checked like an edit.
#[derive(Debug)]
pub struct Chooser {
    pub mode: ChooserMode,
    pub layer: usize,
    pub name: String,
    pub options: &'static [&'static str],
    pub pick: usize,
    pub check: Validation,
}

impl Chooser {
    pub fn new(mode: ChooserMode, layer: usize, name: &str, current: &str) -> Chooser {
        let pick = match mode {
            ChooserMode::Insert => 0,
            ChooserMode::Kind => INSERTABLE.iter().position(|k| *k == current).unwrap_or(0),
        };
        Chooser {
            mode,
            layer,
            name: name.to_string(),
            options: INSERTABLE,
            pick,
            check: Validation::default(),
        }
    }

    pub fn kind(&self) -> &'static str {
        self.options[self.pick]
    }

    pub fn op(&self) -> EditOp {
        match self.mode {
            ChooserMode::Insert => EditOp::Insert { after: self.layer, kind: self.kind() },
            ChooserMode::Kind => EditOp::Kind { layer: self.layer, kind: self.kind() },
        }
    }

    /// Move the pick by `by`, wrapping around.
    pub fn step(&mut self, by: isize) {
        let n = self.options.len() as isize;
        self.pick = (self.pick as isize + by).rem_euclid(n) as usize;
    }
}

/// `w`: the path to save the network to.
#[derive(Debug)]
pub struct SavePrompt {
    pub text: TextArea<'static>,
    /// Why the last save failed (the network in the app is untouched).
    pub error: Option<String>,
    /// A save is running; Enter waits for it.
    pub saving: bool,
}

impl SavePrompt {
    pub fn new(path: &str) -> SavePrompt {
        let mut text = text_field(path);
        text.move_cursor(ratatui_textarea::CursorMove::End);
        SavePrompt { text, error: None, saving: false }
    }

    pub fn path(&self) -> String {
        self.text.lines().concat().trim().to_string()
    }
}

/// The open popup, if any: it takes every key.
#[derive(Debug)]
pub enum Popup {
    Params(Box<ParamsEditor>),
    Choose(Box<Chooser>),
    Save(Box<SavePrompt>),
    /// The class-map view's class prompt (`/`): a label or an index.
    Class(Box<SavePrompt>),
}

/// `stride 4 → 2, pad 0 → 1` from the editor's text before and after (both valid TOML).
pub fn describe_params(name: &str, old: &str, new: &str) -> String {
    let parse = |t: &str| t.parse::<toml::Table>().unwrap_or_default();
    let (a, b) = (parse(old), parse(new));
    // In the order the user wrote them.
    let keys = new.lines().filter_map(|l| l.split_once('=')).map(|(k, _)| k.trim());
    let mut parts = Vec::new();
    for (k, v) in keys.filter_map(|k| b.get_key_value(k)) {
        match a.get(k) {
            Some(o) if o == v => {}
            Some(o) => parts.push(format!("{k} {o} → {v}")),
            None => parts.push(format!("{k} = {v}")),
        }
    }
    for k in a.keys().filter(|k| !b.contains_key(*k)) {
        parts.push(format!("{k} removed"));
    }
    if parts.is_empty() {
        return format!("{name}: parameters rewritten");
    }
    format!("{name}: {}", parts.join(", "))
}

/// The save prompt's first suggestion: `<model>-edited.toml` in the current folder.
pub fn default_save_path(net: &Network) -> String {
    let stem: String = net
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    format!("{stem}-edited.toml")
}

/// `~/x.toml` → `$HOME/x.toml`.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}
