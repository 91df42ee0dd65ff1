//! Fast paths of the element-wise ops for the layouts CNNs use: one contiguous pass with the
//! op's function inlined (so it vectorises), instead of ndarray's per-element walk over dynamic
//! dims. Broadcasting of a constant along the trailing axes (a per-channel `[1, C, 1, 1]` scale
//! of an SE block, a scalar) or along the leading ones (a `[C]` bias after a MatMul) is a loop
//! over blocks. Any other layout takes the general path, which gives the same numbers.

use crate::nn::kernels::{buffers, map_slice, parallel_len, zip_slice};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rayon::prelude::*;

/// `f` of every element, in memory order when the tensor is contiguous.
pub fn map<F: Fn(f32) -> f32 + Sync>(x: &ArrayViewD<'_, f32>, f: F) -> ArrayD<f32> {
    match x.as_slice() {
        Some(s) => {
            // A recycled buffer (every value is written): no fresh pages to fault in.
            let mut v = buffers::take(s.len());
            map_slice(&mut v, s, f);
            ArrayD::from_shape_vec(x.raw_dim(), v).expect("as many values as the shape holds")
        }
        None => x.map(|&v| f(v)),
    }
}

/// How one operand is read against the output.
enum Read<'a> {
    /// Every element, in order.
    Full(&'a [f32]),
    /// One value per block of `inner` consecutive outputs (constant over the trailing axes).
    PerBlock(&'a [f32], usize),
    /// The same `inner` values again for each block (constant over the leading axes).
    Cycle(&'a [f32]),
}

fn read<'a>(x: &'a ArrayViewD<'_, f32>, out: &[usize]) -> Option<Read<'a>> {
    let s = x.as_slice()?;
    let n = out.len();
    if x.ndim() > n {
        return None;
    }
    // x's dims aligned to the output's rank (numpy: leading 1s).
    let mut d = vec![1; n - x.ndim()];
    d.extend_from_slice(x.shape());
    if d == out {
        return Some(Read::Full(s));
    }
    // Leading axes equal to the output's, the rest 1: a value per trailing block.
    let k = (0..=n).find(|&k| d[k..].iter().all(|&v| v == 1)).unwrap_or(n);
    if d[..k] == out[..k] {
        let inner: usize = out[k..].iter().product();
        return Some(Read::PerBlock(s, inner));
    }
    // Leading axes 1, the rest equal to the output's: the same block again and again.
    let j = (0..=n).find(|&j| d[j..] == out[j..]).unwrap_or(n);
    if d[..j].iter().all(|&v| v == 1) {
        return Some(Read::Cycle(s));
    }
    None
}

/// `f(a, b)` with numpy broadcasting to `out`, when both operands are contiguous and broadcast
/// in one of the block patterns; `None` otherwise.
pub fn zip<F: Fn(f32, f32) -> f32 + Sync>(
    a: &ArrayViewD<'_, f32>,
    b: &ArrayViewD<'_, f32>,
    out: &[usize],
    f: F,
) -> Option<ArrayD<f32>> {
    let total: usize = out.iter().product();
    let (ra, rb) = (read(a, out)?, read(b, out)?);
    let fits = match (&ra, &rb) {
        (Read::Full(x), Read::Full(y)) => x.len() == total && y.len() == total,
        (Read::Full(x), Read::PerBlock(y, inner)) | (Read::PerBlock(y, inner), Read::Full(x)) => {
            *inner > 0 && x.len() == total && y.len() * inner == total
        }
        (Read::Full(x), Read::Cycle(y)) | (Read::Cycle(y), Read::Full(x)) => {
            !y.is_empty() && x.len() == total && total.is_multiple_of(y.len())
        }
        _ => false,
    };
    if !fits {
        return None;
    }
    // A recycled buffer; every value is written below.
    let mut v = buffers::take(total);
    let pairs = |d: &mut [f32], x: &[f32], y: &[f32]| {
        d.iter_mut().zip(x.iter().zip(y)).for_each(|(d, (&p, &q))| *d = f(p, q));
    };
    match (ra, rb) {
        (Read::Full(x), Read::Full(y)) => zip_slice(&mut v, x, y, &f),
        (Read::Full(x), Read::PerBlock(y, inner)) => {
            for ((d, xs), &q) in v.chunks_mut(inner).zip(x.chunks(inner)).zip(y) {
                d.iter_mut().zip(xs).for_each(|(d, &p)| *d = f(p, q));
            }
        }
        (Read::PerBlock(x, inner), Read::Full(y)) => {
            for ((d, ys), &p) in v.chunks_mut(inner).zip(y.chunks(inner)).zip(x) {
                d.iter_mut().zip(ys).for_each(|(d, &q)| *d = f(p, q));
            }
        }
        (Read::Full(x), Read::Cycle(y)) => {
            for (d, xs) in v.chunks_mut(y.len()).zip(x.chunks(y.len())) {
                pairs(d, xs, y);
            }
        }
        (Read::Cycle(x), Read::Full(y)) => {
            for (d, ys) in v.chunks_mut(x.len()).zip(y.chunks(x.len())) {
                pairs(d, x, ys);
            }
        }
        _ => return None,
    }
    ArrayD::from_shape_vec(IxDyn(out), v).ok()
}

/// Concatenation of contiguous parts along `axis` into `out`: for each index of the axes before
/// it, each part's block is one copy. `None` when a part is not contiguous.
pub fn concat(parts: &[ArrayViewD<'_, f32>], axis: usize, out: &[usize]) -> Option<ArrayD<f32>> {
    let total: usize = out.iter().product();
    let outer: usize = out[..axis].iter().product();
    let slices: Vec<&[f32]> = parts.iter().map(|p| p.as_slice()).collect::<Option<_>>()?;
    let blocks: Vec<usize> = parts.iter().map(|p| p.shape()[axis..].iter().product()).collect();
    // Each part must hold `outer` blocks (shape inference checked it; a slip is the general
    // path's to report, not a panic here).
    let whole = slices.iter().zip(&blocks).all(|(s, &b)| s.len() == outer * b);
    if !whole || blocks.iter().sum::<usize>() * outer != total {
        return None;
    }
    let mut v = buffers::take(total);
    // Each block's destination, in output order: the blocks tile `v`.
    let mut copies: Vec<(&mut [f32], &[f32])> = Vec::with_capacity(outer * slices.len());
    let mut rest = &mut v[..];
    for o in 0..outer {
        for (s, &b) in slices.iter().zip(&blocks) {
            let (dst, tail) = rest.split_at_mut(b);
            copies.push((dst, &s[o * b..(o + 1) * b]));
            rest = tail;
        }
    }
    if parallel_len(total) && copies.len() > 1 {
        copies.into_par_iter().for_each(|(d, s)| d.copy_from_slice(s));
    } else {
        copies.into_iter().for_each(|(d, s)| d.copy_from_slice(s));
    }
    ArrayD::from_shape_vec(IxDyn(out), v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array, Zip};

    /// The general path: ndarray's broadcast and an element-wise walk.
    fn naive(a: &ArrayD<f32>, b: &ArrayD<f32>, out: &[usize]) -> ArrayD<f32> {
        let (sa, sb) = (a.broadcast(IxDyn(out)).unwrap(), b.broadcast(IxDyn(out)).unwrap());
        let mut y = ArrayD::zeros(IxDyn(out));
        Zip::from(&mut y).and(&sa).and(&sb).for_each(|o, &p, &q| *o = p - 2.0 * q);
        y
    }

    fn seq(dims: &[usize], k: f32) -> ArrayD<f32> {
        let n: usize = dims.iter().product();
        Array::from_shape_vec(IxDyn(dims), (0..n).map(|i| i as f32 * k + 1.0).collect()).unwrap()
    }

    #[test]
    fn every_block_pattern_matches_the_general_path() {
        let out = [1, 3, 4, 5];
        let cases: &[&[usize]] =
            &[&[1, 3, 4, 5], &[1, 3, 1, 1], &[3, 1, 1], &[1], &[], &[5], &[4, 5], &[1, 1, 4, 5]];
        for &bd in cases {
            let (a, b) = (seq(&out, 0.5), seq(bd, -0.25));
            let want = naive(&a, &b, &out);
            let got = zip(&a.view(), &b.view(), &out, |p, q| p - 2.0 * q)
                .unwrap_or_else(|| panic!("{bd:?}"));
            assert_eq!(got, want, "b {bd:?}");
            // And with the operands swapped (the order matters for Sub).
            let want = naive(&b.broadcast(IxDyn(&out)).unwrap().to_owned(), &a, &out);
            let got = zip(&b.view(), &a.view(), &out, |p, q| p - 2.0 * q).expect("swapped");
            assert_eq!(got, want, "swapped {bd:?}");
        }
    }

    /// Operands big enough for the pool (a length that does not split evenly): `zip` and `map`
    /// give the one-thread values bit for bit.
    #[test]
    fn big_operands_on_the_pool_give_the_one_thread_values() {
        let out = [1, 3, 301, 299];
        let (a, b) = (seq(&out, 0.37), seq(&out, -0.11));
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let f = |p: f32, q: f32| (p - 2.0 * q) / (q.abs() + 1.0);
        let g = |p: f32| (p * 0.01).tanh();
        let want_zip = one.install(|| zip(&a.view(), &b.view(), &out, f)).unwrap();
        let want_map = one.install(|| map(&a.view(), g));
        assert_eq!(want_zip, naive_with(&a, &b, &out, f));
        for threads in [2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let got = pool.install(|| zip(&a.view(), &b.view(), &out, f)).unwrap();
            assert_eq!(got, want_zip, "zip on {threads}");
            assert_eq!(pool.install(|| map(&a.view(), g)), want_map, "map on {threads}");
        }
        assert_eq!(want_map, a.mapv(g));
    }

    fn naive_with(
        a: &ArrayD<f32>,
        b: &ArrayD<f32>,
        out: &[usize],
        f: impl Fn(f32, f32) -> f32,
    ) -> ArrayD<f32> {
        let mut y = ArrayD::zeros(IxDyn(out));
        Zip::from(&mut y).and(a).and(b).for_each(|o, &p, &q| *o = f(p, q));
        y
    }

    #[test]
    fn concat_matches_ndarray_on_every_axis() {
        let (a, b) = (seq(&[1, 2, 3, 4], 1.0), seq(&[1, 2, 3, 4], -1.0));
        for axis in 0..4 {
            let want = ndarray::concatenate(ndarray::Axis(axis), &[a.view(), b.view()]).unwrap();
            let got = concat(&[a.view(), b.view()], axis, want.shape()).unwrap();
            assert_eq!(got, want, "axis {axis}");
        }
        // Big enough for the pool: three parts of unequal depth along the channels, and two
        // along the rows, on 2 and 3 threads.
        let parts = [seq(&[1, 5, 160, 170], 0.5), seq(&[1, 2, 160, 170], -1.0)];
        let deep = seq(&[1, 7, 160, 170], 2.0);
        let cases = [
            (1, vec![parts[0].view(), parts[1].view(), deep.view()]),
            (2, vec![parts[0].view(), parts[1].view()]),
        ];
        for (axis, views) in cases {
            let views: Vec<_> =
                if axis == 2 { vec![views[0].clone(), views[0].clone()] } else { views };
            let want = ndarray::concatenate(ndarray::Axis(axis), &views).unwrap();
            for threads in [2, 3] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                let got = pool.install(|| concat(&views, axis, want.shape())).unwrap();
                assert_eq!(got, want, "axis {axis} on {threads}");
            }
        }
    }

    #[test]
    fn other_layouts_take_the_general_path() {
        let out = [1, 3, 4, 5];
        // [3, 1, 5] broadcasts in the middle axis: not a block pattern.
        let (a, b) = (seq(&out, 1.0), seq(&[3, 1, 5], 1.0));
        assert!(zip(&a.view(), &b.view(), &out, |p, q| p + q).is_none());
        // A transposed (non-contiguous) view.
        let t = seq(&[5, 4], 1.0);
        let tv = t.view().reversed_axes().into_dyn();
        assert!(zip(&seq(&[4, 5], 1.0).view(), &tv, &[4, 5], |p, q| p + q).is_none());
        assert_eq!(map(&tv, |v| v * 2.0), tv.mapv(|v| v * 2.0));
    }
}
