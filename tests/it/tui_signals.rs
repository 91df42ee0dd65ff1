//! The explorer under signals and a panicking job, in a real pseudo-terminal: SIGTERM and SIGHUP
//! (an SSH drop) restore the terminal (main screen, cursor shown, mouse off, echo and canonical
//! mode back) and exit; a worker panic becomes an error on screen and the app keeps working.

use super::tui_pty::Term;
use std::time::{Duration, Instant};

/// The pty's line discipline: echo and canonical input on, as a shell needs them.
fn cooked(t: &Term) -> bool {
    let Some(fd) = t.master.as_raw_fd() else { return true };
    // SAFETY: tcgetattr fills the struct; on Linux the master reports the slave's settings.
    unsafe {
        let mut tio: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut tio) != 0 {
            return true;
        }
        tio.c_lflag & libc::ECHO != 0 && tio.c_lflag & libc::ICANON != 0
    }
}

fn restored(t: &Term) -> Result<(), String> {
    let p = t.parser.lock().unwrap();
    let s = p.screen();
    if s.alternate_screen() {
        return Err("still in the alternate screen".into());
    }
    if s.hide_cursor() {
        return Err("the cursor is hidden".into());
    }
    if s.mouse_protocol_mode() != vt100::MouseProtocolMode::None {
        return Err(format!("mouse reporting is on: {:?}", s.mouse_protocol_mode()));
    }
    Ok(())
}

fn signal_and_wait(t: &mut Term, sig: i32) -> u32 {
    let pid = t.child.process_id().expect("the child has a pid") as i32;
    // SAFETY: sending a signal to our own child.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    let code = t.exit_code();
    // The last bytes may still be on their way through the pty.
    let t0 = Instant::now();
    while restored(t).is_err() && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    code
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    for sig in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGQUIT] {
        let mut t = Term::start(&["-m", "cs231n-numpy"], 100, 30, &[]);
        t.wait_pass();
        assert!(t.parser.lock().unwrap().screen().alternate_screen(), "the explorer is up");
        let code = signal_and_wait(&mut t, sig);
        assert_eq!(code, 128 + sig as u32, "signal {sig}");
        if let Err(e) = restored(&t) {
            panic!("after signal {sig}: {e}");
        }
        assert!(cooked(&t), "after signal {sig}: echo and canonical mode are back");
    }
}

#[test]
fn a_signal_during_a_vgg16_pass_restores_the_terminal() {
    let mut t = Term::start(&["-m", "vgg16"], 100, 30, &[]);
    t.wait_text("vgg16");
    std::thread::sleep(Duration::from_millis(300));
    let code = signal_and_wait(&mut t, libc::SIGTERM);
    assert_eq!(code, 128 + libc::SIGTERM as u32);
    restored(&t).unwrap();
    assert!(cooked(&t));
}

#[test]
fn a_panicking_pass_is_an_error_on_screen_and_the_app_lives_on() {
    let mut t = Term::start(&["-m", "cs231n-numpy"], 120, 40, &[("CONVSCOPE_TEST_PANIC", "pass")]);
    let s = t.wait_text("the pass failed inside");
    assert!(s.contains("injected"), "{s}");
    assert!(t.parser.lock().unwrap().screen().alternate_screen(), "still the explorer's screen");
    // Keys still work: the next layer is selected, the help opens and closes.
    t.send("]");
    t.wait_text("shape · conv1");
    t.send("?");
    t.wait_text("keys · page 1/");
    t.send("?");
    t.wait("the help closes", |s| !s.contains("keys · page"));
    t.send("q");
    assert_eq!(t.exit_code(), 0);
    restored(&t).unwrap();
}
