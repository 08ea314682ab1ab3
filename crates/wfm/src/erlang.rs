//! Erlang B, C and A: what a number of agents achieves on a given traffic.
//!
//! Key types: [`Traffic`] (arrival rate and handle time, checked),
//! [`Patience`] (mean time callers wait before hanging up, or none),
//! [`Performance`] (every KPI the formulas predict, named as in the KPI
//! glossary) with its [`ServiceLevels`], and [`ErlangError`].
//!
//! Numerics, because the textbook formulas break long before a real
//! center's sizes:
//! - Erlang B by the recursion B(n) = A·B(n−1) / (n + A·B(n−1)): no
//!   factorials, no powers, exact to ~1e-15 at 100,000 agents.
//! - Erlang C from B: C = N·B / (N − A·(1 − B)).
//! - Erlang A (M/M/N+M) from the birth–death chain, summed in log space
//!   outwards from state N and truncated where terms fall 45 e-folds below
//!   the largest. Its service level uses the distribution of the virtual
//!   wait behind j callers, Beta(j+1, Nμ/θ) after the change of variable
//!   1 − e^(−θ·wait), evaluated through the negative-binomial form of the
//!   regularised incomplete beta function, term by term in log space: no
//!   `exp` underflows to a wrong answer (pyworkforce's Erlang A returns the
//!   no-wait probability as the service level once (Nμ + queue·θ)·t passes
//!   about 745).

use serde::Serialize;

/// Inputs that no queueing model accepts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErlangError {
    /// A rate, duration or count that must be positive and finite.
    #[error("{field} must be a positive, finite number, got {value}")]
    NotPositive {
        /// The input's name.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// Zero agents.
    #[error("agents must be at least 1")]
    NoAgents,
    /// Erlang C without abandonment has no steady state at or above
    /// capacity: the queue grows without bound.
    #[error(
        "offered load {load:.3} Erlangs is at or above the {agents} agents' capacity: \
         without abandonment the queue grows without bound (add agents, or model \
         abandonment with a patience)"
    )]
    LoadAboveCapacity {
        /// Offered load in Erlangs.
        load: f64,
        /// Agents.
        agents: u32,
    },
    /// Erlang A with so much overload and so much patience that the queue
    /// would hold more callers than the model sums.
    #[error(
        "the queue does not settle within {states} waiting callers: offered load \
         {load:.1} Erlangs on {agents} agents with patience {patience:.0} s"
    )]
    QueueTooLong {
        /// States summed before giving up.
        states: u64,
        /// Offered load.
        load: f64,
        /// Agents.
        agents: u32,
        /// Mean patience in seconds.
        patience: f64,
    },
}

fn positive(field: &'static str, value: f64) -> Result<f64, ErlangError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ErlangError::NotPositive { field, value })
    }
}

/// Offered traffic: Poisson arrivals with exponential handle times.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Traffic {
    arrivals_per_second: f64,
    aht: f64,
}

impl Traffic {
    /// `contacts` arriving over `period` seconds, each handled in `aht`
    /// seconds on average.
    pub fn new(contacts: f64, period: f64, aht: f64) -> Result<Self, ErlangError> {
        let contacts = positive("contacts", contacts)?;
        let period = positive("interval", period)?;
        Ok(Traffic {
            arrivals_per_second: contacts / period,
            aht: positive("aht", aht)?,
        })
    }

    /// Traffic of `erlangs` offered load with handle time `aht`.
    pub fn from_erlangs(erlangs: f64, aht: f64) -> Result<Self, ErlangError> {
        let erlangs = positive("offered load", erlangs)?;
        let aht = positive("aht", aht)?;
        Ok(Traffic {
            arrivals_per_second: erlangs / aht,
            aht,
        })
    }

    /// Offered load A = λ · AHT in Erlangs.
    pub fn erlangs(self) -> f64 {
        self.arrivals_per_second * self.aht
    }

    /// Average handle time in seconds.
    pub fn aht(self) -> f64 {
        self.aht
    }

    /// Arrival rate per second.
    pub fn arrivals_per_second(self) -> f64 {
        self.arrivals_per_second
    }
}

/// How long callers wait before they hang up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Patience {
    /// Nobody hangs up (Erlang C).
    Unlimited,
    /// Exponential patience with this mean in seconds (Erlang A).
    Mean(f64),
}

impl Patience {
    /// Exponential patience with mean `seconds`.
    pub fn mean(seconds: f64) -> Result<Self, ErlangError> {
        Ok(Patience::Mean(positive("patience", seconds)?))
    }
}

/// Service level by each definition of the KPI glossary, for one
/// threshold. Without abandonment all four coincide.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ServiceLevels {
    /// Answered within T ÷ answered (Asterisk SL).
    pub answered: f64,
    /// Answered within T ÷ offered (Amazon Connect; no short abandons in
    /// the model).
    pub offered: f64,
    /// (Answered within T + abandoned within T) ÷ (answered + abandoned).
    pub abandon_neutral: f64,
    /// Probability that a caller who never hangs up would wait at most T.
    #[serde(rename = "virtual")]
    pub virtual_wait: f64,
}

/// What `agents` agents achieve on a traffic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Performance {
    /// Agents on the phones.
    pub agents: u32,
    /// Offered load in Erlangs.
    pub offered_load: f64,
    /// Service-level threshold T in seconds.
    pub threshold: f64,
    /// Probability that a caller waits at all.
    pub waiting_probability: f64,
    /// Service level within T, by definition.
    pub service_level: ServiceLevels,
    /// Average speed of answer: mean wait of answered callers, seconds.
    pub asa: f64,
    /// Mean wait of all callers, answered or not, seconds.
    pub average_wait: f64,
    /// Share of callers who hang up before an answer.
    pub abandon_rate: f64,
    /// Share of agent time spent handling contacts.
    pub occupancy: f64,
    /// Mean number of callers waiting.
    pub queue_length: f64,
}

/// Erlang B: the probability that a call finds all `agents` lines busy
/// and is lost, for `load` Erlangs offered.
///
/// The recursion contracts: an error in B(n) is multiplied by about
/// min(n/A, A/n) per step. So instead of starting at B(0) = 1 it starts
/// [`WARM_START`] standard deviations below the load, from the overload
/// approximation B(n) ≈ 1 − n/A, and the start's error has shrunk by
/// e^(−WARM_START²/2) ≈ 1e-43 before it reaches any N ≥ A: O(√A) steps
/// instead of O(N), same result to the last bit that matters.
pub fn erlang_b(load: f64, agents: u32) -> Result<f64, ErlangError> {
    let load = positive("offered load", load)?;
    let warm = (load - WARM_START * load.sqrt()).floor();
    let (first, start) = if warm >= 1.0 && f64::from(agents) >= load {
        let n0 = warm as u32;
        (n0 + 1, 1.0 - f64::from(n0) / load)
    } else {
        (1, 1.0)
    };
    Ok((first..=agents).fold(start, |b, n| {
        let ab = load * b;
        ab / (f64::from(n) + ab)
    }))
}

/// Standard deviations below the load where Erlang B's recursion starts.
const WARM_START: f64 = 14.0;

/// Erlang C given Erlang B of the same load and agents.
fn erlang_c_from_b(load: f64, agents: u32, b: f64) -> f64 {
    let n = f64::from(agents);
    n * b / (n - load * (1.0 - b))
}

/// Erlang C: the probability of waiting with `agents` agents and `load`
/// Erlangs offered; the load must be below the agents' capacity.
pub fn erlang_c(load: f64, agents: u32) -> Result<f64, ErlangError> {
    check_capacity(load, agents)?;
    Ok(erlang_c_from_b(load, agents, erlang_b(load, agents)?))
}

fn check_capacity(load: f64, agents: u32) -> Result<(), ErlangError> {
    let load = positive("offered load", load)?;
    if agents == 0 {
        return Err(ErlangError::NoAgents);
    }
    if load >= f64::from(agents) {
        return Err(ErlangError::LoadAboveCapacity { load, agents });
    }
    Ok(())
}

/// What `agents` agents achieve on `traffic`, with service levels at
/// `threshold` seconds.
pub fn performance(
    traffic: Traffic,
    patience: Patience,
    agents: u32,
    threshold: f64,
) -> Result<Performance, ErlangError> {
    if agents == 0 {
        return Err(ErlangError::NoAgents);
    }
    if !(threshold.is_finite() && threshold >= 0.0) {
        return Err(ErlangError::NotPositive {
            field: "threshold",
            value: threshold,
        });
    }
    match patience {
        Patience::Unlimited => {
            let load = traffic.erlangs();
            check_capacity(load, agents)?;
            let b = erlang_b(load, agents)?;
            Ok(erlang_c_performance(traffic, agents, threshold, b))
        }
        Patience::Mean(mean) => erlang_a_performance(traffic, mean, agents, threshold),
    }
}

/// Erlang C metrics from Erlang B of the same load and agents (so a
/// staffing search can step B along without recomputing it).
pub(crate) fn erlang_c_performance(
    traffic: Traffic,
    agents: u32,
    threshold: f64,
    b: f64,
) -> Performance {
    let load = traffic.erlangs();
    let n = f64::from(agents);
    let c = erlang_c_from_b(load, agents, b);
    let sl = 1.0 - c * (-(n - load) * threshold / traffic.aht).exp();
    let asa = c * traffic.aht / (n - load);
    Performance {
        agents,
        offered_load: load,
        threshold,
        waiting_probability: c,
        service_level: ServiceLevels {
            answered: sl,
            offered: sl,
            abandon_neutral: sl,
            virtual_wait: sl,
        },
        asa,
        average_wait: asa,
        abandon_rate: 0.0,
        occupancy: load / n,
        queue_length: c * load / (n - load),
    }
}

/// Terms more than this many e-folds below the largest are dropped.
const TRUNCATE: f64 = 45.0;
/// Most waiting-queue states Erlang A sums before it gives up.
const MAX_QUEUE_STATES: u64 = 50_000_000;

/// Sums of non-negative terms given by their logarithms, kept scaled by
/// the largest logarithm seen so far so nothing overflows or underflows
/// until the final ratio.
#[derive(Debug, Clone, Copy)]
struct Scaled<const K: usize> {
    log_scale: f64,
    sums: [f64; K],
}

impl<const K: usize> Scaled<K> {
    fn new() -> Self {
        Scaled {
            log_scale: 0.0,
            sums: [0.0; K],
        }
    }

    /// Adds `exp(log_term) · weights[i]` to sum i.
    fn add(&mut self, log_term: f64, weights: [f64; K]) {
        if log_term > self.log_scale {
            let shrink = (self.log_scale - log_term).exp();
            self.sums.iter_mut().for_each(|s| *s *= shrink);
            self.log_scale = log_term;
        }
        let term = (log_term - self.log_scale).exp();
        for (sum, w) in self.sums.iter_mut().zip(weights) {
            *sum += term * w;
        }
    }

    /// Sum i in the scale of sum `of`: a ratio, free of the scale.
    fn ratio(&self, i: usize, of: &Scaled<1>) -> f64 {
        self.sums[i] / of.sums[0] * (self.log_scale - of.log_scale).exp()
    }

    /// Adds sum `i` of `other` to every sum of `self`.
    fn absorb<const L: usize>(&mut self, other: &Scaled<L>, i: usize) {
        if other.log_scale > self.log_scale {
            let shrink = (self.log_scale - other.log_scale).exp();
            self.sums.iter_mut().for_each(|s| *s *= shrink);
            self.log_scale = other.log_scale;
        }
        let shift = (other.log_scale - self.log_scale).exp();
        self.sums
            .iter_mut()
            .for_each(|s| *s += other.sums[i] * shift);
    }
}

/// Running value of the regularised incomplete beta function
/// I_x(j+1, b) for j = 0, 1, 2, ..., through its negative-binomial form
/// I_x(j+1, b) = 1 − Σ_{k≤j} Γ(b+k)/(Γ(b)·k!) · x^k · (1−x)^b.
#[derive(Debug, Clone, Copy)]
struct IncompleteBeta {
    b: f64,
    ln_x: f64,
    log_term: f64,
    cdf: f64,
    k: f64,
}

impl IncompleteBeta {
    /// Starts at j = 0 with x = 1 − e^(−rate·t), given as
    /// `ln_one_minus_x` = −rate·t, for exactness at small and large t.
    fn new(b: f64, ln_x: f64, ln_one_minus_x: f64) -> Self {
        let log_term = b * ln_one_minus_x;
        IncompleteBeta {
            b,
            ln_x,
            log_term,
            cdf: log_term.exp(),
            k: 0.0,
        }
    }

    fn value(&self) -> f64 {
        (1.0 - self.cdf).max(0.0)
    }

    fn step(&mut self) {
        self.log_term += self.ln_x + (self.b + self.k).ln() - (self.k + 1.0).ln();
        self.k += 1.0;
        self.cdf += self.log_term.exp();
    }
}

/// Erlang A (M/M/N+M, Palm): exponential patience of mean `patience` s.
fn erlang_a_performance(
    traffic: Traffic,
    patience: f64,
    agents: u32,
    threshold: f64,
) -> Result<Performance, ErlangError> {
    let lambda = traffic.arrivals_per_second;
    let mu = 1.0 / traffic.aht;
    let theta = 1.0 / patience;
    let load = traffic.erlangs();
    let n = f64::from(agents);
    let capacity = n * mu;

    // States below N, relative to p_N: going down p_{k−1} = p_k · k / A.
    let mut below = Scaled::<1>::new();
    let mut log_p = 0.0_f64;
    let mut largest = 0.0_f64;
    for k in (1..=agents).rev() {
        log_p += (f64::from(k) / load).ln();
        largest = largest.max(log_p);
        below.add(log_p, [1.0]);
        if log_p < largest - TRUNCATE && f64::from(k) < load {
            break;
        }
    }

    // States N + j (j callers waiting), j = 0, 1, ...: an arrival there
    // waits behind j others; the sums carry, per state, the weights of
    // waiting, queue length and each service-level and served-wait term.
    let b = capacity / theta;
    let x_rate = theta * threshold;
    // ln(1 − e^(−θt)) without cancellation at small θt (−∞ at t = 0).
    let ln_x = (-(-x_rate).exp_m1()).ln();
    let mut virtual_beta = IncompleteBeta::new(b, ln_x, -x_rate);
    let mut served_beta = IncompleteBeta::new(b + 1.0, ln_x, -x_rate);
    let mut harmonic = 0.0_f64;
    let mut queue = Scaled::<6>::new();
    let mut log_p = 0.0_f64;
    let mut largest = 0.0_f64;
    let mut j: u64 = 0;
    loop {
        let jf = j as f64;
        let served = b / (b + jf + 1.0);
        harmonic += 1.0 / (b + 1.0 + jf);
        let (virtual_within, left_within) = (virtual_beta.value(), served_beta.value());
        queue.add(
            log_p,
            [
                1.0,
                jf,
                virtual_within,
                served * left_within,
                left_within,
                served * harmonic / theta,
            ],
        );
        largest = largest.max(log_p);
        let next_rate = capacity + (jf + 1.0) * theta;
        if log_p < largest - TRUNCATE && lambda < next_rate {
            break;
        }
        j += 1;
        if j > MAX_QUEUE_STATES {
            return Err(ErlangError::QueueTooLong {
                states: MAX_QUEUE_STATES,
                load,
                agents,
                patience,
            });
        }
        log_p += (lambda / next_rate).ln();
        virtual_beta.step();
        served_beta.step();
    }

    // Normalise by all states: below N plus N and above.
    let mut total = below;
    total.absorb(&queue, 0);
    let p_wait = queue.ratio(0, &total);
    let queue_length = queue.ratio(1, &total);
    let no_wait = 1.0 - p_wait;
    let abandon_rate = theta * queue_length / lambda;
    let answered_share = 1.0 - abandon_rate;
    let answered_within = no_wait + queue.ratio(3, &total);
    Ok(Performance {
        agents,
        offered_load: load,
        threshold,
        waiting_probability: p_wait,
        // Sums of rounded terms can pass 1 by an ulp or two.
        service_level: ServiceLevels {
            answered: (answered_within / answered_share).min(1.0),
            offered: answered_within.min(1.0),
            abandon_neutral: (no_wait + queue.ratio(4, &total)).min(1.0),
            virtual_wait: (no_wait + queue.ratio(2, &total)).min(1.0),
        },
        asa: queue.ratio(5, &total) / answered_share,
        average_wait: queue_length / lambda,
        abandon_rate,
        occupancy: lambda * answered_share * traffic.aht / n,
        queue_length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance * expected.abs().max(1e-300),
            "{actual} vs {expected} (relative tolerance {tolerance})"
        );
    }

    fn erlang_b_from_zero(load: f64, agents: u32) -> f64 {
        (1..=agents).fold(1.0, |b, n| load * b / (f64::from(n) + load * b))
    }

    #[test]
    fn warm_started_erlang_b_equals_the_full_recursion() {
        for load in [200.0, 1000.0, 3333.3, 10_000.0, 12_345.0, 99_000.0] {
            for extra in [0.0, 1.0, 0.5, 3.0, 20.0] {
                let agents = (load + extra * f64::sqrt(load)).ceil() as u32;
                let full = erlang_b_from_zero(load, agents);
                let warm = erlang_b(load, agents).unwrap();
                assert!(
                    ((warm - full) / full).abs() < 1e-13,
                    "A = {load}, N = {agents}: {warm} vs {full}"
                );
            }
        }
    }

    #[test]
    fn scaled_sums_survive_huge_and_tiny_logs() {
        let mut s = Scaled::<1>::new();
        s.add(-800.0, [1.0]);
        s.add(800.0, [1.0]);
        s.add(800.0, [1.0]);
        let mut one = Scaled::<1>::new();
        one.add(800.0 + 2f64.ln(), [1.0]);
        close(s.ratio(0, &one), 1.0, 1e-12);
    }
}
