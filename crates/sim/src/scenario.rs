//! Scenario files: what to simulate.
//!
//! Key types: [`Scenario`] (read by [`Scenario::from_toml`] or
//! [`Scenario::from_file`], checked by [`Scenario::validate`]) with its
//! parts [`SimulationSpec`], [`QueueSpec`] (routing settings and the
//! queue's traffic: [`ArrivalSpec`], handle, wrap-up, [`HoldSpec`],
//! patience, [`RetrialSpec`], [`CallbackSpec`], deflection) and
//! [`GroupSpec`] (agents: skills, routing profile, behaviour, cost,
//! [`ShiftSpec`]s), and [`ScenarioError`], which names the key, file and
//! line at fault.
//!
//! Every key is documented on its field below, and with examples in
//! `examples/sim/README.md`. Queues, groups and skills are referred to by
//! name. Durations are [`Period`]s (`"90s"`, `"4m"`, `"1h30m"`, or a number
//! of seconds); clock times are [`Clock`]s (`"08:30"` every day, or
//! `"2025-03-03T08:30"`) on the wall clock of `simulation.time_zone`.
//! Distributions are [`DistributionSpec`]s (`{ exponential = "3m" }`).
//! Paths are relative to the scenario file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use acd::config::ConfigError;
use acd::config::SelectionPolicy;
use serde::{Deserialize, Serialize};

use crate::distribution::DistributionSpec;
use crate::model::Model;
use crate::units::{Clock, Period};

/// A scenario that cannot be simulated.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The text is not TOML, or a key has the wrong type or is unknown
    /// (the message gives line, column and key).
    #[error("scenario: {0}")]
    Toml(#[from] toml::de::Error),
    /// A name that refers to nothing defined.
    #[error("{key}: unknown {kind} {name:?} (defined: {known})")]
    Unknown {
        /// The dotted key that refers to it, e.g. `queue "Billing".skills`.
        key: String,
        /// "skill", "queue" or "agent group".
        kind: &'static str,
        /// The name given.
        name: String,
        /// The names that exist, comma-separated.
        known: String,
    },
    /// A value out of range or contradicting another.
    #[error("{key}: {problem}")]
    Invalid {
        /// The dotted key at fault.
        key: String,
        /// What is wrong.
        problem: String,
    },
    /// A file that cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A bad row of a CSV file (roster or empirical samples).
    #[error("{path}: line {line}: {problem}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: u64,
        /// What is wrong.
        problem: String,
    },
    /// A bad arrival profile CSV (the `switchboard forecast --csv` format);
    /// the message names the line.
    #[error("{key}: {path}: {source}")]
    Profile {
        /// The dotted key of the profile.
        key: String,
        /// The file.
        path: PathBuf,
        /// The reader's error, with the line (boxed: it is large).
        source: Box<wfm::forecast::InputError>,
    },
    /// The routing configuration built from the scenario is refused by the
    /// engine's own validation.
    #[error("routing configuration (queues and agents numbered from 1 in file order): {0}")]
    Config(#[from] ConfigError),
}

/// A whole scenario. TOML layout: top-level `skills` and `roster`, then
/// `[simulation]`, `[[queue]]` tables and `[[group]]` tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Skill names; queues require them and agents have them.
    pub skills: Vec<String>,
    /// Optional roster CSV (`agent,activity,start,end`, the format of
    /// `switchboard schedule --roster` and `wfm::adherence`): `work` rows
    /// are logged-in and ready time, any other activity is not-ready time
    /// with that activity as reason code, and time with no row is logged
    /// out. Each named agent takes skills, profile and behaviour from the
    /// [`GroupSpec`] whose `name` is the longest prefix of the agent's name,
    /// else from the group marked `default = true`.
    #[serde(default)]
    pub roster: Option<PathBuf>,
    /// Time window, seed and reporting settings.
    pub simulation: SimulationSpec,
    /// Queues with their traffic (`[[queue]]`).
    #[serde(rename = "queue")]
    pub queues: Vec<QueueSpec>,
    /// Agent groups (`[[group]]`).
    #[serde(rename = "group")]
    pub groups: Vec<GroupSpec>,
    /// Directory that relative paths start from; not part of the file.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// `[simulation]`: when, how long, and how to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSpec {
    /// Start on the center's wall clock, e.g. `"2025-03-03T00:00"`.
    pub start: jiff::civil::DateTime,
    /// IANA time zone of the center, e.g. `"Europe/Paris"` (default `UTC`).
    #[serde(default = "default_zone")]
    pub time_zone: String,
    /// How long contacts arrive, e.g. `"24h"` or `"7d"` (a day is 24 h).
    pub duration: Period,
    /// After arrivals stop, the longest the center keeps serving the
    /// callers still in line; whoever waits past it hangs up (counted as
    /// `cut_off`). Default 2 h.
    #[serde(default = "default_drain")]
    pub drain: Period,
    /// Seed of a single run (replications take their own seeds). Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Start of measurement for replication statistics: contacts that
    /// enter a queue earlier and agent time before it are left out, so a
    /// center that starts empty does not bias steady-state figures.
    /// Default 0.
    #[serde(default)]
    pub warm_up: Period,
    /// Abandons within this are short (KPI.md, default 5 s; 0 disables).
    #[serde(default = "default_short_abandon")]
    pub short_abandon: Period,
    /// Distinct caller numbers (ANI) drawn from; a retrial keeps its
    /// caller's number. Default 10,000.
    #[serde(default = "default_customers")]
    pub customers: u32,
}

fn default_zone() -> String {
    "UTC".into()
}
fn default_drain() -> Period {
    Period::from_secs(2 * 3600)
}
fn default_seed() -> u64 {
    1
}
fn default_short_abandon() -> Period {
    Period::from_secs(5)
}
fn default_customers() -> u32 {
    10_000
}
fn default_threshold() -> Period {
    Period::from_secs(20)
}
fn default_target() -> u8 {
    80
}
fn default_offer_timeout() -> Period {
    Period::from_secs(15)
}
fn default_scale() -> f64 {
    1.0
}
fn default_recovery() -> Period {
    Period::from_secs(10)
}

/// `[[queue]]`: a queue's routing settings (mapped onto
/// `acd::config::QueueConfig`) and its traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// Unique name.
    pub name: String,
    /// Required skills with their minimum level (1–10), e.g.
    /// `{ billing = 5, english = 3 }`.
    pub skills: BTreeMap<String, u8>,
    /// Base priority of its contacts (higher first). Default 0.
    #[serde(default)]
    pub priority: u8,
    /// Agent selection: `longest_idle` (default), `most_skilled`,
    /// `fewest_contacts`, `round_robin`.
    #[serde(default)]
    pub selection: SelectionPolicy,
    /// Service-level threshold T, whole seconds (default 20 s); reports use
    /// it for this queue.
    #[serde(default = "default_threshold")]
    pub service_level_threshold: Period,
    /// Service-level target in percent (default 80).
    #[serde(default = "default_target")]
    pub service_level_target: u8,
    /// How long an offer rings before the engine takes it back (default
    /// 15 s).
    #[serde(default = "default_offer_timeout")]
    pub offer_timeout: Period,
    /// Longest wait before `overflow` applies.
    #[serde(default)]
    pub max_wait: Option<Period>,
    /// Where contacts go after `max_wait`: `"voicemail"`, `"callback"` or
    /// another queue's name.
    #[serde(default)]
    pub overflow: Option<String>,
    /// Period of position announcements, if any.
    #[serde(default)]
    pub announce_every: Option<Period>,
    /// Priority aging.
    #[serde(default)]
    pub aging: Option<AgingSpec>,
    /// Requirement relaxation steps (`[[queue.relaxation]]`).
    #[serde(default)]
    pub relaxation: Vec<RelaxationSpec>,
    /// Arrivals; none when absent (a queue fed only by overflow).
    #[serde(default)]
    pub arrivals: Option<ArrivalSpec>,
    /// Talk time: connected time excluding hold. kpi's AHT is talk + hold
    /// + wrap-up.
    pub handle: DistributionSpec,
    /// After-call work. Absent: none. A `fixed` wrap-up is run by the
    /// engine's own wrap-up timer; any other distribution is the agent's,
    /// who reports it done (`WrapUpDone`) unless `wrap_up_limit` ends it
    /// first.
    #[serde(default)]
    pub wrap_up: Option<DistributionSpec>,
    /// The engine's automatic end of wrap-up for a random `wrap_up`.
    #[serde(default)]
    pub wrap_up_limit: Option<Period>,
    /// Hold during the call.
    #[serde(default)]
    pub hold: Option<HoldSpec>,
    /// How long callers wait before hanging up. Absent: they never do.
    #[serde(default)]
    pub patience: Option<DistributionSpec>,
    /// Callers who abandoned call again.
    #[serde(default)]
    pub retrial: Option<RetrialSpec>,
    /// Callers still waiting after a while are offered a callback.
    #[serde(default)]
    pub callback: Option<CallbackSpec>,
    /// Share of arrivals (0–1) deflected to self-service before they reach
    /// the queue: they never enter and are counted as `deflected`.
    #[serde(default)]
    pub deflect: f64,
}

/// `aging`: every `every` of waiting adds `boost` priority, up to
/// `max_boost`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgingSpec {
    /// Waiting time per step.
    pub every: Period,
    /// Priority added per step.
    pub boost: u32,
    /// Ceiling of the added priority.
    pub max_boost: u32,
}

/// `[[queue.relaxation]]`: after `after` of waiting, required levels drop
/// to `min_level` and agents of `add_queues` may take the contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaxationSpec {
    /// Wait after which the step applies.
    pub after: Period,
    /// New ceiling on every required level.
    #[serde(default)]
    pub min_level: Option<u8>,
    /// Queues (by name) whose agents become eligible.
    #[serde(default)]
    pub add_queues: Vec<String>,
}

/// `arrivals`: a Poisson process, constant or piecewise constant. Give
/// exactly one of `per_hour`, `profile` and `csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalSpec {
    /// Constant rate, contacts per hour (the M/M/N form).
    #[serde(default)]
    pub per_hour: Option<f64>,
    /// Interval length of `profile` (required with it) or of `csv`
    /// (inferred from the file when absent): 5, 15, 30 or 60 minutes.
    #[serde(default)]
    pub interval: Option<Period>,
    /// Inline profile: one entry per interval with traffic; intervals
    /// without an entry get none.
    #[serde(default)]
    pub profile: Vec<ProfileEntry>,
    /// A profile CSV in the `switchboard forecast --csv` format
    /// (`start,contacts,aht`, dated starts on the interval grid); the
    /// `aht` column is not used.
    #[serde(default)]
    pub csv: Option<PathBuf>,
    /// Multiplies every rate (what-if volume). Default 1.
    #[serde(default = "default_scale")]
    pub scale: f64,
}

/// One interval of an inline profile: `start` and exactly one of
/// `contacts` (in the interval) or `per_hour`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileEntry {
    /// Start of the interval: a time of day (every simulated day) or a
    /// date-time; one profile uses one kind.
    pub start: Clock,
    /// Contacts expected in the interval.
    #[serde(default)]
    pub contacts: Option<f64>,
    /// Rate in contacts per hour.
    #[serde(default)]
    pub per_hour: Option<f64>,
}

/// `hold`: with `probability`, the agent puts the caller on hold once, at
/// a uniformly drawn moment of the talk, for `duration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldSpec {
    /// Share of calls with a hold, 0–1.
    pub probability: f64,
    /// Length of the hold.
    pub duration: DistributionSpec,
}

/// `retrial`: a caller who abandoned calls the same queue again, with the
/// same number, after `delay`, with `probability` (each time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrialSpec {
    /// Share of abandons that call again, 0–1.
    pub probability: f64,
    /// Time from the abandon to the new call.
    pub delay: DistributionSpec,
}

/// `callback`: a caller still waiting (not ringing) after `after` is
/// offered a callback and accepts with probability `accept`; they hang up
/// and keep their place (`CallbackRequested`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackSpec {
    /// Wait before the offer.
    pub after: Period,
    /// Share of callers offered who accept, 0–1.
    pub accept: f64,
}

/// `[[group]]`: agents with the same skills, routing profile and behaviour.
/// Give `count` (everyone works the whole simulation) or `[[group.shift]]`
/// tables (each with its own count), not both. A group with neither is a
/// template for roster agents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Unique name; the group's agents are named `<name>-1`, `<name>-2`…
    /// and roster agents whose name starts with it belong to it.
    pub name: String,
    /// Agents working all the time (logged in at the start, out at the
    /// end).
    #[serde(default)]
    pub count: Option<u32>,
    /// Skills with levels 1–10, e.g. `{ billing = 7, english = 5 }`.
    pub skills: BTreeMap<String, u8>,
    /// Routing profile: queue name → priority (1 served first).
    pub queues: BTreeMap<String, u8>,
    /// Share of offers the agent lets ring out (0–1): the engine takes the
    /// offer back at the queue's `offer_timeout`, makes the agent not
    /// ready (`missed`) and offers the contact again.
    #[serde(default)]
    pub no_answer: f64,
    /// Ring time before the agent answers. Default: answers at once.
    #[serde(default)]
    pub answer_delay: Option<DistributionSpec>,
    /// After a missed offer, how long the agent stays not ready before
    /// going ready again. Default 10 s.
    #[serde(default = "default_recovery")]
    pub missed_recovery: Period,
    /// Loaded cost of an agent hour (logged-in time), for cost figures.
    #[serde(default)]
    pub cost_per_hour: Option<f64>,
    /// Roster agents matching no group's prefix take this group.
    #[serde(default)]
    pub default: bool,
    /// Shifts worked every simulated day (`[[group.shift]]`).
    #[serde(default, rename = "shift")]
    pub shifts: Vec<ShiftSpec>,
}

/// `[[group.shift]]`: `count` agents of the group log in at `start` and
/// out at `end` (after their current call) every day; `end` at or before
/// `start` is on the next day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftSpec {
    /// Agents on this shift.
    pub count: u32,
    /// Log-in time of day, e.g. `"08:00"`.
    pub start: Clock,
    /// Log-out time of day.
    pub end: Clock,
    /// Not-ready periods within the shift.
    #[serde(default)]
    pub breaks: Vec<BreakSpec>,
}

/// A break: not ready with reason code `reason` from `start` to `end`
/// (times of day within the shift).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakSpec {
    /// Start, time of day.
    pub start: Clock,
    /// End, time of day.
    pub end: Clock,
    /// Reason code, e.g. `lunch`.
    pub reason: String,
}

impl Scenario {
    /// Reads and checks a scenario; relative paths start from the current
    /// directory.
    pub fn from_toml(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml_in(text, Path::new("."))
    }

    /// Reads and checks a scenario whose relative paths start from `base`.
    pub fn from_toml_in(text: &str, base: &Path) -> Result<Scenario, ScenarioError> {
        let mut scenario: Scenario = toml::from_str(text)?;
        scenario.base_dir = base.to_owned();
        scenario.validate()?;
        Ok(scenario)
    }

    /// Reads and checks a scenario file; relative paths start from its
    /// directory.
    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_owned(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Scenario::from_toml_in(&text, base)
    }

    /// Checks everything, files included, by building the model a
    /// [`Simulation`](crate::Simulation) runs.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        Model::new(self).map(drop)
    }
}
