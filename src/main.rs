use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Signals first, before any thread exists: every thread inherits the blocked mask and one
    // thread takes SIGINT, SIGTERM, SIGHUP and SIGQUIT (see `convscope::signals`).
    convscope::signals::install();
    convscope::alloc::keep_freed_buffers();
    // `convscope summary | head` should end quietly when the reader goes away, as Unix tools do,
    // instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: SIG_DFL is always a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match convscope::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help and --version print and exit 0
        Err(e) => {
            // A usage error is one line too: clap's first line, and where to look.
            // clap's first paragraph (a missing-arguments error lists them on the next lines).
            let text = e.to_string();
            let head = text.split("\n\n").next().unwrap_or("bad arguments");
            let head = head.strip_prefix("error: ").unwrap_or(head);
            eprintln!("error: {} (see --help)", convscope::text::one_line(head));
            return ExitCode::from(2);
        }
    };
    let result = convscope::cli::run_guarded(cli);
    if let Some(sig) = convscope::signals::signalled() {
        return ExitCode::from((128 + sig).clamp(0, 255) as u8);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A returned error is the user's (a bad file, a bad value): one line, whatever
            // RUST_BACKTRACE says. Bugs are panics, which keep their backtraces.
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("error: {}", convscope::text::one_line(&chain.join(": ")));
            ExitCode::from(2)
        }
    }
}
