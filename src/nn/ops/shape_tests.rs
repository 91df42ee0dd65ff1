use super::super::testutil::{X, f, i, run, run_output, vals};
use super::*;

fn range(n: usize) -> Vec<f32> {
    (0..n).map(|v| v as f32).collect()
}

#[test]
fn the_channel_shuffle_moves_each_channel_where_shufflenet_puts_it() {
    // [1, 6, 1, 1] with channel c = c; groups 2: reshape [1, 2, 3, 1, 1], swap axes 1 and 2,
    // reshape back: channels 0 3 1 4 2 5.
    let x = f(&[1, 6, 1, 1], &range(6));
    let r = run(Op::Reshape { allowzero: false }, vec![X::R(x), X::C(i(&[5], &[1, 2, 3, 1, 1]))])
        .unwrap();
    let t = run(Op::Transpose { perm: Some(vec![0, 2, 1, 3, 4]) }, vec![X::R(r)]).unwrap();
    let back = run(Op::Reshape { allowzero: false }, vec![X::R(t), X::C(i(&[4], &[1, -1, 1, 1]))])
        .unwrap();
    assert_eq!(back.dims(), [1, 6, 1, 1]);
    assert_eq!(vals(&back), [0., 3., 1., 4., 2., 5.]);
}

#[test]
fn reshape_rules() {
    assert_eq!(reshape_dims(&[1, 3, 2, 2], &[0, -1], false).unwrap(), [1, 12]);
    assert!(reshape_dims(&[1, 3, 2, 2], &[5, -1], false).is_err());
    assert!(reshape_dims(&[1, 3, 2, 2], &[-1, -1], false).is_err());
    assert!(reshape_dims(&[4], &[1 << 40, 0], true).is_err(), "a hostile shape");
    assert_eq!(reshape_dims(&[0, 3], &[3, 0], true).unwrap(), [3, 0]);
}

#[test]
fn slices_with_steps_and_negative_indices() {
    // x = 0..10; [8:2:-2] = 8, 6, 4; [-3:] = 7, 8, 9.
    let x = f(&[10], &range(10));
    let s = |st: i64, en: i64, step: i64| {
        let ops = vec![
            X::R(x.clone()),
            X::C(i(&[1], &[st])),
            X::C(i(&[1], &[en])),
            X::C(i(&[1], &[0])),
            X::C(i(&[1], &[step])),
        ];
        vals(&run(Op::Slice { attrs: None }, ops).unwrap())
    };
    assert_eq!(s(8, 2, -2), [8., 6., 4.]);
    assert_eq!(s(-3, i64::MAX, 1), [7., 8., 9.]);
    assert_eq!(s(0, 10, 3), [0., 3., 6., 9.]);
    assert!(s(5, 5, 1).is_empty());
    assert_eq!(s(-1, i64::MIN, -1), (0..10).rev().map(|v| v as f32).collect::<Vec<_>>());
}

#[test]
fn the_yolo_focus_slices_take_every_other_pixel() {
    // x[..., ::2, ::2] of a 4×4 plane 0..16: 0 2 8 10.
    let x = f(&[1, 1, 4, 4], &range(16));
    let ops = vec![
        X::R(x),
        X::C(i(&[2], &[0, 0])),
        X::C(i(&[2], &[i64::MAX, i64::MAX])),
        X::C(i(&[2], &[2, 3])),
        X::C(i(&[2], &[2, 2])),
    ];
    let y = run(Op::Slice { attrs: None }, ops).unwrap();
    assert_eq!((y.dims(), vals(&y)), (&[1, 1, 2, 2][..], vec![0., 2., 8., 10.]));
}

#[test]
fn gather_concat_split_and_tile() {
    let t = f(&[2, 3], &range(6));
    let g = run(Op::Gather { axis: 1 }, vec![X::R(t.clone()), X::C(i(&[2], &[2, -3]))]).unwrap();
    assert_eq!(vals(&g), [2., 0., 5., 3.]);
    assert!(run(Op::Gather { axis: 1 }, vec![X::R(t.clone()), X::C(i(&[1], &[3]))]).is_err());
    let c = run(Op::Concat { axis: 0 }, vec![X::R(t.clone()), X::C(f(&[1, 3], &[9., 9., 9.]))])
        .unwrap();
    assert_eq!(c.dims(), [3, 3]);
    let split = Op::Split { axis: 1, split: Some(vec![1, 2]), outputs: 2 };
    let second = run_output(split, vec![X::R(t.clone())], 1).unwrap();
    assert_eq!(vals(&second), [1., 2., 4., 5.]);
    let even = Op::Split { axis: 1, split: None, outputs: 3 };
    assert_eq!(vals(&run_output(even, vec![X::R(t.clone())], 2).unwrap()), [2., 5.]);
    let tile = run(Op::Tile, vec![X::R(f(&[2], &[1., 2.])), X::C(i(&[1], &[3]))]).unwrap();
    assert_eq!(vals(&tile), [1., 2., 1., 2., 1., 2.]);
}

#[test]
fn shape_ops_give_int64() {
    let x = f(&[1, 3, 4, 5], &range(60));
    let s = run(Op::Shape { start: 1, end: Some(-1) }, vec![X::R(x.clone())]).unwrap();
    assert_eq!((s.elem(), s.ints()), (Elem::I64, vec![3, 4]));
    let n = run(Op::Size, vec![X::R(x)]).unwrap();
    assert_eq!(n.ints(), [60]);
    let z = run(
        Op::ConstantOfShape { value: Tensor::f32(&[1], vec![0.5]) },
        vec![X::C(i(&[2], &[2, 2]))],
    )
    .unwrap();
    assert_eq!(vals(&z), [0.5; 4]);
    let huge = run(
        Op::ConstantOfShape { value: Tensor::f32(&[1], vec![0.]) },
        vec![X::C(i(&[1], &[1 << 40]))],
    );
    assert!(huge.is_err(), "a shape of 2^40 is refused before anything is allocated");
    let r =
        run(Op::Range, vec![X::C(i(&[], &[1])), X::C(i(&[], &[10])), X::C(i(&[], &[3]))]).unwrap();
    assert_eq!(r.ints(), [1, 4, 7]);
}

#[test]
fn squeeze_unsqueeze_flatten_and_bad_perms() {
    let x = f(&[1, 3, 1, 2], &range(6));
    let s = run(Op::Squeeze { axes: None }, vec![X::R(x.clone())]).unwrap();
    assert_eq!(s.dims(), [3, 2]);
    assert!(
        run(Op::Squeeze { axes: Some(vec![1]) }, vec![X::R(x.clone())]).is_err(),
        "axis 1 is 3"
    );
    let u = run(Op::Unsqueeze { axes: Some(vec![0, -1]) }, vec![X::R(s)]).unwrap();
    assert_eq!(u.dims(), [1, 3, 2, 1]);
    let fl = run(Op::Flatten { axis: 2 }, vec![X::R(x.clone())]).unwrap();
    assert_eq!(fl.dims(), [3, 2]);
    let bad = run(Op::Transpose { perm: Some(vec![0, 0, 0, 0]) }, vec![X::R(x)]);
    assert!(matches!(bad, Err(OpError::Value { ref key, .. }) if key == "perm"), "{bad:?}");
}

#[test]
fn casts_truncate_and_wrap() {
    let x = f(&[4], &[-1.7, 2.9, 300.0, 0.0]);
    assert_eq!(cast(&x, Elem::I64).ints(), [-1, 2, 300, 0]);
    assert_eq!(cast(&x, Elem::U8).ints(), [255, 2, 44, 0]);
    assert_eq!(cast(&x, Elem::Bool).ints(), [1, 1, 1, 0]);
}
