//! The KPIs of a run, computed by `kpi` from the run's records as they
//! stream past, so a long run needs no memory for its log.
//!
//! Key types: [`Collector`] (a record sink: feeds each finished contact's
//! legs into `kpi::QueueTally`s and agent state spans into a
//! `kpi::AgentAggregator`, exactly as `kpi::Ledger` does, within the
//! measurement window), [`RunKpis`] (kpi's queue rows per queue, agent rows
//! per group and for the whole center, cost) and [`Metrics`], the figures
//! replications compare.
//!
//! The measurement window runs from the end of `simulation.warm_up` to the
//! end of arrivals: legs count when they entered their queue in it (the
//! KPI.md rule), agent time when it falls in it. Agent rows are kpi's rows
//! for pseudo-agents: id 0 is the whole center and id g + 1 is group g, so
//! occupancy, AHT and the rest keep their one definition in `kpi`.

use acd::model::{AgentId, Span, Time};
use acd::{AgentState, Record, RecordKind};
use jiff::Timestamp;
use kpi::legs::{self, LegFact};
use kpi::{AgentAggregator, AgentRow, QueueRow, QueueTally, SlDefinition};
use serde::Serialize;

use crate::run::{RunSummary, SimError, Simulation};

/// Pseudo-agent id of the whole center in [`RunKpis`]' agent rows.
const CENTER: AgentId = AgentId(0);

/// The pseudo-agent of `agent`'s group.
fn group_of(sim: &Simulation, agent: AgentId) -> AgentId {
    let group = sim.model.agents[(agent.0 - 1) as usize].group;
    AgentId(u32::from(group) + 1)
}

/// A sink that computes a run's KPIs with `kpi` as records arrive.
#[derive(Debug)]
pub struct Collector<'s> {
    sim: &'s Simulation,
    from: Time,
    to: Time,
    legs: Vec<LegFact>,
    tallies: Vec<QueueTally>,
    agents: AgentAggregator,
    /// Each agent's state since when, by agent index.
    open: Vec<Option<(AgentState, Time)>>,
    last: Time,
    error: Option<kpi::Error>,
}

impl<'s> Collector<'s> {
    /// An empty collector for runs of `sim`.
    pub fn new(sim: &'s Simulation) -> Self {
        let model = &sim.model;
        Collector {
            sim,
            from: Time::from_millis(model.warm_up_end),
            to: Time::from_millis(model.end),
            legs: Vec::new(),
            tallies: vec![QueueTally::default(); model.queues.len()],
            agents: AgentAggregator::new(None),
            open: vec![None; model.agents.len()],
            last: Time::ZERO,
            error: None,
        }
    }

    /// Takes one record, in engine order.
    pub fn record(&mut self, record: &Record) {
        if let Err(e) = self.try_record(record) {
            self.error.get_or_insert(e);
        }
    }

    /// Counts `agent` in `state` over the part of `[from, to)` inside the
    /// window, for its group and the center.
    fn add_state(
        &mut self,
        agent: AgentId,
        state: &AgentState,
        from: Time,
        to: Time,
    ) -> Result<(), kpi::Error> {
        let (from, to) = (from.max(self.from), to.min(self.to));
        if from < to {
            let group = group_of(self.sim, agent);
            self.agents.add_state(group, state, from, to)?;
            self.agents.add_state(CENTER, state, from, to)?;
        }
        Ok(())
    }

    fn try_record(&mut self, record: &Record) -> Result<(), kpi::Error> {
        self.last = self.last.max(record.at);
        match &record.kind {
            RecordKind::ContactFinished(contact) => {
                self.legs.clear();
                legs::classify(contact, &mut self.legs)?;
                let window = self.from..self.to;
                for leg in &self.legs {
                    if window.contains(&leg.queued) {
                        self.tallies[(leg.queue.0 - 1) as usize].add(leg);
                    }
                    // Work counts in the period the agent connected, as in
                    // kpi's agent report.
                    let Some(work) = leg.work.as_ref().filter(|w| window.contains(&w.answered))
                    else {
                        continue;
                    };
                    let mut work = work.clone();
                    work.agent = group_of(self.sim, work.agent);
                    self.agents.add_work(&work)?;
                    work.agent = CENTER;
                    self.agents.add_work(&work)?;
                }
            }
            RecordKind::AgentStateChanged { agent, to, .. } => {
                let ix = (agent.0 - 1) as usize;
                if let Some((state, since)) = self.open[ix].take() {
                    self.add_state(*agent, &state, since, record.at)?;
                }
                if *to == AgentState::LoggedOut {
                    if record.at >= self.from && record.at < self.to {
                        let group = group_of(self.sim, *agent);
                        self.agents.add_logout(group, record.at)?;
                        self.agents.add_logout(CENTER, record.at)?;
                    }
                } else {
                    self.open[ix] = Some((to.clone(), record.at));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The run's KPIs. States still open count up to the last record, as
    /// in `kpi::Ledger`.
    pub fn finish(mut self, summary: RunSummary) -> Result<RunKpis, SimError> {
        if let Some(e) = self.error.take() {
            return Err(e.into());
        }
        let last = self.last;
        for ix in 0..self.open.len() {
            if let Some((state, since)) = self.open[ix].take() {
                self.add_state(AgentId(ix as u32 + 1), &state, since, last)?;
            }
        }
        let model = &self.sim.model;
        let start = Timestamp::from_millisecond(self.from.as_millis() as i64)
            .map_err(|_| kpi::Error::TimeOutOfRange(self.from))?
            .to_zoned(model.zone.clone());
        let mut total = QueueTally::default();
        let mut queues = Vec::with_capacity(model.queues.len());
        for (queue, tally) in model.queues.iter().zip(self.tallies) {
            total.merge(&tally);
            queues.push(QueueKpis {
                name: queue.name.clone(),
                row: tally.row(
                    queue.id,
                    start.clone(),
                    queue.threshold,
                    model.short_abandon,
                ),
                tally,
            });
        }
        let report = self.agents.finish();
        let center = report.row(CENTER).cloned();
        let groups: Vec<GroupKpis> = model
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| GroupKpis {
                name: group.name.clone(),
                row: report.row(AgentId(g as u32 + 1)).cloned(),
            })
            .collect();
        let priced: Vec<(f64, Span)> = model
            .groups
            .iter()
            .zip(&groups)
            .filter_map(|(g, kpis)| {
                Some((
                    g.cost_per_hour?,
                    kpis.row.as_ref().map_or(Span::ZERO, |r| r.logged_in),
                ))
            })
            .collect();
        let cost = (!priced.is_empty()).then(|| {
            priced
                .iter()
                .map(|(rate, time)| rate * time.as_millis() as f64 / 3_600_000.0)
                .sum()
        });
        Ok(RunKpis {
            summary,
            from: self.from,
            to: self.to,
            short_abandon: model.short_abandon,
            queues,
            total,
            groups,
            center,
            cost,
        })
    }
}

/// One queue's KPIs over a run's measurement window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueKpis {
    /// The queue's name.
    pub name: String,
    /// kpi's row at the queue's T and the scenario's short-abandon
    /// threshold.
    pub row: QueueRow,
    /// kpi's tally, for rows at other thresholds (`tally.row(...)`).
    pub tally: QueueTally,
}

/// One agent group's KPIs over a run's measurement window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupKpis {
    /// The group's name.
    pub name: String,
    /// kpi's agent row of the group (pseudo-agent g + 1); `None` when no
    /// agent of it was logged in within the window.
    pub row: Option<AgentRow>,
}

/// What a run measured, every figure computed by `kpi`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunKpis {
    /// The run's counts.
    pub summary: RunSummary,
    /// Start of the measurement window (end of warm-up).
    pub from: Time,
    /// End of the window (end of arrivals).
    pub to: Time,
    /// Abandons within this are short.
    pub short_abandon: Span,
    /// Per queue, in scenario order.
    pub queues: Vec<QueueKpis>,
    /// All queues' legs together.
    pub total: QueueTally,
    /// Per agent group, in scenario order.
    pub groups: Vec<GroupKpis>,
    /// kpi's agent row of the whole center (pseudo-agent 0).
    pub center: Option<AgentRow>,
    /// Logged-in hours × `cost_per_hour`, over the groups that have one.
    pub cost: Option<f64>,
}

/// The figures replications estimate. Service level is KPI.md's offered
/// definition at each queue's T; times are in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Contacts offered (legs that entered).
    pub offered: u64,
    /// Answered within T ÷ (offered − short abandoned).
    pub service_level: Option<f64>,
    /// Mean wait of answered contacts.
    pub asa: Option<f64>,
    /// (Abandoned − short) ÷ (offered − short).
    pub abandon_rate: Option<f64>,
    /// (Talk + hold + wrap-up) ÷ handled.
    pub aht: Option<f64>,
    /// Center only: busy ÷ (busy + ready), kpi's agent occupancy.
    pub occupancy: Option<f64>,
    /// Center only: agent cost.
    pub cost: Option<f64>,
}

impl Metrics {
    fn of_row(row: &QueueRow) -> Metrics {
        Metrics {
            offered: row.count(kpi::Count::Offered),
            service_level: row.service_level(SlDefinition::Offered),
            asa: row.asa,
            abandon_rate: row.abandon_rate,
            aht: row.aht,
            occupancy: None,
            cost: None,
        }
    }
}

impl RunKpis {
    /// The figures of queue `q` (scenario order).
    pub fn queue_metrics(&self, q: usize) -> Metrics {
        Metrics::of_row(&self.queues[q].row)
    }

    /// The figures of the whole center. The service level adds up the
    /// queues' within-T and counted contacts, each at its own T.
    pub fn total_metrics(&self) -> Metrics {
        // A scenario has at least one queue; T only matters for the service
        // level, summed below instead.
        let Some(first) = self.queues.first().map(|q| &q.row) else {
            return Metrics::default();
        };
        let row = self.total.row(
            first.queue,
            first.start.clone(),
            first.threshold,
            self.short_abandon,
        );
        let (within, of) = self
            .queues
            .iter()
            .filter_map(|q| {
                q.row
                    .service_level
                    .iter()
                    .find(|sl| sl.definition == SlDefinition::Offered)
            })
            .fold((0, 0), |(w, o), sl| (w + sl.within, o + sl.of));
        Metrics {
            service_level: (of > 0).then(|| within as f64 / of as f64),
            occupancy: self.center.as_ref().and_then(|c| c.occupancy),
            cost: self.cost,
            ..Metrics::of_row(&row)
        }
    }
}

impl Simulation {
    /// Runs once with `seed` and computes its KPIs with `kpi`; every record
    /// also goes to `sink`, in engine order.
    pub fn run_kpis(&self, seed: u64, mut sink: impl FnMut(&Record)) -> Result<RunKpis, SimError> {
        let mut collector = Collector::new(self);
        let summary = self.run(seed, |record| {
            collector.record(record);
            sink(record);
        })?;
        collector.finish(summary)
    }
}
