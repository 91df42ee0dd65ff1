//! Signals and crashes never leave the terminal broken or temporary files behind.
//!
//! - SIGINT, SIGTERM, SIGHUP (an SSH drop) and SIGQUIT are blocked in every thread and taken
//!   by one thread with `sigwait`: it removes the temporary files being written
//!   ([`crate::output`]), then either tells the explorer to quit (it restores the terminal on its
//!   way out) or ends a command at once. If the explorer has not ended a second later, the
//!   terminal is restored here and the process exits.
//! - While the explorer owns the terminal, a crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, or SIGABRT
//!   from an aborting allocation) first restores the terminal with async-signal-safe calls
//!   (`tcsetattr`, `write`), then dies of the same signal.
//!
//! The exit status after a signal is `128 + signal`, as shells report it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

/// The signal that asked the program to end, 0 until one did.
static SIGNALLED: AtomicI32 = AtomicI32::new(0);
/// Whether the explorer owns the terminal (raw mode, alternate screen).
static TERMINAL_ARMED: AtomicBool = AtomicBool::new(false);
/// The explorer's "please quit" callback.
type Notify = Box<dyn Fn(i32) + Send>;
static NOTIFY: Mutex<Option<Notify>> = Mutex::new(None);

/// What puts a terminal back: mouse reporting off, cursor shown, attributes reset, the main
/// screen back.
const RESTORE: &[u8] =
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[0m\x1b[?25h\x1b[?1049l";

#[cfg(unix)]
mod unix {
    use std::sync::atomic::{AtomicI32, Ordering};

    /// The terminal's settings before raw mode, for the crash handler.
    pub static mut SAVED: std::mem::MaybeUninit<libc::termios> = std::mem::MaybeUninit::uninit();
    pub static TTY_FD: AtomicI32 = AtomicI32::new(-1);

    /// Put the terminal back using only async-signal-safe calls.
    pub fn restore_raw() {
        let fd = TTY_FD.load(Ordering::SeqCst);
        if fd >= 0 {
            // SAFETY: SAVED was written before TTY_FD was set (see `arm_terminal`); tcsetattr
            // and write are async-signal-safe.
            unsafe {
                let saved = &raw const SAVED;
                libc::tcsetattr(fd, libc::TCSANOW, (*saved).as_ptr());
            }
        }
        let bytes = super::RESTORE;
        // SAFETY: writing a static buffer to stdout.
        unsafe {
            libc::write(1, bytes.as_ptr().cast(), bytes.len());
        }
    }

    extern "C" fn on_crash(sig: libc::c_int) {
        if super::TERMINAL_ARMED.load(Ordering::SeqCst) {
            restore_raw();
        }
        // SAFETY: back to the default action, then die of the same signal.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }

    /// Install `on_crash` for the fatal signals.
    pub fn crash_handlers() {
        for sig in [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE, libc::SIGABRT] {
            // SAFETY: a plain C handler with SA_RESETHAND | SA_NODEFER.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_crash as *const () as usize;
                sa.sa_flags = libc::SA_RESETHAND | libc::SA_NODEFER | libc::SA_ONSTACK;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
    }

    /// The signals that end the program, as a set.
    pub fn ending_set() -> libc::sigset_t {
        // SAFETY: sigemptyset/sigaddset initialise the set we own.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::sigaddset(&mut set, s);
            }
            set
        }
    }
}

/// Take the ending signals on a thread of their own. Call first thing in `main`, before any
/// other thread exists (threads inherit the blocked mask).
pub fn install() {
    #[cfg(unix)]
    {
        let set = unix::ending_set();
        // SAFETY: blocking signals in the calling thread; the set is initialised.
        unsafe {
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
        let spawned =
            std::thread::Builder::new().name("convscope-signals".into()).spawn(move || {
                loop {
                    let mut sig: libc::c_int = 0;
                    // SAFETY: waits for one of the blocked signals of `set`.
                    if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                        continue;
                    }
                    ending(sig);
                }
            });
        if spawned.is_err() {
            // Without the thread, let the signals act by default rather than block them.
            // SAFETY: as above.
            unsafe {
                libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            }
        }
    }
}

fn ending(sig: i32) {
    SIGNALLED.store(sig, Ordering::SeqCst);
    crate::output::remove_temps();
    let notified = {
        let n = NOTIFY.lock().unwrap_or_else(|e| e.into_inner());
        match n.as_ref() {
            Some(f) => {
                f(sig);
                true
            }
            None => false,
        }
    };
    if notified {
        // The explorer quits and restores the terminal; if it cannot within a second, do it here.
        std::thread::sleep(Duration::from_secs(1));
        crate::output::remove_temps();
        if TERMINAL_ARMED.load(Ordering::SeqCst) {
            #[cfg(unix)]
            unix::restore_raw();
        }
    }
    // SAFETY: ending the process without running destructors of other threads' state.
    unsafe { libc::_exit(128 + sig) }
}

/// The signal that ended the program, if one did.
pub fn signalled() -> Option<i32> {
    match SIGNALLED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Ask `f` to end the program when a signal comes (the explorer's event loop).
pub fn on_signal(f: impl Fn(i32) + Send + 'static) {
    *NOTIFY.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(f));
}

/// Forget the callback of [`on_signal`].
pub fn clear_on_signal() {
    *NOTIFY.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// The explorer is about to put the terminal in raw mode: remember its settings, so a crash or a
/// late signal can put them back.
pub fn arm_terminal() {
    #[cfg(unix)]
    {
        for fd in [0, 1, 2] {
            // SAFETY: isatty and tcgetattr only read; SAVED is written before TTY_FD publishes
            // it, and only here.
            unsafe {
                if libc::isatty(fd) == 1 {
                    let saved = &raw mut unix::SAVED;
                    if libc::tcgetattr(fd, (*saved).as_mut_ptr()) == 0 {
                        unix::TTY_FD.store(fd, Ordering::SeqCst);
                        break;
                    }
                }
            }
        }
        unix::crash_handlers();
    }
    TERMINAL_ARMED.store(true, Ordering::SeqCst);
}

/// The explorer has restored the terminal itself.
pub fn disarm_terminal() {
    TERMINAL_ARMED.store(false, Ordering::SeqCst);
    #[cfg(unix)]
    unix::TTY_FD.store(-1, Ordering::SeqCst);
}
