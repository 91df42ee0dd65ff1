//! Resize cases small enough to work out by hand; the arithmetic is in the comments.

use convscope::nn::ops::resize::{
    CoordTransform, KeepAspect, Mode, NearestMode, ResizeAttrs, ResizeError, ResizeOp,
    ResizeParams, output_dims, resize, source,
};
use ndarray::{ArrayD, IxDyn, array};

fn t(shape: &[usize], v: &[f32]) -> ArrayD<f32> {
    ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap()
}

fn run(x: &ArrayD<f32>, scales: &[f32], p: &ResizeParams) -> ArrayD<f32> {
    let (dims, eff) = output_dims(x.shape(), Some(scales), None, None, p).unwrap();
    resize(&x.view(), &dims, &eff, None, p)
}

fn with(mode: Mode, coord: CoordTransform) -> ResizeParams {
    ResizeParams { coord, ..ResizeParams::new(mode) }
}

#[test]
fn nearest_2x2_upsampled_by_2() {
    // half_pixel: x = (y + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → round → 0, 0, 1, 1.
    let x = t(&[1, 1, 2, 2], &[1., 2., 3., 4.]);
    let y = run(&x, &[1., 1., 2., 2.], &ResizeParams::new(Mode::Nearest));
    let want = array![[1., 1., 2., 2.], [1., 1., 2., 2.], [3., 3., 4., 4.], [3., 3., 4., 4.]];
    assert_eq!(y, want.into_shape_with_order(IxDyn(&[1, 1, 4, 4])).unwrap());
}

#[test]
fn linear_half_pixel_doubles_a_row() {
    // x = −0.25 → both taps clamp to 0: 1; 0.25 → 0.75·1 + 0.25·3 = 1.5; 0.75 → 2.5;
    // 1.25 → taps 1 and 2, clamped to 1: 3.
    let x = t(&[1, 2], &[1., 3.]);
    let y = run(&x, &[1., 2.], &ResizeParams::new(Mode::Linear));
    assert_eq!(y, t(&[1, 4], &[1., 1.5, 2.5, 3.]));
}

#[test]
fn align_corners_keeps_the_corners() {
    // 3 → 5: x = y·(3 − 1)/(5 − 1) = y/2, so the samples 0, 2, 4 interpolate to 0..=4.
    let x = t(&[3], &[0., 2., 4.]);
    let p = with(Mode::Linear, CoordTransform::AlignCorners);
    let (dims, eff) = output_dims(&[3], None, Some(&[5]), None, &p).unwrap();
    assert_eq!((dims.as_slice(), eff[0]), (&[5][..], 5.0 / 3.0));
    assert_eq!(resize(&x.view(), &dims, &eff, None, &p), t(&[5], &[0., 1., 2., 3., 4.]));
}

#[test]
fn cubic_taps_at_a_half() {
    // asymmetric ×2, y = 3: x = 1.5, r = 0.5. Keys with a = −0.75:
    // |d| = 0.5: 1.25·0.125 − 2.25·0.25 + 1 = 0.59375;
    // |d| = 1.5: −0.75·3.375 + 3.75·2.25 − 6·1.5 + 3 = −0.09375.
    let p = with(Mode::Cubic, CoordTransform::Asymmetric);
    let s = source(3, 4, 8, 2.0, (0.0, 1.0), &p);
    assert_eq!(s.x_original, 1.5);
    assert_eq!(s.formula, "3/2 = 1.5");
    assert_eq!(s.taps, vec![(0, -0.09375), (1, 0.59375), (2, 0.59375), (3, -0.09375)]);
    // So [0, 8, 0, 0] gives 0.59375·8 = 4.75 there.
    let y = run(&t(&[4], &[0., 8., 0., 0.]), &[2.], &p);
    assert_eq!(y[[3]], 4.75);
}

#[test]
fn half_pixel_formula_reads_like_the_maths() {
    let p = ResizeParams::new(Mode::Linear);
    let s = source(17, 20, 40, 2.0, (0.0, 1.0), &p);
    assert_eq!(s.formula, "(17 + 0.5)/2 − 0.5 = 8.25");
    // r = 0.25: 0.75 on 8, 0.25 on 9.
    assert_eq!(s.taps, vec![(8, 0.75), (9, 0.25)]);
    let nearest = source(17, 20, 40, 2.0, (0.0, 1.0), &ResizeParams::new(Mode::Nearest));
    assert_eq!(nearest.taps, vec![(8, 1.0)]);
}

#[test]
fn tf_crop_and_resize_extrapolates() {
    // roi (−0.25, 1.25) on 5 samples, 7 outputs: x = y·1.5·4/6 − 0.25·4 = y − 1, so y = 0 and
    // y = 6 fall outside [0, 4] and read extrapolation_value 9.
    let p = ResizeParams {
        coord: CoordTransform::TfCropAndResize,
        extrapolation_value: 9.0,
        ..ResizeParams::new(Mode::Linear)
    };
    let roi = [-0.25, 1.25];
    let (dims, eff) = output_dims(&[5], None, Some(&[7]), Some(&roi), &p).unwrap();
    let x = t(&[5], &[0., 1., 2., 3., 4.]);
    let y = resize(&x.view(), &dims, &eff, Some(&roi), &p);
    assert_eq!(y, t(&[7], &[9., 0., 1., 2., 3., 4., 9.]));
    let s = source(0, 5, 7, eff[0], (-0.25, 1.25), &p);
    assert!(s.extrapolated && s.taps.is_empty());
    assert_eq!(
        s.formula,
        "-0.25·(5 − 1) + 0·(1.25 − -0.25)·(5 − 1)/(7 − 1) = -1 is outside [0, 4]: extrapolation_value 9"
    );
}

#[test]
fn antialias_linear_halves() {
    // scale 0.5, y = 0: x = 0.5/0.5 − 0.5 = 0.5, r = 0.5. The filter is stretched by 2: taps
    // −1..=2 at distances (i − 0.5)·0.5 = −0.75, −0.25, 0.25, 0.75 → 1 − |d| = 0.25, 0.75,
    // 0.75, 0.25, normalised by 2. On [8, 0, 0, 0] (tap −1 clamps to 0): (0.125 + 0.375)·8 = 4.
    let mut p = ResizeParams { antialias: true, ..ResizeParams::new(Mode::Linear) };
    let x = t(&[4], &[8., 0., 0., 0.]);
    assert_eq!(run(&x, &[0.5], &p), t(&[2], &[4., 0.]));
    // exclude_outside drops tap −1: 0.375/0.875·8 = 3.428571.
    p.exclude_outside = true;
    let y = run(&x, &[0.5], &p);
    assert!((y[[0]] - 3.0 / 0.875).abs() < 1e-6);
}

#[test]
fn pytorch_half_pixel_single_output_reads_zero() {
    // The operator text: length_resized 1 → x_original 0 (the reference says −0.5).
    let p = with(Mode::Linear, CoordTransform::PytorchHalfPixel);
    let s = source(0, 5, 1, 0.2, (0.0, 1.0), &p);
    assert_eq!((s.x_original, s.formula.as_str()), (0.0, "output length 1 → 0"));
}

#[test]
fn resize10_rounds_down_up_and_up_down() {
    // Opset 10: x = y/scale in f32; downsampling takes the ceil, upsampling truncates.
    // [1, 2, 3, 4] × 0.6 → 2 outputs; y = 1: 1/0.6 = 1.67 → ceil 2 → 3.
    let p = ResizeParams::from_attrs(ResizeOp::Resize { opset: 10 }, 1, &ResizeAttrs::default())
        .unwrap();
    assert_eq!((p.coord, p.nearest), (CoordTransform::Asymmetric, NearestMode::Simple));
    assert_eq!(run(&t(&[4], &[1., 2., 3., 4.]), &[0.6], &p), t(&[2], &[1., 3.]));
    // × 1.5 → 6 outputs: y/1.5 = 0, 0.67, 1.33, 2, 2.67, 3.33 → 0, 0, 1, 2, 2, 3.
    assert_eq!(run(&t(&[4], &[1., 2., 3., 4.]), &[1.5], &p), t(&[6], &[1., 1., 2., 3., 3., 4.]));
}

#[test]
fn upsample_matches_the_operator_example() {
    let p = ResizeParams::from_attrs(ResizeOp::Upsample, 4, &ResizeAttrs::default()).unwrap();
    let x = t(&[1, 1, 2, 2], &[1., 2., 3., 4.]);
    let y = run(&x, &[1., 1., 2., 3.], &p);
    let want = [
        1., 1., 1., 2., 2., 2., //
        1., 1., 1., 2., 2., 2., //
        3., 3., 3., 4., 4., 4., //
        3., 3., 3., 4., 4., 4.,
    ];
    assert_eq!(y, t(&[1, 1, 4, 6], &want));
    let e = output_dims(&[1, 1, 2, 2], Some(&[1., 1., 0.5, 1.]), None, None, &p).unwrap_err();
    assert_eq!(e, ResizeError::UpsampleBelowOne { axis: 2, scale: 0.5 });
}

#[test]
fn a_strided_view_is_read_correctly() {
    // The transpose of [[1, 2], [3, 4]] is [[1, 3], [2, 4]]; nearest ×2 on its last axis.
    let x = t(&[2, 2], &[1., 2., 3., 4.]);
    let xt = x.t();
    let p = ResizeParams { axes: Some(vec![1]), ..ResizeParams::new(Mode::Nearest) };
    let (dims, eff) = output_dims(xt.shape(), Some(&[2.]), None, None, &p).unwrap();
    assert_eq!(resize(&xt, &dims, &eff, None, &p), t(&[2, 4], &[1., 1., 3., 3., 2., 2., 4., 4.]));
}

#[test]
fn keep_aspect_ratio_policies() {
    // 3×5 into 4×4: size/in = 4/3 and 0.8. not_larger takes 0.8: round(2.4) = 2, 4.
    // not_smaller takes 4/3: 4, round(6.67) = 7.
    let mut p = ResizeParams { axes: Some(vec![0, 1]), ..ResizeParams::new(Mode::Linear) };
    p.keep_aspect_ratio_policy = KeepAspect::NotLarger;
    assert_eq!(
        output_dims(&[3, 5], None, Some(&[4, 4]), None, &p).unwrap(),
        (vec![2, 4], vec![0.8, 0.8])
    );
    p.keep_aspect_ratio_policy = KeepAspect::NotSmaller;
    let (dims, eff) = output_dims(&[3, 5], None, Some(&[4, 4]), None, &p).unwrap();
    assert_eq!((dims, eff[0]), (vec![4, 7], 4.0 / 3.0));
}

#[test]
fn attribute_errors_name_the_attribute() {
    let op = ResizeOp::Resize { opset: 19 };
    let bad = |a: ResizeAttrs| ResizeParams::from_attrs(op, 4, &a).unwrap_err().to_string();
    assert_eq!(
        bad(ResizeAttrs { mode: Some("bilinear"), ..Default::default() }),
        "unknown mode 'bilinear'"
    );
    assert_eq!(
        bad(ResizeAttrs { coordinate_transformation_mode: Some("corner"), ..Default::default() }),
        "unknown coordinate_transformation_mode 'corner'"
    );
    assert_eq!(
        bad(ResizeAttrs { nearest_mode: Some("up"), ..Default::default() }),
        "unknown nearest_mode 'up'"
    );
    assert_eq!(
        bad(ResizeAttrs { keep_aspect_ratio_policy: Some("fit"), ..Default::default() }),
        "unknown keep_aspect_ratio_policy 'fit'"
    );
    assert_eq!(
        bad(ResizeAttrs { antialias: Some(1), ..Default::default() }),
        "antialias = 1 needs mode linear or cubic, not nearest"
    );
    assert_eq!(
        bad(ResizeAttrs { exclude_outside: Some(2), ..Default::default() }),
        "exclude_outside = 2 is not allowed"
    );
    assert_eq!(
        bad(ResizeAttrs { axes: Some(&[2, -2]), ..Default::default() }),
        "axis -2 is listed twice in axes"
    );
    assert_eq!(
        bad(ResizeAttrs { axes: Some(&[4]), ..Default::default() }),
        "axis 4 is out of range for rank 4"
    );
    let old = |opset, a: ResizeAttrs| {
        ResizeParams::from_attrs(ResizeOp::Resize { opset }, 4, &a).unwrap_err().to_string()
    };
    assert_eq!(
        old(13, ResizeAttrs { antialias: Some(0), ..Default::default() }),
        "attribute antialias does not exist in this op's opset 13"
    );
    assert_eq!(
        old(10, ResizeAttrs { mode: Some("cubic"), ..Default::default() }),
        "unknown mode 'cubic'"
    );
    let axes = ResizeParams::from_attrs(
        op,
        4,
        &ResizeAttrs { axes: Some(&[-1, -2]), ..Default::default() },
    );
    assert_eq!(axes.unwrap().axes, Some(vec![3, 2]));
}

#[test]
fn hostile_sizes_are_refused() {
    let p = ResizeParams::new(Mode::Nearest);
    let dims = |s: &[f32]| output_dims(&[1, 1, 4, 4], Some(s), None, None, &p).map(|r| r.0);
    assert!(matches!(dims(&[1., 1., f32::NAN, 1.]), Err(ResizeError::BadScale { axis: 2, .. })));
    assert!(matches!(dims(&[1., 1., 0., 1.]), Err(ResizeError::BadScale { axis: 2, .. })));
    assert!(matches!(dims(&[1., 1., -2., 1.]), Err(ResizeError::BadScale { .. })));
    assert!(matches!(dims(&[1., 1., f32::INFINITY, 1.]), Err(ResizeError::BadScale { .. })));
    assert!(matches!(dims(&[1., 1., 1e7, 1.]), Err(ResizeError::DimTooLarge { axis: 2, .. })));
    // 4·2^12 = 2^14 per side: 2^28 values is fine, 2^32 is not.
    assert_eq!(dims(&[1., 1., 4096., 4096.]).unwrap(), [1, 1, 16384, 16384]);
    assert!(matches!(dims(&[1., 16., 4096., 4096.]), Err(ResizeError::TooManyValues { .. })));
    assert!(matches!(
        dims(&[1., 1., 2.]),
        Err(ResizeError::Length { what: "scales", got: 3, want: 4 })
    ));
    let sizes = |z: &[i64]| output_dims(&[1, 1, 4, 4], None, Some(z), None, &p).map(|r| r.0);
    assert!(matches!(sizes(&[1, 1, 0, 4]), Err(ResizeError::BadSize { axis: 2, size: 0 })));
    assert!(matches!(sizes(&[1, 1, -1, 4]), Err(ResizeError::BadSize { .. })));
    assert!(matches!(sizes(&[1, 1, i64::MAX, 4]), Err(ResizeError::DimTooLarge { .. })));
    let both = output_dims(&[4], Some(&[2.]), Some(&[8]), None, &p);
    assert_eq!(both, Err(ResizeError::ScalesOrSizes { got: "both" }));
    // Empty tensors count as absent (opset 11 passes an empty scales with sizes).
    assert_eq!(output_dims(&[4], Some(&[]), Some(&[8]), None, &p).unwrap().0, [8]);
    let crop = with(Mode::Linear, CoordTransform::TfCropAndResize);
    assert!(matches!(
        output_dims(&[4], Some(&[2.]), None, None, &crop),
        Err(ResizeError::NoRoi { .. })
    ));
    let roi = [0.0, f32::NAN];
    assert!(matches!(
        output_dims(&[4], Some(&[2.]), None, Some(&roi), &crop),
        Err(ResizeError::BadRoi { .. })
    ));
}
