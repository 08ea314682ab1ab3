//! The queue interval report.
//!
//! Key types: [`QueueOptions`] (intervals, time zone, service-level
//! threshold, short-abandon threshold), [`QueueReport`] with one
//! [`QueueRow`] per queue and interval, [`Count`] (the counted measures,
//! also the key for drilling down to contact ids) and [`ServiceLevel`]
//! (a value with its [`SlDefinition`] named).
//!
//! A leg belongs to the interval in which it entered its queue. Waits are
//! "within T" when at most T; a short abandon is an abandon after less than
//! the short-abandon threshold, so a zero threshold disables it.

use std::collections::BTreeMap;

use acd::model::{QueueId, Span};
use jiff::{Timestamp, Zoned};
use serde::Serialize;

use crate::error::Error;
use crate::interval::Bucketing;
use crate::legs::{Disposition, Entry, LegFact};

/// Settings of a queue report.
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// Interval length and the center's time zone.
    pub bucketing: Bucketing,
    /// Abandons after less than this are short; zero disables (default 5 s).
    pub short_abandon: Span,
    /// Service-level threshold T for queues not in `thresholds` (default 20 s).
    pub threshold: Span,
    /// Per-queue T, e.g. each queue's configured `service_level_threshold`.
    pub thresholds: BTreeMap<QueueId, Span>,
}

impl QueueOptions {
    /// KPI.md's defaults: T = 20 s, short abandons under 5 s.
    pub fn new(bucketing: Bucketing) -> Self {
        QueueOptions {
            bucketing,
            short_abandon: Span::from_secs(5),
            threshold: Span::from_secs(20),
            thresholds: BTreeMap::new(),
        }
    }

    /// T for `queue`.
    pub fn threshold_for(&self, queue: QueueId) -> Span {
        self.thresholds
            .get(&queue)
            .copied()
            .unwrap_or(self.threshold)
    }
}

/// A counted measure of a queue interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// Legs that entered the queue.
    Offered,
    /// Of those, legs that came by transfer.
    TransferredIn,
    /// Of those, legs that came by another queue's overflow.
    OverflowedIn,
    /// Connected to an agent while waiting on the line.
    Answered,
    /// Answered with a wait of at most T.
    AnsweredWithin,
    /// The caller hung up while waiting (short abandons included).
    Abandoned,
    /// Abandoned after less than the short-abandon threshold.
    ShortAbandoned,
    /// Abandoned with a wait of at most T.
    AbandonedWithin,
    /// Moved to another queue by the maximum wait.
    Overflowed,
    /// Sent to voicemail or callback by the maximum wait.
    TimedOut,
    /// Became a callback at the caller's request.
    CallbackRequested,
    /// An agent connected and wrapped up (answered calls and callbacks).
    Handled,
}

impl Count {
    /// Every measure, in report order.
    pub const ALL: [Count; 12] = [
        Count::Offered,
        Count::TransferredIn,
        Count::OverflowedIn,
        Count::Answered,
        Count::AnsweredWithin,
        Count::Abandoned,
        Count::ShortAbandoned,
        Count::AbandonedWithin,
        Count::Overflowed,
        Count::TimedOut,
        Count::CallbackRequested,
        Count::Handled,
    ];

    /// Whether `leg` counts toward this measure: the one definition used
    /// both for the counts and for drilling down to their contacts.
    pub fn includes(self, leg: &LegFact, threshold: Span, short_abandon: Span) -> bool {
        let within = leg.wait() <= threshold;
        match self {
            Count::Offered => true,
            Count::TransferredIn => leg.entry == Entry::Transfer,
            Count::OverflowedIn => leg.entry == Entry::Overflow,
            Count::Answered => leg.disposition == Disposition::Answered,
            Count::AnsweredWithin => leg.disposition == Disposition::Answered && within,
            Count::Abandoned => leg.disposition == Disposition::Abandoned,
            Count::ShortAbandoned => {
                leg.disposition == Disposition::Abandoned && leg.wait() < short_abandon
            }
            Count::AbandonedWithin => leg.disposition == Disposition::Abandoned && within,
            Count::Overflowed => leg.disposition == Disposition::Overflowed,
            Count::TimedOut => leg.disposition == Disposition::TimedOut,
            Count::CallbackRequested => leg.disposition == Disposition::CallbackRequested,
            Count::Handled => leg.work.is_some(),
        }
    }
}

/// Which service-level definition a value follows (KPI.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlDefinition {
    /// Answered within T ÷ answered (Asterisk SL).
    Answered,
    /// Answered within T ÷ (offered − short abandoned) (Amazon Connect).
    Offered,
    /// (Answered + abandoned within T) ÷ (answered + abandoned) (Asterisk SL2).
    AbandonNeutral,
}

/// A service level with its definition and its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceLevel {
    /// The definition.
    pub definition: SlDefinition,
    /// Contacts within T.
    pub within: u64,
    /// Contacts counted.
    pub of: u64,
    /// `within ÷ of`; `None` when nothing was counted.
    pub value: Option<f64>,
}

impl ServiceLevel {
    fn new(definition: SlDefinition, within: u64, of: u64) -> Self {
        ServiceLevel {
            definition,
            within,
            of,
            value: ratio(within, of),
        }
    }
}

/// One queue in one interval. Averages and `max_wait` are in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueRow {
    /// The queue.
    pub queue: QueueId,
    /// Local start of the interval.
    pub start: Zoned,
    /// The service-level threshold T applied.
    pub threshold: Span,
    /// Every [`Count`].
    pub counts: BTreeMap<Count, u64>,
    /// Service level by each definition.
    pub service_level: Vec<ServiceLevel>,
    /// Mean wait of answered legs.
    pub asa: Option<f64>,
    /// Mean wait of abandoned legs, short abandons excluded.
    pub average_abandon_time: Option<f64>,
    /// (Abandoned − short) ÷ (offered − short).
    pub abandon_rate: Option<f64>,
    /// Longest line wait of any leg.
    pub max_wait: f64,
    /// (Talk + hold + wrap-up) ÷ handled.
    pub aht: Option<f64>,
}

impl QueueRow {
    /// The value of one count.
    pub fn count(&self, count: Count) -> u64 {
        self.counts.get(&count).copied().unwrap_or(0)
    }

    /// The service level by `definition`.
    pub fn service_level(&self, definition: SlDefinition) -> Option<f64> {
        self.service_level
            .iter()
            .find(|sl| sl.definition == definition)
            .and_then(|sl| sl.value)
    }
}

/// The queue interval report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueReport {
    /// The short-abandon threshold applied.
    pub short_abandon: Span,
    /// Rows by queue, then interval.
    pub rows: Vec<QueueRow>,
}

impl QueueReport {
    /// The row of `queue` for the interval starting at `start`.
    pub fn row(&self, queue: QueueId, start: &Zoned) -> Option<&QueueRow> {
        self.rows
            .iter()
            .find(|r| r.queue == queue && r.start.timestamp() == start.timestamp())
    }
}

#[derive(Default)]
struct Tally {
    counts: [u64; Count::ALL.len()],
    answered_wait: u64,
    abandon_wait: u64,
    max_wait: u64,
    handle: u64,
}

impl Tally {
    fn get(&self, count: Count) -> u64 {
        self.counts[count as usize]
    }
}

pub(crate) fn report(legs: &[LegFact], options: &QueueOptions) -> Result<QueueReport, Error> {
    let mut tallies: BTreeMap<(QueueId, Timestamp), (Zoned, Tally)> = BTreeMap::new();
    for leg in legs {
        let start = options.bucketing.start(leg.queued)?;
        let threshold = options.threshold_for(leg.queue);
        let (_, tally) = tallies
            .entry((leg.queue, start.timestamp()))
            .or_insert_with(|| (start, Tally::default()));
        for count in Count::ALL {
            if count.includes(leg, threshold, options.short_abandon) {
                tally.counts[count as usize] += 1;
            }
        }
        let wait = leg.wait().as_millis();
        tally.max_wait = tally.max_wait.max(wait);
        match leg.disposition {
            Disposition::Answered => tally.answered_wait += wait,
            Disposition::Abandoned
                if !Count::ShortAbandoned.includes(leg, threshold, options.short_abandon) =>
            {
                tally.abandon_wait += wait;
            }
            _ => {}
        }
        if let Some(work) = &leg.work {
            tally.handle += work.handle().as_millis();
        }
    }
    let rows = tallies
        .into_iter()
        .map(|((queue, _), (start, t))| {
            let answered = t.get(Count::Answered);
            let abandoned = t.get(Count::Abandoned);
            let short = t.get(Count::ShortAbandoned);
            let offered = t.get(Count::Offered);
            let within = t.get(Count::AnsweredWithin);
            QueueRow {
                queue,
                start,
                threshold: options.threshold_for(queue),
                counts: Count::ALL.iter().map(|&c| (c, t.get(c))).collect(),
                service_level: vec![
                    ServiceLevel::new(SlDefinition::Answered, within, answered),
                    ServiceLevel::new(SlDefinition::Offered, within, offered - short),
                    ServiceLevel::new(
                        SlDefinition::AbandonNeutral,
                        within + t.get(Count::AbandonedWithin),
                        answered + abandoned,
                    ),
                ],
                asa: mean_secs(t.answered_wait, answered),
                average_abandon_time: mean_secs(t.abandon_wait, abandoned - short),
                abandon_rate: ratio(abandoned - short, offered - short),
                max_wait: Span::from_millis(t.max_wait).as_secs_f64(),
                aht: mean_secs(t.handle, t.get(Count::Handled)),
            }
        })
        .collect();
    Ok(QueueReport {
        short_abandon: options.short_abandon,
        rows,
    })
}

pub(crate) fn contacts(
    legs: &[LegFact],
    options: &QueueOptions,
    queue: QueueId,
    start: &Zoned,
    count: Count,
) -> Result<Vec<acd::model::ContactId>, Error> {
    let threshold = options.threshold_for(queue);
    let mut ids = Vec::new();
    for leg in legs.iter().filter(|leg| leg.queue == queue) {
        if options.bucketing.start(leg.queued)?.timestamp() == start.timestamp()
            && count.includes(leg, threshold, options.short_abandon)
        {
            ids.push(leg.contact);
        }
    }
    Ok(ids)
}

/// `part ÷ whole`, `None` when `whole` is zero.
pub(crate) fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Mean of `total_ms` over `n`, in seconds.
pub(crate) fn mean_secs(total_ms: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| total_ms as f64 / 1000.0 / n as f64)
}
