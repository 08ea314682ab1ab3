//! `switchboard forecast`: contacts and handle time per interval from
//! history, and the backtest that scores the methods.
//!
//! Key types: [`ForecastArgs`] and [`MethodChoice`]. Forecasting lives in
//! `wfm::forecast`; this module reads the input, asks it, and prints.
//! Notes a planner must see (which method, what was clipped, which rows of
//! the bank log were dirty) go to standard error so that `--csv` stays
//! clean for `switchboard staff --demand`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use clap::Args;
use jiff::civil::Date;
use serde::Serialize;
use wfm::forecast::{
    Backtest, DEFAULT_ANOMALY_Z, Fold, History, Horizon, Method, MethodError, Outlier, Score,
    backtest, bank, forecast, rolling_origins, select,
};
use wfm::series::IntervalLength;

use crate::output::{Format, FormatArgs, Table, emit};

/// What `switchboard forecast --help` shows after the options: the
/// input format and examples (the `Command` variant's doc comment is the
/// summary at the top).
const AFTER_HELP: &str = "\
History is a CSV with a header start,contacts[,aht] and one row per
observed interval (start like 2024-03-04T07:30, AHT in seconds);
intervals without a row were closed or not recorded. Or give the
Anonymous Bank call log with --bank-tsv. Seasonality is keyed by calendar
weekday and time of day, so business hours and missing days need no
padding. Notes (method chosen, outliers, clipping) go to standard error.

Examples:
  switchboard forecast history.csv --horizon 4w
  switchboard forecast history.csv --method holt-winters --special-day 2024-12-25 --csv > demand.csv
  switchboard forecast --bank-tsv data/anonymous_bank_february.tsv --interval 30 --backtest
  switchboard forecast --bank-tsv data/anonymous_bank_february.tsv --backtest --horizon 7 --folds 1 --json";

/// Arguments of `switchboard forecast`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct ForecastArgs {
    /// Interval history CSV: columns start, contacts and optionally aht.
    #[arg(
        value_name = "HISTORY_CSV",
        required_unless_present = "bank_tsv",
        conflicts_with = "bank_tsv"
    )]
    history: Option<PathBuf>,
    /// Read the Anonymous Bank call log (tab-separated) instead: arrivals
    /// per interval by IVR entry time, AHT of answered calls.
    #[arg(long, value_name = "PATH")]
    bank_tsv: Option<PathBuf>,
    /// Interval length in minutes: 5, 15, 30 or 60 [default: the CSV's
    /// smallest gap; 30 for --bank-tsv].
    #[arg(long, value_name = "MIN")]
    interval: Option<u32>,
    /// Days to forecast (7, 28d, 4w); with --backtest, the days of each
    /// fold.
    #[arg(long, value_name = "DAYS", default_value = "7")]
    horizon: Horizon,
    /// auto (the lowest WAPE over the last three weeks, each forecast from
    /// the week before), seasonal-naive, weekday-average, profile,
    /// holt-winters, mstl or combined.
    #[arg(long, value_name = "METHOD", default_value = "auto")]
    method: MethodChoice,
    /// Score every method over rolling origins instead of forecasting:
    /// WAPE, MAPE, RMSE, and the intervals that broke far from the best
    /// method's forecast.
    #[arg(long)]
    backtest: bool,
    /// Backtest folds: origins one horizon apart, the last fold ending
    /// with the history.
    #[arg(long, value_name = "N", default_value_t = 3, requires = "backtest")]
    folds: usize,
    /// Flag intervals at least this many standard deviations (Poisson,
    /// scaled by the misses' own dispersion) from the forecast.
    #[arg(long, value_name = "Z", default_value_t = DEFAULT_ANOMALY_Z, requires = "backtest")]
    anomaly_z: f64,
    /// A special day (holiday, outage): left out of training and flagged
    /// when forecast. Repeat or separate with commas.
    #[arg(long = "special-day", value_name = "DATE", value_delimiter = ',')]
    special_days: Vec<Date>,
    #[command(flatten)]
    format: FormatArgs,
}

/// `--method`: one method, or the backtest's pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodChoice {
    /// The method with the lowest WAPE over the last weeks.
    Auto,
    /// This method.
    Fixed(Method),
}

impl FromStr for MethodChoice {
    type Err = MethodError;
    fn from_str(s: &str) -> Result<MethodChoice, MethodError> {
        match s {
            "auto" => Ok(MethodChoice::Auto),
            other => other.parse().map(MethodChoice::Fixed),
        }
    }
}

/// The method choice, for JSON.
#[derive(Debug, Serialize)]
struct Selection<'a> {
    /// One-week folds the methods were scored on.
    folds: &'a [Fold],
    /// Every method's score there.
    scores: &'a [Score],
}

/// What `switchboard forecast` prints as JSON.
#[derive(Debug, Serialize)]
struct ForecastOutput<'a> {
    /// The bank loader's row counts, with --bank-tsv.
    bank: Option<&'a bank::BankReport>,
    /// How auto chose the method, with --method auto.
    selection: Option<Selection<'a>>,
    forecast: &'a wfm::forecast::Forecast,
}

/// What `switchboard forecast --backtest` prints as JSON.
#[derive(Debug, Serialize)]
struct BacktestOutput<'a> {
    /// The bank loader's row counts, with --bank-tsv.
    bank: Option<&'a bank::BankReport>,
    backtest: &'a Backtest,
}

/// Runs `switchboard forecast`.
pub fn run(args: &ForecastArgs) -> Result<()> {
    if !(args.anomaly_z.is_finite() && args.anomaly_z > 0.0) {
        bail!(
            "--anomaly-z must be a number above 0, got {}",
            args.anomaly_z
        );
    }
    let interval = args
        .interval
        .map(IntervalLength::from_minutes)
        .transpose()
        .context("--interval")?;
    let (history, report) = match (&args.history, &args.bank_tsv) {
        (Some(path), _) => {
            let history = History::from_csv(open(path)?, interval)
                .with_context(|| format!("reading {}", path.display()))?;
            (history, None)
        }
        (None, Some(path)) => {
            let interval = interval.unwrap_or(IntervalLength::from_minutes(30)?);
            let import = bank::load(open(path)?, interval)
                .with_context(|| format!("reading {}", path.display()))?;
            (import.history, Some(import.report))
        }
        (None, None) => bail!("give a HISTORY_CSV or --bank-tsv PATH"),
    };
    let history = history.with_special_days(args.special_days.iter().copied());
    let mut notes = String::new();
    if let Some(r) = &report {
        writeln!(
            notes,
            "bank log: {} calls on {} days, {} arrivals counted; not counted: {} PHANTOM; \
             counted but left out of AHT: {} answered with ser_start 0:00:00, {} answered by NO_SERVER; \
             {} answered without queueing (counted normally)",
            r.calls,
            r.days,
            r.arrivals,
            r.phantom,
            r.answered_without_service_start,
            r.answered_by_no_server,
            r.answered_without_queueing
        )?;
    }
    let format = args.format.format();
    if args.backtest {
        let origins = rolling_origins(&history, args.horizon, args.folds)?;
        let result = backtest(&history, args.horizon, &origins, args.anomaly_z)?;
        print_notes(&notes);
        let output = BacktestOutput {
            bank: report.as_ref(),
            backtest: &result,
        };
        if format == Format::Table {
            return write_stdout(&backtest_text(&result));
        }
        return emit(format, &output, || {
            scores_table(&result.scores, result.best)
        });
    }

    let (method, selection) = match args.method {
        MethodChoice::Fixed(method) => (method, None),
        MethodChoice::Auto => {
            let s = select(&history).context("choosing a method (--method auto)")?;
            let wape = s
                .scores
                .iter()
                .find(|x| x.method == s.best)
                .map_or(f64::NAN, |x| x.wape);
            writeln!(
                notes,
                "method: {} (lowest WAPE, {}, forecasting each of the last {} weeks from the weeks before)",
                s.best,
                percent(wape),
                s.folds.len()
            )?;
            (s.best, Some(s))
        }
    };
    let result = forecast(&history, method, args.horizon)?;
    if result.clipped.intervals > 0 {
        writeln!(
            notes,
            "clipped: {} intervals forecast below 0 were raised to 0 (+{:.1} contacts)",
            result.clipped.intervals, result.clipped.contacts
        )?;
    }
    if !result.outliers.is_empty() {
        writeln!(
            notes,
            "outliers: {} history intervals far from their weekday and time were trained on as the usual value instead:",
            result.outliers.len()
        )?;
        notes += &outliers_table(&result.outliers).render();
    }
    if !result.special_days.is_empty() {
        let days: Vec<String> = result.special_days.iter().map(Date::to_string).collect();
        writeln!(
            notes,
            "special days forecast as ordinary days, adjust them: {}",
            days.join(", ")
        )?;
    }
    print_notes(&notes);
    let output = ForecastOutput {
        bank: report.as_ref(),
        selection: selection.as_ref().map(|s| Selection {
            folds: &s.folds,
            scores: &s.scores,
        }),
        forecast: &result,
    };
    emit(format, &output, || {
        let mut table = Table::new(["start", "contacts", "aht", "day", "note"]);
        for d in &result.demand {
            let special = result.special_days.contains(&d.start.date());
            table.row([
                d.start.strftime("%Y-%m-%d %H:%M").to_string(),
                format!("{:.1}", d.contacts),
                d.aht.map_or(String::new(), |a| format!("{a:.0}")),
                d.start.strftime("%a").to_string(),
                if special { "special day" } else { "" }.to_owned(),
            ]);
        }
        table
    })
}

fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))
}

fn print_notes(notes: &str) {
    eprint!("{notes}");
}

fn write_stdout(text: &str) -> Result<()> {
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn scores_table(scores: &[Score], best: Method) -> Table {
    let mut table = Table::new(["method", "WAPE", "MAPE", "RMSE", "clipped", "best"]);
    for s in scores {
        table.row([
            s.method.to_string(),
            percent(s.wape),
            percent(s.mape),
            format!("{:.2}", s.rmse),
            s.clipped.intervals.to_string(),
            if s.method == best { "*" } else { "" }.to_owned(),
        ]);
    }
    table
}

fn outliers_table(outliers: &[Outlier]) -> Table {
    let mut table = Table::new(["start", "day", "actual", "usual"]);
    for o in outliers {
        table.row([
            o.start.strftime("%Y-%m-%d %H:%M").to_string(),
            o.start.strftime("%a").to_string(),
            format!("{:.0}", o.actual),
            format!("{:.0}", o.typical),
        ]);
    }
    table
}

/// The readable backtest: scores, folds, AHT, anomalies.
fn backtest_text(b: &Backtest) -> String {
    let mut out = scores_table(&b.scores, b.best).render();
    let folds: Vec<String> = b
        .folds
        .iter()
        .map(|f| {
            let mut text = format!(
                "{} ({} training days, {} intervals scored",
                f.origin, f.training_days, f.intervals
            );
            if !f.special_days.is_empty() {
                let days: Vec<String> = f.special_days.iter().map(Date::to_string).collect();
                text += &format!(", special days not scored: {}", days.join(" "));
            }
            text + ")"
        })
        .collect();
    out += &format!(
        "\nbest: {} — {}-day folds from {}\n",
        b.best,
        b.horizon.days(),
        folds.join(", ")
    );
    if let Some(aht) = &b.aht {
        out += &format!(
            "AHT: WAPE {} (last week's AHT at the same time: {}) over {} intervals\n",
            percent(aht.wape),
            percent(aht.last_week_wape),
            aht.intervals
        );
    }
    if !b.outliers.is_empty() {
        out += &format!(
            "\noutliers in the history, trained on as the usual value instead: {}\n",
            b.outliers.len()
        );
        out += &outliers_table(&b.outliers).render();
    }
    out += &format!(
        "\nintervals more than {} standard deviations from the {} forecast \
         (dispersion {:.2} × Poisson): {}\n",
        b.anomaly_z,
        b.best,
        b.dispersion,
        b.anomalies.len()
    );
    if !b.anomalies.is_empty() {
        let mut table = Table::new(["start", "day", "actual", "forecast", "excess", "z"]);
        for a in &b.anomalies {
            table.row([
                a.start.strftime("%Y-%m-%d %H:%M").to_string(),
                a.start.strftime("%a").to_string(),
                format!("{:.0}", a.actual),
                format!("{:.1}", a.forecast),
                format!("{:+.1}", a.actual - a.forecast),
                format!("{:+.1}", a.z),
            ]);
        }
        out += &table.render();
    }
    out
}
