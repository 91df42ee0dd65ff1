//! Which graphics this terminal gets.
//!
//! `--graphics` (or `CONVSCOPE_GRAPHICS`) other than `auto` is obeyed. `auto` reads the
//! environment first and, where that leaves the answer open, asks the terminal once: a burst of
//! a kitty query (`ESC _ G i=31,a=q …`), the cell size (`CSI 16 t`) and DA1 (`CSI c`, which
//! every terminal answers, so its reply ends the wait). The wait is at most [`QUERY_MS`]; with no
//! answer the result is half-blocks.

use super::{Caps, Choice, Mode};

/// The longest the query may delay the first frame.
pub const QUERY_MS: u64 = 100;

/// The cell size sixel is laid out with when `--graphics sixel` is asked for and the terminal
/// does not say its own.
pub const ASSUMED_CELL: (u16, u16) = (10, 20);

/// What the environment says, before any query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint {
    /// No pixels here (mosh, the Linux console, `TERM=dumb`, no colour, tmux without a way).
    No(&'static str),
    /// This mode, for sure.
    Yes(Mode),
    /// Ask the terminal.
    Ask,
}

/// The environment's answer. `tmux_allows` says whether tmux passes escape sequences through
/// (`allow-passthrough`), `tmux_sixel` whether tmux draws sixel; both are only asked inside tmux.
pub fn hint(
    env: &dyn Fn(&str) -> Option<String>,
    tmux_allows: &dyn Fn() -> bool,
    tmux_sixel: &dyn Fn() -> bool,
) -> Hint {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    let term = var("TERM").unwrap_or_default();
    let program = var("TERM_PROGRAM").unwrap_or_default().to_ascii_lowercase();
    let lc = var("LC_TERMINAL").unwrap_or_default().to_ascii_lowercase();
    if var("NO_COLOR").is_some() {
        return Hint::No("NO_COLOR");
    }
    if term == "dumb" || term.is_empty() {
        return Hint::No("TERM=dumb");
    }
    if term == "linux" {
        return Hint::No("the Linux console");
    }
    if var("MOSH_CONNECTION").is_some() || program == "mosh" {
        return Hint::No("mosh");
    }
    let kitty = var("KITTY_WINDOW_ID").is_some()
        || term.contains("kitty")
        || term.contains("ghostty")
        || program == "ghostty"
        || var("GHOSTTY_RESOURCES_DIR").is_some();
    let wezterm = var("WEZTERM_EXECUTABLE").is_some() || program == "wezterm";
    let iterm = program == "iterm.app" || lc == "iterm2";
    if var("TMUX").is_some() || term.starts_with("tmux") || term.starts_with("screen") {
        if (kitty || wezterm) && tmux_allows() {
            return Hint::Yes(Mode::Kitty { placeholders: true });
        }
        if tmux_sixel() {
            return Hint::Yes(Mode::Sixel);
        }
        return Hint::No("tmux without passthrough or sixel");
    }
    if kitty || wezterm {
        return Hint::Yes(Mode::Kitty { placeholders: false });
    }
    if iterm {
        return Hint::Yes(Mode::Iterm);
    }
    Hint::Ask
}

/// What the terminal answered to the query burst.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub kitty: bool,
    pub sixel: bool,
    /// From `CSI 6 ; h ; w t`: a cell in pixels (width, height).
    pub cell: Option<(u16, u16)>,
    /// DA1 came back (the reply is complete).
    pub done: bool,
}

/// The query burst.
pub const QUERY: &str = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\\x1b[16t\x1b[c";

/// Read what came back so far.
pub fn parse_answer(bytes: &[u8]) -> Answer {
    let s = String::from_utf8_lossy(bytes);
    let mut a = Answer { kitty: s.contains("\x1b_Gi=31;OK"), ..Answer::default() };
    if let Some(i) = s.find("\x1b[6;") {
        let rest = &s[i + 4..];
        if let Some(end) = rest.find('t') {
            let mut it = rest[..end].split(';').map(|v| v.parse::<u16>().ok());
            if let (Some(Some(h)), Some(Some(w))) = (it.next(), it.next())
                && h > 0
                && w > 0
                && h <= 512
                && w <= 512
            {
                a.cell = Some((w, h));
            }
        }
    }
    if let Some(i) = s.find("\x1b[?") {
        let rest = &s[i + 3..];
        if let Some(end) = rest.find('c') {
            a.done = true;
            a.sixel = rest[..end].split(';').any(|p| p == "4");
        }
    }
    a
}

/// The mode for a user's choice, the environment's hint and (when asked) the answer. An explicit
/// choice is obeyed, except that without colour there are no pixels.
pub fn decide(choice: Choice, hint: Hint, answer: Option<Answer>, colour: bool) -> Mode {
    if !colour {
        return Mode::Halfblocks;
    }
    match choice {
        Choice::Halfblocks => Mode::Halfblocks,
        Choice::Kitty => Mode::Kitty {
            placeholders: matches!(hint, Hint::Yes(Mode::Kitty { placeholders: true })),
        },
        Choice::Iterm => Mode::Iterm,
        Choice::Sixel => Mode::Sixel,
        Choice::Auto => match hint {
            Hint::No(_) => Mode::Halfblocks,
            Hint::Yes(m) => m,
            Hint::Ask => match answer {
                Some(a) if a.kitty => Mode::Kitty { placeholders: false },
                // Sixel needs the cell size to lay the image out in whole pixels.
                Some(a) if a.sixel && a.cell.is_some() => Mode::Sixel,
                _ => Mode::Halfblocks,
            },
        },
    }
}

/// The cell size from the kernel (`TIOCGWINSZ`'s pixel fields, which sshd forwards), if set.
pub fn cell_from_ioctl() -> Option<(u16, u16)> {
    // SAFETY: TIOCGWINSZ fills a winsize; a zeroed one is valid input.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: fd 1 and a pointer to a live winsize.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    if !ok || ws.ws_col == 0 || ws.ws_row == 0 || ws.ws_xpixel == 0 || ws.ws_ypixel == 0 {
        return None;
    }
    let (w, h) = (ws.ws_xpixel / ws.ws_col, ws.ws_ypixel / ws.ws_row);
    (w > 0 && h > 0).then_some((w, h))
}

/// Send the query burst on the terminal (raw mode already on) and read the replies for at most
/// [`QUERY_MS`], stopping at DA1's.
pub fn ask() -> Answer {
    use std::io::Write;
    let mut out = std::io::stdout();
    if out.write_all(QUERY.as_bytes()).and_then(|()| out.flush()).is_err() {
        return Answer::default();
    }
    let t0 = std::time::Instant::now();
    let mut got = Vec::new();
    loop {
        let left = QUERY_MS.saturating_sub(t0.elapsed().as_millis() as u64);
        if left == 0 {
            break;
        }
        let mut fd = libc::pollfd { fd: libc::STDIN_FILENO, events: libc::POLLIN, revents: 0 };
        // SAFETY: one live pollfd.
        let n = unsafe { libc::poll(&mut fd, 1, left as i32) };
        if n <= 0 || fd.revents & libc::POLLIN == 0 {
            break;
        }
        let mut buf = [0u8; 256];
        // SAFETY: reading into a live buffer of its length.
        let r = unsafe { libc::read(libc::STDIN_FILENO, buf.as_mut_ptr().cast(), buf.len()) };
        if r <= 0 {
            break;
        }
        got.extend_from_slice(&buf[..r as usize]);
        if got.len() > 4096 || parse_answer(&got).done {
            break;
        }
    }
    parse_answer(&got)
}

/// Whether the tmux we run in passes sequences through: `tmux show -gv allow-passthrough`.
pub fn tmux_allows_passthrough() -> bool {
    tmux_says(&["show", "-gv", "allow-passthrough"]).is_some_and(|s| s == "on" || s == "all")
}

/// Whether the tmux we run in draws sixel for its client (`client_termfeatures` has `sixel`).
pub fn tmux_has_sixel() -> bool {
    tmux_says(&["display", "-p", "#{client_termfeatures}"])
        .is_some_and(|s| s.split(',').any(|f| f == "sixel"))
}

/// One short tmux command's output, or `None` if tmux is missing, fails or takes over 100 ms.
fn tmux_says(args: &[&str]) -> Option<String> {
    let mut child = std::process::Command::new("tmux")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let t0 = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(st)) if st.success() => break,
            Ok(None) if t0.elapsed().as_millis() < QUERY_MS as u128 => {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut s = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut s).ok()?;
    Some(s.trim().to_string())
}

/// Detect this process's graphics (raw mode on, before the first frame): `choice` (`auto`
/// reads `CONVSCOPE_GRAPHICS`), the environment, and the query when needed. Returns the caps
/// and what the query cost, in ms (0 when none was sent).
pub fn detect(choice: Choice, colour: bool) -> (Caps, f64) {
    let env = |k: &str| std::env::var(k).ok();
    let choice = match choice {
        Choice::Auto => env("CONVSCOPE_GRAPHICS").and_then(|v| Choice::parse(&v)).unwrap_or(choice),
        c => c,
    };
    let tmux = env("TMUX").is_some_and(|v| !v.is_empty());
    let h = if choice == Choice::Halfblocks || !colour {
        Hint::No("asked for")
    } else {
        hint(&env, &tmux_allows_passthrough, &tmux_has_sixel)
    };
    let mut cell = cell_from_ioctl();
    let needs_answer = colour
        && (h == Hint::Ask && choice == Choice::Auto
            || cell.is_none() && matches!(h, Hint::Yes(_) | Hint::Ask) && !tmux);
    let t0 = std::time::Instant::now();
    let answer = needs_answer.then(ask);
    let waited = if needs_answer { t0.elapsed().as_secs_f64() * 1e3 } else { 0.0 };
    if cell.is_none() {
        cell = answer.and_then(|a| a.cell);
    }
    // The kernel's cell size counts as the terminal's answer.
    let answer = answer.map(|a| Answer { cell, ..a });
    let mode = decide(choice, h, answer, colour);
    if mode == Mode::Sixel && cell.is_none() {
        // Asked for by name without a cell size: assume a common one (auto never gets here).
        cell = Some(ASSUMED_CELL);
    }
    (Caps { mode, cell, tmux }, waited)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint_of(vars: &[(&str, &str)], allows: bool, sixel: bool) -> Hint {
        let env = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        hint(&env, &|| allows, &|| sixel)
    }

    #[test]
    fn the_environment_decides_first() {
        let kitty = Hint::Yes(Mode::Kitty { placeholders: false });
        assert_eq!(hint_of(&[("TERM", "xterm-kitty")], false, false), kitty);
        assert_eq!(
            hint_of(&[("TERM", "xterm-256color"), ("KITTY_WINDOW_ID", "3")], false, false),
            kitty
        );
        assert_eq!(
            hint_of(&[("TERM", "xterm-256color"), ("WEZTERM_EXECUTABLE", "/x")], false, false),
            kitty
        );
        let iterm = &[("TERM", "xterm-256color"), ("LC_TERMINAL", "iTerm2")];
        assert_eq!(hint_of(iterm, false, false), Hint::Yes(Mode::Iterm));
        assert_eq!(hint_of(&[("TERM", "xterm-256color")], false, false), Hint::Ask);
        for none in [
            &[("TERM", "dumb")][..],
            &[("TERM", "linux")],
            &[("TERM", "xterm-kitty"), ("NO_COLOR", "1")],
            &[("TERM", "xterm-256color"), ("MOSH_CONNECTION", "1")],
        ] {
            assert!(matches!(hint_of(none, true, true), Hint::No(_)), "{none:?}");
        }
    }

    #[test]
    fn inside_tmux_kitty_needs_passthrough_and_sixel_needs_tmux() {
        let vars = [("TERM", "tmux-256color"), ("TMUX", "/tmp/t,1,0"), ("KITTY_WINDOW_ID", "1")];
        assert_eq!(hint_of(&vars, true, false), Hint::Yes(Mode::Kitty { placeholders: true }));
        assert_eq!(hint_of(&vars, false, true), Hint::Yes(Mode::Sixel));
        assert!(matches!(hint_of(&vars, false, false), Hint::No(_)));
    }

    #[test]
    fn answers_are_read_and_silence_is_halfblocks() {
        let a = parse_answer(b"\x1b_Gi=31;OK\x1b\\\x1b[6;20;10t\x1b[?62;4;22c");
        assert_eq!(a, Answer { kitty: true, sixel: true, cell: Some((10, 20)), done: true });
        let xterm = parse_answer(b"\x1b[?63;1;2;4;6;9;15;22c");
        assert!(xterm.sixel && !xterm.kitty && xterm.cell.is_none());
        assert!(!parse_answer(b"\x1b[?62;22c").sixel);
        assert_eq!(decide(Choice::Auto, Hint::Ask, None, true), Mode::Halfblocks);
        assert_eq!(
            decide(Choice::Auto, Hint::Ask, Some(a), true),
            Mode::Kitty { placeholders: false }
        );
        let sixel = Answer { kitty: false, ..a };
        assert_eq!(decide(Choice::Auto, Hint::Ask, Some(sixel), true), Mode::Sixel);
        assert_eq!(decide(Choice::Sixel, Hint::No("x"), None, false), Mode::Halfblocks);
        assert_eq!(Choice::parse("KITTY"), Some(Choice::Kitty));
    }
}
