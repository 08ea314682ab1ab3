//! `switchboard demo` end to end: the server on a fresh SQLite store, the
//! simulated agents and callers acting through its HTTP API for a few
//! seconds at speed 20, then the queue report read back from the store,
//! then a second demo on the same store.

mod common;

use common::{ok, switchboard};
use serde_json::Value;

#[test]
fn demo_serves_traffic_that_the_reports_see() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("demo.db");
    let database = database.to_str().unwrap();
    let started = std::time::Instant::now();
    let out = switchboard(&[
        "demo",
        "--for",
        "8s",
        "--speed",
        "20",
        "--listen",
        "127.0.0.1:0",
        "--database",
        database,
    ]);
    let stdout = ok(&out);
    assert!(
        started.elapsed().as_secs() < 20,
        "the demo took {:?}",
        started.elapsed()
    );
    // Port 0 resolved to the bound one; the TV link carries its token.
    let url_line = stdout
        .lines()
        .find(|l| l.starts_with("Switchboard is serving on http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in:\n{stdout}"));
    assert!(!url_line.contains("127.0.0.1:0 "), "{url_line}");
    assert!(
        stdout.contains("/wallboard?token="),
        "no wallboard URL in:\n{stdout}"
    );
    assert!(stdout.contains("log in as admin with password"), "{stdout}");

    let report = ok(&switchboard(&[
        "report",
        "queues",
        "--database",
        database,
        "--json",
    ]));
    let report: Value = serde_json::from_str(&report).unwrap();
    let rows = report["rows"].as_array().unwrap();
    let total = |key: &str| -> u64 {
        rows.iter()
            .map(|r| r["counts"][key].as_u64().unwrap())
            .sum()
    };
    assert!(total("offered") >= 5, "too few contacts: {report:#}");
    assert!(total("handled") >= 1, "nothing handled: {report:#}");
    // The demo's close finishes every contact: none is left to recovery.
    assert_eq!(total("interrupted"), 0, "{report:#}");
    assert_eq!(
        total("offered"),
        total("answered") + total("abandoned") + total("overflowed"),
        "{report:#}"
    );

    // A second demo on the same store: its users exist from the first, so
    // they get new passwords, and the printed admin login works again.
    let again = ok(&switchboard(&[
        "demo",
        "--for",
        "3s",
        "--speed",
        "20",
        "--listen",
        "127.0.0.1:0",
        "--database",
        database,
    ]));
    assert!(again.contains("log in as admin with password"), "{again}");
    assert!(again.contains("Demo: 50 agents"), "{again}");
}
