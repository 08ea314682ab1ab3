//! Schedule adherence and conformance per agent and day, from a schedule
//! and the agents' state log.
//!
//! Key types: [`Schedule`] (what each agent was scheduled to do, from
//! [`ScheduledActivity`] rows), [`StateLog`] (what each agent did, from
//! [`StateSpan`] rows with a [`State`]) and [`DayAdherence`] (the result,
//! from [`adherence`]). Definitions, after the KPI glossary:
//!
//! * **adherence** = minutes in the scheduled activity ÷ scheduled minutes.
//!   A scheduled `work` minute is in adherence when the agent is on the
//!   phone: ready, reserved, talking, hold or wrap. A scheduled break
//!   minute (`lunch`, `break`, …) is in adherence when the agent is
//!   `not_ready` with that break's name as reason (`not_ready:lunch`).
//!   Scheduled minutes are all activities, breaks included.
//! * **conformance** = worked minutes ÷ scheduled work minutes: minutes on
//!   the phone at any time of the day, whether scheduled then or not, over
//!   the minutes scheduled as `work`. It can pass 100 %.
//!
//! A day is a calendar date of the center's wall clock; a shift past
//! midnight counts on both dates. The report covers the dates the log
//! spans; within them, minutes the log does not cover count as logged out.
//!
//! Both inputs are CSV with a header `agent,activity,start,end` (schedule;
//! `switchboard schedule --roster` writes it) and `agent,state,start,end`
//! (log; states `ready`, `reserved`, `talking`, `hold`, `wrap`,
//! `not_ready[:reason]`, `logged_out`), times like `2025-03-03T07:00:00`.
//! One agent's rows must not overlap.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use jiff::SignedDuration;
use jiff::civil::{Date, DateTime};
use serde::Serialize;

use crate::schedule::InputError;

/// The scheduled activity of being on the phones.
pub const WORK: &str = "work";

/// One scheduled activity of one agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduledActivity {
    /// The agent.
    pub agent: String,
    /// [`WORK`], or a break's name.
    pub activity: String,
    /// When it starts.
    pub start: DateTime,
    /// When it ends.
    pub end: DateTime,
}

/// An agent state in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for a contact.
    Ready,
    /// A contact is being offered (ringing).
    Reserved,
    /// On a contact.
    Talking,
    /// A contact on hold.
    Hold,
    /// After-contact work.
    Wrap,
    /// Not ready, with its reason code if any.
    NotReady(Option<String>),
    /// Logged out.
    LoggedOut,
}

impl State {
    /// Parses `ready`, `reserved`, `talking`, `hold`, `wrap` (or
    /// `wrap_up`), `not_ready[:reason]` or `logged_out`.
    pub fn parse(text: &str) -> Option<State> {
        let text = text.trim();
        if let Some((state, reason)) = text.split_once(':') {
            let reason = reason.trim();
            return (state.trim().eq_ignore_ascii_case("not_ready") && !reason.is_empty())
                .then(|| State::NotReady(Some(reason.to_ascii_lowercase())));
        }
        Some(match text.to_ascii_lowercase().as_str() {
            "ready" => State::Ready,
            "reserved" => State::Reserved,
            "talking" => State::Talking,
            "hold" => State::Hold,
            "wrap" | "wrap_up" => State::Wrap,
            "not_ready" => State::NotReady(None),
            "logged_out" => State::LoggedOut,
            _ => return None,
        })
    }

    /// Whether the agent is on the phones: ready, reserved, talking, on
    /// hold or wrapping up.
    pub fn on_phone(&self) -> bool {
        matches!(
            self,
            State::Ready | State::Reserved | State::Talking | State::Hold | State::Wrap
        )
    }

    /// Whether this state is what `activity` asks for.
    pub fn adheres_to(&self, activity: &str) -> bool {
        match self {
            _ if activity == WORK => self.on_phone(),
            State::NotReady(Some(reason)) => reason.eq_ignore_ascii_case(activity),
            _ => false,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Ready => write!(f, "ready"),
            State::Reserved => write!(f, "reserved"),
            State::Talking => write!(f, "talking"),
            State::Hold => write!(f, "hold"),
            State::Wrap => write!(f, "wrap"),
            State::NotReady(None) => write!(f, "not_ready"),
            State::NotReady(Some(reason)) => write!(f, "not_ready:{reason}"),
            State::LoggedOut => write!(f, "logged_out"),
        }
    }
}

/// One agent in one state for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateSpan {
    /// The agent.
    pub agent: String,
    /// The state.
    pub state: State,
    /// When it began.
    pub start: DateTime,
    /// When it ended.
    pub end: DateTime,
}

/// Rows of one agent, sorted by start, none overlapping.
type ByAgent<T> = BTreeMap<String, Vec<T>>;

/// Anything with an agent and a time span.
trait Timed {
    fn agent(&self) -> &str;
    fn span(&self) -> (DateTime, DateTime);
}

impl Timed for ScheduledActivity {
    fn agent(&self) -> &str {
        &self.agent
    }
    fn span(&self) -> (DateTime, DateTime) {
        (self.start, self.end)
    }
}

impl Timed for StateSpan {
    fn agent(&self) -> &str {
        &self.agent
    }
    fn span(&self) -> (DateTime, DateTime) {
        (self.start, self.end)
    }
}

/// Groups rows by agent, refusing an empty span or an overlap (named by
/// the later row's line).
fn group<T: Timed>(rows: Vec<(T, usize)>) -> Result<ByAgent<T>, InputError> {
    let mut by_agent: BTreeMap<String, Vec<(T, usize)>> = BTreeMap::new();
    for (row, line) in rows {
        let (start, end) = row.span();
        if end <= start {
            return Err(InputError::field(
                line,
                "end",
                end.to_string(),
                format!("not after the start {start}"),
            ));
        }
        by_agent
            .entry(row.agent().to_owned())
            .or_default()
            .push((row, line));
    }
    let mut out = BTreeMap::new();
    for (agent, mut rows) in by_agent {
        rows.sort_by_key(|(row, _)| row.span().0);
        for pair in rows.windows(2) {
            let ((a, a_line), (b, b_line)) = (&pair[0], &pair[1]);
            if b.span().0 < a.span().1 {
                return Err(InputError::field(
                    *b_line,
                    "start",
                    b.span().0.to_string(),
                    format!(
                        "overlaps line {a_line} of the same agent, which ends {}",
                        a.span().1
                    ),
                ));
            }
        }
        out.insert(agent, rows.into_iter().map(|(row, _)| row).collect());
    }
    Ok(out)
}

/// Reads `agent,<kind>,start,end` CSV rows, `kind` parsed by `parse`.
fn read_csv<T>(
    reader: impl Read,
    kind: &str,
    parse: impl Fn(&str, String, DateTime, DateTime) -> Option<T>,
    kind_problem: &str,
) -> Result<Vec<(T, usize)>, InputError> {
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(reader);
    let header = csv
        .headers()
        .map_err(|e| InputError::Syntax {
            line: 1,
            problem: e.to_string(),
        })?
        .clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| InputError::Syntax {
                line: 1,
                problem: format!("the header has no `{name}` column"),
            })
    };
    let columns = [
        column("agent")?,
        column(kind)?,
        column("start")?,
        column("end")?,
    ];
    let mut rows = Vec::new();
    for record in csv.records() {
        let record = record.map_err(|e| InputError::Syntax {
            line: e.position().map_or(0, |p| p.line() as usize),
            problem: match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => {
                    format!("expected {expected_len} fields, found {len}")
                }
                _ => e.to_string(),
            },
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let [agent, what, start, end] = columns.map(|c| record.get(c).unwrap_or(""));
        if agent.is_empty() {
            return Err(InputError::field(
                line,
                "agent",
                agent,
                "an agent is needed",
            ));
        }
        let time = |field: &str, text: &str| {
            text.parse::<DateTime>().map_err(|_| {
                InputError::field(
                    line,
                    field,
                    text,
                    "expected a date and time like 2025-03-03T07:00:00",
                )
            })
        };
        let (start, end) = (time("start", start)?, time("end", end)?);
        let row = parse(what, agent.to_owned(), start, end)
            .ok_or_else(|| InputError::field(line, kind, what, kind_problem))?;
        rows.push((row, line));
    }
    Ok(rows)
}

/// Scheduled activities by agent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule(ByAgent<ScheduledActivity>);

impl Schedule {
    /// Checks activities: each ends after it starts, one agent's do not
    /// overlap. Errors name the 1-based position as the line.
    pub fn new(activities: Vec<ScheduledActivity>) -> Result<Self, InputError> {
        Ok(Schedule(group(activities.into_iter().zip(1..).collect())?))
    }

    /// Reads `agent,activity,start,end` CSV.
    pub fn from_csv(reader: impl Read) -> Result<Self, InputError> {
        let rows = read_csv(
            reader,
            "activity",
            |activity, agent, start, end| {
                let activity = activity.trim().to_ascii_lowercase();
                (!activity.is_empty()).then_some(ScheduledActivity {
                    agent,
                    activity,
                    start,
                    end,
                })
            },
            "an activity is needed",
        )?;
        Ok(Schedule(group(rows)?))
    }
}

/// State spans by agent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateLog(ByAgent<StateSpan>);

impl StateLog {
    /// Checks spans: each ends after it starts, one agent's do not
    /// overlap. Errors name the 1-based position as the line.
    pub fn new(spans: Vec<StateSpan>) -> Result<Self, InputError> {
        Ok(StateLog(group(spans.into_iter().zip(1..).collect())?))
    }

    /// Reads `agent,state,start,end` CSV.
    pub fn from_csv(reader: impl Read) -> Result<Self, InputError> {
        let rows = read_csv(
            reader,
            "state",
            |state, agent, start, end| {
                Some(StateSpan {
                    agent,
                    state: State::parse(state)?,
                    start,
                    end,
                })
            },
            "expected ready, reserved, talking, hold, wrap, not_ready[:reason] or logged_out",
        )?;
        Ok(StateLog(group(rows)?))
    }
}

/// One agent's adherence and conformance on one date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayAdherence {
    /// The agent.
    pub agent: String,
    /// The date.
    pub date: Date,
    /// Minutes scheduled, breaks included.
    pub scheduled_minutes: f64,
    /// Scheduled minutes spent in the scheduled activity.
    pub adherent_minutes: f64,
    /// `adherent_minutes ÷ scheduled_minutes`; `None` with nothing
    /// scheduled.
    pub adherence: Option<f64>,
    /// Minutes scheduled as `work`.
    pub scheduled_work_minutes: f64,
    /// Minutes on the phone, scheduled or not.
    pub worked_minutes: f64,
    /// `worked_minutes ÷ scheduled_work_minutes`; `None` with no work
    /// scheduled.
    pub conformance: Option<f64>,
}

#[derive(Default)]
struct Tally {
    scheduled: f64,
    adherent: f64,
    scheduled_work: f64,
    worked: f64,
}

/// Adds `from..to`, split at midnights, to the tallies of its dates.
fn by_date(
    tallies: &mut BTreeMap<Date, Tally>,
    from: DateTime,
    to: DateTime,
    add: impl Fn(&mut Tally, f64),
) {
    let mut at = from;
    while at < to {
        let midnight = at
            .date()
            .tomorrow()
            .map_or(to, |d| d.to_datetime(jiff::civil::Time::midnight()));
        let end = midnight.min(to);
        let minutes = end.duration_since(at).as_secs_f64() / 60.0;
        add(tallies.entry(at.date()).or_default(), minutes);
        at = end;
    }
}

/// Adherence and conformance per agent and date, by agent then date, for
/// every date on which the agent was scheduled or on the phone, within
/// the dates the log spans (from its earliest start to its latest end,
/// over all agents): outside them the log says nothing, while inside them
/// a scheduled agent with no rows was absent.
pub fn adherence(schedule: &Schedule, log: &StateLog) -> Vec<DayAdherence> {
    let spans = log.0.values().flatten();
    let Some(first) = spans.clone().map(|s| s.start.date()).min() else {
        return Vec::new();
    };
    // An end at midnight closes the day before.
    let last = spans
        .map(|s| (s.end - SignedDuration::from_nanos(1)).date())
        .max()
        .unwrap_or(first);
    let none = Vec::new();
    let mut agents: Vec<&String> = schedule.0.keys().chain(log.0.keys()).collect();
    agents.sort();
    agents.dedup();
    let mut out = Vec::new();
    for agent in agents {
        let planned = schedule.0.get(agent).unwrap_or(&none);
        let states = log.0.get(agent).map_or(&[][..], |v| &v[..]);
        let mut tallies: BTreeMap<Date, Tally> = BTreeMap::new();
        for activity in planned {
            let work = activity.activity == WORK;
            by_date(&mut tallies, activity.start, activity.end, |t, m| {
                t.scheduled += m;
                if work {
                    t.scheduled_work += m;
                }
            });
            let first = states.partition_point(|s| s.end <= activity.start);
            for state in states[first..]
                .iter()
                .take_while(|s| s.start < activity.end)
            {
                if state.state.adheres_to(&activity.activity) {
                    let (from, to) = (state.start.max(activity.start), state.end.min(activity.end));
                    by_date(&mut tallies, from, to, |t, m| t.adherent += m);
                }
            }
        }
        for state in states.iter().filter(|s| s.state.on_phone()) {
            by_date(&mut tallies, state.start, state.end, |t, m| t.worked += m);
        }
        for (date, t) in tallies.range(first..=last) {
            let ratio = |part: f64, whole: f64| (whole > 0.0).then(|| part / whole);
            out.push(DayAdherence {
                agent: agent.clone(),
                date: *date,
                scheduled_minutes: t.scheduled,
                adherent_minutes: t.adherent,
                adherence: ratio(t.adherent, t.scheduled),
                scheduled_work_minutes: t.scheduled_work,
                worked_minutes: t.worked,
                conformance: ratio(t.worked, t.scheduled_work),
            });
        }
    }
    out
}
