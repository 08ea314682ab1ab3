//! What the server's core and its authentication refuse or fail with.
//!
//! Key type: [`Error`]. The HTTP layer maps each variant to a status and a
//! JSON body ([`ApiError`](crate::http::ApiError)).

use acd::model::{AgentId, ContactId};

use crate::directory::Refusal;

/// Everything the core and auth can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine refused the event; nothing changed but the clock.
    #[error("{0}")]
    Engine(#[from] acd::Error),
    /// The routing configuration given at start is invalid.
    #[error("invalid routing configuration: {0}")]
    Config(#[from] acd::config::ConfigError),
    /// The store failed. The engine's state may now be ahead of the log, so
    /// the core stops: a restart rebuilds from the log.
    #[error("the event store failed: {0}")]
    Store(#[from] store::Error),
    /// An administration change or a contact the server's own rules
    /// refuse (unknown, conflicting or invalid; see [`Refusal`]).
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// A change in the log no longer applies to the configuration file
    /// (something it relies on was removed from the file).
    #[error(
        "the log's change \"{summary}\" (by {by}) does not apply to this configuration file: {source}"
    )]
    Replay {
        /// The change, as the audit log says it.
        summary: String,
        /// Who made it.
        by: String,
        /// The engine's refusal.
        source: acd::Error,
    },
    /// An agent acted on a contact it does not hold.
    #[error("{agent} does not hold {contact}")]
    NotHeld {
        /// The agent.
        agent: AgentId,
        /// The contact.
        contact: ContactId,
    },
    /// The engine thread has stopped (after a store failure, or at
    /// shutdown); no command is taken any more.
    #[error("the engine has stopped; restart the server")]
    Stopped,
    /// The engine thread could not be started.
    #[error("cannot start the engine thread: {0}")]
    Spawn(std::io::Error),
    /// Wrong user name or password.
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many wrong passwords for this user lately.
    #[error("too many failed logins for {user}; retry in {retry_after_secs} s")]
    RateLimited {
        /// The user name tried.
        user: String,
        /// Seconds until the oldest counted failure expires.
        retry_after_secs: u64,
    },
    /// No user has this name.
    #[error("unknown user {0}")]
    UnknownUser(String),
    /// A user with this name exists already.
    #[error("user {0} exists already")]
    DuplicateUser(String),
    /// A user that cannot be created as given.
    #[error("invalid user: {0}")]
    InvalidUser(String),
    /// Hashing or checking a password failed (not a wrong password: a
    /// malformed stored hash or invalid parameters).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The operating system's random source failed.
    #[error("no randomness from the operating system: {0}")]
    Random(getrandom::Error),
}
