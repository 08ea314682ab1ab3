//! Stored aggregates give the same reports as the legs they summarise:
//! quarter-hour tallies merged into any interval equal the report counted
//! leg by leg, at any whole-second threshold; agent time splits at period
//! boundaries without losing a millisecond.

use acd::AgentState;
use acd::model::{AgentId, Code, ContactId, QueueId, Span, Time};
use jiff::tz::TimeZone;
use kpi::interval::slot_of;
use kpi::{
    AgentAggregator, Bucketing, Disposition, Entry, Interval, LegFact, QueueAggregator,
    QueueOptions, QueueTally, Work,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// 2026-03-29 00:00 UTC: Europe's switch to summer time falls in this day.
const DAY: u64 = 1_774_742_400_000;

fn bucketing(interval: Interval, zone: &str) -> Bucketing {
    Bucketing {
        interval,
        time_zone: TimeZone::get(zone).unwrap(),
    }
}

fn leg_strategy() -> impl Strategy<Value = LegFact> {
    (
        0u64..3 * 86_400_000,
        0u32..4,
        0u8..6,
        0u64..200_000,
        any::<bool>(),
        0u64..600_000,
    )
        .prop_map(|(offset, queue, disposition, wait, handled, handle)| {
            let queued = Time::from_millis(DAY + offset);
            let disposition = match disposition {
                0 => Disposition::Answered,
                1 => Disposition::Abandoned,
                2 => Disposition::Overflowed,
                3 => Disposition::TimedOut,
                4 => Disposition::CallbackRequested,
                _ => Disposition::Interrupted,
            };
            let left_line = queued + Span::from_millis(wait);
            let work = (handled && disposition == Disposition::Answered).then(|| Work {
                agent: AgentId(1),
                answered: left_line,
                talk: Span::from_millis(handle),
                hold: Span::ZERO,
                wrap: Span::from_millis(handle / 7),
                outcome: None,
            });
            LegFact {
                contact: ContactId(offset),
                queue: QueueId(queue),
                entry: if queue == 3 {
                    Entry::Transfer
                } else {
                    Entry::Arrival
                },
                queued,
                disposition,
                left_line,
                work,
            }
        })
}

proptest! {
    #[test]
    fn quarter_hour_tallies_merge_into_the_report_counted_leg_by_leg(
        legs in prop::collection::vec(leg_strategy(), 0..300),
        interval in prop::sample::select(vec![
            Interval::Minutes15, Interval::Minutes60, Interval::Day, Interval::Week, Interval::Month,
        ]),
        zone in prop::sample::select(vec!["UTC", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu"]),
        threshold in 0u64..120,
        short in 0u64..10,
    ) {
        let mut options = QueueOptions::new(bucketing(interval, zone));
        options.threshold = Span::from_secs(threshold);
        options.short_abandon = Span::from_secs(short);
        let mut direct = QueueAggregator::new(&options).unwrap();
        let mut slots: BTreeMap<(QueueId, Time), QueueTally> = BTreeMap::new();
        for leg in &legs {
            direct.add_leg(leg).unwrap();
            slots.entry((leg.queue, slot_of(leg.queued))).or_default().add(leg);
        }
        let mut stored = QueueAggregator::new(&options).unwrap();
        for ((queue, slot), tally) in &slots {
            stored.add_slot(*queue, *slot, tally).unwrap();
        }
        prop_assert_eq!(direct.finish(), stored.finish());
    }
}

#[test]
fn thresholds_must_be_whole_seconds() {
    let mut options = QueueOptions::new(bucketing(Interval::Day, "UTC"));
    options.threshold = Span::from_millis(20_500);
    let error = QueueAggregator::new(&options).unwrap_err();
    assert!(error.to_string().contains("whole seconds"), "{error}");
}

#[test]
fn a_wait_of_exactly_t_is_within_and_one_millisecond_more_is_not() {
    let options = QueueOptions::new(bucketing(Interval::Day, "UTC"));
    let leg = |id, wait_ms| LegFact {
        contact: ContactId(id),
        queue: QueueId(1),
        entry: Entry::Arrival,
        queued: Time::from_millis(DAY),
        disposition: Disposition::Answered,
        left_line: Time::from_millis(DAY + wait_ms),
        work: None,
    };
    let mut aggregator = QueueAggregator::new(&options).unwrap();
    aggregator.add_leg(&leg(1, 20_000)).unwrap();
    aggregator.add_leg(&leg(2, 20_001)).unwrap();
    let report = aggregator.finish();
    assert_eq!(report.rows[0].count(kpi::Count::AnsweredWithin), 1);
}

#[test]
fn agent_time_splits_at_local_midnight_and_sums_to_the_whole() {
    // Berlin: 23:00 UTC on the 28th is midnight local on the 29th (UTC+1),
    // and that day has 23 hours.
    let day_start = Time::from_millis(DAY - 3_600_000);
    let from = Time::from_millis(day_start.as_millis() - 30 * 60_000);
    let to = Time::from_millis(day_start.as_millis() + 24 * 3_600_000);
    let lunch = AgentState::NotReady(Code::parse("lunch").unwrap());
    let mut aggregator = AgentAggregator::new(Some(&bucketing(Interval::Day, "Europe/Berlin")));
    aggregator
        .add_state(AgentId(7), &AgentState::Ready, from, day_start)
        .unwrap();
    aggregator
        .add_state(AgentId(7), &lunch, day_start, to)
        .unwrap();
    aggregator.add_logout(AgentId(7), to).unwrap();
    let report = aggregator.finish();
    let spans: Vec<(String, u64, u64, u32)> = report
        .rows
        .iter()
        .map(|row| {
            (
                row.start.as_ref().unwrap().date().to_string(),
                row.logged_in.as_millis() / 60_000,
                row.not_ready.as_millis() / 60_000,
                row.logouts,
            )
        })
        .collect();
    assert_eq!(
        spans,
        vec![
            ("2026-03-28".to_string(), 30, 0, 0),
            ("2026-03-29".to_string(), 23 * 60, 23 * 60, 0),
            ("2026-03-30".to_string(), 60, 60, 1),
        ]
    );
    let mut whole = AgentAggregator::new(None);
    whole
        .add_state(AgentId(7), &AgentState::Ready, from, day_start)
        .unwrap();
    whole.add_state(AgentId(7), &lunch, day_start, to).unwrap();
    let total = whole.finish().rows[0].logged_in;
    assert_eq!(total, to.since(from));
}
