//! Relu and clip layers are lazy views: a pass stores nothing for them, a conv that reads one
//! applies the activation as it reads (so does a max pool), and anything else computes the view
//! on first use. Each
//! check recomputes every layer on its own from its (materialized) inputs with the layer's own
//! code, and wants the pass's output bit for bit: a view read by a conv, a view read by a pool,
//! a view of a view and a clip that is not a view (its range leaves out 0) included.

use convscope::model::onnx::load_onnx;
use convscope::model::{WeightMode, from_spec, image_input, spec};
use convscope::nn::Network;
use convscope::nn::analysis::analyze;
use convscope::nn::forward::{Activations, Views, forward, forward_from_with, run_layer};
use std::path::PathBuf;

const SPEC: &str = r#"
name = "views"
seed = 3
[input]
shape = [12, 13, 5]

[[layer]]
name = "c1"
type = "conv"
filters = 8
size = 3
stride = 1
pad = 1
init = "random"
[[layer]]
name = "r1"
type = "relu"
[[layer]]
name = "dw"
type = "conv"
filters = 8
groups = 8
size = 3
stride = 2
pad = 1
init = "random"
[[layer]]
name = "r2"
type = "relu6"
[[layer]]
name = "pw"
type = "conv"
filters = 6
size = 1
stride = 1
pad = 0
init = "random"
[[layer]]
name = "r3"
type = "clip"
min = -0.5
max = 0.5
[[layer]]
name = "c3"
type = "conv"
filters = 4
size = 3
stride = 1
pad = 1
init = "random"
[[layer]]
name = "r4"
type = "relu"
[[layer]]
name = "pool"
type = "maxpool"
size = 2
stride = 2
[[layer]]
name = "r5"
type = "clip"
min = 0.1
max = 2.0
[[layer]]
name = "c4"
type = "conv"
filters = 4
size = 1
stride = 1
pad = 0
init = "random"
[[layer]]
name = "r6"
type = "relu"
[[layer]]
name = "r7"
type = "relu"
[[layer]]
name = "fc"
type = "fc"
outputs = 3
init = "random"
"#;

fn spec_net() -> Network {
    let s = spec::parse(SPEC, "views.toml").unwrap();
    from_spec::build(&s, "views", None, WeightMode::Full).unwrap()
}

/// Every layer of `acts` against the layer computed alone from its inputs.
fn assert_every_layer_exact(net: &Network, acts: &Activations) {
    let an = analyze(net).unwrap();
    for (i, layer) in net.layers.iter().enumerate() {
        let xs: Vec<_> = layer.inputs.iter().map(|&s| acts.get(s)).collect();
        let want = run_layer(layer, &an.layers[i], &xs).unwrap();
        let got = acts.output(i);
        assert_eq!(got.dims(), want.dims(), "{}", layer.name);
        assert_eq!(got.floats(), want.floats(), "{}: not the layer's own values", layer.name);
    }
}

#[test]
fn views_are_exact_and_computed_only_when_asked() {
    let net = spec_net();
    let (x, _) = image_input::load_input(&net, None, None).unwrap();
    let acts = forward(&net, x).unwrap();
    // r1, r2, r3, r4, r6, r7 are views (r5's range leaves out 0). r6 was computed by the relu
    // over it and r7 by the fc; the conv readers left r1, r2, r3 alone, and the max pool r4.
    let view = |name: &str| acts.is_view(net.find(name).unwrap());
    assert!(["r1", "r2", "r3", "r4", "r6", "r7"].iter().all(|n| view(n)));
    assert!(!view("r5") && !view("c1"));
    assert_eq!(acts.views(), (6, 4));
    // The first read computes the view; the values are the activation of its input.
    let (r1, c1) = (net.find("r1").unwrap(), net.find("c1").unwrap());
    let relu: Vec<f32> = acts.output(c1).floats().iter().map(|v| v.max(0.0)).collect();
    assert_eq!(acts.output(r1).floats(), relu);
    assert!(relu.contains(&0.0) && relu.iter().any(|&v| v > 0.0));
    assert_eq!(acts.views(), (6, 3));
    assert_every_layer_exact(&net, &acts);
    assert_eq!(acts.views(), (6, 0));
}

/// The explorer's pass computes each view as it is made (it reads every layer): same values.
#[test]
fn eager_pass_computes_every_view_with_the_same_values() {
    let net = spec_net();
    let an = analyze(&net).unwrap();
    let (x, _) = image_input::load_input(&net, None, None).unwrap();
    let eager = forward_from_with(&net, &an, x.clone(), &[], 0, &mut |_| true, Views::Eager)
        .unwrap()
        .unwrap();
    assert_eq!(eager.views(), (6, 0));
    let lazy = forward(&net, x).unwrap();
    for i in 0..net.layers.len() {
        assert_eq!(eager.output(i).floats(), lazy.output(i).floats(), "{}", net.layers[i].name);
    }
}

/// A clone shares the views: computing one through either computes it for both.
#[test]
fn clones_share_computed_views() {
    let net = spec_net();
    let (x, _) = image_input::load_input(&net, None, None).unwrap();
    let acts = forward(&net, x).unwrap();
    let copy = acts.clone();
    let r2 = net.find("r2").unwrap();
    let pending = acts.views().1;
    let _ = copy.output(r2);
    assert_eq!(acts.views(), (6, pending - 1));
    assert_eq!(acts.output(r2).floats(), copy.output(r2).floats());
}

/// The default model: its 33 relu6 layers are views, each read by a conv except the last
/// (read by the global pool); every layer is exact.
#[test]
fn efficientnet_views_are_exact() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let net = load_onnx(&root.join("demo/models/efficientnet_lite0.onnx")).unwrap();
    let photo = root.join("demo/images/chelsea.png");
    let (x, _) = image_input::load_input(&net, Some(&photo), None).unwrap();
    let acts = forward(&net, x).unwrap();
    assert_eq!(acts.views(), (33, 32));
    assert_every_layer_exact(&net, &acts);
}
