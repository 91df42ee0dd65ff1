//! Hostile shapes and attributes: every output_dims function (and the attribute resolvers)
//! returns Ok or Err on anything, never panics; and on small inputs the kernels agree with
//! their output_dims function about success and shape.

use convscope::nn::ops::quant::*;
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

/// A dimension: mostly small, sometimes at or past the limits, sometimes absurd.
fn dim() -> impl Strategy<Value = usize> {
    prop_oneof![
        6 => 0usize..6,
        1 => Just(MAX_DIM),
        1 => Just(MAX_DIM + 1),
        1 => (1usize << 15)..(1 << 17),
        1 => Just(usize::MAX),
    ]
}

fn dims() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(dim(), 0..6)
}

fn int_attr() -> impl Strategy<Value = i64> {
    prop_oneof![4 => -2i64..5, 1 => Just(i64::MIN), 1 => Just(i64::MAX), 1 => Just(1 << 24), 1 => Just((1 << 24) + 1)]
}

fn list_attr() -> impl Strategy<Value = Option<Vec<i64>>> {
    prop::option::of(prop::collection::vec(int_attr(), 0..6))
}

fn conv_attrs() -> impl Strategy<Value = ConvAttrs> {
    let pad = prop_oneof![
        Just(AutoPad::NotSet),
        Just(AutoPad::SameUpper),
        Just(AutoPad::SameLower),
        Just(AutoPad::Valid)
    ];
    (pad, list_attr(), prop::option::of(int_attr()), list_attr(), list_attr(), list_attr())
        .prop_map(|(auto_pad, dilations, group, kernel_shape, pads, strides)| ConvAttrs {
            auto_pad,
            dilations,
            group,
            kernel_shape,
            pads,
            strides,
        })
}

fn ty() -> impl Strategy<Value = IntType> {
    prop_oneof![
        Just(IntType::U8),
        Just(IntType::I8),
        Just(IntType::U16),
        Just(IntType::I16),
        Just(IntType::I32)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn qdq_dims_never_panic(x in dims(), s in dims(), z in prop::option::of(dims()), axis in int_attr()) {
        let _ = output_dims_quantize_linear(&x, &s, z.as_deref(), axis);
        let _ = output_dims_dequantize_linear(&x, &s, z.as_deref(), axis);
        let _ = output_dims_dynamic_quantize_linear(&x);
        let _ = check_dims("t", "x", &x);
    }

    #[test]
    fn conv_dims_never_panic(
        x in dims(), w in dims(), xz in prop::option::of(dims()), wz in prop::option::of(dims()),
        b in prop::option::of(dims()), ys in dims(), a in conv_attrs(),
    ) {
        let _ = conv_geometry("ConvInteger", &x, &w, &a);
        let _ = output_dims_conv_integer(&x, xz.as_deref(), &w, wz.as_deref(), &a);
        let xd = QDims { data: &x, scale: &ys, zero_point: xz.as_deref().unwrap_or(&[]) };
        let wd = QDims { data: &w, scale: &ys, zero_point: wz.as_deref().unwrap_or(&[]) };
        let _ = output_dims_qlinear_conv(xd, wd, &ys, &ys, b.as_deref(), &a);
    }

    #[test]
    fn matmul_dims_never_panic(a in dims(), b in dims(), az in prop::option::of(dims()), bz in prop::option::of(dims()), s in dims()) {
        let _ = matmul_shape("MatMulInteger", &a, &b);
        let _ = output_dims_matmul_integer(&a, az.as_deref(), &b, bz.as_deref());
        let ad = QDims { data: &a, scale: &s, zero_point: az.as_deref().unwrap_or(&[]) };
        let bd = QDims { data: &b, scale: &s, zero_point: bz.as_deref().unwrap_or(&[]) };
        let _ = output_dims_qlinear_matmul(ad, bd, &s, &[]);
    }

    #[test]
    fn attrs_never_panic(
        opset in -1i64..30, axis in prop::option::of(int_attr()), sat in prop::option::of(int_attr()),
        block in prop::option::of(int_attr()), out in prop::option::of(-1i64..40), prec in prop::option::of(-1i64..20),
        x in -1i32..30, s in -1i32..30, z in prop::option::of(-1i32..30),
    ) {
        let n = QdqNode { opset, axis, saturate: sat, block_size: block, output_dtype: out, precision: prec,
            x_dtype: x, scale_dtype: s, zero_point_dtype: z };
        let _ = quantize_attrs(&n);
        let _ = dequantize_attrs(&n);
        let _ = IntType::from_onnx("t", "x", x);
    }

    #[test]
    fn conv_kernel_agrees_with_its_dims(
        x in prop::collection::vec(0usize..4, 4), w in prop::collection::vec(0usize..4, 4),
        a in conv_attrs(), xt in ty(), wt in ty(), seed in any::<u64>(), wz_per_filter in any::<bool>(),
    ) {
        let mut s = seed;
        let mut next = move || { s = s.wrapping_mul(6364136223846793005).wrapping_add(1); (s >> 33) as i64 };
        let xv = ArrayD::from_shape_simple_fn(IxDyn(&x), || next() % 300 - 20);
        let wv = ArrayD::from_shape_simple_fn(IxDyn(&w), || next() % 300 - 20);
        let wz_dims = if wz_per_filter { vec![w[0]] } else { vec![] };
        let wz = ArrayD::from_elem(IxDyn(&wz_dims), 1i64);
        let dims = output_dims_conv_integer(&x, None, &w, Some(&wz_dims), &a);
        let y = conv_integer(
            IntInput { data: xv.view(), ty: xt, zero_point: None },
            IntInput { data: wv.view(), ty: wt, zero_point: Some(wz.view()) },
            &a,
        );
        if let Ok(y) = y {
            prop_assert_eq!(Ok(y.shape().to_vec()), dims);
        }
    }

    #[test]
    fn matmul_kernel_agrees_with_its_dims(
        a in prop::collection::vec(0usize..4, 1..4), b in prop::collection::vec(0usize..4, 1..4), at in ty(), bt in ty(),
    ) {
        let av = ArrayD::from_elem(IxDyn(&a), 3i64);
        let bv = ArrayD::from_elem(IxDyn(&b), -3i64);
        let dims = output_dims_matmul_integer(&a, None, &b, None);
        let y = matmul_integer(
            IntInput { data: av.view(), ty: at, zero_point: None },
            IntInput { data: bv.view(), ty: bt, zero_point: None },
        );
        if let Ok(y) = y {
            prop_assert_eq!(Ok(y.shape().to_vec()), dims);
        }
    }

    #[test]
    fn quantize_any_float_stays_in_range(x in prop::collection::vec(any::<f32>(), 0..16), s in any::<f32>(), zp in -200i64..300, t in ty()) {
        let xv = ArrayD::from_shape_vec(IxDyn(&[x.len()]), x).unwrap();
        let sv = ndarray::arr0(s).into_dyn();
        let zv = ndarray::arr0(zp).into_dyn();
        if let Ok(y) = quantize_linear(xv.view(), sv.view(), Some(zv.view()), 0, t) {
            prop_assert!(y.iter().all(|&v| t.contains(v)));
        }
        let _ = describe_quantize(xv.iter().next().copied().unwrap_or(0.0), s, zp, t);
        let _ = describe_dequantize(zp, s, zp / 2, t);
        let _ = describe_requantize(zp * 1000, zp, (s, s, s), zp, t);
    }

    #[test]
    fn qlinear_kernels_agree_with_their_dims(
        x in prop::collection::vec(0usize..4, 4), w in prop::collection::vec(0usize..4, 4),
        p in prop::collection::vec(prop::collection::vec(0usize..4, 0..3), 6),
        a in conv_attrs(), t in prop::collection::vec(ty(), 3),
    ) {
        let (xv, wv) = (ArrayD::from_elem(IxDyn(&x), 1i64), ArrayD::from_elem(IxDyn(&w), 1i64));
        let f = |d: &Vec<usize>| ArrayD::from_elem(IxDyn(d), 0.5f32);
        let z = |d: &Vec<usize>| ArrayD::from_elem(IxDyn(d), 1i64);
        let (xs, xz, ws, wz, ys, yz) = (f(&p[0]), z(&p[1]), f(&p[2]), z(&p[3]), f(&p[4]), z(&p[5]));
        let qx = QInput { data: xv.view(), ty: t[0], scale: xs.view(), zero_point: xz.view() };
        let qw = QInput { data: wv.view(), ty: t[1], scale: ws.view(), zero_point: wz.view() };
        let qy = QOutput { ty: t[2], scale: ys.view(), zero_point: yz.view() };
        fn qd<'a>(d: &'a [usize], s: &'a [usize], zz: &'a [usize]) -> QDims<'a> {
            QDims { data: d, scale: s, zero_point: zz }
        }
        let dims = output_dims_qlinear_conv(qd(&x, &p[0], &p[1]), qd(&w, &p[2], &p[3]), &p[4], &p[5], None, &a);
        if let Ok(y) = qlinear_conv(qx.clone(), qw.clone(), qy.clone(), None, &a) {
            prop_assert_eq!(Ok(y.shape().to_vec()), dims);
        }
        // The same tensors as a matmul (rank 4 · rank 4).
        let dims = output_dims_qlinear_matmul(qd(&x, &p[0], &p[1]), qd(&w, &p[2], &p[3]), &p[4], &p[5]);
        if let Ok(y) = qlinear_matmul(qx, qw, qy) {
            prop_assert_eq!(Ok(y.shape().to_vec()), dims);
        }
    }
}
