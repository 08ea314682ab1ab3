//! How values become columns and back, the same for every backend.
//!
//! Key functions: [`int`] (an unsigned engine number as a signed 64-bit
//! column, refused rather than wrapped when too large), the name functions
//! for enumerations ([`state`], [`entry`], [`disposition`], [`result`],
//! [`phase`], [`entity`]) and their parsers, and rows back into values
//! ([`decode`] for log bodies, [`contact_record`], [`live`]). Names are the
//! snake_case names of the JSON log, so SQL reads like the log.

use std::time::{SystemTime, UNIX_EPOCH};

use acd::model::{AgentId, Code, QueueId, Time};
use acd::record::{ContactRecord, ContactResult};
use acd::{AgentState, RecordKind};
use kpi::{Disposition, Entity, Entry, Fact};

use crate::error::Error;
use crate::project::Live;

/// `value` as a column, or an error naming the fact and the value.
pub(crate) fn int(seq: u64, what: &'static str, value: u64) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| Error::OutOfRange { seq, what, value })
}

/// A bound of a time range as a column: times past the largest storable one
/// compare like it.
pub(crate) fn bound(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// A stored number back: every stored number was written by [`int`], so a
/// negative one is corruption.
pub(crate) fn uint(table: &'static str, key: impl ToString, value: i64) -> Result<u64, Error> {
    u64::try_from(value).map_err(|_| Error::corrupt(table, key, format!("negative number {value}")))
}

/// A stored agent or queue number back.
pub(crate) fn id32(table: &'static str, key: impl ToString, value: i64) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| Error::corrupt(table, key, format!("id {value} out of range")))
}

/// An agent state as (name, not-ready reason).
pub(crate) fn state(state: &AgentState) -> (&'static str, Option<&Code>) {
    match state {
        AgentState::LoggedOut => ("logged_out", None),
        AgentState::Ready => ("ready", None),
        AgentState::Reserved => ("reserved", None),
        AgentState::Talking => ("talking", None),
        AgentState::OnHold => ("on_hold", None),
        AgentState::WrapUp => ("wrap_up", None),
        AgentState::NotReady(reason) => ("not_ready", Some(reason)),
    }
}

/// The inverse of [`state`].
pub(crate) fn parse_state(name: &str, reason: Option<&str>) -> Result<AgentState, String> {
    Ok(match name {
        "logged_out" => AgentState::LoggedOut,
        "ready" => AgentState::Ready,
        "reserved" => AgentState::Reserved,
        "talking" => AgentState::Talking,
        "on_hold" => AgentState::OnHold,
        "wrap_up" => AgentState::WrapUp,
        "not_ready" => {
            let reason = reason.ok_or("not_ready without a reason")?;
            AgentState::NotReady(Code::parse(reason).map_err(|e| e.to_string())?)
        }
        other => return Err(format!("unknown agent state {other:?}")),
    })
}

pub(crate) fn entry(entry: Entry) -> &'static str {
    match entry {
        Entry::Arrival => "arrival",
        Entry::Transfer => "transfer",
        Entry::Overflow => "overflow",
    }
}

pub(crate) fn parse_entry(name: &[u8]) -> Option<Entry> {
    Some(match name {
        b"arrival" => Entry::Arrival,
        b"transfer" => Entry::Transfer,
        b"overflow" => Entry::Overflow,
        _ => return None,
    })
}

pub(crate) fn disposition(disposition: Disposition) -> &'static str {
    match disposition {
        Disposition::Answered => "answered",
        Disposition::Abandoned => "abandoned",
        Disposition::Overflowed => "overflowed",
        Disposition::TimedOut => "timed_out",
        Disposition::CallbackRequested => "callback_requested",
        Disposition::Interrupted => "interrupted",
    }
}

pub(crate) fn parse_disposition(name: &[u8]) -> Option<Disposition> {
    Some(match name {
        b"answered" => Disposition::Answered,
        b"abandoned" => Disposition::Abandoned,
        b"overflowed" => Disposition::Overflowed,
        b"timed_out" => Disposition::TimedOut,
        b"callback_requested" => Disposition::CallbackRequested,
        b"interrupted" => Disposition::Interrupted,
        _ => return None,
    })
}

pub(crate) fn result(result: ContactResult) -> &'static str {
    match result {
        ContactResult::Handled => "handled",
        ContactResult::Abandoned => "abandoned",
        ContactResult::Voicemail => "voicemail",
        ContactResult::Interrupted => "interrupted",
    }
}

/// A named entity as (kind, id).
pub(crate) fn entity(entity: Entity) -> (&'static str, i64) {
    match entity {
        Entity::Queue(queue) => ("queue", i64::from(queue.0)),
        Entity::Agent(agent) => ("agent", i64::from(agent.0)),
    }
}

/// The inverse of [`entity`].
pub(crate) fn parse_entity(kind: &str, id: u32) -> Option<Entity> {
    match kind {
        "queue" => Some(Entity::Queue(QueueId(id))),
        "agent" => Some(Entity::Agent(AgentId(id))),
        _ => None,
    }
}

/// Where a live contact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// In line (its queue's, or its named agent's after a transfer).
    Waiting,
    /// Ringing at an agent.
    Offered,
    /// Talking or on hold.
    Connected,
}

pub(crate) fn phase(phase: Phase) -> &'static str {
    match phase {
        Phase::Waiting => "waiting",
        Phase::Offered => "offered",
        Phase::Connected => "connected",
    }
}

pub(crate) fn parse_phase(name: &str) -> Option<Phase> {
    Some(match name {
        "waiting" => Phase::Waiting,
        "offered" => Phase::Offered,
        "connected" => Phase::Connected,
        _ => return None,
    })
}

/// Outcome and reason codes repeat across millions of legs: parsing each
/// once and sharing it saves an allocation and a validation per row.
#[derive(Debug, Default)]
pub(crate) struct Codes(rustc_hash::FxHashMap<Box<str>, Code>);

impl Codes {
    pub(crate) fn get(&mut self, text: &str) -> Result<Code, String> {
        if let Some(code) = self.0.get(text) {
            return Ok(code.clone());
        }
        let code = Code::parse(text).map_err(|e| e.to_string())?;
        self.0.insert(text.into(), code.clone());
        Ok(code)
    }
}

/// A log body back into its fact.
pub(crate) fn decode(seq: u64, body: &str) -> Result<Fact, Error> {
    serde_json::from_str(body).map_err(|e| Error::corrupt("log", seq, e))
}

/// The contact record in a ContactFinished fact's body.
pub(crate) fn contact_record(seq: u64, body: &str) -> Result<ContactRecord, Error> {
    match decode(seq, body)? {
        Fact::Routing(record) => match record.kind {
            RecordKind::ContactFinished(contact) => Ok(*contact),
            _ => Err(Error::corrupt(
                "contacts",
                seq,
                "its log entry is not a ContactFinished",
            )),
        },
        _ => Err(Error::corrupt(
            "contacts",
            seq,
            "its log entry is not a routing record",
        )),
    }
}

/// A live contact from its columns.
pub(crate) fn live(
    table: &'static str,
    contact: i64,
    queue: i64,
    for_agent: Option<i64>,
    since: i64,
    phase: &str,
    callback: bool,
) -> Result<Live, Error> {
    Ok(Live {
        queue: QueueId(id32(table, contact, queue)?),
        for_agent: for_agent
            .map(|a| id32(table, contact, a).map(AgentId))
            .transpose()?,
        since: Time::from_millis(uint(table, contact, since)?),
        phase: parse_phase(phase)
            .ok_or_else(|| Error::corrupt(table, contact, format!("unknown phase {phase:?}")))?,
        callback,
    })
}

/// Wall-clock time for the migration record only; facts carry their own.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
