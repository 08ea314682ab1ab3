//! Switchboard's KPIs, computed in one place from the routing engine's
//! records (the event log) with the definitions of `KPI.md`.
//!
//! Key types: [`Fact`] (an entry of the event log), [`Ledger`] (built once
//! from the facts; every report and drill-down reads it), [`QueueReport`],
//! [`AgentReport`], [`OutcomeReport`], [`LegFact`] (a classified leg of a
//! finished contact), [`QueueTally`] / [`AgentTally`] (the mergeable
//! aggregates the store keeps), [`ReportSettings`] and [`Error`].
//!
//! Modules: [`fact`] (the log's entries), [`interval`] (calendar intervals in
//! the center's time zone), [`legs`] (finished contacts → classified legs),
//! [`contact`] (per-contact facts: customer, reason, survey, sale), the
//! operational reports [`queue`], [`agent`], [`outcome`], the business
//! reports [`fcr`], [`csat`], [`reasons`] (Pareto and strategy), [`cost`]
//! (cost per call, campaign ROI), [`sla`] (an outsourcer's contract),
//! [`digest`] (the value report), their [`settings`] file, and [`error`].
//!
//! Semantics in brief: every leg (a contact's pass through one queue) is an
//! offered contact of its queue, in the interval it entered that queue;
//! only finished contacts are counted; `handled` means an agent connected
//! and wrapped up, callbacks included; agent time is folded from the
//! `AgentStateChanged` records, split at period boundaries.

pub mod admin;
pub mod agent;
pub mod contact;
pub mod cost;
pub mod csat;
pub mod digest;
pub mod error;
pub mod fact;
pub mod fcr;
pub mod interval;
pub mod legs;
pub mod outcome;
pub mod queue;
pub mod reasons;
pub mod settings;
pub mod sla;

use std::collections::BTreeMap;

use acd::model::{AgentId, Code, ContactId, QueueId, Time};
use acd::record::ContactRecord;
use acd::{AgentState, Record, RecordKind};
use jiff::Zoned;

pub use admin::{Admin, AdminChange, CustomerRecord, Retired, Role, UserRecord, WeeklyHours};
pub use agent::{AgentAggregator, AgentReport, AgentRow, AgentTally};
pub use contact::{ContactFacts, ContactList, Customer};
pub use cost::{CampaignRow, CostReport};
pub use csat::{Caller, CsatFigures, CsatReport, CsatRow};
pub use digest::{DigestEntry, Leads, Resolutions, TopicRow, ValuePeriod, ValueReport};
pub use error::Error;
pub use fact::{Entity, Fact, ImportMark, Money, Naming, Sale, Score, Survey};
pub use fcr::{FcrFigures, FcrReasonRow, FcrReport, FcrRow, Repeat};
pub use interval::{Bucketing, Interval};
pub use legs::{Disposition, Entry, LegFact, Work};
pub use outcome::{OutcomeOptions, OutcomeReport, OutcomeRow, Period, Rate};
pub use queue::{
    Count, QueueAggregator, QueueOptions, QueueReport, QueueRow, QueueTally, ServiceLevel,
    SlDefinition, WaitHistogram,
};
pub use reasons::{
    Assessment, Criterion, CriterionSource, CriterionValue, ReasonReport, ReasonRow, Strategy,
};
pub use settings::{
    Campaign, Category, Contract, CostModel, CsatSettings, FcrSettings, OutcomeSettings,
    ReasonSettings, ReportSettings, Resolution, SlTerm, StrategyRules, Targets, ValueSettings,
};
pub use sla::{SlaReport, TermResult, TermStatus};

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
    names: BTreeMap<Entity, String>,
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
                Fact::Named(naming) => {
                    ledger.names.insert(naming.entity, naming.name.clone());
                }
                // When a file was imported says nothing about its calls.
                // Nor does a configuration change: its effect is in the
                // routing records that follow.
                Fact::Imported(_) | Fact::Admin(_) => continue,
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

    /// The latest name of each named queue and agent.
    pub fn names(&self) -> &BTreeMap<Entity, String> {
        &self.names
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

/// The business reports of KPI.md and the seeds: FCR, CSAT, call reasons,
/// cost and ROI, the outsourcing contract check and the value report.
impl Ledger {
    /// Every finished contact summarised for the business reports, in
    /// finishing order.
    pub fn contact_facts(&self) -> Vec<ContactFacts> {
        self.contacts().iter().map(ContactFacts::of).collect()
    }

    /// The time of the last fact read.
    pub fn last_time(&self) -> Time {
        self.end
    }

    /// First-contact resolution by period of `interval` and by reason.
    pub fn fcr_report(
        &self,
        settings: &ReportSettings,
        interval: Interval,
    ) -> Result<FcrReport, Error> {
        fcr::report(self, settings, interval)
    }

    /// CSAT by period of `interval`, with the dissatisfied and unrated
    /// callers of each.
    pub fn csat_report(
        &self,
        settings: &ReportSettings,
        interval: Interval,
    ) -> Result<CsatReport, Error> {
        csat::report(self, settings, interval)
    }

    /// The call-reason Pareto with a strategy per reason.
    pub fn reason_report(&self, settings: &ReportSettings) -> Result<ReasonReport, Error> {
        reasons::report(self, settings)
    }

    /// Cost per call and campaign ROI.
    pub fn cost_report(&self, settings: &ReportSettings) -> Result<CostReport, Error> {
        cost::report(self, settings)
    }

    /// The contract check of `[contract]`; `None` when the settings have
    /// no contract.
    pub fn contract_report(&self, settings: &ReportSettings) -> Result<Option<SlaReport>, Error> {
        settings
            .contract
            .as_ref()
            .map(|contract| sla::report(self, settings, contract))
            .transpose()
    }

    /// The value report by week or month.
    pub fn value_report(
        &self,
        settings: &ReportSettings,
        period: Period,
    ) -> Result<ValueReport, Error> {
        digest::report(self, settings, period)
    }
}
