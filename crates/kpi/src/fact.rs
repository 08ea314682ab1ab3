//! The entries of the event log: what the store keeps and every report
//! reads.
//!
//! Key types: [`Fact`] (an engine [`Record`], a post-call [`Survey`] answer,
//! a [`Sale`] that closed a lead, a [`Naming`] of a queue or agent, or the
//! [`ImportMark`] of an imported file, or an [`Admin`] change),
//! [`Score`] (1–5) and [`Money`] (integer cents, so sums are exact).
//!
//! Surveys and sales arrive after their contact finished, from the IVR and
//! from the CRM, so they are facts of their own rather than fields of the
//! contact record.

use std::fmt;

use acd::Record;
use acd::model::{AgentId, ContactId, QueueId, Time};
use serde::{Deserialize, Serialize};

use crate::admin::Admin;
use crate::error::Error;

/// One entry of the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// Something the routing engine did or saw.
    Routing(Record),
    /// The caller answered the post-call survey.
    Survey(Survey),
    /// A lead handed to sales was won or lost.
    Sale(Sale),
    /// A queue or agent got the name reports show (imports name what
    /// their source calls it; the server names what its admins configure).
    Named(Naming),
    /// A file was imported; its digest keeps the same file from being
    /// imported twice.
    Imported(ImportMark),
    /// An administrator changed the running center (the audit log).
    Admin(Admin),
}

impl Fact {
    /// When it happened.
    pub fn at(&self) -> Time {
        match self {
            Fact::Routing(record) => record.at,
            Fact::Survey(survey) => survey.at,
            Fact::Sale(sale) => sale.at,
            Fact::Named(naming) => naming.at,
            Fact::Imported(mark) => mark.at,
            Fact::Admin(admin) => admin.at,
        }
    }

    /// A short name of its kind, for logs and indexes.
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::Routing(_) => "routing",
            Fact::Survey(_) => "survey",
            Fact::Sale(_) => "sale",
            Fact::Named(_) => "named",
            Fact::Imported(_) => "imported",
            Fact::Admin(_) => "admin",
        }
    }
}

impl From<Record> for Fact {
    fn from(record: Record) -> Self {
        Fact::Routing(record)
    }
}

/// One imported file. Its time is when it was imported, not the time of
/// the calls it held, so reports leave it out of their period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportMark {
    /// When the import ran.
    pub at: Time,
    /// The source format's name (`queue-log`, `bank`, `csv`).
    pub format: String,
    /// The file as named on the command line.
    pub source: String,
    /// SHA-256 of the file's bytes, in hex.
    pub digest: String,
    /// Finished contacts it added.
    pub contacts: u64,
}

/// A queue or agent and its display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Naming {
    /// When the name was given.
    pub at: Time,
    /// What is named.
    pub entity: Entity,
    /// The name.
    pub name: String,
}

/// Something with a display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// A queue.
    Queue(QueueId),
    /// An agent.
    Agent(AgentId),
}

/// A post-call satisfaction answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    /// The contact it rates.
    pub contact: ContactId,
    /// When it was answered.
    pub at: Time,
    /// The caller's score.
    pub score: Score,
}

/// A satisfaction score from 1 (very dissatisfied) to 5 (very satisfied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Score(u8);

impl Score {
    /// The lowest score.
    pub const MIN: u8 = 1;
    /// The highest score.
    pub const MAX: u8 = 5;

    /// Parses a score.
    pub fn new(score: u8) -> Result<Self, Error> {
        if (Self::MIN..=Self::MAX).contains(&score) {
            Ok(Score(score))
        } else {
            Err(Error::Score(score))
        }
    }

    /// The number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Score {
    type Error = Error;
    fn try_from(score: u8) -> Result<Self, Error> {
        Score::new(score)
    }
}

impl From<Score> for u8 {
    fn from(score: Score) -> u8 {
        score.0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The result of a lead that a contact handed to sales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    /// The contact that produced the lead.
    pub contact: ContactId,
    /// When sales closed it.
    pub at: Time,
    /// Won or lost.
    pub won: bool,
    /// Revenue when won.
    pub revenue: Money,
}

/// An amount of money in the center's currency, in cents.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Money(pub i64);

impl Money {
    /// From a decimal amount, rounded to the cent.
    pub fn from_units(amount: f64) -> Self {
        Money((amount * 100.0).round() as i64)
    }

    /// As a decimal amount.
    pub fn units(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let cents = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", cents / 100, cents % 100)
    }
}
