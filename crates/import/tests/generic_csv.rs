//! The generic CSV of `crates/import/CSV.md`: legs, transfers, overflows,
//! surveys and every kind of bad row, checked through `kpi`'s reports.

mod common;

use acd::model::{Code, Span};
use import::{Import, Options, Rejected};
use kpi::{Bucketing, Count, Interval, Ledger, QueueOptions, QueueRow};

const CSV: &str = "\
contact_id,queue,arrived,answered,ended,wrap_ended,agent,end,outcome,reason,ani,dnis,customer,priority,csat,notes
k1,billing,2024-03-01T09:00:00+07:00,2024-03-01T09:00:15+07:00,2024-03-01T09:05:15+07:00,2024-03-01T09:05:45+07:00,Lan,,sale,billing,+84901234567,1900,C-1,2,5,\"hello, world\"
k2,billing,2024-03-01T02:01:00Z,,2024-03-01T02:01:40Z,,,,,,,,,,,
k3,sales,2024-03-01 09:03:10,2024-03-01 09:03:30,2024-03-01 09:04:30,,Lan,,,,,,,,4,
k3,billing,2024-03-01 09:02:00,2024-03-01 09:02:10,2024-03-01 09:03:10,,Minh,,,,,,,,,
k4,billing,2024-03-01 09:10:00,,2024-03-01 09:12:00,,,voicemail,,,,,,,,
k5,billing,2024-03-01 09:20:00,,2024-03-01 09:20:30,,,,,,,,,,,
k5,sales,2024-03-01 09:20:30,2024-03-01 09:20:40,2024-03-01 09:21:40,,Minh,,,,,,,,,
k6,billing,2024-03-01 09:30:00,,,,,,,,,,,,,
k7,billing,2024-03-01 09:40:00,2024-03-01 09:39:00,2024-03-01 09:41:00,,Lan,,,,,,,,,
k7,sales,2024-03-01 09:41:00,,2024-03-01 09:42:00,,,,,,,,,,,
k8,billing,yesterday,,2024-03-01 09:42:00,,,,,,,,,,,
,billing,2024-03-01 09:43:00,,2024-03-01 09:44:00,,,,,,,,,,,
k9,billing,2024-03-01 09:45:00,,2024-03-01 09:46:00,,,,,,,,,,7,
k10,billing,2024-03-01 09:47:00
k11,billing,2024-03-01 09:48:00,,2024-03-01 09:49:00,,,overflowed,,,,,,,,
k12,billing,2024-03-01 09:50:00,,2024-03-01 09:51:00,,Lan,,,,,,,,,
";

fn run() -> Import {
    let options = Options::in_zone("Asia/Ho_Chi_Minh").unwrap();
    let mut read = 0;
    let import = import::generic_csv::read(CSV.as_bytes(), &options, |n| read = n).unwrap();
    assert_eq!(read, CSV.len() as u64);
    common::check_log(&import.facts);
    import
}

fn row(import: &Import, queue: &str) -> QueueRow {
    let options = QueueOptions::new(Bucketing {
        interval: Interval::Day,
        time_zone: jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap(),
    });
    let id = import.names.queue_id(queue).unwrap();
    let ledger = Ledger::from_facts(&import.facts).unwrap();
    let mut rows = ledger.queue_report(&options).unwrap().rows;
    rows.retain(|r| r.queue == id);
    assert_eq!(rows.len(), 1);
    rows.remove(0)
}

#[test]
fn legs_become_the_queue_report() {
    let import = run();
    // billing: k1 (15 s, talk 300 + wrap 30), k2 (abandoned), k3's first
    // leg (10 s, talk 60, transferred by default), k4 (voicemail), k5's
    // first leg (overflowed by default); k6 is open.
    let billing = row(&import, "billing");
    assert_eq!(billing.count(Count::Offered), 5);
    assert_eq!(billing.count(Count::Answered), 2);
    assert_eq!(billing.count(Count::Abandoned), 1);
    assert_eq!(billing.count(Count::TimedOut), 1);
    assert_eq!(billing.count(Count::Overflowed), 1);
    assert_eq!(billing.count(Count::Handled), 2);
    assert_eq!(billing.asa, Some(12.5));
    assert_eq!(billing.aht, Some((330.0 + 60.0) / 2.0));
    // sales: k3's second leg (20 s), k5's second (10 s), talk 60 each.
    let sales = row(&import, "sales");
    assert_eq!(sales.count(Count::Offered), 2);
    assert_eq!(sales.count(Count::TransferredIn), 1);
    assert_eq!(sales.count(Count::OverflowedIn), 1);
    assert_eq!(sales.count(Count::Handled), 2);
    assert_eq!((sales.asa, sales.aht), (Some(15.0), Some(60.0)));

    assert_eq!(import.report.unfinished, vec!["k6".to_owned()]);
    assert_eq!(import.report.count("ignored column notes"), 1);
    assert_eq!(import.report.lines, 17);

    let ledger = Ledger::from_facts(&import.facts).unwrap();
    let lan = import.names.agent_id("Lan").unwrap();
    let report = ledger.agent_report(None).unwrap();
    let lan = report.row(lan).unwrap();
    assert_eq!((lan.handled, lan.aht), (2, Some(195.0)));
    assert_eq!(lan.logged_in, Span::ZERO, "the CSV has no agent states");
}

#[test]
fn contact_columns_and_surveys() {
    let import = run();
    let ledger = Ledger::from_facts(&import.facts).unwrap();
    let (k1, _) = import.sources.iter().find(|(_, s)| s == "k1").unwrap();
    let k1 = ledger.contacts().iter().find(|c| c.id == *k1).unwrap();
    assert_eq!(k1.ani.as_ref().map(|n| n.as_str()), Some("+84901234567"));
    assert_eq!(k1.dnis.as_str(), "1900");
    assert_eq!(k1.priority.0, 2);
    let code = |t: &str| Code::parse(t).unwrap();
    assert_eq!(k1.attributes, vec![(code("customer"), code("C-1"))]);
    assert_eq!(k1.legs[0].outcome, Some(code("sale")));
    assert_eq!(k1.legs[0].reason, Some(code("billing")));
    let scores: Vec<(String, u8)> = ledger
        .surveys()
        .iter()
        .map(|s| {
            let source = import.sources.iter().find(|(id, _)| *id == s.contact);
            (source.unwrap().1.clone(), s.score.get())
        })
        .collect();
    // Dated at each contact's finish: k3 at 09:04:30, k1 at 09:05:45.
    assert_eq!(scores, vec![("k3".to_owned(), 4), ("k1".to_owned(), 5)]);
    assert_eq!(import.report.surveys, 2);
}

#[test]
fn bad_rows_are_reported_with_their_line_number() {
    let import = run();
    let rejected = |line, reason: &str| Rejected {
        line,
        reason: reason.to_owned(),
    };
    assert_eq!(
        import.rejected,
        vec![
            rejected(10, "answered is before arrived"),
            rejected(11, "another row of contact k7 (line 10) was rejected"),
            rejected(
                12,
                "arrived: \"yesterday\" is not a date and time (expected RFC 3339, e.g. 2024-03-01T09:00:05+07:00)"
            ),
            rejected(13, "contact_id is empty"),
            rejected(14, "csat: \"7\" is not a score 1-5"),
            rejected(15, "the row has 3 fields, the header 16"),
            rejected(16, "end is overflowed, but no later leg follows"),
            rejected(17, "agent is set, but answered is empty"),
        ]
    );
}

#[test]
fn the_example_in_csv_md_imports_as_it_says() {
    let doc = include_str!("../CSV.md");
    let start = doc.find("```csv\n").unwrap() + "```csv\n".len();
    let example = &doc[start..start + doc[start..].find("```").unwrap()];
    let options = Options::in_zone("Asia/Ho_Chi_Minh").unwrap();
    let import = import::generic_csv::read(example.as_bytes(), &options, |_| {}).unwrap();
    assert_eq!(import.rejected, vec![]);
    common::check_log(&import.facts);
    assert_eq!((import.report.contacts, import.report.legs), (4, 5));
    let billing = row(&import, "billing");
    assert_eq!(
        (
            billing.count(Count::Answered),
            billing.count(Count::Abandoned),
            billing.count(Count::TimedOut)
        ),
        (2, 1, 1)
    );
    assert_eq!(row(&import, "sales").count(Count::TransferredIn), 1);
}
