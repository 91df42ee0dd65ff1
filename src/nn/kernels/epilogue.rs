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
        let mut out = [9.0; 4];
        Epilogue::Clip(0.0, 6.0).finish_into(&mut out, &x, 1.0);
        assert_eq!(out, [0.0, 0.5, 1.5, 6.0]);
    }
}
