//! Switchboard's durable event store: an append-only log of [`kpi::Fact`]s
//! and the projections derived from it, on SQLite (embedded, the default)
//! or PostgreSQL. SQL lives only in this crate.
//!
//! Key types: [`Store`] (the trait every backend implements), [`open`] and
//! [`open_with`] (pick the backend from a URL), [`Options`], the projection
//! rows [`AgentNow`], [`QueueNow`] and [`StateInterval`], [`LogEntry`],
//! [`TimeRange`], [`Verification`] and [`Error`].
//!
//! Projections: finished contacts (CDR columns; the record itself is the
//! log entry's JSON), their classified legs ([`kpi::LegFact`] in integer
//! and text columns), agent state intervals, agents' and queues' state now,
//! surveys, sales, names, the log's time span, and the mergeable tallies
//! per queue and UTC quarter hour ([`kpi::QueueTally`]) and per agent and
//! local day ([`kpi::AgentTally`]) that reports add up instead of reading
//! legs.
//!
//! Modules: [`error`], [`reference`] (the queue and agent totals in plain SQL,
//! an oracle and a benchmark baseline); private `project` (facts → rows: the one definition
//! of every projection, shared by the backends), `columns` (values ↔
//! columns), `sqlite` and `postgres` (the backends). The schema is in
//! `migrations/<backend>/`, one numbered file per version.
//!
//! The log is the truth: every projection can be dropped and rebuilt from
//! it ([`Store::rebuild_projections`]), and [`Store::verify`] checks that the
//! stored projections equal a rebuild. An append is one transaction: its
//! facts and all their projections land together, or nothing does; once
//! `append` has returned, the facts are on disk (SQLite runs in WAL mode
//! with `synchronous=FULL`; PostgreSQL commits synchronously by default).
//!
//! The API is synchronous: the server gives the store a thread of its own.
//! Reads of large volumes stream rows to a callback, so ten million legs
//! never sit in memory at once.

pub mod error;
pub mod reference;

mod columns;
mod postgres;
mod project;
mod sqlite;

use std::ops::Range;

use acd::AgentState;
use acd::model::{AgentId, ContactId, QueueId, Time};
use acd::record::ContactRecord;
use jiff::tz::TimeZone;
use kpi::{
    Admin, AgentTally, Customer, Fact, ImportMark, LegFact, Naming, QueueTally, Sale, Survey,
};

pub use error::Error;

/// The attribute whose value fills the `customer` column of contact
/// records, so a customer's contacts can be found without reading JSON.
pub const CUSTOMER_ATTRIBUTE: &str = "customer";

/// A durable fact log with its projections. Backends: SQLite and
/// PostgreSQL, chosen by [`open`]. Every method that reads a range streams
/// rows to a callback, in the order named, and returns how many it gave.
pub trait Store: Send {
    /// Appends `facts` and updates every projection in one transaction: all
    /// of them land, or (on any error) none does and earlier appends are
    /// untouched. Returns the log positions they were given: consecutive,
    /// from [`next_seq`](Store::next_seq). Refuses a finished contact that
    /// does not classify into legs, or that finished before.
    fn append(&mut self, facts: &[Fact]) -> Result<Range<u64>, Error>;

    /// The position the next fact will get: the number of facts in the log.
    fn next_seq(&self) -> Result<u64, Error>;

    /// Up to `limit` facts from position `from_seq` on, in log order.
    fn read_log(&self, from_seq: u64, limit: usize) -> Result<Vec<LogEntry>, Error>;

    /// A finished contact's record.
    fn contact(&self, id: ContactId) -> Result<Option<ContactRecord>, Error>;

    /// Finished contacts whose `finished` time is in `range`, by finishing
    /// time then id.
    fn for_each_contact(
        &self,
        range: TimeRange,
        f: &mut dyn FnMut(ContactRecord),
    ) -> Result<u64, Error>;

    /// Legs of finished contacts that entered their queue in `range`, by
    /// that time, contact and leg index: exactly the legs
    /// [`kpi::legs::classify`] makes of the stored contacts.
    fn for_each_leg(&self, range: TimeRange, f: &mut dyn FnMut(&LegFact)) -> Result<u64, Error>;

    /// Closed logged-in state intervals that overlap `range`, by end time
    /// (the order they closed in).
    fn for_each_state_interval(
        &self,
        range: TimeRange,
        f: &mut dyn FnMut(&StateInterval),
    ) -> Result<u64, Error>;

    /// Survey answers given in `range`, in log order.
    fn for_each_survey(&self, range: TimeRange, f: &mut dyn FnMut(&Survey)) -> Result<u64, Error>;

    /// Sales closed in `range`, in log order.
    fn for_each_sale(&self, range: TimeRange, f: &mut dyn FnMut(&Sale)) -> Result<u64, Error>;

    /// Per queue and UTC quarter hour ([`kpi::interval::SLOT`]) starting in
    /// `range`: the tally of the legs that entered the queue then, by slot
    /// then queue; feed them to [`kpi::QueueAggregator::add_slot`].
    fn for_each_queue_slot(
        &self,
        range: TimeRange,
        f: &mut dyn FnMut(QueueId, Time, &QueueTally),
    ) -> Result<u64, Error>;

    /// Per agent and local day (in [`Options::time_zone`]) starting in
    /// `range`: closed state time, logouts and handled work, by day then
    /// agent; feed them to [`kpi::AgentAggregator::add_tally`]. The time
    /// given is the day's start, or the epoch for a day that starts before
    /// it. States still open are not in any tally: add them from
    /// [`current_agents`](Store::current_agents).
    fn for_each_agent_day(
        &self,
        range: TimeRange,
        f: &mut dyn FnMut(AgentId, Time, &AgentTally),
    ) -> Result<u64, Error>;

    /// The name each agent and queue was last given, agents first, by id.
    fn names(&self) -> Result<Vec<Naming>, Error>;

    /// Every file imported so far, in log order.
    fn imports(&self) -> Result<Vec<ImportMark>, Error>;

    /// Every administration change (the audit log), in log order.
    fn admin_changes(&self) -> Result<Vec<Admin>, Error>;

    /// Up to `limit` finished contacts of the customer `customer` or, with
    /// no customer id, from the number `ani`; newest arrival first.
    fn recent_contacts(&self, who: &Customer, limit: usize) -> Result<Vec<ContactRecord>, Error>;

    /// The earliest and latest time of the log's facts (names aside, as
    /// they are not events of the center); `None` when there are none.
    fn time_bounds(&self) -> Result<Option<(Time, Time)>, Error>;

    /// The highest contact id stored, finished or still in the ACD, so an
    /// importer can number new contacts after it.
    fn last_contact_id(&self) -> Result<Option<ContactId>, Error>;

    /// The time zone whose calendar days key the agent-day tallies.
    fn time_zone(&self) -> TimeZone;

    /// Keys the agent days by `zone` from now on, re-deriving the
    /// projections from the log when it differs from the current one.
    fn set_time_zone(&mut self, zone: &TimeZone) -> Result<(), Error>;

    /// Every agent seen in the log, with its shown state now, by agent.
    fn current_agents(&self) -> Result<Vec<AgentNow>, Error>;

    /// Every queue with contacts in line now, by queue.
    fn current_queues(&self) -> Result<Vec<QueueNow>, Error>;

    /// Empties every projection and derives it again from the log, in one
    /// transaction.
    fn rebuild_projections(&mut self) -> Result<(), Error>;

    /// Rebuilds the projections inside a transaction that is rolled back,
    /// and compares them with the stored ones; changes nothing.
    fn verify(&mut self) -> Result<Verification, Error>;
}

/// How to open a store.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The center's time zone, whose calendar days key the agent-day
    /// tallies, for a new store (`None`: UTC). An existing store keeps the
    /// zone it was created with; [`Store::set_time_zone`] changes it.
    pub time_zone: Option<TimeZone>,
}

/// Opens (creating and migrating as needed) the store at `url`; a new
/// store keeps agent days in UTC. `url` is a SQLite file path or
/// `sqlite://PATH` (the file and its directory are created), or a
/// `postgres://` / `postgresql://` connection URL (the database must exist).
/// A database migrated by a newer Switchboard is refused
/// ([`Error::SchemaTooNew`]).
pub fn open(url: &str) -> Result<Box<dyn Store>, Error> {
    open_with(url, &Options::default())
}

/// [`open`] with options.
pub fn open_with(url: &str, options: &Options) -> Result<Box<dyn Store>, Error> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(postgres::PgStore::open(url, options)?));
    }
    let path = match url.strip_prefix("sqlite://") {
        Some(path) => path,
        None if url.contains("://") || url.is_empty() => return Err(Error::Url(url.to_owned())),
        None => url,
    };
    if path.is_empty() {
        return Err(Error::Url(url.to_owned()));
    }
    Ok(Box::new(sqlite::SqliteStore::open(path, options)?))
}

/// A half-open span of time, `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// First time included.
    pub from: Time,
    /// First time excluded.
    pub to: Time,
}

impl TimeRange {
    /// All of time.
    pub const ALL: TimeRange = TimeRange {
        from: Time::ZERO,
        to: Time::from_millis(u64::MAX),
    };

    /// `[from, to)`.
    pub fn new(from: Time, to: Time) -> Self {
        TimeRange { from, to }
    }
}

/// One fact of the log with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Position in the log, from 0, without gaps.
    pub seq: u64,
    /// The fact.
    pub fact: Fact,
}

/// An agent's shown state now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentNow {
    /// The agent.
    pub agent: AgentId,
    /// Its state (with the reason when not ready).
    pub state: AgentState,
    /// In it since.
    pub since: Time,
}

/// A queue's line now, as the engine's `queue_status` counts it: contacts
/// waiting in the queue's line, callbacks included; contacts ringing at an
/// agent, and contacts transferred to one agent by name, are not in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueNow {
    /// The queue.
    pub queue: QueueId,
    /// Contacts in line.
    pub waiting: u64,
    /// Of those, callbacks.
    pub callbacks: u64,
    /// The earliest place-in-line time: the longest wait is now minus this.
    pub oldest: Time,
}

/// A closed interval of one logged-in agent state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateInterval {
    /// The agent.
    pub agent: AgentId,
    /// The state (with the reason when not ready).
    pub state: AgentState,
    /// Entered.
    pub start: Time,
    /// Left.
    pub end: Time,
}

/// What [`Store::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verification {
    /// Facts in the log.
    pub facts: u64,
    /// Projection tables that differ from a rebuild.
    pub mismatches: Vec<Mismatch>,
}

impl Verification {
    /// The projections equal a rebuild from the log.
    pub fn is_consistent(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// A projection table that differs from its rebuild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The table.
    pub table: &'static str,
    /// Rows a rebuild has that the table lacks.
    pub missing: u64,
    /// Rows the table has that a rebuild lacks.
    pub extra: u64,
}
