//! ONNX's own backend node test cases (and a few convscope graphs whose expected outputs come
//! from onnx.reference), run through the importer and the core's forward pass.
//!
//! The cases live in tests/data/onnx/node (see its README.md for the list and how each case was
//! adapted to batch 1); `tools/onnx/select_conformance.py` writes them.

use convscope::model::onnx::proto::TensorProto;
use convscope::model::onnx::tensor::Const;
use convscope::model::onnx::{Layout, import, volume_from_onnx, volume_to_onnx};
use convscope::nn::analysis::analyze;
use convscope::nn::forward::forward;
use convscope::nn::{Origin, Tensor};
use prost::Message;
use std::path::{Path, PathBuf};

/// ONNX's backend test tolerance: |ours − expected| ≤ atol + rtol·|expected|.
const RTOL: f32 = 1e-3;
const ATOL: f32 = 1e-7;

fn read_tensor(path: &Path) -> Result<Const, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let t =
        TensorProto::decode(bytes.as_slice()).map_err(|e| format!("{}: {e}", path.display()))?;
    Const::from_proto(&t, &path.display().to_string()).map_err(|e| e.to_string())
}

fn sorted_dirs(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    v.sort();
    v
}

/// Run every data set of one case; returns the largest error seen relative to the tolerance.
fn run_case(dir: &Path) -> Result<f32, String> {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let bytes = std::fs::read(dir.join("model.onnx")).map_err(|e| e.to_string())?;
    let imp = import(&bytes, &name, None, Origin::None).map_err(|e| e.to_string())?;
    let net = &imp.network;
    let out = imp.outputs.first().ok_or("no graph output")?;
    let analysis = analyze(net).map_err(|e| e.to_string())?;
    let s = analysis.shape_of(out.src);
    let want_dims = match out.layout {
        Layout::Nchw => vec![1, s.d, s.h, s.w],
        Layout::Flat { .. } => vec![1, s.len()],
    };
    let sets = sorted_dirs(dir, "test_data_set_");
    if sets.is_empty() {
        return Err("no data sets".into());
    }
    let mut worst = 0.0f32;
    for set in sets {
        let x = read_tensor(&set.join("input_0.pb"))?;
        let y = read_tensor(&set.join("output_0.pb"))?;
        let input = volume_from_onnx(net.input.shape, x.to_f32()).map_err(|e| e.to_string())?;
        let acts = forward(net, Tensor::from_volume(input)).map_err(|e| e.to_string())?;
        let v = acts.get(out.src).volume().ok_or("not a volume")?.to_owned();
        let ours = volume_to_onnx(&v, out.layout);
        if y.dims != want_dims {
            return Err(format!("output dims: ours {want_dims:?}, expected {:?}", y.dims));
        }
        for (i, (a, b)) in ours.iter().zip(y.to_f32()).enumerate() {
            let ratio = (a - b).abs() / (ATOL + RTOL * b.abs());
            if ratio.is_nan() || ratio > 1.0 {
                return Err(format!("{}: value {i}: ours {a}, expected {b}", set.display()));
            }
            worst = worst.max(ratio);
        }
    }
    Ok(worst)
}

#[test]
fn every_selected_onnx_node_case_passes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx/node");
    let cases = sorted_dirs(&root, "");
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in &cases {
        match run_case(case) {
            Ok(_) => passed += 1,
            Err(e) => {
                failures.push(format!("{}: {e}", case.file_name().unwrap().to_string_lossy()))
            }
        }
    }
    eprintln!("onnx conformance: {passed} of {} cases passed", cases.len());
    assert!(failures.is_empty(), "{} failed:\n{}", failures.len(), failures.join("\n"));
    // The selection has 78 ONNX cases and 25 convscope graphs; fewer means data went missing.
    assert!(passed >= 103, "only {passed} cases found in {}", root.display());
}

#[test]
fn official_cases_are_present() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx/node");
    for op in [
        "test_basic_conv",
        "test_conv_with",
        "test_averagepool_2d",
        "test_maxpool_2d",
        "test_batchnorm",
        "test_lrn",
        "test_gemm",
        "test_softmax",
        "test_clip",
        "test_flatten",
        "test_relu",
        "test_leakyrelu",
        "test_prelu",
        "test_sigmoid",
        "test_globalaveragepool",
        "test_matmul_2d",
        "test_dropout",
        "test_identity",
        "test_sum",
    ] {
        assert!(!sorted_dirs(&root, op).is_empty(), "no {op}* case");
    }
}
