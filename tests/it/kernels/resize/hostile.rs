//! Property tests: the shape rules never panic on arbitrary (hostile) inputs, and what they
//! accept the kernels run without panicking, with the invariants the explain panel relies on.

use convscope::nn::ops::bounds::{MAX_DIM, MAX_ELEMS};
use convscope::nn::ops::depth_space::{depth_to_space_dims, space_to_depth_dims};
use convscope::nn::ops::pad::{self, PadMode};
use convscope::nn::ops::resize::{
    ResizeAttrs, ResizeOp, ResizeParams, output_dims, resize, roi_for_axis, source,
};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

fn dim() -> impl Strategy<Value = usize> {
    prop_oneof![12 => 0usize..6, 1 => any::<usize>(), 1 => Just(MAX_DIM), 1 => Just(MAX_DIM + 1)]
}

fn scale() -> impl Strategy<Value = f32> {
    prop_oneof![12 => 0.05f32..4.0, 1 => proptest::num::f32::ANY, 1 => Just(0.0), 1 => Just(1.0)]
}

fn size() -> impl Strategy<Value = i64> {
    prop_oneof![4 => 0i64..9, 1 => any::<i64>()]
}

fn op() -> impl Strategy<Value = ResizeOp> {
    prop_oneof![
        1 => Just(ResizeOp::Upsample),
        6 => prop::sample::select(vec![9u32, 10, 11, 13, 18, 19, 19, 19])
            .prop_map(|opset| ResizeOp::Resize { opset })
    ]
}

/// A list of `len` values mostly, of another length sometimes.
fn list<S: Strategy + 'static>(len: usize, v: fn() -> S) -> impl Strategy<Value = Vec<S::Value>>
where
    S::Value: std::fmt::Debug,
{
    prop_oneof![6 => prop::collection::vec(v(), len), 1 => prop::collection::vec(v(), 0..6)]
}

fn any_f32() -> proptest::num::f32::Any {
    proptest::num::f32::ANY
}

const MODES: [&str; 4] = ["nearest", "linear", "cubic", "area"];
const COORDS: [&str; 8] = [
    "half_pixel",
    "half_pixel_symmetric",
    "pytorch_half_pixel",
    "align_corners",
    "asymmetric",
    "tf_half_pixel_for_nn",
    "tf_crop_and_resize",
    "corner",
];
const NEAREST: [&str; 4] = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"];
const KEEP: [&str; 3] = ["stretch", "not_larger", "not_smaller"];

#[derive(Debug, Clone)]
struct Node {
    op: ResizeOp,
    mode: usize,
    coord: Option<usize>,
    nearest: usize,
    keep: Option<usize>,
    exclude: Option<i64>,
    antialias: Option<i64>,
    axes: Option<Vec<i64>>,
}

fn node() -> impl Strategy<Value = Node> {
    (
        op(),
        prop_oneof![9 => 0..3usize, 1 => Just(3usize)],
        proptest::option::weighted(0.8, prop_oneof![9 => 0..7usize, 1 => Just(7usize)]),
        0..4usize,
        proptest::option::of(0..3usize),
        proptest::option::weighted(0.3, -1i64..3),
        proptest::option::weighted(0.3, 0i64..2),
        proptest::option::weighted(0.2, prop::collection::vec(-5i64..5, 0..4)),
    )
        .prop_map(|(op, mode, coord, nearest, keep, exclude, antialias, axes)| Node {
            op,
            mode,
            coord,
            nearest,
            keep,
            exclude,
            antialias,
            axes,
        })
}

fn params(n: &Node, rank: usize) -> Option<ResizeParams> {
    fn modern<T>(legacy: bool, v: Option<T>) -> Option<T> {
        if legacy { None } else { v }
    }
    let legacy = n.op.is_legacy();
    let a = ResizeAttrs {
        mode: Some(MODES[n.mode]),
        coordinate_transformation_mode: modern(legacy, n.coord.map(|c| COORDS[c])),
        nearest_mode: modern(legacy, Some(NEAREST[n.nearest])),
        exclude_outside: modern(legacy, n.exclude),
        antialias: modern(legacy, n.antialias),
        keep_aspect_ratio_policy: modern(legacy, n.keep.map(|k| KEEP[k])),
        axes: modern(legacy, n.axes.as_deref()),
        ..Default::default()
    };
    ResizeParams::from_attrs(n.op, rank, &a).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn resize_dims_never_panic(
        (in_dims, scales, sizes, roi) in (0usize..5).prop_flat_map(|r| (
            prop::collection::vec(dim(), r),
            proptest::option::of(list(r, scale)),
            proptest::option::weighted(0.4, list(r, size)),
            proptest::option::of(list(2 * r, any_f32)),
        )),
        n in node(),
    ) {
        let Some(p) = params(&n, in_dims.len()) else { return Ok(()) };
        if let Ok((dims, eff)) =
            output_dims(&in_dims, scales.as_deref(), sizes.as_deref(), roi.as_deref(), &p)
        {
            prop_assert_eq!(dims.len(), in_dims.len());
            prop_assert_eq!(eff.len(), in_dims.len());
            prop_assert!(dims.iter().all(|&d| d <= MAX_DIM));
            let total = dims.iter().try_fold(1u128, |a, &d| a.checked_mul(d as u128));
            prop_assert!(total.is_some_and(|t| t <= MAX_ELEMS as u128));
            prop_assert!(eff.iter().all(|s| s.is_finite() && *s > 0.0));
        }
    }

    #[test]
    fn accepted_resizes_run(
        (in_dims, scales, sizes, roi) in (1usize..4).prop_flat_map(|r| (
            prop::collection::vec(1usize..5, r),
            prop::collection::vec(0.2f32..3.0, r),
            prop::collection::vec(1i64..7, r),
            prop::collection::vec(-0.5f32..1.5, 2 * r),
        )),
        use_sizes in any::<bool>(),
        fill in -3.0f32..3.0,
        n in node(),
    ) {
        let Some(p) = params(&n, in_dims.len()) else { return Ok(()) };
        let (sc, sz) = if use_sizes { (None, Some(&sizes[..])) } else { (Some(&scales[..]), None) };
        let Ok((dims, eff)) = output_dims(&in_dims, sc, sz, Some(&roi), &p) else { return Ok(()) };
        let x = ArrayD::from_elem(IxDyn(&in_dims), fill);
        let y = resize(&x.view(), &dims, &eff, Some(&roi), &p);
        prop_assert_eq!(y.shape(), dims.as_slice());
        let rank = in_dims.len();
        let mut zeroed = false;
        for axis in 0..rank {
            for o in 0..dims[axis] {
                let s = source(o, in_dims[axis], dims[axis], eff[axis], roi_for_axis(Some(&roi), &p, rank, axis), &p);
                prop_assert!(s.taps.iter().all(|&(i, _)| (0..in_dims[axis] as i64).contains(&i)));
                let sum: f32 = s.taps.iter().map(|t| t.1).sum();
                // exclude_outside can drop every tap (a sample past the input's end): 0.
                zeroed |= !s.extrapolated && s.taps.is_empty();
                if !s.extrapolated && !s.taps.is_empty() {
                    zeroed |= sum == 0.0;
                    prop_assert!(sum == 0.0 || (sum - 1.0).abs() < 1e-5, "weights sum to {}", sum);
                }
            }
        }
        // A constant input stays constant: the weights sum to 1 (extrapolation and the samples
        // exclude_outside zeroes aside).
        let tf = p.coord == convscope::nn::ops::resize::CoordTransform::TfCropAndResize;
        if !tf && !zeroed {
            for v in y.iter() {
                prop_assert!((v - fill).abs() <= 1e-5 * fill.abs().max(1.0), "{} vs {}", v, fill);
            }
        }
    }

    #[test]
    fn pad_dims_never_panic(
        in_dims in prop::collection::vec(dim(), 0..5),
        pads in prop::collection::vec(prop_oneof![3 => -4i64..5, 1 => any::<i64>()], 0..9),
        axes in proptest::option::of(prop::collection::vec(any::<i64>(), 0..5)),
        mode in 0..4usize,
    ) {
        let mode = [PadMode::Constant, PadMode::Reflect, PadMode::Edge, PadMode::Wrap][mode];
        let _ = pad::output_dims(&in_dims, &pads, axes.as_deref());
        if let Ok(p) = pad::plan(&in_dims, &pads, axes.as_deref(), mode) {
            prop_assert!(p.out_dims.iter().all(|&d| d <= MAX_DIM));
        }
    }

    #[test]
    fn accepted_pads_run(
        in_dims in prop::collection::vec(0usize..4, 1..4),
        pads in prop::collection::vec(-4i64..5, 2..7),
        mode in 0..4usize,
    ) {
        let mode = [PadMode::Constant, PadMode::Reflect, PadMode::Edge, PadMode::Wrap][mode];
        let Ok(p) = pad::plan(&in_dims, &pads, None, mode) else { return Ok(()) };
        let n: usize = in_dims.iter().product();
        let x = ArrayD::from_shape_vec(IxDyn(&in_dims), (0..n).map(|v| v as f32).collect()).unwrap();
        let y = pad::pad(&x.view(), &p, -1.0);
        for (idx, &v) in y.indexed_iter() {
            let want = pad::source_index(ndarray::Dimension::slice(&idx), &p).map_or(-1.0, |i| x[IxDyn(&i)]);
            prop_assert_eq!(v, want);
        }
    }

    #[test]
    fn depth_space_dims_never_panic(
        in_dims in prop::collection::vec(dim(), 0..6),
        b in prop_oneof![3 => -2i64..5, 1 => any::<i64>()],
    ) {
        if let Ok(d) = depth_to_space_dims(&in_dims, b) {
            prop_assert!(d.iter().all(|&v| v <= MAX_DIM));
        }
        if let Ok(d) = space_to_depth_dims(&in_dims, b) {
            prop_assert!(d.iter().all(|&v| v <= MAX_DIM));
        }
    }
}
