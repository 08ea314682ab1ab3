//! `switchboard bench wfm`: staffing speed against pyworkforce, on the same
//! work in the same run.
//!
//! Key types: [`WfmArgs`] and [`Work`] (what is timed; the Python side in
//! `scripts/pyworkforce_bench.py` mirrors it). Each of our timings is the
//! median of repeated runs; pyworkforce's are single runs, since one of
//! them takes seconds.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Deserialize;
use wfm::erlang::{Patience, Traffic, performance};
use wfm::staffing::{ServiceLevelTarget, Shrinkage, SlDefinition, Targets, staff};

/// Options of `bench wfm`.
#[derive(Debug, Args)]
pub struct WfmArgs {
    /// Python interpreter with pyworkforce installed (scripts/bench-wfm sets
    /// one up); without it only Switchboard is measured.
    #[arg(long, value_name = "PYTHON")]
    pyworkforce: Option<PathBuf>,
    /// Repetitions of each of our timings (the median is printed).
    #[arg(long, value_name = "N", default_value_t = 21)]
    repeat: usize,
}

/// The timed work, shared with the Python side.
struct Work;

impl Work {
    /// 10,000 Erlangs, AHT 300 s, 90 % within 30 s.
    fn one_interval() -> Result<u32> {
        let traffic = Traffic::from_erlangs(10_000.0, 300.0)?;
        Ok(staff(
            traffic,
            Patience::Unlimited,
            &target(0.9, 30.0),
            none(),
            false,
        )?
        .agents)
    }

    /// 96 intervals, A_i = 2000 + 8000 sin²(πi/96), AHT 300 s, 80/20.
    fn day(patience: Patience) -> Result<u32> {
        (0..96)
            .map(|i| {
                let load =
                    2000.0 + 8000.0 * (std::f64::consts::PI * f64::from(i) / 96.0).sin().powi(2);
                let traffic = Traffic::from_erlangs(load, 300.0)?;
                Ok(staff(traffic, patience, &target(0.8, 20.0), none(), false)?.agents)
            })
            .sum()
    }

    /// pyworkforce's underflow case: 1000 calls/min, AHT 3 min, patience
    /// 5 min, 3050 agents, service level (answered ÷ offered) within 60 s.
    fn erlang_a_case() -> Result<f64> {
        let traffic = Traffic::new(1000.0, 60.0, 180.0)?;
        let p = performance(traffic, Patience::mean(300.0)?, 3050, 60.0)?;
        Ok(p.service_level.offered)
    }
}

fn target(fraction: f64, threshold: f64) -> Targets {
    Targets {
        service_level: Some(ServiceLevelTarget {
            fraction,
            threshold,
            definition: SlDefinition::Offered,
        }),
        ..Targets::default()
    }
}

fn none() -> Shrinkage {
    Shrinkage::default()
}

/// Median wall time in seconds of `repeat` runs of `work`, and its value.
fn median<T>(repeat: usize, mut work: impl FnMut() -> Result<T>) -> Result<(T, f64)> {
    let mut times = Vec::with_capacity(repeat);
    let mut value = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        value = Some(work()?);
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok((value.expect("ran at least once"), times[times.len() / 2]))
}

/// What pyworkforce reported.
#[derive(Debug, Deserialize)]
struct Theirs {
    staff_a10000_agents: u32,
    staff_a10000_s: f64,
    day96_agents: u32,
    day96_s: f64,
    erlang_a_sl60: f64,
    erlang_a_s: f64,
}

fn run_pyworkforce(python: &PathBuf) -> Result<Theirs> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/pyworkforce_bench.py"
    );
    let out = Command::new(python)
        .arg(script)
        .output()
        .with_context(|| format!("running {} {script}", python.display()))?;
    if !out.status.success() {
        bail!(
            "pyworkforce run failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).context("reading pyworkforce's timings")
}

/// Runs `bench wfm`.
pub fn run(args: &WfmArgs) -> Result<()> {
    let (one, one_s) = median(args.repeat, Work::one_interval)?;
    let (day, day_s) = median(args.repeat, || Work::day(Patience::Unlimited))?;
    let (day_a, day_a_s) = median(args.repeat.min(5), || Work::day(Patience::mean(600.0)?))?;
    let (sl60, sl60_s) = median(args.repeat, Work::erlang_a_case)?;
    println!("bench wfm: Switchboard (median of {} runs)", args.repeat);
    println!(
        "  staff one interval, A = 10,000, 90/30, Erlang C: {one} agents in {:.1} us",
        one_s * 1e6
    );
    println!(
        "  staff a day of 96 intervals, 80/20, Erlang C:    {day} agent-intervals in {:.2} ms",
        day_s * 1e3
    );
    println!(
        "  the same day with abandonment (Erlang A, 600 s): {day_a} agent-intervals in {:.2} ms",
        day_a_s * 1e3
    );
    println!(
        "  Erlang A at A = 3000, N = 3050, SL within 60 s:  {sl60:.10} in {:.1} us",
        sl60_s * 1e6
    );

    let ratios = match &args.pyworkforce {
        None => {
            println!("pyworkforce: not measured (run scripts/bench-wfm to install it and compare)");
            None
        }
        Some(python) => {
            let theirs = run_pyworkforce(python)?;
            let staff_ratio = theirs.staff_a10000_s / one_s;
            let day_ratio = theirs.day96_s / day_s;
            let erlang_a_ratio = theirs.erlang_a_s / sl60_s;
            println!("pyworkforce 0.5.4 (single runs), same work:");
            println!(
                "  staff one interval: {} agents in {:.2} ms ({staff_ratio:.0}x slower)",
                theirs.staff_a10000_agents,
                theirs.staff_a10000_s * 1e3
            );
            println!(
                "  staff the day:      {} agent-intervals in {:.1} ms ({day_ratio:.0}x slower)",
                theirs.day96_agents,
                theirs.day96_s * 1e3
            );
            println!(
                "  Erlang A case:      SL {:.10} in {:.2} s ({erlang_a_ratio:.0}x slower; \
                 exact value {sl60:.10}: its exp() underflowed)",
                theirs.erlang_a_sl60, theirs.erlang_a_s
            );
            if theirs.staff_a10000_agents != one || theirs.day96_agents != day {
                println!("  note: agent counts differ from Switchboard's (see above)");
            }
            Some((staff_ratio, erlang_a_ratio))
        }
    };
    let (staff_ratio, erlang_a_ratio) = match ratios {
        Some((s, a)) => (format!("{s:.0}"), format!("{a:.0}")),
        None => ("n/a".to_owned(), "n/a".to_owned()),
    };
    println!(
        "bench wfm staff_a10000_us={:.1} day96_ms={:.3} pyworkforce_ratio={staff_ratio} erlang_a_ratio={erlang_a_ratio}",
        one_s * 1e6,
        day_s * 1e3
    );
    Ok(())
}
