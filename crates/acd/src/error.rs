//! Why the engine refused an event.
//!
//! Key type: [`Error`]. A refused event changes nothing except that the
//! clock moved to its time (timers due by then have fired), exactly as if
//! the driver had sent [`Event::Tick`](crate::Event::Tick) instead.

use crate::config::ConfigError;
use crate::model::{AgentId, Code, ContactId, QueueId, Time};
use crate::record::AgentState;

/// An event the engine refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The event is dated before the last one.
    #[error("time went backwards: event at {event} after the engine reached {now}")]
    TimeWentBackwards {
        /// The engine's clock.
        now: Time,
        /// The event's time.
        event: Time,
    },
    /// No such agent is configured.
    #[error("unknown agent {0}")]
    UnknownAgent(AgentId),
    /// No such queue is configured.
    #[error("unknown queue {0}")]
    UnknownQueue(QueueId),
    /// No such contact is in the ACD (never arrived, or already finished).
    #[error("unknown contact {0}")]
    UnknownContact(ContactId),
    /// A contact id arrived twice.
    #[error("contact {0} already arrived")]
    DuplicateContact(ContactId),
    /// A reason code that is not configured.
    #[error("unknown not-ready reason code {0}")]
    UnknownReason(Code),
    /// An outcome code that is not configured.
    #[error("unknown outcome code {0}")]
    UnknownOutcome(Code),
    /// The agent's state does not allow the event.
    #[error("agent {agent} is {state}: cannot {action}")]
    AgentState {
        /// The agent.
        agent: AgentId,
        /// Its shown state.
        state: AgentState,
        /// What was asked.
        action: &'static str,
    },
    /// The contact's state does not allow the event.
    #[error("contact {contact} is {phase}: cannot {action}")]
    ContactState {
        /// The contact.
        contact: ContactId,
        /// Where it is, in words.
        phase: &'static str,
        /// What was asked.
        action: &'static str,
    },
    /// The event names an agent that does not hold the contact that way.
    #[error("contact {contact} is not {relation} agent {agent}")]
    NotAgentsContact {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// "offered to", "in wrap-up with"...
        relation: &'static str,
    },
    /// A configuration change that would make the configuration invalid.
    #[error("configuration change refused: {0}")]
    Config(#[from] ConfigError),
    /// A configuration change that the current state cannot take.
    #[error(
        "configuration change refused: agent {agent} holds {holding} contact(s), more than the new concurrency {limit}"
    )]
    ConcurrencyBelowLoad {
        /// The agent.
        agent: AgentId,
        /// Contacts it holds.
        holding: usize,
        /// The requested limit.
        limit: u8,
    },
}
