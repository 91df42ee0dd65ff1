//! Shared by the integration tests: the JSON reference vectors and random problems.

use convscope::nn::ops::convt::geometry::{
    AutoPad, Chw, ConvTransposeAttrs, ConvTransposeGeometry, TransposeError,
};
use ndarray::{Array1, Array3, Array4};
use serde_json::Value;

/// A file under tests/data, parsed.
pub fn data(name: &str) -> Value {
    let path = format!("{}/tests/data/kernels/convt/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn ints<const N: usize>(v: &Value) -> [i64; N] {
    let a: Vec<i64> = v.as_array().expect("array").iter().map(|x| x.as_i64().unwrap()).collect();
    a.try_into().expect("length")
}

pub fn floats(v: &Value) -> Vec<f32> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

pub fn dims(v: &Value) -> Vec<usize> {
    v.as_array().expect("array").iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

/// A case's attributes as the importer would hand them over.
pub fn attrs(case: &Value) -> ConvTransposeAttrs {
    let a = &case["attrs"];
    ConvTransposeAttrs {
        opset: case["opset"].as_i64().unwrap(),
        auto_pad: AutoPad::parse(a["auto_pad"].as_str().unwrap()).unwrap(),
        group: a["group"].as_i64().unwrap(),
        kernel_shape: None,
        strides: ints(&a["strides"]),
        dilations: ints(&a["dilations"]),
        pads: (!a["pads"].is_null()).then(|| ints(&a["pads"])),
        output_padding: ints(&a["output_padding"]),
        output_shape: (!a["output_shape"].is_null()).then(|| ints(&a["output_shape"])),
    }
}

/// A case's geometry (from the shapes alone).
pub fn geometry(case: &Value) -> Result<ConvTransposeGeometry, TransposeError> {
    let x = dims(&case["x_shape"]);
    let w: [usize; 4] = dims(&case["w_shape"]).try_into().unwrap();
    ConvTransposeGeometry::new(Chw::new(x[0], x[1], x[2]), w, &attrs(case))
}

/// A case's tensors: x (C, H, W), w (C, K/g, FH, FW), b, and the expected (K, OH, OW).
pub fn tensors(case: &Value) -> (Array3<f32>, Array4<f32>, Option<Array1<f32>>, Array3<f32>) {
    let xs = dims(&case["x_shape"]);
    let ws = dims(&case["w_shape"]);
    let ys = dims(&case["y_shape"]);
    let x = Array3::from_shape_vec((xs[0], xs[1], xs[2]), floats(&case["x"])).unwrap();
    let w = Array4::from_shape_vec((ws[0], ws[1], ws[2], ws[3]), floats(&case["w"])).unwrap();
    let b = (!case["b"].is_null()).then(|| Array1::from(floats(&case["b"])));
    let y = Array3::from_shape_vec((ys[0], ys[1], ys[2]), floats(&case["y"])).unwrap();
    (x, w, b, y)
}

/// The largest `|a − b| / max(1, |b|)`.
pub fn max_rel(a: &Array3<f32>, b: &Array3<f32>) -> f32 {
    assert_eq!(a.dim(), b.dim());
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / y.abs().max(1.0)).fold(0.0, f32::max)
}

/// Deterministic pseudo-random values in [-1, 1) (xorshift), so failures reproduce.
pub fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Random tensors for `g` (bias optional).
pub fn random_tensors(
    g: &ConvTransposeGeometry,
    seed: u64,
    bias: bool,
) -> (Array3<f32>, Array4<f32>, Option<Array1<f32>>) {
    let [c, kg, fh, fw] = g.weight_dims();
    let (h, w) = (g.input.h, g.input.w);
    let x = Array3::from_shape_vec((c, h, w), values(c * h * w, seed)).unwrap();
    let wt = Array4::from_shape_vec((c, kg, fh, fw), values(c * kg * fh * fw, seed + 1)).unwrap();
    let b = bias.then(|| Array1::from(values(g.filters, seed + 2)));
    (x, wt, b)
}
