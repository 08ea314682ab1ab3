//! Random durations: handle, wrap-up, hold, patience, retrial delay, ring.
//!
//! Key types: [`DistributionSpec`] (as a scenario file writes it, e.g.
//! `{ exponential = "3m" }` or `{ lognormal = { mean = "4m", sd = "2m" } }`)
//! and [`Distribution`] (checked, with empirical samples loaded, ready to
//! draw milliseconds from a random number generator).
//!
//! Every draw uses a fixed number of uniform numbers for a given
//! distribution (fixed: none; exponential, uniform, empirical: one;
//! lognormal: two, Box–Muller).

use std::path::{Path, PathBuf};

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::scenario::ScenarioError;
use crate::units::Period;

/// A distribution of durations as written in a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DistributionSpec {
    /// Always this long.
    Fixed(Period),
    /// Exponential with this mean.
    Exponential(Period),
    /// Lognormal with this mean and standard deviation.
    Lognormal {
        /// Mean.
        mean: Period,
        /// Standard deviation.
        sd: Period,
    },
    /// Uniform between two bounds.
    Uniform {
        /// Shortest.
        min: Period,
        /// Longest.
        max: Period,
    },
    /// One of these observed durations, each equally likely.
    Empirical(Vec<Period>),
    /// Observed durations in seconds from a column of a CSV file with a
    /// header row (path relative to the scenario file).
    EmpiricalCsv {
        /// The file.
        path: PathBuf,
        /// The column's name in the header.
        column: String,
    },
}

/// A checked distribution, ready to draw from.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Always `ms`.
    Fixed(f64),
    /// Exponential with mean `ms`.
    Exponential(f64),
    /// `exp(mu + sigma·Z)` milliseconds, Z standard normal.
    Lognormal {
        /// Location of the log.
        mu: f64,
        /// Scale of the log.
        sigma: f64,
    },
    /// Uniform on `[min, max]` milliseconds.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// One of the samples, in milliseconds.
    Empirical(Vec<f64>),
}

impl Distribution {
    /// Checks `spec` (named `key` in errors) and loads its samples; a CSV
    /// path is taken relative to `base`.
    pub fn new(spec: &DistributionSpec, key: &str, base: &Path) -> Result<Self, ScenarioError> {
        let invalid = |problem: String| ScenarioError::Invalid {
            key: key.to_owned(),
            problem,
        };
        Ok(match spec {
            DistributionSpec::Fixed(p) => Distribution::Fixed(p.0 as f64),
            DistributionSpec::Exponential(mean) => {
                if mean.0 == 0 {
                    return Err(invalid("an exponential mean must be above zero".into()));
                }
                Distribution::Exponential(mean.0 as f64)
            }
            DistributionSpec::Lognormal { mean, sd } => {
                if mean.0 == 0 {
                    return Err(invalid("a lognormal mean must be above zero".into()));
                }
                let (m, s) = (mean.0 as f64, sd.0 as f64);
                // Moments of the lognormal solved for its parameters.
                let sigma2 = (1.0 + (s * s) / (m * m)).ln();
                Distribution::Lognormal {
                    mu: m.ln() - sigma2 / 2.0,
                    sigma: sigma2.sqrt(),
                }
            }
            DistributionSpec::Uniform { min, max } => {
                if max < min {
                    return Err(invalid(format!("uniform max {max} is below min {min}")));
                }
                Distribution::Uniform {
                    min: min.0 as f64,
                    max: max.0 as f64,
                }
            }
            DistributionSpec::Empirical(samples) => {
                if samples.is_empty() {
                    return Err(invalid("an empirical distribution needs samples".into()));
                }
                Distribution::Empirical(samples.iter().map(|p| p.0 as f64).collect())
            }
            DistributionSpec::EmpiricalCsv { path, column } => {
                let full = base.join(path);
                Distribution::Empirical(read_column(&full, column, key)?)
            }
        })
    }

    /// The mean in milliseconds.
    pub fn mean_ms(&self) -> f64 {
        match self {
            Distribution::Fixed(ms) | Distribution::Exponential(ms) => *ms,
            Distribution::Lognormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Distribution::Uniform { min, max } => (min + max) / 2.0,
            Distribution::Empirical(samples) => samples.iter().sum::<f64>() / samples.len() as f64,
        }
    }

    /// A draw in milliseconds.
    pub fn sample(&self, rng: &mut impl Rng) -> f64 {
        match self {
            Distribution::Fixed(ms) => *ms,
            Distribution::Exponential(mean) => {
                let u: f64 = rng.random();
                -(1.0 - u).ln() * mean
            }
            Distribution::Lognormal { mu, sigma } => {
                // Box–Muller; the second normal of the pair is dropped so
                // that every draw takes exactly two uniforms.
                let u1: f64 = rng.random();
                let u2: f64 = rng.random();
                let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                (mu + sigma * z).exp()
            }
            Distribution::Uniform { min, max } => {
                let u: f64 = rng.random();
                min + u * (max - min)
            }
            Distribution::Empirical(samples) => {
                let u: f64 = rng.random();
                samples[((u * samples.len() as f64) as usize).min(samples.len() - 1)]
            }
        }
    }

    /// A draw in whole milliseconds, capped to fit a `u32` (49 days).
    pub fn sample_ms(&self, rng: &mut impl Rng) -> u32 {
        self.sample(rng).round().clamp(0.0, f64::from(u32::MAX)) as u32
    }
}

/// Reads a column of seconds from a CSV file with a header row.
fn read_column(path: &Path, column: &str, key: &str) -> Result<Vec<f64>, ScenarioError> {
    let csv_error = |line: u64, problem: String| ScenarioError::Csv {
        path: path.to_owned(),
        line,
        problem,
    };
    let file = std::fs::File::open(path).map_err(|source| ScenarioError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let header = reader
        .headers()
        .map_err(|e| csv_error(1, e.to_string()))?
        .clone();
    let index = header
        .iter()
        .position(|h| h == column)
        .ok_or_else(|| csv_error(1, format!("the header has no `{column}` column ({key})")))?;
    let mut samples = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            csv_error(
                e.position().map_or(0, |p| p.line()),
                format!("unreadable row: {e}"),
            )
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let text = record.get(index).unwrap_or("");
        if text.is_empty() {
            continue;
        }
        let seconds: f64 = text
            .parse()
            .map_err(|_| csv_error(line, format!("`{column}` = {text:?} is not a number")))?;
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(csv_error(
                line,
                format!("`{column}` = {text:?} must be seconds ≥ 0"),
            ));
        }
        samples.push(seconds * 1000.0);
    }
    if samples.is_empty() {
        return Err(csv_error(1, format!("no values in column `{column}`")));
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;

    fn mean_of(d: &Distribution, n: usize) -> f64 {
        let mut rng = SmallRng::seed_from_u64(7);
        (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn samples_have_the_stated_means() {
        let base = Path::new(".");
        let lognormal = DistributionSpec::Lognormal {
            mean: Period::from_secs(240),
            sd: Period::from_secs(120),
        };
        for spec in [
            DistributionSpec::Exponential(Period::from_secs(180)),
            lognormal,
            DistributionSpec::Uniform {
                min: Period::from_secs(10),
                max: Period::from_secs(30),
            },
            DistributionSpec::Empirical(vec![Period::from_secs(10), Period::from_secs(50)]),
        ] {
            let d = Distribution::new(&spec, "test", base).expect("valid");
            let mean = mean_of(&d, 200_000);
            assert!(
                (mean / d.mean_ms() - 1.0).abs() < 0.01,
                "{spec:?}: sample mean {mean}, expected {}",
                d.mean_ms()
            );
        }
    }

    #[test]
    fn bad_parameters_name_the_key() {
        let err = Distribution::new(
            &DistributionSpec::Exponential(Period(0)),
            "queue \"Sales\".handle",
            Path::new("."),
        )
        .expect_err("zero mean");
        assert!(err.to_string().contains("queue \"Sales\".handle"), "{err}");
    }
}
