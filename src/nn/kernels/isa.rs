//! Which vector instructions a kernel uses: the widest this CPU has, or a narrower level a test
//! asks for (so every level the machine can run is checked against the naive reference, not
//! only the one dispatch picks).
//!
//! The crate is built for baseline x86-64 (SSE2). A kernel's vector forms are
//! `#[target_feature]` functions with explicit intrinsics; plain Rust code handed to such a
//! function through a generic parameter is *not* recompiled for its features (a function item
//! passed as `impl Fn` is called through a shim built for the baseline), so each level writes
//! its inner loops out.

/// A vector instruction level, ordered from narrowest to widest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Isa {
    /// Plain code, as the baseline compiles it.
    Baseline,
    /// AVX2 with FMA: 8 lanes of f32.
    Avx2,
    /// AVX-512F: 16 lanes of f32.
    Avx512,
}

impl Isa {
    /// The widest level this CPU supports.
    pub(crate) fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    }

    /// Every level this CPU can run, narrowest first.
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Isa> {
        [Isa::Baseline, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|&i| i <= Isa::detect())
            .collect()
    }
}

/// The lane mask of the first `k` of 8 lanes, for AVX2's masked loads and stores.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
pub(crate) fn first_lanes(k: usize) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    let k = k.min(8) as i32;
    _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
}

/// The lane mask of the first `k` of 16 lanes, for AVX-512's masked loads and stores.
#[cfg(target_arch = "x86_64")]
pub(crate) fn first16(k: usize) -> u16 {
    ((1u32 << k.min(16)) - 1) as u16
}
