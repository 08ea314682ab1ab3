//! Importers that turn existing call-center logs into Switchboard's event
//! log, so that every report reads imported history exactly as it reads
//! live data.
//!
//! Key types: [`Import`] (the facts of one import with its [`Names`], its
//! [`Rejected`] rows and a [`Report`] of what each rule did), [`Options`],
//! [`Format`] and [`Error`]; [`import`] dispatches on the format.
//!
//! Modules: [`queue_log`] (Asterisk's `queue_log`), [`bank`] (the Anonymous
//! Bank call log in `data/`), [`generic_csv`] (the CSV documented in
//! `crates/import/CSV.md`), [`names`] and [`error`].
//!
//! What every importer guarantees:
//! * The facts are what the engine would have logged: one
//!   [`RecordKind::ContactFinished`](acd::RecordKind::ContactFinished) per
//!   finished contact, dated at its finish, with one leg per queue it
//!   passed through; [`RecordKind::AgentStateChanged`](acd::RecordKind::AgentStateChanged)
//!   records whose `from` is always the agent's previous state, so
//!   [`acd::accounting::Accounting`] sums them to logged-in time; a
//!   [`kpi::Survey`] where the source has a score; and one [`kpi::Naming`]
//!   per queue or agent name the import added to the table.
//! * Facts are in time order (ties in the order they were derived) and
//!   records are numbered from 0 without gaps.
//! * Nothing is dropped silently: a row that cannot be read is a
//!   [`Rejected`] entry with its line number and reason; a row a rule
//!   leaves out is counted under the rule's name in [`Report::counts`]; a
//!   call still open at the end of the input is listed in
//!   [`Report::unfinished`], not logged.
//! * All or nothing: an importer returns everything or an [`Error`], never
//!   part of the input.

pub mod bank;
mod build;
pub mod error;
pub mod generic_csv;
pub mod names;
pub mod queue_log;
mod source;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::str::FromStr;

use acd::model::{ContactId, PhoneNumber};
use jiff::tz::TimeZone;
use kpi::Fact;
use serde::Serialize;

pub use error::Error;
pub use names::Names;

/// Settings shared by every format.
#[derive(Debug, Clone)]
pub struct Options {
    /// The zone of times written without an offset (the Anonymous Bank's
    /// clock times, CSV times without an offset, `queue_log` date-times).
    pub time_zone: TimeZone,
    /// The name table to extend; ids already in it are reused.
    pub names: Names,
    /// The id of the first imported contact; the others follow in order.
    pub first_contact: ContactId,
    /// The dialled number of contacts whose source has none (the engine's
    /// contact record requires one).
    pub unknown_dnis: PhoneNumber,
}

impl Options {
    /// Options with an empty name table, contacts from 1 and dialled number
    /// `0` where unknown.
    pub fn new(time_zone: TimeZone) -> Self {
        Options {
            time_zone,
            names: Names::new(),
            first_contact: ContactId(1),
            unknown_dnis: PhoneNumber::parse("0").expect("0 is a phone number"),
        }
    }

    /// [`Options::new`] in the zone named `name` (an IANA name such as
    /// `Asia/Jerusalem`, or `UTC`).
    pub fn in_zone(name: &str) -> Result<Self, Error> {
        let zone = TimeZone::get(name).map_err(|e| Error::TimeZone {
            name: name.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Options::new(zone))
    }

    /// [`Options::in_zone`] with the format's usual zone.
    pub fn for_format(format: Format) -> Result<Self, Error> {
        Options::in_zone(format.default_time_zone())
    }
}

/// A source format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Asterisk's `queue_log` ([`queue_log`]).
    QueueLog,
    /// The Anonymous Bank call log ([`bank`]).
    Bank,
    /// Switchboard's documented CSV ([`generic_csv`]).
    Csv,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::QueueLog, Format::Bank, Format::Csv];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::QueueLog => "queue-log",
            Format::Bank => "bank",
            Format::Csv => "csv",
        }
    }

    /// The zone its local times are usually in: the Anonymous Bank is in
    /// Israel; `queue_log` times are Unix seconds and CSV times usually
    /// carry an offset, so UTC only matters for times written without one.
    pub fn default_time_zone(self) -> &'static str {
        match self {
            Format::QueueLog | Format::Csv => "UTC",
            Format::Bank => bank::TIME_ZONE,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self, Error> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == text)
            .ok_or_else(|| Error::Format(text.to_owned()))
    }
}

/// Reads `input` in `format`; `progress` is called with the number of bytes
/// read so far, for a progress bar.
pub fn import<R: Read, P: FnMut(u64)>(
    format: Format,
    input: R,
    options: &Options,
    progress: P,
) -> Result<Import, Error> {
    match format {
        Format::QueueLog => queue_log::read(input, options, progress),
        Format::Bank => bank::read(input, options, progress),
        Format::Csv => generic_csv::read(input, options, progress),
    }
}

/// The result of one import.
#[derive(Debug, Clone)]
pub struct Import {
    /// The event log entries, in time order, records numbered from 0.
    pub facts: Vec<Fact>,
    /// The name table given in [`Options::names`], extended.
    pub names: Names,
    /// Each imported contact's id in the source (a `queue_log` call id, a
    /// bank `vru+line/call_id`, a CSV `contact_id`), by contact id.
    pub sources: Vec<(ContactId, String)>,
    /// Rows that could not be used, in line order.
    pub rejected: Vec<Rejected>,
    /// What was read and what each rule did.
    pub report: Report,
}

/// A row that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// Its line in the input, from 1 (the header, if any, is line 1).
    pub line: u64,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Counts of one import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Lines (or CSV records) read, header included.
    pub lines: u64,
    /// Finished contacts logged.
    pub contacts: u64,
    /// Legs of those contacts.
    pub legs: u64,
    /// Agent state changes logged.
    pub agent_state_changes: u64,
    /// Survey answers logged.
    pub surveys: u64,
    /// Source ids of calls still open at the end of the input: not
    /// finished, so not logged.
    pub unfinished: Vec<String>,
    /// Rows, events or fields counted by the rule that applied to them;
    /// each format documents its keys.
    pub counts: BTreeMap<String, u64>,
}

impl Report {
    /// The count under `key`, 0 if none.
    pub fn count(&self, key: &str) -> u64 {
        self.counts.get(key).copied().unwrap_or(0)
    }
}
