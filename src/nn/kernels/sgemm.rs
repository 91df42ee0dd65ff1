//! A safe, bounds-checked door to `gemm::gemm` for f32 matrices held in slices.

use super::shared::SharedOut;
use gemm::Parallelism;
use rayon::prelude::*;

/// Below this many flops a GEMM runs on the calling thread: splitting costs more than it saves.
const PARALLEL_MIN_FLOPS: usize = 1 << 20;
/// Below this many multiply-adds a GEMM is a plain loop: gemm's dispatch and packing cost more
/// than the arithmetic.
const SMALL_MACS: usize = 1 << 13;

/// Column blocks of a row-vector product are at least this wide.
const GEMV_MIN_COLS: usize = 128;

/// A strided matrix view over a slice: element `(i, j)` is `data[i·rs + j·cs]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mat<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a> Mat<'a> {
    /// A row-major `rows × cols` matrix with rows `rs` apart.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize, rs: usize) -> Self {
        Mat { data, rows, cols, rs, cs: 1 }
    }
}

/// Whether every element of a `rows × cols` matrix with these strides lies inside `len`.
/// Checked arithmetic: strides so large that the last element's offset wraps do not fit.
fn fits(len: usize, rows: usize, cols: usize, rs: usize, cs: usize) -> bool {
    if rows == 0 || cols == 0 {
        return true;
    }
    let last = (rows - 1).checked_mul(rs).zip((cols - 1).checked_mul(cs));
    matches!(last.and_then(|(a, b)| a.checked_add(b)), Some(end) if end < len)
}

/// How to split a GEMM of `flops` over the current rayon pool.
pub(crate) fn parallelism(flops: usize) -> Parallelism {
    let threads = rayon::current_num_threads();
    if threads <= 1 || flops < PARALLEL_MIN_FLOPS {
        Parallelism::None
    } else {
        Parallelism::Rayon(threads)
    }
}

/// `dst = lhs · rhs`, with `dst` row-major (`m × n`, rows `dst_rs` apart); `dst` is overwritten.
/// `par` is usually [`parallelism`] of the GEMM's flops.
///
/// # Panics
/// If the inner dimensions disagree or any operand does not fit in its slice.
pub(crate) fn matmul(dst: &mut [f32], dst_rs: usize, lhs: Mat, rhs: Mat, par: Parallelism) {
    assert!(fits(dst.len(), lhs.rows, rhs.cols, dst_rs, 1), "GEMM destination does not fit");
    // SAFETY: `dst` is borrowed mutably, so nobody else touches it, and the assert above puts
    // every element the GEMM writes inside it.
    unsafe { matmul_raw(dst.as_mut_ptr(), dst_rs, lhs, rhs, par) }
}

/// [`matmul`] into a destination given by pointer: element `(i, j)` is `dst + i·dst_rs + j`.
/// Bands of one output (disjoint column ranges of the same rows) can be written in parallel
/// this way, where no `&mut` slice could cover one band without overlapping the others.
///
/// # Safety
/// For every `i < lhs.rows`, `j < rhs.cols`, `dst + i·dst_rs + j` must be valid for writes and
/// neither read nor written by anything else during the call.
///
/// # Panics
/// If the inner dimensions disagree or an operand does not fit in its slice.
pub(crate) unsafe fn matmul_raw(
    dst: *mut f32,
    dst_rs: usize,
    lhs: Mat,
    rhs: Mat,
    par: Parallelism,
) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "GEMM inner dimensions disagree: {k} vs {}", rhs.rows);
    assert!(fits(lhs.data.len(), m, k, lhs.rs, lhs.cs), "GEMM lhs does not fit");
    assert!(fits(rhs.data.len(), k, n, rhs.rs, rhs.cs), "GEMM rhs does not fit");
    if m == 0 || n == 0 {
        return;
    }
    // A row vector times a matrix (a batch-1 fc or Gemm) goes to gemm's gemv, which runs on
    // one thread and is memory-bound: the threads take column blocks of their own instead.
    if let (1, Parallelism::Rayon(threads)) = (m, par)
        && n >= 2 * GEMV_MIN_COLS
    {
        let per = n.div_ceil(threads).max(GEMV_MIN_COLS);
        // SAFETY: the caller vouches for the destination row, `n` values at unit stride.
        let dst = unsafe { SharedOut::from_raw(dst, n) };
        (0..n).into_par_iter().step_by(per).for_each(|j0| {
            let cols = per.min(n - j0);
            let rhs = Mat { data: &rhs.data[j0 * rhs.cs..], cols, ..rhs };
            // SAFETY: columns `j0..j0 + cols` of the one destination row, this block's alone;
            // `rhs` starts at column `j0`, so its columns stay inside the slice (checked again
            // by the call).
            unsafe { matmul_raw(dst.at(j0), dst_rs, lhs, rhs, Parallelism::None) };
        });
        return;
    }
    if m.saturating_mul(n).saturating_mul(k) <= SMALL_MACS {
        for i in 0..m {
            for j in 0..n {
                let dot = (0..k)
                    .map(|l| lhs.data[i * lhs.rs + l * lhs.cs] * rhs.data[l * rhs.rs + j * rhs.cs]);
                // SAFETY: the caller vouches for `(i, j)` of the destination.
                unsafe { *dst.add(i * dst_rs + j) = dot.sum() };
            }
        }
        return;
    }
    // SAFETY: the asserts above put every element read inside `lhs` and `rhs`; the caller
    // vouches for the destination, which therefore aliases neither operand. With
    // `read_dst = false` gemm computes dst := 1·lhs·rhs and does not read dst (it writes zeros
    // when k == 0).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs as isize,
            false,
            lhs.data.as_ptr(),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr(),
            rhs.cs as isize,
            rhs.rs as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            par,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_by_three_times_three_by_two() {
        // [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154]
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
        let mut c = [f32::NAN; 4];
        matmul(
            &mut c,
            2,
            Mat::row_major(&a, 2, 3, 3),
            Mat::row_major(&b, 3, 2, 2),
            Parallelism::None,
        );
        assert_eq!(c, [58.0, 64.0, 139.0, 154.0]);
    }

    #[test]
    fn strided_operands_and_destination() {
        // lhs = transpose of [1 2; 3 4] read with rs = 1, cs = 2 → [1 3; 2 4].
        let a = [1.0, 2.0, 3.0, 4.0];
        let lhs = Mat { data: &a, rows: 2, cols: 2, rs: 1, cs: 2 };
        let id = [1.0, 0.0, 0.0, 1.0];
        let mut c = [-1.0; 6]; // rows 3 apart: columns 2.. untouched
        matmul(&mut c, 3, lhs, Mat::row_major(&id, 2, 2, 2), Parallelism::None);
        assert_eq!(c, [1.0, 3.0, -1.0, 2.0, 4.0, -1.0]);
    }

    /// A row vector times a matrix at two threads (column blocks on the pool, the last one
    /// short) equals the one-thread product bit for bit.
    #[test]
    fn row_vector_blocks_at_two_threads() {
        let (k, n) = (300, 1000);
        let a: Vec<f32> = (0..k).map(|i| (i % 11) as f32 - 5.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 7) % 13) as f32 * 0.25 - 1.5).collect();
        // The weights transposed, as a Gemm with transB reads them.
        let rhs = Mat { data: &b, rows: k, cols: n, rs: 1, cs: k };
        let one = {
            let mut c = vec![f32::NAN; n];
            matmul(&mut c, n, Mat::row_major(&a, 1, k, k), rhs, Parallelism::None);
            c
        };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let two = pool.install(|| {
            let mut c = vec![f32::NAN; n];
            matmul(&mut c, n, Mat::row_major(&a, 1, k, k), rhs, Parallelism::Rayon(2));
            c
        });
        assert_eq!(one, two);
        let want: f32 = (0..k).map(|l| a[l] * b[7 * k + l]).sum();
        assert!((one[7] - want).abs() <= 1e-3 * want.abs().max(1.0));
    }

    /// Both sides of `SMALL_MACS`: the plain loop and gemm agree with a written-out product.
    #[test]
    fn small_and_large_products() {
        for (m, k, n) in [(2, 3, 4), (16, 24, 40)] {
            let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.5).collect();
            let mut c = vec![f32::NAN; m * n];
            let (lhs, rhs) = (Mat::row_major(&a, m, k, k), Mat::row_major(&b, k, n, n));
            matmul(&mut c, n, lhs, rhs, Parallelism::None);
            for i in 0..m {
                for j in 0..n {
                    let want: f32 = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
                    assert!((c[i * n + j] - want).abs() <= 1e-4 * want.abs().max(1.0));
                }
            }
        }
    }

    #[test]
    fn strides_that_wrap_do_not_fit() {
        // (2 − 1)·2^63 + (2 − 1)·2^63 wraps to 0 < 4: a wrapping check would pass this.
        assert!(!fits(4, 2, 2, 1 << 63, 1 << 63));
        assert!(!fits(4, 2, 1, usize::MAX, 1));
        assert!(fits(4, 2, 2, 2, 1));
        assert!(!fits(3, 2, 2, 2, 1));
    }

    #[test]
    #[should_panic(expected = "does not fit")]
    fn short_slice_is_refused() {
        let a = [1.0; 5];
        let mut c = [0.0; 4];
        matmul(
            &mut c,
            2,
            Mat::row_major(&a, 2, 3, 3),
            Mat::row_major(&a, 3, 2, 2),
            Parallelism::None,
        );
    }
}
