//! End-to-end live editing on `alexnet`, the real binary in a pseudo-terminal: edit conv1's
//! stride and watch the preview, then the shape panel and the later layers follow; an invalid
//! value is refused; undo; save, and `convscope summary` on the saved spec is the edited network.

use super::tui_pty::{BIN, Term};
use std::time::Duration;

const DOWN: &str = "\x1b[B";
const END: &str = "\x1b[F";
const BACKSPACE: &str = "\x7f";
const ESC: &str = "\x1b";

/// alexnet at 120×60: the layer list shows every layer.
fn alexnet() -> Term {
    let mut t = Term::start(&["-m", "alexnet"], 120, 60, &[]);
    t.wait_pass();
    t
}

/// Open the editor on conv1 and put the cursor at the end of line `line` (0-based).
fn edit_conv1_line(t: &mut Term, line: usize) {
    t.send("]");
    t.wait_text("shape · conv1");
    t.send("e");
    t.wait_text("edit conv1 · conv");
    t.wait_text("(unchanged)");
    t.send(&DOWN.repeat(line));
    t.send(END);
}

/// `(name, H×W×D)` of every layer in the layer list.
fn layer_list(t: &Term) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for l in t.lines() {
        let Some(row) = l.strip_prefix('┃') else { continue };
        let cells: Vec<&str> = row.split('┃').next().unwrap_or("").split_whitespace().collect();
        if let [idx, name, _kind, shape, ..] = cells.as_slice()
            && idx.parse::<usize>().is_ok()
        {
            out.push((name.to_string(), shape.to_string()));
        }
    }
    out
}

#[test]
fn conv1_stride_2_previews_then_the_shape_panel_and_later_layers_follow() {
    let mut t = alexnet();
    edit_conv1_line(&mut t, 2);
    t.send(&format!("{BACKSPACE}2"));
    let s = t.wait_text("out 109×109×96  (was 55×55×96)");
    assert!(s.contains("stride = 2"), "{s}");
    assert!(s.contains("(227 − 11 + 2·0)/2 + 1 = 109"), "{s}");
    assert!(s.contains("pool1  27×27×96 → 54×54×96"), "{s}");
    assert!(s.contains("re-initialized (weight shape changed): fc6"), "{s}");
    // Nothing changed yet: the list still says 55×55×96.
    assert!(layer_list(&t).contains(&("conv1".into(), "55×55×96".into())), "{s}");
    t.send("\r");
    let s = t.wait("the edit applied", |s| !s.contains("edit conv1 · conv") && s.contains("↺"));
    let shape: String = s.lines().map(|l| l.chars().take(31).collect::<String>() + "\n").collect();
    assert!(shape.contains("(227 − 11 + 2·0)/2 + 1 = 109"), "the shape panel:\n{s}");
    assert!(shape.contains("in 227×227×3 → out 109×109×96"), "the shape panel:\n{s}");
    let list = layer_list(&t);
    for (name, want) in [
        ("conv1", "109×109×96"),
        ("relu1", "109×109×96"),
        ("pool1", "54×54×96"),
        ("conv2", "54×54×256"),
        ("pool5", "12×12×256"),
        ("fc6", "1×1×4096"),
    ] {
        assert!(list.contains(&(name.into(), want.into())), "{name} {want}:\n{s}");
    }
    assert!(s.contains("fc6   fc      1×1×4096 ↺"), "fc6 is marked re-initialized:\n{s}");
    // The new pass ends: the slice of conv1 is 109×109, with numbers.
    let s = t.wait("the fresh slice", |s| {
        s.contains("of conv1 · 109×109 · d 0/96") && s.contains("d 0 = ")
    });
    let msg = "conv1: stride 4 → 2 · 15 shapes changed · re-initialized: fc6 seeded random (seed ";
    assert!(s.contains(msg), "{s}");
    t.send("u");
    let s = t.wait_text("undo conv1: stride 4 → 2");
    assert!(layer_list(&t).contains(&("conv1".into(), "55×55×96".into())), "{s}");
    assert!(layer_list(&t).contains(&("pool5".into(), "6×6×256".into())), "{s}");
    t.wait_text("of conv1 · 55×55 · d 0/96");
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn an_invalid_value_is_shown_in_red_and_enter_does_nothing() {
    let mut t = alexnet();
    edit_conv1_line(&mut t, 2);
    t.send(&format!("{BACKSPACE}0"));
    let s = t.wait_text("✗ stride 0 is not allowed (S ≥ 1)");
    // Red: the cell of ✗ has the red foreground.
    let (row, col) = s
        .lines()
        .enumerate()
        .find_map(|(r, l)| l.chars().position(|c| c == '✗').map(|c| (r, c)))
        .expect("the error line is on screen");
    {
        let p = t.parser.lock().unwrap();
        let cell = p.screen().cell(row as u16, col as u16).expect("inside the screen");
        assert_eq!(cell.fgcolor(), vt100::Color::Idx(1), "the error is red");
    }
    t.send("\r");
    std::thread::sleep(Duration::from_millis(500));
    let s = t.screen();
    assert!(s.contains("✗ stride 0 is not allowed") && s.contains("edit conv1 · conv"), "{s}");
    assert!(t.child.try_wait().expect("the child can be polled").is_none(), "the app is alive");
    t.send(ESC);
    let s = t.wait("the editor closed", |s| !s.contains("edit conv1 · conv"));
    assert!(s.contains("cancelled: nothing changed"), "{s}");
    assert!(layer_list(&t).contains(&("conv1".into(), "55×55×96".into())), "{s}");
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn a_saved_spec_summarises_as_the_edited_network() {
    let mut t = alexnet();
    // conv1 K 96 → 64 (conv1 and conv2 get new weights).
    edit_conv1_line(&mut t, 0);
    t.send(&format!("{BACKSPACE}{BACKSPACE}64"));
    t.wait_text("out 55×55×64  (was 55×55×96)");
    t.send("\r");
    t.wait("the edit applied", |s| !s.contains("edit conv1 · conv") && s.contains("55×55×64"));
    let shown = layer_list(&t);
    assert_eq!(shown.len(), 23, "every layer is listed:\n{}", t.screen());
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("edited.toml");
    t.send("w");
    t.wait_text("path alexnet-edited.toml");
    // C-a: start of the line, C-k: delete to its end; then the path.
    t.send(&format!("\x01\x0b{}\r", path.display()));
    t.wait_text("saved ");
    // Re-initialised weights are written as their seed, not as a large .npy.
    let text = std::fs::read_to_string(&path).expect("the spec was written");
    assert!(!dir.path().join("edited.conv1.w.npy").exists());
    assert!(text.contains("name = \"conv1\"") && text.contains("seed = "), "{text}");

    let out = std::process::Command::new(BIN)
        .args(["summary", "--json", "-m"])
        .arg(&path)
        .output()
        .expect("summary runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let layers = json["layers"].as_array().expect("a layer array");
    let saved: Vec<(String, String)> = layers
        .iter()
        .map(|l| {
            let o: Vec<u64> =
                l["output"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
            (l["name"].as_str().unwrap().to_string(), format!("{}×{}×{}", o[0], o[1], o[2]))
        })
        .collect();
    assert_eq!(saved, shown, "summary of the saved spec = the layer list of the edited app");
    // And the same as the library's own edit of alexnet, field by field.
    use convscope::model::{WeightMode, edit, load};
    let net = load("alexnet", WeightMode::Full).expect("alexnet loads");
    let e = edit::edit_params(&net, 0, "filters = 64\nsize = 11\nstride = 4\npad = 0\n").unwrap();
    for (l, info) in layers.iter().zip(&e.analysis.layers) {
        let o = info.output.as_array();
        let want: Vec<u64> = o.iter().map(|&v| v as u64).collect();
        let got: Vec<u64> =
            l["output"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(got, want, "{}", l["name"]);
        assert_eq!(l["params"].as_u64(), Some(info.params), "{}", l["name"]);
        assert_eq!(l["formula"].as_str().map(str::to_string), info.formula(), "{}", l["name"]);
    }
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}
