//! The agent report.
//!
//! Key types: [`AgentReport`] with one [`AgentRow`] per agent and period,
//! [`AgentTally`] (an agent's time by state, logouts and handled work in one
//! period; mergeable, and what the store keeps per agent and local day) and
//! [`AgentAggregator`], which splits state time at period boundaries and
//! groups tallies into rows. Handled work belongs to the period in which the
//! agent connected; states still open at the end of the data are counted up
//! to its last fact.

use std::collections::BTreeMap;

use acd::AgentState;
use acd::model::{AgentId, Code, Span, Time};
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::interval::{BucketCache, Bucketing};
use crate::legs::Work;
use crate::queue::{mean_secs, ratio};

/// An agent's time and work in one period. Every logged-in millisecond is
/// in exactly one state, so `by_state` sums to `logged_in`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentTally {
    /// Logged-in time.
    pub logged_in: Span,
    /// Time by logged-in state.
    pub by_state: BTreeMap<AgentState, Span>,
    /// Logouts.
    pub logouts: u32,
    /// Legs connected in the period and wrapped up.
    pub handled: u64,
    /// Their talk + hold + wrap-up.
    pub handle: Span,
}

impl AgentTally {
    /// Counts `spent` in `state`; logged-out time is not counted.
    pub fn add_state(&mut self, state: &AgentState, spent: Span) {
        if *state == AgentState::LoggedOut {
            return;
        }
        self.logged_in = self.logged_in + spent;
        let slot = self.by_state.entry(state.clone()).or_default();
        *slot = *slot + spent;
    }

    /// Counts a handled leg.
    pub fn add_work(&mut self, work: &Work) {
        self.handled += 1;
        self.handle = self.handle + work.handle();
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: &AgentTally) {
        self.logged_in = self.logged_in + other.logged_in;
        for (state, &spent) in &other.by_state {
            let slot = self.by_state.entry(state.clone()).or_default();
            *slot = *slot + spent;
        }
        self.logouts += other.logouts;
        self.handled += other.handled;
        self.handle = self.handle + other.handle;
    }
}

/// Groups agent time into periods: feed state spans, logouts and work (or
/// stored tallies), then [`finish`](Self::finish).
#[derive(Debug)]
pub struct AgentAggregator {
    cache: Option<BucketCache>,
    tallies: BTreeMap<(AgentId, Option<Timestamp>), (Option<Zoned>, AgentTally)>,
}

impl AgentAggregator {
    /// Rows per agent and period of `bucketing`, or per agent over
    /// everything given when `None`.
    pub fn new(bucketing: Option<&Bucketing>) -> Self {
        AgentAggregator {
            cache: bucketing.cloned().map(BucketCache::new),
            tallies: BTreeMap::new(),
        }
    }

    /// The period containing `at` and where it ends (`u64::MAX` when there
    /// are no periods).
    fn period(&mut self, at: Time) -> Result<(Option<Zoned>, u64), Error> {
        match &mut self.cache {
            None => Ok((None, u64::MAX)),
            Some(cache) => {
                let (start, end) = cache.locate(at)?;
                Ok((Some(start.clone()), end.as_millis()))
            }
        }
    }

    fn tally(&mut self, agent: AgentId, period: Option<Zoned>) -> &mut AgentTally {
        let key = (agent, period.as_ref().map(Zoned::timestamp));
        &mut self
            .tallies
            .entry(key)
            .or_insert_with(|| (period, AgentTally::default()))
            .1
    }

    /// Counts `agent` in `state` from `from` to `to`, split at period
    /// boundaries.
    pub fn add_state(
        &mut self,
        agent: AgentId,
        state: &AgentState,
        from: Time,
        to: Time,
    ) -> Result<(), Error> {
        let mut at = from;
        while at < to {
            let (period, end) = self.period(at)?;
            let until = to.min(Time::from_millis(end));
            self.tally(agent, period).add_state(state, until.since(at));
            at = until;
        }
        Ok(())
    }

    /// Counts a logout at `at`.
    pub fn add_logout(&mut self, agent: AgentId, at: Time) -> Result<(), Error> {
        let (period, _) = self.period(at)?;
        self.tally(agent, period).logouts += 1;
        Ok(())
    }

    /// Counts a handled leg in the period the agent connected.
    pub fn add_work(&mut self, work: &Work) -> Result<(), Error> {
        let (period, _) = self.period(work.answered)?;
        self.tally(work.agent, period).add_work(work);
        Ok(())
    }

    /// Adds a stored tally of the period that starts at `start`; periods of
    /// the aggregator must be unions of the stored ones (stored days serve
    /// day, week and month reports in the same time zone).
    pub fn add_tally(
        &mut self,
        agent: AgentId,
        start: Time,
        tally: &AgentTally,
    ) -> Result<(), Error> {
        let (period, _) = self.period(start)?;
        self.tally(agent, period).merge(tally);
        Ok(())
    }

    /// The report, rows by agent then period.
    pub fn finish(self) -> AgentReport {
        let rows = self
            .tallies
            .into_iter()
            .map(|((agent, _), (start, tally))| row(agent, start, &tally))
            .collect();
        AgentReport { rows }
    }
}

/// One agent. Durations are [`Span`]s (milliseconds); `aht` is in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentRow {
    /// The agent.
    pub agent: AgentId,
    /// Local start of the period; `None` when the report has no periods.
    pub start: Option<Zoned>,
    /// Logged-in time; the sum of the state times below.
    pub logged_in: Span,
    /// Ready and idle.
    pub ready: Span,
    /// A contact ringing.
    pub reserved: Span,
    /// Talking.
    pub talking: Span,
    /// Caller on hold.
    pub on_hold: Span,
    /// After-call work.
    pub wrap_up: Span,
    /// Not ready, any reason.
    pub not_ready: Span,
    /// Not ready by reason code.
    pub not_ready_by_reason: BTreeMap<Code, Span>,
    /// Logouts.
    pub logouts: u32,
    /// Legs the agent connected and wrapped up.
    pub handled: u64,
    /// (Talk + hold + wrap-up) of those legs ÷ handled.
    pub aht: Option<f64>,
    /// (Talk + hold + wrap-up) ÷ (talk + hold + wrap-up + ready).
    pub occupancy: Option<f64>,
    /// (Talk + hold + wrap-up) ÷ logged-in time.
    pub utilization: Option<f64>,
    /// Not-ready time ÷ logged-in time.
    pub not_ready_rate: Option<f64>,
    /// Not-ready time by reason ÷ logged-in time.
    pub not_ready_rate_by_reason: BTreeMap<Code, f64>,
    /// Handled ÷ logged-in hours.
    pub calls_per_hour: Option<f64>,
}

/// The agent report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentReport {
    /// Rows by agent id.
    pub rows: Vec<AgentRow>,
}

impl AgentReport {
    /// The first row of `agent` (its only one when the report has no
    /// periods).
    pub fn row(&self, agent: AgentId) -> Option<&AgentRow> {
        self.rows.iter().find(|r| r.agent == agent)
    }
}

fn row(agent: AgentId, start: Option<Zoned>, time: &AgentTally) -> AgentRow {
    let state = |s: AgentState| time.by_state.get(&s).copied().unwrap_or_default();
    let not_ready_by_reason: BTreeMap<Code, Span> = time
        .by_state
        .iter()
        .filter_map(|(s, &span)| match s {
            AgentState::NotReady(reason) => Some((reason.clone(), span)),
            _ => None,
        })
        .collect();
    let not_ready = not_ready_by_reason
        .values()
        .fold(Span::ZERO, |sum, &s| sum + s);
    let (talking, on_hold, wrap_up) = (
        state(AgentState::Talking),
        state(AgentState::OnHold),
        state(AgentState::WrapUp),
    );
    let ready = state(AgentState::Ready);
    let busy = (talking + on_hold + wrap_up).as_millis();
    let logged_in = time.logged_in.as_millis();
    let handled = time.handled;
    AgentRow {
        agent,
        start,
        logged_in: time.logged_in,
        ready,
        reserved: state(AgentState::Reserved),
        talking,
        on_hold,
        wrap_up,
        not_ready,
        not_ready_rate_by_reason: not_ready_by_reason
            .iter()
            .filter_map(|(code, span)| Some((code.clone(), ratio(span.as_millis(), logged_in)?)))
            .collect(),
        not_ready_by_reason,
        logouts: time.logouts,
        handled,
        aht: mean_secs(time.handle.as_millis(), handled),
        occupancy: ratio(busy, busy + ready.as_millis()),
        utilization: ratio(busy, logged_in),
        not_ready_rate: ratio(not_ready.as_millis(), logged_in),
        calls_per_hour: (logged_in > 0).then(|| handled as f64 * 3_600_000.0 / logged_in as f64),
    }
}
