//! Call-reason Pareto and a recommended strategy per reason (seed 002).
//!
//! Key types: [`ReasonReport`] with one [`ReasonRow`] per call reason,
//! sorted by volume; [`Assessment`] (the recommended [`Strategy`], the
//! rule that chose it and every [`CriterionValue`] it looked at).
//!
//! Each finished contact counts once, under its reason (see
//! [`crate::contact::ContactFacts::reason`]); contacts without one form the
//! last row, which gets no strategy. Share = the reason's contacts ÷ all
//! contacts; the cumulative share runs down the sorted rows. AHT = handle
//! time ÷ handled contacts of the reason; cost = handle time × the cost
//! model's loaded agent hour. Customer share = customers (see
//! [`crate::contact::Customer`]) who called for the reason ÷ customers who
//! called at all; repeat rate = 1 − FCR of the reason's handled contacts.
//!
//! Seed 002 sorts reasons into three strategies — handled by an agent,
//! moved to self-service, or eliminated at the source (proactive contact,
//! or fixing what makes people call) — on five criteria: volume and cost,
//! share of customers calling for it, precision and reach of proactive
//! contact, importance and urgency, channels and their success rate. The
//! log gives the first two (and the repeat rate); the settings file gives
//! the others per reason. The rules, first match wins, thresholds from
//! `[strategy]`:
//!
//! 1. *eliminate*: proactive reach ≥ `min_reach` and the reason is
//!    significant (customer share ≥ `min_customer_share` or volume share ≥
//!    `min_volume_share`): tell customers before they call;
//! 2. *eliminate*: repeat rate ≥ `max_repeat_rate` and significant: the
//!    calls come back, so fix their cause;
//! 3. *self-service*: self-service success ≥ `min_channel_success` and
//!    importance ≤ `max_self_service_importance`;
//! 4. *agent* otherwise; the rule says which tests failed or lacked data.
//!
//! The avoidable cost is an estimate: the reason's cost × the reach
//! (rule 1), × the repeat rate (rule 2) or × the self-service success
//! (rule 3).

use std::collections::{BTreeMap, BTreeSet};

use acd::model::{Code, Span};
use serde::Serialize;

use crate::Ledger;
use crate::contact::{ContactList, Customer};
use crate::error::Error;
use crate::fact::Money;
use crate::fcr::{Judgement, judge};
use crate::queue::{mean_secs, ratio};
use crate::settings::{ReasonSettings, ReportSettings, StrategyRules};

/// How a call reason should be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Keep with agents.
    Agent,
    /// Move to self-service (IVR, web, app).
    SelfService,
    /// Remove the need to call: proactive contact, or fix the cause.
    Eliminate,
}

/// One of seed 002's criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// The reason's share of contacts.
    VolumeShare,
    /// The reason's share of handling cost.
    CostShare,
    /// Share of customers who called for it.
    CustomerShare,
    /// 1 − FCR of its handled contacts.
    RepeatRate,
    /// Precision and reach of proactive contact (settings).
    ProactiveReach,
    /// Importance and urgency, 1–5 (settings).
    Importance,
    /// Success rate of the self-service channel (settings).
    ChannelSuccess,
}

/// Where a criterion's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionSource {
    /// Computed from the log.
    Data,
    /// Given in the settings file.
    Settings,
    /// Neither: the log cannot tell and the settings do not say.
    Missing,
}

/// A criterion's value for one reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionValue {
    /// The criterion.
    pub criterion: Criterion,
    /// Its value (shares 0–1, importance 1–5); `None` when missing.
    pub value: Option<f64>,
    /// Where it came from.
    pub source: CriterionSource,
}

/// The recommendation for one reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// The recommended strategy.
    pub strategy: Strategy,
    /// The rule that chose it, with the values it compared.
    pub rule: String,
    /// Every criterion, as assessed.
    pub criteria: Vec<CriterionValue>,
    /// Estimated handling cost the strategy would remove.
    pub avoidable_cost: Option<Money>,
}

/// One call reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonRow {
    /// The reason; `None`: contacts without one.
    pub reason: Option<Code>,
    /// Its topic from the settings.
    pub topic: Option<String>,
    /// Its contacts.
    pub contacts: ContactList,
    /// Contacts ÷ all contacts.
    pub share: f64,
    /// Share of this row and every row above it.
    pub cumulative_share: f64,
    /// Contacts an agent handled.
    pub handled: u64,
    /// Talk + hold + wrap-up, in hours.
    pub handle_hours: f64,
    /// Handle time ÷ handled, in seconds.
    pub aht: Option<f64>,
    /// Handle hours × loaded agent hour.
    pub cost: Money,
    /// Distinct customers who called for it.
    pub customers: u64,
    /// Customers ÷ all customers.
    pub customer_share: Option<f64>,
    /// 1 − FCR of its handled contacts (judged ones only).
    pub repeat_rate: Option<f64>,
    /// The recommendation; `None` for contacts without a reason.
    pub assessment: Option<Assessment>,
}

/// The call-reason report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonReport {
    /// Finished contacts.
    pub contacts: u64,
    /// Distinct customers among them.
    pub customers: u64,
    /// Handling cost of all of them.
    pub cost: Money,
    /// The thresholds applied.
    pub rules: StrategyRules,
    /// By volume, largest first; ties by code; no reason last.
    pub rows: Vec<ReasonRow>,
}

#[derive(Default)]
struct Tally<'a> {
    contacts: ContactList,
    handled: u64,
    handle: Span,
    customers: BTreeSet<&'a Customer>,
    resolved: u64,
    repeated: u64,
}

pub(crate) fn report(ledger: &Ledger, settings: &ReportSettings) -> Result<ReasonReport, Error> {
    let facts = ledger.contact_facts();
    let judgements = judge(&facts, ledger.last_time(), settings.fcr.window());
    let mut tallies: BTreeMap<Option<&Code>, Tally<'_>> = BTreeMap::new();
    let mut customers = BTreeSet::new();
    for (f, judgement) in facts.iter().zip(&judgements) {
        let tally = tallies.entry(f.reason.as_ref()).or_default();
        tally.contacts.push(f.id);
        if f.handled {
            tally.handled += 1;
            tally.handle = tally.handle + f.handle;
        }
        if let Some(customer) = &f.customer {
            tally.customers.insert(customer);
            customers.insert(customer);
        }
        match judgement {
            Some(Judgement::Resolved) => tally.resolved += 1,
            Some(Judgement::Repeated(_)) => tally.repeated += 1,
            _ => {}
        }
    }
    let hour_cost = |span: Span| span.as_secs_f64() / 3600.0 * settings.cost.agent_hour;
    let total_contacts = facts.len() as u64;
    let total_cost: f64 = tallies.values().map(|t| hour_cost(t.handle)).sum();
    let mut rows: Vec<ReasonRow> = tallies
        .into_iter()
        .map(|(reason, t)| {
            let cost = hour_cost(t.handle);
            let mut row = ReasonRow {
                reason: reason.cloned(),
                topic: settings.reason(reason).and_then(|r| r.topic.clone()),
                share: ratio(t.contacts.count, total_contacts).unwrap_or(0.0),
                cumulative_share: 0.0,
                handled: t.handled,
                handle_hours: t.handle.as_secs_f64() / 3600.0,
                aht: mean_secs(t.handle.as_millis(), t.handled),
                cost: Money::from_units(cost),
                customers: t.customers.len() as u64,
                customer_share: ratio(t.customers.len() as u64, customers.len() as u64),
                repeat_rate: ratio(t.repeated, t.resolved + t.repeated),
                contacts: t.contacts,
                assessment: None,
            };
            if reason.is_some() {
                let cost_share = (total_cost > 0.0).then(|| cost / total_cost);
                row.assessment = Some(assess(
                    &row,
                    cost,
                    cost_share,
                    settings.reason(reason),
                    &settings.strategy,
                ));
            }
            row
        })
        .collect();
    rows.sort_by(|a, b| {
        (
            a.reason.is_none(),
            std::cmp::Reverse(a.contacts.count),
            &a.reason,
        )
            .cmp(&(
                b.reason.is_none(),
                std::cmp::Reverse(b.contacts.count),
                &b.reason,
            ))
    });
    let mut cumulative = 0;
    for row in &mut rows {
        cumulative += row.contacts.count;
        row.cumulative_share = ratio(cumulative, total_contacts).unwrap_or(0.0);
    }
    Ok(ReasonReport {
        contacts: total_contacts,
        customers: customers.len() as u64,
        cost: Money::from_units(total_cost),
        rules: settings.strategy.clone(),
        rows,
    })
}

fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn assess(
    row: &ReasonRow,
    cost: f64,
    cost_share: Option<f64>,
    given: Option<&ReasonSettings>,
    rules: &StrategyRules,
) -> Assessment {
    let reach = given.and_then(|g| g.proactive_reach).map(|r| r.get());
    let importance = given.and_then(|g| g.importance);
    let channel = given.and_then(|g| g.self_service_success).map(|r| r.get());
    let data = |criterion, value| CriterionValue {
        criterion,
        value,
        source: if value.is_some() {
            CriterionSource::Data
        } else {
            CriterionSource::Missing
        },
    };
    let given_value = |criterion, value: Option<f64>| CriterionValue {
        criterion,
        value,
        source: if value.is_some() {
            CriterionSource::Settings
        } else {
            CriterionSource::Missing
        },
    };
    let criteria = vec![
        data(Criterion::VolumeShare, Some(row.share)),
        data(Criterion::CostShare, cost_share),
        data(Criterion::CustomerShare, row.customer_share),
        data(Criterion::RepeatRate, row.repeat_rate),
        given_value(Criterion::ProactiveReach, reach),
        given_value(Criterion::Importance, importance.map(f64::from)),
        given_value(Criterion::ChannelSuccess, channel),
    ];
    let customer_share = row.customer_share.unwrap_or(0.0);
    let significant =
        customer_share >= rules.min_customer_share || row.share >= rules.min_volume_share;
    let significance = format!(
        "customer share {} (threshold {}), volume share {} (threshold {})",
        pct(customer_share),
        pct(rules.min_customer_share),
        pct(row.share),
        pct(rules.min_volume_share)
    );
    let saving = |factor: f64| Some(Money::from_units(cost * factor));
    let (strategy, rule, avoidable_cost) = match (reach, row.repeat_rate, channel, importance) {
        (Some(reach), ..) if reach >= rules.min_reach && significant => (
            Strategy::Eliminate,
            format!(
                "rule 1, eliminate at the source by proactive contact: reach {} ≥ {}, and \
                 significant: {significance}",
                pct(reach),
                pct(rules.min_reach)
            ),
            saving(reach),
        ),
        (_, Some(repeat), ..) if repeat >= rules.max_repeat_rate && significant => (
            Strategy::Eliminate,
            format!(
                "rule 2, eliminate at the source by fixing the cause: repeat rate {} ≥ {}, and \
                 significant: {significance}",
                pct(repeat),
                pct(rules.max_repeat_rate)
            ),
            saving(repeat),
        ),
        (_, _, Some(success), Some(level))
            if success >= rules.min_channel_success
                && level <= rules.max_self_service_importance =>
        {
            (
                Strategy::SelfService,
                format!(
                    "rule 3, self-service: channel success {} ≥ {} and importance {level} ≤ {}",
                    pct(success),
                    pct(rules.min_channel_success),
                    rules.max_self_service_importance
                ),
                saving(success),
            )
        }
        _ => (
            Strategy::Agent,
            format!(
                "rule 4, agent: {}",
                agent_because(row, reach, channel, importance, significant, rules)
            ),
            None,
        ),
    };
    Assessment {
        strategy,
        rule,
        criteria,
        avoidable_cost,
    }
}

/// Why rules 1 to 3 did not apply.
fn agent_because(
    row: &ReasonRow,
    reach: Option<f64>,
    channel: Option<f64>,
    importance: Option<u8>,
    significant: bool,
    rules: &StrategyRules,
) -> String {
    let mut why = Vec::new();
    if !significant {
        why.push("not significant enough to eliminate".to_owned());
    } else {
        why.push(match reach {
            None => "proactive reach not in the settings".to_owned(),
            Some(r) => format!("reach {} < {}", pct(r), pct(rules.min_reach)),
        });
        why.push(match row.repeat_rate {
            None => "no judged repeat rate".to_owned(),
            Some(r) => format!("repeat rate {} < {}", pct(r), pct(rules.max_repeat_rate)),
        });
    }
    why.push(match channel {
        None => "self-service success not in the settings".to_owned(),
        Some(s) if s < rules.min_channel_success => format!(
            "channel success {} < {}",
            pct(s),
            pct(rules.min_channel_success)
        ),
        Some(_) => "channel succeeds".to_owned(),
    });
    why.push(match importance {
        None => "importance not in the settings".to_owned(),
        Some(i) if i > rules.max_self_service_importance => format!(
            "importance {i} > {} needs a person",
            rules.max_self_service_importance
        ),
        Some(i) => format!("importance {i} allows self-service"),
    });
    why.join("; ")
}
