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

#[test]
fn erlang_json_names_fields_as_the_kpi_glossary() {
    let out = switchboard(&[
        "erlang",
        "--calls",
        "100",
        "--interval",
        "30",
        "--aht",
        "180",
        "--agents",
        "14",
        "--json",
    ]);
    assert!(out.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let row = &rows[0];
    for field in ["waiting_probability", "asa", "abandon_rate", "occupancy"] {
        assert!(row[field].is_number(), "{field} in {row}");
    }
    for definition in ["answered", "offered", "abandon_neutral", "virtual"] {
        assert!(
            row["service_level"][definition].is_number(),
            "{definition} in {row}"
        );
    }
    let pw = row["waiting_probability"].as_f64().unwrap();
    assert!((pw - 0.1741319336).abs() < 1e-9, "{pw}");
}

#[test]
fn staff_reads_a_demand_file_and_names_a_bad_line() {
    let dir = std::env::temp_dir().join(format!("switchboard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("day.csv");
    std::fs::write(
        &good,
        "start,contacts,aht\n2024-03-04 08:00,100,180\n2024-03-04 08:30,0,\n2024-03-04 09:00,150,200\n",
    )
    .unwrap();
    let out = switchboard(&[
        "staff",
        "--demand",
        good.to_str().unwrap(),
        "--interval",
        "30",
        "--sl",
        "0.8",
        "--csv",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("start,contacts,aht_s,agents"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("2024-03-04T08:00:00,100.0,180,14,"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("2024-03-04T08:30:00,0.0,180,0,"),
        "{stdout}"
    );

    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "start,contacts\n2024-03-04 08:00,100\n2024-03-04 08:30,lots\n",
    )
    .unwrap();
    let out = switchboard(&["staff", "--demand", bad.to_str().unwrap(), "--sl", "0.8"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3: field `contacts` has value \"lots\""),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn impossible_staffing_targets_say_why() {
    let out = switchboard(&[
        "staff",
        "--erlangs",
        "10",
        "--sl",
        "1.0",
        "--threshold",
        "0",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("service level = 1"), "{stderr}");
    let out = switchboard(&["erlang", "--erlangs", "10", "--agents", "9"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at or above"));
}

/// `serve`'s configuration comes from a file, the environment and flags;
/// each mistake is named where it was made, before anything starts.
#[test]
fn serve_names_the_configuration_mistake_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("center.toml");
    let good = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/server/center.toml"
    ))
    .unwrap();
    let serve = |env: &[(&str, &str)], extra: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            .args(["--database", dir.path().join("s.db").to_str().unwrap()])
            .args(extra)
            .env_remove("SWITCHBOARD_WALLBOARD_TOKEN")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A server that starts would serve forever: stop it and fail.
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > std::time::Duration::from_secs(30) {
                child.kill().unwrap();
                panic!("serve started with {env:?} {extra:?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    std::fs::write(
        &config,
        good.replace("[server]", "[server]\nlisten_port = 9"),
    )
    .unwrap();
    let error = serve(&[], &[]);
    assert!(error.contains("center.toml"), "{error}");
    assert!(error.contains("listen_port"), "{error}");
    std::fs::write(&config, good.replace("Asia/Shanghai", "Mars/Olympus")).unwrap();
    let error = serve(&[], &[]);
    assert!(error.contains("time_zone"), "{error}");
    assert!(error.contains("Mars/Olympus"), "{error}");
    std::fs::write(&config, &good).unwrap();
    let error = serve(&[("SWITCHBOARD_WALLBOARD_TOKEN", "short")], &[]);
    assert!(error.contains("SWITCHBOARD_WALLBOARD_TOKEN"), "{error}");
    let error = serve(&[], &["--wallboard-token", "short"]);
    assert!(error.contains("--wallboard-token"), "{error}");
}
