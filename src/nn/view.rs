//! How a tensor of any shape is shown as a volume `H × W × D`, and said so.
//!
//! - a volume stays one: `[C, H, W]`, or `[1, C, H, W]` (batch 1, NCHW) is `H × W × C`; an NHWC
//!   tensor `[1, H, W, C]` (the importer knows which ones are) is `H × W × C` too;
//! - one leading batch axis of size 1 is dropped, then:
//!   - a vector `[N]` is `1 × 1 × N` (a depth column of N values);
//!   - a matrix `[A, B]` is an `A × B` map of depth 1 (a recogniser's `[T, C]` is a T × C map);
//!   - more than three axes: the last two are the rows and cols, the axes before them are
//!     merged into the depth (`[4, 28, 56, 56]` is `56 × 56 × 112`, depth = axes 1·2);
//!   - a scalar is `1 × 1 × 1`.
//!
//! Every view is exact (values are only reordered, never resampled) and the screen says which
//! axes are which ([`ViewMap::describe`]).

use super::tensor::{ArcF32, Shape3, Tensor, dims_text};
use ndarray::{ArcArray, Ix3, IxDyn};

/// A volume view, shared with the tensor when no conversion is needed.
pub type View3 = ArcArray<f32, Ix3>;

/// The axis order of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ExportOrder {
    /// `(H, W, D)`: a volume, as numpy users index it (`X[r, c, d]`).
    #[serde(rename = "HWD")]
    Hwd,
    /// The tensor's ONNX axis order, without a leading batch axis of 1.
    #[serde(rename = "ONNX without batch")]
    Onnx,
}

/// What a tensor's axes mean, as far as convscope can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum Hint {
    /// Channels first (NCHW, or a spec's `(D, H, W)`): the default.
    #[default]
    ChannelsFirst,
    /// Channels last: an NHWC input, or a tensor transposed to NHWC.
    ChannelsLast,
}

/// The axes of a tensor that form a view's depth, rows and cols.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ViewMap {
    /// The tensor's dims.
    pub dims: Vec<usize>,
    /// The volume shown.
    pub shape: Shape3,
    /// Tensor axes merged (in order) into the depth; empty for a depth of 1.
    pub depth: Vec<usize>,
    pub rows: Option<usize>,
    pub cols: Option<usize>,
    /// A leading batch axis of 1 that the view leaves out.
    pub batch: bool,
    /// The order of the view: `(depth, rows, cols)` axes of the tensor, for the reordering.
    order: Vec<usize>,
}

impl ViewMap {
    /// The view of a tensor of `dims`.
    pub fn of(dims: &[usize], hint: Hint) -> ViewMap {
        let batch = dims.len() >= 2 && dims[0] == 1;
        let ax: Vec<usize> = (usize::from(batch)..dims.len()).collect();
        let (depth, rows, cols) = match ax.len() {
            0 => (vec![], None, None),
            1 => (vec![ax[0]], None, None),
            2 => (vec![], Some(ax[0]), Some(ax[1])),
            3 if hint == Hint::ChannelsLast => (vec![ax[2]], Some(ax[0]), Some(ax[1])),
            3 => (vec![ax[0]], Some(ax[1]), Some(ax[2])),
            n => (ax[..n - 2].to_vec(), Some(ax[n - 2]), Some(ax[n - 1])),
        };
        let size = |a: Option<usize>| a.map_or(1, |i| dims[i]);
        let d: usize = depth.iter().map(|&i| dims[i]).product();
        let shape = Shape3::new(size(rows), size(cols), d);
        let mut order: Vec<usize> = if batch { vec![0] } else { vec![] };
        order.extend(&depth);
        order.extend(rows);
        order.extend(cols);
        ViewMap { dims: dims.to_vec(), shape, depth, rows, cols, batch, order }
    }

    /// Whether this is a plain volume (rank 3, or rank 4 with batch 1), shown as it is.
    pub fn is_volume(&self) -> bool {
        self.depth.len() == 1 && self.rows.is_some() && self.cols.is_some()
    }

    /// Whether the depth is made of several axes.
    pub fn is_merged(&self) -> bool {
        self.depth.len() > 1
    }

    /// `depth = axis 1 (C = 96)` or `depth = axes 1·2 (4 × 28 = 112), rows = axis 3, cols = axis 4`.
    pub fn describe(&self) -> String {
        let ax = |i: usize| format!("axis {i}");
        let depth = match self.depth.as_slice() {
            [] => "depth 1".to_string(),
            [a] => format!("depth = {} ({})", ax(*a), self.dims[*a]),
            many => {
                let names: Vec<String> = many.iter().map(|a| a.to_string()).collect();
                let sizes: Vec<String> = many.iter().map(|&a| self.dims[a].to_string()).collect();
                format!(
                    "depth = axes {} ({} = {})",
                    names.join("·"),
                    sizes.join(" × "),
                    self.shape.d
                )
            }
        };
        let mut parts = vec![depth];
        if let Some(r) = self.rows {
            parts.push(format!("rows = {}", ax(r)));
        }
        if let Some(c) = self.cols {
            parts.push(format!("cols = {}", ax(c)));
        }
        format!("{} of {}", parts.join(", "), dims_text(&self.dims))
    }

    /// The tensor as a `(D, H, W)` volume: shared when the tensor is f32 and already in that
    /// order, else reordered (or converted from integers) into a new array.
    pub fn apply(&self, t: &Tensor) -> View3 {
        let s = self.shape;
        let want = (s.d, s.h, s.w);
        let f: ArcF32 = t.to_f32();
        if f.shape() != self.dims.as_slice() {
            // A placeholder (not computed): an empty view of the right shape.
            return ArcArray::from_elem(want, f32::NAN);
        }
        let identity = self.order.iter().enumerate().all(|(i, &a)| i == a);
        if identity && f.is_standard_layout() {
            // Only merging or splitting axes: the same values, shared.
            return f.into_shape_with_order(want).expect("same count").into_shared();
        }
        let moved = f.view().permuted_axes(IxDyn(&self.order)).as_standard_layout().into_owned();
        moved.into_shape_with_order(want).expect("same count").into_shared()
    }

    /// How an export writes the tensor: a volume as `(H, W, D)` (as numpy users index it),
    /// anything else in ONNX axis order without its batch axis.
    pub fn export_order(&self) -> ExportOrder {
        if self.is_volume() { ExportOrder::Hwd } else { ExportOrder::Onnx }
    }

    /// The dims an export has.
    pub fn export_dims(&self) -> Vec<usize> {
        match self.export_order() {
            ExportOrder::Hwd => self.shape.as_array().to_vec(),
            ExportOrder::Onnx => self.dims[usize::from(self.batch)..].to_vec(),
        }
    }

    /// The tensor in its export order: `(H, W, D)` f32 for a volume, else its own values and
    /// type without the batch axis.
    pub fn export(&self, t: &Tensor) -> Tensor {
        match self.export_order() {
            ExportOrder::Hwd => {
                let v = self.apply(t);
                Tensor::F32(super::tensor::to_hwd(&v.view()).into_dyn().into_shared())
            }
            ExportOrder::Onnx => t.reshaped(&self.export_dims()),
        }
    }

    /// The tensor index of view cell `(d, r, c)` (for the explain panel and exports).
    pub fn tensor_index(&self, d: usize, r: usize, c: usize) -> Vec<usize> {
        let mut idx = vec![0; self.dims.len()];
        let mut rest = d;
        for &a in self.depth.iter().rev() {
            idx[a] = rest % self.dims[a];
            rest /= self.dims[a];
        }
        if let Some(a) = self.rows {
            idx[a] = r;
        }
        if let Some(a) = self.cols {
            idx[a] = c;
        }
        idx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_vectors_matrices_and_merged_depths() {
        let v = ViewMap::of(&[1, 96, 55, 55], Hint::ChannelsFirst);
        assert_eq!((v.shape, v.is_volume()), (Shape3::new(55, 55, 96), true));
        assert_eq!(
            v.describe(),
            "depth = axis 1 (96), rows = axis 2, cols = axis 3 of [1, 96, 55, 55]"
        );
        let spec = ViewMap::of(&[96, 55, 55], Hint::ChannelsFirst);
        assert_eq!(spec.shape, Shape3::new(55, 55, 96));
        let nhwc = ViewMap::of(&[1, 12, 12, 10], Hint::ChannelsLast);
        assert_eq!(nhwc.shape, Shape3::new(12, 12, 10));
        assert_eq!(ViewMap::of(&[1, 1000], Hint::default()).shape, Shape3::new(1, 1, 1000));
        let seq = ViewMap::of(&[1, 40, 6625], Hint::default());
        assert_eq!(seq.shape, Shape3::new(40, 6625, 1), "a T × C map");
        let shuffle = ViewMap::of(&[1, 4, 28, 56, 56], Hint::default());
        assert_eq!(shuffle.shape, Shape3::new(56, 56, 112));
        assert!(
            shuffle.describe().starts_with("depth = axes 1·2 (4 × 28 = 112)"),
            "{}",
            shuffle.describe()
        );
        assert_eq!(shuffle.tensor_index(29, 3, 5), vec![0, 1, 1, 3, 5]);
        assert_eq!(ViewMap::of(&[], Hint::default()).shape, Shape3::new(1, 1, 1));
    }

    #[test]
    fn apply_shares_or_reorders_the_values() {
        // NHWC [1, 2, 2, 3]: value = 100·r + 10·c + ch; the view (D, H, W) puts ch first.
        let vals: Vec<f32> =
            (0..12).map(|i| (100 * (i / 6) + 10 * ((i / 3) % 2) + i % 3) as f32).collect();
        let t = Tensor::f32(&[1, 2, 2, 3], vals);
        let v = ViewMap::of(&[1, 2, 2, 3], Hint::ChannelsLast).apply(&t);
        assert_eq!(v.dim(), (3, 2, 2));
        assert_eq!(v[[2, 1, 0]], 102.0);
        let chw = Tensor::f32(&[1, 2, 1, 2], vec![1., 2., 3., 4.]);
        let v = ViewMap::of(chw.dims(), Hint::ChannelsFirst).apply(&chw);
        assert_eq!(v.as_ptr(), chw.as_f32().unwrap().as_ptr(), "a volume's view shares its values");
    }
}
