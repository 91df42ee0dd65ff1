//! MatMulInteger and QLinearMatMul by hand.

use ndarray::{ArrayD, IxDyn, arr0, arr1};

use super::*;

fn t(dims: &[usize], v: &[i64]) -> ArrayD<i64> {
    ArrayD::from_shape_vec(IxDyn(dims), v.to_vec()).unwrap()
}

fn mmi(
    a: &ArrayD<i64>,
    at: IntType,
    az: Option<&ArrayD<i64>>,
    b: &ArrayD<i64>,
    bt: IntType,
    bz: Option<&ArrayD<i64>>,
) -> Result<ArrayD<i64>, QuantError> {
    matmul_integer(
        IntInput { data: a.view(), ty: at, zero_point: az.map(|z| z.view()) },
        IntInput { data: b.view(), ty: bt, zero_point: bz.map(|z| z.view()) },
    )
}

#[test]
fn per_row_and_per_column_zero_points() {
    // A − [1, 2] per row = [[2 3] [3 4]]; B − [0, 1, −1] per column = [[1 −1 0] [2 1 3]].
    // Y = [[2 + 6, −2 + 3, 0 + 9], [3 + 8, −3 + 4, 0 + 12]].
    let a = t(&[2, 2], &[3, 4, 5, 6]);
    let b = t(&[2, 3], &[1, 0, -1, 2, 2, 2]);
    let az = arr1(&[1i64, 2]).into_dyn();
    let bz = arr1(&[0i64, 1, -1]).into_dyn();
    let y = mmi(&a, IntType::U8, Some(&az), &b, IntType::I8, Some(&bz)).unwrap();
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.as_slice().unwrap(), &[8, 1, 9, 11, 1, 12]);
    // The same zero points in their N-D forms [2, 1] and [1, 3].
    let az2 = t(&[2, 1], &[1, 2]);
    let bz2 = t(&[1, 3], &[0, 1, -1]);
    let y2 = mmi(&a, IntType::U8, Some(&az2), &b, IntType::I8, Some(&bz2)).unwrap();
    assert_eq!(y, y2);
}

#[test]
fn batch_broadcasting() {
    // A [2, 1, 1, 2] = rows [1 2], [3 4]; B [3, 2, 1] = columns [1 1], [2 0], [0 5].
    // Y [2, 3, 1, 1]: [1 2]·: 3, 2, 10; [3 4]·: 7, 6, 20.
    let a = t(&[2, 1, 1, 2], &[1, 2, 3, 4]);
    let b = t(&[3, 2, 1], &[1, 1, 2, 0, 0, 5]);
    let y = mmi(&a, IntType::U8, None, &b, IntType::U8, None).unwrap();
    assert_eq!(y.shape(), &[2, 3, 1, 1]);
    assert_eq!(y.as_slice().unwrap(), &[3, 2, 10, 7, 6, 20]);
}

#[test]
fn vectors() {
    // [1 2] · [[1 2 3] [4 5 6]] = [9 12 15]; [[1 2 3] [4 5 6]] · [1 1 1] = [6 15]; dot = 5.
    let v = t(&[2], &[1, 2]);
    let m = t(&[2, 3], &[1, 2, 3, 4, 5, 6]);
    let ones = t(&[3], &[1, 1, 1]);
    let y = mmi(&v, IntType::I8, None, &m, IntType::I8, None).unwrap();
    assert_eq!((y.shape(), y.as_slice().unwrap()), (&[3usize][..], &[9i64, 12, 15][..]));
    let y = mmi(&m, IntType::I8, None, &ones, IntType::I8, None).unwrap();
    assert_eq!((y.shape(), y.as_slice().unwrap()), (&[2usize][..], &[6i64, 15][..]));
    let y = mmi(&v, IntType::I8, None, &v, IntType::I8, None).unwrap();
    assert_eq!((y.shape(), y.iter().copied().collect::<Vec<_>>()), (&[][..], vec![5]));
}

#[test]
fn refusals() {
    let a = t(&[2, 2], &[3, 4, 5, 6]);
    let b = t(&[2, 3], &[1, 0, -1, 2, 2, 2]);
    // a zero point per column, b zero point per row.
    let z2 = arr1(&[0i64, 0]).into_dyn();
    let z3 = arr1(&[0i64, 0, 0]).into_dyn();
    let a3 = t(&[3, 2], &[0; 6]);
    assert!(mmi(&a3, IntType::U8, Some(&z2), &b, IntType::I8, None).is_err());
    assert!(mmi(&a, IntType::U8, None, &b, IntType::I8, Some(&z2)).is_err());
    assert!(mmi(&a, IntType::U8, Some(&z3), &b, IntType::I8, None).is_err());
    // −1 is no uint8; int32 is no operand type.
    let neg = t(&[2, 2], &[3, 4, 5, -1]);
    assert!(mmi(&neg, IntType::U8, None, &b, IntType::I8, None).is_err());
    assert!(mmi(&a, IntType::I32, None, &b, IntType::I8, None).is_err());
    // Over int32: K = 33026 products of 255·255 = 2 147 515 650.
    let k = 33_026;
    let big = ArrayD::from_elem(IxDyn(&[1, k]), 255i64);
    let col = ArrayD::from_elem(IxDyn(&[k, 1]), 255i64);
    assert!(matches!(
        mmi(&big, IntType::U8, None, &col, IntType::U8, None),
        Err(QuantError::Int32Overflow { value: 2_147_515_650, .. })
    ));
}

#[test]
fn qlinear_matmul_by_hand() {
    // a − 10 = [0 9]; b − [1, 0] per column = [[0 2] [2 4]]: acc = [18, 36].
    // m0 = 0.25 · 0.5 / 0.5 = 0.25: 4.5 → 4 (tie to even); m1 = 0.25 · 2 / 0.5 = 1: 36.
    let a = t(&[1, 2], &[10, 19]);
    let b = t(&[2, 2], &[1, 2, 3, 4]);
    let (a_s, a_z) = (arr0(0.25f32).into_dyn(), arr0(10i64).into_dyn());
    let (b_s, b_z) = (arr1(&[0.5f32, 2.0]).into_dyn(), arr1(&[1i64, 0]).into_dyn());
    let y_s = arr0(0.5f32).into_dyn();
    let run = |zp: i64| {
        let y_z = arr0(zp).into_dyn();
        qlinear_matmul(
            QInput { data: a.view(), ty: IntType::U8, scale: a_s.view(), zero_point: a_z.view() },
            QInput { data: b.view(), ty: IntType::U8, scale: b_s.view(), zero_point: b_z.view() },
            QOutput { ty: IntType::U8, scale: y_s.view(), zero_point: y_z.view() },
        )
    };
    assert_eq!(run(100).unwrap().as_slice().unwrap(), &[104, 136]);
    // zp 230: 234 and 266 → 255.
    assert_eq!(run(230).unwrap().as_slice().unwrap(), &[234, 255]);
}

#[test]
fn qlinear_matmul_shapes() {
    let q = |d: &'static [usize], s: &'static [usize], z: &'static [usize]| QDims {
        data: d,
        scale: s,
        zero_point: z,
    };
    let ok = output_dims_qlinear_matmul(
        q(&[3, 4, 5], &[3, 4, 1], &[]),
        q(&[5, 6], &[6], &[6]),
        &[],
        &[1],
    );
    assert_eq!(ok, Ok(vec![3, 4, 6]));
    // y per column is refused (onnxruntime too).
    assert!(
        output_dims_qlinear_matmul(q(&[4, 5], &[], &[]), q(&[5, 6], &[], &[]), &[6], &[6]).is_err()
    );
    assert!(
        output_dims_qlinear_matmul(q(&[4, 5], &[5], &[]), q(&[5, 6], &[], &[]), &[], &[]).is_err()
    );
}
