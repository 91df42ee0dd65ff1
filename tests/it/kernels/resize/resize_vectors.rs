//! Resize and Upsample against the vectors of tools/gen_resize.py (onnx.reference, or
//! onnxruntime where the case says so).

use super::common::{assert_close, cases, f32s, i64s, tensor};
use convscope::nn::ops::resize::{ResizeAttrs, ResizeOp, ResizeParams, output_dims, resize};
use serde_json::Value;

fn run(c: &Value) -> ndarray::ArrayD<f32> {
    let name = c["name"].as_str().unwrap();
    let x = tensor(c, "x");
    let a = &c["attrs"];
    let s = |k: &str| a[k].as_str();
    let axes = i64s(&a["axes"]);
    let attrs = ResizeAttrs {
        mode: s("mode"),
        coordinate_transformation_mode: s("coordinate_transformation_mode"),
        nearest_mode: s("nearest_mode"),
        cubic_coeff_a: a["cubic_coeff_a"].as_f64().map(|v| v as f32),
        exclude_outside: a["exclude_outside"].as_i64(),
        extrapolation_value: a["extrapolation_value"].as_f64().map(|v| v as f32),
        antialias: a["antialias"].as_i64(),
        keep_aspect_ratio_policy: s("keep_aspect_ratio_policy"),
        axes: axes.as_deref(),
    };
    let opset = c["opset"].as_u64().unwrap() as u32;
    let op = match c["op"].as_str().unwrap() {
        "Upsample" => ResizeOp::Upsample,
        _ => ResizeOp::Resize { opset },
    };
    let p =
        ResizeParams::from_attrs(op, x.ndim(), &attrs).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (scales, sizes, roi) = (f32s(&c["scales"]), i64s(&c["sizes"]), f32s(&c["roi"]));
    let (dims, eff) =
        output_dims(x.shape(), scales.as_deref(), sizes.as_deref(), roi.as_deref(), &p)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    resize(&x.view(), &dims, &eff, roi.as_deref(), &p)
}

#[test]
fn every_vector_matches() {
    let all = cases("resize.json");
    assert!(all.len() > 200);
    for c in &all {
        let got = run(c);
        assert_close(c["name"].as_str().unwrap(), &got, &tensor(c, "y"));
    }
}

#[test]
fn vectors_cover_every_combination() {
    let all = cases("resize.json");
    let has = |f: &dyn Fn(&Value) -> bool| all.iter().any(f);
    for ct in [
        "half_pixel",
        "half_pixel_symmetric",
        "pytorch_half_pixel",
        "align_corners",
        "asymmetric",
        "tf_crop_and_resize",
        "tf_half_pixel_for_nn",
    ] {
        for mode in ["nearest", "linear", "cubic"] {
            if ct == "tf_half_pixel_for_nn" && mode != "nearest" {
                continue;
            }
            let hit = has(&|c| {
                c["attrs"]["coordinate_transformation_mode"] == ct && c["attrs"]["mode"] == mode
            });
            assert!(hit, "no vector for {ct} × {mode}");
        }
    }
    for opset in [7, 9, 10, 11, 13, 18, 19] {
        assert!(has(&|c| c["opset"] == opset), "no vector for opset {opset}");
    }
}
