//! What the engine tells drivers: actions to carry out and facts to log.
//!
//! Key types: [`Record`] (one numbered, timestamped fact; every record goes
//! to the durable log, and some ask the driver to act: [`RecordKind::Offered`]
//! rings a phone), [`AgentState`], [`ContactRecord`] (the finished contact
//! with its [`Leg`]s) and [`Decision`] (why this agent, why this contact).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::{Overflow, SelectionPolicy};
use crate::event::ConfigChange;
use crate::model::{AgentId, Code, ContactId, PhoneNumber, Priority, QueueId, Span, Time};

/// One output of the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the engine's output, from 0, without gaps.
    pub seq: u64,
    /// When it happened.
    pub at: Time,
    /// What happened.
    pub kind: RecordKind,
}

/// An agent's state as shown to supervisors and counted in time accounting:
/// every logged-in second is in exactly one of these.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Not logged in.
    LoggedOut,
    /// Ready and idle.
    Ready,
    /// A contact is ringing at the agent.
    Reserved,
    /// Talking.
    Talking,
    /// The caller is on hold.
    OnHold,
    /// After-call work.
    WrapUp,
    /// Not ready, with a reason code.
    NotReady(Code),
}

impl fmt::Display for AgentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentState::LoggedOut => f.write_str("logged out"),
            AgentState::Ready => f.write_str("ready"),
            AgentState::Reserved => f.write_str("reserved"),
            AgentState::Talking => f.write_str("talking"),
            AgentState::OnHold => f.write_str("on hold"),
            AgentState::WrapUp => f.write_str("wrap-up"),
            AgentState::NotReady(reason) => write!(f, "not ready ({reason})"),
        }
    }
}

/// Who ended a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The caller hung up.
    Caller,
    /// The agent ended it.
    Agent,
    /// The agent transferred it away.
    Transfer,
}

/// How an offer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferOutcome {
    /// Answered.
    Accepted,
    /// Declined by the agent.
    Rejected,
    /// Rang out.
    NotAnswered,
    /// The caller hung up while it rang.
    CallerHungUp,
}

/// Where a transfer sent the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferTarget {
    /// A queue.
    Queue(QueueId),
    /// An agent.
    Agent(AgentId),
}

/// Why an offer went to this agent, or this contact to the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Which side of the match triggered it.
    pub trigger: Trigger,
    /// How the agent was eligible.
    pub route: Route,
    /// The policy that ordered the agents.
    pub policy: SelectionPolicy,
    /// The contact's relaxation step (0 = full requirements).
    pub step: u8,
    /// The contact's priority after aging.
    pub effective_priority: u32,
    /// How long the contact had waited for its place in line.
    pub waited: Span,
    /// How long the agent had been available.
    pub agent_idle: Span,
    /// Contact side: eligible ready agents on the chosen route. Agent side:
    /// queues in which the agent had an eligible contact.
    pub alternatives: u32,
}

/// Which side of a match was looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A contact became routable (arrived, returned, relaxed) and ready
    /// agents were compared.
    Contact,
    /// An agent became available and waiting contacts were compared.
    Agent,
}

/// How the chosen agent was eligible for the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// A member of the contact's queue, qualified from relaxation step `tier`.
    Queue {
        /// The queue.
        queue: QueueId,
        /// The first relaxation step at which the agent qualifies.
        tier: u8,
        /// The agent's profile priority for the queue.
        profile_priority: u8,
    },
    /// A member of another queue that relaxation added.
    Borrowed {
        /// The contact's queue.
        queue: QueueId,
        /// The queue the agent serves.
        from: QueueId,
        /// The agent's profile priority for `from`.
        profile_priority: u8,
    },
    /// Transferred to this agent by name.
    Personal,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let route = match self.route {
            Route::Queue {
                queue,
                tier,
                profile_priority,
            } => format!(
                "member of {queue} (qualified from step {tier}, profile priority {profile_priority})"
            ),
            Route::Borrowed {
                queue,
                from,
                profile_priority,
            } => format!(
                "member of {from}, lent to {queue} by relaxation (profile priority {profile_priority})"
            ),
            Route::Personal => "the agent the contact was transferred to".to_owned(),
        };
        match self.trigger {
            Trigger::Contact => write!(
                f,
                "contact waited {} (step {}, effective priority {}); agent chosen by {:?} \
                 (available {}) among {} eligible ready agent(s); {}",
                self.waited,
                self.step,
                self.effective_priority,
                self.policy,
                self.agent_idle,
                self.alternatives,
                route
            ),
            Trigger::Agent => write!(
                f,
                "agent became available after {}; took the best contact of {} queue(s) \
                 with eligible contacts: effective priority {}, waited {} (step {}); {}",
                self.agent_idle,
                self.alternatives,
                self.effective_priority,
                self.waited,
                self.step,
                route
            ),
        }
    }
}

/// One fact of the engine's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A contact arrived.
    ContactArrived {
        /// The contact.
        contact: ContactId,
        /// Caller's number.
        ani: Option<PhoneNumber>,
        /// Dialled number.
        dnis: PhoneNumber,
        /// Entry queue.
        queue: QueueId,
        /// Base priority.
        priority: Priority,
    },
    /// Offer (ring) the contact to the agent until `deadline`.
    Offered {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// When the offer times out.
        deadline: Time,
        /// The contact is a callback: dial the customer once accepted.
        callback: bool,
        /// Why.
        decision: Decision,
    },
    /// An offer ended without being answered; the contact is back in line.
    OfferEnded {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// How it ended.
        outcome: OfferOutcome,
    },
    /// Connect the caller and the agent.
    Connected {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
    },
    /// The caller is on hold.
    Held {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
    },
    /// The caller is off hold.
    Resumed {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
    },
    /// The conversation ended; the agent wraps up.
    CallEnded {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// Who ended it.
        by: Party,
    },
    /// The agent finished wrap-up.
    WrapUpEnded {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// Outcome code.
        outcome: Option<Code>,
        /// Call reason.
        reason: Option<Code>,
        /// Ended by the queue's wrap-up timer rather than the agent.
        timed_out: bool,
    },
    /// The agent transferred the contact.
    Transferred {
        /// The contact.
        contact: ContactId,
        /// The transferring agent.
        from: AgentId,
        /// Where to.
        to: TransferTarget,
    },
    /// The contact reached the queue's maximum wait and moved on.
    Overflowed {
        /// The contact.
        contact: ContactId,
        /// The queue it left.
        from: QueueId,
        /// Where it went.
        to: Overflow,
    },
    /// The caller asked for a callback and keeps their place.
    CallbackRequested {
        /// The contact.
        contact: ContactId,
    },
    /// Tell the caller their position and estimated wait.
    Announce {
        /// The contact.
        contact: ContactId,
        /// 1 = next in line.
        position: u32,
        /// Estimated wait; `None` when no agent is staffed.
        estimated_wait: Option<Span>,
    },
    /// An agent's shown state changed.
    AgentStateChanged {
        /// The agent.
        agent: AgentId,
        /// Previous state.
        from: AgentState,
        /// New state.
        to: AgentState,
    },
    /// A contact left the ACD for good; its complete record.
    ContactFinished(Box<ContactRecord>),
    /// Configuration changed.
    ConfigChanged(Box<ConfigChange>),
    /// A new business day began.
    DayStarted,
}

/// One offer of a contact to an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferAttempt {
    /// The agent.
    pub agent: AgentId,
    /// When it started ringing.
    pub offered: Time,
    /// When it stopped.
    pub ended: Time,
    /// How.
    pub outcome: OfferOutcome,
}

/// A span on hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldSpan {
    /// Put on hold.
    pub start: Time,
    /// Taken off hold.
    pub end: Time,
}

/// How a leg left the queue or the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegEnd {
    /// Answered and ended by caller or agent.
    Handled,
    /// Answered, then transferred.
    Transferred,
    /// The caller hung up before an answer.
    Abandoned,
    /// Left by the queue's maximum wait.
    Overflowed(Overflow),
}

/// One pass of a contact through a queue (a transfer or an overflow starts
/// a new leg).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    /// The queue whose rules applied.
    pub queue: QueueId,
    /// Set when the leg waited for one named agent (a transfer).
    pub for_agent: Option<AgentId>,
    /// Entered the queue.
    pub queued: Time,
    /// Offers made, in order.
    pub offers: Vec<OfferAttempt>,
    /// Answered.
    pub answered: Option<Time>,
    /// The agent who answered.
    pub agent: Option<AgentId>,
    /// Time on hold.
    pub holds: Vec<HoldSpan>,
    /// Conversation or wait ended.
    pub ended: Option<Time>,
    /// How the leg ended.
    pub end: Option<LegEnd>,
    /// When and why the caller stopped waiting on the line and became a
    /// callback; the contact keeps its place in this leg.
    pub callback: Option<CallbackMark>,
    /// Wrap-up ended.
    pub wrap_ended: Option<Time>,
    /// Outcome code from wrap-up.
    pub outcome: Option<Code>,
    /// Call reason from wrap-up.
    pub reason: Option<Code>,
    /// Notes from wrap-up.
    pub notes: String,
}

impl Leg {
    pub(crate) fn new(queue: QueueId, for_agent: Option<AgentId>, queued: Time) -> Self {
        Leg {
            queue,
            for_agent,
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
}

/// When and why a leg became a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackMark {
    /// The moment the caller left the line.
    pub at: Time,
    /// Why.
    pub cause: CallbackCause,
}

/// Why a waiting caller became a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackCause {
    /// The caller asked for it.
    Requested,
    /// The queue's maximum wait overflowed to callback.
    MaxWait,
}

/// How the contact as a whole ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactResult {
    /// An agent handled its last leg.
    Handled,
    /// The caller hung up before an answer (or cancelled the callback).
    Abandoned,
    /// Sent to voicemail.
    Voicemail,
}

/// The complete record of a contact, emitted once when it leaves the ACD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecord {
    /// Its id.
    pub id: ContactId,
    /// Caller's number.
    pub ani: Option<PhoneNumber>,
    /// Dialled number.
    pub dnis: PhoneNumber,
    /// Base priority.
    pub priority: Priority,
    /// IVR attributes.
    pub attributes: Vec<(Code, Code)>,
    /// Arrival.
    pub arrived: Time,
    /// Became a callback (asked for or by overflow).
    pub callback: bool,
    /// Its legs in order.
    pub legs: Vec<Leg>,
    /// How it ended.
    pub result: ContactResult,
    /// When the last leg (including wrap-up) closed.
    pub finished: Time,
}
