//! What the server knows beyond the engine's routing state: the routing
//! configuration now, names, customers and their value tiers, what dialled
//! numbers stand for, opening hours, and what has been retired. Rebuilt at
//! start from the configuration file and the log's administration facts
//! ([`kpi::Admin`]), kept current by the engine thread, read by the HTTP
//! layer.
//!
//! Key types: [`Directory`] and [`Refusal`] (why an administration change
//! cannot be made).

use std::collections::{HashMap, HashSet};

use acd::config::Config;
use acd::model::{AgentId, Code, PhoneNumber, Priority, QueueId, SkillId};
use acd::{ConfigChange, Event};
use jiff::Zoned;
use kpi::{AdminChange, CustomerRecord, Retired, Role, UserRecord, WeeklyHours};
use serde::Serialize;

/// Why an administration change is refused; the HTTP layer maps each to a
/// status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// It names something that does not exist (404).
    #[error("{0}")]
    Unknown(String),
    /// It conflicts with the state of the center (409).
    #[error("{0}")]
    Conflict(String),
    /// It is not valid in itself (422).
    #[error("{0}")]
    Invalid(String),
}

/// The server's view of the center's configuration.
#[derive(Debug, Clone)]
pub struct Directory {
    /// The routing configuration now (the file's, with every change since).
    pub config: Config,
    /// Users by name, without their retired ones.
    pub users: HashMap<String, UserRecord>,
    /// Customers by id.
    pub customers: HashMap<Code, CustomerRecord>,
    /// Which customer a phone number belongs to.
    pub phones: HashMap<PhoneNumber, Code>,
    /// Priority of each value tier's contacts.
    pub tiers: HashMap<Code, Priority>,
    /// What each dialled number stands for.
    pub lines: HashMap<PhoneNumber, String>,
    /// Opening hours of the queues that have them (others never close).
    pub hours: HashMap<QueueId, WeeklyHours>,
    /// Retired queues, agents, skills, reasons and outcomes.
    pub retired: RetiredSets,
}

/// What has been taken out of service.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RetiredSets {
    /// Skills no new queue or agent may use.
    pub skills: HashSet<SkillId>,
    /// Queues no contact may enter.
    pub queues: HashSet<QueueId>,
    /// Agents who may not log in.
    pub agents: HashSet<AgentId>,
    /// Not-ready reasons no longer accepted.
    pub reasons: HashSet<Code>,
    /// Outcome codes no longer accepted.
    pub outcomes: HashSet<Code>,
}

impl Directory {
    /// The directory of a center configured by `config`, before any change.
    pub fn new(config: Config) -> Self {
        Directory {
            config,
            users: HashMap::new(),
            customers: HashMap::new(),
            phones: HashMap::new(),
            tiers: HashMap::new(),
            lines: HashMap::new(),
            hours: HashMap::new(),
            retired: RetiredSets::default(),
        }
    }

    /// The queues with their names, in configuration order.
    pub fn queue_names(&self) -> Vec<(QueueId, String)> {
        self.config
            .queues
            .iter()
            .map(|q| (q.id, q.name.clone()))
            .collect()
    }

    /// The agents with their names, in configuration order.
    pub fn agent_names(&self) -> Vec<(AgentId, String)> {
        self.config
            .agents
            .iter()
            .map(|a| (a.id, a.name.clone()))
            .collect()
    }

    /// Whether `agent` is configured (retired or not).
    pub fn has_agent(&self, agent: AgentId) -> bool {
        self.config.agents.iter().any(|a| a.id == agent)
    }

    /// Whether `queue` is configured (retired or not).
    pub fn has_queue(&self, queue: QueueId) -> bool {
        self.config.queues.iter().any(|q| q.id == queue)
    }

    /// The customer a contact comes from: the one named by id, else the
    /// one whose number is `ani`.
    pub fn customer(
        &self,
        id: Option<&Code>,
        ani: Option<&PhoneNumber>,
    ) -> Option<&CustomerRecord> {
        match id {
            Some(id) => self.customers.get(id),
            None => ani
                .and_then(|ani| self.phones.get(ani))
                .and_then(|id| self.customers.get(id)),
        }
    }

    /// Refuses a contact for `queue` at `now` (in the center's zone) when
    /// the queue is retired or closed; says when it opens.
    pub fn admit(&self, queue: QueueId, now: &Zoned) -> Result<(), Refusal> {
        if self.retired.queues.contains(&queue) {
            return Err(Refusal::Conflict(format!(
                "{queue} is retired and takes no new contacts"
            )));
        }
        match self.hours.get(&queue) {
            Some(hours) if !hours.is_open(now.weekday(), now.time()) => {
                Err(Refusal::Conflict(format!(
                    "{queue} is closed now ({} {}); it is open {hours}",
                    now.strftime("%A %H:%M"),
                    now.time_zone().iana_name().unwrap_or("local time"),
                )))
            }
            _ => Ok(()),
        }
    }

    /// Refuses an agent's event that uses something retired: a retired
    /// agent logging in, a retired reason or outcome code.
    pub fn allows(&self, event: &Event) -> Result<(), Refusal> {
        let retired = |what: String| Err(Refusal::Conflict(format!("{what} is retired")));
        match event {
            Event::AgentLoggedIn { agent } if self.retired.agents.contains(agent) => {
                retired(agent.to_string())
            }
            Event::AgentNotReady { reason, .. } if self.retired.reasons.contains(reason) => {
                retired(format!("reason code {reason}"))
            }
            Event::WrapUpDone { wrap, .. }
                if wrap
                    .outcome
                    .as_ref()
                    .is_some_and(|o| self.retired.outcomes.contains(o)) =>
            {
                retired(format!(
                    "outcome code {}",
                    wrap.outcome.as_ref().map_or("", |o| o.as_str())
                ))
            }
            _ => Ok(()),
        }
    }

    /// Checks a change that does not go through the engine, or the
    /// server's own rules for one that does (retired skills stay unused).
    /// `logged_out` says whether an agent is logged out now.
    pub fn check(
        &self,
        change: &AdminChange,
        logged_out: impl Fn(AgentId) -> bool,
    ) -> Result<(), Refusal> {
        match change {
            AdminChange::Routing(routing) => self.check_routing(routing),
            AdminChange::User(user) => match (user.role, user.agent) {
                (Role::Agent, Some(agent)) if !self.has_agent(agent) => {
                    Err(Refusal::Unknown(format!("unknown agent {agent}")))
                }
                (Role::Agent, Some(agent)) if self.retired.agents.contains(&agent) => {
                    Err(Refusal::Conflict(format!("{agent} is retired")))
                }
                (Role::Agent, None) => {
                    Err(Refusal::Invalid("an agent user needs an agent id".into()))
                }
                (Role::Admin | Role::Supervisor | Role::Analyst, Some(_)) => {
                    Err(Refusal::Invalid("only agent users have an agent id".into()))
                }
                _ => Ok(()),
            },
            AdminChange::Customer(customer) => {
                if let Some(tier) = &customer.tier
                    && !self.tiers.contains_key(tier)
                {
                    return Err(Refusal::Unknown(format!(
                        "unknown value tier {tier}; create it first with PUT /api/tiers/{tier}"
                    )));
                }
                for phone in &customer.phones {
                    if let Some(owner) = self.phones.get(phone)
                        && *owner != customer.id
                    {
                        return Err(Refusal::Conflict(format!(
                            "{phone} already belongs to customer {owner}"
                        )));
                    }
                }
                Ok(())
            }
            AdminChange::Tier { .. } | AdminChange::Line { .. } => Ok(()),
            AdminChange::Hours { queue, .. } => self.known_queue(*queue),
            AdminChange::Retired(what) => self.check_retirement(what, logged_out),
        }
    }

    fn check_routing(&self, change: &ConfigChange) -> Result<(), Refusal> {
        let retired_skill = |skill: &SkillId| {
            if self.retired.skills.contains(skill) {
                Err(Refusal::Conflict(format!("{skill} is retired")))
            } else {
                Ok(())
            }
        };
        match change {
            ConfigChange::UpsertQueue(q) => q
                .requirements
                .iter()
                .map(|r| &r.skill)
                .try_for_each(retired_skill),
            ConfigChange::UpsertAgent(a) => {
                a.skills.iter().map(|(s, _)| s).try_for_each(retired_skill)
            }
            ConfigChange::SetAgentSkills { skills, .. } => {
                skills.iter().map(|(s, _)| s).try_for_each(retired_skill)
            }
            ConfigChange::UpsertSkill(_)
            | ConfigChange::AddReasonCode(_)
            | ConfigChange::UpsertOutcome(_) => Ok(()),
        }
    }

    fn check_retirement(
        &self,
        what: &Retired,
        logged_out: impl Fn(AgentId) -> bool,
    ) -> Result<(), Refusal> {
        match what {
            Retired::Skill(skill) => {
                if !self.config.skills.iter().any(|s| s.id == *skill) {
                    return Err(Refusal::Unknown(format!("unknown skill {skill}")));
                }
                let user = self.config.queues.iter().find(|q| {
                    !self.retired.queues.contains(&q.id)
                        && q.requirements.iter().any(|r| r.skill == *skill)
                });
                match user {
                    Some(q) => Err(Refusal::Conflict(format!(
                        "{} still requires {skill}; change or retire it first",
                        q.id
                    ))),
                    None => Ok(()),
                }
            }
            Retired::Queue(queue) => self.known_queue(*queue),
            Retired::Agent(agent) => {
                if !self.has_agent(*agent) {
                    return Err(Refusal::Unknown(format!("unknown agent {agent}")));
                }
                if !logged_out(*agent) {
                    return Err(Refusal::Conflict(format!(
                        "{agent} is logged in; log it out first"
                    )));
                }
                Ok(())
            }
            Retired::Reason(code) => {
                if *code == self.config.login_reason || *code == self.config.missed_offer_reason {
                    return Err(Refusal::Conflict(format!(
                        "{code} is the engine's own login or missed-offer reason"
                    )));
                }
                if self.config.reason_codes.contains(code) {
                    Ok(())
                } else {
                    Err(Refusal::Unknown(format!("unknown reason code {code}")))
                }
            }
            Retired::Outcome(code) => {
                if self.config.outcome_codes.iter().any(|o| o.code == *code) {
                    Ok(())
                } else {
                    Err(Refusal::Unknown(format!("unknown outcome code {code}")))
                }
            }
            Retired::User(name) => {
                if self.users.contains_key(name) {
                    Ok(())
                } else {
                    Err(Refusal::Unknown(format!("unknown user {name}")))
                }
            }
            Retired::Customer(id) => {
                if self.customers.contains_key(id) {
                    Ok(())
                } else {
                    Err(Refusal::Unknown(format!("unknown customer {id}")))
                }
            }
        }
    }

    fn known_queue(&self, queue: QueueId) -> Result<(), Refusal> {
        if self.has_queue(queue) {
            Ok(())
        } else {
            Err(Refusal::Unknown(format!("unknown queue {queue}")))
        }
    }

    /// Takes an accepted change. Upserting a retired queue, agent, skill,
    /// reason or outcome puts it back in service.
    pub fn apply(&mut self, change: &AdminChange) {
        match change {
            AdminChange::Routing(routing) => {
                self.config.apply(routing);
                match routing {
                    ConfigChange::UpsertSkill(s) => {
                        self.retired.skills.remove(&s.id);
                    }
                    ConfigChange::UpsertQueue(q) => {
                        self.retired.queues.remove(&q.id);
                    }
                    ConfigChange::UpsertAgent(a) => {
                        self.retired.agents.remove(&a.id);
                    }
                    ConfigChange::AddReasonCode(code) => {
                        self.retired.reasons.remove(code);
                    }
                    ConfigChange::UpsertOutcome(o) => {
                        self.retired.outcomes.remove(&o.code);
                    }
                    ConfigChange::SetAgentSkills { .. } => {}
                }
            }
            AdminChange::User(user) => {
                self.users.insert(user.name.clone(), user.clone());
            }
            AdminChange::Customer(customer) => {
                self.forget_phones(&customer.id);
                for phone in &customer.phones {
                    self.phones.insert(phone.clone(), customer.id.clone());
                }
                self.customers.insert(customer.id.clone(), customer.clone());
            }
            AdminChange::Tier { tier, priority } => {
                self.tiers.insert(tier.clone(), *priority);
            }
            AdminChange::Line { dnis, name } => {
                self.lines.insert(dnis.clone(), name.clone());
            }
            AdminChange::Hours { queue, hours } => {
                self.hours.insert(*queue, hours.clone());
            }
            AdminChange::Retired(what) => match what {
                Retired::Skill(id) => {
                    self.retired.skills.insert(*id);
                }
                Retired::Queue(id) => {
                    self.retired.queues.insert(*id);
                }
                Retired::Agent(id) => {
                    self.retired.agents.insert(*id);
                }
                Retired::Reason(code) => {
                    self.retired.reasons.insert(code.clone());
                }
                Retired::Outcome(code) => {
                    self.retired.outcomes.insert(code.clone());
                }
                Retired::User(name) => {
                    self.users.remove(name);
                }
                Retired::Customer(id) => {
                    self.forget_phones(id);
                    self.customers.remove(id);
                }
            },
        }
    }

    fn forget_phones(&mut self, customer: &Code) {
        self.phones.retain(|_, owner| owner != customer);
    }
}
