use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `convscope summary | head` should end quietly when the reader goes away, as Unix tools do,
    // instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = convscope::cli::Cli::parse();
    match convscope::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if std::env::var_os("RUST_BACKTRACE").is_some() {
                eprintln!("error: {e:?}");
            } else {
                let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
                eprintln!("error: {}", chain.join(": "));
            }
            ExitCode::from(2)
        }
    }
}
