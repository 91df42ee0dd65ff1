//! The inverted-residual chain of MobileNet and EfficientNet: a 1×1 expand conv, an activation,
//! then a depthwise conv over the expanded channels, computed in blocks of channels.
//!
//! Run one layer after the other, the expand writes a volume (4.8 MB at 112²×96) that the
//! depthwise conv then reads back from far memory: in EfficientNet-Lite0 that read made the
//! depthwise stage twice as slow as the same kernel on a cached input. Here the expand writes
//! the planes of a block of channels sized to stay in L2, and the depthwise conv of those
//! channels reads them at once. Both outputs are still kept whole (every layer stays viewable),
//! and each value is the same, bit for bit, as the two convs give alone: each output plane is
//! the same sum in the same order, only computed at another time.

use super::depthwise::conv_depthwise;
use super::depthwise16;
use super::epilogue::Epilogue;
use super::geometry::ConvGeom;
use super::im2col::conv_gemm;

/// Aim for a block of expanded planes of about this many values (512 KiB, half of L2).
const BLOCK_VALUES: usize = 1 << 17;
/// Blocks are whole multiples of this many channels (the depthwise kernel's channel blocks).
const STEP: usize = depthwise16::LANES;

/// Whether `(e, d)` is such a chain the blocked kernel computes exactly as the two convs
/// alone: a pointwise expand with one group, and a depthwise conv with one filter per channel
/// of its output, each on the route it would take alone.
pub(crate) fn applies(e: &ConvGeom, d: &ConvGeom) -> bool {
    use super::conv::{Route, route};
    e.groups == 1
        && d.cin == e.k
        && (d.h, d.w) == (e.oh, e.ow)
        && d.kg == 1
        && d.groups == d.cin
        && route(e) == Route::Pointwise
        && route(d) == Route::Depthwise
        && blocks(e, d).all(|(c0, c1)| {
            depthwise16::applies(&depthwise_block(d, c1 - c0)) == depthwise16::applies(d)
        })
}

/// The channel blocks `c0..c1`.
fn blocks(e: &ConvGeom, _d: &ConvGeom) -> impl Iterator<Item = (usize, usize)> {
    let per = (BLOCK_VALUES / e.npix().max(1)).next_multiple_of(STEP).max(STEP);
    let k = e.k;
    (0..k).step_by(per).map(move |c0| (c0, (c0 + per).min(k)))
}

fn depthwise_block(d: &ConvGeom, n: usize) -> ConvGeom {
    ConvGeom { cin: n, k: n, groups: n, ..*d }
}

/// `expanded = epi_e(W_e ⊛ x + b_e)` and `out = epi_d(W_d ⊛ act(expanded) + b_d)`, as the two
/// convs compute them alone (see [`applies`], which must hold).
#[allow(clippy::too_many_arguments)]
pub(crate) fn expand_depthwise(
    x: &[f32],
    (we, be, epi_e, ge): (&[f32], Option<&[f32]>, Epilogue, &ConvGeom),
    act: Epilogue,
    (wd, bd, epi_d, gd): (&[f32], Option<&[f32]>, Epilogue, &ConvGeom),
    expanded: &mut [f32],
    out: &mut [f32],
) {
    assert!(applies(ge, gd), "not an expand → depthwise chain: {ge:?} → {gd:?}");
    let (n1, n2, taps) = (ge.npix(), gd.npix(), gd.fh * gd.fw);
    assert_eq!(expanded.len(), ge.k * n1, "expanded output has room for K·H·W values");
    assert_eq!(out.len(), gd.k * n2, "depthwise output has room for K·OH·OW values");
    for (c0, c1) in blocks(ge, gd) {
        let n = c1 - c0;
        let ge_b = ConvGeom { k: n, kg: n, ..*ge };
        let planes = &mut expanded[c0 * n1..c1 * n1];
        let w = &we[c0 * ge.kdim()..c1 * ge.kdim()];
        conv_gemm(x, Epilogue::None, w, be.map(|b| &b[c0..c1]), epi_e, &ge_b, true, planes);
        let gd_b = depthwise_block(gd, n);
        let (w, b) = (&wd[c0 * taps..c1 * taps], bd.map(|b| &b[c0..c1]));
        conv_depthwise(planes, act, w, b, epi_d, &gd_b, &mut out[c0 * n2..c1 * n2]);
    }
}
