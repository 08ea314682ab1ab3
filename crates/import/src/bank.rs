//! The Anonymous Bank call log (Technion SEE lab; Brown et al., JASA 2005;
//! `data/anonymous_bank_february.tsv`): one tab-separated row per call,
//! clock times in Israel.
//!
//! Key items: [`read`] and [`TIME_ZONE`]. Each call becomes a contact with
//! one leg in the queue named by its `type` (PS, PE, NW, NE, IN, TT),
//! answered by the agent named by `server`; `vru+line/call_id` is its
//! source id, `customer_id` (when not 0) and `vru+line` are attributes,
//! `priority` its priority. The log has no agent states and no caller
//! numbers, so the import has neither: the agent report shows handled
//! calls and AHT, not logged-in time.
//!
//! Rules, in the order they apply:
//! 1. **Clock times** are placed on the row's `date`, or on the day before
//!    or after when that puts them within 12 hours of `vru_entry`: a call
//!    that crosses midnight (23:59:54 → 0:00:27) keeps its order.
//! 2. **Durations come from the duration columns.** The wait is `q_time`
//!    and the talk is `ser_time`, as published and as the literature uses
//!    them; `q_exit` is always `q_start + q_time`, while `ser_start` often
//!    disagrees with `q_exit` by a second or more (two clocks). So a leg
//!    enters its queue at queue entry, leaves the line at entry +
//!    `q_time` (the answer or the abandon), and an answered call's talk
//!    runs `ser_time` from the answer. Wrap-up is zero (not in the log).
//! 3. **Queue entry** is `q_start` when the call queued, else `vru_exit`
//!    (answered straight from the IVR, a wait of 0). A call queued unless
//!    `q_start` is 0:00:00 with `q_time` 0: 0:00:00 is the log's "empty",
//!    but with a `q_time` it is a real midnight.
//! 4. **Arrival** is `vru_entry`, or the queue entry when that is earlier
//!    (the IVR's clock runs ahead of the queue's on some rows: a negative
//!    `vru_time`).
//! 5. `PHANTOM` calls are ghost records, not callers: not imported (as in
//!    `wfm::forecast::bank`).
//! 6. `HANG` calls that never queued hung up in the IVR: they were never
//!    offered to a queue, so they are not imported. (`wfm` counts them as
//!    arrivals, because they load the center's lines.)
//! 7. `HANG` calls that queued are abandoned after `q_time`. Some carry
//!    `ser_start`/`ser_time` with `NO_SERVER`; those columns are ignored.
//! 8. `AGENT` calls are answered after `q_time`. They are handled by
//!    `server` (talk `ser_time`, wrap-up zero) except two dirty kinds that
//!    are answered but not handled, so they count in answered, ASA and
//!    service level but not in handled or AHT (as `wfm` leaves them out of
//!    AHT):
//!    * no service recorded (`ser_start` 0:00:00 and `ser_time` 0): no
//!      agent's work is known; the leg ends at the answer;
//!    * `server` `NO_SERVER`: no agent served them (their median `ser_time`
//!      is 6 s); the leg ends `ser_time` after the answer, with no agent.
//! 9. A `customer_id` that is not digits (21 rows hold spreadsheet
//!    scientific notation such as `6.02701E+11`, the real id lost) is left
//!    out of the attributes; the call is imported.
//! 10. A row that cannot be read (wrong number of fields, a bad date, clock,
//!     number or code, an unknown outcome) is rejected with its line number.
//!
//! Counts in [`Report::counts`](crate::Report::counts): `phantom`, `hung up
//! in the IVR`, `abandoned`, `customer id not a number`, `abandoned with service columns`, `answered`,
//! `answered from the IVR`, `answered without service`, `answered by
//! NO_SERVER`, `handled`, `queue start at midnight`, `queue entry on
//! another day`, `IVR clock ahead`, `service start before queue exit`
//! (informational: rule 2 makes it harmless), `blank line`.

use std::io::Read;

use acd::model::{Code, Priority, Time};
use acd::record::LegEnd;
use jiff::SignedDuration;
use jiff::civil::{Date, DateTime};

use crate::build::{self, Builder, Caller, Fail, reject};
use crate::error::Error;
use crate::{Import, Names, Options, source};

/// The center's time zone.
pub const TIME_ZONE: &str = "Asia/Jerusalem";

/// The columns read, by header name.
const COLUMNS: [&str; 15] = [
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_time",
    "server",
];

const DAY: i32 = 86_400;

/// Reads the tab-separated log (header row, columns as in `data/README.md`);
/// `progress` gets the bytes read so far.
pub fn read<R: Read, P: FnMut(u64)>(
    input: R,
    options: &Options,
    progress: P,
) -> Result<Import, Error> {
    let mut import = Bank {
        builder: Builder::new(options.first_contact),
        names: options.names.clone(),
        options,
        vru_line: Code::parse("vru_line").expect("a valid code"),
        customer: Code::parse("customer").expect("a valid code"),
    };
    let mut columns: Option<(usize, [usize; COLUMNS.len()])> = None;
    let count = source::lines(input, progress, |number, text| {
        let Some((width, columns)) = columns else {
            columns = Some(header(text.map_err(Error::BadHeader)?)?);
            return Ok(());
        };
        match text {
            Ok(text) if text.trim().is_empty() => import.builder.count("blank line"),
            Ok(text) => import.row(number, text, width, &columns)?,
            Err(reason) => import.builder.reject(number, reason),
        }
        Ok(())
    })?;
    if columns.is_none() {
        return Err(Error::NoHeader);
    }
    import.builder.lines(count);
    Ok(import.builder.finish(import.names))
}

/// The number of header fields and the index of each column read.
fn header(text: &str) -> Result<(usize, [usize; COLUMNS.len()]), Error> {
    let names: Vec<&str> = text.split('\t').map(str::trim).collect();
    let mut columns = [0; COLUMNS.len()];
    for (slot, name) in columns.iter_mut().zip(COLUMNS) {
        *slot = names
            .iter()
            .position(|h| *h == name)
            .ok_or(Error::MissingColumn(name))?;
    }
    Ok((names.len(), columns))
}

struct Bank<'a> {
    builder: Builder,
    names: Names,
    options: &'a Options,
    vru_line: Code,
    customer: Code,
}

/// A row's outcome.
enum Outcome {
    Agent,
    Hang,
    Phantom,
}

impl Bank<'_> {
    /// Imports one row, or rejects it.
    fn row(
        &mut self,
        number: u64,
        text: &str,
        width: usize,
        columns: &[usize; COLUMNS.len()],
    ) -> Result<(), Error> {
        let fields: Vec<&str> = text.split('\t').map(str::trim).collect();
        if fields.len() != width {
            self.builder.reject(
                number,
                format!(
                    "expected {width} tab-separated fields, found {}",
                    fields.len()
                ),
            );
            return Ok(());
        }
        // In range: every column index is below the header's width.
        let values = std::array::from_fn(|i| fields[columns[i]]);
        match self.call(values) {
            Ok(()) => Ok(()),
            Err(Fail::Reject(reason)) => {
                self.builder.reject(number, reason);
                Ok(())
            }
            Err(Fail::Fatal(error)) => Err(error),
        }
    }

    fn call(&mut self, values: [&str; COLUMNS.len()]) -> Result<(), Fail> {
        let [
            vru_line,
            call_id,
            customer,
            priority,
            kind,
            date,
            vru_entry,
            vru_exit,
            q_start,
            q_exit,
            q_time,
            outcome,
            ser_start,
            ser_time,
            server,
        ] = values;
        let outcome = match outcome {
            "AGENT" => Outcome::Agent,
            "HANG" => Outcome::Hang,
            "PHANTOM" => Outcome::Phantom,
            other => {
                return reject(format!("outcome {other:?} is not AGENT, HANG or PHANTOM"));
            }
        };
        // Everything is read before any rule counts the row, so a rejected
        // row is in no count.
        let date = parse_date(date)?;
        let entry_clock = parse_clock("vru_entry", vru_entry)?;
        let q_time = parse_secs("q_time", q_time)?;
        let ser_time = parse_secs("ser_time", ser_time)?;
        let queued = q_start != "0:00:00" || q_time > 0;
        let service = ser_start != "0:00:00" || ser_time > 0;
        let place = |column, text| {
            let clock = parse_clock(column, text)?;
            place(date, entry_clock, clock).map_err(|e| at(column, e))
        };
        let arrival = place("vru_entry", vru_entry)?;
        let entry = if queued {
            place("q_start", q_start)?
        } else {
            place("vru_exit", vru_exit)?
        };
        let service_early =
            queued && service && place("ser_start", ser_start)? < place("q_exit", q_exit)?;
        let queued_at = source::civil_time(entry, &self.options.time_zone).map_err(Fail::Reject)?;
        let arrived = source::civil_time(arrival, &self.options.time_zone).map_err(Fail::Reject)?;
        let priority = priority
            .parse::<u8>()
            .map(Priority)
            .map_err(|_| Fail::Reject(format!("priority {priority:?} is not a number 0-255")))?;
        let vru_line_code = code("vru+line", vru_line)?;
        // `Some(None)`: 0, unidentified. `None`: not digits; a spreadsheet
        // wrote some ids as 6.02701E+11, and the id is lost, not the call.
        let customer = if customer == "0" {
            Some(None)
        } else if !customer.is_empty() && customer.bytes().all(|b| b.is_ascii_digit()) {
            Some(Some(code("customer_id", customer)?))
        } else {
            None
        };
        if kind.is_empty() {
            return reject("type is empty".to_owned());
        }
        if server.is_empty() {
            return reject("server is empty".to_owned());
        }

        match outcome {
            Outcome::Phantom => {
                self.builder.count("phantom");
                return Ok(());
            }
            Outcome::Hang if !queued => {
                self.builder.count("hung up in the IVR");
                return Ok(());
            }
            _ => {}
        }
        if queued && q_start == "0:00:00" {
            self.builder.count("queue start at midnight");
        }
        if entry.date() != date {
            self.builder.count("queue entry on another day");
        }
        if service_early {
            self.builder.count("service start before queue exit");
        }
        if arrived > queued_at {
            self.builder.count("IVR clock ahead");
        }
        let mut attributes = vec![(self.vru_line.clone(), vru_line_code)];
        match customer {
            Some(Some(id)) => attributes.push((self.customer.clone(), id)),
            Some(None) => {}
            None => self.builder.count("customer id not a number"),
        }
        let queue = self.builder.queue(&mut self.names, kind)?;
        let mut leg = build::leg(queue, queued_at);
        let left = after(queued_at, q_time);
        if matches!(outcome, Outcome::Hang) {
            self.builder.count("abandoned");
            if service {
                self.builder.count("abandoned with service columns");
            }
            leg.ended = Some(left);
            leg.end = Some(LegEnd::Abandoned);
        } else {
            self.builder.count("answered");
            if !queued {
                self.builder.count("answered from the IVR");
            }
            leg.answered = Some(left);
            leg.end = Some(LegEnd::Handled);
            if !service {
                self.builder.count("answered without service");
                leg.ended = Some(left);
            } else if server == "NO_SERVER" {
                self.builder.count("answered by NO_SERVER");
                leg.ended = Some(after(left, ser_time));
            } else {
                self.builder.count("handled");
                leg.agent = Some(self.builder.agent(&mut self.names, server)?);
                leg.ended = Some(after(left, ser_time));
                leg.wrap_ended = leg.ended;
            }
        }
        let caller = Caller {
            ani: None,
            dnis: self.options.unknown_dnis.clone(),
            priority,
            attributes,
            arrived: arrived.min(queued_at),
        };
        let id = self.builder.contact_id()?;
        let record = build::contact(id, caller, vec![leg]);
        self.builder
            .finished(record, format!("{vru_line}/{call_id}"), None);
        Ok(())
    }
}

fn at(column: &str, reason: String) -> Fail {
    Fail::Reject(format!("{column}: {reason}"))
}

fn after(t: Time, secs: u32) -> Time {
    Time::from_millis(t.as_millis() + u64::from(secs) * 1000)
}

fn code(column: &str, text: &str) -> Result<Code, Fail> {
    Code::parse(text).map_err(|e| at(column, e.to_string()))
}

/// `clock` (seconds of the day) on `date`, or the day before or after when
/// that puts it within 12 hours of `reference`.
fn place(date: Date, reference: i32, clock: i32) -> Result<DateTime, String> {
    let shift = if clock - reference < -DAY / 2 {
        DAY
    } else if clock - reference >= DAY / 2 {
        -DAY
    } else {
        0
    };
    date.to_datetime(jiff::civil::Time::midnight())
        .checked_add(SignedDuration::from_secs(i64::from(clock + shift)))
        .map_err(|e| e.to_string())
}

/// `YYMMDD`, the century as POSIX `%y` has it: 69–99 are 19xx.
fn parse_date(text: &str) -> Result<Date, Fail> {
    let bad = || at("date", format!("{text:?} is not a date YYMMDD"));
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| text[r].parse::<i16>().map_err(|_| bad());
    let yy = num(0..2)?;
    let year = if yy >= 69 { 1900 + yy } else { 2000 + yy };
    let month = i8::try_from(num(2..4)?).map_err(|_| bad())?;
    let day = i8::try_from(num(4..6)?).map_err(|_| bad())?;
    Date::new(year, month, day).map_err(|_| bad())
}

/// `H:MM:SS` on a 24-hour clock, as seconds of the day.
fn parse_clock(column: &str, text: &str) -> Result<i32, Fail> {
    let bad = || at(column, format!("{text:?} is not a clock time H:MM:SS"));
    let mut parts = text.split(':').map(|p| {
        (!p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<i32>().ok())
            .flatten()
    });
    let (Some(Some(h)), Some(Some(m)), Some(Some(s)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60 + s)
}

/// A whole number of seconds.
fn parse_secs(column: &str, text: &str) -> Result<u32, Fail> {
    text.parse()
        .map_err(|_| at(column, format!("{text:?} is not a whole number of seconds")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_land_within_twelve_hours_of_the_entry() {
        let date = Date::constant(1999, 2, 10);
        let late = 23 * 3600 + 59 * 60 + 54;
        assert_eq!(
            place(date, late, 27).unwrap(),
            Date::constant(1999, 2, 11).at(0, 0, 27, 0)
        );
        assert_eq!(
            place(date, 30, late).unwrap(),
            Date::constant(1999, 2, 9).at(23, 59, 54, 0)
        );
        assert_eq!(place(date, 3600, 3000).unwrap(), date.at(0, 50, 0, 0));
    }

    #[test]
    fn bad_fields_name_the_column() {
        assert!(parse_clock("q_start", "7:61:00").is_err());
        assert!(parse_clock("q_start", "24:00:00").is_err());
        assert_eq!(parse_clock("q_start", "7:02:47").ok(), Some(25_367));
        assert!(parse_date("990230").is_err());
        assert!(parse_secs("q_time", "-5").is_err());
    }
}
