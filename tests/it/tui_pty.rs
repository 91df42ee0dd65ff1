//! The real binary on a pseudo-terminal (portable-pty), its screen read back with vt100: the
//! helper the `tui_*` end-to-end tests share. It needs no
//! tmux or other tool, so the tests run on a fresh machine under `cargo test`.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_convscope");

/// The program under test: this crate's binary (`CONVSCOPE_E2E_BIN` points elsewhere, e.g. at a
/// release build being measured).
pub fn ui_bin() -> String {
    std::env::var("CONVSCOPE_E2E_BIN").unwrap_or_else(|_| BIN.to_string())
}
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The program on a pty, with a vt100 screen fed by a reader thread.
pub struct Term {
    pub child: Box<dyn Child + Send + Sync>,
    pub master: Box<dyn MasterPty + Send>,
    pub writer: Box<dyn Write + Send>,
    pub parser: Arc<Mutex<vt100::Parser>>,
}

pub fn nz(v: u16) -> NonZeroU16 {
    NonZeroU16::new(v).expect("sizes are positive")
}

impl Term {
    pub fn start(args: &[&str], cols: u16, rows: u16, env: &[(&str, &str)]) -> Term {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 })
            .expect("a pty opens");
        let mut cmd = CommandBuilder::new(ui_bin());
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("COLORTERM", "truecolor");
        cmd.env_remove("NO_COLOR");
        // The terminal is this PTY, whatever ran the tests: no hints of another one.
        for k in [
            "TMUX",
            "KITTY_WINDOW_ID",
            "TERM_PROGRAM",
            "LC_TERMINAL",
            "WEZTERM_EXECUTABLE",
            "CONVSCOPE_GRAPHICS",
        ] {
            cmd.env_remove(k);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        let child = pair.slave.spawn_command(cmd).expect("the binary starts");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("a pty reader");
        let writer = pair.master.take_writer().expect("a pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(nz(rows), nz(cols), 0)));
        let p2 = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p2.lock().unwrap().process(&buf[..n]);
            }
        });
        Term { child, master: pair.master, writer, parser }
    }

    /// The screen, one string per row, one char per cell (so columns line up).
    pub fn lines(&self) -> Vec<String> {
        let p = self.parser.lock().unwrap();
        let s = p.screen();
        let (rows, cols) = s.size();
        (0..rows.get())
            .map(|r| {
                (0..cols.get())
                    .map(|c| match s.cell(r, c).map(|cell| cell.contents()) {
                        Some("") | None => " ".to_string(),
                        Some(t) => t.to_string(),
                    })
                    .collect()
            })
            .collect()
    }

    pub fn screen(&self) -> String {
        self.lines().join("\n")
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("the pty takes input");
        self.writer.flush().expect("the pty takes input");
    }

    /// Wait until the screen satisfies `ok`; panic with the screen on timeout.
    pub fn wait(&mut self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            // A frame arrives in several writes: accept a screen only once it has settled, so a
            // check never reads half of one frame and half of the next.
            if ok(&s) {
                std::thread::sleep(Duration::from_millis(40));
                if self.screen() == s {
                    return s;
                }
                continue;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the program exited ({status:?}) while waiting for {what}:\n{s}");
            }
            if t0.elapsed() > TIMEOUT {
                panic!("timed out waiting for {what}:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wait until the first pass has finished: the header's right end gives its time in ms.
    pub fn wait_pass(&mut self) -> String {
        self.wait("the first pass", |s| {
            s.lines().next().is_some_and(|h| h.trim_end().ends_with(" ms"))
        })
    }

    pub fn wait_text(&mut self, text: &str) -> String {
        self.wait(text, |s| s.contains(text))
    }

    /// The screen model first, then the pty: the other way round, a frame the program draws at
    /// the new size the moment SIGWINCH lands could reach the parser while it still has the old
    /// size, and be clipped to it (seen once on CI after a 1×1 → 120×40 resize).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.parser.lock().unwrap().set_size(nz(rows), nz(cols));
        self.master
            .resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 })
            .expect("the pty resizes");
    }

    pub fn exit_code(&mut self) -> u32 {
        let t0 = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be polled") {
                return status.exit_code();
            }
            assert!(t0.elapsed() < TIMEOUT, "the program did not exit:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
