//! QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear against onnxruntime 1.32 (and
//! onnx.reference where it agrees): integers exactly, floats within 1e-6 relative.

use super::common::{close, load};
use convscope::nn::ops::quant::{
    QdqNode, dequantize_attrs, dequantize_linear, dynamic_quantize_linear,
    output_dims_dequantize_linear, output_dims_quantize_linear, quantize_attrs, quantize_linear,
};

fn node(c: &super::common::Case, x: i32, zp: Option<i32>) -> QdqNode {
    QdqNode {
        opset: c.opset,
        axis: c.attr_i("axis"),
        saturate: c.attr_i("saturate"),
        block_size: c.attr_i("block_size"),
        output_dtype: c.attr_i("output_dtype"),
        precision: c.attr_i("precision"),
        x_dtype: x,
        scale_dtype: 1,
        zero_point_dtype: zp,
    }
}

#[test]
fn quantize_linear_matches() {
    let cases = load("quantize_linear");
    assert_eq!(cases.len(), 18);
    for c in &cases {
        let (x, s, zp) = (c.req(0), c.req(1), c.input(2));
        let r = quantize_attrs(&node(c, 1, zp.map(|z| z.onnx_code()))).unwrap();
        let want = &c.expected[0];
        assert_eq!(r.ty, want.int_type(), "{}", c.name);
        let dims = output_dims_quantize_linear(x.dims(), s.dims(), zp.map(|z| z.dims()), r.axis);
        assert_eq!(dims.as_deref(), Ok(want.dims()), "{}", c.name);
        let y = quantize_linear(x.f(), s.f(), zp.map(|z| z.i()), r.axis, r.ty).unwrap();
        assert_eq!(y.view(), want.i(), "{} ({})", c.name, c.source);
    }
}

#[test]
fn dequantize_linear_matches() {
    let cases = load("dequantize_linear");
    assert_eq!(cases.len(), 9);
    let (mut exact, mut total) = (0, 0);
    for c in &cases {
        let (x, s, zp) = (c.req(0), c.req(1), c.input(2));
        let r = dequantize_attrs(&node(c, x.onnx_code(), zp.map(|z| z.onnx_code()))).unwrap();
        let dims = output_dims_dequantize_linear(x.dims(), s.dims(), zp.map(|z| z.dims()), r.axis);
        assert_eq!(dims.as_deref(), Ok(x.dims()), "{}", c.name);
        let y = dequantize_linear(x.i(), r.ty, s.f(), zp.map(|z| z.i()), r.axis).unwrap();
        exact += close(&y.view(), &c.expected[0].f(), 1e-6)
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        total += y.len();
    }
    // Not required, but true: the arithmetic is onnxruntime's, so every float is bit-exact.
    assert_eq!(exact, total);
}

#[test]
fn dynamic_quantize_linear_matches() {
    let cases = load("dynamic_quantize_linear");
    assert_eq!(cases.len(), 9);
    for c in &cases {
        let d = dynamic_quantize_linear(c.req(0).f()).unwrap();
        assert_eq!(d.y.view(), c.expected[0].i(), "{}", c.name);
        let scale = c.expected[1].f().iter().next().copied().unwrap();
        assert!(
            close(
                &ndarray::arr0(d.scale).into_dyn().view(),
                &ndarray::arr0(scale).into_dyn().view(),
                1e-6
            )
            .is_ok(),
            "{}",
            c.name
        );
        assert_eq!(d.zero_point, c.expected[2].i().iter().next().copied().unwrap(), "{}", c.name);
    }
}

#[test]
fn the_data_says_where_it_comes_from() {
    // Cases onnx.reference gets wrong are marked; none of them is the only evidence.
    for stem in ["quantize_linear", "dequantize_linear", "dynamic_quantize_linear"] {
        for c in load(stem) {
            assert!(c.ref_agrees || c.source == "onnxruntime", "{stem}/{}", c.name);
        }
    }
}
