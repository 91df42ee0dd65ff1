//! Element-wise activations, each with an in-place form for fusing into a buffer the caller owns.
//!
//! The out-of-place forms read `x` once and write a recycled buffer once ([`map`]); large volumes
//! are split over the rayon pool.

use super::buffers;
use super::to_volume;
use crate::nn::tensor::Volume;
use ndarray::{ArrayRef3, ArrayView1, ArrayView3, Axis};
use rayon::prelude::*;

/// Slices of at least twice this many values are mapped in parallel chunks of this size (a
/// multiple of every vector width, so a chunk's values come out as on one thread).
pub(crate) const PARALLEL_CHUNK: usize = 1 << 16;

/// Whether `len` values are worth splitting over the current pool.
pub(crate) fn parallel_len(len: usize) -> bool {
    len >= 2 * PARALLEL_CHUNK && rayon::current_num_threads() > 1
}

/// `f` of every value of `x`, into a recycled buffer, in one pass.
pub(crate) fn map(x: &ArrayView3<f32>, f: impl Fn(f32) -> f32 + Sync) -> Volume {
    let Some(src) = x.as_slice() else {
        let mut y = to_volume(x);
        y.mapv_inplace(f);
        return y;
    };
    let mut y = buffers::volume(x.dim());
    // `buffers::volume` is standard layout, so `as_slice_mut` cannot fail.
    map_slice(y.as_slice_mut().expect("standard layout"), src, f);
    y
}

/// `dst[i] = f(src[i])`, in parallel chunks when [`parallel_len`] says so.
///
/// # Panics
/// If the slices differ in length.
pub(crate) fn map_slice(dst: &mut [f32], src: &[f32], f: impl Fn(f32) -> f32 + Sync) {
    assert_eq!(dst.len(), src.len(), "map_slice: lengths differ");
    let run = |(d, s): (&mut [f32], &[f32])| d.iter_mut().zip(s).for_each(|(d, &s)| *d = f(s));
    if parallel_len(src.len()) {
        dst.par_chunks_mut(PARALLEL_CHUNK).zip(src.par_chunks(PARALLEL_CHUNK)).for_each(run);
    } else {
        run((dst, src));
    }
}

/// `dst[i] = f(a[i], b[i])`, in parallel chunks as [`map_slice`].
///
/// # Panics
/// If the slices differ in length.
pub(crate) fn zip_slice(dst: &mut [f32], a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) {
    assert!(dst.len() == a.len() && a.len() == b.len(), "zip_slice: lengths differ");
    let run = |(d, (a, b)): (&mut [f32], (&[f32], &[f32]))| {
        d.iter_mut().zip(a.iter().zip(b)).for_each(|(d, (&p, &q))| *d = f(p, q));
    };
    if parallel_len(dst.len()) {
        let operands = a.par_chunks(PARALLEL_CHUNK).zip(b.par_chunks(PARALLEL_CHUNK));
        dst.par_chunks_mut(PARALLEL_CHUNK).zip(operands).for_each(run);
    } else {
        run((dst, (a, b)));
    }
}

/// `max(x, 0)`.
pub fn relu(x: &ArrayView3<f32>) -> Volume {
    map(x, |v| v.max(0.0))
}

pub fn relu_inplace(x: &mut ArrayRef3<f32>) {
    x.mapv_inplace(|v| v.max(0.0));
}

/// `min(max(x, min), max)`; relu6 is `clip(x, 0, 6)`.
pub fn clip(x: &ArrayView3<f32>, min: f32, max: f32) -> Volume {
    map(x, |v| v.max(min).min(max))
}

pub fn clip_inplace(x: &mut ArrayRef3<f32>, min: f32, max: f32) {
    x.mapv_inplace(|v| v.max(min).min(max));
}

/// `x` where positive, `alpha · x` elsewhere.
pub fn leaky_relu(x: &ArrayView3<f32>, alpha: f32) -> Volume {
    map(x, |v| if v < 0.0 { alpha * v } else { v })
}

pub fn leaky_relu_inplace(x: &mut ArrayRef3<f32>, alpha: f32) {
    x.mapv_inplace(|v| if v < 0.0 { alpha * v } else { v });
}

/// `1 / (1 + e^(−x))`, computed as onnxruntime's MLAS computes it: an odd rational
/// approximation `0.5 + x·p(x²)/q(x²)` on `x` clamped to ±18, evaluated with fused
/// multiply-adds. Its absolute error is at most 1.2e-7 (values near 0 are multiples of
/// 2⁻²⁴, as in onnxruntime), so a saturated map agrees with onnxruntime value for value.
#[inline(always)]
pub fn logistic(x: f32) -> f32 {
    #[allow(clippy::excessive_precision)]
    const A: [f32; 5] = [
        4.370_310_125_798_01e-11,
        1.156_273_244_599_42e-07,
        6.085_748_646_001_43e-05,
        8.513_771_333_047_01e-03,
        2.482_879_470_615_29e-01,
    ];
    #[allow(clippy::excessive_precision)]
    const B: [f32; 6] = [
        6.102_473_897_556_81e-13,
        5.761_021_369_934_27e-09,
        6.291_067_850_170_40e-06,
        1.701_988_173_740_94e-03,
        1.168_176_569_044_53e-01,
        9.931_519_210_231_80e-01,
    ];
    // NaN passes through the clamp unchanged, as in onnxruntime.
    let v = x.clamp(-18.0, 18.0);
    let s = v * v;
    let mut p = s.mul_add(A[0], A[1]);
    for a in &A[2..] {
        p = p.mul_add(s, *a);
    }
    let p = p * v;
    let mut q = s.mul_add(B[0], B[1]);
    for b in &B[2..] {
        q = q.mul_add(s, *b);
    }
    (p / q + 0.5).clamp(0.0, 1.0)
}

/// [`logistic`] over a slice, with hardware fused multiply-adds where the CPU has them (the
/// same values either way: `mul_add` is exact in both).
pub fn logistic_slice(v: &mut [f32]) {
    // Each value on its own, so chunks on the pool give the same values.
    if parallel_len(v.len()) {
        v.par_chunks_mut(PARALLEL_CHUNK).for_each(logistic_run);
    } else {
        logistic_run(v);
    }
}

/// [`logistic_slice`] of one run, on this thread.
fn logistic_run(v: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { logistic_fma(v) };
        return;
    }
    v.iter_mut().for_each(|x| *x = logistic(*x));
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn logistic_fma(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = logistic(*x));
}

/// [`logistic`] of every value.
pub fn sigmoid(x: &ArrayView3<f32>) -> Volume {
    let mut out = x.to_owned();
    sigmoid_inplace(&mut out);
    out
}

pub fn sigmoid_inplace(x: &mut ArrayRef3<f32>) {
    match x.as_slice_mut() {
        Some(s) => logistic_slice(s),
        None => x.mapv_inplace(logistic),
    }
}

/// `x` where positive, `slope[d] · x` elsewhere; `slope` has one value per channel, or one
/// shared value.
///
/// # Panics
/// If `slope` has neither 1 nor `D` values.
pub fn prelu(x: &ArrayView3<f32>, slope: &ArrayView1<f32>) -> Volume {
    let depth = x.dim().0;
    assert!(
        slope.len() == depth || slope.len() == 1,
        "prelu has {} slopes for a volume of depth {depth}",
        slope.len()
    );
    let mut y = to_volume(x);
    for (d, mut plane) in y.axis_iter_mut(Axis(0)).enumerate() {
        let a = if slope.len() == 1 { slope[0] } else { slope[d] };
        plane.mapv_inplace(|v| if v < 0.0 { a * v } else { v });
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn row() -> ndarray::Array3<f32> {
        array![[[-3.0, -0.5, 0.0, 2.0, 8.0]]]
    }

    #[test]
    fn pointwise_values() {
        let x = row();
        assert_eq!(relu(&x.view()), array![[[0.0, 0.0, 0.0, 2.0, 8.0]]]);
        assert_eq!(clip(&x.view(), 0.0, 6.0), array![[[0.0, 0.0, 0.0, 2.0, 6.0]]]);
        assert_eq!(leaky_relu(&x.view(), 0.1), array![[[-0.3, -0.05, 0.0, 2.0, 8.0]]]);
        let s = sigmoid(&array![[[0.0, 2.0, -100.0, 100.0]]].view());
        let want = [0.5, 1.0 / (1.0 + (-2.0f32).exp()), 0.0, 1.0];
        for (g, w) in s.iter().zip(want) {
            assert!((g - w).abs() < 1e-7, "{g} vs {w}");
        }
    }

    #[test]
    fn inplace_on_a_strided_view() {
        let mut x = ndarray::Array3::from_elem((2, 2, 2), -1.0f32);
        x[[1, 1, 1]] = 5.0;
        let mut v = x.slice_mut(ndarray::s![.., .., 1]).insert_axis(Axis(2));
        clip_inplace(&mut v, -0.5, 4.0);
        assert_eq!(x[[0, 0, 1]], -0.5);
        assert_eq!(x[[1, 1, 1]], 4.0);
        assert_eq!(x[[0, 0, 0]], -1.0); // outside the view: untouched
    }

    #[test]
    fn prelu_per_channel_and_shared() {
        let x = array![[[-2.0, 3.0]], [[-2.0, 3.0]]];
        assert_eq!(
            prelu(&x.view(), &array![0.5, 0.25].view()),
            array![[[-1.0, 3.0]], [[-0.5, 3.0]]]
        );
        assert_eq!(prelu(&x.view(), &array![0.1].view()), array![[[-0.2, 3.0]], [[-0.2, 3.0]]]);
    }

    #[test]
    fn large_volumes_map_every_value() {
        // More than two parallel chunks, and a length that is not a multiple of a chunk.
        let x = ndarray::Array3::from_shape_fn((3, 300, 301), |(d, r, c)| {
            (d * 7 + r * 3) as f32 - c as f32
        });
        let want = x.mapv(|v| v.clamp(0.0, 6.0));
        assert_eq!(
            rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .unwrap()
                .install(|| { clip(&x.view(), 0.0, 6.0) }),
            want
        );
        assert_eq!(clip(&x.view(), 0.0, 6.0), want);
    }

    /// A sigmoid big enough for the pool gives every value of the one-thread run, bit for bit,
    /// and each is the scalar `logistic`.
    #[test]
    fn large_sigmoids_on_the_pool_give_the_one_thread_values() {
        let x: Vec<f32> = (0..300_007).map(|i| (i % 2003) as f32 * 0.01 - 10.0).collect();
        let want: Vec<u32> = x.iter().map(|&v| logistic(v).to_bits()).collect();
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let mut v = x.clone();
            pool.install(|| logistic_slice(&mut v));
            assert_eq!(v.iter().map(|f| f.to_bits()).collect::<Vec<_>>(), want, "{threads}");
        }
    }

    #[test]
    fn output_is_standard_layout() {
        let x = ndarray::Array3::<f32>::ones((2, 3, 4));
        let t = x.view().permuted_axes([0, 2, 1]);
        assert!(relu(&t).is_standard_layout());
    }
}
