//! Writing a command's report to stdout: a full disk or a closed descriptor ends the command
//! with one line, never a panic (`println!` panics when stdout fails). A reader that goes away
//! (`convscope summary | head`) ends it quietly, as SIGPIPE does for other Unix tools.

use color_eyre::eyre::{Result, eyre};
use std::io::Write;

/// Write `text` to stdout and flush it.
///
/// # Errors
/// `stdout: cannot write: No space left on device`.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let r = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(eyre!("stdout: cannot write: {}", crate::model::error::io_reason(&e))),
    }
}

/// A report built line by line, then printed once.
#[derive(Default)]
pub struct Report(String);

impl Report {
    pub fn line(&mut self, s: impl AsRef<str>) {
        self.0.push_str(s.as_ref());
        self.0.push('\n');
    }

    pub fn push(&mut self, s: &str) {
        self.0.push_str(s);
    }

    /// # Errors
    /// As [`print`].
    pub fn print(self) -> Result<()> {
        print(&self.0)
    }
}

/// `[████····] 57/169 passes · 3.2 s · ETA 6.1 s`, for a progress line on stderr.
pub fn progress_line(done: usize, total: usize, what: &str, secs: f64) -> String {
    let n = 24 * done / total.max(1);
    let eta = if done > 0 { secs / done as f64 * (total - done) as f64 } else { 0.0 };
    format!(
        "[{}{}] {done}/{total} {what} · {secs:.1} s · ETA {eta:.1} s",
        "█".repeat(n),
        "·".repeat(24 - n)
    )
}
