//! Real trained models from published packages against onnxruntime, node by node. The models
//! and their references (several GB, made by a throwaway venv) are not in the repository: set
//! `CONVSCOPE_REAL_MODELS` to a folder holding `onnx/<id>.onnx` and `refs/<id>/{random,photo}.npz`
//! plus `refs/<id>/meta.json`, then `cargo test --release real_models -- --nocapture`.
//! Without it the test checks nothing and says so.

use super::refcheck::{Outcome, check as compare, read_input};
use convscope::model::onnx::{SizeRequest, import_with};
use convscope::nn::Origin;
use std::path::Path;

fn check(root: &Path, id: &str, kind: &str) -> Result<Outcome, String> {
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(format!("refs/{id}/meta.json")))
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let shape: Vec<usize> = meta["input_shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let (h, w) = if meta["layout"] == "NHWC" { (shape[1], shape[2]) } else { (shape[2], shape[3]) };
    let bytes = std::fs::read(root.join(format!("onnx/{id}.onnx"))).map_err(|e| e.to_string())?;
    let req = SizeRequest { given: Some((h, w)), ..Default::default() };
    let imp = import_with(&bytes, id, None, Origin::None, &req)
        .or_else(|_| import_with(&bytes, id, None, Origin::None, &SizeRequest::default()))
        .map_err(|e| e.to_string())?;
    let x = read_input(&root.join(format!("refs/{id}/{kind}_input.npy")))?;
    // A dynamically quantised model rounds each activation to 1/255 of its range: an upstream
    // difference of one float ulp can move a value across a rounding boundary (one step, 3.9e-3
    // of the range), and that step travels on. Such models get 1e-2.
    let tol = if id.contains("int8") { 1e-2 } else { 1e-3 };
    compare(&imp, x, &root.join(format!("refs/{id}/{kind}.npz")), tol)
}

#[test]
fn real_models_match_onnxruntime_node_by_node() {
    let Some(root) = std::env::var_os("CONVSCOPE_REAL_MODELS") else {
        eprintln!("CONVSCOPE_REAL_MODELS is not set: no real models checked");
        return;
    };
    let root = Path::new(&root);
    let only = std::env::var("CONVSCOPE_REAL_ONLY").ok();
    let mut ids: Vec<String> = std::fs::read_dir(root.join("onnx"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".onnx").map(String::from))
        .filter(|id| only.as_ref().is_none_or(|o| o.split(',').any(|x| x == id)))
        .collect();
    ids.sort();
    let mut bad = Vec::new();
    for id in &ids {
        for kind in ["random", "photo"] {
            match check(root, id, kind) {
                Ok(o) => {
                    eprintln!(
                        "{id:32} {kind:6} {:4}/{:4} computed, {:4} compared, worst {:.1e} at {}",
                        o.computed, o.layers, o.compared, o.worst, o.worst_at
                    );
                    for f in o.failures.iter().take(5) {
                        eprintln!("    {f}");
                    }
                    if !o.failures.is_empty() {
                        bad.push(format!("{id} {kind}: {} failures", o.failures.len()));
                    }
                }
                Err(e) => {
                    eprintln!("{id:32} {kind:6} ERROR {e}");
                    bad.push(format!("{id} {kind}: {e}"));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}
