//! Replay of a real history: a scenario derived from an event log (such as
//! the imported Anonymous Bank February), run through the simulator, and
//! the simulated days compared with the real ones.
//!
//! Key items: [`scenario_from_ledger`] (a [`kpi::Ledger`] → a [`Replay`]:
//! the [`Scenario`], its roster rows and the per-queue figures derived, as
//! [`DerivedQueue`]s), [`Replay::simulation`] (writes the roster file the
//! scenario names and checks the scenario), [`compare`] (runs seeds and
//! returns a [`Comparison`]: one [`ComparisonRow`] per local day and queue
//! and per day for the whole center, with a [`Summary`]), [`ReplayOptions`]
//! and [`ReplayError`].
//!
//! Modelling choices (each an assumption the comparison tests):
//! * **Window**: local midnight of the first day with an arrival to local
//!   midnight after the last, one run over the whole period (2 h drain).
//! * **Arrivals**: per queue, an inline profile of dated 30-minute
//!   intervals whose `contacts` are the observed first attempts (legs that
//!   entered by arrival, not transfer or overflow) of that interval of
//!   that day. The simulator has no trace replay (its arrivals are Poisson
//!   by interval), so arrivals are time-varying Poisson at the observed
//!   rate of each interval of each day: daily counts vary around the real
//!   ones with Poisson noise.
//! * **Handle time**: per queue, the empirical distribution of the observed
//!   talk of handled legs (connected time without hold; the bank log has
//!   no hold). Answered calls with no agent's work (the bank's `NO_SERVER`
//!   and no-service rows) give no sample; in the simulation every answered
//!   call is handled by an agent.
//! * **Wrap-up**: none (the bank log has none; its import logs zero).
//! * **Patience**: per queue, exponential with the censored-data maximum
//!   likelihood mean: the sum of the waits of every leg that left the line
//!   by answer or abandon (an answered caller's wait is a censored
//!   observation of its patience) divided by the number of abandons. That
//!   patience is exponential and independent of the wait is an
//!   assumption; a queue without abandons gets no patience (never hangs
//!   up).
//! * **Staffing as observed, by sessions**: the log shows when an agent
//!   talks, not when it is logged in and ready, so presence is inferred
//!   from sessions. An agent's handled calls (answer to end of work: talk,
//!   hold, wrap-up), sorted by answer, form one session while each next
//!   call is answered at most G ([`ReplayOptions::session_gap`], default
//!   [`DEFAULT_SESSION_GAP`] = 5 min) after the latest end so far; the
//!   agent is present (a roster `work` row) from the session's first answer
//!   to its last end, widened to whole seconds, and absent in longer gaps
//!   (breaks, other work, logged out). The start is not padded by a ring
//!   or answer delay: the simulator's offers are answered at once, and the
//!   time before a session's first answer is as likely idle as spent on
//!   something else. Every handled call lies in one of its agent's rows by
//!   construction. G sets the implied occupancy (handling ÷ staffed time):
//!   G = 0 staffs only the talk itself (about 100 %, no idle agent ever
//!   waits for a call: too pessimistic), a large G (or whole half hours
//!   with a call, the former derivation) counts breaks as ready time (too
//!   optimistic). G is chosen so the replay is unbiased (below).
//! * **Skills**: one skill per queue, named as the queue; an agent has the
//!   skill of every queue it handled a leg of in the period, all at level 1
//!   and routing priority 1. Agents with the same set of queues form one
//!   group named by the set (`NE+PS`); roster agents are named
//!   `<group>/<agent>` so the group is their name prefix.
//! * **Routing**: longest idle agent, no priorities (the bank's per-call
//!   `priority` is not modelled: a queue's contacts share one priority), no
//!   overflow, no retrials, no callbacks, offers answered at once.
//! * **Measures**: kpi's queue report by local day over the real facts and
//!   over the simulated records, with T = [`ReplayOptions::threshold`]
//!   (20 s), the `Offered` service level (answered within T ÷ offered) and
//!   short abandons disabled, as the bank import's real-data test; ASA in
//!   seconds; abandonment = abandoned ÷ offered. Replications are pooled:
//!   the simulated counts and waits are summed over seeds before the
//!   ratios are taken, and offered is their mean.
//!
//! On the bank's February (1,326 hours of handling; seeds 1-3, center by
//! day, mean |simulated − actual| and mean simulated − actual):
//!
//! | G      | agent-hours | occupancy | SL \|Δ\| / bias | ASA \|Δ\| / bias | abandon \|Δ\| / bias |
//! |--------|------:|------:|-------------:|-------------:|-------------:|
//! | 0      | 1,315 | 100.8 % | 12.2 / −7.9 pt | 18.0 / +13.1 s | 4.5 / +3.4 pt |
//! | 2 min  | 1,454 |  91.2 % | 11.8 / −6.0 pt | 17.7 / +11.3 s | 4.4 / +2.9 pt |
//! | 5 min  | 1,655 |  80.1 % |  9.9 / −0.5 pt | 13.6 / +4.4 s  | 3.9 / +1.1 pt |
//! | 10 min | 1,884 |  70.4 % | 11.0 / +7.7 pt | 12.2 / −5.4 s  | 3.8 / −1.6 pt |
//! | 30 min | 2,286 |  58.0 % | 19.9 / +19.5 pt | 19.3 / −17.5 s | 5.7 / −5.1 pt |
//! | half hours with a call (former) | 2,622 | 50.6 % | 28.0 / +28 pt | 26.0 / −26 s | 7.8 / −8 pt |
//!
//! 5 minutes (80 % occupancy, usual for a busy inbound center) gives the
//! smallest service-level error with almost no bias in any metric; what
//! is left is day to day: quiet days (Fridays and Saturdays, a few hundred
//! calls) are too pessimistic, where a handful of sessions staff the day
//! thinly, and the busy weekdays of the second half too optimistic. See
//! `tests/replay.rs`.
//! (Over 100 % at G = 0: an agent's calls that overlap in the log are
//! summed in the handling but staffed once.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use acd::model::{AgentId, QueueId, Span, Time};
use acd::{Record, RecordKind};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use kpi::interval::BucketCache;
use kpi::{Bucketing, Count, Disposition, Entity, Entry, Interval, Ledger, QueueOptions};
use serde::Serialize;

use crate::distribution::DistributionSpec;
use crate::roster::{RosterRow, WORK};
use crate::scenario::{
    ArrivalSpec, GroupSpec, ProfileEntry, QueueSpec, Scenario, ScenarioError, SimulationSpec,
};
use crate::units::{Clock, Period};
use crate::{SimError, Simulation};

/// The roster file [`Replay::simulation`] writes, relative to its folder.
pub const ROSTER_FILE: &str = "replay_roster.csv";

/// The name of the whole center in [`ComparisonRow::queue`].
pub const CENTER: &str = "all";

/// A replay that cannot be derived, run or measured.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The time zone named in the options is unknown.
    #[error("time zone {name:?}: {reason}")]
    TimeZone {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// The history has no first attempt in any queue.
    #[error("the history has no arrivals to replay")]
    NoArrivals,
    /// The history has no handled leg, so neither staffing nor handle
    /// times can be observed.
    #[error("the history has no handled call: no agent or handle time to replay")]
    NoAgents,
    /// A time of the history outside the calendar's range.
    #[error("time {0} ms is out of range")]
    Time(u64),
    /// The roster file cannot be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The derived scenario is refused by the simulator's checks.
    #[error("derived scenario: {0}")]
    Scenario(#[from] ScenarioError),
    /// A simulation run failed.
    #[error("simulation: {0}")]
    Sim(#[from] SimError),
    /// A KPI report failed.
    #[error("kpi: {0}")]
    Kpi(#[from] kpi::Error),
}

/// Settings of a replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// IANA zone of the center: days and intervals are local to it.
    pub time_zone: String,
    /// Service-level threshold T, whole seconds.
    pub threshold: Span,
    /// Session gap G: an agent's consecutive calls whose gap (one call's
    /// end to the next one's answer) is at most G belong to one session,
    /// during which the agent is present; a longer gap is an absence.
    /// [`DEFAULT_SESSION_GAP`] unless set.
    pub session_gap: Span,
}

/// The default session gap G of [`ReplayOptions::session_gap`]: 5 minutes
/// (see the module doc for the measurements behind it).
pub const DEFAULT_SESSION_GAP: Span = Span::from_secs(5 * 60);

impl ReplayOptions {
    /// T = 20 s and G = [`DEFAULT_SESSION_GAP`] in `time_zone`.
    pub fn new(time_zone: &str) -> Self {
        ReplayOptions {
            time_zone: time_zone.to_owned(),
            threshold: Span::from_secs(20),
            session_gap: DEFAULT_SESSION_GAP,
        }
    }

    fn zone(&self) -> Result<TimeZone, ReplayError> {
        TimeZone::get(&self.time_zone).map_err(|e| ReplayError::TimeZone {
            name: self.time_zone.clone(),
            reason: e.to_string(),
        })
    }
}

/// What was derived for one queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DerivedQueue {
    /// The queue's name (also its skill's).
    pub name: String,
    /// Observed first attempts, the profile's total.
    pub arrivals: u64,
    /// Observed first attempts per local day, the profile's daily totals.
    pub arrivals_by_day: BTreeMap<Date, u64>,
    /// Talk samples of the empirical handle time.
    pub talk_samples: usize,
    /// Their mean, seconds.
    pub mean_talk: Option<f64>,
    /// Observed abandons.
    pub abandons: u64,
    /// Sum of the waits of answered and abandoned legs, seconds.
    pub exposure: f64,
    /// Mean of the exponential patience, seconds; `None` without abandons.
    pub patience_mean: Option<f64>,
}

/// A scenario derived from a history, with what it was derived from.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The scenario; its `roster` is [`ROSTER_FILE`], written by
    /// [`Replay::simulation`].
    pub scenario: Scenario,
    /// The observed staffing as roster `work` rows, by agent then start.
    pub roster: Vec<RosterRow>,
    /// Per queue, in scenario order.
    pub queues: Vec<DerivedQueue>,
    /// Handled legs whose agent's work the roster covers (all of them, by
    /// construction; kept so a test can check it).
    pub handled: u64,
    /// Their total handle time (answer to end of work).
    pub busy: Span,
    /// The local days replayed, in order.
    pub days: Vec<Date>,
}

/// The name of a queue or agent: the history's name, else its id.
fn name_of(ledger: &Ledger, entity: Entity) -> String {
    ledger
        .names()
        .get(&entity)
        .cloned()
        .unwrap_or(match entity {
            Entity::Queue(q) => format!("queue{}", q.0),
            Entity::Agent(a) => format!("agent{}", a.0),
        })
}

fn zoned(at: Time, zone: &TimeZone) -> Result<Zoned, ReplayError> {
    i64::try_from(at.as_millis())
        .ok()
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .map(|t| t.to_zoned(zone.clone()))
        .ok_or(ReplayError::Time(at.as_millis()))
}

fn millis(at: &Zoned) -> u64 {
    u64::try_from(at.timestamp().as_millisecond()).unwrap_or(0)
}

/// The sessions of one agent's calls (answer, end of work; ms): calls
/// sorted by answer, a session going on while the next call is answered at
/// most `gap` ms after the latest end so far. Bounds are widened to whole
/// seconds (the roster's precision): the start down, the end up, at least
/// one second long; sessions that touch once rounded are one.
fn sessions(calls: &mut [(u64, u64)], gap: u64) -> Vec<(u64, u64)> {
    calls.sort_unstable();
    let mut spans: Vec<(u64, u64)> = Vec::new();
    for &(answered, end) in calls.iter() {
        let from = answered / 1000 * 1000;
        let to = end.div_ceil(1000).max(answered / 1000 + 1) * 1000;
        match spans.last_mut() {
            Some(span) if from <= span.1 || answered.saturating_sub(span.1) <= gap => {
                span.1 = span.1.max(to);
            }
            _ => spans.push((from, to)),
        }
    }
    spans
}

/// Derives a replay scenario from `ledger` (see the module doc for every
/// modelling choice).
pub fn scenario_from_ledger(
    ledger: &Ledger,
    options: &ReplayOptions,
) -> Result<Replay, ReplayError> {
    let zone = options.zone()?;
    let mut halves = BucketCache::new(Bucketing {
        interval: Interval::Minutes30,
        time_zone: zone.clone(),
    });

    // Per queue: arrivals by interval start, talk samples, abandons, waits.
    #[derive(Default)]
    struct Observed {
        arrivals: BTreeMap<DateTime, u64>,
        talk: Vec<Period>,
        abandons: u64,
        exposure_ms: u64,
    }
    let mut observed: BTreeMap<QueueId, Observed> = BTreeMap::new();
    // Per agent: its calls' (answer, end of work) in ms, and its queues.
    type Calls = Vec<(u64, u64)>;
    let mut presence: BTreeMap<AgentId, (Calls, BTreeSet<QueueId>)> = BTreeMap::new();
    let mut handled = 0;
    let mut busy = 0;
    let mut first: Option<Time> = None;
    let mut last: Option<Time> = None;
    for leg in ledger.legs() {
        let queue = observed.entry(leg.queue).or_default();
        if leg.entry == Entry::Arrival {
            let start = halves.start(leg.queued)?.datetime();
            *queue.arrivals.entry(start).or_default() += 1;
            first = Some(first.map_or(leg.queued, |f| f.min(leg.queued)));
            last = Some(last.map_or(leg.queued, |l| l.max(leg.queued)));
        }
        match leg.disposition {
            Disposition::Answered => queue.exposure_ms += leg.wait().as_millis(),
            Disposition::Abandoned => {
                queue.exposure_ms += leg.wait().as_millis();
                queue.abandons += 1;
            }
            _ => {}
        }
        let Some(work) = &leg.work else { continue };
        handled += 1;
        queue.talk.push(Period(work.talk.as_millis()));
        let (calls, queues) = presence.entry(work.agent).or_default();
        queues.insert(leg.queue);
        let answered = work.answered.as_millis();
        calls.push((answered, answered + work.handle().as_millis()));
        busy += work.handle().as_millis();
    }
    let (Some(first), Some(last)) = (first, last) else {
        return Err(ReplayError::NoArrivals);
    };
    if presence.is_empty() {
        return Err(ReplayError::NoAgents);
    }

    let start_day = zoned(first, &zone)?.date();
    let last_day = zoned(last, &zone)?.date();
    let days: Vec<Date> = start_day
        .series(jiff::ToSpan::days(1))
        .take_while(|d| *d <= last_day)
        .collect();
    let window_start = start_day
        .to_zoned(zone.clone())
        .map_err(|_| ReplayError::Time(first.as_millis()))?;
    let window_end = last_day
        .tomorrow()
        .and_then(|d| d.to_zoned(zone.clone()))
        .map_err(|_| ReplayError::Time(last.as_millis()))?;

    let threshold = Period(options.threshold.as_millis());
    let mut queues = Vec::new();
    let mut derived = Vec::new();
    let queue_name = |q: QueueId| name_of(ledger, Entity::Queue(q));
    for (&id, obs) in &observed {
        let name = queue_name(id);
        let arrivals: u64 = obs.arrivals.values().sum();
        let mut arrivals_by_day: BTreeMap<Date, u64> = BTreeMap::new();
        for (start, n) in &obs.arrivals {
            *arrivals_by_day.entry(start.date()).or_default() += n;
        }
        let exposure = obs.exposure_ms as f64 / 1000.0;
        let patience_mean = (obs.abandons > 0).then(|| exposure / obs.abandons as f64);
        let mean_talk = (!obs.talk.is_empty())
            .then(|| obs.talk.iter().map(|p| p.as_secs_f64()).sum::<f64>() / obs.talk.len() as f64);
        derived.push(DerivedQueue {
            name: name.clone(),
            arrivals,
            arrivals_by_day,
            talk_samples: obs.talk.len(),
            mean_talk,
            abandons: obs.abandons,
            exposure,
            patience_mean,
        });
        // A queue nobody handled has no observed talk: it can only be fed
        // (and abandoned) in the replay, and the simulator refuses a queue
        // with arrivals and no agent, so it is left out and reported by
        // its row in `queues` with zero talk samples.
        if obs.talk.is_empty() {
            continue;
        }
        queues.push(QueueSpec {
            name: name.clone(),
            skills: BTreeMap::from([(name.clone(), 1)]),
            priority: 0,
            selection: Default::default(),
            service_level_threshold: threshold,
            service_level_target: 80,
            offer_timeout: Period(15_000),
            max_wait: None,
            overflow: None,
            announce_every: None,
            aging: None,
            relaxation: Vec::new(),
            arrivals: (arrivals > 0).then(|| ArrivalSpec {
                per_hour: None,
                interval: Some(Period(30 * 60_000)),
                profile: obs
                    .arrivals
                    .iter()
                    .map(|(start, n)| ProfileEntry {
                        start: Clock::Dated(*start),
                        contacts: Some(*n as f64),
                        per_hour: None,
                    })
                    .collect(),
                csv: None,
                scale: 1.0,
            }),
            handle: DistributionSpec::Empirical(obs.talk.clone()),
            wrap_up: None,
            wrap_up_limit: None,
            hold: None,
            patience: patience_mean
                .map(|mean| DistributionSpec::Exponential(Period((mean * 1000.0).round() as u64))),
            retrial: None,
            callback: None,
            deflect: 0.0,
        });
    }

    // Groups by set of queues served; roster rows by sessions.
    let gap = options.session_gap.as_millis();
    let mut groups: BTreeMap<String, BTreeSet<QueueId>> = BTreeMap::new();
    let mut roster = Vec::new();
    for (&agent, (calls, served)) in &mut presence {
        let group = served
            .iter()
            .map(|&q| queue_name(q))
            .collect::<Vec<_>>()
            .join("+");
        let name = format!("{group}/{}", name_of(ledger, Entity::Agent(agent)));
        groups.insert(group, served.clone());
        for (from, to) in sessions(calls, gap) {
            roster.push(RosterRow {
                agent: name.clone(),
                activity: WORK.to_owned(),
                start: zoned(Time::from_millis(from), &zone)?.datetime(),
                end: zoned(Time::from_millis(to), &zone)?.datetime(),
                line: roster.len() as u64 + 2,
            });
        }
    }
    let groups = groups
        .into_iter()
        .map(|(name, served)| {
            let served: BTreeMap<String, u8> = served.iter().map(|&q| (queue_name(q), 1)).collect();
            GroupSpec {
                name,
                count: None,
                skills: served.clone(),
                queues: served,
                no_answer: 0.0,
                answer_delay: None,
                missed_recovery: Period(10_000),
                cost_per_hour: None,
                default: false,
                shifts: Vec::new(),
            }
        })
        .collect();

    let scenario = Scenario {
        skills: queues.iter().map(|q| q.name.clone()).collect(),
        roster: Some(PathBuf::from(ROSTER_FILE)),
        simulation: SimulationSpec {
            start: window_start.datetime(),
            time_zone: options.time_zone.clone(),
            duration: Period(millis(&window_end) - millis(&window_start)),
            drain: Period(2 * 3_600_000),
            seed: 1,
            warm_up: Period(0),
            short_abandon: Period(0),
            customers: 10_000,
        },
        queues,
        groups,
        base_dir: PathBuf::new(),
    };
    Ok(Replay {
        scenario,
        roster,
        queues: derived,
        handled,
        busy: Span::from_millis(busy),
        days,
    })
}

impl Replay {
    /// The agent time the roster staffs: the sum of its rows.
    pub fn staffed(&self) -> Span {
        let ms = self
            .roster
            .iter()
            .map(|r| r.start.duration_until(r.end).as_millis().max(0) as u64)
            .sum();
        Span::from_millis(ms)
    }

    /// Implied occupancy: [`Replay::busy`] ÷ [`Replay::staffed`].
    pub fn occupancy(&self) -> f64 {
        self.busy.as_secs_f64() / self.staffed().as_secs_f64()
    }

    /// Writes the roster to [`ROSTER_FILE`] in `dir` and returns the
    /// checked simulation of the scenario, read from there.
    pub fn simulation(&self, dir: &Path) -> Result<Simulation, ReplayError> {
        let path = dir.join(ROSTER_FILE);
        let io = |source| ReplayError::Io {
            path: path.clone(),
            source,
        };
        let mut text = String::from("agent,activity,start,end\n");
        for row in &self.roster {
            text.push_str(&format!(
                "{},{},{},{}\n",
                row.agent, row.activity, row.start, row.end
            ));
        }
        std::fs::write(&path, text).map_err(io)?;
        let mut scenario = self.scenario.clone();
        scenario.base_dir = dir.to_owned();
        Ok(Simulation::new(&scenario)?)
    }
}

/// Sums of one queue (or the center) on one day, from which every figure
/// is a ratio.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    offered: u64,
    answered: u64,
    within: u64,
    abandoned: u64,
    wait: f64,
}

impl Sums {
    fn add(&mut self, other: &Sums) {
        self.offered += other.offered;
        self.answered += other.answered;
        self.within += other.within;
        self.abandoned += other.abandoned;
        self.wait += other.wait;
    }

    fn figures(&self, runs: u32) -> Figures {
        let ratio = |a: f64, b: u64| (b > 0).then(|| a / b as f64);
        Figures {
            offered: self.offered as f64 / f64::from(runs),
            service_level: ratio(self.within as f64, self.offered),
            asa: ratio(self.wait, self.answered),
            abandon_rate: ratio(self.abandoned as f64, self.offered),
        }
    }
}

/// kpi's daily queue rows of `ledger`, by (day, queue name), with the
/// center under [`CENTER`], added into `into`.
fn daily(
    ledger: &Ledger,
    options: &QueueOptions,
    name: impl Fn(QueueId) -> String,
    into: &mut BTreeMap<(Date, String), Sums>,
) -> Result<(), ReplayError> {
    for row in ledger.queue_report(options)?.rows {
        let answered = row.count(Count::Answered);
        let sums = Sums {
            offered: row.count(Count::Offered),
            answered,
            within: row.count(Count::AnsweredWithin),
            abandoned: row.count(Count::Abandoned),
            wait: row.asa.unwrap_or(0.0) * answered as f64,
        };
        let day = row.start.date();
        into.entry((day, name(row.queue))).or_default().add(&sums);
        into.entry((day, CENTER.to_owned())).or_default().add(&sums);
    }
    Ok(())
}

/// Daily figures of one side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Offered legs (simulated: mean over replications).
    pub offered: f64,
    /// Answered within T ÷ offered (short abandons disabled).
    pub service_level: Option<f64>,
    /// Mean wait of answered legs, seconds.
    pub asa: Option<f64>,
    /// Abandoned ÷ offered.
    pub abandon_rate: Option<f64>,
}

/// Simulated − actual; `None` where either side has no value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Deltas {
    /// Of the service level (a fraction).
    pub service_level: Option<f64>,
    /// Of ASA, seconds.
    pub asa: Option<f64>,
    /// Of the abandonment rate (a fraction).
    pub abandon_rate: Option<f64>,
}

impl Deltas {
    fn between(actual: &Figures, simulated: &Figures) -> Deltas {
        let d = |a: Option<f64>, s: Option<f64>| Some(s? - a?);
        Deltas {
            service_level: d(actual.service_level, simulated.service_level),
            asa: d(actual.asa, simulated.asa),
            abandon_rate: d(actual.abandon_rate, simulated.abandon_rate),
        }
    }
}

/// One local day of one queue, or of the center ([`CENTER`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    /// The local day.
    pub day: Date,
    /// The queue's name, or [`CENTER`].
    pub queue: String,
    /// From the real facts.
    pub actual: Figures,
    /// From the simulated records.
    pub simulated: Figures,
    /// Simulated − actual.
    pub delta: Deltas,
}

/// One of the largest differences of a metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Largest {
    /// `service_level`, `asa` or `abandon_rate`.
    pub metric: &'static str,
    /// The day.
    pub day: Date,
    /// Simulated − actual.
    pub delta: f64,
}

/// Mean absolute differences, over the rows where both sides have a value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MeanAbs {
    /// Of the service level (a fraction).
    pub service_level: Option<f64>,
    /// Of ASA, seconds.
    pub asa: Option<f64>,
    /// Of the abandonment rate (a fraction).
    pub abandon_rate: Option<f64>,
    /// Mean simulated − actual of the service level: the bias.
    pub service_level_bias: Option<f64>,
    /// Mean simulated − actual of ASA, seconds.
    pub asa_bias: Option<f64>,
    /// Mean simulated − actual of the abandonment rate.
    pub abandon_rate_bias: Option<f64>,
}

impl MeanAbs {
    fn of<'a>(rows: impl Iterator<Item = &'a ComparisonRow> + Clone) -> MeanAbs {
        let mean = |values: Vec<f64>| {
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        let abs = |pick: Pick| {
            mean(
                rows.clone()
                    .filter_map(|r| pick(&r.delta))
                    .map(f64::abs)
                    .collect(),
            )
        };
        MeanAbs {
            service_level: abs(|d| d.service_level),
            asa: abs(|d| d.asa),
            abandon_rate: abs(|d| d.abandon_rate),
            service_level_bias: mean(rows.clone().filter_map(|r| r.delta.service_level).collect()),
            asa_bias: mean(rows.clone().filter_map(|r| r.delta.asa).collect()),
            abandon_rate_bias: mean(rows.filter_map(|r| r.delta.abandon_rate).collect()),
        }
    }
}

/// The summary of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Seeds run.
    pub replications: u32,
    /// Over the center's days.
    pub center: MeanAbs,
    /// Over every queue's days (busier and quieter queues weigh the same).
    pub queues: MeanAbs,
    /// The center's three largest differences of each metric, largest first.
    pub largest: Vec<Largest>,
}

/// Picks one metric's delta.
type Pick = fn(&Deltas) -> Option<f64>;

/// The daily comparison of a replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// By day, then the center first, then the queues by name.
    pub rows: Vec<ComparisonRow>,
    /// Mean absolute differences and the largest.
    pub summary: Summary,
}

/// Runs `simulation` (from [`Replay::simulation`]) with seeds `seed`,
/// `seed + 1`, … (`replications` of them, at least one) and compares its
/// daily figures with those of `actual`, by kpi's queue report of both
/// with the same options.
pub fn compare(
    actual: &Ledger,
    replay: &Replay,
    simulation: &Simulation,
    seed: u64,
    replications: u32,
    options: &ReplayOptions,
) -> Result<Comparison, ReplayError> {
    let replications = replications.max(1);
    let mut queue_options = QueueOptions::new(Bucketing {
        interval: Interval::Day,
        time_zone: options.zone()?,
    });
    queue_options.threshold = options.threshold;
    queue_options.short_abandon = Span::ZERO;

    let mut real = BTreeMap::new();
    daily(
        actual,
        &queue_options,
        |q| name_of(actual, Entity::Queue(q)),
        &mut real,
    )?;
    let mut simulated = BTreeMap::new();
    let names: Vec<&str> = replay
        .scenario
        .queues
        .iter()
        .map(|q| q.name.as_str())
        .collect();
    for run in 0..u64::from(replications) {
        // Only finished contacts matter to the queue report: the agents'
        // state changes are left out to keep memory small.
        let mut records: Vec<Record> = Vec::new();
        simulation.run(seed + run, |record| {
            if matches!(record.kind, RecordKind::ContactFinished(_)) {
                records.push(record.clone());
            }
        })?;
        let ledger = Ledger::from_records(&records)?;
        daily(
            &ledger,
            &queue_options,
            // Scenario queues are numbered from 1 in file order.
            |q| names[(q.0 - 1) as usize].to_owned(),
            &mut simulated,
        )?;
    }

    let mut rows = Vec::new();
    let keys: BTreeSet<&(Date, String)> = real.keys().chain(simulated.keys()).collect();
    for key in keys {
        let actual = real.get(key).copied().unwrap_or_default().figures(1);
        let sim = simulated
            .get(key)
            .copied()
            .unwrap_or_default()
            .figures(replications);
        rows.push(ComparisonRow {
            day: key.0,
            queue: key.1.clone(),
            delta: Deltas::between(&actual, &sim),
            actual,
            simulated: sim,
        });
    }
    // The center first within each day.
    rows.sort_by(|a, b| {
        (a.day, a.queue != CENTER, &a.queue).cmp(&(b.day, b.queue != CENTER, &b.queue))
    });

    let center = rows.iter().filter(|r| r.queue == CENTER);
    let mut largest = Vec::new();
    let metrics: [(&'static str, Pick); 3] = [
        ("service_level", |d| d.service_level),
        ("asa", |d| d.asa),
        ("abandon_rate", |d| d.abandon_rate),
    ];
    for (metric, pick) in metrics {
        let mut days: Vec<Largest> = center
            .clone()
            .filter_map(|r| {
                Some(Largest {
                    metric,
                    day: r.day,
                    delta: pick(&r.delta)?,
                })
            })
            .collect();
        days.sort_by(|a, b| b.delta.abs().total_cmp(&a.delta.abs()));
        largest.extend(days.into_iter().take(3));
    }
    let summary = Summary {
        replications,
        center: MeanAbs::of(center),
        queues: MeanAbs::of(rows.iter().filter(|r| r.queue != CENTER)),
        largest,
    };
    Ok(Comparison { rows, summary })
}
