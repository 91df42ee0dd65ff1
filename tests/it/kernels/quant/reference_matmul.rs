//! MatMulInteger and QLinearMatMul against onnxruntime 1.32, or where it refuses the case (per
//! row A parameters, mixed types) against the numpy definition. Exact.

use super::common::{Case, load};
use convscope::nn::ops::quant::{
    IntInput, QDims, QInput, QOutput, matmul_integer, output_dims_matmul_integer,
    output_dims_qlinear_matmul, qlinear_matmul,
};

#[test]
fn matmul_integer_matches() {
    let cases = load("matmul_integer");
    assert_eq!(cases.len(), 9);
    for c in &cases {
        let (a, b, az, bz) = (c.req(0), c.req(1), c.input(2), c.input(3));
        let want = c.expected[0].i();
        let dims = output_dims_matmul_integer(
            a.dims(),
            az.map(|z| z.dims()),
            b.dims(),
            bz.map(|z| z.dims()),
        );
        assert_eq!(dims.as_deref(), Ok(want.shape()), "{}", c.name);
        let y = matmul_integer(
            IntInput { data: a.i(), ty: a.int_type(), zero_point: az.map(|z| z.i()) },
            IntInput { data: b.i(), ty: b.int_type(), zero_point: bz.map(|z| z.i()) },
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
fn qlinear_matmul_matches() {
    let cases = load("qlinear_matmul");
    assert_eq!(cases.len(), 6);
    for c in &cases {
        let (ys, yz) = (c.req(6), c.req(7));
        let want = c.expected[0].i();
        let qd = |i: usize| QDims {
            data: c.req(i).dims(),
            scale: c.req(i + 1).dims(),
            zero_point: c.req(i + 2).dims(),
        };
        let dims = output_dims_qlinear_matmul(qd(0), qd(3), ys.dims(), yz.dims());
        assert_eq!(dims.as_deref(), Ok(want.shape()), "{}", c.name);
        let y = qlinear_matmul(
            q(c, 0),
            q(c, 3),
            QOutput { ty: yz.int_type(), scale: ys.f(), zero_point: yz.i() },
        )
        .unwrap();
        assert_eq!(y.view(), want, "{} ({})", c.name, c.source);
    }
}
