//! What drivers tell the engine.
//!
//! Key types: [`Event`], the one closed set of inputs, with [`NewContact`],
//! [`WrapUp`] and [`ConfigChange`]. Every event is handed to
//! [`Engine::handle`](crate::Engine::handle) together with the time it
//! happened.

use serde::{Deserialize, Serialize};

use crate::config::{AgentConfig, OutcomeConfig, QueueConfig, SkillConfig};
use crate::model::Span;
use crate::model::{
    AgentId, Code, ContactId, PhoneNumber, Priority, Proficiency, QueueId, SkillId,
};

/// A contact entering the ACD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    /// Its id, unique for the engine's life.
    pub id: ContactId,
    /// The caller's number, if presented.
    pub ani: Option<PhoneNumber>,
    /// The number dialled (identifies the advertised line or campaign).
    pub dnis: PhoneNumber,
    /// The queue it enters.
    pub queue: QueueId,
    /// Base priority (from the customer's value tier).
    pub priority: Priority,
    /// Attributes such as language or call reason from the IVR; kept on the
    /// contact record and shown on the screen pop.
    pub attributes: Vec<(Code, Code)>,
}

/// What the agent records when it finishes wrap-up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapUp {
    /// Outcome code; must be configured.
    pub outcome: Option<Code>,
    /// Call reason.
    pub reason: Option<Code>,
    /// Free-text notes.
    pub notes: String,
}

/// A change of configuration at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigChange {
    /// Add or rename a skill.
    UpsertSkill(SkillConfig),
    /// Add a queue or replace its settings.
    UpsertQueue(QueueConfig),
    /// Add an agent or replace its skills, profile and concurrency.
    UpsertAgent(AgentConfig),
    /// Replace an agent's skills only.
    SetAgentSkills {
        /// The agent.
        agent: AgentId,
        /// Its new skills.
        skills: Vec<(SkillId, Proficiency)>,
    },
    /// Add a not-ready reason code.
    AddReasonCode(Code),
    /// Add an outcome code or change whether it counts as success.
    UpsertOutcome(OutcomeConfig),
}

/// Everything that can happen to the ACD. Timers are not events: the engine
/// fires its own when it is given a later time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Only time has passed.
    Tick,
    /// A contact entered a queue.
    ContactArrived(NewContact),
    /// The caller hung up (while queued or ringing: abandoned; while
    /// connected: the call ended from the caller's side). For a callback
    /// still in line this cancels it.
    CallerHungUp {
        /// The contact.
        contact: ContactId,
    },
    /// The queued caller asked to be called back; they keep their place.
    CallbackRequested {
        /// The contact.
        contact: ContactId,
    },
    /// An agent logged in (it starts not ready with the login reason).
    AgentLoggedIn {
        /// The agent.
        agent: AgentId,
    },
    /// An agent logged out; it must hold no contact.
    AgentLoggedOut {
        /// The agent.
        agent: AgentId,
    },
    /// An agent is ready for contacts.
    AgentReady {
        /// The agent.
        agent: AgentId,
    },
    /// An agent is not ready; on a call it takes effect after wrap-up.
    AgentNotReady {
        /// The agent.
        agent: AgentId,
        /// A configured reason code.
        reason: Code,
    },
    /// The agent answered an offer.
    OfferAccepted {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
    },
    /// The agent declined an offer.
    OfferRejected {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
    },
    /// The agent's phone did not answer (the engine also times offers out).
    OfferNotAnswered {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
    },
    /// The agent put the caller on hold.
    Held {
        /// The contact.
        contact: ContactId,
    },
    /// The agent took the caller off hold.
    Resumed {
        /// The contact.
        contact: ContactId,
    },
    /// The call ended from the agent's side; wrap-up starts.
    ContactEnded {
        /// The contact.
        contact: ContactId,
    },
    /// The agent finished wrap-up.
    WrapUpDone {
        /// The agent.
        agent: AgentId,
        /// The contact wrapped up.
        contact: ContactId,
        /// Outcome, reason and notes.
        wrap: WrapUp,
    },
    /// The agent needs more wrap-up time.
    WrapUpExtended {
        /// The agent.
        agent: AgentId,
        /// The contact.
        contact: ContactId,
        /// Time added to the wrap-up timer.
        by: Span,
    },
    /// The agent transferred the caller to a queue.
    TransferredToQueue {
        /// The contact.
        contact: ContactId,
        /// The queue.
        queue: QueueId,
    },
    /// The agent transferred the caller to another agent, who gets it as
    /// soon as it is free.
    TransferredToAgent {
        /// The contact.
        contact: ContactId,
        /// The receiving agent; must be logged in.
        agent: AgentId,
    },
    /// Configuration changed.
    Configure(ConfigChange),
    /// A new business day began: per-day counters (contacts today) reset.
    DayStarted,
}
