//! The queue interval and agent reports' totals computed by SQLite itself,
//! with `GROUP BY` over the stored legs and state intervals: an oracle for
//! the tallies (a test checks they agree) and the baseline of
//! `switchboard bench report`, which is how a reporting tool on a CDR
//! table would work.
//!
//! Key function: [`queue_and_agent_totals`], giving [`SqlTotals`]. Rows
//! are grouped per queue and UTC quarter hour, and per agent, UTC day and
//! state; the rows are fetched, then summed, so the work is that of a
//! report, not of one global count.

use std::path::Path;

use acd::model::Span;
use rusqlite::{Connection, OpenFlags};

use crate::error::Error;

/// The totals of the SQL aggregation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlTotals {
    /// Rows of the queue aggregation: (queue, quarter hour) pairs.
    pub queue_rows: u64,
    /// Legs.
    pub offered: u64,
    /// Answered legs.
    pub answered: u64,
    /// Answered within the threshold.
    pub answered_within: u64,
    /// Abandoned legs.
    pub abandoned: u64,
    /// Abandoned within the short-abandon threshold (none when it is zero).
    pub short_abandoned: u64,
    /// Legs an agent handled.
    pub handled: u64,
    /// Summed wait of answered legs, in milliseconds.
    pub answered_wait_ms: u64,
    /// Summed talk + hold + wrap-up of handled legs, in milliseconds.
    pub handle_ms: u64,
    /// The longest wait of any leg, in milliseconds.
    pub max_wait_ms: u64,
    /// Closed logged-in state time of all agents, in milliseconds.
    pub logged_in_ms: u64,
    /// Rows of the agent aggregation: (agent, day, state, reason).
    pub agent_rows: u64,
}

/// Aggregates the SQLite store at `path` in SQL, with service-level
/// threshold `threshold` and short-abandon threshold `short_abandon`.
pub fn queue_and_agent_totals(
    path: &Path,
    threshold: Span,
    short_abandon: Span,
) -> Result<SqlTotals, Error> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(Error::sqlite("opening the database for the SQL report"))?;
    let mut totals = SqlTotals::default();
    let mut queues = conn
        .prepare(
            "SELECT queue, queued_ms / 900000 AS slot,
                    COUNT(*),
                    SUM(disposition = 'answered'),
                    SUM(disposition = 'answered' AND left_line_ms - queued_ms <= ?1),
                    SUM(disposition = 'abandoned'),
                    SUM(disposition = 'abandoned' AND ?2 > 0 AND left_line_ms - queued_ms <= ?2),
                    SUM(agent IS NOT NULL),
                    SUM(CASE WHEN disposition = 'answered' THEN left_line_ms - queued_ms END),
                    SUM(talk_ms + hold_ms + wrap_ms),
                    MAX(left_line_ms - queued_ms)
             FROM legs GROUP BY queue, slot",
        )
        .map_err(Error::sqlite("preparing the SQL queue report"))?;
    let as_u64 = |v: Option<i64>| u64::try_from(v.unwrap_or(0)).unwrap_or(0);
    let mut rows = queues
        .query((millis(threshold), millis(short_abandon)))
        .map_err(Error::sqlite("running the SQL queue report"))?;
    while let Some(row) = rows
        .next()
        .map_err(Error::sqlite("reading the SQL queue report"))?
    {
        let get = |i: usize| row.get::<_, Option<i64>>(i).map(as_u64);
        let mut read = || -> rusqlite::Result<()> {
            totals.queue_rows += 1;
            totals.offered += get(2)?;
            totals.answered += get(3)?;
            totals.answered_within += get(4)?;
            totals.abandoned += get(5)?;
            totals.short_abandoned += get(6)?;
            totals.handled += get(7)?;
            totals.answered_wait_ms += get(8)?;
            totals.handle_ms += get(9)?;
            totals.max_wait_ms = totals.max_wait_ms.max(get(10)?);
            Ok(())
        };
        read().map_err(Error::sqlite("reading the SQL queue report"))?;
    }
    let mut agents = conn
        .prepare(
            "SELECT agent, start_ms / 86400000 AS day, state, reason, SUM(end_ms - start_ms)
             FROM agent_states GROUP BY agent, day, state, reason",
        )
        .map_err(Error::sqlite("preparing the SQL agent report"))?;
    let mut rows = agents
        .query(())
        .map_err(Error::sqlite("running the SQL agent report"))?;
    while let Some(row) = rows
        .next()
        .map_err(Error::sqlite("reading the SQL agent report"))?
    {
        let spent: Option<i64> = row
            .get(4)
            .map_err(Error::sqlite("reading the SQL agent report"))?;
        totals.agent_rows += 1;
        totals.logged_in_ms += as_u64(spent);
    }
    Ok(totals)
}

/// A threshold as SQLite's integer; thresholds are seconds, far below
/// `i64::MAX` milliseconds.
fn millis(span: Span) -> i64 {
    i64::try_from(span.as_millis()).unwrap_or(i64::MAX)
}
