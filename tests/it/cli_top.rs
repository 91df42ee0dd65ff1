//! The built-in trained model through the real binary: its summary and its top-5.

use super::common;

fn convscope(args: &[&str]) -> (i32, String, String) {
    let r = common::convscope(args);
    (r.code, r.stdout, r.stderr)
}

#[test]
fn the_default_model_sees_a_cat_in_the_default_photo() {
    // No photo given: the built-in cat.
    let (code, out, err) = convscope(&["top", "-m", "efficientnet-lite0", "-k", "3"]);
    assert_eq!(code, 0, "{err}");
    let first = out.lines().next().unwrap_or_default();
    assert!(first.contains("cat") && first.contains("class 28"), "{out}");
    assert_eq!(out.lines().count(), 3);
}

#[test]
fn efficientnet_summary_runs_from_stem_to_head() {
    let (code, out, err) = convscope(&["summary", "-m", "efficientnet-lite0", "--json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let layers = j["layers"].as_array().unwrap();
    let convs: Vec<_> = layers.iter().filter(|l| l["type"] == "conv").collect();
    assert_eq!(convs.len(), 49);
    assert_eq!(convs.iter().filter(|l| l["groups"].as_u64() > Some(1)).count(), 16, "depthwise");
    assert_eq!(convs[0]["output"], serde_json::json!([112, 112, 32]));
    assert_eq!(convs[48]["output"], serde_json::json!([7, 7, 1280]));
    assert_eq!(layers.iter().filter(|l| l["type"] == "add").count(), 9);
    assert_eq!(j["network_depth"], 50);
}
