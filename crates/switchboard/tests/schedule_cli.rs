//! `switchboard schedule` as a user runs it, on the example files.
//!
//! Key pieces: `switchboard(args)` runs the built binary; `example(name)`
//! is a path under examples/schedule; `scratch(name)` a fresh output path.

use std::path::PathBuf;
use std::process::{Command, Output};

fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .output()
        .expect("the switchboard binary runs")
}

fn example(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/schedule")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schedule_cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_example_week_gives_json_a_chart_and_a_roster_for_adherence() {
    let svg = scratch("coverage.svg");
    let roster = scratch("roster.csv");
    let out = switchboard(&[
        "schedule",
        "--requirement",
        &example("requirement.csv"),
        "--templates",
        &example("shifts.toml"),
        "--agents",
        &example("agents.toml"),
        "--svg",
        svg.to_str().unwrap(),
        "--roster",
        roster.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["plan"]["status"], "optimal");
    assert_eq!(json["plan"]["short_hours"], 0.0);
    assert_eq!(json["plan"]["coverage"].as_array().unwrap().len(), 7 * 28);
    assert!(json["roster"]["assignments"].as_array().unwrap().len() > 100);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("</svg>"));
    let roster_text = std::fs::read_to_string(&roster).unwrap();
    assert!(roster_text.starts_with("agent,activity,start,end\n"));

    let out = switchboard(&[
        "schedule",
        "adherence",
        "--roster",
        roster.to_str().unwrap(),
        "--states",
        &example("states.csv"),
        "--csv",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(
        csv.starts_with(
            "agent,date,scheduled_min,adherent_min,adherence%,work_min,worked_min,conformance%\n"
        ),
        "{csv}"
    );
}

#[test]
fn the_example_adherence_report_reads_as_documented() {
    let out = switchboard(&[
        "schedule",
        "adherence",
        "--roster",
        &example("roster.csv"),
        "--states",
        &example("states.csv"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let ana = table
        .lines()
        .find(|l| l.starts_with("Ana Lima"))
        .expect("Ana's row");
    assert_eq!(
        ana.split_whitespace().collect::<Vec<_>>(),
        [
            "Ana",
            "Lima",
            "2025-03-03",
            "510.0",
            "501.0",
            "98.2%",
            "465.0",
            "456.0",
            "98.1%"
        ]
    );
    let sven = table
        .lines()
        .find(|l| l.starts_with("Sven Larsen"))
        .expect("the no-show");
    assert!(sven.contains("0.0%"), "{sven}");
}

#[test]
fn a_malformed_requirement_names_its_line_and_writes_nothing() {
    let requirement = scratch("bad.csv");
    std::fs::write(
        &requirement,
        "start,agents\n2025-03-03T07:00,2\n2025-03-03T07:30,three\n",
    )
    .unwrap();
    let svg = scratch("never.svg");
    let out = switchboard(&[
        "schedule",
        "--requirement",
        requirement.to_str().unwrap(),
        "--templates",
        &example("shifts.toml"),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 3: field `agents` has value \"three\": expected a number of agents"),
        "{stderr}"
    );
    assert!(!svg.exists());
}

#[test]
fn an_uncoverable_requirement_lists_the_intervals() {
    let requirement = scratch("night.csv");
    std::fs::write(
        &requirement,
        "start,agents\n2025-03-03T03:00,1\n2025-03-03T09:00,1\n",
    )
    .unwrap();
    let out = switchboard(&[
        "schedule",
        "--requirement",
        requirement.to_str().unwrap(),
        "--templates",
        &example("shifts.toml"),
        "--interval",
        "30",
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no schedule can cover 1 interval:\n  Mon 2025-03-03 03:00 needs 1: outside opening hours"),
        "{stderr}"
    );
}

#[test]
fn help_shows_examples() {
    for args in [
        &["schedule", "--help"][..],
        &["schedule", "adherence", "--help"],
    ] {
        let out = switchboard(args);
        assert!(out.status.success());
        assert!(text(&out.stdout).contains("Examples:"));
    }
}
