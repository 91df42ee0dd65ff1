//! When the size convscope picked for an open input (the photo's, or the default 224×224) leaves
//! nodes not computable because they do not fit it (a text recogniser whose height must come down
//! to 1, a reshape to fixed rows), try the sizes such networks are trained at, and keep the
//! first that computes every node. A size the user gave (`--size`, the sidecar, an input
//! `.npy`) is never changed.

use super::{Imported, InputPlan};

/// Heights (then widths) tried, smallest first: text recognisers are trained at 32 or 48 rows.
const SIDES: &[usize] = &[32, 48, 64, 96, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640];

/// What the importer writes into the reason of a layer that does not fit the input size.
pub(super) const MISFIT: &str = "at the input size";

/// Whether some layer is not computed because it does not fit the input size.
pub(super) fn has_misfit(a: &crate::nn::analysis::Analysis) -> bool {
    a.not_computable().any(|(_, why)| why.contains(MISFIT))
}

/// How many layers are not computed because they do not fit the input size.
pub(super) fn misfits(imp: &Imported) -> usize {
    let Ok(a) = crate::nn::analysis::analyze(&imp.network) else { return 0 };
    if !has_misfit(&a) {
        return 0;
    }
    a.not_computable().count()
}

/// Rows and columns of an input plan.
pub(super) fn hw(p: &InputPlan) -> (usize, usize) {
    match p.hint {
        crate::nn::Hint::ChannelsLast => (p.dims[1], p.dims[2]),
        _ => (p.dims[2], p.dims[3]),
    }
}

/// Search sizes for `first` (which misfits); `build((h, w))` imports at a size. `photo` keeps
/// the photo's aspect when only the height moves. Returns the first import that computes every
/// node, labelled with why its size was chosen, or `first` when none does.
pub(super) fn search(
    first: Imported,
    photo: bool,
    build: impl Fn((usize, usize)) -> Option<Imported>,
) -> Imported {
    let bad = misfits(&first);
    if bad == 0 || !first.input.open {
        return first;
    }
    let (h0, w0) = hw(&first.input);
    let mut tried = vec![(h0, w0)];
    let mut candidates = Vec::new();
    for &h in SIDES {
        if photo {
            // Resize to h rows keeping the photo's aspect, in steps of 8 columns.
            let w = ((w0 * h) as f64 / h0.max(1) as f64 / 8.0).round() as usize * 8;
            candidates.push((h, w.max(8)));
        }
        candidates.push((h, w0));
    }
    candidates.extend(SIDES.iter().map(|&w| (h0, w)));
    candidates.extend(SIDES.iter().map(|&s| (s, s)));
    for c in candidates {
        if tried.contains(&c) {
            continue;
        }
        tried.push(c);
        let Some(mut imp) = build(c) else { continue };
        let got = hw(&imp.input);
        if got != c {
            // A fixed side: the file kept it; this candidate is the size already tried.
            if tried.contains(&got) {
                continue;
            }
            tried.push(got);
        }
        if misfits(&imp) == 0 {
            let from = format!(
                "a search: {h0}×{w0} left {bad} nodes not computable, {}×{} computes every node",
                got.0, got.1
            );
            imp.input.size_from = Some(from.clone());
            imp.network.input.size_from = Some(from);
            return imp;
        }
    }
    first
}
