//! Calendar intervals in the center's local time.
//!
//! Key types: [`Interval`] (15, 30, 60 minutes, day, week, month),
//! [`Bucketing`] (an interval in a time zone, which places a [`Time`] —
//! milliseconds since the Unix epoch — in the interval that contains it),
//! [`BucketCache`] (the same, remembering the last interval, for streams of
//! nearby times) and [`SLOT`], the quarter hour that stored aggregates use.
//!
//! Every interval is a union of quarter hours of UTC, because every time
//! zone in use today is offset from UTC by a multiple of 15 minutes; so
//! aggregates kept per UTC quarter hour serve reports of any interval in any
//! zone.

use acd::model::Span;
use acd::model::Time;
use jiff::tz::TimeZone;
use jiff::{RoundMode, Timestamp, ToSpan, Unit, Zoned, ZonedRound};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The length of a report interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Quarter hours.
    Minutes15,
    /// Half hours.
    Minutes30,
    /// Hours.
    Minutes60,
    /// Local calendar days.
    Day,
    /// Local ISO weeks, from Monday.
    Week,
    /// Local calendar months.
    Month,
}

/// Places times in intervals of one length in one time zone.
#[derive(Debug, Clone)]
pub struct Bucketing {
    /// The interval length.
    pub interval: Interval,
    /// The center's time zone (a fixed offset or a named zone).
    pub time_zone: TimeZone,
}

impl Bucketing {
    /// The local start of the interval containing `at`.
    pub fn start(&self, at: Time) -> Result<Zoned, Error> {
        let out_of_range = |_| Error::TimeOutOfRange(at);
        let ms = i64::try_from(at.as_millis()).map_err(|_| Error::TimeOutOfRange(at))?;
        let local = Timestamp::from_millisecond(ms)
            .map_err(out_of_range)?
            .to_zoned(self.time_zone.clone());
        let truncate = |unit: Unit, n: i64| {
            local.round(
                ZonedRound::new()
                    .smallest(unit)
                    .increment(n)
                    .mode(RoundMode::Trunc),
            )
        };
        let date = local.date();
        match self.interval {
            Interval::Minutes15 => truncate(Unit::Minute, 15),
            Interval::Minutes30 => truncate(Unit::Minute, 30),
            // jiff wants an increment below the next unit: 1 hour, not 60 minutes.
            Interval::Minutes60 => truncate(Unit::Hour, 1),
            Interval::Day => date.to_zoned(self.time_zone.clone()),
            Interval::Week => {
                let back = i64::from(date.weekday().to_monday_zero_offset());
                date.checked_sub(back.days())
                    .and_then(|monday| monday.to_zoned(self.time_zone.clone()))
            }
            Interval::Month => date.first_of_month().to_zoned(self.time_zone.clone()),
        }
        .map_err(out_of_range)
    }

    /// The local start of the interval after the one starting at `start`.
    pub fn next(&self, start: &Zoned) -> Result<Zoned, Error> {
        let step = match self.interval {
            Interval::Minutes15 => 15.minutes(),
            Interval::Minutes30 => 30.minutes(),
            Interval::Minutes60 => 1.hour(),
            Interval::Day => 1.day(),
            Interval::Week => 1.week(),
            Interval::Month => 1.month(),
        };
        start
            .checked_add(step)
            .map_err(|_| Error::TimeOutOfRange(to_time(start.timestamp())))
    }
}

/// The length of a stored aggregate slot: a quarter hour of UTC.
pub const SLOT: Span = Span::from_millis(15 * 60 * 1000);

/// The start of the UTC quarter hour containing `at`.
pub fn slot_of(at: Time) -> Time {
    Time::from_millis(at.as_millis() / SLOT.as_millis() * SLOT.as_millis())
}

/// A [`Bucketing`] that remembers the last interval it found, so that a
/// stream of times in near order costs a comparison per time instead of a
/// calendar computation.
#[derive(Debug, Clone)]
pub struct BucketCache {
    bucketing: Bucketing,
    last: Option<(u64, u64, Zoned)>,
}

impl BucketCache {
    /// A cache over `bucketing`.
    pub fn new(bucketing: Bucketing) -> Self {
        BucketCache {
            bucketing,
            last: None,
        }
    }

    /// The local start of the interval containing `at`.
    pub fn start(&mut self, at: Time) -> Result<&Zoned, Error> {
        Ok(self.locate(at)?.0)
    }

    /// The local start of the interval containing `at`, and the time it
    /// ends.
    pub fn locate(&mut self, at: Time) -> Result<(&Zoned, Time), Error> {
        let ms = at.as_millis();
        let hit = matches!(&self.last, Some((from, to, _)) if (*from..*to).contains(&ms));
        if !hit {
            let start = self.bucketing.start(at)?;
            let end = self.bucketing.next(&start)?;
            self.last = Some((millis(&start), millis(&end), start));
        }
        let (_, end, start) = self.last.as_ref().expect("just filled");
        Ok((start, Time::from_millis(*end)))
    }
}

fn millis(zoned: &Zoned) -> u64 {
    u64::try_from(zoned.timestamp().as_millisecond()).unwrap_or(0)
}

fn to_time(timestamp: Timestamp) -> Time {
    Time::from_millis(u64::try_from(timestamp.as_millisecond()).unwrap_or(0))
}
