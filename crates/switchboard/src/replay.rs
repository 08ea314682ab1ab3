//! `switchboard replay`: a real call log replayed through the simulator,
//! day by day against what really happened.
//!
//! Key type: [`ReplayArgs`]. The log is imported in memory (nothing goes to
//! the store), `sim::replay` derives the scenario (arrivals by half hour,
//! empirical talk times, exponential patience by the censored estimate,
//! agents present in sessions of calls no more than `--session-gap` apart,
//! 5 minutes by default; see its module doc), runs it
//! over `--replications` seeds, and the daily service level, ASA and
//! abandonment of both sides are printed with their differences and a
//! summary.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use acd::model::Span;
use anyhow::{Context, Result};
use clap::Args;
use import::{Format, Options};
use kpi::Ledger;
use serde::Serialize;
use sim::replay::{CENTER, Comparison, ComparisonRow, DerivedQueue, MeanAbs};
use sim::units::Period;
use sim::{ReplayOptions, compare, scenario_from_ledger};

use crate::output::{self, FormatArgs, Table, emit};

/// Options of `switchboard replay`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  switchboard replay bank data/anonymous_bank_february.tsv
  switchboard replay bank data/anonymous_bank_february.tsv --replications 5 --by-queue --csv

Service level = answered within 20 s ÷ offered (short abandons disabled);
abandonment = abandoned ÷ offered; Δ = simulated − actual.")]
pub struct ReplayArgs {
    /// The log's format: queue-log, bank or csv.
    #[arg(value_parser = parse_format)]
    format: Format,
    /// The log to replay.
    file: PathBuf,
    /// The zone of the center [default: the format's usual zone].
    #[arg(long, value_name = "ZONE")]
    time_zone: Option<String>,
    /// Seed of the first run.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// Runs over seeds seed, seed+1, …, pooled.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    replications: u32,
    /// Session gap G: an agent is present from a call's answer through
    /// its following calls while each is answered at most G after the
    /// previous one ended (`5m`, `90s`, bare seconds).
    #[arg(long, value_name = "GAP", default_value = "5m", value_parser = parse_gap)]
    session_gap: Span,
    /// Also print each queue's days, not only the center's.
    #[arg(long)]
    by_queue: bool,
    #[command(flatten)]
    output: FormatArgs,
}

fn parse_gap(text: &str) -> Result<Span, String> {
    Period::parse(text).map(|p| Span::from_millis(p.0))
}

fn parse_format(text: &str) -> Result<Format, String> {
    text.parse().map_err(|e: import::Error| e.to_string())
}

/// What `--json` prints.
#[derive(Serialize)]
struct Replayed<'a> {
    queues: &'a [DerivedQueue],
    comparison: &'a Comparison,
}

fn pct(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{:.1}%", v * 100.0))
}

fn secs(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v:.1}"))
}

fn points(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{:+.1}", v * 100.0))
}

/// Runs `switchboard replay`.
pub fn run(args: &ReplayArgs) -> Result<()> {
    let zone = args
        .time_zone
        .as_deref()
        .unwrap_or(args.format.default_time_zone());
    let options = Options::in_zone(zone)?;
    let file =
        File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
    let imported = import::import(args.format, BufReader::new(file), &options, |_| {})
        .with_context(|| format!("importing {}", args.file.display()))?;
    let ledger = Ledger::from_facts(&imported.facts)?;
    let mut replay_options = ReplayOptions::new(zone);
    replay_options.session_gap = args.session_gap;
    let replay = scenario_from_ledger(&ledger, &replay_options)?;
    // The scenario reads its roster from a file: a folder that goes away.
    let folder = tempfile::tempdir().context("creating a temporary folder")?;
    let simulation = replay.simulation(folder.path())?;
    let comparison = compare(
        &ledger,
        &replay,
        &simulation,
        args.seed,
        args.replications,
        &replay_options,
    )?;

    let format = args.output.format();
    let output = Replayed {
        queues: &replay.queues,
        comparison: &comparison,
    };
    emit(format, &output, || {
        let mut table = Table::new([
            "day",
            "queue",
            "offered",
            "SL",
            "ASA",
            "abandon",
            "sim offered",
            "sim SL",
            "sim ASA",
            "sim abandon",
            "Δ SL",
            "Δ ASA",
            "Δ abandon",
        ]);
        let shown = |r: &&ComparisonRow| args.by_queue || r.queue == CENTER;
        for row in comparison.rows.iter().filter(shown) {
            let (a, s, d) = (&row.actual, &row.simulated, &row.delta);
            table.row([
                row.day.to_string(),
                row.queue.clone(),
                format!("{:.0}", a.offered),
                pct(a.service_level),
                secs(a.asa),
                pct(a.abandon_rate),
                format!("{:.0}", s.offered),
                pct(s.service_level),
                secs(s.asa),
                pct(s.abandon_rate),
                points(d.service_level),
                secs(d.asa),
                points(d.abandon_rate),
            ]);
        }
        table
    })?;
    if format == output::Format::Table {
        let summary = &comparison.summary;
        let mean = |label: &str, m: &MeanAbs| {
            println!(
                "{label}: mean |Δ| SL {} points, ASA {} s, abandonment {} points; \
                 bias SL {} points, ASA {} s, abandonment {} points",
                points(m.service_level).trim_start_matches('+'),
                secs(m.asa),
                points(m.abandon_rate).trim_start_matches('+'),
                points(m.service_level_bias),
                m.asa_bias.map_or(String::new(), |v| format!("{v:+.1}")),
                points(m.abandon_rate_bias),
            );
        };
        println!(
            "\n{} replication(s), seeds from {}",
            summary.replications, args.seed
        );
        println!(
            "staffing: sessions with gap ≤ {}, {} work rows, {:.0} agent-hours for {:.0} \
             hours of handling (occupancy {:.1}%)",
            args.session_gap,
            replay.roster.len(),
            replay.staffed().as_secs_f64() / 3600.0,
            replay.busy.as_secs_f64() / 3600.0,
            replay.occupancy() * 100.0
        );
        mean("center by day", &summary.center);
        mean("queues by day", &summary.queues);
        for largest in &summary.largest {
            let value = if largest.metric == "asa" {
                format!("{:+.1} s", largest.delta)
            } else {
                format!("{:+.1} points", largest.delta * 100.0)
            };
            println!("largest Δ {}: {} {value}", largest.metric, largest.day);
        }
    }
    Ok(())
}
