//! Shared by the integration tests: reading the JSON vectors of tools/*.py and comparing.

use ndarray::{ArrayD, IxDyn};
use serde_json::Value;

/// The cases of `tests/data/<file>`.
pub fn cases(file: &str) -> Vec<Value> {
    let path = format!("{}/tests/data/kernels/resize/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

pub fn usizes(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect()
}

pub fn i64s(v: &Value) -> Option<Vec<i64>> {
    Some(v.as_array()?.iter().map(|d| d.as_i64().unwrap()).collect())
}

pub fn f32s(v: &Value) -> Option<Vec<f32>> {
    Some(v.as_array()?.iter().map(|d| d.as_f64().unwrap() as f32).collect())
}

/// The tensor stored as `<key>_shape` and `<key>`.
pub fn tensor(c: &Value, key: &str) -> ArrayD<f32> {
    let shape = usizes(&c[format!("{key}_shape")]);
    ArrayD::from_shape_vec(IxDyn(&shape), f32s(&c[key]).unwrap()).unwrap()
}

/// 1e-5 relative, measured against `max(|want|, 1)` (the inputs are of order 1, so values that
/// cancel to near 0 are held to 1e-5 absolute).
pub fn assert_close(name: &str, got: &ArrayD<f32>, want: &ArrayD<f32>) {
    assert_eq!(got.shape(), want.shape(), "{name}: shape");
    for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
        let tol = 1e-5 * w.abs().max(1.0);
        assert!((g - w).abs() <= tol, "{name}: value {i}: got {g}, want {w}\n got {got:?}");
    }
}
