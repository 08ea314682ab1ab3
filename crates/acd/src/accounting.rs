//! Agent time accounting folded from the engine's records.
//!
//! Key types: [`Accounting`] (feed it records in order) and [`AgentTime`]
//! (logged-in time split by [`AgentState`]). Every logged-in millisecond
//! falls in exactly one state, so the parts always sum to the whole; the
//! KPI module and the property tests both rely on it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{AgentId, Span, Time};
use crate::record::{AgentState, Record, RecordKind};

/// One agent's time by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AgentTime {
    /// Logged-in time.
    pub logged_in: Span,
    /// Time in each logged-in state.
    pub by_state: BTreeMap<AgentState, Span>,
    /// Number of logouts.
    pub logouts: u32,
}

impl AgentTime {
    /// Sum of the per-state times (equals `logged_in`).
    pub fn state_total(&self) -> Span {
        self.by_state.values().fold(Span::ZERO, |sum, &s| sum + s)
    }
}

/// Folds `AgentStateChanged` records into per-agent time.
#[derive(Debug, Clone, Default)]
pub struct Accounting {
    open: BTreeMap<AgentId, (AgentState, Time)>,
    totals: BTreeMap<AgentId, AgentTime>,
}

impl Accounting {
    /// Takes one record; records must come in engine order.
    pub fn apply(&mut self, record: &Record) {
        let RecordKind::AgentStateChanged { agent, to, .. } = &record.kind else {
            return;
        };
        self.close(*agent, record.at);
        if *to == AgentState::LoggedOut {
            self.totals.entry(*agent).or_default().logouts += 1;
        } else {
            self.open.insert(*agent, (to.clone(), record.at));
        }
    }

    fn close(&mut self, agent: AgentId, at: Time) {
        if let Some((state, since)) = self.open.remove(&agent) {
            let spent = at.since(since);
            let total = self.totals.entry(agent).or_default();
            total.logged_in = total.logged_in + spent;
            let slot = total.by_state.entry(state).or_default();
            *slot = *slot + spent;
        }
    }

    /// Totals with every open state counted up to `now`.
    pub fn totals_at(&self, now: Time) -> BTreeMap<AgentId, AgentTime> {
        let mut copy = self.clone();
        let agents: Vec<AgentId> = copy.open.keys().copied().collect();
        for agent in agents {
            copy.close(agent, now);
        }
        copy.totals
    }
}
