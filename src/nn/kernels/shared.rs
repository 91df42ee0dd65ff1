//! An output buffer shared by parallel jobs, each of which writes only its own values (bands of
//! columns, tiles of pixels and filters, blocks of a product's columns).

/// A raw pointer to `len` values that jobs on the rayon pool may share. It is `Send` and `Sync`;
/// its methods only form pointers, and the unsafe code that writes through them vouches that
/// no two jobs write the same value.
#[derive(Clone, Copy)]
pub(crate) struct SharedOut {
    ptr: *mut f32,
    len: usize,
}

// SAFETY: a `SharedOut` only hands out pointers; every write through them is an `unsafe` block
// whose caller keeps the jobs' values disjoint (see each use).
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

impl SharedOut {
    pub(crate) fn new(buf: &mut [f32]) -> Self {
        SharedOut { ptr: buf.as_mut_ptr(), len: buf.len() }
    }

    /// Values `ptr..ptr + len` that the caller owns for as long as the `SharedOut` is used
    /// (a destination the caller was handed as a raw pointer).
    ///
    /// # Safety
    /// `ptr..ptr + len` must be valid for writes while the `SharedOut` and its pointers live.
    pub(crate) unsafe fn from_raw(ptr: *mut f32, len: usize) -> Self {
        SharedOut { ptr, len }
    }

    /// Where value `i` is. (A method, so that a closure captures the whole `SharedOut`, which
    /// is `Sync`, rather than its raw pointer.)
    pub(crate) fn at(self, i: usize) -> *mut f32 {
        self.ptr.wrapping_add(i)
    }

    /// The values `at..at + n`.
    ///
    /// # Safety
    /// No other live reference may overlap them.
    ///
    /// # Panics
    /// If they run past the buffer.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn slice(&self, at: usize, n: usize) -> &mut [f32] {
        assert!(at.checked_add(n).is_some_and(|end| end <= self.len), "a store past the output");
        // SAFETY: in bounds by the assert; exclusive by the caller.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(at), n) }
    }
}
