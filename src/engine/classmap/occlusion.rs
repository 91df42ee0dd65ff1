//! Occlusion sensitivity (Zeiler & Fergus 2014), forward-only: a `P × P` patch of the input
//! volume is set to `fill` (0 by default: after normalisation, the dataset mean), for each
//! position `(i·S, j·S)` of a grid of `((H − P)/S + 1) × ((W − P)/S + 1)`, and the map records
//! how much the class's probability drops: `p_c(image) − p_c(occluded)`.
//! Each position is one forward pass, started at the first layer that reads the input.

use super::{ClassMap, MapError, Method, head, softmax};
use crate::nn::analysis::Analysis;
use crate::nn::forward::{Activations, forward_from};
use crate::nn::tensor::Tensor;
use crate::nn::view::ViewMap;
use crate::nn::{Network, Src};
use ndarray::{Array2, s};

/// The occlusion grid and its parameters.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Occlusion {
    pub patch: usize,
    pub stride: usize,
    pub fill: f32,
    /// The input's rows and cols.
    pub h: usize,
    pub w: usize,
    /// The grid's rows and cols.
    pub rows: usize,
    pub cols: usize,
}

impl Occlusion {
    /// # Errors
    /// A patch larger than the input, or a zero patch or stride.
    pub fn new(
        patch: usize,
        stride: usize,
        fill: f32,
        h: usize,
        w: usize,
    ) -> Result<Self, MapError> {
        if patch == 0 || stride == 0 || patch > h || patch > w {
            return Err(MapError::Patch { patch, stride, h, w });
        }
        Ok(Occlusion {
            patch,
            stride,
            fill,
            h,
            w,
            rows: (h - patch) / stride + 1,
            cols: (w - patch) / stride + 1,
        })
    }

    /// The grid size with its numbers: `(224 − 32)/16 + 1 = 13`.
    pub fn formula(&self) -> String {
        let axis =
            |n: usize, out: usize| format!("({n} − {})/{} + 1 = {out}", self.patch, self.stride);
        let size = if self.h == self.w {
            axis(self.h, self.rows)
        } else {
            format!("rows {} · cols {}", axis(self.h, self.rows), axis(self.w, self.cols))
        };
        format!(
            "occlusion: P = {}, S = {}, fill {}: grid {size} → {}×{} passes; cell = p_c(image) − p_c(patch occluded)",
            self.patch, self.stride, self.fill, self.rows, self.cols
        )
    }

    pub fn passes(&self) -> usize {
        self.rows * self.cols
    }
}

/// The class probabilities of a pass.
fn probs(acts: &Activations, h: &super::Head, last: usize) -> Vec<f32> {
    if h.softmax { acts.output(last).floats() } else { softmax(&acts.output(h.logits).floats()) }
}

/// The occlusion map of `class`. `progress(done, total)` is called after each pass; `false`
/// cancels (`Ok(None)`).
///
/// # Errors
/// Not a classifier, a class out of range, a patch that does not fit, a failing pass.
#[allow(clippy::too_many_arguments)]
pub fn occlusion(
    net: &Network,
    analysis: &Analysis,
    acts: &Activations,
    class: usize,
    patch: usize,
    stride: usize,
    fill: f32,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<Option<ClassMap>, MapError> {
    let h = head(net, analysis)?;
    if class >= h.classes {
        return Err(MapError::Class { class, classes: h.classes });
    }
    let view = ViewMap::of(&net.input.dims, net.input.hint);
    let vol = view.apply(&acts.input).to_owned();
    let (_, ih, iw) = vol.dim();
    let occ = Occlusion::new(patch, stride, fill, ih, iw)?;
    let last = net.layers.len() - 1;
    let base = probs(acts, &h, last)[class];
    // Layers before the first that reads the input do not change.
    let from = net.layers.iter().position(|l| l.inputs.contains(&Src::Input)).unwrap_or(0);
    let mut map = Array2::<f32>::zeros((occ.rows, occ.cols));
    let total = occ.passes();
    for i in 0..occ.rows {
        for j in 0..occ.cols {
            let mut v = vol.clone();
            let (r0, c0) = (i * stride, j * stride);
            v.slice_mut(s![.., r0..r0 + patch, c0..c0 + patch]).fill(fill);
            let t: Tensor = net.input.from_volume(v);
            let Some(out) = forward_from(net, analysis, t, acts.kept(from), from, &mut |_| true)?
            else {
                return Ok(None);
            };
            map[[i, j]] = base - probs(&out, &h, last)[class];
            if !progress(i * occ.cols + j + 1, total) {
                return Ok(None);
            }
        }
    }
    let logits = acts.output(h.logits).floats();
    Ok(Some(ClassMap {
        method: Method::Occlusion,
        class,
        layer: None,
        map,
        weights: Vec::new(),
        volume: None,
        logit: logits[class],
        prob: base,
        bias: 0.0,
        occlusion: Some(occ),
    }))
}
