//! ConvInteger by hand, and the im2col kernel against the definition on many shapes.

use ndarray::{ArrayD, IxDyn, arr0, arr1};

use super::*;
use crate::nn::ops::quant::conv_geom::AutoPad;

fn t(dims: &[usize], v: &[i64]) -> ArrayD<i64> {
    ArrayD::from_shape_vec(IxDyn(dims), v.to_vec()).unwrap()
}

fn input(data: &ArrayD<i64>, ty: IntType, zp: Option<&ArrayD<i64>>) -> IntInput<'static> {
    // Tests leak their small arrays so the views can outlive the helper.
    let data: &'static ArrayD<i64> = Box::leak(Box::new(data.clone()));
    let zp = zp.map(|z| Box::leak(Box::new(z.clone())).view());
    IntInput { data: data.view(), ty, zero_point: zp }
}

#[test]
fn by_hand_with_and_without_padding() {
    // x − 1 = [[0 1 2] [3 4 5] [6 7 8]]; w − 1 = [[1 0] [0 2]]:
    // y(r, c) = 1·X(r, c) + 2·X(r + 1, c + 1) → [[0 + 8, 1 + 10], [3 + 14, 4 + 16]].
    let x = t(&[1, 1, 3, 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let w = t(&[1, 1, 2, 2], &[2, 1, 1, 3]);
    let one = arr0(1i64).into_dyn();
    let xi = input(&x, IntType::U8, Some(&one));
    let wi = input(&w, IntType::U8, Some(&one));
    let y = conv_integer(xi.clone(), wi.clone(), &ConvAttrs::default()).unwrap();
    assert_eq!(y.shape(), &[1, 1, 2, 2]);
    assert_eq!(y.as_slice().unwrap(), &[8, 11, 17, 20]);
    // Pads top 1, left 1: y(r, c) = X(r − 1, c − 1) + 2·X(r, c), padding counting 0:
    // row 0: 0 + 0, 0 + 2, 0 + 4; row 1: 0 + 6, 0 + 8, 1 + 10; row 2: 0 + 12, 3 + 14, 4 + 16.
    let a = ConvAttrs { pads: Some(vec![1, 1, 0, 0]), ..ConvAttrs::default() };
    let y = conv_integer(xi, wi, &a).unwrap();
    assert_eq!(y.as_slice().unwrap(), &[0, 2, 4, 6, 8, 11, 12, 17, 20]);
}

#[test]
fn per_filter_weight_zero_points_int8() {
    // x − (−2) = [12, −18]; filters 1×1: 3 − 1 = 2 and −4 − (−5) = 1.
    let x = t(&[1, 1, 1, 2], &[10, -20]);
    let w = t(&[2, 1, 1, 1], &[3, -4]);
    let xz = arr0(-2i64).into_dyn();
    let wz = arr1(&[1i64, -5]).into_dyn();
    let y = conv_integer(
        input(&x, IntType::I8, Some(&xz)),
        input(&w, IntType::I8, Some(&wz)),
        &ConvAttrs::default(),
    )
    .unwrap();
    assert_eq!(y.as_slice().unwrap(), &[24, -36, 12, -18]);
}

#[test]
fn int32_overflow_is_refused() {
    // 3670 channels · 9 taps = 33030 products of 255 · 255 = 2 147 775 750 > 2^31 − 1.
    let c = 3670;
    let x = ArrayD::from_elem(IxDyn(&[1, c, 3, 3]), 255i64);
    let w = ArrayD::from_elem(IxDyn(&[1, c, 3, 3]), 255i64);
    let r = conv_integer(
        input(&x, IntType::U8, None),
        input(&w, IntType::U8, None),
        &ConvAttrs::default(),
    );
    assert_eq!(
        r,
        Err(QuantError::Int32Overflow {
            op: "ConvInteger",
            index: vec![0, 0, 0, 0],
            value: 2_147_775_750
        })
    );
    // One channel fewer fits: 3669 · 9 · 65025 = 2 147 190 525.
    let x = ArrayD::from_elem(IxDyn(&[1, c - 1, 3, 3]), 255i64);
    let r = conv_integer(
        input(&x, IntType::U8, None),
        input(&x, IntType::U8, None),
        &ConvAttrs::default(),
    );
    assert_eq!(r.unwrap().as_slice().unwrap(), &[2_147_190_525]);
}

#[test]
fn refusals() {
    let x = t(&[1, 1, 2, 2], &[0, 1, 2, 3]);
    let w = t(&[2, 1, 1, 1], &[1, 1]);
    let d = ConvAttrs::default();
    // A value outside uint8.
    let bad = t(&[1, 1, 2, 2], &[0, 1, 2, 256]);
    assert!(
        conv_integer(input(&bad, IntType::U8, None), input(&w, IntType::U8, None), &d).is_err()
    );
    // int16 is no ConvInteger type.
    assert!(conv_integer(input(&x, IntType::I16, None), input(&w, IntType::U8, None), &d).is_err());
    // x zero point per channel, w zero point of the wrong length.
    let z2 = arr1(&[0i64, 0]).into_dyn();
    let z3 = arr1(&[0i64, 0, 0]).into_dyn();
    assert!(
        conv_integer(input(&x, IntType::U8, Some(&z2)), input(&w, IntType::U8, None), &d).is_err()
    );
    assert!(
        conv_integer(input(&x, IntType::U8, None), input(&w, IntType::U8, Some(&z3)), &d).is_err()
    );
    assert_eq!(
        output_dims_conv_integer(&[1, 1, 2, 2], Some(&[1]), &[2, 1, 1, 1], Some(&[2]), &d),
        Ok(vec![1, 2, 2, 2])
    );
}

/// The definition, one output at a time.
fn naive(o: &ConvOperands) -> Vec<i64> {
    let g = &o.geom;
    let mut y = Vec::new();
    for n in 0..g.batch {
        for m in 0..g.filters {
            let grp = m / g.mg();
            for r in 0..g.rows.out {
                for c in 0..g.cols.out {
                    let mut s = 0i64;
                    for ci in 0..g.cg() {
                        for i in 0..g.rows.k {
                            for j in 0..g.cols.k {
                                let xr = (r * g.rows.stride + i * g.rows.dilation) as i64
                                    - g.rows.pad_begin as i64;
                                let xc = (c * g.cols.stride + j * g.cols.dilation) as i64
                                    - g.cols.pad_begin as i64;
                                if xr < 0
                                    || xc < 0
                                    || xr >= g.rows.n as i64
                                    || xc >= g.cols.n as i64
                                {
                                    continue;
                                }
                                let ch = grp * g.cg() + ci;
                                let xv = o.x[((n * g.channels + ch) * g.rows.n + xr as usize)
                                    * g.cols.n
                                    + xc as usize];
                                let wv = o.w[((m * g.cg() + ci) * g.rows.k + i) * g.cols.k + j];
                                s += (xv - o.x_zp) * (wv - o.w_zp[m]);
                            }
                        }
                    }
                    y.push(s);
                }
            }
        }
    }
    y
}

#[test]
fn im2col_matches_the_definition() {
    // A small linear congruential generator: deterministic, no dependency.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |m: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % m
    };
    for case in 0..60 {
        let group = 1 + next(3) as usize;
        let (cg, mg) = (1 + next(3) as usize, 1 + next(3) as usize);
        let (kh, kw) = (1 + next(3) as usize, 1 + next(3) as usize);
        let (h, w) = (kh + next(6) as usize, kw + next(6) as usize);
        let dims_x = [1 + next(2) as usize, cg * group, h, w];
        let dims_w = [mg * group, cg, kh, kw];
        let ty = if case % 2 == 0 { IntType::U8 } else { IntType::I8 };
        let (lo, hi) = ty.range();
        let span = (hi - lo + 1) as u64;
        let x = ArrayD::from_shape_simple_fn(IxDyn(&dims_x), || lo + next(span) as i64);
        let wt = ArrayD::from_shape_simple_fn(IxDyn(&dims_w), || lo + next(span) as i64);
        let xz = arr0(lo + next(span) as i64).into_dyn();
        let wz = ArrayD::from_shape_simple_fn(IxDyn(&[mg * group]), || lo + next(span) as i64);
        let a = ConvAttrs {
            auto_pad: [AutoPad::NotSet, AutoPad::SameUpper, AutoPad::SameLower][case % 3],
            group: Some(group as i64),
            strides: Some(vec![1 + next(2) as i64, 1 + next(3) as i64]),
            dilations: Some(vec![1 + next(2) as i64, 1]),
            pads: (case % 3 == 0).then(|| (0..4).map(|_| next(3) as i64).collect()),
            ..ConvAttrs::default()
        };
        let (xi, wi) = (input(&x, ty, Some(&xz)), input(&wt, ty, Some(&wz)));
        let Ok(o) = conv_operands("ConvInteger", &xi, &wi, &a) else { continue };
        let want = naive(&o);
        assert_eq!(conv_accumulate(&o), want, "case {case}: {a:?} {dims_x:?} {dims_w:?}");
        // Tiles of a few pixels: every tile boundary lands somewhere else.
        let tile = o.geom.taps() * (1 + case % 4);
        assert_eq!(conv_accumulate_tiled(&o, tile), want, "case {case} tiled");
    }
}
