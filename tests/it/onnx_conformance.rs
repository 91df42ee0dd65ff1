//! ONNX's own backend node test cases and convscope's pattern graphs (`cs_*`), run through the
//! importer and the forward pass, every graph output compared.
//!
//! The cases live in tests/data/onnx/node (see its README.md for the list and how each case was
//! adapted to batch 1 and one running input); `tools/onnx/select_conformance.py` writes them.
//! Cases convscope does not pass yet are listed, with why, in `known_failures.txt` there: the
//! test fails when one of them starts passing (so the list stays honest) or another fails.

use convscope::model::onnx::proto::TensorProto;
use convscope::model::onnx::{import, tensor};
use convscope::nn::forward::forward;
use convscope::nn::{Origin, Tensor};
use prost::Message;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// |ours − expected| ≤ atol·max(1, max |expected|) + rtol·|expected|: ONNX's backend rtol,
/// with an absolute floor scaled to the tensor (a sum of O(1) terms that cancels to 0.004 is
/// only good to a few float ulps of the terms).
const RTOL: f64 = 1e-3;
const ATOL: f64 = 1e-5;

pub(crate) fn read_tensor(path: &Path) -> Result<Tensor, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let t =
        TensorProto::decode(bytes.as_slice()).map_err(|e| format!("{}: {e}", path.display()))?;
    tensor::from_proto(&t, &path.display().to_string()).map_err(|e| e.to_string())
}

fn sorted(dir: &Path, prefix: &str, dirs: bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() == dirs)
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    v.sort();
    v
}

/// Whether two tensors agree: same dims, integers exactly (bools as 0/1), floats within the
/// tolerance, NaN where NaN is expected.
pub(crate) fn agree(name: &str, ours: &Tensor, want: &Tensor) -> Result<(), String> {
    if ours.dims() != want.dims() {
        return Err(format!("{name}: dims ours {:?}, expected {:?}", ours.dims(), want.dims()));
    }
    if !want.elem().is_float() {
        if ours.ints() != want.ints() {
            return Err(format!(
                "{name}: integers differ: ours {:?}, expected {:?}",
                &ours.ints()[..ours.len().min(8)],
                &want.ints()[..want.len().min(8)]
            ));
        }
        return Ok(());
    }
    let w = want.floats();
    let scale = w.iter().filter(|v| v.is_finite()).fold(1f64, |m, v| m.max(f64::from(v.abs())));
    for (i, (a, b)) in ours.floats().iter().zip(w).enumerate() {
        let (a, b) = (f64::from(*a), f64::from(b));
        let close = (a - b).abs() <= ATOL * scale + RTOL * b.abs();
        let same = (a.is_nan() && b.is_nan()) || a == b || close;
        if !same {
            return Err(format!("{name}: value {i}: ours {a}, expected {b}"));
        }
    }
    Ok(())
}

/// Run every data set of one case.
fn run_case(dir: &Path) -> Result<(), String> {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let bytes = std::fs::read(dir.join("model.onnx")).map_err(|e| e.to_string())?;
    let imp = import(&bytes, &name, None, Origin::None).map_err(|e| e.to_string())?;
    let net = &imp.network;
    let sets = sorted(dir, "test_data_set_", true);
    if sets.is_empty() {
        return Err("no data sets".into());
    }
    for set in sets {
        let x = read_tensor(&set.join("input_0.pb"))?;
        let x = match (&x, net.input.elem.is_float()) {
            (Tensor::Int(..), true) => Tensor::F32(x.to_f32()),
            _ => x,
        };
        let acts = forward(net, x).map_err(|e| e.to_string())?;
        for (k, out) in imp.outputs.iter().enumerate() {
            let want = read_tensor(&set.join(format!("output_{k}.pb")))?;
            let ours = match (out.src, &out.constant) {
                (Some(s), _) => acts.get(s).clone(),
                (None, Some(c)) => c.clone(),
                (None, None) => return Err(format!("output {} is not computed", out.name)),
            };
            agree(&format!("{} output {k} ({})", set.display(), out.name), &ours, &want)?;
        }
    }
    Ok(())
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx/node")
}

/// `case  reason` lines of known_failures.txt.
fn known() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("known_failures.txt")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (c, why) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (c.to_string(), why.trim().to_string())
        })
        .collect()
}

#[test]
fn every_selected_onnx_node_case_passes() {
    let cases = sorted(&root(), "", true);
    let known = known();
    let (mut passed, mut unexpected, mut fixed) = (0, Vec::new(), Vec::new());
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        match (run_case(case), known.contains_key(&name)) {
            (Ok(()), false) => passed += 1,
            (Ok(()), true) => fixed.push(name),
            (Err(e), false) => unexpected.push(format!("{name}: {e}")),
            (Err(_), true) => {}
        }
    }
    eprintln!(
        "onnx conformance: {passed} of {} cases passed, {} known failures",
        cases.len(),
        known.len()
    );
    assert!(unexpected.is_empty(), "{} failed:\n{}", unexpected.len(), unexpected.join("\n"));
    assert!(fixed.is_empty(), "these now pass; remove them from known_failures.txt: {fixed:?}");
    assert!(passed >= 770, "only {passed} cases passed in {}", root().display());
}

#[test]
fn every_op_of_the_issue_has_cases() {
    let names: Vec<String> = sorted(&root(), "", true)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into())
        .collect();
    for op in [
        "test_hardsigmoid",
        "test_hardswish",
        "test_sigmoid",
        "test_tanh",
        "test_exp",
        "test_log",
        "test_sqrt",
        "test_reciprocal",
        "test_neg",
        "test_abs",
        "test_erf",
        "test_gelu",
        "test_softplus",
        "test_elu",
        "test_selu",
        "test_floor",
        "test_ceil",
        "test_round",
        "test_pow",
        "test_max",
        "test_min",
        "test_mean",
        "test_sum",
        "test_where",
        "test_equal",
        "test_less",
        "test_greater",
        "test_clip",
        "test_add",
        "test_sub",
        "test_mul",
        "test_div",
        "test_prelu",
        "test_reduce_mean",
        "test_reduce_sum",
        "test_reduce_max",
        "test_reduce_min",
        "test_reduce_l2",
        "test_globalmaxpool",
        "test_argmax",
        "test_instancenorm",
        "test_layer_normalization",
        "test_group_normalization",
        "test_lpnormalization",
        "test_convtranspose",
        "test_maxpool_2d_dilations",
        "test_averagepool_2d_dilations",
        "test_constant_pad",
        "test_reflect_pad",
        "test_edge_pad",
        "test_wrap_pad",
        "test_resize",
        "test_upsample",
        "test_depthtospace",
        "test_spacetodepth",
        "test_reshape",
        "test_transpose",
        "test_flatten",
        "test_squeeze",
        "test_unsqueeze",
        "test_concat",
        "test_split",
        "test_slice",
        "test_gather",
        "test_expand",
        "test_tile",
        "test_shape",
        "test_cast",
        "test_identity",
        "test_gemm",
        "test_matmul",
        "test_softmax",
        "test_logsoftmax",
        "test_lstm",
        "test_gru",
        "test_quantizelinear",
        "test_dequantizelinear",
        "test_dynamicquantizelinear",
        "test_convinteger",
        "test_matmulinteger",
        "test_qlinearconv",
        "test_qlinearmatmul",
        "cs_shufflenet",
        "cs_se_block",
        "cs_nhwc",
        "cs_yolo_focus",
        "cs_fpn_resize",
        "cs_layernorm_decomposed",
        "cs_qdq_conv",
        "cs_crnn",
    ] {
        assert!(names.iter().any(|n| n.starts_with(op)), "no {op}* case");
    }
}
