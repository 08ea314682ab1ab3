//! Each leg of each finished contact, classified once for every report.
//!
//! Key types: [`LegFact`] (one pass of a contact through one queue: how it
//! entered, how it left the line, and the agent's work if it was handled),
//! [`Entry`], [`Disposition`], [`Work`], and [`classify`], which turns a
//! finished contact's record into facts.
//!
//! A leg is one contact offered to one queue: a transfer or an overflow
//! starts a new leg in the new queue, so a transferred call counts as
//! offered (and answered) in both queues. The line wait of a leg runs from
//! its entry into that queue to the moment it left the line; a callback
//! leaves the line when it is requested, because the customer no longer
//! waits on the phone.
//!
//! A leg still in progress when the server crashed ends
//! [`LegEnd::Interrupted`] at the restart: it is offered, with the
//! disposition [`Disposition::Interrupted`], and neither answered nor
//! abandoned (even if an agent had connected: the conversation's end is
//! unknown), and it carries no agent work.

use acd::config::Overflow;
use acd::model::{AgentId, Code, ContactId, QueueId, Span, Time};
use acd::record::{CallbackCause, ContactRecord, Leg, LegEnd};
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
    /// Still on the line, ringing or connected when the server crashed:
    /// offered, but neither answered nor abandoned.
    Interrupted,
}

/// An agent's work on a handled leg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Work {
    /// The agent.
    pub agent: AgentId,
    /// When the agent connected.
    pub answered: Time,
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

/// Appends the classified legs of a finished contact to `facts`.
pub fn classify(contact: &ContactRecord, facts: &mut Vec<LegFact>) -> Result<(), Error> {
    let incomplete = |leg, what| Error::IncompleteLeg {
        contact: contact.id,
        leg,
        what,
    };
    let mut entry = Entry::Arrival;
    for (index, leg) in contact.legs.iter().enumerate() {
        let (disposition, left_line) = match (leg.callback, leg.end) {
            (Some(mark), _) => match mark.cause {
                CallbackCause::Requested => (Disposition::CallbackRequested, mark.at),
                CallbackCause::MaxWait => (Disposition::TimedOut, mark.at),
            },
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
            (None, Some(LegEnd::Interrupted)) => (
                Disposition::Interrupted,
                leg.ended.ok_or(incomplete(index, "end time"))?,
            ),
            (None, None) => return Err(incomplete(index, "end")),
        };
        // An interrupted conversation has no known end and no wrap-up: no
        // handled work.
        let work = if leg.end == Some(LegEnd::Interrupted) {
            None
        } else {
            work(leg).map_err(|what| incomplete(index, what))?
        };
        facts.push(LegFact {
            contact: contact.id,
            queue: leg.queue,
            entry,
            queued: leg.queued,
            disposition,
            left_line,
            work,
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
        answered,
        talk: ended.since(answered) - hold,
        hold,
        wrap: wrap_ended.since(ended),
        outcome: leg.outcome.clone(),
    }))
}
