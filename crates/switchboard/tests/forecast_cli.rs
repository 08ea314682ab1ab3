//! `switchboard forecast` as a user runs it.
//!
//! Key pieces: `switchboard(args)` runs the built binary; `BANK` is the
//! repository's copy of the Anonymous Bank log; `scratch(name, text)`
//! writes an input file for one test.

use std::path::PathBuf;
use std::process::{Command, Output};

const BANK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/anonymous_bank_february.tsv"
);

fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .output()
        .expect("the switchboard binary runs")
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("forecast_cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_bank_backtest_prints_every_method_and_the_month_spike() {
    let out = switchboard(&["forecast", "--bank-tsv", BANK, "--backtest", "--folds", "1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    for method in [
        "seasonal-naive",
        "weekday-average",
        "profile",
        "holt-winters",
        "mstl",
        "combined",
    ] {
        assert!(stdout.contains(method), "{stdout}");
    }
    assert!(stdout.contains("1999-02-03 13:00  Wed     407"), "{stdout}");
    assert!(stderr.contains("278 PHANTOM"), "{stderr}");
}

#[test]
fn json_backtest_scores_each_method_on_the_same_intervals() {
    let out = switchboard(&[
        "forecast",
        "--bank-tsv",
        BANK,
        "--backtest",
        "--horizon",
        "7",
        "--folds",
        "1",
        "--json",
    ]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let backtest = &json["backtest"];
    assert_eq!(backtest["folds"][0]["origin"], "1999-02-22");
    assert_eq!(backtest["intervals"].as_array().unwrap().len(), 7 * 48);
    let scores = backtest["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 6);
    let best = backtest["best"].as_str().unwrap();
    let lowest = scores
        .iter()
        .min_by(|a, b| {
            a["wape"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["wape"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(lowest["method"], best);
    assert_eq!(json["bank"]["phantom"], 278);
}

#[test]
fn a_csv_forecast_is_demand_that_staffing_reads() {
    let mut csv = String::from("start,contacts,aht\n");
    for day in 1..=21 {
        for hour in 9..17 {
            csv += &format!("2024-01-{day:02}T{hour:02}:00,{},200\n", 10 + hour);
        }
    }
    let path = scratch("hourly.csv", &csv);
    let out = switchboard(&[
        "forecast",
        path.to_str().unwrap(),
        "--method",
        "profile",
        "--horizon",
        "1",
        "--csv",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("start,contacts,aht,day,note"));
    assert_eq!(lines.next(), Some("2024-01-22 09:00,19.0,200,Mon,"));
    assert_eq!(lines.count(), 7);
}

#[test]
fn bad_input_names_the_line_field_and_value_and_prints_nothing() {
    let path = scratch(
        "bad.csv",
        "start,contacts\n2024-01-01T09:00,5\n2024-01-01T09:30,-4\n",
    );
    let out = switchboard(&["forecast", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3: field `contacts` has value \"-4\": must be ≥ 0"),
        "{stderr}"
    );

    let out = switchboard(&["forecast", "--bank-tsv", BANK, "--interval", "20"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("interval length must be 5, 15, 30 or 60 minutes, got 20"),
        "{stderr}"
    );
}

#[test]
fn help_shows_examples() {
    let out = switchboard(&["forecast", "--help"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Examples:"), "{stdout}");
    assert!(stdout.contains("--bank-tsv data/anonymous_bank_february.tsv"));
}
