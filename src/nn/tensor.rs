//! Volumes and their shapes.
//!
//! A [`Volume`] is stored `(D, H, W)` (channel-major) so each depth slice `X[:, :, d]` is one
//! contiguous `H·W` run; users always see and export `(H, W, D)`, see [`to_hwd`].

use ndarray::{Array3, ArrayView3};
use std::fmt;

/// An activation volume, stored `(D, H, W)`.
pub type Volume = Array3<f32>;

/// The shape of a volume as users write it: `H × W × D`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Shape3 {
    pub h: usize,
    pub w: usize,
    pub d: usize,
}

impl Shape3 {
    pub const fn new(h: usize, w: usize, d: usize) -> Self {
        Shape3 { h, w, d }
    }
    pub fn len(&self) -> usize {
        self.h * self.w * self.d
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The shape of a stored volume.
    pub fn of(v: &ArrayView3<f32>) -> Self {
        let (d, h, w) = v.dim();
        Shape3 { h, w, d }
    }
    pub fn as_array(&self) -> [usize; 3] {
        [self.h, self.w, self.d]
    }
}

impl fmt::Display for Shape3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}×{}", self.h, self.w, self.d)
    }
}

/// A zero volume of the given user shape.
pub fn zeros(s: Shape3) -> Volume {
    Array3::zeros((s.d, s.h, s.w))
}

/// Copy a stored `(D, H, W)` volume into the exported `(H, W, D)` layout.
pub fn to_hwd(v: &ArrayView3<f32>) -> Array3<f32> {
    v.view().permuted_axes([1, 2, 0]).as_standard_layout().into_owned()
}

/// Copy an `(H, W, D)` array (as numpy users hold it) into a stored volume.
pub fn from_hwd(a: &ArrayView3<f32>) -> Volume {
    a.view().permuted_axes([2, 0, 1]).as_standard_layout().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array;

    #[test]
    fn hwd_round_trip_keeps_every_index() {
        // X[r, c, d] in numpy must be v[[d, r, c]] here.
        let hwd = Array::from_shape_fn((2, 3, 4), |(r, c, d)| (100 * r + 10 * c + d) as f32);
        let v = from_hwd(&hwd.view());
        assert_eq!(v.dim(), (4, 2, 3));
        assert_eq!(v[[3, 1, 2]], 123.0);
        assert_eq!(to_hwd(&v.view()), hwd);
        assert_eq!(Shape3::of(&v.view()).to_string(), "2×3×4");
    }
}
