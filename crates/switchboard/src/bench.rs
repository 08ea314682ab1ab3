//! `switchboard bench`: measurements of Switchboard's components on
//! synthetic load.
//!
//! Key types: [`BenchCommand`] (the benchmarks) and [`RouteArgs`]. `bench
//! route` generates a [`Center`] per size, drives it with
//! [`drive::drive`] under the indexed selector, then once more under the
//! scanning selector as the naive baseline, and prints a table and a
//! one-line summary for scripts.

mod center;
mod drive;
mod history;
mod report;
mod server;
mod sim;
mod wfm;

use acd::Selector;
use anyhow::Result;
use clap::{Args, Subcommand};
use rand::SeedableRng;
use rand::rngs::SmallRng;

use center::{Center, QUEUES, SKILLS};
use drive::{Run, Traffic};

/// Center sizes measured when `--agents` is not given, in ascending order.
const SIZES: [u32; 3] = [1_000, 10_000, 50_000];
/// The size of the summary line and the naive baseline by default.
const HEADLINE_AGENTS: u32 = 10_000;

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Measure routing throughput, decision latency and memory on a
    /// synthetic center.
    ///
    /// Builds a center with 200 skills and 500 skill-based queues, then
    /// replays Poisson arrivals at about 90 % agent occupancy in simulated
    /// time: agents answer within seconds, talk about 180 s and wrap up; a
    /// few callers abandon. Measures 1,000, 10,000 and 50,000 agents, then
    /// the scanning selector as a naive baseline. Prints a table, then a
    /// one-line summary for scripts. The default run takes under a minute.
    Route(RouteArgs),
    /// Measure staffing speed (Erlang C and A at up to 10,000 Erlangs)
    /// against pyworkforce on the same work; see scripts/bench-wfm.
    Wfm(wfm::WfmArgs),
    /// Time the queue interval and agent reports over 10,000,000 stored
    /// contacts, against SQLite aggregating the same rows in SQL.
    ///
    /// Generates a center's history (1,000 agents, 20 queues, shifts with
    /// breaks, 6 % abandons), appends it to an SQLite store one day per
    /// transaction, then times the report from the store's tallies, the
    /// same report recomputed from every leg and state interval, and one
    /// SQL GROUP BY over those rows; checks the three agree. Takes several
    /// minutes and a few GB of disk at the default size.
    Report(report::ReportArgs),
    /// Measure the simulator: M/M/14 (A = 10) against SimPy and Ciw on the
    /// same model, and a 1,000-agent, 20-skill day.
    ///
    /// Runs examples/sim/mmn.toml for 1,000,000 calls, then the same model in
    /// SimPy and Ciw through scripts/bench-sim (installed from PyPI into
    /// target/bench-venv on first use), then examples/sim/center1000.toml
    /// (about 300,000 calls); prints calls per second, the ratios, the
    /// day's wall time and peak memory.
    Sim(sim::SimArgs),
    /// Measure the live server: contacts per second and the time from a
    /// contact's arrival to its offer on an agent's WebSocket, with 1,000
    /// agents connected over loopback.
    ///
    /// Starts the server of `switchboard serve` in-process on a fresh
    /// SQLite store (or --database), logs in 1,000 agents that each hold a
    /// WebSocket and accept, end and wrap up every offer at once, then
    /// submits contacts open-loop at 500, 1,000, 2,000, … a second until
    /// the server no longer keeps up with p99 <= 20 ms. Prints a row per
    /// rate, then a one-line summary for scripts; see scripts/bench-server
    /// for SQLite and PostgreSQL side by side.
    Server(server::ServerArgs),
}

/// Options of `bench route`.
#[derive(Debug, Args)]
pub struct RouteArgs {
    /// Measure only this many agents, also for the naive baseline
    /// [default: 1,000, 10,000 and 50,000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(10..))]
    agents: Option<u32>,
    /// Contacts to route in each measured run.
    #[arg(long, value_name = "N", default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1000..))]
    contacts: u64,
    /// Contacts to route with the naive scanning selector.
    ///
    /// The scanning selector examines every agent or contact for every
    /// decision. Much fewer than the default at 10,000 agents mostly
    /// measure the start, when nearly every agent is idle and each scan
    /// costs more than in steady state.
    #[arg(long, value_name = "N", default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(1000..))]
    naive_contacts: u64,
    /// Seed of the generated center and traffic.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
}

/// Runs a benchmark.
pub fn run(command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Route(args) => route(&args),
        BenchCommand::Wfm(args) => wfm::run(&args),
        BenchCommand::Report(args) => report::run(&args),
        BenchCommand::Sim(args) => sim::run(&args),
        BenchCommand::Server(args) => server::run(&args),
    }
}

fn route(args: &RouteArgs) -> Result<()> {
    let sizes: Vec<u32> = args.agents.map_or(SIZES.to_vec(), |n| vec![n]);
    let headline = args.agents.unwrap_or(HEADLINE_AGENTS);
    println!(
        "bench route: {SKILLS} skills, {QUEUES} queues, {} contacts per size, seed {}",
        args.contacts, args.seed
    );
    println!();
    println!(
        "{:>7} {:>8} {:>9} {:>7} {:>7} {:>10} {:>7} {:>7} {:>8} {:>7} {:>9} {:>6} {:>6} {:>5}",
        "agents",
        "contacts",
        "events",
        "setup_s",
        "drive_s",
        "events/s",
        "p50_us",
        "p99_us",
        "max_us",
        "peak_MB",
        "answered",
        "aband%",
        "SL20%",
        "occ%"
    );
    let mut summary = None;
    for &agents in &sizes {
        reset_peak_memory();
        let run = measure(agents, Selector::Indexed, args.contacts, args.seed)?;
        print_row(&run, peak_memory_mb());
        if agents == headline {
            summary = Some(run);
        }
    }
    let indexed = summary.expect("the headline size is among the measured sizes");
    println!(
        "events: engine calls once agents are ready, ticks included; p50/p99/max: calls that \
         offered a contact;\npeak_MB: resident high-water mark of the run; SL20: answered \
         within 20 s; occ: agent time ringing, talking or wrapping up."
    );

    let naive = measure(headline, Selector::Scan, args.naive_contacts, args.seed)?;
    let ratio = indexed.events_per_s() / naive.events_per_s();
    println!();
    println!(
        "naive baseline (scan every agent or contact per decision), {} agents, {} contacts:",
        naive.agents, naive.contacts
    );
    println!(
        "  {} events in {:.2} s = {:.0} events/s, p50 {:.2} us, p99 {:.2} us; \
         answered {}, abandoned {:.1} %, SL20 {:.1} %",
        naive.events,
        naive.wall.as_secs_f64(),
        naive.events_per_s(),
        naive.decision_us(0.5),
        naive.decision_us(0.99),
        naive.answered,
        percent(naive.abandoned, naive.contacts),
        percent(naive.within_threshold, naive.contacts),
    );
    println!("  indexed / naive events/s at {headline} agents: {ratio:.1}x");
    println!();
    println!(
        "bench route agents={} events={} events_per_s={:.0} p50_us={:.2} p99_us={:.2} naive_ratio={:.1}",
        indexed.agents,
        indexed.events,
        indexed.events_per_s(),
        indexed.decision_us(0.5),
        indexed.decision_us(0.99),
        ratio
    );
    Ok(())
}

/// One drive of a freshly generated center; the same seed gives the same
/// center and traffic whatever the selector.
fn measure(agents: u32, selector: Selector, contacts: u64, seed: u64) -> Result<Run> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let center = Center::generate(agents as usize, &mut rng)?;
    drive::drive(center, &Traffic { selector, contacts }, &mut rng)
}

fn print_row(run: &Run, peak_mb: Option<f64>) {
    println!(
        "{:>7} {:>8} {:>9} {:>7.2} {:>7.2} {:>10.0} {:>7.2} {:>7.2} {:>8.2} {:>7} {:>9} {:>6.1} {:>6.1} {:>5.1}",
        run.agents,
        run.contacts,
        run.events,
        run.setup.as_secs_f64(),
        run.wall.as_secs_f64(),
        run.events_per_s(),
        run.decision_us(0.5),
        run.decision_us(0.99),
        run.decision_us(1.0),
        peak_mb.map_or("n/a".to_owned(), |mb| format!("{mb:.0}")),
        run.answered,
        percent(run.abandoned, run.contacts),
        percent(run.within_threshold, run.contacts),
        run.occupancy * 100.0,
    );
}

fn percent(part: u64, whole: u64) -> f64 {
    part as f64 * 100.0 / whole as f64
}

/// Resets the process's peak resident memory to its current size so the
/// next reading covers one run only. Linux only; elsewhere the peak covers
/// the whole process.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory (VmHWM) in MB, where the kernel reports it.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
