//! Cost per call and campaign ROI, from the settings' cost model.
//!
//! Key types: [`CostReport`] (the center's cost over the log and its cost
//! per handled call) with one [`CampaignRow`] per configured campaign.
//!
//! The report covers the log given (pass a month's facts for a monthly
//! figure). Cost = agent paid hours × loaded agent hour + telecom minutes
//! × minute rate + overhead per day × days covered, where
//! - agent paid hours are the agents' logged-in hours, as in the agent
//!   report (not-ready time is paid, logged-out time is not);
//! - telecom minutes are the minutes callers spent on the line (see
//!   [`crate::contact::ContactFacts::line`]);
//! - days covered are the local calendar days from the first contact's
//!   arrival to the log's last fact, both included.
//!
//! Cost per call = cost ÷ handled contacts (a contact an agent handled,
//! counted once however many legs it had).
//!
//! A campaign is the set of contacts that dialled one of its advertised
//! numbers (DNIS). Its revenue per contact is the revenue of the contact's
//! won sales when the CRM logged a sale fact for it (won or lost), else
//! the `revenue` of its outcome code in `[outcomes]`: a sale fact is the
//! real amount and replaces the estimate, so nothing is counted twice. Its
//! cost is the campaign's own `cost` plus its handled contacts × the
//! center's cost per call; ROI = revenue ÷ cost (seed 003 quotes 10:1 for
//! outbound). Responders are the distinct customers among its contacts (a
//! contact nobody can be identified for counts as one); response rate =
//! responders ÷ `contacted`.

use std::collections::{BTreeSet, HashMap};

use acd::model::{Code, ContactId, PhoneNumber, Span};
use serde::Serialize;

use crate::Ledger;
use crate::contact::{ContactFacts, ContactList};
use crate::error::Error;
use crate::fact::{Money, Sale};
use crate::interval::{Bucketing, Interval};
use crate::queue::ratio;
use crate::settings::{Campaign, CostModel, ReportSettings};

/// One campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignRow {
    /// Its key in the settings.
    pub key: Code,
    /// Its name.
    pub name: String,
    /// Its advertised numbers.
    pub dnis: Vec<PhoneNumber>,
    /// Contacts that dialled them.
    pub contacts: ContactList,
    /// Of those, handled by an agent.
    pub handled: ContactList,
    /// Distinct customers among the contacts.
    pub responders: u64,
    /// People the campaign reached, from the settings.
    pub contacted: Option<u64>,
    /// Responders ÷ contacted.
    pub response_rate: Option<f64>,
    /// Revenue from outcome codes (contacts without a sale fact).
    pub revenue_from_outcomes: Money,
    /// Revenue from won sales.
    pub revenue_from_sales: Money,
    /// The two together.
    pub revenue: Money,
    /// Contacts with a won sale.
    pub won: ContactList,
    /// The campaign's own cost, from the settings.
    pub media_cost: Money,
    /// Handled contacts × the center's cost per call.
    pub handling_cost: Money,
    /// Media + handling cost.
    pub cost: Money,
    /// Revenue ÷ cost.
    pub roi: Option<f64>,
}

/// The cost report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    /// The model applied.
    pub model: CostModel,
    /// Local calendar days covered.
    pub days: u64,
    /// Logged-in agent hours.
    pub agent_paid_hours: f64,
    /// Paid hours × loaded agent hour.
    pub agent_cost: Money,
    /// Minutes callers were on the line.
    pub telecom_minutes: f64,
    /// Minutes × minute rate.
    pub telecom_cost: Money,
    /// Overhead per day × days.
    pub overhead_cost: Money,
    /// Agent + telecom + overhead.
    pub total_cost: Money,
    /// Contacts an agent handled.
    pub handled: ContactList,
    /// Total cost ÷ handled.
    pub cost_per_call: Option<Money>,
    /// One row per campaign, in key order.
    pub campaigns: Vec<CampaignRow>,
}

fn days_covered(
    ledger: &Ledger,
    facts: &[ContactFacts],
    bucketing: &Bucketing,
) -> Result<u64, Error> {
    let Some(first) = facts.iter().map(|f| f.arrived).min() else {
        return Ok(0);
    };
    let first_day = bucketing.start(first)?.date();
    let last_day = bucketing.start(ledger.last_time().max(first))?.date();
    Ok(u64::try_from((last_day - first_day).get_days()).unwrap_or(0) + 1)
}

pub(crate) fn report(ledger: &Ledger, settings: &ReportSettings) -> Result<CostReport, Error> {
    let facts = ledger.contact_facts();
    let model = &settings.cost;
    let paid = ledger
        .agent_report(None)?
        .rows
        .iter()
        .fold(Span::ZERO, |sum, row| sum + row.logged_in);
    let agent_paid_hours = paid.as_secs_f64() / 3600.0;
    let line = facts.iter().fold(Span::ZERO, |sum, f| sum + f.line);
    let telecom_minutes = line.as_secs_f64() / 60.0;
    let days = days_covered(
        ledger,
        &facts,
        &Bucketing {
            interval: Interval::Day,
            time_zone: settings.time_zone.clone(),
        },
    )?;
    let agent_cost = Money::from_units(agent_paid_hours * model.agent_hour);
    let telecom_cost = Money::from_units(telecom_minutes * model.telecom_minute);
    let overhead_cost = Money::from_units(days as f64 * model.overhead_per_day);
    let total_cost = agent_cost + telecom_cost + overhead_cost;
    let mut handled = ContactList::default();
    for f in facts.iter().filter(|f| f.handled) {
        handled.push(f.id);
    }
    let cost_per_call =
        (handled.count > 0).then(|| Money::from_units(total_cost.units() / handled.count as f64));
    let mut sales: HashMap<ContactId, Vec<&Sale>> = HashMap::new();
    for sale in ledger.sales() {
        sales.entry(sale.contact).or_default().push(sale);
    }
    let campaigns = settings
        .campaigns
        .iter()
        .map(|c| campaign(c, &facts, &sales, settings, cost_per_call))
        .collect();
    Ok(CostReport {
        model: model.clone(),
        days,
        agent_paid_hours,
        agent_cost,
        telecom_minutes,
        telecom_cost,
        overhead_cost,
        total_cost,
        handled,
        cost_per_call,
        campaigns,
    })
}

fn campaign(
    c: &Campaign,
    facts: &[ContactFacts],
    sales: &HashMap<ContactId, Vec<&Sale>>,
    settings: &ReportSettings,
    cost_per_call: Option<Money>,
) -> CampaignRow {
    let mut contacts = ContactList::default();
    let mut handled = ContactList::default();
    let mut won = ContactList::default();
    let mut customers = BTreeSet::new();
    let mut unidentified = 0;
    let (mut from_outcomes, mut from_sales) = (Money::default(), Money::default());
    for f in facts.iter().filter(|f| c.dnis.contains(&f.dnis)) {
        contacts.push(f.id);
        if f.handled {
            handled.push(f.id);
        }
        match &f.customer {
            Some(customer) => {
                customers.insert(customer);
            }
            None => unidentified += 1,
        }
        match sales.get(&f.id) {
            Some(closed) => {
                let revenue: Money = closed.iter().filter(|s| s.won).map(|s| s.revenue).sum();
                if closed.iter().any(|s| s.won) {
                    won.push(f.id);
                }
                from_sales = from_sales + revenue;
            }
            None => {
                if let Some(outcome) = settings.outcome(f.outcome.as_ref()) {
                    from_outcomes = from_outcomes + outcome.revenue;
                }
            }
        }
    }
    let responders = customers.len() as u64 + unidentified;
    let handling_cost = Money(cost_per_call.map_or(0, |m| m.0) * handled.count as i64);
    let cost = c.cost + handling_cost;
    let revenue = from_outcomes + from_sales;
    CampaignRow {
        key: c.key.clone(),
        name: c.name.clone(),
        dnis: c.dnis.clone(),
        contacts,
        handled,
        responders,
        contacted: c.contacted,
        response_rate: c.contacted.and_then(|n| ratio(responders, n)),
        revenue_from_outcomes: from_outcomes,
        revenue_from_sales: from_sales,
        revenue,
        won,
        media_cost: c.cost,
        handling_cost,
        cost,
        roi: (cost.0 > 0).then(|| revenue.units() / cost.units()),
    }
}
