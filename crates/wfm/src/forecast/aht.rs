//! Handle-time forecasts.
//!
//! Key functions: [`forecast`] (per weekday and slot: the recency- and
//! contact-weighted mean handle time, shrunk toward the weekday's mean)
//! and [`last_week`] (the same weekday and time's last value, the naive
//! benchmark).
//!
//! Why shrink: a slot's AHT is the mean of its few calls, and service
//! times are close to lognormal with a coefficient of variation near 1
//! (Brown et al. 2005), so a slot of 20 calls is known to about ±22% —
//! as uncertain as the real spread of AHT across the day. Weighting the
//! weekday mean as [`PRIOR_CONTACTS`] extra calls lets busy slots speak
//! for themselves and keeps quiet ones near the day's mean.

use super::training::{Target, Training, days_between};

/// The weekday mean counts as this many contacts of evidence.
const PRIOR_CONTACTS: f64 = 20.0;
/// Handle times drift as people and processes change: a day's weight
/// halves every four weeks of age.
const HALF_LIFE_DAYS: f64 = 28.0;

/// AHT per target; `None` when training has no handle times at all.
pub(crate) fn forecast(t: &Training, targets: &[Target]) -> Vec<Option<f64>> {
    let per_day = t.per_day;
    let mut seconds = vec![0.0; 7 * per_day];
    let mut weight = vec![0.0; 7 * per_day];
    for day in &t.days {
        let age = days_between(day.date, t.origin) as f64;
        let recency = 0.5f64.powf(age / HALF_LIFE_DAYS);
        for (s, (c, a)) in day.contacts.iter().zip(&day.aht).enumerate() {
            if let (Some(c), Some(a)) = (c, a) {
                seconds[day.weekday * per_day + s] += recency * c * a;
                weight[day.weekday * per_day + s] += recency * c;
            }
        }
    }
    let total = |w: usize| -> (f64, f64) {
        let r = w * per_day..(w + 1) * per_day;
        (seconds[r.clone()].iter().sum(), weight[r].iter().sum())
    };
    let (all_seconds, all_weight) = (0..7)
        .map(total)
        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    if all_weight <= 0.0 {
        return vec![None; targets.len()];
    }
    let prior: Vec<f64> = (0..7)
        .map(|w| match total(w) {
            (s, n) if n > 0.0 => s / n,
            _ => all_seconds / all_weight,
        })
        .collect();
    targets
        .iter()
        .map(|x| {
            let i = x.weekday * per_day + x.slot;
            Some((seconds[i] + PRIOR_CONTACTS * prior[x.weekday]) / (weight[i] + PRIOR_CONTACTS))
        })
        .collect()
}

/// The AHT at the same weekday and time on the most recent training day
/// that recorded one.
pub(crate) fn last_week(t: &Training, targets: &[Target]) -> Vec<Option<f64>> {
    targets
        .iter()
        .map(|x| {
            t.days
                .iter()
                .rev()
                .filter(|d| d.weekday == x.weekday)
                .find_map(|d| d.aht[x.slot])
        })
        .collect()
}
