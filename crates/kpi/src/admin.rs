//! Administration facts: every change an administrator or supervisor makes
//! to a running center, with who made it. They are the audit log, and the
//! server rebuilds its configuration from them at start.
//!
//! Key types: [`Admin`] (one change: when, by whom, what), [`AdminChange`]
//! (routing configuration for the engine, users, customers, value tiers,
//! dialled numbers, business hours, retirements), [`UserRecord`] with its
//! [`Role`], [`CustomerRecord`], [`WeeklyHours`] and [`Retired`].
//!
//! Routing changes ([`AdminChange::Routing`]) also appear as the engine's
//! own `ConfigChanged` record in the same append: that record says what the
//! engine did, this fact says who asked.

use std::fmt;

use acd::ConfigChange;
use acd::model::{AgentId, Code, PhoneNumber, Priority, QueueId, SkillId, Time};
use jiff::civil::{Time as ClockTime, Weekday};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// One administrative change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admin {
    /// When it was made.
    pub at: Time,
    /// The user who made it (`system` for changes made by the server
    /// itself, such as the first administrator).
    pub by: String,
    /// What changed.
    pub change: AdminChange,
}

/// What an administrative change did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminChange {
    /// A change of the routing configuration, applied to the engine.
    Routing(ConfigChange),
    /// A user was created or changed (role, agent or password).
    User(UserRecord),
    /// A customer was created or changed.
    Customer(CustomerRecord),
    /// A value tier and the priority its customers' contacts get.
    Tier {
        /// The tier's code (e.g. `gold`).
        tier: Code,
        /// Base priority of its customers' contacts.
        priority: Priority,
    },
    /// What a dialled number stands for (a campaign, an advertisement, a
    /// service line), shown on the screen pop.
    Line {
        /// The number dialled.
        dnis: PhoneNumber,
        /// What it stands for.
        name: String,
    },
    /// A queue's opening hours; contacts are refused outside them.
    Hours {
        /// The queue.
        queue: QueueId,
        /// When it is open, in the center's time zone.
        hours: WeeklyHours,
    },
    /// Something taken out of service; its history stays.
    Retired(Retired),
}

impl AdminChange {
    /// A one-line description for the audit log.
    pub fn summary(&self) -> String {
        match self {
            AdminChange::Routing(change) => match change {
                ConfigChange::UpsertSkill(s) => format!("{} set to \"{}\"", s.id, s.name),
                ConfigChange::UpsertQueue(q) => format!("{} \"{}\" configured", q.id, q.name),
                ConfigChange::UpsertAgent(a) => format!("{} \"{}\" configured", a.id, a.name),
                ConfigChange::SetAgentSkills { agent, skills } => {
                    let list: Vec<String> = skills
                        .iter()
                        .map(|(skill, level)| format!("{skill}:{}", level.get()))
                        .collect();
                    format!("{agent} skills set to {}", list.join(", "))
                }
                ConfigChange::AddReasonCode(code) => format!("reason code {code} added"),
                ConfigChange::UpsertOutcome(o) => format!(
                    "outcome code {} set ({})",
                    o.code,
                    if o.success { "success" } else { "not success" }
                ),
            },
            AdminChange::User(user) => format!(
                "user {} set to role {}{}",
                user.name,
                user.role,
                user.agent.map(|a| format!(" as {a}")).unwrap_or_default()
            ),
            AdminChange::Customer(c) => format!(
                "customer {} \"{}\" set{}",
                c.id,
                c.name,
                c.tier
                    .as_ref()
                    .map(|t| format!(", tier {t}"))
                    .unwrap_or_default()
            ),
            AdminChange::Tier { tier, priority } => {
                format!("tier {tier} gives priority {}", priority.0)
            }
            AdminChange::Line { dnis, name } => format!("number {dnis} stands for \"{name}\""),
            AdminChange::Hours { queue, hours } => format!("{queue} open {hours}"),
            AdminChange::Retired(what) => format!("{what} retired"),
        }
    }
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users and configuration.
    Admin,
    /// Live views, contacts, any agent's state and skills.
    Supervisor,
    /// Its own agent and contacts only.
    Agent,
    /// Reports and the audit log, read only.
    Analyst,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
            Role::Analyst => "analyst",
        })
    }
}

/// A user as stored: the password only as an argon2id hash (PHC string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The agent it is, for agent users.
    pub agent: Option<AgentId>,
    /// The password's hash.
    pub hash: String,
}

/// A customer of the center, recognised by id or by a phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRecord {
    /// The customer id (the `customer` attribute of their contacts).
    pub id: Code,
    /// Display name.
    pub name: String,
    /// Numbers they call from.
    #[serde(default)]
    pub phones: Vec<PhoneNumber>,
    /// Value tier, if any.
    #[serde(default)]
    pub tier: Option<Code>,
}

/// Something that can be retired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retired {
    /// A skill: no new queue or agent may use it.
    Skill(SkillId),
    /// A queue: no new contact enters it; its line is still served.
    Queue(QueueId),
    /// An agent: may no longer log in.
    Agent(AgentId),
    /// A not-ready reason: no longer accepted.
    Reason(Code),
    /// An outcome code: no longer accepted at wrap-up.
    Outcome(Code),
    /// A user: may no longer log in; its tokens stop working.
    User(String),
    /// A customer record.
    Customer(Code),
}

impl fmt::Display for Retired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retired::Skill(id) => write!(f, "{id}"),
            Retired::Queue(id) => write!(f, "{id}"),
            Retired::Agent(id) => write!(f, "{id}"),
            Retired::Reason(code) => write!(f, "reason code {code}"),
            Retired::Outcome(code) => write!(f, "outcome code {code}"),
            Retired::User(name) => write!(f, "user {name}"),
            Retired::Customer(id) => write!(f, "customer {id}"),
        }
    }
}

/// Opening hours by weekday, in the center's time zone. A day not listed
/// is closed; a day may have several periods (a lunch closure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<OpenPeriod>", into = "Vec<OpenPeriod>")]
pub struct WeeklyHours(Vec<OpenPeriod>);

/// One period a queue is open: a weekday, from `open` up to `close`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenPeriod {
    /// The day (`"monday"` … `"sunday"` in JSON).
    #[serde(with = "weekday")]
    pub day: Weekday,
    /// Opening time.
    pub open: ClockTime,
    /// Closing time, after `open` on the same day.
    pub close: ClockTime,
}

impl WeeklyHours {
    /// Checks that every period closes after it opens and that periods of
    /// a day do not overlap.
    pub fn new(mut periods: Vec<OpenPeriod>) -> Result<Self, Error> {
        for p in &periods {
            if p.close <= p.open {
                return Err(Error::Hours(format!(
                    "{:?} closes at {} which is not after it opens at {}",
                    p.day, p.close, p.open
                )));
            }
        }
        periods.sort_by_key(|p| (p.day.to_monday_zero_offset(), p.open));
        for pair in periods.windows(2) {
            if pair[0].day == pair[1].day && pair[1].open < pair[0].close {
                return Err(Error::Hours(format!(
                    "{:?} has overlapping periods {}–{} and {}–{}",
                    pair[0].day, pair[0].open, pair[0].close, pair[1].open, pair[1].close
                )));
            }
        }
        Ok(WeeklyHours(periods))
    }

    /// The periods, Monday first.
    pub fn periods(&self) -> &[OpenPeriod] {
        &self.0
    }

    /// Whether the queue is open on `day` at `time` (`close` excluded).
    pub fn is_open(&self, day: Weekday, time: ClockTime) -> bool {
        self.0
            .iter()
            .any(|p| p.day == day && p.open <= time && time < p.close)
    }
}

impl TryFrom<Vec<OpenPeriod>> for WeeklyHours {
    type Error = Error;
    fn try_from(periods: Vec<OpenPeriod>) -> Result<Self, Error> {
        WeeklyHours::new(periods)
    }
}

impl From<WeeklyHours> for Vec<OpenPeriod> {
    fn from(hours: WeeklyHours) -> Self {
        hours.0
    }
}

impl fmt::Display for WeeklyHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("never");
        }
        let periods: Vec<String> = self
            .0
            .iter()
            .map(|p| {
                format!(
                    "{:?} {}–{}",
                    p.day,
                    p.open.strftime("%H:%M"),
                    p.close.strftime("%H:%M")
                )
            })
            .collect();
        f.write_str(&periods.join(", "))
    }
}

/// Weekdays as lower-case English names.
mod weekday {
    use jiff::civil::Weekday;
    use serde::{Deserialize, Deserializer, Serializer, de};

    const NAMES: [(&str, Weekday); 7] = [
        ("monday", Weekday::Monday),
        ("tuesday", Weekday::Tuesday),
        ("wednesday", Weekday::Wednesday),
        ("thursday", Weekday::Thursday),
        ("friday", Weekday::Friday),
        ("saturday", Weekday::Saturday),
        ("sunday", Weekday::Sunday),
    ];

    pub fn serialize<S: Serializer>(day: &Weekday, serializer: S) -> Result<S::Ok, S::Error> {
        let (name, _) = NAMES[usize::from(day.to_monday_zero_offset().unsigned_abs())];
        serializer.serialize_str(name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Weekday, D::Error> {
        let text = String::deserialize(deserializer)?;
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&text))
            .map(|&(_, day)| day)
            .ok_or_else(|| {
                de::Error::custom(format!("{text:?} is not a weekday (monday … sunday)"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(day: Weekday, open: &str, close: &str) -> OpenPeriod {
        OpenPeriod {
            day,
            open: open.parse().unwrap(),
            close: close.parse().unwrap(),
        }
    }

    #[test]
    fn hours_are_open_from_opening_up_to_closing() {
        let hours = WeeklyHours::new(vec![
            period(Weekday::Monday, "13:00", "17:00"),
            period(Weekday::Monday, "08:00", "12:00"),
        ])
        .unwrap();
        let at = |t: &str| hours.is_open(Weekday::Monday, t.parse().unwrap());
        assert!(!at("07:59:59"));
        assert!(at("08:00"));
        assert!(!at("12:30"));
        assert!(at("16:59:59"));
        assert!(!at("17:00"));
        assert!(!hours.is_open(Weekday::Tuesday, "09:00".parse().unwrap()));
        assert_eq!(hours.to_string(), "Monday 08:00–12:00, Monday 13:00–17:00");
    }

    #[test]
    fn bad_hours_are_refused_with_the_day() {
        let backwards = WeeklyHours::new(vec![period(Weekday::Friday, "18:00", "09:00")]);
        assert!(backwards.unwrap_err().to_string().contains("Friday"));
        let overlap = WeeklyHours::new(vec![
            period(Weekday::Sunday, "08:00", "12:00"),
            period(Weekday::Sunday, "11:00", "14:00"),
        ]);
        assert!(overlap.unwrap_err().to_string().contains("overlapping"));
        let json = r#"[{"day":"monday","open":"10:00","close":"09:00"}]"#;
        assert!(serde_json::from_str::<WeeklyHours>(json).is_err());
    }

    #[test]
    fn a_change_round_trips_through_json() {
        let admin = Admin {
            at: Time::from_millis(1_000),
            by: "admin".into(),
            change: AdminChange::Hours {
                queue: QueueId(3),
                hours: WeeklyHours::new(vec![period(Weekday::Saturday, "09:00", "13:30")]).unwrap(),
            },
        };
        let text = serde_json::to_string(&admin).unwrap();
        assert_eq!(serde_json::from_str::<Admin>(&text).unwrap(), admin);
        assert_eq!(admin.change.summary(), "queue#3 open Saturday 09:00–13:30");
    }
}
