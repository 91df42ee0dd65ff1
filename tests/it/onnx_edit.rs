//! Live edits of ONNX layers (ConvTranspose, Resize, Pad) and of an open-size model's input,
//! checked against onnxruntime-made outputs: editing one ONNX backend case into another's
//! attributes must reproduce the other case's output exactly.

use crate::onnx_conformance::{agree, read_tensor};
use convscope::model::edit::edit_params;
use convscope::model::edit_input::{input_text, resize_input};
use convscope::model::onnx::{Imported, import};
use convscope::model::{LoadOptions, WeightMode, load_with};
use convscope::nn::forward::forward;
use convscope::nn::{Network, Origin, Src};
use std::path::PathBuf;

fn case(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx/node").join(name)
}

fn open(name: &str) -> Imported {
    let bytes = std::fs::read(case(name).join("model.onnx")).unwrap();
    import(&bytes, name, None, Origin::None).unwrap()
}

/// The one op layer of a backend case.
fn the_layer(net: &Network) -> usize {
    assert_eq!(net.layers.len(), 1, "{:?}", net.layers.iter().map(|l| &l.name).collect::<Vec<_>>());
    0
}

/// Edit case `from` with `text`, run it on case `to`'s input, and compare with `to`'s output.
fn edited_matches(from: &str, text: &str, to: &str) {
    let imp = open(from);
    let i = the_layer(&imp.network);
    let e = edit_params(&imp.network, i, text).unwrap_or_else(|e| panic!("{from}: {e}"));
    let set = case(to).join("test_data_set_0");
    let x = read_tensor(&set.join("input_0.pb")).unwrap();
    let acts = forward(&e.net, x).unwrap();
    let want = read_tensor(&set.join("output_0.pb")).unwrap();
    agree(&format!("{from} edited to {to}"), acts.get(Src::Layer(i)), &want).unwrap();
    // And the edit changed the shape rule, not only the numbers: the analysis agrees.
    assert_eq!(e.analysis.layers[i].dims, want.dims()[..].to_vec());
}

#[test]
fn conv_transpose_stride_and_pads_edited_reproduce_the_pads_case() {
    // Both cases: X = 0..9 as 3×3, W = ones(1, 2, 3, 3).
    edited_matches(
        "test_convtranspose",
        "stride = [3, 2]\npad = [1, 2, 1, 2]\n",
        "test_convtranspose_pads",
    );
}

#[test]
fn pad_mode_edited_from_edge_to_reflect() {
    edited_matches(
        "test_edge_pad",
        "mode = \"reflect\"\npads = [0, 0, 1, 1, 0, 0, 1, 1]\n",
        "test_reflect_pad",
    );
}

#[test]
fn resize_mode_and_scales_edited_from_nearest_to_linear() {
    edited_matches(
        "test_resize_upsample_scales_nearest",
        "mode = \"linear\"\nscales = [1.0, 1.0, 2.0, 2.0]\n",
        "test_resize_upsample_scales_linear",
    );
}

#[test]
fn the_editor_text_round_trips_and_names_bad_values() {
    use convscope::model::to_spec::params_text;
    for name in
        ["test_convtranspose_pads", "test_reflect_pad", "test_resize_upsample_scales_linear"]
    {
        let imp = open(name);
        let text = params_text(&imp.network.layers[0]);
        assert!(!text.is_empty(), "{name}");
        let e = edit_params(&imp.network, 0, &text).unwrap();
        assert_eq!(e.net.layers[0].kind, imp.network.layers[0].kind, "{name}: {text}");
        assert!(e.changed.is_empty(), "{name}");
    }
    let net = open("test_convtranspose").network;
    let msg = |t: &str| edit_params(&net, 0, t).unwrap_err().message_for(&net.layers[0].name);
    assert_eq!(msg("stride = 0\n"), "stride 0 is not allowed (a whole number from 1 to 1048576)");
    assert!(msg("groups = 2\n").contains("`groups` does not apply"), "{}", msg("groups = 2\n"));
    assert!(msg("pad = 1\nauto_pad = \"VALID\"\n").contains("not both"));
    let net = open("test_resize_upsample_scales_nearest").network;
    let m = edit_params(&net, 0, "mode = \"bicubic\"\n").unwrap_err().to_string();
    assert!(m.contains("bicubic"), "{m}");
    let m = edit_params(&net, 0, "scales = [1.0, 2.0]\n").unwrap_err().to_string();
    assert!(m.contains("4 values"), "{m}");
}

#[test]
fn ops_without_parameters_say_so() {
    let imp = open("test_reshape_extended_dims");
    let m = edit_params(&imp.network, 0, "").unwrap_err().to_string();
    assert!(m.contains("reshape layer has no parameters to edit"), "{m}");
}

fn pnet() -> Network {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("demo/models/mtcnn_pnet.onnx");
    load_with(&path.to_string_lossy(), WeightMode::Full, &LoadOptions::default()).unwrap()
}

#[test]
fn an_open_input_size_is_edited_like_size_on_the_command_line() {
    let net = pnet();
    assert!(input_text(&net).unwrap().starts_with("size = ["));
    let e = resize_input(&net, "size = [37, 53]\n").unwrap();
    let path = net.source.clone().unwrap();
    let opts = LoadOptions { size: Some((37, 53)), ..LoadOptions::default() };
    let want = load_with(&path.to_string_lossy(), WeightMode::Full, &opts).unwrap();
    let want = convscope::nn::analysis::analyze(&want).unwrap();
    assert_eq!(e.analysis.input_dims, want.input_dims);
    let dims = |a: &convscope::nn::analysis::Analysis| {
        a.layers.iter().map(|l| l.dims.clone()).collect::<Vec<_>>()
    };
    assert_eq!(dims(&e.analysis), dims(&want));
    assert!(!e.changed.is_empty());
    assert_eq!(e.net.input.size_from.as_deref(), Some(convscope::model::edit_input::FROM_EDITOR));
    for (text, needle) in [
        ("size = 0\n", "size 0 is not allowed"),
        ("size = [5, 100000]\n", "each side from 1 to 16384"),
        ("size = \"12 by 12\"\n", "[H, W], one number"),
        ("depth = 4\n", "`depth` does not apply"),
        ("size = [16384, 16384]\n", "conv1: at 16384×16384: output 16382×16382×10"),
    ] {
        let m = resize_input(&net, text).unwrap_err().to_string();
        assert!(m.contains(needle), "{text}: {m}");
    }
}

#[test]
fn a_fixed_input_is_not_editable() {
    let net = convscope::model::load("alexnet", WeightMode::ShapesOnly).unwrap();
    assert!(input_text(&net).is_none());
    let m = resize_input(&net, "size = [32, 32]\n").unwrap_err().to_string();
    assert!(m.contains("fixed at"), "{m}");
}
