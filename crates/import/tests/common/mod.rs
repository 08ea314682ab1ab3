//! Checks every import's fact log must pass, whatever the format.

use std::collections::BTreeMap;

use acd::{AgentState, RecordKind};
use kpi::Fact;

/// Records are numbered from 0 without gaps, facts are in time order, and
/// each agent's state changes chain: `from` is the previous `to`, starting
/// logged out.
pub fn check_log(facts: &[Fact]) {
    let mut seq = 0;
    let mut last = None;
    let mut states: BTreeMap<_, AgentState> = BTreeMap::new();
    for fact in facts {
        if let Some(last) = last {
            assert!(fact.at() >= last, "{fact:?} is out of time order");
        }
        last = Some(fact.at());
        let Fact::Routing(record) = fact else {
            continue;
        };
        assert_eq!(record.seq, seq, "records are numbered without gaps");
        seq += 1;
        if let RecordKind::AgentStateChanged { agent, from, to } = &record.kind {
            let before = states.insert(*agent, to.clone());
            assert_eq!(
                &before.unwrap_or(AgentState::LoggedOut),
                from,
                "{agent} changed from a state it was not in at seq {}",
                record.seq
            );
            assert_ne!(
                from, to,
                "a change that changes nothing at seq {}",
                record.seq
            );
        }
    }
}
