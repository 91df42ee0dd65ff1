//! Live edits of a network: a layer's parameters from editor text, inserting, deleting and
//! changing the kind of a layer. Every edit is validated by the same code as spec files, and
//! produces a whole new [`Network`] (weights are shared `ArcArray`s, so this is cheap) or an error
//! that leaves the old one untouched.

use super::error::{Kind, ModelError, Result};
use super::from_spec::layer_kind;
use super::init;
use super::spec::{LayerSpec, toml_error};
use crate::nn::analysis::{Analysis, analyze};
use crate::nn::{Layer, LayerKind, Network, Origin, Shape3, Src, Weights, budget};

/// The result of a valid edit.
#[derive(Clone, Debug)]
pub struct Edited {
    pub net: Network,
    pub analysis: Analysis,
    /// The layer the edit is about (the new one after an insert): the explorer selects it. Where
    /// a recompute starts is [`crate::engine::resume::first_difference`]'s answer.
    pub target: usize,
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
pub fn edit_params(net: &Network, i: usize, text: &str) -> Result<Edited> {
    let layer = net.layers.get(i).ok_or_else(|| no_layer(i))?;
    let at = |kind: Kind| ModelError::layer(&layer.name, kind);
    let mut table: toml::Table =
        text.parse().map_err(|e: toml::de::Error| match empty_value(text) {
            Some(key) => at(Kind::Empty { what: needs(&key), key }),
            None => toml_error(&e, text),
        })?;
    for key in ["name", "inputs"] {
        if table.contains_key(key) {
            return Err(at(Kind::NotEditable { key: key.into() }));
        }
    }
    if let LayerKind::Op(op) = &layer.kind {
        let op = super::edit_op::edit_op(op, &table, &layer.name)?;
        let mut layers = net.layers.clone();
        layers[i].kind = LayerKind::Op(Box::new(op));
        return finish(net, layers, i, |j| j);
    }
    table.entry("type").or_insert_with(|| layer.kind.type_name().into());
    let spec: LayerSpec = table.try_into().map_err(|e: toml::de::Error| {
        at(Kind::Toml { line: 1, col: 1, message: e.message().trim().into() })
    })?;
    let kind = layer_kind(&spec, &layer.name)?;
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
pub fn insert_after(net: &Network, i: usize, kind: &str, old: &Analysis) -> Result<Edited> {
    let x = old.layers.get(i).ok_or_else(|| no_layer(i))?.output;
    let text = match kind {
        "conv" => format!("type = \"conv\"\nfilters = {}\nsize = 3\nstride = 1\npad = 1\n", x.d),
        "maxpool" | "avgpool" => format!("type = \"{kind}\"\nsize = 2\nstride = 2\n"),
        "relu" => "type = \"relu\"\n".into(),
        other => {
            let known = INSERTABLE.join(", ");
            return Err(ModelError::new(Kind::UnknownType { kind: other.into(), known }));
        }
    };
    // Our own text of a known kind always parses.
    let spec: LayerSpec = toml::from_str(&text).expect("a generated layer table parses");
    let name = unique_name(net, kind);
    let kind = layer_kind(&spec, &name)?;
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
pub fn delete(net: &Network, i: usize) -> Result<Edited> {
    if net.layers.len() <= 1 {
        let why = "cannot delete the only layer".to_string();
        return Err(ModelError::layer(&net.layers[0].name, Kind::Write(why)));
    }
    let gone = net.layers.get(i).ok_or_else(|| no_layer(i))?;
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
pub fn change_kind(net: &Network, i: usize, kind: &str, old: &Analysis) -> Result<Edited> {
    let x = old.layers.get(i).ok_or_else(|| no_layer(i))?.inputs[0];
    let text = match kind {
        "conv" => format!("type = \"conv\"\nfilters = {}\nsize = 3\nstride = 1\npad = 1\n", x.d),
        "maxpool" | "avgpool" => format!("type = \"{kind}\"\nsize = 2\nstride = 2\n"),
        other => format!("type = \"{other}\"\n"),
    };
    let mut e = edit_params(net, i, &text)?;
    // A name convscope generated (`conv_new1`) follows the new kind (`relu_new1`); a name from a
    // spec or a model is the user's and stays.
    let old = &net.layers[i];
    let generated = old
        .name
        .strip_prefix(old.kind.type_name())
        .and_then(|rest| rest.strip_prefix("_new"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if generated && old.kind.type_name() != kind {
        let name = unique_name(&e.net, kind);
        e.net.layers[i].name = name;
    }
    Ok(e)
}

fn no_layer(i: usize) -> ModelError {
    ModelError::layer(
        i.to_string(),
        Kind::Layer(crate::nn::ErrorKind::UnknownInput { name: i.to_string() }),
    )
}

/// The key of a `key =` line with no value, when the text has one (the editor's usual typo).
fn empty_value(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        let k = k.trim();
        (v.trim().is_empty()
            && !k.is_empty()
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| k.to_string())
    })
}

/// What a key's value must be, in words.
fn needs(key: &str) -> &'static str {
    match key {
        "pad" => "a number, [top, left, bottom, right], \"same\" or \"valid\"",
        "size" | "stride" | "dilation" => "a number or [rows, cols]",
        "bias" | "ceil_mode" | "count_include_pad" | "strict" => "true or false",
        "init" | "weights" | "type" => "a quoted word",
        _ => "a number",
    }
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
) -> Result<Edited> {
    let old = analyze(net)?;
    let probe =
        Network { layers: layers.iter().map(shapes_only).collect(), ..net.clone_without_layers() };
    let shapes = analyze(&probe)?;
    // The edited network, weights and every kept volume, must fit before anything is generated:
    // the check never allocates what it would then refuse.
    budget::check(|| "the edited network (weights and every volume)".into(), shapes.pass_bytes())?;
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
    let mut new_net = Network { layers, ..net.clone_without_layers() };
    // Other names follow their layer by its (unique) name; a deleted layer's go with it.
    new_net.aliases = net
        .aliases
        .iter()
        .filter_map(|(a, s)| match *s {
            Src::Input => Some((a.clone(), Src::Input)),
            Src::Layer(k) => {
                let name = &net.layers.get(k)?.name;
                let j = new_net.layers.iter().position(|l| &l.name == name)?;
                Some((a.clone(), Src::Layer(j)))
            }
        })
        .collect();
    let analysis = analyze(&new_net)?;
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
    Ok(Edited { net: new_net, analysis, target: from, changed, reinitialized })
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

/// Undo and redo over whole networks (cheap: weights are shared), at most [`MAX_UNDO`] deep,
/// each step with the words that name it (`conv1: stride 4 → 2`).
#[derive(Debug, Default)]
pub struct History {
    undo: Vec<(Network, String)>,
    redo: Vec<(Network, String)>,
}

impl History {
    /// Remember `before` as the state an undo of the edit `what` returns to.
    pub fn push(&mut self, before: Network, what: String) {
        self.undo.push((before, what));
        if self.undo.len() > MAX_UNDO {
            self.undo.remove(0);
        }
        self.redo.clear();
    }
    /// Step back: returns the network to show and the edit undone, given the current one.
    pub fn undo(&mut self, current: Network) -> Option<(Network, String)> {
        let (prev, what) = self.undo.pop()?;
        self.redo.push((current, what.clone()));
        Some((prev, what))
    }
    /// Step forward again: the network and the edit redone.
    pub fn redo(&mut self, current: Network) -> Option<(Network, String)> {
        let (next, what) = self.redo.pop()?;
        self.undo.push((current, what.clone()));
        Some((next, what))
    }
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }
    /// How many edits can be undone.
    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
    /// The edit an undo would take back.
    pub fn last_edit(&self) -> Option<&str> {
        self.undo.last().map(|(_, w)| w.as_str())
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
        assert_eq!(e.target, 0);
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
        let msg = |text: &str| edit_params(&net, 0, text).unwrap_err().message_for("conv1");
        let e = edit_params(&net, 0, "filters = 96\nsize = 11\nstride = 0\n").unwrap_err();
        assert!(matches!(&e.kind, Kind::Value { key, .. } if key == "stride"), "{e:?}");
        assert_eq!(e.message_for("conv1"), "stride 0 is not allowed (S ≥ 1)");
        assert_eq!(
            msg("filters = 96\nsize = 11\nstride = 5\nstrict = true\n"),
            "rows: (227 − 11 + 2·0)/5 + 1 = 44.2 does not fit (strict)"
        );
        let e = edit_params(&net, 0, "filters = \n").unwrap_err();
        assert_eq!(e.kind, Kind::Empty { key: "filters".into(), what: "a number" });
        assert_eq!(e.message_for("conv1"), "filters needs a number");
        let e = edit_params(&net, 0, "filters = [\n").unwrap_err();
        assert!(matches!(e.kind, Kind::Toml { line: 1, .. }), "{e:?}");
        let e = edit_params(&net, 0, "size = 11\nstride = 4\n").unwrap_err();
        assert_eq!(e.kind, Kind::Missing { key: "filters".into() });
        let e = msg("size = 300\nfilters = 2\n");
        assert!(e.contains("size 300") && e.contains("padded input 227"), "{e}");
    }

    /// The live editor's typos that used to abort the explorer: each is refused by the check
    /// before a weight is generated.
    #[test]
    fn edits_too_large_to_hold_are_refused_before_anything_is_allocated() {
        use crate::nn::ErrorKind;
        use crate::nn::geometry::GeomError;
        let net = alexnet();
        let too_big = |e: &ModelError| {
            matches!(
                e.kind,
                Kind::Layer(ErrorKind::Geometry(GeomError::TooManyValues { .. })) | Kind::Budget(_)
            )
        };
        // pad = 1000 on conv1 grows every volume after it, and fc6 to billions of weights.
        let e =
            edit_params(&net, 0, "filters = 96\nsize = 11\nstride = 4\npad = 1000\n").unwrap_err();
        assert!(too_big(&e), "{e}");
        let e = edit_params(&net, 0, "filters = 960000\nsize = 11\nstride = 4\n").unwrap_err();
        assert!(too_big(&e), "{e}");
        assert!(e.to_string().contains("conv1"), "{e}");
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
    fn a_generated_name_follows_the_new_kind_and_a_given_one_stays() {
        let net = alexnet();
        let a = analyze(&net).unwrap();
        let e = insert_after(&net, 0, "relu", &a).unwrap();
        assert_eq!(e.net.layers[1].name, "relu_new1");
        let e = change_kind(&e.net, 1, "maxpool", &e.analysis).unwrap();
        assert_eq!(e.net.layers[1].name, "maxpool_new1");
        let e = change_kind(&net, 1, "conv", &a).unwrap();
        assert_eq!(e.net.layers[1].name, "relu1", "a preset's name is kept");
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
        h.push(net.clone(), "conv1: stride 4 → 2".into());
        assert_eq!(h.last_edit(), Some("conv1: stride 4 → 2"));
        let (back, what) = h.undo(e.net.clone()).unwrap();
        assert_eq!(what, "conv1: stride 4 → 2");
        assert_eq!(analyze(&back).unwrap().layers[0].output, Shape3::new(55, 55, 96));
        let (fwd, _) = h.redo(back).unwrap();
        assert_eq!(analyze(&fwd).unwrap().layers[0].output, Shape3::new(109, 109, 96));
        assert!(h.can_undo() && !h.can_redo());
    }

    #[test]
    fn history_keeps_at_most_max_undo_steps() {
        let net = load("cs231n-demo", WeightMode::Full).unwrap();
        let mut h = History::default();
        for i in 0..MAX_UNDO + 3 {
            h.push(net.clone(), format!("edit {i}"));
        }
        let mut n = 0;
        let mut cur = net;
        while let Some((prev, _)) = h.undo(cur) {
            cur = prev;
            n += 1;
        }
        assert_eq!(n, MAX_UNDO);
    }
}
