//! Which event store a command uses.
//!
//! Key type: [`DatabaseArgs`], the `--database` flag shared by the commands
//! that read or write the store. The default is an SQLite file in
//! `switchboard-data/` under the current directory, created on first use;
//! `SWITCHBOARD_DATABASE` or `--database` name another file or a
//! `postgres://` URL.

use anyhow::{Context, Result};
use clap::Args;
use jiff::tz::TimeZone;

/// The store's location when none is given.
pub const DEFAULT_DATABASE: &str = "switchboard-data/switchboard.db";

/// The `--database` flag.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// The event store: an SQLite file path (created if missing) or a
    /// postgres:// URL.
    #[arg(long, value_name = "URL", env = "SWITCHBOARD_DATABASE",
          default_value = DEFAULT_DATABASE)]
    pub database: String,
}

impl DatabaseArgs {
    /// Opens the store (an SQLite file and its folder are created when
    /// missing). `time_zone` is the center's zone for a new store; an
    /// existing store keeps the zone it was created with.
    pub fn open(&self, time_zone: Option<&TimeZone>) -> Result<Box<dyn store::Store>> {
        let options = store::Options {
            time_zone: time_zone.cloned(),
        };
        store::open_with(&self.database, &options)
            .with_context(|| format!("opening the event store {}", self.describe()))
    }

    /// Whether the store is a PostgreSQL URL (else an SQLite file).
    pub fn is_postgres(&self) -> bool {
        self.database.starts_with("postgres://") || self.database.starts_with("postgresql://")
    }

    /// The store's location for messages, without a password.
    pub fn describe(&self) -> String {
        if !self.is_postgres() {
            return self.database.clone();
        }
        let Some((scheme, rest)) = self.database.split_once("://") else {
            return self.database.clone();
        };
        match rest.rsplit_once('@') {
            Some((credentials, host)) => {
                let user = credentials.split_once(':').map_or(credentials, |(u, _)| u);
                format!("{scheme}://{user}@{host}")
            }
            None => self.database.clone(),
        }
    }
}
