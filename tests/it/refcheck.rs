//! Comparing every node output of an imported model with onnxruntime's, from an `.npz` keyed by
//! ONNX tensor names (the references made by `tools/onnx/make_models.py` and by the local
//! real-model harness). The error of a node is max |ours − ref| / max |ref|.

use convscope::model::onnx::Imported;
use convscope::nn::analysis::analyze;
use convscope::nn::forward::forward;
use convscope::nn::{Src, Tensor};
use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{NpzReader, ReadNpyExt};
use std::path::Path;

/// What one model's check found.
pub struct Outcome {
    pub layers: usize,
    pub computed: usize,
    pub compared: usize,
    pub worst: f64,
    pub worst_at: String,
    pub failures: Vec<String>,
}

fn read_any(npz: &mut NpzReader<std::fs::File>, key: &str) -> Option<ArrayD<f64>> {
    macro_rules! try_ty {
        ($t:ty) => {
            if let Ok(a) = npz.by_name::<ndarray::OwnedRepr<$t>, IxDyn>(key) {
                return Some(a.mapv(|v| v as f64));
            }
        };
    }
    try_ty!(f32);
    try_ty!(i64);
    try_ty!(i32);
    try_ty!(u8);
    try_ty!(i8);
    if let Ok(a) = npz.by_name::<ndarray::OwnedRepr<bool>, IxDyn>(key) {
        return Some(a.mapv(|v| f64::from(u8::from(v))));
    }
    None
}

/// A float32 `.npy` as the network's input tensor.
///
/// # Errors
/// An unreadable file.
pub fn read_input(path: &Path) -> Result<Tensor, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let x: ArrayD<f32> = ArrayD::read_npy(f).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Tensor::F32(x.into_shared()))
}

/// Run `imp` on `x` and compare every node output the `.npz` holds; `tol` per node, except a
/// sigmoid saturated near 0 (see below).
///
/// # Errors
/// A forward pass or a file that fails.
pub fn check(imp: &Imported, x: Tensor, npz: &Path, tol: f64) -> Result<Outcome, String> {
    let net = &imp.network;
    let analysis = analyze(net).map_err(|e| e.to_string())?;
    if x.dims() != net.input.dims.as_slice() {
        return Err(format!("input {:?} vs ours {:?}", x.dims(), net.input.dims));
    }
    let acts = forward(net, x).map_err(|e| e.to_string())?;
    let f = std::fs::File::open(npz).map_err(|e| format!("{}: {e}", npz.display()))?;
    let mut npz = NpzReader::new(f).map_err(|e| e.to_string())?;
    let names = npz.names().map_err(|e| e.to_string())?;
    let mut out = Outcome {
        layers: net.layers.len(),
        computed: analysis.layers.iter().filter(|l| l.computed()).count(),
        compared: 0,
        worst: 0.0,
        worst_at: String::new(),
        failures: Vec::new(),
    };
    for name in names {
        let key = name.trim_end_matches(".npy").to_string();
        let Some(&Src::Layer(i)) = imp.tensors.get(&key) else { continue };
        if !analysis.layers[i].computed() {
            continue;
        }
        let Some(want) = read_any(&mut npz, &name) else { continue };
        let got = acts.output(i).to_f32();
        if got.shape() != want.shape() {
            out.failures.push(format!(
                "{key}: shape ours {:?}, ref {:?}",
                got.shape(),
                want.shape()
            ));
            continue;
        }
        let max_ref = want.iter().fold(0f64, |m, v| m.max(v.abs()));
        let max_err = got.iter().zip(want.iter()).fold(0f64, |m, (a, b)| {
            let d = (f64::from(*a) - b).abs();
            if d.is_nan() { f64::INFINITY } else { m.max(d) }
        });
        let e = if max_ref > 0.0 { max_err / max_ref } else { max_err };
        out.compared += 1;
        let kind = net.layers[i].kind.type_name();
        if e > out.worst {
            out.worst = e;
            out.worst_at = format!("{key} ({kind})");
        }
        // onnxruntime's sigmoid is a rational approximation good to 1.2e-7 absolute; on a map
        // saturated near 0 (max |ref| ~1e-5) that alone is >1e-3 relative. convscope uses the
        // same approximation, but inputs that differ in the last bit land on other roundings,
        // so such a map is held to the approximation's own absolute error.
        let saturated = kind == "sigmoid" && max_err <= 3.6e-7;
        if e > tol && !saturated {
            out.failures.push(format!("{key} ({kind}): error {e:.2e}"));
        }
    }
    Ok(out)
}
