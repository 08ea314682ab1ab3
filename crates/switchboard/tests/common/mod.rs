//! What the command-line tests share: running the built binary as a user
//! would, and reading its output.

use std::process::{Command, Output};

/// Runs `switchboard` with `args`; backtraces off, so errors read as a
/// user sees them.
pub fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("the switchboard binary runs")
}

/// The standard output of a run that must have succeeded.
pub fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
