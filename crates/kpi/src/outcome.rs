//! The outcome-code report.
//!
//! Key types: [`OutcomeOptions`] (period, time zone, which codes are a
//! success, an optional [`Rate`] target), [`OutcomeReport`] with one
//! [`OutcomeRow`] per [`Period`]. A handled leg belongs to the period in
//! which it entered its queue; success rate = handled legs with a success
//! code ÷ handled legs.

use std::collections::{BTreeMap, BTreeSet};

use acd::model::{Code, ContactId};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::Serialize;

use crate::error::Error;
use crate::interval::{Bucketing, Interval};
use crate::legs::LegFact;
use crate::queue::ratio;

/// The period a target is set for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// ISO weeks, from Monday.
    Week,
    /// Calendar months.
    Month,
}

/// A share between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Rate(f64);

impl Rate {
    /// Parses a share; refuses anything outside 0..=1 (and NaN).
    pub fn new(value: f64) -> Result<Self, Error> {
        if (0.0..=1.0).contains(&value) {
            Ok(Rate(value))
        } else {
            Err(Error::Rate(value))
        }
    }

    /// The share.
    pub fn get(self) -> f64 {
        self.0
    }
}

/// Settings of an outcome report.
#[derive(Debug, Clone)]
pub struct OutcomeOptions {
    /// Week or month.
    pub period: Period,
    /// The center's time zone.
    pub time_zone: TimeZone,
    /// Outcome codes that count as a success.
    pub success: BTreeSet<Code>,
    /// The success rate to reach in each period, if one is set.
    pub target: Option<Rate>,
}

impl OutcomeOptions {
    fn bucketing(&self) -> Bucketing {
        Bucketing {
            interval: match self.period {
                Period::Week => Interval::Week,
                Period::Month => Interval::Month,
            },
            time_zone: self.time_zone.clone(),
        }
    }
}

/// One period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeRow {
    /// Local start of the period.
    pub start: Zoned,
    /// Handled legs.
    pub handled: u64,
    /// Handled legs by outcome code.
    pub by_code: BTreeMap<Code, u64>,
    /// Handled legs wrapped up without a code.
    pub uncoded: u64,
    /// Handled legs with a success code.
    pub successes: u64,
    /// Successes ÷ handled.
    pub success_rate: Option<f64>,
    /// The target, if set.
    pub target: Option<Rate>,
    /// Whether the success rate reached the target.
    pub met: Option<bool>,
}

/// The outcome-code report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeReport {
    /// The period length.
    pub period: Period,
    /// Codes counted as success.
    pub success: BTreeSet<Code>,
    /// Rows by period.
    pub rows: Vec<OutcomeRow>,
}

pub(crate) fn report(legs: &[LegFact], options: &OutcomeOptions) -> Result<OutcomeReport, Error> {
    let bucketing = options.bucketing();
    let mut rows: BTreeMap<Timestamp, OutcomeRow> = BTreeMap::new();
    for (leg, work) in legs.iter().filter_map(|l| Some((l, l.work.as_ref()?))) {
        let start = bucketing.start(leg.queued)?;
        let row = rows.entry(start.timestamp()).or_insert_with(|| OutcomeRow {
            start,
            handled: 0,
            by_code: BTreeMap::new(),
            uncoded: 0,
            successes: 0,
            success_rate: None,
            target: options.target,
            met: None,
        });
        row.handled += 1;
        match &work.outcome {
            Some(code) => {
                *row.by_code.entry(code.clone()).or_default() += 1;
                if options.success.contains(code) {
                    row.successes += 1;
                }
            }
            None => row.uncoded += 1,
        }
    }
    let rows = rows
        .into_values()
        .map(|mut row| {
            row.success_rate = ratio(row.successes, row.handled);
            row.met = row
                .target
                .zip(row.success_rate)
                .map(|(target, rate)| rate >= target.get());
            row
        })
        .collect();
    Ok(OutcomeReport {
        period: options.period,
        success: options.success.clone(),
        rows,
    })
}

/// Contacts of the period starting at `start` whose handled leg has
/// `outcome` (`None`: no code).
pub(crate) fn contacts(
    legs: &[LegFact],
    options: &OutcomeOptions,
    start: &Zoned,
    outcome: Option<&Code>,
) -> Result<Vec<ContactId>, Error> {
    let bucketing = options.bucketing();
    let mut ids = Vec::new();
    for (leg, work) in legs.iter().filter_map(|l| Some((l, l.work.as_ref()?))) {
        if work.outcome.as_ref() == outcome
            && bucketing.start(leg.queued)?.timestamp() == start.timestamp()
        {
            ids.push(leg.contact);
        }
    }
    Ok(ids)
}
