//! The queue and agent reports from the store's tallies, and the contacts
//! behind one figure of the queue report.
//!
//! Key functions: [`queues`], [`agents`], [`contacts`]. Each returns an
//! [`Output`]: the kpi report as JSON, a terminal table and an HTML page.

use acd::model::{ContactId, QueueId, Span, Time};
use anyhow::{Context, Result, bail};
use jiff::Zoned;
use jiff::civil::DateTime;
use kpi::{
    AgentAggregator, Count, Interval, LegFact, QueueAggregator, QueueOptions, QueueRow,
    SlDefinition,
};
use report::format;
use store::TimeRange;

use std::path::Path;

use super::{Output, Scope, count_name, planning};
use crate::output::Table;

/// An interval's local start: the date alone for days and longer.
fn local(start: &Zoned, interval: Interval) -> String {
    match interval {
        Interval::Minutes15 | Interval::Minutes30 | Interval::Minutes60 => {
            start.strftime("%Y-%m-%d %H:%M").to_string()
        }
        Interval::Day | Interval::Week | Interval::Month => start.date().to_string(),
    }
}

fn millis(zoned: &Zoned) -> Time {
    Time::from_millis(u64::try_from(zoned.timestamp().as_millisecond()).unwrap_or(0))
}

fn queue_options(scope: &Scope, interval: Interval) -> QueueOptions {
    let mut options = QueueOptions::new(scope.bucketing(interval));
    options.threshold = scope.threshold;
    options.short_abandon = scope.short_abandon;
    options
}

/// The queue interval report, with the queue's plan when a forecast or a
/// target is given.
pub fn queues(
    scope: &Scope,
    interval: Interval,
    forecast: Option<&Path>,
    sl_target: Option<f64>,
) -> Result<Output> {
    let options = queue_options(scope, interval);
    let mut aggregator = QueueAggregator::new(&options)?;
    let mut failure = None;
    scope
        .store
        .for_each_queue_slot(scope.range, &mut |queue, slot, tally| {
            if scope.queue.is_none_or(|q| q == queue) && failure.is_none() {
                failure = aggregator.add_slot(queue, slot, tally).err();
            }
        })?;
    if let Some(error) = failure {
        return Err(error.into());
    }
    let report = aggregator.finish();
    let mut table = Table::new([
        "queue",
        "interval",
        "offered",
        "answered",
        "abandoned",
        "short",
        "SL answered",
        "SL offered",
        "SL neutral",
        "ASA s",
        "abandon s",
        "abandon %",
        "max wait s",
        "AHT s",
        "handled",
    ]);
    for row in &report.rows {
        table.row(queue_cells(scope, row, interval));
    }
    let mut settings = report::QueueSettings::new(interval, scope.sl);
    settings.plans = planning::queue_plans(scope, interval, &report, forecast, sl_target)?;
    let page = report::queue_page(&scope.frame, &scope.names, &report, &settings);
    Ok(Output {
        note: format!(
            "Service level by each definition with T = {} s; abandons within {} s are short. \
             Times in {}.",
            scope.threshold.as_millis() / 1000,
            scope.short_abandon.as_millis() / 1000,
            zone_name(scope)
        ),
        json: serde_json::to_value(&report)?,
        table,
        page,
    })
}

fn zone_name(scope: &Scope) -> String {
    scope
        .time_zone
        .iana_name()
        .map_or_else(|| "the center's zone".to_owned(), str::to_owned)
}

fn queue_cells(scope: &Scope, row: &QueueRow, interval: Interval) -> Vec<String> {
    let secs = |v: Option<f64>| v.map_or_else(String::new, |s| format!("{s:.1}"));
    vec![
        scope.names.queue(row.queue),
        local(&row.start, interval),
        row.count(Count::Offered).to_string(),
        row.count(Count::Answered).to_string(),
        row.count(Count::Abandoned).to_string(),
        row.count(Count::ShortAbandoned).to_string(),
        format::percent(row.service_level(SlDefinition::Answered)),
        format::percent(row.service_level(SlDefinition::Offered)),
        format::percent(row.service_level(SlDefinition::AbandonNeutral)),
        secs(row.asa),
        secs(row.average_abandon_time),
        format::percent(row.abandon_rate),
        format!("{:.0}", row.max_wait),
        secs(row.aht),
        row.count(Count::Handled).to_string(),
    ]
}

/// The agent report by day, week or month, from the store's agent days,
/// with adherence to `schedule` when given.
pub fn agents(scope: &Scope, interval: Interval, schedule: Option<&Path>) -> Result<Output> {
    if matches!(
        interval,
        Interval::Minutes15 | Interval::Minutes30 | Interval::Minutes60
    ) {
        bail!("the agent report is by day, week or month: the store keeps agent time per day");
    }
    let stored_zone = scope.store.time_zone();
    if stored_zone != scope.time_zone {
        bail!(
            "the store keeps agent days in {}; report agents in that zone (--time-zone {})",
            stored_zone.iana_name().unwrap_or("its own zone"),
            stored_zone.iana_name().unwrap_or("…"),
        );
    }
    let bucketing = scope.bucketing(interval);
    let mut aggregator = AgentAggregator::new(Some(&bucketing));
    let mut failure = None;
    scope
        .store
        .for_each_agent_day(scope.range, &mut |agent, day, tally| {
            if failure.is_none() {
                failure = aggregator.add_tally(agent, day, tally).err();
            }
        })?;
    if let Some(error) = failure {
        return Err(error.into());
    }
    // States still open count up to the end of the period or of the log.
    let (_, last) = super::log_bounds(scope.store.as_ref())?;
    let until = scope.range.to.min(last);
    for now in scope.store.current_agents()? {
        let from = now.since.max(scope.range.from);
        if from < until {
            aggregator.add_state(now.agent, &now.state, from, until)?;
        }
    }
    let report = aggregator.finish();
    let adherence = schedule
        .map(|path| planning::adherence(scope, path))
        .transpose()?;
    let mut header = vec![
        "agent",
        "period",
        "logged in",
        "ready",
        "talking",
        "hold",
        "wrap-up",
        "not ready",
        "handled",
        "AHT s",
        "calls/h",
        "occupancy",
        "utilization",
        "logouts",
    ];
    if adherence.is_some() {
        header.extend(["adherence", "conformance"]);
    }
    let mut table = Table::new(header);
    let bucketing = scope.bucketing(interval);
    for row in &report.rows {
        let mut cells = vec![
            scope.names.agent(row.agent),
            row.start
                .as_ref()
                .map(|s| s.date().to_string())
                .unwrap_or_default(),
            format::duration(row.logged_in),
            format::duration(row.ready),
            format::duration(row.talking),
            format::duration(row.on_hold),
            format::duration(row.wrap_up),
            format::duration(row.not_ready),
            row.handled.to_string(),
            row.aht.map_or_else(String::new, |s| format!("{s:.1}")),
            format::decimal(row.calls_per_hour, 1),
            format::percent(row.occupancy),
            format::percent(row.utilization),
            row.logouts.to_string(),
        ];
        if let (Some(days), Some(start)) = (&adherence, &row.start) {
            let end = bucketing.next(start)?;
            let minutes = planning::minutes_in(
                days,
                &scope.names.agent(row.agent),
                start.date(),
                end.date(),
            );
            let share = |part: usize, whole: usize| {
                minutes.and_then(|m| (m[whole] > 0.0).then(|| m[part] / m[whole]))
            };
            cells.extend([format::percent(share(0, 1)), format::percent(share(2, 3))]);
        }
        table.row(cells);
    }
    let page = report::agent_page(&scope.frame, &scope.names, &report);
    let stateless = report.rows.iter().all(|row| row.logged_in == Span::ZERO);
    Ok(Output {
        note: format!(
            "Agent time per {} in {}.{}",
            interval_word(interval),
            zone_name(scope),
            if stateless {
                " This log has no agent states (call logs such as the bank and CSV formats \
                 record calls only): handled contacts and AHT are real, time accounting is empty."
            } else {
                ""
            }
        ),
        json: serde_json::json!({ "agents": report, "adherence": adherence }),
        table,
        page,
    })
}

fn interval_word(interval: Interval) -> &'static str {
    match interval {
        Interval::Minutes15 => "quarter hour",
        Interval::Minutes30 => "half hour",
        Interval::Minutes60 => "hour",
        Interval::Day => "day",
        Interval::Week => "week",
        Interval::Month => "month",
    }
}

/// The contacts behind `count` in the interval starting at `at`.
pub fn contacts(scope: &Scope, interval: Interval, at: DateTime, count: Count) -> Result<Output> {
    let options = queue_options(scope, interval);
    let bucketing = &options.bucketing;
    let zoned = at
        .to_zoned(scope.time_zone.clone())
        .with_context(|| format!("{at} in the center's time zone"))?;
    let start = bucketing.start(millis(&zoned))?;
    if start.timestamp() != zoned.timestamp() {
        bail!(
            "--at {at} is not the start of a {} interval; the interval containing it starts at {}",
            interval_word(interval),
            local(&start, interval)
        );
    }
    let end = bucketing.next(&start)?;
    let mut legs: Vec<LegFact> = Vec::new();
    scope
        .store
        .for_each_leg(TimeRange::new(millis(&start), millis(&end)), &mut |leg| {
            let threshold = options.threshold_for(leg.queue);
            if scope.queue.is_none_or(|q| q == leg.queue)
                && count.includes(leg, threshold, options.short_abandon)
            {
                legs.push(leg.clone());
            }
        })?;
    let mut table = Table::new([
        "contact",
        "queue",
        "entered",
        "wait s",
        "left line",
        "agent",
        "handle s",
        "caller",
    ]);
    let mut listed = Vec::new();
    for leg in &legs {
        let record = scope.store.contact(leg.contact)?;
        let caller = record
            .as_ref()
            .and_then(|r| r.ani.as_ref())
            .map(|ani| ani.as_str().to_owned())
            .unwrap_or_default();
        let entered = jiff::Timestamp::from_millisecond(i64::try_from(leg.queued.as_millis())?)?
            .to_zoned(scope.time_zone.clone());
        table.row([
            leg.contact.to_string(),
            scope.names.queue(leg.queue),
            entered.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            format!("{:.1}", leg.wait().as_secs_f64()),
            format!("{:?}", leg.disposition).to_lowercase(),
            leg.work
                .as_ref()
                .map(|w| scope.names.agent(w.agent))
                .unwrap_or_default(),
            leg.work
                .as_ref()
                .map(|w| format!("{:.0}", w.handle().as_secs_f64()))
                .unwrap_or_default(),
            caller,
        ]);
        listed.push(serde_json::json!({ "leg": leg, "contact": record }));
    }
    let title = format!(
        "{} contacts, {} from {}",
        count_name(count),
        scope.queue.map_or_else(
            || "all queues".to_owned(),
            |q: QueueId| scope.names.queue(q)
        ),
        local(&start, interval)
    );
    let page = report::table_page(
        &scope.frame,
        &report::TablePage {
            title: title.clone(),
            columns: table_columns(&table),
            rows: table_cells(&table),
            ..Default::default()
        },
    );
    let ids: Vec<ContactId> = legs.iter().map(|leg| leg.contact).collect();
    Ok(Output {
        note: format!("{title}: {} contacts", ids.len()),
        json: serde_json::json!({ "count": count_name(count), "start": start, "contacts": listed }),
        table,
        page,
    })
}

/// The columns of a terminal table as HTML columns: numeric when every
/// cell reads as a number.
pub fn table_columns(table: &Table) -> Vec<report::Column> {
    table
        .header()
        .iter()
        .enumerate()
        .map(|(i, name)| {
            if table.is_numeric(i) {
                report::Column::number(name)
            } else {
                report::Column::text(name)
            }
        })
        .collect()
}

/// The cells of a terminal table as HTML cells.
pub fn table_cells(table: &Table) -> Vec<Vec<report::Cell>> {
    table
        .rows()
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| report::Cell::from(cell.as_str()))
                .collect()
        })
        .collect()
}
