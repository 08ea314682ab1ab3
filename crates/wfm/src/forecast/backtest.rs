//! Rolling-origin backtest: forecast from several past origins as if the
//! later data did not exist, and score every method on what then happened.
//!
//! Key types: [`Backtest`] (from [`backtest`]) with a [`Score`] per method,
//! its [`Fold`]s, the [`AhtScore`], every [`ScoredInterval`] and the
//! [`Anomaly`] list; [`rolling_origins`] places the folds.
//!
//! Metrics, over every observed interval of every fold (special days are
//! not scored: nothing is expected of a forecast there):
//! * WAPE = Σ|actual − forecast| ÷ Σ actual (the KPI glossary's forecast
//!   accuracy; the best method is the one with the lowest),
//! * MAPE = mean of |actual − forecast| ÷ actual over intervals with
//!   actual > 0 (undefined at 0, and night intervals would dominate),
//! * RMSE = √(mean (actual − forecast)²), in contacts.
//!
//! Anomalies: counts are roughly Poisson, so a miss is measured against
//! √forecast, inflated by the dispersion φ that the best method's own
//! misses show (median of miss² ÷ forecast over the median of χ²₁,
//! at least 1). An interval is flagged when |actual − forecast| ÷
//! √(φ · max(forecast, 1)) reaches the threshold.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime};
use serde::Serialize;

use super::training::{MIN_TRAINING_DAYS, Training, add_days, days_between, slot};
use super::{Clipped, ForecastError, History, Horizon, Method, Outlier, aht, predict, special_in};
use crate::series::IntervalLength;

/// The median of a χ² variable with one degree of freedom.
const CHI2_1_MEDIAN: f64 = 0.454_936_4;

/// The result of a backtest.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    /// The interval length.
    pub interval: IntervalLength,
    /// Days forecast from each origin.
    pub horizon: Horizon,
    /// The folds, in date order.
    pub folds: Vec<Fold>,
    /// One score per method, in [`Method::ALL`] order.
    pub scores: Vec<Score>,
    /// The method with the lowest WAPE.
    pub best: Method,
    /// Handle-time accuracy, when the history has handle times.
    pub aht: Option<AhtScore>,
    /// The threshold in standardised misses for an anomaly.
    pub anomaly_z: f64,
    /// The dispersion φ of the best method's misses (1 = Poisson).
    pub dispersion: f64,
    /// Intervals where volume broke far from the best method's forecast,
    /// in time order.
    pub anomalies: Vec<Anomaly>,
    /// Every scored interval, in time order.
    pub intervals: Vec<ScoredInterval>,
    /// Outliers the last fold's training replaced (it holds the most
    /// history).
    pub outliers: Vec<Outlier>,
}

/// One forecast origin.
#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    /// The first forecast day; training is everything before it.
    pub origin: Date,
    /// Observed training days.
    pub training_days: usize,
    /// Intervals scored.
    pub intervals: usize,
    /// Special days in the fold, not scored.
    pub special_days: Vec<Date>,
}

/// A method's accuracy over all folds.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    /// The method.
    pub method: Method,
    /// Σ|error| ÷ Σ actual.
    pub wape: f64,
    /// Mean |error| ÷ actual over intervals with actual > 0.
    pub mape: f64,
    /// Root mean squared error, in contacts.
    pub rmse: f64,
    /// Negative forecasts raised to zero, over all folds.
    pub clipped: Clipped,
}

/// Handle-time accuracy: contact-weighted WAPE of AHT, beside the naive
/// "same interval last week".
#[derive(Debug, Clone, Serialize)]
pub struct AhtScore {
    /// Σ contacts·|AHT error| ÷ Σ contacts·AHT.
    pub wape: f64,
    /// The same for last week's AHT at that weekday and time.
    pub last_week_wape: f64,
    /// Intervals with an actual AHT and both forecasts.
    pub intervals: usize,
}

/// An interval where volume broke far from the forecast.
#[derive(Debug, Clone, Serialize)]
pub struct Anomaly {
    /// The interval's start.
    pub start: DateTime,
    /// Contacts that arrived.
    pub actual: f64,
    /// Contacts forecast by the best method.
    pub forecast: f64,
    /// The standardised miss (positive: more than forecast).
    pub z: f64,
}

/// One scored interval.
#[derive(Debug, Clone, Serialize)]
pub struct ScoredInterval {
    /// The interval's start.
    pub start: DateTime,
    /// Contacts that arrived.
    pub actual: f64,
    /// Each method's forecast.
    pub forecasts: BTreeMap<Method, f64>,
}

/// Anomaly threshold in standardised misses. Over the thousands of
/// intervals of a backtest, chance alone passes 4 about once in 16,000
/// intervals under a normal law, so nearly every flag is a real event.
pub const DEFAULT_ANOMALY_Z: f64 = 4.0;

/// One-week folds used by [`select`].
pub const SELECTION_FOLDS: usize = 3;

/// Backtests every method on up to [`SELECTION_FOLDS`] one-week folds at
/// the end of `history`; its `best` is the method to forecast with.
pub fn select(history: &History) -> Result<Backtest, ForecastError> {
    let week = Horizon(7);
    let origins = rolling_origins(history, week, SELECTION_FOLDS)?;
    backtest(history, week, &origins, DEFAULT_ANOMALY_Z)
}

/// Up to `folds` origins, `horizon` apart, the last fold ending with the
/// history; folds with less than two weeks of training are left out.
pub fn rolling_origins(
    history: &History,
    horizon: Horizon,
    folds: usize,
) -> Result<Vec<Date>, ForecastError> {
    let (first, last) = history.date_range().ok_or(ForecastError::Empty)?;
    let end = add_days(last, 1)?;
    let step = i64::from(horizon.days());
    let mut origins = Vec::new();
    for k in (1..=folds as i64).rev() {
        let origin = add_days(end, -k * step)?;
        if days_between(first, origin) >= MIN_TRAINING_DAYS {
            origins.push(origin);
        }
    }
    if origins.is_empty() {
        return Err(ForecastError::NoFolds {
            horizon: horizon.days(),
            days: days_between(first, end),
            needed: MIN_TRAINING_DAYS + step,
        });
    }
    Ok(origins)
}

/// Forecasts `horizon` days from each origin with every method and scores
/// them on the history; flags intervals at least `anomaly_z` standardised
/// misses from the best method's forecast.
pub fn backtest(
    history: &History,
    horizon: Horizon,
    origins: &[Date],
    anomaly_z: f64,
) -> Result<Backtest, ForecastError> {
    let mut folds = Vec::new();
    let mut intervals = Vec::new();
    let mut clipped = [Clipped::default(); Method::ALL.len()];
    // (contacts, actual AHT, forecast AHT, last week's AHT)
    let mut aht_points: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut outliers = Vec::new();
    for &origin in origins {
        let training = Training::new(history, origin)?;
        let targets = training.targets(horizon)?;
        let mut forecasts = Vec::with_capacity(Method::ALL.len());
        for (i, method) in Method::ALL.into_iter().enumerate() {
            let (values, c) = predict(method, &training, &targets)?;
            clipped[i].add(c);
            forecasts.push(values);
        }
        let aht_forecast = aht::forecast(&training, &targets);
        let aht_naive = aht::last_week(&training, &targets);
        let end = add_days(origin, i64::from(horizon.days()))?;
        let special = special_in(history, origin, end);
        let before = intervals.len();
        for o in history.observations() {
            let date = o.start.date();
            if date < origin || date >= end || special.contains(&date) {
                continue;
            }
            let key = (date, slot(o.start, history.interval()));
            let target = targets
                .binary_search_by_key(&key, |x| (x.date, x.slot))
                .ok();
            intervals.push(ScoredInterval {
                start: o.start,
                actual: o.contacts,
                forecasts: Method::ALL
                    .into_iter()
                    .zip(&forecasts)
                    .map(|(m, f)| (m, target.map_or(0.0, |i| f[i])))
                    .collect(),
            });
            if let (Some(i), Some(actual)) = (target, o.aht)
                && let (Some(f), Some(n)) = (aht_forecast[i], aht_naive[i])
            {
                aht_points.push((o.contacts, actual, f, n));
            }
        }
        outliers = training.outliers;
        folds.push(Fold {
            origin,
            training_days: training.days.len(),
            intervals: intervals.len() - before,
            special_days: special.into_iter().collect(),
        });
    }
    let scores: Vec<Score> = Method::ALL
        .into_iter()
        .zip(clipped)
        .map(|(method, clipped)| score(method, &intervals, clipped))
        .collect();
    let best = scores
        .iter()
        .min_by(|a, b| a.wape.total_cmp(&b.wape))
        .map_or(Method::Profile, |s| s.method);
    let dispersion = dispersion(best, &intervals);
    let anomalies = intervals
        .iter()
        .filter_map(|p| {
            let forecast = p.forecasts[&best];
            let z = (p.actual - forecast) / (dispersion * forecast.max(1.0)).sqrt();
            (z.abs() >= anomaly_z).then_some(Anomaly {
                start: p.start,
                actual: p.actual,
                forecast,
                z,
            })
        })
        .collect();
    Ok(Backtest {
        interval: history.interval(),
        horizon,
        folds,
        scores,
        best,
        aht: aht_score(&aht_points),
        anomaly_z,
        dispersion,
        anomalies,
        intervals,
        outliers,
    })
}

fn score(method: Method, intervals: &[ScoredInterval], clipped: Clipped) -> Score {
    let (mut abs, mut sq, mut actual, mut ape, mut positive) = (0.0, 0.0, 0.0, 0.0, 0usize);
    for p in intervals {
        let error = p.actual - p.forecasts[&method];
        abs += error.abs();
        sq += error * error;
        actual += p.actual;
        if p.actual > 0.0 {
            ape += error.abs() / p.actual;
            positive += 1;
        }
    }
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    Score {
        method,
        wape: ratio(abs, actual),
        mape: ratio(ape, positive as f64),
        rmse: ratio(sq, intervals.len() as f64).sqrt(),
        clipped,
    }
}

fn dispersion(method: Method, intervals: &[ScoredInterval]) -> f64 {
    let mut ratios: Vec<f64> = intervals
        .iter()
        .map(|p| {
            let f = p.forecasts[&method];
            (p.actual - f).powi(2) / f.max(1.0)
        })
        .collect();
    if ratios.is_empty() {
        return 1.0;
    }
    ratios.sort_by(f64::total_cmp);
    (ratios[ratios.len() / 2] / CHI2_1_MEDIAN).max(1.0)
}

fn aht_score(points: &[(f64, f64, f64, f64)]) -> Option<AhtScore> {
    let weighted: f64 = points.iter().map(|(c, a, ..)| c * a).sum();
    (weighted > 0.0).then(|| AhtScore {
        wape: points
            .iter()
            .map(|(c, a, f, _)| c * (f - a).abs())
            .sum::<f64>()
            / weighted,
        last_week_wape: points
            .iter()
            .map(|(c, a, _, n)| c * (n - a).abs())
            .sum::<f64>()
            / weighted,
        intervals: points.len(),
    })
}
