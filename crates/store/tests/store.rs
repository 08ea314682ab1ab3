//! The store's behaviour, the same on every backend: each test below is a
//! function of a [`Backend`], instantiated at the end for SQLite (a file in
//! a temporary directory) and for PostgreSQL (a fresh database per test on
//! the server named by SWITCHBOARD_TEST_POSTGRES, which scripts/test
//! starts; unset, the PostgreSQL tests fail and say so).
//!
//! Key pieces: the scenarios (hand-made facts, and `Center` runs of a real
//! engine from `support`), the references they are checked against (kpi's
//! `Ledger` for legs, contacts and reports; the engine's own
//! `queue_status`/`agent_status` for current state), and the SIGKILL
//! durability test, whose writer is this test binary run again.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use acd::model::{AgentId, ContactId, QueueId, Span, Time};
use acd::record::{ContactRecord, LegEnd};
use acd::{AgentState, RecordKind};
use jiff::tz::{Offset, TimeZone};
use kpi::interval::{Bucketing, Interval};
use kpi::{
    Admin, AdminChange, AgentAggregator, Customer, CustomerRecord, Entity, Fact, ImportMark,
    Ledger, LegFact, Money, Naming, QueueAggregator, QueueOptions, Retired, Sale, Score, Survey,
};
use store::{Error, Options, Store, TimeRange};
use support::{
    AGENTS, Backend, Center, QUEUES, START, append_in_batches, code, finished, handled_contact,
    routing,
};

// ----- scenarios -----------------------------------------------------------

/// A finished simulation: ~150 contacts over about two hours around
/// midnight UTC, every agent logged out at the end.
fn full_run(seed: u64) -> Center {
    let mut center = Center::new(seed);
    center.arrivals(START + Span::from_secs(10), 150);
    center.closing(START + Span::from_secs(3 * 3600));
    center.run_until(Time::from_millis(u64::MAX));
    center
}

fn legs_of(facts: &[Fact]) -> Vec<LegFact> {
    let ledger = Ledger::from_facts(facts).unwrap();
    let mut legs = ledger.legs().to_vec();
    // The store streams by queue entry time then contact; a stable sort
    // keeps a contact's legs in their order.
    legs.sort_by_key(|leg| (leg.queued, leg.contact));
    legs
}

fn stored_legs(store: &dyn Store, range: TimeRange) -> Vec<LegFact> {
    let mut legs = Vec::new();
    let n = store
        .for_each_leg(range, &mut |leg| legs.push(leg.clone()))
        .unwrap();
    assert_eq!(n as usize, legs.len());
    legs
}

fn stored_contacts(store: &dyn Store) -> Vec<ContactRecord> {
    let mut contacts = Vec::new();
    store
        .for_each_contact(TimeRange::ALL, &mut |c| contacts.push(c))
        .unwrap();
    contacts
}

/// Everything a store answers, for before/after comparisons.
#[derive(Debug, PartialEq)]
struct Snapshot {
    next_seq: u64,
    log: Vec<store::LogEntry>,
    contacts: Vec<ContactRecord>,
    legs: Vec<LegFact>,
    intervals: Vec<store::StateInterval>,
    surveys: Vec<Survey>,
    sales: Vec<Sale>,
    names: Vec<Naming>,
    agents: Vec<store::AgentNow>,
    queues: Vec<store::QueueNow>,
    slots: Vec<(QueueId, Time, kpi::QueueTally)>,
    days: Vec<(AgentId, Time, kpi::AgentTally)>,
}

fn snapshot(store: &dyn Store) -> Snapshot {
    let all = TimeRange::ALL;
    let mut s = Snapshot {
        next_seq: store.next_seq().unwrap(),
        log: store.read_log(0, usize::MAX).unwrap(),
        contacts: stored_contacts(store),
        legs: stored_legs(store, all),
        intervals: Vec::new(),
        surveys: Vec::new(),
        sales: Vec::new(),
        names: store.names().unwrap(),
        agents: store.current_agents().unwrap(),
        queues: store.current_queues().unwrap(),
        slots: Vec::new(),
        days: Vec::new(),
    };
    store
        .for_each_state_interval(all, &mut |i| s.intervals.push(i.clone()))
        .unwrap();
    store
        .for_each_survey(all, &mut |x| s.surveys.push(x.clone()))
        .unwrap();
    store
        .for_each_sale(all, &mut |x| s.sales.push(x.clone()))
        .unwrap();
    store
        .for_each_queue_slot(all, &mut |q, t, tally| s.slots.push((q, t, tally.clone())))
        .unwrap();
    store
        .for_each_agent_day(all, &mut |a, t, tally| s.days.push((a, t, tally.clone())))
        .unwrap();
    s
}

fn assert_consistent(store: &mut dyn Store) {
    let verification = store.verify().unwrap();
    assert!(
        verification.is_consistent(),
        "{:?}",
        verification.mismatches
    );
    assert_eq!(verification.facts, store.next_seq().unwrap());
}

/// Surveys, sales and names about a run's contacts.
fn opinions(center: &Center) -> Vec<Fact> {
    let end = center.engine.now();
    let mut facts = Vec::new();
    for (i, contact) in [3u64, 5, 8].into_iter().enumerate() {
        facts.push(Fact::Survey(Survey {
            contact: ContactId(contact),
            at: end + Span::from_secs(i as u64),
            score: Score::new(i as u8 + 3).unwrap(),
        }));
    }
    facts.push(Fact::Sale(Sale {
        contact: ContactId(5),
        at: end + Span::from_secs(60),
        won: true,
        revenue: Money::from_units(1234.56),
    }));
    facts.push(Fact::Sale(Sale {
        contact: ContactId(8),
        at: end + Span::from_secs(61),
        won: false,
        revenue: Money(0),
    }));
    for (entity, name) in [
        (Entity::Queue(QueueId(1)), "Sales"),
        (Entity::Agent(AgentId(2)), "Lan"),
        (Entity::Queue(QueueId(1)), "Sales & Renewals"),
    ] {
        facts.push(Fact::Named(Naming {
            at: end,
            entity,
            name: name.into(),
        }));
    }
    // Dated long after the calls: the time span must leave it out.
    facts.push(Fact::Imported(ImportMark {
        at: end + Span::from_secs(86_400 * 365),
        format: "csv".into(),
        source: "calls.csv".into(),
        digest: "ab".repeat(32),
        contacts: 12,
    }));
    facts
}

// ----- tests -----------------------------------------------------------------

fn round_trip_of_every_fact_kind(backend: &Backend) {
    let center = full_run(1);
    let mut facts = center.facts();
    facts.extend(opinions(&center));
    let mut store = backend.open();
    assert_eq!(store.next_seq().unwrap(), 0);
    assert_eq!(store.time_bounds().unwrap(), None);
    assert_eq!(store.last_contact_id().unwrap(), None);
    assert_eq!(store.append(&facts[..10]).unwrap(), 0..10);
    assert_eq!(store.append(&[]).unwrap(), 10..10);
    assert_eq!(store.append(&facts[10..]).unwrap(), 10..facts.len() as u64);

    let log = store.read_log(0, usize::MAX).unwrap();
    assert_eq!(log.len(), facts.len());
    for (i, (entry, fact)) in log.iter().zip(&facts).enumerate() {
        assert_eq!(entry.seq, i as u64);
        assert_eq!(&entry.fact, fact, "log entry {i}");
    }
    let page = store.read_log(7, 3).unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [7, 8, 9]);

    let ledger = Ledger::from_facts(&facts).unwrap();
    assert_eq!(stored_contacts(&*store).len(), ledger.contacts().len());
    let mut expected: Vec<_> = ledger.contacts().to_vec();
    expected.sort_by_key(|c| (c.finished, c.id));
    assert_eq!(stored_contacts(&*store), expected);
    let some = &ledger.contacts()[17];
    assert_eq!(store.contact(some.id).unwrap().as_ref(), Some(some));
    assert_eq!(store.contact(ContactId(999_999)).unwrap(), None);

    let mut surveys = Vec::new();
    store
        .for_each_survey(TimeRange::ALL, &mut |s| surveys.push(s.clone()))
        .unwrap();
    assert_eq!(surveys, ledger.surveys());
    let mut sales = Vec::new();
    store
        .for_each_sale(TimeRange::ALL, &mut |s| sales.push(s.clone()))
        .unwrap();
    assert_eq!(sales, ledger.sales());
    assert_eq!(sales[0].revenue, Money(123_456));

    let times = facts
        .iter()
        .filter(|f| !matches!(f, Fact::Named(_) | Fact::Imported(_)))
        .map(Fact::at);
    let bounds = (times.clone().min().unwrap(), times.max().unwrap());
    assert_eq!(store.time_bounds().unwrap(), Some(bounds));
    let last = ledger.contacts().iter().map(|c| c.id).max();
    assert_eq!(store.last_contact_id().unwrap(), last);
    let imports = store.imports().unwrap();
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0].source, "calls.csv");

    // The later name wins; agents sort before queues.
    let names: Vec<_> = store
        .names()
        .unwrap()
        .into_iter()
        .map(|n| (n.entity, n.name))
        .collect();
    assert_eq!(
        names,
        [
            (Entity::Agent(AgentId(2)), "Lan".to_owned()),
            (Entity::Queue(QueueId(1)), "Sales & Renewals".to_owned()),
        ]
    );
    assert_consistent(&mut *store);
}

fn append_is_atomic(backend: &Backend) {
    let mut store = backend.open();
    let good: Vec<Fact> = (1..=3)
        .map(|id| {
            finished(
                id,
                handled_contact(id, 1, 1, START + Span::from_secs(id * 100)),
            )
        })
        .collect();
    assert_eq!(store.append(&good).unwrap(), 0..3);
    let before = snapshot(&*store);

    // A finished contact whose answered leg never wrapped up does not
    // classify: the whole batch is refused, naming its position.
    let mut broken = handled_contact(10, 1, 2, START + Span::from_secs(1000));
    broken.legs[0].wrap_ended = None;
    let arrival = routing(
        5,
        START + Span::from_secs(1000),
        RecordKind::ContactArrived {
            contact: ContactId(11),
            ani: None,
            dnis: acd::model::PhoneNumber::parse("1900").unwrap(),
            queue: QueueId(1),
            priority: acd::model::Priority(0),
        },
    );
    let ready = routing(
        6,
        START + Span::from_secs(1000),
        RecordKind::AgentStateChanged {
            agent: AgentId(2),
            from: AgentState::LoggedOut,
            to: AgentState::Ready,
        },
    );
    let batch = vec![
        arrival.clone(),
        ready.clone(),
        finished(7, handled_contact(12, 2, 2, START + Span::from_secs(1000))),
        finished(8, broken),
    ];
    match store.append(&batch) {
        Err(Error::Kpi { seq: 6, source }) => {
            assert!(source.to_string().contains("contact#10 leg 0"), "{source}")
        }
        other => panic!("expected a classification error at seq 6, got {other:?}"),
    }
    assert_eq!(snapshot(&*store), before);

    // A contact that finished before, or twice in one batch.
    let again = finished(9, handled_contact(2, 1, 1, START + Span::from_secs(5000)));
    match store.append(&[arrival.clone(), again]) {
        Err(
            e @ Error::DuplicateContact {
                seq: 4,
                contact: ContactId(2),
            },
        ) => {
            assert!(e.to_string().contains("fact seq 4"), "{e}");
            assert!(e.to_string().contains("contact#2"), "{e}");
        }
        other => panic!("expected a duplicate at seq 4, got {other:?}"),
    }
    let twice = finished(9, handled_contact(20, 1, 1, START + Span::from_secs(5000)));
    match store.append(&[twice.clone(), ready.clone(), twice.clone()]) {
        Err(Error::DuplicateContact {
            seq: 5,
            contact: ContactId(20),
        }) => {}
        other => panic!("expected a duplicate at seq 5, got {other:?}"),
    }
    assert_eq!(snapshot(&*store), before);
    assert_consistent(&mut *store);

    // The store still takes good batches, right after the refused ones.
    assert_eq!(store.append(&[arrival, ready, twice]).unwrap(), 3..6);
    assert_eq!(stored_contacts(&*store).len(), 4);
    assert_consistent(&mut *store);
}

fn projections_match_a_rebuild(backend: &Backend) {
    let center = full_run(2);
    let mut facts = center.facts();
    facts.extend(opinions(&center));
    let mut store = backend.open();
    append_in_batches(&mut *store, &facts);
    assert_consistent(&mut *store);
    let before = snapshot(&*store);
    store.rebuild_projections().unwrap();
    assert_eq!(snapshot(&*store), before);
    assert_consistent(&mut *store);

    // Verify notices a projection changed behind the store's back, and
    // changes nothing itself.
    backend.execute(
        "DELETE FROM legs WHERE contact = 7; UPDATE agent_now SET since_ms = 0 WHERE agent = 1",
    );
    let verification = store.verify().unwrap();
    let tables: Vec<_> = verification
        .mismatches
        .iter()
        .map(|m| (m.table, m.missing, m.extra))
        .collect();
    let legs_of_7 = before
        .legs
        .iter()
        .filter(|l| l.contact == ContactId(7))
        .count() as u64;
    assert_eq!(tables, [("legs", legs_of_7, 0), ("agent_now", 1, 1)]);
    assert!(
        store.verify().unwrap().mismatches.len() == 2,
        "verify changed nothing"
    );
    store.rebuild_projections().unwrap();
    assert_eq!(snapshot(&*store), before);
}

fn current_state_follows_the_engine(backend: &Backend) {
    let mut center = Center::new(3);
    center.arrivals(START + Span::from_secs(10), 400);
    let mut store = backend.open();
    let mut appended = 0;
    let mut busy_queues = 0;
    // Cut the run at irregular times and compare with the engine's view.
    for step in 1..=40u64 {
        let cut = START + Span::from_secs(step * 331);
        center.run_until(cut);
        store.append(&center.facts()[appended..]).unwrap();
        appended = center.records.len();
        let now = center.engine.now();

        let agents = store.current_agents().unwrap();
        assert_eq!(agents.len(), AGENTS.len());
        for agent in agents {
            let status = center.engine.agent_status(agent.agent).unwrap();
            assert_eq!(
                (&agent.state, agent.since),
                (&status.state, status.since),
                "{} at step {step}",
                agent.agent
            );
        }
        let queues: BTreeMap<QueueId, store::QueueNow> = store
            .current_queues()
            .unwrap()
            .into_iter()
            .map(|q| (q.queue, q))
            .collect();
        for queue in QUEUES.map(QueueId) {
            let status = center.engine.queue_status(queue).unwrap();
            let stored = queues.get(&queue);
            assert_eq!(
                stored.map_or(0, |q| q.waiting as usize),
                status.waiting,
                "{queue} waiting at step {step}"
            );
            assert_eq!(
                stored.map(|q| now.since(q.oldest)),
                status.longest_wait,
                "{queue} at step {step}"
            );
            busy_queues += usize::from(stored.is_some());
        }
    }
    assert!(
        busy_queues > 20,
        "the scenario queues contacts ({busy_queues} busy queue cuts)"
    );
    assert_consistent(&mut *store);
}

fn legs_stream_as_kpi_classifies_them(backend: &Backend) {
    let center = full_run(4);
    let facts = center.facts();
    let mut store = backend.open();
    append_in_batches(&mut *store, &facts);
    let expected = legs_of(&facts);
    assert!(expected.len() > 150, "{} legs", expected.len());
    for kind in [LegEnd::Transferred, LegEnd::Abandoned] {
        let any = Ledger::from_facts(&facts)
            .unwrap()
            .contacts()
            .iter()
            .any(|c| c.legs.iter().any(|l| l.end == Some(kind)));
        assert!(any, "the scenario has a {kind:?} leg");
    }
    assert_eq!(stored_legs(&*store, TimeRange::ALL), expected);

    let (from, to) = (START + Span::from_secs(1800), START + Span::from_secs(3600));
    let part: Vec<_> = expected
        .iter()
        .filter(|l| (from..to).contains(&l.queued))
        .cloned()
        .collect();
    assert!(!part.is_empty());
    assert_eq!(stored_legs(&*store, TimeRange::new(from, to)), part);

    // Reports from the stored slot tallies equal reports from the legs.
    for interval in [Interval::Minutes15, Interval::Minutes60, Interval::Day] {
        let options = QueueOptions::new(Bucketing {
            interval,
            time_zone: TimeZone::UTC,
        });
        let mut from_legs = QueueAggregator::new(&options).unwrap();
        for leg in &expected {
            from_legs.add_leg(leg).unwrap();
        }
        let mut from_slots = QueueAggregator::new(&options).unwrap();
        store
            .for_each_queue_slot(TimeRange::ALL, &mut |queue, slot, tally| {
                from_slots.add_slot(queue, slot, tally).unwrap()
            })
            .unwrap();
        assert_eq!(from_slots.finish(), from_legs.finish(), "{interval:?}");
    }
}

/// Agent days and state intervals, in UTC (the run crosses midnight) and
/// in a zone seven hours east (where it stays in one morning): changing
/// the store's zone re-derives the days.
fn agent_time_matches_the_ledger(backend: &Backend) {
    let center = full_run(5);
    let facts = center.facts();
    let end = facts.last().unwrap().at();
    let ledger = Ledger::from_facts(&facts).unwrap();
    let east = TimeZone::fixed(Offset::from_hours(7).unwrap());
    for (zone, expected_days) in [(TimeZone::UTC, 2), (east, 1)] {
        // A new store takes the zone asked for; an existing one keeps its
        // own until told otherwise.
        let mut store = backend.open_with(&Options {
            time_zone: Some(zone.clone()),
        });
        if store.next_seq().unwrap() == 0 {
            append_in_batches(&mut *store, &facts);
        } else {
            assert_eq!(store.time_zone(), TimeZone::UTC);
            store.set_time_zone(&zone).unwrap();
        }
        assert_eq!(store.time_zone(), zone);
        assert_consistent(&mut *store);
        let days = Bucketing {
            interval: Interval::Day,
            time_zone: zone.clone(),
        };
        let mut aggregator = AgentAggregator::new(Some(&days));
        store
            .for_each_agent_day(TimeRange::ALL, &mut |agent, day, tally| {
                aggregator.add_tally(agent, day, tally).unwrap()
            })
            .unwrap();
        for agent in store.current_agents().unwrap() {
            if agent.state != AgentState::LoggedOut {
                aggregator
                    .add_state(agent.agent, &agent.state, agent.since, end)
                    .unwrap();
            }
        }
        let report = aggregator.finish();
        assert_eq!(
            report,
            ledger.agent_report(Some(&days)).unwrap(),
            "{zone:?}"
        );
        let starts: BTreeSet<_> = report.rows.iter().map(|r| r.start.clone()).collect();
        assert_eq!(starts.len(), expected_days, "{zone:?}");
        assert_eq!(report.rows.len(), expected_days * AGENTS.len(), "{zone:?}");
    }

    // Intervals: every closed logged-in state, in closing order.
    let mut expected = Vec::new();
    let mut open: BTreeMap<AgentId, (AgentState, Time)> = BTreeMap::new();
    for record in &center.records {
        if let RecordKind::AgentStateChanged { agent, to, .. } = &record.kind {
            if let Some((state, since)) = open.remove(agent) {
                expected.push(store::StateInterval {
                    agent: *agent,
                    state,
                    start: since,
                    end: record.at,
                });
            }
            if *to != AgentState::LoggedOut {
                open.insert(*agent, (to.clone(), record.at));
            }
        }
    }
    let store = backend.open();
    assert_eq!(
        store.time_zone(),
        TimeZone::fixed(Offset::from_hours(7).unwrap())
    );
    let mut intervals = Vec::new();
    store
        .for_each_state_interval(TimeRange::ALL, &mut |i| intervals.push(i.clone()))
        .unwrap();
    expected.sort_by_key(|i| i.end);
    assert_eq!(intervals, expected);
    // A window keeps what overlaps it and what starts inside it.
    let (from, to) = (START + Span::from_secs(3000), START + Span::from_secs(4000));
    let mut window = Vec::new();
    store
        .for_each_state_interval(TimeRange::new(from, to), &mut |i| window.push(i.clone()))
        .unwrap();
    let inside: Vec<_> = expected
        .iter()
        .filter(|i| i.start < to && (i.end > from || i.start >= from))
        .cloned()
        .collect();
    assert_eq!(window, inside);
}

fn reopen_keeps_everything(backend: &Backend) {
    let mut center = Center::new(6);
    center.arrivals(START + Span::from_secs(10), 60);
    center.run_until(START + Span::from_secs(1200));
    let saigon = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let mut store = backend.open_with(&Options {
        time_zone: Some(saigon.clone()),
    });
    append_in_batches(&mut *store, &center.facts());
    let before = snapshot(&*store);
    assert!(!before.queues.is_empty() || !before.agents.is_empty());
    drop(store);
    let mut store = backend.open();
    assert_eq!(snapshot(&*store), before);
    assert_eq!(store.time_zone().iana_name(), saigon.iana_name());
    // And it goes on where it stopped.
    let done = center.records.len();
    center.run_until(START + Span::from_secs(2400));
    let more = &center.facts()[done..];
    assert_eq!(
        store.append(more).unwrap(),
        before.next_seq..before.next_seq + more.len() as u64
    );
    assert_consistent(&mut *store);
}

fn a_newer_schema_is_refused(backend: &Backend) {
    drop(backend.open());
    backend.execute("INSERT INTO schema_version (version, applied_ms) VALUES (999, 0)");
    match store::open(&backend.url) {
        Err(
            e @ Error::SchemaTooNew {
                found: 999,
                known: 4,
            },
        ) => {
            assert!(e.to_string().contains("version 999"), "{e}");
            assert!(e.to_string().contains("upgrade Switchboard"), "{e}");
        }
        Err(other) => panic!("expected SchemaTooNew, got {other}"),
        Ok(_) => panic!("a schema newer than the code was accepted"),
    }
}

fn streaming_reads_can_nest_or_refuse(backend: &Backend) {
    let mut store = backend.open();
    let facts: Vec<Fact> = (1..=3)
        .map(|id| {
            finished(
                id,
                handled_contact(id, 1, 1, START + Span::from_secs(id * 100)),
            )
        })
        .collect();
    store.append(&facts).unwrap();
    let store = &*store;
    let mut inner = Vec::new();
    store
        .for_each_leg(TimeRange::ALL, &mut |leg| {
            inner.push(store.contact(leg.contact).map(|c| c.is_some()))
        })
        .unwrap();
    for result in inner {
        match result {
            Ok(found) => assert!(found),
            Err(Error::Reentrant) => {}
            Err(other) => panic!("a nested read failed: {other}"),
        }
    }
}

// ----- durability ------------------------------------------------------------

/// The env var that turns `durability_writer` into the writer child.
const WRITER_URL: &str = "SWITCHBOARD_STORE_WRITER_URL";

/// Facts of one batch: `1 + b * 37 % 150` routing records, each carrying
/// (batch, position, size) in its engine seq, so a torn batch shows.
fn writer_batch(b: u64) -> Vec<Fact> {
    let size = 1 + b * 37 % 150;
    (0..size)
        .map(|i| {
            let seq = b * 1_000_000 + i * 1000 + size;
            let at = START + Span::from_millis(b * 100_000 + i * 10);
            let contact = b * 1000 + i;
            match i % 3 {
                0 => routing(
                    seq,
                    at,
                    RecordKind::ContactArrived {
                        contact: ContactId(contact),
                        ani: None,
                        dnis: acd::model::PhoneNumber::parse("1900").unwrap(),
                        queue: QueueId(1),
                        priority: acd::model::Priority(0),
                    },
                ),
                1 => routing(
                    seq,
                    at,
                    RecordKind::AgentStateChanged {
                        agent: AgentId((b % 5) as u32),
                        from: AgentState::Ready,
                        to: if i % 2 == 0 {
                            AgentState::Ready
                        } else {
                            AgentState::NotReady(code("lunch"))
                        },
                    },
                ),
                _ => {
                    let mut fact =
                        finished(seq, handled_contact(contact - 2, 1, (b % 5) as u32, at));
                    if let Fact::Routing(record) = &mut fact {
                        record.at = at;
                    }
                    fact
                }
            }
        })
        .collect()
}

/// Not a test on its own: the child process of `durability`, which runs
/// this binary again with WRITER_URL set. It appends batches until killed,
/// printing `ack N` after each append returned.
#[test]
fn durability_writer() {
    let Ok(url) = std::env::var(WRITER_URL) else {
        return;
    };
    let mut store = store::open(&url).unwrap();
    let next = store.next_seq().unwrap();
    let mut b = match next {
        0 => 0,
        _ => batch_of(&store.read_log(next - 1, 1).unwrap()[0].fact).0,
    };
    let mut out = std::io::stdout();
    loop {
        b += 1;
        store.append(&writer_batch(b)).unwrap();
        writeln!(out, "ack {b}").unwrap();
        out.flush().unwrap();
    }
}

/// (batch, position, size) of a writer fact.
fn batch_of(fact: &Fact) -> (u64, u64, u64) {
    let Fact::Routing(record) = fact else {
        panic!("the writer writes routing records only")
    };
    (
        record.seq / 1_000_000,
        record.seq / 1000 % 1000,
        record.seq % 1000,
    )
}

fn durability(backend: &Backend) {
    let mut acked = 0;
    for round in 0..3u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "durability_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER_URL, &backend.url)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut ack = |line: std::io::Result<String>| {
            let line = line.unwrap();
            line.strip_prefix("ack ")
                .map(|n| acked = n.parse().unwrap())
                .is_some()
        };
        let started = Instant::now();
        let mut seen = 0;
        while seen < 20 + round * 15 && started.elapsed() < Duration::from_secs(60) {
            match lines.next() {
                Some(line) => seen += u64::from(ack(line)),
                None => break,
            }
        }
        assert!(seen > 0, "the writer appended nothing (round {round})");
        // Land the kill somewhere inside a later append.
        std::thread::sleep(Duration::from_millis(3 + round * 7));
        child.kill().unwrap();
        child.wait().unwrap();
        // The acknowledgements it printed before it died.
        for line in lines {
            ack(line);
        }

        let mut store = backend.open();
        let log = store.read_log(0, usize::MAX).unwrap();
        let mut expected = (1, 0);
        for entry in &log {
            let (b, i, size) = batch_of(&entry.fact);
            if (b, i) != expected {
                panic!(
                    "round {round}: seq {} is batch {b} position {i}, expected {expected:?}",
                    entry.seq
                );
            }
            expected = if i + 1 == size {
                (b + 1, 0)
            } else {
                (b, i + 1)
            };
        }
        assert_eq!(expected.1, 0, "round {round}: the last batch is torn");
        let last = expected.0 - 1;
        assert!(
            (acked..=acked + 1).contains(&last),
            "round {round}: {last} whole batches, {acked} acknowledged"
        );
        assert_consistent(&mut *store);
    }
}

// ----- instantiation ----------------------------------------------------------

/// Administration changes come back in log order and stay out of the log's
/// time span; a caller's recent contacts come newest first, by customer id
/// or by number.
fn admin_changes_and_recent_contacts(backend: &Backend) {
    let mut store = backend.open();
    let admin = |at: u64, change| {
        Fact::Admin(Admin {
            at: START + Span::from_secs(at),
            by: "admin".into(),
            change,
        })
    };
    let gold = AdminChange::Tier {
        tier: code("gold"),
        priority: acd::model::Priority(5),
    };
    let customer = AdminChange::Customer(CustomerRecord {
        id: code("C42"),
        name: "Trần Thị Mai".into(),
        phones: vec![acd::model::PhoneNumber::parse("+84901234567").unwrap()],
        tier: Some(code("gold")),
    });
    let retired = AdminChange::Retired(Retired::Queue(QueueId(9)));
    let mut other = handled_contact(4, 1, 1, START + Span::from_secs(400));
    other.ani = Some(acd::model::PhoneNumber::parse("+84281234567").unwrap());
    other.attributes.clear();
    let facts = vec![
        admin(0, gold.clone()),
        finished(0, handled_contact(1, 1, 1, START + Span::from_secs(100))),
        finished(1, handled_contact(2, 1, 1, START + Span::from_secs(300))),
        admin(1, customer.clone()),
        finished(2, handled_contact(3, 1, 1, START + Span::from_secs(200))),
        finished(3, other),
        admin(9_000, retired.clone()),
    ];
    store.append(&facts).unwrap();
    let changes: Vec<AdminChange> = store
        .admin_changes()
        .unwrap()
        .into_iter()
        .map(|a| a.change)
        .collect();
    assert_eq!(changes, [gold, customer, retired]);
    let (first, last) = store.time_bounds().unwrap().unwrap();
    assert_eq!(
        first,
        START + Span::from_secs(170),
        "the first contact finished"
    );
    assert!(
        last < START + Span::from_secs(9_000),
        "admin facts are not calls"
    );

    let ids = |who: &Customer, limit| -> Vec<u64> {
        store
            .recent_contacts(who, limit)
            .unwrap()
            .iter()
            .map(|c| c.id.0)
            .collect()
    };
    assert_eq!(ids(&Customer::Id(code("C42")), 10), [2, 3, 1]);
    assert_eq!(ids(&Customer::Id(code("C42")), 2), [2, 3]);
    let mai = Customer::Ani(acd::model::PhoneNumber::parse("+84901234567").unwrap());
    assert_eq!(ids(&mai, 10), [2, 3, 1]);
    let other = Customer::Ani(acd::model::PhoneNumber::parse("+84281234567").unwrap());
    assert_eq!(ids(&other, 10), [4]);
    assert!(ids(&Customer::Id(code("nobody")), 10).is_empty());
    assert_consistent(&mut *store);
}

macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $test() {
                super::$test(&super::Backend::sqlite());
            })*
        }
        mod postgres {
            $(#[test]
            fn $test() {
                if let Some(backend) = super::Backend::postgres(stringify!($test)) {
                    super::$test(&backend);
                }
            })*
        }
    };
}

on_every_backend!(
    round_trip_of_every_fact_kind,
    append_is_atomic,
    projections_match_a_rebuild,
    current_state_follows_the_engine,
    legs_stream_as_kpi_classifies_them,
    agent_time_matches_the_ledger,
    reopen_keeps_everything,
    a_newer_schema_is_refused,
    streaming_reads_can_nest_or_refuse,
    durability,
    admin_changes_and_recent_contacts,
);

#[test]
fn urls_pick_the_backend() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").join("b.db");
    drop(store::open(path.to_str().unwrap()).unwrap());
    assert!(
        path.exists(),
        "a bare path is a SQLite file, its directory created"
    );
    drop(store::open(&format!("sqlite://{}", path.display())).unwrap());
    for bad in ["mysql://localhost/db", "", "sqlite://"] {
        match store::open(bad) {
            Err(e @ Error::Url(_)) => assert!(e.to_string().contains("sqlite://PATH"), "{e}"),
            Err(other) => panic!("{bad:?}: expected a URL error, got {other}"),
            Ok(_) => panic!("{bad:?} was accepted"),
        }
    }
}
