//! Everything a user can ask for. Keys map to these through the table in
//! [`keymap`](super::keymap); the mouse and the terminal produce them too. State changes only in
//! [`App::update`](super::app::App::update).

use crate::nn::Src;
use crossterm::event::KeyEvent;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Leave the program.
    Quit,
    /// Show or hide the key help.
    Help,
    /// The next page of the key help (it has pages when the screen is too small for it all).
    HelpPage,
    /// Close the open view, overlay or zoom; clear a pending count.
    Back,
    /// Open what is selected: a layer from the list, a slice from the montage, a layer's first
    /// dead channel from the dead-channel list.
    Open,
    /// Move the focus to the next / previous panel.
    FocusNext,
    FocusPrev,
    /// Move the neuron cursor `(r, c)` by one (times a pending count).
    Up,
    Down,
    Left,
    Right,
    /// Move the cursor by 8 (times a pending count).
    UpFast,
    DownFast,
    LeftFast,
    RightFast,
    /// Select the previous / next / first / last layer. The cursor keeps its relative position.
    PrevLayer,
    NextLayer,
    FirstLayer,
    LastLayer,
    /// Change the depth index `d` by 1 or by 10.
    PrevDepth,
    NextDepth,
    PrevDepth10,
    NextDepth10,
    /// Montage: the slice one row of thumbnails up / down.
    PrevDepthRow,
    /// Montage thumbnails one size larger (fewer per page) or smaller.
    ThumbsBigger,
    ThumbsSmaller,
    /// The input view's layer-by-layer trace, a few steps down or up.
    ScrollDown,
    ScrollUp,
    NextDepthRow,
    /// Next colormap in the cycle.
    CycleColormap,
    /// Scale colours per slice or per layer (to compare channels fairly).
    ToggleScale,
    /// Give the focused panel the whole screen.
    Zoom,
    /// Views a key away.
    Montage,
    Filters,
    InputView,
    DeadView,
    /// The class-map view: where the network looks for a class.
    ClassMapView,
    /// The patches view: what drives a channel across a folder of photos.
    PatchesView,
    /// Class maps: type the class (a label or an index).
    ClassPrompt,
    /// Class maps: the next method (CAM, Grad-CAM, occlusion).
    CycleMethod,
    /// Class maps: the keys go to the top-5 list (↑/↓ pick the class) or to the map.
    ClassFocus,
    /// Jump to the next dead (constant) channel of the selected layer.
    NextDead,
    /// A digit of a count prefix (`5l` moves 5 columns).
    Digit(u8),
    /// Mouse: put the cursor on `(r, c)` of the shown map.
    SetCursor(usize, usize),
    /// Mouse: select a layer.
    Select(Src),
    /// Mouse: set `d`.
    SetDepth(usize),
    /// Mouse: focus a panel.
    Focus(super::state::Focus),
    /// The terminal was resized to `(cols, rows)`.
    Resize(u16, u16),
    /// Live editing: open the parameter editor on the selected layer.
    Edit,
    /// Insert a layer after the selected one (a chooser of kinds).
    InsertAfter,
    /// Delete the selected layer.
    DeleteLayer,
    /// Change the selected layer's kind (a chooser of kinds).
    ChangeKind,
    /// Undo / redo the last edit of the network.
    Undo,
    Redo,
    /// Save the network as a spec file (a path prompt).
    Save,
    /// Show the depth slice as the difference after − before the last edit.
    BeforeAfter,
    /// In a popup: apply the edit, pick the choice, save to the typed path.
    Confirm,
    /// In a popup: close it and change nothing.
    Cancel,
    /// In the editor: a new line in the text.
    NewLine,
    /// In a chooser: the previous / next choice.
    ChoicePrev,
    ChoiceNext,
    /// A key for the text of the open editor or prompt (ratatui-textarea's own bindings).
    TextKey(KeyEvent),
}

impl Action {
    /// Whether the action repeats with a count prefix.
    pub fn takes_count(self) -> bool {
        use Action::*;
        matches!(
            self,
            Up | Down
                | Left
                | Right
                | UpFast
                | DownFast
                | LeftFast
                | RightFast
                | PrevLayer
                | NextLayer
                | PrevDepth
                | NextDepth
                | PrevDepth10
                | NextDepth10
        )
    }
}
