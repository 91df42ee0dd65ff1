//! Test helpers: a seeded generator, random volumes, a tolerance check and random conv problems.

use crate::nn::geometry::{ConvGeometry, Pads, PoolGeometry, WindowSpec};
use crate::nn::layer::{ConvParams, Padding};
use crate::nn::tensor::Shape3;
use ndarray::{Array1, Array3, Array4, ArrayView3};
use proptest::prelude::*;
use std::ops::RangeInclusive;

/// splitmix64: reproducible values without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[-1, 1)`.
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

pub fn random3(shape: (usize, usize, usize), seed: u64) -> Array3<f32> {
    let mut rng = Rng::new(seed);
    Array3::from_shape_simple_fn(shape, || rng.uniform())
}

pub fn random4(shape: (usize, usize, usize, usize), seed: u64) -> Array4<f32> {
    let mut rng = Rng::new(seed);
    Array4::from_shape_simple_fn(shape, || rng.uniform())
}

pub fn random1(n: usize, seed: u64) -> Array1<f32> {
    let mut rng = Rng::new(seed);
    Array1::from_shape_simple_fn(n, || rng.uniform())
}

/// Same shape, and every value within `rel · max(1, max |want|)` of the reference.
pub fn assert_close(got: &ArrayView3<f32>, want: &ArrayView3<f32>, rel: f32) {
    assert_eq!(got.dim(), want.dim(), "shapes differ");
    let tol = rel * want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for ((i, g), w) in got.indexed_iter().zip(want.iter()) {
        assert!((g - w).abs() <= tol, "at {i:?}: got {g}, want {w} (tolerance {tol})");
    }
}

/// Conv parameters (`pad` is left `Valid`: the tests resolve it in the geometry).
pub fn params(
    filters: usize,
    (kh, kw): (usize, usize),
    (stride_h, stride_w): (usize, usize),
    (dilation_h, dilation_w): (usize, usize),
    groups: usize,
) -> ConvParams {
    ConvParams {
        filters,
        kh,
        kw,
        stride_h,
        stride_w,
        pad: Padding::Valid,
        dilation_h,
        dilation_w,
        groups,
        bias: true,
    }
}

/// The geometry of a conv over a `(D, H, W)` input: `k` filters of `f`, stride `s`, dilation
/// `dil`, `groups`, symmetric pad `pad`.
pub fn geometry(
    (d, h, w): (usize, usize, usize),
    k: usize,
    f: (usize, usize),
    s: (usize, usize),
    dil: (usize, usize),
    groups: usize,
    pad: usize,
) -> ConvGeometry {
    geometry_padded((d, h, w), k, f, s, dil, groups, Pads::symmetric(pad), false)
}

/// [`geometry`] with any padding, and optionally a rounded-up output size (the last window may
/// then hang past the bottom/right padding).
#[allow(clippy::too_many_arguments)]
pub fn geometry_padded(
    (d, h, w): (usize, usize, usize),
    k: usize,
    f: (usize, usize),
    s: (usize, usize),
    dil: (usize, usize),
    groups: usize,
    p: Pads,
    ceil_mode: bool,
) -> ConvGeometry {
    let pad = Padding::Explicit { top: p.top, left: p.left, bottom: p.bottom, right: p.right };
    let spec = WindowSpec { kernel: f, dilation: dil, stride: s, pad: &pad, ceil_mode };
    ConvGeometry::new(Shape3::new(h, w, d), k, groups, spec).expect("a valid test conv")
}

/// A pool window over a `(D, H, W)` input.
pub fn pool_geometry(
    (d, h, w): (usize, usize, usize),
    k: (usize, usize),
    s: (usize, usize),
    p: Pads,
    ceil_mode: bool,
    count_include_pad: bool,
) -> PoolGeometry {
    let pad = Padding::Explicit { top: p.top, left: p.left, bottom: p.bottom, right: p.right };
    let spec = WindowSpec { kernel: k, dilation: (1, 1), stride: s, pad: &pad, ceil_mode };
    PoolGeometry::new(Shape3::new(h, w, d), spec, count_include_pad).expect("a valid test pool")
}

/// A random conv problem.
#[derive(Clone, Debug)]
pub struct ConvCase {
    pub groups: usize,
    pub cg: usize,
    pub kg: usize,
    pub h: usize,
    pub w: usize,
    pub f: (usize, usize),
    pub s: (usize, usize),
    pub dil: (usize, usize),
    pub pads: Pads,
    /// Round the output size up, so the last window may hang past the bottom/right padding.
    pub ceil: bool,
    pub bias: bool,
    pub seed: u64,
}

impl ConvCase {
    /// An input of `h × w`, each grown to the dilated kernel's extent if smaller.
    pub fn resize(&mut self, h: usize, w: usize) {
        self.h = h.max(self.dil.0 * (self.f.0 - 1) + 1);
        self.w = w.max(self.dil.1 * (self.f.1 - 1) + 1);
    }
    pub fn cin(&self) -> usize {
        self.groups * self.cg
    }
    pub fn params(&self) -> ConvParams {
        params(self.groups * self.kg, self.f, self.s, self.dil, self.groups)
    }
    pub fn geometry(&self) -> ConvGeometry {
        let (d, k) = (self.cin(), self.groups * self.kg);
        let (f, st, dil) = (self.f, self.s, self.dil);
        geometry_padded((d, self.h, self.w), k, f, st, dil, self.groups, self.pads, self.ceil)
    }
    /// The output size, from the geometry.
    pub fn out(&self) -> (usize, usize) {
        self.geometry().window.out()
    }
    pub fn x(&self) -> Array3<f32> {
        random3((self.cin(), self.h, self.w), self.seed)
    }
    pub fn w(&self) -> Array4<f32> {
        random4((self.groups * self.kg, self.f.0, self.f.1, self.cg), self.seed ^ 1)
    }
    pub fn b(&self) -> Option<Array1<f32>> {
        self.bias.then(|| random1(self.groups * self.kg, self.seed ^ 2))
    }
}

/// Conv problems with `cg` input channels per group and `groups` groups: any kernel 1–4,
/// stride 1–3, dilation 1–3, asymmetric padding 0–3, K = 1–3 filters per group, floor or ceil.
pub fn conv_case(
    cg: RangeInclusive<usize>,
    groups: RangeInclusive<usize>,
) -> impl Strategy<Value = ConvCase> {
    (
        (groups, cg, 1..=3usize),
        (1..=10usize, 1..=10usize, 1..=4usize, 1..=4usize),
        (1..=3usize, 1..=3usize, 1..=3usize, 1..=3usize),
        (0..=3usize, 0..=3usize, 0..=3usize, 0..=3usize),
        (any::<bool>(), any::<bool>(), any::<u64>()),
    )
        .prop_map(
            |(
                (groups, cg, kg),
                (h, w, fh, fw),
                (sh, sw, dh, dw),
                (t, l, b, r),
                (ceil, bias, seed),
            )| {
                ConvCase {
                    groups,
                    cg,
                    kg,
                    h,
                    w,
                    f: (fh, fw),
                    s: (sh, sw),
                    dil: (dh, dw),
                    pads: Pads { top: t, left: l, bottom: b, right: r },
                    ceil,
                    bias,
                    seed,
                }
            },
        )
        .prop_filter("the dilated kernel must fit in the padded input", |c| {
            c.h + c.pads.top + c.pads.bottom > c.dil.0 * (c.f.0 - 1)
                && c.w + c.pads.left + c.pads.right > c.dil.1 * (c.f.1 - 1)
        })
}
