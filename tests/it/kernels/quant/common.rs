//! Reads the reference vectors of tests/data/ (written by tools/gen_vectors.py).

use convscope::nn::ops::quant::{AutoPad, ConvAttrs, IntType};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use serde_json::Value;

/// One tensor of a case: its ONNX type name and values (integers exact, floats as f32).
#[derive(Clone, Debug)]
pub struct Tensor {
    pub ty: String,
    pub ints: ArrayD<i64>,
    pub floats: ArrayD<f32>,
}

impl Tensor {
    pub fn int_type(&self) -> IntType {
        int_type(&self.ty)
    }

    pub fn i(&self) -> ArrayViewD<'_, i64> {
        assert!(self.ty != "float32", "{} is a float tensor", self.ty);
        self.ints.view()
    }

    pub fn f(&self) -> ArrayViewD<'_, f32> {
        assert_eq!(self.ty, "float32");
        self.floats.view()
    }

    pub fn dims(&self) -> &[usize] {
        if self.ty == "float32" { self.floats.shape() } else { self.ints.shape() }
    }

    pub fn onnx_code(&self) -> i32 {
        if self.ty == "float32" { 1 } else { self.int_type().onnx_code() }
    }
}

/// One case: an op, its opset and attributes, its inputs in ONNX order (absent optional ones
/// as `None`) and its expected outputs.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub op: String,
    pub opset: i64,
    pub attrs: Value,
    pub inputs: Vec<Option<Tensor>>,
    pub expected: Vec<Tensor>,
    pub source: String,
    pub ref_agrees: bool,
}

impl Case {
    pub fn input(&self, i: usize) -> Option<&Tensor> {
        self.inputs.get(i).and_then(|t| t.as_ref())
    }

    pub fn req(&self, i: usize) -> &Tensor {
        self.input(i).unwrap_or_else(|| panic!("{}: input {i} missing", self.name))
    }

    pub fn attr_i(&self, key: &str) -> Option<i64> {
        self.attrs.get(key).and_then(Value::as_i64)
    }

    pub fn attr_ints(&self, key: &str) -> Option<Vec<i64>> {
        self.attrs
            .get(key)
            .and_then(Value::as_array)
            .map(|v| v.iter().filter_map(Value::as_i64).collect())
    }

    pub fn conv_attrs(&self) -> ConvAttrs {
        let auto_pad = match self.attrs.get("auto_pad").and_then(Value::as_str) {
            Some(s) => AutoPad::parse("test", s).unwrap(),
            None => AutoPad::NotSet,
        };
        ConvAttrs {
            auto_pad,
            dilations: self.attr_ints("dilations"),
            group: self.attr_i("group"),
            kernel_shape: self.attr_ints("kernel_shape"),
            pads: self.attr_ints("pads"),
            strides: self.attr_ints("strides"),
        }
    }
}

pub fn int_type(s: &str) -> IntType {
    match s {
        "uint8" => IntType::U8,
        "int8" => IntType::I8,
        "uint16" => IntType::U16,
        "int16" => IntType::I16,
        "int32" => IntType::I32,
        other => panic!("no integer type {other}"),
    }
}

fn float(v: &Value) -> f32 {
    match v {
        // The JSON decimal is the shortest repr of an f32 widened to f64: parsing it gives that
        // f64 exactly, and narrowing gives back the f32.
        Value::Number(n) => n.as_f64().unwrap() as f32,
        Value::String(s) if s == "nan" => f32::NAN,
        Value::String(s) if s == "inf" => f32::INFINITY,
        Value::String(s) if s == "-inf" => f32::NEG_INFINITY,
        other => panic!("not a float: {other}"),
    }
}

fn tensor(v: &Value) -> Tensor {
    let ty = v["type"].as_str().unwrap().to_string();
    let dims: Vec<usize> =
        v["dims"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data = v["data"].as_array().unwrap();
    let (ints, floats) = if ty == "float32" {
        let f: Vec<f32> = data.iter().map(float).collect();
        (ArrayD::zeros(IxDyn(&[0])), ArrayD::from_shape_vec(IxDyn(&dims), f).unwrap())
    } else {
        let i: Vec<i64> = data.iter().map(|x| x.as_i64().unwrap()).collect();
        (ArrayD::from_shape_vec(IxDyn(&dims), i).unwrap(), ArrayD::zeros(IxDyn(&[0])))
    };
    Tensor { ty, ints, floats }
}

/// The cases of tests/data/{stem}.json.
pub fn load(stem: &str) -> Vec<Case> {
    let path = format!("{}/tests/data/kernels/quant/{stem}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let root: Value = serde_json::from_str(&text).unwrap();
    root["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_string(),
            op: c["op"].as_str().unwrap().to_string(),
            opset: c["opset"].as_i64().unwrap(),
            attrs: c["attrs"].clone(),
            inputs: c["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| (!t.is_null()).then(|| tensor(t)))
                .collect(),
            expected: c["expected"].as_array().unwrap().iter().map(tensor).collect(),
            source: c["source"].as_str().unwrap().to_string(),
            ref_agrees: c["ref_agrees"].as_bool().unwrap(),
        })
        .collect()
}

/// Floats equal within `rel` relative error (NaN equal to NaN, infinities exactly).
pub fn close(got: &ArrayViewD<f32>, want: &ArrayViewD<f32>, rel: f32) -> Result<usize, String> {
    if got.shape() != want.shape() {
        return Err(format!("shape {:?} vs {:?}", got.shape(), want.shape()));
    }
    let mut exact = 0;
    for (i, (&g, &w)) in got.iter().zip(want.iter()).enumerate() {
        if g.to_bits() == w.to_bits() {
            exact += 1;
            continue;
        }
        let ok =
            (g.is_nan() && w.is_nan()) || (g - w).abs() <= rel * w.abs().max(f32::MIN_POSITIVE);
        if !ok {
            return Err(format!("element {i}: {g} vs {w}"));
        }
    }
    Ok(exact)
}
