//! What the engine tells drivers: actions to carry out and facts to log.
//!
//! Key types: [`Record`] (one numbered, timestamped fact; every record goes
//! to the durable log, and some ask the driver to act: [`RecordKind::Offered`]
//! rings a phone), [`AgentState`], [`ContactRecord`] (the finished contact
//! with its [`Leg`]s), [`Decision`] (why this agent, why this contact) and
//! [`OpenContacts`] (the contacts a log leaves unfinished, for a driver to
//! close as interrupted after a crash).

use std::collections::BTreeMap;
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
    /// Still in progress when the driver stopped without a clean shutdown
    /// (a crash); closed when it restarted. See [`OpenContacts`].
    Interrupted,
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
    /// Still in the ACD when the driver stopped without a clean shutdown;
    /// closed when it restarted. See [`OpenContacts`].
    Interrupted,
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

/// The contacts a log of records leaves unfinished, rebuilt from the
/// records alone, so a restarted driver can finish them as
/// [`ContactResult::Interrupted`] (a new engine starts empty and does not
/// know them).
///
/// Fold every record of the previous runs in log order with
/// [`apply`](OpenContacts::apply), then [`interrupt`](OpenContacts::interrupt).
/// The rebuilt records follow the engine's leg rules; what records do not
/// carry is left empty: the IVR attributes and wrap-up notes.
#[derive(Debug, Default)]
pub struct OpenContacts {
    open: BTreeMap<ContactId, Open>,
}

/// A contact being rebuilt, with the offer ringing now if any (an offer
/// enters its leg only when it ends) and whether the caller is on hold (a
/// hold span gets its end when it ends).
#[derive(Debug)]
struct Open {
    record: ContactRecord,
    ringing: Option<(AgentId, Time)>,
    held: bool,
}

impl OpenContacts {
    /// No contact open.
    pub fn new() -> Self {
        OpenContacts::default()
    }

    /// Whether every contact seen so far has finished.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Folds one record. Records of a contact whose arrival was not seen
    /// are ignored: it arrived before the records given.
    pub fn apply(&mut self, record: &Record) {
        let at = record.at;
        match &record.kind {
            RecordKind::ContactArrived {
                contact,
                ani,
                dnis,
                queue,
                priority,
            } => {
                let record = ContactRecord {
                    id: *contact,
                    ani: ani.clone(),
                    dnis: dnis.clone(),
                    priority: *priority,
                    attributes: Vec::new(),
                    arrived: at,
                    callback: false,
                    legs: vec![Leg::new(*queue, None, at)],
                    result: ContactResult::Interrupted,
                    finished: at,
                };
                self.open.insert(
                    *contact,
                    Open {
                        record,
                        ringing: None,
                        held: false,
                    },
                );
            }
            RecordKind::Offered { contact, agent, .. } => {
                self.with(*contact, |open| open.ringing = Some((*agent, at)));
            }
            RecordKind::OfferEnded {
                contact,
                agent,
                outcome,
            } => self.with(*contact, |open| open.end_offer(*agent, at, *outcome)),
            RecordKind::Connected { contact, agent } => self.with(*contact, |open| {
                open.end_offer(*agent, at, OfferOutcome::Accepted);
                let leg = open.leg();
                leg.answered = Some(at);
                leg.agent = Some(*agent);
            }),
            RecordKind::Held { contact, .. } => self.with(*contact, |open| {
                open.held = true;
                open.leg().holds.push(HoldSpan { start: at, end: at });
            }),
            RecordKind::Resumed { contact, .. } => self.with(*contact, |open| open.resume(at)),
            RecordKind::CallEnded { contact, by, .. } => self.with(*contact, |open| {
                // A call ended on hold closes the hold (the engine's rule).
                open.resume(at);
                let leg = open.leg();
                leg.ended = Some(at);
                leg.end = Some(if *by == Party::Transfer {
                    LegEnd::Transferred
                } else {
                    LegEnd::Handled
                });
            }),
            RecordKind::WrapUpEnded {
                contact,
                agent,
                outcome,
                reason,
                ..
            } => self.with(*contact, |open| {
                // The agent's leg still wrapping up: after a transfer it
                // is not the last one.
                if let Some(leg) = open.record.legs.iter_mut().find(|leg| {
                    leg.agent == Some(*agent) && leg.ended.is_some() && leg.wrap_ended.is_none()
                }) {
                    leg.wrap_ended = Some(at);
                    leg.outcome = outcome.clone();
                    leg.reason = reason.clone();
                }
            }),
            RecordKind::Transferred { contact, to, .. } => self.with(*contact, |open| {
                let (queue, for_agent) = match *to {
                    TransferTarget::Queue(queue) => (queue, None),
                    TransferTarget::Agent(agent) => (open.leg().queue, Some(agent)),
                };
                open.record.legs.push(Leg::new(queue, for_agent, at));
            }),
            RecordKind::Overflowed { contact, to, .. } => self.with(*contact, |open| match *to {
                Overflow::Callback => open.callback(at, CallbackCause::MaxWait),
                Overflow::Voicemail => {
                    let leg = open.leg();
                    leg.ended = Some(at);
                    leg.end = Some(LegEnd::Overflowed(*to));
                }
                Overflow::Queue(queue) => {
                    let leg = open.leg();
                    leg.ended = Some(at);
                    leg.end = Some(LegEnd::Overflowed(*to));
                    open.record.legs.push(Leg::new(queue, None, at));
                }
            }),
            RecordKind::CallbackRequested { contact } => {
                self.with(*contact, |open| open.callback(at, CallbackCause::Requested));
            }
            RecordKind::ContactFinished(record) => {
                self.open.remove(&record.id);
            }
            RecordKind::Announce { .. }
            | RecordKind::AgentStateChanged { .. }
            | RecordKind::ConfigChanged(_)
            | RecordKind::DayStarted => {}
        }
    }

    /// Finishes every open contact at `at` (no earlier than anything it
    /// knows), by id: an offer ringing ends not answered, a hold ends, a
    /// wrap-up ends without an outcome, and a leg still waiting or talking
    /// ends [`LegEnd::Interrupted`]; the contact's result is
    /// [`ContactResult::Interrupted`].
    pub fn interrupt(self, at: Time) -> Vec<ContactRecord> {
        self.open
            .into_values()
            .map(|mut open| {
                if let Some((agent, _)) = open.ringing {
                    open.end_offer(agent, at, OfferOutcome::NotAnswered);
                }
                open.resume(at);
                let mut record = open.record;
                for leg in &mut record.legs {
                    if leg.end.is_none() {
                        leg.ended = Some(at);
                        leg.end = Some(LegEnd::Interrupted);
                    } else if leg.agent.is_some() && leg.wrap_ended.is_none() {
                        leg.wrap_ended = Some(at);
                    }
                }
                record.result = ContactResult::Interrupted;
                record.finished = at;
                record
            })
            .collect()
    }

    fn with(&mut self, contact: ContactId, change: impl FnOnce(&mut Open)) {
        if let Some(open) = self.open.get_mut(&contact) {
            change(open);
        }
    }
}

impl Open {
    /// The current leg; a contact has one from its arrival on.
    fn leg(&mut self) -> &mut Leg {
        self.record
            .legs
            .last_mut()
            .expect("a contact has a leg from its arrival")
    }

    /// Ends the ringing offer, if it is `agent`'s.
    fn end_offer(&mut self, agent: AgentId, at: Time, outcome: OfferOutcome) {
        if let Some((ringing, offered)) = self.ringing
            && ringing == agent
        {
            self.ringing = None;
            self.leg().offers.push(OfferAttempt {
                agent,
                offered,
                ended: at,
                outcome,
            });
        }
    }

    /// Ends the hold, if the caller is on hold.
    fn resume(&mut self, at: Time) {
        if std::mem::take(&mut self.held)
            && let Some(hold) = self.leg().holds.last_mut()
        {
            hold.end = at;
        }
    }

    fn callback(&mut self, at: Time, cause: CallbackCause) {
        self.record.callback = true;
        self.leg().callback = Some(CallbackMark { at, cause });
    }
}
