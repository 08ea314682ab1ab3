//! Staffing: the fewest agents that meet every target.
//!
//! Key types: [`Targets`] (any combination of service level within T by a
//! named [`SlDefinition`], maximum ASA, abandonment and occupancy),
//! [`Shrinkage`], [`Staffing`] (agents on the phones, scheduled agents after
//! shrinkage, optional fractional agents, and the predicted performance),
//! [`IntervalStaffing`] for a day of intervals, [`PoolingComparison`] for
//! pooled versus split queues, and [`StaffingError`].
//!
//! Every metric improves as agents are added, so the fewest agents is found
//! by search: stepping Erlang B one agent at a time from the stability
//! bound for Erlang C (O(1) per step), and galloping then bisecting for
//! Erlang A.

use serde::{Deserialize, Serialize};

use crate::erlang::{
    ErlangError, Patience, Performance, Traffic, erlang_b, erlang_c_performance, performance,
};
use crate::series::{Demand, IntervalLength, Requirement};

/// Which service-level definition a target or report uses (KPI glossary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlDefinition {
    /// Answered within T ÷ answered.
    Answered,
    /// Answered within T ÷ offered (the default: abandons count against).
    #[default]
    Offered,
    /// (Answered + abandoned within T) ÷ (answered + abandoned).
    AbandonNeutral,
    /// Virtual wait of a caller who never hangs up.
    Virtual,
}

impl SlDefinition {
    /// The value of this definition in a performance.
    pub fn of(self, p: &Performance) -> f64 {
        match self {
            SlDefinition::Answered => p.service_level.answered,
            SlDefinition::Offered => p.service_level.offered,
            SlDefinition::AbandonNeutral => p.service_level.abandon_neutral,
            SlDefinition::Virtual => p.service_level.virtual_wait,
        }
    }
}

/// A service-level target: `fraction` of contacts within `threshold` s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServiceLevelTarget {
    /// Share of contacts, in (0, 1).
    pub fraction: f64,
    /// Threshold T in seconds.
    pub threshold: f64,
    /// The definition the share is measured by.
    pub definition: SlDefinition,
}

/// What the staffing must achieve; every target given must hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Targets {
    /// Service level within a threshold.
    pub service_level: Option<ServiceLevelTarget>,
    /// Highest acceptable ASA in seconds.
    pub max_asa: Option<f64>,
    /// Highest acceptable abandonment rate, in (0, 1).
    pub max_abandon: Option<f64>,
    /// Highest acceptable occupancy, in (0, 1].
    pub max_occupancy: Option<f64>,
}

/// Share of paid time agents are not on the phones (breaks, training,
/// absence), in [0, 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Shrinkage(f64);

impl Shrinkage {
    /// Parses a share in [0, 1).
    pub fn new(share: f64) -> Result<Self, StaffingError> {
        if share.is_finite() && (0.0..1.0).contains(&share) {
            Ok(Shrinkage(share))
        } else {
            Err(StaffingError::Target {
                field: "shrinkage",
                value: share,
                reason: "must be at least 0 and below 1",
            })
        }
    }

    /// The share.
    pub fn get(self) -> f64 {
        self.0
    }
}

/// Why no staffing could be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StaffingError {
    /// A target out of range or impossible to meet with any number of
    /// agents.
    #[error("{field} = {value}: {reason}")]
    Target {
        /// The target's name.
        field: &'static str,
        /// The value given.
        value: f64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No target was given.
    #[error("give at least one target: service level, ASA, abandonment or occupancy")]
    NoTarget,
    /// The queueing model refused the inputs.
    #[error(transparent)]
    Model(#[from] ErlangError),
    /// Abandonment targets need a patience (Erlang A).
    #[error("an abandonment target needs the callers' mean patience (Erlang A)")]
    AbandonWithoutPatience,
    /// An interval of a demand series.
    #[error("interval starting {start}: {source}")]
    Interval {
        /// Its start.
        start: jiff::civil::DateTime,
        /// What went wrong.
        source: Box<StaffingError>,
    },
}

/// Most agents the search will try: far beyond any single queue.
const MAX_AGENTS: u32 = 10_000_000;

impl Targets {
    /// Checks ranges, and that some number of agents can meet the targets.
    pub fn validate(&self, patience: Patience) -> Result<(), StaffingError> {
        let bad = |field, value, reason| {
            Err(StaffingError::Target {
                field,
                value,
                reason,
            })
        };
        if let Some(sl) = self.service_level {
            if !(sl.fraction > 0.0 && sl.fraction < 1.0) {
                return bad(
                    "service level",
                    sl.fraction,
                    "must be above 0 and below 1 (no number of agents answers 100% within T)",
                );
            }
            if !(sl.threshold.is_finite() && sl.threshold >= 0.0) {
                return bad("threshold", sl.threshold, "must be 0 or more seconds");
            }
        }
        if let Some(asa) = self.max_asa
            && !(asa.is_finite() && asa > 0.0)
        {
            return bad("max ASA", asa, "must be above 0 seconds");
        }
        if let Some(abandon) = self.max_abandon {
            if !(abandon > 0.0 && abandon < 1.0) {
                return bad("max abandonment", abandon, "must be above 0 and below 1");
            }
            if patience == Patience::Unlimited {
                return Err(StaffingError::AbandonWithoutPatience);
            }
        }
        if let Some(occupancy) = self.max_occupancy
            && !(occupancy > 0.0 && occupancy <= 1.0)
        {
            return bad("max occupancy", occupancy, "must be above 0 and at most 1");
        }
        if *self == Targets::default() {
            return Err(StaffingError::NoTarget);
        }
        Ok(())
    }

    /// Whether a performance meets every target.
    pub fn met_by(&self, p: &Performance) -> bool {
        self.service_level
            .is_none_or(|sl| sl.definition.of(p) >= sl.fraction)
            && self.max_asa.is_none_or(|asa| p.asa <= asa)
            && self.max_abandon.is_none_or(|ab| p.abandon_rate <= ab)
            && self.max_occupancy.is_none_or(|occ| p.occupancy <= occ)
    }

    /// The threshold at which to evaluate service levels.
    fn threshold(&self) -> f64 {
        self.service_level.map_or(20.0, |sl| sl.threshold)
    }

    /// How far (0 = just met, 1 = missed by the whole gap to the next
    /// agent) the targets bind between `fewer` and `more` agents, for
    /// fractional staffing: the largest linear-interpolation share over
    /// the targets `fewer` misses.
    fn binding_share(&self, fewer: &Performance, more: &Performance) -> f64 {
        let share = |have: f64, next: f64, want: f64| {
            if have >= want || next == have {
                0.0
            } else {
                ((want - have) / (next - have)).clamp(0.0, 1.0)
            }
        };
        let mut worst = 0.0_f64;
        if let Some(sl) = self.service_level {
            worst = worst.max(share(
                sl.definition.of(fewer),
                sl.definition.of(more),
                sl.fraction,
            ));
        }
        if let Some(asa) = self.max_asa {
            worst = worst.max(share(-fewer.asa, -more.asa, -asa));
        }
        if let Some(ab) = self.max_abandon {
            worst = worst.max(share(-fewer.abandon_rate, -more.abandon_rate, -ab));
        }
        if let Some(occ) = self.max_occupancy {
            worst = worst.max(share(-fewer.occupancy, -more.occupancy, -occ));
        }
        worst
    }
}

/// The staffing of one traffic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Staffing {
    /// Fewest whole agents on the phones that meet the targets.
    pub agents: u32,
    /// Agents on the phones as a real number (linear interpolation of the
    /// binding target between `agents − 1` and `agents`), when asked for.
    pub fractional_agents: Option<f64>,
    /// Agents to schedule once shrinkage is added:
    /// (fractional, else whole) agents ÷ (1 − shrinkage).
    pub scheduled: f64,
    /// What `agents` achieve.
    pub performance: Performance,
}

/// The fewest agents meeting `targets` on `traffic`.
pub fn staff(
    traffic: Traffic,
    patience: Patience,
    targets: &Targets,
    shrinkage: Shrinkage,
    fractional: bool,
) -> Result<Staffing, StaffingError> {
    targets.validate(patience)?;
    let threshold = targets.threshold();
    let (agents, perf) = match patience {
        Patience::Unlimited => staff_erlang_c(traffic, targets, threshold)?,
        Patience::Mean(_) => staff_erlang_a(traffic, patience, targets, threshold)?,
    };
    let fractional_agents = if fractional {
        Some(if agents <= 1 {
            f64::from(agents)
        } else {
            match performance(traffic, patience, agents - 1, threshold) {
                Ok(fewer) => f64::from(agents - 1) + targets.binding_share(&fewer, &perf),
                // One fewer agent cannot hold the load (Erlang C at
                // capacity): there is nothing to interpolate towards.
                Err(_) => f64::from(agents),
            }
        })
    } else {
        None
    };
    let on_phones = fractional_agents.unwrap_or(f64::from(agents));
    Ok(Staffing {
        agents,
        fractional_agents,
        scheduled: on_phones / (1.0 - shrinkage.get()),
        performance: perf,
    })
}

/// Erlang C: step agents up from the stability bound, carrying Erlang B
/// along in O(1) per agent.
fn staff_erlang_c(
    traffic: Traffic,
    targets: &Targets,
    threshold: f64,
) -> Result<(u32, Performance), StaffingError> {
    let load = traffic.erlangs();
    let mut agents = (load.floor() as u32).saturating_add(1).max(1);
    if let Some(occupancy) = targets.max_occupancy {
        agents = agents.max((load / occupancy).ceil() as u32);
    }
    let mut b = erlang_b(load, agents)?;
    loop {
        let p = erlang_c_performance(traffic, agents, threshold, b);
        if targets.met_by(&p) {
            return Ok((agents, p));
        }
        agents += 1;
        if agents > MAX_AGENTS {
            return Err(unreachable_targets());
        }
        let ab = load * b;
        b = ab / (f64::from(agents) + ab);
    }
}

fn unreachable_targets() -> StaffingError {
    StaffingError::Target {
        field: "targets",
        value: f64::from(MAX_AGENTS),
        reason: "not met by any number of agents up to this many",
    }
}

/// Erlang A: gallop from the offered load to bracket the answer, then
/// bisect; each evaluation sums the birth–death chain.
fn staff_erlang_a(
    traffic: Traffic,
    patience: Patience,
    targets: &Targets,
    threshold: f64,
) -> Result<(u32, Performance), StaffingError> {
    let eval = |n: u32| performance(traffic, patience, n, threshold);
    let start = (traffic.erlangs().ceil() as u32).max(1);
    let first = eval(start)?;
    // Bracket: `low` fails (or is 0), `high` succeeds.
    let (mut low, mut high, mut best) = if targets.met_by(&first) {
        let mut step = 1;
        let mut high = (start, first);
        loop {
            let candidate = high.0.saturating_sub(step);
            if candidate == 0 {
                break (0, high.0, high.1);
            }
            let p = eval(candidate)?;
            if !targets.met_by(&p) {
                break (candidate, high.0, high.1);
            }
            high = (candidate, p);
            step *= 2;
        }
    } else {
        let mut step = 1;
        let mut low = start;
        loop {
            let candidate = low.saturating_add(step);
            if candidate > MAX_AGENTS {
                return Err(unreachable_targets());
            }
            let p = eval(candidate)?;
            if targets.met_by(&p) {
                break (low, candidate, p);
            }
            low = candidate;
            step *= 2;
        }
    };
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        let p = eval(mid)?;
        if targets.met_by(&p) {
            high = mid;
            best = p;
        } else {
            low = mid;
        }
    }
    Ok((high, best))
}

/// The staffing of one interval of a demand series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IntervalStaffing {
    /// Start of the interval.
    pub start: jiff::civil::DateTime,
    /// Contacts expected.
    pub contacts: f64,
    /// Handle time used, seconds.
    pub aht: f64,
    /// The staffing; `None` when no contact is expected.
    pub staffing: Option<Staffing>,
}

impl IntervalStaffing {
    /// The requirement this interval puts on a schedule: scheduled agents
    /// (after shrinkage), zero when idle.
    pub fn requirement(&self) -> Requirement {
        Requirement {
            start: self.start,
            agents: self.staffing.map_or(0.0, |s| s.scheduled),
        }
    }
}

/// Staffs every interval of `demand` (each with its own AHT, else
/// `default_aht`).
pub fn staff_intervals(
    demand: &[Demand],
    interval: IntervalLength,
    default_aht: f64,
    patience: Patience,
    targets: &Targets,
    shrinkage: Shrinkage,
    fractional: bool,
) -> Result<Vec<IntervalStaffing>, StaffingError> {
    targets.validate(patience)?;
    demand
        .iter()
        .map(|d| {
            let aht = d.aht.unwrap_or(default_aht);
            let staffing = if d.contacts > 0.0 {
                let traffic = Traffic::new(d.contacts, interval.seconds(), aht);
                Some(
                    traffic
                        .map_err(StaffingError::from)
                        .and_then(|t| staff(t, patience, targets, shrinkage, fractional))
                        .map_err(|e| StaffingError::Interval {
                            start: d.start,
                            source: Box::new(e),
                        })?,
                )
            } else {
                None
            };
            Ok(IntervalStaffing {
                start: d.start,
                contacts: d.contacts,
                aht,
                staffing,
            })
        })
        .collect()
}

/// Agents for several queues staffed separately versus pooled into one
/// queue served by agents with all the skills.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolingComparison {
    /// Each queue on its own.
    pub split: Vec<Staffing>,
    /// Sum of the split agents on the phones.
    pub split_agents: u32,
    /// All traffic in one queue (AHT weighted by arrivals).
    pub pooled: Staffing,
}

/// Staffs `queues` separately and pooled, to the same targets.
pub fn compare_pooling(
    queues: &[Traffic],
    patience: Patience,
    targets: &Targets,
    shrinkage: Shrinkage,
) -> Result<PoolingComparison, StaffingError> {
    let split = queues
        .iter()
        .map(|&t| staff(t, patience, targets, shrinkage, false))
        .collect::<Result<Vec<_>, _>>()?;
    let arrivals: f64 = queues.iter().map(|t| t.arrivals_per_second()).sum();
    let work: f64 = queues
        .iter()
        .map(|t| t.arrivals_per_second() * t.aht())
        .sum();
    let pooled = staff(
        Traffic::new(arrivals, 1.0, work / arrivals)?,
        patience,
        targets,
        shrinkage,
        false,
    )?;
    Ok(PoolingComparison {
        split_agents: split.iter().map(|s| s.agents).sum(),
        split,
        pooled,
    })
}
