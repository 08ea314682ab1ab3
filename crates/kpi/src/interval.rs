//! Calendar intervals in the center's local time.
//!
//! Key types: [`Interval`] (15, 30, 60 minutes, day, week, month) and
//! [`Bucketing`] (an interval in a time zone, which places a [`Time`] —
//! milliseconds since the Unix epoch — in the interval that contains it).

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
}
