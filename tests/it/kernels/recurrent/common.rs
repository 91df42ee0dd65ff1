//! Reading the reference vectors of tests/data (written by tools/gen_rnn_vectors.py).

#![allow(dead_code)] // each test binary uses a part

use convscope::nn::ops::recurrent::{Cell, RnnAttrs, RnnInputs, RnnOut, RnnParams, gru, lstm};
use ndarray::{ArrayD, IxDyn};
use serde_json::Value;

/// Tolerance: `|got − want| ≤ REL·max(|want|, FLOOR)`: relative 1e-5 for values of magnitude
/// 0.1 and up, and 1e-6 absolute below (where f32 rounding of sums of O(1) terms is absolute).
pub const REL: f64 = 1e-5;
pub const FLOOR: f64 = 0.1;

pub struct Case {
    pub name: String,
    pub cell: Cell,
    pub opset: i64,
    pub attrs: RnnAttrs,
    pub inputs: Value,
    pub outputs: Value,
}

pub fn load(file: &str) -> Vec<Case> {
    let path = format!("{}/tests/data/kernels/recurrent/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases: Vec<Value> = serde_json::from_str(&text).expect("valid JSON");
    cases.into_iter().map(case).collect()
}

fn case(v: Value) -> Case {
    let a = &v["attrs"];
    let strings = |k: &str| {
        a.get(k).map(|l| {
            l.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
        })
    };
    let floats = |k: &str| {
        a.get(k).map(|l| l.as_array().unwrap().iter().map(|f| f.as_f64().unwrap() as f32).collect())
    };
    let int = |k: &str| a.get(k).map(|i| i.as_i64().unwrap());
    let attrs = RnnAttrs {
        direction: a.get("direction").map(|s| s.as_str().unwrap().to_string()),
        hidden_size: int("hidden_size"),
        activations: strings("activations"),
        activation_alpha: floats("activation_alpha"),
        activation_beta: floats("activation_beta"),
        clip: a.get("clip").map(|f| f.as_f64().unwrap() as f32),
        input_forget: int("input_forget"),
        linear_before_reset: int("linear_before_reset"),
        layout: int("layout"),
    };
    Case {
        name: v["name"].as_str().unwrap().to_string(),
        cell: if v["op"] == "LSTM" { Cell::Lstm } else { Cell::Gru },
        opset: v["opset"].as_i64().unwrap(),
        attrs,
        inputs: v["inputs"].clone(),
        outputs: v["outputs"].clone(),
    }
}

fn dims(t: &Value) -> Vec<usize> {
    t["dims"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect()
}

pub fn f32_tensor(t: &Value) -> ArrayD<f32> {
    let data = t["data"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
    ArrayD::from_shape_vec(IxDyn(&dims(t)), data).unwrap()
}

pub fn f64_tensor(t: &Value) -> ArrayD<f64> {
    let data = t["data"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    ArrayD::from_shape_vec(IxDyn(&dims(t)), data).unwrap()
}

/// The case's inputs as arrays, absent ones `None`.
pub struct Owned {
    pub x: ArrayD<f32>,
    pub w: ArrayD<f32>,
    pub r: ArrayD<f32>,
    pub b: Option<ArrayD<f32>>,
    pub lens: Option<Vec<i64>>,
    pub h0: Option<ArrayD<f32>>,
    pub c0: Option<ArrayD<f32>>,
    pub p: Option<ArrayD<f32>>,
}

impl Case {
    pub fn params(&self) -> RnnParams {
        RnnParams::from_attrs(self.cell, self.opset, &self.attrs)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    pub fn owned(&self) -> Owned {
        let get = |k: &str| self.inputs.get(k).map(f32_tensor);
        Owned {
            x: get("X").unwrap(),
            w: get("W").unwrap(),
            r: get("R").unwrap(),
            b: get("B"),
            lens: self.inputs.get("sequence_lens").map(|t| {
                t["data"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect()
            }),
            h0: get("initial_h"),
            c0: get("initial_c"),
            p: get("P"),
        }
    }

    pub fn run(&self, o: &Owned) -> RnnOut {
        let params = self.params();
        fn v(a: &Option<ArrayD<f32>>) -> Option<ndarray::ArrayViewD<'_, f32>> {
            a.as_ref().map(|a| a.view())
        }
        let res = match self.cell {
            Cell::Lstm => lstm(
                o.x.view(),
                o.w.view(),
                o.r.view(),
                v(&o.b),
                o.lens.as_deref(),
                v(&o.h0),
                v(&o.c0),
                v(&o.p),
                &params,
            ),
            Cell::Gru => gru(
                o.x.view(),
                o.w.view(),
                o.r.view(),
                v(&o.b),
                o.lens.as_deref(),
                v(&o.h0),
                &params,
            ),
        };
        res.unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    pub fn inputs<'a>(&self, o: &'a Owned) -> RnnInputs<'a> {
        let v = |a: &'a Option<ArrayD<f32>>| a.as_ref().map(|a| a.view());
        RnnInputs {
            x: o.x.view(),
            w: o.w.view(),
            r: o.r.view(),
            b: v(&o.b),
            seq_lens: o.lens.as_deref(),
            initial_h: v(&o.h0),
            initial_c: v(&o.c0),
            p: v(&o.p),
        }
    }
}

/// The largest `|got − want| / max(|want|, FLOOR)`, after checking the shapes agree.
pub fn worst(what: &str, got: &ArrayD<f32>, want: &ArrayD<f64>) -> f64 {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    got.iter()
        .zip(want.iter())
        .map(|(&g, &w)| (g as f64 - w).abs() / w.abs().max(FLOOR))
        .fold(0.0, f64::max)
}
