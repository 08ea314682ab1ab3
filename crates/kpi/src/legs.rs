//! Each leg of each finished contact, classified once for every report.
//!
//! Key types: [`LegFact`] (one pass of a contact through one queue: how it
//! entered, how it left the line, and the agent's work if it was handled),
//! [`Entry`], [`Disposition`], [`Work`], and [`Classifier`], which turns the
//! engine's records into facts.
//!
//! A leg is one contact offered to one queue: a transfer or an overflow
//! starts a new leg in the new queue, so a transferred call counts as
//! offered (and answered) in both queues. The line wait of a leg runs from
//! its entry into that queue to the moment it left the line; a callback
//! leaves the line when it is requested, because the customer no longer
//! waits on the phone.

use std::collections::HashMap;

use acd::config::Overflow;
use acd::model::{AgentId, Code, ContactId, QueueId, Span, Time};
use acd::record::{ContactRecord, Leg, LegEnd};
use acd::{Record, RecordKind};
use serde::Serialize;

use crate::error::Error;

/// How a leg entered its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// The contact arrived.
    Arrival,
    /// An agent transferred it here.
    Transfer,
    /// Another queue's maximum wait sent it here.
    Overflow,
}

/// How a leg left the line; exactly one per leg, so the dispositions of a
/// queue's legs add up to its offered contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Connected to an agent while the caller waited.
    Answered,
    /// The caller hung up while queued or ringing.
    Abandoned,
    /// The queue's maximum wait moved it to another queue.
    Overflowed,
    /// The queue's maximum wait sent it to voicemail or made it a callback.
    TimedOut,
    /// The caller asked to be called back.
    CallbackRequested,
}

/// An agent's work on a handled leg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Work {
    /// The agent.
    pub agent: AgentId,
    /// Connected time not on hold.
    pub talk: Span,
    /// Time on hold.
    pub hold: Span,
    /// After-call work.
    pub wrap: Span,
    /// Outcome code from wrap-up.
    pub outcome: Option<Code>,
}

impl Work {
    /// Talk + hold + wrap-up: the handle time.
    pub fn handle(&self) -> Span {
        self.talk + self.hold + self.wrap
    }
}

/// One leg of a finished contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegFact {
    /// The contact.
    pub contact: ContactId,
    /// The queue.
    pub queue: QueueId,
    /// How it entered the queue.
    pub entry: Entry,
    /// When it entered the queue.
    pub queued: Time,
    /// How it left the line.
    pub disposition: Disposition,
    /// When it left the line.
    pub left_line: Time,
    /// The agent's work, if an agent connected and wrapped up (callbacks
    /// included, so handled legs are not only answered ones).
    pub work: Option<Work>,
}

impl LegFact {
    /// Time on the line in this queue.
    pub fn wait(&self) -> Span {
        self.left_line.since(self.queued)
    }
}

/// How a contact became a callback.
#[derive(Debug, Clone, Copy)]
enum Callback {
    Requested,
    TimedOut,
}

/// Turns records into [`LegFact`]s. Feed every record in engine order;
/// facts come out when their contact finishes, so a contact still live at
/// the end of the records is in no report.
#[derive(Debug, Default)]
pub struct Classifier {
    /// When each live contact became a callback; the engine keeps such a
    /// contact in its leg, so the moment is only in the record stream.
    callbacks: HashMap<ContactId, Vec<(Time, Callback)>>,
}

impl Classifier {
    /// Takes one record, appending the facts of a contact that finished.
    pub fn push(&mut self, record: &Record, facts: &mut Vec<LegFact>) -> Result<(), Error> {
        match &record.kind {
            RecordKind::CallbackRequested { contact } => self
                .callbacks
                .entry(*contact)
                .or_default()
                .push((record.at, Callback::Requested)),
            RecordKind::Overflowed {
                contact,
                to: Overflow::Callback,
                ..
            } => self
                .callbacks
                .entry(*contact)
                .or_default()
                .push((record.at, Callback::TimedOut)),
            RecordKind::ContactFinished(contact) => {
                let callbacks = self.callbacks.remove(&contact.id).unwrap_or_default();
                classify(contact, &callbacks, facts)?;
            }
            _ => {}
        }
        Ok(())
    }
}

fn classify(
    contact: &ContactRecord,
    callbacks: &[(Time, Callback)],
    facts: &mut Vec<LegFact>,
) -> Result<(), Error> {
    let incomplete = |leg, what| Error::IncompleteLeg {
        contact: contact.id,
        leg,
        what,
    };
    let mut entry = Entry::Arrival;
    for (index, leg) in contact.legs.iter().enumerate() {
        let next_queued = contact.legs.get(index + 1).map(|next| next.queued);
        // A callback belongs to the leg in line when it happened: the
        // last leg that had entered its queue by then.
        let callback = callbacks
            .iter()
            .find(|(at, _)| *at >= leg.queued && next_queued.is_none_or(|next| *at < next));
        let (disposition, left_line) = match (callback, leg.end) {
            (Some((at, Callback::Requested)), _) => (Disposition::CallbackRequested, *at),
            (Some((at, Callback::TimedOut)), _) => (Disposition::TimedOut, *at),
            (None, Some(LegEnd::Handled | LegEnd::Transferred)) => (
                Disposition::Answered,
                leg.answered.ok_or(incomplete(index, "answer time"))?,
            ),
            (None, Some(LegEnd::Abandoned)) => (
                Disposition::Abandoned,
                leg.ended.ok_or(incomplete(index, "end time"))?,
            ),
            (None, Some(LegEnd::Overflowed(Overflow::Queue(_)))) => (
                Disposition::Overflowed,
                leg.ended.ok_or(incomplete(index, "end time"))?,
            ),
            (None, Some(LegEnd::Overflowed(Overflow::Voicemail | Overflow::Callback))) => (
                Disposition::TimedOut,
                leg.ended.ok_or(incomplete(index, "end time"))?,
            ),
            (None, None) => return Err(incomplete(index, "end")),
        };
        facts.push(LegFact {
            contact: contact.id,
            queue: leg.queue,
            entry,
            queued: leg.queued,
            disposition,
            left_line,
            work: work(leg).map_err(|what| incomplete(index, what))?,
        });
        entry = match leg.end {
            Some(LegEnd::Overflowed(_)) => Entry::Overflow,
            _ => Entry::Transfer,
        };
    }
    Ok(())
}

fn work(leg: &Leg) -> Result<Option<Work>, &'static str> {
    let (Some(answered), Some(agent)) = (leg.answered, leg.agent) else {
        return Ok(None);
    };
    let ended = leg.ended.ok_or("end time")?;
    let wrap_ended = leg.wrap_ended.ok_or("wrap-up end")?;
    let hold = leg
        .holds
        .iter()
        .fold(Span::ZERO, |sum, h| sum + h.end.since(h.start));
    Ok(Some(Work {
        agent,
        talk: ended.since(answered) - hold,
        hold,
        wrap: wrap_ended.since(ended),
        outcome: leg.outcome.clone(),
    }))
}
