//! The agent report.
//!
//! Key types: [`AgentReport`] with one [`AgentRow`] per agent: time by state
//! from [`acd::accounting::Accounting`], and handled legs from the contact
//! records. It covers the records given (pass one day's records for the
//! daily report); states still open at the end are counted up to the last
//! record.

use std::collections::{BTreeMap, BTreeSet};

use acd::AgentState;
use acd::accounting::AgentTime;
use acd::model::{AgentId, Code, Span};
use serde::Serialize;

use crate::legs::LegFact;
use crate::queue::{mean_secs, ratio};

/// One agent. Durations are [`Span`]s (milliseconds); `aht` is in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentRow {
    /// The agent.
    pub agent: AgentId,
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
    /// The row of `agent`.
    pub fn row(&self, agent: AgentId) -> Option<&AgentRow> {
        self.rows.iter().find(|r| r.agent == agent)
    }
}

pub(crate) fn report(legs: &[LegFact], times: &BTreeMap<AgentId, AgentTime>) -> AgentReport {
    let mut work: BTreeMap<AgentId, (u64, u64)> = BTreeMap::new();
    for w in legs.iter().filter_map(|leg| leg.work.as_ref()) {
        let (handled, handle) = work.entry(w.agent).or_default();
        *handled += 1;
        *handle += w.handle().as_millis();
    }
    let agents: BTreeSet<AgentId> = times.keys().chain(work.keys()).copied().collect();
    let empty = AgentTime::default();
    let rows = agents
        .into_iter()
        .map(|agent| {
            let time = times.get(&agent).unwrap_or(&empty);
            let (handled, handle) = work.get(&agent).copied().unwrap_or_default();
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
            AgentRow {
                agent,
                logged_in: time.logged_in,
                ready,
                reserved: state(AgentState::Reserved),
                talking,
                on_hold,
                wrap_up,
                not_ready,
                not_ready_rate_by_reason: not_ready_by_reason
                    .iter()
                    .filter_map(|(code, span)| {
                        Some((code.clone(), ratio(span.as_millis(), logged_in)?))
                    })
                    .collect(),
                not_ready_by_reason,
                logouts: time.logouts,
                handled,
                aht: mean_secs(handle, handled),
                occupancy: ratio(busy, busy + ready.as_millis()),
                utilization: ratio(busy, logged_in),
                not_ready_rate: ratio(not_ready.as_millis(), logged_in),
                calls_per_hour: (logged_in > 0)
                    .then(|| handled as f64 * 3_600_000.0 / logged_in as f64),
            }
        })
        .collect();
    AgentReport { rows }
}
