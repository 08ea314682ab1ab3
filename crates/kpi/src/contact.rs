//! What the business reports read from a finished contact, worked out once.
//!
//! Key types: [`Customer`] (who called), [`ContactFacts`] (one finished
//! contact summarised for every business report: customer, call reason,
//! agent, outcome, handle and line time, recording) and [`ContactList`] (a
//! count with the ids behind it: the drill-down of every business figure).
//!
//! Attribute keys read (set by the IVR or the CRM lookup): `customer` (the
//! customer id), `reason` (the call reason the IVR menu chose), `recording`
//! and `department`. The recording is, for now, the `recording` attribute —
//! a file name or id, so a code of letters, digits and `-_.:` — until the
//! recorder logs facts of its own.

use acd::model::{AgentId, Code, ContactId, PhoneNumber, QueueId, Span, Time};
use acd::record::{ContactRecord, Leg};
use serde::Serialize;

/// Who a contact came from: the `customer` attribute, else the caller's
/// number. Contacts with neither cannot be linked to each other.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Customer {
    /// The customer id the IVR or CRM attached.
    Id(Code),
    /// The caller's number (ANI).
    Ani(PhoneNumber),
}

/// A count and the contacts behind it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactList {
    /// How many.
    pub count: u64,
    /// Which, in the order they were counted.
    pub contacts: Vec<ContactId>,
}

impl ContactList {
    /// Counts one more contact.
    pub fn push(&mut self, contact: ContactId) {
        self.count += 1;
        self.contacts.push(contact);
    }
}

/// One finished contact as the business reports see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactFacts {
    /// The contact.
    pub id: ContactId,
    /// When it arrived.
    pub arrived: Time,
    /// The caller's number.
    pub ani: Option<PhoneNumber>,
    /// The dialled (advertised) number.
    pub dnis: PhoneNumber,
    /// Who called, if known.
    pub customer: Option<Customer>,
    /// The call reason: the wrap-up reason of its last leg that has one,
    /// else the `reason` attribute.
    pub reason: Option<Code>,
    /// An agent connected and wrapped up at least one leg.
    pub handled: bool,
    /// The agent of the last handled leg.
    pub agent: Option<AgentId>,
    /// The last outcome code given at wrap-up.
    pub outcome: Option<Code>,
    /// The wrap-up notes of the last leg that has some.
    pub notes: String,
    /// Talk + hold + wrap-up over all handled legs.
    pub handle: Span,
    /// Time the caller was on the line: from arrival to the end of each
    /// leg's conversation or wait, less the time a callback was pending.
    pub line: Span,
    /// The `recording` attribute.
    pub recording: Option<Code>,
    /// The `department` attribute.
    pub department: Option<Code>,
    /// The queue of the last handled leg, else of the last leg.
    pub queue: Option<QueueId>,
}

fn attribute<'a>(contact: &'a ContactRecord, key: &str) -> Option<&'a Code> {
    contact
        .attributes
        .iter()
        .find(|(k, _)| k.as_str() == key)
        .map(|(_, v)| v)
}

/// Whether an agent connected and wrapped up the leg, as in
/// [`crate::LegFact::work`].
fn handled(leg: &Leg) -> bool {
    leg.answered.is_some() && leg.agent.is_some() && leg.wrap_ended.is_some()
}

/// The time the caller of `leg` spent on the line.
fn line_time(leg: &Leg) -> Span {
    let ended = leg.ended.unwrap_or(leg.queued);
    match (leg.callback, leg.answered) {
        (Some(mark), Some(answered)) => mark.at.since(leg.queued) + ended.since(answered),
        (Some(mark), None) => mark.at.since(leg.queued),
        (None, _) => ended.since(leg.queued),
    }
}

impl ContactFacts {
    /// Summarises a finished contact.
    pub fn of(contact: &ContactRecord) -> Self {
        let handled_legs = || contact.legs.iter().filter(|leg| handled(leg));
        let last_handled = handled_legs().next_back();
        let customer = attribute(contact, "customer")
            .cloned()
            .map(Customer::Id)
            .or_else(|| contact.ani.clone().map(Customer::Ani));
        let before_queue = contact
            .legs
            .first()
            .map_or(Span::ZERO, |leg| leg.queued.since(contact.arrived));
        ContactFacts {
            id: contact.id,
            arrived: contact.arrived,
            ani: contact.ani.clone(),
            dnis: contact.dnis.clone(),
            customer,
            reason: contact
                .legs
                .iter()
                .rev()
                .find_map(|leg| leg.reason.clone())
                .or_else(|| attribute(contact, "reason").cloned()),
            handled: last_handled.is_some(),
            agent: last_handled.and_then(|leg| leg.agent),
            outcome: contact
                .legs
                .iter()
                .rev()
                .find_map(|leg| leg.outcome.clone()),
            notes: contact
                .legs
                .iter()
                .rev()
                .map(|leg| leg.notes.trim())
                .find(|notes| !notes.is_empty())
                .unwrap_or_default()
                .to_owned(),
            handle: handled_legs().fold(Span::ZERO, |sum, leg| {
                let (Some(answered), Some(wrapped)) = (leg.answered, leg.wrap_ended) else {
                    return sum;
                };
                sum + wrapped.since(answered)
            }),
            line: contact
                .legs
                .iter()
                .fold(before_queue, |sum, leg| sum + line_time(leg)),
            recording: attribute(contact, "recording").cloned(),
            department: attribute(contact, "department").cloned(),
            queue: last_handled.or(contact.legs.last()).map(|leg| leg.queue),
        }
    }
}
