//! The `switchboard` command line as a user runs it.
//!
//! Key pieces: `switchboard(args)` runs the built binary and returns its
//! exit status and output; each test reads what a person would read.

use std::process::{Command, Output};

fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .output()
        .expect("the switchboard binary runs")
}

#[test]
fn bench_route_routes_calls_and_ends_with_a_machine_readable_line() {
    let out = switchboard(&[
        "bench",
        "route",
        "--agents",
        "60",
        "--contacts",
        "3000",
        "--naive-contacts",
        "1000",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().expect("some output");
    let fields: Vec<(&str, &str)> = last
        .strip_prefix("bench route ")
        .expect("summary line")
        .split(' ')
        .map(|kv| kv.split_once('=').expect("key=value"))
        .collect();
    let keys: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            "agents",
            "events",
            "events_per_s",
            "p50_us",
            "p99_us",
            "naive_ratio"
        ]
    );
    assert_eq!(fields[0].1, "60");
    for (key, value) in &fields {
        let number: f64 = value.parse().unwrap_or_else(|_| panic!("{key}={value}"));
        assert!(number > 0.0, "{key}={value}");
    }
    // At least the 3,000 arrivals plus an answer or a hang-up for each.
    let events: u64 = fields[1].1.parse().unwrap();
    assert!(events >= 6_000, "{last}");
}

#[test]
fn bad_options_are_refused_with_the_reason() {
    let out = switchboard(&["bench", "route", "--agents", "5"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--agents") && stderr.contains("5"),
        "{stderr}"
    );
}
