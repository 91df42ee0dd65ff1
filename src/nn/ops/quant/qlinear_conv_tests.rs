//! QLinearConv by hand.

use ndarray::{ArrayD, IxDyn, arr0, arr1};

use super::*;

fn t(dims: &[usize], v: &[i64]) -> ArrayD<i64> {
    ArrayD::from_shape_vec(IxDyn(dims), v.to_vec()).unwrap()
}

/// The hand case: x [1, 1, 2, 2] uint8, two 2×2 int8 filters with per-filter scale and zp.
struct Case {
    x: ArrayD<i64>,
    w: ArrayD<i64>,
    xs: ArrayD<f32>,
    xz: ArrayD<i64>,
    ws: ArrayD<f32>,
    wz: ArrayD<i64>,
    ys: ArrayD<f32>,
    b: ArrayD<i64>,
}

fn case() -> Case {
    Case {
        x: t(&[1, 1, 2, 2], &[10, 20, 30, 40]),
        w: t(&[2, 1, 2, 2], &[1, 2, 3, 4, -1, -1, -1, -1]),
        xs: arr0(0.5f32).into_dyn(),
        xz: arr0(10i64).into_dyn(),
        ws: arr1(&[0.25f32, 1.0]).into_dyn(),
        wz: arr1(&[0i64, 1]).into_dyn(),
        ys: arr0(2.0f32).into_dyn(),
        b: arr1(&[5i64, -8]).into_dyn(),
    }
}

fn run(c: &Case, ty: IntType, yz: i64, bias: bool) -> Result<ArrayD<i64>, QuantError> {
    let yz = arr0(yz).into_dyn();
    qlinear_conv(
        QInput { data: c.x.view(), ty: IntType::U8, scale: c.xs.view(), zero_point: c.xz.view() },
        QInput { data: c.w.view(), ty: IntType::I8, scale: c.ws.view(), zero_point: c.wz.view() },
        QOutput { ty, scale: c.ys.view(), zero_point: yz.view() },
        bias.then(|| c.b.view()),
        &ConvAttrs::default(),
    )
}

#[test]
fn per_filter_with_bias_by_hand() {
    // x − 10 = [0, 10, 20, 30].
    // Filter 0: w − 0 = [1, 2, 3, 4]: Σ = 20 + 60 + 120 = 200; + 5 = 205.
    //   m = 0.5 · 0.25 / 2 = 0.0625: 205 · 0.0625 = 12.8125 → 13, + 3 = 16.
    // Filter 1: w − 1 = [−2, −2, −2, −2]: Σ = −2 · 60 = −120; − 8 = −128.
    //   m = 0.5 · 1 / 2 = 0.25: −128 · 0.25 = −32, + 3 = −29 → uint8 0.
    let c = case();
    let y = run(&c, IntType::U8, 3, true).unwrap();
    assert_eq!(y.shape(), &[1, 2, 1, 1]);
    assert_eq!(y.as_slice().unwrap(), &[16, 0]);
    // int8 output, zp −100: 13 − 100 = −87; −32 − 100 = −132 → −128.
    assert_eq!(run(&c, IntType::I8, -100, true).unwrap().as_slice().unwrap(), &[-87, -128]);
    // No bias: 200 · 0.0625 = 12.5, a tie → 12, + 3 = 15; −120 · 0.25 = −30 + 3 → 0.
    assert_eq!(run(&c, IntType::U8, 3, false).unwrap().as_slice().unwrap(), &[15, 0]);
}

#[test]
fn f32_product_not_f64() {
    // x = 3, w = 1, scales 1, 1, 6: m = f32(1/6); 3 · m is 0.5 in f32 → 0 (onnxruntime);
    // onnx.reference multiplies in f64 (0.50000001) and gets 1.
    let x = t(&[1, 1, 1, 3], &[3, 9, 15]);
    let w = t(&[1, 1, 1, 1], &[1]);
    let one = arr0(1.0f32).into_dyn();
    let six = arr0(6.0f32).into_dyn();
    let z = arr0(0i64).into_dyn();
    let y = qlinear_conv(
        QInput { data: x.view(), ty: IntType::U8, scale: one.view(), zero_point: z.view() },
        QInput { data: w.view(), ty: IntType::U8, scale: one.view(), zero_point: z.view() },
        QOutput { ty: IntType::U8, scale: six.view(), zero_point: z.view() },
        None,
        &ConvAttrs::default(),
    )
    .unwrap();
    // 3/6 → 0, 9/6 = 1.5 → 2, 15/6 = 2.5 → 2 (f32 products are exact ties here).
    assert_eq!(y.as_slice().unwrap(), &[0, 2, 2]);
}

#[test]
fn refusals() {
    let c = case();
    // Bias of the wrong length, y of type int16, y_scale per channel.
    let b3 = arr1(&[1i64, 2, 3]).into_dyn();
    let zp = arr0(0i64).into_dyn();
    let xi =
        QInput { data: c.x.view(), ty: IntType::U8, scale: c.xs.view(), zero_point: c.xz.view() };
    let wi =
        QInput { data: c.w.view(), ty: IntType::I8, scale: c.ws.view(), zero_point: c.wz.view() };
    let yo = QOutput { ty: IntType::U8, scale: c.ys.view(), zero_point: zp.view() };
    let d = ConvAttrs::default();
    assert!(qlinear_conv(xi.clone(), wi.clone(), yo.clone(), Some(b3.view()), &d).is_err());
    let y16 = QOutput { ty: IntType::I16, ..yo.clone() };
    assert!(qlinear_conv(xi.clone(), wi.clone(), y16, None, &d).is_err());
    let ys2 = arr1(&[1.0f32, 1.0]).into_dyn();
    let yv = QOutput { scale: ys2.view(), ..yo.clone() };
    assert!(qlinear_conv(xi.clone(), wi.clone(), yv, None, &d).is_err());
    // A bias value beyond int32.
    let big = arr1(&[1i64 << 31, 0]).into_dyn();
    assert!(qlinear_conv(xi.clone(), wi.clone(), yo.clone(), Some(big.view()), &d).is_err());
    // Sum plus bias beyond int32: 200 + (2^31 − 1).
    let edge = arr1(&[i32::MAX as i64, 0]).into_dyn();
    assert!(matches!(
        qlinear_conv(xi.clone(), wi.clone(), yo.clone(), Some(edge.view()), &d),
        Err(QuantError::Int32Overflow { .. })
    ));
    // A scalar w scale with per-filter w zero point is fine (and the reverse).
    let ws1 = arr0(0.25f32).into_dyn();
    let w1 = QInput { scale: ws1.view(), ..wi.clone() };
    assert!(qlinear_conv(xi.clone(), w1, yo.clone(), None, &d).is_ok());
    let dims = output_dims_qlinear_conv(
        QDims { data: &[1, 1, 2, 2], scale: &[], zero_point: &[1] },
        QDims { data: &[2, 1, 2, 2], scale: &[2], zero_point: &[] },
        &[1],
        &[],
        Some(&[2]),
        &d,
    );
    assert_eq!(dims, Ok(vec![1, 2, 1, 1]));
}
