//! `switchboard import` and `switchboard report` as a user runs them: the
//! real February of the Anonymous Bank into a fresh store, the reports and
//! their drill-down agreeing, bad input refused without touching the
//! store, adherence against a roster, a forecast drawn on the queue page.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

mod common;

use common::ok;

const BANK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/anonymous_bank_february.tsv"
);

/// Runs `switchboard` on the store `db`.
fn switchboard(db: &Path, args: &[&str]) -> Output {
    let db = db.to_str().expect("a UTF-8 path");
    let mut args = args.to_vec();
    args.extend(["--database", db]);
    common::switchboard(&args)
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).expect("JSON output")
}

fn store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("store.db");
    (dir, db)
}

fn offered(report: &Value) -> u64 {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["counts"]["offered"].as_u64().expect("offered"))
        .sum()
}

#[test]
fn the_bank_february_imports_and_its_figures_drill_down_to_their_contacts() {
    let (_dir, db) = store();
    let imported = ok(&switchboard(&db, &["import", "bank", BANK]));
    assert!(
        imported.contains("31125 contacts, 0 rows rejected"),
        "{imported}"
    );
    assert!(imported.contains("phantom: 278"), "{imported}");

    let days = json(&switchboard(
        &db,
        &["report", "queues", "--interval", "day", "--json"],
    ));
    assert_eq!(offered(&days), 31_125, "one leg per bank call");
    let first = &days["rows"][0];
    assert_eq!(
        first["start"].as_str().unwrap(),
        "1999-02-01T00:00:00+02:00[Asia/Jerusalem]"
    );

    // The 10:00 hour of PS on 3 February: its abandoned count is the list
    // the drill-down gives.
    let hours = json(&switchboard(
        &db,
        &[
            "report",
            "queues",
            "--interval",
            "60m",
            "--from",
            "1999-02-03",
            "--to",
            "1999-02-03",
            "--queue",
            "PS",
            "--json",
        ],
    ));
    let ten = hours["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| {
            row["start"]
                .as_str()
                .unwrap()
                .starts_with("1999-02-03T10:00")
        })
        .expect("a 10:00 row");
    let abandoned = ten["counts"]["abandoned"].as_u64().unwrap();
    assert!(abandoned > 0);
    let listed = json(&switchboard(
        &db,
        &[
            "report",
            "contacts",
            "--queue",
            "PS",
            "--at",
            "1999-02-03 10:00",
            "--count",
            "abandoned",
            "--json",
        ],
    ));
    let contacts = listed["contacts"].as_array().unwrap();
    assert_eq!(contacts.len() as u64, abandoned);
    assert!(
        contacts
            .iter()
            .all(|c| c["leg"]["disposition"].as_str() == Some("abandoned"))
    );
}

#[test]
fn a_failed_import_leaves_the_store_as_it_was() {
    let (dir, db) = store();
    let csv = dir.path().join("calls.csv");
    std::fs::write(
        &csv,
        "contact_id,queue,arrived,answered,ended,agent\n\
         a1,sales,2026-03-02T09:00:00Z,2026-03-02T09:00:12Z,2026-03-02T09:03:00Z,ann\n",
    )
    .unwrap();
    ok(&switchboard(&db, &["import", "csv", csv.to_str().unwrap()]));
    let before = json(&switchboard(&db, &["report", "queues", "--json"]));
    assert_eq!(offered(&before), 1);

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "who,what\nx,y\n").unwrap();
    let out = switchboard(&db, &["import", "csv", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(error.contains("bad.csv"), "names the file: {error}");
    assert!(
        error.to_lowercase().contains("column"),
        "says what is wrong: {error}"
    );
    let after = json(&switchboard(&db, &["report", "queues", "--json"]));
    assert_eq!(before, after);

    // The same file twice would count its calls twice.
    let again = switchboard(&db, &["import", "csv", csv.to_str().unwrap()]);
    assert!(!again.status.success());
    let error = String::from_utf8_lossy(&again.stderr);
    assert!(error.contains("already in the store"), "{error}");
    assert_eq!(
        before,
        json(&switchboard(&db, &["report", "queues", "--json"]))
    );

    let unknown = switchboard(&db, &["import", "genesys", bad.to_str().unwrap()]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("queue-log"));
}

#[test]
fn rejected_rows_are_listed_with_their_line_and_the_rest_lands() {
    let (dir, db) = store();
    let log = dir.path().join("queue_log");
    std::fs::write(
        &log,
        "1772438400|NONE|support|SIP/alice|ADDMEMBER|\n\
         this is not a queue_log line\n\
         1772442000|c1|support|NONE|ENTERQUEUE||5551001|1\n\
         1772442010|c1|support|SIP/alice|CONNECT|10|c1-peer|2\n\
         1772442310|c1|support|SIP/alice|COMPLETECALLER|10|300|1\n",
    )
    .unwrap();
    let out = ok(&switchboard(
        &db,
        &["import", "queue-log", log.to_str().unwrap()],
    ));
    assert!(out.contains("1 contacts, 1 rows rejected"), "{out}");
    assert!(out.contains("rejected line 2:"), "{out}");
}

#[test]
fn agents_adhere_to_their_roster() {
    let (dir, db) = store();
    // Alice works 08:00-16:00 UTC on 2 March 2026, lunch 12:00-12:30 (the
    // roster says 12:00-13:00), one call at 09:00.
    let log = dir.path().join("queue_log");
    std::fs::write(
        &log,
        "1772438400|NONE|support|SIP/alice|ADDMEMBER|\n\
         1772442000|c1|support|NONE|ENTERQUEUE||5551001|1\n\
         1772442010|c1|support|SIP/alice|CONNECT|10|c1-peer|2\n\
         1772442310|c1|support|SIP/alice|COMPLETECALLER|10|300|1\n\
         1772452800|NONE|support|SIP/alice|PAUSE|lunch\n\
         1772454600|NONE|support|SIP/alice|UNPAUSE|\n\
         1772467200|NONE|support|SIP/alice|REMOVEMEMBER|\n",
    )
    .unwrap();
    ok(&switchboard(
        &db,
        &["import", "queue-log", log.to_str().unwrap()],
    ));
    let roster = dir.path().join("roster.csv");
    std::fs::write(
        &roster,
        "agent,activity,start,end\n\
         SIP/alice,work,2026-03-02T08:00:00,2026-03-02T12:00:00\n\
         SIP/alice,lunch,2026-03-02T12:00:00,2026-03-02T13:00:00\n\
         SIP/alice,work,2026-03-02T13:00:00,2026-03-02T16:00:00\n",
    )
    .unwrap();
    let table = ok(&switchboard(
        &db,
        &[
            "report",
            "agents",
            "--schedule",
            roster.to_str().unwrap(),
            "--csv",
        ],
    ));
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let cell = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(cell("agent"), "SIP/alice");
    assert_eq!(cell("logged in"), "8:00:00");
    assert_eq!(cell("handled"), "1");
    // In adherence: 240 work + 30 lunch + 180 work of 480 scheduled
    // minutes; on the phone 450 minutes of 420 scheduled to work.
    assert_eq!(cell("adherence"), "93.8%");
    assert_eq!(cell("conformance"), "107.1%");
}

#[test]
fn the_queue_page_draws_the_forecast_and_the_agents_it_requires() {
    let (dir, db) = store();
    ok(&switchboard(&db, &["import", "bank", BANK]));
    let forecast = dir.path().join("forecast.csv");
    let mut rows = String::from("start,contacts,aht\n");
    for quarter in 28..96 {
        let (h, m) = (quarter / 4, quarter % 4 * 15);
        rows.push_str(&format!("1999-02-03T{h:02}:{m:02}:00,12,180\n"));
    }
    std::fs::write(&forecast, rows).unwrap();
    let html = dir.path().join("queues.html");
    let args = [
        "report",
        "queues",
        "--interval",
        "15m",
        "--from",
        "1999-02-03",
        "--to",
        "1999-02-03",
        "--forecast",
        forecast.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ];
    let out = switchboard(&db, &args);
    assert!(
        !out.status.success(),
        "six queues: the forecast needs --queue"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--queue"));
    let mut with_queue = args.to_vec();
    with_queue.extend(["--queue", "PS", "--sl-target", "0.8"]);
    ok(&switchboard(&db, &with_queue));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("against the forecast"),
        "volume against forecast"
    );
    assert!(
        page.contains("against the requirement"),
        "staff against requirement"
    );
    assert!(page.contains("SL offered"), "the definition is named");
}
