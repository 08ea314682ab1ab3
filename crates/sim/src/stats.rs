//! Replications: the same scenario over several seeds, with confidence
//! intervals.
//!
//! Key types: [`Replication`] (every run's [`RunKpis`] and the estimates
//! per queue and for the center), [`Estimates`] (one [`Estimate`] per
//! figure of [`Metrics`]), [`Estimate`] (mean, standard deviation and a
//! Student-t confidence interval over runs), and the functions
//! [`replicate`] and [`student_t_quantile`].
//!
//! Each run is one independent observation of a day (or of a long
//! steady-state stretch), so the interval is the textbook one: mean ± t ×
//! sd / √n with n − 1 degrees of freedom. Runs go to as many threads as
//! the machine has; results come back in seed order, so a replication is
//! as deterministic as a run.

use std::ops::Range;

use serde::Serialize;

use crate::kpis::{Metrics, RunKpis};
use crate::run::{SimError, Simulation};

/// A figure estimated from several runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Runs that produced a value.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Their sample standard deviation (0 for one run).
    pub sd: f64,
    /// Half-width of the 95 % confidence interval; `None` for one run.
    pub half_width: Option<f64>,
}

impl Estimate {
    /// The estimate from `samples`; `None` when there are none.
    pub fn of(samples: impl IntoIterator<Item = f64>) -> Option<Estimate> {
        let samples: Vec<f64> = samples.into_iter().collect();
        let n = samples.len();
        if n == 0 {
            return None;
        }
        let mean = samples.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            let ss: f64 = samples.iter().map(|x| (x - mean) * (x - mean)).sum();
            (ss / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let mut estimate = Estimate {
            n,
            mean,
            sd,
            half_width: None,
        };
        estimate.half_width = estimate.half_width_at(0.95);
        Some(estimate)
    }

    /// Half-width of the two-sided `confidence` interval (e.g. 0.99).
    pub fn half_width_at(&self, confidence: f64) -> Option<f64> {
        (self.n > 1).then(|| {
            let t = student_t_quantile(0.5 + confidence / 2.0, (self.n - 1) as u32);
            t * self.sd / (self.n as f64).sqrt()
        })
    }

    /// Whether `value` lies in the two-sided `confidence` interval.
    pub fn covers(&self, value: f64, confidence: f64) -> bool {
        self.half_width_at(confidence)
            .is_some_and(|h| (value - self.mean).abs() <= h)
    }
}

/// Estimates of the figures of [`Metrics`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Estimates {
    /// Contacts offered.
    pub offered: Option<Estimate>,
    /// Service level, offered definition, at each queue's T.
    pub service_level: Option<Estimate>,
    /// ASA, seconds.
    pub asa: Option<Estimate>,
    /// Abandonment rate.
    pub abandon_rate: Option<Estimate>,
    /// AHT, seconds.
    pub aht: Option<Estimate>,
    /// Occupancy (center only).
    pub occupancy: Option<Estimate>,
    /// Cost (center only, when groups have a cost).
    pub cost: Option<Estimate>,
}

impl Estimates {
    /// Estimates over runs' metrics; runs without a value of a figure are
    /// left out of its estimate.
    pub fn of(metrics: &[Metrics]) -> Estimates {
        let of = |f: fn(&Metrics) -> Option<f64>| Estimate::of(metrics.iter().filter_map(f));
        Estimates {
            offered: of(|m| Some(m.offered as f64)),
            service_level: of(|m| m.service_level),
            asa: of(|m| m.asa),
            abandon_rate: of(|m| m.abandon_rate),
            aht: of(|m| m.aht),
            occupancy: of(|m| m.occupancy),
            cost: of(|m| m.cost),
        }
    }
}

/// Runs of one scenario over several seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replication {
    /// Every run, in seed order.
    pub runs: Vec<RunKpis>,
    /// Per queue (scenario order): its name and estimates.
    pub queues: Vec<(String, Estimates)>,
    /// The whole center.
    pub total: Estimates,
}

/// Runs `sim` once per seed of `seeds` (in parallel) and estimates every
/// figure with a 95 % confidence interval.
pub fn replicate(sim: &Simulation, seeds: Range<u64>) -> Result<Replication, SimError> {
    let seeds: Vec<u64> = seeds.collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(seeds.len())
        .max(1);
    let mut results: Vec<(u64, Result<RunKpis, SimError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let mine: Vec<u64> = seeds.iter().copied().skip(w).step_by(workers).collect();
                scope.spawn(move || {
                    mine.into_iter()
                        .map(|seed| (seed, sim.run_kpis(seed, |_| {})))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    results.sort_by_key(|(seed, _)| *seed);
    let runs = results
        .into_iter()
        .map(|(_, r)| r)
        .collect::<Result<Vec<_>, _>>()?;
    let queues = match runs.first() {
        None => Vec::new(),
        Some(first) => first
            .queues
            .iter()
            .enumerate()
            .map(|(q, queue)| {
                let metrics: Vec<Metrics> = runs.iter().map(|r| r.queue_metrics(q)).collect();
                (queue.name.clone(), Estimates::of(&metrics))
            })
            .collect(),
    };
    let totals: Vec<Metrics> = runs.iter().map(RunKpis::total_metrics).collect();
    Ok(Replication {
        total: Estimates::of(&totals),
        queues,
        runs,
    })
}

/// The `p`-quantile of Student's t distribution with `df` ≥ 1 degrees of
/// freedom, for p in (0, 1): bisection on the exact distribution function
/// of integer degrees of freedom (Abramowitz & Stegun 26.7.3–4), so no
/// table and no approximation.
pub fn student_t_quantile(p: f64, df: u32) -> f64 {
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    // P(|T| ≤ t) = 2p − 1 for the upper quantile.
    let target = 2.0 * p - 1.0;
    let mut hi = 1.0;
    while t_central(hi, df) < target && hi < 1e12 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if t_central(mid, df) < target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    (lo + hi) / 2.0
}

/// P(|T| ≤ t) for t ≥ 0: a finite series in θ = atan(t / √df).
fn t_central(t: f64, df: u32) -> f64 {
    let theta = (t / f64::from(df).sqrt()).atan();
    let (sin, cos) = theta.sin_cos();
    let cos2 = cos * cos;
    if df % 2 == 1 {
        let mut sum = 0.0;
        if df > 1 {
            let mut term = cos;
            sum = cos;
            let mut k = 3;
            while k <= df - 2 {
                term *= cos2 * f64::from(k - 1) / f64::from(k);
                sum += term;
                k += 2;
            }
        }
        2.0 / std::f64::consts::PI * (theta + sin * sum)
    } else {
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut k = 2;
        while k + 2 <= df {
            term *= cos2 * f64::from(k - 1) / f64::from(k);
            sum += term;
            k += 2;
        }
        sin * sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95 % and 99 % critical values.
        for (p, df, table) in [
            (0.975, 1, 12.706),
            (0.975, 2, 4.303),
            (0.975, 9, 2.262),
            (0.975, 10, 2.228),
            (0.975, 30, 2.042),
            (0.995, 9, 3.250),
            (0.995, 19, 2.861),
            (0.995, 120, 2.617),
        ] {
            let t = student_t_quantile(p, df);
            assert!(
                (t - table).abs() < 1e-3,
                "t({p}, {df}) = {t}, table {table}"
            );
        }
        assert!((student_t_quantile(0.025, 10) + 2.228).abs() < 1e-3);
    }

    #[test]
    fn estimates_give_the_textbook_interval() {
        let e = Estimate::of([1.0, 2.0, 3.0, 4.0]).expect("samples");
        assert_eq!(e.mean, 2.5);
        assert!((e.sd - 1.290_994).abs() < 1e-6);
        let h = e.half_width.expect("four runs");
        assert!((h - 3.182_446 * 1.290_994 / 2.0).abs() < 1e-5, "{h}");
        assert!(Estimate::of([5.0]).expect("one").half_width.is_none());
        assert!(Estimate::of([]).is_none());
    }
}
