//! `switchboard simulate`: run a scenario through the routing engine on a
//! virtual clock, report its KPIs, replicate it over seeds, or compare two
//! scenarios.
//!
//! Key type: [`SimulateArgs`]. One run streams its records to
//! [`sim::Collector`] (the day's KPIs by kpi), to a kpi queue aggregator
//! (the interval table) and, with `--database`, to the event store in
//! batches with the queues' and agents' names, so `switchboard report`
//! reads a simulated day like a real one. `--replications N` runs seeds
//! `seed..seed+N` and prints each figure's mean with a 95 % interval;
//! `--compare B` runs both scenarios on the same seeds (the same callers:
//! the simulator draws each caller's randomness from the seed and the
//! caller's number) and prints B − A with the interval of the paired
//! differences.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use acd::Record;
use acd::RecordKind;
use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use kpi::{
    Bucketing, Count, Entity, Fact, Interval, LegFact, Naming, QueueAggregator, QueueOptions,
    SlDefinition,
};
use serde::Serialize;
use sim::{Collector, Estimate, Estimates, Metrics, RunKpis, Scenario, Simulation};

use crate::database::DatabaseArgs;
use crate::output::{Format, FormatArgs, Table, emit};

/// Options of `switchboard simulate`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  switchboard simulate examples/sim/day.toml
  switchboard simulate examples/sim/day.toml --interval 15m --database sim.db
  switchboard simulate examples/sim/day.toml --replications 20
  switchboard simulate --compare examples/sim/day.toml examples/sim/day_tech_plus2.toml

Scenario keys: examples/sim/README.md. The same scenario and seed give the
same event log, byte for byte.")]
pub struct SimulateArgs {
    /// The scenario (TOML); with --compare, scenarios A and B.
    #[arg(required = true, num_args = 1..=2, value_name = "SCENARIO")]
    scenarios: Vec<PathBuf>,
    /// Seed of the (first) run [default: the scenario's].
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Runs over seeds seed, seed+1, …; figures get a 95 % interval
    /// [default: 1, or 10 with --compare].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000))]
    replications: Option<u64>,
    /// Compare two scenarios A and B on the same seeds: B − A of service
    /// level, ASA, abandonment, occupancy, AHT and cost.
    #[arg(long)]
    compare: bool,
    /// Interval of the queue table of a single run: 15m, 30m, 60m or day.
    #[arg(long, default_value = "60m", value_parser = parse_interval)]
    interval: Interval,
    /// Store the run's event log here (an SQLite file or postgres:// URL)
    /// for `switchboard report`.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

fn parse_interval(text: &str) -> Result<Interval, String> {
    match text {
        "15m" => Ok(Interval::Minutes15),
        "30m" => Ok(Interval::Minutes30),
        "60m" | "1h" => Ok(Interval::Minutes60),
        "day" => Ok(Interval::Day),
        _ => Err(format!(
            "{text:?} is not an interval: use 15m, 30m, 60m or day"
        )),
    }
}

fn load(path: &Path) -> Result<(Scenario, Simulation)> {
    let scenario =
        Scenario::from_file(path).with_context(|| format!("in the scenario {}", path.display()))?;
    let simulation = Simulation::new(&scenario)
        .with_context(|| format!("in the scenario {}", path.display()))?;
    Ok((scenario, simulation))
}

/// Runs `switchboard simulate`.
pub fn run(args: &SimulateArgs) -> Result<()> {
    let (scenario, simulation) = load(&args.scenarios[0])?;
    let seed = args.seed.unwrap_or(scenario.simulation.seed);
    match (args.compare, args.scenarios.get(1)) {
        (true, Some(other)) => {
            if args.database.is_some() {
                bail!("--database stores one run; leave it out with --compare");
            }
            let (_, b) = load(other)?;
            let runs = args.replications.unwrap_or(10);
            return compare(args, &simulation, &b, seed..seed + runs);
        }
        (true, None) => bail!("--compare needs two scenarios: A.toml B.toml"),
        (false, Some(_)) => bail!("two scenarios are compared with --compare A.toml B.toml"),
        (false, None) => {}
    }
    match args.replications {
        Some(n) if n > 1 => {
            if args.database.is_some() {
                bail!("--database stores one run; leave it out with --replications");
            }
            replications(args, &simulation, seed..seed + n)
        }
        _ => single(args, &simulation, seed),
    }
}

/// What a single run prints as JSON.
#[derive(Serialize)]
struct SingleRun<'a> {
    seconds: f64,
    kpis: &'a RunKpis,
    intervals: &'a kpi::QueueReport,
}

fn single(args: &SimulateArgs, simulation: &Simulation, seed: u64) -> Result<()> {
    let (from, to) = simulation.window();
    let bar = progress(to.as_millis().saturating_sub(from.as_millis()));
    let mut store = args
        .database
        .as_ref()
        .map(|url| {
            DatabaseArgs {
                database: url.clone(),
            }
            .open(Some(simulation.time_zone()))
        })
        .transpose()?;
    let mut batch: Vec<Fact> = names(simulation, from);
    let mut store_error = None;
    // Legs wait for the run's end, when the collector knows the scenario's
    // short-abandon threshold.
    let mut legs: Vec<LegFact> = Vec::new();
    let mut kpi_error = None;
    let mut collector = Collector::new(simulation);
    let mut seen = 0u64;
    let started = Instant::now();
    let summary = simulation.run(seed, |record: &Record| {
        collector.record(record);
        if let RecordKind::ContactFinished(contact) = &record.kind
            && let Err(e) = kpi::legs::classify(contact, &mut legs)
        {
            kpi_error.get_or_insert(e);
        }
        if let Some(store) = store.as_mut() {
            batch.push(Fact::Routing(record.clone()));
            if batch.len() >= 20_000 && store_error.is_none() {
                store_error = store.append(&batch).err();
                batch.clear();
            }
        }
        seen += 1;
        if seen.is_multiple_of(4096) {
            bar.set_position(record.at.as_millis().saturating_sub(from.as_millis()));
        }
    })?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    if let Some(e) = kpi_error {
        return Err(e.into());
    }
    if let Some(store) = store.as_mut() {
        if let Some(e) = store_error {
            return Err(e).context("storing the run's event log");
        }
        store
            .append(&batch)
            .context("storing the run's event log")?;
    }
    let kpis = collector.finish(summary)?;
    let mut options = QueueOptions::new(Bucketing {
        interval: args.interval,
        time_zone: simulation.time_zone().clone(),
    });
    options.short_abandon = kpis.short_abandon;
    options.thresholds = simulation
        .config()
        .queues
        .iter()
        .map(|q| (q.id, q.service_level_threshold))
        .collect();
    let mut intervals = QueueAggregator::new(&options)?;
    for leg in &legs {
        intervals.add_leg(leg)?;
    }
    let report = intervals.finish();
    let format = args.format.format();
    if format == Format::Table {
        let s = &kpis.summary;
        println!(
            "{}: seed {seed}, {} arrivals ({} deflected, {} retrials), {} contacts: \
             {} handled, {} abandoned, {} callbacks accepted; {} events in {:.1} ms",
            args.scenarios[0].display(),
            s.arrivals,
            s.deflected,
            s.retrials,
            s.contacts,
            s.handled,
            s.abandoned,
            s.callbacks_accepted,
            s.events,
            seconds * 1000.0
        );
        if let Some(url) = &args.database {
            println!("event log stored in {url}: `switchboard report queues --database {url}`");
        }
        println!(
            "\nBy interval, whole run (SL: offered definition, each queue's T; abandons within {} s are short):",
            kpis.short_abandon.as_millis() / 1000
        );
        print!(
            "{}",
            interval_table(simulation, &report, args.interval).render()
        );
        println!("\nMeasured window (after warm-up):");
    }
    let json = SingleRun {
        seconds,
        kpis: &kpis,
        intervals: &report,
    };
    emit(format, &json, || day_table(&kpis))
}

/// Names of the queues and agents, so reports of a stored run show them.
fn names(simulation: &Simulation, at: acd::model::Time) -> Vec<Fact> {
    let config = simulation.config();
    let queues = config
        .queues
        .iter()
        .map(|q| (Entity::Queue(q.id), q.name.clone()));
    let agents = config
        .agents
        .iter()
        .map(|a| (Entity::Agent(a.id), a.name.clone()));
    queues
        .chain(agents)
        .map(|(entity, name)| Fact::Named(Naming { at, entity, name }))
        .collect()
}

fn progress(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    ProgressBar::new(len).with_style(
        ProgressStyle::with_template("simulating [{bar:40}] {percent}% ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    )
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{:.1}%", v * 100.0))
}

fn secs(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v:.1}"))
}

fn interval_table(simulation: &Simulation, report: &kpi::QueueReport, interval: Interval) -> Table {
    let names = simulation.config();
    let name = |id| {
        names
            .queues
            .iter()
            .find(|q| q.id == id)
            .map_or_else(|| id.to_string(), |q| q.name.clone())
    };
    let mut table = Table::new([
        "queue",
        "interval",
        "offered",
        "answered",
        "abandoned",
        "SL",
        "ASA s",
        "abandon %",
        "AHT s",
    ]);
    for row in &report.rows {
        table.row([
            name(row.queue),
            if interval == Interval::Day {
                row.start.date().to_string()
            } else {
                row.start.strftime("%Y-%m-%d %H:%M").to_string()
            },
            row.count(Count::Offered).to_string(),
            row.count(Count::Answered).to_string(),
            row.count(Count::Abandoned).to_string(),
            pct(row.service_level(SlDefinition::Offered)),
            secs(row.asa),
            pct(row.abandon_rate),
            secs(row.aht),
        ]);
    }
    table
}

const FIGURES: [&str; 7] = [
    "offered",
    "SL",
    "ASA s",
    "abandon %",
    "AHT s",
    "occupancy",
    "cost",
];

fn metric_cells(m: &Metrics) -> Vec<String> {
    vec![
        m.offered.to_string(),
        pct(m.service_level),
        secs(m.asa),
        pct(m.abandon_rate),
        secs(m.aht),
        pct(m.occupancy),
        m.cost.map_or_else(String::new, |c| format!("{c:.2}")),
    ]
}

fn day_table(kpis: &RunKpis) -> Table {
    let mut table = Table::new(std::iter::once("queue").chain(FIGURES));
    for (q, queue) in kpis.queues.iter().enumerate() {
        let mut cells = vec![queue.name.clone()];
        cells.extend(metric_cells(&kpis.queue_metrics(q)));
        table.row(cells);
    }
    let mut cells = vec!["center".to_owned()];
    cells.extend(metric_cells(&kpis.total_metrics()));
    table.row(cells);
    table
}

/// `mean ± half-width`, scaled (100 for shares).
fn estimate(e: Option<Estimate>, scale: f64) -> String {
    e.map_or_else(String::new, |e| match e.half_width {
        Some(h) => format!("{:.2} ± {:.2}", e.mean * scale, h * scale),
        None => format!("{:.2}", e.mean * scale),
    })
}

fn estimate_cells(e: &Estimates) -> Vec<String> {
    vec![
        estimate(e.offered, 1.0),
        estimate(e.service_level, 100.0),
        estimate(e.asa, 1.0),
        estimate(e.abandon_rate, 100.0),
        estimate(e.aht, 1.0),
        estimate(e.occupancy, 100.0),
        estimate(e.cost, 1.0),
    ]
}

fn spinner(message: String) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
    );
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

fn replications(
    args: &SimulateArgs,
    simulation: &Simulation,
    seeds: std::ops::Range<u64>,
) -> Result<()> {
    let bar = spinner(format!("{} runs", seeds.end - seeds.start));
    let started = Instant::now();
    let replication = sim::replicate(simulation, seeds.clone())?;
    bar.finish_and_clear();
    let format = args.format.format();
    if format == Format::Table {
        println!(
            "{}: {} runs (seeds {}..{}) in {:.2} s; mean ± half-width of the 95 % interval \
             (SL, abandonment and occupancy in %)",
            args.scenarios[0].display(),
            seeds.end - seeds.start,
            seeds.start,
            seeds.end,
            started.elapsed().as_secs_f64()
        );
    }
    #[derive(Serialize)]
    struct Out<'a> {
        queues: &'a [(String, Estimates)],
        total: &'a Estimates,
    }
    emit(
        format,
        &Out {
            queues: &replication.queues,
            total: &replication.total,
        },
        || {
            let mut table = Table::new(std::iter::once("queue").chain(FIGURES));
            for (name, e) in &replication.queues {
                let mut cells = vec![name.clone()];
                cells.extend(estimate_cells(e));
                table.row(cells);
            }
            let mut cells = vec!["center".to_owned()];
            cells.extend(estimate_cells(&replication.total));
            table.row(cells);
            table
        },
    )
}

/// Reads one figure of a run's metrics.
type Figure = fn(&Metrics) -> Option<f64>;

/// One figure of a comparison.
#[derive(Serialize)]
struct Delta {
    figure: &'static str,
    a: Option<Estimate>,
    b: Option<Estimate>,
    b_minus_a: Option<Estimate>,
}

fn compare(
    args: &SimulateArgs,
    a: &Simulation,
    b: &Simulation,
    seeds: std::ops::Range<u64>,
) -> Result<()> {
    let bar = spinner(format!("{} runs of each scenario", seeds.end - seeds.start));
    let ra = sim::replicate(a, seeds.clone())?;
    let rb = sim::replicate(b, seeds.clone())?;
    bar.finish_and_clear();
    let ma: Vec<Metrics> = ra.runs.iter().map(RunKpis::total_metrics).collect();
    let mb: Vec<Metrics> = rb.runs.iter().map(RunKpis::total_metrics).collect();
    let figures: [(&'static str, Figure); 6] = [
        ("service level (offered)", |m| m.service_level),
        ("ASA s", |m| m.asa),
        ("abandonment", |m| m.abandon_rate),
        ("occupancy", |m| m.occupancy),
        ("AHT s", |m| m.aht),
        ("cost", |m| m.cost),
    ];
    let deltas: Vec<Delta> = figures
        .iter()
        .map(|(figure, get)| Delta {
            figure,
            a: Estimate::of(ma.iter().filter_map(get)),
            b: Estimate::of(mb.iter().filter_map(get)),
            b_minus_a: Estimate::of(
                ma.iter()
                    .zip(&mb)
                    .filter_map(|(x, y)| Some(get(y)? - get(x)?)),
            ),
        })
        .collect();
    let format = args.format.format();
    if format == Format::Table {
        println!(
            "A = {}, B = {}: {} runs each on seeds {}..{} (the same callers in both); \
             mean ± half-width of the 95 % interval, shares in %",
            args.scenarios[0].display(),
            args.scenarios[1].display(),
            seeds.end - seeds.start,
            seeds.start,
            seeds.end
        );
    }
    emit(format, &deltas, || {
        let mut table = Table::new(["figure", "A", "B", "B - A"]);
        for d in &deltas {
            let scale = if d.figure.ends_with(" s") || d.figure == "cost" {
                1.0
            } else {
                100.0
            };
            table.row([
                d.figure.to_owned(),
                estimate(d.a, scale),
                estimate(d.b, scale),
                estimate(d.b_minus_a, scale),
            ]);
        }
        table
    })
}
