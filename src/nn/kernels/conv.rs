//! The fast conv: picks a direct depthwise kernel, a no-copy 1×1 GEMM or im2col + GEMM, then adds
//! the bias and the fused activation in one pass over the output.

use super::depthwise::conv_depthwise;
use super::epilogue::Epilogue;
use super::geometry::ConvGeom;
use super::im2col::conv_gemm;
use super::implicit;
use crate::nn::geometry::ConvGeometry;
use crate::nn::tensor::Volume;
use ndarray::{Array3, ArrayView1, ArrayView3, ArrayView4};

/// Below this many filters a single-input-channel conv is cheaper done directly than as a GEMM
/// whose left operand has only that many rows.
const DIRECT_MAX_FILTERS: usize = 8;

/// The three ways to compute a conv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// `Cg == 1`: a direct kernel per output channel.
    Depthwise,
    /// 1×1, stride 1, no padding: GEMM straight on the input.
    Pointwise,
    /// Everything else: im2col + one GEMM per group…
    Im2col,
    /// …or, on AVX-512 with enough filters, the same GEMM with `cols` read in place from
    /// padded phase planes of the input (see `implicit`).
    Implicit,
}

/// Depthwise convs (`groups == D_in`, any multiple of filters) go direct, and so does a
/// single-channel input with few filters, as long as the direct kernel's zero-padded phase
/// planes stay about the size of the input and output (a hostile stride or pad would make them
/// enormous); 1×1 unit-stride convs skip im2col, and so do the convs that the implicit GEMM
/// does faster (see `implicit::suits`).
pub(crate) fn route(g: &ConvGeom) -> Route {
    if g.is_depthwise()
        && (g.groups > 1 || g.k <= DIRECT_MAX_FILTERS)
        && super::depthwise::scratch_len(g) <= 4 * (g.h * g.w + g.npix()) + (1 << 16)
    {
        Route::Depthwise
    } else if g.is_pointwise() {
        Route::Pointwise
    } else if implicit::suits(g) {
        Route::Implicit
    } else {
        Route::Im2col
    }
}

/// The conv of `x` (`(D_in, H, W)`) with `w` (`(K, FH, FW, D_in/groups)`) plus `b`, as a
/// `(K, OH, OW)` volume, with the window of the layer's geometry `g`.
///
/// Output `(r, c)` of filter `d` (group `d / (K/groups)`) sums the window cells
/// `(r·S_h + fy·dil_h − top, c·S_w + fx·dil_w − left)`; cells outside the input (the padding, or
/// beyond it when a rounded-up size lets the last window hang past it) are zero and never read.
///
/// # Panics
/// If the shapes of `x`, `w`, `b` disagree with `g`.
pub fn conv2d(
    x: &ArrayView3<f32>,
    w: &ArrayView4<f32>,
    b: Option<&ArrayView1<f32>>,
    g: &ConvGeometry,
) -> Volume {
    conv2d_fused(x, w, b, g, Epilogue::None)
}

/// [`conv2d`] of `pre(x)`: the activation `pre` is applied to each input value as the kernel
/// reads it, so `x` can be a relu/clip layer's input while the layer itself stays a lazy view.
/// The result equals [`conv2d`] of the activated input exactly. `pre` must map 0 to 0 (relu,
/// or a clip whose range holds 0), as the zero padding is activated with the rest.
///
/// # Panics
/// As [`conv2d`], and if `pre(0) != 0`.
pub fn conv2d_of_act(
    x: &ArrayView3<f32>,
    pre: Epilogue,
    w: &ArrayView4<f32>,
    b: Option<&ArrayView1<f32>>,
    geom: &ConvGeometry,
) -> Volume {
    assert_eq!(pre.apply(0.0), 0.0, "an input activation must keep the padding's zeros");
    conv_volume(x, pre, w, b, geom, Epilogue::None)
}

/// [`conv2d`] followed by `epi`, applied in the same pass that adds the bias.
///
/// # Panics
/// As [`conv2d`].
pub fn conv2d_fused(
    x: &ArrayView3<f32>,
    w: &ArrayView4<f32>,
    b: Option<&ArrayView1<f32>>,
    geom: &ConvGeometry,
    epi: Epilogue,
) -> Volume {
    conv_volume(x, Epilogue::None, w, b, geom, epi)
}

/// `epi` of the conv of `pre(x)`, as a `(K, OH, OW)` volume, along the route that suits it.
fn conv_volume(
    x: &ArrayView3<f32>,
    pre: Epilogue,
    w: &ArrayView4<f32>,
    b: Option<&ArrayView1<f32>>,
    geom: &ConvGeometry,
    epi: Epilogue,
) -> Volume {
    let g = ConvGeom::new(x.dim(), w.dim(), b.map(|b| b.len()), geom);
    let bias = b.map(|b| b.to_vec());
    let out = run(route(&g), x, pre, w, bias.as_deref(), epi, &g);
    Array3::from_shape_vec((g.k, g.oh, g.ow), out).expect("run returns K·OH·OW values")
}

/// The output values of `g` computed along `route`, in `(K, OH, OW)` order: `epi` of the conv
/// of `pre(x)`.
pub(crate) fn run(
    route: Route,
    x: &ArrayView3<f32>,
    pre: Epilogue,
    w: &ArrayView4<f32>,
    bias: Option<&[f32]>,
    epi: Epilogue,
    g: &ConvGeom,
) -> Vec<f32> {
    let npix = g.npix();
    // Every route writes every value, so a recycled buffer needs no clearing.
    let mut out = super::buffers::take(g.k * npix);
    if npix == 0 {
        return out;
    }
    let x = x.as_standard_layout();
    let w = w.as_standard_layout();
    // Standard layout is contiguous, so `as_slice` cannot fail.
    let xs = x.as_slice().expect("standard layout");
    let ws = w.as_slice().expect("standard layout");
    // Each kernel adds the bias and applies `epi` while its piece of output is still in cache.
    match route {
        Route::Depthwise => conv_depthwise(xs, pre, ws, bias, epi, g, &mut out),
        Route::Pointwise => conv_gemm(xs, pre, ws, bias, epi, g, true, &mut out),
        Route::Im2col => conv_gemm(xs, pre, ws, bias, epi, g, false, &mut out),
        Route::Implicit => implicit::conv_implicit(xs, pre, ws, bias, epi, g, &mut out),
    }
    out
}

#[cfg(test)]
#[path = "conv_tests.rs"]
mod tests;
