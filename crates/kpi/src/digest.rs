//! The value report (seed 000): what the center created for the business
//! each week or month, not only what it cost.
//!
//! Key types: [`ValueReport`] with one [`ValuePeriod`] per week or month:
//! [`TopicRow`]s (contacts by category, topic and department, with the
//! complaint and praise contacts listed as [`DigestEntry`]s to read and
//! forward, recordings included), [`Leads`] (handed to sales, won, lost,
//! open) and [`Resolutions`] (resolved remotely against site visits).
//!
//! A contact belongs to the period it arrived in. Its category and topic
//! come from `[reasons.<its reason>]` (default: category other, topic the
//! reason code); its department from its `department` attribute, else
//! `[departments]` for the queue of its last handled leg (by queue id or
//! by the queue's name in the log). The mention rate
//! of a topic (seed 000's 问题提及率) is its contacts ÷ the period's
//! contacts; `previous` is the same topic's count in the period before
//! (`None` for the first period of the log), so trends show.
//!
//! Leads are contacts whose outcome code has `lead = true`; one is won when
//! a sale fact for it is won, lost when it has sale facts and none won,
//! open otherwise. Resolutions follow the outcome code's `resolution`. Each
//! contact resolved remotely counts as a site visit avoided; with
//! `[value] site_visit_cost` that is money. Value created = revenue of
//! leads won + visits avoided × visit cost. Customers served wholly
//! remotely are those with a remote resolution and no site visit in the
//! period (seed 000: their service value is the center's).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use acd::model::{AgentId, Code, ContactId, PhoneNumber, Time};
use jiff::{Timestamp, Zoned};
use serde::Serialize;

use crate::Ledger;
use crate::contact::{ContactFacts, ContactList, Customer};
use crate::error::Error;
use crate::fact::{Money, Sale};
use crate::interval::{Bucketing, Interval};
use crate::outcome::Period;
use crate::queue::ratio;
use crate::settings::{Category, ReportSettings, Resolution};

/// A contact to read in the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestEntry {
    /// The contact.
    pub contact: ContactId,
    /// When it arrived.
    pub arrived: Time,
    /// The caller's number.
    pub ani: Option<PhoneNumber>,
    /// Who called.
    pub customer: Option<Customer>,
    /// The agent of the last handled leg.
    pub agent: Option<AgentId>,
    /// The call reason.
    pub reason: Option<Code>,
    /// The outcome code.
    pub outcome: Option<Code>,
    /// The agent's wrap-up notes.
    pub notes: String,
    /// The `recording` attribute.
    pub recording: Option<Code>,
}

impl DigestEntry {
    fn of(f: &ContactFacts) -> Self {
        DigestEntry {
            contact: f.id,
            arrived: f.arrived,
            ani: f.ani.clone(),
            customer: f.customer.clone(),
            agent: f.agent,
            reason: f.reason.clone(),
            outcome: f.outcome.clone(),
            notes: f.notes.clone(),
            recording: f.recording.clone(),
        }
    }
}

/// Contacts of one category, topic and department in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicRow {
    /// The category.
    pub category: Category,
    /// The topic.
    pub topic: String,
    /// The department; `None` when neither attribute nor queue says.
    pub department: Option<String>,
    /// Its contacts.
    pub contacts: ContactList,
    /// Contacts ÷ the period's contacts.
    pub mention_rate: f64,
    /// The same topic's count in the period before.
    pub previous: Option<u64>,
    /// The contacts to read: complaints and praise only.
    pub entries: Vec<DigestEntry>,
}

/// Leads handed to sales in one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Leads {
    /// Contacts whose outcome is a lead.
    pub handed: ContactList,
    /// Of those, won.
    pub won: ContactList,
    /// Closed without a win.
    pub lost: ContactList,
    /// Not closed yet.
    pub open: ContactList,
    /// Revenue of the won sales.
    pub won_revenue: Money,
    /// Won ÷ (won + lost).
    pub win_rate: Option<f64>,
}

/// Problems resolved remotely against site visits in one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Resolutions {
    /// Resolved on the phone.
    pub remote: ContactList,
    /// Needed a site visit.
    pub site_visit: ContactList,
    /// Remote ÷ (remote + site visits).
    pub remote_share: Option<f64>,
    /// Remote resolutions × site visit cost.
    pub visits_avoided_value: Option<Money>,
    /// Site visits minus those of the period before.
    pub site_visits_change: Option<i64>,
    /// Customers with a remote resolution and no site visit.
    pub customers_served_remotely: u64,
}

/// One week or month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValuePeriod {
    /// Local start of the period.
    pub start: Zoned,
    /// Contacts that arrived in it.
    pub contacts: u64,
    /// Contacts whose reason is a complaint.
    pub complaints: ContactList,
    /// Contacts whose reason is praise.
    pub praise: ContactList,
    /// By category, then count (largest first), then topic.
    pub topics: Vec<TopicRow>,
    /// Leads handed to sales.
    pub leads: Leads,
    /// Remote resolutions and site visits.
    pub resolution: Resolutions,
    /// Won revenue + visits avoided value.
    pub value_created: Money,
}

/// The value report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueReport {
    /// Week or month.
    pub period: Period,
    /// The currency label from the settings.
    pub currency: String,
    /// By period.
    pub rows: Vec<ValuePeriod>,
}

type TopicKey = (Category, String, Option<String>);

struct Building<'a> {
    start: Zoned,
    contacts: u64,
    complaints: ContactList,
    praise: ContactList,
    topics: BTreeMap<TopicKey, (ContactList, Vec<DigestEntry>)>,
    leads: Leads,
    resolution: Resolutions,
    remote_customers: BTreeSet<&'a Customer>,
    visited_customers: BTreeSet<&'a Customer>,
}

pub(crate) fn report(
    ledger: &Ledger,
    settings: &ReportSettings,
    period: Period,
) -> Result<ValueReport, Error> {
    let bucketing = Bucketing {
        interval: match period {
            Period::Week => Interval::Week,
            Period::Month => Interval::Month,
        },
        time_zone: settings.time_zone.clone(),
    };
    let facts = ledger.contact_facts();
    let mut sales: HashMap<ContactId, Vec<&Sale>> = HashMap::new();
    for sale in ledger.sales() {
        sales.entry(sale.contact).or_default().push(sale);
    }
    let mut periods: BTreeMap<Timestamp, Building<'_>> = BTreeMap::new();
    for f in &facts {
        let start = bucketing.start(f.arrived)?;
        let b = periods
            .entry(start.timestamp())
            .or_insert_with(|| Building {
                start,
                contacts: 0,
                complaints: ContactList::default(),
                praise: ContactList::default(),
                topics: BTreeMap::new(),
                leads: Leads::default(),
                resolution: Resolutions::default(),
                remote_customers: BTreeSet::new(),
                visited_customers: BTreeSet::new(),
            });
        b.contacts += 1;
        let reason = settings.reason(f.reason.as_ref());
        let category = reason.map_or(Category::Other, |r| r.category);
        let topic = reason
            .and_then(|r| r.topic.clone())
            .or_else(|| f.reason.as_ref().map(Code::to_string))
            .unwrap_or_else(|| "(no reason)".to_owned());
        let department = f.department.as_ref().map(Code::to_string).or_else(|| {
            f.queue
                .and_then(|q| settings.department(q, ledger.names()))
                .cloned()
        });
        let (list, entries) = b.topics.entry((category, topic, department)).or_default();
        list.push(f.id);
        match category {
            Category::Complaint => b.complaints.push(f.id),
            Category::Praise => b.praise.push(f.id),
            _ => {}
        }
        if matches!(category, Category::Complaint | Category::Praise) {
            entries.push(DigestEntry::of(f));
        }
        let outcome = settings.outcome(f.outcome.as_ref());
        if outcome.is_some_and(|o| o.lead) {
            count_lead(&mut b.leads, f.id, sales.get(&f.id));
        }
        match outcome.and_then(|o| o.resolution) {
            Some(Resolution::Remote) => {
                b.resolution.remote.push(f.id);
                b.remote_customers.extend(f.customer.as_ref());
            }
            Some(Resolution::SiteVisit) => {
                b.resolution.site_visit.push(f.id);
                b.visited_customers.extend(f.customer.as_ref());
            }
            None => {}
        }
    }
    let mut rows: Vec<ValuePeriod> = Vec::with_capacity(periods.len());
    for b in periods.into_values() {
        let previous = previous_period(&rows, &b.start, &bucketing)?;
        rows.push(finish(b, previous, settings));
    }
    Ok(ValueReport {
        period,
        currency: settings.currency.clone(),
        rows,
    })
}

fn count_lead(leads: &mut Leads, id: ContactId, closed: Option<&Vec<&Sale>>) {
    leads.handed.push(id);
    match closed {
        None => leads.open.push(id),
        Some(closed) if closed.iter().any(|s| s.won) => {
            leads.won.push(id);
            leads.won_revenue = leads.won_revenue
                + closed
                    .iter()
                    .filter(|s| s.won)
                    .map(|s| s.revenue)
                    .sum::<Money>();
        }
        Some(_) => leads.lost.push(id),
    }
    leads.win_rate = ratio(leads.won.count, leads.won.count + leads.lost.count);
}

/// What the period before `start` looked like: `None` before the log's
/// first period, an empty period when the log had no contact in it.
fn previous_period<'a>(
    rows: &'a [ValuePeriod],
    start: &Zoned,
    bucketing: &Bucketing,
) -> Result<Option<Option<&'a ValuePeriod>>, Error> {
    let Some(last) = rows.last() else {
        return Ok(None);
    };
    let ms = u64::try_from(start.timestamp().as_millisecond()).unwrap_or(0);
    let before = bucketing.start(Time::from_millis(ms.saturating_sub(1)))?;
    Ok(Some(
        (before.timestamp() == last.start.timestamp()).then_some(last),
    ))
}

fn finish(
    b: Building<'_>,
    previous: Option<Option<&ValuePeriod>>,
    settings: &ReportSettings,
) -> ValuePeriod {
    let before = |key: &TopicKey| {
        previous.map(|p| {
            p.and_then(|p| {
                p.topics
                    .iter()
                    .find(|t| (&t.category, &t.topic, &t.department) == (&key.0, &key.1, &key.2))
            })
            .map_or(0, |t| t.contacts.count)
        })
    };
    let mut topics: Vec<TopicRow> = b
        .topics
        .into_iter()
        .map(|(key, (contacts, entries))| TopicRow {
            previous: before(&key),
            mention_rate: ratio(contacts.count, b.contacts).unwrap_or(0.0),
            category: key.0,
            topic: key.1,
            department: key.2,
            contacts,
            entries,
        })
        .collect();
    topics.sort_by(|x, y| {
        (x.category, std::cmp::Reverse(x.contacts.count), &x.topic).cmp(&(
            y.category,
            std::cmp::Reverse(y.contacts.count),
            &y.topic,
        ))
    });
    let mut resolution = b.resolution;
    let remote = resolution.remote.count;
    resolution.remote_share = ratio(remote, remote + resolution.site_visit.count);
    resolution.visits_avoided_value = settings
        .value
        .site_visit_cost
        .map(|cost| Money(cost.0 * remote as i64));
    resolution.site_visits_change = previous.map(|p| {
        let before = p.map_or(0, |p| p.resolution.site_visit.count);
        resolution.site_visit.count as i64 - before as i64
    });
    resolution.customers_served_remotely =
        b.remote_customers.difference(&b.visited_customers).count() as u64;
    let value_created = b.leads.won_revenue + resolution.visits_avoided_value.unwrap_or_default();
    ValuePeriod {
        start: b.start,
        contacts: b.contacts,
        complaints: b.complaints,
        praise: b.praise,
        topics,
        leads: b.leads,
        resolution,
        value_created,
    }
}
