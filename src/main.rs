use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Signals first, before any thread exists: every thread inherits the blocked mask and one
    // thread takes SIGINT, SIGTERM, SIGHUP and SIGQUIT (see `convscope::signals`).
    convscope::signals::install();
    // `convscope summary | head` should end quietly when the reader goes away, as Unix tools do,
    // instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: SIG_DFL is always a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = convscope::cli::Cli::parse();
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
            let line = chain.join(": ").replace('\n', " ");
            eprintln!("error: {line}");
            ExitCode::from(2)
        }
    }
}
