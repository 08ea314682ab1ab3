//! The real-data test: the Anonymous Bank's February 1999
//! (`data/anonymous_bank_february.tsv`) imported, then reported by `kpi`
//! per queue and local day in Asia/Jerusalem, against daily figures
//! computed here straight from the TSV columns with plain string splitting,
//! by the dirty-row rules documented in `import::bank`.
//!
//! Figures compared, per queue and day and per day in total: offered,
//! answered, abandoned, handled; service level by the `Answered` definition
//! (answered within T = 20 s ÷ answered, Asterisk's SL) and by the
//! `Offered` definition (answered within T ÷ offered, short abandons
//! disabled); ASA (mean `q_time` of answered calls) and AHT (mean
//! `ser_time` of handled calls, wrap-up zero). Counts must match exactly,
//! averages within 1e-9.

mod common;

use std::collections::BTreeMap;

use acd::model::Span;
use import::{Format, Options};
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use kpi::{Bucketing, Count, Interval, Ledger, QueueOptions, SlDefinition};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/anonymous_bank_february.tsv"
);

/// One queue's (or the center's) figures for one day.
#[derive(Debug, Default, Clone, PartialEq)]
struct Day {
    offered: u64,
    answered: u64,
    abandoned: u64,
    handled: u64,
    /// Answered within 20 s.
    within: u64,
    /// Sum of the answered calls' waits, in seconds.
    wait: u64,
    /// Sum of the handled calls' talk, in seconds.
    handle: u64,
}

impl Day {
    fn add(&mut self, other: &Day) {
        self.offered += other.offered;
        self.answered += other.answered;
        self.abandoned += other.abandoned;
        self.handled += other.handled;
        self.within += other.within;
        self.wait += other.wait;
        self.handle += other.handle;
    }
}

fn secs(clock: &str) -> i64 {
    let parts: Vec<i64> = clock.split(':').map(|p| p.parse().unwrap()).collect();
    parts[0] * 3600 + parts[1] * 60 + parts[2]
}

/// The figures by (queue, day), from the columns, by the documented rules.
fn expected(text: &str) -> BTreeMap<(String, Date), Day> {
    let mut days: BTreeMap<(String, Date), Day> = BTreeMap::new();
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_end_matches('\r')
        .split('\t')
        .collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (kind, date, vru_entry, vru_exit, q_start, q_time, outcome, ser_start, ser_time, server) = (
        col("type"),
        col("date"),
        col("vru_entry"),
        col("vru_exit"),
        col("q_start"),
        col("q_time"),
        col("outcome"),
        col("ser_start"),
        col("ser_time"),
        col("server"),
    );
    for line in lines {
        let f: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
        let queued = f[q_start] != "0:00:00" || f[q_time] != "0";
        match f[outcome] {
            "PHANTOM" => continue,
            "HANG" if !queued => continue,
            _ => {}
        }
        // The day of queue entry: the row's date, unless the entry clock is
        // more than 12 hours from the IVR entry (the call crossed midnight).
        let entry = secs(if queued { f[q_start] } else { f[vru_exit] });
        let reference = secs(f[vru_entry]);
        let d = &f[date];
        let mut day = Date::new(
            1900 + d[0..2].parse::<i16>().unwrap(),
            d[2..4].parse().unwrap(),
            d[4..6].parse().unwrap(),
        )
        .unwrap();
        if entry - reference < -43_200 {
            day = day.checked_add(1.day()).unwrap();
        } else if entry - reference >= 43_200 {
            day = day.checked_sub(1.day()).unwrap();
        }
        let figures = days.entry((f[kind].to_owned(), day)).or_default();
        figures.offered += 1;
        let wait: u64 = f[q_time].parse().unwrap();
        let talk: u64 = f[ser_time].parse().unwrap();
        if f[outcome] == "HANG" {
            figures.abandoned += 1;
        } else {
            figures.answered += 1;
            figures.wait += wait;
            figures.within += u64::from(wait <= 20);
            let service = f[ser_start] != "0:00:00" || talk > 0;
            if service && f[server] != "NO_SERVER" {
                figures.handled += 1;
                figures.handle += talk;
            }
        }
    }
    days
}

fn close(a: Option<f64>, b: Option<f64>, what: &str) {
    match (a, b) {
        (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-9, "{what}: {a} vs {b}"),
        _ => assert_eq!(a, b, "{what}"),
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[test]
fn daily_report_matches_the_columns() {
    let text = std::fs::read_to_string(PATH).unwrap();
    let options = Options::for_format(Format::Bank).unwrap();
    let mut read = 0;
    let import = import::import(Format::Bank, text.as_bytes(), &options, |n| read = n).unwrap();
    assert_eq!(read, text.len() as u64, "progress reaches the whole file");
    assert_eq!(import.rejected, vec![], "the file has no unreadable row");
    common::check_log(&import.facts);

    let want = expected(&text);
    let report = &import.report;
    assert_eq!(report.lines, 33_345);
    assert_eq!(report.count("phantom"), 278);
    assert_eq!(report.count("hung up in the IVR"), 1_941);
    assert_eq!(report.contacts, 33_344 - 278 - 1_941);
    assert_eq!(
        report.contacts,
        want.values().map(|d| d.offered).sum::<u64>()
    );
    assert_eq!(report.count("answered"), 27_162);
    assert_eq!(report.count("answered without service"), 50);
    assert_eq!(report.count("answered by NO_SERVER"), 491);
    assert_eq!(report.count("handled"), 27_162 - 50 - 491);
    assert_eq!(report.count("abandoned"), 5_904 - 1_941);
    assert!(report.unfinished.is_empty());

    let ledger = Ledger::from_facts(&import.facts).unwrap();
    let zone = TimeZone::get("Asia/Jerusalem").unwrap();
    let mut queue_options = QueueOptions::new(Bucketing {
        interval: Interval::Day,
        time_zone: zone.clone(),
    });
    queue_options.threshold = Span::from_secs(20);
    queue_options.short_abandon = Span::ZERO;
    let rows = ledger.queue_report(&queue_options).unwrap().rows;

    let mut seen = BTreeMap::new();
    // The center's day: counts add; averages are weighted back to sums.
    let mut totals: BTreeMap<Date, (Day, f64, f64)> = BTreeMap::new();
    for row in &rows {
        let queue = import.names.queue_name(row.queue).unwrap().to_owned();
        let day = row.start.date();
        assert_eq!(
            row.start,
            day.to_zoned(zone.clone()).unwrap(),
            "rows start at local midnight"
        );
        let what = format!("{queue} {day}");
        let want = &want[&(queue.clone(), day)];
        assert!(seen.insert((queue, day), ()).is_none(), "{what}: one row");
        let figures = Day {
            offered: row.count(Count::Offered),
            answered: row.count(Count::Answered),
            abandoned: row.count(Count::Abandoned),
            handled: row.count(Count::Handled),
            within: row.count(Count::AnsweredWithin),
            ..Day::default()
        };
        assert_eq!(
            figures,
            Day {
                wait: 0,
                handle: 0,
                ..want.clone()
            },
            "{what}: offered, answered, abandoned, handled, answered within 20 s"
        );
        assert_eq!(row.count(Count::TimedOut) + row.count(Count::Overflowed), 0);
        close(
            row.service_level(SlDefinition::Answered),
            ratio(want.within, want.answered),
            &format!("{what}: SL (answered)"),
        );
        close(
            row.service_level(SlDefinition::Offered),
            ratio(want.within, want.offered),
            &format!("{what}: SL (offered)"),
        );
        close(
            row.asa,
            ratio(want.wait, want.answered),
            &format!("{what}: ASA"),
        );
        close(
            row.aht,
            ratio(want.handle, want.handled),
            &format!("{what}: AHT"),
        );
        let (total, wait, handle) = totals.entry(day).or_default();
        total.add(&figures);
        *wait += row.asa.unwrap_or(0.0) * figures.answered as f64;
        *handle += row.aht.unwrap_or(0.0) * figures.handled as f64;
    }
    assert_eq!(
        seen.len(),
        want.len(),
        "a row for every queue and day with calls"
    );

    let mut want_totals: BTreeMap<Date, Day> = BTreeMap::new();
    for ((_, day), figures) in &want {
        want_totals.entry(*day).or_default().add(figures);
    }
    assert_eq!(totals.len(), 28, "every day of February");
    assert_eq!(totals.len(), want_totals.len());
    for (day, (total, wait, handle)) in &totals {
        let want = &want_totals[day];
        assert_eq!(
            total,
            &Day {
                wait: 0,
                handle: 0,
                ..want.clone()
            },
            "{day}"
        );
        let what = |kpi: &str| format!("{day} total: {kpi}");
        close(
            ratio(total.within, total.answered),
            ratio(want.within, want.answered),
            &what("SL (answered)"),
        );
        close(
            Some(wait / total.answered as f64),
            ratio(want.wait, want.answered),
            &what("ASA"),
        );
        close(
            Some(handle / total.handled as f64),
            ratio(want.handle, want.handled),
            &what("AHT"),
        );
    }
}

#[test]
fn each_dirty_row_follows_its_rule_and_bad_rows_are_reported() {
    let header = "vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\tq_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver";
    let rows = [
        // 2: queued 14 s, handled by DORIT for 111 s.
        "AA0101\t1\t0\t0\tPS\t990201\t7:02:47\t7:02:56\t9\t7:02:56\t7:03:10\t14\tAGENT\t7:03:09\t7:05:00\t111\tDORIT",
        // 3: a clock that does not exist.
        "AA0101\t2\t0\t0\tPS\t990201\t7:61:00\t7:02:56\t9\t7:02:56\t7:03:10\t14\tAGENT\t7:03:09\t7:05:00\t111\tDORIT",
        // 4: a ghost.
        "AA0101\t3\t0\t0\tPS\t990201\t8:00:00\t8:00:05\t5\t8:00:05\t8:00:30\t25\tPHANTOM\t8:00:30\t8:00:34\t4\tNO_SERVER",
        // 5: hung up in the IVR.
        "AA0101\t4\t0\t0\tPS\t990201\t8:10:00\t8:10:05\t5\t0:00:00\t0:00:00\t0\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER",
        // 6: cut short.
        "AA0101\t5",
        // 7: an outcome the log does not have.
        "AA0101\t6\t0\t0\tPS\t990201\t8:20:00\t8:20:05\t5\t8:20:05\t8:20:30\t25\tBUSY\t0:00:00\t0:00:00\t0\tNO_SERVER",
        // 8: joins the queue at midnight, answered 27 s later, talks 67 s.
        "AA0102\t7\t15696776\t2\tPS\t990210\t23:59:54\t23:59:54\t0\t0:00:00\t0:00:27\t27\tAGENT\t0:00:26\t0:01:33\t67\tAVNI",
        // 9: answered with no service recorded.
        "AA0101\t8\t0\t0\tNW\t990201\t9:00:00\t9:00:10\t10\t9:00:10\t9:00:20\t10\tAGENT\t0:00:00\t0:00:00\t0\tYIFAT",
        // 10: answered straight from the IVR by NO_SERVER.
        "AA0101\t9\t0\t0\tPS\t990201\t9:10:00\t9:10:08\t8\t0:00:00\t0:00:00\t0\tAGENT\t9:10:07\t9:10:12\t5\tNO_SERVER",
        // 11: a customer id a spreadsheet mangled; abandoned after 30 s.
        "AA0101\t10\t6.02701E+11\t1\tPS\t990201\t9:20:00\t9:20:05\t5\t9:20:05\t9:20:35\t30\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER",
    ];
    let text = format!("{header}\r\n{}\r\n", rows.join("\r\n"));
    let options = Options::for_format(Format::Bank).unwrap();
    let import = import::bank::read(text.as_bytes(), &options, |_| {}).unwrap();
    common::check_log(&import.facts);
    let lines: Vec<(u64, &str)> = import
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (3, "vru_entry: \"7:61:00\" is not a clock time H:MM:SS"),
            (6, "expected 17 tab-separated fields, found 2"),
            (7, "outcome \"BUSY\" is not AGENT, HANG or PHANTOM"),
        ]
    );
    let r = &import.report;
    assert_eq!(r.contacts, 5);
    for (key, n) in [
        ("phantom", 1),
        ("hung up in the IVR", 1),
        ("queue start at midnight", 1),
        ("queue entry on another day", 1),
        ("answered without service", 1),
        ("answered by NO_SERVER", 1),
        ("answered from the IVR", 1),
        ("customer id not a number", 1),
        ("handled", 2),
        ("answered", 4),
        ("abandoned", 1),
    ] {
        assert_eq!(r.count(key), n, "{key}");
    }

    let ledger = Ledger::from_facts(&import.facts).unwrap();
    let legs = ledger.legs();
    let zone = TimeZone::get(import::bank::TIME_ZONE).unwrap();
    let local = |t: acd::model::Time| {
        jiff::Timestamp::from_millisecond(t.as_millis() as i64)
            .unwrap()
            .to_zoned(zone.clone())
            .datetime()
    };
    let summary: Vec<_> = legs
        .iter()
        .map(|leg| {
            (
                local(leg.queued).to_string(),
                leg.wait().as_millis() / 1000,
                leg.work.as_ref().map(|w| w.handle().as_millis() / 1000),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("1999-02-01T07:02:56".to_owned(), 14, Some(111)),
            ("1999-02-01T09:00:10".to_owned(), 10, None),
            ("1999-02-01T09:10:08".to_owned(), 0, None),
            ("1999-02-01T09:20:05".to_owned(), 30, None),
            ("1999-02-11T00:00:00".to_owned(), 27, Some(67)),
        ]
    );
}
