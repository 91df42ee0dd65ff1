//! Pad: hand-worked cases, and the vectors of tools/gen_pad.py.

use super::common::{assert_close, cases, f32s, i64s, tensor};
use convscope::nn::ops::pad::{PadError, PadMode, output_dims, pad, plan, source_index};
use ndarray::{ArrayD, Dimension, IxDyn};

fn row(v: &[f32]) -> ArrayD<f32> {
    ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap()
}

fn pad1(v: &[f32], begin: i64, end: i64, mode: PadMode) -> Result<Vec<f32>, PadError> {
    let x = row(v);
    let p = plan(x.shape(), &[begin, end], None, mode)?;
    Ok(pad(&x.view(), &p, 0.0).into_raw_vec_and_offset().0)
}

#[test]
fn every_mode_by_hand() {
    let v = [1., 2., 3., 4.];
    // constant 0: two in front, one behind.
    assert_eq!(pad1(&v, 2, 1, PadMode::Constant).unwrap(), [0., 0., 1., 2., 3., 4., 0.]);
    // edge repeats 1 and 4.
    assert_eq!(pad1(&v, 2, 1, PadMode::Edge).unwrap(), [1., 1., 1., 2., 3., 4., 4.]);
    // reflect mirrors about 1 and 4 without repeating them: 3 2 | 1 2 3 4 | 3.
    assert_eq!(pad1(&v, 2, 1, PadMode::Reflect).unwrap(), [3., 2., 1., 2., 3., 4., 3.]);
    // wrap: index o − 2 taken mod 4: 3 4 | 1 2 3 4 | 1.
    assert_eq!(pad1(&v, 2, 1, PadMode::Wrap).unwrap(), [3., 4., 1., 2., 3., 4., 1.]);
}

#[test]
fn negative_pads_crop_first() {
    let v = [1., 2., 3., 4.];
    // Crop 1 in front: [2, 3, 4]; then reflect 2 behind about 4: 3, 2.
    assert_eq!(pad1(&v, -1, 2, PadMode::Reflect).unwrap(), [2., 3., 4., 3., 2.]);
    // Edge of what is left: [4] then 4, 4, 4.
    assert_eq!(pad1(&v, -3, 3, PadMode::Edge).unwrap(), [4., 4., 4., 4.]);
    // Wrap of [2, 3, 4].
    assert_eq!(pad1(&v, -1, 2, PadMode::Wrap).unwrap(), [2., 3., 4., 2., 3.]);
    // Constant: a crop past the values still has 4 − 5 + 6 = 5 cells, all constant.
    assert_eq!(pad1(&v, -5, 6, PadMode::Constant).unwrap(), [0.; 5]);
}

#[test]
fn what_onnxruntime_refuses() {
    let v = [1., 2., 3., 4.];
    let e = pad1(&v, 4, 0, PadMode::Reflect).unwrap_err();
    assert_eq!(e, PadError::ReflectTooFar { axis: 0, pad: 4, max: 3, left: 4 });
    assert_eq!(
        e.to_string(),
        "axis 0: reflect pad 4 needs at most 3 (the axis has 4 values after cropping)"
    );
    assert!(matches!(pad1(&v, -3, 3, PadMode::Reflect), Err(PadError::ReflectTooFar { .. })));
    assert!(matches!(pad1(&v, -4, 1, PadMode::Edge), Err(PadError::NothingLeft { .. })));
    assert!(matches!(pad1(&v, -3, -2, PadMode::Constant), Err(PadError::BadLength { .. })));
    assert_eq!(pad1(&v, -3, 0, PadMode::Reflect).unwrap(), [4.]);
    assert!(matches!(PadMode::from_attr("mirror"), Err(PadError::Unknown { .. })));
    assert_eq!(PadMode::from_attr("mirror").unwrap_err().to_string(), "unknown mode 'mirror'");
}

#[test]
fn axes_and_checked_dims() {
    // [2, 3, 4] padded on axes [-1, 0]: begins (1, 2), ends (0, 1).
    assert_eq!(output_dims(&[2, 3, 4], &[1, 2, 0, 1], Some(&[-1, 0])).unwrap(), [5, 3, 5]);
    let e = output_dims(&[2, 3], &[1, 2, 3], None).unwrap_err();
    assert_eq!(e, PadError::Length { got: 3, want: 4 });
    assert!(matches!(
        output_dims(&[2, 3], &[0, 0], Some(&[1, -1])),
        Err(PadError::RepeatedAxis { .. })
    ));
    assert!(matches!(output_dims(&[2, 3], &[0, 0], Some(&[2])), Err(PadError::BadAxis { .. })));
    assert!(matches!(output_dims(&[2], &[i64::MIN, 0], None), Err(PadError::PadTooLarge { .. })));
    assert!(matches!(output_dims(&[2], &[1 << 24, 1], None), Err(PadError::BadLength { .. })));
    let e = output_dims(&[1 << 16, 1 << 15], &[0, 1, 0, 0], None).unwrap_err();
    assert!(matches!(e, PadError::TooManyValues { .. }));
}

#[test]
fn source_index_explains_cells() {
    // 2×3 [[a b c] [d e f]], edge pad 1 on every side; out (0, 0) is the corner a = (0, 0).
    let p = plan(&[2, 3], &[1, 1, 1, 1], None, PadMode::Edge).unwrap();
    assert_eq!(source_index(&[0, 0], &p), Some(vec![0, 0]));
    assert_eq!(source_index(&[3, 4], &p), Some(vec![1, 2]));
    let c = plan(&[2, 3], &[1, 1, 1, 1], None, PadMode::Constant).unwrap();
    assert_eq!(source_index(&[0, 2], &c), None);
    assert_eq!(source_index(&[1, 1], &c), Some(vec![0, 0]));
    let r = plan(&[2, 3], &[0, 2, 0, 0], None, PadMode::Reflect).unwrap();
    // Column 0 is input column 2 (mirror of 2 about 0), column 1 is input 1.
    assert_eq!(source_index(&[1, 0], &r), Some(vec![1, 2]));
}

#[test]
fn every_vector_matches() {
    let all = cases("pad.json");
    assert!(all.len() > 50);
    for c in &all {
        let name = c["name"].as_str().unwrap();
        let x = tensor(c, "x");
        let mode = PadMode::from_attr(c["mode"].as_str().unwrap()).unwrap();
        let pads = i64s(&c["pads"]).unwrap();
        let axes = i64s(&c["axes"]);
        let value = c["value"].as_f64().unwrap_or(0.0) as f32;
        let planned = plan(x.shape(), &pads, axes.as_deref(), mode);
        if c.get("error").is_some() {
            assert!(planned.is_err(), "{name}: onnxruntime refuses it, we gave {planned:?}");
            continue;
        }
        let p = planned.unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = pad(&x.view(), &p, value);
        assert_close(name, &got, &tensor(c, "y"));
        // source_index agrees with the kernel everywhere.
        let flat = f32s(&c["x"]).unwrap();
        for (idx, &v) in got.indexed_iter() {
            let want = match source_index(idx.slice(), &p) {
                Some(i) => x[IxDyn(&i)],
                None => value,
            };
            assert_eq!(v, want, "{name}: source_index at {idx:?} ({} inputs)", flat.len());
        }
    }
}
