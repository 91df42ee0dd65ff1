//! A memo of rasterised heatmaps, keyed by everything that changes their cells (not the
//! cursor, which is drawn on top). Moving the cursor reuses the raster; changing d, the layer,
//! the size, the colormap or the scale mode builds a new one.

use super::color::Tier;
use super::colormap::Colormap;
use super::raster::Raster;
use super::state::ScaleMode;
use std::collections::HashMap;
use std::rc::Rc;

/// What a raster shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum What {
    /// Depth slice d of a volume (row in the layer list).
    Slice { row: usize, d: usize },
    /// Montage thumbnail of slice d.
    Thumb { row: usize, d: usize },
    /// Filter k, input channel ci of a conv layer.
    Filter { layer: usize, k: usize, ci: usize },
    /// The input photo.
    Photo,
    /// Before/after: slice d of a volume, after − before the last edit.
    Diff { row: usize, d: usize },
    /// The class map over the photo, by the map's serial number.
    ClassMap { serial: u64 },
    /// Patch k of the patches view, by the set's serial number.
    Patch { serial: u64, k: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub what: What,
    pub cols: u16,
    pub rows: u16,
    pub colormap: Colormap,
    pub scale: ScaleMode,
    pub tier: Tier,
    /// The results generation the raster was built from.
    pub generation: u64,
}

impl Key {
    /// The key for `what` drawn `cols × rows` with the app's current colormap, scale mode, colour
    /// tier and results generation.
    pub fn of(app: &crate::tui::app::App, what: What, cols: u16, rows: u16) -> Key {
        Key {
            what,
            cols,
            rows,
            colormap: app.colormap(),
            scale: app.scale_mode(),
            tier: app.tier(),
            generation: app.generation(),
        }
    }
}

#[derive(Default)]
pub struct RasterCache {
    map: HashMap<Key, Rc<Raster>>,
    pub hits: u64,
    pub misses: u64,
}

/// Enough for a full montage page plus the slices around it.
const MAX_ENTRIES: usize = 512;

impl RasterCache {
    pub fn get_or(&mut self, key: Key, build: impl FnOnce() -> Raster) -> Rc<Raster> {
        if let Some(r) = self.map.get(&key) {
            self.hits += 1;
            return r.clone();
        }
        self.misses += 1;
        if self.map.len() >= MAX_ENTRIES {
            self.map.clear();
        }
        let r = Rc::new(build());
        self.map.insert(key, r.clone());
        r
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
