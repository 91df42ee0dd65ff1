//! What a conv does to each output value after the sum: add the bias, then an activation.

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
    /// On AVX-512 this is two instructions per 16 values (the plain loop compiles to 4-lane
    /// vectors with a NaN blend, about as slow as the separate pass it replaces).
    #[inline]
    pub(crate) fn activate(self, vals: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if self != Epilogue::None
            && vals.len() >= 16
            && std::arch::is_x86_feature_detected!("avx512f")
        {
            // SAFETY: the CPU supports AVX-512F, checked on the line above.
            return unsafe { self.activate_avx512(vals) };
        }
        match self {
            Epilogue::None => {}
            Epilogue::Relu => vals.iter_mut().for_each(|v| *v = v.max(0.0)),
            Epilogue::Clip(lo, hi) => vals.iter_mut().for_each(|v| *v = v.max(lo).min(hi)),
        }
    }

    /// [`Epilogue::activate`] in whole vectors, the last one masked.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn activate_avx512(self, vals: &mut [f32]) {
        use std::arch::x86_64::*;
        let (n, p) = (vals.len(), vals.as_mut_ptr());
        let mut i = 0;
        // SAFETY: every load and store is at `i..i + 16 ≤ n`, or masked to `i..n`.
        unsafe {
            while i + 16 <= n {
                _mm512_storeu_ps(p.add(i), self.vector(_mm512_loadu_ps(p.add(i))));
                i += 16;
            }
            if i < n {
                let m = ((1u32 << (n - i)) - 1) as u16;
                let v = _mm512_maskz_loadu_ps(m, p.add(i));
                _mm512_mask_storeu_ps(p.add(i), m, self.vector(v));
            }
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

    /// `plane[i] = act(plane[i] + bias)`, one pass; each arm is a plain loop the compiler
    /// vectorises.
    #[inline]
    pub(crate) fn finish(self, plane: &mut [f32], bias: f32) {
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
        // vector path starts at 16).
        let odd = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0, 5.9, 6.1, -1e-40, 3.0];
        for e in
            [Epilogue::None, Epilogue::Relu, Epilogue::Clip(0.0, 6.0), Epilogue::Clip(-1.0, 1.0)]
        {
            for n in [odd.len(), 37] {
                let vals: Vec<f32> =
                    (0..n).map(|i| odd[i % odd.len()] * (1 + i / 9) as f32).collect();
                let mut got = vals.clone();
                e.activate(&mut got);
                let want: Vec<f32> = vals.iter().map(|&v| e.apply(v)).collect();
                assert_eq!(got.len(), want.len());
                for (g, w) in got.iter().zip(&want) {
                    assert!(g == w || g.is_nan() && w.is_nan(), "{e:?}: {g} vs {w}");
                }
            }
        }
        let mut out = [9.0; 4];
        Epilogue::Clip(0.0, 6.0).finish_into(&mut out, &x, 1.0);
        assert_eq!(out, [0.0, 0.5, 1.5, 6.0]);
    }
}
