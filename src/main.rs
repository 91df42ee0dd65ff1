use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
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
