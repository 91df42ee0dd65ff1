//! Keeping the rayon pool's other workers awake through a forward pass.
//!
//! A pass is a chain of short parallel regions (a conv's bands, a depthwise layer's channel
//! blocks) with serial work between them. An idle rayon worker goes to sleep within
//! microseconds, and waking it costs far more on a virtual machine: a join of two 20 µs halves
//! after a serial gap of 20 µs or more took 54–90 µs instead of 21 (2 cores under KVM), which at
//! two threads is paid at every region. So while a pass runs, each other worker runs a
//! *spinner*: a job that keeps calling `rayon::yield_now`, which runs whatever work the pool
//! has (the halves the pass pushes), and spins between jobs.
//!
//! A spinner never blocks the thread it runs on for long: it returns when the pass ends, or
//! after [`MAX_IDLE`] without finding work. That bound is what keeps it safe wherever rayon
//! puts it. A worker waiting inside a job (a nested join) may pick the spinner up, and the job
//! beneath it resumes only when the spinner returns; the pass's own thread returns it at once.
//! A spinner that has left is spawned again at the next layer ([`Awake::arm`]).

use rayon::Yield;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A spinner that finds no work for this long returns.
const MAX_IDLE: Duration = Duration::from_micros(100);

/// The spinners of one pass.
struct State {
    /// Set when the pass ends (also when it panics).
    done: AtomicBool,
    /// Spinners spawned and not yet returned.
    spinning: AtomicUsize,
    /// The pool thread the pass runs on (`None` outside the pool).
    home: Option<usize>,
}

/// Handed to the pass: [`Awake::arm`] tops the spinners up.
pub struct Awake<'a> {
    arm: &'a dyn Fn(),
}

impl Awake<'_> {
    /// Spawns spinners until every other worker has one (a no-op on one thread).
    pub fn arm(&self) {
        (self.arm)();
    }
}

/// Sets `done` when dropped, so the spinners return even if the pass panics.
struct DoneOnDrop<'a>(&'a AtomicBool);

impl Drop for DoneOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Runs `pass` with the current pool's other workers kept awake (see the module docs); on one
/// thread it just runs `pass`.
pub fn with_awake_workers<R>(pass: impl FnOnce(&Awake) -> R) -> R {
    let threads = rayon::current_num_threads();
    if threads <= 1 {
        return pass(&Awake { arm: &|| () });
    }
    let home = rayon::current_thread_index();
    // Outside the pool, every worker can help; inside it, all but this one.
    let want = if home.is_some() { threads - 1 } else { threads };
    let state = State { done: AtomicBool::new(false), spinning: AtomicUsize::new(0), home };
    rayon::in_place_scope(|scope| {
        let _done = DoneOnDrop(&state.done);
        let state = &state;
        let arm = move || {
            let mut n = state.spinning.load(Ordering::Acquire);
            while n < want {
                match state.spinning.compare_exchange(n, n + 1, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => {
                        scope.spawn(move |_| spin(state));
                        n += 1;
                    }
                    Err(now) => n = now,
                }
            }
        };
        arm();
        pass(&Awake { arm: &arm })
    })
}

/// One spinner: runs the pool's work until the pass ends or none comes for [`MAX_IDLE`].
fn spin(state: &State) {
    // On the pass's own thread (popped while it waits in a join) it would only stall the pass.
    if state.home.is_none() || rayon::current_thread_index() != state.home {
        let mut idle_since: Option<Instant> = None;
        while !state.done.load(Ordering::Acquire) {
            if rayon::yield_now() == Some(Yield::Executed) {
                idle_since = None;
            } else if idle_since.get_or_insert_with(Instant::now).elapsed() > MAX_IDLE {
                break;
            } else {
                std::hint::spin_loop();
            }
        }
    }
    state.spinning.fetch_sub(1, Ordering::AcqRel);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
    }

    /// A pass of parallel sums, armed at every step as the forward pass arms at every layer.
    fn pass(awake: &Awake, n: usize) -> u64 {
        (0..20u64)
            .map(|step| {
                awake.arm();
                (0..n as u64).into_par_iter().map(|i| i * step).sum::<u64>()
            })
            .sum()
    }

    fn want(n: usize) -> u64 {
        (0..20u64).map(|step| (0..n as u64).map(|i| i * step).sum::<u64>()).sum()
    }

    /// Passes on one, two and three threads, from inside the pool and from outside it, give
    /// the plain result, and every spinner has returned when the call does.
    #[test]
    fn passes_inside_and_outside_the_pool() {
        for threads in 1..=3 {
            let p = pool(threads);
            assert_eq!(p.install(|| with_awake_workers(|a| pass(a, 10_000))), want(10_000));
            // From a thread of no pool: spinners on the global pool.
            assert_eq!(with_awake_workers(|a| pass(a, 10_000)), want(10_000));
        }
    }

    /// Passes nested inside the pool's own jobs (as an occlusion map runs passes in a parallel
    /// loop), where spinners land on workers that wait inside other passes: all complete.
    #[test]
    fn nested_passes_complete() {
        for threads in 2..=3 {
            let got: Vec<u64> = pool(threads).install(|| {
                (0..64)
                    .into_par_iter()
                    .map(|i| with_awake_workers(|a| pass(a, 2_000 + i)))
                    .collect()
            });
            let expect: Vec<u64> = (0..64).map(|i| want(2_000 + i)).collect();
            assert_eq!(got, expect);
        }
    }

    /// A pass that panics: the panic reaches the caller and the spinners return.
    #[test]
    fn a_panicking_pass_releases_its_spinners() {
        let p = pool(2);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            p.install(|| {
                with_awake_workers(|a| {
                    a.arm();
                    panic!("layer failed")
                })
            })
        }));
        assert!(r.is_err());
        // The pool still runs work afterwards.
        assert_eq!(p.install(|| (0..100u64).into_par_iter().sum::<u64>()), 4950);
    }
}
