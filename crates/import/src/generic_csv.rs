//! Switchboard's generic CSV: one row per leg (a contact's pass through one
//! queue), for logs from any system that can export a table. The full
//! description, with an example, is `crates/import/CSV.md`.
//!
//! Key items: [`read`] and [`COLUMNS`].
//!
//! In brief: a header row names the columns, in any order; unknown columns
//! are ignored (counted under `ignored column X`). `contact_id`, `queue`
//! and `arrived` are required; `answered`, `ended`, `wrap_ended`, `agent`,
//! `end`, `outcome`, `reason`, `ani`, `dnis`, `customer`, `priority` and
//! `csat` are optional, and an empty cell is an absent value. Rows with
//! the same `contact_id` are the legs of one contact, ordered by `arrived`.
//! Times are RFC 3339 (`2024-03-01T09:00:05+07:00`); a time without an
//! offset is read in [`Options::time_zone`](crate::Options::time_zone).
//!
//! * `end` says how the leg ended: `handled`, `transferred`, `abandoned`,
//!   `overflowed` (to the queue of the contact's next leg) or `voicemail`
//!   (the queue's maximum wait: a timed-out leg). When it is empty: an
//!   answered leg is `transferred` if another leg follows, else `handled`;
//!   an unanswered one is `overflowed` if another leg follows, else
//!   `abandoned`.
//! * A leg answered with an `agent` is handled by that agent (talk from
//!   `answered` to `ended`, wrap-up to `wrap_ended`, which defaults to
//!   `ended`); answered without one, it counts as answered, not handled.
//! * `ani`, `dnis`, `customer` (an attribute) and `priority` are the
//!   contact's, read from its first leg; `csat` (1–5) is a survey answer
//!   dated at the contact's finish, and may be given on any of its rows, the
//!   same on each.
//! * A contact whose last leg has no `ended` was still open when exported:
//!   listed as unfinished, not logged.
//! * A row that cannot be read, or breaks a rule (a time before the one it
//!   follows, `end` contradicting `answered`, an `agent` on an unanswered
//!   leg, legs that overlap), is rejected with its line number, and so are
//!   the other rows of its contact, so a contact is never logged with a leg
//!   missing.

use std::collections::HashMap;
use std::io::Read;

use acd::config::Overflow;
use acd::model::{Code, PhoneNumber, Priority, Time};
use acd::record::LegEnd;
use jiff::tz::TimeZone;
use kpi::Score;

use crate::build::{self, Builder, Caller};
use crate::error::Error;
use crate::source::{self, Progress};
use crate::{Import, Names, Options};

/// Every column read, required ones first.
pub const COLUMNS: [&str; 15] = [
    "contact_id",
    "queue",
    "arrived",
    "answered",
    "ended",
    "wrap_ended",
    "agent",
    "end",
    "outcome",
    "reason",
    "ani",
    "dnis",
    "customer",
    "priority",
    "csat",
];

/// How many of [`COLUMNS`] are required.
const REQUIRED: usize = 3;

/// Reads the CSV; `progress` gets the bytes read so far.
pub fn read<R: Read, P: FnMut(u64)>(
    input: R,
    options: &Options,
    progress: P,
) -> Result<Import, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(Progress::new(input, progress));
    let header = reader.byte_headers().map_err(header_error)?.clone();
    if header.is_empty() {
        return Err(Error::NoHeader);
    }
    let mut builder = Builder::new(options.first_contact);
    let mut columns = [None; COLUMNS.len()];
    for (i, name) in header.iter().enumerate() {
        let name = String::from_utf8_lossy(name);
        // A spreadsheet may start the file with a byte-order mark.
        let name = name.trim_start_matches('\u{feff}');
        match COLUMNS.iter().position(|c| *c == name) {
            Some(slot) => columns[slot] = Some(i),
            None => builder.count(&format!("ignored column {name}")),
        }
    }
    for (slot, name) in columns.iter().zip(COLUMNS).take(REQUIRED) {
        if slot.is_none() {
            return Err(Error::MissingColumn(name));
        }
    }

    let mut contacts: Vec<Contact> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut records = 0;
    for record in reader.byte_records() {
        records += 1;
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                let reason = error.to_string();
                match error.into_kind() {
                    csv::ErrorKind::Io(error) => return Err(Error::Io(error)),
                    _ => builder.reject(line, reason),
                }
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let cells: Vec<Option<String>> = columns
            .iter()
            .map(|slot| {
                slot.and_then(|i| record.get(i))
                    .map(|cell| String::from_utf8_lossy(cell).into_owned())
                    .filter(|cell| !cell.is_empty())
            })
            .collect();
        let Some(id) = cells[0].clone() else {
            builder.reject(line, "contact_id is empty");
            continue;
        };
        let slot = *index.entry(id.clone()).or_insert_with(|| {
            contacts.push(Contact {
                source: id,
                rows: Vec::new(),
                failed: None,
            });
            contacts.len() - 1
        });
        let contact = &mut contacts[slot];
        let parsed = if record.len() != header.len() {
            Err(format!(
                "the row has {} fields, the header {}",
                record.len(),
                header.len()
            ))
        } else if std::str::from_utf8(record.as_slice()).is_err() {
            Err("the row is not UTF-8 text".to_owned())
        } else {
            parse_row(line, &cells, &options.time_zone)
        };
        match parsed {
            Ok(row) => contact.rows.push(row),
            Err(reason) => {
                builder.reject(line, reason);
                contact.failed.get_or_insert(line);
            }
        }
    }
    builder.lines(records + 1);

    let mut names = options.names.clone();
    for contact in contacts {
        log(contact, options, &mut names, &mut builder)?;
    }
    Ok(builder.finish(names))
}

fn header_error(error: csv::Error) -> Error {
    let reason = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(error) => Error::Io(error),
        _ => Error::BadHeader(reason),
    }
}

/// The rows of one `contact_id`.
struct Contact {
    source: String,
    rows: Vec<Row>,
    /// The first rejected row.
    failed: Option<u64>,
}

/// How a leg ended, as the `end` column says it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Handled,
    Transferred,
    Abandoned,
    Overflowed,
    Voicemail,
}

/// One row, read.
struct Row {
    line: u64,
    queue: String,
    arrived: Time,
    answered: Option<Time>,
    ended: Option<Time>,
    wrap_ended: Option<Time>,
    agent: Option<String>,
    end: Option<End>,
    outcome: Option<Code>,
    reason: Option<Code>,
    ani: Option<PhoneNumber>,
    dnis: Option<PhoneNumber>,
    customer: Option<Code>,
    priority: Option<Priority>,
    csat: Option<Score>,
}

/// Reads one row's cells (in [`COLUMNS`] order, `None` when empty) and
/// checks what one row can: times in order, `end` agreeing with `answered`.
fn parse_row(line: u64, cells: &[Option<String>], zone: &TimeZone) -> Result<Row, String> {
    let time = |i| field(cells, i, |t| source::timestamp(t, zone));
    let code = |i| field(cells, i, |t| Code::parse(t).map_err(|e| e.to_string()));
    let phone = |i| {
        field(cells, i, |t| {
            PhoneNumber::parse(t).map_err(|e| e.to_string())
        })
    };
    let row = Row {
        line,
        queue: field(cells, 1, |t| Ok(t.to_owned()))?.ok_or("queue is empty")?,
        arrived: time(2)?.ok_or("arrived is empty")?,
        answered: time(3)?,
        ended: time(4)?,
        wrap_ended: time(5)?,
        agent: field(cells, 6, |t| Ok(t.to_owned()))?,
        end: field(cells, 7, |t| {
            end_of(t).ok_or_else(|| {
                format!("{t:?} is not handled, transferred, abandoned, overflowed or voicemail")
            })
        })?,
        outcome: code(8)?,
        reason: code(9)?,
        ani: phone(10)?,
        dnis: phone(11)?,
        customer: code(12)?,
        priority: field(cells, 13, |t| {
            t.parse()
                .map(Priority)
                .map_err(|_| format!("{t:?} is not a number 0-255"))
        })?,
        csat: field(cells, 14, |t| {
            t.parse::<u8>()
                .ok()
                .and_then(|n| Score::new(n).ok())
                .ok_or_else(|| format!("{t:?} is not a score 1-5"))
        })?,
    };
    check_row(&row)?;
    Ok(row)
}

/// Cell `i` read by `parse`; `None` when empty; errors name the column.
fn field<T>(
    cells: &[Option<String>],
    i: usize,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    cells
        .get(i)
        .and_then(Option::as_deref)
        .map(|text| parse(text).map_err(|e| format!("{}: {e}", COLUMNS[i])))
        .transpose()
}

fn end_of(text: &str) -> Option<End> {
    Some(match text {
        "handled" => End::Handled,
        "transferred" => End::Transferred,
        "abandoned" => End::Abandoned,
        "overflowed" => End::Overflowed,
        "voicemail" => End::Voicemail,
        _ => return None,
    })
}

fn check_row(row: &Row) -> Result<(), String> {
    let steps = [
        ("arrived", Some(row.arrived)),
        ("answered", row.answered),
        ("ended", row.ended),
        ("wrap_ended", row.wrap_ended),
    ];
    let mut last = ("arrived", row.arrived);
    for (name, at) in steps {
        if let Some(at) = at {
            if at < last.1 {
                return Err(format!("{name} is before {}", last.0));
            }
            last = (name, at);
        }
    }
    if row.wrap_ended.is_some() && (row.ended.is_none() || row.answered.is_none()) {
        return Err("wrap_ended needs answered and ended".to_owned());
    }
    match (row.end, row.answered) {
        (Some(End::Handled | End::Transferred), None) => {
            Err("end says answered, but answered is empty".to_owned())
        }
        (Some(End::Abandoned | End::Overflowed | End::Voicemail), Some(_)) => {
            Err("end says unanswered, but answered is set".to_owned())
        }
        _ if row.agent.is_some() && row.answered.is_none() => {
            Err("agent is set, but answered is empty".to_owned())
        }
        _ if row.end.is_some() && row.ended.is_none() => {
            Err("end is set, but ended is empty".to_owned())
        }
        _ => Ok(()),
    }
}

/// Logs one contact, lists it as unfinished, or rejects all its rows.
fn log(
    mut contact: Contact,
    options: &Options,
    names: &mut Names,
    builder: &mut Builder,
) -> Result<(), Error> {
    contact.rows.sort_by_key(|row| (row.arrived, row.line));
    let failure = match contact.failed {
        Some(line) => Some((line, None)),
        None => check_contact(&contact.rows)
            .err()
            .map(|(line, why)| (line, Some(why))),
    };
    if let Some((bad, why)) = failure {
        for row in &contact.rows {
            if row.line == bad {
                if let Some(why) = &why {
                    builder.reject(row.line, why.clone());
                }
            } else {
                builder.reject(
                    row.line,
                    format!(
                        "another row of contact {} (line {bad}) was rejected",
                        contact.source
                    ),
                );
            }
        }
        return Ok(());
    }
    if contact.rows.last().is_some_and(|row| row.ended.is_none()) {
        builder.unfinished(contact.source);
        return Ok(());
    }
    let Some(first) = contact.rows.first() else {
        return Ok(());
    };
    let caller = Caller {
        ani: first.ani.clone(),
        dnis: first
            .dnis
            .clone()
            .unwrap_or_else(|| options.unknown_dnis.clone()),
        priority: first.priority.unwrap_or_default(),
        attributes: match &first.customer {
            Some(customer) => vec![(
                Code::parse("customer").expect("a valid code"),
                customer.clone(),
            )],
            None => Vec::new(),
        },
        arrived: first.arrived,
    };
    let csat = contact.rows.iter().find_map(|row| row.csat);
    let mut queues = Vec::with_capacity(contact.rows.len());
    for row in &contact.rows {
        queues.push(builder.queue(names, &row.queue)?);
    }
    let mut legs = Vec::with_capacity(contact.rows.len());
    for (i, row) in contact.rows.iter().enumerate() {
        let next = queues.get(i + 1).copied();
        let mut leg = build::leg(queues[i], row.arrived);
        leg.answered = row.answered;
        leg.ended = row.ended;
        leg.outcome = row.outcome.clone();
        leg.reason = row.reason.clone();
        if let Some(agent) = &row.agent {
            leg.agent = Some(builder.agent(names, agent)?);
            leg.wrap_ended = row.wrap_ended.or(row.ended);
        }
        leg.end = Some(match (row.end, row.answered.is_some(), next) {
            (Some(End::Handled), _, _) => LegEnd::Handled,
            (Some(End::Transferred), _, _) => LegEnd::Transferred,
            (Some(End::Abandoned), _, _) => LegEnd::Abandoned,
            (Some(End::Voicemail), _, _) => LegEnd::Overflowed(Overflow::Voicemail),
            (Some(End::Overflowed), _, Some(to)) | (None, false, Some(to)) => {
                LegEnd::Overflowed(Overflow::Queue(to))
            }
            // An unanswered last leg was abandoned; `check_contact` has
            // refused an explicit overflow with no next leg.
            (Some(End::Overflowed), _, None) | (None, false, None) => LegEnd::Abandoned,
            (None, true, Some(_)) => LegEnd::Transferred,
            (None, true, None) => LegEnd::Handled,
        });
        legs.push(leg);
    }
    let id = builder.contact_id()?;
    let record = build::contact(id, caller, legs);
    builder.finished(record, contact.source, csat);
    Ok(())
}

/// Rules across a contact's rows (sorted by arrival): only the last may be
/// open, legs may not overlap, `overflowed` needs a next leg and
/// `voicemail` and `abandoned` end the contact, scores agree.
fn check_contact(rows: &[Row]) -> Result<(), (u64, String)> {
    let mut score: Option<(Score, u64)> = None;
    for (i, row) in rows.iter().enumerate() {
        let next = rows.get(i + 1);
        if let Some(next) = next {
            let Some(ended) = row.ended else {
                return Err((
                    row.line,
                    "ended is empty, but a later leg follows".to_owned(),
                ));
            };
            if next.arrived < ended {
                return Err((
                    next.line,
                    format!(
                        "arrived is before the previous leg (line {}) ended",
                        row.line
                    ),
                ));
            }
            if matches!(row.end, Some(End::Voicemail | End::Abandoned)) {
                return Err((
                    row.line,
                    "end ends the contact, but a later leg follows".to_owned(),
                ));
            }
        } else if row.end == Some(End::Overflowed) {
            return Err((
                row.line,
                "end is overflowed, but no later leg follows".to_owned(),
            ));
        }
        if let Some(csat) = row.csat {
            match score {
                Some((first, line)) if first != csat => {
                    return Err((
                        row.line,
                        format!("csat {csat} differs from csat {first} on line {line}"),
                    ));
                }
                _ => score = Some((csat, row.line)),
            }
        }
    }
    Ok(())
}
