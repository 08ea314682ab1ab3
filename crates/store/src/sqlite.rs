//! The SQLite backend: one file, write-ahead log, `synchronous=FULL`.
//!
//! Key types: [`SqliteStore`] (a connection; appends run in `BEGIN
//! IMMEDIATE` transactions, so a second writer waits for the first instead
//! of failing halfway) and `SqliteTx` (the [`Tx`] of the shared projection
//! code). Statements are prepared once per connection and cached; a batch
//! is written row by row with them, which in SQLite costs about a
//! microsecond per row because there is no round trip.

use std::path::Path;
use std::time::Duration;

use acd::model::Code;
use acd::model::{AgentId, ContactId, QueueId, Span, Time};
use acd::record::ContactRecord;
use jiff::tz::TimeZone;
use kpi::{
    Admin, AgentTally, Customer, Fact, ImportMark, LegFact, Money, Naming, QueueTally, Sale, Score,
    Survey, Work,
};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use rustc_hash::FxHashMap;

use crate::columns::{self, Codes, bound, contact_record, decode, id32, live, now_ms, uint};
use crate::error::Error;
use crate::project::{self, Keys, Loaded, PROJECTIONS, Rows, Tally, Tx};
use crate::{
    AgentNow, LogEntry, Mismatch, Options, QueueNow, StateInterval, Store, TimeRange, Verification,
};

/// The schema, one script per version, applied in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_imports.sql")),
    (3, include_str!("../migrations/sqlite/0003_interrupted.sql")),
    (4, include_str!("../migrations/sqlite/0004_admin.sql")),
];

const RECENT_BY_CUSTOMER: &str = "SELECT l.seq, l.body FROM contacts c JOIN log l ON l.seq = c.seq
     WHERE c.customer = ?1 ORDER BY c.arrived_ms DESC, c.id DESC LIMIT ?2";
const RECENT_BY_ANI: &str = "SELECT l.seq, l.body FROM contacts c JOIN log l ON l.seq = c.seq
     WHERE c.ani = ?1 ORDER BY c.arrived_ms DESC, c.id DESC LIMIT ?2";

/// A store in a SQLite file.
pub(crate) struct SqliteStore {
    conn: Connection,
    zone: TimeZone,
}

impl SqliteStore {
    /// Opens or creates the file at `path` (its directory too), migrates
    /// it, and reads (for a new store, records) the zone of its agent days.
    pub(crate) fn open(path: &str, options: &Options) -> Result<Self, Error> {
        let memory = path == ":memory:";
        if let Some(dir) = Path::new(path).parent()
            && !memory
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|source| Error::Directory {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let mut conn =
            Connection::open(path).map_err(Error::sqlite("opening the database file"))?;
        configure(&conn, memory)?;
        migrate(&mut conn)?;
        let mut store = SqliteStore {
            conn,
            zone: TimeZone::UTC,
        };
        store.zone = store.write("reading the time zone", |tx, _| {
            project::open_zone(tx, options.time_zone.as_ref())
        })?;
        Ok(store)
    }

    /// Runs `work` in an immediate transaction and commits it.
    fn write<T>(
        &mut self,
        doing: &'static str,
        work: impl FnOnce(&mut dyn Tx, &TimeZone) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::sqlite(doing))?;
        let value = work(&mut SqliteTx(&tx), &self.zone)?;
        tx.commit().map_err(Error::sqlite(doing))?;
        Ok(value)
    }

    /// Streams the rows of `sql` with `params` to `f`.
    fn each(
        &self,
        doing: &'static str,
        sql: &str,
        params: impl rusqlite::Params,
        mut f: impl FnMut(&Row<'_>) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(Error::sqlite(doing))?;
        let mut rows = stmt.query(params).map_err(Error::sqlite(doing))?;
        let mut n = 0;
        while let Some(row) = rows.next().map_err(Error::sqlite(doing))? {
            f(row)?;
            n += 1;
        }
        Ok(n)
    }
}

fn configure(conn: &Connection, memory: bool) -> Result<(), Error> {
    let doing = "configuring the connection";
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(Error::sqlite(doing))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
        .map_err(Error::sqlite(doing))?;
    if !memory && !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::JournalMode(mode));
    }
    // FULL: the WAL is synced at every commit, so an append that returned
    // survives a power cut, not only a crash of the process.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(Error::sqlite(doing))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(Error::sqlite(doing))?;
    // 64 MiB of page cache: the hot ends of the log and leg trees stay in
    // memory during long appends and rebuilds.
    conn.pragma_update(None, "cache_size", -65_536)
        .map_err(Error::sqlite(doing))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), Error> {
    let doing = "migrating the schema";
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(Error::sqlite(doing))?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version INTEGER PRIMARY KEY,
             applied_ms INTEGER NOT NULL
         )",
    )
    .map_err(Error::sqlite(doing))?;
    let found: i64 = tx
        .query_row(
            "SELECT coalesce(max(version), 0) FROM schema_version",
            [],
            |row| row.get(0),
        )
        .map_err(Error::sqlite(doing))?;
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if found > known {
        return Err(Error::SchemaTooNew { found, known });
    }
    for (version, script) in MIGRATIONS.iter().filter(|m| m.0 > found) {
        tx.execute_batch(script).map_err(Error::sqlite(doing))?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_ms) VALUES (?1, ?2)",
            (version, now_ms()),
        )
        .map_err(Error::sqlite(doing))?;
    }
    tx.commit().map_err(Error::sqlite(doing))
}

struct SqliteTx<'a>(&'a Transaction<'a>);

impl SqliteTx<'_> {
    fn run(
        &self,
        doing: &'static str,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<(), Error> {
        self.0
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(params))
            .map(drop)
            .map_err(Error::sqlite(doing))
    }
}

impl Tx for SqliteTx<'_> {
    fn next_seq(&mut self) -> Result<u64, Error> {
        next_seq(self.0)
    }

    fn read_log(&mut self, from: u64, limit: usize) -> Result<Vec<LogEntry>, Error> {
        read_log(self.0, from, limit)
    }

    fn load(&mut self, keys: &Keys) -> Result<Loaded, Error> {
        let doing = "loading the state a batch changes";
        let mut loaded = Loaded::default();
        let mut stmt = self
            .0
            .prepare_cached("SELECT state, reason, since_ms FROM agent_now WHERE agent = ?1")
            .map_err(Error::sqlite(doing))?;
        for &agent in &keys.agents {
            let row = stmt
                .query_row([agent], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                })
                .optional()
                .map_err(Error::sqlite(doing))?;
            if let Some((state, reason, since)) = row {
                let state = columns::parse_state(&state, reason.as_deref())
                    .map_err(|what| Error::corrupt("agent_now", agent, what))?;
                let since = Time::from_millis(uint("agent_now", agent, since)?);
                loaded
                    .agents
                    .insert(AgentId(id32("agent_now", agent, agent)?), (state, since));
            }
        }
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT queue, for_agent, since_ms, phase, callback FROM contacts_live WHERE contact = ?1",
            )
            .map_err(Error::sqlite(doing))?;
        for &contact in &keys.contacts {
            let row = stmt
                .query_row([contact], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, Option<i64>>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, bool>(4)?,
                    ))
                })
                .optional()
                .map_err(Error::sqlite(doing))?;
            if let Some((queue, for_agent, since, phase, callback)) = row {
                let live = live(
                    "contacts_live",
                    contact,
                    queue,
                    for_agent,
                    since,
                    &phase,
                    callback,
                )?;
                loaded.live.insert(ContactId(contact as u64), live);
            }
        }
        let mut stmt = self
            .0
            .prepare_cached("SELECT 1 FROM contacts WHERE id = ?1")
            .map_err(Error::sqlite(doing))?;
        for &contact in &keys.finished {
            if stmt.exists([contact]).map_err(Error::sqlite(doing))? {
                loaded.finished.insert(ContactId(contact as u64));
            }
        }
        Ok(loaded)
    }

    fn load_tallies(
        &mut self,
        table: Tally,
        keys: &[(i64, i64)],
    ) -> Result<FxHashMap<(i64, i64), String>, Error> {
        let doing = "loading tallies";
        let sql = match table {
            Tally::QueueSlots => "SELECT tally FROM queue_slots WHERE queue = ?1 AND slot_ms = ?2",
            Tally::AgentDays => "SELECT tally FROM agent_days WHERE agent = ?1 AND day_ms = ?2",
        };
        let mut stmt = self.0.prepare_cached(sql).map_err(Error::sqlite(doing))?;
        let mut found = FxHashMap::default();
        for &key in keys {
            let tally: Option<String> = stmt
                .query_row([key.0, key.1], |row| row.get(0))
                .optional()
                .map_err(Error::sqlite(doing))?;
            if let Some(tally) = tally {
                found.insert(key, tally);
            }
        }
        Ok(found)
    }

    fn write(&mut self, rows: &Rows) -> Result<(), Error> {
        for r in &rows.log {
            self.run(
                "appending to the log",
                "INSERT INTO log (seq, at_ms, kind, body) VALUES (?1, ?2, ?3, ?4)",
                (r.seq, r.at, r.kind, &r.body),
            )?;
        }
        for r in &rows.contacts {
            self.run(
                "storing a contact record",
                "INSERT INTO contacts (id, seq, arrived_ms, finished_ms, ani, dnis, result, customer)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                (
                    r.id,
                    r.seq,
                    r.arrived,
                    r.finished,
                    &r.ani,
                    &r.dnis,
                    r.result,
                    r.customer.as_ref().map(Code::as_str),
                ),
            )?;
        }
        for r in &rows.legs {
            let w = r.work.as_ref();
            self.run(
                "storing a leg",
                "INSERT INTO legs (queued_ms, contact, leg, queue, entry, disposition, left_line_ms,
                     agent, answered_ms, talk_ms, hold_ms, wrap_ms, outcome, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                rusqlite::params![
                    r.queued,
                    r.contact,
                    r.leg,
                    r.queue,
                    r.entry,
                    r.disposition,
                    r.left_line,
                    w.map(|w| w.agent),
                    w.map(|w| w.answered),
                    w.map(|w| w.talk),
                    w.map(|w| w.hold),
                    w.map(|w| w.wrap),
                    w.and_then(|w| w.outcome.as_ref()).map(Code::as_str),
                    r.reason.as_ref().map(Code::as_str),
                ],
            )?;
        }
        for r in &rows.intervals {
            self.run(
                "storing an agent state interval",
                "INSERT INTO agent_states (seq, agent, state, reason, start_ms, end_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                (
                    r.seq,
                    r.agent,
                    r.state,
                    r.reason.as_ref().map(Code::as_str),
                    r.start,
                    r.end,
                ),
            )?;
        }
        for r in &rows.surveys {
            self.run(
                "storing a survey",
                "INSERT INTO surveys (seq, contact, at_ms, score) VALUES (?1, ?2, ?3, ?4)",
                (r.seq, r.contact, r.at, r.value),
            )?;
        }
        for r in &rows.sales {
            self.run(
                "storing a sale",
                "INSERT INTO sales (seq, contact, at_ms, won, revenue_cents) VALUES (?1, ?2, ?3, ?4, ?5)",
                (r.seq, r.contact, r.at, r.won, r.value),
            )?;
        }
        for r in &rows.names {
            self.run(
                "storing a name",
                "INSERT INTO names (entity, id, name, at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (entity, id) DO UPDATE SET name = excluded.name, at_ms = excluded.at_ms",
                (r.entity, r.id, &r.name, r.at),
            )?;
        }
        if let Some((first, last)) = rows.span {
            self.run(
                "widening the log's time span",
                "INSERT INTO log_span (id, first_ms, last_ms) VALUES (0, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE
                 SET first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms)",
                (first, last),
            )?;
        }
        for r in &rows.agents {
            self.run(
                "storing an agent's state",
                "INSERT INTO agent_now (agent, state, reason, since_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (agent) DO UPDATE
                 SET state = excluded.state, reason = excluded.reason, since_ms = excluded.since_ms",
                (r.agent, r.state, r.reason.as_ref().map(Code::as_str), r.start),
            )?;
        }
        for r in &rows.live {
            self.run(
                "storing a live contact",
                "INSERT INTO contacts_live (contact, queue, for_agent, since_ms, phase, callback)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (contact) DO UPDATE
                 SET queue = excluded.queue, for_agent = excluded.for_agent,
                     since_ms = excluded.since_ms, phase = excluded.phase, callback = excluded.callback",
                (r.contact, r.queue, r.for_agent, r.since, r.phase, r.callback),
            )?;
        }
        for &contact in &rows.gone {
            self.run(
                "removing a live contact",
                "DELETE FROM contacts_live WHERE contact = ?1",
                [contact],
            )?;
        }
        for r in &rows.queue_slots {
            self.run(
                "storing a queue slot tally",
                "INSERT INTO queue_slots (queue, slot_ms, tally) VALUES (?1, ?2, ?3)
                 ON CONFLICT (slot_ms, queue) DO UPDATE SET tally = excluded.tally",
                (r.key, r.start, &r.tally),
            )?;
        }
        for r in &rows.agent_days {
            self.run(
                "storing an agent day tally",
                "INSERT INTO agent_days (agent, day_ms, tally) VALUES (?1, ?2, ?3)
                 ON CONFLICT (day_ms, agent) DO UPDATE SET tally = excluded.tally",
                (r.key, r.start, &r.tally),
            )?;
        }
        Ok(())
    }

    fn clear_projections(&mut self) -> Result<(), Error> {
        for table in PROJECTIONS {
            self.0
                .execute(&format!("DELETE FROM {table}"), [])
                .map_err(Error::sqlite("emptying the projections"))?;
        }
        Ok(())
    }

    fn snapshot_projections(&mut self) -> Result<(), Error> {
        for table in PROJECTIONS {
            self.0
                .execute_batch(&format!(
                    "DROP TABLE IF EXISTS temp.snapshot_{table};
                     CREATE TEMP TABLE snapshot_{table} AS SELECT * FROM main.{table};"
                ))
                .map_err(Error::sqlite("copying the projections aside"))?;
        }
        Ok(())
    }

    fn compare_projections(&mut self) -> Result<Vec<Mismatch>, Error> {
        let doing = "comparing the projections with a rebuild";
        let mut mismatches = Vec::new();
        for table in PROJECTIONS {
            let (missing, extra): (i64, i64) = self
                .0
                .query_row(
                    &format!(
                        "SELECT (SELECT count(*) FROM (SELECT * FROM main.{table} EXCEPT SELECT * FROM temp.snapshot_{table})),
                                (SELECT count(*) FROM (SELECT * FROM temp.snapshot_{table} EXCEPT SELECT * FROM main.{table}))"
                    ),
                    [],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .map_err(Error::sqlite(doing))?;
            if missing != 0 || extra != 0 {
                mismatches.push(Mismatch {
                    table,
                    missing: missing as u64,
                    extra: extra as u64,
                });
            }
            self.0
                .execute_batch(&format!("DROP TABLE temp.snapshot_{table}"))
                .map_err(Error::sqlite(doing))?;
        }
        Ok(mismatches)
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>, Error> {
        self.0
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(Error::sqlite("reading a setting"))
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), Error> {
        self.run(
            "storing a setting",
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
    }
}

fn next_seq(conn: &Connection) -> Result<u64, Error> {
    let next: i64 = conn
        .query_row("SELECT coalesce(max(seq) + 1, 0) FROM log", [], |row| {
            row.get(0)
        })
        .map_err(Error::sqlite("reading the log's length"))?;
    uint("log", "max(seq)", next)
}

fn read_log(conn: &Connection, from: u64, limit: usize) -> Result<Vec<LogEntry>, Error> {
    let doing = "reading the log";
    let mut stmt = conn
        .prepare_cached("SELECT seq, body FROM log WHERE seq >= ?1 ORDER BY seq LIMIT ?2")
        .map_err(Error::sqlite(doing))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut rows = stmt
        .query((bound(from), limit))
        .map_err(Error::sqlite(doing))?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next().map_err(Error::sqlite(doing))? {
        let seq = uint("log", "seq", row.get(0).map_err(Error::sqlite(doing))?)?;
        let body = text(row, 1, "log", seq)?;
        entries.push(LogEntry {
            seq,
            fact: decode(seq, body)?,
        });
    }
    Ok(entries)
}

fn text<'r>(
    row: &'r Row<'_>,
    i: usize,
    table: &'static str,
    key: impl ToString,
) -> Result<&'r str, Error> {
    match row.get_ref_unwrap(i) {
        ValueRef::Text(bytes) => {
            std::str::from_utf8(bytes).map_err(|e| Error::corrupt(table, key, e))
        }
        other => Err(Error::corrupt(
            table,
            key,
            format!("column {i} is {:?}, not text", other.data_type()),
        )),
    }
}

fn opt_text<'r>(
    row: &'r Row<'_>,
    i: usize,
    table: &'static str,
    key: impl ToString,
) -> Result<Option<&'r str>, Error> {
    match row.get_ref_unwrap(i) {
        ValueRef::Null => Ok(None),
        _ => text(row, i, table, key).map(Some),
    }
}

fn integer(row: &Row<'_>, i: usize, table: &'static str, key: impl ToString) -> Result<i64, Error> {
    match row.get_ref_unwrap(i) {
        ValueRef::Integer(n) => Ok(n),
        other => Err(Error::corrupt(
            table,
            key,
            format!("column {i} is {:?}, not an integer", other.data_type()),
        )),
    }
}

fn opt_integer(
    row: &Row<'_>,
    i: usize,
    table: &'static str,
    key: impl ToString,
) -> Result<Option<i64>, Error> {
    match row.get_ref_unwrap(i) {
        ValueRef::Null => Ok(None),
        _ => integer(row, i, table, key).map(Some),
    }
}

/// Columns 0..=11 of a legs row (contact, queue, entry, queued_ms,
/// disposition, left_line_ms, agent, answered_ms, talk_ms, hold_ms,
/// wrap_ms, outcome) as the leg fact.
fn leg(row: &Row<'_>, codes: &mut Codes) -> Result<LegFact, Error> {
    let contact = integer(row, 0, "legs", "?")?;
    let bad = |what: String| Error::corrupt("legs", format!("of contact {contact}"), what);
    let ms = |i: usize| -> Result<u64, Error> {
        uint("legs", contact, integer(row, i, "legs", contact)?)
    };
    let entry = match row.get_ref_unwrap(2) {
        ValueRef::Text(name) => columns::parse_entry(name),
        _ => None,
    }
    .ok_or_else(|| bad("bad entry".into()))?;
    let disposition = match row.get_ref_unwrap(4) {
        ValueRef::Text(name) => columns::parse_disposition(name),
        _ => None,
    }
    .ok_or_else(|| bad("bad disposition".into()))?;
    let work = match opt_integer(row, 6, "legs", contact)? {
        None => None,
        Some(agent) => Some(Work {
            agent: AgentId(id32("legs", contact, agent)?),
            answered: Time::from_millis(ms(7)?),
            talk: Span::from_millis(ms(8)?),
            hold: Span::from_millis(ms(9)?),
            wrap: Span::from_millis(ms(10)?),
            outcome: opt_text(row, 11, "legs", contact)?
                .map(|text| codes.get(text))
                .transpose()
                .map_err(bad)?,
        }),
    };
    Ok(LegFact {
        contact: ContactId(uint("legs", contact, contact)?),
        queue: QueueId(id32("legs", contact, integer(row, 1, "legs", contact)?)?),
        entry,
        queued: Time::from_millis(ms(3)?),
        disposition,
        left_line: Time::from_millis(ms(5)?),
        work,
    })
}

/// The first time to ask for when reading days: a range from the epoch
/// includes the day containing it, which may start before it.
fn day_bound(range: TimeRange) -> i64 {
    if range.from == Time::ZERO {
        i64::MIN
    } else {
        bound(range.from.as_millis())
    }
}

impl Store for SqliteStore {
    fn append(&mut self, facts: &[Fact]) -> Result<std::ops::Range<u64>, Error> {
        self.write("appending facts", |tx, zone| {
            project::append(tx, zone, facts)
        })
    }

    fn next_seq(&self) -> Result<u64, Error> {
        next_seq(&self.conn)
    }

    fn read_log(&self, from_seq: u64, limit: usize) -> Result<Vec<LogEntry>, Error> {
        read_log(&self.conn, from_seq, limit)
    }

    fn contact(&self, id: ContactId) -> Result<Option<ContactRecord>, Error> {
        let Ok(id) = i64::try_from(id.0) else {
            return Ok(None);
        };
        let mut found = None;
        self.each(
            "reading a contact",
            "SELECT l.seq, l.body FROM contacts c JOIN log l ON l.seq = c.seq WHERE c.id = ?1",
            [id],
            |row| {
                let seq = uint("log", "seq", integer(row, 0, "contacts", id)?)?;
                found = Some(contact_record(seq, text(row, 1, "log", seq)?)?);
                Ok(())
            },
        )?;
        Ok(found)
    }

    fn for_each_contact(
        &self,
        range: TimeRange,
        f: &mut dyn FnMut(ContactRecord),
    ) -> Result<u64, Error> {
        self.each(
            "reading contacts",
            "SELECT l.seq, l.body FROM contacts c JOIN log l ON l.seq = c.seq
             WHERE c.finished_ms >= ?1 AND c.finished_ms < ?2 ORDER BY c.finished_ms, c.id",
            (bound(range.from.as_millis()), bound(range.to.as_millis())),
            |row| {
                let seq = uint("log", "seq", integer(row, 0, "contacts", "?")?)?;
                f(contact_record(seq, text(row, 1, "log", seq)?)?);
                Ok(())
            },
        )
    }

    fn for_each_leg(&self, range: TimeRange, f: &mut dyn FnMut(&LegFact)) -> Result<u64, Error> {
        let mut codes = Codes::default();
        self.each(
            "reading legs",
            "SELECT contact, queue, entry, queued_ms, disposition, left_line_ms,
                    agent, answered_ms, talk_ms, hold_ms, wrap_ms, outcome
             FROM legs WHERE queued_ms >= ?1 AND queued_ms < ?2
             ORDER BY queued_ms, contact, leg",
            (bound(range.from.as_millis()), bound(range.to.as_millis())),
            |row| {
                f(&leg(row, &mut codes)?);
                Ok(())
            },
        )
    }

    fn for_each_state_interval(
        &self,
        range: TimeRange,
        f: &mut dyn FnMut(&StateInterval),
    ) -> Result<u64, Error> {
        self.each(
            "reading agent states",
            // Overlapping the range, or empty and inside it.
            "SELECT seq, agent, state, reason, start_ms, end_ms FROM agent_states
             WHERE end_ms >= ?1 AND (end_ms > ?1 OR start_ms >= ?1) AND start_ms < ?2
             ORDER BY end_ms, seq",
            (bound(range.from.as_millis()), bound(range.to.as_millis())),
            |row| {
                let seq = integer(row, 0, "agent_states", "?")?;
                let t = "agent_states";
                let state = columns::parse_state(text(row, 2, t, seq)?, opt_text(row, 3, t, seq)?)
                    .map_err(|what| Error::corrupt(t, seq, what))?;
                f(&StateInterval {
                    agent: AgentId(id32(t, seq, integer(row, 1, t, seq)?)?),
                    state,
                    start: Time::from_millis(uint(t, seq, integer(row, 4, t, seq)?)?),
                    end: Time::from_millis(uint(t, seq, integer(row, 5, t, seq)?)?),
                });
                Ok(())
            },
        )
    }

    fn for_each_survey(&self, range: TimeRange, f: &mut dyn FnMut(&Survey)) -> Result<u64, Error> {
        self.each(
            "reading surveys",
            "SELECT seq, contact, at_ms, score FROM surveys WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY seq",
            (bound(range.from.as_millis()), bound(range.to.as_millis())),
            |row| {
                let t = "surveys";
                let seq = integer(row, 0, t, "?")?;
                let score = u8::try_from(integer(row, 3, t, seq)?)
                    .ok()
                    .and_then(|s| Score::new(s).ok())
                    .ok_or_else(|| Error::corrupt(t, seq, "score out of range"))?;
                f(&Survey {
                    contact: ContactId(uint(t, seq, integer(row, 1, t, seq)?)?),
                    at: Time::from_millis(uint(t, seq, integer(row, 2, t, seq)?)?),
                    score,
                });
                Ok(())
            },
        )
    }

    fn for_each_sale(&self, range: TimeRange, f: &mut dyn FnMut(&Sale)) -> Result<u64, Error> {
        self.each(
            "reading sales",
            "SELECT seq, contact, at_ms, won, revenue_cents FROM sales
             WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY seq",
            (bound(range.from.as_millis()), bound(range.to.as_millis())),
            |row| {
                let t = "sales";
                let seq = integer(row, 0, t, "?")?;
                f(&Sale {
                    contact: ContactId(uint(t, seq, integer(row, 1, t, seq)?)?),
                    at: Time::from_millis(uint(t, seq, integer(row, 2, t, seq)?)?),
                    won: integer(row, 3, t, seq)? != 0,
                    revenue: Money(integer(row, 4, t, seq)?),
                });
                Ok(())
            },
        )
    }

    fn for_each_queue_slot(
        &self,
        range: TimeRange,
        f: &mut dyn FnMut(QueueId, Time, &QueueTally),
    ) -> Result<u64, Error> {
        self.each(
            "reading queue slots",
            "SELECT queue, slot_ms, tally FROM queue_slots
             WHERE slot_ms >= ?1 AND slot_ms < ?2 ORDER BY slot_ms, queue",
            (bound(range.from.as_millis()), bound(range.to.as_millis())),
            |row| {
                let t = "queue_slots";
                let (queue, slot) = (integer(row, 0, t, "?")?, integer(row, 1, t, "?")?);
                let key = format!("({queue}, {slot})");
                let tally: QueueTally = serde_json::from_str(text(row, 2, t, &key)?)
                    .map_err(|e| Error::corrupt(t, &key, e))?;
                f(
                    QueueId(id32(t, &key, queue)?),
                    Time::from_millis(uint(t, &key, slot)?),
                    &tally,
                );
                Ok(())
            },
        )
    }

    fn for_each_agent_day(
        &self,
        range: TimeRange,
        f: &mut dyn FnMut(AgentId, Time, &AgentTally),
    ) -> Result<u64, Error> {
        self.each(
            "reading agent days",
            "SELECT agent, day_ms, tally FROM agent_days
             WHERE day_ms >= ?1 AND day_ms < ?2 ORDER BY day_ms, agent",
            (day_bound(range), bound(range.to.as_millis())),
            |row| {
                let t = "agent_days";
                let (agent, day) = (integer(row, 0, t, "?")?, integer(row, 1, t, "?")?);
                let key = format!("({agent}, {day})");
                let tally: project::StoredAgentTally = serde_json::from_str(text(row, 2, t, &key)?)
                    .map_err(|e| Error::corrupt(t, &key, e))?;
                let start = Time::from_millis(u64::try_from(day).unwrap_or(0));
                f(AgentId(id32(t, &key, agent)?), start, &tally.into());
                Ok(())
            },
        )
    }

    fn names(&self) -> Result<Vec<Naming>, Error> {
        let mut names = Vec::new();
        self.each(
            "reading names",
            "SELECT entity, id, name, at_ms FROM names ORDER BY entity, id",
            [],
            |row| {
                let t = "names";
                let id = integer(row, 1, t, "?")?;
                let kind = text(row, 0, t, id)?;
                names.push(Naming {
                    entity: columns::parse_entity(kind, id32(t, id, id)?)
                        .ok_or_else(|| Error::corrupt(t, id, format!("unknown entity {kind:?}")))?,
                    name: text(row, 2, t, id)?.to_owned(),
                    at: Time::from_millis(uint(t, id, integer(row, 3, t, id)?)?),
                });
                Ok(())
            },
        )?;
        Ok(names)
    }

    fn imports(&self) -> Result<Vec<ImportMark>, Error> {
        let mut marks = Vec::new();
        self.each(
            "reading the imports",
            "SELECT seq, body FROM log WHERE kind = 'imported' ORDER BY seq",
            [],
            |row| {
                let seq = uint("log", "seq", integer(row, 0, "log", "seq")?)?;
                if let Fact::Imported(mark) = decode(seq, text(row, 1, "log", seq)?)? {
                    marks.push(mark);
                }
                Ok(())
            },
        )?;
        Ok(marks)
    }

    fn admin_changes(&self) -> Result<Vec<Admin>, Error> {
        let mut changes = Vec::new();
        self.each(
            "reading the administration changes",
            "SELECT seq, body FROM log WHERE kind = 'admin' ORDER BY seq",
            [],
            |row| {
                let seq = uint("log", "seq", integer(row, 0, "log", "seq")?)?;
                if let Fact::Admin(change) = decode(seq, text(row, 1, "log", seq)?)? {
                    changes.push(change);
                }
                Ok(())
            },
        )?;
        Ok(changes)
    }

    fn recent_contacts(&self, who: &Customer, limit: usize) -> Result<Vec<ContactRecord>, Error> {
        let (sql, key) = match who {
            Customer::Id(id) => (RECENT_BY_CUSTOMER, id.as_str()),
            Customer::Ani(ani) => (RECENT_BY_ANI, ani.as_str()),
        };
        let mut found = Vec::new();
        self.each(
            "reading a customer's recent contacts",
            sql,
            (key, i64::try_from(limit).unwrap_or(i64::MAX)),
            |row| {
                let seq = uint("log", "seq", integer(row, 0, "contacts", "?")?)?;
                found.push(contact_record(seq, text(row, 1, "log", seq)?)?);
                Ok(())
            },
        )?;
        Ok(found)
    }

    fn time_bounds(&self) -> Result<Option<(Time, Time)>, Error> {
        let mut bounds = None;
        self.each(
            "reading the log's time span",
            "SELECT first_ms, last_ms FROM log_span",
            [],
            |row| {
                let t = "log_span";
                let first = uint(t, 0, integer(row, 0, t, 0)?)?;
                let last = uint(t, 0, integer(row, 1, t, 0)?)?;
                bounds = Some((Time::from_millis(first), Time::from_millis(last)));
                Ok(())
            },
        )?;
        Ok(bounds)
    }

    fn last_contact_id(&self) -> Result<Option<ContactId>, Error> {
        let mut last = None;
        self.each(
            "reading the last contact id",
            "SELECT max(id) FROM (SELECT max(id) AS id FROM contacts
                                  UNION ALL SELECT max(contact) FROM contacts_live)",
            [],
            |row| {
                last = opt_integer(row, 0, "contacts", "max(id)")?
                    .map(|id| uint("contacts", id, id).map(ContactId))
                    .transpose()?;
                Ok(())
            },
        )?;
        Ok(last)
    }

    fn time_zone(&self) -> TimeZone {
        self.zone.clone()
    }

    fn set_time_zone(&mut self, zone: &TimeZone) -> Result<(), Error> {
        self.write("changing the time zone", |tx, _| {
            project::set_zone(tx, zone)
        })?;
        self.zone = zone.clone();
        Ok(())
    }

    fn current_agents(&self) -> Result<Vec<AgentNow>, Error> {
        let mut agents = Vec::new();
        self.each(
            "reading agents' states",
            "SELECT agent, state, reason, since_ms FROM agent_now ORDER BY agent",
            [],
            |row| {
                let t = "agent_now";
                let agent = integer(row, 0, t, "?")?;
                agents.push(AgentNow {
                    agent: AgentId(id32(t, agent, agent)?),
                    state: columns::parse_state(
                        text(row, 1, t, agent)?,
                        opt_text(row, 2, t, agent)?,
                    )
                    .map_err(|what| Error::corrupt(t, agent, what))?,
                    since: Time::from_millis(uint(t, agent, integer(row, 3, t, agent)?)?),
                });
                Ok(())
            },
        )?;
        Ok(agents)
    }

    fn current_queues(&self) -> Result<Vec<QueueNow>, Error> {
        let mut queues = Vec::new();
        self.each(
            "reading queues' lines",
            "SELECT queue, count(*), sum(callback), min(since_ms) FROM contacts_live
             WHERE phase = 'waiting' AND for_agent IS NULL GROUP BY queue ORDER BY queue",
            [],
            |row| {
                let t = "contacts_live";
                let queue = integer(row, 0, t, "?")?;
                queues.push(QueueNow {
                    queue: QueueId(id32(t, queue, queue)?),
                    waiting: uint(t, queue, integer(row, 1, t, queue)?)?,
                    callbacks: uint(t, queue, integer(row, 2, t, queue)?)?,
                    oldest: Time::from_millis(uint(t, queue, integer(row, 3, t, queue)?)?),
                });
                Ok(())
            },
        )?;
        Ok(queues)
    }

    fn rebuild_projections(&mut self) -> Result<(), Error> {
        self.write("rebuilding the projections", |tx, zone| {
            project::rebuild(tx, zone).map(drop)
        })
    }

    fn verify(&mut self) -> Result<Verification, Error> {
        let doing = "verifying the projections";
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::sqlite(doing))?;
        let verification = project::verify(&mut SqliteTx(&tx), &self.zone)?;
        tx.rollback().map_err(Error::sqlite(doing))?;
        Ok(verification)
    }
}
