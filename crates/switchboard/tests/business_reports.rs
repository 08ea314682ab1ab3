//! `switchboard report fcr|csat|reasons|cost|contract|value` on a small
//! call log imported into a temporary SQLite store, checked against
//! figures worked out by hand.
//!
//! Key pieces: `CALLS` (the log, with the reasoning behind each expected
//! figure), `Store` (a temporary store holding it) and `switchboard(args)`
//! (runs the built binary). The settings are examples/reports/settings.toml:
//! zone +08:00, CNY, agent hour 62.50, telecom minute 0.12, overhead
//! 1800.00 a day, FCR window 7 days, satisfied from score 4.

use std::path::PathBuf;
mod common;

use common::{ok, switchboard};
use std::process::Output;

use serde_json::Value;

/// Six contacts, all in queue Care, times in +08:00:
///
/// | id | day | customer | reason | handled | outcome | csat | handle | line |
/// |---|---|---|---|---|---|---|---|---|
/// | k1 | Mon 03-04 | C1 | outage | Lan | fixed_by_phone | 5 | 330 s | 310 s |
/// | k2 | Mon 03-04 | C1 | outage | Minh | technician_sent | 2 | 270 s | 260 s |
/// | k3 | Mon 03-04 | C2 | order_status | Lan | sale | 4 | 630 s | 605 s |
/// | k4 | Tue 03-05 | C3 | order_status | abandoned | | | | 30 s |
/// | k5 | Tue 03-05 | C4 | thanks | Minh | lead | | 180 s | 190 s |
/// | k6 | Wed 03-13 | C2 | order_status | Lan | fixed_by_phone | 3 | 150 s | 130 s |
///
/// k1 is repeated by k2 (same customer and reason within 7 days); k2, k3
/// (C2 called again only 9 days later) and k5 are resolved; k6's window
/// is still open at the log's end (pending). FCR = 3 ÷ 4.
const CALLS: &str = "\
contact_id,queue,arrived,answered,ended,wrap_ended,agent,end,outcome,reason,ani,dnis,customer,csat
k1,Care,2024-03-04T09:00:00+08:00,2024-03-04T09:00:10+08:00,2024-03-04T09:05:10+08:00,2024-03-04T09:05:40+08:00,Lan,,fixed_by_phone,outage,8611,4008001001,C1,5
k2,Care,2024-03-04T10:00:00+08:00,2024-03-04T10:00:20+08:00,2024-03-04T10:04:20+08:00,2024-03-04T10:04:50+08:00,Minh,,technician_sent,outage,8611,4008001001,C1,2
k3,Care,2024-03-04T11:00:00+08:00,2024-03-04T11:00:05+08:00,2024-03-04T11:10:05+08:00,2024-03-04T11:10:35+08:00,Lan,,sale,order_status,8622,4008001002,C2,4
k4,Care,2024-03-05T09:00:00+08:00,,2024-03-05T09:00:30+08:00,,,,,order_status,8633,4008001002,C3,
k5,Care,2024-03-05T14:00:00+08:00,2024-03-05T14:00:10+08:00,2024-03-05T14:03:10+08:00,,Minh,,lead,thanks,8644,4008001003,C4,
k6,Care,2024-03-13T09:00:00+08:00,2024-03-13T09:00:10+08:00,2024-03-13T09:02:10+08:00,2024-03-13T09:02:40+08:00,Lan,,fixed_by_phone,order_status,8622,,C2,3
";

const SETTINGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/reports/settings.toml"
);

/// A temporary folder with a store holding `CALLS`; removed on drop.
struct Store {
    dir: PathBuf,
}

impl Store {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "switchboard-business-{}-{test}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let calls = dir.join("calls.csv");
        std::fs::write(&calls, CALLS).expect("the call log is written");
        let store = Store { dir };
        let out = switchboard(&[
            "import",
            "csv",
            calls.to_str().expect("a UTF-8 path"),
            "--database",
            &store.database(),
        ]);
        ok(&out);
        store
    }

    fn database(&self) -> String {
        self.dir.join("db.sqlite").to_string_lossy().into_owned()
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    /// Runs `report <kind> --settings … --database …` with `extra`.
    fn report(&self, kind: &str, extra: &[&str]) -> Output {
        let database = self.database();
        let mut args = vec![
            "report",
            kind,
            "--settings",
            SETTINGS,
            "--database",
            &database,
        ];
        args.extend_from_slice(extra);
        switchboard(&args)
    }

    fn json(&self, kind: &str, extra: &[&str]) -> Value {
        let mut extra = extra.to_vec();
        extra.push("--json");
        let stdout = ok(&self.report(kind, &extra));
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn close(value: &Value, expected: f64) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is a number"));
    assert!((got - expected).abs() < 1e-9, "{got} ≠ {expected}");
}

#[test]
fn fcr_counts_the_repeat_and_leaves_the_open_window_pending() {
    let store = Store::new("fcr");
    let report = store.json("fcr", &[]);
    let total = &report["total"];
    assert_eq!(total["handled"], 5);
    assert_eq!(total["resolved"]["count"], 3);
    assert_eq!(total["repeated"]["count"], 1);
    assert_eq!(total["pending"]["count"], 1);
    assert_eq!(total["unidentified"]["count"], 0);
    close(&total["fcr"], 0.75);
    let days = report["rows"].as_array().expect("rows");
    assert_eq!(days.len(), 3, "Mon, Tue and the Wednesday after");
    close(&days[0]["fcr"], 2.0 / 3.0);
    assert!(days[2]["fcr"].is_null(), "only a pending contact");
    let outage = report["by_reason"]
        .as_array()
        .expect("by reason")
        .iter()
        .find(|r| r["reason"] == "outage")
        .expect("an outage row");
    close(&outage["fcr"], 0.5);

    let text = ok(&store.report("fcr", &[]));
    assert!(
        text.contains("2024-03-04") && text.contains("75.0%"),
        "{text}"
    );
}

#[test]
fn csat_lists_the_dissatisfied_and_the_unrated_each_day() {
    let store = Store::new("csat");
    let report = store.json("csat", &[]);
    close(&report["total"]["csat"], 0.5);
    assert_eq!(report["total"]["answers"]["count"], 4);
    assert_eq!(report["total"]["dissatisfied"]["count"], 2);
    assert_eq!(report["unrated"]["count"], 1);
    let days = report["rows"].as_array().expect("rows");
    assert_eq!(days.len(), 3);
    close(&days[0]["csat"], 2.0 / 3.0);
    assert_eq!(days[0]["dissatisfied_callers"][0]["score"], 2);
    assert_eq!(days[1]["unrated_callers"][0]["customer"]["id"], "C4");

    // The terminal shows the daily figures, then one line per caller to
    // call back.
    let text = ok(&store.report("csat", &[]));
    let unrated = text
        .lines()
        .find(|l| l.contains("unrated") && l.contains("C4"))
        .unwrap_or_else(|| panic!("an unrated line for C4 in\n{text}"));
    assert!(
        unrated.contains("Minh") && unrated.contains("thanks"),
        "{unrated}"
    );
    assert!(text.contains("50.0%"), "{text}");
}

#[test]
fn reasons_rank_by_volume_and_recommend_a_strategy() {
    let store = Store::new("reasons");
    let report = store.json("reasons", &[]);
    assert_eq!(report["contacts"], 6);
    assert_eq!(report["customers"], 4);
    let rows = report["rows"].as_array().expect("rows");
    let reasons: Vec<&str> = rows.iter().filter_map(|r| r["reason"].as_str()).collect();
    assert_eq!(reasons, ["order_status", "outage", "thanks"]);
    let first = &rows[0];
    close(&first["share"], 0.5);
    close(&rows[1]["cumulative_share"], 5.0 / 6.0);
    // k3 630 s + k6 150 s over 2 handled; 780 s × 62.50 an hour = 13.54.
    close(&first["aht"], 390.0);
    assert_eq!(first["cost"], 1354);
    close(&first["customer_share"], 0.5);
    // Proactive reach 0.85 ≥ 0.6 and significant: rule 1.
    assert_eq!(first["assessment"]["strategy"], "eliminate");
    close(&rows[1]["repeat_rate"], 0.5);
    assert_eq!(rows[2]["assessment"]["strategy"], "agent");

    let html = store.path("reasons.html");
    let out = store.report("reasons", &["--html", &html]);
    ok(&out);
    let page = std::fs::read_to_string(&html).expect("the page is written");
    assert!(
        page.contains("Call reasons") && page.contains("<svg"),
        "{page}"
    );
    assert!(
        page.contains("rule 1, eliminate"),
        "the rule sentence is shown"
    );
}

#[test]
fn cost_per_call_and_campaign_roi_follow_the_cost_model() {
    let store = Store::new("cost");
    let report = store.json("cost", &[]);
    // No agent states in a CSV import: no paid hours.
    close(&report["agent_paid_hours"], 0.0);
    // 1525 s on the line = 25.42 min × 0.12 = 3.05; 10 days × 1800.
    assert_eq!(report["days"], 10);
    assert_eq!(report["telecom_cost"], 305);
    assert_eq!(report["total_cost"], 1_800_305);
    assert_eq!(report["handled"]["count"], 5);
    assert_eq!(report["cost_per_call"], 360_061);
    let campaigns = report["campaigns"].as_array().expect("campaigns");
    let flyer = campaigns
        .iter()
        .find(|c| c["key"] == "flyer")
        .expect("the flyer");
    assert_eq!(flyer["contacts"]["count"], 3);
    assert_eq!(flyer["responders"], 3);
    close(&flyer["response_rate"], 3.0 / 20_000.0);
    assert_eq!(flyer["revenue"], 48_000);
    // 8000.00 + 2 handled × 3600.61.
    assert_eq!(flyer["cost"], 1_520_122);
    close(&flyer["roi"], 480.0 / 15_201.22);

    let text = ok(&store.report("cost", &[]));
    assert!(text.contains("Cost per call 3600.61 CNY"), "{text}");
    assert!(text.contains("Neighbourhood flyer"), "{text}");
}

#[test]
fn value_digest_counts_complaints_leads_and_visits_avoided_per_week() {
    let store = Store::new("value");
    let report = store.json("value", &[]);
    assert_eq!(report["currency"], "CNY");
    let weeks = report["rows"].as_array().expect("rows");
    assert_eq!(weeks.len(), 2);
    let first = &weeks[0];
    assert_eq!(first["contacts"], 5);
    assert_eq!(first["complaints"]["count"], 2);
    assert_eq!(first["praise"]["count"], 1);
    assert_eq!(first["leads"]["handed"]["count"], 1);
    assert_eq!(first["leads"]["open"]["count"], 1);
    assert_eq!(first["resolution"]["remote"]["count"], 1);
    assert_eq!(first["resolution"]["site_visit"]["count"], 1);
    // One remote resolution × 150.00 a visit.
    assert_eq!(first["value_created"], 15_000);
    let second = &weeks[1];
    assert_eq!(second["resolution"]["site_visits_change"], -1);
    assert_eq!(second["resolution"]["customers_served_remotely"], 1);
    let topic = &second["topics"][0];
    assert_eq!(topic["topic"], "Where is my order");
    assert_eq!(topic["previous"], 2);

    let text = ok(&store.report("value", &[]));
    assert!(text.contains("Complaints and praise to read"), "{text}");
    assert!(text.contains("Service outage"), "{text}");
}

#[test]
fn contract_terms_pass_or_fail_and_a_missing_contract_says_what_to_add() {
    let store = Store::new("contract");
    let report = store.json("contract", &[]);
    assert_eq!(report["contract"], "Outsourcer A, 2024");
    let term = |key: &str| {
        report["terms"]
            .as_array()
            .expect("terms")
            .iter()
            .find(|t| t["term"] == key)
            .unwrap_or_else(|| panic!("a {key} term"))
            .clone()
    };
    close(&term("fcr_min")["measured"], 0.75);
    assert_eq!(term("fcr_min")["status"], "pass");
    close(&term("csat_min")["measured"], 0.5);
    assert_eq!(term("csat_min")["status"], "fail");
    assert_eq!(term("quality_min")["status"], "not_measurable");

    let html = store.path("contract.html");
    ok(&store.report("contract", &["--html", &html]));
    let page = std::fs::read_to_string(&html).expect("the page is written");
    assert!(
        page.contains("Contract check: Outsourcer A, 2024"),
        "{page}"
    );
    assert!(page.contains("class=\"n bad\""), "a failed term is marked");

    let bare = store.path("bare.toml");
    std::fs::write(&bare, "currency = \"CNY\"\n").expect("settings written");
    let database = store.database();
    let out = switchboard(&[
        "report",
        "contract",
        "--settings",
        &bare,
        "--database",
        &database,
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no [contract] section"), "{stderr}");
}
