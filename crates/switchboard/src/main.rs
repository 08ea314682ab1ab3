//! `switchboard`: the command-line entry point of the Switchboard contact
//! center.
//!
//! Key types: [`Cli`] and [`Command`]. This file only parses arguments and
//! hands each subcommand to its module (`planning`, `forecast`, `schedule`,
//! `import_log`, `reports`, `simulate`, `replay`, [`mod@bench`]); later
//! subcommands (serving, the demo) join [`Command`] the same way.

mod bench;
mod database;
mod demo;
mod forecast;
mod import_log;
mod output;
mod planning;
mod replay;
mod reports;
mod schedule;
mod serve;
mod simulate;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Switchboard, an open-source contact-center platform.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// What N agents achieve on a traffic: Erlang B, C and A.
    Erlang(planning::ErlangArgs),
    /// The fewest agents meeting service-level, ASA, abandonment and
    /// occupancy targets, for one traffic, a day of intervals or pooled
    /// queues.
    Staff(planning::StaffArgs),
    /// Contacts and handle time per interval from history, or a backtest
    /// of the forecasting methods.
    Forecast(forecast::ForecastArgs),
    /// Shifts and breaks covering an interval requirement at least cost,
    /// named agents on them, the coverage chart; and adherence.
    Schedule(schedule::ScheduleArgs),
    /// Load an existing call log (Asterisk queue_log, the Anonymous Bank
    /// format, Switchboard CSV) into the event store.
    Import(import_log::ImportArgs),
    /// KPI reports from the event store: queues, agents, outcomes, FCR,
    /// CSAT, call reasons, cost, contract, value; tables, CSV, JSON or HTML.
    Report(reports::ReportArgs),
    /// Simulate a scenario through the real routing engine: KPIs by
    /// interval and for the day, replications with confidence intervals,
    /// what-if comparisons, the event log into the store.
    Simulate(simulate::SimulateArgs),
    /// Replay a real call log through the simulator; daily SL, ASA, abandonment vs. actual.
    Replay(replay::ReplayArgs),
    /// Measure Switchboard's components on synthetic load.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Run the live server: the API, the wallboard and /metrics.
    Serve(serve::ServeArgs),
    /// A live demo center: the server with 50 simulated agents and callers
    /// acting through its API; prints the wallboard URL.
    Demo(demo::DemoArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Erlang(args) => planning::erlang(&args),
        Command::Staff(args) => planning::staff_command(&args),
        Command::Forecast(args) => forecast::run(&args),
        Command::Schedule(args) => schedule::run(&args),
        Command::Import(args) => import_log::run(&args),
        Command::Report(args) => reports::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Bench(command) => bench::run(command),
        Command::Serve(args) => serve::run(&args),
        Command::Demo(args) => demo::run(&args),
    }
}
