//! The exact integer matrix product under ConvInteger, MatMulInteger and the QLinear ops.
//!
//! Operands are zero-point-adjusted 8-bit values, `x − zp` with both in uint8 or both in int8,
//! so every operand lies in `[−255, 255]` and every product in `[−65025, 65025]`. An i32
//! accumulator can then take [`CHUNK`] = 33025 products without any chance of overflow
//! (33025 · 65025 = 2 147 450 625 ≤ 2^31 − 1); after each chunk it is flushed into an i64, so
//! the sum is exact for any K. The inner loop is an axpy over contiguous rows (one scalar of
//! `a` times a row of `b`), which the compiler vectorises.

/// The largest magnitude of a packed operand.
pub(crate) const MAX_OPERAND: i32 = 255;
/// How many products one i32 accumulator may take: `⌊(2^31 − 1) / 255²⌋`.
pub(crate) const CHUNK: usize = (i32::MAX as usize) / (MAX_OPERAND as usize * MAX_OPERAND as usize);

/// `out[i][j] += Σ_k a[i][k] · b[k][j]`, exactly.
///
/// `a` is `m × k` and `b` is `k × t`, both row-major; `out` is `m × t`. Every operand must lie
/// in `[−255, 255]` (the packers guarantee it: they only ever store differences of two values
/// of one 8-bit type). `acc` is scratch space, reused across calls to avoid allocation.
pub(crate) fn gemm_exact(
    a: &[i32],
    b: &[i32],
    (m, k, t): (usize, usize, usize),
    out: &mut [i64],
    acc: &mut Vec<i32>,
) {
    debug_assert!(a.len() == m * k && b.len() == k * t && out.len() == m * t);
    debug_assert!(a.iter().chain(b).all(|v| v.abs() <= MAX_OPERAND));
    acc.clear();
    acc.resize(t, 0);
    for (a_row, out_row) in a.chunks_exact(k.max(1)).zip(out.chunks_exact_mut(t.max(1))) {
        let mut k0 = 0;
        while k0 < k {
            let k1 = (k0 + CHUNK).min(k);
            acc.fill(0);
            for (kk, &av) in a_row[k0..k1].iter().enumerate() {
                if av == 0 {
                    continue;
                }
                let b_row = &b[(k0 + kk) * t..(k0 + kk + 1) * t];
                // The bound above makes these exact; wrapping ops only spare the overflow
                // checks of debug builds so the loop vectorises there too.
                for (o, &bv) in acc.iter_mut().zip(b_row) {
                    *o = o.wrapping_add(av.wrapping_mul(bv));
                }
            }
            for (o, &s) in out_row.iter_mut().zip(acc.iter()) {
                *o += i64::from(s);
            }
            k0 = k1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_is_the_largest_safe_count() {
        assert_eq!(CHUNK, 33_025);
        assert!(CHUNK as i64 * 65_025 <= i32::MAX as i64);
        assert!((CHUNK as i64 + 1) * 65_025 > i32::MAX as i64);
    }

    #[test]
    fn small_product_by_hand() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50].
        let mut out = vec![0i64; 4];
        gemm_exact(&[1, 2, 3, 4], &[5, 6, 7, 8], (2, 2, 2), &mut out, &mut Vec::new());
        assert_eq!(out, [19, 22, 43, 50]);
    }

    #[test]
    fn long_sums_cross_the_i32_limit_exactly() {
        // K = 3·CHUNK + 7 products of 255·255 (and of −255·255): 99082 · 65025 = 6 442 807 050,
        // three times what an i32 can hold.
        let k = 3 * CHUNK + 7;
        let a = vec![255; k];
        let b: Vec<i32> = (0..k * 2).map(|i| if i % 2 == 0 { 255 } else { -255 }).collect();
        let mut out = vec![0i64; 2];
        gemm_exact(&a, &b, (1, k, 2), &mut out, &mut Vec::new());
        assert_eq!(out, [k as i64 * 65_025, -(k as i64) * 65_025]);
        assert_eq!(out[0], 6_442_807_050);
    }

    #[test]
    fn empty_dimensions() {
        let mut out = vec![0i64; 2];
        gemm_exact(&[], &[], (2, 0, 1), &mut out, &mut Vec::new());
        assert_eq!(out, [0, 0]);
        gemm_exact(&[], &[], (0, 3, 0), &mut [], &mut Vec::new());
    }
}
