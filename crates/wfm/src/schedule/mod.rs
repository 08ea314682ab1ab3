//! Shift scheduling: which shifts to staff, with how many agents and where
//! their breaks go, so that the agents on the phones cover the interval
//! requirement at least cost; then which named agent works which shift.
//!
//! Key types: [`RequirementSeries`] (agents needed per interval, read from
//! CSV), [`Templates`] (shift templates and opening hours, read from TOML),
//! [`Plan`] (agents per shift, break placement and coverage, from
//! [`solve`]), [`Agents`] and [`Roster`] (named agents and their shifts,
//! from [`assign`]), [`coverage_svg`] (the coverage chart) and
//! [`InputError`] / [`ScheduleError`] (what can go wrong).
//!
//! The model is Dantzig's set covering with Aykin's (1996) break
//! formulation: one integer per shift (template × day × start) and, for
//! each break of that shift, one integer per allowed break start counting
//! the agents who take the break then. The break integers of a shift sum to
//! its agents, and an interval's coverage is the agents whose shift spans it
//! minus those on a break in it. Coverage counts minutes: an agent on the
//! phone for 15 minutes of a 30-minute interval counts one half, so
//! requirements, shifts and breaks need not sit on the same grid.
//!
//! It is solved by HiGHS through `good_lp`. The pure-Rust `microlp`
//! backend was tried first and dropped: on one day of 30-minute intervals
//! with three templates (178 integers) it had not proven, nor even found,
//! the optimum after two minutes, and on a week it found no plan at all,
//! where HiGHS proves both optimal in well under a second and about 1.5 s.
//! Without a budget the horizon is split into parts no shift links (each
//! day, when the center closes at night) and each is solved on its own:
//! the same optimum, found far faster than by one model of the week.

mod assign;
mod chart;
mod requirement;
mod solve;
mod templates;

use std::fmt;

pub use assign::{Agent, AgentHours, Agents, AssignedBreak, Assignment, OpenShift, Roster, assign};
pub use chart::coverage_svg;
pub use requirement::RequirementSeries;
pub use solve::{
    CoverageRow, DEFAULT_GAP, Goal, Plan, PlannedBreak, PlannedShift, SolveOptions, SolveStatus,
    Uncovered, UncoveredReason, solve,
};
pub use templates::{BreakRule, DayWindows, ShiftTemplate, Templates};

/// Minutes in a day.
const DAY: u32 = 24 * 60;

/// Input that cannot become a requirement, a template set or an agent list.
/// Every variant names the 1-based line it comes from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    /// A field whose value does not parse, is out of range or contradicts
    /// another field.
    #[error("line {line}: field `{field}` has value {value:?}: {problem}")]
    Field {
        /// 1-based line number.
        line: usize,
        /// The CSV column or TOML key (dotted, as in `shift.break.window`).
        field: String,
        /// The text found.
        value: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A line that is not well-formed (bad CSV row, bad TOML syntax, a
    /// missing key or column).
    #[error("line {line}: {problem}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
}

impl InputError {
    pub(crate) fn field(
        line: usize,
        field: impl Into<String>,
        value: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        InputError::Field {
            line,
            field: field.into(),
            value: value.into(),
            problem: problem.into(),
        }
    }
}

/// Why no plan or roster came out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// A bad input line.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Some intervals need agents that no allowed shift can provide.
    #[error("{}", describe_uncovered(.0))]
    Infeasible(Vec<Uncovered>),
    /// The budget does not even pay for the shifts `min_agents` demands.
    #[error("the budget {budget} is below {floor}, the cost of the agents min_agents requires")]
    BudgetTooSmall {
        /// The budget given.
        budget: f64,
        /// The cost of the minimum staffing.
        floor: f64,
    },
    /// The solver failed for a reason of its own.
    #[error("the solver failed: {0}")]
    Solver(String),
}

fn describe_uncovered(uncovered: &[Uncovered]) -> String {
    const SHOWN: usize = 12;
    let mut text = format!(
        "no schedule can cover {} interval{}:",
        uncovered.len(),
        if uncovered.len() == 1 { "" } else { "s" }
    );
    for u in uncovered.iter().take(SHOWN) {
        text.push_str(&format!("\n  {u}"));
    }
    if uncovered.len() > SHOWN {
        text.push_str(&format!("\n  … and {} more", uncovered.len() - SHOWN));
    }
    text
}

/// Parses a clock time `H:MM` or `HH:MM` into minutes after midnight;
/// `24:00` is the end of the day.
pub(crate) fn parse_clock(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    let minutes = h * 60 + m;
    (m < 60 && minutes <= DAY).then_some(minutes)
}

/// Parses a duration `H:MM` (hours may exceed 24) into minutes.
pub(crate) fn parse_length(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || m.len() != 2 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    (m < 60).then(|| h.checked_mul(60)?.checked_add(m))?
}

/// Minutes as `H:MM`.
pub(crate) struct Hm(pub u32);

impl fmt::Display for Hm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:02}", self.0 / 60, self.0 % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_and_lengths_parse_strictly() {
        assert_eq!(parse_clock("07:30"), Some(450));
        assert_eq!(parse_clock("7:30"), Some(450));
        assert_eq!(parse_clock("24:00"), Some(1440));
        assert_eq!(parse_clock("24:30"), None);
        assert_eq!(parse_clock("7:60"), None);
        assert_eq!(parse_clock("0730"), None);
        assert_eq!(parse_length("8:30"), Some(510));
        assert_eq!(parse_length("30:00"), Some(1800));
        assert_eq!(parse_length("8h"), None);
        assert_eq!(Hm(510).to_string(), "8:30");
    }
}
