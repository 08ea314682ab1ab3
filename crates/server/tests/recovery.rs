//! Crash recovery: a core stopped without a clean shutdown leaves contacts
//! in progress and agents logged in; the next core closes them before it
//! takes a command, as interrupted contacts and logouts at the log's last
//! time, so nothing is lost, nothing counts as answered, and the outage is
//! no one's time.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use acd::model::{AgentId, ContactId, PhoneNumber, Priority, Span};
use acd::record::{ContactResult, LegEnd, OfferOutcome};
use acd::{AgentState, Event, Record, RecordKind, WrapUp};
use common::{LAN, MINH, QUEUE, START, config};
use kpi::{Bucketing, Count, Interval, QueueAggregator, QueueOptions};
use server::{Arrival, Clock, Core, ManualClock};
use store::TimeRange;

fn arrival() -> Arrival {
    Arrival {
        ani: Some(PhoneNumber::parse("5551234").unwrap()),
        dnis: PhoneNumber::parse("1900").unwrap(),
        queue: QUEUE,
        priority: Priority::default(),
        attributes: Vec::new(),
    }
}

fn offered_to(records: &[Record]) -> Option<AgentId> {
    records.iter().find_map(|r| match r.kind {
        RecordKind::Offered { agent, .. } => Some(agent),
        _ => None,
    })
}

#[tokio::test]
async fn a_crashed_run_is_closed_as_interrupted_at_its_last_logged_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db").to_str().unwrap().to_owned();
    let clock = Arc::new(ManualClock::new(START));
    let core = Core::start(config(), store::open(&path).unwrap(), clock.clone()).unwrap();
    let step = |secs| clock.advance(Span::from_secs(secs));

    for agent in [LAN, MINH] {
        core.apply(Event::AgentLoggedIn { agent }).await.unwrap();
        core.apply(Event::AgentReady { agent }).await.unwrap();
    }
    // One contact handled to the end.
    step(5);
    let (done, records) = core.arrive(arrival()).await.unwrap();
    let agent = offered_to(&records).unwrap();
    step(3);
    let accept = Event::OfferAccepted {
        contact: done,
        agent,
    };
    core.apply(accept).await.unwrap();
    step(60);
    core.apply(Event::ContactEnded { contact: done })
        .await
        .unwrap();
    step(10);
    let wrap = Event::WrapUpDone {
        agent,
        contact: done,
        wrap: WrapUp::default(),
    };
    core.apply(wrap).await.unwrap();
    // One talking, on hold at the crash.
    step(5);
    let (talking, records) = core.arrive(arrival()).await.unwrap();
    let talker = offered_to(&records).unwrap();
    step(2);
    let accept = Event::OfferAccepted {
        contact: talking,
        agent: talker,
    };
    core.apply(accept).await.unwrap();
    step(30);
    core.apply(Event::Held { contact: talking }).await.unwrap();
    // One ringing, one waiting.
    step(5);
    let (ringing, records) = core.arrive(arrival()).await.unwrap();
    let ringer = offered_to(&records).unwrap();
    assert_ne!(ringer, talker);
    step(4);
    let (waiting, records) = core.arrive(arrival()).await.unwrap();
    assert_eq!(offered_to(&records), None);
    let last = clock.now();

    // The crash: the core goes away without writing anything more, and the
    // server comes back ten minutes later. The engine thread must be gone
    // before the clock moves, or it would fire the ringing offer's timer
    // as a live server would: its record broadcast closes when it stops.
    let mut stopped = core.subscribe();
    drop(core);
    match stopped.recv().await {
        Err(tokio::sync::broadcast::error::RecvError::Closed) => {}
        other => panic!("the crashed core said something more: {other:?}"),
    }
    step(600);
    let core = Core::start(config(), store::open(&path).unwrap(), clock.clone()).unwrap();

    let mut store = store::open(&path).unwrap();
    assert_eq!(
        store.contact(done).unwrap().unwrap().result,
        ContactResult::Handled
    );
    for contact in [talking, ringing, waiting] {
        let record = store.contact(contact).unwrap().expect("closed at restart");
        assert_eq!(record.result, ContactResult::Interrupted, "{contact}");
        assert_eq!(record.finished, last);
        let leg = &record.legs[0];
        assert_eq!(leg.end, Some(LegEnd::Interrupted), "{contact}");
        assert_eq!(leg.ended, Some(last));
    }
    let talked = store.contact(talking).unwrap().unwrap();
    assert_eq!(talked.legs[0].agent, Some(talker));
    assert_eq!(talked.legs[0].holds[0].end, last, "the hold ends too");
    let rang = store.contact(ringing).unwrap().unwrap();
    let offer = &rang.legs[0].offers[0];
    assert_eq!(
        (offer.agent, offer.outcome),
        (ringer, OfferOutcome::NotAnswered)
    );
    assert!(store.current_queues().unwrap().is_empty());

    // Offered and interrupted, neither answered nor abandoned.
    let options = QueueOptions::new(Bucketing {
        interval: Interval::Day,
        time_zone: jiff::tz::TimeZone::UTC,
    });
    let mut report = QueueAggregator::new(&options).unwrap();
    store
        .for_each_queue_slot(TimeRange::ALL, &mut |queue, slot, tally| {
            report.add_slot(queue, slot, tally).unwrap()
        })
        .unwrap();
    let report = report.finish();
    assert_eq!(report.rows.len(), 1);
    let row = &report.rows[0];
    let count = |c| row.count(c);
    assert_eq!(count(Count::Offered), 4);
    assert_eq!(count(Count::Answered), 1);
    assert_eq!(count(Count::Interrupted), 3);
    assert_eq!(count(Count::Abandoned), 0);
    assert_eq!(count(Count::Handled), 1);

    // Every agent logged out at the last logged time: its states add up to
    // the time it was logged in before the crash, the outage to nothing.
    let mut logged_in: BTreeMap<AgentId, u64> = BTreeMap::new();
    store
        .for_each_state_interval(TimeRange::ALL, &mut |i| {
            *logged_in.entry(i.agent).or_default() += i.end.since(i.start).as_millis();
        })
        .unwrap();
    for now in store.current_agents().unwrap() {
        assert_eq!((now.state, now.since), (AgentState::LoggedOut, last));
        assert_eq!(logged_in[&now.agent], last.since(START).as_millis());
    }
    assert!(store.verify().unwrap().is_consistent());

    // The server takes new contacts, numbered after the old ones, and a
    // second restart finds nothing left to close.
    let (next, _) = core.arrive(arrival()).await.unwrap();
    assert_eq!(next, ContactId(waiting.0 + 1));
    core.apply(Event::AgentLoggedIn { agent: LAN })
        .await
        .unwrap();
    drop(core);
    let before = store.next_seq().unwrap();
    let core = Core::start(config(), store::open(&path).unwrap(), clock.clone()).unwrap();
    let after = store.next_seq().unwrap();
    assert_eq!(after, before + 2, "the new contact and Lan's login closed");
    let closed = store.read_log(before, 10).unwrap();
    assert!(closed.iter().all(|e| e.fact.at() == clock.now()));
    drop(core);
}
