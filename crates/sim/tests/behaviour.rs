//! What scenarios ask for is what the engine's log shows: arrival
//! profiles, shifts, breaks and rosters, missed offers, deflection,
//! callbacks, holds and wrap-ups, retrials; the same seed gives the same
//! log byte for byte; and the streaming KPIs equal `kpi::Ledger`'s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use acd::model::{AgentId, Code, Span, Time};
use acd::record::OfferOutcome;
use acd::{AgentState, Record, RecordKind};
use jiff::tz::TimeZone;
use kpi::{Bucketing, Count, Interval, Ledger, QueueOptions};
use sim::{Scenario, Simulation};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sim")
}

fn records(simulation: &Simulation, seed: u64) -> (sim::RunSummary, Vec<Record>) {
    let mut records = Vec::new();
    let summary = simulation
        .run(seed, |r| records.push(r.clone()))
        .expect("runs");
    (summary, records)
}

fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").expect("bundled zone")
}

/// Milliseconds of a Paris wall-clock time.
fn paris_ms(text: &str) -> u64 {
    let at: jiff::civil::DateTime = text.parse().expect("date-time");
    at.to_zoned(paris())
        .expect("zoned")
        .timestamp()
        .as_millisecond() as u64
}

/// One queue, one all-day group; `queue` and `group` add keys.
fn one_queue(duration: &str, queue: &str, group: &str) -> Scenario {
    Scenario::from_toml(&format!(
        r#"
        skills = ["s"]
        [simulation]
        start = "2025-03-04T00:00"
        time_zone = "Europe/Paris"
        duration = "{duration}"
        [[queue]]
        name = "Q"
        skills = {{ s = 1 }}
        {queue}
        [[group]]
        name = "a"
        skills = {{ s = 5 }}
        queues = {{ Q = 1 }}
        {group}
        "#
    ))
    .expect("valid scenario")
}

#[test]
fn profile_counts_follow_the_profile() {
    // Four half-hours a day for 20 days: each interval's daily count is
    // Poisson with the profile's mean.
    let days = 20;
    let scenario = one_queue(
        &format!("{days}d"),
        r#"handle = { exponential = "60s" }
        [queue.arrivals]
        interval = "30m"
        profile = [
            { start = "09:00", contacts = 40 },
            { start = "09:30", contacts = 120 },
            { start = "10:00", per_hour = 400 },
            { start = "11:00", contacts = 60 },
        ]"#,
        "count = 40",
    );
    let simulation = Simulation::new(&scenario).expect("compiles");
    let (_, records) = records(&simulation, 3);
    let ledger = Ledger::from_records(&records).expect("ledger");
    let options = QueueOptions::new(Bucketing {
        interval: Interval::Minutes30,
        time_zone: paris(),
    });
    let report = ledger.queue_report(&options).expect("report");
    let mut by_time: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for row in &report.rows {
        by_time
            .entry(row.start.strftime("%H:%M").to_string())
            .or_default()
            .push(row.count(Count::Offered));
    }
    let expected = [
        ("09:00", 40.0),
        ("09:30", 120.0),
        // 400 an hour for one half-hour; 10:30 has no entry, so no traffic.
        ("10:00", 200.0),
        ("11:00", 60.0),
    ];
    assert_eq!(
        by_time.keys().cloned().collect::<Vec<_>>(),
        expected.map(|(t, _)| t.to_owned()),
        "contacts only in the profile's intervals"
    );
    for (time, mean) in expected {
        let counts = &by_time[time];
        let total: u64 = counts.iter().sum();
        let observed = total as f64 / f64::from(days);
        let sd = (mean / f64::from(days)).sqrt();
        println!("{time}: {observed:.2} a day, profile {mean} (± {sd:.2})");
        assert!(
            (observed - mean).abs() <= 4.0 * sd,
            "{time}: {observed} a day against {mean}"
        );
    }
}

#[test]
fn a_profile_csv_gives_its_contacts() {
    // Billing of the example day reads billing_forecast.csv.
    let csv = std::fs::read_to_string(examples().join("billing_forecast.csv")).expect("csv");
    let expected: f64 = csv
        .lines()
        .skip(1)
        .map(|line| {
            line.split(',')
                .nth(1)
                .expect("contacts")
                .parse::<f64>()
                .expect("number")
        })
        .sum();
    let scenario = Scenario::from_file(&examples().join("day.toml")).expect("example");
    let simulation = Simulation::new(&scenario).expect("compiles");
    let runs = 20;
    let arrivals: u64 = (0..runs)
        .map(|seed| simulation.run(seed, |_| {}).expect("runs").queues[0].arrivals)
        .sum();
    let mean = arrivals as f64 / runs as f64;
    let sd = (expected / runs as f64).sqrt();
    assert!(
        (mean - expected).abs() <= 4.0 * sd,
        "{mean} a day against {expected}"
    );
}

#[test]
fn shifts_and_breaks_log_agents_in_and_out() {
    let scenario = one_queue(
        "24h",
        r#"handle = { exponential = "60s" }
        arrivals = { per_hour = 0 }"#,
        r#"[[group.shift]]
        count = 2
        start = "08:00"
        end = "12:00"
        breaks = [{ start = "10:00", end = "10:15", reason = "coffee" }]"#,
    );
    let simulation = Simulation::new(&scenario).expect("compiles");
    let (_, records) = records(&simulation, 1);
    let ledger = Ledger::from_records(&records).expect("ledger");
    let report = ledger.agent_report(None).expect("report");
    let coffee = Code::parse("coffee").expect("code");
    for agent in [AgentId(1), AgentId(2)] {
        let row = report.row(agent).expect("agent worked");
        assert_eq!(row.logged_in, Span::from_secs(4 * 3600));
        assert_eq!(
            row.not_ready_by_reason.get(&coffee),
            Some(&Span::from_secs(900))
        );
        assert_eq!(row.ready, Span::from_secs(4 * 3600 - 900));
        assert_eq!(row.logouts, 1);
    }
    let changes: Vec<(u64, AgentState)> = records
        .iter()
        .filter_map(|r| match &r.kind {
            RecordKind::AgentStateChanged {
                agent: AgentId(1),
                to,
                ..
            } => Some((r.at.as_millis(), to.clone())),
            _ => None,
        })
        .collect();
    let login = Code::parse("login").expect("code");
    assert_eq!(
        changes,
        vec![
            (paris_ms("2025-03-04T08:00"), AgentState::NotReady(login)),
            (paris_ms("2025-03-04T08:00"), AgentState::Ready),
            (paris_ms("2025-03-04T10:00"), AgentState::NotReady(coffee)),
            (paris_ms("2025-03-04T10:15"), AgentState::Ready),
            (paris_ms("2025-03-04T12:00"), AgentState::LoggedOut),
        ]
    );
}

#[test]
fn busy_agents_log_out_after_their_call() {
    let scenario = one_queue(
        "24h",
        r#"handle = { fixed = "10m" }
        arrivals = { per_hour = 60 }"#,
        r#"[[group.shift]]
        count = 3
        start = "08:00"
        end = "12:00""#,
    );
    let simulation = Simulation::new(&scenario).expect("compiles");
    let (_, records) = records(&simulation, 5);
    let noon = paris_ms("2025-03-04T12:00");
    let mut logouts = 0;
    for r in &records {
        match &r.kind {
            RecordKind::Offered { .. } => {
                assert!(r.at.as_millis() < noon, "an offer after the shift ended")
            }
            RecordKind::AgentStateChanged {
                to: AgentState::LoggedOut,
                ..
            } => {
                logouts += 1;
                let at = r.at.as_millis();
                assert!(at >= noon && at <= noon + 600_000, "logout at {at}");
            }
            _ => {}
        }
    }
    assert_eq!(logouts, 3);
}

#[test]
fn a_roster_gives_named_agents_their_hours() {
    let text = r#"
        skills = ["s"]
        roster = "roster.csv"
        [simulation]
        start = "2025-03-04T00:00"
        time_zone = "Europe/Paris"
        duration = "24h"
        [[queue]]
        name = "Q"
        skills = { s = 1 }
        handle = { exponential = "60s" }
        arrivals = { per_hour = 0 }
        [[group]]
        name = "default"
        default = true
        skills = { s = 5 }
        queues = { Q = 1 }
        [[group]]
        name = "senior"
        skills = { s = 9 }
        queues = { Q = 1 }
    "#;
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let scenario = Scenario::from_toml_in(text, &base).expect("valid scenario");
    let simulation = Simulation::new(&scenario).expect("compiles");
    let names: Vec<(&str, u8)> = simulation
        .config()
        .agents
        .iter()
        .map(|a| (a.name.as_str(), a.skills[0].1.get()))
        .collect();
    assert_eq!(names, vec![("Ana Lima", 5), ("senior Bo Chen", 9)]);
    let (_, records) = records(&simulation, 1);
    let report = Ledger::from_records(&records)
        .expect("ledger")
        .agent_report(None)
        .expect("report");
    let ana = report.row(AgentId(1)).expect("Ana worked");
    assert_eq!(ana.logged_in, Span::from_secs(3 * 3600));
    let brk = Code::parse("break").expect("code");
    assert_eq!(
        ana.not_ready_by_reason.get(&brk),
        Some(&Span::from_secs(900))
    );
    let bo = report.row(AgentId(2)).expect("Bo worked");
    assert_eq!(bo.logged_in, Span::from_secs(2 * 3600));
}

#[test]
fn unanswered_offers_ring_out_and_go_to_another_agent() {
    let scenario = one_queue(
        "8h",
        r#"handle = { exponential = "120s" }
        offer_timeout = "10s"
        arrivals = { per_hour = 300 }"#,
        r#"count = 20
        no_answer = 0.25
        answer_delay = { fixed = "2s" }
        missed_recovery = "5s""#,
    );
    let simulation = Simulation::new(&scenario).expect("compiles");
    let (summary, records) = records(&simulation, 11);
    let (mut offers, mut rang_out) = (0u64, 0u64);
    for r in &records {
        match &r.kind {
            RecordKind::Offered { .. } => offers += 1,
            RecordKind::OfferEnded {
                outcome: OfferOutcome::NotAnswered,
                ..
            } => rang_out += 1,
            _ => {}
        }
    }
    let share = rang_out as f64 / offers as f64;
    let sd = (0.25 * 0.75 / offers as f64).sqrt();
    assert!(
        (share - 0.25).abs() <= 4.0 * sd,
        "{share} of offers rang out"
    );
    assert_eq!(summary.missed_offers, rang_out);
    // Nobody hangs up: every contact ends handled, re-offered after a miss.
    assert_eq!(summary.handled, summary.contacts);
    let ledger = Ledger::from_records(&records).expect("ledger");
    for contact in ledger.contacts() {
        let offers = &contact.legs[0].offers;
        for missed in &offers[..offers.len() - 1] {
            assert_eq!(missed.outcome, OfferOutcome::NotAnswered);
            assert_eq!(missed.ended.since(missed.offered), Span::from_secs(10));
        }
        assert_eq!(
            offers.last().map(|o| o.outcome),
            Some(OfferOutcome::Accepted)
        );
    }
    let missed = Code::parse("missed").expect("code");
    let report = ledger.agent_report(None).expect("report");
    assert!(
        report
            .rows
            .iter()
            .all(|row| row.not_ready_by_reason.contains_key(&missed)),
        "every agent missed an offer and recovered"
    );
}

#[test]
fn deflection_removes_its_share_of_the_same_callers() {
    let run = |deflect: f64| {
        let scenario = one_queue(
            "24h",
            &format!(
                r#"handle = {{ exponential = "60s" }}
                arrivals = {{ per_hour = 600 }}
                deflect = {deflect}"#
            ),
            "count = 20",
        );
        let simulation = Simulation::new(&scenario).expect("compiles");
        simulation.run_kpis(9, |_| {}).expect("runs")
    };
    let (base, deflected) = (run(0.0), run(0.2));
    // Common random numbers: the same first attempts in both runs.
    assert_eq!(base.summary.arrivals, deflected.summary.arrivals);
    let arrivals = deflected.summary.arrivals as f64;
    let share = deflected.summary.deflected as f64 / arrivals;
    let sd = (0.2 * 0.8 / arrivals).sqrt();
    assert!((share - 0.2).abs() <= 4.0 * sd, "{share} deflected");
    let offered = |k: &sim::RunKpis| k.queues[0].row.count(Count::Offered) as f64;
    let ratio = offered(&deflected) / offered(&base);
    assert!((ratio - 0.8).abs() <= 4.0 * sd, "offered fell to {ratio}");
    assert_eq!(
        deflected.summary.contacts,
        deflected.summary.arrivals - deflected.summary.deflected
    );
}

#[test]
fn other_staffing_sees_the_same_callers() {
    // Common random numbers: the same seed gives the same arrivals, numbers
    // and talk times whatever the staffing.
    let callers = |agents: u32| {
        let scenario = one_queue(
            "8h",
            r#"handle = { exponential = "300s" }
            arrivals = { per_hour = 130 }
            patience = { exponential = "600s" }
            callback = { after = "30s", accept = 0.5 }"#,
            &format!("count = {agents}"),
        );
        let simulation = Simulation::new(&scenario).expect("compiles");
        let (_, records) = records(&simulation, 8);
        let ledger = Ledger::from_records(&records).expect("ledger");
        let mut callers: Vec<(Time, String, Option<Span>)> = ledger
            .contacts()
            .iter()
            .map(|c| {
                let talk = ledger
                    .legs()
                    .iter()
                    .find(|l| l.contact == c.id)
                    .and_then(|l| l.work.as_ref())
                    .map(|w| w.talk);
                (c.arrived, c.ani.clone().expect("ani").to_string(), talk)
            })
            .collect();
        callers.sort();
        callers
    };
    let (few, more) = (callers(10), callers(12));
    assert_eq!(few.len(), more.len());
    let same_talk = few
        .iter()
        .zip(&more)
        .filter(|(a, b)| {
            assert_eq!((a.0, &a.1), (b.0, &b.1), "the same arrivals and numbers");
            a.2.is_some() && a.2 == b.2
        })
        .count();
    // Callers handled in both runs talk exactly as long in both.
    let handled_in_both = few
        .iter()
        .zip(&more)
        .filter(|(a, b)| a.2.is_some() && b.2.is_some())
        .count();
    assert_eq!(same_talk, handled_in_both);
    assert!(handled_in_both > few.len() / 2);
}

#[test]
fn accepted_callbacks_are_reported_as_requested() {
    let scenario = one_queue(
        "8h",
        r#"handle = { exponential = "300s" }
        arrivals = { per_hour = 130 }
        patience = { exponential = "600s" }
        callback = { after = "30s", accept = 0.5 }"#,
        "count = 10",
    );
    let simulation = Simulation::new(&scenario).expect("compiles");
    let kpis = simulation.run_kpis(4, |_| {}).expect("runs");
    let row = &kpis.queues[0].row;
    assert!(kpis.summary.callbacks_accepted > 20, "{:?}", kpis.summary);
    assert_eq!(
        row.count(Count::CallbackRequested),
        kpis.summary.callbacks_accepted
    );
    // Callbacks wait off the line and are all handled in the end.
    assert_eq!(
        row.count(Count::Handled) + row.count(Count::Abandoned),
        row.count(Count::Offered)
    );
}

#[test]
fn handle_time_is_talk_plus_hold_plus_wrap_up() {
    let scenario = one_queue(
        "24h",
        r#"arrivals = { per_hour = 20 }
        handle = { fixed = "100s" }
        hold = { probability = 1.0, duration = { fixed = "20s" } }
        wrap_up = { uniform = { min = "0s", max = "20s" } }
        wrap_up_limit = "10s""#,
        "count = 5",
    );
    let simulation = Simulation::new(&scenario).expect("compiles");
    let (_, records) = records(&simulation, 2);
    let (mut by_agent, mut by_timer) = (0u32, 0u32);
    for r in &records {
        if let RecordKind::WrapUpEnded { timed_out, .. } = r.kind {
            if timed_out {
                by_timer += 1
            } else {
                by_agent += 1
            }
        }
    }
    let share = f64::from(by_timer) / f64::from(by_timer + by_agent);
    assert!(
        (share - 0.5).abs() < 0.1,
        "{share} of wrap-ups hit the limit"
    );
    let kpis = simulation.run_kpis(2, |_| {}).expect("runs");
    // 100 s talk + 20 s hold + E[min(U(0, 20), 10)] = 7.5 s wrap-up.
    let aht = kpis.queue_metrics(0).aht.expect("handled calls");
    assert!((aht - 127.5).abs() < 1.0, "AHT {aht}");
}

#[test]
fn abandoned_callers_retry_with_their_number() {
    let scenario = one_queue(
        "8h",
        r#"arrivals = { per_hour = 200 }
        handle = { exponential = "180s" }
        patience = { exponential = "30s" }
        retrial = { probability = 0.5, delay = { fixed = "5m" } }"#,
        "count = 8",
    );
    let simulation = Simulation::new(&scenario).expect("compiles");
    let (summary, records) = records(&simulation, 6);
    let p = summary.retrials as f64 / summary.abandoned as f64;
    let sd = (0.25 / summary.abandoned as f64).sqrt();
    assert!((p - 0.5).abs() <= 4.0 * sd, "{p} of abandons retried");
    assert_eq!(
        summary.contacts,
        summary.arrivals + summary.retrials,
        "{summary:?}"
    );
    // A retrial arrives 5 minutes after an abandon, from the same number.
    let ledger = Ledger::from_records(&records).expect("ledger");
    let abandons: BTreeMap<(Time, String), ()> = ledger
        .contacts()
        .iter()
        .filter(|c| c.result == acd::record::ContactResult::Abandoned)
        .map(|c| ((c.finished, c.ani.clone().expect("ani").to_string()), ()))
        .collect();
    let retried = ledger
        .contacts()
        .iter()
        .filter(|c| {
            let before = Time::from_millis(c.arrived.as_millis() - 300_000);
            abandons.contains_key(&(before, c.ani.clone().expect("ani").to_string()))
        })
        .count() as u64;
    assert_eq!(retried, summary.retrials);
}

#[test]
fn the_same_seed_gives_the_same_log_byte_for_byte() {
    let scenario = Scenario::from_file(&examples().join("day.toml")).expect("example");
    let simulation = Simulation::new(&scenario).expect("compiles");
    let json = |seed: u64| {
        let (_, records) = records(&simulation, seed);
        let facts: Vec<kpi::Fact> = records.into_iter().map(kpi::Fact::Routing).collect();
        serde_json::to_vec(&facts).expect("serialises")
    };
    let first = json(7);
    assert_eq!(first, json(7));
    assert_ne!(first, json(8));
    // A second Simulation of the same scenario too.
    let again = Simulation::new(&scenario).expect("compiles");
    let mut records = Vec::new();
    again
        .run(7, |r| records.push(kpi::Fact::Routing(r.clone())))
        .expect("runs");
    assert_eq!(first, serde_json::to_vec(&records).expect("serialises"));
}

#[test]
fn streamed_kpis_equal_the_ledgers() {
    let scenario = Scenario::from_file(&examples().join("day.toml")).expect("example");
    let simulation = Simulation::new(&scenario).expect("compiles");
    let mut records = Vec::new();
    let kpis = simulation
        .run_kpis(3, |r| records.push(r.clone()))
        .expect("runs");
    let ledger = Ledger::from_records(&records).expect("ledger");
    let mut options = QueueOptions::new(Bucketing {
        interval: Interval::Day,
        time_zone: paris(),
    });
    for q in &simulation.config().queues {
        options.thresholds.insert(q.id, q.service_level_threshold);
    }
    let report = ledger.queue_report(&options).expect("report");
    assert_eq!(report.rows.len(), kpis.queues.len(), "one day per queue");
    for (row, streamed) in report.rows.iter().zip(&kpis.queues) {
        assert_eq!(*row, streamed.row, "queue {}", streamed.name);
    }
    let agents = ledger.agent_report(None).expect("report");
    let logged_in: u64 = agents.rows.iter().map(|r| r.logged_in.as_millis()).sum();
    let center = kpis.center.as_ref().expect("agents worked");
    assert_eq!(center.logged_in.as_millis(), logged_in);
    let handled: u64 = agents.rows.iter().map(|r| r.handled).sum();
    assert_eq!(center.handled, handled);
    let by_group: u64 = kpis
        .groups
        .iter()
        .filter_map(|g| g.row.as_ref())
        .map(|r| r.logged_in.as_millis())
        .sum();
    assert_eq!(by_group, logged_in);
    assert!(kpis.cost.is_some_and(|c| c > 0.0));
}

#[test]
fn the_examples_are_valid() {
    for name in ["mmn.toml", "day.toml", "center1000.toml"] {
        let scenario = Scenario::from_file(&examples().join(name));
        assert!(scenario.is_ok(), "{name}: {:?}", scenario.err());
    }
}
