//! `switchboard simulate` as a user runs it: a scenario's KPIs, the same
//! figures for the same seed, the event log kept for `switchboard report`,
//! a what-if comparison, and bad scenarios refused with the key at fault.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

use common::{ok, switchboard};

/// A morning of one queue: 120 calls an hour of 3 minutes on 8 agents.
fn scenario(dir: &Path, name: &str, agents: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            r#"skills = ["support"]
[simulation]
start = "2025-03-03T08:00"
time_zone = "Europe/Paris"
duration = "3h"
seed = 5

[[queue]]
name = "Support"
skills = {{ support = 1 }}
arrivals = {{ per_hour = 120 }}
handle = {{ exponential = "3m" }}
patience = {{ exponential = "2m" }}

[[group]]
name = "agent"
count = {agents}
skills = {{ support = 5 }}
queues = {{ Support = 1 }}
cost_per_hour = 20.0
"#
        ),
    )
    .unwrap();
    path
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_run_reports_kpis_and_the_same_seed_gives_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "morning.toml", 8);
    let run = || -> Value {
        let out = ok(&switchboard(&["simulate", path(&file), "--json"]));
        let mut value: Value = serde_json::from_str(&out).unwrap();
        value.as_object_mut().unwrap().remove("seconds");
        value
    };
    let first = run();
    assert_eq!(first, run(), "same scenario, same seed, same figures");
    let queue = &first["kpis"]["queues"][0]["row"];
    let offered = queue["counts"]["offered"].as_u64().unwrap();
    assert!((250..=470).contains(&offered), "about 360 calls: {offered}");
    let other = ok(&switchboard(&[
        "simulate",
        path(&file),
        "--seed",
        "6",
        "--json",
    ]));
    let other: Value = serde_json::from_str(&other).unwrap();
    assert_ne!(first["kpis"], other["kpis"], "another seed, other callers");

    let table = ok(&switchboard(&[
        "simulate",
        path(&file),
        "--interval",
        "60m",
    ]));
    assert!(table.contains("2025-03-03 08:00"), "{table}");
    assert!(table.contains("center"), "{table}");
}

#[test]
fn a_stored_run_is_reported_like_a_real_day() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path(), "morning.toml", 8);
    let db = dir.path().join("sim.db");
    let out = ok(&switchboard(&[
        "simulate",
        path(&file),
        "--database",
        path(&db),
        "--json",
    ]));
    let run: Value = serde_json::from_str(&out).unwrap();
    let contacts = run["kpis"]["summary"]["contacts"].as_u64().unwrap();
    let report = ok(&switchboard(&[
        "report",
        "queues",
        "--interval",
        "day",
        "--json",
        "--database",
        path(&db),
    ]));
    let report: Value = serde_json::from_str(&report).unwrap();
    let row = &report["rows"][0];
    assert_eq!(row["counts"]["offered"].as_u64().unwrap(), contacts);
    assert!(
        row["start"].as_str().unwrap().ends_with("[Europe/Paris]"),
        "the store takes the scenario's zone: {row}"
    );
    let agents = ok(&switchboard(&[
        "report",
        "agents",
        "--csv",
        "--database",
        path(&db),
    ]));
    assert!(
        agents.lines().nth(1).unwrap().starts_with("agent"),
        "{agents}"
    );
}

#[test]
fn more_agents_answer_sooner_in_a_comparison_on_the_same_callers() {
    let dir = tempfile::tempdir().unwrap();
    let a = scenario(dir.path(), "a.toml", 7);
    let b = scenario(dir.path(), "b.toml", 9);
    let out = ok(&switchboard(&[
        "simulate",
        "--compare",
        path(&a),
        path(&b),
        "--replications",
        "4",
        "--json",
    ]));
    let deltas: Value = serde_json::from_str(&out).unwrap();
    let delta = |figure: &str| {
        deltas
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["figure"] == figure)
            .map(|d| d["b_minus_a"]["mean"].as_f64().unwrap())
            .unwrap()
    };
    assert!(delta("service level (offered)") > 0.0);
    assert!(delta("ASA s") < 0.0);
    assert!(delta("cost") > 0.0, "two more agents cost more");
}

#[test]
fn a_bad_scenario_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(scenario(dir.path(), "good.toml", 8))
        .unwrap()
        .replace("queues = { Support = 1 }", "queues = { Suport = 1 }");
    std::fs::write(&file, text).unwrap();
    let out = switchboard(&["simulate", path(&file)]);
    assert!(!out.status.success());
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(error.contains("bad.toml"), "{error}");
    assert!(error.contains("Suport"), "names the unknown queue: {error}");

    let negative = dir.path().join("negative.toml");
    let text = std::fs::read_to_string(dir.path().join("good.toml"))
        .unwrap()
        .replace("per_hour = 120", "per_hour = -5");
    std::fs::write(&negative, text).unwrap();
    let out = switchboard(&["simulate", path(&negative)]);
    assert!(!out.status.success());
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(error.contains("per_hour"), "names the key: {error}");
}
