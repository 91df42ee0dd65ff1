//! The key table: data, not code. Lookup, the status bar and the `?` help overlay all read
//! [`BINDINGS`], so the help can never drift from what the keys do.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. Lookup tries the current context's scope first, then `Global`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    /// The layer list has the focus.
    Layers,
    /// The depth column has the focus.
    Column,
    /// The montage view.
    Montage,
    /// The filters view.
    Filters,
    /// The dead-channel view.
    Dead,
    /// The input view with the receptive field.
    Input,
    /// The class-map view.
    ClassMap,
    /// The patches view.
    Patches,
    /// The help overlay is open.
    Help,
    /// The parameter editor (`e`) is open; keys not in the table edit the text.
    Editor,
    /// A chooser of layer kinds (`a`, `t`) is open.
    Chooser,
    /// The save prompt (`w`) is open; keys not in the table edit the path.
    Prompt,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "everywhere",
            Scope::Layers => "layer list focused",
            Scope::Column => "depth column focused",
            Scope::Montage => "montage (m)",
            Scope::Filters => "filters (f)",
            Scope::Dead => "dead channels (d)",
            Scope::Input => "input view (i)",
            Scope::ClassMap => "class maps (g)",
            Scope::Patches => "patches (p)",
            Scope::Help => "this help",
            Scope::Editor => "parameter editor (e)",
            Scope::Chooser => "layer kind chooser (a, t)",
            Scope::Prompt => "save prompt (w)",
        }
    }

    /// Popups and the help take every key: nothing falls through to `Global`.
    pub fn is_modal(self) -> bool {
        matches!(self, Scope::Help | Scope::Editor | Scope::Chooser | Scope::Prompt)
    }

    /// Scopes with a text field: keys not in the table go to the text.
    pub fn takes_text(self) -> bool {
        matches!(self, Scope::Editor | Scope::Prompt)
    }
}

/// Every scope in the order of the help and the README.
pub const SCOPES: [Scope; 12] = [
    Scope::Global,
    Scope::Layers,
    Scope::Column,
    Scope::Montage,
    Scope::Filters,
    Scope::Dead,
    Scope::Input,
    Scope::ClassMap,
    Scope::Patches,
    Scope::Editor,
    Scope::Chooser,
    Scope::Prompt,
];

/// One key with its modifiers. For characters, the shift state is in the character itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(code: KeyCode) -> Key {
    Key { code, mods: KeyModifiers::NONE }
}
const fn ch(c: char) -> Key {
    k(KeyCode::Char(c))
}
const fn shift(code: KeyCode) -> Key {
    Key { code, mods: KeyModifiers::SHIFT }
}
const fn ctrl(c: char) -> Key {
    Key { code: KeyCode::Char(c), mods: KeyModifiers::CONTROL }
}
const fn alt(code: KeyCode) -> Key {
    Key { code, mods: KeyModifiers::ALT }
}

impl Key {
    /// Does a terminal key event press this key?
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let relevant = KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT;
        let mut mods = ev.modifiers & relevant;
        let mut code = ev.code;
        if let KeyCode::Char(c) = code {
            // `H` arrives as Char('H') + SHIFT, `?` may carry SHIFT: the character says it all.
            mods.remove(KeyModifiers::SHIFT);
            if mods.contains(KeyModifiers::CONTROL) {
                code = KeyCode::Char(c.to_ascii_lowercase());
            }
        }
        if code == KeyCode::BackTab {
            mods.remove(KeyModifiers::SHIFT);
        }
        code == self.code && mods == self.mods
    }

    /// How the help and the status bar write the key: `←`, `S-→`, `C-c`, `PgUp`, `q`.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Char(' ') => "Space".into(),
            KeyCode::Char(c) => c.to_string(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("C-{base}")
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("M-{base}")
        } else if self.mods.contains(KeyModifiers::SHIFT) {
            format!("S-{base}")
        } else {
            base
        }
    }
}

/// A row of the key table.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [Key],
    pub action: Action,
    /// One line for the help overlay.
    pub help: &'static str,
    /// A short word for the status bar; `Some("")` adds the first key to the previous hint's
    /// keys (`↑/↓ layer`); `None` keeps the binding out of it.
    pub hint: Option<&'static str>,
}

const fn b(
    scope: Scope,
    keys: &'static [Key],
    action: Action,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding { scope, keys, action, help, hint }
}

use Action as A;
use KeyCode as C;
use Scope as S;

/// Every key binding. Order matters: it is the order of the help and the status bar.
pub const BINDINGS: &[Binding] = &[
    // The help overlay swallows movement so the screen under it does not change.
    b(S::Help, &[ch('?'), k(C::Esc)], A::Help, "close this help", Some("close")),
    b(S::Help, &[ch('q'), ctrl('c')], A::Quit, "quit", Some("quit")),
    b(S::Help, &[ch(' '), k(C::PageDown), k(C::Right)], A::HelpPage, "next page", Some("page")),
    // Popups take every key; keys they do not bind edit their text (or are ignored).
    b(S::Editor, &[k(C::Enter), ctrl('s')], A::Confirm, "apply (only a valid edit)", Some("apply")),
    b(S::Editor, &[k(C::Esc), ctrl('c')], A::Cancel, "cancel: nothing changes", Some("cancel")),
    b(S::Editor, &[alt(C::Enter)], A::NewLine, "a new line in the text", Some("new line")),
    b(S::Editor, TEXT, TEXT_KEY, "edit the text (C-u undoes typing)", None),
    b(S::Chooser, &[k(C::Up), ch('k')], A::ChoicePrev, "previous kind", Some("pick")),
    b(S::Chooser, &[k(C::Down), ch('j')], A::ChoiceNext, "next kind", Some("")),
    b(S::Chooser, &[k(C::Enter)], A::Confirm, "apply (only a valid edit)", Some("apply")),
    b(S::Chooser, &[k(C::Esc), ctrl('c')], A::Cancel, "cancel: nothing changes", Some("cancel")),
    b(S::Prompt, &[k(C::Enter)], A::Confirm, "save to the typed path", Some("save")),
    b(S::Prompt, &[k(C::Esc), ctrl('c')], A::Cancel, "cancel: nothing is written", Some("cancel")),
    b(S::Prompt, TEXT, TEXT_KEY, "edit the path (C-u clears it)", None),
    // hjkl always move the map cursor; the list and the column keep the arrows.
    b(S::Layers, &[k(C::Up)], A::PrevLayer, "previous layer", Some("layer")),
    b(S::Layers, &[k(C::Down)], A::NextLayer, "next layer", Some("")),
    b(S::Layers, &[k(C::Enter)], A::Open, "open the layer's depth slice", Some("open")),
    b(S::Column, &[k(C::Up)], A::PrevDepth, "previous channel d − 1", Some("d")),
    b(S::Column, &[k(C::Down)], A::NextDepth, "next channel d + 1", Some("")),
    b(S::Montage, &[k(C::Left), ch('h')], A::PrevDepth, "previous slice", Some("pick")),
    b(S::Montage, &[k(C::Right), ch('l')], A::NextDepth, "next slice", Some("")),
    b(S::Montage, &[k(C::Up), ch('k')], A::PrevDepthRow, "slice one row up", None),
    b(S::Montage, &[k(C::Down), ch('j')], A::NextDepthRow, "slice one row down", None),
    b(S::Montage, &[k(C::Enter)], A::Open, "open the picked slice", Some("open")),
    b(
        S::Montage,
        &[ch('+'), ch('=')],
        A::ThumbsBigger,
        "larger thumbnails (fewer per page)",
        Some("size"),
    ),
    b(S::Montage, &[ch('-')], A::ThumbsSmaller, "smaller thumbnails", Some("")),
    b(S::Filters, &[k(C::Left), ch('h')], A::PrevDepth, "previous filter W[d − 1]", Some("filter")),
    b(S::Filters, &[k(C::Right), ch('l')], A::NextDepth, "next filter W[d + 1]", Some("")),
    b(S::Filters, &[k(C::Enter)], A::Open, "show or hide the numbers of W[d]", Some("numbers")),
    b(S::Filters, &[ctrl('d')], A::ScrollDown, "scroll the numbers down", Some("scroll")),
    b(S::Filters, &[ctrl('u')], A::ScrollUp, "scroll the numbers up", Some("")),
    b(S::Input, &[ctrl('d')], A::ScrollDown, "scroll the trace down", Some("scroll")),
    b(S::Input, &[ctrl('u')], A::ScrollUp, "scroll the trace up", Some("")),
    b(S::Patches, &[ch(','), ch('h'), k(C::Left)], A::PrevDepth, "channel d − 1", Some("d")),
    b(S::Patches, &[ch('.'), ch('l'), k(C::Right)], A::NextDepth, "channel d + 1", Some("")),
    b(
        S::ClassMap,
        &[ch(' ')],
        A::CycleMethod,
        "next method: CAM, Grad-CAM, occlusion",
        Some("method"),
    ),
    b(
        S::ClassMap,
        &[ch('/')],
        A::ClassPrompt,
        "type the class: a label (or part of one) or an index",
        Some("class"),
    ),
    b(
        S::ClassMap,
        &[k(C::Tab), k(C::BackTab)],
        A::ClassFocus,
        "keys to the top-5 list (↑/↓ pick the class) or the map",
        Some("class/map"),
    ),
    b(S::Dead, &[k(C::Up), ch('k')], A::PrevLayer, "previous layer", Some("layer")),
    b(S::Dead, &[k(C::Down), ch('j')], A::NextLayer, "next layer", Some("")),
    b(S::Dead, &[k(C::Enter)], A::Open, "open the layer's first dead channel", Some("open")),
    b(S::Global, &[ch('?')], A::Help, "help: this list", Some("help")),
    b(S::Global, &[ch('q'), ctrl('c')], A::Quit, "quit", Some("quit")),
    b(S::Global, &[ch('h'), k(C::Left)], A::Left, "cursor left (column c − 1)", Some("move")),
    b(S::Global, &[ch('j'), k(C::Down)], A::Down, "cursor down (row r + 1)", Some("")),
    b(S::Global, &[ch('k'), k(C::Up)], A::Up, "cursor up (row r − 1)", Some("")),
    b(S::Global, &[ch('l'), k(C::Right)], A::Right, "cursor right (column c + 1)", Some("")),
    b(S::Global, &[shift(C::Left), ch('H')], A::LeftFast, "cursor left by 8", None),
    b(S::Global, &[shift(C::Down), ch('J')], A::DownFast, "cursor down by 8", None),
    b(S::Global, &[shift(C::Up), ch('K')], A::UpFast, "cursor up by 8", None),
    b(S::Global, &[shift(C::Right), ch('L')], A::RightFast, "cursor right by 8", None),
    b(S::Global, &[ch('['), k(C::PageUp)], A::PrevLayer, "previous layer", Some("layer")),
    b(S::Global, &[ch(']'), k(C::PageDown)], A::NextLayer, "next layer", Some("")),
    b(S::Global, &[k(C::Home)], A::FirstLayer, "first row of the list (the input)", None),
    b(S::Global, &[ch('G'), k(C::End)], A::LastLayer, "last layer", None),
    b(S::Global, &[ch(',')], A::PrevDepth, "depth d − 1 (also the mouse wheel)", Some("d")),
    b(S::Global, &[ch('.')], A::NextDepth, "depth d + 1", Some("")),
    b(S::Global, &[ch('<')], A::PrevDepth10, "depth d − 10", None),
    b(S::Global, &[ch('>')], A::NextDepth10, "depth d + 10", None),
    b(S::Global, &[ch('e')], A::Edit, "edit the layer's parameters, live", Some("edit")),
    b(S::Global, &[ch('u')], A::Undo, "undo the last edit", Some("undo")),
    b(S::Global, &[ctrl('r')], A::Redo, "redo", Some("redo")),
    b(S::Global, &[ch('a')], A::InsertAfter, "add a layer after this one", None),
    b(S::Global, &[ch('x')], A::DeleteLayer, "delete this layer", None),
    b(S::Global, &[ch('t')], A::ChangeKind, "change this layer's kind", None),
    b(S::Global, &[ch('w')], A::Save, "save the network as a spec (.toml)", None),
    b(S::Global, &[ch('b')], A::BeforeAfter, "before/after: slice difference of the edit", None),
    b(S::Global, &[k(C::Tab)], A::FocusNext, "focus the next panel", Some("panel")),
    b(S::Global, &[k(C::BackTab)], A::FocusPrev, "focus the previous panel", None),
    b(S::Global, &[k(C::Enter)], A::Open, "open the selection", None),
    b(S::Global, &[k(C::Esc)], A::Back, "back: close a view, the zoom, before/after", None),
    b(S::Global, &[ch('m')], A::Montage, "montage: every slice of the layer", Some("montage")),
    b(S::Global, &[ch('f')], A::Filters, "filters W[d] of a conv layer", Some("filters")),
    b(S::Global, &[ch('i')], A::InputView, "input image with the receptive field", Some("input")),
    b(S::Global, &[ch('d')], A::DeadView, "dead channels per layer", Some("dead")),
    b(
        S::Global,
        &[ch('p')],
        A::PatchesView,
        "patches: what drives channel d across a folder of photos",
        Some("patches"),
    ),
    b(
        S::Global,
        &[ch('g')],
        A::ClassMapView,
        "class maps: where the network looks for a class",
        Some("class map"),
    ),
    b(S::Global, &[ch('n')], A::NextDead, "jump to the next dead channel", None),
    b(S::Global, &[ch('c')], A::CycleColormap, "cycle the colormap", Some("colormap")),
    b(S::Global, &[ch('s')], A::ToggleScale, "scale per slice / per layer", Some("scale")),
    b(S::Global, &[ch('z')], A::Zoom, "zoom the focused panel", Some("zoom")),
    b(S::Global, &DIGITS, A::Digit(0), "count prefix: 5l moves 5 columns", None),
];

/// The text scopes' "any other key" row: no key of its own, shown as `other keys`.
const TEXT: &[Key] = &[];
const TEXT_KEY: Action = Action::TextKey(KeyEvent::new(KeyCode::Null, KeyModifiers::NONE));

const DIGITS: [Key; 10] =
    [ch('0'), ch('1'), ch('2'), ch('3'), ch('4'), ch('5'), ch('6'), ch('7'), ch('8'), ch('9')];

/// The action for a key press in the given scopes (most specific first).
pub fn lookup(scopes: &[Scope], ev: &KeyEvent) -> Option<Action> {
    for scope in scopes.iter().copied().chain(std::iter::once(Scope::Global)) {
        for bind in BINDINGS.iter().filter(|b| b.scope == scope) {
            if bind.keys.iter().any(|key| key.matches(ev)) {
                if let (Action::Digit(_), KeyCode::Char(c)) = (bind.action, ev.code) {
                    return c.to_digit(10).map(|d| Action::Digit(d as u8));
                }
                return Some(bind.action);
            }
        }
        if scope.takes_text() {
            return Some(Action::TextKey(*ev));
        }
        if scope.is_modal() {
            // The help overlay and the chooser ignore every other key.
            return None;
        }
    }
    None
}

/// `←/h`: all keys of a binding.
pub fn keys_label(b: &Binding) -> String {
    if matches!(b.action, Action::Digit(_)) {
        return "0-9".into();
    }
    if b.keys.is_empty() {
        return "other keys".into();
    }
    b.keys.iter().map(Key::label).collect::<Vec<_>>().join("/")
}

/// The status bar's hints for the given scopes: `(keys, word)`, specific scopes first, each
/// word once. A binding with the hint `""` adds its first key to the hint before it; keys of
/// one character are written together (`hjkl`), others with `/` (`↑/↓`).
pub fn hints(scopes: &[Scope]) -> Vec<(String, &'static str)> {
    let mut groups: Vec<(Vec<String>, &'static str)> = Vec::new();
    for scope in scopes.iter().copied().chain(std::iter::once(Scope::Global)) {
        let mut current: Option<usize> = None;
        for bind in BINDINGS.iter().filter(|b| b.scope == scope) {
            let Some(key) = bind.keys.first().map(Key::label) else { continue };
            match bind.hint {
                Some("") => {
                    if let Some(i) = current {
                        groups[i].0.push(key);
                    }
                }
                Some(word) if !groups.iter().any(|(_, w)| *w == word) => {
                    groups.push((vec![key], word));
                    current = Some(groups.len() - 1);
                }
                _ => current = None,
            }
        }
        if scope.is_modal() {
            break;
        }
    }
    groups
        .into_iter()
        .map(|(keys, word)| {
            let sep = if keys.iter().all(|k| k.len() == 1) { "" } else { "/" };
            (keys.join(sep), word)
        })
        .collect()
}

/// The key table as Markdown, scope by scope (the README's key section is this text).
pub fn markdown() -> String {
    let mut out = String::new();
    for scope in SCOPES {
        out.push_str(&format!("\n**{}**\n\n| keys | what |\n| --- | --- |\n", scope.title()));
        for b in BINDINGS.iter().filter(|b| b.scope == scope) {
            let keys: Vec<String> = if matches!(b.action, Action::Digit(_)) || b.keys.is_empty() {
                vec![keys_label(b)]
            } else {
                b.keys.iter().map(Key::label).collect()
            };
            let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
            out.push_str(&format!("| {} | {} |\n", keys.join(" "), b.help));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn scopes_override_global_bindings() {
        let down = press(KeyCode::Down, KeyModifiers::NONE);
        assert_eq!(lookup(&[], &down), Some(Action::Down));
        assert_eq!(lookup(&[Scope::Layers], &down), Some(Action::NextLayer));
        assert_eq!(lookup(&[Scope::Column], &down), Some(Action::NextDepth));
        // Keys the scope does not bind fall through to Global.
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(lookup(&[Scope::Layers], &q), Some(Action::Quit));
        // The help overlay swallows everything else.
        assert_eq!(lookup(&[Scope::Help], &down), None);
        assert_eq!(lookup(&[Scope::Help], &q), Some(Action::Quit));
    }

    #[test]
    fn modifiers_and_characters() {
        let l = |c, m| lookup(&[], &press(KeyCode::Char(c), m));
        assert_eq!(l('H', KeyModifiers::SHIFT), Some(Action::LeftFast));
        assert_eq!(l('?', KeyModifiers::SHIFT), Some(Action::Help));
        assert_eq!(l('c', KeyModifiers::CONTROL), Some(Action::Quit));
        assert_eq!(l('c', KeyModifiers::NONE), Some(Action::CycleColormap));
        assert_eq!(l('7', KeyModifiers::NONE), Some(Action::Digit(7)));
        assert_eq!(
            lookup(&[], &press(KeyCode::Right, KeyModifiers::SHIFT)),
            Some(Action::RightFast)
        );
        assert_eq!(
            lookup(&[], &press(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::FocusPrev)
        );
        assert_eq!(l('Z', KeyModifiers::SHIFT), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for bnd in &BINDINGS[i + 1..] {
                if a.scope != bnd.scope {
                    continue;
                }
                for key in a.keys {
                    assert!(!bnd.keys.contains(key), "{key:?} twice in {:?}", a.scope);
                }
            }
        }
    }

    /// The README's key section is generated from the table; `UPDATE_README=1` rewrites it.
    #[test]
    fn the_readme_lists_the_key_table() {
        crate::readme_block::check("keys", &markdown());
    }

    #[test]
    fn hints_follow_the_table() {
        let h = hints(&[Scope::Layers]);
        assert_eq!(h[0], ("↑/↓".to_string(), "layer"));
        assert!(h.iter().any(|(k, w)| k == "?" && *w == "help"));
        // "layer" is hinted once even though Global binds it too.
        assert_eq!(h.iter().filter(|(_, w)| *w == "layer").count(), 1);
        let g = hints(&[]);
        assert_eq!(g[0], ("?".to_string(), "help"));
        assert!(g.contains(&("hjkl".to_string(), "move")), "{g:?}");
        assert!(g.contains(&("[]".to_string(), "layer")), "{g:?}");
        assert!(g.contains(&(",.".to_string(), "d")), "{g:?}");
    }
}
