//! ConvInteger and QLinearConv against onnxruntime 1.32, or where it refuses the case (per
//! filter w zero point, SAME with dilation, mixed types) against the numpy definition, which
//! the generator checked against onnxruntime everywhere onnxruntime runs. Exact.

use super::common::{Case, load};
use convscope::nn::ops::quant::{
    IntInput, QDims, QInput, QOutput, conv_integer, output_dims_conv_integer,
    output_dims_qlinear_conv, qlinear_conv, qlinear_conv_neuron,
};

#[test]
fn conv_integer_matches() {
    let cases = load("conv_integer");
    assert_eq!(cases.len(), 10);
    for c in &cases {
        let (x, w, xz, wz) = (c.req(0), c.req(1), c.input(2), c.input(3));
        let a = c.conv_attrs();
        let want = c.expected[0].i();
        let dims = output_dims_conv_integer(
            x.dims(),
            xz.map(|z| z.dims()),
            w.dims(),
            wz.map(|z| z.dims()),
            &a,
        );
        assert_eq!(dims.as_deref(), Ok(want.shape()), "{}", c.name);
        let y = conv_integer(
            IntInput { data: x.i(), ty: x.int_type(), zero_point: xz.map(|z| z.i()) },
            IntInput { data: w.i(), ty: w.int_type(), zero_point: wz.map(|z| z.i()) },
            &a,
        )
        .unwrap();
        assert_eq!(y.view(), want, "{} ({})", c.name, c.source);
    }
}

fn q<'a>(c: &'a Case, i: usize) -> QInput<'a> {
    let (d, s, z) = (c.req(i), c.req(i + 1), c.req(i + 2));
    QInput { data: d.i(), ty: d.int_type(), scale: s.f(), zero_point: z.i() }
}

#[test]
fn qlinear_conv_matches() {
    let cases = load("qlinear_conv");
    assert_eq!(cases.len(), 8);
    for c in &cases {
        let a = c.conv_attrs();
        let (ys, yz, b) = (c.req(6), c.req(7), c.input(8));
        let y_out = QOutput { ty: yz.int_type(), scale: ys.f(), zero_point: yz.i() };
        let want = c.expected[0].i();
        let qd = |i: usize| QDims {
            data: c.req(i).dims(),
            scale: c.req(i + 1).dims(),
            zero_point: c.req(i + 2).dims(),
        };
        let dims =
            output_dims_qlinear_conv(qd(0), qd(3), ys.dims(), yz.dims(), b.map(|t| t.dims()), &a);
        assert_eq!(dims.as_deref(), Ok(want.shape()), "{}", c.name);
        let y = qlinear_conv(q(c, 0), q(c, 3), y_out.clone(), b.map(|t| t.i()), &a).unwrap();
        assert_eq!(y.view(), want, "{} ({})", c.name, c.source);
        // The explain panel's single-neuron path agrees with the kernel on every 7th neuron.
        let s = want.shape().to_vec();
        for flat in (0..want.len()).step_by(7) {
            let idx = [
                flat / (s[1] * s[2] * s[3]),
                flat / (s[2] * s[3]) % s[1],
                flat / s[3] % s[2],
                flat % s[3],
            ];
            let n = qlinear_conv_neuron(q(c, 0), q(c, 3), y_out.clone(), b.map(|t| t.i()), &a, idx)
                .unwrap();
            assert_eq!(n.y, want[ndarray::IxDyn(&idx)], "{} neuron {idx:?}", c.name);
        }
    }
}

#[test]
fn onnx_reference_disagrees_only_where_marked() {
    let qc = load("qlinear_conv");
    let ties = qc.iter().find(|c| c.name == "f32_ties_vs_f64").unwrap();
    assert!(!ties.ref_agrees && ties.source == "onnxruntime");
    assert!(qc.iter().filter(|c| c.name != "f32_ties_vs_f64").all(|c| c.ref_agrees));
    assert!(load("conv_integer").iter().all(|c| c.ref_agrees));
}
