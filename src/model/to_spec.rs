//! The reverse of [`super::from_spec`]: a layer's kind and parameters as a spec table. The live
//! editor shows this text, and saving writes it.

use super::spec::{BiasSpec, Dims, LayerSpec};
use crate::nn::{Layer, LayerKind, Padding};

/// `pad` as written in a spec.
pub fn padding_dims(p: &Padding) -> Dims {
    match *p {
        Padding::Explicit { top, left, bottom, right } => {
            if top == left && left == bottom && bottom == right {
                Dims::One(top as i64)
            } else {
                Dims::Many(vec![top as i64, left as i64, bottom as i64, right as i64])
            }
        }
        Padding::SameUpper => Dims::Named("same".into()),
        Padding::SameLower => Dims::Named("same_lower".into()),
        Padding::Valid => Dims::Named("valid".into()),
    }
}

fn pair(a: usize, b: usize) -> Dims {
    if a == b { Dims::One(a as i64) } else { Dims::Many(vec![a as i64, b as i64]) }
}

/// The kind and hyper-parameters of `layer` (no name, inputs or weights).
pub fn kind_spec(kind: &LayerKind) -> LayerSpec {
    let mut s = LayerSpec { kind: kind.type_name().to_string(), ..LayerSpec::default() };
    match kind {
        LayerKind::Conv(p) => {
            s.filters = Some(p.filters as i64);
            s.size = Some(pair(p.kh, p.kw));
            s.stride = Some(pair(p.stride_h, p.stride_w));
            s.pad = Some(padding_dims(&p.pad));
            if (p.dilation_h, p.dilation_w) != (1, 1) {
                s.dilation = Some(pair(p.dilation_h, p.dilation_w));
            }
            if p.groups != 1 {
                s.groups = Some(p.groups as i64);
            }
            if !p.bias {
                s.bias = Some(BiasSpec::On(false));
            }
        }
        LayerKind::MaxPool(p) | LayerKind::AvgPool(p) => {
            s.size = Some(pair(p.kh, p.kw));
            s.stride = Some(pair(p.stride_h, p.stride_w));
            s.pad = Some(padding_dims(&p.pad));
            if p.ceil_mode {
                s.ceil_mode = Some(true);
            }
            if p.count_include_pad && matches!(kind, LayerKind::AvgPool(_)) {
                s.count_include_pad = Some(true);
            }
        }
        LayerKind::Fc { outputs } => s.outputs = Some(*outputs as i64),
        LayerKind::Clip { min, max } if s.kind == "clip" => {
            s.min = min.is_finite().then_some(*min);
            s.max = max.is_finite().then_some(*max);
        }
        LayerKind::LeakyRelu { alpha } => s.alpha = Some(*alpha),
        LayerKind::BatchNorm { eps } => s.eps = Some(*eps),
        LayerKind::Lrn { size, alpha, beta, bias } => {
            s.size = Some(Dims::One(*size as i64));
            s.alpha = Some(*alpha);
            s.beta = Some(*beta);
            s.k = Some(*bias);
        }
        _ => {}
    }
    s
}

/// The editor's text for a layer: its parameters as `key = value` lines, without `type`.
pub fn params_text(layer: &Layer) -> String {
    if let LayerKind::Op(op) = &layer.kind {
        return super::edit_op::op_params_text(op).unwrap_or_default();
    }
    let mut spec = kind_spec(&layer.kind);
    spec.kind = String::new();
    if layer.strict {
        spec.strict = Some(true);
    }
    let text = toml::to_string(&spec).unwrap_or_default();
    text.lines().filter(|l| !l.starts_with("type =")).map(|l| format!("{l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::from_spec::layer_kind;
    use crate::model::spec::parse;

    #[test]
    fn alexnet_conv1_reads_like_the_spec() {
        let net = crate::model::load("alexnet", crate::model::WeightMode::ShapesOnly).unwrap();
        assert_eq!(params_text(&net.layers[0]), "filters = 96\nsize = 11\nstride = 4\npad = 0\n");
    }

    #[test]
    fn every_preset_layer_round_trips() {
        for (name, text) in crate::model::presets::PRESETS {
            let spec = parse(text, name).unwrap();
            for ls in &spec.layers {
                let kind = layer_kind(ls, "x").unwrap();
                let back = layer_kind(&kind_spec(&kind), "x").unwrap();
                assert_eq!(kind, back, "{name}: {ls:?}");
            }
        }
    }

    #[test]
    fn padding_forms_round_trip() {
        let text = "[input]\nshape=[9,9,3]\n[[layer]]\ntype='conv'\nfilters=2\nsize=[3,1]\npad=[0,1,2,0]\ndilation=2\n";
        let ls = &parse(text, "t").unwrap().layers[0];
        let kind = layer_kind(ls, "c").unwrap();
        assert_eq!(layer_kind(&kind_spec(&kind), "c").unwrap(), kind);
    }
}
