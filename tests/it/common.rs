//! Shared by the CLI tests: run the real binary and collect what it says.

use std::process::Command;

/// What one run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `convscope ARGS` (without RUST_BACKTRACE, so errors are one line).
pub fn convscope(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_convscope"))
        .env_remove("RUST_BACKTRACE")
        .args(args)
        .output()
        .expect("the test binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
