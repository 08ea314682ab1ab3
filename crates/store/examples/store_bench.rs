//! Measures the store: appends finished contacts in batches (as an import
//! does), then streams every leg back.
//!
//! Usage: `cargo run --release -p store --example store_bench -- URL [CONTACTS] [BATCH] [verify]`
//! with URL a SQLite path or a postgres:// URL of an empty database;
//! `verify` also times a rebuild of the projections and a verification.
//! Contacts have one leg, or two when transferred (one in ten); times
//! advance 10 s per contact.

use std::time::Instant;

use acd::model::{AgentId, Code, ContactId, PhoneNumber, Priority, QueueId, Span, Time};
use acd::record::{ContactRecord, ContactResult, Leg, LegEnd};
use acd::{Record, RecordKind};
use kpi::Fact;
use store::TimeRange;

fn leg(queue: u32, agent: u32, at: Time, end: LegEnd, outcome: &Code) -> Leg {
    Leg {
        queue: QueueId(queue),
        for_agent: None,
        queued: at,
        offers: vec![],
        answered: Some(at + Span::from_secs(12)),
        agent: Some(AgentId(agent)),
        holds: vec![],
        ended: Some(at + Span::from_secs(190)),
        end: Some(end),
        callback: None,
        wrap_ended: Some(at + Span::from_secs(220)),
        outcome: Some(outcome.clone()),
        reason: None,
        notes: String::new(),
    }
}

fn contact(id: u64, outcomes: &[Code]) -> Fact {
    let at = Time::from_secs(1_772_406_000 + id * 10);
    let outcome = &outcomes[(id % 3) as usize];
    let (queue, agent) = ((id % 7) as u32 + 1, (id % 250) as u32 + 1);
    let legs = if id.is_multiple_of(10) {
        vec![
            leg(queue, agent, at, LegEnd::Transferred, outcome),
            leg(
                queue % 7 + 1,
                agent % 250 + 1,
                at + Span::from_secs(190),
                LegEnd::Handled,
                outcome,
            ),
        ]
    } else {
        vec![leg(queue, agent, at, LegEnd::Handled, outcome)]
    };
    let finished = legs.last().and_then(|l| l.wrap_ended).unwrap_or(at);
    Fact::Routing(Record {
        seq: id,
        at: finished,
        kind: RecordKind::ContactFinished(Box::new(ContactRecord {
            id: ContactId(id),
            ani: Some(PhoneNumber::parse(&format!("+8490{:07}", id % 10_000_000)).unwrap()),
            dnis: PhoneNumber::parse("19001234").unwrap(),
            priority: Priority(0),
            attributes: vec![],
            arrived: at,
            callback: false,
            legs,
            result: ContactResult::Handled,
            finished,
        })),
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .expect("usage: store_bench URL [CONTACTS] [BATCH]");
    let contacts: u64 = args.get(2).map_or(100_000, |n| n.parse().unwrap());
    let batch: u64 = args.get(3).map_or(10_000, |n| n.parse().unwrap());
    let outcomes = ["sale", "no_sale", "callback"].map(|c| Code::parse(c).unwrap());
    let mut store = store::open(url).unwrap();
    let first = store.last_contact_id().unwrap().map_or(1, |id| id.0 + 1);

    let started = Instant::now();
    let mut facts = Vec::with_capacity(batch as usize);
    let mut id = first;
    while id < first + contacts {
        facts.clear();
        let end = (id + batch).min(first + contacts);
        facts.extend((id..end).map(|i| contact(i, &outcomes)));
        store.append(&facts).unwrap();
        id = end;
    }
    let append = started.elapsed();
    println!(
        "append: {contacts} contacts in {:.1} s: {:.0} contacts/s, {:.1} µs per contact",
        append.as_secs_f64(),
        contacts as f64 / append.as_secs_f64(),
        append.as_secs_f64() * 1e6 / contacts as f64
    );

    let started = Instant::now();
    let mut talk = 0;
    let legs = store
        .for_each_leg(TimeRange::ALL, &mut |leg| {
            talk += leg.work.as_ref().map_or(0, |w| w.talk.as_millis())
        })
        .unwrap();
    let read = started.elapsed();
    println!(
        "legs: {legs} streamed in {:.2} s: {:.0} ns per leg (talk total {talk} ms)",
        read.as_secs_f64(),
        read.as_secs_f64() * 1e9 / legs as f64
    );

    if args.get(4).is_some_and(|a| a == "verify") {
        let started = Instant::now();
        store.rebuild_projections().unwrap();
        println!("rebuild: {:.1} s", started.elapsed().as_secs_f64());
        let started = Instant::now();
        let verification = store.verify().unwrap();
        println!(
            "verify: {:.1} s, {} facts, consistent: {}",
            started.elapsed().as_secs_f64(),
            verification.facts,
            verification.is_consistent()
        );
    }
}
