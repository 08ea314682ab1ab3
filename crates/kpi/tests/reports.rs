//! KPI reports over records of a real engine driven in simulated time.
//!
//! Key pieces: [`Center`] (an engine plus its records, on a clock in
//! seconds from the Unix epoch) and small builders. Each scenario's
//! figures are worked out by hand in its comments.

use std::collections::BTreeSet;

use acd::config::{
    AgentConfig, Config, OutcomeConfig, Overflow, ProfileEntry, QueueConfig, SkillConfig,
};
use acd::model::{
    AgentId, Code, Concurrency, ContactId, PhoneNumber, Priority, Proficiency, QueueId, SkillId,
    Span, Time,
};
use acd::{Engine, Event, NewContact, Record, Selector, WrapUp};
use jiff::tz::{Offset, TimeZone};
use kpi::{
    Bucketing, Count, Interval, Ledger, OutcomeOptions, Period, QueueOptions, QueueRow, Rate,
    SlDefinition,
};

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

fn queue(id: u32) -> QueueConfig {
    QueueConfig::new(QueueId(id), &format!("Q{id}"), SkillId(1), Proficiency::MIN)
}

fn agent(id: u32, queues: &[u32]) -> AgentConfig {
    AgentConfig {
        id: AgentId(id),
        name: format!("A{id}"),
        skills: vec![(SkillId(1), Proficiency::MIN)],
        profile: queues
            .iter()
            .map(|&q| ProfileEntry {
                queue: QueueId(q),
                priority: 1,
            })
            .collect(),
        concurrency: Concurrency::ONE,
    }
}

struct Center {
    engine: Engine,
    records: Vec<Record>,
}

impl Center {
    fn new(queues: Vec<QueueConfig>, agents: Vec<AgentConfig>) -> Self {
        let config = Config {
            skills: vec![SkillConfig {
                id: SkillId(1),
                name: "S1".into(),
            }],
            queues,
            agents,
            reason_codes: ["login", "missed", "lunch"].map(code).to_vec(),
            outcome_codes: vec![
                OutcomeConfig {
                    code: code("sale"),
                    success: true,
                },
                OutcomeConfig {
                    code: code("no_sale"),
                    success: false,
                },
            ],
            login_reason: code("login"),
            missed_offer_reason: code("missed"),
        };
        Center {
            engine: Engine::new(config, Selector::Indexed).unwrap(),
            records: Vec::new(),
        }
    }

    fn at(&mut self, secs: u64, event: Event) -> &mut Self {
        let shown = format!("{event:?}");
        if let Err(e) = self.engine.handle(Time::from_secs(secs), event) {
            panic!("refused at {secs} s: {shown}: {e}");
        }
        self.records.extend(self.engine.drain_records());
        self
    }

    fn ready(&mut self, secs: u64, agent: u32) -> &mut Self {
        self.at(
            secs,
            Event::AgentLoggedIn {
                agent: AgentId(agent),
            },
        )
        .at(
            secs,
            Event::AgentReady {
                agent: AgentId(agent),
            },
        )
    }

    fn arrive(&mut self, secs: u64, id: u64, queue: u32) -> &mut Self {
        self.at(
            secs,
            Event::ContactArrived(NewContact {
                id: ContactId(id),
                ani: None,
                dnis: PhoneNumber::parse("19001234").unwrap(),
                queue: QueueId(queue),
                priority: Priority(0),
                attributes: vec![],
            }),
        )
    }

    fn accept(&mut self, secs: u64, contact: u64, agent: u32) -> &mut Self {
        self.at(
            secs,
            Event::OfferAccepted {
                contact: ContactId(contact),
                agent: AgentId(agent),
            },
        )
    }

    fn end(&mut self, secs: u64, contact: u64) -> &mut Self {
        self.at(
            secs,
            Event::ContactEnded {
                contact: ContactId(contact),
            },
        )
    }

    fn hang_up(&mut self, secs: u64, contact: u64) -> &mut Self {
        self.at(
            secs,
            Event::CallerHungUp {
                contact: ContactId(contact),
            },
        )
    }

    fn wrap(&mut self, secs: u64, contact: u64, agent: u32, outcome: Option<&str>) -> &mut Self {
        self.at(
            secs,
            Event::WrapUpDone {
                agent: AgentId(agent),
                contact: ContactId(contact),
                wrap: WrapUp {
                    outcome: outcome.map(code),
                    reason: None,
                    notes: String::new(),
                },
            },
        )
    }

    fn ledger(&self) -> Ledger {
        Ledger::from_records(&self.records).unwrap()
    }
}

fn options(interval: Interval) -> QueueOptions {
    QueueOptions::new(Bucketing {
        interval,
        time_zone: TimeZone::UTC,
    })
}

fn only_row(ledger: &Ledger, options: &QueueOptions, queue: u32) -> QueueRow {
    let report = ledger.queue_report(options).unwrap();
    let rows: Vec<_> = report
        .rows
        .iter()
        .filter(|r| r.queue == QueueId(queue))
        .collect();
    assert_eq!(rows.len(), 1, "one interval for Q{queue}: {rows:?}");
    rows[0].clone()
}

fn ids(ids: Vec<ContactId>) -> BTreeSet<u64> {
    ids.into_iter().map(|c| c.0).collect()
}

/// One agent, five calls: answered after 5 s, 25 s and 12 s, abandoned
/// after 30 s and after 3 s (short). Handle times: c1 60 talk + 10 wrap,
/// c2 50 talk + 10 hold + 10 wrap, c3 40 talk + 5 wrap: 185 s in all.
/// A1: ready 0–100 and 297–320, ringing 100–105 and 245–252, lunch
/// 320–400, then logged out.
fn five_calls() -> Center {
    let mut c = Center::new(vec![queue(1)], vec![agent(1, &[1])]);
    c.ready(0, 1)
        .arrive(100, 1, 1)
        .accept(105, 1, 1)
        .arrive(150, 2, 1)
        .end(165, 1)
        .wrap(175, 1, 1, Some("sale"))
        .accept(175, 2, 1)
        .at(
            185,
            Event::Held {
                contact: ContactId(2),
            },
        )
        .at(
            195,
            Event::Resumed {
                contact: ContactId(2),
            },
        )
        .arrive(200, 4, 1)
        .arrive(210, 5, 1)
        .hang_up(213, 5)
        .hang_up(230, 4)
        .end(235, 2)
        .arrive(240, 3, 1)
        .wrap(245, 2, 1, None)
        .accept(252, 3, 1)
        .end(292, 3)
        .wrap(297, 3, 1, Some("no_sale"))
        .at(
            320,
            Event::AgentNotReady {
                agent: AgentId(1),
                reason: code("lunch"),
            },
        )
        .at(400, Event::AgentLoggedOut { agent: AgentId(1) });
    c
}

#[test]
fn queue_figures_of_five_calls() {
    let ledger = five_calls().ledger();
    let row = only_row(&ledger, &options(Interval::Minutes15), 1);
    assert_eq!(row.count(Count::Offered), 5);
    assert_eq!(row.count(Count::Answered), 3);
    assert_eq!(row.count(Count::AnsweredWithin), 2);
    assert_eq!(row.count(Count::Abandoned), 2);
    assert_eq!(row.count(Count::ShortAbandoned), 1);
    assert_eq!(row.count(Count::Handled), 3);
    assert_eq!(row.count(Count::Overflowed), 0);
    assert_eq!(row.service_level(SlDefinition::Answered), Some(2.0 / 3.0));
    assert_eq!(row.service_level(SlDefinition::Offered), Some(2.0 / 4.0));
    // Answered within T (c1, c3) plus abandoned within T (c5) of 3 + 2.
    assert_eq!(
        row.service_level(SlDefinition::AbandonNeutral),
        Some(3.0 / 5.0)
    );
    assert_eq!(row.asa, Some(14.0));
    assert_eq!(row.average_abandon_time, Some(30.0));
    assert_eq!(row.abandon_rate, Some(1.0 / 4.0));
    assert_eq!(row.max_wait, 30.0);
    assert_eq!(row.aht, Some(185.0 / 3.0));
}

#[test]
fn a_zero_short_abandon_threshold_counts_every_abandon() {
    let ledger = five_calls().ledger();
    let mut options = options(Interval::Day);
    options.short_abandon = Span::ZERO;
    let row = only_row(&ledger, &options, 1);
    assert_eq!(row.count(Count::ShortAbandoned), 0);
    assert_eq!(row.abandon_rate, Some(2.0 / 5.0));
    assert_eq!(row.service_level(SlDefinition::Offered), Some(2.0 / 5.0));
    assert_eq!(row.average_abandon_time, Some(33.0 / 2.0));
}

#[test]
fn drill_down_lists_the_contacts_behind_each_count() {
    let ledger = five_calls().ledger();
    let options = options(Interval::Minutes15);
    let row = only_row(&ledger, &options, 1);
    let behind = |count| {
        ids(ledger
            .queue_contacts(&options, QueueId(1), &row.start, count)
            .unwrap())
    };
    assert_eq!(behind(Count::Abandoned), BTreeSet::from([4, 5]));
    assert_eq!(behind(Count::ShortAbandoned), BTreeSet::from([5]));
    assert_eq!(behind(Count::AnsweredWithin), BTreeSet::from([1, 3]));
    assert_eq!(behind(Count::Offered), BTreeSet::from([1, 2, 3, 4, 5]));
    for count in Count::ALL {
        let listed = ledger
            .queue_contacts(&options, QueueId(1), &row.start, count)
            .unwrap();
        assert_eq!(listed.len() as u64, row.count(count), "{count:?}");
    }
    assert_eq!(
        ids(ledger.handled_by(AgentId(1))),
        BTreeSet::from([1, 2, 3])
    );
}

#[test]
fn agent_time_accounting_and_ratios() {
    let ledger = five_calls().ledger();
    let report = ledger.agent_report(None).unwrap();
    let row = report.row(AgentId(1)).unwrap();
    let secs = Span::from_secs;
    assert_eq!(row.logged_in, secs(400));
    assert_eq!(row.ready, secs(123));
    assert_eq!(row.reserved, secs(12));
    assert_eq!(row.talking, secs(150));
    assert_eq!(row.on_hold, secs(10));
    assert_eq!(row.wrap_up, secs(25));
    assert_eq!(row.not_ready, secs(80));
    assert_eq!(
        row.ready + row.reserved + row.talking + row.on_hold + row.wrap_up + row.not_ready,
        row.logged_in
    );
    assert_eq!(row.not_ready_by_reason.get(&code("lunch")), Some(&secs(80)));
    assert_eq!(row.logouts, 1);
    assert_eq!(row.handled, 3);
    assert_eq!(row.aht, Some(185.0 / 3.0));
    assert_eq!(row.occupancy, Some(185.0 / 308.0));
    assert_eq!(row.utilization, Some(185.0 / 400.0));
    assert_eq!(row.not_ready_rate, Some(80.0 / 400.0));
    assert_eq!(row.not_ready_rate_by_reason.get(&code("lunch")), Some(&0.2));
    assert_eq!(row.calls_per_hour, Some(3.0 * 3600.0 / 400.0));
}

#[test]
fn outcome_codes_against_a_monthly_target() {
    let ledger = five_calls().ledger();
    let options = OutcomeOptions {
        period: Period::Month,
        time_zone: TimeZone::UTC,
        success: BTreeSet::from([code("sale")]),
        target: Some(Rate::new(0.3).unwrap()),
    };
    let report = ledger.outcome_report(&options).unwrap();
    assert_eq!(report.rows.len(), 1);
    let row = &report.rows[0];
    assert_eq!(row.handled, 3);
    assert_eq!(row.by_code.get(&code("sale")), Some(&1));
    assert_eq!(row.by_code.get(&code("no_sale")), Some(&1));
    assert_eq!(row.uncoded, 1);
    assert_eq!(row.success_rate, Some(1.0 / 3.0));
    assert_eq!(row.met, Some(true));
    let strict = OutcomeOptions {
        target: Some(Rate::new(0.5).unwrap()),
        ..options.clone()
    };
    assert_eq!(
        ledger.outcome_report(&strict).unwrap().rows[0].met,
        Some(false)
    );
    let sales = ledger
        .outcome_contacts(&options, &row.start, Some(&code("sale")))
        .unwrap();
    assert_eq!(ids(sales), BTreeSet::from([1]));
    assert!(Rate::new(1.5).is_err());
    assert!(Rate::new(f64::NAN).is_err());
}

/// c1 enters at 00:14:50 and is answered at 00:15:05; c2 enters at
/// 00:15:10. A contact counts in the interval it entered the queue.
#[test]
fn contacts_belong_to_the_interval_they_entered() {
    let mut c = Center::new(vec![queue(1)], vec![agent(1, &[1])]);
    c.arrive(890, 1, 1)
        .ready(905, 1)
        .accept(905, 1, 1)
        .arrive(910, 2, 1)
        .end(920, 1)
        .wrap(920, 1, 1, None)
        .accept(925, 2, 1)
        .end(930, 2)
        .wrap(930, 2, 1, None);
    let ledger = c.ledger();
    let quarter = ledger.queue_report(&options(Interval::Minutes15)).unwrap();
    let starts: Vec<_> = quarter
        .rows
        .iter()
        .map(|r| r.start.timestamp().as_second())
        .collect();
    assert_eq!(starts, vec![0, 900]);
    assert_eq!(quarter.rows[0].count(Count::Offered), 1);
    assert_eq!(quarter.rows[0].asa, Some(15.0));
    assert_eq!(quarter.rows[1].count(Count::Offered), 1);
    assert_eq!(quarter.rows[1].asa, Some(15.0));
    let hour = only_row(&ledger, &options(Interval::Minutes60), 1);
    assert_eq!(hour.count(Count::Offered), 2);
    assert_eq!(hour.count(Count::Handled), 2);
}

/// At UTC+7, 16:59:50 UTC and 17:00:10 UTC are on different local days.
#[test]
fn days_follow_the_centers_time_zone() {
    let mut c = Center::new(vec![queue(1)], vec![]);
    let five_pm = 17 * 3600;
    c.arrive(five_pm - 10, 1, 1)
        .arrive(five_pm + 10, 2, 1)
        .hang_up(five_pm + 20, 1)
        .hang_up(five_pm + 20, 2);
    let ledger = c.ledger();
    let utc = ledger.queue_report(&options(Interval::Day)).unwrap();
    assert_eq!(utc.rows.len(), 1);
    let mut local = options(Interval::Day);
    local.bucketing.time_zone = TimeZone::fixed(Offset::constant(7));
    let local = ledger.queue_report(&local).unwrap();
    let days: Vec<_> = local
        .rows
        .iter()
        .map(|r| (r.start.date().to_string(), r.count(Count::Abandoned)))
        .collect();
    assert_eq!(
        days,
        vec![("1970-01-01".into(), 1), ("1970-01-02".into(), 1)]
    );
}

/// c1 is answered in Q1 after 2 s, talks 20 s, is transferred to Q2 where
/// A2 answers after 4 s and talks 30 s. Each leg is an offered, answered
/// and handled contact of its own queue.
#[test]
fn a_transfer_makes_a_leg_in_each_queue() {
    let mut c = Center::new(
        vec![queue(1), queue(2)],
        vec![agent(1, &[1]), agent(2, &[2])],
    );
    c.ready(0, 1)
        .ready(0, 2)
        .at(
            1,
            Event::AgentNotReady {
                agent: AgentId(2),
                reason: code("lunch"),
            },
        )
        .arrive(10, 1, 1)
        .accept(12, 1, 1)
        .at(
            32,
            Event::TransferredToQueue {
                contact: ContactId(1),
                queue: QueueId(2),
            },
        )
        .at(35, Event::AgentReady { agent: AgentId(2) })
        .accept(36, 1, 2)
        .wrap(40, 1, 1, None)
        .end(66, 1)
        .wrap(70, 1, 2, Some("sale"));
    let ledger = c.ledger();
    let options = options(Interval::Day);
    let q1 = only_row(&ledger, &options, 1);
    assert_eq!(
        (
            q1.count(Count::Offered),
            q1.count(Count::TransferredIn),
            q1.count(Count::Answered)
        ),
        (1, 0, 1)
    );
    assert_eq!(q1.asa, Some(2.0));
    assert_eq!(q1.aht, Some(28.0));
    let q2 = only_row(&ledger, &options, 2);
    assert_eq!(
        (
            q2.count(Count::Offered),
            q2.count(Count::TransferredIn),
            q2.count(Count::Answered)
        ),
        (1, 1, 1)
    );
    assert_eq!(q2.asa, Some(4.0));
    assert_eq!(q2.aht, Some(34.0));
    let agents = ledger.agent_report(None).unwrap();
    assert_eq!(agents.row(AgentId(1)).unwrap().handled, 1);
    assert_eq!(agents.row(AgentId(2)).unwrap().handled, 1);
}

fn with_overflow(mut q: QueueConfig, after: u64, to: Overflow) -> QueueConfig {
    q.max_wait = Some(Span::from_secs(after));
    q.overflow = Some(to);
    q
}

/// c1 waits 30 s in Q1, overflows to Q2 and is answered there 12 s later;
/// c2 goes to voicemail after 10 s in Q3; c3 asks for a callback after
/// 8 s in Q4 and later cancels it.
#[test]
fn overflow_voicemail_and_callback_leave_the_line() {
    let mut c = Center::new(
        vec![
            with_overflow(queue(1), 30, Overflow::Queue(QueueId(2))),
            queue(2),
            with_overflow(queue(3), 10, Overflow::Voicemail),
            queue(4),
        ],
        vec![agent(2, &[2])],
    );
    c.arrive(0, 1, 1)
        .arrive(0, 2, 3)
        .arrive(0, 3, 4)
        .at(
            8,
            Event::CallbackRequested {
                contact: ContactId(3),
            },
        )
        .ready(40, 2)
        .accept(42, 1, 2)
        .end(50, 1)
        .wrap(50, 1, 2, None)
        .hang_up(60, 3);
    let ledger = c.ledger();
    let options = options(Interval::Minutes30);
    let q1 = only_row(&ledger, &options, 1);
    assert_eq!(
        (q1.count(Count::Offered), q1.count(Count::Overflowed)),
        (1, 1)
    );
    assert_eq!(
        (q1.count(Count::Answered), q1.count(Count::Handled)),
        (0, 0)
    );
    assert_eq!(q1.max_wait, 30.0);
    assert_eq!(q1.service_level(SlDefinition::Answered), None);
    assert_eq!(q1.service_level(SlDefinition::Offered), Some(0.0));
    let q2 = only_row(&ledger, &options, 2);
    assert_eq!(
        (q2.count(Count::Offered), q2.count(Count::OverflowedIn)),
        (1, 1)
    );
    assert_eq!(q2.count(Count::Answered), 1);
    assert_eq!(q2.asa, Some(12.0));
    let q3 = only_row(&ledger, &options, 3);
    assert_eq!((q3.count(Count::TimedOut), q3.max_wait), (1, 10.0));
    let q4 = only_row(&ledger, &options, 4);
    assert_eq!(q4.count(Count::CallbackRequested), 1);
    assert_eq!(q4.count(Count::Abandoned), 0);
    assert_eq!(q4.max_wait, 8.0);
}
