//! Named agents on the planned shifts.
//!
//! Key types: [`Agents`] (read from TOML), [`Roster`] (who works which
//! shift, with which breaks), [`OpenShift`] (planned agents nobody could
//! be given) and [`AgentHours`] (paid hours against the contract). The
//! format:
//!
//! ```toml
//! min_rest = "11:00"      # between one shift's end and the next start; default 11:00
//!
//! [[agent]]
//! name = "Ana Lima"
//! min_hours = 30          # paid hours per week of the plan; default 0
//! max_hours = 40          # default: no limit
//! templates = ["day8"]    # shift templates the agent works; default: all
//! [agent.available]       # default: any time; with it, a day without an
//! all = "07:00-21:00"     # entry (and no `all`) is a day off
//! sat = "off"
//! ```
//!
//! [`assign`] solves a second, small integer program rather than a greedy
//! pass: one yes/no per (agent, planned shift) pair the agent may work,
//! at most the planned agents per shift, one shift per agent and day, the
//! minimum rest between shifts, at most `max_hours` per week, and a
//! penalised shortfall below `min_hours`. It fills as many planned paid
//! hours as possible first (each unfilled hour weighs ten times an hour
//! below a contract minimum), because a greedy pass strands shifts: it
//! gives an early shift to the one agent who could also have taken a
//! later shift nobody else can work. Weeks are the seven-day blocks from
//! the plan's first day; `min_hours` applies to whole weeks only.

use std::collections::{BTreeMap, HashSet};

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolutionStatus, SolverModel, Variable,
    highs, variable,
};
use jiff::SignedDuration;
use jiff::civil::{Date, DateTime};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::solve::{Plan, PlannedShift, SolveStatus};
use super::templates::{DayWindows, Lines};
use super::{InputError, ScheduleError, parse_length};
use crate::adherence::{ScheduledActivity, WORK};

/// One agent who can be rostered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agent {
    /// Unique name.
    pub name: String,
    /// Fewest paid hours per week.
    pub min_hours: f64,
    /// Most paid hours per week.
    pub max_hours: Option<f64>,
    /// Templates the agent works; `None`: all.
    pub templates: Option<Vec<String>>,
    /// When the agent can work.
    pub available: DayWindows,
}

/// The agent file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agents {
    /// Minutes of rest between the end of one shift and the next start.
    pub min_rest: u32,
    /// The agents.
    pub agents: Vec<Agent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgents {
    min_rest: Option<Spanned<String>>,
    #[serde(default)]
    agent: Vec<RawAgent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    name: Spanned<String>,
    min_hours: Option<Spanned<f64>>,
    max_hours: Option<Spanned<f64>>,
    templates: Option<Vec<Spanned<String>>>,
    available: Option<BTreeMap<String, Spanned<String>>>,
}

/// Default rest between shifts: the EU working-time directive's daily rest.
const DEFAULT_REST: u32 = 11 * 60;

impl Agents {
    /// Reads an agent file. `template_names` are the templates that exist,
    /// so a misspelt one is caught here, at its line.
    pub fn from_toml(text: &str, template_names: &[&str]) -> Result<Self, InputError> {
        let lines = Lines(text);
        let raw: RawAgents = toml::from_str(text).map_err(|e| lines.toml_error(&e))?;
        let min_rest = match &raw.min_rest {
            None => DEFAULT_REST,
            Some(rest) => parse_length(rest.get_ref()).ok_or_else(|| {
                InputError::field(
                    lines.line(rest.span()),
                    "min_rest",
                    rest.get_ref(),
                    "expected a duration H:MM",
                )
            })?,
        };
        if raw.agent.is_empty() {
            return Err(InputError::Syntax {
                line: 1,
                problem: "no [[agent]]".to_owned(),
            });
        }
        let mut names = HashSet::new();
        let mut agents = Vec::new();
        for a in &raw.agent {
            let name = a.name.get_ref().trim().to_owned();
            let name_line = lines.line(a.name.span());
            if name.is_empty() || !names.insert(name.clone()) {
                return Err(InputError::field(
                    name_line,
                    "agent.name",
                    &name,
                    "agents need distinct, non-empty names",
                ));
            }
            let hours = |value: &Option<Spanned<f64>>, field: &str| match value {
                None => Ok(None),
                Some(h) if h.get_ref().is_finite() && *h.get_ref() >= 0.0 => Ok(Some(*h.get_ref())),
                Some(h) => Err(InputError::field(
                    lines.line(h.span()),
                    field,
                    h.get_ref().to_string(),
                    "expected hours, zero or more",
                )),
            };
            let min_hours = hours(&a.min_hours, "agent.min_hours")?.unwrap_or(0.0);
            let max_hours = hours(&a.max_hours, "agent.max_hours")?;
            if let (Some(max), Some(span)) = (max_hours, &a.max_hours)
                && max < min_hours
            {
                return Err(InputError::field(
                    lines.line(span.span()),
                    "agent.max_hours",
                    max.to_string(),
                    format!("below min_hours = {min_hours}"),
                ));
            }
            let templates = match &a.templates {
                None => None,
                Some(list) => Some(
                    list.iter()
                        .map(|t| {
                            let t_name = t.get_ref().trim();
                            if template_names.contains(&t_name) {
                                Ok(t_name.to_owned())
                            } else {
                                Err(InputError::field(
                                    lines.line(t.span()),
                                    "agent.templates",
                                    t_name,
                                    format!(
                                        "no such template (have {})",
                                        template_names.join(", ")
                                    ),
                                ))
                            }
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            let available = match &a.available {
                None => DayWindows::always(),
                Some(table) => DayWindows::parse(table, "agent.available", "off", &lines)?,
            };
            agents.push(Agent {
                name,
                min_hours,
                max_hours,
                templates,
                available,
            });
        }
        Ok(Agents { min_rest, agents })
    }
}

/// A break of an assigned shift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignedBreak {
    /// The break's name.
    pub name: String,
    /// When it starts.
    pub start: DateTime,
    /// When it ends.
    pub end: DateTime,
}

/// One agent on one shift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    /// The agent.
    pub agent: String,
    /// The shift's template.
    pub template: String,
    /// When the shift starts.
    pub start: DateTime,
    /// When it ends.
    pub end: DateTime,
    /// Paid hours.
    pub paid_hours: f64,
    /// The agent's breaks, in time order.
    pub breaks: Vec<AssignedBreak>,
}

/// Planned agents on a shift that no agent could be given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenShift {
    /// The shift's template.
    pub template: String,
    /// When it starts.
    pub start: DateTime,
    /// When it ends.
    pub end: DateTime,
    /// Agents still needed on it.
    pub agents: u32,
}

/// An agent's paid hours in one week of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentHours {
    /// The agent.
    pub agent: String,
    /// First day of the week (the plan's first day, then every seven days).
    pub week: Date,
    /// Paid hours rostered.
    pub paid_hours: f64,
    /// The contract minimum (0 for a partial week).
    pub min_hours: f64,
    /// The contract maximum.
    pub max_hours: Option<f64>,
}

/// Who works what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Roster {
    /// How good the roster is known to be.
    pub status: SolveStatus,
    /// Assignments by agent, then start.
    pub assignments: Vec<Assignment>,
    /// Planned agents left without a name.
    pub open_shifts: Vec<OpenShift>,
    /// Paid hours per agent and week.
    pub hours: Vec<AgentHours>,
}

impl Roster {
    /// The roster as scheduled activities: `work` between breaks, and each
    /// break under its name; the input of adherence.
    pub fn activities(&self) -> Vec<ScheduledActivity> {
        let mut out = Vec::new();
        for a in &self.assignments {
            let mut at = a.start;
            let activity = |name: &str, start, end| ScheduledActivity {
                agent: a.agent.clone(),
                activity: name.to_owned(),
                start,
                end,
            };
            for b in &a.breaks {
                if b.start > at {
                    out.push(activity(WORK, at, b.start));
                }
                out.push(activity(&b.name, b.start, b.end));
                at = b.end;
            }
            if a.end > at {
                out.push(activity(WORK, at, a.end));
            }
        }
        out
    }
}

/// Weight of an unfilled paid hour against an hour below a contract.
const FILL_WEIGHT: f64 = 10.0;

fn minutes(from: DateTime, to: DateTime) -> i64 {
    to.duration_since(from).as_mins()
}

/// Whether an agent may work a planned shift, ignoring the rest of the
/// roster.
fn eligible(agent: &Agent, shift: &PlannedShift) -> bool {
    let allowed = agent
        .templates
        .as_ref()
        .is_none_or(|names| names.contains(&shift.template));
    let from = i64::from(shift.start.hour()) * 60 + i64::from(shift.start.minute());
    let to = from + minutes(shift.start, shift.end);
    allowed
        && agent
            .available
            .contains(shift.start.weekday(), from as u32, to as u32)
}

/// Gives the plan's shifts to named agents. `time_limit` bounds the solver
/// in seconds.
pub fn assign(
    plan: &Plan,
    agents: &Agents,
    time_limit: Option<f64>,
) -> Result<Roster, ScheduleError> {
    let shifts = &plan.shifts;
    let Some(first) = shifts.iter().map(|s| s.start.date()).min() else {
        return Ok(Roster {
            status: SolveStatus::Optimal,
            assignments: Vec::new(),
            open_shifts: Vec::new(),
            hours: Vec::new(),
        });
    };
    let last = shifts.iter().map(|s| s.start.date()).max().unwrap_or(first);
    let day_of = |d: Date| d.since(first).map_or(0, |s| s.get_days()) as usize;
    let weeks = day_of(last) / 7 + 1;
    let whole_weeks = (day_of(last) + 1) / 7;

    let mut vars = ProblemVariables::new();
    // (agent, shift, variable)
    let mut pairs: Vec<(usize, usize, Variable)> = Vec::new();
    for (a, agent) in agents.agents.iter().enumerate() {
        for (s, shift) in shifts.iter().enumerate() {
            if eligible(agent, shift) {
                pairs.push((a, s, vars.add(variable().binary())));
            }
        }
    }
    let under: Vec<Vec<Option<Variable>>> = agents
        .agents
        .iter()
        .map(|agent| {
            (0..weeks)
                .map(|w| {
                    (w < whole_weeks && agent.min_hours > 0.0)
                        .then(|| vars.add(variable().min(0).max(agent.min_hours)))
                })
                .collect()
        })
        .collect();
    let filled: Expression = pairs
        .iter()
        .map(|&(_, s, v)| shifts[s].paid_hours * v)
        .sum();
    let shortfall: Expression = under.iter().flatten().flatten().copied().sum();
    let mut model = vars.maximise(FILL_WEIGHT * filled - shortfall).using(highs);
    if let Some(seconds) = time_limit {
        model = model.set_time_limit(seconds);
    }

    let mut by_agent: Vec<Vec<(usize, Variable)>> = vec![Vec::new(); agents.agents.len()];
    let mut by_shift: Vec<Vec<Variable>> = vec![Vec::new(); shifts.len()];
    for &(a, s, v) in &pairs {
        by_agent[a].push((s, v));
        by_shift[s].push(v);
    }
    for (s, vars) in by_shift.iter().enumerate() {
        if vars.len() > shifts[s].agents as usize {
            let sum: Expression = vars.iter().copied().sum();
            model.add_constraint(sum.leq(shifts[s].agents));
        }
    }
    let rest = i64::from(agents.min_rest);
    for (a, agent) in agents.agents.iter().enumerate() {
        let mine = &by_agent[a];
        let mut per_day: BTreeMap<Date, Expression> = BTreeMap::new();
        for &(s, v) in mine {
            *per_day.entry(shifts[s].start.date()).or_default() += v;
        }
        for (_, sum) in per_day {
            model.add_constraint(sum.leq(1));
        }
        // A shift, and the shifts of one earlier day that end too close
        // before it: at most one of them. (One shift per day makes the
        // grouping by day exact.)
        for &(s, v) in mine {
            let later = &shifts[s];
            let mut clash: BTreeMap<Date, Expression> = BTreeMap::new();
            for &(e, u) in mine {
                let earlier = &shifts[e];
                if earlier.start.date() < later.start.date()
                    && minutes(earlier.end, later.start) < rest
                {
                    *clash.entry(earlier.start.date()).or_default() += u;
                }
            }
            for (_, sum) in clash {
                model.add_constraint((sum + v).leq(1));
            }
        }
        for (w, under) in under[a].iter().enumerate() {
            let worked: Expression = mine
                .iter()
                .filter(|&&(s, _)| day_of(shifts[s].start.date()) / 7 == w)
                .map(|&(s, v)| shifts[s].paid_hours * v)
                .sum();
            if let Some(max) = agent.max_hours {
                model.add_constraint(worked.clone().leq(max));
            }
            if let Some(u) = *under {
                model.add_constraint((worked + u).geq(agent.min_hours));
            }
        }
    }
    let solution = model.solve().map_err(|e| {
        ScheduleError::Solver(match e {
            ResolutionError::Other("NoSolutionFound") => {
                "no roster found within the time limit".to_owned()
            }
            other => other.to_string(),
        })
    })?;
    let status = match solution.status() {
        SolutionStatus::Optimal | SolutionStatus::GapLimit => SolveStatus::Optimal,
        SolutionStatus::TimeLimit => SolveStatus::TimeLimit,
    };

    let mut on_shift: Vec<Vec<usize>> = vec![Vec::new(); shifts.len()];
    for &(a, s, v) in &pairs {
        if solution.value(v) > 0.5 {
            on_shift[s].push(a);
        }
    }
    let mut assignments = Vec::new();
    let mut open_shifts = Vec::new();
    let mut worked = vec![vec![0.0; weeks]; agents.agents.len()];
    for (shift, crew) in shifts.iter().zip(&mut on_shift) {
        crew.sort_by(|&x, &y| agents.agents[x].name.cmp(&agents.agents[y].name));
        let dealt = deal_breaks(shift);
        for (i, &a) in crew.iter().enumerate() {
            worked[a][day_of(shift.start.date()) / 7] += shift.paid_hours;
            assignments.push(Assignment {
                agent: agents.agents[a].name.clone(),
                template: shift.template.clone(),
                start: shift.start,
                end: shift.end,
                paid_hours: shift.paid_hours,
                breaks: dealt[i].clone(),
            });
        }
        let missing = shift.agents - crew.len() as u32;
        if missing > 0 {
            open_shifts.push(OpenShift {
                template: shift.template.clone(),
                start: shift.start,
                end: shift.end,
                agents: missing,
            });
        }
    }
    assignments.sort_by(|x, y| (&x.agent, x.start).cmp(&(&y.agent, y.start)));
    let mut hours = Vec::new();
    for (a, agent) in agents.agents.iter().enumerate() {
        for (w, &paid) in worked[a].iter().enumerate() {
            hours.push(AgentHours {
                agent: agent.name.clone(),
                week: first + SignedDuration::from_hours(24 * 7 * w as i64),
                paid_hours: paid,
                min_hours: if w < whole_weeks {
                    agent.min_hours
                } else {
                    0.0
                },
                max_hours: agent.max_hours,
            });
        }
    }
    Ok(Roster {
        status,
        assignments,
        open_shifts,
        hours,
    })
}

/// The planned break placements of a shift, dealt one set per agent: the
/// i-th agent gets the i-th placement of every break.
fn deal_breaks(shift: &PlannedShift) -> Vec<Vec<AssignedBreak>> {
    let mut dealt = vec![Vec::new(); shift.agents as usize];
    let mut next: BTreeMap<&str, usize> = BTreeMap::new();
    for b in &shift.breaks {
        let i = next.entry(&b.name).or_insert(0);
        for _ in 0..b.agents {
            dealt[*i].push(AssignedBreak {
                name: b.name.clone(),
                start: b.start,
                end: b.end,
            });
            *i += 1;
        }
    }
    for breaks in &mut dealt {
        breaks.sort_by_key(|b| b.start);
    }
    dealt
}
