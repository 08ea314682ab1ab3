//! `switchboard report`: the KPI reports of the event store, as terminal
//! tables, CSV, JSON or HTML pages with charts.
//!
//! Key types: [`ReportArgs`], [`Kind`] (which report) and the private
//! `Scope` (store, period, zone, names and settings every report shares).
//! The queue and agent reports read the store's quarter-hour and day
//! tallies, so they take the same time for a day or a year; the other
//! reports fold the period's facts into a [`kpi::Ledger`]. Submodules:
//! `operational` (queues, agents, outcomes, the contacts behind a figure)
//! and `business` (FCR, CSAT, call reasons, cost, contract, value), whose
//! tables are [`report::TablePage`]s shown either in the terminal or as
//! HTML.

mod business;
mod operational;
mod planning;

use std::collections::BTreeMap;
use std::path::PathBuf;

use acd::model::{Span, Time};
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use kpi::{Entity, Fact, Interval, Ledger, ReportSettings, SlDefinition};
use report::{Frame, Names, Page};
use store::{Store, TimeRange};

use crate::database::DatabaseArgs;
use crate::output::{Format, FormatArgs, Table};

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Queue interval report: offered, answered, abandoned, service level
    /// by each definition, ASA, AHT per queue and interval.
    Queues,
    /// Agent report: time by state, AHT, calls per hour, occupancy,
    /// not-ready by reason, logouts per period.
    Agents,
    /// Outcome codes and success rate per week or month against a target.
    Outcomes,
    /// First-contact resolution by period and call reason.
    Fcr,
    /// Customer satisfaction, with the daily lists of dissatisfied and
    /// unrated callers.
    Csat,
    /// Call-reason Pareto with the recommended strategy per reason.
    Reasons,
    /// Cost per call and campaign ROI.
    Cost,
    /// An outsourced center's results against its contract.
    Contract,
    /// Value digest: complaints and praise by topic and department, leads
    /// won, site visits avoided.
    Value,
    /// The contacts behind one figure of the queue report (drill-down).
    Contacts,
    /// Every report above except `contacts` (HTML: one document).
    All,
}

/// Options of `switchboard report`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  switchboard report queues --interval day
  switchboard report queues --interval 15m --from 1999-02-01 --to 1999-02-01 --html queues.html
  switchboard report contacts --queue PS --at '1999-02-01 10:00' --interval 60m --count abandoned
  switchboard report agents --interval week --csv
  switchboard report all --settings examples/reports/settings.toml --html report.html

Service level is shown by every definition of KPI.md (answered, offered,
abandon-neutral) with the threshold T; charts use --sl.")]
pub struct ReportArgs {
    /// The report.
    #[arg(value_enum)]
    kind: Kind,
    /// Interval length: 15m, 30m, 60m, day, week or month [default: 60m
    /// for queues and contacts, day for agents and the lists, week for
    /// outcomes and value].
    #[arg(long, value_parser = parse_interval)]
    interval: Option<Interval>,
    /// First local day reported (YYYY-MM-DD) [default: the log's first].
    #[arg(long, value_name = "DATE")]
    from: Option<Date>,
    /// Last local day reported, inclusive [default: the log's last].
    #[arg(long, value_name = "DATE")]
    to: Option<Date>,
    /// The center's time zone [default: the store's, set by its first
    /// import]; it replaces the settings file's `time_zone`.
    #[arg(long, value_name = "ZONE")]
    time_zone: Option<String>,
    /// Service-level threshold T in whole seconds.
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    threshold: u64,
    /// Abandons within this many seconds are short (0: none are).
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    short_abandon: u64,
    /// The service-level definition charts and targets use.
    #[arg(long, value_enum, default_value = "offered")]
    sl: SlChoice,
    /// Report settings (cost model, targets, call reasons, contract); see
    /// examples/reports/settings.toml.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Queue report: a forecast to draw against the volume, staffed by
    /// Erlang C into required agents (a `switchboard forecast --csv`
    /// file; the reported queue's, so name it with --queue when there are
    /// several).
    #[arg(long, value_name = "FILE")]
    forecast: Option<PathBuf>,
    /// Queue report: the service-level target (0-1) drawn on the charts and
    /// used to staff the forecast [default for staffing: 0.8].
    #[arg(long, value_name = "SHARE")]
    sl_target: Option<f64>,
    /// Agent report: a roster (`switchboard schedule --roster` CSV) to
    /// measure adherence and conformance against; agents match by name.
    #[arg(long, value_name = "FILE")]
    schedule: Option<PathBuf>,
    /// Only this queue (by name or id).
    #[arg(long, value_name = "QUEUE")]
    queue: Option<String>,
    /// Drill-down: local start of the interval (YYYY-MM-DD HH:MM).
    #[arg(long, value_name = "TIME", required_if_eq("kind", "contacts"))]
    at: Option<jiff::civil::DateTime>,
    /// Drill-down: the figure whose contacts to list (offered, answered,
    /// answered_within, abandoned, short_abandoned, ...).
    #[arg(long, value_name = "COUNT", value_parser = parse_count,
          required_if_eq("kind", "contacts"))]
    count: Option<kpi::Count>,
    /// The center's name on HTML pages.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "Switchboard contact center"
    )]
    center: String,
    /// Write an HTML page with charts to this file instead of printing.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["json", "csv"])]
    html: Option<PathBuf>,
    #[command(flatten)]
    format: FormatArgs,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// The service-level definitions by their command-line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SlChoice {
    Answered,
    Offered,
    AbandonNeutral,
}

impl From<SlChoice> for SlDefinition {
    fn from(choice: SlChoice) -> Self {
        match choice {
            SlChoice::Answered => SlDefinition::Answered,
            SlChoice::Offered => SlDefinition::Offered,
            SlChoice::AbandonNeutral => SlDefinition::AbandonNeutral,
        }
    }
}

fn parse_interval(text: &str) -> Result<Interval, String> {
    Ok(match text {
        "15m" | "15" => Interval::Minutes15,
        "30m" | "30" => Interval::Minutes30,
        "60m" | "60" | "1h" | "hour" => Interval::Minutes60,
        "day" => Interval::Day,
        "week" => Interval::Week,
        "month" => Interval::Month,
        _ => {
            return Err(format!(
                "{text:?} is not an interval: use 15m, 30m, 60m, day, week or month"
            ));
        }
    })
}

fn parse_count(text: &str) -> Result<kpi::Count, String> {
    let wanted = text.replace('-', "_");
    kpi::Count::ALL
        .into_iter()
        .find(|count| count_name(*count) == wanted)
        .ok_or_else(|| {
            let names: Vec<&str> = kpi::Count::ALL.into_iter().map(count_name).collect();
            format!(
                "{text:?} is not a figure of the queue report: use one of {}",
                names.join(", ")
            )
        })
}

/// A count's name as in the JSON output.
fn count_name(count: kpi::Count) -> &'static str {
    match count {
        kpi::Count::Offered => "offered",
        kpi::Count::TransferredIn => "transferred_in",
        kpi::Count::OverflowedIn => "overflowed_in",
        kpi::Count::Answered => "answered",
        kpi::Count::AnsweredWithin => "answered_within",
        kpi::Count::Abandoned => "abandoned",
        kpi::Count::ShortAbandoned => "short_abandoned",
        kpi::Count::AbandonedWithin => "abandoned_within",
        kpi::Count::Overflowed => "overflowed",
        kpi::Count::TimedOut => "timed_out",
        kpi::Count::CallbackRequested => "callback_requested",
        kpi::Count::Interrupted => "interrupted",
        kpi::Count::Handled => "handled",
    }
}

/// What every report of one run shares.
struct Scope {
    store: Box<dyn Store>,
    time_zone: TimeZone,
    /// The reported period in store time.
    range: TimeRange,
    frame: Frame,
    names: Names,
    settings: ReportSettings,
    threshold: Span,
    short_abandon: Span,
    sl: SlDefinition,
    queue: Option<acd::model::QueueId>,
}

impl Scope {
    fn open(args: &ReportArgs) -> Result<Scope> {
        let mut settings = match &args.settings {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                ReportSettings::from_toml(&text)
                    .with_context(|| format!("in the settings file {}", path.display()))?
            }
            None => ReportSettings::default(),
        };
        let store = args.database.open(None)?;
        if store.next_seq()? == 0 {
            bail!(
                "the event store {} is empty: import a call log first, e.g. \
                 `switchboard import bank data/anonymous_bank_february.tsv`",
                args.database.describe()
            );
        }
        // One zone for every report of the run: the settings' zone would
        // disagree with the store's agent days.
        let time_zone = match &args.time_zone {
            Some(name) => TimeZone::get(name)
                .with_context(|| format!("--time-zone {name:?} is not a known time zone"))?,
            None => store.time_zone(),
        };
        settings.time_zone = time_zone.clone();
        let (first, last) = log_bounds(store.as_ref())?;
        let day_of = |at: Time| -> Result<Date> {
            let ts = jiff::Timestamp::from_millisecond(i64::try_from(at.as_millis())?)?;
            Ok(ts.to_zoned(time_zone.clone()).date())
        };
        let from = match args.from {
            Some(date) => date,
            None => day_of(first)?,
        };
        let to = match args.to {
            Some(date) => date,
            None => day_of(last)?,
        };
        if to < from {
            bail!("--to {to} is before --from {from}");
        }
        let start = from.to_zoned(time_zone.clone())?;
        let end = to.tomorrow()?.to_zoned(time_zone.clone())?;
        let millis = |z: &jiff::Zoned| u64::try_from(z.timestamp().as_millisecond()).unwrap_or(0);
        let range = TimeRange::new(
            Time::from_millis(millis(&start)),
            Time::from_millis(millis(&end)),
        );
        let names = names(store.as_ref())?;
        let queue = match &args.queue {
            None => None,
            Some(wanted) => Some(find_queue(&names, wanted)?),
        };
        Ok(Scope {
            frame: Frame {
                center: args.center.clone(),
                time_zone: time_zone.clone(),
                from: start.datetime(),
                to: end.datetime(),
                generated: Some(jiff::Timestamp::now()),
            },
            store,
            time_zone,
            range,
            names,
            settings,
            threshold: Span::from_secs(args.threshold),
            short_abandon: Span::from_secs(args.short_abandon),
            sl: args.sl.into(),
            queue,
        })
    }

    fn bucketing(&self, interval: Interval) -> kpi::Bucketing {
        kpi::Bucketing {
            interval,
            time_zone: self.time_zone.clone(),
        }
    }

    /// The period's facts folded into a ledger.
    fn ledger(&self) -> Result<Ledger> {
        let mut facts: Vec<Fact> = Vec::new();
        let mut seq = 0;
        loop {
            let batch = self.store.read_log(seq, 50_000)?;
            let Some(last) = batch.last() else { break };
            seq = last.seq + 1;
            facts.extend(batch.into_iter().map(|entry| entry.fact).filter(|fact| {
                matches!(fact, Fact::Named(_))
                    || (self.range.from..self.range.to).contains(&fact.at())
            }));
        }
        Ok(Ledger::from_facts(&facts)?)
    }
}

/// Times of the first and the last fact of the log (names aside).
fn log_bounds(store: &dyn Store) -> Result<(Time, Time)> {
    Ok(store.time_bounds()?.unwrap_or((Time::ZERO, Time::ZERO)))
}

fn names(store: &dyn Store) -> Result<Names> {
    let mut names = Names::default();
    for naming in store.names()? {
        match naming.entity {
            Entity::Queue(id) => names.queues.insert(id, naming.name),
            Entity::Agent(id) => names.agents.insert(id, naming.name),
        };
    }
    Ok(names)
}

fn find_queue(names: &Names, wanted: &str) -> Result<acd::model::QueueId> {
    if let Some((&id, _)) = names
        .queues
        .iter()
        .find(|(_, name)| name.as_str() == wanted)
    {
        return Ok(id);
    }
    if let Ok(n) = wanted.trim_start_matches('Q').parse::<u32>() {
        return Ok(acd::model::QueueId(n));
    }
    let known: Vec<&str> = names.queues.values().map(String::as_str).collect();
    bail!(
        "no queue is named {wanted:?}; the store knows {}",
        known.join(", ")
    )
}

/// What one report produced, ready for any output format.
struct Output {
    /// A line printed above the terminal table: what the figures mean.
    note: String,
    json: serde_json::Value,
    table: Table,
    page: Page,
}

/// Runs `switchboard report`.
pub fn run(args: &ReportArgs) -> Result<()> {
    let scope = Scope::open(args)?;
    let kinds: Vec<Kind> = match args.kind {
        Kind::All => [
            Kind::Queues,
            Kind::Agents,
            Kind::Outcomes,
            Kind::Fcr,
            Kind::Csat,
            Kind::Reasons,
            Kind::Cost,
            Kind::Contract,
            Kind::Value,
        ]
        .into_iter()
        // A contract is checked only when the settings hold one.
        .filter(|&kind| kind != Kind::Contract || scope.settings.contract.is_some())
        .collect(),
        kind => vec![kind],
    };
    let ledger = if kinds
        .iter()
        .any(|k| !matches!(k, Kind::Queues | Kind::Agents | Kind::Contacts))
    {
        Some(scope.ledger()?)
    } else {
        None
    };
    let mut outputs = Vec::new();
    for kind in kinds {
        let output = match (kind, &ledger) {
            (Kind::Queues, _) => operational::queues(
                &scope,
                args.interval.unwrap_or(Interval::Minutes60),
                args.forecast.as_deref(),
                args.sl_target,
            )?,
            (Kind::Agents, _) => operational::agents(
                &scope,
                args.interval.unwrap_or(Interval::Day),
                args.schedule.as_deref(),
            )?,
            (Kind::Contacts, _) => operational::contacts(
                &scope,
                args.interval.unwrap_or(Interval::Minutes60),
                args.at.context("--at is required")?,
                args.count.context("--count is required")?,
            )?,
            (kind, Some(ledger)) => business::report(&scope, ledger, kind, args.interval)?,
            (_, None) => unreachable!("the ledger is loaded for every other report"),
        };
        outputs.push((kind, output));
    }
    emit(args, outputs)
}

fn emit(args: &ReportArgs, outputs: Vec<(Kind, Output)>) -> Result<()> {
    if let Some(path) = &args.html {
        let pages: Vec<Page> = outputs.iter().map(|(_, o)| o.page.clone()).collect();
        let title = match pages.as_slice() {
            [one] => one.title().to_owned(),
            _ => format!("{}: reports", args.center),
        };
        std::fs::write(path, report::book(&title, &pages))
            .with_context(|| format!("writing {}", path.display()))?;
        println!(
            "wrote {} ({} page{})",
            path.display(),
            pages.len(),
            if pages.len() == 1 { "" } else { "s" }
        );
        return Ok(());
    }
    let format = args.format.format();
    if format == Format::Json {
        let value: BTreeMap<String, serde_json::Value> = outputs
            .into_iter()
            .map(|(kind, o)| (kind_name(kind), o.json))
            .collect();
        let value = if value.len() == 1 {
            value.into_values().next().expect("one report")
        } else {
            serde_json::to_value(value)?
        };
        return crate::output::emit(format, &value, Table::default);
    }
    let several = outputs.len() > 1;
    for (kind, output) in outputs {
        if several && format == Format::Table {
            println!("== {} ==", kind_name(kind));
        }
        if format == Format::Table && !output.note.is_empty() {
            println!("{}", output.note);
        }
        crate::output::emit(format, &(), || output.table)?;
        if several && format == Format::Table {
            println!();
        }
    }
    Ok(())
}

fn kind_name(kind: Kind) -> String {
    kind.to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}
