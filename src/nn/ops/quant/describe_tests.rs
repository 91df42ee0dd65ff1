//! The explain-panel lines.

use ndarray::{ArrayD, IxDyn, arr0, arr1};

use super::*;

#[test]
fn numbers() {
    assert_eq!(fmt_num(0.7391), "0.7391");
    assert_eq!(fmt_num(0.011_764_706), "0.01176");
    assert_eq!(fmt_num(62.6356), "62.64");
    assert_eq!(fmt_num(-3.0), "−3");
    assert_eq!(fmt_num(1234.6), "1235");
    assert_eq!(fmt_num(1.5e-7), "1.500e-7");
    assert_eq!(fmt_num(f32::NEG_INFINITY), "−inf");
    // Rounding shown with enough digits: f32(2.4999998) is no tie.
    assert_eq!(fmt_rounding(2.499_999_8), "2.4999998 → 2");
    assert_eq!(fmt_rounding(-3.5), "−3.5 → −4 (tie: to even)");
    assert_eq!(fmt_rounding(7.0), "7");
}

#[test]
fn quantize_lines() {
    assert_eq!(
        describe_quantize(3.5, 1.0, -3, IntType::I8),
        "q = saturate(round(3.5 / 1) − 3) = saturate(3.5 → 4 (tie: to even) − 3) = 1"
    );
    assert_eq!(
        describe_quantize(10.0, 0.01, 128, IntType::U8),
        "q = saturate(round(10 / 0.01) + 128) = saturate(1000 + 128) = 255 (saturated to uint8)"
    );
    assert_eq!(
        describe_quantize(1e30, 1.0, 0, IntType::I8),
        "q = saturate(round(1.000e30 / 1) + 0) = saturate(1.000e30 + 0) = 127 (saturated to int8)"
    );
    assert_eq!(
        describe_quantize(f32::NAN, 0.5, 10, IntType::U8),
        "q = saturate(round(NaN / 0.5) + 10) = 0 (NaN becomes the uint8 minimum)"
    );
}

#[test]
fn dequantize_lines() {
    assert_eq!(
        describe_dequantize(5, 0.25, -2, IntType::I8),
        "x = (5 − (−2)) · 0.25 = 7 · 0.25 = 1.75"
    );
    assert_eq!(
        describe_dequantize(300, 1.0, 0, IntType::U8),
        "300 or zero point 0 is not a uint8 value"
    );
}

#[test]
fn requantize_line() {
    assert_eq!(
        describe_requantize(200, 5, (0.5, 0.25, 2.0), 3, IntType::U8),
        "y = saturate(round((200 + 5) · 0.5 · 0.25 / 2) + 3) = saturate(round(205 · 0.0625) + 3) \
         = saturate(12.8 → 13 + 3) = 16"
    );
}

#[test]
fn one_neuron_of_a_conv() {
    // The QLinearConv hand case: filter 1 sums −2 · (0 + 10 + 20 + 30) = −120, bias −8,
    // m = 0.25: −32 + 3 → 0.
    let x = ArrayD::from_shape_vec(IxDyn(&[1, 1, 2, 2]), vec![10i64, 20, 30, 40]).unwrap();
    let w =
        ArrayD::from_shape_vec(IxDyn(&[2, 1, 2, 2]), vec![1i64, 2, 3, 4, -1, -1, -1, -1]).unwrap();
    let (xs, xz) = (arr0(0.5f32).into_dyn(), arr0(10i64).into_dyn());
    let (ws, wz) = (arr1(&[0.25f32, 1.0]).into_dyn(), arr1(&[0i64, 1]).into_dyn());
    let (ys, yz) = (arr0(2.0f32).into_dyn(), arr0(3i64).into_dyn());
    let b = arr1(&[5i64, -8]).into_dyn();
    let neuron = |m: usize| {
        qlinear_conv_neuron(
            QInput { data: x.view(), ty: IntType::U8, scale: xs.view(), zero_point: xz.view() },
            QInput { data: w.view(), ty: IntType::I8, scale: ws.view(), zero_point: wz.view() },
            QOutput { ty: IntType::U8, scale: ys.view(), zero_point: yz.view() },
            Some(b.view()),
            &ConvAttrs::default(),
            [0, m, 0, 0],
        )
    };
    let n1 = neuron(1).unwrap();
    assert_eq!((n1.sum, n1.bias, n1.taps, n1.taps_in_input, n1.y), (-120, -8, 4, 4, 0));
    assert_eq!(
        n1.describe(),
        "y[0, 1, 0, 0]: Σ over 4 taps (4 in the input) = −120; y = saturate(round((−120 − 8) · \
         0.5 · 1 / 2) + 3) = saturate(round(−128 · 0.25) + 3) = saturate(−32 + 3) = 0 \
         (saturated to uint8)"
    );
    assert_eq!(neuron(0).unwrap().y, 16);
    assert!(neuron(2).is_err());
}
