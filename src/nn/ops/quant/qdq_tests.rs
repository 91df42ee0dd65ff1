//! Hand-worked QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear cases.

use ndarray::{ArrayD, IxDyn, arr0, arr1};

use super::*;

fn f(dims: &[usize], v: &[f32]) -> ArrayD<f32> {
    ArrayD::from_shape_vec(IxDyn(dims), v.to_vec()).unwrap()
}

fn i(dims: &[usize], v: &[i64]) -> ArrayD<i64> {
    ArrayD::from_shape_vec(IxDyn(dims), v.to_vec()).unwrap()
}

#[test]
fn quantize_per_axis_by_hand() {
    // x [2, 2, 2], axis 1: channel 0 has scale 0.5, zp 1; channel 1 scale 2, zp −3 (int8).
    // x[0,0,:] = [1.0, 1.25]: 2 → 2 + 1 = 3; 2.5 → 2 (tie) + 1 = 3.
    // x[0,1,:] = [5.0, −3.0]: 2.5 → 2 − 3 = −1; −1.5 → −2 − 3 = −5.
    // x[1,0,:] = [100, −100]: 200 + 1 → 127; −200 + 1 → −128.
    // x[1,1,:] = [0.9, 7.0]: 0.45 → 0 − 3 = −3; 3.5 → 4 − 3 = 1.
    let x = f(&[2, 2, 2], &[1.0, 1.25, 5.0, -3.0, 100.0, -100.0, 0.9, 7.0]);
    let s = f(&[2], &[0.5, 2.0]);
    let z = i(&[2], &[1, -3]);
    let y = quantize_linear(x.view(), s.view(), Some(z.view()), 1, IntType::I8).unwrap();
    assert_eq!(y.as_slice().unwrap(), &[3, 3, -1, -5, 127, -128, -3, 1]);
    // The same with axis −2.
    let y2 = quantize_linear(x.view(), s.view(), Some(z.view()), -2, IntType::I8).unwrap();
    assert_eq!(y, y2);
}

#[test]
fn quantize_without_zero_point_is_uint8_with_zero() {
    // 0.3 / 0.1 = 2.9999998 (f32) → 3; −0.3 → −3 → 0 (uint8 floor).
    let x = f(&[2], &[0.3, -0.3]);
    let y = quantize_linear(x.view(), arr0(0.1f32).into_dyn().view(), None, 1, IntType::U8);
    assert_eq!(y.unwrap().as_slice().unwrap(), &[3, 0]);
}

#[test]
fn quantize_to_16_bits() {
    // 1.0 / 0.001 = 1000 + 3 = 1003; 40 / 0.001 = 40000 → int16 32767, uint16 40003.
    let x = f(&[2], &[1.0, 40.0]);
    let s = arr0(0.001f32).into_dyn();
    let z = arr0(3i64).into_dyn();
    let y = quantize_linear(x.view(), s.view(), Some(z.view()), 1, IntType::I16).unwrap();
    assert_eq!(y.as_slice().unwrap(), &[1003, 32_767]);
    let y = quantize_linear(x.view(), s.view(), Some(z.view()), 1, IntType::U16).unwrap();
    assert_eq!(y.as_slice().unwrap(), &[1003, 40_003]);
}

#[test]
fn quantize_refuses_bad_inputs() {
    let x = f(&[2, 3], &[0.0; 6]);
    let s3 = f(&[3], &[1.0; 3]);
    let zs = arr0(0i64).into_dyn();
    // int32 is no QuantizeLinear output.
    assert!(quantize_linear(x.view(), s3.view(), None, 1, IntType::I32).is_err());
    // A scalar zero point beside a per-axis scale (onnxruntime refuses it too).
    assert!(quantize_linear(x.view(), s3.view(), Some(zs.view()), 1, IntType::U8).is_err());
    // Wrong axis for a length-3 scale.
    assert!(quantize_linear(x.view(), s3.view(), None, 0, IntType::U8).is_err());
    // A zero point of 300 is no uint8.
    let z = arr0(300i64).into_dyn();
    let s = arr0(1.0f32).into_dyn();
    assert!(matches!(
        quantize_linear(x.view(), s.view(), Some(z.view()), 1, IntType::U8),
        Err(QuantError::OutOfRange { value: 300, .. })
    ));
}

#[test]
fn dequantize_by_hand() {
    // uint8, zp 128, scale 0.5: (191 − 128)·0.5 = 31.5; (0 − 128)·0.5 = −64; 128 → 0.
    let x = i(&[3], &[191, 0, 128]);
    let y = dequantize_linear(
        x.view(),
        IntType::U8,
        arr0(0.5f32).into_dyn().view(),
        Some(arr0(128i64).into_dyn().view()),
        1,
    )
    .unwrap();
    assert_eq!(y.as_slice().unwrap(), &[31.5, -64.0, 0.0]);
    // Per-axis on the last axis of [1, 2]: (5 − 1)·0.25 = 1; (−5 − (−2))·4 = −12.
    let x = i(&[1, 2], &[5, -5]);
    let y = dequantize_linear(
        x.view(),
        IntType::I8,
        f(&[2], &[0.25, 4.0]).view(),
        Some(i(&[2], &[1, -2]).view()),
        -1,
    )
    .unwrap();
    assert_eq!(y.as_slice().unwrap(), &[1.0, -12.0]);
}

#[test]
fn dequantize_int32() {
    // A bias: int32, no zero point (or zero), scale = x_scale·w_scale.
    let x = i(&[2], &[-2_147_483_648, 1000]);
    let s = arr0(0.5f32).into_dyn();
    let y = dequantize_linear(x.view(), IntType::I32, s.view(), None, 1).unwrap();
    assert_eq!(y.as_slice().unwrap(), &[-1_073_741_824.0, 500.0]);
    let z0 = arr0(0i64).into_dyn();
    assert!(dequantize_linear(x.view(), IntType::I32, s.view(), Some(z0.view()), 1).is_ok());
    let z5 = arr0(5i64).into_dyn();
    assert!(dequantize_linear(x.view(), IntType::I32, s.view(), Some(z5.view()), 1).is_err());
}

#[test]
fn dequantize_refuses_values_outside_the_type() {
    let x = i(&[2], &[0, 256]);
    let s = arr0(1.0f32).into_dyn();
    assert!(matches!(
        dequantize_linear(x.view(), IntType::U8, s.view(), None, 1),
        Err(QuantError::OutOfRange { value: 256, .. })
    ));
}

#[test]
fn dynamic_by_hand() {
    // [−1, 0.5, 3]: range [−1, 3], scale = 4/255 = 0.015686275, zp = round(63.75) = 64.
    // y = round(−63.75) + 64 = 0; round(31.875) + 64 = 96; round(191.25) + 64 = 255.
    let d = dynamic_quantize_linear(arr1(&[-1.0f32, 0.5, 3.0]).into_dyn().view()).unwrap();
    assert_eq!(d.scale, 4.0 / 255.0);
    assert_eq!(d.zero_point, 64);
    assert_eq!(d.y.as_slice().unwrap(), &[0, 96, 255]);
}

#[test]
fn dynamic_edge_cases() {
    // All positive [1, 2, 3]: range widened to [0, 3], scale 3/255, zp 0: 85, 170, 255.
    let d = dynamic_quantize_linear(arr1(&[1.0f32, 2.0, 3.0]).into_dyn().view()).unwrap();
    assert_eq!((d.scale, d.zero_point), (3.0 / 255.0, 0));
    assert_eq!(d.y.as_slice().unwrap(), &[85, 170, 255]);
    // All negative [−1, −2, −3]: range [−3, 0], zp = round(3/(3/255)) = 255: 170, 85, 0.
    let d = dynamic_quantize_linear(arr1(&[-1.0f32, -2.0, -3.0]).into_dyn().view()).unwrap();
    assert_eq!((d.scale, d.zero_point), (3.0 / 255.0, 255));
    assert_eq!(d.y.as_slice().unwrap(), &[170, 85, 0]);
    // Constant 2: range [0, 2], everything at the top: 255.
    let d = dynamic_quantize_linear(arr1(&[2.0f32, 2.0]).into_dyn().view()).unwrap();
    assert_eq!((d.scale, d.zero_point), (2.0 / 255.0, 0));
    assert_eq!(d.y.as_slice().unwrap(), &[255, 255]);
    // All zero, and empty: scale 1 (onnxruntime), zp 0.
    let d = dynamic_quantize_linear(arr1(&[0.0f32, -0.0]).into_dyn().view()).unwrap();
    assert_eq!((d.scale, d.zero_point), (1.0, 0));
    assert_eq!(d.y.as_slice().unwrap(), &[0, 0]);
    let d = dynamic_quantize_linear(ArrayD::<f32>::zeros(IxDyn(&[0, 3])).view()).unwrap();
    assert_eq!((d.scale, d.zero_point, d.y.shape()), (1.0, 0, &[0usize, 3][..]));
    // NaN and inf are refused.
    assert!(dynamic_quantize_linear(arr1(&[1.0f32, f32::NAN]).into_dyn().view()).is_err());
    assert!(dynamic_quantize_linear(arr1(&[f32::INFINITY]).into_dyn().view()).is_err());
}

#[test]
fn non_standard_layout_is_read_in_logical_order() {
    // A transposed view: logical [[1, 3], [2, 4]] with per-axis scales on axis 1.
    let base = f(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let t = base.t();
    let s = f(&[2], &[1.0, 0.5]);
    let y = quantize_linear(t.into_dyn(), s.view(), None, 1, IntType::U8).unwrap();
    // [1/1, 3/0.5; 2/1, 4/0.5] = [1, 6; 2, 8].
    assert_eq!(y.as_slice().unwrap(), &[1, 6, 2, 8]);
}
