//! The business reports (FCR, CSAT, call reasons, cost and ROI, contract
//! check, value report) over hand-made logs.
//!
//! Key pieces: [`Log`] (facts in log order: finished contacts built as
//! struct literals, agent logins, surveys, sales) and [`story`], one
//! three-week log that most tests read; every expected figure is worked
//! out by hand in the comments.
//!
//! The story (UTC, day 0 = Monday 2024-01-01; every handled leg waits
//! 10 s; billing legs talk 290 s + wrap 10 s, order legs 590 s + 10 s,
//! the reasonless c10 290 s + 10 s):
//!
//! | id  | day | customer          | reason   | queue | outcome          | notes |
//! |-----|-----|-------------------|----------|-------|------------------|-------|
//! | c1  | 0   | ANI 111           | billing  | 1     | sale (sale won 1000) | spring_tv |
//! | c2  | 2   | ANI 111           | billing  | 1     | sale             | spring_tv |
//! | c3  | 3   | ANI 111           | order    | 2     | lead (sale lost) | spring_tv |
//! | c4  | 12  | ANI 111           | billing  | 1     | technician_sent  | |
//! | c5  | 1   | id B7 (ANI 222)   | billing  | 1     | fixed_by_phone   | spring_tv, dept Finance, recording |
//! | c6  | 9   | id B7 (ANI 333)   | billing  | 1     | —                | |
//! | c7  | 1   | ANI 222           | billing  | 1     | lead (sale won 300) | |
//! | c8  | 6   | none              | order    | 1     | lead             | |
//! | c9  | 18  | ANI 444           | billing  | 1     | —                | |
//! | c10 | 4   | ANI 555           | none     | 1     | technician_sent  | |
//! | c11 | 5   | ANI 555           | order (attribute) | 1 | abandoned after 30 s | |
//! | c12 | 5   | ANI 666           | order    | 2     | fixed_by_phone   | flyer |
//! | c13 | 6   | ANI 666           | none     | 1     | abandoned after 3 s | flyer |
//!
//! Agent 1 is logged in 8 h on day 0 and agent 2 4 h on day 1; the log's
//! last fact is at day 20 00:00.

use std::collections::BTreeSet;

use acd::model::{AgentId, Code, ContactId, PhoneNumber, Priority, QueueId, Span, Time};
use acd::record::{ContactRecord, ContactResult, Leg, LegEnd};
use acd::{AgentState, Record, RecordKind};
use kpi::{
    Category, Criterion, CriterionSource, Customer, Entity, Error, Fact, Interval, Ledger, Money,
    Naming, Period, ReportSettings, Sale, Score, Strategy, Survey, TermStatus,
};

/// Monday 2024-01-01 00:00 UTC, in seconds.
const T0: u64 = 1_704_067_200;
const DAY: u64 = 86_400;
const HOUR: u64 = 3_600;

fn at(day: u64, hour: u64) -> u64 {
    T0 + day * DAY + hour * HOUR
}

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

fn t(secs: u64) -> Time {
    Time::from_secs(secs)
}

/// A leg answered after 10 s, talked `talk` s and wrapped up in 10 s.
fn handled(
    queue: u32,
    agent: u32,
    queued: u64,
    talk: u64,
    reason: Option<&str>,
    outcome: Option<&str>,
) -> Leg {
    let answered = queued + 10;
    Leg {
        queue: QueueId(queue),
        for_agent: None,
        queued: t(queued),
        offers: vec![],
        answered: Some(t(answered)),
        agent: Some(AgentId(agent)),
        holds: vec![],
        ended: Some(t(answered + talk)),
        end: Some(LegEnd::Handled),
        callback: None,
        wrap_ended: Some(t(answered + talk + 10)),
        outcome: outcome.map(code),
        reason: reason.map(code),
        notes: String::new(),
    }
}

fn abandoned(queue: u32, queued: u64, wait: u64) -> Leg {
    Leg {
        queue: QueueId(queue),
        for_agent: None,
        queued: t(queued),
        offers: vec![],
        answered: None,
        agent: None,
        holds: vec![],
        ended: Some(t(queued + wait)),
        end: Some(LegEnd::Abandoned),
        callback: None,
        wrap_ended: None,
        outcome: None,
        reason: None,
        notes: String::new(),
    }
}

fn contact(
    id: u64,
    ani: Option<&str>,
    dnis: &str,
    attributes: &[(&str, &str)],
    legs: Vec<Leg>,
) -> ContactRecord {
    let last = legs.last().unwrap();
    let finished = last.wrap_ended.or(last.ended).unwrap();
    ContactRecord {
        id: ContactId(id),
        ani: ani.map(|a| PhoneNumber::parse(a).unwrap()),
        dnis: PhoneNumber::parse(dnis).unwrap(),
        priority: Priority(0),
        attributes: attributes.iter().map(|(k, v)| (code(k), code(v))).collect(),
        arrived: legs[0].queued,
        callback: false,
        result: if last.wrap_ended.is_some() {
            ContactResult::Handled
        } else {
            ContactResult::Abandoned
        },
        legs,
        finished,
    }
}

/// Facts in log order.
#[derive(Default)]
struct Log {
    facts: Vec<Fact>,
}

impl Log {
    fn record(&mut self, at: Time, kind: RecordKind) {
        let seq = self.facts.len() as u64;
        self.facts.push(Fact::Routing(Record { seq, at, kind }));
    }

    fn finished(&mut self, contact: ContactRecord) {
        let at = contact.finished;
        self.record(at, RecordKind::ContactFinished(Box::new(contact)));
    }

    fn shift(&mut self, agent: u32, from: u64, to: u64) {
        let agent = AgentId(agent);
        self.record(
            t(from),
            RecordKind::AgentStateChanged {
                agent,
                from: AgentState::LoggedOut,
                to: AgentState::Ready,
            },
        );
        self.record(
            t(to),
            RecordKind::AgentStateChanged {
                agent,
                from: AgentState::Ready,
                to: AgentState::LoggedOut,
            },
        );
    }

    fn survey(&mut self, contact: u64, at: u64, score: u8) {
        self.facts.push(Fact::Survey(Survey {
            contact: ContactId(contact),
            at: t(at),
            score: Score::new(score).unwrap(),
        }));
    }

    fn sale(&mut self, contact: u64, at: u64, won: bool, revenue: f64) {
        self.facts.push(Fact::Sale(Sale {
            contact: ContactId(contact),
            at: t(at),
            won,
            revenue: Money::from_units(revenue),
        }));
    }

    fn ledger(&self) -> Ledger {
        Ledger::from_facts(&self.facts).unwrap()
    }
}

const TV: &str = "4008001001";
const FLYER: &str = "4008001002";
const OTHER: &str = "4008000000";

fn story() -> Log {
    let mut log = Log::default();
    log.shift(1, at(0, 8), at(0, 16));
    log.shift(2, at(1, 8), at(1, 12));
    log.facts.push(Fact::Named(Naming {
        at: t(at(0, 0)),
        entity: Entity::Queue(QueueId(2)),
        name: "Tech".into(),
    }));
    let billing = |queue_at: u64, outcome| handled(1, 1, queue_at, 290, Some("billing"), outcome);
    let order =
        |queue, queue_at: u64, outcome| handled(queue, 1, queue_at, 590, Some("order"), outcome);
    log.finished(contact(
        1,
        Some("111"),
        TV,
        &[],
        vec![billing(at(0, 10), Some("sale"))],
    ));
    log.finished(contact(
        5,
        Some("222"),
        TV,
        &[
            ("customer", "B7"),
            ("department", "Finance"),
            ("recording", "rec-5.wav"),
        ],
        vec![billing(at(1, 10), Some("fixed_by_phone"))],
    ));
    log.finished(contact(
        7,
        Some("222"),
        OTHER,
        &[],
        vec![billing(at(1, 11), Some("lead"))],
    ));
    log.finished(contact(
        2,
        Some("111"),
        TV,
        &[],
        vec![billing(at(2, 10), Some("sale"))],
    ));
    log.finished(contact(
        3,
        Some("111"),
        TV,
        &[],
        vec![order(2, at(3, 10), Some("lead"))],
    ));
    log.finished(contact(
        10,
        Some("555"),
        OTHER,
        &[],
        vec![handled(1, 1, at(4, 10), 290, None, Some("technician_sent"))],
    ));
    log.finished(contact(
        11,
        Some("555"),
        OTHER,
        &[("reason", "order")],
        vec![abandoned(1, at(5, 9), 30)],
    ));
    log.finished(contact(
        12,
        Some("666"),
        FLYER,
        &[],
        vec![order(2, at(5, 10), Some("fixed_by_phone"))],
    ));
    log.finished(contact(
        8,
        None,
        OTHER,
        &[],
        vec![order(1, at(6, 10), Some("lead"))],
    ));
    log.finished(contact(
        13,
        Some("666"),
        FLYER,
        &[],
        vec![abandoned(1, at(6, 11), 3)],
    ));
    log.finished(contact(
        6,
        Some("333"),
        OTHER,
        &[("customer", "B7")],
        vec![billing(at(9, 10), None)],
    ));
    log.finished(contact(
        4,
        Some("111"),
        OTHER,
        &[],
        vec![billing(at(12, 10), Some("technician_sent"))],
    ));
    log.finished(contact(
        9,
        Some("444"),
        OTHER,
        &[],
        vec![billing(at(18, 10), None)],
    ));
    log.survey(1, at(0, 12), 5);
    log.survey(5, at(2, 1), 3);
    log.survey(2, at(2, 12), 2);
    log.survey(99, at(2, 13), 5);
    log.survey(3, at(3, 12), 4);
    log.sale(1, at(3, 0), true, 1000.0);
    log.sale(3, at(5, 0), false, 0.0);
    log.sale(7, at(6, 0), true, 300.0);
    log.record(t(at(20, 0)), RecordKind::DayStarted);
    log
}

const SETTINGS: &str = r#"
[cost]
agent_hour = 62.5
telecom_minute = 0.12
overhead_per_day = 100.0

[value]
site_visit_cost = 150.0

[reasons.billing]
topic = "Billing"
category = "complaint"
proactive_reach = 0.3
importance = 3
self_service_success = 0.75

[reasons.order]
topic = "Orders"
category = "inquiry"
proactive_reach = 0.85
importance = 2

[outcomes.sale]
revenue = 480.0
success = true

[outcomes.lead]
lead = true

[outcomes.fixed_by_phone]
resolution = "remote"

[outcomes.technician_sent]
resolution = "site_visit"

[campaigns.spring_tv]
name = "Spring TV spot"
dnis = ["4008001001"]
cost = 500.0
contacted = 100

[campaigns.flyer]
dnis = ["4008001002"]
cost = 50.0

[departments]
1 = "Customer service"
Tech = "Technical support"
"#;

fn settings() -> ReportSettings {
    ReportSettings::from_toml(SETTINGS).unwrap()
}

fn ids(list: &[ContactId]) -> Vec<u64> {
    list.iter().map(|c| c.0).collect()
}

fn set(list: &[ContactId]) -> BTreeSet<u64> {
    list.iter().map(|c| c.0).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn fcr_judges_repeats_by_customer_and_reason() {
    let report = story()
        .ledger()
        .fcr_report(&settings(), Interval::Week)
        .unwrap();
    let total = &report.total;
    // Repeated: c1 (c2, same ANI and reason, 2 days later), c10 (no reason:
    // matches c11's attribute reason "order"), c12 (c13 has no reason;
    // abandoned contacts count). Not repeats: c2 → c3 (another reason),
    // c2 → c4 (10 days), c5 → c6 (same customer id, 8 days), c5 → c7
    // (same ANI but c5 is customer B7). c9's window runs past day 20:
    // pending; c8 has neither customer nor ANI: unidentified.
    assert_eq!(set(&total.repeated.contacts), BTreeSet::from([1, 10, 12]));
    assert_eq!(
        set(&total.resolved.contacts),
        BTreeSet::from([2, 3, 4, 5, 6, 7])
    );
    assert_eq!(ids(&total.pending.contacts), vec![9]);
    assert_eq!(ids(&total.unidentified.contacts), vec![8]);
    assert_eq!(total.handled, 11);
    assert!(close(total.fcr.unwrap(), 6.0 / 9.0));
    let first = total.repeats.iter().find(|r| r.contact.0 == 1).unwrap();
    assert_eq!(first.repeat, ContactId(2));
    assert_eq!(first.after, Span::from_secs(2 * DAY));
    assert_eq!(
        first.customer,
        Customer::Ani(PhoneNumber::parse("111").unwrap())
    );
    let pairs: BTreeSet<(u64, u64)> = total
        .repeats
        .iter()
        .map(|r| (r.contact.0, r.repeat.0))
        .collect();
    assert_eq!(pairs, BTreeSet::from([(1, 2), (10, 11), (12, 13)]));

    // Weeks: week 0 has c1 c2 c3 c5 c7 c8 c10 c12 (4 resolved, 3
    // repeated, 1 unidentified); week 1 c4 c6 (resolved); week 2 c9
    // (pending, so no rate).
    let fcr: Vec<Option<f64>> = report.rows.iter().map(|r| r.figures.fcr).collect();
    assert_eq!(report.rows.len(), 3);
    assert!(close(fcr[0].unwrap(), 4.0 / 7.0));
    assert_eq!(fcr[1], Some(1.0));
    assert_eq!(fcr[2], None);
    assert_eq!(report.rows[2].figures.pending.count, 1);

    // Reasons: billing 5 resolved of 6 judged (c9 pending); order c3
    // resolved, c12 repeated, c8 unidentified; no reason: c10 repeated.
    let by = |reason: Option<&str>| {
        report
            .by_reason
            .iter()
            .find(|r| r.reason.as_ref().map(Code::as_str) == reason)
            .unwrap()
            .figures
            .clone()
    };
    assert!(close(by(Some("billing")).fcr.unwrap(), 5.0 / 6.0));
    assert_eq!(by(Some("order")).fcr, Some(0.5));
    assert_eq!(by(Some("order")).unidentified.count, 1);
    assert_eq!(by(None).fcr, Some(0.0));

    // Days: c1 on day 0 is the only contact of its day.
    let days = story()
        .ledger()
        .fcr_report(&settings(), Interval::Day)
        .unwrap();
    assert_eq!(days.rows[0].figures.fcr, Some(0.0));
    assert_eq!(ids(&days.rows[0].figures.repeated.contacts), vec![1]);
}

#[test]
fn fcr_window_is_configurable() {
    // With a 10-day window c2 → c4 (billing, 10 days later) repeats too,
    // c5 → c6 (8 days) as well; c4 (day 12) now closes on day 22, after
    // the log ends, and c6 (day 9) on day 19.
    let settings = ReportSettings::from_toml("[fcr]\nwindow_days = 10").unwrap();
    let total = story()
        .ledger()
        .fcr_report(&settings, Interval::Month)
        .unwrap()
        .total;
    assert_eq!(
        set(&total.repeated.contacts),
        BTreeSet::from([1, 2, 5, 10, 12])
    );
    assert_eq!(set(&total.pending.contacts), BTreeSet::from([4, 9]));
    assert_eq!(set(&total.resolved.contacts), BTreeSet::from([3, 6, 7]));
}

#[test]
fn csat_lists_dissatisfied_and_unrated_callers() {
    let report = story()
        .ledger()
        .csat_report(&settings(), Interval::Day)
        .unwrap();
    // Answers: c1 5, c5 3, c2 2, c99 5 (contact not in the log), c3 4:
    // satisfied (≥ 4) c1, c99, c3 = 3 of 5.
    assert_eq!(report.total.answers.count, 5);
    assert_eq!(report.total.satisfied.count, 3);
    assert_eq!(report.total.csat, Some(0.6));
    assert_eq!(
        set(&report.total.dissatisfied.contacts),
        BTreeSet::from([2, 5])
    );
    // Handled without an answer.
    assert_eq!(
        set(&report.unrated.contacts),
        BTreeSet::from([4, 6, 7, 8, 9, 10, 12])
    );
    // Day 1: c5's answer (given on day 2, counted on the day of the call)
    // is dissatisfied; c7 is unrated.
    let day1 = &report.rows[1];
    assert_eq!(day1.start.timestamp().as_second() as u64, at(1, 0));
    assert_eq!(day1.figures.csat, Some(0.0));
    let caller = &day1.dissatisfied_callers[0];
    assert_eq!(caller.contact, ContactId(5));
    assert_eq!(caller.ani, Some(PhoneNumber::parse("222").unwrap()));
    assert_eq!(caller.agent, Some(AgentId(1)));
    assert_eq!(caller.reason, Some(code("billing")));
    assert_eq!(caller.score, Some(Score::new(3).unwrap()));
    assert_eq!(caller.recording, Some(code("rec-5.wav")));
    assert_eq!(
        ids(&day1
            .unrated_callers
            .iter()
            .map(|c| c.contact)
            .collect::<Vec<_>>()),
        vec![7]
    );
    // Day 2: c2 (2) and c99 (5, placed by its answer time).
    let day2 = &report.rows[2];
    assert_eq!(day2.figures.answers.count, 2);
    assert_eq!(day2.figures.csat, Some(0.5));
    assert_eq!(day2.dissatisfied_callers[0].contact, ContactId(2));

    // A stricter threshold: only the 5s are satisfied.
    let strict = ReportSettings::from_toml("[csat]\nsatisfied_min = 5").unwrap();
    let total = story()
        .ledger()
        .csat_report(&strict, Interval::Day)
        .unwrap()
        .total;
    assert_eq!(total.csat, Some(0.4));
}

#[test]
fn csat_without_surveys_has_no_rate_and_everyone_unrated() {
    let mut log = Log::default();
    log.finished(contact(
        1,
        None,
        OTHER,
        &[],
        vec![handled(1, 1, at(0, 9), 60, None, None)],
    ));
    log.finished(contact(
        2,
        Some("9"),
        OTHER,
        &[],
        vec![abandoned(1, at(0, 10), 40)],
    ));
    let report = log
        .ledger()
        .csat_report(&ReportSettings::default(), Interval::Day)
        .unwrap();
    assert_eq!(report.total.answers.count, 0);
    assert_eq!(report.total.csat, None);
    assert_eq!(ids(&report.unrated.contacts), vec![1]);
    let caller = &report.rows[0].unrated_callers[0];
    assert_eq!(caller.ani, None);
    assert_eq!(caller.recording, None);
}

#[test]
fn reason_pareto_with_strategies() {
    let report = story().ledger().reason_report(&settings()).unwrap();
    // 13 contacts: billing 7, order 4 (c11 by its attribute), none 2.
    assert_eq!(report.contacts, 13);
    let rows = &report.rows;
    let names: Vec<Option<&str>> = rows
        .iter()
        .map(|r| r.reason.as_ref().map(Code::as_str))
        .collect();
    assert_eq!(names, vec![Some("billing"), Some("order"), None]);
    let billing = &rows[0];
    assert_eq!(billing.contacts.count, 7);
    assert!(close(billing.share, 7.0 / 13.0));
    assert!(close(rows[1].cumulative_share, 11.0 / 13.0));
    assert!(close(rows[2].cumulative_share, 1.0));
    // Seven billing legs of 300 s: AHT 300 s, 2100 s × 62.5 / h = 36.46.
    assert_eq!(billing.aht, Some(300.0));
    assert_eq!(billing.cost, Money::from_units(36.46));
    assert_eq!(rows[1].aht, Some(600.0));
    assert_eq!(rows[1].cost, Money::from_units(31.25));
    // 4200 s in all: 72.92.
    assert_eq!(report.cost, Money::from_units(72.92));
    // Customers: ANI 111, id B7, ANI 222, ANI 444, ANI 555, ANI 666 = 6;
    // billing: 111, B7, 222, 444; order: 111, 555, 666.
    assert_eq!(report.customers, 6);
    assert!(close(billing.customer_share.unwrap(), 4.0 / 6.0));
    assert_eq!(rows[1].customer_share, Some(0.5));
    assert!(close(billing.repeat_rate.unwrap(), 1.0 / 6.0));

    // Billing: reach 0.3 < 0.6, repeat 1/6 < 0.3, self-service 0.75 ≥ 0.7
    // with importance 3 ≤ 3: self-service, saving 0.75 × 36.4583 = 27.34.
    let a = billing.assessment.as_ref().unwrap();
    assert_eq!(a.strategy, Strategy::SelfService);
    assert!(a.rule.starts_with("rule 3"), "{}", a.rule);
    assert_eq!(a.avoidable_cost, Some(Money::from_units(27.34)));
    let value = |c: Criterion| a.criteria.iter().find(|v| v.criterion == c).unwrap();
    assert_eq!(value(Criterion::ProactiveReach).value, Some(0.3));
    assert_eq!(
        value(Criterion::ProactiveReach).source,
        CriterionSource::Settings
    );
    assert_eq!(
        value(Criterion::CustomerShare).source,
        CriterionSource::Data
    );
    assert!(close(
        value(Criterion::CostShare).value.unwrap(),
        2100.0 / 4200.0
    ));
    // Order: reach 0.85 and a 4/13 volume share: eliminate, 0.85 × 31.25.
    let a = rows[1].assessment.as_ref().unwrap();
    assert_eq!(a.strategy, Strategy::Eliminate);
    assert!(a.rule.starts_with("rule 1"), "{}", a.rule);
    assert_eq!(a.avoidable_cost, Some(Money::from_units(26.56)));
    assert_eq!(
        a.criteria
            .iter()
            .find(|v| v.criterion == Criterion::ChannelSuccess)
            .unwrap()
            .source,
        CriterionSource::Missing
    );
    // Contacts without a reason get no strategy.
    assert!(rows[2].assessment.is_none());
}

#[test]
fn strategy_rules_two_and_four() {
    // "fault": called about twice by each of two customers a day apart,
    // no settings: c1 and c3 repeated, c2 and c4 resolved, so a repeat
    // rate of 0.5 ≥ 0.3 on 4 of 5 contacts → rule 2. "vip": importance 5
    // and no reach → agent.
    let mut log = Log::default();
    let leg = |reason, day| handled(1, 1, at(day, 9), 100, Some(reason), None);
    log.finished(contact(1, Some("1"), OTHER, &[], vec![leg("fault", 0)]));
    log.finished(contact(2, Some("1"), OTHER, &[], vec![leg("fault", 1)]));
    log.finished(contact(3, Some("2"), OTHER, &[], vec![leg("fault", 0)]));
    log.finished(contact(4, Some("2"), OTHER, &[], vec![leg("fault", 1)]));
    log.finished(contact(5, Some("3"), OTHER, &[], vec![leg("vip", 0)]));
    log.record(t(at(30, 0)), RecordKind::DayStarted);
    let settings =
        ReportSettings::from_toml("[reasons.vip]\nimportance = 5\nself_service_success = 0.9")
            .unwrap();
    let report = log.ledger().reason_report(&settings).unwrap();
    let fault = report.rows[0].assessment.as_ref().unwrap();
    assert_eq!(report.rows[0].repeat_rate, Some(0.5));
    assert_eq!(fault.strategy, Strategy::Eliminate);
    assert!(fault.rule.starts_with("rule 2"), "{}", fault.rule);
    let vip = report.rows[1].assessment.as_ref().unwrap();
    assert_eq!(vip.strategy, Strategy::Agent);
    assert!(vip.rule.contains("importance 5 > 3"), "{}", vip.rule);
    assert!(
        vip.rule.contains("proactive reach not in the settings"),
        "{}",
        vip.rule
    );
    assert_eq!(vip.avoidable_cost, None);
}

#[test]
fn cost_per_call_and_campaign_roi() {
    let report = story().ledger().cost_report(&settings()).unwrap();
    // 8 h + 4 h logged in × 62.5 = 750.
    assert!(close(report.agent_paid_hours, 12.0));
    assert_eq!(report.agent_cost, Money::from_units(750.0));
    // Line time: 7 billing × 300 s + 3 order × 600 s + c10 300 s + the
    // abandons' 30 s and 3 s = 4233 s = 70.55 min × 0.12 = 8.47.
    assert!(close(report.telecom_minutes, 4233.0 / 60.0));
    assert_eq!(report.telecom_cost, Money::from_units(8.47));
    // Days 0 to 20: 21 × 100.
    assert_eq!(report.days, 21);
    assert_eq!(report.overhead_cost, Money::from_units(2100.0));
    assert_eq!(report.total_cost, Money::from_units(2858.47));
    // 11 handled contacts: 259.86 each.
    assert_eq!(report.handled.count, 11);
    assert_eq!(report.cost_per_call, Some(Money::from_units(259.86)));

    let tv = &report.campaigns[1];
    assert_eq!(tv.key, code("spring_tv"));
    assert_eq!(set(&tv.contacts.contacts), BTreeSet::from([1, 2, 3, 5]));
    // Responders: ANI 111 and customer B7.
    assert_eq!(tv.responders, 2);
    assert_eq!(tv.response_rate, Some(0.02));
    // c1: a won sale of 1000 replaces its outcome's 480; c2: outcome sale
    // 480; c3: a lost sale, 0; c5: no revenue.
    assert_eq!(tv.revenue_from_sales, Money::from_units(1000.0));
    assert_eq!(tv.revenue_from_outcomes, Money::from_units(480.0));
    assert_eq!(tv.revenue, Money::from_units(1480.0));
    assert_eq!(ids(&tv.won.contacts), vec![1]);
    // 500 + 4 × 259.86 = 1539.44.
    assert_eq!(tv.handling_cost, Money::from_units(1039.44));
    assert_eq!(tv.cost, Money::from_units(1539.44));
    assert!(close(tv.roi.unwrap(), 1480.0 / 1539.44));

    let flyer = &report.campaigns[0];
    assert_eq!(flyer.name, "flyer");
    assert_eq!(flyer.contacts.count, 2);
    assert_eq!(flyer.handled.count, 1);
    assert_eq!(flyer.responders, 1);
    assert_eq!(flyer.response_rate, None);
    assert_eq!(flyer.roi, Some(0.0));
}

#[test]
fn contract_check_measures_what_the_log_shows() {
    let text = format!(
        "{SETTINGS}
[contract]
name = \"Outsourcer A\"
abandon_rate_max = 0.05
asa_max_secs = 30
fcr_min = 0.6
csat_min = 0.85
success_rate_min = 0.1
staffed_hours_min = 10
roi_min = 10
quality_min = 0.9
reporting = \"weekly\"

[contract.service_level]
definition = \"offered\"
threshold_secs = 20
target = 0.8
"
    );
    let settings = ReportSettings::from_toml(&text).unwrap();
    let report = story()
        .ledger()
        .contract_report(&settings)
        .unwrap()
        .unwrap();
    let term = |key: &str| report.terms.iter().find(|t| t.term == key).unwrap();
    // 13 legs: 11 answered after 10 s, c11 abandoned after 30 s, c13
    // after 3 s (short). SL = 11 ÷ (13 − 1); c11 counts against it.
    let sl = term("service_level");
    assert!(close(sl.measured.unwrap(), 11.0 / 12.0));
    assert_eq!(sl.status, TermStatus::Pass);
    assert_eq!(ids(&sl.against), vec![11]);
    // Abandonment (2 − 1) ÷ (13 − 1) > 5 %.
    let abandon = term("abandon_rate_max");
    assert!(close(abandon.measured.unwrap(), 1.0 / 12.0));
    assert_eq!(abandon.status, TermStatus::Fail);
    assert_eq!(ids(&abandon.against), vec![11]);
    assert_eq!(term("asa_max_secs").measured, Some(10.0));
    assert_eq!(term("asa_max_secs").status, TermStatus::Pass);
    // FCR 6/9 ≥ 0.6; CSAT 0.6 < 0.85.
    assert_eq!(term("fcr_min").status, TermStatus::Pass);
    assert_eq!(set(&term("fcr_min").against), BTreeSet::from([1, 10, 12]));
    assert_eq!(term("csat_min").status, TermStatus::Fail);
    assert_eq!(set(&term("csat_min").against), BTreeSet::from([2, 5]));
    // Success: c1 and c2 ("sale") of 11 handled legs.
    let success = term("success_rate_min");
    assert!(close(success.measured.unwrap(), 2.0 / 11.0));
    assert_eq!(success.status, TermStatus::Pass);
    assert_eq!(term("staffed_hours_min").measured, Some(12.0));
    // ROI over both campaigns: 1480 ÷ (1539.44 + 50 + 259.86).
    let roi = term("roi_min");
    assert!(close(roi.measured.unwrap(), 1480.0 / 1849.30));
    assert_eq!(roi.status, TermStatus::Fail);
    // Not in the log: said so, not invented.
    for key in ["quality_min", "reporting"] {
        assert_eq!(term(key).status, TermStatus::NotMeasurable, "{key}");
        assert_eq!(term(key).measured, None);
    }
    assert_eq!(report.not_measurable, 2);
    assert_eq!(report.passed, 5);
    assert_eq!(report.failed, 3);
}

#[test]
fn contract_terms_that_cannot_be_measured() {
    // No success codes, no campaigns, no cost model, no surveys, and a
    // contract for queue 2 only (c3 and c12: both answered within T).
    let settings = ReportSettings::from_toml(
        "[contract]
queues = [2]
success_rate_min = 0.5
roi_min = 10
cost_per_call_max = 5
attrition_max = 0.1
other = [\"bilingual agents\"]
[contract.service_level]
target = 0.9
",
    )
    .unwrap();
    let report = story()
        .ledger()
        .contract_report(&settings)
        .unwrap()
        .unwrap();
    let status: Vec<(&str, TermStatus)> = report
        .terms
        .iter()
        .map(|t| (t.term.as_str(), t.status))
        .collect();
    assert_eq!(
        status,
        vec![
            ("service_level", TermStatus::Pass),
            ("success_rate_min", TermStatus::NotMeasurable),
            ("cost_per_call_max", TermStatus::NotMeasurable),
            ("roi_min", TermStatus::NotMeasurable),
            ("attrition_max", TermStatus::NotMeasurable),
            ("other", TermStatus::NotMeasurable),
        ]
    );
    assert_eq!(report.terms[0].note, "2 of 2");
    assert!(report.terms[1].note.contains("success = true"));
    // No contract, no report.
    assert!(
        story()
            .ledger()
            .contract_report(&ReportSettings::default())
            .unwrap()
            .is_none()
    );
    // A CSAT term without surveys has no data rather than a zero.
    let mut log = Log::default();
    log.finished(contact(
        1,
        None,
        OTHER,
        &[],
        vec![handled(1, 1, at(0, 9), 60, None, None)],
    ));
    let settings = ReportSettings::from_toml("[contract]\ncsat_min = 0.8").unwrap();
    let report = log.ledger().contract_report(&settings).unwrap().unwrap();
    assert_eq!(report.terms[0].status, TermStatus::NoData);
}

#[test]
fn value_report_by_week() {
    let report = story()
        .ledger()
        .value_report(&settings(), Period::Week)
        .unwrap();
    assert_eq!(report.rows.len(), 3);
    let week = &report.rows[0];
    // Week 0: c1 c2 c3 c5 c7 c8 c10 c11 c12 c13.
    assert_eq!(week.contacts, 10);
    let topics: Vec<(Category, &str, Option<&str>, u64)> = week
        .topics
        .iter()
        .map(|t| {
            (
                t.category,
                t.topic.as_str(),
                t.department.as_deref(),
                t.contacts.count,
            )
        })
        .collect();
    // Departments: queue 1 by id, queue 2 by its name "Tech", c5 by its
    // attribute.
    assert_eq!(
        topics,
        vec![
            (Category::Complaint, "Billing", Some("Customer service"), 3),
            (Category::Complaint, "Billing", Some("Finance"), 1),
            (Category::Inquiry, "Orders", Some("Customer service"), 2),
            (Category::Inquiry, "Orders", Some("Technical support"), 2),
            (Category::Other, "(no reason)", Some("Customer service"), 2),
        ]
    );
    assert!(close(week.topics[0].mention_rate, 0.3));
    assert_eq!(week.topics[0].previous, None);
    assert_eq!(set(&week.complaints.contacts), BTreeSet::from([1, 2, 5, 7]));
    let entry = &week.topics[1].entries[0];
    assert_eq!(entry.contact, ContactId(5));
    assert_eq!(entry.recording, Some(code("rec-5.wav")));
    assert!(
        week.topics[2].entries.is_empty(),
        "inquiries are counted, not listed"
    );
    // Leads: c3 lost, c7 won 300, c8 open.
    assert_eq!(set(&week.leads.handed.contacts), BTreeSet::from([3, 7, 8]));
    assert_eq!(ids(&week.leads.won.contacts), vec![7]);
    assert_eq!(ids(&week.leads.lost.contacts), vec![3]);
    assert_eq!(ids(&week.leads.open.contacts), vec![8]);
    assert_eq!(week.leads.won_revenue, Money::from_units(300.0));
    assert_eq!(week.leads.win_rate, Some(0.5));
    // Remote: c5 (B7), c12 (ANI 666); site visit: c10 (ANI 555).
    let r = &week.resolution;
    assert_eq!(set(&r.remote.contacts), BTreeSet::from([5, 12]));
    assert_eq!(ids(&r.site_visit.contacts), vec![10]);
    assert!(close(r.remote_share.unwrap(), 2.0 / 3.0));
    assert_eq!(r.visits_avoided_value, Some(Money::from_units(300.0)));
    assert_eq!(r.customers_served_remotely, 2);
    assert_eq!(r.site_visits_change, None);
    assert_eq!(week.value_created, Money::from_units(600.0));
    // Week 1: c4 (site visit) and c6, both billing in queue 1.
    let week = &report.rows[1];
    assert_eq!(week.topics[0].contacts.count, 2);
    assert_eq!(week.topics[0].previous, Some(3));
    assert_eq!(week.resolution.site_visits_change, Some(0));
    assert_eq!(week.value_created, Money::default());
    assert_eq!(report.rows[2].topics[0].previous, Some(2));
}

#[test]
fn value_report_previous_period_without_contacts_is_zero() {
    let mut log = Log::default();
    let leg = |day| handled(1, 1, at(day, 9), 60, Some("billing"), None);
    log.finished(contact(1, Some("1"), OTHER, &[], vec![leg(0)]));
    log.finished(contact(2, Some("1"), OTHER, &[], vec![leg(14)]));
    let report = log
        .ledger()
        .value_report(&ReportSettings::default(), Period::Week)
        .unwrap();
    assert_eq!(report.rows.len(), 2);
    // Week 1 had no contact: week 2 compares with zero.
    assert_eq!(report.rows[1].topics[0].previous, Some(0));
    assert_eq!(report.rows[1].topics[0].category, Category::Other);
    assert_eq!(report.rows[1].topics[0].topic, "billing");
    assert_eq!(report.rows[1].topics[0].department, None);
}

fn settings_error(text: &str) -> (usize, String, String) {
    match ReportSettings::from_toml(text) {
        Err(Error::Settings { line, key, problem }) => (line, key, problem),
        other => panic!("expected a settings error, got {other:?}"),
    }
}

#[test]
fn bad_settings_name_the_key() {
    let (line, key, _) = settings_error("# scores\n[csat]\nsatisfied_min = 6\n");
    assert_eq!((line, key.as_str()), (3, "csat.satisfied_min"));
    let (line, key, problem) = settings_error("[cost]\nagent_hour = 5\nagent_hr = 5\n");
    assert_eq!((line, key.as_str()), (3, "cost.agent_hr"));
    assert!(problem.contains("unknown field"), "{problem}");
    let (line, key, _) = settings_error("[fcr]\nwindow_days = \"seven\"\n");
    assert_eq!((line, key.as_str()), (2, "fcr.window_days"));
    let (_, key, problem) = settings_error(
        "[contract]\nname = \"x\"\n[contract.service_level]\ndefinition = \"offered\"\n",
    );
    assert_eq!(key, "contract.service_level.target");
    assert!(problem.contains("missing"), "{problem}");
    let (line, key, _) = settings_error("[contract.service_level]\ntarget = 1.5\n");
    assert_eq!((line, key.as_str()), (2, "contract.service_level.target"));
    let (line, key, problem) =
        settings_error("[reasons.billing]\ntopic = \"B\"\ncategory = \"complain\"\n");
    assert_eq!((line, key.as_str()), (3, "reasons.billing.category"));
    assert!(problem.contains("complaint"), "{problem}");
    let (_, key, problem) =
        settings_error("[campaigns.a]\ndnis = [\"123\"]\n[campaigns.b]\ndnis = [\"123\"]\n");
    assert_eq!(key, "campaigns.b.dnis");
    assert!(problem.contains("campaign a"), "{problem}");
    let (line, key, _) = settings_error("time_zone = \"Mars/Olympus\"\n");
    assert_eq!((line, key.as_str()), (1, "time_zone"));
    let (_, key, _) = settings_error("[reasons.\"bad code\"]\ntopic = \"x\"\n");
    assert_eq!(key, "reasons.bad code");
    let (line, _, _) = settings_error("[cost\n");
    assert_eq!(line, 1);
}

#[test]
fn example_settings_parse() {
    let text = include_str!("../../../examples/reports/settings.toml");
    let settings = ReportSettings::from_toml(text).unwrap();
    assert_eq!(settings.reasons.len(), 7);
    assert_eq!(settings.campaigns.len(), 2);
    let contract = settings.contract.as_ref().unwrap();
    assert_eq!(contract.service_level.as_ref().unwrap().target.get(), 0.8);
    assert_eq!(contract.other.len(), 1);
    // Local days: +08:00 puts 17:00 UTC on the next day.
    let mut log = Log::default();
    log.finished(contact(
        1,
        Some("1"),
        OTHER,
        &[],
        vec![handled(1, 1, at(0, 17), 60, None, None)],
    ));
    let report = log.ledger().csat_report(&settings, Interval::Day).unwrap();
    assert_eq!(report.rows[0].start.date().day(), 2);
}

#[test]
fn reports_serialize() {
    let ledger = story().ledger();
    let settings = settings();
    let json = serde_json::to_value(ledger.fcr_report(&settings, Interval::Week).unwrap()).unwrap();
    assert_eq!(json["total"]["repeated"]["count"], 3);
    let json = serde_json::to_value(ledger.reason_report(&settings).unwrap()).unwrap();
    assert_eq!(json["rows"][0]["assessment"]["strategy"], "self_service");
    let json =
        serde_json::to_value(ledger.value_report(&settings, Period::Month).unwrap()).unwrap();
    assert_eq!(json["rows"][0]["topics"][0]["category"], "complaint");
    serde_json::to_string(&ledger.csat_report(&settings, Interval::Day).unwrap()).unwrap();
    serde_json::to_string(&ledger.cost_report(&settings).unwrap()).unwrap();
}
