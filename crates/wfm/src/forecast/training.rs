//! Training data as every method sees it: whole days keyed by calendar
//! date, weekday and time-of-day slot, never by row number.
//!
//! Key types: [`Training`] (the days before the forecast origin, special
//! days left out, outliers replaced, and the slots each weekday has been
//! open) and [`Target`] (one interval to forecast).
//!
//! Outliers: one interval of a campaign or an outage can hold many times
//! its usual volume (407 calls against about 55 at 13:00 on Wednesday
//! 3 February in the bank log), and every method that averages or
//! smooths would carry it into each later forecast of that weekday and
//! time. So an interval far from the median of its weekday and time —
//! more than [`OUTLIER_Z`] Poisson standard deviations and more than
//! twice (or under half) the median — is replaced by that median for
//! training, and listed, so the planner sees it and can trace it.

use jiff::Span;
use jiff::civil::{Date, DateTime, Time};
use serde::Serialize;

use super::{ForecastError, History, Horizon};
use crate::series::IntervalLength;

/// Training must span at least two weeks: a weekly pattern needs two
/// looks at each weekday, and MSTL needs two whole weekly cycles.
pub(crate) const MIN_TRAINING_DAYS: i64 = 14;

/// How far, in Poisson standard deviations of the median, an interval
/// must be from the median of its weekday and time to be an outlier.
/// Real interval counts are somewhat overdispersed, so this is set well
/// beyond the anomaly threshold: only gross breaks are replaced.
const OUTLIER_Z: f64 = 6.0;

/// Same-weekday observations of a slot needed for a median that one
/// outlier cannot move.
const OUTLIER_MIN_WEEKS: usize = 3;

/// One observed day before the origin.
pub(crate) struct Day {
    pub date: Date,
    /// Monday = 0.
    pub weekday: usize,
    /// Contacts per slot, outliers replaced; `None` where the slot was
    /// not observed.
    pub contacts: Vec<Option<f64>>,
    /// Contacts per slot as recorded, for the seasonal-naive benchmark.
    pub recorded: Vec<Option<f64>>,
    /// AHT per slot where known.
    pub aht: Vec<Option<f64>>,
}

/// History before `origin`, as days.
pub(crate) struct Training {
    pub interval: IntervalLength,
    pub per_day: usize,
    /// First training date (the history's first non-special date).
    pub first: Date,
    /// First forecast date.
    pub origin: Date,
    /// Observed days in date order, special days left out.
    pub days: Vec<Day>,
    /// For each weekday (Monday = 0), the slots observed on it at least
    /// once: a slot never seen open is taken as closed.
    pub open: [Vec<usize>; 7],
    /// Intervals replaced by the median of their weekday and time.
    pub outliers: Vec<Outlier>,
}

/// A training interval far from the usual for its weekday and time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Outlier {
    /// The interval's start.
    pub start: DateTime,
    /// Contacts observed.
    pub actual: f64,
    /// The median of the same weekday and time, used in its place.
    pub typical: f64,
}

/// One interval to forecast.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    pub date: Date,
    pub weekday: usize,
    pub slot: usize,
    /// Days from the origin (0 on the origin).
    pub offset: i64,
    /// Open days from the origin to this one, counting both (1 on the
    /// first forecast day that has open slots).
    pub step: usize,
}

impl Training {
    /// Days of `history` before `origin`.
    pub fn new(history: &History, origin: Date) -> Result<Training, ForecastError> {
        let interval = history.interval();
        let per_day = interval.per_day() as usize;
        let mut days: Vec<Day> = Vec::new();
        for o in history.observations() {
            let date = o.start.date();
            if date >= origin || history.special_days().contains(&date) {
                continue;
            }
            if days.last().is_none_or(|d| d.date != date) {
                days.push(Day {
                    date,
                    weekday: weekday(date),
                    contacts: vec![None; per_day],
                    recorded: vec![None; per_day],
                    aht: vec![None; per_day],
                });
            }
            let day = days.last_mut().expect("pushed above");
            let s = slot(o.start, interval);
            day.contacts[s] = Some(o.contacts);
            day.recorded[s] = Some(o.contacts);
            day.aht[s] = o.aht;
        }
        let first = days
            .first()
            .map(|d| d.date)
            .ok_or(ForecastError::NotEnoughHistory {
                origin,
                days: 0,
                needed: MIN_TRAINING_DAYS,
            })?;
        let span = days_between(first, origin);
        if span < MIN_TRAINING_DAYS {
            return Err(ForecastError::NotEnoughHistory {
                origin,
                days: span,
                needed: MIN_TRAINING_DAYS,
            });
        }
        let outliers = replace_outliers(&mut days, per_day, interval);
        let mut open: [Vec<bool>; 7] = std::array::from_fn(|_| vec![false; per_day]);
        for d in &days {
            for (s, v) in d.contacts.iter().enumerate() {
                open[d.weekday][s] |= v.is_some();
            }
        }
        let open = open.map(|flags| {
            flags
                .iter()
                .enumerate()
                .filter_map(|(s, &o)| o.then_some(s))
                .collect()
        });
        Ok(Training {
            interval,
            per_day,
            first,
            origin,
            days,
            open,
            outliers,
        })
    }

    /// The open intervals of the `days` days from the origin.
    pub fn targets(&self, days: Horizon) -> Result<Vec<Target>, ForecastError> {
        let mut targets = Vec::new();
        let mut step = 0;
        for offset in 0..i64::from(days.days()) {
            let date = add_days(self.origin, offset)?;
            let w = weekday(date);
            if self.open[w].is_empty() {
                continue;
            }
            step += 1;
            targets.extend(self.open[w].iter().map(|&slot| Target {
                date,
                weekday: w,
                slot,
                offset,
                step,
            }));
        }
        Ok(targets)
    }

    /// The start of `slot` on `date`.
    pub fn start(&self, date: Date, slot: usize) -> DateTime {
        start_of(date, slot, self.interval)
    }
}

/// Replaces each outlier (see the module documentation) by the median of
/// its weekday and slot, and lists them in time order.
fn replace_outliers(days: &mut [Day], per_day: usize, interval: IntervalLength) -> Vec<Outlier> {
    let mut outliers = Vec::new();
    for weekday in 0..7 {
        for s in 0..per_day {
            let mut values: Vec<f64> = days
                .iter()
                .filter(|d| d.weekday == weekday)
                .filter_map(|d| d.contacts[s])
                .collect();
            if values.len() < OUTLIER_MIN_WEEKS {
                continue;
            }
            values.sort_by(f64::total_cmp);
            let n = values.len();
            let median = if n % 2 == 1 {
                values[n / 2]
            } else {
                (values[n / 2 - 1] + values[n / 2]) / 2.0
            };
            let limit = OUTLIER_Z * median.max(1.0).sqrt();
            for day in days.iter_mut().filter(|d| d.weekday == weekday) {
                let Some(v) = day.contacts[s] else { continue };
                let far = (v - median).abs() > limit;
                if far && (v > 2.0 * median || v < median / 2.0) {
                    outliers.push(Outlier {
                        start: start_of(day.date, s, interval),
                        actual: v,
                        typical: median,
                    });
                    day.contacts[s] = Some(median);
                }
            }
        }
    }
    outliers.sort_by_key(|o| o.start);
    outliers
}

/// Monday = 0 … Sunday = 6.
pub(crate) fn weekday(date: Date) -> usize {
    date.weekday().to_monday_zero_offset() as usize
}

/// The slot of the day that `start` begins.
pub(crate) fn slot(start: DateTime, interval: IntervalLength) -> usize {
    let minute = i32::from(start.hour()) * 60 + i32::from(start.minute());
    minute as usize / interval.minutes() as usize
}

pub(crate) fn start_of(date: Date, slot: usize, interval: IntervalLength) -> DateTime {
    let minute = slot as u32 * interval.minutes();
    date.to_datetime(Time::constant(
        (minute / 60) as i8,
        (minute % 60) as i8,
        0,
        0,
    ))
}

/// Whole days from `from` to `to`.
pub(crate) fn days_between(from: Date, to: Date) -> i64 {
    i64::from((to - from).get_days())
}

pub(crate) fn add_days(date: Date, days: i64) -> Result<Date, ForecastError> {
    Span::new()
        .try_days(days)
        .and_then(|span| date.checked_add(span))
        .map_err(|_| ForecastError::DateOutOfRange { date, days })
}
