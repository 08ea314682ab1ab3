//! First-contact resolution (FCR, 话务一次解决率).
//!
//! Key types: [`FcrReport`] (the total, one [`FcrRow`] per period and one
//! [`FcrReasonRow`] per call reason), [`FcrFigures`] (the counts with their
//! contacts) and [`Repeat`] (a handled contact and the further contact
//! that made it a repeat).
//!
//! A handled contact is *repeated* when the same customer (see
//! [`Customer`]) made a further contact — arriving later, or at the same
//! millisecond with a higher id — on the same call reason within the
//! window (default 7 days of 24 hours) after the handled one arrived. Any
//! further contact counts, answered or not: a caller who gives up and calls
//! again was not helped. A contact without a reason cannot be told apart
//! from another matter, so it matches any reason: FCR is never overstated.
//!
//! It is *resolved* when there was no such contact and the whole window
//! lies inside the log; *pending* when there was none so far but the
//! window had not elapsed at the log's last fact; *unidentified* when
//! neither a `customer` attribute nor a caller number tells who called.
//! FCR = resolved ÷ (resolved + repeated): pending and unidentified
//! contacts are listed apart and counted in neither, so the latest days do
//! not look resolved (nor unresolved) before their time. A contact belongs
//! to the period, and the reason, of its own arrival.

use std::collections::BTreeMap;

use acd::model::{Code, ContactId, Span, Time};
use jiff::{Timestamp, Zoned};
use serde::Serialize;

use crate::Ledger;
use crate::contact::{ContactFacts, ContactList, Customer};
use crate::error::Error;
use crate::interval::{Bucketing, Interval};
use crate::queue::ratio;
use crate::settings::ReportSettings;

/// A handled contact followed by a further one on the same matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repeat {
    /// The handled contact.
    pub contact: ContactId,
    /// The first further contact within the window.
    pub repeat: ContactId,
    /// Who called both times.
    pub customer: Customer,
    /// The handled contact's reason.
    pub reason: Option<Code>,
    /// From the first arrival to the second.
    pub after: Span,
}

/// FCR figures of a set of handled contacts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FcrFigures {
    /// Handled contacts: resolved + repeated + pending + unidentified.
    pub handled: u64,
    /// No further contact on the same matter within the window.
    pub resolved: ContactList,
    /// A further contact came within the window.
    pub repeated: ContactList,
    /// Each repeated contact with the contact that repeated it.
    pub repeats: Vec<Repeat>,
    /// No further contact yet, but the window had not elapsed.
    pub pending: ContactList,
    /// Neither customer id nor caller number.
    pub unidentified: ContactList,
    /// Resolved ÷ (resolved + repeated).
    pub fcr: Option<f64>,
}

impl FcrFigures {
    fn add(&mut self, id: ContactId, judgement: &Judgement) {
        self.handled += 1;
        match judgement {
            Judgement::Resolved => self.resolved.push(id),
            Judgement::Repeated(repeat) => {
                self.repeated.push(id);
                self.repeats.push(repeat.clone());
            }
            Judgement::Pending => self.pending.push(id),
            Judgement::Unidentified => self.unidentified.push(id),
        }
        self.fcr = ratio(
            self.resolved.count,
            self.resolved.count + self.repeated.count,
        );
    }
}

/// One period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FcrRow {
    /// Local start of the period.
    pub start: Zoned,
    /// Its figures.
    #[serde(flatten)]
    pub figures: FcrFigures,
}

/// One call reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FcrReasonRow {
    /// The reason; `None`: contacts without one.
    pub reason: Option<Code>,
    /// Its figures.
    #[serde(flatten)]
    pub figures: FcrFigures,
}

/// The FCR report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FcrReport {
    /// The window in days.
    pub window_days: u32,
    /// The period length of `rows`.
    pub interval: Interval,
    /// The log's last fact: windows ending later are pending.
    pub judged_at: Time,
    /// All handled contacts.
    pub total: FcrFigures,
    /// By period of arrival.
    pub rows: Vec<FcrRow>,
    /// By call reason, in code order (no reason first).
    pub by_reason: Vec<FcrReasonRow>,
}

/// What became of one handled contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Judgement {
    Resolved,
    Repeated(Repeat),
    Pending,
    Unidentified,
}

fn same_matter(a: &ContactFacts, b: &ContactFacts) -> bool {
    match (&a.reason, &b.reason) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// The judgement of every handled contact, aligned with `facts` (`None`
/// for contacts not handled).
pub(crate) fn judge(facts: &[ContactFacts], end: Time, window: Span) -> Vec<Option<Judgement>> {
    let mut by_customer: BTreeMap<&Customer, Vec<usize>> = BTreeMap::new();
    for (i, f) in facts.iter().enumerate() {
        if let Some(customer) = &f.customer {
            by_customer.entry(customer).or_default().push(i);
        }
    }
    let mut judgements: Vec<Option<Judgement>> = facts
        .iter()
        .map(|f| (f.handled && f.customer.is_none()).then_some(Judgement::Unidentified))
        .collect();
    for (customer, mut indexes) in by_customer {
        indexes.sort_by_key(|&i| (facts[i].arrived, facts[i].id));
        for (k, &i) in indexes.iter().enumerate() {
            let first = &facts[i];
            if !first.handled {
                continue;
            }
            let closes = first.arrived + window;
            let repeat = indexes[k + 1..]
                .iter()
                .map(|&j| &facts[j])
                .take_while(|later| later.arrived <= closes)
                .find(|later| same_matter(first, later));
            judgements[i] = Some(match repeat {
                Some(later) => Judgement::Repeated(Repeat {
                    contact: first.id,
                    repeat: later.id,
                    customer: customer.clone(),
                    reason: first.reason.clone(),
                    after: later.arrived.since(first.arrived),
                }),
                None if end < closes => Judgement::Pending,
                None => Judgement::Resolved,
            });
        }
    }
    judgements
}

pub(crate) fn report(
    ledger: &Ledger,
    settings: &ReportSettings,
    interval: Interval,
) -> Result<FcrReport, Error> {
    let facts = ledger.contact_facts();
    let end = ledger.last_time();
    let bucketing = Bucketing {
        interval,
        time_zone: settings.time_zone.clone(),
    };
    let mut total = FcrFigures::default();
    let mut rows: BTreeMap<Timestamp, FcrRow> = BTreeMap::new();
    let mut by_reason: BTreeMap<Option<Code>, FcrFigures> = BTreeMap::new();
    for (f, judgement) in facts.iter().zip(judge(&facts, end, settings.fcr.window())) {
        let Some(judgement) = judgement else { continue };
        let start = bucketing.start(f.arrived)?;
        total.add(f.id, &judgement);
        rows.entry(start.timestamp())
            .or_insert_with(|| FcrRow {
                start,
                figures: FcrFigures::default(),
            })
            .figures
            .add(f.id, &judgement);
        by_reason
            .entry(f.reason.clone())
            .or_default()
            .add(f.id, &judgement);
    }
    Ok(FcrReport {
        window_days: settings.fcr.window_days,
        interval,
        judged_at: end,
        total,
        rows: rows.into_values().collect(),
        by_reason: by_reason
            .into_iter()
            .map(|(reason, figures)| FcrReasonRow { reason, figures })
            .collect(),
    })
}
