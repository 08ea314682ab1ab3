//! Forecasting contacts and handle time per interval.
//!
//! Key types: [`History`] (observed intervals, from the CSV format below
//! or from the Anonymous Bank log through [`bank`]),
//! [`Method`], [`Horizon`], [`Forecast`] (from [`forecast`]), [`Backtest`]
//! (from [`backtest()`]: WAPE / MAPE / RMSE per method over rolling origins,
//! the best method and the intervals where volume broke away from it),
//! and the errors [`InputError`], [`HistoryError`], [`ForecastError`].
//!
//! Every method looks seasonality up by calendar weekday and time of day,
//! never by row count, so business-hours data (weekdays 7:00–21:00),
//! weekends that are Friday and Saturday, and missing days need no
//! padding. Special days (holidays, outages) are left out of training and
//! flagged when they fall in the forecast. Gross outliers in training
//! (a campaign spike, an outage) are replaced by the usual value of their
//! weekday and time and listed as [`Outlier`]s. Forecasts below zero are
//! raised to zero and counted in [`Clipped`].
//!
//! # CSV format
//!
//! A header row, then one row per observed interval:
//!
//! ```text
//! start,contacts,aht
//! 2024-03-04T07:00,112,245.5
//! 2024-03-04 07:30,130,
//! ```
//!
//! * `start` — the interval's start, a civil date-time in the center's own
//!   time zone (`YYYY-MM-DDTHH:MM[:SS]`, `T` or a space between date and
//!   time), on the interval grid (07:30 is on the 30-minute grid, 07:45 is
//!   not).
//! * `contacts` — contacts offered in the interval: a finite number ≥ 0.
//! * `aht` (optional column, cells may be empty) — average handle time in
//!   seconds of the interval's contacts: a finite number > 0.
//!
//! Rows may come in any order; two rows for the same interval are an
//! error. An interval with no row was not observed (closed, or data
//! missing), which is not the same as an open interval with 0 contacts:
//! weekdays-only 7:00–21:00 data simply has no rows for nights and
//! weekends. The interval length is given by the caller or, when not, is
//! the smallest gap between two consecutive starts, and must be 5, 15, 30
//! or 60 minutes.

pub mod bank;

mod aht;
mod backtest;
mod baseline;
mod history;
mod mstl;
mod smoothing;
mod training;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::Serialize;

pub use backtest::{
    AhtScore, Anomaly, Backtest, DEFAULT_ANOMALY_Z, Fold, SELECTION_FOLDS, Score, ScoredInterval,
    backtest, rolling_origins, select,
};
pub use history::{History, HistoryError, InputError};
pub use training::Outlier;

use crate::series::{Demand, IntervalLength};
use training::{Target, Training, add_days};

/// A forecasting method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// The same weekday and time of day, last week.
    SeasonalNaive,
    /// The mean of the last four same weekdays at that time of day.
    WeekdayAverage,
    /// The weekday × time-of-day mean of all history, scaled by the last
    /// week's level: the strong baseline.
    Profile,
    /// Holt–Winters smoothing of the daily level with weekday and
    /// intraday seasonality, weights chosen on the last weeks of history.
    HoltWinters,
    /// MSTL with daily and weekly seasons plus a smoothed level.
    Mstl,
    /// The mean of profile, Holt–Winters and MSTL.
    Combined,
}

impl Method {
    /// Every method, simplest first.
    pub const ALL: [Method; 6] = [
        Method::SeasonalNaive,
        Method::WeekdayAverage,
        Method::Profile,
        Method::HoltWinters,
        Method::Mstl,
        Method::Combined,
    ];

    /// The method's name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Method::SeasonalNaive => "seasonal-naive",
            Method::WeekdayAverage => "weekday-average",
            Method::Profile => "profile",
            Method::HoltWinters => "holt-winters",
            Method::Mstl => "mstl",
            Method::Combined => "combined",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a [`Method`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown forecasting method {0:?} (expected one of: seasonal-naive, weekday-average, profile, holt-winters, mstl, combined)"
)]
pub struct MethodError(pub String);

impl FromStr for Method {
    type Err = MethodError;
    fn from_str(s: &str) -> Result<Method, MethodError> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| MethodError(s.to_owned()))
    }
}

/// How many calendar days to forecast: 1 to 366.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "u32")]
pub struct Horizon(u32);

/// A horizon that does not parse or is out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("horizon {0:?} is not a number of days from 1 to 366 (like 7, 28d or 4w)")]
pub struct HorizonError(pub String);

impl Horizon {
    /// The longest horizon: a year is as far as weekday seasonality says
    /// anything.
    pub const MAX_DAYS: u32 = 366;

    /// A horizon of `days` calendar days.
    pub fn days_ahead(days: u32) -> Result<Horizon, HorizonError> {
        if (1..=Self::MAX_DAYS).contains(&days) {
            Ok(Horizon(days))
        } else {
            Err(HorizonError(days.to_string()))
        }
    }

    /// Calendar days.
    pub fn days(self) -> u32 {
        self.0
    }
}

impl From<Horizon> for u32 {
    fn from(h: Horizon) -> u32 {
        h.0
    }
}

impl FromStr for Horizon {
    type Err = HorizonError;
    /// `7`, `7d` (days) or `4w` (weeks).
    fn from_str(s: &str) -> Result<Horizon, HorizonError> {
        let bad = || HorizonError(s.to_owned());
        let (number, unit) = match s.strip_suffix('w') {
            Some(n) => (n, 7),
            None => (s.strip_suffix('d').unwrap_or(s), 1),
        };
        let n: u32 = number.parse().map_err(|_| bad())?;
        Horizon::days_ahead(n.checked_mul(unit).ok_or_else(bad)?).map_err(|_| bad())
    }
}

/// Forecasts that came out below zero and were raised to zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Clipped {
    /// Intervals raised to zero.
    pub intervals: usize,
    /// The contacts added by raising them (the sum of the negative parts).
    pub contacts: f64,
}

impl Clipped {
    fn add(&mut self, other: Clipped) {
        self.intervals += other.intervals;
        self.contacts += other.contacts;
    }
}

/// A forecast of every open interval of the horizon.
#[derive(Debug, Clone, Serialize)]
pub struct Forecast {
    /// The method used.
    pub method: Method,
    /// The interval length.
    pub interval: IntervalLength,
    /// The first forecast day: the day after the history's last.
    pub origin: Date,
    /// Calendar days forecast.
    pub horizon: Horizon,
    /// Contacts and AHT per open interval (slots never observed open on
    /// that weekday are taken as closed and left out).
    pub demand: Vec<Demand>,
    /// Days of the horizon marked special: their intervals are forecast
    /// as ordinary days, so a planner must adjust them.
    pub special_days: Vec<Date>,
    /// Negative forecasts raised to zero.
    pub clipped: Clipped,
    /// History intervals so far from the usual that training used the
    /// usual instead.
    pub outliers: Vec<Outlier>,
}

/// Why a forecast or backtest could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForecastError {
    /// Too little history before the origin.
    #[error(
        "forecasting from {origin} needs at least {needed} days of history before it, got {days}"
    )]
    NotEnoughHistory {
        /// The first forecast day.
        origin: Date,
        /// Calendar days of usable history before it.
        days: i64,
        /// Days needed.
        needed: i64,
    },
    /// The history is empty.
    #[error("the history has no observations")]
    Empty,
    /// A date computation left the supported calendar.
    #[error("{date} plus {days} days is outside the supported calendar")]
    DateOutOfRange {
        /// The date.
        date: Date,
        /// The days added.
        days: i64,
    },
    /// No backtest fold fits the history.
    #[error(
        "a backtest of {horizon}-day folds needs at least {needed} days of history, got {days}"
    )]
    NoFolds {
        /// The fold length in days.
        horizon: u32,
        /// Days of history.
        days: i64,
        /// Days needed.
        needed: i64,
    },
    /// The seasonal decomposition refused the series.
    #[error("MSTL decomposition failed: {0}")]
    Decomposition(String),
}

/// Forecasts the `horizon` days after the last day of `history`.
pub fn forecast(
    history: &History,
    method: Method,
    horizon: Horizon,
) -> Result<Forecast, ForecastError> {
    let (_, last) = history.date_range().ok_or(ForecastError::Empty)?;
    let origin = add_days(last, 1)?;
    let training = Training::new(history, origin)?;
    let targets = training.targets(horizon)?;
    let (contacts, clipped) = predict(method, &training, &targets)?;
    let aht = aht::forecast(&training, &targets);
    let demand = targets
        .iter()
        .zip(contacts)
        .zip(aht)
        .map(|((x, contacts), aht)| Demand {
            start: training.start(x.date, x.slot),
            contacts,
            aht,
        })
        .collect();
    let end = add_days(origin, i64::from(horizon.days()))?;
    let special_days = history.special_days().range(origin..end).copied().collect();
    Ok(Forecast {
        method,
        interval: history.interval(),
        origin,
        horizon,
        demand,
        special_days,
        clipped,
        outliers: training.outliers,
    })
}

/// Contacts per target by `method`, clipped at zero.
fn predict(
    method: Method,
    t: &Training,
    targets: &[Target],
) -> Result<(Vec<f64>, Clipped), ForecastError> {
    let raw = match method {
        Method::SeasonalNaive => baseline::seasonal_naive(t, targets),
        Method::WeekdayAverage => baseline::weekday_average(t, targets),
        Method::Profile => baseline::profile(t, targets)?,
        Method::HoltWinters => smoothing::holt_winters(t, targets)?,
        Method::Mstl => mstl::mstl(t, targets)?,
        Method::Combined => {
            let mut clipped = Clipped::default();
            let mut sum = vec![0.0; targets.len()];
            let parts = [Method::Profile, Method::HoltWinters, Method::Mstl];
            for part in parts {
                let (values, c) = predict(part, t, targets)?;
                clipped.add(c);
                sum.iter_mut().zip(values).for_each(|(s, v)| *s += v);
            }
            let mean = sum.into_iter().map(|s| s / parts.len() as f64).collect();
            return Ok((mean, clipped));
        }
    };
    Ok(clip(raw))
}

fn clip(mut values: Vec<f64>) -> (Vec<f64>, Clipped) {
    let mut clipped = Clipped::default();
    for v in values.iter_mut().filter(|v| **v < 0.0) {
        clipped.intervals += 1;
        clipped.contacts -= *v;
        *v = 0.0;
    }
    (values, clipped)
}

/// Days in `history` marked special within `[from, to)`.
fn special_in(history: &History, from: Date, to: Date) -> BTreeSet<Date> {
    history.special_days().range(from..to).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizons_parse_in_days_or_weeks() {
        assert_eq!("7".parse::<Horizon>().unwrap().days(), 7);
        assert_eq!("28d".parse::<Horizon>().unwrap().days(), 28);
        assert_eq!("4w".parse::<Horizon>().unwrap().days(), 28);
        for bad in ["0", "-3", "367", "1y", "w", ""] {
            assert!(bad.parse::<Horizon>().is_err(), "{bad}");
        }
    }

    #[test]
    fn methods_parse_by_name() {
        for m in Method::ALL {
            assert_eq!(m.name().parse::<Method>(), Ok(m));
        }
        assert!("arima".parse::<Method>().is_err());
    }
}
