//! `convscope summary` and `presets` on the real binary.

use super::common;

fn convscope(args: &[&str]) -> (i32, String, String) {
    let r = common::convscope(args);
    (r.code, r.stdout, r.stderr)
}

fn json(model: &str) -> serde_json::Value {
    let (code, out, err) = convscope(&["summary", "-m", model, "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn layer<'a>(j: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    j["layers"].as_array().unwrap().iter().find(|l| l["name"] == name).unwrap()
}

#[test]
fn alexnet_conv1_row_shows_shape_params_and_formula() {
    let (code, out, err) = convscope(&["summary", "-m", "alexnet"]);
    assert_eq!(code, 0, "{err}");
    let row = out.lines().find(|l| l.contains(" conv1 ")).expect(&out);
    assert!(row.contains("227×227×3"), "{row}");
    assert!(row.contains("55×55×96"), "{row}");
    assert!(row.contains("34,944"), "{row}");
    assert!(row.contains("(227 − 11 + 2·0)/4 + 1 = 55"), "{row}");
    assert!(out.contains("network depth 8"), "{out}");
}

#[test]
fn alexnet_json_agrees_with_the_paper() {
    let j = json("alexnet");
    let c1 = layer(&j, "conv1");
    assert_eq!(c1["output"], serde_json::json!([55, 55, 96]));
    assert_eq!(c1["params"], 34944);
    // 55·55·96 neurons, each 11·11·3 multiply-adds.
    assert_eq!(c1["macs"], 55 * 55 * 96 * 11 * 11 * 3);
    assert_eq!(layer(&j, "pool5")["output"], serde_json::json!([6, 6, 256]));
    assert_eq!(layer(&j, "fc8")["output"], serde_json::json!([1, 1, 1000]));
    // conv2 is split in two groups: each filter spans 96/2 = 48 channels.
    assert_eq!(layer(&j, "conv2")["filter"], serde_json::json!([5, 5, 48]));
    assert_eq!(j["total_params"], 60_965_224u64);
}

#[test]
fn cs231n_examples_have_their_shapes() {
    let j = json("cs231n-numpy");
    assert_eq!(layer(&j, "conv1")["output"], serde_json::json!([4, 4, 2]));
    assert_eq!(layer(&j, "conv1")["formula"], "(11 − 5 + 2·0)/2 + 1 = 4");
    let j = json("cs231n-demo");
    assert_eq!(layer(&j, "conv1")["output"], serde_json::json!([3, 3, 2]));
    let j = json("cifar");
    assert_eq!(layer(&j, "conv1")["output"], serde_json::json!([32, 32, 12]));
    assert_eq!(layer(&j, "fc")["output"], serde_json::json!([1, 1, 10]));
}

#[test]
fn vgg16_has_138_million_params() {
    let j = json("vgg16");
    assert_eq!(j["total_params"], 138_357_544u64);
    assert_eq!(j["network_depth"], 16);
    assert_eq!(layer(&j, "pool5")["output"], serde_json::json!([7, 7, 512]));
    // Receptive field of pool5: 212 px (the well-known VGG16 figure), jump 32.
    assert_eq!(layer(&j, "pool5")["receptive_field"]["size"], serde_json::json!([212, 212]));
    assert_eq!(layer(&j, "pool5")["receptive_field"]["jump"], serde_json::json!([32, 32]));
}

#[test]
fn presets_lists_each_one_on_a_line() {
    let (code, out, _) = convscope(&["presets"]);
    assert_eq!(code, 0);
    for name in ["cs231n-demo", "cs231n-numpy", "cifar", "alexnet", "vgg16"] {
        assert_eq!(out.lines().filter(|l| l.starts_with(name)).count(), 1, "{name}: {out}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_convscope"))
        .args(["summary", "-m", "efficientnet-lite0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader is gone now (like `| head -1`).
    let out = child.wait_with_output().unwrap();
    assert!(first.contains("efficientnet-lite0"), "{first}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}
