//! The routing engine: state, event handling and timers.
//!
//! Key types: [`Engine`] (fed with [`Event`]s and times through
//! [`Engine::handle`], drained with [`Engine::poll_record`], woken at
//! [`Engine::next_wakeup`]) and [`Selector`]. Matching itself lives in
//! `select`; the line of waiting contacts in `waiting`.
//!
//! After every event and every timer the engine *settles*: each contact
//! that became routable and each agent that became available is matched
//! until no ready agent is eligible for any waiting contact. That invariant
//! is what lets a contact-side match look only at ready agents and an
//! agent-side match only at waiting contacts.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::config::{
    self, AgentConfig, Config, ConfigError, Overflow, QueueConfig, SelectionPolicy, SkillConfig,
};
use crate::error::Error;
use crate::event::{ConfigChange, Event, NewContact, WrapUp};
use crate::model::{AgentId, Code, ContactId, Proficiency, QueueId, SkillId, Span, Time};
use crate::record::{
    AgentState, CallbackCause, CallbackMark, ContactRecord, ContactResult, Decision, HoldSpan, Leg,
    LegEnd, OfferAttempt, OfferOutcome, Party, Record, RecordKind, TransferTarget,
};
use crate::select::Pool;
use crate::waiting::{Rules, Waiting};

/// How the engine finds matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selector {
    /// Ready agents indexed by queue and qualification tier; waiting
    /// contacts bucketed by priority. The production choice.
    #[default]
    Indexed,
    /// Scan every agent (or every contact) for every decision. Same
    /// decisions, no index: the baseline of the benchmark and the oracle of
    /// the differential property test.
    Scan,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Presence {
    LoggedOut,
    Ready,
    NotReady(Code),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotPhase {
    Offered,
    Talking,
    Held,
    WrapUp { deadline: Option<Time>, timer: u64 },
}

/// One contact an agent holds.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub contact: ContactId,
    pub queue: usize,
    pub leg: usize,
    pub phase: SlotPhase,
    /// Offered at, then answered at (start of handle time).
    pub since: Time,
}

/// An own queue the agent qualifies for, from relaxation step `tier`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Membership {
    pub queue: usize,
    pub tier: u8,
    pub priority: u8,
}

/// A queue whose contacts the agent may take from `min_step` on; `lent_from`
/// is set when it is eligible only because relaxation borrows a queue it
/// serves. A queue has at most one own and one lent reach, and the lent one
/// only if it starts at an earlier step than the own one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reach {
    pub queue: usize,
    pub min_step: u8,
    pub priority: u8,
    pub lent_from: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Agent {
    pub cfg: AgentConfig,
    pub presence: Presence,
    pub slots: Vec<Slot>,
    pub shown: AgentState,
    pub shown_since: Time,
    pub available: bool,
    pub idle_since: Time,
    /// Number of the agent's current spell of availability, from an
    /// engine-wide counter: orders agents by idle time without ties.
    pub turn: u64,
    pub contacts_today: u32,
    pub memberships: Vec<Membership>,
    /// Sorted: own queues first, then by profile priority.
    pub reach: Vec<Reach>,
    /// Contacts transferred to this agent by name, by place time.
    pub personal: BTreeSet<(Time, ContactId)>,
}

impl Agent {
    fn new(cfg: AgentConfig) -> Self {
        Agent {
            cfg,
            presence: Presence::LoggedOut,
            slots: Vec::new(),
            shown: AgentState::LoggedOut,
            shown_since: Time::ZERO,
            available: false,
            idle_since: Time::ZERO,
            turn: 0,
            contacts_today: 0,
            memberships: Vec::new(),
            reach: Vec::new(),
            personal: BTreeSet::new(),
        }
    }

    fn can_take_more(&self) -> bool {
        self.presence == Presence::Ready
            && self.slots.len() < usize::from(self.cfg.concurrency.get())
            && self.slots.iter().all(|s| s.phase != SlotPhase::Offered)
    }

    fn derived_state(&self) -> AgentState {
        let has = |want: fn(&SlotPhase) -> bool| self.slots.iter().any(|s| want(&s.phase));
        match &self.presence {
            Presence::LoggedOut => AgentState::LoggedOut,
            _ if has(|p| *p == SlotPhase::Talking) => AgentState::Talking,
            _ if has(|p| *p == SlotPhase::Held) => AgentState::OnHold,
            _ if has(|p| *p == SlotPhase::Offered) => AgentState::Reserved,
            _ if has(|p| matches!(p, SlotPhase::WrapUp { .. })) => AgentState::WrapUp,
            Presence::Ready => AgentState::Ready,
            Presence::NotReady(reason) => AgentState::NotReady(reason.clone()),
        }
    }

    /// The slot holding `contact` in a phase `want` accepts: an agent may
    /// still wrap up one leg of a contact when the next leg (after a
    /// transfer to a queue it serves) is offered to it.
    fn slot_of(&self, contact: ContactId, want: impl Fn(SlotPhase) -> bool) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.contact == contact && want(s.phase))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Queue {
    pub cfg: QueueConfig,
    pub rules: Rules,
    /// Minimum level of each requirement at each step (index = step).
    pub levels: Vec<Vec<Proficiency>>,
    /// Queues lent at each step (index = step; 0 is always empty).
    pub lent: Vec<Vec<usize>>,
    /// Ready agents by qualification tier (index = tier = step).
    pub pools: Vec<Pool>,
    pub waiting: Waiting,
    pub rr_cursor: Option<AgentId>,
    /// Moving average of handle time (talk + hold + wrap-up).
    pub aht: Option<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Queued,
    Offered {
        agent: usize,
    },
    Connected {
        agent: usize,
        held: bool,
    },
    /// No longer live; waits for open wrap-ups before its record closes.
    Done(ContactResult),
}

#[derive(Debug, Clone)]
pub(crate) struct Contact {
    /// Filled as the contact goes; `result` and `finished` are set when it
    /// closes.
    pub record: ContactRecord,
    pub queue: usize,
    pub for_agent: Option<usize>,
    /// Place-in-line time: ordering, aging and relaxation count from it.
    pub since: Time,
    pub phase: Phase,
    /// Renewed from the engine-wide counter whenever the contact leaves or
    /// re-enters a line, so timers set for an earlier stay (or for an
    /// earlier contact that had the same id) are recognised as stale.
    pub epoch: u64,
    pub open_wraps: u8,
}

impl Contact {
    fn leg(&mut self) -> &mut Leg {
        self.record
            .legs
            .last_mut()
            .expect("a contact always has a leg")
    }

    pub(crate) fn phase_name(&self) -> &'static str {
        match self.phase {
            Phase::Queued => "queued",
            Phase::Offered { .. } => "being offered",
            Phase::Connected { held: false, .. } => "connected",
            Phase::Connected { held: true, .. } => "on hold",
            Phase::Done(_) => "ended",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Offer {
        contact: ContactId,
        epoch: u64,
    },
    Relax {
        contact: ContactId,
        epoch: u64,
    },
    MaxWait {
        contact: ContactId,
        epoch: u64,
    },
    Announce {
        contact: ContactId,
        epoch: u64,
    },
    WrapUp {
        agent: usize,
        contact: ContactId,
        id: u64,
    },
}

/// The ACD state machine. It performs no I/O and never reads a clock.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) selector: Selector,
    pub(crate) now: Time,
    seq: u64,
    output: VecDeque<Record>,
    skills: FxHashMap<SkillId, SkillConfig>,
    reasons: FxHashSet<Code>,
    outcomes: FxHashMap<Code, bool>,
    login_reason: Code,
    missed_reason: Code,
    pub(crate) queues: Vec<Queue>,
    /// For each queue, the queues that borrow its agents and from which step.
    borrowers: Vec<Vec<(usize, u8)>>,
    queue_ix: FxHashMap<QueueId, usize>,
    pub(crate) agents: Vec<Agent>,
    agent_ix: FxHashMap<AgentId, usize>,
    /// Boxed so that growing the map moves pointers, not contacts: a
    /// resize under load would otherwise stall one call for milliseconds.
    pub(crate) contacts: FxHashMap<ContactId, Box<Contact>>,
    timers: BinaryHeap<Reverse<(Time, u64, Timer)>>,
    timer_seq: u64,
    epoch_seq: u64,
    turn_seq: u64,
    pending_contacts: VecDeque<ContactId>,
    pub(crate) pending_agents: VecDeque<usize>,
}

impl Engine {
    /// An engine with the given configuration, all agents logged out, at
    /// time zero of the driver's clock.
    pub fn new(config: Config, selector: Selector) -> Result<Self, ConfigError> {
        config.validate()?;
        let Config {
            skills,
            queues,
            agents,
            reason_codes,
            outcome_codes,
            login_reason,
            missed_offer_reason,
        } = config;
        let mut engine = Engine {
            selector,
            now: Time::ZERO,
            seq: 0,
            output: VecDeque::new(),
            skills: skills.into_iter().map(|s| (s.id, s)).collect(),
            reasons: reason_codes.into_iter().collect(),
            outcomes: outcome_codes
                .into_iter()
                .map(|o| (o.code, o.success))
                .collect(),
            login_reason,
            missed_reason: missed_offer_reason,
            queues: Vec::new(),
            borrowers: Vec::new(),
            queue_ix: FxHashMap::default(),
            agents: Vec::new(),
            agent_ix: FxHashMap::default(),
            contacts: FxHashMap::default(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            epoch_seq: 0,
            turn_seq: 0,
            pending_contacts: VecDeque::new(),
            pending_agents: VecDeque::new(),
        };
        for q in queues {
            engine.queue_ix.insert(q.id, engine.queues.len());
            engine.queues.push(Queue::new(q));
        }
        for a in agents {
            engine.agent_ix.insert(a.id, engine.agents.len());
            engine.agents.push(Agent::new(a));
        }
        engine.rebuild_routing();
        Ok(engine)
    }

    /// The engine's clock: the time of the last event or timer.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Applies `event`, which happened at `now`. Timers due by `now` fire
    /// first. On error nothing but the clock has changed.
    pub fn handle(&mut self, now: Time, event: Event) -> Result<(), Error> {
        if now < self.now {
            return Err(Error::TimeWentBackwards {
                now: self.now,
                event: now,
            });
        }
        self.advance_to(now);
        let result = self.apply(event);
        self.settle();
        // The event may have set timers due now (a zero wrap-up, an overdue
        // maximum wait): fire them before returning, so that after `handle`
        // nothing due by `now` is left.
        self.advance_to(now);
        result
    }

    /// The next output, oldest first.
    pub fn poll_record(&mut self) -> Option<Record> {
        self.output.pop_front()
    }

    /// All pending outputs, oldest first.
    pub fn drain_records(&mut self) -> impl Iterator<Item = Record> + '_ {
        self.output.drain(..)
    }

    /// When the engine next needs to be given the time (an offer times out,
    /// a wrap-up ends, a caller's requirements relax...). `None` when no
    /// timer is pending.
    pub fn next_wakeup(&mut self) -> Option<Time> {
        while let Some(Reverse((at, _, timer))) = self.timers.peek() {
            if self.timer_live(timer) {
                return Some(*at);
            }
            self.timers.pop();
        }
        None
    }

    // ----- plumbing -------------------------------------------------------

    pub(crate) fn emit(&mut self, kind: RecordKind) {
        self.output.push_back(Record {
            seq: self.seq,
            at: self.now,
            kind,
        });
        self.seq += 1;
    }

    /// Sets a timer; one due in the past fires at `now`, so the clock never
    /// goes back and records stay in time order.
    fn schedule(&mut self, at: Time, timer: Timer) {
        self.timers
            .push(Reverse((at.max(self.now), self.timer_seq, timer)));
        self.timer_seq += 1;
    }

    fn fresh_epoch(&mut self) -> u64 {
        self.epoch_seq += 1;
        self.epoch_seq
    }

    pub(crate) fn agent_index(&self, id: AgentId) -> Result<usize, Error> {
        self.agent_ix
            .get(&id)
            .copied()
            .ok_or(Error::UnknownAgent(id))
    }

    pub(crate) fn queue_index(&self, id: QueueId) -> Result<usize, Error> {
        self.queue_ix
            .get(&id)
            .copied()
            .ok_or(Error::UnknownQueue(id))
    }

    fn contact(&self, id: ContactId) -> Result<&Contact, Error> {
        self.contacts
            .get(&id)
            .map(|c| &**c)
            .ok_or(Error::UnknownContact(id))
    }

    fn contact_mut(&mut self, id: ContactId) -> &mut Contact {
        self.contacts
            .get_mut(&id)
            .expect("contact checked before mutation")
    }

    fn agent_error(&self, a: usize, action: &'static str) -> Error {
        Error::AgentState {
            agent: self.agents[a].cfg.id,
            state: self.agents[a].shown.clone(),
            action,
        }
    }

    fn contact_error(&self, contact: &Contact, action: &'static str) -> Error {
        Error::ContactState {
            contact: contact.record.id,
            phase: contact.phase_name(),
            action,
        }
    }

    fn advance_to(&mut self, now: Time) {
        while let Some(Reverse((at, _, timer))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            if self.timer_live(&timer) {
                self.now = at;
                self.fire(timer);
                self.settle();
            }
        }
        self.now = now;
    }

    fn timer_live(&self, timer: &Timer) -> bool {
        let queued_in = |contact: &ContactId, epoch: &u64| {
            self.contacts
                .get(contact)
                .is_some_and(|c| c.epoch == *epoch && c.phase == Phase::Queued)
        };
        match timer {
            Timer::Offer { contact, epoch } => self
                .contacts
                .get(contact)
                .is_some_and(|c| c.epoch == *epoch && matches!(c.phase, Phase::Offered { .. })),
            Timer::Relax { contact, epoch }
            | Timer::MaxWait { contact, epoch }
            | Timer::Announce { contact, epoch } => queued_in(contact, epoch),
            Timer::WrapUp { agent, contact, id } => self.agents[*agent].slots.iter().any(|s| {
                s.contact == *contact
                    && matches!(s.phase, SlotPhase::WrapUp { timer, .. } if timer == *id)
            }),
        }
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Offer { contact, .. } => {
                if let Phase::Offered { agent } = self.contacts[&contact].phase {
                    self.offer_failed(contact, agent, OfferOutcome::NotAnswered);
                }
            }
            Timer::Relax { contact, .. } => {
                self.schedule_relax(contact);
                self.pending_contacts.push_back(contact);
            }
            Timer::MaxWait { contact, .. } => self.overflow(contact),
            Timer::Announce { contact, .. } => self.announce(contact),
            Timer::WrapUp { agent, contact, id } => {
                let slot = self.agents[agent]
                    .slot_of(
                        contact,
                        |p| matches!(p, SlotPhase::WrapUp { timer, .. } if timer == id),
                    )
                    .expect("live wrap-up timer has its slot");
                self.finish_wrap_up(agent, slot, WrapUp::default(), true);
            }
        }
    }

    /// Matches until quiescent: no ready agent is eligible for a waiting
    /// contact.
    fn settle(&mut self) {
        loop {
            if let Some(contact) = self.pending_contacts.pop_front() {
                self.dispatch_contact(contact);
            } else if let Some(agent) = self.pending_agents.pop_front() {
                self.dispatch_agent(agent);
            } else {
                break;
            }
        }
    }

    // ----- events ---------------------------------------------------------

    fn apply(&mut self, event: Event) -> Result<(), Error> {
        match event {
            Event::Tick => Ok(()),
            Event::ContactArrived(new) => self.contact_arrived(new),
            Event::CallerHungUp { contact } => self.caller_hung_up(contact),
            Event::CallbackRequested { contact } => self.callback_requested(contact),
            Event::AgentLoggedIn { agent } => self.agent_logged_in(agent),
            Event::AgentLoggedOut { agent } => self.agent_logged_out(agent),
            Event::AgentReady { agent } => self.set_presence(agent, Presence::Ready),
            Event::AgentNotReady { agent, reason } => {
                if !self.reasons.contains(&reason) {
                    return Err(Error::UnknownReason(reason));
                }
                self.set_presence(agent, Presence::NotReady(reason))
            }
            Event::OfferAccepted { contact, agent } => self.offer_accepted(contact, agent),
            Event::OfferRejected { contact, agent } => {
                self.offer_declined(contact, agent, OfferOutcome::Rejected)
            }
            Event::OfferNotAnswered { contact, agent } => {
                self.offer_declined(contact, agent, OfferOutcome::NotAnswered)
            }
            Event::Held { contact } => self.set_hold(contact, true),
            Event::Resumed { contact } => self.set_hold(contact, false),
            Event::ContactEnded { contact } => {
                let c = self.contact(contact)?;
                if !matches!(c.phase, Phase::Connected { .. }) {
                    return Err(self.contact_error(c, "end the call"));
                }
                self.end_call(contact, Party::Agent);
                Ok(())
            }
            Event::WrapUpDone {
                agent,
                contact,
                wrap,
            } => self.wrap_up_done(agent, contact, wrap),
            Event::WrapUpExtended { agent, contact, by } => {
                self.wrap_up_extended(agent, contact, by)
            }
            Event::TransferredToQueue { contact, queue } => {
                let q = self.queue_index(queue)?;
                self.transfer(contact, q, None)
            }
            Event::TransferredToAgent { contact, agent } => {
                let a = self.agent_index(agent)?;
                let q = self.contact(contact)?.queue;
                self.transfer(contact, q, Some(a))
            }
            Event::Configure(change) => self.configure(change),
            Event::DayStarted => {
                self.set_fewest_contacts_pooling(false);
                for agent in &mut self.agents {
                    agent.contacts_today = 0;
                }
                self.set_fewest_contacts_pooling(true);
                self.emit(RecordKind::DayStarted);
                Ok(())
            }
        }
    }

    fn contact_arrived(&mut self, new: NewContact) -> Result<(), Error> {
        let q = self.queue_index(new.queue)?;
        if self.contacts.contains_key(&new.id) {
            return Err(Error::DuplicateContact(new.id));
        }
        self.emit(RecordKind::ContactArrived {
            contact: new.id,
            ani: new.ani.clone(),
            dnis: new.dnis.clone(),
            queue: new.queue,
            priority: new.priority,
        });
        let record = ContactRecord {
            id: new.id,
            ani: new.ani,
            dnis: new.dnis,
            priority: new.priority,
            attributes: new.attributes,
            arrived: self.now,
            callback: false,
            legs: vec![Leg::new(new.queue, None, self.now)],
            result: ContactResult::Abandoned,
            finished: self.now,
        };
        self.contacts.insert(
            new.id,
            Box::new(Contact {
                record,
                queue: q,
                for_agent: None,
                since: self.now,
                phase: Phase::Queued,
                epoch: 0,
                open_wraps: 0,
            }),
        );
        self.enqueue(new.id);
        Ok(())
    }

    fn caller_hung_up(&mut self, id: ContactId) -> Result<(), Error> {
        let c = self.contact(id)?;
        match c.phase {
            Phase::Queued => {
                self.dequeue(id);
                self.abandon(id);
            }
            Phase::Offered { agent } => {
                self.offer_failed(id, agent, OfferOutcome::CallerHungUp);
                self.abandon(id);
            }
            Phase::Connected { .. } => self.end_call(id, Party::Caller),
            Phase::Done(_) => return Err(self.contact_error(c, "hang up")),
        }
        Ok(())
    }

    fn callback_requested(&mut self, id: ContactId) -> Result<(), Error> {
        let c = self.contact(id)?;
        if c.phase != Phase::Queued || c.record.callback {
            return Err(self.contact_error(c, "request a callback"));
        }
        self.become_callback(id, CallbackCause::Requested);
        self.emit(RecordKind::CallbackRequested { contact: id });
        Ok(())
    }

    fn agent_logged_in(&mut self, id: AgentId) -> Result<(), Error> {
        let a = self.agent_index(id)?;
        if self.agents[a].presence != Presence::LoggedOut {
            return Err(self.agent_error(a, "log in"));
        }
        self.agents[a].presence = Presence::NotReady(self.login_reason.clone());
        self.refresh_agent(a);
        Ok(())
    }

    fn agent_logged_out(&mut self, id: AgentId) -> Result<(), Error> {
        let a = self.agent_index(id)?;
        let agent = &self.agents[a];
        if agent.presence == Presence::LoggedOut || !agent.slots.is_empty() {
            return Err(self.agent_error(a, "log out"));
        }
        // Contacts transferred to this agent by name go back to their queue.
        let personal: Vec<ContactId> = agent.personal.iter().map(|&(_, c)| c).collect();
        for contact in personal {
            self.dequeue(contact);
            self.contact_mut(contact).for_agent = None;
            self.enqueue(contact);
        }
        self.agents[a].presence = Presence::LoggedOut;
        self.refresh_agent(a);
        Ok(())
    }

    fn set_presence(&mut self, id: AgentId, presence: Presence) -> Result<(), Error> {
        let a = self.agent_index(id)?;
        let current = &self.agents[a].presence;
        if *current == Presence::LoggedOut {
            return Err(self.agent_error(a, "change readiness while logged out"));
        }
        if *current == presence {
            return Err(self.agent_error(a, "enter the state it is already in"));
        }
        self.agents[a].presence = presence;
        self.refresh_agent(a);
        Ok(())
    }

    fn offered_to(&self, contact: ContactId, agent: AgentId) -> Result<usize, Error> {
        let a = self.agent_index(agent)?;
        let c = self.contact(contact)?;
        match c.phase {
            Phase::Offered { agent: offered } if offered == a => Ok(a),
            Phase::Offered { .. } => Err(Error::NotAgentsContact {
                contact,
                agent,
                relation: "offered to",
            }),
            _ => Err(self.contact_error(c, "answer an offer")),
        }
    }

    fn offer_accepted(&mut self, contact: ContactId, agent: AgentId) -> Result<(), Error> {
        let a = self.offered_to(contact, agent)?;
        let now = self.now;
        let slot = self.agents[a]
            .slot_of(contact, |p| p == SlotPhase::Offered)
            .expect("offered contact has a slot");
        let offered_at = self.agents[a].slots[slot].since;
        self.agents[a].slots[slot].phase = SlotPhase::Talking;
        self.agents[a].slots[slot].since = now;
        self.agents[a].contacts_today += 1;
        let epoch = self.fresh_epoch();
        let c = self.contact_mut(contact);
        c.phase = Phase::Connected {
            agent: a,
            held: false,
        };
        c.epoch = epoch;
        let leg = c.leg();
        leg.offers.push(OfferAttempt {
            agent,
            offered: offered_at,
            ended: now,
            outcome: OfferOutcome::Accepted,
        });
        leg.answered = Some(now);
        leg.agent = Some(agent);
        self.emit(RecordKind::Connected { contact, agent });
        self.refresh_agent(a);
        Ok(())
    }

    fn offer_declined(
        &mut self,
        contact: ContactId,
        agent: AgentId,
        outcome: OfferOutcome,
    ) -> Result<(), Error> {
        let a = self.offered_to(contact, agent)?;
        self.offer_failed(contact, a, outcome);
        Ok(())
    }

    /// Ends an unanswered offer. A miss or a rejection makes the agent not
    /// ready and puts the contact back in its place; a hang-up leaves the
    /// agent as it was and the caller to [`Engine::abandon`].
    fn offer_failed(&mut self, contact: ContactId, a: usize, outcome: OfferOutcome) {
        let now = self.now;
        let slot = self.agents[a]
            .slot_of(contact, |p| p == SlotPhase::Offered)
            .expect("offered contact has a slot");
        let offered_at = self.agents[a].slots.remove(slot).since;
        let agent_id = self.agents[a].cfg.id;
        self.contact_mut(contact).leg().offers.push(OfferAttempt {
            agent: agent_id,
            offered: offered_at,
            ended: now,
            outcome,
        });
        self.emit(RecordKind::OfferEnded {
            contact,
            agent: agent_id,
            outcome,
        });
        if outcome != OfferOutcome::CallerHungUp {
            if self.agents[a].presence == Presence::Ready {
                self.agents[a].presence = Presence::NotReady(self.missed_reason.clone());
            }
            self.enqueue(contact);
        }
        self.refresh_agent(a);
    }

    fn set_hold(&mut self, contact: ContactId, hold: bool) -> Result<(), Error> {
        let c = self.contact(contact)?;
        let agent = match c.phase {
            Phase::Connected { agent, held } if held != hold => agent,
            _ => return Err(self.contact_error(c, if hold { "hold" } else { "resume" })),
        };
        let now = self.now;
        let c = self.contact_mut(contact);
        c.phase = Phase::Connected { agent, held: hold };
        let leg = c.leg();
        if hold {
            leg.holds.push(HoldSpan {
                start: now,
                end: now,
            });
        } else if let Some(span) = leg.holds.last_mut() {
            span.end = now;
        }
        let slot = self.agents[agent]
            .slot_of(contact, |p| {
                matches!(p, SlotPhase::Talking | SlotPhase::Held)
            })
            .expect("connected contact has a slot");
        self.agents[agent].slots[slot].phase = if hold {
            SlotPhase::Held
        } else {
            SlotPhase::Talking
        };
        let agent_id = self.agents[agent].cfg.id;
        self.emit(if hold {
            RecordKind::Held {
                contact,
                agent: agent_id,
            }
        } else {
            RecordKind::Resumed {
                contact,
                agent: agent_id,
            }
        });
        self.refresh_agent(agent);
        Ok(())
    }

    /// Ends the conversation of a connected contact; the agent starts
    /// wrap-up. A transfer keeps the contact live; any other end makes it
    /// done once every wrap-up closes.
    fn end_call(&mut self, contact: ContactId, by: Party) {
        let now = self.now;
        let c = self.contact_mut(contact);
        let Phase::Connected { agent, held } = c.phase else {
            unreachable!("end_call on a connected contact only")
        };
        c.open_wraps += 1;
        let queue = c.queue;
        let leg = c.leg();
        if held && let Some(span) = leg.holds.last_mut() {
            span.end = now;
        }
        leg.ended = Some(now);
        leg.end = Some(if by == Party::Transfer {
            LegEnd::Transferred
        } else {
            LegEnd::Handled
        });
        if by != Party::Transfer {
            c.phase = Phase::Done(ContactResult::Handled);
        }
        let wrap = self.queues[queue].cfg.wrap_up;
        let deadline = wrap.map(|w| now + w);
        let id = self.timer_seq;
        let slot = self.agents[agent]
            .slot_of(contact, |p| {
                matches!(p, SlotPhase::Talking | SlotPhase::Held)
            })
            .expect("connected contact has a slot");
        self.agents[agent].slots[slot].phase = SlotPhase::WrapUp {
            deadline,
            timer: id,
        };
        let agent_id = self.agents[agent].cfg.id;
        self.emit(RecordKind::CallEnded {
            contact,
            agent: agent_id,
            by,
        });
        if let Some(at) = deadline {
            self.schedule(at, Timer::WrapUp { agent, contact, id });
        }
        self.refresh_agent(agent);
    }

    fn wrap_up_slot(&self, agent: AgentId, contact: ContactId) -> Result<(usize, usize), Error> {
        let a = self.agent_index(agent)?;
        self.contact(contact)?;
        match self.agents[a].slot_of(contact, |p| matches!(p, SlotPhase::WrapUp { .. })) {
            Some(slot) => Ok((a, slot)),
            None => Err(Error::NotAgentsContact {
                contact,
                agent,
                relation: "in wrap-up with",
            }),
        }
    }

    fn wrap_up_done(
        &mut self,
        agent: AgentId,
        contact: ContactId,
        wrap: WrapUp,
    ) -> Result<(), Error> {
        let (a, slot) = self.wrap_up_slot(agent, contact)?;
        if let Some(outcome) = &wrap.outcome
            && !self.outcomes.contains_key(outcome)
        {
            return Err(Error::UnknownOutcome(outcome.clone()));
        }
        self.finish_wrap_up(a, slot, wrap, false);
        Ok(())
    }

    fn wrap_up_extended(
        &mut self,
        agent: AgentId,
        contact: ContactId,
        by: Span,
    ) -> Result<(), Error> {
        let (a, slot) = self.wrap_up_slot(agent, contact)?;
        let SlotPhase::WrapUp {
            deadline: Some(deadline),
            ..
        } = self.agents[a].slots[slot].phase
        else {
            return Err(self.agent_error(a, "extend a wrap-up that has no timer"));
        };
        let id = self.timer_seq;
        let deadline = deadline + by;
        self.agents[a].slots[slot].phase = SlotPhase::WrapUp {
            deadline: Some(deadline),
            timer: id,
        };
        self.schedule(
            deadline,
            Timer::WrapUp {
                agent: a,
                contact,
                id,
            },
        );
        Ok(())
    }

    fn finish_wrap_up(&mut self, a: usize, slot: usize, wrap: WrapUp, timed_out: bool) {
        let now = self.now;
        let slot = self.agents[a].slots.remove(slot);
        let agent_id = self.agents[a].cfg.id;
        let handle = now.since(slot.since);
        let queue = &mut self.queues[slot.queue];
        // Asterisk's holdtime weighting: three parts history, one part new.
        queue.aht = Some(queue.aht.map_or(handle, |old| {
            Span::from_millis((old.as_millis() * 3 + handle.as_millis()) / 4)
        }));
        let c = self.contact_mut(slot.contact);
        c.open_wraps -= 1;
        let leg = &mut c.record.legs[slot.leg];
        leg.wrap_ended = Some(now);
        leg.outcome = wrap.outcome.clone();
        leg.reason = wrap.reason.clone();
        leg.notes = wrap.notes;
        self.emit(RecordKind::WrapUpEnded {
            contact: slot.contact,
            agent: agent_id,
            outcome: wrap.outcome,
            reason: wrap.reason,
            timed_out,
        });
        self.close_if_done(slot.contact);
        self.refresh_agent(a);
    }

    fn transfer(
        &mut self,
        contact: ContactId,
        queue: usize,
        to: Option<usize>,
    ) -> Result<(), Error> {
        let c = self.contact(contact)?;
        let Phase::Connected { agent: from, .. } = c.phase else {
            return Err(self.contact_error(c, "transfer"));
        };
        if let Some(target) = to
            && (target == from || self.agents[target].presence == Presence::LoggedOut)
        {
            return Err(self.agent_error(target, "receive a transfer"));
        }
        let from_id = self.agents[from].cfg.id;
        self.emit(RecordKind::Transferred {
            contact,
            from: from_id,
            to: match to {
                Some(a) => TransferTarget::Agent(self.agents[a].cfg.id),
                None => TransferTarget::Queue(self.queues[queue].cfg.id),
            },
        });
        self.end_call(contact, Party::Transfer);
        let now = self.now;
        let queue_id = self.queues[queue].cfg.id;
        let for_agent = to.map(|a| self.agents[a].cfg.id);
        let c = self.contact_mut(contact);
        c.record.legs.push(Leg::new(queue_id, for_agent, now));
        c.queue = queue;
        c.for_agent = to;
        c.since = now;
        self.enqueue(contact);
        Ok(())
    }

    // ----- contact life ---------------------------------------------------

    /// Puts a contact in line (its queue's or its named agent's), sets its
    /// timers and asks for a match.
    fn enqueue(&mut self, id: ContactId) {
        let now = self.now;
        let epoch = self.fresh_epoch();
        let c = self.contacts.get_mut(&id).expect("enqueue a known contact");
        c.phase = Phase::Queued;
        c.epoch = epoch;
        let (queue, since, priority, callback) =
            (c.queue, c.since, c.record.priority, c.record.callback);
        let queued = c.leg().queued;
        match c.for_agent {
            Some(a) => {
                self.agents[a].personal.insert((since, id));
            }
            None => {
                self.queues[queue].waiting.insert(priority, since, id);
                self.schedule_relax(id);
            }
        }
        let cfg = &self.queues[queue].cfg;
        let (max_wait, announce) = (cfg.max_wait, cfg.announce_every);
        if !callback {
            if let Some(max_wait) = max_wait {
                // Back from a long offer, it may be overdue: `schedule`
                // brings that forward to now.
                self.schedule(queued + max_wait, Timer::MaxWait { contact: id, epoch });
            }
            if let Some(every) = announce {
                self.schedule(now + every, Timer::Announce { contact: id, epoch });
            }
        }
        self.pending_contacts.push_back(id);
    }

    /// Offers a queued contact to an available agent.
    pub(crate) fn offer(
        &mut self,
        id: ContactId,
        a: usize,
        decision: Decision,
        cursor_queue: usize,
    ) {
        self.dequeue(id);
        let now = self.now;
        let c = self.contact_mut(id);
        c.phase = Phase::Offered { agent: a };
        let (epoch, q, callback) = (c.epoch, c.queue, c.record.callback);
        let leg = c.record.legs.len() - 1;
        let deadline = now + self.queues[q].cfg.offer_timeout;
        let agent_id = self.agents[a].cfg.id;
        self.agents[a].slots.push(Slot {
            contact: id,
            queue: q,
            leg,
            phase: SlotPhase::Offered,
            since: now,
        });
        let cursor = &mut self.queues[cursor_queue];
        if cursor.cfg.selection == SelectionPolicy::RoundRobin {
            cursor.rr_cursor = Some(agent_id);
        }
        self.schedule(deadline, Timer::Offer { contact: id, epoch });
        self.emit(RecordKind::Offered {
            contact: id,
            agent: agent_id,
            deadline,
            callback,
            decision,
        });
        self.refresh_agent(a);
    }

    /// Takes a queued contact out of its line; its timers go stale.
    fn dequeue(&mut self, id: ContactId) {
        let epoch = self.fresh_epoch();
        let c = self.contacts.get_mut(&id).expect("dequeue a known contact");
        c.epoch = epoch;
        match c.for_agent {
            Some(a) => {
                self.agents[a].personal.remove(&(c.since, id));
            }
            None => self.queues[c.queue]
                .waiting
                .remove(c.record.priority, c.since, id),
        }
    }

    fn schedule_relax(&mut self, id: ContactId) {
        let c = &self.contacts[&id];
        if c.for_agent.is_some() {
            return;
        }
        let rules = &self.queues[c.queue].rules;
        let step = rules.step(self.now.since(c.since));
        if let Some(after) = rules.next_step_after(step) {
            let (at, epoch) = (c.since + after, c.epoch);
            self.schedule(at, Timer::Relax { contact: id, epoch });
        }
    }

    fn become_callback(&mut self, id: ContactId, cause: CallbackCause) {
        // Re-entering the line drops the announcement and max-wait timers
        // that only make sense for a caller on the line; the place stays.
        self.dequeue(id);
        let at = self.now;
        let c = self.contact_mut(id);
        c.record.callback = true;
        c.leg().callback = Some(CallbackMark { at, cause });
        self.enqueue(id);
    }

    fn overflow(&mut self, id: ContactId) {
        let c = &self.contacts[&id];
        let from = self.queues[c.queue].cfg.id;
        let Some(to) = self.queues[c.queue].cfg.overflow else {
            return;
        };
        let now = self.now;
        self.emit(RecordKind::Overflowed {
            contact: id,
            from,
            to,
        });
        match to {
            Overflow::Callback => self.become_callback(id, CallbackCause::MaxWait),
            Overflow::Voicemail => {
                self.dequeue(id);
                let c = self.contact_mut(id);
                let leg = c.leg();
                leg.ended = Some(now);
                leg.end = Some(LegEnd::Overflowed(to));
                c.phase = Phase::Done(ContactResult::Voicemail);
                self.close_if_done(id);
            }
            Overflow::Queue(target) => {
                self.dequeue(id);
                let q = self.queue_ix[&target];
                let c = self.contact_mut(id);
                let leg = c.leg();
                leg.ended = Some(now);
                leg.end = Some(LegEnd::Overflowed(to));
                c.record.legs.push(Leg::new(target, None, now));
                c.queue = q;
                c.for_agent = None;
                self.enqueue(id);
            }
        }
    }

    fn announce(&mut self, id: ContactId) {
        let c = &self.contacts[&id];
        let (q, epoch) = (c.queue, c.epoch);
        let position = match c.for_agent {
            Some(a) => {
                let ahead = self.agents[a].personal.range(..(c.since, id)).count();
                u32::try_from(ahead + 1).unwrap_or(u32::MAX)
            }
            None => {
                let queue = &self.queues[q];
                queue
                    .waiting
                    .position(&queue.rules, self.now, c.record.priority, c.since, id)
            }
        };
        let staffed = self
            .agents
            .iter()
            .filter(|a| a.presence == Presence::Ready && a.reach.iter().any(|r| r.queue == q))
            .count() as u64;
        let queue = &self.queues[q];
        let aht = queue.aht.unwrap_or(queue.cfg.expected_handle_time);
        let estimated_wait = (staffed > 0)
            .then(|| Span::from_millis(aht.as_millis() * u64::from(position) / staffed));
        let every = queue
            .cfg
            .announce_every
            .expect("announce timer implies a period");
        self.emit(RecordKind::Announce {
            contact: id,
            position,
            estimated_wait,
        });
        self.schedule(self.now + every, Timer::Announce { contact: id, epoch });
    }

    fn abandon(&mut self, id: ContactId) {
        let now = self.now;
        let c = self.contact_mut(id);
        let leg = c.leg();
        leg.ended = Some(now);
        leg.end = Some(LegEnd::Abandoned);
        c.phase = Phase::Done(ContactResult::Abandoned);
        self.close_if_done(id);
    }

    /// Emits the contact's record once it is done and every agent that
    /// handled it has wrapped up.
    fn close_if_done(&mut self, id: ContactId) {
        let c = &self.contacts[&id];
        if let Phase::Done(result) = c.phase
            && c.open_wraps == 0
        {
            let Contact { mut record, .. } = *self.contacts.remove(&id).expect("checked above");
            record.result = result;
            record.finished = self.now;
            self.emit(RecordKind::ContactFinished(Box::new(record)));
        }
    }

    // ----- agents ---------------------------------------------------------

    /// Recomputes an agent's shown state and availability after any change,
    /// keeping the pools and the pending list in step.
    pub(crate) fn refresh_agent(&mut self, a: usize) {
        let now = self.now;
        let agent = &mut self.agents[a];
        let state = agent.derived_state();
        if state != agent.shown {
            let from = std::mem::replace(&mut agent.shown, state.clone());
            agent.shown_since = now;
            let agent_id = agent.cfg.id;
            self.emit(RecordKind::AgentStateChanged {
                agent: agent_id,
                from,
                to: state,
            });
        }
        let agent = &mut self.agents[a];
        let available = agent.can_take_more();
        if available != agent.available {
            agent.available = available;
            if available {
                self.turn_seq += 1;
                agent.idle_since = now;
                agent.turn = self.turn_seq;
                self.pool_in(a);
                self.pending_agents.push_back(a);
            } else {
                self.pool_out(a);
            }
        }
    }

    // ----- configuration --------------------------------------------------

    fn configure(&mut self, change: ConfigChange) -> Result<(), Error> {
        let skill_known = |s: SkillId| self.skills.contains_key(&s);
        match &change {
            ConfigChange::UpsertSkill(_)
            | ConfigChange::AddReasonCode(_)
            | ConfigChange::UpsertOutcome(_) => {}
            ConfigChange::UpsertQueue(q) => {
                let queue_known = |id: QueueId| id == q.id || self.queue_ix.contains_key(&id);
                config::validate_queue(q, &skill_known, &queue_known)?;
            }
            ConfigChange::UpsertAgent(a) => {
                let queue_known = |id: QueueId| self.queue_ix.contains_key(&id);
                config::validate_agent(a, &skill_known, &queue_known)?;
                if let Some(&ix) = self.agent_ix.get(&a.id) {
                    self.check_concurrency(ix, a.concurrency.get())?;
                }
            }
            ConfigChange::SetAgentSkills { agent, skills } => {
                let ix = self.agent_index(*agent)?;
                let mut cfg = self.agents[ix].cfg.clone();
                cfg.skills = skills.clone();
                let queue_known = |id: QueueId| self.queue_ix.contains_key(&id);
                config::validate_agent(&cfg, &skill_known, &queue_known)?;
            }
        }
        self.emit(RecordKind::ConfigChanged(Box::new(change.clone())));
        match change {
            ConfigChange::UpsertSkill(skill) => {
                self.skills.insert(skill.id, skill);
            }
            ConfigChange::AddReasonCode(code) => {
                self.reasons.insert(code);
            }
            ConfigChange::UpsertOutcome(outcome) => {
                self.outcomes.insert(outcome.code, outcome.success);
            }
            ConfigChange::UpsertQueue(q) => self.upsert_queue(q),
            ConfigChange::UpsertAgent(cfg) => match self.agent_ix.get(&cfg.id) {
                Some(&ix) => self.reroute_agent(ix, |agent| agent.cfg = cfg),
                None => {
                    let ix = self.agents.len();
                    self.agent_ix.insert(cfg.id, ix);
                    self.agents.push(Agent::new(cfg));
                    self.route_agent(ix);
                }
            },
            ConfigChange::SetAgentSkills { agent, skills } => {
                let ix = self.agent_ix[&agent];
                self.reroute_agent(ix, |agent| agent.cfg.skills = skills);
            }
        }
        Ok(())
    }

    /// Adds or replaces a queue. Tiers, lending and pools of every agent
    /// may change, so routing is rebuilt; the queue's contacts keep their
    /// place but restart their timers on the new timetable.
    fn upsert_queue(&mut self, q: QueueConfig) {
        // Pools are keyed by the old tiers: empty them before anything moves.
        self.unpool_all();
        let restart = match self.queue_ix.get(&q.id) {
            Some(&ix) => {
                let old = std::mem::replace(&mut self.queues[ix], Queue::new(q));
                self.queues[ix].waiting = old.waiting;
                self.queues[ix].aht = old.aht;
                self.queues[ix].rr_cursor = old.rr_cursor;
                Some(ix)
            }
            None => {
                self.queue_ix.insert(q.id, self.queues.len());
                self.queues.push(Queue::new(q));
                None
            }
        };
        self.rebuild_routing();
        if let Some(ix) = restart {
            // Contacts waiting for a named agent follow the queue's
            // timetable too.
            let mut waiting: Vec<ContactId> =
                self.queues[ix].waiting.iter().map(|(_, _, c)| c).collect();
            waiting.extend(
                self.agents
                    .iter()
                    .flat_map(|a| &a.personal)
                    .map(|&(_, c)| c)
                    .filter(|c| self.contacts[c].queue == ix),
            );
            for contact in waiting {
                self.dequeue(contact);
                self.enqueue(contact);
            }
        }
    }

    /// Changes one agent's configuration. An available agent leaves its
    /// pools and re-enters them as if it had just become available (at the
    /// back of the longest-idle line), with its new tiers.
    fn reroute_agent(&mut self, a: usize, change: impl FnOnce(&mut Agent)) {
        if self.agents[a].available {
            self.agents[a].available = false;
            self.pool_out(a);
        }
        change(&mut self.agents[a]);
        self.route_agent(a);
        self.refresh_agent(a);
    }

    fn check_concurrency(&self, a: usize, limit: u8) -> Result<(), Error> {
        let holding = self.agents[a].slots.len();
        if holding > usize::from(limit) {
            return Err(Error::ConcurrencyBelowLoad {
                agent: self.agents[a].cfg.id,
                holding,
                limit,
            });
        }
        Ok(())
    }

    /// Recomputes every queue's relaxation table and every agent's tiers and
    /// reach, then pools the available agents, which must be out of every
    /// pool. Configuration changes are rare; routing never calls this.
    fn rebuild_routing(&mut self) {
        for q in 0..self.queues.len() {
            let lent = self.queues[q]
                .cfg
                .relaxation
                .iter()
                .map(|step| step.add_queues.iter().map(|id| self.queue_ix[id]).collect())
                .collect::<Vec<Vec<usize>>>();
            let queue = &mut self.queues[q];
            queue.lent = std::iter::once(Vec::new()).chain(lent).collect();
        }
        // Lending queue → (borrowing queue, first step that borrows it).
        let mut borrowers: Vec<Vec<(usize, u8)>> = vec![Vec::new(); self.queues.len()];
        for (q, queue) in self.queues.iter().enumerate() {
            for (step, lent) in queue.lent.iter().enumerate() {
                for &lender in lent {
                    if !borrowers[lender].iter().any(|&(b, _)| b == q) {
                        borrowers[lender].push((q, step as u8));
                    }
                }
            }
        }
        self.borrowers = borrowers;
        for a in 0..self.agents.len() {
            self.route_agent(a);
        }
        self.pool_available();
    }

    /// Recomputes one agent's qualification tiers and reach from its
    /// configuration and the queues'.
    fn route_agent(&mut self, a: usize) {
        let memberships: Vec<Membership> = self.agents[a]
            .cfg
            .profile
            .iter()
            .filter_map(|entry| {
                let q = self.queue_ix[&entry.queue];
                qualification_tier(&self.agents[a].cfg, &self.queues[q]).map(|tier| Membership {
                    queue: q,
                    tier,
                    priority: entry.priority,
                })
            })
            .collect();
        let mut reach: Vec<Reach> = memberships
            .iter()
            .map(|m| Reach {
                queue: m.queue,
                min_step: m.tier,
                priority: m.priority,
                lent_from: None,
            })
            .collect();
        for m in memberships.iter().filter(|m| m.tier == 0) {
            for &(q, step) in &self.borrowers[m.queue] {
                if reach.iter().any(|r| r.queue == q && r.min_step <= step) {
                    continue;
                }
                // Borrowing reaches the queue earlier than any reach so
                // far, an own membership qualified only at a later step
                // included: the contact side offers it from this step.
                let lent = Reach {
                    queue: q,
                    min_step: step,
                    priority: m.priority,
                    lent_from: Some(m.queue),
                };
                match reach
                    .iter_mut()
                    .find(|r| r.queue == q && r.lent_from.is_some())
                {
                    Some(later) => *later = lent,
                    None => reach.push(lent),
                }
            }
        }
        reach.sort_by_key(|r| {
            (
                r.lent_from.is_some(),
                r.priority,
                self.queues[r.queue].cfg.id,
            )
        });
        let agent = &mut self.agents[a];
        agent.memberships = memberships;
        agent.reach = reach;
        agent.reach.shrink_to_fit();
    }
}

impl Queue {
    fn new(cfg: QueueConfig) -> Self {
        let mut levels = vec![
            cfg.requirements
                .iter()
                .map(|r| r.min_level)
                .collect::<Vec<_>>(),
        ];
        for step in &cfg.relaxation {
            let previous = levels.last().expect("base level present").clone();
            levels.push(
                previous
                    .into_iter()
                    .map(|level| step.min_level.map_or(level, |cap| level.min(cap)))
                    .collect(),
            );
        }
        let tiers = cfg.relaxation.len() + 1;
        Queue {
            rules: Rules::of(&cfg),
            levels,
            lent: Vec::new(),
            pools: (0..tiers).map(|_| Pool::new(cfg.selection)).collect(),
            waiting: Waiting::default(),
            rr_cursor: None,
            aht: None,
            cfg,
        }
    }
}

/// The first relaxation step at which the agent meets every requirement of
/// the queue, if any.
fn qualification_tier(agent: &AgentConfig, queue: &Queue) -> Option<u8> {
    queue
        .levels
        .iter()
        .position(|levels| {
            queue
                .cfg
                .requirements
                .iter()
                .zip(levels)
                .all(|(req, &min)| agent.level(req.skill).is_some_and(|have| have >= min))
        })
        .map(|tier| tier as u8)
}
