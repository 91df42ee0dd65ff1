//! A spec layer's tensors: `.npy` files named by `weights`/`bias` (and batchnorm's statistics),
//! or `init = "random" | "edges"`.

use super::error::{Kind, ModelError, Result};
use super::from_spec::{WeightMode, rel};
use super::init;
use super::npy;
use super::spec::{BiasSpec, LayerSpec};
use crate::nn::{Layer, LayerKind, Origin, Shape3, Weights};
use std::path::Path;

/// Load or initialise one layer's weights. `x` is the shape of its (first) input.
pub(super) fn weights_for(
    layer: &Layer,
    ls: &LayerSpec,
    x: Shape3,
    base: Option<&Path>,
    seed: u64,
    mode: WeightMode,
) -> Result<(Weights, Origin)> {
    let lname = &layer.name;
    let file = |f: &str| rel(base, f);
    let err = |kind: Kind| ModelError::layer(lname, kind);
    let init_origin = |init: Option<&str>| -> Result<Origin> {
        match init.unwrap_or("random") {
            "random" => Ok(Origin::Random { seed }),
            "edges" if x.d == 3 => Ok(Origin::Edges),
            "edges" => Err(err(Kind::EdgesNeedRgb { depth: x.d })),
            other => Err(err(Kind::UnknownInit { init: other.into() })),
        }
    };
    match &layer.kind {
        LayerKind::Conv(p) => {
            let bias_file = match &ls.bias {
                Some(BiasSpec::File(f)) => Some(file(f)),
                _ => None,
            };
            if let Some(wf) = &ls.weights {
                if ls.init.is_some() {
                    return Err(err(Kind::Conflict { a: "weights", b: "init" }));
                }
                let w = npy::read_f32::<ndarray::Ix4>(&file(wf), lname, "weights")?;
                let b = match &bias_file {
                    Some(bf) => Some(npy::read_f32::<ndarray::Ix1>(bf, lname, "bias")?),
                    None if p.bias => Some(ndarray::Array1::zeros(p.filters)),
                    None => None,
                };
                let (w, b) = (w.into_shared(), b.map(|b| b.into_shared()));
                return Ok((Weights::Conv { w, b }, Origin::File(file(wf))));
            }
            let origin = init_origin(ls.init.as_deref())?;
            if mode == WeightMode::ShapesOnly {
                return Ok((Weights::None, origin));
            }
            Ok((init::fresh(&layer.kind, x, origin == Origin::Edges, seed), origin))
        }
        LayerKind::Fc { outputs } => {
            if let Some(wf) = &ls.weights {
                let w = npy::read_f32::<ndarray::Ix2>(&file(wf), lname, "weights")?;
                let b = match &ls.bias {
                    Some(BiasSpec::File(f)) => {
                        Some(npy::read_f32::<ndarray::Ix1>(&file(f), lname, "bias")?)
                    }
                    Some(BiasSpec::On(false)) => None,
                    _ => Some(ndarray::Array1::zeros(*outputs)),
                };
                let (w, b) = (w.into_shared(), b.map(|b| b.into_shared()));
                return Ok((Weights::Fc { w, b }, Origin::File(file(wf))));
            }
            let origin = init_origin(ls.init.as_deref())?;
            if origin == Origin::Edges {
                return Err(err(Kind::EdgesConvOnly));
            }
            if mode == WeightMode::ShapesOnly {
                return Ok((Weights::None, origin));
            }
            let mut w = init::fresh(&layer.kind, x, false, seed);
            if let (Weights::Fc { b, .. }, Some(BiasSpec::On(false))) = (&mut w, &ls.bias) {
                *b = None;
            }
            Ok((w, origin))
        }
        LayerKind::Prelu => {
            let slope = match &ls.weights {
                Some(f) => npy::read_f32::<ndarray::Ix1>(&file(f), lname, "weights")?,
                None => ndarray::Array1::from_elem(x.d, ls.slope.unwrap_or(0.25)),
            };
            Ok((Weights::Prelu { slope: slope.into_shared() }, Origin::None))
        }
        LayerKind::BatchNorm { .. } => {
            let get =
                |f: &Option<String>, key: &str, default: f32| -> Result<ndarray::ArcArray1<f32>> {
                    let a = match f {
                        Some(f) => npy::read_f32::<ndarray::Ix1>(&file(f), lname, key)?,
                        None => ndarray::Array1::from_elem(x.d, default),
                    };
                    Ok(a.into_shared())
                };
            let w = Weights::BatchNorm {
                gamma: get(&ls.gamma, "gamma", 1.0)?,
                beta: get(&ls.shift, "shift", 0.0)?,
                mean: get(&ls.mean, "mean", 0.0)?,
                var: get(&ls.var, "var", 1.0)?,
            };
            Ok((w, Origin::None))
        }
        _ => Ok((Weights::None, Origin::None)),
    }
}
