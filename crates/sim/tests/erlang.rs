//! The simulator against queueing theory: M/M/N against Erlang C and
//! M/M/N+M against Erlang A (`wfm::erlang`), over independent replications
//! of long runs that start empty and leave out their first hour. Each
//! simulated figure's mean must lie within its 99 % Student-t confidence
//! interval of the exact value. Every figure comes from `kpi`'s reports of
//! the runs' records.
//!
//! Runs are 5 times shorter in debug builds (CI runs the tests in debug);
//! the intervals widen accordingly and the test stays as strict.

use acd::model::Span;
use kpi::SlDefinition;
use sim::{Estimate, Replication, Scenario, Simulation, replicate};
use wfm::erlang::{Patience, Performance, Traffic, performance};

/// Simulated hours per replication, after the hour of warm-up.
const HOURS: u64 = if cfg!(debug_assertions) { 48 } else { 240 };
const REPLICATIONS: u64 = 20;
const CONFIDENCE: f64 = 0.99;

/// An M/M/N(+M) scenario: `agents`, Poisson arrivals at `per_hour`,
/// exponential talk with mean `aht` seconds, exponential patience with
/// mean `patience` seconds if any; no wrap-up and no ring time.
fn scenario(agents: u32, per_hour: f64, aht: u32, patience: Option<u32>) -> Scenario {
    let patience = patience.map_or(String::new(), |p| {
        format!("patience = {{ exponential = \"{p}s\" }}")
    });
    Scenario::from_toml(&format!(
        r#"
        skills = ["support"]
        [simulation]
        start = "2025-01-06T00:00"
        duration = "{hours}h"
        warm_up = "1h"
        drain = "6h"
        short_abandon = 0
        [[queue]]
        name = "Support"
        skills = {{ support = 1 }}
        service_level_threshold = "20s"
        arrivals = {{ per_hour = {per_hour} }}
        handle = {{ exponential = "{aht}s" }}
        {patience}
        [[group]]
        name = "agent"
        count = {agents}
        skills = {{ support = 5 }}
        queues = {{ Support = 1 }}
        "#,
        hours = HOURS + 1
    ))
    .expect("valid scenario")
}

fn run(scenario: &Scenario) -> Replication {
    let simulation = Simulation::new(scenario).expect("compiles");
    replicate(&simulation, 1..REPLICATIONS + 1).expect("runs")
}

/// One figure: simulated estimate against the formula.
struct Check {
    name: &'static str,
    simulated: Estimate,
    exact: f64,
}

impl Check {
    fn new(name: &'static str, samples: impl IntoIterator<Item = f64>, exact: f64) -> Check {
        Check {
            name,
            simulated: Estimate::of(samples).expect("runs have values"),
            exact,
        }
    }
}

/// Prints the validation table and fails on any figure outside its
/// interval.
fn assert_table(title: &str, checks: &[Check]) {
    println!("{title} ({REPLICATIONS} runs × {HOURS} h, 99 % intervals)");
    println!(
        "{:<22} {:>12} {:>12} {:>12}  ok",
        "figure", "simulated", "± (99 %)", "exact"
    );
    let mut failed = Vec::new();
    for c in checks {
        let half = c.simulated.half_width_at(CONFIDENCE).expect("several runs");
        let ok = c.simulated.covers(c.exact, CONFIDENCE);
        println!(
            "{:<22} {:>12.5} {:>12.5} {:>12.5}  {}",
            c.name,
            c.simulated.mean,
            half,
            c.exact,
            if ok { "yes" } else { "NO" }
        );
        if !ok {
            failed.push(c.name);
        }
    }
    assert!(
        failed.is_empty(),
        "{title}: outside the interval: {failed:?}"
    );
}

/// The share of contacts answered with no wait at all: SL at T = 0 s, by
/// kpi from the run's tally.
fn no_wait_share(rep: &Replication) -> Vec<f64> {
    rep.runs
        .iter()
        .map(|run| {
            let q = &run.queues[0];
            q.tally
                .row(q.row.queue, q.row.start.clone(), Span::ZERO, Span::ZERO)
                .service_level(SlDefinition::Offered)
                .expect("contacts offered")
        })
        .collect()
}

fn figures(rep: &Replication, formula: &Performance, aht: f64) -> Vec<Check> {
    let metric = |f: fn(&sim::Metrics) -> Option<f64>| -> Vec<f64> {
        rep.runs
            .iter()
            .map(|run| f(&run.total_metrics()).expect("a value per run"))
            .collect()
    };
    vec![
        Check::new(
            "waiting probability",
            no_wait_share(rep).into_iter().map(|s| 1.0 - s),
            formula.waiting_probability,
        ),
        Check::new(
            "service level (20 s)",
            metric(|m| m.service_level),
            formula.service_level.offered,
        ),
        Check::new("ASA (s)", metric(|m| m.asa), formula.asa),
        Check::new(
            "abandonment rate",
            metric(|m| m.abandon_rate),
            formula.abandon_rate,
        ),
        Check::new("occupancy", metric(|m| m.occupancy), formula.occupancy),
        Check::new("AHT (s)", metric(|m| m.aht), aht),
    ]
}

#[test]
fn m_m_n_matches_erlang_c() {
    // M/M/14 with 10 Erlangs offered: 200 calls an hour of 180 s.
    let rep = run(&scenario(14, 200.0, 180, None));
    let traffic = Traffic::from_erlangs(10.0, 180.0).expect("traffic");
    let exact = performance(traffic, Patience::Unlimited, 14, 20.0).expect("Erlang C");
    let mut checks = figures(&rep, &exact, 180.0);
    // Nobody abandons without patience: the rate is exactly zero.
    checks.retain(|c| c.name != "abandonment rate");
    assert!(
        rep.runs.iter().all(|r| r.summary.abandoned == 0),
        "a caller without patience abandoned"
    );
    assert_table("M/M/14, A = 10 against Erlang C", &checks);
}

#[test]
fn m_m_n_m_matches_erlang_a() {
    // M/M/14+M near capacity: 12 Erlangs (240 calls an hour of 180 s),
    // callers who wait 2 minutes on average before hanging up.
    let rep = run(&scenario(14, 240.0, 180, Some(120)));
    let traffic = Traffic::from_erlangs(12.0, 180.0).expect("traffic");
    let patience = Patience::mean(120.0).expect("patience");
    let exact = performance(traffic, patience, 14, 20.0).expect("Erlang A");
    assert_table(
        "M/M/14+M, A = 12, patience 120 s against Erlang A",
        &figures(&rep, &exact, 180.0),
    );
}
