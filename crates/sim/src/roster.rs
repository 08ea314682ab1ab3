//! Roster files: who works when.
//!
//! Key type: [`RosterRow`], read by [`read`] from the `agent,activity,start,end`
//! CSV of `wfm::adherence` (written by `switchboard schedule --roster`):
//! activity `work` is time on the phones, any other activity a not-ready
//! period with that reason code; times are civil date-times of the center
//! (`2025-03-03T07:00:00`). One agent's rows must not overlap; `#` starts
//! a comment line.

use std::path::Path;

use jiff::civil::DateTime;

use crate::scenario::ScenarioError;

/// The activity of time on the phones.
pub const WORK: &str = "work";

/// One row of a roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// The agent's name.
    pub agent: String,
    /// `work` or a break's name (lower-cased).
    pub activity: String,
    /// Start, center-local.
    pub start: DateTime,
    /// End, center-local.
    pub end: DateTime,
    /// 1-based line in the file.
    pub line: u64,
}

/// Reads a roster file, sorted by agent then start; refuses a bad row or
/// an overlap, naming the line.
pub fn read(path: &Path) -> Result<Vec<RosterRow>, ScenarioError> {
    let error = |line: u64, problem: String| ScenarioError::Csv {
        path: path.to_owned(),
        line,
        problem,
    };
    let file = std::fs::File::open(path).map_err(|source| ScenarioError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(file);
    let header = reader
        .headers()
        .map_err(|e| error(1, e.to_string()))?
        .clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| error(1, format!("the header has no `{name}` column")))
    };
    let columns = [
        column("agent")?,
        column("activity")?,
        column("start")?,
        column("end")?,
    ];
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            error(
                e.position().map_or(0, |p| p.line()),
                format!("unreadable row: {e}"),
            )
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let [agent, activity, start, end] = columns.map(|c| record.get(c).unwrap_or(""));
        if agent.is_empty() {
            return Err(error(line, "`agent` is empty".into()));
        }
        if activity.is_empty() {
            return Err(error(line, "`activity` is empty".into()));
        }
        let time = |field: &str, text: &str| {
            text.parse::<DateTime>().map_err(|_| {
                error(
                    line,
                    format!("`{field}` = {text:?} is not a date-time like 2025-03-03T07:00:00"),
                )
            })
        };
        let (start, end) = (time("start", start)?, time("end", end)?);
        if end <= start {
            return Err(error(
                line,
                format!("`end` {end} is not after `start` {start}"),
            ));
        }
        rows.push(RosterRow {
            agent: agent.to_owned(),
            activity: activity.to_ascii_lowercase(),
            start,
            end,
            line,
        });
    }
    rows.sort_by(|a, b| (&a.agent, a.start).cmp(&(&b.agent, b.start)));
    for pair in rows.windows(2) {
        if pair[0].agent == pair[1].agent && pair[1].start < pair[0].end {
            return Err(error(
                pair[1].line,
                format!(
                    "{}'s row overlaps line {}, which ends {}",
                    pair[1].agent, pair[0].line, pair[0].end
                ),
            ));
        }
    }
    Ok(rows)
}
