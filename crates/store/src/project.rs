//! Facts → rows: the one definition of every projection, shared by the
//! backends.
//!
//! Key types: [`Tx`] (what a backend's open transaction offers: load the
//! stored state a batch touches, write rows), [`Rows`] (everything one batch
//! writes), [`Projector`] (folds facts into rows over the stored state of
//! the agents and contacts they touch), and the functions [`append`],
//! [`rebuild`], [`verify`], [`open_zone`] and [`set_zone`] that every
//! backend runs inside one transaction of its own.
//!
//! A batch is projected in four steps: collect the agents and contacts its
//! facts name, load their stored state in one go, fold the facts in memory,
//! then write only the final state of each touched row. So a contact that
//! arrives and finishes within one batch never touches `contacts_live`, and
//! a backend can write each table with one bulk statement.

use std::collections::BTreeMap;
use std::ops::Range;

use acd::config::Overflow;
use acd::model::{AgentId, Code, ContactId, QueueId, Span, Time};
use acd::record::{OfferOutcome, Party, TransferTarget};
use acd::{AgentState, RecordKind};
use jiff::tz::TimeZone;
use kpi::interval::{BucketCache, Bucketing, Interval, slot_of};
use kpi::{AgentTally, Entity, Fact, LegFact, QueueTally};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::columns::{self, Phase, int};
use crate::error::Error;
use crate::{CUSTOMER_ATTRIBUTE, LogEntry, Mismatch, Verification};

/// The projection tables, children before parents (the order to empty
/// them in).
pub(crate) const PROJECTIONS: [&str; 11] = [
    "legs",
    "contacts",
    "agent_states",
    "agent_now",
    "contacts_live",
    "surveys",
    "sales",
    "names",
    "log_span",
    "queue_slots",
    "agent_days",
];

/// How many log entries a rebuild reads and projects at a time.
const REBUILD_CHUNK: usize = 20_000;

/// The settings key of the time zone the agent days were built in.
const TIME_ZONE: &str = "time_zone";

/// The two tally tables.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tally {
    /// `queue_slots (queue, slot_ms, tally)`.
    QueueSlots,
    /// `agent_days (agent, day_ms, tally)`.
    AgentDays,
}

/// A backend's open write transaction.
pub(crate) trait Tx {
    /// The number of facts in the log.
    fn next_seq(&mut self) -> Result<u64, Error>;
    /// Up to `limit` entries from `from` on.
    fn read_log(&mut self, from: u64, limit: usize) -> Result<Vec<LogEntry>, Error>;
    /// The stored state of the agents and contacts in `keys`.
    fn load(&mut self, keys: &Keys) -> Result<Loaded, Error>;
    /// The stored tallies (JSON) of `keys`: (agent or queue, start).
    fn load_tallies(
        &mut self,
        table: Tally,
        keys: &[(i64, i64)],
    ) -> Result<FxHashMap<(i64, i64), String>, Error>;
    /// Writes a batch: inserts, upserts of final states, deletions.
    fn write(&mut self, rows: &Rows) -> Result<(), Error>;
    /// Empties every projection table.
    fn clear_projections(&mut self) -> Result<(), Error>;
    /// Copies every projection table aside for [`Tx::compare_projections`].
    fn snapshot_projections(&mut self) -> Result<(), Error>;
    /// Compares every projection table with its copy.
    fn compare_projections(&mut self) -> Result<Vec<Mismatch>, Error>;
    /// A store setting.
    fn setting(&mut self, key: &str) -> Result<Option<String>, Error>;
    /// Sets a store setting.
    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), Error>;
}

/// Appends `facts` at the end of the log with their projections.
pub(crate) fn append(
    tx: &mut dyn Tx,
    zone: &TimeZone,
    facts: &[Fact],
) -> Result<Range<u64>, Error> {
    let first = tx.next_seq()?;
    let entries = facts.iter().zip(first..);
    project(tx, zone, entries.map(|(fact, seq)| (seq, fact)), true)?;
    Ok(first..first + facts.len() as u64)
}

/// Empties the projections and replays the log into them.
pub(crate) fn rebuild(tx: &mut dyn Tx, zone: &TimeZone) -> Result<u64, Error> {
    tx.clear_projections()?;
    let mut from = 0;
    loop {
        let chunk = tx.read_log(from, REBUILD_CHUNK)?;
        let Some(last) = chunk.last() else {
            return Ok(from);
        };
        from = last.seq + 1;
        project(tx, zone, chunk.iter().map(|e| (e.seq, &e.fact)), false)?;
    }
}

/// Rebuilds beside a copy of the stored projections and compares; the
/// caller rolls the transaction back.
pub(crate) fn verify(tx: &mut dyn Tx, zone: &TimeZone) -> Result<Verification, Error> {
    tx.snapshot_projections()?;
    let facts = rebuild(tx, zone)?;
    Ok(Verification {
        facts,
        mismatches: tx.compare_projections()?,
    })
}

/// The zone of the store's agent days: the stored one, or for a new store
/// `requested` (UTC when `None`), which is then recorded.
pub(crate) fn open_zone(tx: &mut dyn Tx, requested: Option<&TimeZone>) -> Result<TimeZone, Error> {
    if let Some(stored) = tx.setting(TIME_ZONE)? {
        return parse_zone(&stored);
    }
    let zone = requested.cloned().unwrap_or(TimeZone::UTC);
    tx.set_setting(TIME_ZONE, &zone_key(&zone)?)?;
    Ok(zone)
}

/// Makes `zone` the zone of the agent days, re-deriving the projections
/// when it is another one.
pub(crate) fn set_zone(tx: &mut dyn Tx, zone: &TimeZone) -> Result<(), Error> {
    let key = zone_key(zone)?;
    if tx.setting(TIME_ZONE)?.as_deref() != Some(key.as_str()) {
        rebuild(tx, zone)?;
        tx.set_setting(TIME_ZONE, &key)?;
    }
    Ok(())
}

/// How a zone is stored: its IANA name, or `fixed SECONDS` for a fixed
/// offset from UTC.
fn zone_key(zone: &TimeZone) -> Result<String, Error> {
    if let Some(name) = zone.iana_name() {
        return Ok(name.to_owned());
    }
    match zone.to_fixed_offset() {
        Ok(offset) => Ok(format!("fixed {}", offset.seconds())),
        Err(_) => Err(Error::TimeZone(format!("{zone:?}"))),
    }
}

fn parse_zone(key: &str) -> Result<TimeZone, Error> {
    let zone = match key.strip_prefix("fixed ") {
        Some(seconds) => seconds
            .parse()
            .ok()
            .and_then(|s| jiff::tz::Offset::from_seconds(s).ok())
            .map(TimeZone::fixed),
        None => TimeZone::get(key).ok(),
    };
    zone.ok_or_else(|| Error::corrupt("settings", TIME_ZONE, format!("unknown time zone {key:?}")))
}

fn project<'a>(
    tx: &mut dyn Tx,
    zone: &TimeZone,
    entries: impl Iterator<Item = (u64, &'a Fact)> + Clone,
    log: bool,
) -> Result<(), Error> {
    let keys = Keys::of(entries.clone())?;
    let loaded = tx.load(&keys)?;
    let mut projector = Projector::new(zone, loaded);
    for (seq, fact) in entries {
        projector.apply(seq, fact, log)?;
    }
    let Projected {
        mut rows,
        queue_slots,
        agent_days,
    } = projector.finish();
    let keys: Vec<_> = queue_slots.keys().copied().collect();
    let mut stored = tx.load_tallies(Tally::QueueSlots, &keys)?;
    for (key, delta) in queue_slots {
        let mut tally: QueueTally = parse_tally("queue_slots", key, stored.remove(&key))?;
        tally.merge(&delta);
        rows.queue_slots.push(tally_row(key, &tally)?);
    }
    let keys: Vec<_> = agent_days.keys().copied().collect();
    let mut stored = tx.load_tallies(Tally::AgentDays, &keys)?;
    for (key, delta) in agent_days {
        let mut tally: AgentTally =
            parse_tally::<StoredAgentTally>("agent_days", key, stored.remove(&key))?.into();
        tally.merge(&delta);
        rows.agent_days
            .push(tally_row(key, &StoredAgentTally::from(tally))?);
    }
    tx.write(&rows)
}

fn parse_tally<T: Default + for<'de> Deserialize<'de>>(
    table: &'static str,
    key: (i64, i64),
    json: Option<String>,
) -> Result<T, Error> {
    match json {
        None => Ok(T::default()),
        Some(json) => {
            serde_json::from_str(&json).map_err(|e| Error::corrupt(table, format!("{key:?}"), e))
        }
    }
}

fn tally_row<T: Serialize>(key: (i64, i64), tally: &T) -> Result<TallyRow, Error> {
    Ok(TallyRow {
        key: key.0,
        start: key.1,
        // Tallies hold numbers, sequences and string-keyed maps only.
        tally: serde_json::to_string(tally).expect("a tally serializes"),
    })
}

/// An [`AgentTally`] as stored: JSON maps need string keys, and a not-ready
/// state carries its reason, so time by state is a list of pairs.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct StoredAgentTally {
    logged_in: Span,
    by_state: Vec<(AgentState, Span)>,
    logouts: u32,
    handled: u64,
    handle: Span,
}

impl From<AgentTally> for StoredAgentTally {
    fn from(t: AgentTally) -> Self {
        StoredAgentTally {
            logged_in: t.logged_in,
            by_state: t.by_state.into_iter().collect(),
            logouts: t.logouts,
            handled: t.handled,
            handle: t.handle,
        }
    }
}

impl From<StoredAgentTally> for AgentTally {
    fn from(t: StoredAgentTally) -> Self {
        AgentTally {
            logged_in: t.logged_in,
            by_state: t.by_state.into_iter().collect(),
            logouts: t.logouts,
            handled: t.handled,
            handle: t.handle,
        }
    }
}

/// The agents and contacts a batch names, as key columns.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    /// Agents whose state changes.
    pub agents: Vec<i64>,
    /// Contacts whose live state may change.
    pub contacts: Vec<i64>,
    /// Contacts that finish (to refuse a second finish).
    pub finished: Vec<i64>,
}

impl Keys {
    fn of<'a>(entries: impl Iterator<Item = (u64, &'a Fact)>) -> Result<Self, Error> {
        let (mut agents, mut contacts, mut finished) =
            (FxHashSet::default(), FxHashSet::default(), Vec::new());
        for (seq, fact) in entries {
            let Fact::Routing(record) = fact else {
                continue;
            };
            if let RecordKind::AgentStateChanged { agent, .. } = &record.kind {
                agents.insert(i64::from(agent.0));
            }
            if let Some(contact) = live_contact(&record.kind) {
                contacts.insert(int(seq, "contact id", contact.0)?);
            }
            if let RecordKind::ContactFinished(record) = &record.kind {
                finished.push(int(seq, "contact id", record.id.0)?);
            }
        }
        Ok(Keys {
            agents: agents.into_iter().collect(),
            contacts: contacts.into_iter().collect(),
            finished,
        })
    }
}

/// The contact whose live state a record may change.
fn live_contact(kind: &RecordKind) -> Option<ContactId> {
    match kind {
        RecordKind::ContactArrived { contact, .. }
        | RecordKind::Offered { contact, .. }
        | RecordKind::OfferEnded { contact, .. }
        | RecordKind::Connected { contact, .. }
        | RecordKind::CallEnded { contact, .. }
        | RecordKind::Transferred { contact, .. }
        | RecordKind::Overflowed { contact, .. }
        | RecordKind::CallbackRequested { contact } => Some(*contact),
        RecordKind::ContactFinished(record) => Some(record.id),
        _ => None,
    }
}

/// The stored state a batch starts from.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// Agents' current state and since when.
    pub agents: FxHashMap<AgentId, (AgentState, Time)>,
    /// Live contacts.
    pub live: FxHashMap<ContactId, Live>,
    /// Of the contacts the batch finishes, those finished already.
    pub finished: FxHashSet<ContactId>,
}

/// A contact in the ACD now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Live {
    pub queue: QueueId,
    pub for_agent: Option<AgentId>,
    /// Place-in-line time.
    pub since: Time,
    pub phase: Phase,
    pub callback: bool,
}

/// `log (seq, at_ms, kind, body)`.
pub(crate) struct LogRow {
    pub seq: i64,
    pub at: i64,
    pub kind: &'static str,
    pub body: String,
}

/// `contacts`.
pub(crate) struct ContactRow {
    pub id: i64,
    pub seq: i64,
    pub arrived: i64,
    pub finished: i64,
    pub ani: Option<String>,
    pub dnis: String,
    pub result: &'static str,
    pub customer: Option<Code>,
}

/// `legs`.
pub(crate) struct LegRow {
    pub queued: i64,
    pub contact: i64,
    pub leg: i64,
    pub queue: i64,
    pub entry: &'static str,
    pub disposition: &'static str,
    pub left_line: i64,
    pub work: Option<WorkRow>,
    pub reason: Option<Code>,
}

/// The work columns of `legs`.
pub(crate) struct WorkRow {
    pub agent: i64,
    pub answered: i64,
    pub talk: i64,
    pub hold: i64,
    pub wrap: i64,
    pub outcome: Option<Code>,
}

/// `agent_states`, and `agent_now` (where `seq` and `end` are unused).
pub(crate) struct StateRow {
    pub seq: i64,
    pub agent: i64,
    pub state: &'static str,
    pub reason: Option<Code>,
    pub start: i64,
    pub end: i64,
}

/// `contacts_live`.
pub(crate) struct LiveRow {
    pub contact: i64,
    pub queue: i64,
    pub for_agent: Option<i64>,
    pub since: i64,
    pub phase: &'static str,
    pub callback: bool,
}

/// `surveys` and `sales` (`value`: score or revenue in cents; `won` for
/// sales).
pub(crate) struct OpinionRow {
    pub seq: i64,
    pub contact: i64,
    pub at: i64,
    pub value: i64,
    pub won: bool,
}

/// `names`.
pub(crate) struct NameRow {
    pub entity: &'static str,
    pub id: i64,
    pub name: String,
    pub at: i64,
}

/// `queue_slots` and `agent_days`: key (queue or agent), start, JSON.
pub(crate) struct TallyRow {
    pub key: i64,
    pub start: i64,
    pub tally: String,
}

/// Everything one batch writes.
#[derive(Default)]
pub(crate) struct Rows {
    pub log: Vec<LogRow>,
    pub contacts: Vec<ContactRow>,
    pub legs: Vec<LegRow>,
    pub intervals: Vec<StateRow>,
    pub surveys: Vec<OpinionRow>,
    pub sales: Vec<OpinionRow>,
    /// The last name of each entity the batch names.
    pub names: Vec<NameRow>,
    /// The batch's earliest and latest fact times (names aside), to widen
    /// the stored span with.
    pub span: Option<(i64, i64)>,
    /// Final states of the agents the batch touched.
    pub agents: Vec<StateRow>,
    /// Final states of the live contacts the batch touched.
    pub live: Vec<LiveRow>,
    /// Stored live contacts that are live no more.
    pub gone: Vec<i64>,
    /// Merged tallies to store.
    pub queue_slots: Vec<TallyRow>,
    pub agent_days: Vec<TallyRow>,
}

/// A projected batch: its rows, and its tallies by (queue, slot) and
/// (agent, day), to merge into the stored ones.
struct Projected {
    rows: Rows,
    queue_slots: BTreeMap<(i64, i64), QueueTally>,
    agent_days: BTreeMap<(i64, i64), AgentTally>,
}

/// Folds a batch of facts over the stored state they start from.
struct Projector {
    days: BucketCache,
    agents: FxHashMap<AgentId, (AgentState, Time)>,
    agents_touched: FxHashSet<AgentId>,
    live: FxHashMap<ContactId, Live>,
    live_stored: FxHashSet<ContactId>,
    live_touched: FxHashSet<ContactId>,
    finished: FxHashSet<ContactId>,
    legs: Vec<LegFact>,
    queue_slots: BTreeMap<(i64, i64), QueueTally>,
    agent_days: BTreeMap<(i64, i64), AgentTally>,
    names: BTreeMap<Entity, (String, i64)>,
    rows: Rows,
}

impl Projector {
    fn new(zone: &TimeZone, loaded: Loaded) -> Self {
        Projector {
            days: BucketCache::new(Bucketing {
                interval: Interval::Day,
                time_zone: zone.clone(),
            }),
            agents: loaded.agents,
            agents_touched: FxHashSet::default(),
            live_stored: loaded.live.keys().copied().collect(),
            live: loaded.live,
            live_touched: FxHashSet::default(),
            finished: loaded.finished,
            legs: Vec::new(),
            queue_slots: BTreeMap::new(),
            agent_days: BTreeMap::new(),
            names: BTreeMap::new(),
            rows: Rows::default(),
        }
    }

    /// Projects one fact; with `log`, also makes its log row.
    fn apply(&mut self, seq: u64, fact: &Fact, log: bool) -> Result<(), Error> {
        let seq_col = int(seq, "seq", seq)?;
        let at = int(seq, "time", fact.at().as_millis())?;
        if log {
            self.rows.log.push(LogRow {
                seq: seq_col,
                at,
                kind: fact.kind(),
                body: serde_json::to_string(fact)
                    .map_err(|source| Error::Encode { seq, source })?,
            });
        }
        // Names, import marks and administration changes are dated when
        // they were made, not when calls happened.
        if !matches!(fact, Fact::Named(_) | Fact::Imported(_) | Fact::Admin(_)) {
            let (first, last) = self.rows.span.get_or_insert((at, at));
            *first = (*first).min(at);
            *last = (*last).max(at);
        }
        match fact {
            Fact::Routing(record) => self.record(seq, record.at, &record.kind),
            Fact::Survey(survey) => {
                self.rows.surveys.push(OpinionRow {
                    seq: seq_col,
                    contact: int(seq, "contact id", survey.contact.0)?,
                    at,
                    value: i64::from(survey.score.get()),
                    won: false,
                });
                Ok(())
            }
            Fact::Sale(sale) => {
                self.rows.sales.push(OpinionRow {
                    seq: seq_col,
                    contact: int(seq, "contact id", sale.contact.0)?,
                    at,
                    value: sale.revenue.0,
                    won: sale.won,
                });
                Ok(())
            }
            Fact::Named(naming) => {
                // A later name replaces an earlier one, in the batch too.
                self.names.insert(naming.entity, (naming.name.clone(), at));
                Ok(())
            }
            // Kept in the log only, found through their indexes.
            Fact::Imported(_) | Fact::Admin(_) => Ok(()),
        }
    }

    fn record(&mut self, seq: u64, at: Time, kind: &RecordKind) -> Result<(), Error> {
        match kind {
            RecordKind::ContactArrived { contact, queue, .. } => {
                let live = Live {
                    queue: *queue,
                    for_agent: None,
                    since: at,
                    phase: Phase::Waiting,
                    callback: false,
                };
                self.live_touched.insert(*contact);
                self.live.insert(*contact, live);
            }
            RecordKind::Offered { contact, .. } => {
                self.update(*contact, |c| c.phase = Phase::Offered)
            }
            RecordKind::OfferEnded {
                contact, outcome, ..
            } => {
                if *outcome == OfferOutcome::CallerHungUp {
                    self.gone(*contact);
                } else {
                    self.update(*contact, |c| c.phase = Phase::Waiting);
                }
            }
            RecordKind::Connected { contact, .. } => {
                self.update(*contact, |c| c.phase = Phase::Connected)
            }
            // A transfer re-queues the contact: its Transferred record came
            // first and put it back in line.
            RecordKind::CallEnded { contact, by, .. } if *by != Party::Transfer => {
                self.gone(*contact)
            }
            RecordKind::Transferred { contact, to, .. } => self.update(*contact, |c| {
                match *to {
                    TransferTarget::Queue(queue) => {
                        c.queue = queue;
                        c.for_agent = None;
                    }
                    TransferTarget::Agent(agent) => c.for_agent = Some(agent),
                }
                // A transfer starts a new place in line.
                c.since = at;
                c.phase = Phase::Waiting;
            }),
            RecordKind::Overflowed { contact, to, .. } => match *to {
                Overflow::Voicemail => self.gone(*contact),
                Overflow::Callback => self.update(*contact, |c| c.callback = true),
                // The place in line survives an overflow.
                Overflow::Queue(queue) => self.update(*contact, |c| {
                    c.queue = queue;
                    c.for_agent = None;
                }),
            },
            RecordKind::CallbackRequested { contact } => {
                self.update(*contact, |c| c.callback = true)
            }
            RecordKind::AgentStateChanged { agent, to, .. } => {
                self.agent_state(seq, at, *agent, to)?
            }
            RecordKind::ContactFinished(contact) => self.finished(seq, contact)?,
            _ => {}
        }
        Ok(())
    }

    fn update(&mut self, contact: ContactId, change: impl FnOnce(&mut Live)) {
        // Records of a contact that arrived before the log began are ignored.
        if let Some(live) = self.live.get_mut(&contact) {
            change(live);
            self.live_touched.insert(contact);
        }
    }

    fn gone(&mut self, contact: ContactId) {
        if self.live.remove(&contact).is_some() {
            self.live_touched.insert(contact);
        }
    }

    fn agent_state(
        &mut self,
        seq: u64,
        at: Time,
        agent: AgentId,
        to: &AgentState,
    ) -> Result<(), Error> {
        let previous = self.agents.insert(agent, (to.clone(), at));
        self.agents_touched.insert(agent);
        if let Some((state, since)) = previous
            && state != AgentState::LoggedOut
        {
            self.add_state(seq, agent, &state, since, at)?;
            let (name, reason) = columns::state(&state);
            self.rows.intervals.push(StateRow {
                seq: int(seq, "seq", seq)?,
                agent: i64::from(agent.0),
                state: name,
                reason: reason.cloned(),
                start: int(seq, "time", since.as_millis())?,
                end: int(seq, "time", at.as_millis())?,
            });
        }
        if *to == AgentState::LoggedOut {
            let day = self.day(seq, at)?.0;
            self.agent_days
                .entry((i64::from(agent.0), day))
                .or_default()
                .logouts += 1;
        }
        Ok(())
    }

    /// The start of the local day containing `at` (ms, may be negative) and
    /// its end.
    fn day(&mut self, seq: u64, at: Time) -> Result<(i64, Time), Error> {
        let (start, end) = self
            .days
            .locate(at)
            .map_err(|source| Error::Kpi { seq, source })?;
        Ok((start.timestamp().as_millisecond(), end))
    }

    /// Counts a closed state in the agent's days, split at midnight as
    /// [`kpi::AgentAggregator::add_state`] does.
    fn add_state(
        &mut self,
        seq: u64,
        agent: AgentId,
        state: &AgentState,
        from: Time,
        to: Time,
    ) -> Result<(), Error> {
        let mut at = from;
        while at < to {
            let (day, end) = self.day(seq, at)?;
            let until = to.min(end);
            self.agent_days
                .entry((i64::from(agent.0), day))
                .or_default()
                .add_state(state, until.since(at));
            at = until;
        }
        Ok(())
    }

    fn finished(&mut self, seq: u64, contact: &acd::record::ContactRecord) -> Result<(), Error> {
        let id = int(seq, "contact id", contact.id.0)?;
        if !self.finished.insert(contact.id) {
            return Err(Error::DuplicateContact {
                seq,
                contact: contact.id,
            });
        }
        self.legs.clear();
        kpi::legs::classify(contact, &mut self.legs)
            .map_err(|source| Error::Kpi { seq, source })?;
        let legs = std::mem::take(&mut self.legs);
        for (index, (leg, fact)) in contact.legs.iter().zip(&legs).enumerate() {
            let slot = slot_of(fact.queued).as_millis();
            let queue = i64::from(fact.queue.0);
            self.queue_slots
                .entry((queue, int(seq, "time", slot)?))
                .or_default()
                .add(fact);
            let work = match &fact.work {
                None => None,
                Some(work) => {
                    let day = self.day(seq, work.answered)?.0;
                    self.agent_days
                        .entry((i64::from(work.agent.0), day))
                        .or_default()
                        .add_work(work);
                    Some(WorkRow {
                        agent: i64::from(work.agent.0),
                        answered: int(seq, "time", work.answered.as_millis())?,
                        talk: int(seq, "talk time", work.talk.as_millis())?,
                        hold: int(seq, "hold time", work.hold.as_millis())?,
                        wrap: int(seq, "wrap-up time", work.wrap.as_millis())?,
                        outcome: work.outcome.clone(),
                    })
                }
            };
            self.rows.legs.push(LegRow {
                queued: int(seq, "time", fact.queued.as_millis())?,
                contact: id,
                leg: index as i64,
                queue,
                entry: columns::entry(fact.entry),
                disposition: columns::disposition(fact.disposition),
                left_line: int(seq, "time", fact.left_line.as_millis())?,
                work,
                reason: leg.reason.clone(),
            });
        }
        self.legs = legs;
        self.rows.contacts.push(ContactRow {
            id,
            seq: int(seq, "seq", seq)?,
            arrived: int(seq, "time", contact.arrived.as_millis())?,
            finished: int(seq, "time", contact.finished.as_millis())?,
            ani: contact.ani.as_ref().map(|n| n.as_str().to_owned()),
            dnis: contact.dnis.as_str().to_owned(),
            result: columns::result(contact.result),
            customer: contact
                .attributes
                .iter()
                .find(|(key, _)| key.as_str() == CUSTOMER_ATTRIBUTE)
                .map(|(_, value)| value.clone()),
        });
        self.gone(contact.id);
        Ok(())
    }

    /// The rows, and the tally deltas still to merge with stored tallies.
    fn finish(mut self) -> Projected {
        let mut agents: Vec<_> = self.agents_touched.into_iter().collect();
        agents.sort_unstable();
        for agent in agents {
            let (state, since) = &self.agents[&agent];
            let (name, reason) = columns::state(state);
            self.rows.agents.push(StateRow {
                seq: 0,
                agent: i64::from(agent.0),
                state: name,
                reason: reason.cloned(),
                // Checked when the fact that set it was projected.
                start: since.as_millis() as i64,
                end: 0,
            });
        }
        let mut contacts: Vec<_> = self.live_touched.into_iter().collect();
        contacts.sort_unstable();
        for contact in contacts {
            // Ids were checked when their keys were collected.
            let id = contact.0 as i64;
            match self.live.get(&contact) {
                Some(live) => self.rows.live.push(LiveRow {
                    contact: id,
                    queue: i64::from(live.queue.0),
                    for_agent: live.for_agent.map(|a| i64::from(a.0)),
                    since: live.since.as_millis() as i64,
                    phase: columns::phase(live.phase),
                    callback: live.callback,
                }),
                None if self.live_stored.contains(&contact) => self.rows.gone.push(id),
                None => {}
            }
        }
        for (entity, (name, at)) in self.names {
            let (entity, id) = columns::entity(entity);
            self.rows.names.push(NameRow {
                entity,
                id,
                name,
                at,
            });
        }
        Projected {
            rows: self.rows,
            queue_slots: self.queue_slots,
            agent_days: self.agent_days,
        }
    }
}
