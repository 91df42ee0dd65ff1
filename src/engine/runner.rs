//! One latest-wins job runner, shared by the forward-pass worker and the edit checker (gitui's
//! `AsyncSingleJob` is the model).
//!
//! Every submitted request gets an id; submitting makes all older ones stale. The thread runs
//! only the newest queued request, and a running job can ask [`Job::is_current`] to stop early.
//! Every job runs inside `catch_unwind`: a panic becomes the reply `on_panic` makes of it, the
//! thread lives on, and nothing is printed over the terminal (see [`in_job`]).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};

thread_local! {
    static IN_JOB: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is running a job: a panic hook should then stay quiet, because the
/// panic is caught and reported as the job's error.
pub fn in_job() -> bool {
    IN_JOB.with(Cell::get)
}

/// The running job's view of its own staleness.
#[derive(Clone, Copy)]
pub struct Job<'a> {
    pub id: u64,
    latest: &'a AtomicU64,
}

impl<'a> Job<'a> {
    /// Job `id`, current while `latest` holds `id` (for running a job on the calling thread).
    pub fn new(id: u64, latest: &'a AtomicU64) -> Self {
        Job { id, latest }
    }

    /// Whether no newer request was submitted since this one.
    pub fn is_current(&self) -> bool {
        self.latest.load(Ordering::SeqCst) == self.id
    }
}

/// The handle the UI keeps: submit requests; replies go to the sender given to [`Runner::spawn`].
pub struct Runner<Req> {
    tx: Sender<(u64, Req)>,
    latest: Arc<AtomicU64>,
    next: u64,
}

/// A panic's message, from its payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

impl<Req: Send + 'static> Runner<Req> {
    /// Start the thread `name`. `work(job, request, send)` does a request and sends its
    /// replies; `on_panic(id, message)` turns a panic into a reply.
    ///
    /// # Panics
    /// Only if the OS cannot start a thread.
    pub fn spawn<Rep: Send + 'static>(
        name: &str,
        work: impl Fn(Job, Req, &dyn Fn(Rep)) + Send + 'static,
        on_panic: impl Fn(u64, String) -> Rep + Send + 'static,
        send: impl Fn(Rep) + Send + 'static,
    ) -> Runner<Req> {
        let (tx, rx) = channel::<(u64, Req)>();
        let latest = Arc::new(AtomicU64::new(0));
        let l2 = latest.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                IN_JOB.with(|f| f.set(true));
                while let Ok(mut req) = rx.recv() {
                    // Only the newest queued request matters.
                    while let Ok(newer) = rx.try_recv() {
                        req = newer;
                    }
                    let (id, req) = req;
                    if l2.load(Ordering::SeqCst) != id {
                        continue;
                    }
                    let job = Job { id, latest: &l2 };
                    let run = catch_unwind(AssertUnwindSafe(|| work(job, req, &send)));
                    if let Err(payload) = run {
                        send(on_panic(id, panic_message(payload.as_ref())));
                    }
                }
            })
            .expect("spawning a thread only fails when the OS is out of resources");
        Runner { tx, latest, next: 0 }
    }

    /// Submit a request; every older one becomes stale. Returns the new id.
    pub fn submit(&mut self, req: Req) -> u64 {
        let id = self.next + 1;
        self.submit_as(id, req);
        id
    }

    /// Submit a request under the caller's id (ids must grow: the app numbers its own
    /// requests); every older one becomes stale.
    pub fn submit_as(&mut self, id: u64, req: Req) {
        self.next = self.next.max(id);
        self.latest.store(id, Ordering::SeqCst);
        // A send fails only when the thread has died; the UI then simply gets no reply.
        let _ = self.tx.send((id, req));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[derive(Debug, PartialEq)]
    enum Rep {
        Done(u64, u32),
        Panicked(u64, String),
    }

    fn runner() -> (Runner<u32>, mpsc::Receiver<Rep>) {
        let (tx, rx) = mpsc::channel();
        let r = Runner::spawn(
            "test-runner",
            |job: Job, n: u32, send: &dyn Fn(Rep)| {
                if n == 13 {
                    panic!("unlucky {n}");
                }
                send(Rep::Done(job.id, n * 2));
            },
            Rep::Panicked,
            move |r| {
                let _ = tx.send(r);
            },
        );
        (r, rx)
    }

    #[test]
    fn a_panicking_job_becomes_an_error_reply_and_the_thread_lives_on() {
        let (mut r, rx) = runner();
        let a = r.submit(13);
        let got = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(got, Rep::Panicked(a, "unlucky 13".into()));
        let b = r.submit(4);
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), Rep::Done(b, 8));
    }

    #[test]
    fn stale_requests_are_skipped() {
        let (mut r, rx) = runner();
        let ids: Vec<u64> = (0..50).map(|n| r.submit(n)).collect();
        // Whatever ran, the newest request's reply arrives, and none comes after it.
        let last = *ids.last().unwrap();
        loop {
            match rx.recv_timeout(Duration::from_secs(10)).unwrap() {
                Rep::Done(id, v) if id == last => {
                    assert_eq!(v, 98);
                    break;
                }
                Rep::Done(..) => {}
                other => panic!("{other:?}"),
            }
        }
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
    }
}
