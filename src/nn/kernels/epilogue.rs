//! What a conv does to each output value after the sum: add the bias, then an activation.

#[cfg(target_arch = "x86_64")]
use super::isa::Isa;

/// An activation fused into a conv's single pass over its output.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Epilogue {
    #[default]
    None,
    /// `max(v, 0)`.
    Relu,
    /// `min(max(v, lo), hi)`; `Clip(0.0, 6.0)` is relu6.
    Clip(f32, f32),
}

impl Epilogue {
    /// The activation of one value (bias already added).
    pub fn apply(self, v: f32) -> f32 {
        match self {
            Epilogue::None => v,
            Epilogue::Relu => v.max(0.0),
            Epilogue::Clip(lo, hi) => v.max(lo).min(hi),
        }
    }

    /// `v = act(v)` for every value, with no bias: the same expressions as the activation
    /// layers' own loops (`ops::map_f32`), so a conv that applies its input's activation as it
    /// reads (a relu/clip layer kept as a lazy view) sees exactly the values the layer holds.
    /// On AVX-512 this is two instructions per 16 values, on AVX2 per 8 (the plain loop
    /// compiles to 4-lane vectors with a NaN blend, about as slow as the separate pass it
    /// replaces).
    #[inline]
    pub(crate) fn activate(self, vals: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if self != Epilogue::None && vals.len() >= 16 && self.map_vectors(vals, None) {
            return;
        }
        match self {
            Epilogue::None => {}
            Epilogue::Relu => vals.iter_mut().for_each(|v| *v = v.max(0.0)),
            Epilogue::Clip(lo, hi) => vals.iter_mut().for_each(|v| *v = v.max(lo).min(hi)),
        }
    }

    /// `v = act(v + bias)` (`act(v)` with no bias: adding 0 would turn −0 into +0) on the
    /// widest vectors this CPU has; false, and `vals` untouched, on a CPU without AVX2.
    #[cfg(target_arch = "x86_64")]
    fn map_vectors(self, vals: &mut [f32], bias: Option<f32>) -> bool {
        self.map_at(Isa::detect(), vals, bias)
    }

    /// [`Epilogue::map_vectors`] on the vectors of `isa`, which the CPU must support.
    #[cfg(target_arch = "x86_64")]
    fn map_at(self, isa: Isa, vals: &mut [f32], bias: Option<f32>) -> bool {
        assert!(isa <= Isa::detect(), "{isa:?} on a CPU without it");
        match isa {
            // SAFETY: the CPU supports `isa`, asserted above.
            Isa::Avx512 => unsafe { self.map_avx512(vals, bias) },
            // SAFETY: as above.
            Isa::Avx2 => unsafe { self.map_avx2(vals, bias) },
            Isa::Baseline => return false,
        }
        true
    }

    /// [`Epilogue::map_vectors`] in whole AVX-512 vectors, the last one masked.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn map_avx512(self, vals: &mut [f32], bias: Option<f32>) {
        use std::arch::x86_64::*;
        let (n, p) = (vals.len(), vals.as_mut_ptr());
        let b = _mm512_set1_ps(bias.unwrap_or(0.0));
        let f = |v| self.vector(if bias.is_some() { _mm512_add_ps(v, b) } else { v });
        let mut i = 0;
        // SAFETY: every load and store is at `i..i + 16 ≤ n`, or masked to `i..n`.
        unsafe {
            while i + 16 <= n {
                _mm512_storeu_ps(p.add(i), f(_mm512_loadu_ps(p.add(i))));
                i += 16;
            }
            if i < n {
                let m = super::isa::first16(n - i);
                let v = _mm512_maskz_loadu_ps(m, p.add(i));
                _mm512_mask_storeu_ps(p.add(i), m, f(v));
            }
        }
    }

    /// [`Epilogue::map_vectors`] in whole AVX2 vectors, the last values one by one (a masked
    /// store costs more than a vector on AMD).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn map_avx2(self, vals: &mut [f32], bias: Option<f32>) {
        use std::arch::x86_64::*;
        let (n, p) = (vals.len(), vals.as_mut_ptr());
        let b = _mm256_set1_ps(bias.unwrap_or(0.0));
        let mut i = 0;
        // SAFETY: every load and store is at `i..i + 8 ≤ n`.
        unsafe {
            while i + 8 <= n {
                let v = _mm256_loadu_ps(p.add(i));
                let v = if bias.is_some() { _mm256_add_ps(v, b) } else { v };
                _mm256_storeu_ps(p.add(i), self.vector256(v));
                i += 8;
            }
        }
        let add = bias.unwrap_or(0.0);
        for v in &mut vals[i..] {
            *v = self.apply(if bias.is_some() { *v + add } else { *v });
        }
    }

    /// The activation of 16 values, lane by lane as [`Epilogue::apply`] computes it: `vmaxps`
    /// returns its second operand when the first is NaN, as `f32::max` returns the number.
    /// (Clip bounds are numbers: a NaN bound is not fused, see `forward`.)
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) fn vector(self, v: std::arch::x86_64::__m512) -> std::arch::x86_64::__m512 {
        use std::arch::x86_64::*;
        match self {
            Epilogue::None => v,
            Epilogue::Relu => _mm512_max_ps(v, _mm512_setzero_ps()),
            Epilogue::Clip(lo, hi) => {
                _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(lo)), _mm512_set1_ps(hi))
            }
        }
    }

    /// [`Epilogue::vector`] on 8 values, for AVX2 (`vmaxps` there returns its second operand
    /// for a NaN first one, too).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(crate) fn vector256(self, v: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256 {
        use std::arch::x86_64::*;
        match self {
            Epilogue::None => v,
            Epilogue::Relu => _mm256_max_ps(v, _mm256_setzero_ps()),
            Epilogue::Clip(lo, hi) => {
                _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(lo)), _mm256_set1_ps(hi))
            }
        }
    }

    /// `dst[i] = act(src[i])`, one pass: the copy and [`Epilogue::activate`] together.
    ///
    /// # Panics
    /// If `src` is shorter than `dst`.
    #[inline]
    pub(crate) fn activate_into(self, dst: &mut [f32], src: &[f32]) {
        #[cfg(target_arch = "x86_64")]
        if self != Epilogue::None {
            match Isa::detect() {
                // SAFETY: the CPU supports AVX-512F.
                Isa::Avx512 => return unsafe { self.copy_avx512(dst, src) },
                // SAFETY: the CPU supports AVX2.
                Isa::Avx2 => return unsafe { self.copy_avx2(dst, src) },
                Isa::Baseline => {}
            }
        }
        dst.copy_from_slice(&src[..dst.len()]);
        self.activate(dst);
    }

    /// [`Epilogue::activate_into`] in whole vectors and one masked one. (The depthwise kernel
    /// copies rows of a small plane this way: a few values long, too short for a `memcpy` call
    /// to pay.)
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    ///
    /// # Panics
    /// If `src` is shorter than `dst`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn copy_avx512(self, dst: &mut [f32], src: &[f32]) {
        use std::arch::x86_64::*;
        let n = dst.len();
        assert!(n <= src.len(), "copy past src");
        let (d, s) = (dst.as_mut_ptr(), src.as_ptr());
        let mut j = 0;
        // SAFETY: whole vectors load `src[j..j + 16]` and store `dst[j..j + 16]` with
        // `j + 16 ≤ n`; the last one is masked to `j..n`.
        unsafe {
            while j + 16 <= n {
                _mm512_storeu_ps(d.add(j), self.vector(_mm512_loadu_ps(s.add(j))));
                j += 16;
            }
            if j < n {
                let m = super::isa::first16(n - j);
                let v = _mm512_maskz_loadu_ps(m, s.add(j));
                _mm512_mask_storeu_ps(d.add(j), m, self.vector(v));
            }
        }
    }

    /// [`Epilogue::copy_avx512`] on AVX2: whole vectors of 8 and one masked one.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    ///
    /// # Panics
    /// If `src` is shorter than `dst`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn copy_avx2(self, dst: &mut [f32], src: &[f32]) {
        use std::arch::x86_64::*;
        const L: usize = 8;
        let n = dst.len();
        assert!(n <= src.len(), "copy past src");
        let (d, s) = (dst.as_mut_ptr(), src.as_ptr());
        let mut j = 0;
        // SAFETY: whole vectors load `src[j..j + 8]` and store `dst[j..j + 8]` with `j + 8 ≤ n`;
        // the last one is masked to `j..n`.
        unsafe {
            while j + L <= n {
                _mm256_storeu_ps(d.add(j), self.vector256(_mm256_loadu_ps(s.add(j))));
                j += L;
            }
            if j < n {
                // Through a stack vector: a masked store costs more than the vector on AMD.
                let mut v = [0.0f32; L];
                let m = super::isa::first_lanes(n - j);
                _mm256_storeu_ps(v.as_mut_ptr(), self.vector256(_mm256_maskload_ps(s.add(j), m)));
                dst[j..].copy_from_slice(&v[..n - j]);
            }
        }
    }

    /// `dst[i] = act(src[i] + bias)`, one pass.
    #[inline]
    pub(crate) fn finish_into(self, dst: &mut [f32], src: &[f32], bias: f32) {
        let pairs = dst.iter_mut().zip(src);
        match self {
            Epilogue::None => pairs.for_each(|(d, s)| *d = s + bias),
            Epilogue::Relu => pairs.for_each(|(d, s)| *d = (s + bias).max(0.0)),
            Epilogue::Clip(lo, hi) => pairs.for_each(|(d, s)| *d = (s + bias).max(lo).min(hi)),
        }
    }

    /// `plane[i] = act(plane[i] + bias)`, one pass: on AVX2 or AVX-512 vectors, else plain
    /// loops (which the baseline build compiles to 4-lane vectors).
    #[inline]
    pub(crate) fn finish(self, plane: &mut [f32], bias: f32) {
        #[cfg(target_arch = "x86_64")]
        if (self != Epilogue::None || bias != 0.0)
            && plane.len() >= 16
            && self.map_vectors(plane, Some(bias))
        {
            return;
        }
        match self {
            Epilogue::None if bias == 0.0 => {}
            Epilogue::None => plane.iter_mut().for_each(|v| *v += bias),
            Epilogue::Relu => plane.iter_mut().for_each(|v| *v = (*v + bias).max(0.0)),
            Epilogue::Clip(lo, hi) => {
                plane.iter_mut().for_each(|v| *v = (*v + bias).max(lo).min(hi))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_adds_bias_then_activates() {
        let x = [-2.0, -0.5, 0.5, 7.0];
        let run = |e: Epilogue| {
            let mut p = x;
            e.finish(&mut p, 1.0);
            p
        };
        assert_eq!(run(Epilogue::None), [-1.0, 0.5, 1.5, 8.0]);
        assert_eq!(run(Epilogue::Relu), [0.0, 0.5, 1.5, 8.0]);
        assert_eq!(run(Epilogue::Clip(0.0, 6.0)), [0.0, 0.5, 1.5, 6.0]);
        assert_eq!(Epilogue::Clip(-1.0, 1.0).apply(-3.0), -1.0);
        // The vector form equals the plain one on every kind of value (both lengths: the
        // vector path starts at 16). Equal as values: vmaxps(-0, 0) gives +0 where f32::max
        // keeps -0, and no view can tell the two apart; NaN must stay NaN.
        let odd = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0, 5.9, 6.1, -1e-40, 3.0];
        for e in
            [Epilogue::None, Epilogue::Relu, Epilogue::Clip(0.0, 6.0), Epilogue::Clip(-1.0, 1.0)]
        {
            for n in [odd.len(), 37] {
                let vals: Vec<f32> =
                    (0..n).map(|i| odd[i % odd.len()] * (1 + i / 9) as f32).collect();
                let same = |got: &[f32], want: &[f32], what: &str| {
                    assert_eq!(got.len(), want.len());
                    for (g, w) in got.iter().zip(want) {
                        let equal = g == w || g.is_nan() && w.is_nan();
                        assert!(equal, "{e:?} {what}: {g} vs {w}");
                    }
                };
                let mut got = vals.clone();
                e.activate(&mut got);
                let want: Vec<f32> = vals.iter().map(|&v| e.apply(v)).collect();
                same(&got, &want, "activate");
                let mut got = vec![9.0; vals.len()];
                e.activate_into(&mut got, &vals);
                same(&got, &want, "activate_into");
                let mut got = vals.clone();
                e.finish(&mut got, 0.25);
                let want: Vec<f32> = vals.iter().map(|&v| e.apply(v + 0.25)).collect();
                same(&got, &want, "finish");
                // Every vector level this CPU has, not only the widest.
                #[cfg(target_arch = "x86_64")]
                for isa in Isa::available() {
                    for bias in [None, Some(-0.5)] {
                        let mut got = vals.clone();
                        let b = bias.unwrap_or(0.0);
                        let want: Vec<f32> = if e.map_at(isa, &mut got, bias) {
                            let add = |v: f32| if bias.is_some() { v + b } else { v };
                            vals.iter().map(|&v| e.apply(add(v))).collect()
                        } else {
                            vals.clone()
                        };
                        same(&got, &want, &format!("{isa:?}, bias {bias:?}"));
                    }
                }
            }
        }
        let mut out = [9.0; 4];
        Epilogue::Clip(0.0, 6.0).finish_into(&mut out, &x, 1.0);
        assert_eq!(out, [0.0, 0.5, 1.5, 6.0]);
    }
}
