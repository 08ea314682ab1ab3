//! The queue interval report.
//!
//! Key types: [`QueueOptions`] (intervals, time zone, service-level
//! threshold, short-abandon threshold), [`QueueReport`] with one
//! [`QueueRow`] per queue and interval, [`Count`] (the counted measures,
//! also the key for drilling down to contact ids) and [`ServiceLevel`]
//! (a value with its [`SlDefinition`] named), and [`QueueTally`], the
//! mergeable summary of a queue's legs in one period from which every row
//! is computed (the store keeps one per queue and UTC quarter hour), with
//! its [`WaitHistogram`]s.
//!
//! A leg belongs to the interval in which it entered its queue. Waits are
//! "within T" when at most T; a short abandon is an abandon within the
//! short-abandon threshold, and a zero threshold disables it. Both
//! thresholds are whole seconds, which is what lets a tally kept once answer
//! every threshold exactly.

use std::collections::BTreeMap;

use acd::model::{QueueId, Span, Time};
use jiff::{Timestamp, Zoned};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::interval::{BucketCache, Bucketing};
use crate::legs::{Disposition, Entry, LegFact};

/// Settings of a queue report.
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// Interval length and the center's time zone.
    pub bucketing: Bucketing,
    /// Abandons within this are short; zero disables (default 5 s).
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

    fn check(&self) -> Result<(), Error> {
        let whole = |span: Span| {
            span.as_millis().is_multiple_of(1000) && span.as_millis() / 1000 <= MAX_SECS
        };
        for span in [self.threshold, self.short_abandon]
            .into_iter()
            .chain(self.thresholds.values().copied())
        {
            if !whole(span) {
                return Err(Error::Threshold(span));
            }
        }
        Ok(())
    }
}

/// The longest threshold a report accepts: a day.
const MAX_SECS: u64 = 86_400;

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
    /// Abandoned within the short-abandon threshold (unless it is zero).
    ShortAbandoned,
    /// Abandoned with a wait of at most T.
    AbandonedWithin,
    /// Moved to another queue by the maximum wait.
    Overflowed,
    /// Sent to voicemail or callback by the maximum wait.
    TimedOut,
    /// Became a callback at the caller's request.
    CallbackRequested,
    /// Still in progress when the server crashed (offered, not answered,
    /// not abandoned).
    Interrupted,
    /// An agent connected and wrapped up (answered calls and callbacks).
    Handled,
}

impl Count {
    /// Every measure, in report order.
    pub const ALL: [Count; 13] = [
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
        Count::Interrupted,
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
                leg.disposition == Disposition::Abandoned
                    && short_abandon > Span::ZERO
                    && leg.wait() <= short_abandon
            }
            Count::AbandonedWithin => leg.disposition == Disposition::Abandoned && within,
            Count::Overflowed => leg.disposition == Disposition::Overflowed,
            Count::TimedOut => leg.disposition == Disposition::TimedOut,
            Count::CallbackRequested => leg.disposition == Disposition::CallbackRequested,
            Count::Interrupted => leg.disposition == Disposition::Interrupted,
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

/// Waits counted by whole seconds rounded up, with the milliseconds summed
/// per second: "wait ≤ T" for a whole-second T is "rounded-up wait ≤ T", so
/// counts and sums at any threshold are exact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitHistogram {
    /// `(rounded-up seconds, count, total milliseconds)`, by seconds.
    bins: Vec<(u32, u64, u64)>,
}

impl WaitHistogram {
    /// Counts one wait.
    pub fn add(&mut self, wait: Span) {
        let ms = wait.as_millis();
        let secs = u32::try_from(ms.div_ceil(1000)).unwrap_or(u32::MAX);
        match self.bins.binary_search_by_key(&secs, |bin| bin.0) {
            Ok(i) => {
                self.bins[i].1 += 1;
                self.bins[i].2 += ms;
            }
            Err(i) => self.bins.insert(i, (secs, 1, ms)),
        }
    }

    /// Adds another histogram's waits.
    pub fn merge(&mut self, other: &WaitHistogram) {
        let mut merged = Vec::with_capacity(self.bins.len() + other.bins.len());
        let (mut a, mut b) = (self.bins.iter().peekable(), other.bins.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    let bin = (x.0, x.1 + y.1, x.2 + y.2);
                    a.next();
                    b.next();
                    bin
                }
                (Some(x), Some(y)) if x.0 < y.0 => *a.next().expect("peeked"),
                (Some(_), Some(_)) | (None, Some(_)) => *b.next().expect("peeked"),
                (Some(_), None) => *a.next().expect("peeked"),
                (None, None) => break,
            };
            merged.push(next);
        }
        self.bins = merged;
    }

    /// Number of waits.
    pub fn count(&self) -> u64 {
        self.bins.iter().map(|bin| bin.1).sum()
    }

    /// Sum of the waits in milliseconds.
    pub fn total_ms(&self) -> u64 {
        self.bins.iter().map(|bin| bin.2).sum()
    }

    /// Count and millisecond sum of the waits of at most `limit`, a whole
    /// number of seconds.
    pub fn within(&self, limit: Span) -> (u64, u64) {
        let secs = limit.as_millis() / 1000;
        self.bins
            .iter()
            .take_while(|bin| u64::from(bin.0) <= secs)
            .fold((0, 0), |(n, ms), bin| (n + bin.1, ms + bin.2))
    }

    /// The longest wait, rounded up to the second.
    pub fn max_secs(&self) -> u32 {
        self.bins.last().map_or(0, |bin| bin.0)
    }
}

/// Everything a queue report needs about a set of legs, independent of the
/// thresholds and mergeable: two periods' tallies merged are the tally of
/// both. The store keeps one per queue and UTC quarter hour.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueTally {
    /// Legs that entered the queue.
    pub offered: u64,
    /// Of those, by transfer.
    pub transferred_in: u64,
    /// Of those, by another queue's overflow.
    pub overflowed_in: u64,
    /// Waits of answered legs.
    pub answered: WaitHistogram,
    /// Waits of abandoned legs.
    pub abandoned: WaitHistogram,
    /// Legs moved to another queue by the maximum wait.
    pub overflowed: u64,
    /// Legs sent to voicemail or callback by the maximum wait.
    pub timed_out: u64,
    /// Legs that became callbacks at the caller's request.
    pub callback_requested: u64,
    /// Legs in progress when the server crashed (absent from tallies
    /// stored before the count existed, hence the default).
    #[serde(default)]
    pub interrupted: u64,
    /// Legs an agent connected and wrapped up.
    pub handled: u64,
    /// Their talk + hold + wrap-up, in milliseconds.
    pub handle_ms: u64,
    /// The longest line wait of any leg, in milliseconds.
    pub max_wait_ms: u64,
}

impl QueueTally {
    /// Counts one leg.
    pub fn add(&mut self, leg: &LegFact) {
        let wait = leg.wait();
        self.offered += 1;
        match leg.entry {
            Entry::Arrival => {}
            Entry::Transfer => self.transferred_in += 1,
            Entry::Overflow => self.overflowed_in += 1,
        }
        match leg.disposition {
            Disposition::Answered => self.answered.add(wait),
            Disposition::Abandoned => self.abandoned.add(wait),
            Disposition::Overflowed => self.overflowed += 1,
            Disposition::TimedOut => self.timed_out += 1,
            Disposition::CallbackRequested => self.callback_requested += 1,
            Disposition::Interrupted => self.interrupted += 1,
        }
        if let Some(work) = &leg.work {
            self.handled += 1;
            self.handle_ms += work.handle().as_millis();
        }
        self.max_wait_ms = self.max_wait_ms.max(wait.as_millis());
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: &QueueTally) {
        self.offered += other.offered;
        self.transferred_in += other.transferred_in;
        self.overflowed_in += other.overflowed_in;
        self.answered.merge(&other.answered);
        self.abandoned.merge(&other.abandoned);
        self.overflowed += other.overflowed;
        self.timed_out += other.timed_out;
        self.callback_requested += other.callback_requested;
        self.interrupted += other.interrupted;
        self.handled += other.handled;
        self.handle_ms += other.handle_ms;
        self.max_wait_ms = self.max_wait_ms.max(other.max_wait_ms);
    }

    /// The report row of these legs under thresholds `threshold` (T) and
    /// `short_abandon`, both whole seconds.
    pub fn row(
        &self,
        queue: QueueId,
        start: Zoned,
        threshold: Span,
        short_abandon: Span,
    ) -> QueueRow {
        let answered = self.answered.count();
        let abandoned = self.abandoned.count();
        let (short, short_ms) = if short_abandon > Span::ZERO {
            self.abandoned.within(short_abandon)
        } else {
            (0, 0)
        };
        let (within, _) = self.answered.within(threshold);
        let (abandoned_within, _) = self.abandoned.within(threshold);
        let offered = self.offered;
        let counts = Count::ALL
            .iter()
            .map(|&count| {
                let value = match count {
                    Count::Offered => offered,
                    Count::TransferredIn => self.transferred_in,
                    Count::OverflowedIn => self.overflowed_in,
                    Count::Answered => answered,
                    Count::AnsweredWithin => within,
                    Count::Abandoned => abandoned,
                    Count::ShortAbandoned => short,
                    Count::AbandonedWithin => abandoned_within,
                    Count::Overflowed => self.overflowed,
                    Count::TimedOut => self.timed_out,
                    Count::CallbackRequested => self.callback_requested,
                    Count::Interrupted => self.interrupted,
                    Count::Handled => self.handled,
                };
                (count, value)
            })
            .collect();
        QueueRow {
            queue,
            start,
            threshold,
            counts,
            service_level: vec![
                ServiceLevel::new(SlDefinition::Answered, within, answered),
                ServiceLevel::new(SlDefinition::Offered, within, offered - short),
                ServiceLevel::new(
                    SlDefinition::AbandonNeutral,
                    within + abandoned_within,
                    answered + abandoned,
                ),
            ],
            asa: mean_secs(self.answered.total_ms(), answered),
            average_abandon_time: mean_secs(
                self.abandoned.total_ms() - short_ms,
                abandoned - short,
            ),
            abandon_rate: ratio(abandoned - short, offered - short),
            max_wait: Span::from_millis(self.max_wait_ms).as_secs_f64(),
            aht: mean_secs(self.handle_ms, self.handled),
        }
    }
}

/// Groups tallies into report intervals: feed legs or stored slot tallies,
/// then [`finish`](Self::finish).
#[derive(Debug)]
pub struct QueueAggregator<'a> {
    options: &'a QueueOptions,
    cache: BucketCache,
    tallies: FxHashMap<(QueueId, Timestamp), (Zoned, QueueTally)>,
}

impl<'a> QueueAggregator<'a> {
    /// An empty report under `options`; refuses thresholds that are not
    /// whole seconds (up to a day).
    pub fn new(options: &'a QueueOptions) -> Result<Self, Error> {
        options.check()?;
        Ok(QueueAggregator {
            options,
            cache: BucketCache::new(options.bucketing.clone()),
            tallies: FxHashMap::default(),
        })
    }

    fn entry(&mut self, queue: QueueId, at: Time) -> Result<&mut QueueTally, Error> {
        let start = self.cache.start(at)?;
        let (_, tally) = self
            .tallies
            .entry((queue, start.timestamp()))
            .or_insert_with(|| (start.clone(), QueueTally::default()));
        Ok(tally)
    }

    /// Counts a leg in the interval it entered its queue.
    pub fn add_leg(&mut self, leg: &LegFact) -> Result<(), Error> {
        self.entry(leg.queue, leg.queued)?.add(leg);
        Ok(())
    }

    /// Adds the tally of `queue`'s legs that entered in the UTC quarter
    /// hour starting at `slot` (see [`crate::interval::SLOT`]).
    pub fn add_slot(
        &mut self,
        queue: QueueId,
        slot: Time,
        tally: &QueueTally,
    ) -> Result<(), Error> {
        self.entry(queue, slot)?.merge(tally);
        Ok(())
    }

    /// The report, rows by queue then interval.
    pub fn finish(self) -> QueueReport {
        let mut tallies: Vec<_> = self.tallies.into_iter().collect();
        tallies.sort_unstable_by_key(|(key, _)| *key);
        let options = self.options;
        let rows = tallies
            .into_iter()
            .map(|((queue, _), (start, tally))| {
                tally.row(
                    queue,
                    start,
                    options.threshold_for(queue),
                    options.short_abandon,
                )
            })
            .collect();
        QueueReport {
            short_abandon: options.short_abandon,
            rows,
        }
    }
}

pub(crate) fn report(legs: &[LegFact], options: &QueueOptions) -> Result<QueueReport, Error> {
    let mut aggregator = QueueAggregator::new(options)?;
    for leg in legs {
        aggregator.add_leg(leg)?;
    }
    Ok(aggregator.finish())
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
