//! `bench report`: the queue interval and agent reports over millions of
//! stored contacts, against SQLite computing the same aggregation in SQL.
//!
//! Key types: [`ReportArgs`] and the private `Figures` (the totals each
//! method found, compared so that the timings are of equal work). The
//! history comes from [`History`]; it is appended day by day, one
//! transaction per day, to an SQLite store. Then three ways to the same
//! report are timed on it:
//! * `report`: what `switchboard report` does — merge the store's
//!   quarter-hour queue tallies and agent-day tallies (kept up to date on
//!   append) into 15-minute queue rows and daily agent rows;
//! * `scan`: the same rows recomputed by kpi from every stored leg and
//!   state interval;
//! * `sql`: one SQLite `GROUP BY` over the same legs and state intervals
//!   ([`store::reference`]), the way a reporting tool on a CDR table works.

use std::time::{Duration, Instant};

use acd::model::{AgentId, Span};
use anyhow::{Context, Result, ensure};
use clap::Args;
use jiff::tz::TimeZone;
use kpi::{
    AgentAggregator, AgentReport, Bucketing, Count, Interval, QueueAggregator, QueueOptions,
    QueueReport,
};
use store::{Store, TimeRange};

use super::history::History;
use super::peak_memory_mb;

/// Options of `bench report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Contacts to generate and store.
    #[arg(long, value_name = "N", default_value_t = 10_000_000,
          value_parser = clap::value_parser!(u64).range(1000..))]
    contacts: u64,
    /// Agents in the generated center.
    #[arg(long, value_name = "N", default_value_t = 1_000,
          value_parser = clap::value_parser!(u32).range(1..))]
    agents: u32,
    /// Queues in the generated center.
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..))]
    queues: u32,
    /// Seed of the generated history.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// Keep the store in this SQLite file (generated if it does not exist,
    /// reused as it is if it does) instead of a temporary one.
    #[arg(long, value_name = "FILE")]
    database: Option<std::path::PathBuf>,
    /// Times each report method is run; the fastest run counts.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
}

/// The service-level threshold and short-abandon threshold of the bench.
const THRESHOLD_SECS: u64 = 20;
const SHORT_ABANDON_SECS: u64 = 5;

/// Runs `bench report`.
pub fn run(args: &ReportArgs) -> Result<()> {
    let temporary = tempfile::tempdir().context("creating a temporary folder")?;
    let path = args
        .database
        .clone()
        .unwrap_or_else(|| temporary.path().join("bench.db"));
    let existed = path.exists();
    let mut store = store::open(path.to_str().context("the store path is not UTF-8")?)?;
    if existed && store.next_seq()? > 0 {
        println!("reusing the store in {}", path.display());
    } else {
        generate(args, store.as_mut())?;
    }
    let contacts = count_contacts(store.as_ref())?;
    let size_mb = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!(
        "store: {contacts} contacts, {} facts, {size_mb:.0} MB in {}",
        store.next_seq()?,
        path.display()
    );
    drop(store);
    let store = store::open(path.to_str().context("the store path is not UTF-8")?)?;

    let (report_time, from_tallies) = best_of(args.runs, || from_tallies(store.as_ref()))?;
    let (scan_time, from_rows) = best_of(args.runs, || from_rows(store.as_ref()))?;
    let (sql_time, by_sql) = best_of(args.runs, || {
        let sql = store::reference::queue_and_agent_totals(
            &path,
            Span::from_secs(THRESHOLD_SECS),
            Span::from_secs(SHORT_ABANDON_SECS),
        )?;
        Ok(Figures {
            rows: sql.queue_rows,
            offered: sql.offered,
            answered: sql.answered,
            answered_within: sql.answered_within,
            abandoned: sql.abandoned,
            short_abandoned: sql.short_abandoned,
            handled: sql.handled,
            logged_in_ms: sql.logged_in_ms,
        })
    })?;
    for (name, figures) in [("scan", &from_rows), ("sql", &by_sql)] {
        ensure!(
            figures == &from_tallies,
            "the {name} method disagrees with the report:\n  report {from_tallies:?}\n  {name} {figures:?}"
        );
    }
    println!(
        "all three methods agree: {} queue rows, offered {}, answered {}, within {THRESHOLD_SECS} s {}, \
         abandoned {} ({} short), {:.0} agent hours",
        from_tallies.rows,
        from_tallies.offered,
        from_tallies.answered,
        from_tallies.answered_within,
        from_tallies.abandoned,
        from_tallies.short_abandoned,
        from_tallies.logged_in_ms as f64 / 3.6e6
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!();
    println!("  method   what it reads                           time ms");
    println!(
        "  report   queue quarter-hour + agent-day tallies  {:>8.1}",
        ms(report_time)
    );
    println!(
        "  scan     every leg and state interval (kpi)      {:>8.1}",
        ms(scan_time)
    );
    println!(
        "  sql      SQLite GROUP BY on the same rows        {:>8.1}",
        ms(sql_time)
    );
    println!();
    println!(
        "  sql / report: {:.1}x   sql / scan: {:.2}x   peak memory {} MB",
        sql_time.as_secs_f64() / report_time.as_secs_f64(),
        sql_time.as_secs_f64() / scan_time.as_secs_f64(),
        peak_memory_mb().map_or_else(|| "?".to_owned(), |mb| format!("{mb:.0}")),
    );
    println!();
    println!(
        "bench report contacts={contacts} report_ms={:.1} scan_ms={:.1} sql_ms={:.1} sql_ratio={:.1}",
        ms(report_time),
        ms(scan_time),
        ms(sql_time),
        sql_time.as_secs_f64() / report_time.as_secs_f64()
    );
    Ok(())
}

fn generate(args: &ReportArgs, store: &mut dyn Store) -> Result<()> {
    let mut history = History::new(args.queues, args.agents, args.seed)?;
    let days = (args.contacts as f64 / history.contacts_per_day()).ceil() as u64;
    println!(
        "generating about {} contacts: {} agents, {} queues, {days} days",
        args.contacts, args.agents, args.queues
    );
    let started = Instant::now();
    let mut contacts = 0u64;
    let mut facts = 0u64;
    let mut day = 0u64;
    while contacts < args.contacts {
        let mut batch = history.next_day();
        let finished = |f: &kpi::Fact| matches!(f, kpi::Fact::Routing(r) if matches!(r.kind, acd::RecordKind::ContactFinished(_)));
        let mut in_day = batch.iter().filter(|f| finished(f)).count() as u64;
        if contacts + in_day > args.contacts {
            // Keep the total exact: drop the day's last contacts (and
            // nothing else, so agent states stay consistent).
            let mut excess = contacts + in_day - args.contacts;
            while excess > 0 {
                let last = batch.iter().rposition(finished).expect("a contact is left");
                batch.remove(last);
                excess -= 1;
                in_day -= 1;
            }
        }
        store.append(&batch)?;
        contacts += in_day;
        facts += batch.len() as u64;
        day += 1;
        if day.is_multiple_of(10) || contacts >= args.contacts {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "  day {day}: {contacts} contacts, {facts} facts stored, {:.0} facts/s",
                facts as f64 / secs
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "stored {contacts} contacts ({facts} facts) in {secs:.1} s: {:.0} contacts/s, {:.0} facts/s",
        contacts as f64 / secs,
        facts as f64 / secs
    );
    Ok(())
}

fn count_contacts(store: &dyn Store) -> Result<u64> {
    let mut contacts = 0;
    store.for_each_queue_slot(TimeRange::ALL, &mut |_, _, tally| contacts += tally.offered)?;
    Ok(contacts)
}

/// The totals that the three methods must agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Figures {
    rows: u64,
    offered: u64,
    answered: u64,
    answered_within: u64,
    abandoned: u64,
    short_abandoned: u64,
    handled: u64,
    logged_in_ms: u64,
}

fn options() -> QueueOptions {
    let mut options = QueueOptions::new(utc(Interval::Minutes15));
    options.threshold = Span::from_secs(THRESHOLD_SECS);
    options.short_abandon = Span::from_secs(SHORT_ABANDON_SECS);
    options
}

fn utc(interval: Interval) -> Bucketing {
    Bucketing {
        interval,
        time_zone: TimeZone::UTC,
    }
}

fn figures(queues: &QueueReport, agents: &AgentReport) -> Figures {
    let sum = |count: Count| queues.rows.iter().map(|r| r.count(count)).sum::<u64>();
    Figures {
        rows: queues.rows.len() as u64,
        offered: sum(Count::Offered),
        answered: sum(Count::Answered),
        answered_within: sum(Count::AnsweredWithin),
        abandoned: sum(Count::Abandoned),
        short_abandoned: sum(Count::ShortAbandoned),
        handled: agents.rows.iter().map(|r| r.handled).sum(),
        logged_in_ms: agents.rows.iter().map(|r| r.logged_in.as_millis()).sum(),
    }
}

/// The report as `switchboard report` computes it.
fn from_tallies(store: &dyn Store) -> Result<Figures> {
    let options = options();
    let mut queues = QueueAggregator::new(&options)?;
    let mut failure = None;
    store.for_each_queue_slot(TimeRange::ALL, &mut |queue, slot, tally| {
        if let Err(e) = queues.add_slot(queue, slot, tally) {
            failure.get_or_insert(e);
        }
    })?;
    let mut agents = AgentAggregator::new(Some(&utc(Interval::Day)));
    store.for_each_agent_day(TimeRange::ALL, &mut |agent, day, tally| {
        if let Err(e) = agents.add_tally(agent, day, tally) {
            failure.get_or_insert(e);
        }
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    Ok(figures(&queues.finish(), &agents.finish()))
}

/// The report recomputed from every stored leg and state interval.
fn from_rows(store: &dyn Store) -> Result<Figures> {
    let options = options();
    let mut queues = QueueAggregator::new(&options)?;
    let mut agents = AgentAggregator::new(Some(&utc(Interval::Day)));
    let mut failure = None;
    store.for_each_leg(TimeRange::ALL, &mut |leg| {
        let done = queues.add_leg(leg).and_then(|()| match &leg.work {
            Some(work) => agents.add_work(work),
            None => Ok(()),
        });
        if let Err(e) = done {
            failure.get_or_insert(e);
        }
    })?;
    store.for_each_state_interval(TimeRange::ALL, &mut |interval| {
        let agent: AgentId = interval.agent;
        if let Err(e) = agents.add_state(agent, &interval.state, interval.start, interval.end) {
            failure.get_or_insert(e);
        }
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    Ok(figures(&queues.finish(), &agents.finish()))
}

/// Runs `method` `runs` times; the fastest time and the last result.
fn best_of<T>(runs: u32, mut method: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut best = Duration::MAX;
    let mut result = None;
    for _ in 0..runs {
        let started = Instant::now();
        let value = method()?;
        best = best.min(started.elapsed());
        result = Some(value);
    }
    Ok((best, result.expect("at least one run")))
}
