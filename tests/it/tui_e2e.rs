//! End-to-end: the real binary in a pseudo-terminal (portable-pty), its screen read back with
//! vt100. Needs no tmux or other tool, so it runs on a fresh machine under `cargo test`.

use super::tui_pty::{BIN, Term};
use std::path::Path;
use std::time::Duration;

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
    t.wait_pass();
    // Move to conv1: the shape panel has 4×4×2 and the formula.
    t.send("]");
    let s = t.wait_text("depth slice X[:, :, 0] of conv1 · 4×4 · d 0/2");
    assert!(s.contains("in 11×11×4 → out 4×4×2"), "{s}");
    assert!(s.contains("(11 − 5 + 2·0)/2 + 1 = 4"), "{s}");
    assert!(s.contains("K 2: depth = 2 = number"), "{s}");
    // With the layer list focused, hjkl still move the map cursor (↑/↓ change the layer).
    t.send("j");
    let s = t.wait_text("depth column X[1, 0, :]");
    assert!(s.contains("X[:, :, 0] of conv1"), "j moved the cursor, not the layer:\n{s}");
    t.send("k");
    t.wait_text("depth column X[0, 0, :]");
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
    let s = t.wait_text("? or Esc closes");
    assert!(s.contains("cursor left (column c − 1)"), "{s}");
    t.send("?");
    t.wait("help closed", |s| {
        !s.contains("? or Esc closes") && s.contains("depth column X[1, 2, :]")
    });
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn resizing_to_20x6_and_back_does_not_panic() {
    let mut t = Term::start(&["-m", "cs231n-numpy"], 100, 30, &[]);
    t.wait_pass();
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
    t.wait_pass();
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
