//! The PostgreSQL backend, over the synchronous `postgres` client.
//!
//! Key types: [`PgStore`] (one connection; reads borrow it through a
//! `RefCell` because the client needs `&mut` even to read) and `PgTx` (the
//! [`Tx`] of the shared projection code). Every round trip to the server
//! costs tens of microseconds, so a batch is written one statement per
//! table: the rows travel as arrays and `unnest` turns them back into rows;
//! state for a batch is loaded with `= ANY($1)`. Appends take an exclusive
//! lock on the log, so concurrent writers queue rather than collide on
//! sequence numbers; readers are not blocked.

use std::cell::RefCell;

use acd::model::{AgentId, Code, ContactId, QueueId, Span, Time};
use acd::record::ContactRecord;
use jiff::tz::TimeZone;
use kpi::{
    Admin, AgentTally, Customer, Fact, ImportMark, LegFact, Money, Naming, QueueTally, Sale, Score,
    Survey, Work,
};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{BorrowToSql, ToSql};
use postgres::{Client, NoTls, Row, Statement, Transaction};
use rustc_hash::FxHashMap;

use crate::columns::{self, Codes, bound, contact_record, decode, id32, live, now_ms, uint};
use crate::error::Error;
use crate::project::{self, Keys, Loaded, PROJECTIONS, Rows, Tally, Tx};
use crate::{
    AgentNow, LogEntry, Mismatch, Options, QueueNow, StateInterval, Store, TimeRange, Verification,
};

/// The schema, one script per version, applied in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_imports.sql")),
    (
        3,
        include_str!("../migrations/postgres/0003_interrupted.sql"),
    ),
    (4, include_str!("../migrations/postgres/0004_admin.sql")),
];

/// Rows per bulk statement: bounds the size of one message.
const CHUNK: usize = 10_000;

/// Serialises schema migrations of concurrent openers (an arbitrary key
/// for `pg_advisory_xact_lock`).
const MIGRATION_LOCK: i64 = 0x5357_4254_4348;

type Param<'a> = &'a (dyn ToSql + Sync);

/// A store in a PostgreSQL database.
pub(crate) struct PgStore {
    client: RefCell<Client>,
    statements: FxHashMap<&'static str, Statement>,
    zone: TimeZone,
}

impl PgStore {
    /// Connects to `url`, migrates the database, and reads (for a new
    /// store, records) the zone of its agent days.
    pub(crate) fn open(url: &str, options: &Options) -> Result<Self, Error> {
        let mut client = Client::connect(url, NoTls).map_err(Error::postgres("connecting"))?;
        migrate(&mut client)?;
        let mut store = PgStore {
            client: RefCell::new(client),
            statements: FxHashMap::default(),
            zone: TimeZone::UTC,
        };
        store.zone = store.write("reading the time zone", |tx, _| {
            project::open_zone(tx, options.time_zone.as_ref())
        })?;
        Ok(store)
    }

    /// Runs `work` in a transaction holding the append lock, and commits.
    fn write<T>(
        &mut self,
        doing: &'static str,
        work: impl FnOnce(&mut dyn Tx, &TimeZone) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let client = self.client.get_mut();
        let mut tx = client.transaction().map_err(Error::postgres(doing))?;
        tx.batch_execute("LOCK TABLE log IN EXCLUSIVE MODE")
            .map_err(Error::postgres(doing))?;
        let mut pg = PgTx {
            tx,
            statements: &mut self.statements,
        };
        let value = work(&mut pg, &self.zone)?;
        pg.tx.commit().map_err(Error::postgres(doing))?;
        Ok(value)
    }

    /// Streams the rows of `sql` with `params` to `f`.
    fn each<P: BorrowToSql>(
        &self,
        doing: &'static str,
        sql: &str,
        params: impl IntoIterator<Item = P, IntoIter: ExactSizeIterator>,
        mut f: impl FnMut(&Row) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        let mut client = self.client.try_borrow_mut().map_err(|_| Error::Reentrant)?;
        let mut rows = client
            .query_raw(sql, params)
            .map_err(Error::postgres(doing))?;
        let mut n = 0;
        while let Some(row) = rows.next().map_err(Error::postgres(doing))? {
            f(&row)?;
            n += 1;
        }
        Ok(n)
    }
}

fn migrate(client: &mut Client) -> Result<(), Error> {
    let doing = "migrating the schema";
    let mut tx = client.transaction().map_err(Error::postgres(doing))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(Error::postgres(doing))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version bigint PRIMARY KEY,
             applied_ms bigint NOT NULL
         )",
    )
    .map_err(Error::postgres(doing))?;
    let found: i64 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .and_then(|row| row.try_get(0))
        .map_err(Error::postgres(doing))?;
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if found > known {
        return Err(Error::SchemaTooNew { found, known });
    }
    for (version, script) in MIGRATIONS.iter().filter(|m| m.0 > found) {
        tx.batch_execute(script).map_err(Error::postgres(doing))?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_ms) VALUES ($1, $2)",
            &[version, &now_ms()],
        )
        .map_err(Error::postgres(doing))?;
    }
    tx.commit().map_err(Error::postgres(doing))
}

struct PgTx<'a> {
    tx: Transaction<'a>,
    statements: &'a mut FxHashMap<&'static str, Statement>,
}

impl PgTx<'_> {
    /// `sql`, prepared once per connection.
    fn statement(&mut self, doing: &'static str, sql: &'static str) -> Result<Statement, Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql).map_err(Error::postgres(doing))?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    fn run(
        &mut self,
        doing: &'static str,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<(), Error> {
        let statement = self.statement(doing, sql)?;
        self.tx
            .execute(&statement, params)
            .map(drop)
            .map_err(Error::postgres(doing))
    }

    fn query(
        &mut self,
        doing: &'static str,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, Error> {
        let statement = self.statement(doing, sql)?;
        self.tx
            .query(&statement, params)
            .map_err(Error::postgres(doing))
    }
}

fn col<'r, T, R>(rows: &'r [R], f: impl Fn(&'r R) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

fn get<'r, T: postgres::types::FromSql<'r>>(
    row: &'r Row,
    i: usize,
    table: &'static str,
) -> Result<T, Error> {
    row.try_get(i)
        .map_err(|e| Error::corrupt(table, format!("column {i}"), e))
}

impl Tx for PgTx<'_> {
    fn next_seq(&mut self) -> Result<u64, Error> {
        let rows = self.query(
            "reading the log's length",
            "SELECT coalesce(max(seq) + 1, 0) FROM log",
            &[],
        )?;
        uint("log", "max(seq)", get(&rows[0], 0, "log")?)
    }

    fn read_log(&mut self, from: u64, limit: usize) -> Result<Vec<LogEntry>, Error> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query(
            "reading the log",
            "SELECT seq, body::text FROM log WHERE seq >= $1 ORDER BY seq LIMIT $2",
            &[&bound(from), &limit],
        )?;
        rows.iter().map(log_entry).collect()
    }

    fn load(&mut self, keys: &Keys) -> Result<Loaded, Error> {
        let doing = "loading the state a batch changes";
        let mut loaded = Loaded::default();
        if !keys.agents.is_empty() {
            let t = "agent_now";
            for row in self.query(
                doing,
                "SELECT agent, state, reason, since_ms FROM agent_now WHERE agent = ANY($1)",
                &[&keys.agents],
            )? {
                let agent: i64 = get(&row, 0, t)?;
                let state = columns::parse_state(get(&row, 1, t)?, get(&row, 2, t)?)
                    .map_err(|what| Error::corrupt(t, agent, what))?;
                let since = Time::from_millis(uint(t, agent, get(&row, 3, t)?)?);
                loaded
                    .agents
                    .insert(AgentId(id32(t, agent, agent)?), (state, since));
            }
        }
        if !keys.contacts.is_empty() {
            let t = "contacts_live";
            for row in self.query(
                doing,
                "SELECT contact, queue, for_agent, since_ms, phase, callback FROM contacts_live
                 WHERE contact = ANY($1)",
                &[&keys.contacts],
            )? {
                let contact: i64 = get(&row, 0, t)?;
                let live = live(
                    t,
                    contact,
                    get(&row, 1, t)?,
                    get(&row, 2, t)?,
                    get(&row, 3, t)?,
                    get(&row, 4, t)?,
                    get(&row, 5, t)?,
                )?;
                loaded
                    .live
                    .insert(ContactId(uint(t, contact, contact)?), live);
            }
        }
        if !keys.finished.is_empty() {
            for row in self.query(
                doing,
                "SELECT id FROM contacts WHERE id = ANY($1)",
                &[&keys.finished],
            )? {
                let id: i64 = get(&row, 0, "contacts")?;
                loaded.finished.insert(ContactId(uint("contacts", id, id)?));
            }
        }
        Ok(loaded)
    }

    fn load_tallies(
        &mut self,
        table: Tally,
        keys: &[(i64, i64)],
    ) -> Result<FxHashMap<(i64, i64), String>, Error> {
        let mut found = FxHashMap::default();
        if keys.is_empty() {
            return Ok(found);
        }
        let sql = match table {
            Tally::QueueSlots => {
                "SELECT s.queue, s.slot_ms, s.tally::text FROM queue_slots s
                 JOIN unnest($1::bigint[], $2::bigint[]) AS k (queue, slot_ms) USING (queue, slot_ms)"
            }
            Tally::AgentDays => {
                "SELECT d.agent, d.day_ms, d.tally::text FROM agent_days d
                 JOIN unnest($1::bigint[], $2::bigint[]) AS k (agent, day_ms) USING (agent, day_ms)"
            }
        };
        let (first, second) = (col(keys, |k| k.0), col(keys, |k| k.1));
        for row in self.query("loading tallies", sql, &[&first, &second])? {
            let key = (get(&row, 0, "tallies")?, get(&row, 1, "tallies")?);
            found.insert(key, get(&row, 2, "tallies")?);
        }
        Ok(found)
    }

    fn write(&mut self, rows: &Rows) -> Result<(), Error> {
        for r in rows.log.chunks(CHUNK) {
            self.run(
                "appending to the log",
                "INSERT INTO log (seq, at_ms, kind, body)
                 SELECT seq, at_ms, kind, body::json
                 FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS t (seq, at_ms, kind, body)",
                &[
                    &col(r, |r| r.seq),
                    &col(r, |r| r.at),
                    &col(r, |r| r.kind),
                    &col(r, |r| r.body.as_str()),
                ],
            )?;
        }
        for r in rows.contacts.chunks(CHUNK) {
            self.run(
                "storing contact records",
                "INSERT INTO contacts (id, seq, arrived_ms, finished_ms, ani, dnis, result, customer)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[],
                                      $5::text[], $6::text[], $7::text[], $8::text[])",
                &[
                    &col(r, |r| r.id),
                    &col(r, |r| r.seq),
                    &col(r, |r| r.arrived),
                    &col(r, |r| r.finished),
                    &col(r, |r| r.ani.as_deref()),
                    &col(r, |r| r.dnis.as_str()),
                    &col(r, |r| r.result),
                    &col(r, |r| r.customer.as_ref().map(Code::as_str)),
                ],
            )?;
        }
        for r in rows.legs.chunks(CHUNK) {
            let w = |f: fn(&project::WorkRow) -> i64| col(r, move |r| r.work.as_ref().map(f));
            self.run(
                "storing legs",
                "INSERT INTO legs (queued_ms, contact, leg, queue, entry, disposition, left_line_ms,
                     agent, answered_ms, talk_ms, hold_ms, wrap_ms, outcome, reason)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::text[],
                     $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
                     $12::bigint[], $13::text[], $14::text[])",
                &[
                    &col(r, |r| r.queued),
                    &col(r, |r| r.contact),
                    &col(r, |r| r.leg as i32),
                    &col(r, |r| r.queue),
                    &col(r, |r| r.entry),
                    &col(r, |r| r.disposition),
                    &col(r, |r| r.left_line),
                    &w(|w| w.agent),
                    &w(|w| w.answered),
                    &w(|w| w.talk),
                    &w(|w| w.hold),
                    &w(|w| w.wrap),
                    &col(r, |r| r.work.as_ref().and_then(|w| w.outcome.as_ref()).map(Code::as_str)),
                    &col(r, |r| r.reason.as_ref().map(Code::as_str)),
                ],
            )?;
        }
        for r in rows.intervals.chunks(CHUNK) {
            self.run(
                "storing agent state intervals",
                "INSERT INTO agent_states (seq, agent, state, reason, start_ms, end_ms)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],
                                      $5::bigint[], $6::bigint[])",
                &[
                    &col(r, |r| r.seq),
                    &col(r, |r| r.agent),
                    &col(r, |r| r.state),
                    &col(r, |r| r.reason.as_ref().map(Code::as_str)),
                    &col(r, |r| r.start),
                    &col(r, |r| r.end),
                ],
            )?;
        }
        for r in rows.surveys.chunks(CHUNK) {
            self.run(
                "storing surveys",
                "INSERT INTO surveys (seq, contact, at_ms, score)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::smallint[])",
                &[
                    &col(r, |r| r.seq),
                    &col(r, |r| r.contact),
                    &col(r, |r| r.at),
                    &col(r, |r| r.value as i16),
                ],
            )?;
        }
        for r in rows.sales.chunks(CHUNK) {
            self.run(
                "storing sales",
                "INSERT INTO sales (seq, contact, at_ms, won, revenue_cents)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::boolean[], $5::bigint[])",
                &[
                    &col(r, |r| r.seq),
                    &col(r, |r| r.contact),
                    &col(r, |r| r.at),
                    &col(r, |r| r.won),
                    &col(r, |r| r.value),
                ],
            )?;
        }
        for r in rows.names.chunks(CHUNK) {
            self.run(
                "storing names",
                "INSERT INTO names (entity, id, name, at_ms)
                 SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])
                 ON CONFLICT (entity, id) DO UPDATE SET name = excluded.name, at_ms = excluded.at_ms",
                &[
                    &col(r, |r| r.entity),
                    &col(r, |r| r.id),
                    &col(r, |r| r.name.as_str()),
                    &col(r, |r| r.at),
                ],
            )?;
        }
        if let Some((first, last)) = rows.span {
            self.run(
                "widening the log's time span",
                "INSERT INTO log_span (id, first_ms, last_ms) VALUES (0, $1, $2)
                 ON CONFLICT (id) DO UPDATE
                 SET first_ms = least(log_span.first_ms, excluded.first_ms),
                     last_ms = greatest(log_span.last_ms, excluded.last_ms)",
                &[&first, &last],
            )?;
        }
        for r in rows.agents.chunks(CHUNK) {
            self.run(
                "storing agents' states",
                "INSERT INTO agent_now (agent, state, reason, since_ms)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])
                 ON CONFLICT (agent) DO UPDATE
                 SET state = excluded.state, reason = excluded.reason, since_ms = excluded.since_ms",
                &[
                    &col(r, |r| r.agent),
                    &col(r, |r| r.state),
                    &col(r, |r| r.reason.as_ref().map(Code::as_str)),
                    &col(r, |r| r.start),
                ],
            )?;
        }
        for r in rows.live.chunks(CHUNK) {
            self.run(
                "storing live contacts",
                "INSERT INTO contacts_live (contact, queue, for_agent, since_ms, phase, callback)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[],
                                      $5::text[], $6::boolean[])
                 ON CONFLICT (contact) DO UPDATE
                 SET queue = excluded.queue, for_agent = excluded.for_agent,
                     since_ms = excluded.since_ms, phase = excluded.phase, callback = excluded.callback",
                &[
                    &col(r, |r| r.contact),
                    &col(r, |r| r.queue),
                    &col(r, |r| r.for_agent),
                    &col(r, |r| r.since),
                    &col(r, |r| r.phase),
                    &col(r, |r| r.callback),
                ],
            )?;
        }
        for gone in rows.gone.chunks(CHUNK) {
            self.run(
                "removing live contacts",
                "DELETE FROM contacts_live WHERE contact = ANY($1)",
                &[&gone],
            )?;
        }
        for r in rows.queue_slots.chunks(CHUNK) {
            self.run(
                "storing queue slot tallies",
                "INSERT INTO queue_slots (queue, slot_ms, tally)
                 SELECT queue, slot_ms, tally::jsonb
                 FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS t (queue, slot_ms, tally)
                 ON CONFLICT (slot_ms, queue) DO UPDATE SET tally = excluded.tally",
                &[
                    &col(r, |r| r.key),
                    &col(r, |r| r.start),
                    &col(r, |r| r.tally.as_str()),
                ],
            )?;
        }
        for r in rows.agent_days.chunks(CHUNK) {
            self.run(
                "storing agent day tallies",
                "INSERT INTO agent_days (agent, day_ms, tally)
                 SELECT agent, day_ms, tally::jsonb
                 FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS t (agent, day_ms, tally)
                 ON CONFLICT (day_ms, agent) DO UPDATE SET tally = excluded.tally",
                &[
                    &col(r, |r| r.key),
                    &col(r, |r| r.start),
                    &col(r, |r| r.tally.as_str()),
                ],
            )?;
        }
        Ok(())
    }

    fn clear_projections(&mut self) -> Result<(), Error> {
        self.tx
            .batch_execute(&format!("TRUNCATE {}", PROJECTIONS.join(", ")))
            .map_err(Error::postgres("emptying the projections"))
    }

    fn snapshot_projections(&mut self) -> Result<(), Error> {
        for table in PROJECTIONS {
            self.tx
                .batch_execute(&format!(
                    "DROP TABLE IF EXISTS pg_temp.snapshot_{table};
                     CREATE TEMP TABLE snapshot_{table} AS SELECT * FROM {table};"
                ))
                .map_err(Error::postgres("copying the projections aside"))?;
        }
        Ok(())
    }

    fn compare_projections(&mut self) -> Result<Vec<Mismatch>, Error> {
        let doing = "comparing the projections with a rebuild";
        let mut mismatches = Vec::new();
        for table in PROJECTIONS {
            let row = self
                .tx
                .query_one(
                    &format!(
                        "SELECT (SELECT count(*) FROM (SELECT * FROM {table} EXCEPT SELECT * FROM pg_temp.snapshot_{table}) a),
                                (SELECT count(*) FROM (SELECT * FROM pg_temp.snapshot_{table} EXCEPT SELECT * FROM {table}) b)"
                    ),
                    &[],
                )
                .map_err(Error::postgres(doing))?;
            let (missing, extra): (i64, i64) = (get(&row, 0, table)?, get(&row, 1, table)?);
            if missing != 0 || extra != 0 {
                mismatches.push(Mismatch {
                    table,
                    missing: missing as u64,
                    extra: extra as u64,
                });
            }
            self.tx
                .batch_execute(&format!("DROP TABLE pg_temp.snapshot_{table}"))
                .map_err(Error::postgres(doing))?;
        }
        Ok(mismatches)
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>, Error> {
        let rows = self.query(
            "reading a setting",
            "SELECT value FROM settings WHERE key = $1",
            &[&key],
        )?;
        rows.first().map(|row| get(row, 0, "settings")).transpose()
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), Error> {
        self.run(
            "storing a setting",
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )
    }
}

fn log_entry(row: &Row) -> Result<LogEntry, Error> {
    let seq = uint("log", "seq", get(row, 0, "log")?)?;
    let body: &str = get(row, 1, "log")?;
    Ok(LogEntry {
        seq,
        fact: decode(seq, body)?,
    })
}

/// A legs row (contact, queue, entry, queued_ms, disposition, left_line_ms,
/// agent, answered_ms, talk_ms, hold_ms, wrap_ms, outcome) as the leg fact.
fn leg(row: &Row, codes: &mut Codes) -> Result<LegFact, Error> {
    let t = "legs";
    let contact: i64 = get(row, 0, t)?;
    let bad = |what: &str| Error::corrupt(t, format!("of contact {contact}"), what);
    let ms = |i: usize| -> Result<u64, Error> { uint(t, contact, get(row, i, t)?) };
    let entry =
        columns::parse_entry(get::<&str>(row, 2, t)?.as_bytes()).ok_or_else(|| bad("bad entry"))?;
    let disposition = columns::parse_disposition(get::<&str>(row, 4, t)?.as_bytes())
        .ok_or_else(|| bad("bad disposition"))?;
    let work = match get::<Option<i64>>(row, 6, t)? {
        None => None,
        Some(agent) => Some(Work {
            agent: AgentId(id32(t, contact, agent)?),
            answered: Time::from_millis(ms(7)?),
            talk: Span::from_millis(ms(8)?),
            hold: Span::from_millis(ms(9)?),
            wrap: Span::from_millis(ms(10)?),
            outcome: get::<Option<&str>>(row, 11, t)?
                .map(|text| codes.get(text))
                .transpose()
                .map_err(|what| bad(&what))?,
        }),
    };
    Ok(LegFact {
        contact: ContactId(uint(t, contact, contact)?),
        queue: QueueId(id32(t, contact, get(row, 1, t)?)?),
        entry,
        queued: Time::from_millis(ms(3)?),
        disposition,
        left_line: Time::from_millis(ms(5)?),
        work,
    })
}

fn range(range: TimeRange) -> [i64; 2] {
    [bound(range.from.as_millis()), bound(range.to.as_millis())]
}

impl Store for PgStore {
    fn append(&mut self, facts: &[Fact]) -> Result<std::ops::Range<u64>, Error> {
        self.write("appending facts", |tx, zone| {
            project::append(tx, zone, facts)
        })
    }

    fn next_seq(&self) -> Result<u64, Error> {
        let mut next = 0;
        self.each(
            "reading the log's length",
            "SELECT coalesce(max(seq) + 1, 0) FROM log",
            std::iter::empty::<i64>(),
            |row| {
                next = uint("log", "max(seq)", get(row, 0, "log")?)?;
                Ok(())
            },
        )?;
        Ok(next)
    }

    fn read_log(&self, from_seq: u64, limit: usize) -> Result<Vec<LogEntry>, Error> {
        let mut entries = Vec::new();
        self.each(
            "reading the log",
            "SELECT seq, body::text FROM log WHERE seq >= $1 ORDER BY seq LIMIT $2",
            [bound(from_seq), i64::try_from(limit).unwrap_or(i64::MAX)],
            |row| {
                entries.push(log_entry(row)?);
                Ok(())
            },
        )?;
        Ok(entries)
    }

    fn contact(&self, id: ContactId) -> Result<Option<ContactRecord>, Error> {
        let Ok(id) = i64::try_from(id.0) else {
            return Ok(None);
        };
        let mut found = None;
        self.each(
            "reading a contact",
            "SELECT l.seq, l.body::text FROM contacts c JOIN log l ON l.seq = c.seq WHERE c.id = $1",
            [id],
            |row| {
                let seq = uint("log", "seq", get(row, 0, "contacts")?)?;
                found = Some(contact_record(seq, get(row, 1, "log")?)?);
                Ok(())
            },
        )?;
        Ok(found)
    }

    fn for_each_contact(
        &self,
        r: TimeRange,
        f: &mut dyn FnMut(ContactRecord),
    ) -> Result<u64, Error> {
        self.each(
            "reading contacts",
            "SELECT l.seq, l.body::text FROM contacts c JOIN log l ON l.seq = c.seq
             WHERE c.finished_ms >= $1 AND c.finished_ms < $2 ORDER BY c.finished_ms, c.id",
            range(r),
            |row| {
                let seq = uint("log", "seq", get(row, 0, "contacts")?)?;
                f(contact_record(seq, get(row, 1, "log")?)?);
                Ok(())
            },
        )
    }

    fn for_each_leg(&self, r: TimeRange, f: &mut dyn FnMut(&LegFact)) -> Result<u64, Error> {
        let mut codes = Codes::default();
        self.each(
            "reading legs",
            "SELECT contact, queue, entry, queued_ms, disposition, left_line_ms,
                    agent, answered_ms, talk_ms, hold_ms, wrap_ms, outcome
             FROM legs WHERE queued_ms >= $1 AND queued_ms < $2
             ORDER BY queued_ms, contact, leg",
            range(r),
            |row| {
                f(&leg(row, &mut codes)?);
                Ok(())
            },
        )
    }

    fn for_each_state_interval(
        &self,
        r: TimeRange,
        f: &mut dyn FnMut(&StateInterval),
    ) -> Result<u64, Error> {
        self.each(
            "reading agent states",
            // Overlapping the range, or empty and inside it.
            "SELECT seq, agent, state, reason, start_ms, end_ms FROM agent_states
             WHERE end_ms >= $1 AND (end_ms > $1 OR start_ms >= $1) AND start_ms < $2
             ORDER BY end_ms, seq",
            range(r),
            |row| {
                let t = "agent_states";
                let seq: i64 = get(row, 0, t)?;
                let state = columns::parse_state(get(row, 2, t)?, get(row, 3, t)?)
                    .map_err(|what| Error::corrupt(t, seq, what))?;
                f(&StateInterval {
                    agent: AgentId(id32(t, seq, get(row, 1, t)?)?),
                    state,
                    start: Time::from_millis(uint(t, seq, get(row, 4, t)?)?),
                    end: Time::from_millis(uint(t, seq, get(row, 5, t)?)?),
                });
                Ok(())
            },
        )
    }

    fn for_each_survey(&self, r: TimeRange, f: &mut dyn FnMut(&Survey)) -> Result<u64, Error> {
        self.each(
            "reading surveys",
            "SELECT seq, contact, at_ms, score FROM surveys WHERE at_ms >= $1 AND at_ms < $2 ORDER BY seq",
            range(r),
            |row| {
                let t = "surveys";
                let seq: i64 = get(row, 0, t)?;
                let score = u8::try_from(get::<i16>(row, 3, t)?)
                    .ok()
                    .and_then(|s| Score::new(s).ok())
                    .ok_or_else(|| Error::corrupt(t, seq, "score out of range"))?;
                f(&Survey {
                    contact: ContactId(uint(t, seq, get(row, 1, t)?)?),
                    at: Time::from_millis(uint(t, seq, get(row, 2, t)?)?),
                    score,
                });
                Ok(())
            },
        )
    }

    fn for_each_sale(&self, r: TimeRange, f: &mut dyn FnMut(&Sale)) -> Result<u64, Error> {
        self.each(
            "reading sales",
            "SELECT seq, contact, at_ms, won, revenue_cents FROM sales
             WHERE at_ms >= $1 AND at_ms < $2 ORDER BY seq",
            range(r),
            |row| {
                let t = "sales";
                let seq: i64 = get(row, 0, t)?;
                f(&Sale {
                    contact: ContactId(uint(t, seq, get(row, 1, t)?)?),
                    at: Time::from_millis(uint(t, seq, get(row, 2, t)?)?),
                    won: get(row, 3, t)?,
                    revenue: Money(get(row, 4, t)?),
                });
                Ok(())
            },
        )
    }

    fn for_each_queue_slot(
        &self,
        r: TimeRange,
        f: &mut dyn FnMut(QueueId, Time, &QueueTally),
    ) -> Result<u64, Error> {
        self.each(
            "reading queue slots",
            "SELECT queue, slot_ms, tally::text FROM queue_slots
             WHERE slot_ms >= $1 AND slot_ms < $2 ORDER BY slot_ms, queue",
            range(r),
            |row| {
                let t = "queue_slots";
                let (queue, slot): (i64, i64) = (get(row, 0, t)?, get(row, 1, t)?);
                let key = format!("({queue}, {slot})");
                let tally: QueueTally = serde_json::from_str(get(row, 2, t)?)
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
        r: TimeRange,
        f: &mut dyn FnMut(AgentId, Time, &AgentTally),
    ) -> Result<u64, Error> {
        let from = if r.from == Time::ZERO {
            i64::MIN
        } else {
            bound(r.from.as_millis())
        };
        self.each(
            "reading agent days",
            "SELECT agent, day_ms, tally::text FROM agent_days
             WHERE day_ms >= $1 AND day_ms < $2 ORDER BY day_ms, agent",
            [from, bound(r.to.as_millis())],
            |row| {
                let t = "agent_days";
                let (agent, day): (i64, i64) = (get(row, 0, t)?, get(row, 1, t)?);
                let key = format!("({agent}, {day})");
                let tally: project::StoredAgentTally = serde_json::from_str(get(row, 2, t)?)
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
            std::iter::empty::<i64>(),
            |row| {
                let t = "names";
                let id: i64 = get(row, 1, t)?;
                let kind: &str = get(row, 0, t)?;
                names.push(Naming {
                    entity: columns::parse_entity(kind, id32(t, id, id)?)
                        .ok_or_else(|| Error::corrupt(t, id, format!("unknown entity {kind:?}")))?,
                    name: get(row, 2, t)?,
                    at: Time::from_millis(uint(t, id, get(row, 3, t)?)?),
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
            "SELECT seq, body::text FROM log WHERE kind = 'imported' ORDER BY seq",
            std::iter::empty::<i64>(),
            |row| {
                if let Fact::Imported(mark) = log_entry(row)?.fact {
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
            "SELECT seq, body::text FROM log WHERE kind = 'admin' ORDER BY seq",
            std::iter::empty::<i64>(),
            |row| {
                if let Fact::Admin(change) = log_entry(row)?.fact {
                    changes.push(change);
                }
                Ok(())
            },
        )?;
        Ok(changes)
    }

    fn recent_contacts(&self, who: &Customer, limit: usize) -> Result<Vec<ContactRecord>, Error> {
        let (column, key) = match who {
            Customer::Id(id) => ("customer", id.as_str()),
            Customer::Ani(ani) => ("ani", ani.as_str()),
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT l.seq, l.body::text FROM contacts c JOIN log l ON l.seq = c.seq
             WHERE c.{column} = $1 ORDER BY c.arrived_ms DESC, c.id DESC LIMIT $2"
        );
        let mut found = Vec::new();
        self.each(
            "reading a customer's recent contacts",
            &sql,
            [&key as &(dyn ToSql + Sync), &limit],
            |row| {
                let seq = uint("log", "seq", get(row, 0, "contacts")?)?;
                found.push(contact_record(seq, get(row, 1, "log")?)?);
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
            std::iter::empty::<i64>(),
            |row| {
                let t = "log_span";
                let first = uint(t, 0, get(row, 0, t)?)?;
                let last = uint(t, 0, get(row, 1, t)?)?;
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
            "SELECT greatest((SELECT max(id) FROM contacts), (SELECT max(contact) FROM contacts_live))",
            std::iter::empty::<i64>(),
            |row| {
                last = get::<Option<i64>>(row, 0, "contacts")?
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
            std::iter::empty::<i64>(),
            |row| {
                let t = "agent_now";
                let agent: i64 = get(row, 0, t)?;
                agents.push(AgentNow {
                    agent: AgentId(id32(t, agent, agent)?),
                    state: columns::parse_state(get(row, 1, t)?, get(row, 2, t)?)
                        .map_err(|what| Error::corrupt(t, agent, what))?,
                    since: Time::from_millis(uint(t, agent, get(row, 3, t)?)?),
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
            "SELECT queue, count(*), count(*) FILTER (WHERE callback), min(since_ms) FROM contacts_live
             WHERE phase = 'waiting' AND for_agent IS NULL GROUP BY queue ORDER BY queue",
            std::iter::empty::<i64>(),
            |row| {
                let t = "contacts_live";
                let queue: i64 = get(row, 0, t)?;
                queues.push(QueueNow {
                    queue: QueueId(id32(t, queue, queue)?),
                    waiting: uint(t, queue, get(row, 1, t)?)?,
                    callbacks: uint(t, queue, get(row, 2, t)?)?,
                    oldest: Time::from_millis(uint(t, queue, get(row, 3, t)?)?),
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
        let client = self.client.get_mut();
        let mut tx = client.transaction().map_err(Error::postgres(doing))?;
        tx.batch_execute("LOCK TABLE log IN EXCLUSIVE MODE")
            .map_err(Error::postgres(doing))?;
        let mut pg = PgTx {
            tx,
            statements: &mut self.statements,
        };
        let verification = project::verify(&mut pg, &self.zone)?;
        pg.tx.rollback().map_err(Error::postgres(doing))?;
        Ok(verification)
    }
}
