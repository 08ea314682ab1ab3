//! Switchboard's KPIs, computed in one place from the routing engine's
//! records (the event log) with the definitions of `KPI.md`.
//!
//! Key types: [`Fact`] (an entry of the event log), [`Ledger`] (built once
//! from the facts; every report and drill-down reads it), [`QueueReport`],
//! [`AgentReport`], [`OutcomeReport`], [`LegFact`] (a classified leg of a
//! finished contact) and [`Error`].
//!
//! Modules: [`fact`] (the log's entries), [`interval`] (calendar intervals in
//! the center's time zone), [`legs`] (finished contacts → classified legs),
//! [`queue`], [`agent`], [`outcome`] (the reports) and [`error`].
//!
//! Semantics in brief: every leg (a contact's pass through one queue) is an
//! offered contact of its queue, in the interval it entered that queue;
//! only finished contacts are counted; `handled` means an agent connected
//! and wrapped up, callbacks included; agent time is folded from the
//! `AgentStateChanged` records, split at period boundaries.

pub mod agent;
pub mod error;
pub mod fact;
pub mod interval;
pub mod legs;
pub mod outcome;
pub mod queue;

use std::collections::BTreeMap;

use acd::model::{AgentId, Code, ContactId, QueueId, Time};
use acd::record::ContactRecord;
use acd::{AgentState, Record, RecordKind};
use jiff::Zoned;

pub use agent::{AgentAggregator, AgentReport, AgentRow, AgentTally};
pub use error::Error;
pub use fact::{Fact, Money, Sale, Score, Survey};
pub use interval::{Bucketing, Interval};
pub use legs::{Disposition, Entry, LegFact, Work};
pub use outcome::{OutcomeOptions, OutcomeReport, OutcomeRow, Period, Rate};
pub use queue::{
    Count, QueueAggregator, QueueOptions, QueueReport, QueueRow, QueueTally, ServiceLevel,
    SlDefinition, WaitHistogram,
};

/// Everything the reports need from a run of facts.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    contacts: Vec<ContactRecord>,
    legs: Vec<LegFact>,
    surveys: Vec<Survey>,
    sales: Vec<Sale>,
    /// Closed state spans: agent, state, from, to.
    spans: Vec<(AgentId, AgentState, Time, Time)>,
    /// States still open, with their start.
    open: BTreeMap<AgentId, (AgentState, Time)>,
    logouts: Vec<(AgentId, Time)>,
    end: Time,
}

impl Ledger {
    /// Reads the engine's records in engine order.
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a Record>) -> Result<Self, Error> {
        let mut ledger = Ledger::default();
        for record in records {
            ledger.push_record(record)?;
        }
        Ok(ledger)
    }

    /// Reads an event log in log order.
    pub fn from_facts<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> Result<Self, Error> {
        let mut ledger = Ledger::default();
        for fact in facts {
            match fact {
                Fact::Routing(record) => ledger.push_record(record)?,
                Fact::Survey(survey) => ledger.surveys.push(survey.clone()),
                Fact::Sale(sale) => ledger.sales.push(sale.clone()),
            }
            ledger.end = ledger.end.max(fact.at());
        }
        Ok(ledger)
    }

    fn push_record(&mut self, record: &Record) -> Result<(), Error> {
        match &record.kind {
            RecordKind::ContactFinished(contact) => {
                legs::classify(contact, &mut self.legs)?;
                self.contacts.push((**contact).clone());
            }
            RecordKind::AgentStateChanged { agent, to, .. } => {
                if let Some((state, since)) = self.open.remove(agent) {
                    self.spans.push((*agent, state, since, record.at));
                }
                if *to == AgentState::LoggedOut {
                    self.logouts.push((*agent, record.at));
                } else {
                    self.open.insert(*agent, (to.clone(), record.at));
                }
            }
            _ => {}
        }
        self.end = self.end.max(record.at);
        Ok(())
    }

    /// Every finished contact, in finishing order.
    pub fn contacts(&self) -> &[ContactRecord] {
        &self.contacts
    }

    /// Every survey answer, in log order.
    pub fn surveys(&self) -> &[Survey] {
        &self.surveys
    }

    /// Every closed lead, in log order.
    pub fn sales(&self) -> &[Sale] {
        &self.sales
    }

    /// The classified legs of every finished contact, in finishing order.
    pub fn legs(&self) -> &[LegFact] {
        &self.legs
    }

    /// The queue interval report.
    pub fn queue_report(&self, options: &QueueOptions) -> Result<QueueReport, Error> {
        queue::report(&self.legs, options)
    }

    /// Drill-down: the contacts behind `count` of `queue` in the interval
    /// starting at `start` (as in [`QueueRow::start`]), one per leg.
    pub fn queue_contacts(
        &self,
        options: &QueueOptions,
        queue: QueueId,
        start: &Zoned,
        count: Count,
    ) -> Result<Vec<ContactId>, Error> {
        queue::contacts(&self.legs, options, queue, start, count)
    }

    /// The agent report, per period of `bucketing` or over everything
    /// when `None`; open states are counted up to the last fact.
    pub fn agent_report(&self, bucketing: Option<&Bucketing>) -> Result<AgentReport, Error> {
        let mut aggregator = AgentAggregator::new(bucketing);
        let open = self
            .open
            .iter()
            .map(|(agent, (state, since))| (*agent, state.clone(), *since, self.end));
        for (agent, state, from, to) in self.spans.iter().cloned().chain(open) {
            aggregator.add_state(agent, &state, from, to)?;
        }
        for &(agent, at) in &self.logouts {
            aggregator.add_logout(agent, at)?;
        }
        for work in self.legs.iter().filter_map(|leg| leg.work.as_ref()) {
            aggregator.add_work(work)?;
        }
        Ok(aggregator.finish())
    }

    /// Drill-down: the contacts `agent` handled, one per leg.
    pub fn handled_by(&self, agent: AgentId) -> Vec<ContactId> {
        self.legs
            .iter()
            .filter(|leg| leg.work.as_ref().is_some_and(|w| w.agent == agent))
            .map(|leg| leg.contact)
            .collect()
    }

    /// The outcome-code report.
    pub fn outcome_report(&self, options: &OutcomeOptions) -> Result<OutcomeReport, Error> {
        outcome::report(&self.legs, options)
    }

    /// Drill-down: the contacts of the period starting at `start` handled
    /// with `outcome` (`None`: wrapped up without a code).
    pub fn outcome_contacts(
        &self,
        options: &OutcomeOptions,
        start: &Zoned,
        outcome: Option<&Code>,
    ) -> Result<Vec<ContactId>, Error> {
        outcome::contacts(&self.legs, options, start, outcome)
    }
}
