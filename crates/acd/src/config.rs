//! Routing configuration and its validation.
//!
//! Key types: [`Config`] (the whole set, checked by [`Config::validate`]),
//! [`QueueConfig`] with its [`Relaxation`] steps, [`AgingRule`] and
//! [`SelectionPolicy`], and [`AgentConfig`] with its routing profile.
//! [`ConfigError`] names the offending key.

use serde::{Deserialize, Serialize};

use crate::event::ConfigChange;
use crate::model::{AgentId, Code, Concurrency, Proficiency, QueueId, SkillId, Span};

/// A skill agents can have and queues can require.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillConfig {
    /// Its id.
    pub id: SkillId,
    /// Its display name.
    pub name: String,
}

/// A queue requires a skill at a minimum level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillRequirement {
    /// The skill.
    pub skill: SkillId,
    /// The lowest acceptable proficiency before any relaxation.
    pub min_level: Proficiency,
}

/// A step of requirement relaxation: once a contact has waited `after`, the
/// minimum level of every requirement drops to at most `min_level`, and
/// fully qualified agents of `add_queues` may take it. The caller keeps
/// their place in line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relaxation {
    /// Wait after which this step applies.
    pub after: Span,
    /// New ceiling on every requirement's minimum level, if lowered.
    #[serde(default)]
    pub min_level: Option<Proficiency>,
    /// Queues whose agents (at their own full requirements) become eligible.
    #[serde(default)]
    pub add_queues: Vec<QueueId>,
}

/// Priority aging: every `every` of waiting adds `boost` to a contact's
/// effective priority, up to `max_boost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingRule {
    /// Waiting time per increment.
    pub every: Span,
    /// Priority added per increment.
    pub boost: u32,
    /// Ceiling on the total added priority.
    pub max_boost: u32,
}

/// How a queue chooses among several ready, eligible agents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionPolicy {
    /// The agent ready for the longest time.
    #[default]
    LongestIdle,
    /// The highest total proficiency in the queue's required skills, then
    /// longest idle.
    MostSkilled,
    /// The fewest contacts since the day started, then longest idle.
    FewestContacts,
    /// The next agent after the last one chosen, in agent-id order.
    RoundRobin,
}

/// Where a contact goes when it has waited the queue's maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// Another queue; the contact keeps its place by original arrival.
    Queue(QueueId),
    /// Voicemail: the contact leaves the ACD.
    Voicemail,
    /// A callback: the caller hangs up and keeps their place in line.
    Callback,
}

/// A queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueConfig {
    /// Its id.
    pub id: QueueId,
    /// Its display name.
    pub name: String,
    /// Skills required; at least one.
    pub requirements: Vec<SkillRequirement>,
    /// Relaxation steps in increasing `after` order.
    #[serde(default)]
    pub relaxation: Vec<Relaxation>,
    /// Priority aging, if any.
    #[serde(default)]
    pub aging: Option<AgingRule>,
    /// Agent selection.
    #[serde(default)]
    pub selection: SelectionPolicy,
    /// Service-level threshold T (answered within T).
    pub service_level_threshold: Span,
    /// Service-level target, percent of contacts within T.
    pub service_level_target: u8,
    /// Wrap-up length; `None` means the agent ends wrap-up by hand.
    pub wrap_up: Option<Span>,
    /// How long an offer rings before it counts as not answered.
    pub offer_timeout: Span,
    /// Longest wait in this queue before `overflow` applies.
    pub max_wait: Option<Span>,
    /// Where contacts go after `max_wait`.
    pub overflow: Option<Overflow>,
    /// Period of position / estimated-wait announcements, if any.
    pub announce_every: Option<Span>,
    /// Handle time assumed for wait estimates before any is observed.
    pub expected_handle_time: Span,
}

impl QueueConfig {
    /// A queue with one required skill and everyday defaults: service level
    /// 80/20, no automatic wrap-up end, 15 s offers, no maximum wait.
    pub fn new(id: QueueId, name: &str, skill: SkillId, min_level: Proficiency) -> Self {
        QueueConfig {
            id,
            name: name.to_owned(),
            requirements: vec![SkillRequirement { skill, min_level }],
            relaxation: Vec::new(),
            aging: None,
            selection: SelectionPolicy::LongestIdle,
            service_level_threshold: Span::from_secs(20),
            service_level_target: 80,
            wrap_up: None,
            offer_timeout: Span::from_secs(15),
            max_wait: None,
            overflow: None,
            announce_every: None,
            expected_handle_time: Span::from_secs(180),
        }
    }
}

/// One queue of an agent's routing profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileEntry {
    /// The queue served.
    pub queue: QueueId,
    /// 1 is served first; a ready agent takes contacts from its queues in
    /// this order, then by the contacts' priority and wait.
    pub priority: u8,
}

/// An agent's skills and routing profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentConfig {
    /// Its id.
    pub id: AgentId,
    /// Its display name.
    pub name: String,
    /// Skills with proficiency; each skill at most once.
    pub skills: Vec<(SkillId, Proficiency)>,
    /// The queues it serves.
    pub profile: Vec<ProfileEntry>,
    /// How many contacts it may hold at once.
    #[serde(default)]
    pub concurrency: Concurrency,
}

impl AgentConfig {
    /// The agent's level in `skill`, if it has it.
    pub fn level(&self, skill: SkillId) -> Option<Proficiency> {
        self.skills
            .iter()
            .find(|(s, _)| *s == skill)
            .map(|&(_, level)| level)
    }
}

/// An outcome code and whether it counts as a success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeConfig {
    /// The code.
    pub code: Code,
    /// Counts toward the success rate.
    pub success: bool,
}

/// The whole routing configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Skills.
    pub skills: Vec<SkillConfig>,
    /// Queues.
    pub queues: Vec<QueueConfig>,
    /// Agents (known agents; logging in is an event).
    pub agents: Vec<AgentConfig>,
    /// Not-ready reason codes.
    pub reason_codes: Vec<Code>,
    /// Wrap-up outcome codes.
    pub outcome_codes: Vec<OutcomeConfig>,
    /// The reason an agent is given on login, before it goes ready.
    pub login_reason: Code,
    /// The reason given when an agent misses or rejects an offer.
    pub missed_offer_reason: Code,
}

/// A configuration that cannot be used, naming the key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Two entries share an id.
    #[error("{kind} id {id} is defined twice")]
    DuplicateId {
        /// "skill", "queue" or "agent".
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// A queue requires no skill.
    #[error("queue {0} requires no skill: give it at least one requirement")]
    QueueWithoutSkill(QueueId),
    /// A reference to a skill that is not configured.
    #[error("{owner} refers to unknown skill {skill}")]
    UnknownSkill {
        /// Who refers to it.
        owner: String,
        /// The skill.
        skill: SkillId,
    },
    /// A reference to a queue that is not configured.
    #[error("{owner} refers to unknown queue {queue}")]
    UnknownQueue {
        /// Who refers to it.
        owner: String,
        /// The queue.
        queue: QueueId,
    },
    /// A skill listed twice in one requirement or agent.
    #[error("{owner} lists skill {skill} twice")]
    DuplicateSkill {
        /// Who lists it.
        owner: String,
        /// The skill.
        skill: SkillId,
    },
    /// A queue listed twice in one profile.
    #[error("agent {agent} lists queue {queue} twice in its routing profile")]
    DuplicateProfileQueue {
        /// The agent.
        agent: AgentId,
        /// The queue.
        queue: QueueId,
    },
    /// Relaxation steps out of order.
    #[error("queue {0}: relaxation steps must have strictly increasing 'after'")]
    RelaxationOrder(QueueId),
    /// A service-level target above 100 %.
    #[error("queue {queue}: service-level target {target}% is above 100%")]
    ServiceLevelTarget {
        /// The queue.
        queue: QueueId,
        /// The target given.
        target: u8,
    },
    /// Zero offer timeout, aging period, maximum wait or announcement period.
    #[error("queue {queue}: {field} must be longer than zero")]
    ZeroSpan {
        /// The queue.
        queue: QueueId,
        /// The field.
        field: &'static str,
    },
    /// `overflow` without `max_wait` or the other way round.
    #[error("queue {0}: max_wait and overflow must be given together")]
    OverflowWithoutMaxWait(QueueId),
    /// A queue that overflows into itself.
    #[error("queue {0} overflows into itself")]
    OverflowToSelf(QueueId),
    /// The login or missed-offer reason is not among the reason codes.
    #[error("{field} {code} is not among the reason codes")]
    UnknownReason {
        /// "login_reason" or "missed_offer_reason".
        field: &'static str,
        /// The code.
        code: Code,
    },
    /// A reason or outcome code defined twice.
    #[error("{kind} code {code} is defined twice")]
    DuplicateCode {
        /// "reason" or "outcome".
        kind: &'static str,
        /// The code.
        code: Code,
    },
}

impl Config {
    /// The configuration after `change`, as the engine applies it: an
    /// upsert replaces the entry with the same id (or code) in place, or
    /// adds it at the end. It does not validate; the engine does, before
    /// it takes a change.
    pub fn apply(&mut self, change: &ConfigChange) {
        fn upsert<T: Clone>(list: &mut Vec<T>, item: &T, same: impl Fn(&T) -> bool) {
            match list.iter_mut().find(|x| same(x)) {
                Some(slot) => *slot = item.clone(),
                None => list.push(item.clone()),
            }
        }
        match change {
            ConfigChange::UpsertSkill(skill) => {
                upsert(&mut self.skills, skill, |s| s.id == skill.id)
            }
            ConfigChange::UpsertQueue(queue) => {
                upsert(&mut self.queues, queue, |q| q.id == queue.id)
            }
            ConfigChange::UpsertAgent(agent) => {
                upsert(&mut self.agents, agent, |a| a.id == agent.id)
            }
            ConfigChange::SetAgentSkills { agent, skills } => {
                if let Some(a) = self.agents.iter_mut().find(|a| a.id == *agent) {
                    a.skills.clone_from(skills);
                }
            }
            ConfigChange::AddReasonCode(code) => {
                if !self.reason_codes.contains(code) {
                    self.reason_codes.push(code.clone());
                }
            }
            ConfigChange::UpsertOutcome(outcome) => {
                upsert(&mut self.outcome_codes, outcome, |o| o.code == outcome.code);
            }
        }
    }

    /// Checks every cross-reference and range; the engine accepts only a
    /// configuration that passes.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut skills = rustc_hash::FxHashSet::default();
        for s in &self.skills {
            if !skills.insert(s.id) {
                return Err(ConfigError::DuplicateId {
                    kind: "skill",
                    id: s.id.to_string(),
                });
            }
        }
        let mut queues = rustc_hash::FxHashSet::default();
        for q in &self.queues {
            if !queues.insert(q.id) {
                return Err(ConfigError::DuplicateId {
                    kind: "queue",
                    id: q.id.to_string(),
                });
            }
        }
        for q in &self.queues {
            validate_queue(q, &|s| skills.contains(&s), &|id| queues.contains(&id))?;
        }
        let mut agents = rustc_hash::FxHashSet::default();
        for a in &self.agents {
            if !agents.insert(a.id) {
                return Err(ConfigError::DuplicateId {
                    kind: "agent",
                    id: a.id.to_string(),
                });
            }
            validate_agent(a, &|s| skills.contains(&s), &|id| queues.contains(&id))?;
        }
        let mut reasons = rustc_hash::FxHashSet::default();
        for code in &self.reason_codes {
            if !reasons.insert(code) {
                return Err(ConfigError::DuplicateCode {
                    kind: "reason",
                    code: code.clone(),
                });
            }
        }
        let mut outcomes = rustc_hash::FxHashSet::default();
        for o in &self.outcome_codes {
            if !outcomes.insert(&o.code) {
                return Err(ConfigError::DuplicateCode {
                    kind: "outcome",
                    code: o.code.clone(),
                });
            }
        }
        for (field, code) in [
            ("login_reason", &self.login_reason),
            ("missed_offer_reason", &self.missed_offer_reason),
        ] {
            if !reasons.contains(code) {
                return Err(ConfigError::UnknownReason {
                    field,
                    code: code.clone(),
                });
            }
        }
        Ok(())
    }
}

/// Checks one queue against the known skills and queues.
pub(crate) fn validate_queue(
    q: &QueueConfig,
    skill_known: &dyn Fn(SkillId) -> bool,
    queue_known: &dyn Fn(QueueId) -> bool,
) -> Result<(), ConfigError> {
    let owner = || format!("queue {}", q.id);
    if q.requirements.is_empty() {
        return Err(ConfigError::QueueWithoutSkill(q.id));
    }
    for (i, r) in q.requirements.iter().enumerate() {
        if !skill_known(r.skill) {
            return Err(ConfigError::UnknownSkill {
                owner: owner(),
                skill: r.skill,
            });
        }
        if q.requirements[..i].iter().any(|o| o.skill == r.skill) {
            return Err(ConfigError::DuplicateSkill {
                owner: owner(),
                skill: r.skill,
            });
        }
    }
    if q.relaxation.windows(2).any(|w| w[0].after >= w[1].after)
        || q.relaxation.first().is_some_and(|r| r.after == Span::ZERO)
    {
        return Err(ConfigError::RelaxationOrder(q.id));
    }
    for step in &q.relaxation {
        for &added in &step.add_queues {
            if !queue_known(added) {
                return Err(ConfigError::UnknownQueue {
                    owner: owner(),
                    queue: added,
                });
            }
        }
    }
    if q.service_level_target > 100 {
        return Err(ConfigError::ServiceLevelTarget {
            queue: q.id,
            target: q.service_level_target,
        });
    }
    if q.offer_timeout == Span::ZERO {
        return Err(ConfigError::ZeroSpan {
            queue: q.id,
            field: "offer_timeout",
        });
    }
    if q.aging.is_some_and(|a| a.every == Span::ZERO) {
        return Err(ConfigError::ZeroSpan {
            queue: q.id,
            field: "aging.every",
        });
    }
    if q.max_wait == Some(Span::ZERO) {
        // Overflow would bounce between queues without time passing.
        return Err(ConfigError::ZeroSpan {
            queue: q.id,
            field: "max_wait",
        });
    }
    if q.announce_every == Some(Span::ZERO) {
        return Err(ConfigError::ZeroSpan {
            queue: q.id,
            field: "announce_every",
        });
    }
    match (q.max_wait, q.overflow) {
        (Some(_), Some(Overflow::Queue(target))) => {
            if target == q.id {
                return Err(ConfigError::OverflowToSelf(q.id));
            }
            if !queue_known(target) {
                return Err(ConfigError::UnknownQueue {
                    owner: owner(),
                    queue: target,
                });
            }
        }
        (Some(_), Some(_)) | (None, None) => {}
        _ => return Err(ConfigError::OverflowWithoutMaxWait(q.id)),
    }
    Ok(())
}

/// Checks one agent against the known skills and queues.
pub(crate) fn validate_agent(
    a: &AgentConfig,
    skill_known: &dyn Fn(SkillId) -> bool,
    queue_known: &dyn Fn(QueueId) -> bool,
) -> Result<(), ConfigError> {
    let owner = || format!("agent {}", a.id);
    for (i, &(skill, _)) in a.skills.iter().enumerate() {
        if !skill_known(skill) {
            return Err(ConfigError::UnknownSkill {
                owner: owner(),
                skill,
            });
        }
        if a.skills[..i].iter().any(|&(s, _)| s == skill) {
            return Err(ConfigError::DuplicateSkill {
                owner: owner(),
                skill,
            });
        }
    }
    for (i, entry) in a.profile.iter().enumerate() {
        if !queue_known(entry.queue) {
            return Err(ConfigError::UnknownQueue {
                owner: owner(),
                queue: entry.queue,
            });
        }
        if a.profile[..i].iter().any(|e| e.queue == entry.queue) {
            return Err(ConfigError::DuplicateProfileQueue {
                agent: a.id,
                queue: entry.queue,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Code {
        Code::parse(text).unwrap()
    }

    #[test]
    fn apply_replaces_in_place_or_adds_at_the_end() {
        let level = Proficiency::new(5).unwrap();
        let mut config = Config {
            skills: vec![SkillConfig {
                id: SkillId(1),
                name: "billing".into(),
            }],
            queues: vec![QueueConfig::new(QueueId(1), "Billing", SkillId(1), level)],
            agents: vec![AgentConfig {
                id: AgentId(7),
                name: "Lan".into(),
                skills: vec![(SkillId(1), level)],
                profile: vec![ProfileEntry {
                    queue: QueueId(1),
                    priority: 1,
                }],
                concurrency: Concurrency::ONE,
            }],
            reason_codes: vec![code("login"), code("missed")],
            outcome_codes: vec![],
            login_reason: code("login"),
            missed_offer_reason: code("missed"),
        };
        let renamed = SkillConfig {
            id: SkillId(1),
            name: "billing & invoices".into(),
        };
        config.apply(&ConfigChange::UpsertSkill(renamed.clone()));
        assert_eq!(config.skills, [renamed]);
        let vip = QueueConfig::new(QueueId(2), "VIP", SkillId(1), level);
        config.apply(&ConfigChange::UpsertQueue(vip.clone()));
        assert_eq!(config.queues[1], vip);
        let expert = Proficiency::new(9).unwrap();
        config.apply(&ConfigChange::SetAgentSkills {
            agent: AgentId(7),
            skills: vec![(SkillId(1), expert)],
        });
        assert_eq!(config.agents[0].skills, [(SkillId(1), expert)]);
        config.apply(&ConfigChange::AddReasonCode(code("lunch")));
        config.apply(&ConfigChange::AddReasonCode(code("lunch")));
        assert_eq!(config.reason_codes.len(), 3, "a code is added once");
        for success in [true, false] {
            config.apply(&ConfigChange::UpsertOutcome(OutcomeConfig {
                code: code("sale"),
                success,
            }));
        }
        assert_eq!(config.outcome_codes.len(), 1);
        assert!(!config.outcome_codes[0].success);
        config.validate().unwrap();
    }
}
