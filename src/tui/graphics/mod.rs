//! Real pixels for heatmaps, where the terminal can draw them.
//!
//! A panel that draws a map in pixels asks [`raster`](super::raster) for a pixel raster: the
//! map's own pixels (one per neuron, colour-mapped) as an [`Image`], and the cells it covers.
//! Drawing a frame leaves those cells blank (or, in tmux, fills them with kitty placeholders) and
//! records a [`Placement`]; after ratatui has written the frame, the [`emit::Emitter`] sends the
//! images that are new on screen, once each, and removes the ones that left. Nothing is drawn
//! over an image (the cursor and the receptive-field box are marked around it), so a cursor move
//! sends no image bytes.
//!
//! - [`detect`]: which mode this terminal gets (`--graphics`, `CONVSCOPE_GRAPHICS`, environment
//!   hints, one bounded query);
//! - [`kitty`], [`sixel`], [`iterm`]: the three protocols' encoders;
//! - [`emit`]: what to send after each frame.

pub mod detect;
pub mod emit;
#[cfg(test)]
mod frame_tests;
pub mod iterm;
pub mod kitty;
pub mod sixel;

use ratatui::layout::Rect;
use std::sync::Arc;

/// `--graphics`: what the user asks for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Choice {
    /// Detect from the environment, then one query to the terminal.
    #[default]
    Auto,
    /// The kitty graphics protocol (kitty, Ghostty, WezTerm; in tmux, unicode placeholders).
    Kitty,
    /// iTerm2 inline images (iTerm2, WezTerm).
    Iterm,
    /// DEC sixel (xterm -ti vt340, foot, mlterm, Windows Terminal).
    Sixel,
    /// Two pixels per cell with `▀`, in any terminal with colour.
    Halfblocks,
}

impl Choice {
    /// `kitty`, `sixel`, … as in `CONVSCOPE_GRAPHICS`.
    pub fn parse(s: &str) -> Option<Choice> {
        <Choice as clap::ValueEnum>::from_str(s.trim(), true).ok()
    }
}

/// How pixels reach this terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Halfblocks,
    /// Kitty: direct placements, or unicode placeholders (`tmux`: through tmux's passthrough).
    Kitty {
        placeholders: bool,
    },
    Iterm,
    Sixel,
}

/// What the terminal can do, as detected once at start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    pub mode: Mode,
    /// One cell in screen pixels (width, height), when known.
    pub cell: Option<(u16, u16)>,
    /// Inside tmux: sequences go through its passthrough.
    pub tmux: bool,
}

impl Caps {
    pub fn halfblocks() -> Caps {
        Caps::default()
    }

    /// Whether maps are drawn as images.
    pub fn pixels(&self) -> bool {
        self.mode != Mode::Halfblocks
    }

    /// The status bar's word: `kitty`, `kitty (tmux)`, `iterm`, `sixel`, `halfblocks`.
    pub fn name(&self) -> &'static str {
        match self.mode {
            Mode::Halfblocks => "halfblocks",
            Mode::Kitty { placeholders: false } => "kitty",
            Mode::Kitty { placeholders: true } => "kitty placeholders",
            Mode::Iterm => "iterm",
            Mode::Sixel => "sixel",
        }
    }

    /// The cell size used to lay images out: the real one, or 1×2 (a cell twice as tall as wide).
    pub fn cell_or_default(&self) -> (u16, u16) {
        self.cell.filter(|&(w, h)| w > 0 && h > 0).unwrap_or((1, 2))
    }
}

/// An RGB image, `w × h`, row-major, 3 bytes a pixel; its id is a hash of its content, so the same
/// picture is sent once however often it is drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub id: u32,
    pub w: u32,
    pub h: u32,
    pub rgb: Vec<u8>,
}

impl Image {
    /// An image of `rgb` (`w·h·3` bytes; shorter input is padded black, longer cut).
    pub fn new(w: u32, h: u32, mut rgb: Vec<u8>) -> Image {
        rgb.resize(w as usize * h as usize * 3, 0);
        let id = content_id(w, h, &rgb);
        Image { id, w, h, rgb }
    }

    /// The colour of pixel (row, col).
    pub fn pixel(&self, r: u32, c: u32) -> Option<(u8, u8, u8)> {
        let i = (r as usize * self.w as usize + c as usize) * 3;
        (r < self.h && c < self.w).then(|| (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]))
    }
}

/// FNV-1a over size and bytes, folded to a non-zero 24-bit id (kitty placeholders carry the id
/// as a 24-bit colour).
fn content_id(w: u32, h: u32, rgb: &[u8]) -> u32 {
    let mut x: u64 = 0xcbf2_9ce4_8422_2325;
    for b in w.to_le_bytes().iter().chain(&h.to_le_bytes()).chain(rgb) {
        x = (x ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    let id = ((x >> 40) ^ (x >> 16) ^ x) as u32 & 0x00FF_FFFF;
    id.max(1)
}

/// One image on screen this frame: drawn over `rect` (absolute cells).
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    pub image: Arc<Image>,
    pub rect: Rect,
    /// A hash of the rect's cells when the panel finished drawing; an overlay (help, editor)
    /// that changes them hides the image for that frame.
    pub seal: u64,
}

/// The placements of the frame being drawn.
#[derive(Debug, Default)]
pub struct Frame {
    pub placements: Vec<Placement>,
}

/// A hash of the cells of `rect` in `buf`.
pub fn cells_hash(buf: &ratatui::buffer::Buffer, rect: Rect) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let r = rect.intersection(buf.area);
    for y in r.top()..r.bottom() {
        for x in r.left()..r.right() {
            if let Some(c) = buf.cell((x, y)) {
                (c.symbol(), c.fg, c.bg, c.modifier).hash(&mut h);
            }
        }
    }
    h.finish()
}

impl Frame {
    /// Record an image drawn over `rect`.
    pub fn push(&mut self, image: Arc<Image>, rect: Rect) {
        self.placements.push(Placement { image, rect, seal: 0 });
    }

    /// After the panels: remember what each image's cells hold.
    pub fn seal(&mut self, buf: &ratatui::buffer::Buffer) {
        for p in &mut self.placements {
            p.seal = cells_hash(buf, p.rect);
        }
    }

    /// After the overlays: drop the images whose cells something else drew over.
    pub fn verify(&mut self, buf: &ratatui::buffer::Buffer) {
        self.placements.retain(|p| cells_hash(buf, p.rect) == p.seal);
    }
}
