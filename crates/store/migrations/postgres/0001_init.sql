-- Switchboard event store, PostgreSQL, version 1: the fact log and the
-- projections rebuilt from it. The same tables as the SQLite schema (see
-- migrations/sqlite/0001_init.sql for the meaning of each column). Times are
-- milliseconds since the Unix epoch; every id is a bigint because the
-- engine's ids are unsigned.
--
-- Two differences from SQLite, both for the speed of appends: the log body
-- is `json` (checked, stored as written) rather than `jsonb`, whose parsing
-- took a third of an append; and the projections have no foreign keys,
-- whose per-row triggers took another third (they are derived from the log
-- in one place, and Store::verify compares them with a rebuild).

CREATE TABLE log (
    seq bigint PRIMARY KEY,
    at_ms bigint NOT NULL,
    kind text NOT NULL,
    body json NOT NULL
);

CREATE TABLE settings (
    key text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE contacts (
    id bigint PRIMARY KEY,
    seq bigint NOT NULL,
    arrived_ms bigint NOT NULL,
    finished_ms bigint NOT NULL,
    ani text,
    dnis text NOT NULL,
    result text NOT NULL CHECK (result IN ('handled', 'abandoned', 'voicemail')),
    customer text
);
CREATE INDEX contacts_finished ON contacts (finished_ms, id);
CREATE INDEX contacts_customer ON contacts (customer) WHERE customer IS NOT NULL;

CREATE TABLE legs (
    queued_ms bigint NOT NULL,
    contact bigint NOT NULL,
    leg integer NOT NULL,
    queue bigint NOT NULL,
    entry text NOT NULL CHECK (entry IN ('arrival', 'transfer', 'overflow')),
    disposition text NOT NULL CHECK (disposition IN
        ('answered', 'abandoned', 'overflowed', 'timed_out', 'callback_requested')),
    left_line_ms bigint NOT NULL,
    agent bigint,
    answered_ms bigint,
    talk_ms bigint,
    hold_ms bigint,
    wrap_ms bigint,
    outcome text,
    reason text,
    PRIMARY KEY (queued_ms, contact, leg)
);

CREATE TABLE agent_now (
    agent bigint PRIMARY KEY,
    state text NOT NULL,
    reason text,
    since_ms bigint NOT NULL
);

CREATE TABLE agent_states (
    seq bigint PRIMARY KEY,
    agent bigint NOT NULL,
    state text NOT NULL,
    reason text,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL
);
CREATE INDEX agent_states_end ON agent_states (end_ms);

CREATE TABLE contacts_live (
    contact bigint PRIMARY KEY,
    queue bigint NOT NULL,
    for_agent bigint,
    since_ms bigint NOT NULL,
    phase text NOT NULL CHECK (phase IN ('waiting', 'offered', 'connected')),
    callback boolean NOT NULL
);

CREATE TABLE surveys (
    seq bigint PRIMARY KEY,
    contact bigint NOT NULL,
    at_ms bigint NOT NULL,
    score smallint NOT NULL CHECK (score BETWEEN 1 AND 5)
);
CREATE INDEX surveys_at ON surveys (at_ms);

CREATE TABLE sales (
    seq bigint PRIMARY KEY,
    contact bigint NOT NULL,
    at_ms bigint NOT NULL,
    won boolean NOT NULL,
    revenue_cents bigint NOT NULL
);
CREATE INDEX sales_at ON sales (at_ms);

CREATE TABLE names (
    entity text NOT NULL CHECK (entity IN ('queue', 'agent')),
    id bigint NOT NULL,
    name text NOT NULL,
    at_ms bigint NOT NULL,
    PRIMARY KEY (entity, id)
);

CREATE TABLE log_span (
    id smallint PRIMARY KEY CHECK (id = 0),
    first_ms bigint NOT NULL,
    last_ms bigint NOT NULL
);

CREATE TABLE queue_slots (
    queue bigint NOT NULL,
    slot_ms bigint NOT NULL,
    tally jsonb NOT NULL,
    PRIMARY KEY (slot_ms, queue)
);

CREATE TABLE agent_days (
    agent bigint NOT NULL,
    day_ms bigint NOT NULL,
    tally jsonb NOT NULL,
    PRIMARY KEY (day_ms, agent)
);
