//! `switchboard schedule`: shifts and breaks that cover a requirement at
//! least cost, named agents on them and the coverage chart; and
//! `switchboard schedule adherence`.
//!
//! Key types: [`ScheduleArgs`] and [`AdherenceArgs`]. The scheduling and
//! the adherence arithmetic live in `wfm::schedule` and `wfm::adherence`;
//! this module reads files, shows progress while the solver runs, and
//! turns results into tables, JSON, CSV and SVG. Output files are written
//! only once everything succeeded, each through a temporary file renamed
//! into place, so a failure leaves nothing half-written.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use wfm::adherence::{DayAdherence, Schedule, StateLog, adherence};
use wfm::schedule::{
    Agents, DEFAULT_GAP, Goal, Plan, RequirementSeries, Roster, SolveOptions, SolveStatus,
    Templates, assign, coverage_svg, solve,
};
use wfm::series::IntervalLength;

use crate::output::{Format, FormatArgs, Table, emit};

/// Options of `switchboard schedule`.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:
  switchboard schedule --requirement examples/schedule/requirement.csv \\
      --templates examples/schedule/shifts.toml --svg coverage.svg
  switchboard schedule --requirement examples/schedule/requirement.csv \\
      --templates examples/schedule/shifts.toml --agents examples/schedule/agents.toml \\
      --roster roster.csv
  switchboard schedule --requirement staff.csv --column scheduled \\
      --templates shifts.toml --budget 20000 --csv --table coverage
  switchboard schedule adherence --roster roster.csv --states states.csv

The requirement is CSV with a header naming `start` (like 2025-03-03T07:00)
and the agents needed (`agents`, or the --column given; fractions allowed);
other columns are ignored, so `switchboard staff --demand … --csv` output
reads with --column scheduled. Intervals it leaves out need nobody.

Shift templates are TOML; every key is optional but name, length and starts:
  [opening]                       # agents work only inside opening hours
  all = \"07:00-21:00\"             # every day (mon … sun override; \"closed\")
  [[shift]]
  name = \"day8\"
  length = \"8:30\"                 # start to end, breaks included
  starts = [\"07:00-12:30\"]        # inclusive ranges or single times
  start_step = \"0:30\"             # default: the requirement's interval
  days = [\"mon\", \"tue\"]           # default: every day
  cost = 160.0                    # per agent; default: paid hours
  min_agents = 0                  # per shift (a start on a day)
  max_agents = 20
  [[shift.break]]
  name = \"lunch\"                  # adherence expects not_ready:lunch then
  length = \"0:30\"
  paid = false
  window = \"3:00-5:30\"            # offsets from the shift start

Agents are TOML (see examples/schedule/agents.toml):
  min_rest = \"11:00\"
  [[agent]]
  name = \"Ana\"
  min_hours = 30                  # paid hours per week
  max_hours = 40
  templates = [\"day8\"]            # default: all
  available = { all = \"07:00-21:00\", sat = \"off\" }

The solver (HiGHS) solves each part of the horizon that no shift links
(each day, when the center closes at night) on its own. It stops after
--time-limit seconds with the best plan found, marked time limit instead of
optimal, and prints a proven lower bound on the cost beside it."
)]
pub struct ScheduleArgs {
    #[command(subcommand)]
    command: Option<ScheduleCommand>,
    /// Requirement CSV: start and agents needed per interval.
    #[arg(long, value_name = "FILE", required = true)]
    requirement: Option<PathBuf>,
    /// The requirement column holding the agents needed.
    #[arg(long, value_name = "NAME", default_value = "agents")]
    column: String,
    /// Interval length in minutes (5, 15, 30 or 60) [default: the smallest
    /// gap between starts].
    #[arg(long, value_name = "MIN")]
    interval: Option<u32>,
    /// Shift templates and opening hours (TOML).
    #[arg(long, value_name = "FILE", required = true)]
    templates: Option<PathBuf>,
    /// Named agents to put on the shifts (TOML).
    #[arg(long, value_name = "FILE")]
    agents: Option<PathBuf>,
    /// Spend at most this and leave the fewest agent-hours short, instead
    /// of covering everything at least cost.
    #[arg(long, value_name = "COST")]
    budget: Option<f64>,
    /// Seconds the solver may take in all (and again for --agents).
    #[arg(long, value_name = "S", default_value_t = 120.0)]
    time_limit: f64,
    /// Stop once the cost is proven within this many percent of the
    /// optimum.
    #[arg(long, value_name = "PERCENT", default_value_t = DEFAULT_GAP * 100.0)]
    gap: f64,
    /// Write the coverage chart here (SVG).
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Write the agents' schedule here (CSV agent,activity,start,end: the
    /// input of `schedule adherence`); needs --agents.
    #[arg(long, value_name = "FILE", requires = "agents")]
    roster: Option<PathBuf>,
    /// The table --csv prints.
    #[arg(long, value_enum, default_value_t = Shown::Shifts)]
    table: Shown,
    #[command(flatten)]
    format: FormatArgs,
}

/// Tables `schedule --csv` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Shown {
    /// Agents per shift, with break placements.
    Shifts,
    /// Required and scheduled agents per interval.
    Coverage,
    /// Each agent's shifts (needs --agents).
    Roster,
    /// Each agent's paid hours per week (needs --agents).
    Hours,
}

/// Subcommands of `switchboard schedule`.
#[derive(Debug, Subcommand)]
enum ScheduleCommand {
    /// Schedule adherence and conformance per agent and day, from the
    /// schedule and the agents' state log.
    Adherence(AdherenceArgs),
}

/// Options of `switchboard schedule adherence`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  switchboard schedule adherence --roster examples/schedule/roster.csv \\
      --states examples/schedule/states.csv
  switchboard schedule adherence --roster roster.csv --states states.csv --json

The roster is CSV agent,activity,start,end (`schedule --roster` writes it):
activity `work` is time on the phones, any other is a break by name. The
state log is CSV agent,state,start,end with states ready, reserved, talking,
hold, wrap, not_ready[:reason] and logged_out.

adherence   = minutes in the scheduled activity / scheduled minutes
              (work: any on-phone state; a break: not_ready:<its name>)
conformance = minutes on the phone / minutes scheduled as work")]
pub struct AdherenceArgs {
    /// The schedule (CSV agent,activity,start,end).
    #[arg(long, value_name = "FILE")]
    roster: PathBuf,
    /// The state log (CSV agent,state,start,end).
    #[arg(long, value_name = "FILE")]
    states: PathBuf,
    #[command(flatten)]
    format: FormatArgs,
}

/// What `schedule --json` prints.
#[derive(Serialize)]
struct Output<'a> {
    plan: &'a Plan,
    roster: Option<&'a Roster>,
}

/// Runs `switchboard schedule`.
pub fn run(args: &ScheduleArgs) -> Result<()> {
    if let Some(ScheduleCommand::Adherence(adherence_args)) = &args.command {
        return adherence_report(adherence_args);
    }
    let (Some(requirement_path), Some(templates_path)) = (&args.requirement, &args.templates)
    else {
        bail!("give --requirement FILE and --templates FILE");
    };
    let interval = args
        .interval
        .map(IntervalLength::from_minutes)
        .transpose()
        .context("--interval")?;
    let requirement =
        RequirementSeries::from_csv(open(requirement_path)?, Some(&args.column), interval)
            .with_context(|| format!("reading {}", requirement_path.display()))?;
    let templates = Templates::from_toml(&read(templates_path)?)
        .with_context(|| format!("reading {}", templates_path.display()))?;
    let agents = match &args.agents {
        Some(path) => {
            let names: Vec<&str> = templates.shifts.iter().map(|t| t.name.as_str()).collect();
            Some(
                Agents::from_toml(&read(path)?, &names)
                    .with_context(|| format!("reading {}", path.display()))?,
            )
        }
        None => None,
    };
    if agents.is_none() && matches!(args.table, Shown::Roster | Shown::Hours) {
        bail!("--table roster and --table hours need --agents");
    }
    if args.time_limit.is_nan() || args.time_limit <= 0.0 {
        bail!("--time-limit must be positive, got {}", args.time_limit);
    }
    let options = SolveOptions {
        goal: match args.budget {
            Some(budget) if budget.is_finite() && budget >= 0.0 => Goal::Budget(budget),
            Some(budget) => bail!("--budget must be zero or more, got {budget}"),
            None => Goal::MinCost,
        },
        time_limit: Some(args.time_limit),
        mip_gap: args.gap / 100.0,
    };
    let plan = with_progress("scheduling", args.time_limit, || {
        solve(&requirement, &templates, &options)
    })?;
    let roster = match &agents {
        Some(agents) => Some(with_progress("rostering", args.time_limit, || {
            assign(&plan, agents, Some(args.time_limit))
        })?),
        None => None,
    };
    if let Some(path) = &args.svg {
        write_atomically(path, coverage_svg(&plan).as_bytes())?;
    }
    if let (Some(path), Some(roster)) = (&args.roster, &roster) {
        write_atomically(path, activities_csv(roster)?.as_bytes())?;
    }
    let output = Output {
        plan: &plan,
        roster: roster.as_ref(),
    };
    let format = args.format.format();
    if format == Format::Table {
        let mut text = summary_table(&plan).render();
        text += &format!("\nshifts\n{}", shifts_table(&plan).render());
        text += &format!("\ncoverage\n{}", coverage_table(&plan).render());
        if let Some(roster) = &roster {
            text += &format!("\nroster\n{}", roster_table(roster).render());
            text += &format!("\nhours\n{}", hours_table(roster).render());
            if !roster.open_shifts.is_empty() {
                text += &format!(
                    "\nopen shifts (no agent could take them)\n{}",
                    open_table(roster).render()
                );
            }
        }
        print!("{text}");
        return Ok(());
    }
    emit(format, &output, || match (args.table, &roster) {
        (Shown::Coverage, _) => coverage_table(&plan),
        (Shown::Roster, Some(roster)) => roster_table(roster),
        (Shown::Hours, Some(roster)) => hours_table(roster),
        _ => shifts_table(&plan),
    })
}

fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Writes a file through a temporary sibling, so readers never see half
/// of it.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".partial");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, bytes)
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
}

/// Runs `work` on a second thread; when it takes more than a second,
/// shows the elapsed time against the limit on standard error.
fn with_progress<T: Send>(what: &str, limit: f64, work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let (done, finished) = mpsc::channel();
        let worker = scope.spawn(move || {
            let result = work();
            let _ = done.send(());
            result
        });
        let started = Instant::now();
        let terminal = std::io::stderr().is_terminal();
        let mut shown = false;
        while let Err(mpsc::RecvTimeoutError::Timeout) =
            finished.recv_timeout(Duration::from_millis(200))
        {
            let elapsed = started.elapsed().as_secs();
            if elapsed < 1 {
                continue;
            }
            if terminal {
                eprint!("\r{what} (HiGHS): {elapsed} s of at most {limit:.0} s…");
            } else if !shown {
                eprintln!("{what} (HiGHS), at most {limit:.0} s…");
            }
            shown = true;
        }
        if shown {
            if terminal {
                eprint!("\r\x1b[K");
            }
            eprintln!("{what}: done in {:.1} s", started.elapsed().as_secs_f64());
        }
        worker.join().expect("the solver thread does not panic")
    })
}

fn status_name(status: SolveStatus) -> &'static str {
    match status {
        SolveStatus::Optimal => "optimal",
        SolveStatus::TimeLimit => "time limit (best found)",
    }
}

fn summary_table(plan: &Plan) -> Table {
    let mut t = Table::new(["metric", "value"]);
    t.row(["status".to_owned(), status_name(plan.status).to_owned()]);
    if let Some(bound) = plan.lower_bound {
        t.row(["cost lower bound".to_owned(), format!("{bound:.2}")]);
    }
    if let Some(budget) = plan.budget {
        t.row(["budget".to_owned(), format!("{budget:.2}")]);
    }
    for (name, value) in [
        ("cost", plan.cost),
        ("paid agent-hours", plan.paid_hours),
        ("required agent-hours", plan.required_hours),
        ("scheduled agent-hours on the phones", plan.scheduled_hours),
        ("short agent-hours", plan.short_hours),
        ("over agent-hours", plan.over_hours),
    ] {
        t.row([name.to_owned(), format!("{value:.2}")]);
    }
    t.row(["agent-shifts".to_owned(), plan.agent_shifts.to_string()]);
    t
}

fn day(start: jiff::civil::DateTime) -> String {
    start.strftime("%a %Y-%m-%d").to_string()
}

fn clock(time: jiff::civil::DateTime) -> String {
    time.strftime("%H:%M").to_string()
}

fn shifts_table(plan: &Plan) -> Table {
    let mut t = Table::new([
        "day", "template", "start", "end", "agents", "cost", "breaks",
    ]);
    for s in &plan.shifts {
        let breaks: Vec<String> = s
            .breaks
            .iter()
            .map(|b| format!("{} {}×{}", b.name, clock(b.start), b.agents))
            .collect();
        t.row([
            day(s.start),
            s.template.clone(),
            clock(s.start),
            clock(s.end),
            s.agents.to_string(),
            format!("{:.2}", s.cost * f64::from(s.agents)),
            breaks.join(" "),
        ]);
    }
    t
}

fn coverage_table(plan: &Plan) -> Table {
    let mut t = Table::new([
        "day",
        "start",
        "required",
        "scheduled",
        "difference",
        "open",
    ]);
    for row in &plan.coverage {
        t.row([
            day(row.start),
            clock(row.start),
            format!("{:.2}", row.required),
            format!("{:.2}", row.scheduled),
            format!("{:+.2}", row.scheduled - row.required),
            if row.open { "yes" } else { "no" }.to_owned(),
        ]);
    }
    t
}

fn roster_table(roster: &Roster) -> Table {
    let mut t = Table::new([
        "agent",
        "day",
        "template",
        "start",
        "end",
        "paid_hours",
        "breaks",
    ]);
    for a in &roster.assignments {
        let breaks: Vec<String> = a
            .breaks
            .iter()
            .map(|b| format!("{} {}-{}", b.name, clock(b.start), clock(b.end)))
            .collect();
        t.row([
            a.agent.clone(),
            day(a.start),
            a.template.clone(),
            clock(a.start),
            clock(a.end),
            format!("{:.2}", a.paid_hours),
            breaks.join(" "),
        ]);
    }
    t
}

fn hours_table(roster: &Roster) -> Table {
    let mut t = Table::new([
        "agent",
        "week",
        "paid_hours",
        "min_hours",
        "max_hours",
        "below_min",
    ]);
    for h in &roster.hours {
        t.row([
            h.agent.clone(),
            h.week.to_string(),
            format!("{:.2}", h.paid_hours),
            format!("{:.2}", h.min_hours),
            h.max_hours.map_or(String::new(), |m| format!("{m:.2}")),
            format!("{:.2}", (h.min_hours - h.paid_hours).max(0.0)),
        ]);
    }
    t
}

fn open_table(roster: &Roster) -> Table {
    let mut t = Table::new(["day", "template", "start", "end", "agents"]);
    for o in &roster.open_shifts {
        t.row([
            day(o.start),
            o.template.clone(),
            clock(o.start),
            clock(o.end),
            o.agents.to_string(),
        ]);
    }
    t
}

fn activities_csv(roster: &Roster) -> Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["agent", "activity", "start", "end"])?;
    for a in roster.activities() {
        writer.write_record([a.agent, a.activity, a.start.to_string(), a.end.to_string()])?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

fn adherence_report(args: &AdherenceArgs) -> Result<()> {
    let schedule = Schedule::from_csv(open(&args.roster)?)
        .with_context(|| format!("reading {}", args.roster.display()))?;
    let log = StateLog::from_csv(open(&args.states)?)
        .with_context(|| format!("reading {}", args.states.display()))?;
    let rows: Vec<DayAdherence> = adherence(&schedule, &log);
    emit(args.format.format(), &rows, || {
        let mut t = Table::new([
            "agent",
            "date",
            "scheduled_min",
            "adherent_min",
            "adherence%",
            "work_min",
            "worked_min",
            "conformance%",
        ]);
        let pct = |x: Option<f64>| x.map_or(String::new(), |x| format!("{:.1}%", x * 100.0));
        for r in &rows {
            t.row([
                r.agent.clone(),
                r.date.to_string(),
                format!("{:.1}", r.scheduled_minutes),
                format!("{:.1}", r.adherent_minutes),
                pct(r.adherence),
                format!("{:.1}", r.scheduled_work_minutes),
                format!("{:.1}", r.worked_minutes),
                pct(r.conformance),
            ]);
        }
        t
    })
}
