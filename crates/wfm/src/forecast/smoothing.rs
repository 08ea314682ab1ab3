//! Holt–Winters exponential smoothing with weekly and daily seasonality,
//! keyed by the calendar.
//!
//! Key types: [`Params`] (the smoothing weights) and [`State`] (level,
//! damped trend, one factor per weekday, one intraday shape per weekday);
//! [`holt_winters`] fits and forecasts.
//!
//! The model works on days, not rows: a day's total is level × weekday
//! factor, and the total splits across the day by the weekday's shape
//! (shares summing to 1 over its open slots). After each observed day the
//! level and damped trend follow the deseasonalised total (Holt), the
//! weekday factor and the shape move toward what the day showed
//! (Winters). So closed hours, weekends and missing days need no padding,
//! and a day with some slots missing still updates the level through the
//! share of the day it did observe.
//!
//! The weights are chosen on the training data itself: the filter runs
//! once per candidate, forecasts each of the last few weeks from the week
//! before, and the candidate with the lowest WAPE over those weeks wins.
//! Choosing by multi-day error rather than one-step likelihood matters:
//! one-step fits chase interval noise and forecast badly a week out. The
//! chosen shape is then smoothed across neighbouring slots when that
//! helped in validation, which is what lets 5-minute history beat a plain
//! average: one 5-minute slot is mostly Poisson noise, its neighbours are
//! not.

use super::ForecastError;
use super::training::{Day, MIN_TRAINING_DAYS, Target, Training, add_days};

/// Smoothing weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Params {
    /// Level weight (Holt's α).
    pub alpha: f64,
    /// Trend weight (Holt's β); 0 with `phi` 0 means no trend.
    pub beta: f64,
    /// Trend damping per open day.
    pub phi: f64,
    /// Weekday factor weight.
    pub gamma_day: f64,
    /// Intraday shape weight.
    pub gamma_shape: f64,
    /// Half-width in slots of the triangular kernel applied to the shape
    /// at forecast time.
    pub bandwidth: usize,
}

/// Weights used when training is too short to validate any.
const DEFAULT: Params = Params {
    alpha: 0.1,
    beta: 0.0,
    phi: 0.0,
    gamma_day: 0.15,
    gamma_shape: 0.1,
    bandwidth: 0,
};

const ALPHAS: [f64; 5] = [0.01, 0.03, 0.1, 0.25, 0.5];
/// (β, φ): no trend, or a slow, damped one. Strong trends over a few weeks
/// of call-center data are nearly always level shifts, which α follows.
const TRENDS: [(f64, f64); 2] = [(0.0, 0.0), (0.03, 0.98)];
const GAMMA_DAYS: [f64; 3] = [0.05, 0.15, 0.35];
const GAMMA_SHAPES: [f64; 4] = [0.03, 0.08, 0.2, 0.4];
/// Kernel half-widths tried: up to three slots each side (15 minutes at
/// 5-minute intervals, 1.5 hours at 30) before a peak is flattened.
const BANDWIDTHS: [usize; 4] = [0, 1, 2, 3];

/// Validation weeks: at most this many of the last weeks of training.
const VALIDATION_WEEKS: i64 = 3;
/// A day observing less than this share of its expected volume says too
/// little about the level.
const MIN_OBSERVED_SHARE: f64 = 0.5;

/// Fits the weights on `t` and forecasts `targets`.
pub(crate) fn holt_winters(t: &Training, targets: &[Target]) -> Result<Vec<f64>, ForecastError> {
    let params = choose(t)?;
    let mut state = State::init(t);
    for day in state.after_init(t) {
        state.update(day, &params);
    }
    let shapes = state.smoothed_shapes(t, params.bandwidth);
    let forecast = targets
        .iter()
        .map(|x| state.day_total(x.weekday, x.step, &params) * shapes[x.weekday][x.slot])
        .collect();
    Ok(forecast)
}

/// Level, damped trend, weekday factors and intraday shapes.
#[derive(Debug, Clone)]
pub(crate) struct State {
    level: f64,
    trend: f64,
    factor: [f64; 7],
    shape: [Vec<f64>; 7],
    /// Days learnt from (the initial two weeks included), in all and per
    /// weekday: while 1 ÷ (days + 1) exceeds a weight, the update uses
    /// that instead, so a short history is averaged evenly (as the
    /// profile does) and smoothing takes over once there is enough of it.
    days: u32,
    weekdays: [u32; 7],
    /// The first day not in the initial two weeks.
    start: jiff::civil::Date,
}

impl State {
    /// Starting values from the first two weeks of training.
    fn init(t: &Training) -> State {
        let end = add_days(t.first, MIN_TRAINING_DAYS).unwrap_or(t.origin);
        let mut slot_sum: [Vec<f64>; 7] = std::array::from_fn(|_| vec![0.0; t.per_day]);
        let mut total = [0.0; 7];
        let mut days = [0u32; 7];
        for day in t.days.iter().take_while(|d| d.date < end) {
            for (s, v) in day.contacts.iter().enumerate() {
                if let Some(v) = v {
                    slot_sum[day.weekday][s] += v;
                    total[day.weekday] += v;
                }
            }
            days[day.weekday] += 1;
        }
        let shape = std::array::from_fn(|w| {
            let open = &t.open[w];
            let mut shape = vec![0.0; t.per_day];
            for &s in open {
                shape[s] = if total[w] > 0.0 {
                    slot_sum[w][s] / total[w]
                } else {
                    1.0 / open.len() as f64
                };
            }
            shape
        });
        let seen: Vec<usize> = (0..7).filter(|&w| days[w] > 0).collect();
        let mean_day = seen
            .iter()
            .map(|&w| total[w] / f64::from(days[w]))
            .sum::<f64>()
            / seen.len().max(1) as f64;
        let factor = std::array::from_fn(|w| {
            if days[w] > 0 && mean_day > 0.0 {
                total[w] / f64::from(days[w]) / mean_day
            } else {
                1.0
            }
        });
        State {
            level: mean_day,
            trend: 0.0,
            factor,
            shape,
            days: days.iter().sum(),
            weekdays: days,
            start: end,
        }
    }

    /// The training days after the initial two weeks.
    fn after_init<'t>(&self, t: &'t Training) -> &'t [Day] {
        let skip = t.days.partition_point(|d| d.date < self.start);
        &t.days[skip..]
    }

    /// Learns from one observed day.
    fn update(&mut self, day: &Day, p: &Params) {
        let w = day.weekday;
        let (mut seen, mut share) = (0.0, 0.0);
        for (s, v) in day.contacts.iter().enumerate() {
            if let Some(v) = v {
                seen += v;
                share += self.shape[w][s];
            }
        }
        if share < MIN_OBSERVED_SHARE {
            return;
        }
        let total = seen / share;
        self.days += 1;
        self.weekdays[w] += 1;
        let alpha = p.alpha.max(1.0 / f64::from(self.days));
        let gamma_day = p.gamma_day.max(1.0 / f64::from(self.weekdays[w]));
        let gamma_shape = p.gamma_shape.max(1.0 / f64::from(self.weekdays[w]));
        let previous = self.level;
        let predicted = self.level + p.phi * self.trend;
        if self.factor[w] > f64::EPSILON {
            self.level = alpha * (total / self.factor[w]) + (1.0 - alpha) * predicted;
            self.trend = p.beta * (self.level - previous) + (1.0 - p.beta) * p.phi * self.trend;
        }
        if self.level > f64::EPSILON {
            self.factor[w] = gamma_day * (total / self.level) + (1.0 - gamma_day) * self.factor[w];
        }
        if total > 0.0 {
            let shape = &mut self.shape[w];
            for (s, v) in day.contacts.iter().enumerate() {
                if let Some(v) = v {
                    shape[s] = gamma_shape * (v / total) + (1.0 - gamma_shape) * shape[s];
                }
            }
            let sum: f64 = shape.iter().sum();
            if sum > 0.0 {
                shape.iter_mut().for_each(|x| *x /= sum);
            }
        }
    }

    /// The expected total of a `weekday` that is `step` open days ahead.
    fn day_total(&self, weekday: usize, step: usize, p: &Params) -> f64 {
        let damped: f64 = (1..=step).map(|i| p.phi.powi(i as i32)).sum();
        (self.level + damped * self.trend).max(0.0) * self.factor[weekday]
    }

    /// Each weekday's shape smoothed by a triangular kernel of half-width
    /// `bandwidth` over its open slots, renormalised to sum to 1. The
    /// kernel never reaches into closed slots, so opening hours stay
    /// sharp.
    fn smoothed_shapes(&self, t: &Training, bandwidth: usize) -> [Vec<f64>; 7] {
        std::array::from_fn(|w| {
            let shape = &self.shape[w];
            if bandwidth == 0 {
                return shape.clone();
            }
            let is_open = |s: usize| t.open[w].binary_search(&s).is_ok();
            let mut out = vec![0.0; t.per_day];
            for &s in &t.open[w] {
                let (mut sum, mut weight) = (0.0, 0.0);
                let lo = s.saturating_sub(bandwidth);
                let hi = (s + bandwidth).min(t.per_day - 1);
                for n in (lo..=hi).filter(|&n| is_open(n)) {
                    let k = (bandwidth + 1 - n.abs_diff(s)) as f64;
                    sum += k * shape[n];
                    weight += k;
                }
                out[s] = sum / weight;
            }
            let total: f64 = out.iter().sum();
            if total > 0.0 {
                out.iter_mut().for_each(|x| *x /= total);
            }
            out
        })
    }
}

/// The weights with the lowest WAPE over the validation weeks, or
/// [`DEFAULT`] when training is too short to hold any week out.
fn choose(t: &Training) -> Result<Params, ForecastError> {
    let earliest = add_days(t.first, MIN_TRAINING_DAYS)?;
    let mut origins = Vec::new();
    for week in (1..=VALIDATION_WEEKS).rev() {
        let origin = add_days(t.origin, -7 * week)?;
        if origin >= earliest {
            origins.push(origin);
        }
    }
    if origins.is_empty() {
        return Ok(DEFAULT);
    }
    let mut best = (f64::INFINITY, DEFAULT);
    for &alpha in &ALPHAS {
        for &(beta, phi) in &TRENDS {
            for &gamma_day in &GAMMA_DAYS {
                for &gamma_shape in &GAMMA_SHAPES {
                    let p = Params {
                        alpha,
                        beta,
                        phi,
                        gamma_day,
                        gamma_shape,
                        bandwidth: 0,
                    };
                    for (bandwidth, wape) in validate(t, &p, &origins)? {
                        if wape < best.0 {
                            best = (wape, Params { bandwidth, ..p });
                        }
                    }
                }
            }
        }
    }
    Ok(best.1)
}

/// WAPE over the week after each origin, forecast from the state just
/// before it, for each bandwidth.
fn validate(
    t: &Training,
    p: &Params,
    origins: &[jiff::civil::Date],
) -> Result<Vec<(usize, f64)>, ForecastError> {
    let mut state = State::init(t);
    let mut error = [0.0; BANDWIDTHS.len()];
    let mut actual = 0.0;
    let mut next = 0;
    let days = state.after_init(t);
    for (i, day) in days.iter().enumerate() {
        while next < origins.len() && day.date >= origins[next] {
            let end = add_days(origins[next], 7)?;
            let shapes = BANDWIDTHS.map(|b| state.smoothed_shapes(t, b));
            for (step, ahead) in days[i..].iter().take_while(|d| d.date < end).enumerate() {
                let total = state.day_total(ahead.weekday, step + 1, p);
                for (s, v) in ahead.contacts.iter().enumerate() {
                    if let Some(v) = v {
                        actual += v;
                        for (e, shape) in error.iter_mut().zip(&shapes) {
                            *e += (v - total * shape[ahead.weekday][s]).abs();
                        }
                    }
                }
            }
            next += 1;
        }
        state.update(day, p);
    }
    Ok(BANDWIDTHS
        .iter()
        .zip(error)
        .map(|(&b, e)| (b, if actual > 0.0 { e / actual } else { 0.0 }))
        .collect())
}
