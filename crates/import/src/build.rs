//! Assembling an import: every format hands over contacts, agent state
//! changes and surveys as it derives them, and gets back a numbered,
//! time-ordered fact log.
//!
//! Key items: `Builder`, `Fail` (reject a row or stop), and the `leg` and `contact` constructors that fill
//! in what the engine would (a leg's empty fields, a contact's result and
//! finish).

use acd::config::Overflow;
use acd::model::{AgentId, Code, ContactId, PhoneNumber, Priority, QueueId, Time};
use acd::record::{ContactRecord, ContactResult, Leg, LegEnd};
use acd::{AgentState, Record, RecordKind};
use kpi::{Entity, Fact, Naming, Score, Survey};

use crate::error::Error;
use crate::{Import, Names, Rejected, Report};

/// Why a row or line was not used.
pub(crate) enum Fail {
    /// The row is rejected; the import goes on.
    Reject(String),
    /// The import stops.
    Fatal(Error),
}

impl From<Error> for Fail {
    fn from(error: Error) -> Self {
        Fail::Fatal(error)
    }
}

pub(crate) fn reject<T>(reason: String) -> Result<T, Fail> {
    Err(Fail::Reject(reason))
}

/// Facts not yet ordered.
enum Pending {
    Record(RecordKind),
    Survey(Survey),
}

/// Collects what a format derived, then orders and numbers it.
pub(crate) struct Builder {
    entries: Vec<(Time, Pending)>,
    next_contact: u64,
    sources: Vec<(ContactId, String)>,
    rejected: Vec<Rejected>,
    report: Report,
    new_names: Vec<Entity>,
}

impl Builder {
    pub(crate) fn new(first_contact: ContactId) -> Self {
        Builder {
            entries: Vec::new(),
            next_contact: first_contact.0,
            sources: Vec::new(),
            rejected: Vec::new(),
            report: Report::default(),
            new_names: Vec::new(),
        }
    }

    /// The next contact id.
    pub(crate) fn contact_id(&mut self) -> Result<ContactId, Error> {
        let id = ContactId(self.next_contact);
        self.next_contact = self
            .next_contact
            .checked_add(1)
            .ok_or(Error::IdsExhausted("contact"))?;
        Ok(id)
    }

    /// The id of queue `name`, noting it when the import added it.
    pub(crate) fn queue(&mut self, names: &mut Names, name: &str) -> Result<QueueId, Error> {
        let (id, new) = names.queue_or_add(name)?;
        if new {
            self.new_names.push(Entity::Queue(id));
        }
        Ok(id)
    }

    /// The id of agent `name`, noting it when the import added it.
    pub(crate) fn agent(&mut self, names: &mut Names, name: &str) -> Result<AgentId, Error> {
        let (id, new) = names.agent_or_add(name)?;
        if new {
            self.new_names.push(Entity::Agent(id));
        }
        Ok(id)
    }

    pub(crate) fn reject(&mut self, line: u64, reason: impl Into<String>) {
        self.rejected.push(Rejected {
            line,
            reason: reason.into(),
        });
    }

    /// Counts one more under `key`.
    pub(crate) fn count(&mut self, key: &str) {
        self.add(key, 1);
    }

    /// Counts `n` more under `key`.
    pub(crate) fn add(&mut self, key: &str, n: u64) {
        if n > 0 {
            *self.report.counts.entry(key.to_owned()).or_default() += n;
        }
    }

    pub(crate) fn lines(&mut self, lines: u64) {
        self.report.lines = lines;
    }

    pub(crate) fn state(&mut self, at: Time, agent: AgentId, from: AgentState, to: AgentState) {
        self.report.agent_state_changes += 1;
        self.entries.push((
            at,
            Pending::Record(RecordKind::AgentStateChanged { agent, from, to }),
        ));
    }

    /// Logs a finished contact and, when the source has one, its survey
    /// score, dated at the contact's finish (surveys follow the call).
    pub(crate) fn finished(&mut self, contact: ContactRecord, source: String, csat: Option<Score>) {
        self.report.contacts += 1;
        self.report.legs += contact.legs.len() as u64;
        let (id, at) = (contact.id, contact.finished);
        self.sources.push((id, source));
        self.entries.push((
            at,
            Pending::Record(RecordKind::ContactFinished(Box::new(contact))),
        ));
        if let Some(score) = csat {
            self.report.surveys += 1;
            self.entries.push((
                at,
                Pending::Survey(Survey {
                    contact: id,
                    at,
                    score,
                }),
            ));
        }
    }

    pub(crate) fn unfinished(&mut self, source: String) {
        self.report.unfinished.push(source);
    }

    /// Orders by time (a contact before its survey, otherwise in the order
    /// derived, which keeps each agent's state changes chained) and numbers
    /// the records.
    pub(crate) fn finish(mut self, names: Names) -> Import {
        self.entries
            .sort_by_key(|(at, pending)| (*at, matches!(pending, Pending::Survey(_))));
        let start = self.entries.first().map_or(Time::ZERO, |(at, _)| *at);
        let mut facts = Vec::with_capacity(self.new_names.len() + self.entries.len());
        for entity in self.new_names {
            let name = match entity {
                Entity::Queue(id) => names.queue_name(id),
                Entity::Agent(id) => names.agent_name(id),
            };
            facts.push(Fact::Named(Naming {
                at: start,
                entity,
                name: name.unwrap_or_default().to_owned(),
            }));
        }
        let mut seq = 0;
        for (at, pending) in self.entries {
            facts.push(match pending {
                Pending::Record(kind) => {
                    seq += 1;
                    Fact::Routing(Record {
                        seq: seq - 1,
                        at,
                        kind,
                    })
                }
                Pending::Survey(survey) => Fact::Survey(survey),
            });
        }
        self.sources.sort();
        self.rejected.sort_by_key(|r| r.line);
        Import {
            facts,
            names,
            sources: self.sources,
            rejected: self.rejected,
            report: self.report,
        }
    }
}

/// A leg that entered `queue` at `queued` and nothing else yet.
pub(crate) fn leg(queue: QueueId, queued: Time) -> Leg {
    Leg {
        queue,
        for_agent: None,
        queued,
        offers: Vec::new(),
        answered: None,
        agent: None,
        holds: Vec::new(),
        ended: None,
        end: None,
        callback: None,
        wrap_ended: None,
        outcome: None,
        reason: None,
        notes: String::new(),
    }
}

/// What a contact record needs beyond its legs.
pub(crate) struct Caller {
    pub(crate) ani: Option<PhoneNumber>,
    pub(crate) dnis: PhoneNumber,
    pub(crate) priority: Priority,
    pub(crate) attributes: Vec<(Code, Code)>,
    pub(crate) arrived: Time,
}

/// The record of a contact whose legs have all ended: its result follows
/// its last leg, and it finished when the last of its legs closed.
pub(crate) fn contact(id: ContactId, caller: Caller, legs: Vec<Leg>) -> ContactRecord {
    let result = match legs.last().and_then(|leg| leg.end) {
        Some(LegEnd::Abandoned) | None => ContactResult::Abandoned,
        // Importers end no leg by a callback; a last overflow leaves the ACD.
        Some(LegEnd::Overflowed(Overflow::Voicemail | Overflow::Callback | Overflow::Queue(_))) => {
            ContactResult::Voicemail
        }
        Some(LegEnd::Handled | LegEnd::Transferred) => ContactResult::Handled,
        Some(LegEnd::Interrupted) => ContactResult::Interrupted,
    };
    let finished = legs
        .iter()
        .map(|leg| {
            [leg.wrap_ended, leg.ended, leg.answered]
                .into_iter()
                .flatten()
                .fold(leg.queued, Time::max)
        })
        .fold(caller.arrived, Time::max);
    ContactRecord {
        id,
        ani: caller.ani,
        dnis: caller.dnis,
        priority: caller.priority,
        attributes: caller.attributes,
        arrived: caller.arrived,
        callback: false,
        legs,
        result,
        finished,
    }
}
