//! A scenario checked and compiled into what the run loop needs.
//!
//! Key types: [`Model`] (the engine's `Config`, and per queue, group and
//! agent the arrays the loop indexes by position), [`QueueModel`] with its
//! arrival [`Piece`]s, [`GroupModel`], [`AgentModel`], and every agent's
//! changes of [`Target`] (from shifts, breaks and rosters) merged into one
//! time-ordered list. Every check of a scenario happens here, so
//! [`Scenario::validate`](crate::Scenario::validate) and
//! [`Simulation::new`](crate::Simulation::new) refuse the same inputs with
//! the same errors.
//!
//! Ids: skills, queues and agents are numbered from 1 in file order (group
//! agents first, then roster agents by name), so an id minus one is an
//! index and the loop needs no hash lookups.

use std::collections::BTreeMap;
use std::path::Path;

use acd::config::{
    AgentConfig, AgingRule, Config, Overflow, ProfileEntry as AcdProfileEntry, QueueConfig,
    Relaxation, SkillConfig, SkillRequirement,
};
use acd::model::{
    AgentId, Code, Concurrency, PhoneNumber, Priority, Proficiency, QueueId, SkillId, Span,
};
use jiff::civil::{Date, DateTime, Time as CivilTime};
use jiff::tz::TimeZone;
use wfm::forecast::History;
use wfm::series::IntervalLength;

use crate::distribution::Distribution;
use crate::roster::{self, RosterRow};
use crate::scenario::{ArrivalSpec, GroupSpec, QueueSpec, Scenario, ScenarioError, ShiftSpec};
use crate::units::{Clock, Period};

const DAY_MS: u64 = 86_400_000;
const HOUR_MS: f64 = 3_600_000.0;

/// Reason codes the simulator itself uses, at fixed indexes of
/// [`Model::reasons`].
pub(crate) const LOGIN: u16 = 0;
pub(crate) const MISSED: u16 = 1;
pub(crate) const LOGOUT: u16 = 2;
const BUILT_IN_REASONS: [&str; 3] = ["login", "missed", "logout"];

/// What an agent should be doing, from its shifts or roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Logged out (after the current contact).
    Off,
    /// Logged in and ready.
    Work,
    /// Logged in, not ready with reason code `Model::reasons[i]`.
    Break(u16),
}

/// A stretch of constant arrival rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Piece {
    pub start: u64,
    pub end: u64,
    /// Contacts per millisecond.
    pub rate: f64,
}

/// Who ends wrap-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WrapMode {
    /// The engine's timer (fixed or no wrap-up): the agent sends nothing.
    Engine,
    /// The agent sends `WrapUpDone` after its drawn wrap-up, unless the
    /// engine's limit (ms) ends it first.
    Agent { limit: Option<u64> },
}

#[derive(Debug, Clone)]
pub(crate) struct QueueModel {
    pub id: QueueId,
    pub name: String,
    pub threshold: Span,
    pub pieces: Vec<Piece>,
    pub handle: Distribution,
    pub wrap: Option<Distribution>,
    pub wrap_mode: WrapMode,
    pub hold: Option<(f64, Distribution)>,
    pub patience: Option<Distribution>,
    pub retrial: Option<(f64, Distribution)>,
    /// Offer after (ms), acceptance probability.
    pub callback: Option<(u64, f64)>,
    pub deflect: f64,
    pub priority: Priority,
    pub dnis: PhoneNumber,
}

#[derive(Debug, Clone)]
pub(crate) struct GroupModel {
    pub name: String,
    pub no_answer: f64,
    pub answer_delay: Option<Distribution>,
    pub missed_recovery: u64,
    pub cost_per_hour: Option<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct AgentModel {
    pub group: u16,
}

/// A compiled scenario. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub config: Config,
    pub zone: TimeZone,
    pub start: u64,
    /// Arrivals stop.
    pub end: u64,
    /// Callers still waiting hang up; everyone logs out.
    pub close_by: u64,
    pub warm_up_end: u64,
    pub short_abandon: Span,
    /// Local midnights strictly inside the arrival window.
    pub midnights: Vec<u64>,
    pub reasons: Vec<Code>,
    pub queues: Vec<QueueModel>,
    pub groups: Vec<GroupModel>,
    pub agents: Vec<AgentModel>,
    /// Every agent's changes of target, by time then agent index; one
    /// agent's are never at the same time.
    pub changes: Vec<(u64, u32, Target)>,
    pub numbers: Vec<PhoneNumber>,
}

fn invalid(key: impl Into<String>, problem: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        key: key.into(),
        problem: problem.into(),
    }
}

fn unknown(key: String, kind: &'static str, name: &str, known: &[&str]) -> ScenarioError {
    ScenarioError::Unknown {
        key,
        kind,
        name: name.to_owned(),
        known: if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        },
    }
}

fn probability(key: String, p: f64) -> Result<f64, ScenarioError> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(invalid(
            key,
            format!("must be a probability from 0 to 1, got {p}"),
        ))
    }
}

fn level(key: String, level: u8) -> Result<Proficiency, ScenarioError> {
    Proficiency::new(level).map_err(|e| invalid(key, e.to_string()))
}

fn code(key: String, text: &str) -> Result<Code, ScenarioError> {
    Code::parse(text).map_err(|e| invalid(key, e.to_string()))
}

/// Converts wall-clock time to milliseconds since the epoch; a time in a
/// daylight-saving gap moves forward, a repeated time takes its first
/// occurrence.
fn to_ms(at: DateTime, zone: &TimeZone, key: &str) -> Result<u64, ScenarioError> {
    let zoned = at
        .to_zoned(zone.clone())
        .map_err(|e| invalid(key, format!("{at}: {e}")))?;
    u64::try_from(zoned.timestamp().as_millisecond())
        .map_err(|_| invalid(key, format!("{at} is before 1970")))
}

fn ms_of_day(time: CivilTime) -> u64 {
    (u64::from(time.hour() as u8) * 3600
        + u64::from(time.minute() as u8) * 60
        + u64::from(time.second() as u8))
        * 1000
        + u64::from(time.millisecond() as u16)
}

fn daily(clock: Clock, key: &str) -> Result<CivilTime, ScenarioError> {
    match clock {
        Clock::Daily(time) => Ok(time),
        Clock::Dated(_) => Err(invalid(
            key,
            format!("{clock}: give a time of day such as 08:00 (shifts repeat every day)"),
        )),
    }
}

/// Local dates from the day before `from` (for shifts and profile
/// intervals that cross midnight into the window) to the date of `to`.
fn dates(from: u64, to: u64, zone: &TimeZone) -> Vec<Date> {
    let date = |ms: u64| {
        jiff::Timestamp::from_millisecond(ms as i64)
            .map(|t| t.to_zoned(zone.clone()).date())
            .ok()
    };
    let (Some(first), Some(last)) = (date(from), date(to)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut d = first.yesterday().unwrap_or(first);
    while d <= last {
        out.push(d);
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    out
}

impl Model {
    pub fn new(scenario: &Scenario) -> Result<Model, ScenarioError> {
        let sim = &scenario.simulation;
        let zone = TimeZone::get(&sim.time_zone).map_err(|e| {
            invalid(
                "simulation.time_zone",
                format!("{:?} is not a known time zone ({e})", sim.time_zone),
            )
        })?;
        let start = to_ms(sim.start, &zone, "simulation.start")?;
        if sim.duration.0 == 0 {
            return Err(invalid("simulation.duration", "must be longer than zero"));
        }
        if sim.warm_up >= sim.duration {
            return Err(invalid(
                "simulation.warm_up",
                format!(
                    "{} leaves nothing of the {} simulated to measure",
                    sim.warm_up, sim.duration
                ),
            ));
        }
        if !sim.short_abandon.0.is_multiple_of(1000) {
            return Err(invalid(
                "simulation.short_abandon",
                "must be whole seconds (reports count waits by second)",
            ));
        }
        if sim.customers == 0 {
            return Err(invalid("simulation.customers", "must be at least 1"));
        }
        let end = start + sim.duration.0;
        let close_by = end + sim.drain.0;

        let skills = skill_ids(scenario)?;
        let queue_names: Vec<&str> = scenario.queues.iter().map(|q| q.name.as_str()).collect();
        let queue_ix = index_names(&queue_names, "queue")?;
        if scenario.queues.is_empty() {
            return Err(invalid("queue", "define at least one [[queue]]"));
        }

        let base = &scenario.base_dir;
        let mut queue_configs = Vec::new();
        let mut queues = Vec::new();
        for (i, spec) in scenario.queues.iter().enumerate() {
            let (config, model) = queue(
                spec,
                i,
                &skills,
                &queue_ix,
                &queue_names,
                base,
                &zone,
                (start, end),
            )?;
            queue_configs.push(config);
            queues.push(model);
        }

        let mut reasons: Vec<Code> = BUILT_IN_REASONS
            .iter()
            .map(|r| code("reasons".into(), r))
            .collect::<Result<_, _>>()?;
        let mut groups = Vec::new();
        let mut agent_configs = Vec::new();
        let mut agents = Vec::new();
        let group_names: Vec<&str> = scenario.groups.iter().map(|g| g.name.as_str()).collect();
        index_names(&group_names, "group")?;
        let mut profiles = Vec::new();
        let mut changes = Vec::new();
        for (g, spec) in scenario.groups.iter().enumerate() {
            let (model, profile) =
                group(spec, &skills, &queue_ix, &queue_names, &queue_configs, base)?;
            groups.push(model);
            profiles.push(profile);
            let timelines = group_timelines(spec, &zone, start, close_by, &mut reasons)?;
            for (k, timeline) in timelines.into_iter().enumerate() {
                let id = AgentId(agents.len() as u32 + 1);
                agent_configs.push(AgentConfig {
                    id,
                    name: format!("{}-{}", spec.name, k + 1),
                    skills: profiles[g].0.clone(),
                    profile: profiles[g].1.clone(),
                    concurrency: Concurrency::ONE,
                });
                changes.extend(
                    timeline
                        .into_iter()
                        .map(|(at, t)| (at, agents.len() as u32, t)),
                );
                agents.push(AgentModel { group: g as u16 });
            }
        }
        if let Some(path) = &scenario.roster {
            let rows = roster::read(&base.join(path))?;
            let path = base.join(path);
            for (name, rows) in by_agent(&rows) {
                let g = roster_group(&scenario.groups, name).ok_or_else(|| ScenarioError::Csv {
                    path: path.clone(),
                    line: rows[0].line,
                    problem: format!(
                        "agent {name:?} matches no group name prefix and no group has \
                         `default = true`"
                    ),
                })?;
                let timeline = clip_timeline(
                    roster_timeline(rows, &path, &zone, &mut reasons)?,
                    start,
                    close_by,
                );
                let id = AgentId(agents.len() as u32 + 1);
                agent_configs.push(AgentConfig {
                    id,
                    name: name.to_owned(),
                    skills: profiles[g].0.clone(),
                    profile: profiles[g].1.clone(),
                    concurrency: Concurrency::ONE,
                });
                changes.extend(
                    timeline
                        .into_iter()
                        .map(|(at, t)| (at, agents.len() as u32, t)),
                );
                agents.push(AgentModel { group: g as u16 });
            }
        }
        if agents.is_empty() {
            return Err(invalid(
                "group",
                "no agents: give a group a `count` or shifts, or a roster",
            ));
        }
        for (q, spec) in scenario.queues.iter().enumerate() {
            let served = scenario.groups.iter().enumerate().any(|(g, group)| {
                group.queues.contains_key(&spec.name) && agents.iter().any(|a| a.group == g as u16)
            });
            if !served && !queues[q].pieces.is_empty() {
                return Err(invalid(
                    format!("queue {:?}", spec.name),
                    "has arrivals but no agent of any group serves it (add it to a group's `queues`)",
                ));
            }
        }
        let numbers = (0..sim.customers)
            .map(|n| PhoneNumber::parse(&format!("+1555{n:07}")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid("simulation.customers", e.to_string()))?;

        let config = Config {
            skills: scenario
                .skills
                .iter()
                .enumerate()
                .map(|(i, name)| SkillConfig {
                    id: SkillId(i as u32 + 1),
                    name: name.clone(),
                })
                .collect(),
            queues: queue_configs,
            agents: agent_configs,
            reason_codes: reasons.clone(),
            outcome_codes: Vec::new(),
            login_reason: reasons[LOGIN as usize].clone(),
            missed_offer_reason: reasons[MISSED as usize].clone(),
        };
        config.validate()?;
        // Stable: an agent's own changes keep their order.
        changes.sort_by_key(|&(at, agent, _)| (at, agent));
        let midnights = dates(start, end, &zone)
            .into_iter()
            .filter_map(|d| to_ms(d.to_datetime(CivilTime::midnight()), &zone, "").ok())
            .filter(|&ms| ms > start && ms < end)
            .collect();
        Ok(Model {
            config,
            zone,
            start,
            end,
            close_by,
            warm_up_end: start + sim.warm_up.0,
            short_abandon: Span::from_millis(sim.short_abandon.0),
            midnights,
            reasons,
            queues,
            groups,
            agents,
            changes,
            numbers,
        })
    }
}

fn skill_ids(scenario: &Scenario) -> Result<BTreeMap<&str, SkillId>, ScenarioError> {
    let mut skills = BTreeMap::new();
    for (i, name) in scenario.skills.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(invalid(
                "skills",
                format!("skill {} has an empty name", i + 1),
            ));
        }
        if skills
            .insert(name.as_str(), SkillId(i as u32 + 1))
            .is_some()
        {
            return Err(invalid("skills", format!("{name:?} is listed twice")));
        }
    }
    Ok(skills)
}

fn index_names<'a>(
    names: &[&'a str],
    kind: &str,
) -> Result<BTreeMap<&'a str, usize>, ScenarioError> {
    let mut ix = BTreeMap::new();
    for (i, name) in names.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(invalid(format!("{kind} {}", i + 1), "`name` is empty"));
        }
        if ix.insert(*name, i).is_some() {
            return Err(invalid(
                format!("{kind} {name:?}"),
                "the name is used twice",
            ));
        }
    }
    Ok(ix)
}

fn requirements(
    skills_of: &BTreeMap<String, u8>,
    skills: &BTreeMap<&str, SkillId>,
    key: &str,
) -> Result<Vec<(SkillId, Proficiency)>, ScenarioError> {
    let known: Vec<&str> = skills.keys().copied().collect();
    skills_of
        .iter()
        .map(|(name, &lvl)| {
            let id = *skills
                .get(name.as_str())
                .ok_or_else(|| unknown(key.to_owned(), "skill", name, &known))?;
            Ok((id, level(format!("{key}.{name}"), lvl)?))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn queue(
    spec: &QueueSpec,
    index: usize,
    skills: &BTreeMap<&str, SkillId>,
    queue_ix: &BTreeMap<&str, usize>,
    queue_names: &[&str],
    base: &Path,
    zone: &TimeZone,
    window: (u64, u64),
) -> Result<(QueueConfig, QueueModel), ScenarioError> {
    let key = format!("queue {:?}", spec.name);
    let sub = |field: &str| format!("{key}.{field}");
    let id = QueueId(index as u32 + 1);
    let queue_id = |name: &str, field: &str| {
        queue_ix
            .get(name)
            .map(|&i| QueueId(i as u32 + 1))
            .ok_or_else(|| unknown(sub(field), "queue", name, queue_names))
    };
    if spec.skills.is_empty() {
        return Err(invalid(
            sub("skills"),
            "a queue requires at least one skill",
        ));
    }
    let requirements = requirements(&spec.skills, skills, &sub("skills"))?
        .into_iter()
        .map(|(skill, min_level)| SkillRequirement { skill, min_level })
        .collect();
    if !spec.service_level_threshold.0.is_multiple_of(1000)
        || spec.service_level_threshold.0 > DAY_MS
    {
        return Err(invalid(
            sub("service_level_threshold"),
            "must be whole seconds up to a day (reports count waits by second)",
        ));
    }
    let overflow = match spec.overflow.as_deref() {
        None => None,
        Some("voicemail") => Some(Overflow::Voicemail),
        Some("callback") => Some(Overflow::Callback),
        Some(name) => Some(Overflow::Queue(queue_id(name, "overflow")?)),
    };
    if overflow.is_some() != spec.max_wait.is_some() {
        return Err(invalid(
            sub("overflow"),
            "`max_wait` and `overflow` go together: give both or neither",
        ));
    }
    let mut relaxation = Vec::new();
    for (i, step) in spec.relaxation.iter().enumerate() {
        let step_key = format!("{key}.relaxation[{}]", i + 1);
        relaxation.push(Relaxation {
            after: span(step.after),
            min_level: step
                .min_level
                .map(|l| level(format!("{step_key}.min_level"), l))
                .transpose()?,
            add_queues: step
                .add_queues
                .iter()
                .map(|name| queue_id(name, &format!("relaxation[{}].add_queues", i + 1)))
                .collect::<Result<_, _>>()?,
        });
    }
    let handle = Distribution::new(&spec.handle, &sub("handle"), base)?;
    let wrap = spec
        .wrap_up
        .as_ref()
        .map(|w| Distribution::new(w, &sub("wrap_up"), base))
        .transpose()?;
    let limit = spec.wrap_up_limit.map(|p| p.0);
    let (engine_wrap, wrap_mode) = match &wrap {
        None => (Some(0), WrapMode::Engine),
        Some(Distribution::Fixed(ms)) => {
            let ms = *ms as u64;
            (Some(limit.map_or(ms, |l| l.min(ms))), WrapMode::Engine)
        }
        Some(_) => (limit, WrapMode::Agent { limit }),
    };
    let hold = spec
        .hold
        .as_ref()
        .map(|h| {
            Ok::<_, ScenarioError>((
                probability(sub("hold.probability"), h.probability)?,
                Distribution::new(&h.duration, &sub("hold.duration"), base)?,
            ))
        })
        .transpose()?;
    let patience = spec
        .patience
        .as_ref()
        .map(|p| Distribution::new(p, &sub("patience"), base))
        .transpose()?;
    let retrial = spec
        .retrial
        .as_ref()
        .map(|r| {
            Ok::<_, ScenarioError>((
                probability(sub("retrial.probability"), r.probability)?,
                Distribution::new(&r.delay, &sub("retrial.delay"), base)?,
            ))
        })
        .transpose()?;
    let callback = spec
        .callback
        .as_ref()
        .map(|c| {
            Ok::<_, ScenarioError>((c.after.0, probability(sub("callback.accept"), c.accept)?))
        })
        .transpose()?;
    let deflect = probability(sub("deflect"), spec.deflect)?;
    let pieces = match &spec.arrivals {
        None => Vec::new(),
        Some(arrivals) => pieces(arrivals, &sub("arrivals"), base, zone, window)?,
    };
    let expected = handle.mean_ms()
        + hold.as_ref().map_or(0.0, |(p, d)| p * d.mean_ms())
        + wrap.as_ref().map_or(0.0, Distribution::mean_ms);
    let config = QueueConfig {
        id,
        name: spec.name.clone(),
        requirements,
        relaxation,
        aging: spec.aging.as_ref().map(|a| AgingRule {
            every: span(a.every),
            boost: a.boost,
            max_boost: a.max_boost,
        }),
        selection: spec.selection,
        service_level_threshold: span(spec.service_level_threshold),
        service_level_target: spec.service_level_target,
        wrap_up: engine_wrap.map(Span::from_millis),
        offer_timeout: span(spec.offer_timeout),
        max_wait: spec.max_wait.map(span),
        overflow,
        announce_every: spec.announce_every.map(span),
        expected_handle_time: Span::from_millis(expected.round().max(1000.0) as u64),
    };
    let model = QueueModel {
        id,
        name: spec.name.clone(),
        threshold: span(spec.service_level_threshold),
        pieces,
        handle,
        wrap,
        wrap_mode,
        hold,
        patience,
        retrial,
        callback,
        deflect,
        priority: Priority(spec.priority),
        dnis: PhoneNumber::parse(&format!("1800{:04}", index + 1))
            .map_err(|e| invalid(key.clone(), e.to_string()))?,
    };
    Ok((config, model))
}

fn span(p: Period) -> Span {
    Span::from_millis(p.0)
}

fn rate(key: &str, value: f64) -> Result<f64, ScenarioError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(invalid(
            key,
            format!("a rate must be a finite number ≥ 0, got {value}"),
        ))
    }
}

/// The arrival rate as pieces inside `window`, in time order, not
/// overlapping.
fn pieces(
    spec: &ArrivalSpec,
    key: &str,
    base: &Path,
    zone: &TimeZone,
    (start, end): (u64, u64),
) -> Result<Vec<Piece>, ScenarioError> {
    let scale = rate(&format!("{key}.scale"), spec.scale)?;
    let forms = [
        spec.per_hour.is_some(),
        !spec.profile.is_empty(),
        spec.csv.is_some(),
    ];
    if forms.iter().filter(|&&f| f).count() != 1 {
        return Err(invalid(
            key,
            "give exactly one of `per_hour`, `profile` and `csv`",
        ));
    }
    let mut raw: Vec<Piece> = Vec::new();
    if let Some(per_hour) = spec.per_hour {
        let per_hour = rate(&format!("{key}.per_hour"), per_hour)?;
        raw.push(Piece {
            start,
            end,
            rate: per_hour / HOUR_MS,
        });
    } else if let Some(path) = &spec.csv {
        let full = base.join(path);
        let length = spec
            .interval
            .map(|p| interval_length(p, &format!("{key}.interval")))
            .transpose()?;
        let file = std::fs::File::open(&full).map_err(|source| ScenarioError::Io {
            path: full.clone(),
            source,
        })?;
        let history =
            History::from_csv(std::io::BufReader::new(file), length).map_err(|source| {
                ScenarioError::Profile {
                    key: key.to_owned(),
                    path: full.clone(),
                    source: Box::new(source),
                }
            })?;
        let length_ms = u64::from(history.interval().minutes()) * 60_000;
        for demand in history.observations() {
            let from = to_ms(demand.start, zone, key)?;
            raw.push(Piece {
                start: from,
                end: from + length_ms,
                rate: demand.contacts / length_ms as f64,
            });
        }
    } else {
        let interval = spec.interval.ok_or_else(|| {
            invalid(
                format!("{key}.interval"),
                "a profile needs its interval length, e.g. \"30m\"",
            )
        })?;
        if interval.0 == 0 || interval.0 > DAY_MS {
            return Err(invalid(
                format!("{key}.interval"),
                "must be longer than zero and at most a day",
            ));
        }
        let mut previous: Option<Clock> = None;
        let mut rates = Vec::new();
        for (i, entry) in spec.profile.iter().enumerate() {
            let entry_key = format!("{key}.profile[{}]", i + 1);
            let per_ms = match (entry.contacts, entry.per_hour) {
                (Some(c), None) => rate(&format!("{entry_key}.contacts"), c)? / interval.0 as f64,
                (None, Some(r)) => rate(&format!("{entry_key}.per_hour"), r)? / HOUR_MS,
                _ => {
                    return Err(invalid(
                        entry_key,
                        "give exactly one of `contacts` and `per_hour`",
                    ));
                }
            };
            if let Some(prev) = previous {
                let ordered = match (prev, entry.start) {
                    (Clock::Daily(a), Clock::Daily(b)) => ms_of_day(a) + interval.0 <= ms_of_day(b),
                    (Clock::Dated(a), Clock::Dated(b)) => a
                        .checked_add(jiff::SignedDuration::from_millis(interval.0 as i64))
                        .is_ok_and(|a_end| a_end <= b),
                    _ => {
                        return Err(invalid(
                            format!("{entry_key}.start"),
                            "mixes a time of day and a date-time: use one kind per profile",
                        ));
                    }
                };
                if !ordered {
                    return Err(invalid(
                        format!("{entry_key}.start"),
                        format!(
                            "{} is not at least one interval ({interval}) after the previous entry's {prev}",
                            entry.start
                        ),
                    ));
                }
            }
            previous = Some(entry.start);
            rates.push((entry.start, per_ms));
        }
        if let (Some((Clock::Daily(first), _)), Some((Clock::Daily(last), _))) =
            (rates.first(), rates.last())
            && ms_of_day(*last) + interval.0 > ms_of_day(*first) + DAY_MS
        {
            return Err(invalid(
                format!("{key}.profile"),
                "the last interval runs into the next day's first",
            ));
        }
        for date in dates(start, end, zone) {
            for &(clock, per_ms) in &rates {
                let at = match clock {
                    Clock::Daily(time) => date.to_datetime(time),
                    Clock::Dated(at) if at.date() == date => at,
                    Clock::Dated(_) => continue,
                };
                let from = to_ms(at, zone, key)?;
                raw.push(Piece {
                    start: from,
                    end: from + interval.0,
                    rate: per_ms,
                });
            }
        }
    }
    raw.sort_by_key(|p| p.start);
    let mut out: Vec<Piece> = Vec::with_capacity(raw.len());
    for mut piece in raw {
        // Clip to the window, and to the previous piece (a daylight-saving
        // jump can make two local intervals overlap).
        piece.start = piece.start.max(start).max(out.last().map_or(0, |p| p.end));
        piece.end = piece.end.min(end);
        piece.rate *= scale;
        if piece.end > piece.start && piece.rate > 0.0 {
            out.push(piece);
        }
    }
    Ok(out)
}

fn interval_length(p: Period, key: &str) -> Result<IntervalLength, ScenarioError> {
    let minutes = p.0 / 60_000;
    if !p.0.is_multiple_of(60_000) {
        return Err(invalid(key, "must be 5, 15, 30 or 60 minutes"));
    }
    IntervalLength::from_minutes(minutes as u32).map_err(|e| invalid(key, e.to_string()))
}

/// An agent's skills and routing profile.
type Profile = (Vec<(SkillId, Proficiency)>, Vec<AcdProfileEntry>);

fn group(
    spec: &GroupSpec,
    skills: &BTreeMap<&str, SkillId>,
    queue_ix: &BTreeMap<&str, usize>,
    queue_names: &[&str],
    queue_configs: &[QueueConfig],
    base: &Path,
) -> Result<(GroupModel, Profile), ScenarioError> {
    let key = format!("group {:?}", spec.name);
    let sub = |field: &str| format!("{key}.{field}");
    let agent_skills = requirements(&spec.skills, skills, &sub("skills"))?;
    if spec.queues.is_empty() {
        return Err(invalid(
            sub("queues"),
            "the group serves no queue: list at least one, e.g. queues = { Billing = 1 }",
        ));
    }
    let mut profile = Vec::new();
    for (name, &priority) in &spec.queues {
        let q = *queue_ix
            .get(name.as_str())
            .ok_or_else(|| unknown(sub("queues"), "queue", name, queue_names))?;
        check_qualified(&agent_skills, &queue_configs[q], skills, &sub("queues"))?;
        profile.push(AcdProfileEntry {
            queue: QueueId(q as u32 + 1),
            priority,
        });
    }
    if spec.count.is_some() && !spec.shifts.is_empty() {
        return Err(invalid(
            sub("count"),
            "give `count` (all day) or `[[group.shift]]` tables with their own counts, not both",
        ));
    }
    let model = GroupModel {
        name: spec.name.clone(),
        no_answer: probability(sub("no_answer"), spec.no_answer)?,
        answer_delay: spec
            .answer_delay
            .as_ref()
            .map(|d| Distribution::new(d, &sub("answer_delay"), base))
            .transpose()?,
        missed_recovery: spec.missed_recovery.0,
        cost_per_hour: spec
            .cost_per_hour
            .map(|c| rate(&sub("cost_per_hour"), c))
            .transpose()?,
    };
    Ok((model, (agent_skills, profile)))
}

/// Refuses a group listed on a queue it can never take: it lacks a
/// required skill at the level left after the queue's last relaxation.
fn check_qualified(
    agent: &[(SkillId, Proficiency)],
    queue: &QueueConfig,
    skills: &BTreeMap<&str, SkillId>,
    key: &str,
) -> Result<(), ScenarioError> {
    let ceiling = queue.relaxation.iter().filter_map(|r| r.min_level).min();
    for req in &queue.requirements {
        let needed = ceiling.map_or(req.min_level, |c| c.min(req.min_level));
        let has = agent.iter().find(|(s, _)| *s == req.skill).map(|&(_, l)| l);
        if has.is_none_or(|l| l < needed) {
            let name = skills
                .iter()
                .find(|(_, id)| **id == req.skill)
                .map_or("?", |(n, _)| n);
            return Err(invalid(
                key,
                format!(
                    "serves queue {:?} but lacks skill {name:?} at level {} or more (has {})",
                    queue.name,
                    needed.get(),
                    has.map_or("none".to_owned(), |l| l.get().to_string())
                ),
            ));
        }
    }
    Ok(())
}

fn reason_index(reasons: &mut Vec<Code>, name: &str, key: String) -> Result<u16, ScenarioError> {
    let parsed = code(key, name)?;
    Ok(match reasons.iter().position(|r| *r == parsed) {
        Some(i) => i as u16,
        None => {
            reasons.push(parsed);
            (reasons.len() - 1) as u16
        }
    })
}

/// One timeline per agent of a group: always working, or its shifts every
/// day.
fn group_timelines(
    spec: &GroupSpec,
    zone: &TimeZone,
    start: u64,
    close_by: u64,
    reasons: &mut Vec<Code>,
) -> Result<Vec<Vec<(u64, Target)>>, ScenarioError> {
    if spec.shifts.is_empty() {
        let count = spec.count.unwrap_or(0) as usize;
        return Ok(vec![vec![(start, Target::Work)]; count]);
    }
    let mut out = Vec::new();
    for (s, shift) in spec.shifts.iter().enumerate() {
        let key = format!("group {:?}.shift[{}]", spec.name, s + 1);
        let timeline = shift_timeline(shift, &key, zone, start, close_by, reasons)?;
        out.extend(std::iter::repeat_n(timeline, shift.count as usize));
    }
    Ok(out)
}

fn shift_timeline(
    shift: &ShiftSpec,
    key: &str,
    zone: &TimeZone,
    start: u64,
    close_by: u64,
    reasons: &mut Vec<Code>,
) -> Result<Vec<(u64, Target)>, ScenarioError> {
    let start_time = daily(shift.start, &format!("{key}.start"))?;
    let from = ms_of_day(start_time);
    let to = ms_of_day(daily(shift.end, &format!("{key}.end"))?);
    // Offsets from the shift's start; an end at or before the start is on
    // the next day. They are elapsed time, so a shift across a daylight
    // saving change lasts as long as on any other day.
    let offset = |ms: u64| (ms + DAY_MS - from) % DAY_MS;
    let length = match offset(to) {
        0 => DAY_MS,
        l => l,
    };
    let mut steps = vec![(0, Target::Work)];
    let mut last_end = 0;
    for (b, brk) in shift.breaks.iter().enumerate() {
        let bkey = format!("{key}.breaks[{}]", b + 1);
        let b_from = offset(ms_of_day(daily(brk.start, &format!("{bkey}.start"))?));
        let b_to = offset(ms_of_day(daily(brk.end, &format!("{bkey}.end"))?));
        if b_to <= b_from || b_to > length || b_from < last_end {
            return Err(invalid(
                bkey,
                format!(
                    "{}–{} must lie within the shift {}–{}, after the previous break",
                    brk.start, brk.end, shift.start, shift.end
                ),
            ));
        }
        let reason = reason_index(reasons, &brk.reason, format!("{bkey}.reason"))?;
        steps.push((b_from, Target::Break(reason)));
        steps.push((b_to, Target::Work));
        last_end = b_to;
    }
    steps.push((length, Target::Off));
    let mut timeline = Vec::new();
    for date in dates(start, close_by, zone) {
        let origin = to_ms(date.to_datetime(start_time), zone, key)?;
        for &(offset, target) in &steps {
            timeline.push((origin + offset, target));
        }
    }
    Ok(clip_timeline(timeline, start, close_by))
}

/// Sorts changes, keeps the last of equal times, starts the timeline at
/// `start` with whatever was in force then, ends it before `close_by`, and
/// drops changes to the target already in force.
fn clip_timeline(mut changes: Vec<(u64, Target)>, start: u64, close_by: u64) -> Vec<(u64, Target)> {
    // Stable: of changes at one time, the one listed last wins.
    changes.sort_by_key(|&(at, _)| at);
    let mut out: Vec<(u64, Target)> = Vec::with_capacity(changes.len());
    for (at, target) in changes {
        let at = at.max(start);
        if at >= close_by {
            break;
        }
        match out.last_mut() {
            Some(last) if last.0 == at => last.1 = target,
            _ => out.push((at, target)),
        }
    }
    let mut state = Target::Off;
    out.retain(|&(_, target)| {
        let changed = target != state;
        state = target;
        changed
    });
    out
}

fn by_agent(rows: &[RosterRow]) -> Vec<(&str, &[RosterRow])> {
    let mut out = Vec::new();
    let mut from = 0;
    for i in 1..=rows.len() {
        if i == rows.len() || rows[i].agent != rows[from].agent {
            out.push((rows[from].agent.as_str(), &rows[from..i]));
            from = i;
        }
    }
    out
}

/// The group of a roster agent: the longest group name that prefixes the
/// agent's name, else the default group.
fn roster_group(groups: &[GroupSpec], agent: &str) -> Option<usize> {
    groups
        .iter()
        .enumerate()
        .filter(|(_, g)| agent.starts_with(g.name.as_str()))
        .max_by_key(|(_, g)| g.name.len())
        .or_else(|| groups.iter().enumerate().find(|(_, g)| g.default))
        .map(|(i, _)| i)
}

fn roster_timeline(
    rows: &[RosterRow],
    path: &Path,
    zone: &TimeZone,
    reasons: &mut Vec<Code>,
) -> Result<Vec<(u64, Target)>, ScenarioError> {
    let mut changes = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let csv = |problem: String| ScenarioError::Csv {
            path: path.to_owned(),
            line: row.line,
            problem,
        };
        let target = if row.activity == roster::WORK {
            Target::Work
        } else {
            let reason = reason_index(reasons, &row.activity, String::new())
                .map_err(|e| csv(format!("activity {:?}: {e}", row.activity)))?;
            Target::Break(reason)
        };
        let ms = |at: DateTime| to_ms(at, zone, "roster").map_err(|e| csv(e.to_string()));
        changes.push((ms(row.start)?, target));
        if rows.get(i + 1).is_none_or(|next| next.start != row.end) {
            changes.push((ms(row.end)?, Target::Off));
        }
    }
    Ok(changes)
}
