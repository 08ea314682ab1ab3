//! The simple methods: what a planner does in a spreadsheet, and what the
//! smarter methods must beat.
//!
//! Key functions: [`seasonal_naive`] (the same weekday and time last
//! week), [`weekday_average`] (the mean of the last few same weekdays) and
//! [`profile`] (the weekday × time-of-day mean of all training, scaled by
//! the last week's level: the strong baseline), plus [`SlotMeans`], the
//! plain weekday × time-of-day mean that MSTL also uses to fill gaps.

use super::ForecastError;
use super::training::{Target, Training, add_days};

/// How many recent same weekdays [`weekday_average`] averages: four is a
/// month of history, the usual planner's choice, recent enough to follow
/// a level change and long enough to average out one odd day.
const RECENT_WEEKDAYS: usize = 4;

/// Days of the level window of [`profile`]: one whole week, so that every
/// weekday counts once and the weekday mix cannot bias the level.
const LEVEL_DAYS: i64 = 7;

/// The value at the same weekday and time of day on the most recent
/// training day that observed it, as recorded: the textbook benchmark,
/// outliers included.
pub(crate) fn seasonal_naive(t: &Training, targets: &[Target]) -> Vec<f64> {
    targets
        .iter()
        .map(|x| {
            t.days
                .iter()
                .rev()
                .filter(|d| d.weekday == x.weekday)
                .find_map(|d| d.recorded[x.slot])
                .unwrap_or(0.0)
        })
        .collect()
}

/// The mean of the last [`RECENT_WEEKDAYS`] observations of the same
/// weekday and time of day.
pub(crate) fn weekday_average(t: &Training, targets: &[Target]) -> Vec<f64> {
    targets
        .iter()
        .map(|x| {
            let (sum, n) = same_slot(t, x)
                .take(RECENT_WEEKDAYS)
                .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
            if n == 0 { 0.0 } else { sum / n as f64 }
        })
        .collect()
}

/// The weekday × time-of-day mean of all training, scaled by the ratio of
/// the last [`LEVEL_DAYS`] days' contacts to what the profile says those
/// days should have had.
pub(crate) fn profile(t: &Training, targets: &[Target]) -> Result<Vec<f64>, ForecastError> {
    let means = SlotMeans::new(t);
    let window_start = add_days(t.origin, -LEVEL_DAYS)?;
    let (mut actual, mut expected) = (0.0, 0.0);
    for day in t.days.iter().filter(|d| d.date >= window_start) {
        for (s, v) in day.contacts.iter().enumerate() {
            if let Some(v) = v {
                actual += v;
                expected += means.get(day.weekday, s);
            }
        }
    }
    let level = if expected > 0.0 {
        actual / expected
    } else {
        1.0
    };
    Ok(targets
        .iter()
        .map(|x| level * means.get(x.weekday, x.slot))
        .collect())
}

/// Values of the target's weekday and slot, most recent first, outliers
/// replaced.
fn same_slot<'t>(t: &'t Training, x: &Target) -> impl Iterator<Item = f64> + 't {
    let (weekday, slot) = (x.weekday, x.slot);
    t.days
        .iter()
        .rev()
        .filter(move |d| d.weekday == weekday)
        .filter_map(move |d| d.contacts[slot])
}

/// The mean contacts of each weekday and slot over all training.
pub(crate) struct SlotMeans {
    per_day: usize,
    mean: Vec<f64>,
}

impl SlotMeans {
    pub fn new(t: &Training) -> SlotMeans {
        let mut sum = vec![0.0; 7 * t.per_day];
        let mut count = vec![0u32; 7 * t.per_day];
        for day in &t.days {
            for (s, v) in day.contacts.iter().enumerate() {
                if let Some(v) = v {
                    sum[day.weekday * t.per_day + s] += v;
                    count[day.weekday * t.per_day + s] += 1;
                }
            }
        }
        let mean = sum
            .iter()
            .zip(&count)
            .map(|(s, &n)| if n == 0 { 0.0 } else { s / f64::from(n) })
            .collect();
        SlotMeans {
            per_day: t.per_day,
            mean,
        }
    }

    /// The mean at `weekday` (Monday = 0) and `slot`; 0 if never observed.
    pub fn get(&self, weekday: usize, slot: usize) -> f64 {
        self.mean[weekday * self.per_day + slot]
    }
}
