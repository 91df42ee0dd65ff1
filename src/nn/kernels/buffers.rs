//! Recycled output buffers: the volumes of a dropped forward pass become the outputs of the next,
//! so a steady stream of passes neither allocates nor page-faults fresh memory.
//!
//! A kernel [`take`]s a buffer of the length it needs and overwrites every value; whoever drops a
//! volume it owns alone may [`give`] its storage back (the forward pass does, when its
//! `Activations` is dropped). The pool is bounded in count and bytes, so it never holds more than
//! a few passes' worth of memory.

use crate::nn::tensor::Volume;
use ndarray::Array3;
use std::sync::Mutex;

/// Buffers smaller than this are cheap to allocate (malloc serves them from its free lists).
const MIN_POOLED: usize = 4096;
/// At most this many buffers are kept…
const MAX_BUFFERS: usize = 256;
/// …holding at most this many bytes.
const MAX_BYTES: usize = 512 << 20;

struct Pool {
    bufs: Vec<Vec<f32>>,
    bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { bufs: Vec::new(), bytes: 0 });

fn bytes_of(v: &Vec<f32>) -> usize {
    v.capacity() * size_of::<f32>()
}

/// A buffer of `n` values whose contents are unspecified: the caller must write every value.
/// It is the smallest pooled buffer that holds `n` values without wasting more than half of
/// itself, or a fresh one. Debug builds fill it with NaN so a value left unwritten shows up.
///
/// # Panics
/// When the allocator cannot give `n` values: a panic (which a job turns into an error) rather
/// than an abort. The memory budget is checked before a pass, so this is a last resort.
pub fn take(n: usize) -> Vec<f32> {
    let mut v = if n >= MIN_POOLED { take_pooled(n) } else { None }.unwrap_or_default();
    v.truncate(n);
    if let Err(e) = v.try_reserve_exact(n - v.len()) {
        panic!(
            "out of memory: cannot allocate {} for a volume ({e})",
            crate::fmt::bytes(4 * n as u64)
        );
    }
    if cfg!(debug_assertions) {
        v.fill(f32::NAN);
        v.resize(n, f32::NAN);
    } else {
        v.resize(n, 0.0);
    }
    v
}

fn take_pooled(n: usize) -> Option<Vec<f32>> {
    // A poisoned lock only means another thread panicked mid-push: the list is still valid.
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let best = (pool.bufs.iter().enumerate())
        .filter(|(_, v)| v.len() >= n && v.len() <= 2 * n)
        .min_by_key(|(_, v)| v.len())
        .map(|(i, _)| i)?;
    let v = pool.bufs.swap_remove(best);
    pool.bytes -= bytes_of(&v);
    Some(v)
}

/// Hand `v` back for reuse (or drop it if the pool is full or `v` is small).
pub fn give(v: Vec<f32>) {
    if v.len() < MIN_POOLED {
        return;
    }
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if pool.bufs.len() < MAX_BUFFERS && pool.bytes + bytes_of(&v) <= MAX_BYTES {
        pool.bytes += bytes_of(&v);
        pool.bufs.push(v);
    }
}

/// A `(d, h, w)` volume on a [`take`]n buffer: every value must be written.
pub fn volume(shape: (usize, usize, usize)) -> Volume {
    let v = take(shape.0 * shape.1 * shape.2);
    Array3::from_shape_vec(shape, v).expect("take returns exactly d·h·w values")
}

/// A tensor of `dims` on a [`take`]n buffer, every value 0 (for kernels that accumulate).
pub fn zeros_dyn(dims: &[usize]) -> ndarray::ArrayD<f32> {
    let n = dims.iter().product();
    let mut v = take(n);
    v.fill(0.0);
    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(dims), v).expect("take returns n values")
}

/// A tensor of `dims` on a [`take`]n buffer whose values are unspecified: every one must be
/// written.
pub fn uninit_dyn(dims: &[usize]) -> ndarray::ArrayD<f32> {
    let v = take(dims.iter().product());
    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(dims), v).expect("take returns n values")
}

/// Recycle the storage of a volume nobody else holds.
pub fn give_volume(v: Volume) {
    let (data, _) = v.into_raw_vec_and_offset();
    give(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_buffer_is_taken_again_for_a_similar_length() {
        let v = vec![1.0f32; 10_000];
        let ptr = v.as_ptr();
        give(v);
        // Other tests share the pool, so look for our buffer among a few takes.
        let got: Vec<Vec<f32>> = (0..MAX_BUFFERS).map_while(|_| take_pooled(9_000)).collect();
        assert!(got.iter().any(|b| b.as_ptr() == ptr && b.len() == 10_000));
        let t = take(6_000);
        assert_eq!(t.len(), 6_000);
    }

    #[test]
    fn small_or_much_larger_buffers_are_not_handed_out() {
        give(vec![0.0; 100]);
        assert!(take_pooled(100).is_none());
        let v = vec![0.0f32; 1 << 20];
        let ptr = v.as_ptr();
        give(v);
        let got: Vec<Vec<f32>> = (0..MAX_BUFFERS).map_while(|_| take_pooled(1000 + 4096)).collect();
        assert!(got.iter().all(|b| b.as_ptr() != ptr));
    }
}
