//! The shift-scheduling model and its solution.
//!
//! Key types: [`Goal`] and [`SolveOptions`] (least cost, or best coverage
//! within a budget), [`Plan`] (agents per shift with their breaks, and
//! coverage per interval), [`Uncovered`] (why an interval cannot be
//! covered). [`solve`] builds the candidate shifts (template × day ×
//! start, inside opening hours and inside the planned days), checks that
//! every interval that needs agents can get them, then solves the integer
//! program with HiGHS. See the [module above](super) for the formulation.

use std::fmt;
use std::time::Instant;

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolutionStatus, SolverModel, Variable,
    highs, variable,
};
use jiff::SignedDuration;
use jiff::civil::{Date, DateTime};
use serde::Serialize;

use super::{DAY, RequirementSeries, ScheduleError, Templates};

/// What to optimise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// Cover every interval's requirement at least cost.
    MinCost,
    /// Spend at most this much and leave the fewest agent-hours short;
    /// among equally short plans, the cheapest.
    Budget(f64),
}

/// How to solve.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveOptions {
    /// What to optimise.
    pub goal: Goal,
    /// Seconds the solver may take in all; on expiry the best plan found
    /// so far is returned, marked [`SolveStatus::TimeLimit`].
    pub time_limit: Option<f64>,
    /// Relative optimality gap at which the solver may stop, in [0, 1).
    pub mip_gap: f64,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            goal: Goal::MinCost,
            time_limit: None,
            mip_gap: DEFAULT_GAP,
        }
    }
}

/// How good the returned plan is known to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SolveStatus {
    /// Optimal within the relative gap asked for (0.01 % by default).
    Optimal,
    /// The best plan found before the time limit; maybe not optimal.
    TimeLimit,
}

/// The default relative optimality gap: HiGHS's own, made explicit.
pub const DEFAULT_GAP: f64 = 1e-4;
/// Coverage within this of the requirement counts as meeting it.
const TOLERANCE: f64 = 1e-6;

/// Agents on one break start of a planned shift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedBreak {
    /// The break's name.
    pub name: String,
    /// Whether it is paid.
    pub paid: bool,
    /// When it starts.
    pub start: DateTime,
    /// When it ends.
    pub end: DateTime,
    /// Agents of the shift taking it then.
    pub agents: u32,
}

/// A shift in the plan: one template, on one day, at one start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedShift {
    /// The template's name.
    pub template: String,
    /// When it starts.
    pub start: DateTime,
    /// When it ends.
    pub end: DateTime,
    /// Agents working it.
    pub agents: u32,
    /// Cost per agent.
    pub cost: f64,
    /// Paid hours per agent.
    pub paid_hours: f64,
    /// Break placements, by break then start.
    pub breaks: Vec<PlannedBreak>,
}

/// Staff against need in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CoverageRow {
    /// Start of the interval.
    pub start: DateTime,
    /// Agents needed.
    pub required: f64,
    /// Agents on the phones (not on a break), averaged over the interval.
    pub scheduled: f64,
    /// `scheduled − required` where positive.
    pub over: f64,
    /// `required − scheduled` where positive.
    pub short: f64,
    /// Whether the center is open for any of it.
    pub open: bool,
}

/// A solved schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Interval length in minutes.
    pub interval_minutes: u32,
    /// How good the plan is known to be.
    pub status: SolveStatus,
    /// The budget, when the goal was one.
    pub budget: Option<f64>,
    /// Total cost.
    pub cost: f64,
    /// A proven lower bound on the least cost (without a budget): the
    /// plan costs at most `cost − lower_bound` more than the optimum.
    pub lower_bound: Option<f64>,
    /// Agent-shifts scheduled.
    pub agent_shifts: u32,
    /// Paid agent-hours.
    pub paid_hours: f64,
    /// Agent-hours needed on the phones.
    pub required_hours: f64,
    /// Agent-hours scheduled on the phones.
    pub scheduled_hours: f64,
    /// Agent-hours short of the requirement.
    pub short_hours: f64,
    /// Agent-hours above the requirement.
    pub over_hours: f64,
    /// Shifts with at least one agent, by start then template.
    pub shifts: Vec<PlannedShift>,
    /// Every interval that is open, needs agents or has some, in order.
    pub coverage: Vec<CoverageRow>,
}

/// Why an interval cannot get the agents it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UncoveredReason {
    /// It lies outside the opening hours.
    Closed,
    /// No shift template can have an agent on the phone then.
    NoShift,
    /// Shifts reach it, but their `max_agents` caps leave it short.
    MaxAgents,
}

/// An interval no schedule can cover.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Uncovered {
    /// Start of the interval.
    pub start: DateTime,
    /// Agents needed.
    pub required: f64,
    /// The most agents any schedule can have on the phones then.
    pub reachable: f64,
    /// Why.
    pub reason: UncoveredReason,
}

impl fmt::Display for Uncovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} needs {}: ",
            weekday_name(self.start.date()),
            self.start.strftime("%Y-%m-%d %H:%M"),
            round2(self.required)
        )?;
        match self.reason {
            UncoveredReason::Closed => write!(f, "outside opening hours"),
            UncoveredReason::NoShift => {
                write!(f, "no shift template has an agent on the phone then")
            }
            UncoveredReason::MaxAgents => write!(
                f,
                "at most {} within the templates' max_agents",
                round2(self.reachable)
            ),
        }
    }
}

/// Three-letter English weekday.
pub(crate) fn weekday_name(date: Date) -> &'static str {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        [date.weekday().to_monday_zero_offset() as usize]
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Whole days from the first date of the requirement to its last, on its
/// interval grid. Minutes count from the first day's midnight.
struct Horizon {
    origin: DateTime,
    days: u32,
    interval: u32,
}

impl Horizon {
    fn of(requirement: &RequirementSeries) -> Self {
        let (first, last) = requirement.dates();
        let days = last.since(first).map_or(0, |span| span.get_days()) as u32 + 1;
        Horizon {
            origin: first.to_datetime(jiff::civil::Time::midnight()),
            days,
            interval: requirement.interval().minutes(),
        }
    }

    fn minutes(&self) -> u32 {
        self.days * DAY
    }

    fn intervals(&self) -> usize {
        (self.minutes() / self.interval) as usize
    }

    fn at(&self, minute: u32) -> DateTime {
        self.origin + SignedDuration::from_mins(i64::from(minute))
    }

    fn date(&self, day: u32) -> Date {
        self.at(day * DAY).date()
    }

    /// Fraction of interval `p` inside minutes `from..to`.
    fn share(&self, p: usize, from: u32, to: u32) -> f64 {
        let (start, end) = (p as u32 * self.interval, (p as u32 + 1) * self.interval);
        let overlap = to.min(end).saturating_sub(from.max(start));
        f64::from(overlap) / f64::from(self.interval)
    }

    /// Intervals touching minutes `from..to`.
    fn span(&self, from: u32, to: u32) -> std::ops::Range<usize> {
        (from / self.interval) as usize..to.div_ceil(self.interval) as usize
    }
}

/// One shift the model may staff.
#[derive(Clone)]
struct Candidate {
    template: usize,
    start: u32,
    end: u32,
    /// Per break of the template, the allowed starts (horizon minutes).
    breaks: Vec<Vec<u32>>,
}

/// Open minutes of the horizon, as prefix counts for range queries.
struct OpenMinutes(Vec<u32>);

impl OpenMinutes {
    fn of(horizon: &Horizon, templates: &Templates) -> Self {
        let total = horizon.minutes() as usize;
        let mut open = vec![false; total];
        // The day before the horizon matters for a window past midnight.
        for day in -1..horizon.days as i64 {
            let weekday = (horizon.origin.date() + SignedDuration::from_hours(24 * day)).weekday();
            if let Some((from, to)) = templates.opening.on(weekday) {
                let base = day * i64::from(DAY);
                let from = (base + i64::from(from)).clamp(0, total as i64) as usize;
                let to = (base + i64::from(to)).clamp(0, total as i64) as usize;
                open[from..to].fill(true);
            }
        }
        let mut prefix = Vec::with_capacity(total + 1);
        prefix.push(0);
        for (i, &o) in open.iter().enumerate() {
            prefix.push(prefix[i] + u32::from(o));
        }
        OpenMinutes(prefix)
    }

    fn count(&self, from: u32, to: u32) -> u32 {
        self.0[to as usize] - self.0[from as usize]
    }

    fn all_open(&self, from: u32, to: u32) -> bool {
        self.count(from, to) == to - from
    }
}

/// The model's data: what to cover and with which shifts.
struct Instance<'a> {
    templates: &'a Templates,
    horizon: Horizon,
    open: OpenMinutes,
    need: Vec<f64>,
    candidates: Vec<Candidate>,
}

impl<'a> Instance<'a> {
    fn new(requirement: &RequirementSeries, templates: &'a Templates) -> Self {
        let horizon = Horizon::of(requirement);
        let open = OpenMinutes::of(&horizon, templates);
        let mut need = vec![0.0; horizon.intervals()];
        for point in requirement.points() {
            let minutes = point.start.duration_since(horizon.origin).as_mins();
            need[(minutes / i64::from(horizon.interval)) as usize] = point.agents;
        }
        let mut candidates = Vec::new();
        for day in 0..horizon.days {
            let weekday = horizon.date(day).weekday();
            for (index, template) in templates.shifts.iter().enumerate() {
                if !template.runs_on(weekday) {
                    continue;
                }
                for clock in template.start_times(horizon.interval) {
                    let start = day * DAY + clock;
                    let end = start + template.length;
                    if end > horizon.minutes() || !open.all_open(start, end) {
                        continue;
                    }
                    let breaks = template
                        .breaks
                        .iter()
                        .map(|rule| rule.starts(horizon.interval).map(|o| start + o).collect())
                        .collect();
                    candidates.push(Candidate {
                        template: index,
                        start,
                        end,
                        breaks,
                    });
                }
            }
        }
        Instance {
            templates,
            horizon,
            open,
            need,
            candidates,
        }
    }

    /// The most agents on the phones in each interval over all schedules
    /// (`None`: no limit), each interval on its own: every shift at its
    /// cap, every break as far from the interval as its window allows.
    fn reachable(&self) -> Vec<Option<f64>> {
        let mut reach = vec![Some(0.0); self.need.len()];
        for c in &self.candidates {
            let template = &self.templates.shifts[c.template];
            for p in self.horizon.span(c.start, c.end) {
                let mut on_phone = self.horizon.share(p, c.start, c.end);
                for (rule, starts) in template.breaks.iter().zip(&c.breaks) {
                    on_phone -= starts
                        .iter()
                        .map(|&s| self.horizon.share(p, s, s + rule.length))
                        .fold(f64::INFINITY, f64::min);
                }
                if on_phone > TOLERANCE {
                    reach[p] = match (reach[p], template.max_agents) {
                        (Some(r), Some(cap)) => Some(r + f64::from(cap) * on_phone),
                        _ => None,
                    };
                }
            }
        }
        reach
    }

    fn uncovered(&self) -> Vec<Uncovered> {
        let reach = self.reachable();
        let mut uncovered = Vec::new();
        for (p, &need) in self.need.iter().enumerate() {
            if need <= TOLERANCE {
                continue;
            }
            let from = p as u32 * self.horizon.interval;
            let reachable = reach[p].unwrap_or(f64::INFINITY);
            let reason = if self.open.count(from, from + self.horizon.interval) == 0 {
                UncoveredReason::Closed
            } else if reachable <= TOLERANCE {
                UncoveredReason::NoShift
            } else if reachable < need - TOLERANCE {
                UncoveredReason::MaxAgents
            } else {
                continue;
            };
            uncovered.push(Uncovered {
                start: self.horizon.at(from),
                required: need,
                reachable: if reason == UncoveredReason::MaxAgents {
                    reachable
                } else {
                    0.0
                },
                reason,
            });
        }
        uncovered
    }

    fn min_agents_cost(&self) -> f64 {
        self.candidates
            .iter()
            .map(|c| {
                let t = &self.templates.shifts[c.template];
                f64::from(t.min_agents) * t.cost
            })
            .sum()
    }
}

/// A set of candidates and the intervals they must cover, solved as one
/// integer program. Without a budget the horizon splits into parts no
/// shift links (each day, when the center closes at night), solved one
/// after the other: the same optimum, found far faster than in one model.
struct Part {
    /// Indices into the instance's candidates.
    candidates: Vec<usize>,
    /// The requirement of the part's intervals; zero elsewhere.
    need: Vec<f64>,
}

impl Instance<'_> {
    /// The whole instance as one part.
    fn whole(&self) -> Part {
        Part {
            candidates: (0..self.candidates.len()).collect(),
            need: self.need.clone(),
        }
    }

    /// Parts no candidate links, in time order: intervals a candidate
    /// spans are joined, and a part is one run of joined intervals.
    fn parts(&self) -> Vec<Part> {
        // linked[p]: interval p and p + 1 belong to the same part.
        let mut linked = vec![false; self.need.len()];
        for c in &self.candidates {
            let span = self.horizon.span(c.start, c.end);
            let last = span.end.saturating_sub(1).max(span.start);
            linked[span.start..last].fill(true);
        }
        let mut part_of = vec![0; self.need.len()];
        let mut part = 0;
        for p in 0..self.need.len() {
            part_of[p] = part;
            if !linked[p] {
                part += 1;
            }
        }
        let mut parts: Vec<Part> = (0..part)
            .map(|_| Part {
                candidates: Vec::new(),
                need: vec![0.0; self.need.len()],
            })
            .collect();
        for (p, &need) in self.need.iter().enumerate() {
            parts[part_of[p]].need[p] = need;
        }
        for (i, c) in self.candidates.iter().enumerate() {
            parts[part_of[(c.start / self.horizon.interval) as usize]]
                .candidates
                .push(i);
        }
        parts.retain(|p| !p.candidates.is_empty());
        parts
    }
}

/// What one solver run is asked.
#[derive(Clone, Copy)]
enum Stage {
    /// Cover everything at least cost.
    Cover,
    /// Least shortfall (agent-intervals), then least cost, within a
    /// budget: the cost weighs `1 / (100 × budget)`, so at most 0.01
    /// agent-interval of shortfall is traded for cost.
    LeastShort { budget: f64 },
}

/// How a run may solve.
#[derive(Clone, Copy)]
struct Limits {
    /// Seconds.
    time: Option<f64>,
    /// Relative optimality gap.
    gap: f64,
    /// Integer variables, or the linear relaxation (a lower bound).
    integral: bool,
}

/// Values of a solved run, per candidate of the whole instance.
struct Values {
    agents: Vec<u32>,
    /// Per candidate, per break, agents per allowed start.
    breaks: Vec<Vec<Vec<u32>>>,
    objective: f64,
    status: SolveStatus,
}

impl Values {
    fn empty(instance: &Instance<'_>) -> Self {
        Values {
            agents: vec![0; instance.candidates.len()],
            breaks: instance
                .candidates
                .iter()
                .map(|c| c.breaks.iter().map(|s| vec![0; s.len()]).collect())
                .collect(),
            objective: 0.0,
            status: SolveStatus::Optimal,
        }
    }
}

fn run(
    instance: &Instance<'_>,
    part: &Part,
    stage: Stage,
    limits: Limits,
) -> Result<Values, ResolutionError> {
    let mut vars = ProblemVariables::new();
    let templates = &instance.templates.shifts;
    let candidates: Vec<&Candidate> = part
        .candidates
        .iter()
        .map(|&i| &instance.candidates[i])
        .collect();
    let number =
        |def: good_lp::VariableDefinition| if limits.integral { def.integer() } else { def };
    let x: Vec<Variable> = candidates
        .iter()
        .map(|c| {
            let t = &templates[c.template];
            let def = number(variable().min(t.min_agents));
            vars.add(match t.max_agents {
                Some(max) => def.max(max),
                None => def,
            })
        })
        .collect();
    let b: Vec<Vec<Vec<Variable>>> = candidates
        .iter()
        .map(|c| {
            c.breaks
                .iter()
                .map(|starts| {
                    starts
                        .iter()
                        .map(|_| vars.add(number(variable().min(0))))
                        .collect()
                })
                .collect()
        })
        .collect();
    let elastic = !matches!(stage, Stage::Cover);
    let short: Vec<Option<Variable>> = part
        .need
        .iter()
        .map(|&need| (elastic && need > TOLERANCE).then(|| vars.add(variable().min(0).max(need))))
        .collect();
    let cost: Expression = candidates
        .iter()
        .zip(&x)
        .map(|(c, &x)| templates[c.template].cost * x)
        .sum();
    let total_short: Expression = short.iter().flatten().copied().sum();

    let mut rows: Vec<Expression> = vec![Expression::with_capacity(0); part.need.len()];
    for ((c, &x), b) in candidates.iter().zip(&x).zip(&b) {
        for p in instance.horizon.span(c.start, c.end) {
            rows[p].add_mul(instance.horizon.share(p, c.start, c.end), x);
        }
        let rules = &templates[c.template].breaks;
        for ((rule, starts), vars) in rules.iter().zip(&c.breaks).zip(b) {
            for (&s, &v) in starts.iter().zip(vars) {
                for p in instance.horizon.span(s, s + rule.length) {
                    rows[p].add_mul(-instance.horizon.share(p, s, s + rule.length), v);
                }
            }
        }
    }

    let objective = match stage {
        Stage::Cover => cost.clone(),
        Stage::LeastShort { budget } => {
            total_short + cost.clone() * (1.0 / (100.0 * budget.max(1.0)))
        }
    };
    let mut model = vars
        .minimise(objective.clone())
        .using(highs)
        .set_mip_rel_gap(limits.gap as f32)
        .map_err(|e| ResolutionError::Str(e.to_string()))?;
    if let Some(seconds) = limits.time {
        model = model.set_time_limit(seconds);
    }
    for (&x, b) in x.iter().zip(&b) {
        for vars in b {
            let taken: Expression = vars.iter().copied().sum();
            model.add_constraint(taken.eq(x));
        }
    }
    for (p, row) in rows.into_iter().enumerate() {
        let need = part.need[p];
        if need <= TOLERANCE {
            continue;
        }
        let row = match short[p] {
            Some(s) => row + s,
            None => row,
        };
        model.add_constraint(row.geq(need));
    }
    if let Stage::LeastShort { budget } = stage
        && budget.is_finite()
    {
        model.add_constraint(cost.clone().leq(budget));
    }
    let solution = model.solve()?;
    let status = match solution.status() {
        SolutionStatus::Optimal | SolutionStatus::GapLimit => SolveStatus::Optimal,
        SolutionStatus::TimeLimit => SolveStatus::TimeLimit,
    };
    let integer = |v: Variable| solution.value(v).round().max(0.0) as u32;
    let mut values = Values::empty(instance);
    for ((&i, &x), b) in part.candidates.iter().zip(&x).zip(&b) {
        values.agents[i] = integer(x);
        for (counts, vars) in values.breaks[i].iter_mut().zip(b) {
            for (count, &v) in counts.iter_mut().zip(vars) {
                *count = integer(v);
            }
        }
    }
    values.objective = solution.eval(&objective);
    values.status = status;
    Ok(values)
}

fn solver_error(error: ResolutionError) -> ScheduleError {
    ScheduleError::Solver(match error {
        ResolutionError::Other("NoSolutionFound") => {
            "no schedule found within the time limit".to_owned()
        }
        other => other.to_string(),
    })
}

/// Finds agents per shift and break placements for a requirement.
///
/// With [`Goal::MinCost`], intervals that no schedule can cover (closed,
/// out of every shift's reach, or beyond the `max_agents` caps) make a
/// [`ScheduleError::Infeasible`] naming them; with [`Goal::Budget`] they
/// are simply left short.
pub fn solve(
    requirement: &RequirementSeries,
    templates: &Templates,
    options: &SolveOptions,
) -> Result<Plan, ScheduleError> {
    if !(0.0..1.0).contains(&options.mip_gap) {
        return Err(ScheduleError::Solver(format!(
            "the optimality gap must be in [0, 1), got {}",
            options.mip_gap
        )));
    }
    let instance = Instance::new(requirement, templates);
    let started = Instant::now();
    let limits = |share: f64| Limits {
        // Each run gets what is left of the time limit, but at least its
        // share of it, so the last parts still find a plan.
        time: options
            .time_limit
            .map(|total| (total - started.elapsed().as_secs_f64()).max(total * share)),
        gap: options.mip_gap,
        integral: true,
    };
    match options.goal {
        Goal::MinCost => {
            let uncovered = instance.uncovered();
            if !uncovered.is_empty() {
                return Err(ScheduleError::Infeasible(uncovered));
            }
            let parts = instance.parts();
            let share = 1.0 / parts.len().max(1) as f64;
            let mut values = Values::empty(&instance);
            let mut lower_bound = 0.0;
            let mut uncovered = Vec::new();
            for part in &parts {
                match run(&instance, part, Stage::Cover, limits(share)) {
                    Ok(found) => {
                        lower_bound += match found.status {
                            SolveStatus::Optimal => found.objective * (1.0 - options.mip_gap),
                            SolveStatus::TimeLimit => {
                                let relaxed = Limits {
                                    integral: false,
                                    ..limits(share)
                                };
                                run(&instance, part, Stage::Cover, relaxed)
                                    .map_err(solver_error)?
                                    .objective
                            }
                        };
                        values.merge(found, part);
                    }
                    // Each interval is reachable on its own but not all
                    // at once: name those the least-short plan leaves short.
                    Err(ResolutionError::Infeasible) => {
                        let least = run(
                            &instance,
                            part,
                            Stage::LeastShort {
                                budget: f64::INFINITY,
                            },
                            limits(share),
                        )
                        .map_err(solver_error)?;
                        let plan = instance.plan(&least, None, None);
                        let in_part = |row: &&CoverageRow| {
                            let minutes =
                                row.start.duration_since(instance.horizon.origin).as_mins();
                            part.need[(minutes / i64::from(instance.horizon.interval)) as usize]
                                > 0.0
                        };
                        uncovered.extend(
                            plan.coverage
                                .iter()
                                .filter(in_part)
                                .filter(|row| row.short > TOLERANCE)
                                .map(|row| Uncovered {
                                    start: row.start,
                                    required: row.required,
                                    reachable: row.scheduled,
                                    reason: UncoveredReason::MaxAgents,
                                }),
                        );
                    }
                    Err(other) => return Err(solver_error(other)),
                }
            }
            if !uncovered.is_empty() {
                return Err(ScheduleError::Infeasible(uncovered));
            }
            Ok(instance.plan(&values, None, Some(lower_bound)))
        }
        Goal::Budget(budget) => {
            let floor = instance.min_agents_cost();
            if budget.is_nan() || budget < floor - TOLERANCE {
                return Err(ScheduleError::BudgetTooSmall { budget, floor });
            }
            // The budget ties the days together: one model.
            let values = run(
                &instance,
                &instance.whole(),
                Stage::LeastShort { budget },
                limits(1.0),
            )
            .map_err(solver_error)?;
            Ok(instance.plan(&values, Some(budget), None))
        }
    }
}

impl Values {
    /// Takes a part's values; the plan is optimal if every part is.
    fn merge(&mut self, found: Values, part: &Part) {
        for &i in &part.candidates {
            self.agents[i] = found.agents[i];
            self.breaks[i].clone_from(&found.breaks[i]);
        }
        self.objective += found.objective;
        if found.status == SolveStatus::TimeLimit {
            self.status = SolveStatus::TimeLimit;
        }
    }
}

impl Instance<'_> {
    fn plan(&self, values: &Values, budget: Option<f64>, lower_bound: Option<f64>) -> Plan {
        let h = &self.horizon;
        let mut scheduled = vec![0.0; self.need.len()];
        let mut shifts = Vec::new();
        let (mut cost, mut paid_minutes, mut agent_shifts) = (0.0, 0u64, 0u32);
        for ((c, &agents), taken) in self
            .candidates
            .iter()
            .zip(&values.agents)
            .zip(&values.breaks)
        {
            if agents == 0 {
                continue;
            }
            let template = &self.templates.shifts[c.template];
            let n = f64::from(agents);
            for p in h.span(c.start, c.end) {
                scheduled[p] += n * h.share(p, c.start, c.end);
            }
            let mut breaks = Vec::new();
            for ((rule, starts), counts) in template.breaks.iter().zip(&c.breaks).zip(taken) {
                for (&s, &k) in starts.iter().zip(counts) {
                    if k == 0 {
                        continue;
                    }
                    for p in h.span(s, s + rule.length) {
                        scheduled[p] -= f64::from(k) * h.share(p, s, s + rule.length);
                    }
                    breaks.push(PlannedBreak {
                        name: rule.name.clone(),
                        paid: rule.paid,
                        start: h.at(s),
                        end: h.at(s + rule.length),
                        agents: k,
                    });
                }
            }
            cost += n * template.cost;
            paid_minutes += u64::from(agents) * u64::from(template.paid_minutes());
            agent_shifts += agents;
            shifts.push(PlannedShift {
                template: template.name.clone(),
                start: h.at(c.start),
                end: h.at(c.end),
                agents,
                cost: template.cost,
                paid_hours: f64::from(template.paid_minutes()) / 60.0,
                breaks,
            });
        }
        shifts.sort_by(|a, b| (a.start, &a.template).cmp(&(b.start, &b.template)));
        let hours = f64::from(h.interval) / 60.0;
        let mut coverage = Vec::new();
        let (mut required_hours, mut scheduled_hours, mut short_hours, mut over_hours) =
            (0.0, 0.0, 0.0, 0.0);
        for (p, (&required, &on_phone)) in self.need.iter().zip(&scheduled).enumerate() {
            let from = p as u32 * h.interval;
            let is_open = self.open.count(from, from + h.interval) > 0;
            // Round-off of the minute shares is not coverage.
            let on_phone = if on_phone.abs() < 1e-9 { 0.0 } else { on_phone };
            if !is_open && required <= 0.0 && on_phone <= 0.0 {
                continue;
            }
            let over = (on_phone - required).max(0.0);
            let short = (required - on_phone).max(0.0);
            required_hours += required * hours;
            scheduled_hours += on_phone * hours;
            short_hours += short * hours;
            over_hours += over * hours;
            coverage.push(CoverageRow {
                start: h.at(from),
                required,
                scheduled: on_phone,
                over,
                short,
                open: is_open,
            });
        }
        Plan {
            interval_minutes: h.interval,
            status: values.status,
            budget,
            cost,
            lower_bound,
            agent_shifts,
            paid_hours: paid_minutes as f64 / 60.0,
            required_hours,
            scheduled_hours,
            short_hours,
            over_hours,
            shifts,
            coverage,
        }
    }
}
