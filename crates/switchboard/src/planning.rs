//! `switchboard erlang` and `switchboard staff`: queueing math and staffing
//! on the command line.
//!
//! Key types: [`ErlangArgs`], [`StaffArgs`] and the shared [`TrafficArgs`]
//! and [`TargetArgs`]. The math lives in the `wfm` crate; this module turns
//! flags into its types and its results into tables.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use wfm::erlang::{Patience, Performance, Traffic, erlang_b, performance};
use wfm::forecast::History;
use wfm::series::IntervalLength;
use wfm::staffing::{
    IntervalStaffing, ServiceLevelTarget, Shrinkage, SlDefinition, Staffing, Targets,
    compare_pooling, staff, staff_intervals,
};

use crate::output::{FormatArgs, Table, emit};

/// Offered traffic: contacts per interval and handle time.
#[derive(Debug, Args)]
pub struct TrafficArgs {
    /// Contacts arriving per interval.
    #[arg(long, value_name = "N", conflicts_with = "erlangs")]
    calls: Option<f64>,
    /// Interval length in minutes (5, 15, 30 or 60).
    #[arg(long, value_name = "MIN", default_value_t = 30)]
    interval: u32,
    /// Offered load in Erlangs, instead of --calls.
    #[arg(long, value_name = "A")]
    erlangs: Option<f64>,
    /// Average handle time (talk + hold + wrap-up) in seconds.
    #[arg(long, value_name = "S", default_value_t = 180.0)]
    aht: f64,
    /// Callers' mean patience in seconds: models abandonment (Erlang A).
    /// Without it nobody hangs up (Erlang C).
    #[arg(long, value_name = "S")]
    patience: Option<f64>,
}

impl TrafficArgs {
    fn interval(&self) -> Result<IntervalLength> {
        IntervalLength::from_minutes(self.interval).context("--interval")
    }

    fn traffic(&self) -> Result<Traffic> {
        let traffic = match (self.calls, self.erlangs) {
            (Some(calls), _) => Traffic::new(calls, self.interval()?.seconds(), self.aht),
            (None, Some(erlangs)) => Traffic::from_erlangs(erlangs, self.aht),
            (None, None) => bail!("give the traffic: --calls N (per --interval) or --erlangs A"),
        };
        Ok(traffic?)
    }

    fn patience(&self) -> Result<Patience> {
        Ok(match self.patience {
            Some(mean) => Patience::mean(mean).context("--patience")?,
            None => Patience::Unlimited,
        })
    }
}

/// Options of `switchboard erlang`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  switchboard erlang --calls 100 --interval 30 --aht 180 --agents 12 --to 16
  switchboard erlang --erlangs 3000 --aht 180 --patience 300 --agents 3050 --threshold 60
  switchboard erlang --calls 360 --aht 240 --agents 55 --threshold 15 --json")]
pub struct ErlangArgs {
    #[command(flatten)]
    traffic: TrafficArgs,
    /// Agents on the phones (first of the range).
    #[arg(long, value_name = "N")]
    agents: u32,
    /// Last agent count of the range [default: --agents].
    #[arg(long, value_name = "N")]
    to: Option<u32>,
    /// Service-level threshold T in seconds.
    #[arg(long, value_name = "S", default_value_t = 20.0)]
    threshold: f64,
    #[command(flatten)]
    format: FormatArgs,
}

/// One row of `switchboard erlang`.
#[derive(Debug, Serialize)]
struct ErlangRow {
    /// Erlang B: probability that every line is busy.
    blocking: f64,
    #[serde(flatten)]
    performance: Performance,
}

/// Runs `switchboard erlang`.
pub fn erlang(args: &ErlangArgs) -> Result<()> {
    let traffic = args.traffic.traffic()?;
    let patience = args.traffic.patience()?;
    let last = args.to.unwrap_or(args.agents);
    if last < args.agents {
        bail!("--to {last} is below --agents {}", args.agents);
    }
    let rows = (args.agents..=last)
        .map(|agents| {
            Ok(ErlangRow {
                blocking: erlang_b(traffic.erlangs(), agents)?,
                performance: performance(traffic, patience, agents, args.threshold)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    emit(args.format.format(), &rows, || {
        let mut table = Table::new([
            "agents",
            "load",
            "wait%",
            "SL_offered%",
            "SL_answered%",
            "ASA_s",
            "abandon%",
            "occupancy%",
            "queue",
            "blocking%",
        ]);
        for row in &rows {
            let p = &row.performance;
            table.row([
                p.agents.to_string(),
                format!("{:.2}", p.offered_load),
                pct(p.waiting_probability),
                pct(p.service_level.offered),
                pct(p.service_level.answered),
                format!("{:.1}", p.asa),
                pct(p.abandon_rate),
                pct(p.occupancy),
                format!("{:.2}", p.queue_length),
                pct(row.blocking),
            ]);
        }
        table
    })
}

fn pct(share: f64) -> String {
    format!("{:.2}", share * 100.0)
}

/// Staffing targets; every one given must hold.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Service-level target as a share, e.g. 0.8 for 80 %.
    #[arg(long, value_name = "SHARE")]
    sl: Option<f64>,
    /// Service-level threshold T in seconds.
    #[arg(long, value_name = "S", default_value_t = 20.0)]
    threshold: f64,
    /// Service-level definition the target is measured by.
    #[arg(long, value_enum, default_value_t = SlArg::Offered)]
    sl_definition: SlArg,
    /// Highest acceptable ASA in seconds.
    #[arg(long, value_name = "S")]
    max_asa: Option<f64>,
    /// Highest acceptable abandonment rate as a share (needs --patience).
    #[arg(long, value_name = "SHARE")]
    max_abandon: Option<f64>,
    /// Highest acceptable occupancy as a share.
    #[arg(long, value_name = "SHARE")]
    max_occupancy: Option<f64>,
    /// Share of paid time off the phones (breaks, training, absence).
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    shrinkage: f64,
}

/// Service-level definitions by their command-line names.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SlArg {
    Answered,
    Offered,
    AbandonNeutral,
    Virtual,
}

impl TargetArgs {
    fn targets(&self) -> Targets {
        let definition = match self.sl_definition {
            SlArg::Answered => SlDefinition::Answered,
            SlArg::Offered => SlDefinition::Offered,
            SlArg::AbandonNeutral => SlDefinition::AbandonNeutral,
            SlArg::Virtual => SlDefinition::Virtual,
        };
        Targets {
            service_level: self.sl.map(|fraction| ServiceLevelTarget {
                fraction,
                threshold: self.threshold,
                definition,
            }),
            max_asa: self.max_asa,
            max_abandon: self.max_abandon,
            max_occupancy: self.max_occupancy,
        }
    }
}

/// Options of `switchboard staff`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  switchboard staff --calls 100 --interval 30 --aht 180 --sl 0.8 --threshold 20
  switchboard staff --erlangs 10000 --aht 300 --sl 0.9 --threshold 30 --shrinkage 0.3
  switchboard staff --calls 500 --aht 240 --patience 120 --max-abandon 0.03 --max-occupancy 0.9
  switchboard staff --demand day.csv --interval 15 --aht 200 --sl 0.8 --fractional --csv
  switchboard staff --pool 120:180 --pool 80:300 --pool 40:240 --interval 30 --sl 0.8

A demand file is CSV with a header: start,contacts[,aht] (start like
2024-03-04T08:00, on the --interval grid; aht in seconds, else --aht).
`switchboard forecast --csv` writes one.")]
pub struct StaffArgs {
    #[command(flatten)]
    traffic: TrafficArgs,
    #[command(flatten)]
    targets: TargetArgs,
    /// Staff every interval of a demand CSV instead of one traffic.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["calls", "erlangs", "pool"])]
    demand: Option<PathBuf>,
    /// Compare queues staffed apart with the same queues pooled; one
    /// CALLS:AHT per queue (contacts per interval and seconds).
    #[arg(long, value_name = "CALLS:AHT", conflicts_with_all = ["calls", "erlangs"])]
    pool: Vec<String>,
    /// Also report fractional agents (no rounding up per interval).
    #[arg(long)]
    fractional: bool,
    #[command(flatten)]
    format: FormatArgs,
}

/// Runs `switchboard staff`.
pub fn staff_command(args: &StaffArgs) -> Result<()> {
    let patience = args.traffic.patience()?;
    let targets = args.targets.targets();
    let shrinkage = Shrinkage::new(args.targets.shrinkage).context("--shrinkage")?;
    if let Some(path) = &args.demand {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let interval = args.traffic.interval()?;
        let history = History::from_csv(file, Some(interval))
            .with_context(|| format!("reading {}", path.display()))?;
        let rows = staff_intervals(
            history.observations(),
            interval,
            args.traffic.aht,
            patience,
            &targets,
            shrinkage,
            args.fractional,
        )?;
        return emit(args.format.format(), &rows, || interval_table(&rows));
    }
    if !args.pool.is_empty() {
        let interval = args.traffic.interval()?.seconds();
        let queues = args
            .pool
            .iter()
            .map(|spec| {
                let (calls, aht) = spec
                    .split_once(':')
                    .with_context(|| format!("--pool {spec:?}: expected CALLS:AHT"))?;
                let parse = |what: &str, text: &str| {
                    text.parse::<f64>().with_context(|| {
                        format!("--pool {spec:?}: {what} {text:?} is not a number")
                    })
                };
                Ok(Traffic::new(
                    parse("calls", calls)?,
                    interval,
                    parse("aht", aht)?,
                )?)
            })
            .collect::<Result<Vec<_>>>()?;
        let comparison = compare_pooling(&queues, patience, &targets, shrinkage)?;
        return emit(args.format.format(), &comparison, || {
            let mut table = Table::new(["queue", "load", "agents", "scheduled", "SL%", "ASA_s"]);
            let mut add = |name: String, s: &Staffing| {
                table.row([
                    name,
                    format!("{:.2}", s.performance.offered_load),
                    s.agents.to_string(),
                    format!("{:.1}", s.scheduled),
                    pct(s.performance.service_level.offered),
                    format!("{:.1}", s.performance.asa),
                ]);
            };
            for (i, s) in comparison.split.iter().enumerate() {
                add(format!("split {}", i + 1), s);
            }
            add("pooled".to_owned(), &comparison.pooled);
            table.row([
                "saved by pooling".to_owned(),
                String::new(),
                (i64::from(comparison.split_agents) - i64::from(comparison.pooled.agents))
                    .to_string(),
                String::new(),
                String::new(),
                String::new(),
            ]);
            table
        });
    }
    let s = staff(
        args.traffic.traffic()?,
        patience,
        &targets,
        shrinkage,
        args.fractional,
    )?;
    emit(args.format.format(), &s, || staffing_table(&s))
}

fn staffing_table(s: &Staffing) -> Table {
    let p = &s.performance;
    let mut table = Table::new(["metric", "value"]);
    let mut add = |name: &str, value: String| table.row([name.to_owned(), value]);
    add("agents on the phones", s.agents.to_string());
    if let Some(f) = s.fractional_agents {
        add("fractional agents", format!("{f:.2}"));
    }
    add("agents to schedule", format!("{:.2}", s.scheduled));
    add("offered load (Erlangs)", format!("{:.2}", p.offered_load));
    add("waiting probability %", pct(p.waiting_probability));
    add(
        &format!("service level offered % (T={}s)", p.threshold),
        pct(p.service_level.offered),
    );
    add("service level answered %", pct(p.service_level.answered));
    add("ASA (s)", format!("{:.1}", p.asa));
    add("abandonment %", pct(p.abandon_rate));
    add("occupancy %", pct(p.occupancy));
    table
}

fn interval_table(rows: &[IntervalStaffing]) -> Table {
    let mut table = Table::new([
        "start",
        "contacts",
        "aht_s",
        "agents",
        "fractional",
        "scheduled",
        "SL%",
        "ASA_s",
        "occupancy%",
    ]);
    for row in rows {
        let cells = match &row.staffing {
            Some(s) => [
                s.agents.to_string(),
                s.fractional_agents
                    .map_or(String::new(), |f| format!("{f:.2}")),
                format!("{:.2}", s.scheduled),
                pct(s.performance.service_level.offered),
                format!("{:.1}", s.performance.asa),
                pct(s.performance.occupancy),
            ],
            None => [
                "0".into(),
                String::new(),
                "0".into(),
                String::new(),
                String::new(),
                String::new(),
            ],
        };
        table.row(
            [
                row.start.to_string(),
                format!("{:.1}", row.contacts),
                format!("{:.0}", row.aht),
            ]
            .into_iter()
            .chain(cells),
        );
    }
    let contacts: f64 = rows.iter().map(|r| r.contacts).sum();
    let scheduled: f64 = rows.iter().map(|r| r.requirement().agents).sum();
    let mut total = vec![String::new(); 9];
    total[0] = "total".into();
    total[1] = format!("{contacts:.1}");
    total[5] = format!("{scheduled:.2}");
    table.row(total);
    table
}
