//! Switchboard's simulator: a discrete-event digital twin of the contact
//! center that drives the *same* routing engine as the live server
//! (`acd::Engine`) on a virtual clock, and produces the same event log, so
//! every KPI of a simulated day is computed by `kpi` from the facts.
//!
//! Key types: [`Scenario`] (a TOML file: time window, skills, queues with
//! their traffic, agent groups with shifts or a roster; see
//! [`scenario`] and `examples/sim/README.md`), [`Simulation`] (a checked
//! scenario; [`Simulation::run`] with a seed and a record sink returns a
//! [`RunSummary`]), [`RunKpis`] (kpi's queue and agent rows of a run, from
//! [`Simulation::run_kpis`]), [`Replication`] (runs over seeds with
//! Student-t confidence intervals, from [`replicate`]), and the errors
//! [`ScenarioError`] and [`SimError`].
//!
//! Modules: [`scenario`] (the file format), [`units`] (durations and clock
//! times), [`distribution`] (random durations), [`roster`] (roster CSV),
//! [`kpis`] (streaming KPIs through `kpi`), [`stats`] (replications and
//! confidence intervals), [`replay`] (a scenario derived from a real
//! history, run and compared day by day with it), and the private `model`
//! (scenario → engine configuration, arrival rates, agent timelines; every
//! check) and `run` (the event loop).
//!
//! ```
//! let scenario = sim::Scenario::from_toml(r#"
//!     skills = ["support"]
//!     [simulation]
//!     start = "2025-03-03T08:00"
//!     duration = "1h"
//!     [[queue]]
//!     name = "Support"
//!     skills = { support = 1 }
//!     arrivals = { per_hour = 120 }
//!     handle = { exponential = "3m" }
//!     [[group]]
//!     name = "agent"
//!     count = 8
//!     skills = { support = 5 }
//!     queues = { Support = 1 }
//! "#).unwrap();
//! let simulation = sim::Simulation::new(&scenario).unwrap();
//! let mut records = Vec::new();
//! let summary = simulation.run(7, |r| records.push(kpi::Fact::Routing(r.clone()))).unwrap();
//! assert_eq!(summary.handled, summary.contacts);
//! let ledger = kpi::Ledger::from_facts(&records).unwrap();
//! assert_eq!(ledger.contacts().len() as u64, summary.contacts);
//! ```

pub mod distribution;
pub mod kpis;
mod model;
pub mod replay;
pub mod roster;
mod run;
pub mod scenario;
pub mod stats;
pub mod units;

pub use kpis::{Collector, GroupKpis, Metrics, QueueKpis, RunKpis};
pub use replay::{Comparison, Replay, ReplayError, ReplayOptions, compare, scenario_from_ledger};
pub use run::{QueueCounts, RunSummary, SimError, Simulation};
pub use scenario::{Scenario, ScenarioError};
pub use stats::{Estimate, Estimates, Replication, replicate, student_t_quantile};
