//! How the screen is arranged and drawn: the focused panel, the view, the zoom, the help, the
//! colours, the terminal size, and the one-line messages of the status bar.

use super::color::Tier;
use super::colormap::Colormap;
use super::state::{Focus, ScaleMode, View};

#[derive(Clone, Debug)]
pub(super) struct ViewState {
    pub focus: Focus,
    pub view: View,
    pub help: bool,
    /// The page of the key help shown (wraps around; the overlay knows how many there are).
    pub help_page: usize,
    pub zoom: bool,
    /// The filters view shows the numbers of `W[d]` under the thumbnails.
    pub filter_numbers: bool,
    /// The smallest montage thumbnail width (columns): `+` raises it, `-` lowers it.
    pub thumb_min: u16,
    /// Steps of the input view's trace (or rows of the filter numbers) scrolled past.
    pub trace_scroll: usize,
    /// How many steps or rows the last frame showed: one C-d scrolls by that much.
    pub scroll_page: std::cell::Cell<usize>,
    pub colormap: Colormap,
    pub scale_mode: ScaleMode,
    pub tier: Tier,
    /// The terminal size `(cols, rows)`.
    pub size: (u16, u16),
    /// One line for the status bar, cleared by the next action.
    pub message: Option<String>,
    /// The same, for errors (shown in red).
    pub alert: Option<String>,
    pub quit: bool,
}

impl ViewState {
    pub fn new(tier: Tier, colormap: Colormap) -> Self {
        ViewState {
            focus: Focus::Layers,
            view: View::Main,
            help: false,
            help_page: 0,
            zoom: false,
            filter_numbers: false,
            thumb_min: super::layout::THUMB_MIN,
            trace_scroll: 0,
            scroll_page: std::cell::Cell::new(1),
            colormap,
            scale_mode: ScaleMode::Slice,
            tier,
            size: (120, 40),
            message: None,
            alert: None,
            quit: false,
        }
    }

    pub fn toggle_view(&mut self, v: View) {
        self.view = if self.view == v { View::Main } else { v };
        self.trace_scroll = 0;
        self.zoom = false;
    }

    /// Esc: close the innermost thing open; `true` when it closed something.
    pub fn back(&mut self) -> bool {
        if self.help {
            self.help = false;
        } else if self.zoom {
            self.zoom = false;
        } else if self.view != View::Main {
            self.view = View::Main;
        } else {
            return false;
        }
        true
    }

    pub fn toggle_scale(&mut self) {
        self.scale_mode = match self.scale_mode {
            ScaleMode::Slice => ScaleMode::Layer,
            ScaleMode::Layer => ScaleMode::Slice,
        };
    }
}
