//! A synthetic call history for `bench report`: days of a center's event
//! log, generated without the engine so that ten million contacts take
//! seconds, not an hour of simulation.
//!
//! Key type: [`History`], which yields one day of [`Fact`]s at a time in
//! time order. Each agent works a shift with a break, taking contacts one
//! after another (talk, sometimes hold, wrap-up), and a share of callers
//! hang up before an answer; the facts are the ones the reports read:
//! finished contacts and agent state changes.

use acd::AgentState;
use acd::model::{AgentId, Code, ContactId, PhoneNumber, Priority, QueueId, Time};
use acd::record::{ContactRecord, ContactResult, HoldSpan, Leg, LegEnd, Record, RecordKind};
use anyhow::Result;
use kpi::Fact;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// 2026-01-05, a Monday, 00:00 UTC: the first generated day.
const FIRST_DAY_MS: u64 = 1_767_571_200_000;
const DAY_MS: u64 = 86_400_000;
const HOUR_MS: u64 = 3_600_000;
/// Shift length; shifts start on the hour between 06:00 and 13:00.
const SHIFT_MS: u64 = 8 * HOUR_MS;
/// Callers who hang up before an answer, per answered contact.
const ABANDON_SHARE: f64 = 0.06;

/// Means of the exponential times, in milliseconds.
mod mean {
    pub const IDLE: f64 = 40_000.0;
    pub const WAIT: f64 = 15_000.0;
    pub const PATIENCE: f64 = 45_000.0;
    pub const TALK: f64 = 170_000.0;
    pub const WRAP: f64 = 15_000.0;
}

/// Generates the history day by day.
pub struct History {
    rng: SmallRng,
    queues: u32,
    agents: u32,
    day: u64,
    next_contact: u64,
    next_seq: u64,
    numbers: Vec<PhoneNumber>,
    dnis: Vec<PhoneNumber>,
    outcomes: Vec<Code>,
    reasons: Vec<Code>,
    break_reason: Code,
}

impl History {
    /// A center with `queues` queues and `agents` agents.
    pub fn new(queues: u32, agents: u32, seed: u64) -> Result<Self> {
        let codes = |names: &[&str]| -> Result<Vec<Code>> {
            Ok(names
                .iter()
                .map(|n| Code::parse(n))
                .collect::<Result<_, _>>()?)
        };
        Ok(History {
            rng: SmallRng::seed_from_u64(seed),
            queues,
            agents,
            day: 0,
            next_contact: 1,
            next_seq: 0,
            numbers: (0..4096)
                .map(|n| PhoneNumber::parse(&format!("+8490{:07}", n * 7919)))
                .collect::<Result<_, _>>()?,
            dnis: (0..queues)
                .map(|q| PhoneNumber::parse(&format!("1900{q:04}")))
                .collect::<Result<_, _>>()?,
            outcomes: codes(&["resolved", "sale", "follow_up", "escalated"])?,
            reasons: codes(&[
                "billing",
                "card_lost",
                "balance",
                "loan",
                "complaint",
                "address",
            ])?,
            break_reason: Code::parse("break")?,
        })
    }

    /// Contacts a day holds on average (answered and abandoned).
    pub fn contacts_per_day(&self) -> f64 {
        let per_contact = mean::IDLE + mean::TALK + mean::WRAP + 0.1 * 30_000.0;
        let answered = f64::from(self.agents) * (SHIFT_MS - 15 * 60_000) as f64 / per_contact;
        answered * (1.0 + ABANDON_SHARE)
    }

    fn exp(&mut self, mean: f64) -> u64 {
        let u: f64 = self.rng.random();
        (-mean * (1.0 - u).ln()) as u64
    }

    /// The next day's facts, in time order and numbered on from the last.
    pub fn next_day(&mut self) -> Vec<Fact> {
        let day_start = FIRST_DAY_MS + self.day * DAY_MS;
        self.day += 1;
        let mut dated: Vec<(Time, RecordKind)> = Vec::new();
        let mut answered = 0u64;
        for agent in 0..self.agents {
            let id = AgentId(agent + 1);
            let start = day_start + (6 + u64::from(agent % 8)) * HOUR_MS;
            let end = start + SHIFT_MS;
            let break_at = start + SHIFT_MS / 2;
            let mut state = AgentState::LoggedOut;
            let change = |dated: &mut Vec<_>, at: u64, to: AgentState, state: &mut AgentState| {
                let from = std::mem::replace(state, to.clone());
                dated.push((
                    Time::from_millis(at),
                    RecordKind::AgentStateChanged {
                        agent: id,
                        from,
                        to,
                    },
                ));
            };
            change(&mut dated, start, AgentState::Ready, &mut state);
            let mut t = start;
            let mut took_break = false;
            loop {
                if !took_break && t >= break_at {
                    change(
                        &mut dated,
                        t,
                        AgentState::NotReady(self.break_reason.clone()),
                        &mut state,
                    );
                    t += 15 * 60_000;
                    change(&mut dated, t, AgentState::Ready, &mut state);
                    took_break = true;
                }
                let answer = t + self.exp(mean::IDLE);
                let talk = 10_000 + self.exp(mean::TALK);
                let hold = if self.rng.random_bool(0.1) { 30_000 } else { 0 };
                let wrap = 2_000 + self.exp(mean::WRAP);
                let ended = answer + talk + hold;
                let wrap_ended = ended + wrap;
                if wrap_ended > end {
                    break;
                }
                let wait = self.exp(mean::WAIT).min(answer - day_start);
                change(&mut dated, answer, AgentState::Talking, &mut state);
                let mut holds = Vec::new();
                if hold > 0 {
                    let on = answer + talk / 2;
                    change(&mut dated, on, AgentState::OnHold, &mut state);
                    change(&mut dated, on + hold, AgentState::Talking, &mut state);
                    holds.push(HoldSpan {
                        start: Time::from_millis(on),
                        end: Time::from_millis(on + hold),
                    });
                }
                change(&mut dated, ended, AgentState::WrapUp, &mut state);
                change(&mut dated, wrap_ended, AgentState::Ready, &mut state);
                let queue = self.rng.random_range(0..self.queues);
                let leg = Leg {
                    queue: QueueId(queue + 1),
                    for_agent: None,
                    queued: Time::from_millis(answer - wait),
                    offers: Vec::new(),
                    answered: Some(Time::from_millis(answer)),
                    agent: Some(id),
                    holds,
                    ended: Some(Time::from_millis(ended)),
                    end: Some(LegEnd::Handled),
                    callback: None,
                    wrap_ended: Some(Time::from_millis(wrap_ended)),
                    outcome: Some(self.pick_outcome()),
                    reason: Some(self.pick_reason()),
                    notes: String::new(),
                };
                let contact = self.contact(
                    queue,
                    answer - wait,
                    wrap_ended,
                    leg,
                    ContactResult::Handled,
                );
                dated.push(contact);
                answered += 1;
                t = wrap_ended;
            }
            change(&mut dated, t.max(end), AgentState::LoggedOut, &mut state);
        }
        let abandons = (answered as f64 * ABANDON_SHARE) as u64;
        for _ in 0..abandons {
            let queue = self.rng.random_range(0..self.queues);
            let arrived = day_start + 6 * HOUR_MS + self.rng.random_range(0..15 * HOUR_MS);
            let ended = arrived + self.exp(mean::PATIENCE);
            let leg = Leg {
                queue: QueueId(queue + 1),
                for_agent: None,
                queued: Time::from_millis(arrived),
                offers: Vec::new(),
                answered: None,
                agent: None,
                holds: Vec::new(),
                ended: Some(Time::from_millis(ended)),
                end: Some(LegEnd::Abandoned),
                callback: None,
                wrap_ended: None,
                outcome: None,
                reason: None,
                notes: String::new(),
            };
            let contact = self.contact(queue, arrived, ended, leg, ContactResult::Abandoned);
            dated.push(contact);
        }
        // A stable sort keeps each agent's changes at one instant in order.
        dated.sort_by_key(|(at, _)| *at);
        dated
            .into_iter()
            .map(|(at, kind)| {
                let seq = self.next_seq;
                self.next_seq += 1;
                Fact::Routing(Record { seq, at, kind })
            })
            .collect()
    }

    fn pick_outcome(&mut self) -> Code {
        let i = self.rng.random_range(0..self.outcomes.len());
        self.outcomes[i].clone()
    }

    fn pick_reason(&mut self) -> Code {
        let i = self.rng.random_range(0..self.reasons.len());
        self.reasons[i].clone()
    }

    fn contact(
        &mut self,
        queue: u32,
        arrived: u64,
        finished: u64,
        leg: Leg,
        result: ContactResult,
    ) -> (Time, RecordKind) {
        let id = ContactId(self.next_contact);
        self.next_contact += 1;
        let ani = self.numbers[self.rng.random_range(0..self.numbers.len())].clone();
        let record = ContactRecord {
            id,
            ani: Some(ani),
            dnis: self.dnis[queue as usize].clone(),
            priority: Priority(0),
            attributes: Vec::new(),
            arrived: Time::from_millis(arrived),
            callback: false,
            legs: vec![leg],
            result,
            finished: Time::from_millis(finished),
        };
        (
            Time::from_millis(finished),
            RecordKind::ContactFinished(Box::new(record)),
        )
    }
}
