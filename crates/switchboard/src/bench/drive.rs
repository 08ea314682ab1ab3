//! The discrete-event loop that pushes synthetic traffic through the
//! engine and times it.
//!
//! Key types: [`Traffic`] (what to drive), [`Run`] (what one drive
//! measured: throughput, routing-decision latencies and the routing
//! outcome) and the private `Driver`, which plays every caller and agent.
//! The driver keeps an agenda of its own future actions (arrivals, answers,
//! hang-ups, call ends, manual wrap-ups); whenever the engine's next timer
//! is due first it sends [`Event::Tick`] instead, so the engine sees time
//! exactly as a live server would show it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

use acd::model::{AgentId, ContactId, PhoneNumber, Priority, QueueId, Span, Time};
use acd::record::{ContactResult, OfferOutcome};
use acd::{Engine, Event, NewContact, RecordKind, Selector, WrapUp};
use anyhow::{Context, Result, bail, ensure};
use rand::Rng;
use rand::rngs::SmallRng;

use super::center::{Center, shape};

/// Share of agent time spent on contacts the arrival rate aims at.
const TARGET_OCCUPANCY: f64 = 0.9;
/// Mean patience of a caller (exponential): a few hang up while the
/// agent's phone rings, a few more while they wait.
const MEAN_PATIENCE_MS: f64 = 120_000.0;
/// Distinct caller numbers; shared so arrivals do not allocate them.
const CALLER_NUMBERS: u64 = 1024;

/// What to drive through the engine.
pub struct Traffic {
    /// Matching strategy under test.
    pub selector: Selector,
    /// Contacts to offer in total.
    pub contacts: u64,
}

/// What one drive measured.
pub struct Run {
    /// Agents in the center.
    pub agents: usize,
    /// Contacts driven.
    pub contacts: u64,
    /// Time to build the engine and log every agent in, ready.
    pub setup: Duration,
    /// Calls to [`Engine::handle`] once contacts flow, ticks included.
    pub events: u64,
    /// Wall time of the whole drive loop.
    pub wall: Duration,
    /// Duration in nanoseconds of every `handle` call that emitted an offer,
    /// sorted.
    pub decisions_ns: Vec<u32>,
    /// Contacts an agent answered.
    pub answered: u64,
    /// Contacts whose caller hung up first.
    pub abandoned: u64,
    /// Contacts answered within the service-level threshold.
    pub within_threshold: u64,
    /// Agent time ringing, talking and wrapping up over staffed time while
    /// contacts arrived.
    pub occupancy: f64,
}

impl Run {
    /// Handle calls per second of wall time.
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.wall.as_secs_f64()
    }

    /// The `p`-quantile (0..=1) routing-decision time in microseconds,
    /// nearest rank.
    pub fn decision_us(&self, p: f64) -> f64 {
        let n = self.decisions_ns.len();
        let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
        f64::from(self.decisions_ns[rank - 1]) / 1000.0
    }
}

/// Builds an engine for `center` and drives `traffic` through it.
pub fn drive(center: Center, traffic: &Traffic, rng: &mut SmallRng) -> Result<Run> {
    let Center {
        config,
        arrival_cdf,
        manual_wrap,
    } = center;
    let agents: Vec<AgentId> = config.agents.iter().map(|a| a.id).collect();
    // Staffing is setup, not traffic: 2 × agents cheap events that would
    // otherwise pad the short naive run and flatter its events per second.
    let started = Instant::now();
    let mut engine = Engine::new(config, traffic.selector).context("building the engine")?;
    for &agent in &agents {
        engine.handle(Time::ZERO, Event::AgentLoggedIn { agent })?;
        engine.handle(Time::ZERO, Event::AgentReady { agent })?;
        engine.drain_records().for_each(drop);
    }
    let setup = started.elapsed();
    // Offered load = arrival rate × mean agent time per contact; choose the
    // rate that makes it the target share of the staffed agents.
    let mean_busy_ms = (shape::RING_MS.0 + shape::RING_MS.1) as f64 / 2.0
        + shape::MEAN_HANDLE_MS
        + (1.0 - shape::MANUAL_WRAP_SHARE) * shape::AUTO_WRAP_MS as f64
        + shape::MANUAL_WRAP_SHARE * (shape::MANUAL_WRAP_MS.0 + shape::MANUAL_WRAP_MS.1) as f64
            / 2.0;
    let arrivals_per_ms = TARGET_OCCUPANCY * agents.len() as f64 / mean_busy_ms;
    let numbers = (0..CALLER_NUMBERS)
        .map(|n| PhoneNumber::parse(&format!("+8490{:07}", n * 7919)))
        .collect::<Result<_, _>>()?;
    let mut driver = Driver {
        engine,
        rng,
        agenda: BinaryHeap::new(),
        agenda_seq: 0,
        callers: VecDeque::new(),
        first_caller: 0,
        arrival_cdf,
        manual_wrap,
        arrivals_per_ms,
        contacts: traffic.contacts,
        arrival_clock: 0.0,
        last_arrival: 0,
        numbers,
        dnis: PhoneNumber::parse("1900")?,
        tally: Tally::default(),
        events: 0,
        decisions_ns: Vec::with_capacity(traffic.contacts as usize),
    };

    let started = Instant::now();
    driver.plan(0, Step::Arrive);
    driver.run()?;
    let wall = started.elapsed();

    let Driver {
        tally,
        events,
        mut decisions_ns,
        last_arrival,
        ..
    } = driver;
    tally.check(traffic.contacts)?;
    ensure!(!decisions_ns.is_empty(), "the engine offered no contact");
    decisions_ns.sort_unstable();
    // Agents are idle while the center fills up and busy with the last
    // callers after arrivals stop; the two cancel in expectation, so all
    // agent time over the arrival span estimates the steady state.
    let occupancy = tally.busy_ms as f64 / (agents.len() as f64 * last_arrival.max(1) as f64);
    Ok(Run {
        agents: agents.len(),
        contacts: traffic.contacts,
        setup,
        events,
        wall,
        decisions_ns,
        answered: tally.answered,
        abandoned: tally.abandoned,
        within_threshold: tally.within_threshold,
        occupancy,
    })
}

/// Something the driver will do at a time, on behalf of a caller or an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// The next caller arrives.
    Arrive,
    /// The agent picks up the ringing offer.
    Answer { contact: u64, agent: AgentId },
    /// The caller's patience runs out; ignored once they are connected.
    HangUp { contact: u64 },
    /// The agent ends the conversation.
    Finish { contact: u64 },
    /// The agent closes a manual wrap-up.
    WrapUpDone { contact: u64, agent: AgentId },
}

/// Where a caller is, as the driver learned it from the engine's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Ringing(AgentId),
    Talking,
    Gone,
}

struct Caller {
    queue: u16,
    phase: Phase,
    /// How long the caller waits before hanging up.
    patience_ms: u32,
}

/// Counts taken from the engine's records, checked at the end so an engine
/// that does not really route cannot report a fast run.
#[derive(Default)]
struct Tally {
    offered: u64,
    connected: u64,
    finished: u64,
    answered: u64,
    abandoned: u64,
    within_threshold: u64,
    /// Agent time reserved, talking and wrapping up, summed over contacts.
    busy_ms: u64,
}

impl Tally {
    fn check(&self, contacts: u64) -> Result<()> {
        ensure!(
            self.finished == contacts,
            "{} of {contacts} contacts finished",
            self.finished
        );
        ensure!(
            self.answered + self.abandoned == contacts,
            "answered {} + abandoned {} != {contacts} contacts",
            self.answered,
            self.abandoned
        );
        ensure!(
            self.connected == self.answered && self.offered >= self.connected,
            "{} offers, {} connections, {} answered contacts do not add up",
            self.offered,
            self.connected,
            self.answered
        );
        ensure!(
            self.answered * 2 >= contacts,
            "only {} of {contacts} contacts were answered",
            self.answered
        );
        Ok(())
    }
}

struct Driver<'r> {
    engine: Engine,
    rng: &'r mut SmallRng,
    /// Future steps by (time in ms, insertion order): the order makes
    /// equal-time steps deterministic.
    agenda: BinaryHeap<Reverse<(u64, u64, Step)>>,
    agenda_seq: u64,
    /// Callers by contact id (the arrival index) from `first_caller` on.
    /// Gone callers leave from the front, so the driver holds only the
    /// window of live ones and the peak memory reading stays the engine's.
    callers: VecDeque<Caller>,
    first_caller: u64,
    arrival_cdf: Vec<f64>,
    manual_wrap: Vec<bool>,
    arrivals_per_ms: f64,
    contacts: u64,
    /// Arrival clock in fractional milliseconds: rounding each gap to whole
    /// milliseconds would shorten gaps by half a millisecond on average,
    /// a sizeable overload at 50,000 agents (gaps of about 4 ms).
    arrival_clock: f64,
    last_arrival: u64,
    numbers: Vec<PhoneNumber>,
    dnis: PhoneNumber,
    tally: Tally,
    events: u64,
    decisions_ns: Vec<u32>,
}

impl Driver<'_> {
    fn plan(&mut self, at: u64, step: Step) {
        self.agenda.push(Reverse((at, self.agenda_seq, step)));
        self.agenda_seq += 1;
    }

    /// A caller still in the window; `None` once gone and dropped.
    fn caller(&mut self, contact: u64) -> Option<&mut Caller> {
        let offset = contact.checked_sub(self.first_caller)?;
        self.callers.get_mut(offset as usize)
    }

    /// Exponentially distributed duration with the given mean.
    fn exponential_ms(&mut self, mean: f64) -> f64 {
        let u: f64 = self.rng.random();
        -(1.0 - u).ln() * mean
    }

    /// Runs until no step is planned and no engine timer is pending.
    fn run(&mut self) -> Result<()> {
        loop {
            let planned = self.agenda.peek().map(|Reverse((at, _, _))| *at);
            let wakeup = self.engine.next_wakeup().map(Time::as_millis);
            match (wakeup, planned) {
                (Some(w), p) if p.is_none_or(|p| w <= p) => self.send(w, Event::Tick)?,
                (_, Some(_)) => {
                    let Some(Reverse((at, _, step))) = self.agenda.pop() else {
                        unreachable!("peeked above")
                    };
                    if let Some(event) = self.act(at, step) {
                        self.send(at, event)?;
                    }
                    if step == Step::Arrive {
                        self.plan_hang_up(at);
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// The engine event a planned step makes, if it still applies.
    fn act(&mut self, at: u64, step: Step) -> Option<Event> {
        match step {
            Step::Arrive => Some(self.arrive(at)),
            Step::Answer { contact, agent } => (self.caller(contact)?.phase
                == Phase::Ringing(agent))
            .then_some(Event::OfferAccepted {
                contact: ContactId(contact),
                agent,
            }),
            Step::HangUp { contact } => {
                let caller = self.caller(contact)?;
                matches!(caller.phase, Phase::Waiting | Phase::Ringing(_)).then(|| {
                    caller.phase = Phase::Gone;
                    Event::CallerHungUp {
                        contact: ContactId(contact),
                    }
                })
            }
            Step::Finish { contact } => Some(Event::ContactEnded {
                contact: ContactId(contact),
            }),
            Step::WrapUpDone { contact, agent } => Some(Event::WrapUpDone {
                agent,
                contact: ContactId(contact),
                wrap: WrapUp::default(),
            }),
        }
    }

    /// A caller arrives in a queue drawn by staffing, with a patience; the
    /// next arrival is planned.
    fn arrive(&mut self, at: u64) -> Event {
        let id = self.first_caller + self.callers.len() as u64;
        let u: f64 = self.rng.random();
        let queue = self
            .arrival_cdf
            .partition_point(|&c| c < u)
            .min(self.arrival_cdf.len() - 1);
        let patience = self
            .exponential_ms(MEAN_PATIENCE_MS)
            .min(f64::from(u32::MAX)) as u32;
        self.callers.push_back(Caller {
            queue: queue as u16,
            phase: Phase::Waiting,
            patience_ms: patience,
        });
        self.last_arrival = at;
        if id + 1 < self.contacts {
            self.arrival_clock += self.exponential_ms(1.0 / self.arrivals_per_ms);
            self.plan(self.arrival_clock as u64, Step::Arrive);
        }
        let priority = match self.rng.random_range(0..20) {
            0..17 => 0,
            17..19 => 1,
            _ => 3,
        };
        Event::ContactArrived(NewContact {
            id: ContactId(id),
            ani: Some(self.numbers[(id % CALLER_NUMBERS) as usize].clone()),
            dnis: self.dnis.clone(),
            queue: QueueId(queue as u32 + 1),
            priority: Priority(priority),
            attributes: Vec::new(),
        })
    }

    /// Plans the hang-up of the caller who just arrived if it can happen:
    /// the caller waits, or is offered but may give up before the longest
    /// ring. Skipping the others keeps the agenda, and so the driver's share
    /// of the measured time, small.
    fn plan_hang_up(&mut self, at: u64) {
        let id = self.first_caller + self.callers.len() as u64 - 1;
        let caller = self.callers.back().expect("a caller just arrived");
        if caller.phase == Phase::Waiting || u64::from(caller.patience_ms) < shape::RING_MS.1 {
            let deadline = at + u64::from(caller.patience_ms);
            self.plan(deadline, Step::HangUp { contact: id });
        }
    }

    /// Hands one event to the engine, timing it, and reacts to its records.
    fn send(&mut self, at: u64, event: Event) -> Result<()> {
        let started = Instant::now();
        self.engine
            .handle(Time::from_millis(at), event)
            .with_context(|| format!("the engine refused an event at {at} ms"))?;
        let took = started.elapsed();
        self.events += 1;
        let mut offered = false;
        while let Some(record) = self.engine.poll_record() {
            offered |= self.observe(record.at.as_millis(), record.kind)?;
        }
        if offered {
            self.decisions_ns
                .push(u32::try_from(took.as_nanos()).unwrap_or(u32::MAX));
        }
        Ok(())
    }

    /// Plays the agents' and callers' side of one record and counts it;
    /// true for an offer.
    fn observe(&mut self, at: u64, kind: RecordKind) -> Result<bool> {
        match kind {
            RecordKind::Offered { contact, agent, .. } => {
                self.tally.offered += 1;
                self.caller(contact.0)
                    .context("offered a contact that left")?
                    .phase = Phase::Ringing(agent);
                let ring = self.rng.random_range(shape::RING_MS.0..=shape::RING_MS.1);
                self.plan(
                    at + ring,
                    Step::Answer {
                        contact: contact.0,
                        agent,
                    },
                );
                return Ok(true);
            }
            RecordKind::Connected { contact, .. } => {
                self.tally.connected += 1;
                self.caller(contact.0)
                    .context("connected a contact that left")?
                    .phase = Phase::Talking;
                let talk = (self.exponential_ms(shape::MEAN_HANDLE_MS) as u64).max(1);
                self.plan(at + talk, Step::Finish { contact: contact.0 });
            }
            RecordKind::CallEnded { contact, agent, .. } => {
                let caller = self
                    .caller(contact.0)
                    .context("ended the call of a contact that left")?;
                caller.phase = Phase::Gone;
                let queue = usize::from(caller.queue);
                while self.callers.front().is_some_and(|c| c.phase == Phase::Gone) {
                    self.callers.pop_front();
                    self.first_caller += 1;
                }
                if self.manual_wrap[queue] {
                    let wrap = self
                        .rng
                        .random_range(shape::MANUAL_WRAP_MS.0..=shape::MANUAL_WRAP_MS.1);
                    self.plan(
                        at + wrap,
                        Step::WrapUpDone {
                            contact: contact.0,
                            agent,
                        },
                    );
                }
            }
            RecordKind::OfferEnded {
                contact, outcome, ..
            } if outcome != OfferOutcome::CallerHungUp => {
                bail!("offer of {contact} ended {outcome:?}, but the bench always answers in time")
            }
            RecordKind::ContactFinished(record) => {
                self.tally.finished += 1;
                match record.result {
                    ContactResult::Handled => self.tally.answered += 1,
                    ContactResult::Abandoned => self.tally.abandoned += 1,
                    ContactResult::Voicemail | ContactResult::Interrupted => {}
                }
                let threshold = Span::from_millis(shape::SERVICE_LEVEL_MS);
                if record.legs[0]
                    .answered
                    .is_some_and(|t| t.since(record.arrived) <= threshold)
                {
                    self.tally.within_threshold += 1;
                }
                for leg in &record.legs {
                    for offer in &leg.offers {
                        self.tally.busy_ms += offer.ended.since(offer.offered).as_millis();
                    }
                    if let (Some(answered), Some(done)) = (leg.answered, leg.wrap_ended) {
                        self.tally.busy_ms += done.since(answered).as_millis();
                    }
                }
            }
            _ => {}
        }
        Ok(false)
    }
}
