//! MSTL (Bandara, Hyndman & Bergmeir 2021) with a daily and a weekly
//! season, and an exponentially smoothed level: MSTL + ETS(A,N,N).
//!
//! Key function: [`mstl`]. The decomposition is the `stlrs` crate's, the
//! engine that `augurs-mstl` wraps. Two things are done here instead of
//! through `augurs`: the series is laid on a complete calendar grid first,
//! and the level is forecast by simple exponential smoothing. MSTL counts
//! a season as a fixed number of rows, so business-hours data with
//! weekends and missing days would shift the weekly season; here every
//! day of the calendar gets all its slots, closed slots 0 and missing
//! observations filled with the weekday × time-of-day mean. And
//! `augurs-mstl`'s built-in trend model repeats the last deseasonalised
//! point, noise included, while its ETS trend model (`augurs-ets`) brings
//! in `nalgebra` (a build several times longer than all of `wfm`) for the
//! same one-line smoother.
//!
//! MSTL is additive, so its forecast can go below zero in quiet hours; the
//! caller clips and says so.

use stlrs::Mstl;

use super::ForecastError;
use super::baseline::SlotMeans;
use super::training::{Target, Training, add_days, days_between, weekday};

/// Smoothing weights tried for the level; the one with the least one-step
/// squared error wins, as in AutoETS.
const ALPHAS: [f64; 7] = [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3];

/// Decomposes the training grid and forecasts `targets` (unclipped).
pub(crate) fn mstl(t: &Training, targets: &[Target]) -> Result<Vec<f64>, ForecastError> {
    let days = days_between(t.first, t.origin) as usize;
    let per_day = t.per_day;
    let means = SlotMeans::new(t);
    let mut series = vec![0.0f64; days * per_day];
    let mut observed = t.days.iter().peekable();
    for d in 0..days {
        let date = add_days(t.first, d as i64)?;
        let w = weekday(date);
        let row = &mut series[d * per_day..(d + 1) * per_day];
        let day = observed.next_if(|day| day.date == date);
        for &s in &t.open[w] {
            row[s] = day
                .and_then(|day| day.contacts[s])
                .unwrap_or_else(|| means.get(w, s));
        }
    }
    let periods = [per_day, 7 * per_day];
    let fit = Mstl::params()
        .fit(&series, &periods)
        .map_err(|e| ForecastError::Decomposition(e.to_string()))?;
    let deseasonalised: Vec<f64> = fit
        .trend()
        .iter()
        .zip(fit.remainder())
        .map(|(t, r)| t + r)
        .collect();
    let level = smoothed_level(&deseasonalised, per_day);
    let n = series.len();
    Ok(targets
        .iter()
        .map(|x| {
            let position = (days + x.offset as usize) * per_day + x.slot;
            let seasonal: f64 = periods
                .iter()
                .zip(fit.seasonal())
                .map(|(&p, component)| component[n - p + (position - n) % p])
                .sum();
            level + seasonal
        })
        .collect())
}

/// The last level of simple exponential smoothing started at the mean of
/// the first `warmup` values, its weight chosen from [`ALPHAS`] by
/// one-step squared error.
fn smoothed_level(y: &[f64], warmup: usize) -> f64 {
    let warmup = warmup.clamp(1, y.len().max(1));
    let start = y.iter().take(warmup).sum::<f64>() / warmup as f64;
    ALPHAS
        .iter()
        .map(|&alpha| {
            let (mut level, mut sse) = (start, 0.0);
            for &v in y {
                sse += (v - level).powi(2);
                level += alpha * (v - level);
            }
            (sse, level)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(start, |(_, level)| level)
}
