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

/// A second output of a conv: `act(y)` of every finished value `y`, written beside the conv's own
/// output while each piece is still in cache. The forward pass uses it for a conv whose next
/// layer is its activation, so both layers are kept (each stays viewable) and the activation
/// costs no pass of its own over memory.
///
/// Kernels hand it each finished piece of the output (a row, a band, a block of planes): the
/// piece's offset in the output is its offset in the twin, so pieces finished on different
/// threads write disjoint parts of the twin.
pub(crate) struct Twin {
    act: Epilogue,
    /// The conv's output, `len` values: only its address is used, to place each piece.
    out: *const f32,
    /// The twin buffer, `len` values.
    dst: *mut f32,
    len: usize,
}

// SAFETY: pieces of the output are disjoint, so the parts of `dst` they write are too (see
// `write`); `out` is never dereferenced.
unsafe impl Send for Twin {}
unsafe impl Sync for Twin {}

impl Twin {
    /// A twin of `out` in `dst` (as long as `out`), with `act` applied.
    ///
    /// # Panics
    /// If the lengths differ.
    pub(crate) fn new(act: Epilogue, out: &[f32], dst: &mut [f32]) -> Self {
        assert_eq!(out.len(), dst.len(), "a twin is as long as the output");
        Twin { act, out: out.as_ptr(), dst: dst.as_mut_ptr(), len: out.len() }
    }

    /// `twin[piece] = act(piece)` for a finished `piece` of the output.
    ///
    /// # Panics
    /// If `piece` is not inside the output this twin was made for.
    #[inline]
    pub(crate) fn write(&self, piece: &[f32]) {
        let at = (piece.as_ptr() as usize).wrapping_sub(self.out as usize) / size_of::<f32>();
        let inside = (piece.as_ptr() as usize) >= self.out as usize
            && at.checked_add(piece.len()).is_some_and(|end| end <= self.len);
        assert!(inside, "a twin piece lies inside the output");
        // SAFETY: `at..at + len` is inside `dst` (checked above). Callers pass disjoint pieces
        // of the output from different threads, so no two writes here overlap, and `dst` is
        // borrowed mutably by the conv for as long as the twin lives.
        let dst = unsafe { std::slice::from_raw_parts_mut(self.dst.add(at), piece.len()) };
        self.act.finish_into(dst, piece, 0.0);
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

    #[test]
    fn twin_writes_each_piece_at_its_offset() {
        let out = [-2.0, -0.5, 0.5, 7.0, 3.0];
        let mut dst = [f32::NAN; 5];
        let twin = Twin::new(Epilogue::Clip(0.0, 6.0), &out, &mut dst);
        twin.write(&out[3..]);
        twin.write(&out[..3]);
        assert_eq!(dst, [0.0, 0.0, 0.5, 6.0, 3.0]);
    }

    #[test]
    #[should_panic(expected = "inside the output")]
    fn twin_refuses_a_foreign_piece() {
        let (out, other) = ([1.0; 4], [1.0; 4]);
        let mut dst = [0.0; 4];
        Twin::new(Epilogue::Relu, &out, &mut dst).write(&other);
    }
}
