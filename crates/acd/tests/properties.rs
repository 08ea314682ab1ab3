//! Property tests of the routing engine over random configurations and random
//! timed event sequences.
//!
//! The pieces:
//! - Generators (`arb_scenario` and friends) build a [`Scenario`]: a small
//!   configuration made from [`QueueSpec`]s and [`AgentSpec`]s, and a list of
//!   timed [`Op`]s. Specs and ops hold raw indices rather than ids, so any
//!   of them means something whatever configuration and state it meets, and
//!   shrinking may drop ops freely.
//! - [`Shadow`] is an independent model of the engine's state, folded from
//!   the records and the accepted events. It resolves each op to a concrete
//!   [`Event`] (mostly naming contacts and agents that exist and are in a
//!   fitting phase, sometimes ones that are not or do not exist) and states
//!   the documented routing rules the properties compare the engine against.
//! - [`Sim`] drives one engine the way a real driver does, ticking at every
//!   wakeup, and shows every record and every settled state to a property's
//!   [`Checks`].
//!
//! Each property is its own `proptest` function; a few plain tests pin down
//! specific refusals.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use acd::accounting::Accounting;
use acd::config::{
    AgentConfig, AgingRule, Config, ConfigError, OutcomeConfig, Overflow, ProfileEntry,
    QueueConfig, Relaxation, SelectionPolicy, SkillConfig, SkillRequirement,
};
use acd::model::{
    AgentId, Code, Concurrency, ContactId, PhoneNumber, Priority, Proficiency, QueueId, SkillId,
    Span, Time,
};
use acd::record::{OfferOutcome, Party, Route, TransferTarget, Trigger};
use acd::{
    AgentState, ConfigChange, Engine, Error, Event, NewContact, Record, RecordKind, Selector,
    WrapUp,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

/// Cases per property: enough to reach odd corners, small enough that the
/// whole binary runs in seconds in a debug build.
const CASES: u32 = 256;

/// Ids that no configuration or arrival uses.
const BOGUS_AGENT: AgentId = AgentId(9_999);
const BOGUS_QUEUE: QueueId = QueueId(999);
const BOGUS_SKILL: SkillId = SkillId(777);
const BOGUS_CONTACT: u64 = 1_000_000;

/// Caps on what run-time configuration changes may add.
const MAX_SKILLS: usize = 6;
const MAX_QUEUES: usize = 6;
const MAX_AGENTS: usize = 10;

const REASONS: [&str; 4] = ["login", "missed", "lunch", "break"];
const OUTCOMES: [&str; 3] = ["sale", "no-sale", "call-back-later"];

type TestResult = Result<(), TestCaseError>;

fn code(text: &str) -> Code {
    Code::parse(text).expect("test codes are valid")
}

fn level(n: u8) -> Proficiency {
    Proficiency::new(n).expect("generated levels are 1..=10")
}

// ----- specs and ops --------------------------------------------------------

/// Where a queue overflows; the target queue is an index among the others.
#[derive(Debug, Clone)]
enum OverflowSpec {
    Queue(Index),
    Voicemail,
    Callback,
}

#[derive(Debug, Clone)]
struct RelaxSpec {
    /// Seconds after the previous step (so `after` strictly increases).
    gap_s: u64,
    min_level: Option<u8>,
    add_queues: Vec<Index>,
}

/// A queue, with skills and queues named by index.
#[derive(Debug, Clone)]
struct QueueSpec {
    requirements: Vec<(Index, u8)>,
    relaxation: Vec<RelaxSpec>,
    /// Aging period in seconds, boost, maximum boost.
    aging: Option<(u64, u32, u32)>,
    selection: SelectionPolicy,
    wrap_up_ms: Option<u64>,
    offer_timeout_ms: u64,
    overflow: Option<(u64, OverflowSpec)>,
    announce_ms: Option<u64>,
}

impl QueueSpec {
    /// Queue `id`, one of `queues`, requiring some of `skills`.
    fn build(&self, id: QueueId, skills: &[SkillId], queues: &[QueueId]) -> QueueConfig {
        let mut requirements: Vec<SkillRequirement> = Vec::new();
        for (skill, min) in &self.requirements {
            let skill = *skill.get(skills);
            if requirements.iter().all(|r| r.skill != skill) {
                requirements.push(SkillRequirement {
                    skill,
                    min_level: level(*min),
                });
            }
        }
        let mut after = 0;
        let relaxation = self
            .relaxation
            .iter()
            .map(|step| {
                after += step.gap_s;
                let mut add_queues: Vec<QueueId> =
                    step.add_queues.iter().map(|i| *i.get(queues)).collect();
                add_queues.sort();
                add_queues.dedup();
                Relaxation {
                    after: Span::from_secs(after),
                    min_level: step.min_level.map(level),
                    add_queues,
                }
            })
            .collect();
        let others: Vec<QueueId> = queues.iter().copied().filter(|&q| q != id).collect();
        let (max_wait, overflow) = match &self.overflow {
            None => (None, None),
            Some((wait, to)) => {
                let to = match to {
                    OverflowSpec::Queue(i) => Overflow::Queue(*i.get(&others)),
                    OverflowSpec::Voicemail => Overflow::Voicemail,
                    OverflowSpec::Callback => Overflow::Callback,
                };
                (Some(Span::from_millis(*wait)), Some(to))
            }
        };
        QueueConfig {
            requirements,
            relaxation,
            aging: self.aging.map(|(every, boost, max_boost)| AgingRule {
                every: Span::from_secs(every),
                boost,
                max_boost,
            }),
            selection: self.selection,
            wrap_up: self.wrap_up_ms.map(Span::from_millis),
            offer_timeout: Span::from_millis(self.offer_timeout_ms),
            max_wait,
            overflow,
            announce_every: self.announce_ms.map(Span::from_millis),
            ..QueueConfig::new(id, &format!("queue {}", id.0), skills[0], Proficiency::MIN)
        }
    }
}

/// An agent, with skills and queues named by index.
#[derive(Debug, Clone)]
struct AgentSpec {
    skills: Vec<(Index, u8)>,
    profile: Vec<(Index, u8)>,
    concurrency: u8,
}

impl AgentSpec {
    fn build(&self, id: AgentId, skills: &[SkillId], queues: &[QueueId]) -> AgentConfig {
        let mut profile: Vec<ProfileEntry> = Vec::new();
        for (queue, priority) in &self.profile {
            let queue = *queue.get(queues);
            if profile.iter().all(|e| e.queue != queue) {
                profile.push(ProfileEntry {
                    queue,
                    priority: *priority,
                });
            }
        }
        AgentConfig {
            id,
            name: format!("agent {}", id.0),
            skills: skills_of(&self.skills, skills),
            profile,
            concurrency: Concurrency::new(self.concurrency).expect("1 or 2"),
        }
    }
}

fn skills_of(spec: &[(Index, u8)], skills: &[SkillId]) -> Vec<(SkillId, Proficiency)> {
    let mut out: Vec<(SkillId, Proficiency)> = Vec::new();
    for (skill, n) in spec {
        let skill = *skill.get(skills);
        if out.iter().all(|&(s, _)| s != skill) {
            out.push((skill, level(*n)));
        }
    }
    out
}

fn build_config(skills: u32, queues: &[QueueSpec], agents: &[AgentSpec]) -> Config {
    let skill_ids: Vec<SkillId> = (1..=skills).map(SkillId).collect();
    let queue_ids: Vec<QueueId> = (1..=queues.len() as u32).map(QueueId).collect();
    Config {
        skills: skill_ids
            .iter()
            .map(|&id| SkillConfig {
                id,
                name: format!("skill {}", id.0),
            })
            .collect(),
        queues: queues
            .iter()
            .zip(&queue_ids)
            .map(|(spec, &id)| spec.build(id, &skill_ids, &queue_ids))
            .collect(),
        agents: agents
            .iter()
            .zip(1..)
            .map(|(spec, id)| spec.build(AgentId(id), &skill_ids, &queue_ids))
            .collect(),
        reason_codes: REASONS.iter().map(|r| code(r)).collect(),
        outcome_codes: OUTCOMES[..2]
            .iter()
            .map(|o| OutcomeConfig {
                code: code(o),
                success: *o == "sale",
            })
            .collect(),
        login_reason: code("login"),
        missed_offer_reason: code("missed"),
    }
}

/// How to choose an id: `roll` (0..100) decides between one that fits the
/// op, any existing one, and one that does not exist; `index` picks.
#[derive(Debug, Clone, Copy)]
struct Pick {
    roll: u8,
    index: Index,
}

#[derive(Debug, Clone, Copy)]
enum Answer {
    Accept,
    Reject,
    RingOut,
}

/// One step of a scenario, before it is resolved against the current state.
#[derive(Debug, Clone)]
enum Op {
    Arrive {
        queue: Pick,
        priority: u8,
        duplicate: Pick,
    },
    HangUp(Pick),
    Callback(Pick),
    LogIn(Pick),
    LogOut(Pick),
    Ready(Pick),
    NotReady(Pick, Pick),
    Answer(Answer, Pick, Pick),
    Hold(Pick),
    Resume(Pick),
    End(Pick),
    WrapUpDone(Pick, Pick),
    WrapUpExtended(Pick, u64),
    TransferToQueue(Pick, Pick),
    TransferToAgent(Pick, Pick),
    Configure(ConfigOp),
    DayStarted,
    Tick,
}

#[derive(Debug, Clone)]
enum ConfigOp {
    Skill(Pick),
    Queue(Pick, QueueSpec),
    Agent(Pick, AgentSpec),
    AgentSkills(Pick, Vec<(Index, u8)>),
    Reason(Index),
    Outcome(Index, bool),
}

#[derive(Debug, Clone)]
struct Scenario {
    config: Config,
    /// Milliseconds since the previous op, and the op.
    ops: Vec<(u64, Op)>,
}

// ----- generators ------------------------------------------------------------

fn arb_pick() -> impl Strategy<Value = Pick> {
    (0u8..100, any::<Index>()).prop_map(|(roll, index)| Pick { roll, index })
}

/// Gaps between events: often none, mostly seconds, sometimes long enough
/// for offers to time out and relaxation or overflow to kick in.
fn arb_gap() -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(0u64), 5 => 1..=4_000u64, 2 => 4_001..=40_000u64]
}

fn arb_selection() -> impl Strategy<Value = SelectionPolicy> {
    prop_oneof![
        Just(SelectionPolicy::LongestIdle),
        Just(SelectionPolicy::MostSkilled),
        Just(SelectionPolicy::FewestContacts),
        Just(SelectionPolicy::RoundRobin),
    ]
}

fn arb_overflow() -> impl Strategy<Value = OverflowSpec> {
    prop_oneof![
        any::<Index>().prop_map(OverflowSpec::Queue),
        Just(OverflowSpec::Voicemail),
        Just(OverflowSpec::Callback),
    ]
}

fn arb_queue_spec() -> impl Strategy<Value = QueueSpec> {
    let relax = (
        1u64..=30,
        prop::option::weighted(0.7, 1u8..=8),
        prop::collection::vec(any::<Index>(), 0..=2),
    )
        .prop_map(|(gap_s, min_level, add_queues)| RelaxSpec {
            gap_s,
            min_level,
            add_queues,
        });
    (
        prop::collection::vec((any::<Index>(), 1u8..=10), 1..=2),
        prop::collection::vec(relax, 0..=3),
        prop::option::of((1u64..=20, 1u32..=3, 0u32..=6)),
        arb_selection(),
        prop::option::of(prop_oneof![Just(0u64), 1_000u64..=30_000]),
        1_000u64..=20_000,
        prop::option::of((5_000u64..=60_000, arb_overflow())),
        prop::option::of(5_000u64..=30_000),
    )
        .prop_map(
            |(
                requirements,
                relaxation,
                aging,
                selection,
                wrap_up_ms,
                offer_timeout_ms,
                overflow,
                announce_ms,
            )| QueueSpec {
                requirements,
                relaxation,
                aging,
                selection,
                wrap_up_ms,
                offer_timeout_ms,
                overflow,
                announce_ms,
            },
        )
}

fn arb_skill_levels() -> impl Strategy<Value = Vec<(Index, u8)>> {
    prop::collection::vec((any::<Index>(), 1u8..=10), 0..=4)
}

fn arb_agent_spec() -> impl Strategy<Value = AgentSpec> {
    (
        arb_skill_levels(),
        prop::collection::vec((any::<Index>(), 1u8..=3), 1..=3),
        1u8..=2,
    )
        .prop_map(|(skills, profile, concurrency)| AgentSpec {
            skills,
            profile,
            concurrency,
        })
}

fn arb_config_op() -> impl Strategy<Value = ConfigOp> {
    prop_oneof![
        1 => arb_pick().prop_map(ConfigOp::Skill),
        2 => (arb_pick(), arb_queue_spec()).prop_map(|(p, s)| ConfigOp::Queue(p, s)),
        2 => (arb_pick(), arb_agent_spec()).prop_map(|(p, s)| ConfigOp::Agent(p, s)),
        1 => (arb_pick(), arb_skill_levels()).prop_map(|(p, s)| ConfigOp::AgentSkills(p, s)),
        1 => any::<Index>().prop_map(ConfigOp::Reason),
        1 => (any::<Index>(), any::<bool>()).prop_map(|(i, s)| ConfigOp::Outcome(i, s)),
    ]
}

fn arb_op() -> impl Strategy<Value = Op> {
    let answer = prop_oneof![
        3 => Just(Answer::Accept),
        1 => Just(Answer::Reject),
        1 => Just(Answer::RingOut),
    ];
    prop_oneof![
        6 => (arb_pick(), 0u8..=3, arb_pick()).prop_map(|(queue, priority, duplicate)| {
            Op::Arrive { queue, priority, duplicate }
        }),
        2 => arb_pick().prop_map(Op::HangUp),
        1 => arb_pick().prop_map(Op::Callback),
        2 => arb_pick().prop_map(Op::LogIn),
        1 => arb_pick().prop_map(Op::LogOut),
        3 => arb_pick().prop_map(Op::Ready),
        1 => (arb_pick(), arb_pick()).prop_map(|(a, r)| Op::NotReady(a, r)),
        5 => (answer, arb_pick(), arb_pick()).prop_map(|(k, c, a)| Op::Answer(k, c, a)),
        1 => arb_pick().prop_map(Op::Hold),
        1 => arb_pick().prop_map(Op::Resume),
        3 => arb_pick().prop_map(Op::End),
        2 => (arb_pick(), arb_pick()).prop_map(|(w, o)| Op::WrapUpDone(w, o)),
        1 => (arb_pick(), 0u64..=20_000).prop_map(|(w, by)| Op::WrapUpExtended(w, by)),
        1 => (arb_pick(), arb_pick()).prop_map(|(c, q)| Op::TransferToQueue(c, q)),
        1 => (arb_pick(), arb_pick()).prop_map(|(c, a)| Op::TransferToAgent(c, a)),
        1 => arb_config_op().prop_map(Op::Configure),
        1 => Just(Op::DayStarted),
        2 => Just(Op::Tick),
    ]
}

fn arb_scenario() -> impl Strategy<Value = Scenario> {
    (
        2u32..=4,
        prop::collection::vec(arb_queue_spec(), 2..=4),
        prop::collection::vec(arb_agent_spec(), 2..=8),
        prop::collection::vec((arb_gap(), arb_op()), 20..=150),
    )
        .prop_map(|(skills, queues, agents, ops)| Scenario {
            config: build_config(skills, &queues, &agents),
            ops,
        })
}

// ----- the shadow model --------------------------------------------------------

/// Where a live contact is, as the records tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Queued,
    Offered(AgentId),
    Connected {
        agent: AgentId,
        held: bool,
    },
    /// The call is over; the record closes when the last wrap-up does.
    Ended,
}

#[derive(Debug, Clone)]
struct Live {
    queue: QueueId,
    priority: Priority,
    /// Place-in-line time.
    since: Time,
    for_agent: Option<AgentId>,
    callback: bool,
    stage: Stage,
}

/// The agent's own choice, which its shown state hides while it is busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    LoggedOut,
    Ready,
    NotReady,
}

#[derive(Debug, Clone)]
struct ShadowAgent {
    cfg: AgentConfig,
    presence: Presence,
    /// Contacts offered, connected or in wrap-up.
    holding: i32,
    ringing: Option<ContactId>,
}

impl ShadowAgent {
    fn new(cfg: AgentConfig) -> Self {
        ShadowAgent {
            cfg,
            presence: Presence::LoggedOut,
            holding: 0,
            ringing: None,
        }
    }

    /// May be offered another contact.
    fn available(&self) -> bool {
        self.presence == Presence::Ready
            && self.ringing.is_none()
            && self.holding < i32::from(self.cfg.concurrency.get())
    }

    fn serves(&self, queue: QueueId) -> Option<u8> {
        self.cfg
            .profile
            .iter()
            .find(|e| e.queue == queue)
            .map(|e| e.priority)
    }
}

/// Relaxation step reached after waiting `waited`.
fn step_of(q: &QueueConfig, waited: Span) -> u8 {
    q.relaxation.iter().filter(|r| r.after <= waited).count() as u8
}

/// Base priority plus the aging boost earned by `waited`.
fn effective_priority(q: &QueueConfig, base: Priority, waited: Span) -> u32 {
    let boost = q.aging.map_or(0, |rule| {
        let increments = waited.as_millis() / rule.every.as_millis();
        (increments.saturating_mul(u64::from(rule.boost))).min(u64::from(rule.max_boost)) as u32
    });
    u32::from(base.0) + boost
}

/// The agent meets every requirement of the queue with minimums relaxed as
/// far as `step`.
fn qualifies(agent: &AgentConfig, q: &QueueConfig, step: u8) -> bool {
    let cap = q
        .relaxation
        .iter()
        .take(usize::from(step))
        .filter_map(|r| r.min_level)
        .min();
    q.requirements.iter().all(|req| {
        let min = cap.map_or(req.min_level, |cap| cap.min(req.min_level));
        agent.level(req.skill).is_some_and(|have| have >= min)
    })
}

/// The step at which `q` first lends the agents of `from`.
fn lend_step(q: &QueueConfig, from: QueueId) -> Option<u8> {
    q.relaxation
        .iter()
        .position(|r| r.add_queues.contains(&from))
        .map(|i| i as u8 + 1)
}

/// What the engine's state should be, folded from its records and the
/// events it accepted.
#[derive(Debug, Clone)]
struct Shadow {
    skills: Vec<SkillId>,
    queues: BTreeMap<QueueId, QueueConfig>,
    agents: BTreeMap<AgentId, ShadowAgent>,
    reasons: Vec<Code>,
    outcomes: Vec<Code>,
    /// Contacts that arrived and have not finished.
    contacts: BTreeMap<ContactId, Live>,
    /// Open wrap-ups; a list because nothing forbids an agent two of the
    /// same contact.
    wraps: Vec<(AgentId, ContactId)>,
    /// Every contact that ever arrived, in order.
    arrived: Vec<ContactId>,
    next_contact: u64,
}

impl Shadow {
    fn new(config: &Config) -> Self {
        Shadow {
            skills: config.skills.iter().map(|s| s.id).collect(),
            queues: config.queues.iter().map(|q| (q.id, q.clone())).collect(),
            agents: config
                .agents
                .iter()
                .map(|a| (a.id, ShadowAgent::new(a.clone())))
                .collect(),
            reasons: config.reason_codes.clone(),
            outcomes: config
                .outcome_codes
                .iter()
                .map(|o| o.code.clone())
                .collect(),
            contacts: BTreeMap::new(),
            wraps: Vec::new(),
            arrived: Vec::new(),
            next_contact: 1,
        }
    }

    /// Documented eligibility: a member of the queue that meets its
    /// requirements as relaxed at `step`, or a fully qualified member of a
    /// queue that a step reached lends.
    fn eligible(&self, agent: &ShadowAgent, queue: QueueId, step: u8) -> bool {
        let q = &self.queues[&queue];
        let own = agent.serves(queue).is_some() && qualifies(&agent.cfg, q, step);
        let lent = q
            .relaxation
            .iter()
            .take(usize::from(step))
            .flat_map(|r| &r.add_queues)
            .any(|lender| {
                agent.serves(*lender).is_some() && qualifies(&agent.cfg, &self.queues[lender], 0)
            });
        own || lent
    }

    /// The first step at which the agent qualifies for the queue.
    fn tier(&self, agent: &AgentConfig, queue: QueueId) -> Option<u8> {
        let q = &self.queues[&queue];
        (0..=q.relaxation.len() as u8).find(|&step| qualifies(agent, q, step))
    }

    fn waiting(&self) -> impl Iterator<Item = (ContactId, &Live)> {
        self.contacts
            .iter()
            .filter(|(_, c)| c.stage == Stage::Queued)
            .map(|(&id, c)| (id, c))
    }

    fn contact(&mut self, id: ContactId) -> Option<&mut Live> {
        self.contacts.get_mut(&id)
    }

    fn agent(&mut self, id: AgentId) -> Option<&mut ShadowAgent> {
        self.agents.get_mut(&id)
    }

    /// Effects of an accepted event that no record shows: presence hides
    /// behind a busy agent's shown state, and some hang-ups wait for a
    /// wrap-up to be told. A driver that ticks at every wakeup never has
    /// timers fire in the same call, so these effects come before all of
    /// the event's records.
    fn accepted(&mut self, event: &Event) {
        let (agent, presence) = match event {
            Event::AgentLoggedIn { agent } => (agent, Presence::NotReady),
            Event::AgentLoggedOut { agent } => {
                // Contacts transferred to it by name go back to their queue.
                for c in self.contacts.values_mut() {
                    if c.for_agent == Some(*agent) {
                        c.for_agent = None;
                    }
                }
                (agent, Presence::LoggedOut)
            }
            Event::CallerHungUp { contact } => {
                // A caller who leaves the line while an earlier leg is still
                // in wrap-up shows in no record until the contact finishes.
                if let Some(c) = self.contact(*contact)
                    && c.stage == Stage::Queued
                {
                    c.stage = Stage::Ended;
                }
                return;
            }
            Event::AgentReady { agent } => (agent, Presence::Ready),
            Event::AgentNotReady { agent, .. } => (agent, Presence::NotReady),
            _ => return,
        };
        if let Some(a) = self.agent(*agent) {
            a.presence = presence;
        }
    }

    /// Takes in one record. Tolerates nonsense: the properties judge it.
    fn observe(&mut self, record: &Record) {
        match &record.kind {
            RecordKind::ContactArrived {
                contact,
                queue,
                priority,
                ..
            } => {
                self.arrived.push(*contact);
                self.contacts.insert(
                    *contact,
                    Live {
                        queue: *queue,
                        priority: *priority,
                        since: record.at,
                        for_agent: None,
                        callback: false,
                        stage: Stage::Queued,
                    },
                );
            }
            RecordKind::Offered { contact, agent, .. } => {
                if let Some(c) = self.contact(*contact) {
                    c.stage = Stage::Offered(*agent);
                }
                if let Some(a) = self.agent(*agent) {
                    a.holding += 1;
                    a.ringing = Some(*contact);
                }
            }
            RecordKind::OfferEnded {
                contact,
                agent,
                outcome,
            } => {
                let hung_up = *outcome == OfferOutcome::CallerHungUp;
                if let Some(c) = self.contact(*contact) {
                    c.stage = if hung_up { Stage::Ended } else { Stage::Queued };
                }
                if let Some(a) = self.agent(*agent) {
                    a.holding -= 1;
                    a.ringing = None;
                    // A missed or rejected offer makes a ready agent not ready.
                    if !hung_up && a.presence == Presence::Ready {
                        a.presence = Presence::NotReady;
                    }
                }
            }
            RecordKind::Connected { contact, agent } => {
                if let Some(c) = self.contact(*contact) {
                    c.stage = Stage::Connected {
                        agent: *agent,
                        held: false,
                    };
                }
                if let Some(a) = self.agent(*agent) {
                    a.ringing = None;
                }
            }
            RecordKind::Held { contact, .. } | RecordKind::Resumed { contact, .. } => {
                let hold = matches!(record.kind, RecordKind::Held { .. });
                if let Some(c) = self.contact(*contact)
                    && let Stage::Connected { held, .. } = &mut c.stage
                {
                    *held = hold;
                }
            }
            RecordKind::CallEnded { contact, agent, by } => {
                self.wraps.push((*agent, *contact));
                if *by != Party::Transfer
                    && let Some(c) = self.contact(*contact)
                {
                    c.stage = Stage::Ended;
                }
            }
            RecordKind::WrapUpEnded { contact, agent, .. } => {
                if let Some(i) = self.wraps.iter().position(|w| *w == (*agent, *contact)) {
                    self.wraps.remove(i);
                }
                if let Some(a) = self.agent(*agent) {
                    a.holding -= 1;
                }
            }
            RecordKind::Transferred { contact, to, .. } => {
                if let Some(c) = self.contact(*contact) {
                    c.since = record.at;
                    c.stage = Stage::Queued;
                    match *to {
                        TransferTarget::Queue(q) => {
                            c.queue = q;
                            c.for_agent = None;
                        }
                        TransferTarget::Agent(a) => c.for_agent = Some(a),
                    }
                }
            }
            RecordKind::Overflowed { contact, to, .. } => {
                if let Some(c) = self.contact(*contact) {
                    match *to {
                        Overflow::Queue(q) => {
                            c.queue = q;
                            c.for_agent = None;
                        }
                        Overflow::Callback => c.callback = true,
                        Overflow::Voicemail => c.stage = Stage::Ended,
                    }
                }
            }
            RecordKind::CallbackRequested { contact } => {
                if let Some(c) = self.contact(*contact) {
                    c.callback = true;
                }
            }
            RecordKind::ContactFinished(finished) => {
                self.contacts.remove(&finished.id);
            }
            RecordKind::ConfigChanged(change) => self.configure(change),
            RecordKind::Announce { .. }
            | RecordKind::AgentStateChanged { .. }
            | RecordKind::DayStarted => {}
        }
    }

    fn configure(&mut self, change: &ConfigChange) {
        match change {
            ConfigChange::UpsertSkill(s) => {
                if !self.skills.contains(&s.id) {
                    self.skills.push(s.id);
                }
            }
            ConfigChange::UpsertQueue(q) => {
                self.queues.insert(q.id, q.clone());
            }
            ConfigChange::UpsertAgent(cfg) => {
                self.agents
                    .entry(cfg.id)
                    .and_modify(|a| a.cfg = cfg.clone())
                    .or_insert_with(|| ShadowAgent::new(cfg.clone()));
            }
            ConfigChange::SetAgentSkills { agent, skills } => {
                if let Some(a) = self.agent(*agent) {
                    a.cfg.skills = skills.clone();
                }
            }
            ConfigChange::AddReasonCode(c) => {
                if !self.reasons.contains(c) {
                    self.reasons.push(c.clone());
                }
            }
            ConfigChange::UpsertOutcome(o) => {
                if !self.outcomes.contains(&o.code) {
                    self.outcomes.push(o.code.clone());
                }
            }
        }
    }

    // ----- resolving ops -----

    /// Usually an agent that `fits`, sometimes any, rarely an unknown one.
    fn pick_agent(&self, pick: Pick, fits: impl Fn(&ShadowAgent) -> bool) -> AgentId {
        if pick.roll < 6 {
            return BOGUS_AGENT;
        }
        let fitting: Vec<AgentId> = self
            .agents
            .iter()
            .filter(|(_, a)| fits(a))
            .map(|(&id, _)| id)
            .collect();
        if pick.roll >= 20 && !fitting.is_empty() {
            return *pick.index.get(&fitting);
        }
        let all: Vec<AgentId> = self.agents.keys().copied().collect();
        *pick.index.get(&all)
    }

    /// Usually a live contact that `fits`, sometimes any live one or one
    /// that has finished, rarely one that never arrived.
    fn pick_contact(&self, pick: Pick, fits: impl Fn(&Live) -> bool) -> ContactId {
        if pick.roll < 5 || self.arrived.is_empty() {
            return ContactId(BOGUS_CONTACT + pick.index.index(100) as u64);
        }
        let fitting: Vec<ContactId> = self
            .contacts
            .iter()
            .filter(|(_, c)| fits(c))
            .map(|(&id, _)| id)
            .collect();
        if pick.roll >= 20 && !fitting.is_empty() {
            return *pick.index.get(&fitting);
        }
        let live: Vec<ContactId> = self.contacts.keys().copied().collect();
        if pick.roll >= 12 && !live.is_empty() {
            return *pick.index.get(&live);
        }
        *pick.index.get(&self.arrived)
    }

    fn pick_queue(&self, pick: Pick) -> QueueId {
        if pick.roll < 5 {
            return BOGUS_QUEUE;
        }
        let all: Vec<QueueId> = self.queues.keys().copied().collect();
        *pick.index.get(&all)
    }

    /// Usually an open wrap-up, sometimes any agent and contact.
    fn pick_wrap(&self, pick: Pick) -> (AgentId, ContactId) {
        if pick.roll < 8 || self.wraps.is_empty() {
            (
                self.pick_agent(pick, |_| true),
                self.pick_contact(pick, |_| true),
            )
        } else {
            *pick.index.get(&self.wraps)
        }
    }

    fn holder(&self, contact: ContactId) -> Option<AgentId> {
        match self.contacts.get(&contact)?.stage {
            Stage::Offered(a) | Stage::Connected { agent: a, .. } => Some(a),
            Stage::Queued | Stage::Ended => None,
        }
    }

    /// A new id, or an existing one to update; `roll` chooses.
    fn new_or_existing<T: Copy>(pick: Pick, existing: &[T], cap: usize, new: T) -> T {
        if pick.roll < 30 && existing.len() < cap {
            new
        } else {
            *pick.index.get(existing)
        }
    }

    /// The event `op` stands for in the current state.
    fn resolve(&mut self, op: &Op) -> Event {
        let connected = |c: &Live| matches!(c.stage, Stage::Connected { .. });
        match op {
            Op::Arrive {
                queue,
                priority,
                duplicate,
            } => {
                let live: Vec<ContactId> = self.contacts.keys().copied().collect();
                let id = if duplicate.roll < 5 && !live.is_empty() {
                    *duplicate.index.get(&live)
                } else {
                    self.next_contact += 1;
                    ContactId(self.next_contact - 1)
                };
                Event::ContactArrived(NewContact {
                    id,
                    ani: (priority % 2 == 0)
                        .then(|| PhoneNumber::parse("+84901234567").expect("valid")),
                    dnis: PhoneNumber::parse("1900").expect("valid"),
                    queue: self.pick_queue(*queue),
                    priority: Priority(*priority),
                    attributes: vec![(code("lang"), code("vi"))],
                })
            }
            Op::HangUp(p) => Event::CallerHungUp {
                contact: self.pick_contact(*p, |c| c.stage != Stage::Ended),
            },
            Op::Callback(p) => Event::CallbackRequested {
                contact: self.pick_contact(*p, |c| c.stage == Stage::Queued && !c.callback),
            },
            Op::LogIn(p) => Event::AgentLoggedIn {
                agent: self.pick_agent(*p, |a| a.presence == Presence::LoggedOut),
            },
            Op::LogOut(p) => Event::AgentLoggedOut {
                agent: self.pick_agent(*p, |a| a.presence != Presence::LoggedOut && a.holding == 0),
            },
            Op::Ready(p) => Event::AgentReady {
                agent: self.pick_agent(*p, |a| a.presence == Presence::NotReady),
            },
            Op::NotReady(p, reason) => Event::AgentNotReady {
                agent: self.pick_agent(*p, |a| a.presence == Presence::Ready),
                reason: if reason.roll < 8 {
                    code("nap")
                } else {
                    reason.index.get(&self.reasons).clone()
                },
            },
            Op::Answer(answer, c, a) => {
                let contact = self.pick_contact(*c, |c| matches!(c.stage, Stage::Offered(_)));
                let agent = match self.holder(contact) {
                    Some(holder) if a.roll >= 15 => holder,
                    _ => self.pick_agent(*a, |_| true),
                };
                match answer {
                    Answer::Accept => Event::OfferAccepted { contact, agent },
                    Answer::Reject => Event::OfferRejected { contact, agent },
                    Answer::RingOut => Event::OfferNotAnswered { contact, agent },
                }
            }
            Op::Hold(p) => Event::Held {
                contact: self.pick_contact(*p, |c| {
                    matches!(c.stage, Stage::Connected { held: false, .. })
                }),
            },
            Op::Resume(p) => Event::Resumed {
                contact: self.pick_contact(*p, |c| {
                    matches!(c.stage, Stage::Connected { held: true, .. })
                }),
            },
            Op::End(p) => Event::ContactEnded {
                contact: self.pick_contact(*p, connected),
            },
            Op::WrapUpDone(w, outcome) => {
                let (agent, contact) = self.pick_wrap(*w);
                let outcome = match outcome.roll {
                    0..8 => Some(code("mystery")),
                    8..50 => None,
                    _ => Some(outcome.index.get(&self.outcomes).clone()),
                };
                Event::WrapUpDone {
                    agent,
                    contact,
                    wrap: WrapUp {
                        outcome,
                        reason: Some(code("billing")),
                        notes: "called back".into(),
                    },
                }
            }
            Op::WrapUpExtended(w, by) => {
                let (agent, contact) = self.pick_wrap(*w);
                Event::WrapUpExtended {
                    agent,
                    contact,
                    by: Span::from_millis(*by),
                }
            }
            Op::TransferToQueue(c, q) => Event::TransferredToQueue {
                contact: self.pick_contact(*c, connected),
                queue: self.pick_queue(*q),
            },
            Op::TransferToAgent(c, a) => {
                let contact = self.pick_contact(*c, connected);
                let holder = self.holder(contact);
                Event::TransferredToAgent {
                    contact,
                    agent: self.pick_agent(*a, |a| {
                        a.presence != Presence::LoggedOut && Some(a.cfg.id) != holder
                    }),
                }
            }
            Op::Configure(change) => Event::Configure(self.resolve_config(change)),
            Op::DayStarted => Event::DayStarted,
            Op::Tick => Event::Tick,
        }
    }

    fn resolve_config(&self, op: &ConfigOp) -> ConfigChange {
        let queues: Vec<QueueId> = self.queues.keys().copied().collect();
        let agents: Vec<AgentId> = self.agents.keys().copied().collect();
        match op {
            ConfigOp::Skill(p) => {
                let next = SkillId(self.skills.iter().map(|s| s.0).max().unwrap_or(0) + 1);
                let id = Self::new_or_existing(*p, &self.skills, MAX_SKILLS, next);
                ConfigChange::UpsertSkill(SkillConfig {
                    id,
                    name: format!("skill {} (renamed)", id.0),
                })
            }
            ConfigOp::Queue(p, spec) => {
                let next = QueueId(queues.iter().map(|q| q.0).max().unwrap_or(0) + 1);
                let id = Self::new_or_existing(*p, &queues, MAX_QUEUES, next);
                let mut all = queues.clone();
                if !all.contains(&id) {
                    all.push(id);
                }
                ConfigChange::UpsertQueue(spec.build(id, &self.skills, &all))
            }
            ConfigOp::Agent(p, spec) => {
                let next = AgentId(agents.iter().map(|a| a.0).max().unwrap_or(0) + 1);
                let id = Self::new_or_existing(*p, &agents, MAX_AGENTS, next);
                ConfigChange::UpsertAgent(spec.build(id, &self.skills, &queues))
            }
            ConfigOp::AgentSkills(p, skills) => ConfigChange::SetAgentSkills {
                agent: self.pick_agent(*p, |_| true),
                skills: skills_of(skills, &self.skills),
            },
            ConfigOp::Reason(i) => {
                ConfigChange::AddReasonCode(code(i.get::<&str>(&["lunch", "break", "training"])))
            }
            ConfigOp::Outcome(i, success) => ConfigChange::UpsertOutcome(OutcomeConfig {
                code: code(i.get::<&str>(&OUTCOMES)),
                success: *success,
            }),
        }
    }
}

// ----- driving the engine ----------------------------------------------------

/// What a property checks while a [`Sim`] runs.
trait Checks {
    /// Each record, before the shadow takes it in.
    fn record(&mut self, _shadow: &Shadow, _record: &Record) -> TestResult {
        Ok(())
    }

    /// After every input, once the engine has settled.
    fn settled(&mut self, _shadow: &Shadow, _engine: &Engine) -> TestResult {
        Ok(())
    }
}

struct NoChecks;

impl Checks for NoChecks {}

/// One engine, its shadow and everything that went in and came out.
struct Sim {
    engine: Engine,
    shadow: Shadow,
    /// Every input, the driver's wakeup ticks included.
    inputs: Vec<(Time, Event)>,
    /// The result of each input.
    results: Vec<Result<(), Error>>,
    /// Every event sent, without the driver's ticks: what a driver that
    /// never ticks would send.
    events: Vec<(Time, Event)>,
    /// The result of each of `events`.
    event_results: Vec<Result<(), Error>>,
    records: Vec<Record>,
}

impl Sim {
    fn new(config: &Config, selector: Selector) -> Self {
        Sim {
            engine: Engine::new(config.clone(), selector).expect("generated configs are valid"),
            shadow: Shadow::new(config),
            inputs: Vec::new(),
            results: Vec::new(),
            events: Vec::new(),
            event_results: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Runs a whole scenario and returns the simulation.
    fn run(
        scenario: &Scenario,
        selector: Selector,
        checks: &mut impl Checks,
    ) -> Result<Sim, TestCaseError> {
        let mut sim = Sim::new(&scenario.config, selector);
        sim.play(&scenario.ops, checks)?;
        Ok(sim)
    }

    fn play(&mut self, ops: &[(u64, Op)], checks: &mut impl Checks) -> TestResult {
        let mut at = Time::ZERO;
        for (gap, op) in ops {
            at = at + Span::from_millis(*gap);
            // Resolve against the state the event will meet, timers fired.
            self.catch_up(at, checks)?;
            let event = self.shadow.resolve(op);
            // Refusals are expected here: many ops name the wrong thing.
            let _refusal = self.send(at, event, checks)?;
        }
        Ok(())
    }

    /// Ticks at every wakeup due by `at`, as drivers are told to.
    fn catch_up(&mut self, at: Time, checks: &mut impl Checks) -> TestResult {
        while let Some(wake) = self.engine.next_wakeup().filter(|&w| w <= at) {
            let wake = wake.max(self.engine.now());
            let ticked = self.handle(wake, Event::Tick, checks)?;
            prop_assert!(ticked.is_ok(), "tick at {wake} refused: {ticked:?}");
        }
        Ok(())
    }

    /// Sends an event at `at`, after the wakeups due by then.
    fn send(
        &mut self,
        at: Time,
        event: Event,
        checks: &mut impl Checks,
    ) -> Result<Result<(), Error>, TestCaseError> {
        self.catch_up(at, checks)?;
        self.events.push((at, event.clone()));
        let result = self.handle(at, event, checks)?;
        self.event_results.push(result.clone());
        Ok(result)
    }

    fn handle(
        &mut self,
        at: Time,
        event: Event,
        checks: &mut impl Checks,
    ) -> Result<Result<(), Error>, TestCaseError> {
        let result = self.engine.handle(at, event.clone());
        if result.is_ok() {
            self.shadow.accepted(&event);
        }
        while let Some(record) = self.engine.poll_record() {
            checks.record(&self.shadow, &record)?;
            self.shadow.observe(&record);
            self.records.push(record);
        }
        checks.settled(&self.shadow, &self.engine)?;
        self.inputs.push((at, event));
        self.results.push(result.clone());
        Ok(result)
    }

    /// Brings every contact to its end: callers hang up, agents finish
    /// wrap-up and log out, and the clock runs on for a day.
    fn wind_down(&mut self, checks: &mut impl Checks) -> TestResult {
        let at = self.engine.now();
        // Timers due now (a maximum wait restarted by a queue change) may
        // move contacts first; each hang-up then ends one live contact.
        self.catch_up(at, checks)?;
        while let Some(contact) = self
            .shadow
            .contacts
            .iter()
            .find(|(_, c)| c.stage != Stage::Ended)
            .map(|(&id, _)| id)
        {
            let result = self.send(at, Event::CallerHungUp { contact }, checks)?;
            prop_assert!(result.is_ok(), "hanging up {contact}: {result:?}");
            let live = self.shadow.contacts.get(&contact);
            prop_assert!(
                live.is_none_or(|c| c.stage == Stage::Ended),
                "{contact} still on the line after hanging up: {live:?}"
            );
        }
        for (agent, contact) in self.shadow.wraps.clone() {
            let wrap = WrapUp::default();
            let result = self.send(
                at,
                Event::WrapUpDone {
                    agent,
                    contact,
                    wrap,
                },
                checks,
            )?;
            prop_assert!(result.is_ok(), "{agent} wrapping up {contact}: {result:?}");
        }
        let logged_in: Vec<AgentId> = self
            .shadow
            .agents
            .iter()
            .filter(|(_, a)| a.presence != Presence::LoggedOut)
            .map(|(&id, _)| id)
            .collect();
        for agent in logged_in {
            let result = self.send(at, Event::AgentLoggedOut { agent }, checks)?;
            prop_assert!(result.is_ok(), "logging out {agent}: {result:?}");
        }
        let result = self.send(at + Span::from_secs(86_400), Event::Tick, checks)?;
        prop_assert!(result.is_ok());
        Ok(())
    }
}

/// Feeds `inputs` to a fresh engine, as is.
fn replay(
    config: &Config,
    selector: Selector,
    inputs: &[(Time, Event)],
) -> (Vec<Result<(), Error>>, Vec<Record>) {
    let mut engine = Engine::new(config.clone(), selector).expect("generated configs are valid");
    let mut results = Vec::new();
    let mut records = Vec::new();
    for (at, event) in inputs {
        results.push(engine.handle(*at, event.clone()));
        records.extend(engine.drain_records());
    }
    (results, records)
}

/// The same records, naming the first difference.
fn same_records(left: &[Record], right: &[Record]) -> TestResult {
    if let Some(i) = left.iter().zip(right).position(|(l, r)| l != r) {
        return Err(TestCaseError::fail(format!(
            "records differ at {i}:\n  {:?}\n  {:?}",
            left[i], right[i]
        )));
    }
    prop_assert_eq!(left.len(), right.len(), "record counts differ");
    Ok(())
}

// ----- checks ------------------------------------------------------------------

/// Property 1: a contact rings at one agent at a time and is never offered
/// while connected.
#[derive(Default)]
struct OneOfferAtATime {
    ringing: BTreeMap<ContactId, AgentId>,
    connected: BTreeMap<ContactId, AgentId>,
}

impl Checks for OneOfferAtATime {
    fn record(&mut self, _: &Shadow, record: &Record) -> TestResult {
        match &record.kind {
            RecordKind::Offered { contact, agent, .. } => {
                prop_assert!(
                    !self.ringing.contains_key(contact) && !self.connected.contains_key(contact),
                    "{contact} offered to {agent} while ringing at {:?} / connected to {:?}",
                    self.ringing.get(contact),
                    self.connected.get(contact)
                );
                self.ringing.insert(*contact, *agent);
            }
            RecordKind::OfferEnded { contact, agent, .. } => {
                prop_assert_eq!(self.ringing.remove(contact), Some(*agent));
            }
            RecordKind::Connected { contact, agent } => {
                prop_assert_eq!(self.ringing.remove(contact), Some(*agent));
                self.connected.insert(*contact, *agent);
            }
            RecordKind::CallEnded { contact, agent, .. } => {
                prop_assert_eq!(self.connected.remove(contact), Some(*agent));
            }
            RecordKind::ContactFinished(finished) => {
                prop_assert!(
                    !self.ringing.contains_key(&finished.id)
                        && !self.connected.contains_key(&finished.id),
                    "{} finished while ringing or connected",
                    finished.id
                );
            }
            _ => {}
        }
        Ok(())
    }
}

/// Property 2: an agent holds at most its concurrency, and one offer rings
/// at a time; the count from the records matches the engine's own view.
#[derive(Default)]
struct WithinConcurrency {
    holding: BTreeMap<AgentId, usize>,
    ringing: BTreeMap<AgentId, usize>,
}

impl Checks for WithinConcurrency {
    fn record(&mut self, shadow: &Shadow, record: &Record) -> TestResult {
        match &record.kind {
            RecordKind::Offered { agent, .. } => {
                let holding = self.holding.entry(*agent).or_default();
                *holding += 1;
                let limit = shadow.agents[agent].cfg.concurrency.get();
                prop_assert!(
                    *holding <= usize::from(limit),
                    "{agent} holds {holding} > {limit}"
                );
                let ringing = self.ringing.entry(*agent).or_default();
                *ringing += 1;
                prop_assert_eq!(*ringing, 1, "{} rings twice", agent);
            }
            RecordKind::OfferEnded { agent, .. } | RecordKind::Connected { agent, .. } => {
                let ringing = self.ringing.entry(*agent).or_default();
                prop_assert!(*ringing == 1, "{agent} answered nothing ringing");
                *ringing = 0;
            }
            _ => {}
        }
        // An offer that ends and a wrap-up that ends each free a slot.
        if let RecordKind::OfferEnded { agent, .. } | RecordKind::WrapUpEnded { agent, .. } =
            &record.kind
        {
            let holding = self.holding.entry(*agent).or_default();
            prop_assert!(*holding > 0, "{agent} frees a slot it does not hold");
            *holding -= 1;
        }
        Ok(())
    }

    fn settled(&mut self, shadow: &Shadow, engine: &Engine) -> TestResult {
        for (id, agent) in &shadow.agents {
            let status = engine.agent_status(*id).expect("configured agent");
            let holding = self.holding.get(id).copied().unwrap_or(0);
            prop_assert_eq!(status.contacts.len(), holding, "{}: {:?}", id, status);
            prop_assert!(holding <= usize::from(agent.cfg.concurrency.get()));
        }
        Ok(())
    }
}

/// Property 7: an agent that becomes available takes the best contact it
/// may: none waiting in the same queue (at a step it may take) ranks
/// better, and none in an own queue of better profile priority waits for
/// it. The decision's numbers match the shadow's.
struct BestContactFirst;

impl Checks for BestContactFirst {
    fn record(&mut self, shadow: &Shadow, record: &Record) -> TestResult {
        let RecordKind::Offered {
            contact,
            agent,
            decision,
            ..
        } = &record.kind
        else {
            return Ok(());
        };
        if decision.trigger != Trigger::Agent {
            return Ok(());
        }
        let (queue, min_step, borrowed, profile_priority) = match decision.route {
            Route::Personal => return Ok(()),
            Route::Queue {
                queue,
                tier,
                profile_priority,
            } => (queue, tier, false, profile_priority),
            Route::Borrowed {
                queue,
                from,
                profile_priority,
            } => {
                let step = lend_step(&shadow.queues[&queue], from);
                prop_assert!(step.is_some(), "{queue} does not lend {from}");
                (queue, step.unwrap_or(0), true, profile_priority)
            }
        };
        let Some(chosen) = shadow.contacts.get(contact) else {
            return Err(TestCaseError::fail(format!(
                "{contact} offered but not live"
            )));
        };
        prop_assert_eq!(chosen.stage, Stage::Queued);
        prop_assert_eq!(chosen.for_agent, None);
        prop_assert_eq!(chosen.queue, queue);
        let q = &shadow.queues[&queue];
        let waited = record.at.since(chosen.since);
        prop_assert_eq!(decision.waited, waited);
        prop_assert_eq!(decision.step, step_of(q, waited));
        prop_assert!(decision.step >= min_step);
        prop_assert_eq!(
            decision.effective_priority,
            effective_priority(q, chosen.priority, waited)
        );
        let me = &shadow.agents[agent];
        if !borrowed {
            prop_assert_eq!(Some(min_step), shadow.tier(&me.cfg, queue));
            prop_assert_eq!(Some(profile_priority), me.serves(queue));
        }
        let rank = |c: &Live, id: ContactId| {
            let q = &shadow.queues[&c.queue];
            let waited = record.at.since(c.since);
            let effective = effective_priority(q, c.priority, waited);
            (step_of(q, waited), (Reverse(effective), c.since, id))
        };
        let (_, chosen_rank) = rank(chosen, *contact);
        let chosen_key = (borrowed, profile_priority, chosen_rank);
        for (id, other) in shadow.waiting() {
            if id == *contact || other.for_agent.is_some() {
                continue;
            }
            let (step, other_rank) = rank(other, id);
            if other.queue == queue && step >= min_step {
                prop_assert!(
                    other_rank > chosen_rank,
                    "{agent} took {contact} {chosen_rank:?} over {id} {other_rank:?} in {queue}"
                );
            }
            if let Some(priority) = me.serves(other.queue)
                && qualifies(&me.cfg, &shadow.queues[&other.queue], step)
            {
                let key = (false, priority, other_rank);
                prop_assert!(
                    key > chosen_key,
                    "{agent} took {contact} {chosen_key:?} over {id} {key:?}"
                );
            }
        }
        Ok(())
    }
}

/// Property 7b: offers go to available agents eligible for the contact, and
/// after every input no available agent is eligible for a waiting contact
/// (the engine's settle invariant, against the documented rules); the
/// engine's explanation of each wait names the same eligible agents.
struct Settled;

impl Checks for Settled {
    fn record(&mut self, shadow: &Shadow, record: &Record) -> TestResult {
        let RecordKind::Offered {
            contact,
            agent,
            decision,
            ..
        } = &record.kind
        else {
            return Ok(());
        };
        let a = &shadow.agents[agent];
        prop_assert!(
            a.available(),
            "{contact} offered to unavailable {agent}: {a:?}"
        );
        let Some(c) = shadow.contacts.get(contact) else {
            return Err(TestCaseError::fail(format!(
                "{contact} offered but not live"
            )));
        };
        prop_assert_eq!(c.stage, Stage::Queued);
        match c.for_agent {
            Some(named) => {
                prop_assert_eq!(named, *agent);
                prop_assert_eq!(decision.route, Route::Personal);
            }
            None => {
                let step = step_of(&shadow.queues[&c.queue], record.at.since(c.since));
                prop_assert!(
                    shadow.eligible(a, c.queue, step),
                    "{contact} (step {step}) offered to ineligible {agent}"
                );
            }
        }
        Ok(())
    }

    fn settled(&mut self, shadow: &Shadow, engine: &Engine) -> TestResult {
        let now = engine.now();
        let shown = |id: AgentId| engine.agent_status(id).expect("configured agent").state;
        for (id, c) in shadow.waiting() {
            // The engine's own explanation of the wait must agree too.
            let why = engine.explain_wait(id);
            prop_assert!(why.is_ok(), "{id} waits but: {why:?}");
            let why = why.expect("checked");
            prop_assert_eq!(why.queue, c.queue);
            prop_assert_eq!(why.for_agent, c.for_agent);
            match c.for_agent {
                Some(named) => prop_assert!(
                    !shadow.agents[&named].available(),
                    "{id} waits for available {named}"
                ),
                None => {
                    let step = step_of(&shadow.queues[&c.queue], now.since(c.since));
                    prop_assert_eq!(why.step, step);
                    let mut eligible: BTreeMap<AgentState, u32> = BTreeMap::new();
                    for (agent_id, agent) in &shadow.agents {
                        if !shadow.eligible(agent, c.queue, step) {
                            continue;
                        }
                        prop_assert!(
                            !agent.available(),
                            "{id} waits in {} at step {step} while {agent_id} is available \
                             and eligible",
                            c.queue
                        );
                        if agent.presence != Presence::LoggedOut {
                            *eligible.entry(shown(*agent_id)).or_default() += 1;
                        }
                    }
                    let eligible: Vec<(AgentState, u32)> = eligible.into_iter().collect();
                    prop_assert_eq!(&why.eligible, &eligible, "{}", why);
                }
            }
        }
        Ok(())
    }
}

// ----- bad input ---------------------------------------------------------------

/// A refused event to slip in: `kind` chooses what is wrong, `frac` where
/// in the gap before the next event it goes.
#[derive(Debug, Clone)]
struct Injection {
    before: Index,
    frac: u8,
    kind: u8,
    index: Index,
}

fn arb_injection() -> impl Strategy<Value = Injection> {
    (any::<Index>(), any::<u8>(), 0u8..15, any::<Index>()).prop_map(
        |(before, frac, kind, index)| Injection {
            before,
            frac,
            kind,
            index,
        },
    )
}

/// Which refusal an injected event must get.
type Expect = fn(&Error) -> bool;

/// A bad event for an engine whose clock reads `clock`, and the refusal it
/// must get. `probe` is a copy of that engine advanced to the event's time,
/// and `seen` has followed its records, so the ids chosen are right when
/// the event meets the engine. Kinds whose preconditions do not hold fall
/// back to an unknown agent.
fn bad_event(inj: &Injection, probe: &Engine, seen: &Shadow, clock: Time) -> (Time, Event, Expect) {
    let at = probe.now();
    let agents: Vec<AgentId> = seen.agents.keys().copied().collect();
    let queues: Vec<&QueueConfig> = seen.queues.values().collect();
    let live: Vec<ContactId> = seen.contacts.keys().copied().collect();
    let status = |id: AgentId| probe.agent_status(id).expect("configured agent");
    let with_state = |want: fn(&AgentState) -> bool| -> Vec<AgentId> {
        agents
            .iter()
            .copied()
            .filter(|&id| want(&status(id).state))
            .collect()
    };
    let ready = with_state(|s| *s == AgentState::Ready);
    let logged_in = with_state(|s| *s != AgentState::LoggedOut);
    let full: Vec<AgentId> = agents
        .iter()
        .copied()
        .filter(|&id| status(id).contacts.len() > 1)
        .collect();
    let finished: Vec<ContactId> = seen
        .arrived
        .iter()
        .copied()
        .filter(|c| !seen.contacts.contains_key(c))
        .collect();
    let i = inj.index;
    match inj.kind {
        1 if !finished.is_empty() => (
            at,
            Event::Held {
                contact: *i.get(&finished),
            },
            |e| matches!(e, Error::UnknownContact(_)),
        ),
        2 if !live.is_empty() => (
            at,
            Event::ContactArrived(NewContact {
                id: *i.get(&live),
                ani: None,
                dnis: PhoneNumber::parse("1900").expect("valid"),
                queue: queues[0].id,
                priority: Priority(0),
                attributes: Vec::new(),
            }),
            |e| matches!(e, Error::DuplicateContact(_)),
        ),
        3 if clock > Time::ZERO => (
            Time::from_millis(i.index(clock.as_millis() as usize) as u64),
            Event::DayStarted,
            |e| matches!(e, Error::TimeWentBackwards { .. }),
        ),
        4 if !ready.is_empty() => (
            at,
            Event::AgentReady {
                agent: *i.get(&ready),
            },
            |e| matches!(e, Error::AgentState { .. }),
        ),
        5 if !live.is_empty() => {
            let contact = *i.get(&live);
            let stranger = agents
                .iter()
                .copied()
                .find(|&id| !status(id).contacts.contains(&contact))
                .unwrap_or(BOGUS_AGENT);
            (
                at,
                Event::OfferAccepted {
                    contact,
                    agent: stranger,
                },
                |e| {
                    matches!(
                        e,
                        Error::ContactState { .. }
                            | Error::NotAgentsContact { .. }
                            | Error::UnknownAgent(_)
                    )
                },
            )
        }
        6 => {
            let mut q = (*i.get(&queues)).clone();
            q.requirements.clear();
            (at, Event::Configure(ConfigChange::UpsertQueue(q)), |e| {
                matches!(e, Error::Config(ConfigError::QueueWithoutSkill(_)))
            })
        }
        7 => {
            let mut cfg = seen.agents[i.get(&agents)].cfg.clone();
            cfg.skills.push((BOGUS_SKILL, Proficiency::MAX));
            (at, Event::Configure(ConfigChange::UpsertAgent(cfg)), |e| {
                matches!(e, Error::Config(ConfigError::UnknownSkill { .. }))
            })
        }
        8 if !seen.wraps.is_empty() => {
            let (agent, contact) = *i.get(&seen.wraps);
            let wrap = WrapUp {
                outcome: Some(code("mystery")),
                ..WrapUp::default()
            };
            (
                at,
                Event::WrapUpDone {
                    agent,
                    contact,
                    wrap,
                },
                |e| matches!(e, Error::UnknownOutcome(_)),
            )
        }
        9 => (
            at,
            Event::AgentNotReady {
                agent: *i.get(&agents),
                reason: code("nap"),
            },
            |e| matches!(e, Error::UnknownReason(_)),
        ),
        10 => (
            at,
            Event::TransferredToQueue {
                contact: ContactId(BOGUS_CONTACT),
                queue: BOGUS_QUEUE,
            },
            |e| matches!(e, Error::UnknownQueue(_)),
        ),
        11 if !logged_in.is_empty() => (
            at,
            Event::AgentLoggedIn {
                agent: *i.get(&logged_in),
            },
            |e| matches!(e, Error::AgentState { .. }),
        ),
        12 => {
            let mut q = (*i.get(&queues)).clone();
            q.max_wait = Some(Span::from_secs(30));
            q.overflow = Some(Overflow::Queue(q.id));
            (at, Event::Configure(ConfigChange::UpsertQueue(q)), |e| {
                matches!(e, Error::Config(ConfigError::OverflowToSelf(_)))
            })
        }
        13 if !full.is_empty() => {
            let mut cfg = seen.agents[i.get(&full)].cfg.clone();
            cfg.concurrency = Concurrency::ONE;
            (at, Event::Configure(ConfigChange::UpsertAgent(cfg)), |e| {
                matches!(e, Error::ConcurrencyBelowLoad { .. })
            })
        }
        14 => {
            let skill = seen.skills[0];
            (
                at,
                Event::Configure(ConfigChange::SetAgentSkills {
                    agent: *i.get(&agents),
                    skills: vec![(skill, Proficiency::MIN), (skill, Proficiency::MAX)],
                }),
                |e| matches!(e, Error::Config(ConfigError::DuplicateSkill { .. })),
            )
        }
        _ => (at, Event::AgentLoggedIn { agent: BOGUS_AGENT }, |e| {
            matches!(e, Error::UnknownAgent(_))
        }),
    }
}

// ----- properties ----------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Property 1.
    #[test]
    fn a_contact_is_offered_to_one_agent_at_a_time(scenario in arb_scenario()) {
        let mut checks = OneOfferAtATime::default();
        let mut sim = Sim::run(&scenario, Selector::Indexed, &mut checks)?;
        sim.wind_down(&mut checks)?;
    }

    /// Property 2.
    #[test]
    fn agents_hold_at_most_their_concurrency(scenario in arb_scenario()) {
        let mut checks = WithinConcurrency::default();
        let mut sim = Sim::run(&scenario, Selector::Indexed, &mut checks)?;
        sim.wind_down(&mut checks)?;
    }

    /// Property 3: once callers hang up and agents wrap up, every contact
    /// that arrived has finished exactly once, and no timer is left.
    #[test]
    fn every_contact_finishes_exactly_once(scenario in arb_scenario()) {
        let mut sim = Sim::run(&scenario, Selector::Indexed, &mut NoChecks)?;
        sim.wind_down(&mut NoChecks)?;
        let mut arrived: BTreeMap<ContactId, u32> = BTreeMap::new();
        let mut finished: BTreeMap<ContactId, u32> = BTreeMap::new();
        for record in &sim.records {
            match &record.kind {
                RecordKind::ContactArrived { contact, .. } => {
                    *arrived.entry(*contact).or_default() += 1;
                }
                RecordKind::ContactFinished(c) => {
                    *finished.entry(c.id).or_default() += 1;
                    prop_assert_eq!(c.finished, record.at);
                    prop_assert!(c.arrived <= c.finished && !c.legs.is_empty(), "{:?}", c);
                }
                _ => {}
            }
        }
        prop_assert!(arrived.values().all(|&n| n == 1), "arrived twice: {:?}", arrived);
        prop_assert_eq!(&arrived, &finished);
        prop_assert!(sim.shadow.contacts.is_empty() && sim.shadow.wraps.is_empty());
        prop_assert_eq!(sim.engine.next_wakeup(), None);
    }

    /// Property 4: per agent, the time by state adds up to the logged-in
    /// time, which equals the login-to-logout intervals of the records.
    #[test]
    fn time_accounting_adds_up(scenario in arb_scenario()) {
        let sim = Sim::run(&scenario, Selector::Indexed, &mut NoChecks)?;
        let now = sim.engine.now();
        let mut accounting = Accounting::default();
        let mut shown: BTreeMap<AgentId, AgentState> = BTreeMap::new();
        let mut login: BTreeMap<AgentId, Time> = BTreeMap::new();
        let mut logged_in: BTreeMap<AgentId, Span> = BTreeMap::new();
        let mut logouts: BTreeMap<AgentId, u32> = BTreeMap::new();
        for record in &sim.records {
            accounting.apply(record);
            let RecordKind::AgentStateChanged { agent, from, to } = &record.kind else {
                continue;
            };
            let before = shown.insert(*agent, to.clone()).unwrap_or(AgentState::LoggedOut);
            prop_assert_eq!(&before, from, "{} state chain broken", agent);
            prop_assert_ne!(from, to);
            if *from == AgentState::LoggedOut {
                login.insert(*agent, record.at);
            }
            if *to == AgentState::LoggedOut {
                let start = login.remove(agent).expect("logged in before");
                let total = logged_in.entry(*agent).or_default();
                *total = *total + record.at.since(start);
                *logouts.entry(*agent).or_default() += 1;
            }
        }
        for (agent, start) in login {
            let total = logged_in.entry(agent).or_default();
            *total = *total + now.since(start);
        }
        let totals = accounting.totals_at(now);
        for id in sim.shadow.agents.keys() {
            let time = totals.get(id).cloned().unwrap_or_default();
            prop_assert_eq!(time.state_total(), time.logged_in, "{}: {:?}", id, time);
            prop_assert_eq!(time.logged_in, logged_in.get(id).copied().unwrap_or_default());
            prop_assert_eq!(time.logouts, logouts.get(id).copied().unwrap_or_default());
            let state = sim.engine.agent_status(*id).expect("configured agent").state;
            prop_assert_eq!(&state, shown.get(id).unwrap_or(&AgentState::LoggedOut));
        }
    }

    /// Property 5: the same inputs give byte-identical outputs, however the
    /// driver drains records or asks for wakeups.
    #[test]
    fn same_inputs_same_records(scenario in arb_scenario()) {
        let mut sim = Sim::run(&scenario, Selector::Indexed, &mut NoChecks)?;
        sim.wind_down(&mut NoChecks)?;
        let (results, records) = replay(&scenario.config, Selector::Indexed, &sim.inputs);
        prop_assert_eq!(&results, &sim.results);
        let ours = serde_json::to_vec(&sim.records).expect("records serialize");
        let theirs = serde_json::to_vec(&records).expect("records serialize");
        if ours != theirs {
            same_records(&sim.records, &records)?;
            prop_assert!(false, "records equal but their JSON differs");
        }
    }

    /// Property 6: the indexed selector decides exactly like the scanning
    /// one.
    #[test]
    fn indexed_and_scanning_selectors_agree(scenario in arb_scenario()) {
        let mut sim = Sim::run(&scenario, Selector::Indexed, &mut NoChecks)?;
        sim.wind_down(&mut NoChecks)?;
        let (results, records) = replay(&scenario.config, Selector::Scan, &sim.inputs);
        same_records(&sim.records, &records)?;
        prop_assert_eq!(&results, &sim.results);
    }

    /// Property 7.
    #[test]
    fn agents_take_the_best_waiting_contact(scenario in arb_scenario()) {
        let mut sim = Sim::run(&scenario, Selector::Indexed, &mut BestContactFirst)?;
        sim.wind_down(&mut BestContactFirst)?;
    }

    /// Property 7b.
    #[test]
    fn no_eligible_agent_idles_while_contacts_wait(scenario in arb_scenario()) {
        let mut sim = Sim::run(&scenario, Selector::Indexed, &mut Settled)?;
        sim.wind_down(&mut Settled)?;
    }

    /// Property 8: every injected bad event is refused with the right error,
    /// and the engine then behaves exactly as if it had been a tick (or, for
    /// a time in the past, as if it had never been sent).
    #[test]
    fn refused_events_change_nothing(
        scenario in arb_scenario(),
        injections in prop::collection::vec(arb_injection(), 1..=12),
    ) {
        let events = Sim::run(&scenario, Selector::Indexed, &mut NoChecks)?.events;
        let mut plan: BTreeMap<usize, Vec<&Injection>> = BTreeMap::new();
        for inj in &injections {
            plan.entry(inj.before.index(events.len())).or_default().push(inj);
        }
        let mut a = Engine::new(scenario.config.clone(), Selector::Indexed).expect("valid");
        let mut seen = Shadow::new(&scenario.config);
        let mut a_records = Vec::new();
        let mut a_results = Vec::new();
        let mut b_inputs = Vec::new();
        // Where in B's inputs the events shared with A are.
        let mut shared = Vec::new();
        let mut previous = Time::ZERO;
        for (n, (at, event)) in events.iter().enumerate() {
            for inj in plan.get(&n).into_iter().flatten() {
                let gap = at.since(previous).as_millis();
                let when = previous + Span::from_millis(gap * u64::from(inj.frac) / 255);
                // Choose ids on a copy that has met the timers due by then.
                let mut probe = a.clone();
                prop_assert!(probe.handle(when, Event::Tick).is_ok());
                let mut probe_seen = seen.clone();
                for record in probe.drain_records() {
                    probe_seen.observe(&record);
                }
                let (when, bad, expect) = bad_event(inj, &probe, &probe_seen, a.now());
                let result = a.handle(when, bad.clone());
                prop_assert!(
                    result.as_ref().is_err_and(expect),
                    "{:?} at {} got {:?}", bad, when, result
                );
                if !matches!(result, Err(Error::TimeWentBackwards { .. })) {
                    b_inputs.push((when, Event::Tick));
                }
                for record in a.drain_records() {
                    seen.observe(&record);
                    a_records.push(record);
                }
                previous = a.now();
            }
            let result = a.handle(*at, event.clone());
            if result.is_ok() {
                seen.accepted(event);
            }
            a_results.push(result);
            for record in a.drain_records() {
                seen.observe(&record);
                a_records.push(record);
            }
            shared.push(b_inputs.len());
            b_inputs.push((*at, event.clone()));
            previous = *at;
        }
        let (b_results, b_records) = replay(&scenario.config, Selector::Indexed, &b_inputs);
        same_records(&a_records, &b_records)?;
        let b_results: Vec<_> = shared.into_iter().map(|i| b_results[i].clone()).collect();
        prop_assert_eq!(a_results, b_results);
    }

    /// Property 9: ticking at every wakeup, as drivers are told to, changes
    /// no record: the checks made on ticking runs hold for any driver.
    #[test]
    fn ticking_at_wakeups_changes_nothing(scenario in arb_scenario()) {
        let sim = Sim::run(&scenario, Selector::Indexed, &mut NoChecks)?;
        let (results, records) = replay(&scenario.config, Selector::Indexed, &sim.events);
        same_records(&sim.records, &records)?;
        prop_assert_eq!(&results, &sim.event_results);
    }

    /// Property 10: records are numbered from 0 without gaps, and each is
    /// dated between the clock before the input that caused it and that
    /// input's time, so the stream never goes back in time.
    #[test]
    fn records_are_numbered_and_dated_in_order(scenario in arb_scenario()) {
        let sim = Sim::run(&scenario, Selector::Indexed, &mut NoChecks)?;
        let mut engine = Engine::new(scenario.config.clone(), Selector::Indexed).expect("valid");
        let mut seq = 0;
        for (at, event) in &sim.events {
            let before = engine.now();
            let _refusal = engine.handle(*at, event.clone());
            for record in engine.drain_records() {
                prop_assert_eq!(record.seq, seq);
                seq += 1;
                prop_assert!(
                    before <= record.at && record.at <= *at,
                    "{:?} dated outside {}..={}", record, before, at
                );
            }
        }
    }
}

// ----- specific refusals -----------------------------------------------------------

/// One skill, two queues requiring it at level 5, one agent at level 7.
fn small_config() -> Config {
    let queue = |id| QueueConfig::new(QueueId(id), "billing", SkillId(1), level(5));
    Config {
        skills: vec![SkillConfig {
            id: SkillId(1),
            name: "billing".into(),
        }],
        queues: vec![queue(1), queue(2)],
        agents: vec![AgentConfig {
            id: AgentId(1),
            name: "Lan".into(),
            skills: vec![(SkillId(1), level(7))],
            profile: vec![ProfileEntry {
                queue: QueueId(1),
                priority: 1,
            }],
            concurrency: Concurrency::ONE,
        }],
        reason_codes: vec![code("login"), code("missed")],
        outcome_codes: Vec::new(),
        login_reason: code("login"),
        missed_offer_reason: code("missed"),
    }
}

fn arrival(id: u64) -> Event {
    Event::ContactArrived(NewContact {
        id: ContactId(id),
        ani: None,
        dnis: PhoneNumber::parse("1900").expect("valid"),
        queue: QueueId(1),
        priority: Priority(0),
        attributes: Vec::new(),
    })
}

#[test]
fn an_unknown_agent_is_refused() {
    let mut engine = Engine::new(small_config(), Selector::Indexed).expect("valid");
    for event in [
        Event::AgentLoggedIn { agent: AgentId(42) },
        Event::AgentReady { agent: AgentId(42) },
        Event::OfferAccepted {
            contact: ContactId(1),
            agent: AgentId(42),
        },
    ] {
        assert_eq!(
            engine.handle(Time::ZERO, event),
            Err(Error::UnknownAgent(AgentId(42)))
        );
    }
    assert_eq!(engine.drain_records().count(), 0);
}

#[test]
fn a_contact_cannot_arrive_twice() {
    let mut engine = Engine::new(small_config(), Selector::Indexed).expect("valid");
    engine
        .handle(Time::from_secs(1), arrival(7))
        .expect("first arrival");
    let before = engine.drain_records().count();
    assert_eq!(
        engine.handle(Time::from_secs(2), arrival(7)),
        Err(Error::DuplicateContact(ContactId(7)))
    );
    assert_eq!(before, 1);
    assert_eq!(engine.drain_records().count(), 0);
    assert_eq!(
        engine.now(),
        Time::from_secs(2),
        "a refusal still moves the clock"
    );
}

#[test]
fn time_cannot_go_backwards() {
    let mut engine = Engine::new(small_config(), Selector::Indexed).expect("valid");
    engine
        .handle(Time::from_secs(10), Event::Tick)
        .expect("tick");
    assert_eq!(
        engine.handle(Time::from_secs(9), arrival(1)),
        Err(Error::TimeWentBackwards {
            now: Time::from_secs(10),
            event: Time::from_secs(9),
        })
    );
    assert_eq!(engine.now(), Time::from_secs(10));
    assert_eq!(engine.drain_records().count(), 0);
}

#[test]
fn a_queue_without_skills_is_rejected() {
    let mut config = small_config();
    config.queues[0].requirements.clear();
    assert_eq!(
        Engine::new(config, Selector::Indexed).err(),
        Some(ConfigError::QueueWithoutSkill(QueueId(1)))
    );
}

#[test]
fn a_proficiency_above_ten_does_not_parse() {
    assert!(Proficiency::new(11).is_err());
    assert!(Proficiency::new(0).is_err());
    let agent = |level: u8| {
        format!(
            r#"{{"id": 1, "name": "Lan", "skills": [[1, {level}]], "profile": [{{"queue": 1, "priority": 1}}], "concurrency": 1}}"#
        )
    };
    let parsed: AgentConfig = serde_json::from_str(&agent(10)).expect("level 10 is valid");
    assert_eq!(parsed.level(SkillId(1)), Some(Proficiency::MAX));
    let refused = serde_json::from_str::<AgentConfig>(&agent(11)).expect_err("level 11");
    assert!(
        refused.to_string().contains("between 1 and 10"),
        "{refused}"
    );
}

// ----- regressions the properties found --------------------------------------------

/// Feeds `script` (seconds, event) to a fresh engine; every event must be
/// accepted. Returns the records.
fn run_script(config: Config, script: Vec<(u64, Event)>) -> Vec<Record> {
    let mut engine = Engine::new(config, Selector::Indexed).expect("valid");
    let mut records = Vec::new();
    for (secs, event) in script {
        let shown = format!("{event:?}");
        engine
            .handle(Time::from_secs(secs), event)
            .unwrap_or_else(|e| panic!("{shown} at {secs}s refused: {e}"));
        records.extend(engine.drain_records());
    }
    records
}

fn offered(records: &[Record]) -> Vec<(Time, ContactId, AgentId)> {
    records
        .iter()
        .filter_map(|r| match r.kind {
            RecordKind::Offered { contact, agent, .. } => Some((r.at, contact, agent)),
            _ => None,
        })
        .collect()
}

/// An agent qualified for its own queue only at relaxation step 2, but lent
/// to it at step 1 by a queue it fully qualifies for, takes a contact at
/// step 1 when it becomes ready (the contact side already offered it).
#[test]
fn a_lent_agent_takes_a_contact_before_its_own_tier() {
    let mut config = small_config();
    let own = &mut config.queues[0];
    own.requirements[0].min_level = level(8);
    own.relaxation = vec![
        Relaxation {
            after: Span::from_secs(10),
            min_level: None,
            add_queues: vec![QueueId(2)],
        },
        Relaxation {
            after: Span::from_secs(20),
            min_level: Some(level(7)),
            add_queues: Vec::new(),
        },
    ];
    config.agents[0].profile.push(ProfileEntry {
        queue: QueueId(2),
        priority: 1,
    });
    let agent = AgentId(1);
    let records = run_script(
        config,
        vec![
            (0, Event::AgentLoggedIn { agent }),
            (0, arrival(1)),
            (15, Event::AgentReady { agent }),
        ],
    );
    assert_eq!(
        offered(&records),
        vec![(Time::from_secs(15), ContactId(1), agent)]
    );
}

/// A contact that passes its maximum wait while ringing overflows when the
/// offer times out, dated then, not at the earlier maximum.
#[test]
fn an_overflow_due_during_an_offer_is_not_dated_in_the_past() {
    let mut config = small_config();
    config.queues[0].max_wait = Some(Span::from_secs(5));
    config.queues[0].overflow = Some(Overflow::Voicemail);
    let agent = AgentId(1);
    let records = run_script(
        config,
        vec![
            (0, Event::AgentLoggedIn { agent }),
            (0, Event::AgentReady { agent }),
            (0, arrival(1)),
            (20, Event::Tick),
        ],
    );
    assert!(
        records.windows(2).all(|w| w[0].at <= w[1].at),
        "{records:#?}"
    );
    let overflowed = records
        .iter()
        .find(|r| matches!(r.kind, RecordKind::Overflowed { .. }))
        .expect("overflowed");
    assert_eq!(overflowed.at, Time::from_secs(15));
}

/// An agent that transfers a caller to its own queue may be offered the
/// caller again while it still wraps up the first leg; answering the new
/// offer must not consume the wrap-up, nor the wrap-up the offer.
#[test]
fn an_agent_wraps_up_a_contact_it_is_offered_again() {
    let mut config = small_config();
    config.agents[0].concurrency = Concurrency::new(2).expect("two");
    let (agent, contact) = (AgentId(1), ContactId(1));
    let records = run_script(
        config,
        vec![
            (0, Event::AgentLoggedIn { agent }),
            (0, Event::AgentReady { agent }),
            (1, arrival(1)),
            (2, Event::OfferAccepted { contact, agent }),
            (
                3,
                Event::TransferredToQueue {
                    contact,
                    queue: QueueId(1),
                },
            ),
            (4, Event::OfferRejected { contact, agent }),
            (
                5,
                Event::WrapUpDone {
                    agent,
                    contact,
                    wrap: WrapUp::default(),
                },
            ),
            (6, Event::CallerHungUp { contact }),
        ],
    );
    assert_eq!(
        offered(&records).len(),
        2,
        "offered again after the transfer"
    );
    let finished = records
        .iter()
        .filter(|r| matches!(r.kind, RecordKind::ContactFinished(_)))
        .count();
    assert_eq!(finished, 1);
}

/// Changing a queue restarts the timers of its contacts, those waiting for
/// a named agent too: a dropped announcement period stops their
/// announcements instead of firing without one.
#[test]
fn a_queue_change_restarts_timers_of_transferred_contacts() {
    let mut config = small_config();
    config.queues[0].announce_every = Some(Span::from_secs(10));
    let mut second = config.agents[0].clone();
    second.id = AgentId(2);
    config.agents.push(second);
    let mut quiet = config.queues[0].clone();
    quiet.announce_every = None;
    let (first, second, contact) = (AgentId(1), AgentId(2), ContactId(1));
    let records = run_script(
        config,
        vec![
            (0, Event::AgentLoggedIn { agent: first }),
            (0, Event::AgentReady { agent: first }),
            (0, Event::AgentLoggedIn { agent: second }),
            (1, arrival(1)),
            (
                1,
                Event::OfferAccepted {
                    contact,
                    agent: first,
                },
            ),
            (
                2,
                Event::TransferredToAgent {
                    contact,
                    agent: second,
                },
            ),
            (3, Event::Configure(ConfigChange::UpsertQueue(quiet))),
            (60, Event::Tick),
        ],
    );
    assert!(
        !records
            .iter()
            .any(|r| matches!(r.kind, RecordKind::Announce { .. }))
    );
}
