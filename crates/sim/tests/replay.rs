//! Replay of the real February (`data/anonymous_bank_february.tsv`, the
//! Anonymous Bank, imported by `import`): the derived scenario's pieces are
//! checked against the history (arrivals per day, roster covering every
//! handled call), then the month is simulated and its daily service level,
//! ASA and abandonment compared with the real ones. The comparison table
//! is printed (run with `--nocapture`) for the validation note.
//!
//! Bounds are what the model honestly achieves, measured on this file (see
//! `sim::replay` for the modelling choices behind the gaps) with room for
//! seed noise; they catch a broken replay (staffing or traffic lost, a
//! wrong unit), not a perfect twin.

use std::collections::BTreeMap;
use std::time::Instant;

use import::{Format, Options};
use kpi::{Disposition, Entry, Ledger};
use sim::replay::{CENTER, ComparisonRow, Figures};
use sim::{ReplayOptions, compare, scenario_from_ledger};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/anonymous_bank_february.tsv"
);

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.1}", v * 100.0))
}

fn secs(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

fn line(row: &ComparisonRow) -> String {
    let side = |f: &Figures| {
        format!(
            "{:>6.0} {:>6} {:>6} {:>6}",
            f.offered,
            pct(f.service_level),
            secs(f.asa),
            pct(f.abandon_rate)
        )
    };
    format!(
        "{} {:<5} | {} | {} | {:>6} {:>6} {:>6}",
        row.day,
        row.queue,
        side(&row.actual),
        side(&row.simulated),
        pct(row.delta.service_level),
        secs(row.delta.asa),
        pct(row.delta.abandon_rate)
    )
}

#[test]
fn the_replayed_february_tracks_the_real_one() {
    let started = Instant::now();
    let file = std::fs::File::open(PATH).unwrap();
    let options = Options::for_format(Format::Bank).unwrap();
    let imported = import::import(
        Format::Bank,
        std::io::BufReader::new(file),
        &options,
        |_| {},
    )
    .unwrap();
    let ledger = Ledger::from_facts(&imported.facts).unwrap();
    let replay_options = ReplayOptions::new(import::bank::TIME_ZONE);
    let replay = scenario_from_ledger(&ledger, &replay_options).unwrap();

    // Arrivals: the profile holds exactly the observed first attempts,
    // per queue and per day.
    let zone = jiff::tz::TimeZone::get(import::bank::TIME_ZONE).unwrap();
    let mut observed: BTreeMap<(String, jiff::civil::Date), u64> = BTreeMap::new();
    for leg in ledger.legs() {
        assert_eq!(leg.entry, Entry::Arrival, "the bank log has no transfers");
        let name = imported.names.queue_name(leg.queue).unwrap().to_owned();
        let day = jiff::Timestamp::from_millisecond(leg.queued.as_millis() as i64)
            .unwrap()
            .to_zoned(zone.clone())
            .date();
        *observed.entry((name, day)).or_default() += 1;
    }
    let mut derived = BTreeMap::new();
    for queue in &replay.queues {
        for (day, n) in &queue.arrivals_by_day {
            derived.insert((queue.name.clone(), *day), *n);
        }
        let spec = replay.scenario.queues.iter().find(|q| q.name == queue.name);
        let profile_total: f64 = spec
            .and_then(|q| q.arrivals.as_ref())
            .map_or(0.0, |a| a.profile.iter().filter_map(|e| e.contacts).sum());
        assert_eq!(profile_total, queue.arrivals as f64, "{}", queue.name);
    }
    assert_eq!(derived, observed);
    let total: u64 = replay.queues.iter().map(|q| q.arrivals).sum();
    assert_eq!(total, imported.report.contacts);
    assert_eq!(replay.days.len(), 28, "every day of February 1999");

    // Patience: the censored MLE, abandons and waits as observed.
    let abandons = ledger
        .legs()
        .iter()
        .filter(|l| l.disposition == Disposition::Abandoned)
        .count() as u64;
    assert_eq!(
        replay.queues.iter().map(|q| q.abandons).sum::<u64>(),
        abandons
    );
    for q in &replay.queues {
        if let Some(mean) = q.patience_mean {
            assert!((mean - q.exposure / q.abandons as f64).abs() < 1e-9);
        }
    }

    // Staffing: every handled call (answer to end of work) lies inside one
    // of its agent's work rows (its sessions), under the agent's own name,
    // and an agent's rows never overlap.
    let handled: Vec<_> = ledger
        .legs()
        .iter()
        .filter_map(|l| l.work.as_ref())
        .collect();
    assert_eq!(handled.len() as u64, replay.handled);
    assert_eq!(replay.handled, imported.report.count("handled"));
    let mut rows: BTreeMap<&str, Vec<(i64, i64)>> = BTreeMap::new();
    for row in &replay.roster {
        let agent = row.agent.rsplit('/').next().unwrap();
        let ms = |at: jiff::civil::DateTime| {
            at.to_zoned(zone.clone())
                .unwrap()
                .timestamp()
                .as_millisecond()
        };
        rows.entry(agent)
            .or_default()
            .push((ms(row.start), ms(row.end)));
    }
    for spans in rows.values() {
        for pair in spans.windows(2) {
            assert!(pair[0].0 < pair[0].1 && pair[0].1 < pair[1].0, "{pair:?}");
        }
    }
    for work in &handled {
        let name = imported.names.agent_name(work.agent).unwrap();
        let at = work.answered.as_millis() as i64;
        let end = at + work.handle().as_millis() as i64;
        assert!(
            rows[name].iter().any(|&(s, e)| s <= at && end <= e),
            "{name}'s call at {at} ms is covered by a work row"
        );
    }

    // The replay. Debug builds run one seed, release three.
    let replications = if cfg!(debug_assertions) { 1 } else { 3 };
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("replay_february");
    std::fs::create_dir_all(&dir).unwrap();
    let simulation = replay.simulation(&dir).unwrap();
    let comparison = compare(
        &ledger,
        &replay,
        &simulation,
        1,
        replications,
        &replay_options,
    )
    .unwrap();

    println!(
        "Replay of February 1999, {replications} replication(s); SL = answered within 20 s ÷ offered, \
         abandon = abandoned ÷ offered, ASA in s; delta = simulated − actual (points, s, points)"
    );
    println!(
        "{:<10} {:<5} | {:>6} {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6}",
        "day",
        "queue",
        "off",
        "SL%",
        "ASA",
        "ab%",
        "off",
        "SL%",
        "ASA",
        "ab%",
        "dSL",
        "dASA",
        "dab"
    );
    for row in comparison.rows.iter().filter(|r| r.queue == CENTER) {
        println!("{}", line(row));
    }
    println!("per queue:");
    for row in comparison.rows.iter().filter(|r| r.queue != CENTER) {
        println!("{}", line(row));
    }
    let s = &comparison.summary;
    println!("summary: {s:#?}");
    for q in &replay.queues {
        println!(
            "queue {}: arrivals {}, talk samples {} (mean {} s), abandons {}, patience mean {} s",
            q.name,
            q.arrivals,
            q.talk_samples,
            secs(q.mean_talk),
            q.abandons,
            secs(q.patience_mean)
        );
    }
    // Implied occupancy: handle time over the staffed time the sessions
    // give, the figure that sets how optimistic the replay is.
    let busy_ms: u64 = handled.iter().map(|w| w.handle().as_millis()).sum();
    assert_eq!(replay.busy.as_millis(), busy_ms);
    println!(
        "roster: sessions with gap <= {}, {:.0} agent-hours staffed, {:.0} handling: occupancy {:.1} %",
        replay_options.session_gap,
        replay.staffed().as_secs_f64() / 3600.0,
        replay.busy.as_secs_f64() / 3600.0,
        replay.occupancy() * 100.0
    );
    let a = |v: Option<f64>, scale: f64| v.map_or("-".into(), |v| format!("{:.1}", v * scale));
    let m = |v: Option<f64>, scale: f64| v.map_or("-".into(), |v| format!("{:+.1}", v * scale));
    println!(
        "center by day: mean |delta| SL {} points, ASA {} s, abandonment {} points; \
         bias SL {} points, ASA {} s, abandonment {} points",
        a(s.center.service_level, 100.0),
        a(s.center.asa, 1.0),
        a(s.center.abandon_rate, 100.0),
        m(s.center.service_level_bias, 100.0),
        m(s.center.asa_bias, 1.0),
        m(s.center.abandon_rate_bias, 100.0)
    );
    println!(
        "roster: {} work rows, {} groups; test time {:.1} s",
        replay.roster.len(),
        replay.scenario.groups.len(),
        started.elapsed().as_secs_f64()
    );

    // Sanity: every day present for the center, no NaN, every figure there.
    let center: Vec<_> = comparison
        .rows
        .iter()
        .filter(|r| r.queue == CENTER)
        .collect();
    assert_eq!(
        center.iter().map(|r| r.day).collect::<Vec<_>>(),
        replay.days
    );
    for row in &comparison.rows {
        for v in [
            row.actual.service_level,
            row.simulated.service_level,
            row.actual.asa,
            row.simulated.asa,
            row.actual.abandon_rate,
            row.simulated.abandon_rate,
        ]
        .into_iter()
        .flatten()
        {
            assert!(v.is_finite() && v >= 0.0, "{row:?}");
        }
    }
    for row in &center {
        assert!(row.delta.service_level.is_some(), "{row:?}");
        // Poisson arrivals at the observed rates: the day's volume within
        // a few standard deviations (3 % of ~1,100 is ~1 sd; allow 5 sd).
        let sd = row.actual.offered.sqrt() / f64::from(replications).sqrt();
        assert!(
            (row.simulated.offered - row.actual.offered).abs() <= 5.0 * sd + 1.0,
            "{row:?}"
        );
    }
    let mad = s.center;
    assert!(mad.service_level.unwrap() < BOUND_SL, "{mad:?}");
    assert!(mad.asa.unwrap() < BOUND_ASA, "{mad:?}");
    assert!(mad.abandon_rate.unwrap() < BOUND_ABANDON, "{mad:?}");
    assert!(mad.service_level_bias.unwrap().abs() < BIAS_SL, "{mad:?}");
    assert!(mad.asa_bias.unwrap().abs() < BIAS_ASA, "{mad:?}");
    assert!(
        mad.abandon_rate_bias.unwrap().abs() < BIAS_ABANDON,
        "{mad:?}"
    );
}

// Measured on this file with the default session gap (5 min, 1,655
// agent-hours, 80.1 % occupancy), center by day, mean |simulated − actual|
// then mean simulated − actual: seed 1 alone (debug) SL 0.101 / +0.005,
// ASA 14.3 / +3.8 s, abandonment 0.039 / +0.009; seeds 1-3 (release) SL
// 0.099 / −0.005, ASA 13.6 / +4.4 s, abandonment 0.039 / +0.011. Other
// seeds (4-6, 7-9, 10-12 and their first alone) ranged SL 0.090-0.114 /
// −0.023..+0.004, ASA 11.8-16.2 / +3.8..+7.2 s, abandonment 0.032-0.045 /
// +0.010..+0.015. The bounds leave room for seed noise only; the bias
// bounds catch a staffing derivation drifting optimistic or pessimistic
// (the former whole-half-hour presence was +0.28 SL, −26 s ASA).

/// Mean absolute daily difference of the center's service level (fraction).
const BOUND_SL: f64 = 0.15;
/// Of the center's ASA, seconds.
const BOUND_ASA: f64 = 22.0;
/// Of the center's abandonment rate (fraction).
const BOUND_ABANDON: f64 = 0.065;
/// Largest |mean daily difference| of the center's service level.
const BIAS_SL: f64 = 0.06;
/// Of the center's ASA, seconds.
const BIAS_ASA: f64 = 12.0;
/// Of the center's abandonment rate.
const BIAS_ABANDON: f64 = 0.035;
