//! End-to-end: the real binary in a pseudo-terminal (portable-pty), its screen read back with
//! vt100. Needs no tmux or other tool, so it runs on a fresh machine under `cargo test`.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_convscope");

/// The program under test: this crate's binary (`CONVSCOPE_E2E_BIN` points elsewhere, e.g. at a
/// release build being measured).
fn ui_bin() -> String {
    std::env::var("CONVSCOPE_E2E_BIN").unwrap_or_else(|_| BIN.to_string())
}
const TIMEOUT: Duration = Duration::from_secs(30);

/// The program on a pty, with a vt100 screen fed by a reader thread.
struct Term {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
}

fn nz(v: u16) -> NonZeroU16 {
    NonZeroU16::new(v).expect("sizes are positive")
}

impl Term {
    fn start(args: &[&str], cols: u16, rows: u16, env: &[(&str, &str)]) -> Term {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 })
            .expect("a pty opens");
        let mut cmd = CommandBuilder::new(ui_bin());
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("COLORTERM", "truecolor");
        cmd.env_remove("NO_COLOR");
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
    fn lines(&self) -> Vec<String> {
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

    fn screen(&self) -> String {
        self.lines().join("\n")
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("the pty takes input");
        self.writer.flush().expect("the pty takes input");
    }

    /// Wait until the screen satisfies `ok`; panic with the screen on timeout.
    fn wait(&mut self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
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

    fn wait_text(&mut self, text: &str) -> String {
        self.wait(text, |s| s.contains(text))
    }

    fn resize(&mut self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 })
            .expect("the pty resizes");
        self.parser.lock().unwrap().set_size(nz(rows), nz(cols));
    }

    fn exit_code(&mut self) -> u32 {
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

/// The depth column's rows `(d, value)` read off the screen: the panel starts at the column of
/// its title; rows after the `d  value` header are `[▶] d bar value`.
fn column_values(lines: &[String]) -> Vec<(usize, f32)> {
    let (top, x) = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| l.find("depth column").map(|b| (i, l[..b].chars().count())))
        .expect("the depth column is on screen");
    let mut out = Vec::new();
    let mut in_list = false;
    for l in &lines[top + 1..] {
        // The panel is the rightmost one: from its left border to the end of the line.
        let row: String = l.chars().skip(x + 1).collect();
        let row = row.trim_end().trim_end_matches('│');
        if row.trim_start().starts_with("d  value") {
            in_list = true;
            continue;
        }
        if !in_list {
            continue;
        }
        let tokens: Vec<&str> = row.split_whitespace().filter(|t| *t != "▶").collect();
        let (Some(d), Some(v)) = (tokens.first(), tokens.last()) else { break };
        match (d.parse::<usize>(), v.parse::<f32>()) {
            (Ok(d), Ok(v)) => out.push((d, v)),
            _ => break,
        }
    }
    out
}

fn export_conv1(dir: &Path) -> ndarray::Array3<f32> {
    let out = dir.join("conv1.npy");
    let st = std::process::Command::new(BIN)
        .args(["export", "-m", "cs231n-numpy", "--layer", "conv1", "--out"])
        .arg(&out)
        .status()
        .expect("export runs");
    assert!(st.success(), "export failed: {st:?}");
    ndarray_npy::read_npy(&out).expect("the export is an (H, W, D) f32 .npy")
}

#[test]
fn walk_cs231n_numpy_from_conv1_to_help_and_quit() {
    let mut t = Term::start(&["-m", "cs231n-numpy"], 120, 40, &[]);
    // The first frame shows shapes at once; the pass then finishes.
    t.wait_text("cs231n-numpy");
    t.wait_text("pass ");
    // Move to conv1: the shape panel has 4×4×2 and the formula.
    t.send("]");
    let s = t.wait_text("depth slice X[:, :, 0] of conv1 · 4×4 · d 0/2");
    assert!(s.contains("in 11×11×4 → out 4×4×2"), "{s}");
    assert!(s.contains("(11 − 5 + 2·0)/2 + 1 = 4"), "{s}");
    assert!(s.contains("K 2: depth = 2 = number"), "{s}");
    // Enter opens the layer (focus on its map); move the cursor to (1, 2): the depth column
    // follows, with the exported values.
    t.send("\r");
    t.wait("the map focused", |s| s.contains("hjkl move") && !s.contains("↑/↓ layer"));
    t.send("llj");
    let s = t.wait_text("depth column X[1, 2, :] · 2 values");
    assert!(s.contains("V[1, 2, 0] = np.sum(X[2:7, 4:9, :] * W[0])"), "{s}");
    assert!(s.contains("✓ equal"), "{s}");
    let shown = column_values(&t.lines());
    let dir = tempfile::tempdir().expect("a temp dir");
    let x = export_conv1(dir.path());
    assert_eq!(x.dim(), (4, 4, 2));
    assert_eq!(shown.iter().map(|(d, _)| *d).collect::<Vec<_>>(), vec![0, 1], "{}", t.screen());
    for (d, v) in shown {
        let want = x[[1, 2, d]];
        assert!(
            (v - want).abs() <= 1e-3 * want.abs().max(1e-3),
            "X[1, 2, {d}]: screen {v}, npy {want}"
        );
    }
    // Help, generated from the key table, and back.
    t.send("?");
    let s = t.wait_text("keys · ? or Esc closes");
    assert!(s.contains("cursor left (column c − 1)"), "{s}");
    t.send("?");
    t.wait("help closed", |s| {
        !s.contains("keys · ? or Esc closes") && s.contains("depth column X[1, 2, :]")
    });
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn resizing_to_20x6_and_back_does_not_panic() {
    let mut t = Term::start(&["-m", "cs231n-numpy"], 100, 30, &[]);
    t.wait_text("pass ");
    t.send("]l");
    t.wait_text("depth column X[0, 1, :]");
    t.resize(20, 6);
    t.wait_text("terminal too");
    t.resize(1, 1);
    std::thread::sleep(Duration::from_millis(200));
    t.resize(120, 40);
    let s = t.wait_text("depth column X[0, 1, :] · 2 values");
    assert!(s.contains("conv1"), "{s}");
    t.send("\x03"); // Ctrl-C quits too
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn without_colour_the_heatmap_is_an_ascii_ramp() {
    let mut t = Term::start(&["-m", "cs231n-numpy"], 120, 40, &[("NO_COLOR", "1")]);
    t.wait_text("pass ");
    t.send("]");
    let s = t.wait_text("no colour");
    assert!(!s.contains('▀'), "half blocks need colour:\n{s}");
    let p = t.parser.lock().unwrap();
    let screen = p.screen();
    for r in 0..40 {
        for c in 0..120 {
            let cell = screen.cell(r, c).expect("inside the screen");
            assert_eq!(cell.fgcolor(), vt100::Color::Default, "colour at {r},{c}");
            assert_eq!(cell.bgcolor(), vt100::Color::Default, "colour at {r},{c}");
        }
    }
    drop(p);
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}
