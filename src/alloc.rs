//! Allocator tuning for a program that keeps every layer's output.
//!
//! A pass allocates one fresh buffer per layer (the explorer keeps them all), and the pass after
//! an edit frees the old ones and allocates again. With glibc's defaults every buffer above
//! 128 KiB is its own `mmap`, so each pass pays a page fault and a kernel page clear for every
//! 4 KiB it writes: a third of a 640×640 detector pass went to `clear_page` in `perf`. Raising
//! the mmap threshold to its maximum (32 MiB) and never trimming the heap keeps freed buffers
//! in the heap, where the next pass reuses them; one arena for every thread, as worker threads'
//! arenas give their memory back regardless.

/// Keep freed buffers for reuse (glibc only; elsewhere nothing changes).
pub fn keep_freed_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        // One arena: a thread's own arena is made of 64 MiB heaps that are unmapped as soon as
        // they empty, whatever the trim threshold, so the pass threads would fault again.
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
