//! The demo ONNX models against onnxruntime's reference tensors (tests/data/reference, see its
//! manifest.json), and the import errors a user can meet.

use convscope::model::onnx::proto::{
    GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorShapeProto, TypeProto,
    ValueInfoProto, tensor_shape_proto, type_proto,
};
use convscope::model::onnx::{SizeRequest, load_onnx, load_onnx_bytes, load_onnx_with};
use convscope::nn::analysis::analyze;
use convscope::nn::forward::forward;
use convscope::nn::{Hint, Network, Shape3, Tensor};
use prost::Message;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_f32(name: &str) -> Vec<f32> {
    let bytes = std::fs::read(root().join("tests/data/reference").join(name)).unwrap();
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// max |ours − ref| / max |ref|.
fn normalised_error(ours: &[f32], reference: &[f32]) -> f32 {
    assert_eq!(ours.len(), reference.len());
    let max_err = ours.iter().zip(reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    let max_ref = reference.iter().map(|b| b.abs()).fold(0.0, f32::max);
    max_err / max_ref
}

/// Run `net` on a reference input (ONNX order) and return the named layers' outputs, which
/// are stored in ONNX order too.
fn run(net: &Network, input: &str, layers: &[&str]) -> Vec<Vec<f32>> {
    let x = Tensor::f32(&net.input.dims, read_f32(input));
    let acts = forward(net, x).unwrap();
    layers
        .iter()
        .map(|name| {
            let i = net.find(name).unwrap_or_else(|| panic!("no layer {name}"));
            acts.output(i).floats()
        })
        .collect()
}

#[test]
fn efficientnet_stem_and_logits_match_onnxruntime() {
    let net = load_onnx(&root().join("demo/models/efficientnet_lite0.onnx")).unwrap();
    assert_eq!(net.input.shape, Shape3::new(224, 224, 3));
    assert_eq!(net.layers.iter().filter(|l| l.kind.type_name() == "conv").count(), 49);
    let labels = net.labels.as_ref().expect("labels from the sidecar");
    assert_eq!((labels.len(), labels[285].as_str()), (1000, "Egyptian cat"));
    let out = run(
        &net,
        "effl0_chelsea_input.f32",
        &["stem_relu6", net.layers.last().unwrap().name.as_str()],
    );
    let stem = normalised_error(&out[0], &read_f32("effl0_chelsea_stem_relu6.f32"));
    let logits = normalised_error(&out[1], &read_f32("effl0_chelsea_logits.f32"));
    eprintln!("efficientnet normalised error: stem_relu6 {stem:e}, logits {logits:e}");
    assert!(stem < 1e-4 && logits < 1e-4, "stem {stem}, logits {logits}");
    let top = out[1].iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
    assert_eq!(top, 285, "Egyptian cat");
}

#[test]
fn pnet_prelu1_and_face_prob_match_onnxruntime() {
    // H and W are open in the file; the reference tensors are 51×51.
    let req = SizeRequest { given: Some((51, 51)), ..Default::default() };
    let net = load_onnx_with(&root().join("demo/models/mtcnn_pnet.onnx"), &req).unwrap();
    assert_eq!(net.input.shape, Shape3::new(51, 51, 3));
    let out = run(&net, "pnet_astronaut51_input.f32", &["prelu1", "face_prob"]);
    let prelu = normalised_error(&out[0], &read_f32("pnet_astronaut51_prelu1.f32"));
    let face = normalised_error(&out[1], &read_f32("pnet_astronaut51_face_prob.f32"));
    eprintln!("p-net normalised error: prelu1 {prelu:e}, face_prob {face:e}");
    assert!(prelu < 1e-4 && face < 1e-4, "prelu1 {prelu}, face_prob {face}");
}

// ---- errors: one clear line each ----

fn one_line(e: &convscope::model::ModelError) -> String {
    let s = e.to_string();
    assert!(!s.contains('\n'), "not one line: {s}");
    s
}

#[test]
fn a_corrupt_file_is_a_clear_error() {
    let e = load_onnx_bytes(b"this is not a protobuf \xff\xff\xff\xff", "junk.onnx").unwrap_err();
    let s = one_line(&e);
    assert!(
        s.starts_with("junk.onnx: not a valid ONNX file")
            || s.starts_with("junk.onnx: not an ONNX model"),
        "{s}"
    );
    let e = load_onnx_bytes(b"", "empty.onnx").unwrap_err();
    assert!(one_line(&e).contains("not an ONNX model"), "{e}");
}

#[test]
fn a_truncated_file_is_a_clear_error() {
    let bytes = std::fs::read(root().join("demo/models/mtcnn_pnet.onnx")).unwrap();
    // Every cut gives an error, never a panic or a half network.
    for cut in (1..bytes.len()).step_by(97) {
        let e = load_onnx_bytes(&bytes[..cut], "pnet.onnx").unwrap_err();
        let s = one_line(&e);
        assert!(s.starts_with("pnet.onnx: "), "{s}");
    }
    let e = load_onnx_bytes(&bytes[..bytes.len() / 2], "pnet.onnx").unwrap_err();
    assert!(one_line(&e).contains("truncated"), "{e}");
}

fn dims(d: &[i64]) -> Option<TypeProto> {
    let dim = d
        .iter()
        .map(|&v| tensor_shape_proto::Dimension {
            value: Some(tensor_shape_proto::dimension::Value::DimValue(v)),
            ..Default::default()
        })
        .collect();
    Some(TypeProto {
        value: Some(type_proto::Value::TensorType(type_proto::Tensor {
            elem_type: Some(1),
            shape: Some(TensorShapeProto { dim }),
        })),
        ..Default::default()
    })
}

fn tiny_model(input: &[i64], nodes: &[(&str, &str)]) -> Vec<u8> {
    let mut prev = "x".to_string();
    let node = nodes
        .iter()
        .map(|(op, name)| {
            let n = NodeProto {
                op_type: Some(op.to_string()),
                name: Some(name.to_string()),
                input: vec![prev.clone()],
                output: vec![name.to_string()],
                ..Default::default()
            };
            prev = name.to_string();
            n
        })
        .collect();
    let graph = GraphProto {
        name: Some("tiny".into()),
        node,
        input: vec![ValueInfoProto {
            name: Some("x".into()),
            r#type: dims(input),
            ..Default::default()
        }],
        output: vec![ValueInfoProto { name: Some(prev), ..Default::default() }],
        ..Default::default()
    };
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto { domain: Some(String::new()), version: Some(13) }],
        graph: Some(graph),
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn an_op_convscope_cannot_compute_opens_and_says_so() {
    let bytes = tiny_model(
        &[1, 3, 8, 8],
        &[("Relu", "r"), ("FancyNewOp", "odd"), ("Tanh", "t1"), ("Tanh", "t2")],
    );
    let net = load_onnx_bytes(&bytes, "tiny.onnx").unwrap();
    let a = analyze(&net).unwrap();
    let not: Vec<(usize, &str)> = a.not_computable().collect();
    assert_eq!(not.len(), 3, "{not:?}");
    assert!(not[0].1.contains("FancyNewOp 'odd'"), "{not:?}");
    assert!(not[1].1.contains("needs odd"), "{not:?}");
    assert!(a.layers[0].computed());
    // The layers that do compute, compute.
    let x = Tensor::f32(&[1, 3, 8, 8], (0..192).map(|v| v as f32 - 96.0).collect());
    let acts = forward(&net, x).unwrap();
    assert!(acts.output(0).floats().iter().all(|&v| v >= 0.0));
}

#[test]
fn a_fixed_batch_of_two_is_a_tensor_not_a_photo() {
    let bytes = tiny_model(&[2, 3, 8, 8], &[("Relu", "r")]);
    let net = load_onnx_bytes(&bytes, "b2.onnx").unwrap();
    assert_eq!(net.input.dims, [2, 3, 8, 8]);
    assert!(!net.input.takes_photo());
    assert!(analyze(&net).unwrap().layers[0].computed(), "relu takes any rank");
    // An open batch is batch 1.
    let ok = load_onnx_bytes(&tiny_model(&[-1, 3, 8, 8], &[("Relu", "r")]), "b1.onnx").unwrap();
    assert_eq!(ok.input.dims, [1, 3, 8, 8]);
}

#[test]
fn an_nhwc_input_takes_photos_channels_last() {
    let bytes = tiny_model(&[1, 24, 32, 3], &[("Relu", "r")]);
    let net = load_onnx_bytes(&bytes, "nhwc.onnx").unwrap();
    assert_eq!((net.input.hint, net.input.shape), (Hint::ChannelsLast, Shape3::new(24, 32, 3)));
    assert!(net.input.takes_photo());
    // A photo's (D, H, W) volume lands in the tensor as [1, H, W, C].
    let v = ndarray::Array3::from_shape_fn((3, 24, 32), |(c, r, k)| (c * 1000 + r * 32 + k) as f32);
    let t = net.input.from_volume(v);
    assert_eq!(t.dims(), [1, 24, 32, 3]);
    let f = t.floats();
    assert_eq!(f[(5 * 32 + 7) * 3 + 2], (2000 + 5 * 32 + 7) as f32);
}

#[test]
fn pnet_runs_at_any_size() {
    let path = root().join("demo/models/mtcnn_pnet.onnx");
    let req = SizeRequest { given: Some((37, 53)), ..Default::default() };
    let net = load_onnx_with(&path, &req).unwrap();
    assert_eq!(net.input.dims, [1, 3, 37, 53]);
    assert_eq!(net.input.size_from.as_deref(), Some("--size"));
    let a = analyze(&net).unwrap();
    let face = net.find("face_prob").expect("found by its output tensor name");
    // conv1 3×3 → 35×51, pool 2 s2 (ceil) → 18×26, conv2 → 16×24, conv3 → 14×22.
    assert_eq!(a.layers[face].dims, [1, 2, 14, 22]);
    let photo = SizeRequest { photo: Some((120, 90)), ..Default::default() };
    let net = load_onnx_with(&path, &photo).unwrap();
    assert_eq!(net.input.dims, [1, 3, 120, 90], "the photo's own size");
    assert!(net.input.size_from.as_deref().unwrap().contains("photo"));
}

#[test]
fn missing_file_names_the_path() {
    let e = load_onnx(Path::new("/no/such/model.onnx")).unwrap_err();
    assert!(one_line(&e).starts_with("/no/such/model.onnx: cannot read the model"), "{e}");
}

/// The figure for the notes: `cargo test --release --test onnx_models -- --ignored --nocapture`.
#[test]
#[ignore = "timing; run in release"]
fn efficientnet_load_and_forward_time() {
    let path = root().join("demo/models/efficientnet_lite0.onnx");
    let input = read_f32("effl0_chelsea_input.f32");
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..5 {
        let t0 = std::time::Instant::now();
        let net = load_onnx(&path).unwrap();
        let t1 = std::time::Instant::now();
        forward(&net, Tensor::f32(&net.input.dims, input.clone())).unwrap();
        let t2 = std::time::Instant::now();
        best = (best.0.min((t1 - t0).as_secs_f64()), best.1.min((t2 - t1).as_secs_f64()));
    }
    eprintln!(
        "efficientnet-lite0: load {:.1} ms, forward {:.1} ms (best of 5)",
        best.0 * 1e3,
        best.1 * 1e3
    );
    assert!(best.0 + best.1 < 1.0);
}

/// Top-k classes of a demo photo through the whole pipeline: sidecar preprocessing, crop, resize,
/// EfficientNet-Lite0.
fn top_k(image: &str, k: usize) -> Vec<(usize, String, f32)> {
    use convscope::model::image_input::load_input;
    let net = load_onnx(&root().join("demo/models/efficientnet_lite0.onnx")).unwrap();
    let (x, _) = load_input(&net, Some(&root().join("demo/images").join(image)), None).unwrap();
    let acts = forward(&net, x).unwrap();
    let logits: Vec<f32> = acts.last().unwrap().to_f32().into_iter().collect();
    let m = logits.iter().copied().fold(f32::MIN, f32::max);
    let z: f32 = logits.iter().map(|l| (l - m).exp()).sum();
    let mut p: Vec<(usize, f32)> = logits.iter().map(|l| (l - m).exp() / z).enumerate().collect();
    p.sort_by(|a, b| b.1.total_cmp(&a.1));
    let labels = net.labels.unwrap();
    p.into_iter().take(k).map(|(i, q)| (i, labels[i].clone(), q)).collect()
}

#[test]
fn chelsea_is_a_cat() {
    let top = top_k("chelsea.png", 5);
    eprintln!("chelsea: {top:?}");
    // ImageNet 281..=285: tabby, tiger cat, Persian, Siamese, Egyptian cat.
    assert!((281..=285).contains(&top[0].0), "{top:?}");
}

#[test]
fn coffee_is_espresso_and_rocket_shows_missile() {
    let coffee = top_k("coffee.png", 5);
    eprintln!("coffee: {coffee:?}");
    assert_eq!(coffee[0].1, "espresso", "{coffee:?}");
    let rocket = top_k("rocket.jpg", 5);
    eprintln!("rocket: {rocket:?}");
    assert!(rocket.iter().any(|(_, l, _)| l == "missile"), "{rocket:?}");
}

#[test]
fn a_constant_that_varies_over_rows_is_added_with_broadcasting() {
    use convscope::model::onnx::proto::TensorProto;
    let mut m = ModelProto::decode(tiny_model(&[1, 3, 2, 2], &[("Relu", "r")]).as_slice()).unwrap();
    let g = m.graph.as_mut().unwrap();
    g.initializer.push(TensorProto {
        name: Some("c".into()),
        dims: vec![1, 1, 2, 2],
        data_type: Some(1),
        float_data: vec![0.0, 10.0, 20.0, 30.0],
        ..Default::default()
    });
    g.node.push(NodeProto {
        op_type: Some("Add".into()),
        name: Some("plus".into()),
        input: vec!["r".into(), "c".into()],
        output: vec!["y".into()],
        ..Default::default()
    });
    g.output[0].name = Some("y".into());
    let net = load_onnx_bytes(&m.encode_to_vec(), "c.onnx").unwrap();
    let x = Tensor::f32(&[1, 3, 2, 2], (0..12).map(|v| v as f32).collect());
    let acts = forward(&net, x).unwrap();
    // relu(x) + c, c broadcast over the 3 channels: channel 1 is 4, 5, 6, 7 + 0, 10, 20, 30.
    assert_eq!(acts.output(1).floats()[4..8], [4.0, 15.0, 26.0, 37.0]);
}

/// A recogniser-shaped graph: its height must pool down to exactly 1 row (32 ≤ H < 64), then
/// Squeeze drops that axis; H and W are open.
fn recogniser() -> Vec<u8> {
    use crate::onnx_build::{int, ints, model, node};
    let nodes = vec![
        node(
            "MaxPool",
            &["x"],
            "pool",
            vec![ints("kernel_shape", &[32, 4]), ints("strides", &[32, 4])],
        ),
        node("Squeeze", &["pool"], "seq", vec![ints("axes", &[2])]),
        node("Softmax", &["seq"], "prob", vec![int("axis", 1)]),
    ];
    model(&[1, 1, -1, -1], nodes, vec![], 11)
}

#[test]
fn a_chosen_size_that_misfits_is_searched_and_a_given_one_is_kept() {
    use convscope::model::onnx::{SizeRequest, import_with};
    use convscope::nn::Origin;
    let bytes = recogniser();
    let computed = |n: &Network| analyze(n).unwrap().not_computable().count();
    // The default 224×224 pools to 7 rows, which Squeeze cannot drop: 32 rows is the first
    // height that computes every node.
    let imp = import_with(&bytes, "rec", None, Origin::None, &SizeRequest::default()).unwrap();
    assert_eq!(imp.network.input.dims, [1, 1, 32, 224]);
    assert_eq!(computed(&imp.network), 0);
    let from = imp.network.input.size_from.clone().unwrap();
    assert!(from.starts_with("a search: 224×224 left 2 nodes not computable"), "{from}");
    // A photo keeps its aspect: 300×450 → 32 rows × 48 cols.
    let photo = SizeRequest { photo: Some((300, 450)), ..SizeRequest::default() };
    let imp = import_with(&bytes, "rec", None, Origin::None, &photo).unwrap();
    assert_eq!(imp.network.input.dims, [1, 1, 32, 48]);
    // A size the user gave is never changed: the misfit stays, greyed, with its reason.
    let given = SizeRequest { given: Some((224, 224)), ..SizeRequest::default() };
    let imp = import_with(&bytes, "rec", None, Origin::None, &given).unwrap();
    assert_eq!(imp.network.input.dims, [1, 1, 224, 224]);
    assert_eq!(computed(&imp.network), 2);
}
