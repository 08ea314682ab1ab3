//! Why the store refused or failed.
//!
//! Key type: [`Error`]. Errors about one fact name its log position (`seq`,
//! the position it has or would have had) and, where there is one, the
//! contact.

use acd::model::ContactId;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// [`open`](crate::open) was given something that is neither a SQLite
    /// path nor a `sqlite://` or `postgres://` URL.
    #[error(
        "store URL {0:?} is not understood: give a SQLite file path, sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
    )]
    Url(String),
    /// The directory for a SQLite file could not be created.
    #[error("cannot create the store directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite failed; `doing` says at what.
    #[error("SQLite failed while {doing}: {source}")]
    Sqlite {
        /// What the store was doing.
        doing: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// PostgreSQL failed; `doing` says at what.
    #[error("PostgreSQL failed while {doing}: {source}")]
    Postgres {
        /// What the store was doing.
        doing: &'static str,
        /// The client's error, with the server's message.
        source: postgres::Error,
    },
    /// The database was migrated by a newer Switchboard; this build does
    /// not know its tables and refuses to touch them.
    #[error(
        "the database schema is at version {found}, but this build of Switchboard knows versions up to {known}: upgrade Switchboard or use another database"
    )]
    SchemaTooNew {
        /// The version recorded in the database.
        found: i64,
        /// The newest version this build can migrate to.
        known: i64,
    },
    /// A time zone that is neither a named (IANA) zone nor a fixed offset,
    /// so it cannot be recorded with the agent days it keys.
    #[error(
        "time zone {0} cannot be stored: use a named zone such as Asia/Ho_Chi_Minh, or a fixed offset"
    )]
    TimeZone(String),
    /// SQLite refused to switch to write-ahead logging, which the
    /// durability of appends relies on.
    #[error("SQLite cannot use write-ahead logging for this file (journal mode stays {0:?})")]
    JournalMode(String),
    /// A fact could not be projected: a finished contact that does not
    /// classify into legs (it is not the engine's output), or a time outside
    /// the calendar. Its batch was not appended.
    #[error("fact seq {seq} is refused: {source}")]
    Kpi {
        /// The position the fact would have had.
        seq: u64,
        /// What is wrong, such as which leg is incomplete.
        source: kpi::Error,
    },
    /// A contact finished twice: in the store already or earlier in the
    /// same batch, which was not appended.
    #[error(
        "fact seq {seq} is refused: {contact} has finished already, earlier in the log or in this batch"
    )]
    DuplicateContact {
        /// The position the fact would have had.
        seq: u64,
        /// The contact.
        contact: ContactId,
    },
    /// A number does not fit the database's signed 64-bit integers.
    #[error("fact seq {seq} is refused: {what} {value} is beyond the largest storable value")]
    OutOfRange {
        /// The position the fact would have had.
        seq: u64,
        /// Which value.
        what: &'static str,
        /// The value.
        value: u64,
    },
    /// A fact could not be turned into JSON.
    #[error("fact seq {seq} cannot be encoded: {source}")]
    Encode {
        /// The position the fact would have had.
        seq: u64,
        /// serde_json's error.
        source: serde_json::Error,
    },
    /// A stored row does not decode: the database was changed by hand or
    /// by another program.
    #[error("the stored {table} row {key} is corrupt: {what}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The row's key (a log seq, a contact id...).
        key: String,
        /// What is wrong with it.
        what: String,
    },
    /// A callback of a streaming read called back into the same store,
    /// whose connection is busy with that read.
    #[error(
        "the store is busy with a streaming read: do not call it from inside a for_each callback"
    )]
    Reentrant,
}

impl Error {
    pub(crate) fn sqlite(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
        move |source| Error::Sqlite { doing, source }
    }

    pub(crate) fn postgres(doing: &'static str) -> impl FnOnce(postgres::Error) -> Error {
        move |source| Error::Postgres { doing, source }
    }

    pub(crate) fn corrupt(table: &'static str, key: impl ToString, what: impl ToString) -> Error {
        Error::Corrupt {
            table,
            key: key.to_string(),
            what: what.to_string(),
        }
    }
}
