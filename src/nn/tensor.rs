//! Volumes and tensors.
//!
//! A [`Volume`] is stored `(D, H, W)` (channel-major) so each depth slice `X[:, :, d]` is one
//! contiguous `H·W` run; users always see and export `(H, W, D)`, see [`to_hwd`].
//!
//! A [`Tensor`] is any layer's output: a volume, or a tensor of any rank in ONNX axis order
//! (batch included for ONNX models: a conv's output is `[1, K, H, W]`), holding f32 values or
//! exact integers (int8 to int64 and bool, stored as i64) as ONNX says. Its data is shared
//! (`ArcArray`), so reusing a pass's outputs after an edit copies nothing.

use ndarray::{ArcArray, Array3, ArrayD, ArrayView3, ArrayViewD, Ix3, IxDyn};
use std::fmt;

/// An activation volume, stored `(D, H, W)`.
pub type Volume = Array3<f32>;

/// Shared f32 and integer tensors of any rank.
pub type ArcF32 = ArcArray<f32, IxDyn>;
pub type ArcI64 = ArcArray<i64, IxDyn>;

/// The element types convscope computes with, as ONNX names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Elem {
    F32,
    I64,
    I32,
    I16,
    I8,
    U8,
    U16,
    U32,
    Bool,
}

impl Elem {
    pub fn name(self) -> &'static str {
        match self {
            Elem::F32 => "float32",
            Elem::I64 => "int64",
            Elem::I32 => "int32",
            Elem::I16 => "int16",
            Elem::I8 => "int8",
            Elem::U8 => "uint8",
            Elem::U16 => "uint16",
            Elem::U32 => "uint32",
            Elem::Bool => "bool",
        }
    }

    pub fn is_float(self) -> bool {
        self == Elem::F32
    }

    /// The range an integer of this type holds (for saturation and checks).
    pub fn range(self) -> (i64, i64) {
        match self {
            Elem::F32 | Elem::I64 => (i64::MIN, i64::MAX),
            Elem::I32 => (i32::MIN as i64, i32::MAX as i64),
            Elem::I16 => (i16::MIN as i64, i16::MAX as i64),
            Elem::I8 => (i8::MIN as i64, i8::MAX as i64),
            Elem::U8 => (0, u8::MAX as i64),
            Elem::U16 => (0, u16::MAX as i64),
            Elem::U32 => (0, u32::MAX as i64),
            Elem::Bool => (0, 1),
        }
    }
}

impl fmt::Display for Elem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A layer's output or a constant: f32 values, or exact integers with their ONNX type.
#[derive(Clone, Debug, PartialEq)]
pub enum Tensor {
    F32(ArcF32),
    Int(ArcI64, Elem),
}

impl Tensor {
    /// An f32 tensor of `dims` (the caller checks the count).
    ///
    /// # Panics
    /// If `values` does not fill `dims`.
    pub fn f32(dims: &[usize], values: Vec<f32>) -> Tensor {
        Tensor::F32(
            ArrayD::from_shape_vec(IxDyn(dims), values).expect("values fill dims").into_shared(),
        )
    }

    /// An integer tensor of `dims` and type `elem`.
    ///
    /// # Panics
    /// If `values` does not fill `dims`.
    pub fn int(dims: &[usize], values: Vec<i64>, elem: Elem) -> Tensor {
        let a = ArrayD::from_shape_vec(IxDyn(dims), values).expect("values fill dims");
        Tensor::Int(a.into_shared(), elem)
    }

    /// A stored volume as a rank-3 tensor (shares nothing: volumes are owned).
    pub fn from_volume(v: Volume) -> Tensor {
        Tensor::F32(v.into_dyn().into_shared())
    }

    /// The empty placeholder of a layer that is not computed.
    pub fn empty() -> Tensor {
        Tensor::F32(ArrayD::zeros(IxDyn(&[0])).into_shared())
    }

    pub fn dims(&self) -> &[usize] {
        match self {
            Tensor::F32(a) => a.shape(),
            Tensor::Int(a, _) => a.shape(),
        }
    }

    pub fn elem(&self) -> Elem {
        match self {
            Tensor::F32(_) => Elem::F32,
            Tensor::Int(_, e) => *e,
        }
    }

    pub fn len(&self) -> usize {
        self.dims().iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The f32 values, when it holds floats.
    pub fn as_f32(&self) -> Option<ArrayViewD<'_, f32>> {
        match self {
            Tensor::F32(a) => Some(a.view()),
            Tensor::Int(..) => None,
        }
    }

    /// The integers, when it holds integers.
    pub fn as_i64(&self) -> Option<ArrayViewD<'_, i64>> {
        match self {
            Tensor::Int(a, _) => Some(a.view()),
            Tensor::F32(_) => None,
        }
    }

    /// The values as f32 (integers convert; shared when they already are f32).
    pub fn to_f32(&self) -> ArcF32 {
        match self {
            Tensor::F32(a) => a.clone(),
            Tensor::Int(a, _) => a.mapv(|v| v as f32).into_shared(),
        }
    }

    /// The values as i64 (floats truncate toward zero, as ONNX `Cast` does; NaN is 0).
    pub fn to_i64(&self) -> ArcI64 {
        match self {
            Tensor::Int(a, _) => a.clone(),
            Tensor::F32(a) => a.mapv(|v| v as i64).into_shared(),
        }
    }

    /// Every value as i64, in standard (C) order.
    pub fn ints(&self) -> Vec<i64> {
        self.to_i64().iter().copied().collect()
    }

    /// Every value as f32, in standard (C) order.
    pub fn floats(&self) -> Vec<f32> {
        self.to_f32().iter().copied().collect()
    }

    /// The f32 values as a `(C, H, W)` volume view: a rank-3 tensor, or a rank-4 one of batch 1.
    pub fn volume(&self) -> Option<ArrayView3<'_, f32>> {
        let a = self.as_f32()?;
        match a.ndim() {
            3 => a.into_dimensionality::<Ix3>().ok(),
            4 if a.shape()[0] == 1 => {
                a.index_axis_move(ndarray::Axis(0), 0).into_dimensionality::<Ix3>().ok()
            }
            _ => None,
        }
    }

    /// The single value of a scalar or one-element tensor, as f32.
    pub fn scalar_f32(&self) -> Option<f32> {
        (self.len() == 1).then(|| match self {
            Tensor::F32(a) => a.iter().next().copied().unwrap_or(0.0),
            Tensor::Int(a, _) => a.iter().next().map_or(0.0, |&v| v as f32),
        })
    }

    /// The same values with other dims (the caller checks the count).
    ///
    /// # Panics
    /// If the count differs.
    pub fn reshaped(&self, dims: &[usize]) -> Tensor {
        match self {
            Tensor::F32(a) => Tensor::F32(
                a.as_standard_layout()
                    .into_owned()
                    .into_shape_with_order(IxDyn(dims))
                    .expect("same count")
                    .into_shared(),
            ),
            Tensor::Int(a, e) => Tensor::Int(
                a.as_standard_layout()
                    .into_owned()
                    .into_shape_with_order(IxDyn(dims))
                    .expect("same count")
                    .into_shared(),
                *e,
            ),
        }
    }
}

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
    /// The stored dims `[D, H, W]`.
    pub fn dhw(&self) -> Vec<usize> {
        vec![self.d, self.h, self.w]
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

/// `[1, 3, 224, 224]`.
pub fn dims_text(dims: &[usize]) -> String {
    format!("[{}]", dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "))
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

    #[test]
    fn a_batch_one_nchw_tensor_is_a_volume() {
        let t = Tensor::f32(&[1, 2, 3, 4], (0..24).map(|v| v as f32).collect());
        let v = t.volume().unwrap();
        assert_eq!(v.dim(), (2, 3, 4));
        assert_eq!(v[[1, 2, 3]], 23.0);
        assert!(Tensor::f32(&[2, 2, 1, 1], vec![0.0; 4]).volume().is_none(), "batch 2");
        let i = Tensor::int(&[3], vec![1, -2, 3], Elem::I8);
        assert_eq!((i.elem(), i.floats()), (Elem::I8, vec![1.0, -2.0, 3.0]));
        assert!(i.volume().is_none(), "integers are no f32 volume");
    }
}
