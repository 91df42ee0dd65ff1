//! Choosing what to map: a class from a number or a label, Grad-CAM's default layer, and one
//! entry point for the three methods (the CLI and the explorer's worker both call it).

use super::{ClassMap, Head, MapError, Method, cam, cam_head, gradcam, occlusion};
use crate::nn::analysis::Analysis;
use crate::nn::forward::Activations;
use crate::nn::{Network, Src};

/// The class index `spec` names: a number, a label, or a unique part of one.
///
/// # Errors
/// No such class, or a part that matches several labels.
pub fn parse_class(net: &Network, spec: &str, classes: usize) -> Result<usize, String> {
    if let Ok(i) = spec.parse::<usize>() {
        if i < classes {
            return Ok(i);
        }
        return Err(format!("{}: class {i} is out of range (0 to {})", net.name, classes - 1));
    }
    let Some(labels) = net.labels.as_ref().filter(|l| l.len() == classes) else {
        return Err(format!(
            "{}: has no labels; give the class as a number (0 to {})",
            net.name,
            classes - 1
        ));
    };
    let lower = spec.to_lowercase();
    if let Some(i) = labels.iter().position(|l| l.to_lowercase() == lower) {
        return Ok(i);
    }
    let hits: Vec<usize> =
        (0..classes).filter(|&i| labels[i].to_lowercase().contains(&lower)).collect();
    match hits.as_slice() {
        [i] => Ok(*i),
        [] => Err(format!("{}: no class label contains '{spec}'", net.name)),
        many => {
            let names: Vec<&str> = many.iter().take(5).map(|&i| labels[i].as_str()).collect();
            Err(format!(
                "{}: '{spec}' matches {} labels ({}…); be more precise",
                net.name,
                many.len(),
                names.join(", ")
            ))
        }
    }
}

/// The default Grad-CAM layer: the volume a CAM head pools, else the last volume layer.
pub fn default_layer(net: &Network, analysis: &Analysis, head: &Head) -> Option<usize> {
    if let Ok(ch) = cam_head(net, analysis, head)
        && let Src::Layer(i) = ch.volume
    {
        return Some(i);
    }
    (0..=head.logits).rev().find(|&i| {
        let l = &analysis.layers[i];
        l.computed() && l.view.is_volume() && l.output.h * l.output.w > 1
    })
}

/// Compute one class map on a finished pass.
///
/// # Errors
/// As the methods.
#[allow(clippy::too_many_arguments)]
pub fn compute(
    net: &Network,
    analysis: &Analysis,
    acts: &Activations,
    method: Method,
    class: usize,
    layer: usize,
    occ: (usize, usize, f32),
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> std::result::Result<Option<ClassMap>, MapError> {
    match method {
        Method::Cam => cam(net, analysis, acts, class).map(Some),
        Method::GradCam => gradcam(net, analysis, acts, class, layer, &mut |_| true),
        Method::Occlusion => occlusion(net, analysis, acts, class, occ.0, occ.1, occ.2, progress),
    }
}
