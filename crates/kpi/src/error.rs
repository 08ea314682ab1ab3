//! Why a report could not be computed.
//!
//! Key type: [`Error`].

use acd::model::{ContactId, Time};

/// Everything that can go wrong computing a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A record's time cannot be placed on the calendar (the driver's epoch
    /// is the Unix epoch; jiff covers the years -9999 to 9999).
    #[error("{0} is outside the calendar range")]
    TimeOutOfRange(Time),
    /// A finished contact has a leg that never left its queue or whose
    /// answered call never wrapped up: the log is not the engine's output.
    #[error("contact {contact} leg {leg} is incomplete: {what}")]
    IncompleteLeg {
        /// The contact.
        contact: ContactId,
        /// The leg's index in the contact.
        leg: usize,
        /// What is missing.
        what: &'static str,
    },
    /// A report threshold that is not a whole number of seconds up to a day.
    #[error("thresholds must be whole seconds up to a day, got {0}")]
    Threshold(acd::model::Span),
    /// Opening hours that close before they open or overlap.
    #[error("opening hours: {0}")]
    Hours(String),
    /// A survey score outside 1..=5.
    #[error("a survey score must be 1 to 5, got {0}")]
    Score(u8),
    /// A rate target outside 0..=1.
    #[error("a rate must be between 0 and 1, got {0}")]
    Rate(f64),
    /// A report settings file that cannot be used: bad TOML, an unknown
    /// key, a value of the wrong type or out of range. Names the dotted key
    /// at fault (`contract.service_level.target`) and its line.
    #[error("settings line {line}: `{key}`: {problem}")]
    Settings {
        /// 1-based line number in the file.
        line: usize,
        /// The dotted key at fault; empty when the whole file is.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
}
