//! The synthetic contact center that `bench route` drives.
//!
//! Key types: [`Center`] (an engine [`Config`] plus what the traffic
//! generator needs to know about it), built by [`Center::generate`], and
//! [`shape`] (the timings the queues and the traffic share). Queues require
//! one or two skills at low minimum levels, so most agents holding a skill
//! qualify; agents hold 5 to 20 random skills and serve up to
//! [`PROFILE_CAP`] of the queues they qualify for. Every queue is staffed.

use acd::config::{
    AgentConfig, AgingRule, Config, ProfileEntry, QueueConfig, Relaxation, SelectionPolicy,
    SkillConfig, SkillRequirement,
};
use acd::model::{AgentId, Code, Concurrency, Proficiency, QueueId, SkillId, Span};
use anyhow::Result;
use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;

/// Skills in the center.
pub const SKILLS: usize = 200;
/// Queues in the center.
pub const QUEUES: usize = 500;
/// Most queues an agent's routing profile lists (a few more when a queue
/// would otherwise be unstaffed).
const PROFILE_CAP: usize = 10;
/// Fewest fully qualified agents every queue gets.
const MIN_MEMBERS: usize = 3;

/// Timings shared by the queue configuration and the traffic, in
/// milliseconds, and the share of queues with manual wrap-up.
pub mod shape {
    /// Mean talk time (exponentially distributed).
    pub const MEAN_HANDLE_MS: f64 = 180_000.0;
    /// Automatic wrap-up of most queues.
    pub const AUTO_WRAP_MS: u64 = 5_000;
    /// Manual wrap-up takes between these two.
    pub const MANUAL_WRAP_MS: (u64, u64) = (3_000, 12_000);
    /// An agent answers a ringing offer after between these two; well
    /// inside the offer timeout, so offers never ring out.
    pub const RING_MS: (u64, u64) = (1_000, 4_000);
    /// Service-level threshold.
    pub const SERVICE_LEVEL_MS: u64 = 20_000;
    /// Waiting after which relaxing queues lower their requirements.
    pub const RELAX_AFTER_MS: u64 = 30_000;
    /// Share of queues whose agents end wrap-up by hand.
    pub const MANUAL_WRAP_SHARE: f64 = 0.1;
}

/// A generated center.
pub struct Center {
    /// What the engine is built from.
    pub config: Config,
    /// Cumulative share of arrivals by queue index, last entry 1.0. A
    /// queue's share is its staffing: each agent splits its capacity evenly
    /// over its profile, so load follows capacity and no queue is starved
    /// or swamped by construction.
    pub arrival_cdf: Vec<f64>,
    /// By queue index: the driver must send `WrapUpDone` (no wrap-up timer).
    pub manual_wrap: Vec<bool>,
}

impl Center {
    /// A center of `agents` agents drawn from `rng`.
    pub fn generate(agents: usize, rng: &mut SmallRng) -> Result<Self> {
        let skills = (1..=SKILLS as u32)
            .map(|s| SkillConfig {
                id: SkillId(s),
                name: format!("skill-{s}"),
            })
            .collect();
        let queues: Vec<QueueConfig> = (0..QUEUES).map(|q| queue(q, rng)).collect::<Result<_>>()?;
        let mut by_first_skill = vec![Vec::new(); SKILLS + 1];
        for (ix, q) in queues.iter().enumerate() {
            by_first_skill[q.requirements[0].skill.0 as usize].push(ix);
        }
        let mut agents: Vec<AgentConfig> = (0..agents)
            .map(|a| agent(a, &queues, &by_first_skill, rng))
            .collect::<Result<_>>()?;
        staff_every_queue(&queues, &mut agents, rng)?;

        let mut weight = vec![0.0; QUEUES];
        for a in &agents {
            let share = 1.0 / a.profile.len().max(1) as f64;
            for entry in &a.profile {
                weight[queue_index(entry.queue)] += share;
            }
        }
        let total: f64 = weight.iter().sum();
        let arrival_cdf = weight
            .iter()
            .scan(0.0, |sum, w| {
                *sum += w / total;
                Some(*sum)
            })
            .collect();
        let manual_wrap = queues.iter().map(|q| q.wrap_up.is_none()).collect();
        let (login, missed) = (Code::parse("login")?, Code::parse("missed")?);
        let config = Config {
            skills,
            queues,
            agents,
            reason_codes: vec![login.clone(), missed.clone()],
            outcome_codes: vec![],
            login_reason: login,
            missed_offer_reason: missed,
        };
        Ok(Center {
            config,
            arrival_cdf,
            manual_wrap,
        })
    }
}

/// Queue ids are 1-based indexes.
fn queue_index(id: QueueId) -> usize {
    id.0 as usize - 1
}

fn level(rng: &mut SmallRng, range: std::ops::RangeInclusive<u8>) -> Result<Proficiency> {
    Ok(Proficiency::new(rng.random_range(range))?)
}

fn random_skill(rng: &mut SmallRng) -> SkillId {
    SkillId(rng.random_range(1..=SKILLS as u32))
}

/// Queue `q`: 70 % need one skill, the rest two; a quarter relax after
/// [`shape::RELAX_AFTER_MS`] to any level and borrow another queue's agents,
/// a fifth age their callers' priority, and a mix of selection policies.
fn queue(q: usize, rng: &mut SmallRng) -> Result<QueueConfig> {
    let id = QueueId(q as u32 + 1);
    let first = random_skill(rng);
    let mut cfg = QueueConfig::new(id, &format!("queue-{}", id.0), first, level(rng, 1..=3)?);
    if rng.random_bool(0.3) {
        let second = std::iter::repeat_with(|| random_skill(rng))
            .find(|&s| s != first)
            .expect("an endless iterator finds a second skill");
        cfg.requirements.push(SkillRequirement {
            skill: second,
            min_level: level(rng, 1..=3)?,
        });
    }
    if rng.random_bool(0.25) {
        let lender = std::iter::repeat_with(|| QueueId(rng.random_range(1..=QUEUES as u32)))
            .find(|&other| other != id)
            .expect("an endless iterator finds another queue");
        cfg.relaxation.push(Relaxation {
            after: Span::from_millis(shape::RELAX_AFTER_MS),
            min_level: Some(Proficiency::MIN),
            add_queues: vec![lender],
        });
    }
    if rng.random_bool(0.2) {
        cfg.aging = Some(AgingRule {
            every: Span::from_secs(20),
            boost: 1,
            max_boost: 5,
        });
    }
    cfg.selection = match rng.random_range(0..20) {
        0..14 => SelectionPolicy::LongestIdle,
        14..17 => SelectionPolicy::MostSkilled,
        17..19 => SelectionPolicy::FewestContacts,
        _ => SelectionPolicy::RoundRobin,
    };
    cfg.service_level_threshold = Span::from_millis(shape::SERVICE_LEVEL_MS);
    cfg.wrap_up = (!rng.random_bool(shape::MANUAL_WRAP_SHARE))
        .then_some(Span::from_millis(shape::AUTO_WRAP_MS));
    Ok(cfg)
}

/// The lowest level of each requirement the queue ever accepts (after its
/// last relaxation step).
fn floor_levels(q: &QueueConfig) -> impl Iterator<Item = (SkillId, Proficiency)> + '_ {
    let cap = q.relaxation.iter().filter_map(|r| r.min_level).min();
    q.requirements
        .iter()
        .map(move |r| (r.skill, cap.map_or(r.min_level, |c| r.min_level.min(c))))
}

fn qualifies_eventually(agent: &AgentConfig, q: &QueueConfig) -> bool {
    floor_levels(q).all(|(skill, min)| agent.level(skill).is_some_and(|have| have >= min))
}

fn qualifies_fully(agent: &AgentConfig, q: &QueueConfig) -> bool {
    q.requirements
        .iter()
        .all(|r| agent.level(r.skill).is_some_and(|have| have >= r.min_level))
}

/// Agent `a`: 5 to 20 distinct skills at random levels, and a profile of
/// up to [`PROFILE_CAP`] queues it qualifies for, at least after relaxation.
/// `by_first_skill` lists queue indexes by their first required skill, so
/// only queues sharing a skill with the agent are examined.
fn agent(
    a: usize,
    queues: &[QueueConfig],
    by_first_skill: &[Vec<usize>],
    rng: &mut SmallRng,
) -> Result<AgentConfig> {
    let mut pool: Vec<u32> = (1..=SKILLS as u32).collect();
    let held = rng.random_range(5..=20);
    let (chosen, _) = pool.partial_shuffle(rng, held);
    let skills = chosen
        .iter()
        .map(|&s| Ok((SkillId(s), level(rng, 1..=10)?)))
        .collect::<Result<_>>()?;
    let mut cfg = AgentConfig {
        id: AgentId(a as u32 + 1),
        name: format!("agent-{}", a + 1),
        skills,
        profile: Vec::new(),
        concurrency: Concurrency::ONE,
    };
    let mut candidates: Vec<QueueId> = cfg
        .skills
        .iter()
        .flat_map(|&(skill, _)| &by_first_skill[skill.0 as usize])
        .map(|&ix| &queues[ix])
        .filter(|q| qualifies_eventually(&cfg, q))
        .map(|q| q.id)
        .collect();
    let keep = candidates.len().min(PROFILE_CAP);
    let (kept, _) = candidates.partial_shuffle(rng, keep);
    cfg.profile = kept
        .iter()
        .map(|&queue| ProfileEntry {
            queue,
            priority: rng.random_range(1..=3),
        })
        .collect();
    Ok(cfg)
}

/// Gives every queue at least [`MIN_MEMBERS`] fully qualified agents by
/// training random agents in its skills and adding it to their profiles;
/// random skills leave some two-skill queues empty in small centers.
fn staff_every_queue(
    queues: &[QueueConfig],
    agents: &mut [AgentConfig],
    rng: &mut SmallRng,
) -> Result<()> {
    let needed = MIN_MEMBERS.min(agents.len());
    let mut members = vec![0; QUEUES];
    for a in agents.iter() {
        for entry in &a.profile {
            let ix = queue_index(entry.queue);
            if qualifies_fully(a, &queues[ix]) {
                members[ix] += 1;
            }
        }
    }
    for (q, mut members) in queues.iter().zip(members) {
        while members < needed {
            let agent = &mut agents[rng.random_range(0..agents.len())];
            if agent.profile.iter().any(|e| e.queue == q.id) && qualifies_fully(agent, q) {
                continue;
            }
            for r in &q.requirements {
                let trained = level(rng, r.min_level.get()..=10)?;
                match agent.skills.iter_mut().find(|(s, _)| *s == r.skill) {
                    Some((_, have)) => *have = (*have).max(trained),
                    None => agent.skills.push((r.skill, trained)),
                }
            }
            if !agent.profile.iter().any(|e| e.queue == q.id) {
                agent.profile.push(ProfileEntry {
                    queue: q.id,
                    priority: rng.random_range(1..=3),
                });
            }
            members += 1;
        }
    }
    Ok(())
}
