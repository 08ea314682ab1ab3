//! An outsourced center checked against its contract (seed 003's
//! checklist).
//!
//! Key types: [`SlaReport`] with one [`TermResult`] per term the contract
//! sets, each with a [`TermStatus`].
//!
//! Every term is measured over the whole log given (pass the contract
//! period's facts), with the definitions of the other reports:
//! - queue terms — service level (the contract's definition and T),
//!   abandonment rate and ASA (both with the contract's short-abandon
//!   threshold), AHT, outcome coding and success rate — come from the legs
//!   of the contract's queues (all queues when it names none), through the
//!   queue report;
//! - contact terms — FCR, CSAT, cost per call, productivity (handled
//!   contacts per full-time week of paid hours), staffing (paid agent
//!   hours) and campaign ROI — cover every contact and agent in the log.
//!
//! A term the log cannot show (quality scores, attrition, reporting
//! duties, free-text terms) is `not_measurable`, with the reason; a term
//! that could be measured but has nothing to measure (no survey answered)
//! is `no_data`. Nothing is invented. Each measured term lists the contacts
//! that count against its target.

use std::collections::{BTreeMap, BTreeSet};

use acd::model::{ContactId, QueueId, Span};
use serde::Serialize;

use crate::Ledger;
use crate::error::Error;
use crate::interval::{Bucketing, Interval};
use crate::legs::{Disposition, LegFact};
use crate::queue::{Count, QueueOptions, QueueRow, SlDefinition, ratio};
use crate::settings::{Contract, ReportSettings, SlTerm};

/// How a term fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TermStatus {
    /// Measured and met.
    Pass,
    /// Measured and missed.
    Fail,
    /// Measurable, but the log has nothing to measure.
    NoData,
    /// The event log cannot show it.
    NotMeasurable,
}

/// One contract term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermResult {
    /// The settings key of the term.
    pub term: String,
    /// What is measured.
    pub definition: String,
    /// The target as the contract sets it.
    pub target: String,
    /// The measured value (shares 0–1, seconds, money units, hours).
    pub measured: Option<f64>,
    /// Pass, fail, no data or not measurable.
    pub status: TermStatus,
    /// The parts of the measure, or why it cannot be measured.
    pub note: String,
    /// Contacts that count against the target.
    pub against: Vec<ContactId>,
}

/// The contract check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaReport {
    /// The contract's name.
    pub contract: String,
    /// Queues of the queue terms (empty: all).
    pub queues: Vec<QueueId>,
    /// Terms passed.
    pub passed: u32,
    /// Terms failed.
    pub failed: u32,
    /// Terms with nothing to measure.
    pub no_data: u32,
    /// Terms the log cannot show.
    pub not_measurable: u32,
    /// One per term set, in the order of [`Contract`]'s fields.
    pub terms: Vec<TermResult>,
}

/// Whether a target is a floor or a ceiling.
#[derive(Clone, Copy)]
enum Bound {
    Min,
    Max,
}

struct Term {
    key: &'static str,
    definition: String,
    bound: Bound,
    target: f64,
    shown: String,
}

impl Term {
    fn new(key: &'static str, definition: impl Into<String>, bound: Bound, target: f64) -> Self {
        let sign = match bound {
            Bound::Min => "≥",
            Bound::Max => "≤",
        };
        Term {
            key,
            definition: definition.into(),
            bound,
            target,
            shown: format!("{sign} {target}"),
        }
    }

    fn measured(self, value: Option<f64>, note: String, against: Vec<ContactId>) -> TermResult {
        let status = match value {
            None => TermStatus::NoData,
            Some(v) => {
                let met = match self.bound {
                    Bound::Min => v >= self.target,
                    Bound::Max => v <= self.target,
                };
                if met {
                    TermStatus::Pass
                } else {
                    TermStatus::Fail
                }
            }
        };
        TermResult {
            term: self.key.to_owned(),
            definition: self.definition,
            target: self.shown,
            measured: value,
            status,
            note,
            against,
        }
    }

    fn not_measurable(self, why: &str) -> TermResult {
        TermResult {
            term: self.key.to_owned(),
            definition: self.definition,
            target: self.shown,
            measured: None,
            status: TermStatus::NotMeasurable,
            note: why.to_owned(),
            against: Vec::new(),
        }
    }
}

/// The queue report's counts summed over the contract's queues.
struct QueueSums {
    counts: BTreeMap<Count, u64>,
    wait_ms: f64,
    handle_ms: f64,
}

impl QueueSums {
    fn get(&self, count: Count) -> u64 {
        self.counts.get(&count).copied().unwrap_or(0)
    }
}

fn sum_rows<'a>(rows: impl Iterator<Item = &'a QueueRow>) -> QueueSums {
    let mut sums = QueueSums {
        counts: BTreeMap::new(),
        wait_ms: 0.0,
        handle_ms: 0.0,
    };
    for row in rows {
        for count in Count::ALL {
            *sums.counts.entry(count).or_default() += row.count(count);
        }
        sums.wait_ms += row.asa.unwrap_or(0.0) * 1000.0 * row.count(Count::Answered) as f64;
        sums.handle_ms += row.aht.unwrap_or(0.0) * 1000.0 * row.count(Count::Handled) as f64;
    }
    sums
}

fn contacts_where(legs: &[&LegFact], test: &dyn Fn(&LegFact) -> bool) -> Vec<ContactId> {
    legs.iter().filter(|l| test(l)).map(|l| l.contact).collect()
}

fn secs(ms: f64, n: u64) -> Option<f64> {
    (n > 0).then(|| ms / 1000.0 / n as f64)
}

pub(crate) fn report(
    ledger: &Ledger,
    settings: &ReportSettings,
    contract: &Contract,
) -> Result<SlaReport, Error> {
    let covered: BTreeSet<QueueId> = contract.queues.iter().copied().collect();
    let in_scope = |queue: QueueId| covered.is_empty() || covered.contains(&queue);
    let threshold = contract
        .service_level
        .as_ref()
        .map_or(Span::from_secs(20), |sl| sl.threshold);
    let mut options = QueueOptions::new(Bucketing {
        interval: Interval::Month,
        time_zone: settings.time_zone.clone(),
    });
    options.threshold = threshold;
    options.short_abandon = contract.short_abandon;
    let report = ledger.queue_report(&options)?;
    let sums = sum_rows(report.rows.iter().filter(|row| in_scope(row.queue)));
    let legs: Vec<&LegFact> = ledger.legs().iter().filter(|l| in_scope(l.queue)).collect();
    let short = contract.short_abandon;
    let legs_where = |test: &dyn Fn(&LegFact) -> bool| contacts_where(&legs, test);
    let mut terms = Vec::new();

    if let Some(sl) = &contract.service_level {
        terms.push(service_level(sl, &sums, &legs, short));
    }
    if let Some(max) = contract.abandon_rate_max {
        let short_n = sums.get(Count::ShortAbandoned);
        let abandoned = sums.get(Count::Abandoned) - short_n;
        let offered = sums.get(Count::Offered) - short_n;
        terms.push(
            Term::new(
                "abandon_rate_max",
                format!(
                    "(abandoned − short abandoned) ÷ (offered − short abandoned), short = {short}"
                ),
                Bound::Max,
                max.get(),
            )
            .measured(
                ratio(abandoned, offered),
                format!("{abandoned} of {offered}"),
                legs_where(&|l| {
                    Count::Abandoned.includes(l, threshold, short)
                        && !Count::ShortAbandoned.includes(l, threshold, short)
                }),
            ),
        );
    }
    if let Some(max) = contract.asa_max_secs {
        let answered = sums.get(Count::Answered);
        let limit = Span::from_millis((max * 1000.0) as u64);
        terms.push(
            Term::new(
                "asa_max_secs",
                "mean wait of answered contacts, seconds",
                Bound::Max,
                max,
            )
            .measured(
                secs(sums.wait_ms, answered),
                format!("{answered} answered"),
                legs_where(&|l| l.disposition == Disposition::Answered && l.wait() > limit),
            ),
        );
    }
    if let Some(max) = contract.aht_max_secs {
        let handled = sums.get(Count::Handled);
        let limit = Span::from_millis((max * 1000.0) as u64);
        terms.push(
            Term::new(
                "aht_max_secs",
                "(talk + hold + wrap-up) ÷ handled, seconds",
                Bound::Max,
                max,
            )
            .measured(
                secs(sums.handle_ms, handled),
                format!("{handled} handled"),
                legs_where(&|l| l.work.as_ref().is_some_and(|w| w.handle() > limit)),
            ),
        );
    }
    let handled: Vec<&LegFact> = legs.iter().copied().filter(|l| l.work.is_some()).collect();
    let outcome_of = |l: &LegFact| l.work.as_ref().and_then(|w| w.outcome.clone());
    if let Some(min) = contract.outcome_coded_min {
        let coded = handled.iter().filter(|l| outcome_of(l).is_some()).count() as u64;
        terms.push(
            Term::new(
                "outcome_coded_min",
                "handled legs with an outcome code ÷ handled legs",
                Bound::Min,
                min.get(),
            )
            .measured(
                ratio(coded, handled.len() as u64),
                format!("{coded} of {}", handled.len()),
                handled
                    .iter()
                    .filter(|l| outcome_of(l).is_none())
                    .map(|l| l.contact)
                    .collect(),
            ),
        );
    }
    if let Some(min) = contract.success_rate_min {
        let term = Term::new(
            "success_rate_min",
            "handled legs with a success outcome ÷ handled legs",
            Bound::Min,
            min.get(),
        );
        let success = |l: &LegFact| {
            settings
                .outcome(outcome_of(l).as_ref())
                .is_some_and(|o| o.success)
        };
        terms.push(if settings.outcomes.values().any(|o| o.success) {
            let n = handled.iter().filter(|l| success(l)).count() as u64;
            term.measured(
                ratio(n, handled.len() as u64),
                format!("{n} of {}", handled.len()),
                handled
                    .iter()
                    .filter(|l| !success(l))
                    .map(|l| l.contact)
                    .collect(),
            )
        } else {
            term.not_measurable("no outcome code has `success = true` in [outcomes]")
        });
    }
    if let Some(min) = contract.fcr_min {
        let fcr = ledger.fcr_report(settings, Interval::Month)?.total;
        terms.push(
            Term::new(
                "fcr_min",
                format!(
                    "handled contacts not repeated within {} days ÷ judged contacts",
                    settings.fcr.window_days
                ),
                Bound::Min,
                min.get(),
            )
            .measured(
                fcr.fcr,
                format!(
                    "{} resolved, {} repeated, {} pending, {} unidentified",
                    fcr.resolved.count,
                    fcr.repeated.count,
                    fcr.pending.count,
                    fcr.unidentified.count
                ),
                fcr.repeated.contacts,
            ),
        );
    }
    if let Some(min) = contract.csat_min {
        let csat = ledger.csat_report(settings, Interval::Month)?.total;
        terms.push(
            Term::new(
                "csat_min",
                format!(
                    "answers scoring {} or more ÷ survey answers",
                    settings.csat.satisfied_min
                ),
                Bound::Min,
                min.get(),
            )
            .measured(
                csat.csat,
                format!("{} of {}", csat.satisfied.count, csat.answers.count),
                csat.dissatisfied.contacts,
            ),
        );
    }
    contact_terms(ledger, settings, contract, &mut terms)?;
    let count = |status| terms.iter().filter(|t| t.status == status).count() as u32;
    Ok(SlaReport {
        contract: contract.name.clone(),
        queues: contract.queues.clone(),
        passed: count(TermStatus::Pass),
        failed: count(TermStatus::Fail),
        no_data: count(TermStatus::NoData),
        not_measurable: count(TermStatus::NotMeasurable),
        terms,
    })
}

fn service_level(sl: &SlTerm, sums: &QueueSums, legs: &[&LegFact], short: Span) -> TermResult {
    let t = sl.threshold;
    let within = sums.get(Count::AnsweredWithin);
    let (definition, part, whole) = match sl.definition {
        SlDefinition::Answered => (
            "answered within T ÷ answered (Asterisk SL)",
            within,
            sums.get(Count::Answered),
        ),
        SlDefinition::Offered => (
            "answered within T ÷ (offered − short abandoned) (Amazon Connect)",
            within,
            sums.get(Count::Offered) - sums.get(Count::ShortAbandoned),
        ),
        SlDefinition::AbandonNeutral => (
            "(answered + abandoned within T) ÷ (answered + abandoned) (Asterisk SL2)",
            within + sums.get(Count::AbandonedWithin),
            sums.get(Count::Answered) + sums.get(Count::Abandoned),
        ),
    };
    // The legs in the denominator and not in the numerator.
    let against = contacts_where(legs, &|l| {
        let answered_within = Count::AnsweredWithin.includes(l, t, short);
        match sl.definition {
            SlDefinition::Answered => Count::Answered.includes(l, t, short) && !answered_within,
            SlDefinition::Offered => {
                !Count::ShortAbandoned.includes(l, t, short) && !answered_within
            }
            SlDefinition::AbandonNeutral => {
                (Count::Answered.includes(l, t, short) || Count::Abandoned.includes(l, t, short))
                    && !answered_within
                    && !Count::AbandonedWithin.includes(l, t, short)
            }
        }
    });
    Term::new(
        "service_level",
        format!("{definition}, T = {t}"),
        Bound::Min,
        sl.target.get(),
    )
    .measured(ratio(part, whole), format!("{part} of {whole}"), against)
}

/// The terms measured from contacts and agent time, and those the log
/// cannot show.
fn contact_terms(
    ledger: &Ledger,
    settings: &ReportSettings,
    contract: &Contract,
    terms: &mut Vec<TermResult>,
) -> Result<(), Error> {
    let cost = ledger.cost_report(settings)?;
    if let Some(max) = contract.cost_per_call_max {
        let term = Term::new(
            "cost_per_call_max",
            "(paid hours × agent hour + telecom minutes × rate + overhead) ÷ handled contacts",
            Bound::Max,
            max.units(),
        );
        let model = &settings.cost;
        terms.push(
            if model.agent_hour == 0.0
                && model.telecom_minute == 0.0
                && model.overhead_per_day == 0.0
            {
                term.not_measurable("the [cost] model is empty: no rate is set")
            } else {
                term.measured(
                    cost.cost_per_call.map(|m| m.units()),
                    format!("{} over {} handled", cost.total_cost, cost.handled.count),
                    Vec::new(),
                )
            },
        );
    }
    if let Some(min) = contract.calls_per_fte_week_min {
        let ftes = cost.agent_paid_hours / contract.fte_week_hours;
        terms.push(
            Term::new(
                "calls_per_fte_week_min",
                format!(
                    "handled contacts ÷ (paid hours ÷ {} h per full-time week)",
                    contract.fte_week_hours
                ),
                Bound::Min,
                min,
            )
            .measured(
                (ftes > 0.0).then(|| cost.handled.count as f64 / ftes),
                format!(
                    "{} handled in {:.1} paid hours",
                    cost.handled.count, cost.agent_paid_hours
                ),
                Vec::new(),
            ),
        );
    }
    if let Some(min) = contract.staffed_hours_min {
        terms.push(
            Term::new(
                "staffed_hours_min",
                "logged-in agent hours",
                Bound::Min,
                min,
            )
            .measured(Some(cost.agent_paid_hours), String::new(), Vec::new()),
        );
    }
    if let Some(min) = contract.roi_min {
        let term = Term::new(
            "roi_min",
            "revenue of the campaigns ÷ their media and handling cost",
            Bound::Min,
            min,
        );
        terms.push(if cost.campaigns.is_empty() {
            term.not_measurable("no campaign in [campaigns]")
        } else {
            let revenue: f64 = cost.campaigns.iter().map(|c| c.revenue.units()).sum();
            let spent: f64 = cost.campaigns.iter().map(|c| c.cost.units()).sum();
            term.measured(
                (spent > 0.0).then(|| revenue / spent),
                format!("revenue {revenue:.2}, cost {spent:.2}"),
                Vec::new(),
            )
        });
    }
    if let Some(min) = contract.quality_min {
        terms.push(
            Term::new(
                "quality_min",
                "mean quality evaluation score",
                Bound::Min,
                min.get(),
            )
            .not_measurable("quality evaluations are not in the event log"),
        );
    }
    if let Some(max) = contract.attrition_max {
        terms.push(
            Term::new(
                "attrition_max",
                "agents who left ÷ average headcount",
                Bound::Max,
                max.get(),
            )
            .not_measurable("hires and departures are not in the event log"),
        );
    }
    if let Some(text) = &contract.reporting {
        terms.push(TermResult {
            term: "reporting".to_owned(),
            definition: text.clone(),
            target: text.clone(),
            measured: None,
            status: TermStatus::NotMeasurable,
            note: "a reporting duty: check its delivery by hand".to_owned(),
            against: Vec::new(),
        });
    }
    for text in &contract.other {
        terms.push(TermResult {
            term: "other".to_owned(),
            definition: text.clone(),
            target: text.clone(),
            measured: None,
            status: TermStatus::NotMeasurable,
            note: "a term in words: the event log cannot show it".to_owned(),
            against: Vec::new(),
        });
    }
    Ok(())
}
