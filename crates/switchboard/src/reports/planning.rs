//! What the reports set against the plan: a queue's forecast, required and
//! staffed agents for the queue page, and schedule adherence for the agent
//! report.
//!
//! Key functions: [`queue_plans`] (a `switchboard forecast --csv` file
//! staffed by Erlang C at the service-level target, and the agents the
//! store saw on the phones) and [`adherence`] (a `switchboard schedule
//! --roster` file against the store's agent states, by wfm's one
//! definition).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use acd::AgentState;
use acd::model::{QueueId, Time};
use anyhow::{Context, Result, bail};
use jiff::civil::{Date, DateTime};
use kpi::{Count, Interval, QueueReport, Rate};
use report::{QueuePlan, Series};
use wfm::adherence::{DayAdherence, Schedule, State, StateLog, StateSpan};
use wfm::erlang::Patience;
use wfm::forecast::History;
use wfm::series::IntervalLength;
use wfm::staffing::{ServiceLevelTarget, Shrinkage, Targets, staff_intervals};

use super::Scope;

/// The service-level target when none is given: 80 % within T.
const DEFAULT_TARGET: f64 = 0.8;

/// The plan of the reported queue: the forecast in `forecast`, the agents
/// it requires, and, when the center has this one queue, the agents on the
/// phones.
pub fn queue_plans(
    scope: &Scope,
    interval: Interval,
    report: &QueueReport,
    forecast: Option<&Path>,
    sl_target: Option<f64>,
) -> Result<BTreeMap<QueueId, QueuePlan>> {
    let target = sl_target
        .map(|t| Rate::new(t).with_context(|| format!("--sl-target {t}")))
        .transpose()?;
    let length = match interval {
        Interval::Minutes15 => IntervalLength::from_minutes(15)?,
        Interval::Minutes30 => IntervalLength::from_minutes(30)?,
        Interval::Minutes60 => IntervalLength::from_minutes(60)?,
        _ if forecast.is_some() => {
            bail!("--forecast is drawn against 15, 30 or 60-minute intervals, not days or longer")
        }
        _ => return Ok(plans_with_target(report, target)),
    };
    let queues: Vec<QueueId> = {
        let mut ids: Vec<QueueId> = report.rows.iter().map(|r| r.queue).collect();
        ids.dedup();
        ids
    };
    let queue = match (scope.queue, queues.as_slice()) {
        (Some(q), _) => q,
        (None, [q]) => *q,
        (None, _) if forecast.is_none() => return Ok(plans_with_target(report, target)),
        (None, _) => bail!(
            "--forecast is one queue's: name it with --queue (the report has {} queues)",
            queues.len()
        ),
    };
    let mut plan = QueuePlan {
        sl_target: target,
        ..QueuePlan::default()
    };
    if let Some(path) = forecast {
        let history = History::from_csv(
            File::open(path).with_context(|| format!("opening {}", path.display()))?,
            Some(length),
        )
        .with_context(|| format!("reading the forecast {}", path.display()))?;
        let demand: Vec<_> = history
            .observations()
            .iter()
            .filter(|d| d.start >= scope.frame.from && d.start < scope.frame.to)
            .cloned()
            .collect();
        plan.forecast = demand.iter().map(|d| (d.start, d.contacts)).collect();
        let targets = Targets {
            service_level: Some(ServiceLevelTarget {
                fraction: target.map_or(DEFAULT_TARGET, Rate::get),
                threshold: scope.threshold.as_secs_f64(),
                definition: wfm_definition(scope.sl),
            }),
            ..Targets::default()
        };
        let staffed = staff_intervals(
            &demand,
            length,
            measured_aht(report, queue).unwrap_or(180.0),
            Patience::Unlimited,
            &targets,
            Shrinkage::new(0.0)?,
            false,
        )
        .context("staffing the forecast")?;
        plan.required = staffed
            .iter()
            .map(|s| (s.start, s.staffing.map_or(0.0, |st| f64::from(st.agents))))
            .collect();
    }
    // Agents serve every queue of their profile, so their time on the
    // phones is one queue's staff only in a one-queue center.
    if scope.names.queues.len() <= 1 && queues.len() == 1 {
        plan.staffed = on_the_phones(scope, length)?;
    }
    Ok(BTreeMap::from([(queue, plan)]))
}

/// Every queue of the report with the target line alone.
fn plans_with_target(report: &QueueReport, target: Option<Rate>) -> BTreeMap<QueueId, QueuePlan> {
    report
        .rows
        .iter()
        .map(|row| {
            let plan = QueuePlan {
                sl_target: target,
                ..QueuePlan::default()
            };
            (row.queue, plan)
        })
        .collect()
}

fn wfm_definition(definition: kpi::SlDefinition) -> wfm::staffing::SlDefinition {
    match definition {
        kpi::SlDefinition::Answered => wfm::staffing::SlDefinition::Answered,
        kpi::SlDefinition::Offered => wfm::staffing::SlDefinition::Offered,
        kpi::SlDefinition::AbandonNeutral => wfm::staffing::SlDefinition::AbandonNeutral,
    }
}

/// The queue's AHT over the report, seconds.
fn measured_aht(report: &QueueReport, queue: QueueId) -> Option<f64> {
    let (handled, seconds) =
        report
            .rows
            .iter()
            .filter(|r| r.queue == queue)
            .fold((0u64, 0.0), |(n, s), r| {
                let handled = r.count(Count::Handled);
                (n + handled, s + r.aht.unwrap_or(0.0) * handled as f64)
            });
    (handled > 0).then(|| seconds / handled as f64)
}

/// Average agents on the phones (ready, ringing, talking, on hold or
/// wrapping up) per interval of the period.
fn on_the_phones(scope: &Scope, length: IntervalLength) -> Result<Series> {
    let slot_ms = u64::from(length.minutes()) * 60_000;
    let mut busy: BTreeMap<u64, u64> = BTreeMap::new();
    scope
        .store
        .for_each_state_interval(scope.range, &mut |span| {
            if !matches!(span.state, AgentState::NotReady(_) | AgentState::LoggedOut) {
                let (from, to) = (
                    span.start.max(scope.range.from).as_millis(),
                    span.end.min(scope.range.to).as_millis(),
                );
                let mut at = from;
                while at < to {
                    let slot = at / slot_ms * slot_ms;
                    let end = (slot + slot_ms).min(to);
                    *busy.entry(slot).or_default() += end - at;
                    at = end;
                }
            }
        })?;
    busy.into_iter()
        .map(|(slot, ms)| {
            Ok((
                local(scope, Time::from_millis(slot))?,
                ms as f64 / slot_ms as f64,
            ))
        })
        .collect()
}

fn local(scope: &Scope, at: Time) -> Result<DateTime> {
    let ts = jiff::Timestamp::from_millisecond(i64::try_from(at.as_millis())?)?;
    Ok(ts.to_zoned(scope.time_zone.clone()).datetime())
}

/// Adherence and conformance of each agent and day of the period, from
/// the roster in `schedule` and the store's agent states. Agents are
/// matched by name.
pub fn adherence(scope: &Scope, schedule: &Path) -> Result<Vec<DayAdherence>> {
    let schedule = Schedule::from_csv(
        File::open(schedule).with_context(|| format!("opening {}", schedule.display()))?,
    )
    .with_context(|| format!("reading the schedule {}", schedule.display()))?;
    let mut spans = Vec::new();
    let mut failure = None;
    scope
        .store
        .for_each_state_interval(scope.range, &mut |span| {
            let state = match &span.state {
                AgentState::LoggedOut => State::LoggedOut,
                AgentState::Ready => State::Ready,
                AgentState::Reserved => State::Reserved,
                AgentState::Talking => State::Talking,
                AgentState::OnHold => State::Hold,
                AgentState::WrapUp => State::Wrap,
                AgentState::NotReady(reason) => {
                    State::NotReady(Some(reason.as_str().to_lowercase()))
                }
            };
            match (local(scope, span.start), local(scope, span.end)) {
                (Ok(start), Ok(end)) => spans.push(StateSpan {
                    agent: scope.names.agent(span.agent),
                    state,
                    start,
                    end,
                }),
                (Err(e), _) | (_, Err(e)) => {
                    failure.get_or_insert(e);
                }
            }
        })?;
    if let Some(e) = failure {
        return Err(e);
    }
    let log = StateLog::new(spans).context("the store's agent states overlap")?;
    Ok(wfm::adherence::adherence(&schedule, &log))
}

/// Minutes of adherence summed over the days of a period: adherent,
/// scheduled, worked and scheduled work minutes of `agent` from `from`
/// (inclusive) to `to` (exclusive).
pub fn minutes_in(days: &[DayAdherence], agent: &str, from: Date, to: Date) -> Option<[f64; 4]> {
    let mut sums = [0.0; 4];
    let mut any = false;
    for day in days
        .iter()
        .filter(|d| d.agent == agent && d.date >= from && d.date < to)
    {
        any = true;
        sums[0] += day.adherent_minutes;
        sums[1] += day.scheduled_minutes;
        sums[2] += day.worked_minutes;
        sums[3] += day.scheduled_work_minutes;
    }
    any.then_some(sums)
}
