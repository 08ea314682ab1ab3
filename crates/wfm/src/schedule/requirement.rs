//! The requirement to schedule against: agents needed per interval.
//!
//! Key type: [`RequirementSeries`], read from CSV with a header naming at
//! least `start` (an interval start like `2025-03-03T07:00`) and the column
//! of agents needed (`agents` by default, so `switchboard staff --csv`
//! output can be read with `scheduled` picked instead); other columns are
//! ignored. Requirements may be fractional. Intervals a file leaves out
//! need nobody.

use std::io::Read;

use jiff::civil::{Date, DateTime};
use serde::Serialize;

use super::InputError;
use crate::series::{IntervalLength, Requirement};

/// Agents needed per interval, on one interval grid, sorted by start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequirementSeries {
    interval: IntervalLength,
    points: Vec<Requirement>,
}

impl RequirementSeries {
    /// Checks a series: starts on the interval grid (whole multiples of
    /// its length after midnight), no two alike, agents finite and not
    /// negative. Each point comes with its 1-based line for errors (its
    /// position when there is no file).
    fn build(
        interval: IntervalLength,
        mut points: Vec<(Requirement, usize)>,
    ) -> Result<Self, InputError> {
        let length = i64::from(interval.minutes());
        for (point, line) in &points {
            let minute = i64::from(point.start.hour()) * 60 + i64::from(point.start.minute());
            if minute % length != 0
                || point.start.second() != 0
                || point.start.subsec_nanosecond() != 0
            {
                return Err(InputError::field(
                    *line,
                    "start",
                    point.start.to_string(),
                    format!("not on the {interval} grid"),
                ));
            }
            if !point.agents.is_finite() || point.agents < 0.0 {
                return Err(InputError::field(
                    *line,
                    "agents",
                    point.agents.to_string(),
                    "expected a number of agents, zero or more",
                ));
            }
        }
        points.sort_by_key(|(point, _)| point.start);
        for pair in points.windows(2) {
            if pair[0].0.start == pair[1].0.start {
                let (first, second) = (pair[0].1.min(pair[1].1), pair[0].1.max(pair[1].1));
                return Err(InputError::field(
                    second,
                    "start",
                    pair[1].0.start.to_string(),
                    format!("line {first} has the same interval"),
                ));
            }
        }
        if points.is_empty() {
            return Err(InputError::Syntax {
                line: 1,
                problem: "no requirement rows".to_owned(),
            });
        }
        Ok(RequirementSeries {
            interval,
            points: points.into_iter().map(|(point, _)| point).collect(),
        })
    }

    /// A series from points on the grid of `interval`.
    pub fn new(interval: IntervalLength, points: Vec<Requirement>) -> Result<Self, InputError> {
        let numbered = points.into_iter().zip(1..).collect();
        RequirementSeries::build(interval, numbered)
    }

    /// Reads CSV. `column` names the agents column (default `agents`);
    /// without `interval` the length is the smallest gap between starts.
    pub fn from_csv(
        reader: impl Read,
        column: Option<&str>,
        interval: Option<IntervalLength>,
    ) -> Result<Self, InputError> {
        let column = column.unwrap_or("agents");
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(reader);
        let header = csv.headers().map_err(|e| csv_error(&e, 1))?.clone();
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| InputError::Syntax {
                    line: 1,
                    problem: format!("the header has no `{name}` column"),
                })
        };
        let (start_col, agents_col) = (find("start")?, find(column)?);
        let mut points = Vec::new();
        for record in csv.records() {
            let record = record.map_err(|e| csv_error(&e, 0))?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            let field = |index: usize| record.get(index).unwrap_or("");
            let start_text = field(start_col);
            let start: DateTime = start_text.parse().map_err(|_| {
                InputError::field(
                    line,
                    "start",
                    start_text,
                    "expected a date and time like 2025-03-03T07:00",
                )
            })?;
            let agents_text = field(agents_col);
            let agents: f64 = match agents_text {
                "" => 0.0,
                text => text.parse().map_err(|_| {
                    InputError::field(line, column, text, "expected a number of agents")
                })?,
            };
            if !agents.is_finite() || agents < 0.0 {
                return Err(InputError::field(
                    line,
                    column,
                    agents_text,
                    "expected a number of agents, zero or more",
                ));
            }
            points.push((Requirement { start, agents }, line));
        }
        let interval = match interval {
            Some(interval) => interval,
            None => infer_interval(&points)?,
        };
        RequirementSeries::build(interval, points)
    }

    /// The interval length.
    pub fn interval(&self) -> IntervalLength {
        self.interval
    }

    /// The points, sorted by start.
    pub fn points(&self) -> &[Requirement] {
        &self.points
    }

    /// The first and last dates with a point.
    pub fn dates(&self) -> (Date, Date) {
        let first = self.points.first().expect("a series is never empty");
        let last = self.points.last().expect("a series is never empty");
        (first.start.date(), last.start.date())
    }
}

/// The smallest gap between distinct starts, which must be a planning
/// interval length.
fn infer_interval(points: &[(Requirement, usize)]) -> Result<IntervalLength, InputError> {
    let mut starts: Vec<(DateTime, usize)> = points.iter().map(|(p, l)| (p.start, *l)).collect();
    starts.sort();
    let gap = starts
        .windows(2)
        .filter_map(|w| {
            let minutes = w[1].0.duration_since(w[0].0).as_secs() / 60;
            (minutes > 0).then_some((minutes, w[1].1))
        })
        .min();
    let Some((minutes, line)) = gap else {
        return Err(InputError::Syntax {
            line: 1,
            problem: "cannot tell the interval length from fewer than two starts; give it"
                .to_owned(),
        });
    };
    u32::try_from(minutes)
        .ok()
        .and_then(|m| IntervalLength::from_minutes(m).ok())
        .ok_or_else(|| {
            InputError::field(
                line,
                "start",
                starts.iter().find(|s| s.1 == line).map_or(String::new(), |s| s.0.to_string()),
                format!("{minutes} minutes after the previous start; intervals must be 5, 15, 30 or 60 minutes"),
            )
        })
}

fn csv_error(error: &csv::Error, fallback_line: usize) -> InputError {
    let line = error
        .position()
        .map_or(fallback_line, |p| p.line() as usize);
    let problem = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("expected {expected_len} fields, found {len}")
        }
        _ => error.to_string(),
    };
    InputError::Syntax { line, problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<RequirementSeries, InputError> {
        RequirementSeries::from_csv(text.as_bytes(), None, None)
    }

    #[test]
    fn a_csv_with_gaps_and_fractions_reads() {
        let s =
            read("start,agents\n2025-03-03T07:30,2.5\n2025-03-03T07:00,1\n2025-03-04 09:00,0\n")
                .unwrap();
        assert_eq!(s.interval().minutes(), 30);
        assert_eq!(s.points()[0].agents, 1.0);
        assert_eq!(s.points()[1].agents, 2.5);
        assert_eq!(s.dates().1.day(), 4);
    }

    #[test]
    fn bad_rows_name_line_field_and_value() {
        let err = read("start,agents\n2025-03-03T07:00,1\n2025-03-03T07:30,two\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: field `agents` has value \"two\": expected a number of agents"
        );
        let err = read("start,agents\n2025-03-03T07:00,1\n2025-03-03T25:30,2\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 3: field `start` has value \"2025-03-03T25:30\"")
        );
        let err = read("start,agents\n2025-03-03T07:00,1\n2025-03-03T07:30,2,9\n").unwrap_err();
        assert_eq!(err.to_string(), "line 3: expected 2 fields, found 3");
        let err = read("start,agents\n2025-03-03T07:00,1\n2025-03-03T07:20,-2\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 3: field `agents` has value \"-2\"")
        );
        let err =
            read("start,agents\n2025-03-03T07:00,1\n2025-03-03T07:00,2\n2025-03-03T07:30,2\n")
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: field `start` has value \"2025-03-03T07:00:00\": line 2 has the same interval"
        );
        let err = read("begin,agents\n").unwrap_err();
        assert_eq!(err.to_string(), "line 1: the header has no `start` column");
    }

    #[test]
    fn starts_off_the_grid_are_refused() {
        let err =
            read("start,agents\n2025-03-03T07:00,1\n2025-03-03T07:30,1\n2025-03-03T08:10,1\n")
                .unwrap_err();
        assert!(err.to_string().contains("field `start`"), "{err}");
    }
}
