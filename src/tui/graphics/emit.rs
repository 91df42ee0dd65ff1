//! What to send after a frame: the images new on screen, and the removal of those that left.
//!
//! An image is sent once per stay on screen (kitty also keeps it stored, so coming back to a
//! slice only places it again). Between frames nothing is sent while the same images stay in
//! the same cells, so a cursor move, which changes only text, costs no image bytes.
//!
//! - kitty: placements by id, drawn over the (blank) cells; removed with a delete of the placement; the
//!   stored images are freed, oldest first, past [`KEEP`], and all of them at exit;
//! - kitty placeholders (tmux): the cells are text ratatui already wrote; the image is stored
//!   and given a virtual placement of its size;
//! - sixel and iTerm2: the image is pixels over the cells, so text written there erases it. It
//!   is sent again whenever its cells changed, and the cells an image leaves are written again
//!   from the frame.

use super::{Caps, Mode, Placement, iterm, kitty, sixel};
use ratatui::layout::Rect;
use std::collections::HashMap;
use std::fmt::Write;

/// Images kitty keeps stored for us: coming back to any of the last 256 sends no pixels.
pub const KEEP: usize = 256;

/// What the terminal loop does after ratatui's frame: write the cells of `redraw` again (from
/// the frame just drawn), then `seq`; the cells of `covered` now show pixels, so they are no
/// longer known to the gap filler.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    pub redraw: Vec<Rect>,
    pub seq: String,
    pub covered: Vec<Rect>,
    /// The bytes of `seq` that are image data (transmissions), for measurements.
    pub image_bytes: usize,
}

#[derive(Clone, Debug, PartialEq)]
struct Shown {
    id: u32,
    rect: Rect,
    seal: u64,
}

#[derive(Debug, Default)]
pub struct Emitter {
    caps: Caps,
    shown: Vec<Shown>,
    /// kitty: stored image ids → the frame they were last used in.
    stored: HashMap<u32, u64>,
    /// kitty placeholders: the virtual placement's size of each image.
    virtual_size: HashMap<u32, (u16, u16)>,
    frame: u64,
}

impl Emitter {
    pub fn new(caps: Caps) -> Emitter {
        Emitter { caps, ..Emitter::default() }
    }

    /// The screen was cleared (a resize): nothing is shown any more.
    pub fn invalidate(&mut self) -> String {
        let mut out = String::new();
        if self.caps.mode == (Mode::Kitty { placeholders: false }) {
            for s in std::mem::take(&mut self.shown) {
                out.push_str(&self.wrap(&kitty::unplace(s.id, pid(s.rect))));
            }
        }
        self.shown.clear();
        out
    }

    /// At exit: free what the terminal stores for us.
    pub fn finish(&mut self) -> String {
        let mut out = self.invalidate();
        let ids: Vec<u32> = self.stored.drain().map(|(id, _)| id).collect();
        for id in ids {
            out.push_str(&self.wrap(&kitty::delete(id)));
        }
        out
    }

    fn wrap(&self, seq: &str) -> String {
        if self.caps.tmux { kitty::tmux_wrap(seq) } else { seq.to_string() }
    }

    /// The plan for a frame with `placements` on a `screen`-sized terminal.
    pub fn plan(&mut self, placements: &[Placement], screen: Rect) -> Plan {
        self.frame += 1;
        let mut plan = Plan::default();
        if !self.caps.pixels() {
            return plan;
        }
        let pixels_over_cells = matches!(self.caps.mode, Mode::Sixel | Mode::Iterm);
        let fits = |r: &Rect| {
            // Sixel and iTerm2 can scroll the screen when an image reaches the last row.
            let bottom =
                if pixels_over_cells { screen.height.saturating_sub(1) } else { screen.height };
            r.width > 0 && r.height > 0 && r.right() <= screen.width && r.bottom() <= bottom
        };
        let want: Vec<(&Placement, Shown)> = placements
            .iter()
            .filter(|p| fits(&p.rect))
            .map(|p| {
                let seal = if pixels_over_cells { p.seal } else { 0 };
                (p, Shown { id: p.image.id, rect: p.rect, seal })
            })
            .collect();
        let keep = |s: &Shown| want.iter().any(|(_, w)| w == s);
        let gone: Vec<Shown> = self.shown.iter().filter(|s| !keep(s)).cloned().collect();
        for s in &gone {
            match self.caps.mode {
                Mode::Kitty { placeholders: false } => {
                    plan.seq.push_str(&self.wrap(&kitty::unplace(s.id, pid(s.rect))));
                }
                Mode::Sixel | Mode::Iterm => plan.redraw.push(s.rect),
                _ => {}
            }
        }
        for (p, w) in &want {
            if self.shown.contains(w) {
                if let Some(f) = self.stored.get_mut(&w.id) {
                    *f = self.frame;
                }
                continue;
            }
            let (r, img) = (p.rect, &p.image);
            let goto = format!("\x1b[{};{}H", r.y + 1, r.x + 1);
            match self.caps.mode {
                Mode::Kitty { placeholders } => {
                    if !self.stored.contains_key(&img.id) {
                        let t = self.wrap(&kitty::transmit(img));
                        plan.image_bytes += t.len();
                        plan.seq.push_str(&t);
                    }
                    self.stored.insert(img.id, self.frame);
                    if placeholders {
                        if self.virtual_size.get(&img.id) != Some(&(r.width, r.height)) {
                            let v = kitty::place_virtual(img.id, r.width, r.height);
                            plan.seq.push_str(&self.wrap(&v));
                            self.virtual_size.insert(img.id, (r.width, r.height));
                        }
                    } else {
                        plan.seq.push_str(&goto);
                        let place = kitty::place(img.id, pid(r), r.width, r.height);
                        plan.seq.push_str(&self.wrap(&place));
                    }
                }
                Mode::Sixel => {
                    let k = sixel_factor(img.w, img.h, r, self.caps.cell_or_default());
                    let s = sixel::encode(img, k);
                    plan.image_bytes += s.len();
                    // tmux (3.4+) draws sixel itself: no passthrough.
                    let _ = write!(plan.seq, "{goto}{s}");
                    plan.covered.push(r);
                }
                Mode::Iterm => {
                    let s = iterm::encode(img, r.width, r.height);
                    plan.image_bytes += s.len();
                    let _ = write!(plan.seq, "{goto}{}", self.wrap(&s));
                    plan.covered.push(r);
                }
                Mode::Halfblocks => {}
            }
        }
        self.shown = want.into_iter().map(|(_, w)| w).collect();
        self.evict(&mut plan);
        plan
    }

    /// Free the oldest stored kitty images past [`KEEP`] (never one on screen).
    fn evict(&mut self, plan: &mut Plan) {
        if self.stored.len() <= KEEP {
            return;
        }
        let on_screen: Vec<u32> = self.shown.iter().map(|s| s.id).collect();
        let mut old: Vec<(u64, u32)> = self
            .stored
            .iter()
            .filter(|(id, _)| !on_screen.contains(id))
            .map(|(&id, &f)| (f, id))
            .collect();
        old.sort_unstable();
        for (_, id) in old.into_iter().take(self.stored.len() - KEEP) {
            self.stored.remove(&id);
            self.virtual_size.remove(&id);
            plan.seq.push_str(&self.wrap(&kitty::delete(id)));
        }
    }
}

/// A placement id for the image at `r`: one per position, so two copies of one image (two
/// dead channels in the montage) are two placements.
fn pid(r: Rect) -> u32 {
    (u32::from(r.y) << 16 | u32::from(r.x)) + 1
}

/// The whole factor a sixel image is scaled by to fill `r` without leaving it.
pub fn sixel_factor(w: u32, h: u32, r: Rect, (cw, ch): (u16, u16)) -> u32 {
    let fx = u32::from(r.width) * u32::from(cw) / w.max(1);
    let fy = u32::from(r.height) * u32::from(ch) / h.max(1);
    fx.min(fy).max(1)
}
