//! The graphics mode the explorer picks in a real PTY, which (like many terminals over SSH)
//! answers no query: every fallback ends in half-blocks, and the query waits at most 100 ms.

use crate::tui_pty::Term;

/// Start the explorer with `env` and `args`, wait for its first pass, and return the status
/// bar and the query's wait (ms) from `$CONVSCOPE_TIMING`.
fn start(args: &[&str], env: &[(&str, &str)]) -> (String, f64, Term) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let timing = dir.path().join("timing");
    let timing_s = timing.to_string_lossy().to_string();
    let mut all: Vec<(&str, &str)> = vec![("CONVSCOPE_TIMING", &timing_s)];
    all.extend_from_slice(env);
    let mut args_all = vec!["-m", "cs231n-numpy"];
    args_all.extend_from_slice(args);
    let mut t = Term::start(&args_all, 120, 40, &all);
    let screen = t.wait_pass();
    let status = screen.lines().last().unwrap_or_default().to_string();
    let text = std::fs::read_to_string(&timing).unwrap_or_default();
    let waited = text
        .lines()
        .find_map(|l| l.strip_prefix("graphics_query "))
        .and_then(|v| v.trim_end_matches(" ms").parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no graphics_query line in {text:?}"));
    t.send("q");
    assert_eq!(t.exit_code(), 0);
    (status, waited, t)
}

#[test]
fn a_plain_xterm_that_does_not_answer_gets_halfblocks_within_the_budget() {
    let (status, waited, _) = start(&[], &[]);
    assert!(status.ends_with("truecolor · halfblocks"), "{status}");
    // The query was sent (nothing in the environment decided) and its wait was bounded.
    assert!(waited > 0.0 && waited <= 150.0, "waited {waited} ms");
}

#[test]
fn no_colour_dumb_terminals_and_tmux_without_passthrough_ask_nothing() {
    let cases: [&[(&str, &str)]; 4] = [
        &[("TERM", "dumb")],
        &[("NO_COLOR", "1")],
        // tmux here is fake (no server answers `tmux show`), so passthrough is not allowed.
        &[
            ("TMUX", "/nonexistent/tmux-0/default,1,0"),
            ("KITTY_WINDOW_ID", "1"),
            ("TERM", "tmux-256color"),
        ],
        &[("TERM", "linux")],
    ];
    for env in cases {
        let (status, waited, _) = start(&[], env);
        assert!(status.ends_with("halfblocks"), "{env:?}: {status}");
        assert!(waited < 150.0, "{env:?}: waited {waited} ms");
    }
}

#[test]
fn a_named_mode_is_obeyed_from_the_flag_or_the_environment() {
    let (status, waited, _) = start(&["--graphics", "kitty"], &[]);
    assert!(status.ends_with("kitty"), "{status}");
    // The cell size is asked for (the PTY reports no pixels), but the wait stays bounded.
    assert!(waited <= 150.0, "waited {waited} ms");
    let (status, _, _) = start(&[], &[("CONVSCOPE_GRAPHICS", "sixel")]);
    assert!(status.ends_with("sixel"), "{status}");
    let (status, waited, _) = start(&["--graphics", "halfblocks"], &[("TERM", "xterm-kitty")]);
    assert!(status.ends_with("halfblocks") && waited == 0.0, "{status} {waited}");
    let (status, _, _) = start(&[], &[("TERM", "xterm-kitty")]);
    assert!(status.ends_with("kitty"), "{status}");
}
