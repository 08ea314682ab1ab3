//! The Anonymous Bank call log (Technion SEE lab; Brown et al., JASA
//! 2005) as interval history.
//!
//! Key types: [`BankImport`] (the history and a [`BankReport`] counting
//! every kind of row) and [`load`].
//!
//! Rules, applied to each call of the tab-separated log:
//! * A contact arrives in the interval holding its `vru_entry` on its
//!   `date`: that is when the caller reached the center, whether it then
//!   queued, was answered straight from the IVR, or hung up.
//! * `PHANTOM` calls are ghost records, not callers: they are not arrivals.
//! * AHT is the mean `ser_time` of the answered calls (`AGENT`) that
//!   arrived in the interval, except two dirty kinds that still count as
//!   arrivals: answered calls with `ser_start` 0:00:00 (no service was
//!   recorded, `ser_time` is 0) and answered calls with `server`
//!   `NO_SERVER` (no agent served them; their median `ser_time` is 6 s, so
//!   they would drag AHT down with time no agent spent).
//! * Every date present in the log becomes a whole day of intervals, 0
//!   where no call arrived; dates absent from the log stay unobserved.
//!
//! Nothing is dropped silently: [`BankReport`] counts each rule's rows.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use jiff::civil::{Date, DateTime, Time};
use serde::Serialize;

use super::history::{History, InputError, field_error, read_records};
use crate::series::{Demand, IntervalLength};

/// Calls counted by the rule that applied to them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BankReport {
    /// Data rows read.
    pub calls: u64,
    /// Calls counted as arrivals (all but phantoms).
    pub arrivals: u64,
    /// `PHANTOM` calls: not arrivals.
    pub phantom: u64,
    /// `HANG` calls: arrivals that abandoned.
    pub abandoned: u64,
    /// `AGENT` calls: arrivals that were answered.
    pub answered: u64,
    /// Answered calls that never queued (answered straight from the IVR):
    /// ordinary arrivals, listed because the column looks empty.
    pub answered_without_queueing: u64,
    /// Answered calls with `ser_start` 0:00:00: arrivals, left out of AHT.
    pub answered_without_service_start: u64,
    /// Answered calls served by `NO_SERVER`: arrivals, left out of AHT.
    pub answered_by_no_server: u64,
    /// Answered calls whose `ser_time` makes up the AHT.
    pub aht_calls: u64,
    /// Days in the log.
    pub days: u64,
}

/// The log as interval history, with what each rule did.
#[derive(Debug, Clone)]
pub struct BankImport {
    /// Arrivals and AHT per interval.
    pub history: History,
    /// Row counts per rule.
    pub report: BankReport,
}

#[derive(Default)]
struct Bin {
    arrivals: f64,
    service_seconds: f64,
    served: f64,
}

const COLUMNS: [&str; 7] = [
    "date",
    "vru_entry",
    "q_start",
    "outcome",
    "ser_start",
    "ser_time",
    "server",
];

/// Reads the tab-separated log (header row, columns as in
/// `data/README.md`) into `interval`-long history.
pub fn load(input: impl Read, interval: IntervalLength) -> Result<BankImport, InputError> {
    let (header, records) = read_records(input, b'\t')?;
    let mut cols = [0usize; COLUMNS.len()];
    for (slot, name) in cols.iter_mut().zip(COLUMNS) {
        *slot = header
            .iter()
            .position(|h| h == name)
            .ok_or(InputError::MissingColumn(name))?;
    }
    let [
        date_col,
        entry_col,
        q_start_col,
        outcome_col,
        ser_start_col,
        ser_time_col,
        server_col,
    ] = cols;

    let mut report = BankReport::default();
    let mut bins: BTreeMap<DateTime, Bin> = BTreeMap::new();
    let mut dates: BTreeSet<Date> = BTreeSet::new();
    for (line, record) in &records {
        let line = *line;
        let get = |col: usize| record.get(col).unwrap_or_default();
        report.calls += 1;
        let date = parse_date(get(date_col), line)?;
        let entry = parse_clock(get(entry_col), line, "vru_entry")?;
        dates.insert(date);
        let outcome = get(outcome_col);
        let answered = match outcome {
            "PHANTOM" => {
                report.phantom += 1;
                continue;
            }
            "HANG" => {
                report.abandoned += 1;
                false
            }
            "AGENT" => {
                report.answered += 1;
                true
            }
            other => {
                return Err(field_error(
                    line,
                    "outcome",
                    other,
                    "expected AGENT, HANG or PHANTOM",
                ));
            }
        };
        report.arrivals += 1;
        let bin = bins.entry(bin_start(date, entry, interval)).or_default();
        bin.arrivals += 1.0;
        if !answered {
            continue;
        }
        if get(q_start_col) == "0:00:00" {
            report.answered_without_queueing += 1;
        }
        let ser_start = parse_clock(get(ser_start_col), line, "ser_start")?;
        let ser_time_text = get(ser_time_col);
        let ser_time: u32 = ser_time_text.parse().map_err(|_| {
            field_error(
                line,
                "ser_time",
                ser_time_text,
                "not a whole number of seconds",
            )
        })?;
        if ser_start == Time::midnight() {
            report.answered_without_service_start += 1;
        } else if get(server_col) == "NO_SERVER" {
            report.answered_by_no_server += 1;
        } else {
            report.aht_calls += 1;
            bin.service_seconds += f64::from(ser_time);
            bin.served += 1.0;
        }
    }
    if report.calls == 0 {
        return Err(InputError::Empty);
    }
    report.days = dates.len() as u64;

    let per_day = interval.per_day();
    let mut observations = Vec::with_capacity(dates.len() * per_day as usize);
    for &date in &dates {
        for slot in 0..per_day {
            let minute = slot * interval.minutes();
            let start = date.to_datetime(clock(minute));
            let bin = bins.remove(&start).unwrap_or_default();
            observations.push(Demand {
                start,
                contacts: bin.arrivals,
                aht: (bin.served > 0.0 && bin.service_seconds > 0.0)
                    .then(|| bin.service_seconds / bin.served),
            });
        }
    }
    let history = History::new(interval, observations)
        .expect("whole days of grid-aligned, distinct, non-negative bins");
    Ok(BankImport { history, report })
}

fn clock(minute_of_day: u32) -> Time {
    let (h, m) = (minute_of_day / 60, minute_of_day % 60);
    Time::constant(h as i8, m as i8, 0, 0)
}

fn bin_start(date: Date, time: Time, interval: IntervalLength) -> DateTime {
    let minute =
        u32::from(time.hour().unsigned_abs()) * 60 + u32::from(time.minute().unsigned_abs());
    date.to_datetime(clock(minute - minute % interval.minutes()))
}

/// `YYMMDD`, the century chosen as in POSIX `%y`: 69–99 are 19xx.
fn parse_date(text: &str, line: u64) -> Result<Date, InputError> {
    let bad = || field_error(line, "date", text, "expected YYMMDD");
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| text[r].parse::<i16>().map_err(|_| bad());
    let yy = num(0..2)?;
    let year = if yy >= 69 { 1900 + yy } else { 2000 + yy };
    Date::new(year, num(2..4)? as i8, num(4..6)? as i8)
        .map_err(|e| field_error(line, "date", text, &e.to_string()))
}

/// `H:MM:SS` on a 24-hour clock.
fn parse_clock(text: &str, line: u64, field: &str) -> Result<Time, InputError> {
    let bad = || field_error(line, field, text, "expected a clock time H:MM:SS");
    let mut parts = text.split(':').map(|p| {
        (!p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<i8>().ok())
            .flatten()
    });
    let (Some(Some(h)), Some(Some(m)), Some(Some(s)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    Time::new(h, m, s, 0).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\tq_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver\n";

    fn row(entry: &str, outcome: &str, ser_start: &str, ser_time: u32, server: &str) -> String {
        format!(
            "AA0101\t1\t0\t0\tPS\t990201\t{entry}\t{entry}\t5\t0:00:00\t0:00:00\t0\t{outcome}\t{ser_start}\t{ser_start}\t{ser_time}\t{server}\r\n"
        )
    }

    #[test]
    fn each_dirty_row_is_counted_by_its_rule() {
        let text = [
            HEADER.to_owned(),
            row("7:02:47", "AGENT", "7:02:55", 100, "DORIT"),
            row("7:10:00", "AGENT", "7:10:05", 300, "TOVA"),
            row("7:20:00", "AGENT", "0:00:00", 0, "TOVA"),
            row("7:25:00", "AGENT", "7:25:05", 6, "NO_SERVER"),
            row("7:40:00", "PHANTOM", "7:40:00", 30, "NO_SERVER"),
            row("7:45:00", "HANG", "0:00:00", 0, "NO_SERVER"),
        ]
        .concat();
        let import = load(text.as_bytes(), IntervalLength::from_minutes(30).unwrap()).unwrap();
        let r = &import.report;
        assert_eq!(
            (r.calls, r.arrivals, r.phantom, r.abandoned, r.answered),
            (6, 5, 1, 1, 4)
        );
        assert_eq!(
            (
                r.answered_without_service_start,
                r.answered_by_no_server,
                r.aht_calls,
                r.answered_without_queueing,
                r.days
            ),
            (1, 1, 2, 4, 1)
        );
        let obs = import.history.observations();
        assert_eq!(obs.len(), 48);
        assert_eq!((obs[14].contacts, obs[14].aht), (4.0, Some(200.0)));
        assert_eq!((obs[15].contacts, obs[15].aht), (1.0, None));
        assert_eq!(obs.iter().map(|o| o.contacts).sum::<f64>(), 5.0);
    }

    #[test]
    fn a_bad_clock_names_line_field_and_value() {
        let text = [
            HEADER.to_owned(),
            row("7:02:47", "AGENT", "7:02:55", 100, "DORIT"),
            row("7:61:00", "HANG", "0:00:00", 0, "NO_SERVER"),
        ]
        .concat();
        let err = load(text.as_bytes(), IntervalLength::from_minutes(30).unwrap())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "line 3: field `vru_entry` has value \"7:61:00\": expected a clock time H:MM:SS"
        );
    }
}
