//! The small enums the panels read: which panel has the focus, which view fills the screen, and
//! how slice colours are scaled. They live apart from the app so the widgets need not import it.

/// The panel that receives panel-specific keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Focus {
    Layers,
    Slice,
    Column,
    Shape,
    Explain,
}

impl Focus {
    pub const ORDER: [Focus; 5] =
        [Focus::Layers, Focus::Slice, Focus::Column, Focus::Shape, Focus::Explain];
}

/// What fills the screen below the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    /// The dashboard: layers, slice, column, shape, explain.
    Main,
    Montage,
    Filters,
    Input,
    Dead,
    /// Where the network looks for a class: CAM, Grad-CAM or occlusion over the photo.
    ClassMap,
    /// What drives a channel: its strongest receptive fields across a folder of photos.
    Patches,
}

/// The range the colours of a slice span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScaleMode {
    /// min..max of the slice shown.
    Slice,
    /// min..max of the whole layer volume, the same for every d.
    Layer,
}

/// A pass in flight: layer `layer` of `total` is being computed.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub layer: usize,
    pub total: usize,
    pub name: String,
}
