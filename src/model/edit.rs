//! Live edits of a network: a layer's parameters from editor text, inserting, deleting and
//! changing the kind of a layer. Every edit is validated by the same code as spec files, and
//! produces a whole new [`Network`] (weights are shared `ArcArray`s, so this is cheap) or an error
//! that leaves the old one untouched.

use super::from_spec::layer_kind;
use super::init;
use super::spec::{LayerSpec, line_col};
use crate::nn::analysis::{Analysis, analyze};
use crate::nn::{Layer, LayerKind, Network, Origin, Shape3, Src, Weights};

/// The result of a valid edit.
#[derive(Clone, Debug)]
pub struct Edited {
    pub net: Network,
    pub analysis: Analysis,
    /// The first layer whose output must be recomputed; outputs above it are still valid.
    pub recompute_from: usize,
    /// Layers (by index in the new network) whose output shape changed, with old and new shape.
    pub changed: Vec<(usize, Option<Shape3>, Shape3)>,
    /// Layers whose weights had to be re-initialised because their shape changed.
    pub reinitialized: Vec<usize>,
}

/// The kinds a user may insert or switch to from the editor.
pub const INSERTABLE: &[&str] = &["conv", "relu", "maxpool", "avgpool"];

/// Apply editor text (`key = value` lines, optionally `type = "…"`) to layer `i`.
///
/// # Errors
/// A message naming the key and the reason: TOML syntax (with line:col in the text), an unknown
/// key, a bad value, or a shape that no longer fits anywhere downstream.
pub fn edit_params(net: &Network, i: usize, text: &str) -> Result<Edited, String> {
    let layer = net.layers.get(i).ok_or_else(|| format!("no layer {i}"))?;
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let msg = e.message().trim().to_string();
        match e.span() {
            Some(s) => {
                let (l, c) = line_col(text, s.start);
                format!("line {l}, col {c}: {msg}")
            }
            None => msg,
        }
    })?;
    for key in ["name", "inputs"] {
        if table.contains_key(key) {
            return Err(format!("{key}: cannot be edited here"));
        }
    }
    table.entry("type").or_insert_with(|| layer.kind.type_name().into());
    let spec: LayerSpec = table.try_into().map_err(|e: toml::de::Error| e.message().to_string())?;
    let kind =
        layer_kind(&spec, &layer.name).map_err(|e| strip_layer(&e.to_string(), &layer.name))?;
    let mut layers = net.layers.clone();
    if kind.type_name() != layer.kind.type_name() {
        // Weights of the old kind never fit the new one.
        layers[i].weights = Weights::None;
        layers[i].origin = Origin::None;
    }
    layers[i].kind = kind;
    if let Some(strict) = spec.strict {
        layers[i].strict = strict;
    }
    finish(net, layers, i, |j| j)
}

/// Insert a new layer of `kind` after layer `i`; the layer after it now reads the new one.
///
/// # Errors
/// An unknown kind, or shapes that no longer fit.
pub fn insert_after(net: &Network, i: usize, kind: &str, old: &Analysis) -> Result<Edited, String> {
    let x = old.layers.get(i).ok_or_else(|| format!("no layer {i}"))?.output;
    let text = match kind {
        "conv" => format!("type = \"conv\"\nfilters = {}\nsize = 3\nstride = 1\npad = 1\n", x.d),
        "maxpool" | "avgpool" => format!("type = \"{kind}\"\nsize = 2\nstride = 2\n"),
        "relu" => "type = \"relu\"\n".into(),
        other => {
            return Err(format!("type: \"{other}\" cannot be inserted (one of {INSERTABLE:?})"));
        }
    };
    let spec: LayerSpec = toml::from_str(&text).map_err(|e| e.to_string())?;
    let name = unique_name(net, kind);
    let kind = layer_kind(&spec, &name).map_err(|e| e.to_string())?;
    let mut layers = net.layers.clone();
    // Everything after i shifts by one; the layer right after i reads the new layer.
    for (j, l) in layers.iter_mut().enumerate() {
        for s in l.inputs.iter_mut() {
            if let Src::Layer(k) = s
                && *k > i
            {
                *k += 1;
            }
        }
        if j == i + 1 {
            for s in l.inputs.iter_mut() {
                if *s == Src::Layer(i) {
                    *s = Src::Layer(i + 1);
                }
            }
        }
    }
    let seed = seed_for(&name);
    let new = Layer {
        name,
        kind,
        inputs: vec![Src::Layer(i)],
        weights: Weights::None,
        origin: Origin::Reinitialized { seed, edges: false },
        strict: false,
    };
    layers.insert(i + 1, new);
    // New layer j > i + 1 was old layer j − 1 (the new one, i + 1, matches no old name).
    finish(net, layers, i + 1, |j| if j <= i { j } else { j - 1 })
}

/// Delete layer `i`; whatever read it now reads its (first) input.
///
/// # Errors
/// Deleting the only layer, or shapes that no longer fit.
pub fn delete(net: &Network, i: usize) -> Result<Edited, String> {
    if net.layers.len() <= 1 {
        return Err("cannot delete the only layer".into());
    }
    let gone = net.layers.get(i).ok_or_else(|| format!("no layer {i}"))?;
    let replacement = gone.inputs[0];
    let mut layers = net.layers.clone();
    layers.remove(i);
    for l in layers.iter_mut() {
        for s in l.inputs.iter_mut() {
            match *s {
                Src::Layer(k) if k == i => *s = replacement,
                Src::Layer(k) if k > i => *s = Src::Layer(k - 1),
                _ => {}
            }
        }
    }
    let from = i.min(layers.len() - 1);
    // New layer j ≥ i was old layer j + 1.
    finish(net, layers, from, |j| if j < i { j } else { j + 1 })
}

/// Switch layer `i` to another kind with that kind's default parameters.
///
/// # Errors
/// As [`edit_params`].
pub fn change_kind(net: &Network, i: usize, kind: &str, old: &Analysis) -> Result<Edited, String> {
    let x = old.layers.get(i).ok_or_else(|| format!("no layer {i}"))?.inputs[0];
    let text = match kind {
        "conv" => format!("type = \"conv\"\nfilters = {}\nsize = 3\nstride = 1\npad = 1\n", x.d),
        "maxpool" | "avgpool" => format!("type = \"{kind}\"\nsize = 2\nstride = 2\n"),
        other => format!("type = \"{other}\"\n"),
    };
    edit_params(net, i, &text)
}

fn strip_layer(msg: &str, name: &str) -> String {
    msg.strip_prefix(&format!("{name}: ")).unwrap_or(msg).to_string()
}

fn unique_name(net: &Network, kind: &str) -> String {
    (1..).map(|n| format!("{kind}_new{n}")).find(|c| net.find(c).is_none()).unwrap_or_default()
}

/// A seed derived from a layer name, so a re-initialised layer is the same every time.
fn seed_for(name: &str) -> u64 {
    name.bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// The weight shape a layer needs for input `x`, if it has weights.
fn weight_shape(kind: &LayerKind, x: Shape3) -> Option<Vec<usize>> {
    match kind {
        LayerKind::Conv(p) => Some(vec![p.filters, p.kh, p.kw, x.d / p.groups.max(1)]),
        LayerKind::Fc { outputs } => Some(vec![*outputs, x.len()]),
        LayerKind::Prelu | LayerKind::BatchNorm { .. } => Some(vec![x.d]),
        _ => None,
    }
}

fn current_shape(w: &Weights) -> Option<Vec<usize>> {
    match w {
        Weights::Conv { w, .. } => Some(w.shape().to_vec()),
        Weights::Fc { w, .. } => Some(w.shape().to_vec()),
        Weights::Prelu { slope } => Some(vec![slope.len()]),
        Weights::BatchNorm { gamma, .. } => Some(vec![gamma.len()]),
        Weights::None => None,
    }
}

/// Validate the new layers, re-initialise weights whose shape changed (from `from` on), and
/// compare shapes with the old network (`old_index(new) = old` for layers that existed before).
fn finish(
    net: &Network,
    mut layers: Vec<Layer>,
    from: usize,
    old_index: impl Fn(usize) -> usize,
) -> Result<Edited, String> {
    let old = analyze(net).map_err(|e| e.to_string())?;
    let probe =
        Network { layers: layers.iter().map(shapes_only).collect(), ..net.clone_without_layers() };
    let edited_name = layers[from].name.clone();
    let shapes = analyze(&probe)
        .map_err(|e| if e.layer == edited_name { e.message } else { e.to_string() })?;
    let mut reinitialized = Vec::new();
    for (j, l) in layers.iter_mut().enumerate().skip(from) {
        let x = shapes.layers[j].inputs[0];
        let want = weight_shape(&l.kind, x);
        if want.is_some() && want != current_shape(&l.weights) {
            let edges =
                matches!(l.origin, Origin::Edges | Origin::Reinitialized { edges: true, .. })
                    && x.d == 3;
            let seed = seed_for(&l.name);
            l.weights = match l.kind {
                LayerKind::Prelu => prelu_like(&l.weights, x.d),
                LayerKind::BatchNorm { .. } => identity_bn(x.d),
                _ => init::fresh(&l.kind, x, edges, seed),
            };
            if l.kind.has_weights() {
                l.origin = Origin::Reinitialized { seed, edges };
                reinitialized.push(j);
            }
        } else if want.is_none() {
            l.weights = Weights::None;
        }
        // `bias = false` / `true` changes the bias tensor, not the filters.
        if let (LayerKind::Conv(p), Weights::Conv { b, .. }) = (&l.kind, &mut l.weights) {
            match (p.bias, b.is_some()) {
                (false, true) => *b = None,
                (true, false) => *b = Some(ndarray::Array1::zeros(p.filters).into_shared()),
                _ => {}
            }
        }
    }
    let new_net = Network { layers, ..net.clone_without_layers() };
    // An error in the edited layer itself reads as the editor's message; others name their layer.
    let analysis = analyze(&new_net)
        .map_err(|e| if e.layer == edited_name { e.message } else { e.to_string() })?;
    let changed = analysis
        .layers
        .iter()
        .enumerate()
        .filter_map(|(j, info)| {
            let k = old_index(j);
            let same_layer = net.layers.get(k).is_some_and(|l| l.name == new_net.layers[j].name);
            let before = same_layer.then(|| old.layers[k].output);
            (before != Some(info.output)).then_some((j, before, info.output))
        })
        .collect();
    Ok(Edited { net: new_net, analysis, recompute_from: from, changed, reinitialized })
}

/// A layer without its weights: enough for shape analysis.
fn shapes_only(l: &Layer) -> Layer {
    Layer {
        name: l.name.clone(),
        kind: l.kind.clone(),
        inputs: l.inputs.clone(),
        weights: Weights::None,
        origin: l.origin.clone(),
        strict: l.strict,
    }
}

fn prelu_like(w: &Weights, d: usize) -> Weights {
    let v = match w {
        Weights::Prelu { slope } if !slope.is_empty() => slope[0],
        _ => 0.25,
    };
    Weights::Prelu { slope: ndarray::Array1::from_elem(d, v).into_shared() }
}

fn identity_bn(d: usize) -> Weights {
    let a = |v: f32| ndarray::Array1::from_elem(d, v).into_shared();
    Weights::BatchNorm { gamma: a(1.0), beta: a(0.0), mean: a(0.0), var: a(1.0) }
}

/// How many edits can be undone. Unchanged weights are shared between the kept networks, but an
/// edit that re-initialises a large layer (AlexNet's fc6 is 151 MB) keeps its old copy alive.
pub const MAX_UNDO: usize = 8;

/// Undo and redo over whole networks (cheap: weights are shared), at most [`MAX_UNDO`] deep.
#[derive(Debug, Default)]
pub struct History {
    undo: Vec<Network>,
    redo: Vec<Network>,
}

impl History {
    /// Remember `before` as the state an undo returns to.
    pub fn push(&mut self, before: Network) {
        self.undo.push(before);
        if self.undo.len() > MAX_UNDO {
            self.undo.remove(0);
        }
        self.redo.clear();
    }
    /// Step back: returns the network to show, given the current one.
    pub fn undo(&mut self, current: Network) -> Option<Network> {
        let prev = self.undo.pop()?;
        self.redo.push(current);
        Some(prev)
    }
    pub fn redo(&mut self, current: Network) -> Option<Network> {
        let next = self.redo.pop()?;
        self.undo.push(current);
        Some(next)
    }
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{WeightMode, load};

    /// Loaded once for all tests (clones share the weights).
    fn alexnet() -> Network {
        static NET: std::sync::OnceLock<Network> = std::sync::OnceLock::new();
        NET.get_or_init(|| load("alexnet", WeightMode::Full).unwrap()).clone()
    }

    fn conv_w(net: &Network, i: usize) -> &ndarray::ArcArray<f32, ndarray::Ix4> {
        match &net.layers[i].weights {
            Weights::Conv { w, .. } => w,
            other => panic!("layer {i} has {other:?}"),
        }
    }

    #[test]
    fn a_stride_edit_keeps_weights_and_changes_shapes_downstream() {
        let net = alexnet();
        let e = edit_params(&net, 0, "filters = 96\nsize = 11\nstride = 2\npad = 0\n").unwrap();
        // (227 − 11)/2 + 1 = 109.
        assert_eq!(e.analysis.layers[0].output, Shape3::new(109, 109, 96));
        assert_eq!(e.analysis.layers[0].formula().unwrap(), "(227 − 11 + 2·0)/2 + 1 = 109");
        assert!(
            e.changed
                .iter()
                .any(|(j, b, a)| *j == 3 && *b == Some(Shape3::new(27, 27, 96)) && a.h == 54)
        );
        // The filters did not change shape: the same numbers, shared.
        assert_eq!(conv_w(&e.net, 0), conv_w(&net, 0));
        assert_eq!(e.net.layers[0].origin, Origin::Edges);
        // fc6 reads a bigger volume now: its weights are new.
        assert!(e.reinitialized.contains(&15), "{:?}", e.reinitialized);
        assert!(e.net.layers[15].origin.is_reinitialized());
        assert_eq!(e.recompute_from, 0);
    }

    #[test]
    fn changing_k_reinitialises_this_layer_and_the_next_conv() {
        let net = alexnet();
        let e = edit_params(&net, 0, "filters = 64\nsize = 11\nstride = 4\npad = 0\n").unwrap();
        assert_eq!(conv_w(&e.net, 0).shape(), &[64, 11, 11, 3]);
        // conv2 is grouped by 2: each filter now spans 64/2 = 32 channels.
        assert_eq!(conv_w(&e.net, 4).shape(), &[256, 5, 5, 32]);
        assert!(e.reinitialized.contains(&0) && e.reinitialized.contains(&4));
        // conv3 still reads 256 channels: kept.
        assert_eq!(conv_w(&e.net, 8), conv_w(&net, 8));
    }

    #[test]
    fn invalid_edits_name_the_key_and_change_nothing() {
        let net = alexnet();
        let e = edit_params(&net, 0, "filters = 96\nsize = 11\nstride = 0\n").unwrap_err();
        assert_eq!(e, "stride 0 is not allowed (S ≥ 1)");
        let e = edit_params(&net, 0, "filters = 96\nsize = 11\nstride = 5\nstrict = true\n")
            .unwrap_err();
        assert_eq!(e, "rows: (227 − 11 + 2·0)/5 + 1 = 44.2 does not fit (strict)");
        let e = edit_params(&net, 0, "filters = \n").unwrap_err();
        assert!(e.starts_with("line 1"), "{e}");
        let e = edit_params(&net, 0, "size = 11\nstride = 4\n").unwrap_err();
        assert!(e.contains("`filters` is missing"), "{e}");
        let e = edit_params(&net, 0, "size = 300\nfilters = 2\n").unwrap_err();
        assert!(e.contains("size 300") && e.contains("padded input 227"), "{e}");
    }

    #[test]
    fn insert_and_delete_rewire_the_chain() {
        let net = alexnet();
        let a = analyze(&net).unwrap();
        let e = insert_after(&net, 1, "maxpool", &a).unwrap();
        assert_eq!(e.net.layers.len(), net.layers.len() + 1);
        assert_eq!(e.net.layers[2].name, "maxpool_new1");
        assert_eq!(e.net.layers[3].inputs, vec![Src::Layer(2)]);
        assert_eq!(e.analysis.layers[2].output, Shape3::new(27, 27, 96));
        let back = delete(&e.net, 2).unwrap();
        assert_eq!(analyze(&back.net).unwrap().layers.len(), net.layers.len());
        assert_eq!(back.analysis.layers[3].output, Shape3::new(27, 27, 96));
        assert_eq!(back.net.layers[2].inputs, vec![Src::Layer(1)]);
    }

    #[test]
    fn insert_and_delete_report_the_old_shapes_of_the_layers_after() {
        let net = alexnet();
        let a = analyze(&net).unwrap();
        // A 2×2 s2 maxpool after pool1 (27×27×96): 13×13×96, and conv2 follows.
        let e = insert_after(&net, 3, "maxpool", &a).unwrap();
        assert!(e.changed.contains(&(4, None, Shape3::new(13, 13, 96))), "{:?}", e.changed);
        let conv2 = (5, Some(Shape3::new(27, 27, 256)), Shape3::new(13, 13, 256));
        assert!(e.changed.contains(&conv2), "{:?}", e.changed);
        let back = delete(&e.net, 4).unwrap();
        let conv2 = (4, Some(Shape3::new(13, 13, 256)), Shape3::new(27, 27, 256));
        assert!(back.changed.contains(&conv2), "{:?}", back.changed);
    }

    #[test]
    fn change_kind_relu_to_conv_gets_fresh_weights() {
        let net = alexnet();
        let a = analyze(&net).unwrap();
        let e = change_kind(&net, 1, "conv", &a).unwrap();
        assert_eq!(conv_w(&e.net, 1).shape(), &[96, 3, 3, 96]);
        assert!(e.reinitialized.contains(&1));
        let e2 = change_kind(&e.net, 1, "relu", &e.analysis).unwrap();
        assert_eq!(e2.net.layers[1].weights, Weights::None);
    }

    #[test]
    fn switching_the_bias_off_and_on_changes_the_bias_tensor() {
        let net = alexnet();
        let off = "filters = 96\nsize = 11\nstride = 4\npad = 0\nbias = false\n";
        let e = edit_params(&net, 0, off).unwrap();
        assert!(matches!(&e.net.layers[0].weights, Weights::Conv { b: None, .. }));
        let on = edit_params(&e.net, 0, "filters = 96\nsize = 11\nstride = 4\npad = 0\n").unwrap();
        let Weights::Conv { b: Some(b), .. } = &on.net.layers[0].weights else { panic!("a bias") };
        assert_eq!(b.len(), 96);
        // The filters themselves are kept both ways.
        assert_eq!(conv_w(&on.net, 0), conv_w(&net, 0));
    }

    #[test]
    fn undo_and_redo_walk_the_history() {
        let net = alexnet();
        let mut h = History::default();
        let e = edit_params(&net, 0, "filters = 96\nsize = 11\nstride = 2\n").unwrap();
        h.push(net.clone());
        let back = h.undo(e.net.clone()).unwrap();
        assert_eq!(analyze(&back).unwrap().layers[0].output, Shape3::new(55, 55, 96));
        let fwd = h.redo(back).unwrap();
        assert_eq!(analyze(&fwd).unwrap().layers[0].output, Shape3::new(109, 109, 96));
        assert!(h.can_undo() && !h.can_redo());
    }

    #[test]
    fn history_keeps_at_most_max_undo_steps() {
        let net = load("cs231n-demo", WeightMode::Full).unwrap();
        let mut h = History::default();
        for _ in 0..MAX_UNDO + 3 {
            h.push(net.clone());
        }
        let mut n = 0;
        let mut cur = net;
        while let Some(prev) = h.undo(cur) {
            cur = prev;
            n += 1;
        }
        assert_eq!(n, MAX_UNDO);
    }
}
