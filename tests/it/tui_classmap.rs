//! The class-map view (`g`) on the real binary: CAM opens on the top class with its numbers,
//! the class is picked in the top-5 list or typed, the method cycles to Grad-CAM and occlusion
//! (with its grid formula), and Esc goes back.

use super::tui_pty::Term;

/// The number after `key` on the screen (`logit 8.9413` → 8.9413).
fn number_after(screen: &str, key: &str) -> f32 {
    let at = screen.find(key).unwrap_or_else(|| panic!("no '{key}' on screen:\n{screen}"));
    let rest = &screen[at + key.len()..];
    let tok: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || "+-.".contains(*c))
        .collect();
    tok.parse().unwrap_or_else(|_| panic!("'{key}' is followed by '{tok}'"))
}

#[test]
fn class_maps_pick_a_class_cycle_the_methods_and_show_their_numbers() {
    let mut t = Term::start(&[], 120, 40, &[]);
    t.wait_pass();
    t.send("g");
    let s = t.wait_text("CAM of 'Egyptian cat'");
    // The CAM identity with the screen's own numbers: mean(M) + b = the logit.
    let s = t.wait("the CAM numbers", |s| s.contains("= the logit")) + &s[..0];
    let mean = number_after(&s, "mean(M) + b =");
    let logit = number_after(&s, "logit");
    let line = s.lines().find(|l| l.contains("mean(M) + b")).unwrap();
    let b: f32 = line.split('+').nth(2).unwrap().split('=').next().unwrap().trim().parse().unwrap();
    assert!((mean + b - logit).abs() < 2e-4, "{mean} + {b} vs {logit}\n{s}");
    assert!(s.contains("▶ Egyptian cat"), "the top class is the one mapped:\n{s}");
    // Tab gives the keys to the class list; ↓ picks the second class.
    t.send("\t");
    t.send("j");
    t.wait_text("CAM of 'tiger cat'");
    // Typed: part of a label.
    t.send("/");
    t.wait_text("class map of which class?");
    t.send("tabb\r");
    t.wait_text("CAM of 'tabby'");
    // Space: Grad-CAM (at the head's volume, said so), then occlusion with its grid.
    t.send(" ");
    let s = t.wait_text("Grad-CAM of 'tabby'");
    assert!(s.contains("α_k"), "{s}");
    t.send(" ");
    let s = t.wait("the occlusion map", |s| {
        s.contains("drop ") && s.contains("+ 1 = 13 → 13×13 passes")
    });
    assert!(s.contains("occlusion of 'tabby'"), "{s}");
    t.send("\x1b");
    t.wait_text("layers");
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn the_patches_view_scans_a_folder_on_the_worker_and_reads_the_cache_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["chelsea.png", "coffee.png", "astronaut.png"] {
        std::fs::copy(root.join("demo/images").join(name), dir.path().join(name)).unwrap();
    }
    let folder = dir.path().to_str().unwrap().to_string();
    for (round, said) in [(0, "scanned in"), (1, "read from the cache")] {
        let mut t = Term::start(&["--scan", &folder], 120, 40, &[]);
        t.wait_pass();
        // The stem's relu6: a volume layer.
        t.send("p]]");
        let s = t.wait(said, |s| s.contains(said) && s.contains("1. "));
        assert!(s.contains("what drives stem_relu6 channel d 0"), "round {round}:\n{s}");
        assert!(s.contains("3 photos of"), "{s}");
        // The next channel's patches replace these.
        t.send(".");
        t.wait_text("channel d 1");
        t.send("q");
        assert_eq!(t.exit_code(), 0);
    }
    assert!(dir.path().join(".convscope-scan").is_dir(), "the cache is beside the photos");
}

#[test]
fn compare_puts_the_distance_of_every_layer_in_the_list_and_b_shows_the_delta() {
    let mut t = Term::start(
        &["demo/images/chelsea.png", "--compare", "demo/images/coffee.png"],
        120,
        40,
        &[],
    );
    t.wait_pass();
    let s = t.wait_text("1−cos, max|Δ|");
    // The input row: two different photos, a distance above 0.
    let row = s
        .lines()
        .find(|l| (l.starts_with("┃in ") || l.starts_with("│in ")) && l.contains("224×224×3"))
        .unwrap_or_else(|| panic!("the input row:\n{s}"));
    let nums: Vec<f64> = row.split(['│', '┃', ' ']).filter_map(|w| w.parse().ok()).collect();
    assert!(nums.iter().any(|&v| v > 0.0 && v < 2.0), "{row}");
    t.send("]b");
    t.wait("the Δ slice", |s| {
        s.contains("this − coffee.png · stem")
            && s.contains("this input − coffee.png, cell by cell")
    });
    t.send("q");
    assert_eq!(t.exit_code(), 0);
}
