//! The learner's seven questions, asked of the real binary in a pseudo-terminal the way a student
//! would: no README, only keys and the screen. Each answer's key words must be on screen, and
//! its numbers must be the ones computed elsewhere: the cs231n formula applied here to the
//! layer's own parameters (read from `summary --json`), the receptive field worked out here
//! step by step, and `export`'s values for V[0, 0, 0].

use super::tui_pty::{BIN, Term};
use serde_json::Value;

fn summary(model: &str) -> Value {
    let out = std::process::Command::new(BIN)
        .args(["summary", "-m", model, "--json"])
        .output()
        .expect("summary runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("summary --json is JSON")
}

fn layer<'a>(s: &'a Value, name: &str) -> &'a Value {
    s["layers"].as_array().unwrap().iter().find(|l| l["name"] == name).expect("the layer exists")
}

fn u(v: &Value) -> usize {
    v.as_u64().expect("a count") as usize
}

/// `(W − F + 2P)/S + 1` for a conv or pool layer, from its own parameters.
fn out_side(l: &Value) -> usize {
    let w = u(&l["input"][0]);
    let (f, s, p) = (u(&l["filter"][0]), u(&l["stride"][0]), u(&l["pad"][0]));
    (w - f + 2 * p) / s + 1
}

/// `F` and `S` of a conv or pool layer, read off its formula `(W − F + 2·P)/S + 1 = O`.
fn f_and_s(l: &Value) -> (usize, usize) {
    let f = l["formula"].as_str().expect("a formula");
    let inner = f.trim_start_matches('(');
    let parts: Vec<&str> = inner.split(['−', '+', '/', ')']).collect();
    let num = |s: &str| s.trim().parse::<usize>().unwrap_or_else(|_| panic!("{s:?} in {f}"));
    (num(parts[1]), num(parts[4]))
}

/// The text inside the panel whose title starts with `title`, its rows joined by spaces, so a
/// phrase wrapped onto the next row reads whole.
fn panel(screen: &str, title: &str) -> String {
    let rows: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    for (y, row) in rows.iter().enumerate() {
        let line: String = row.iter().collect();
        let Some(b) = line.find(title) else { continue };
        let x = line[..b].chars().count().saturating_sub(1);
        if !matches!(row.get(x), Some('┌' | '┏')) {
            continue;
        }
        let right = (x + 1..row.len()).find(|&i| matches!(row[i], '┐' | '┓')).unwrap_or(row.len());
        let mut out = Vec::new();
        for r in &rows[y + 1..] {
            if matches!(r.get(x), Some('└' | '┗') | None) {
                break;
            }
            let text: String = r[x + 1..right.min(r.len())].iter().collect();
            out.push(text.trim().to_string());
        }
        return out.join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
    }
    panic!("no panel {title:?} on screen:\n{screen}")
}

fn start(model: &str, cols: u16, rows: u16, env: &[(&str, &str)]) -> Term {
    let mut t = Term::start(&["-m", model], cols, rows, env);
    t.wait_text(model);
    t.wait_pass();
    t
}

/// Q1 (depth of a photo), Q5 (why 55×55×96), Q6 (depth = filters; network depth) on alexnet.
#[test]
fn q1_q5_q6_depth_on_alexnet() {
    let s = summary("alexnet");
    let depth = u(&s["network_depth"]);
    let with_weights = s["layers"].as_array().unwrap().iter().filter(|l| u(&l["params"]) > 0);
    assert_eq!(depth, with_weights.count());
    let mut t = start("alexnet", 120, 40, &[]);
    // Q1: the input is the photo in colour; its depth is R, G, B, also in the depth column.
    let sc = t.wait_text("input photo");
    assert!(sc.contains("(RGB)"), "{sc}");
    let sc = t.wait_text("depth 3 = R, G, B");
    // The depth column names its rows after the channels.
    let col = panel(&sc, "depth column X[0, 0, :]");
    for ch in ["0 R", "1 G", "2 B"] {
        assert!(col.contains(ch), "no row named {ch}: {col}");
    }
    // Q6: the header separates network depth from a volume's depth D, and says the weights are
    // not trained; the layer list marks the layers that count.
    assert!(sc.contains(&format!("network depth {depth} (layers with weights), not D")), "{sc}");
    assert!(sc.contains("not trained") || sc.contains("untrained"), "{sc}");
    let mut checked = 0;
    for l in sc.lines().skip(2) {
        let list: String = l.chars().skip(1).take(32).collect();
        let mut words = list.split_whitespace();
        let (Some(i), Some(name)) = (words.next(), words.next()) else { continue };
        if i.parse::<usize>().is_err() {
            continue;
        }
        let Some(info) = s["layers"].as_array().unwrap().iter().find(|x| x["name"] == name) else {
            continue;
        };
        assert_eq!(list.contains('•'), u(&info["params"]) > 0, "row {list:?}");
        checked += 1;
    }
    assert!(checked >= 10, "{sc}");
    // Q5 and Q6 on conv1: the formula with its numbers, K = depth.
    t.send("]");
    let conv1 = layer(&s, "conv1");
    let side = out_side(conv1);
    let k = u(&conv1["k"]);
    let sc = t.wait_text("shape · conv1");
    let formula = conv1["formula"].as_str().unwrap();
    assert!(formula.ends_with(&format!("= {side}")), "{formula}");
    assert!(sc.lines().any(|l| l.contains(formula)), "the formula is whole on one row:\n{sc}");
    assert!(sc.contains(&format!("out {side}×{side}×{k}")), "{sc}");
    assert!(sc.contains(&format!("K {k}: depth = {k} = number of")), "{sc}");
    let shape = panel(&sc, "shape · conv1");
    assert!(shape.contains("edge bank (init = \"edges\"), not trained"), "{shape}");
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}

/// Q2 (filters are small images, their weights' origin, numbers on Enter) and Q3 (the receptive
/// field is not the filter size) on alexnet.
#[test]
fn q2_q3_filters_and_receptive_field_on_alexnet() {
    let s = summary("alexnet");
    let mut t = start("alexnet", 120, 40, &[]);
    t.send("]f");
    let conv1 = layer(&s, "conv1");
    let (k, f) = (u(&conv1["k"]), u(&conv1["filter"][0]));
    let sc = t.wait_text(&format!("K = {k} filters of {f}×{f}×3"));
    assert!(sc.contains("RGB image") && sc.contains("edge bank"), "{sc}");
    assert!(sc.contains("min (dark)") && sc.contains("Enter"), "{sc}");
    t.send("\r");
    let sc = t.wait_text("W[0][:, :, 0] = R");
    let numbers = sc
        .lines()
        .filter(|l| l.split_whitespace().filter(|w| w.parse::<f32>().is_ok()).count() >= f);
    assert!(numbers.count() >= 1, "{sc}");
    // Q3: pool2's neuron sees far more than its window; the field is worked out here.
    t.send("\x1b");
    t.wait("the filters closed", |s| !s.contains("W[0][:, :, 0] = R"));
    let names = ["conv1", "pool1", "conv2", "pool2"];
    let (mut size, mut jump) = (1usize, 1usize);
    for n in names {
        let (f, st) = f_and_s(layer(&s, n));
        size += (f - 1) * jump;
        jump *= st;
    }
    let rf = layer(&s, "pool2")["receptive_field"]["size"][0].as_u64().unwrap() as usize;
    assert_eq!(size, rf);
    t.send("]]]]]]]i");
    let sc = t.wait_text("receptive field of pool2");
    let flat = panel(&sc, "input image");
    assert!(flat.contains(&format!("sees {size}×{size} pixels")), "{sc}");
    assert!(flat.contains("jump") && flat.contains(":"), "{sc}");
    assert!(!sc.contains(".."), "ranges use numpy slices:\n{sc}");
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}

/// Q4: for a 32×32×3 input, what is chosen and what follows, and the rule that keeps 32×32.
#[test]
fn q4_chosen_and_computed_on_cifar() {
    let s = summary("cifar");
    let conv = layer(&s, "conv1");
    let (f, side) = (u(&conv["filter"][0]), out_side(conv));
    assert_eq!(side, u(&conv["input"][0]), "cifar's conv keeps its size");
    let mut t = start("cifar", 120, 40, &[]);
    t.send("]");
    let sc = t.wait_text("shape · conv1");
    let flat = panel(&sc, "shape · conv1");
    assert!(flat.contains("chosen") && flat.contains("computed"), "{sc}");
    let rule = format!("P = (F − 1)/2 = {} with S = 1 keeps {side}×{side}", (f - 1) / 2);
    assert!(flat.contains(&rule), "{rule}\n{sc}");
    assert!(flat.contains("each filter spans the full input depth 3"), "{sc}");
    // The editor previews the new params beside the new shape.
    t.send("e");
    let sc = t.wait_text("edit conv1");
    assert!(sc.contains("params"), "{sc}");
    t.send("\x1b");
    t.wait("the editor closed", |s| !s.contains("edit conv1"));
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}

/// Q7: how V[0, 0, 0] is computed, on the cs231n numpy example, with export's value.
#[test]
fn q7_the_sum_of_v000_on_cs231n_numpy() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = dir.path().join("conv1.npy");
    let st = std::process::Command::new(BIN)
        .args(["export", "-m", "cs231n-numpy", "--layer", "conv1", "--out"])
        .arg(&out)
        .status()
        .expect("export runs");
    assert!(st.success());
    let x: ndarray::Array3<f32> = ndarray_npy::read_npy(&out).expect("an (H, W, D) npy");
    let v = x[[0, 0, 0]];
    let mut t = start("cs231n-numpy", 120, 40, &[]);
    t.send("]");
    let sc = t.wait_text("explain · conv1[0, 0, 0]");
    let _ = &sc;
    let text = panel(&sc, "explain · conv1");
    assert!(text.contains("np.sum(X[0:5, 0:5, :] * W[0])"), "{text}");
    assert!(text.contains("✓ equal"), "{text}");
    let text = panel(&sc, "explain · conv1");
    let sum = text.split("(b) = ").nth(1).expect("the sum line");
    let shown: f32 =
        sum.split_whitespace().next().unwrap().parse().expect("a number after the sum");
    assert!((shown - v).abs() <= 1e-3 * v.abs().max(1e-3), "screen {shown}, export {v}");
    assert!(sc.contains("channel "), "the window grid is shown:\n{sc}");
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}

/// At 80×24 every panel is named on screen with its key, and Tab reaches shape and explain; in
/// NO_COLOR the answers are the same words.
#[test]
fn at_80x24_shape_and_explain_are_reached_from_the_strip() {
    for env in [&[][..], &[("NO_COLOR", "1")][..]] {
        let mut t = start("alexnet", 80, 24, env);
        t.send("]");
        let sc = t.wait_text("Tab ▸");
        assert!(sc.contains("shape") && sc.contains("explain"), "{sc}");
        assert!(sc.lines().last().unwrap().contains("Tab panel"), "{sc}");
        t.send("\t\t\t");
        let sc = t.wait_text("shape · conv1");
        assert!(sc.contains("[shape]"), "{sc}");
        t.send("\t");
        let sc = t.wait_text("explain · conv1[0, 0, 0]");
        assert!(sc.contains("[explain]"), "{sc}");
        t.send("q");
        assert_eq!(t.exit_code(), 0);
    }
}
