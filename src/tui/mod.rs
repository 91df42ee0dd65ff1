//! The explorer: a terminal UI over a network's layer volumes.
//!
//! - [`action`] / [`keymap`]: what users can ask for, and the key table (data) that maps keys
//!   to it and generates the help;
//! - [`app`]: the state, changed only by `update(msg)`, which returns the [`app::Effect`]s the
//!   event loop hands to other threads ([`crate::engine`] runs them); its private parts are
//!   [`selection`], [`view_state`], [`pass_state`] (which numbers belong to the network on
//!   screen) and [`edit_session`]; [`state`] holds the small enums the panels read;
//! - live editing: [`popup`] (the editor, the kind chooser, the save prompt), [`editing`]
//!   (apply, recompute, undo/redo, save) and [`dim`] (dimming panels whose numbers are stale);
//! - [`ui`]: one draw function per panel; [`layout`] places them;
//! - [`color`], [`colormap`], [`raster`], [`bars`]: colour tiers, colormaps, the half-block
//!   heatmap rasteriser and bar charts; [`wrap`] wraps text without breaking expressions;
//! - [`terminal`]: the event loop, mouse mapping and terminal setup/restore.
//!
//! The UI never computes a convolution: every number comes from [`crate::nn`].

pub mod action;
pub mod app;
pub mod bars;
pub mod cache;
mod classview;
pub mod color;
pub mod colormap;
mod compareview;
pub mod dim;
pub mod edit_session;
pub mod editing;
pub mod gapfill;
pub mod graphics;
pub mod keymap;
pub mod layout;
mod pass_state;
mod patchview;
pub mod popup;
pub mod raster;
mod selection;
pub mod state;
#[cfg(test)]
mod storm_tests;
pub mod terminal;
#[cfg(test)]
pub(crate) mod testing;
pub mod theme;
pub mod ui;
mod view_state;
pub mod wrap;

pub use color::ColorMode;
pub use colormap::Colormap;
pub use terminal::run;

use std::path::PathBuf;

/// What `convscope [IMAGE] [-m MODEL] [--color …] [--colormap …]` asks the explorer for.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A preset name or a path to a spec / model.
    pub model: String,
    /// The photo; `None` uses the model's default image, else the built-in cat.
    pub image: Option<PathBuf>,
    pub color: ColorMode,
    /// A colormap name (`viridis`, `RdBu`, …); `None` is `auto`.
    pub colormap: Option<String>,
    /// `--size HxW` for a model with open H and W.
    pub size: Option<(usize, usize)>,
    /// `--graphics`: pixels through kitty, iTerm2 or sixel, or half-blocks.
    pub graphics: graphics::Choice,
    /// `--scan DIR`: the folder of photos the patches view (`p`) scans.
    pub scan: Option<PathBuf>,
    /// `--compare B.png`: another photo through the same network, layer by layer.
    pub compare: Option<PathBuf>,
    /// `--compare-model M`: another model of the same graph shape on the same input.
    pub compare_model: Option<String>,
}
