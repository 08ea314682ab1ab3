//! Why an import failed as a whole.
//!
//! Key type: [`Error`]. A bad row is not an error: it becomes a
//! [`Rejected`](crate::Rejected) entry of the import and the rest goes on.
//! An error means nothing of the input may be used, so a caller that
//! appends imports in one transaction leaves its store untouched.

/// Everything that stops an import.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the input failed.
    #[error("reading the input failed: {0}")]
    Io(#[from] std::io::Error),
    /// The input is empty where a header row was expected.
    #[error("the input is empty: expected a header row")]
    NoHeader,
    /// The header row cannot be read.
    #[error("the header row cannot be read: {0}")]
    BadHeader(String),
    /// A column the format requires is missing from the header row.
    #[error("the header row has no `{0}` column")]
    MissingColumn(&'static str),
    /// A time zone name that is not in the time zone database.
    #[error("unknown time zone {name:?}: {reason}")]
    TimeZone {
        /// The name given.
        name: String,
        /// What the database said.
        reason: String,
    },
    /// A format name that is not one of [`Format`](crate::Format)'s.
    #[error("unknown format {0:?}: expected queue-log, bank or csv")]
    Format(String),
    /// A name or id of the name table is already bound to another.
    #[error("{kind} {name:?} cannot take id {id}: the name or the id is already bound")]
    NameTaken {
        /// `"queue"` or `"agent"`.
        kind: &'static str,
        /// The name.
        name: String,
        /// The id.
        id: u64,
    },
    /// Every id of a kind is taken.
    #[error("no {0} id is left")]
    IdsExhausted(&'static str),
}
