//! CAM (Zhou et al. 2016): with a global-average-pool → fc head, the logit of class c is
//! `y_c = Σ_k w_ck·mean(A_k) + b_c = mean(Σ_k w_ck·A_k) + b_c`, so `M_c = Σ_k w_ck·A_k` is exactly
//! how much each position adds to the logit (times 1/(H·W)).

use super::{ClassMap, MapError, Method, cam_head, head, softmax};
use crate::nn::Network;
use crate::nn::analysis::Analysis;
use crate::nn::forward::Activations;
use ndarray::Axis;

/// CAM of `class`.
///
/// # Errors
/// Not a classifier, no GAP → fc head, a class out of range.
pub fn cam(
    net: &Network,
    analysis: &Analysis,
    acts: &Activations,
    class: usize,
) -> Result<ClassMap, MapError> {
    let h = head(net, analysis)?;
    if class >= h.classes {
        return Err(MapError::Class { class, classes: h.classes });
    }
    let ch = cam_head(net, analysis, &h)?;
    let a = super::gradcam::volume(net, analysis, acts, ch.volume);
    let wrow: Vec<f32> = ch.w.index_axis(Axis(0), class).to_vec();
    let map = super::weighted_sum(&a, &wrow);
    let logits = acts.output(h.logits).floats();
    let probs = softmax(&logits);
    Ok(ClassMap {
        method: Method::Cam,
        class,
        layer: match ch.volume {
            crate::nn::Src::Layer(i) => Some(i),
            crate::nn::Src::Input => None,
        },
        map,
        weights: wrow,
        volume: Some(a),
        logit: logits[class],
        prob: probs[class],
        bias: ch.b[class],
        occlusion: None,
    })
}
