-- Switchboard event store, SQLite, version 1: the fact log and the
-- projections rebuilt from it. Times are milliseconds since the Unix epoch;
-- ids are the engine's numbers. Enumerations are stored as the snake_case
-- names the JSON of the log uses; their values are listed in comments, not
-- in CHECK (x IN (...)) constraints, because SQLite builds a temporary
-- table for such a list at every insert, which doubled the cost of an
-- append.

-- The log: every fact, in append order, as JSON (`kpi::Fact`). The only
-- table that is not derived; everything below can be rebuilt from it.
CREATE TABLE log (
    seq INTEGER PRIMARY KEY,          -- position, from 0, without gaps
    at_ms INTEGER NOT NULL,           -- Fact::at
    kind TEXT NOT NULL,               -- Fact::kind: routing, survey, sale, named
    body TEXT NOT NULL                -- the Fact as JSON
);

-- Store settings, such as the time zone of `agent_days`.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per finished contact (CDR). The ContactRecord itself is the body
-- of the ContactFinished fact at `seq`, so the JSON is kept once.
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL REFERENCES log (seq),
    arrived_ms INTEGER NOT NULL,
    finished_ms INTEGER NOT NULL,
    ani TEXT,
    dnis TEXT NOT NULL,
    result TEXT NOT NULL,             -- handled, abandoned, voicemail
    customer TEXT                     -- the value of the `customer` attribute
);
CREATE INDEX contacts_finished ON contacts (finished_ms);
CREATE INDEX contacts_customer ON contacts (customer) WHERE customer IS NOT NULL;

-- One row per classified leg (`kpi::LegFact`), clustered by the time the
-- leg entered its queue, which is how reports read them.
CREATE TABLE legs (
    queued_ms INTEGER NOT NULL,
    contact INTEGER NOT NULL REFERENCES contacts (id),
    leg INTEGER NOT NULL,             -- index in ContactRecord.legs
    queue INTEGER NOT NULL,
    entry TEXT NOT NULL,              -- arrival, transfer, overflow
    -- answered, abandoned, overflowed, timed_out, callback_requested
    disposition TEXT NOT NULL,
    left_line_ms INTEGER NOT NULL,
    -- The agent's work; all NULL unless an agent connected and wrapped up.
    agent INTEGER,
    answered_ms INTEGER,
    talk_ms INTEGER,
    hold_ms INTEGER,
    wrap_ms INTEGER,
    outcome TEXT,
    reason TEXT,                      -- call reason from wrap-up
    PRIMARY KEY (queued_ms, contact, leg)
) WITHOUT ROWID;

-- Each agent's shown state now.
CREATE TABLE agent_now (
    agent INTEGER PRIMARY KEY,
    state TEXT NOT NULL,              -- AgentState name: logged_out, ready, ..., not_ready
    reason TEXT,                      -- the not-ready reason code
    since_ms INTEGER NOT NULL
);

-- Every closed logged-in state interval; `seq` is the fact that closed it.
CREATE TABLE agent_states (
    seq INTEGER PRIMARY KEY REFERENCES log (seq),
    agent INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL
);
CREATE INDEX agent_states_end ON agent_states (end_ms);

-- Contacts in the ACD now: waiting in line, ringing at an agent or
-- connected. `since_ms` is the place-in-line time, which survives an
-- unanswered offer, an overflow and a switch to callback.
CREATE TABLE contacts_live (
    contact INTEGER PRIMARY KEY,
    queue INTEGER NOT NULL,
    for_agent INTEGER,                -- transferred to this agent by name
    since_ms INTEGER NOT NULL,
    phase TEXT NOT NULL,              -- waiting, offered, connected
    callback INTEGER NOT NULL         -- 0 or 1
);

CREATE TABLE surveys (
    seq INTEGER PRIMARY KEY REFERENCES log (seq),
    contact INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5)
);
CREATE INDEX surveys_at ON surveys (at_ms);

CREATE TABLE sales (
    seq INTEGER PRIMARY KEY REFERENCES log (seq),
    contact INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    won INTEGER NOT NULL,             -- 0 or 1
    revenue_cents INTEGER NOT NULL
);
CREATE INDEX sales_at ON sales (at_ms);

-- The name each queue and agent was last given (`kpi::Naming`).
CREATE TABLE names (
    entity TEXT NOT NULL,             -- queue, agent
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (entity, id)
);

-- The earliest and latest time of the facts (names aside): one row.
CREATE TABLE log_span (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    first_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL
);

-- `kpi::QueueTally` of the legs that entered `queue` in the UTC quarter
-- hour starting at `slot_ms`, as JSON.
CREATE TABLE queue_slots (
    queue INTEGER NOT NULL,
    slot_ms INTEGER NOT NULL,
    tally TEXT NOT NULL,
    PRIMARY KEY (slot_ms, queue)
);

-- `kpi::AgentTally` of `agent` for the local day (in the time zone of the
-- `time_zone` setting) starting at `day_ms`, as JSON. States count when
-- they close; handled work in the day the agent connected.
CREATE TABLE agent_days (
    agent INTEGER NOT NULL,
    day_ms INTEGER NOT NULL,
    tally TEXT NOT NULL,
    PRIMARY KEY (day_ms, agent)
);
