//! `bench sim`: the simulator's speed against SimPy and Ciw on the same
//! M/M/14 model, and a 1,000-agent day.
//!
//! Key type: [`SimArgs`]. The M/M/14 model is `examples/sim/mmn.toml`
//! (A = 10 Erlangs, AHT 180 s) run long enough for the asked number of
//! calls; the peers run the same model through `scripts/bench-sim`
//! (SimPy and Ciw from PyPI, in a venv under `target/`), whose `peer=`
//! lines are parsed here. The day is `examples/sim/center1000.toml`: 20
//! skills, 20 queues, 1,000 agents on shifts with breaks, about 300,000
//! calls. Records go to a sink that drops them, so the figures are the
//! simulator's and the engine's, not a store's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use sim::{Scenario, Simulation};
use wfm::erlang::{Patience, Traffic, performance};

use super::{peak_memory_mb, reset_peak_memory};

/// Options of `bench sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Calls of the M/M/14 run, for Switchboard and for the peers.
    #[arg(long, value_name = "N", default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1000..))]
    calls: u64,
    /// Seed of the runs.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// Leave out SimPy and Ciw (no Python needed); their ratios print as
    /// "n/a".
    #[arg(long)]
    no_peers: bool,
}

/// Arrivals per hour of `mmn.toml`: 200 an hour × 180 s = 10 Erlangs.
const MMN_PER_HOUR: u64 = 200;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `bench sim`.
pub fn run(args: &SimArgs) -> Result<()> {
    let (ours, figures) = mmn(args)?;
    println!(
        "switchboard  M/M/14 A=10: {} calls in {:.3} s = {:.0} calls/s \
         (wait prob {:.4}, ASA {:.2} s, SL20 {:.4})",
        figures.calls, figures.seconds, ours, figures.wait_prob, figures.asa, figures.sl20
    );
    let erlang = performance(
        Traffic::new(MMN_PER_HOUR as f64, 3600.0, 180.0)?,
        Patience::Unlimited,
        14,
        20.0,
    )?;
    println!(
        "erlang C     wait prob {:.4}, ASA {:.2} s, SL20 {:.4}",
        erlang.waiting_probability, erlang.asa, erlang.service_level.answered
    );
    let peers = if args.no_peers {
        Vec::new()
    } else {
        peers(args)?
    };
    let ratio = |name: &str| {
        peers.iter().find(|(peer, _)| peer == name).map_or_else(
            || "n/a".to_owned(),
            |(_, rate)| format!("{:.1}", ours / rate),
        )
    };
    for (peer, rate) in &peers {
        println!(
            "{peer:<12} {rate:.0} calls/s: switchboard is {:.1}x faster",
            ours / rate
        );
    }

    let day = repository().join("examples/sim/center1000.toml");
    let scenario =
        Scenario::from_file(&day).with_context(|| format!("reading {}", day.display()))?;
    let simulation = Simulation::new(&scenario)?;
    reset_peak_memory();
    let started = Instant::now();
    let summary = simulation.run(args.seed, |_| {})?;
    let day_ms = started.elapsed().as_secs_f64() * 1000.0;
    let peak = peak_memory_mb().unwrap_or(f64::NAN);
    println!(
        "day of 1,000 agents, 20 skills: {} calls, {} events in {day_ms:.0} ms, peak {peak:.0} MB",
        summary.contacts, summary.events
    );
    println!();
    println!(
        "bench sim calls_per_s={ours:.0} simpy_ratio={} ciw_ratio={} day1000_ms={day_ms:.0} peak_mb={peak:.0}",
        ratio("simpy"),
        ratio("ciw")
    );
    Ok(())
}

/// What the M/M/14 run measured.
struct MmnFigures {
    calls: u64,
    seconds: f64,
    wait_prob: f64,
    asa: f64,
    sl20: f64,
}

/// Times the M/M/14 model for `args.calls` calls; the figures come from a
/// second, untimed run that collects KPIs.
fn mmn(args: &SimArgs) -> Result<(f64, MmnFigures)> {
    let path = repository().join("examples/sim/mmn.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let hours = args.calls.div_ceil(MMN_PER_HOUR);
    let text = text.replace("duration = \"24h\"", &format!("duration = \"{hours}h\""));
    let scenario = Scenario::from_toml_in(&text, path.parent().unwrap_or(Path::new(".")))?;
    let simulation = Simulation::new(&scenario)?;
    let started = Instant::now();
    let summary = simulation.run(args.seed, |_| {})?;
    let seconds = started.elapsed().as_secs_f64();
    let kpis = simulation.run_kpis(args.seed, |_| {})?;
    let total = &kpis.total;
    let answered = total.answered.count();
    let (immediate, _) = total.answered.within(acd::model::Span::ZERO);
    let (within, _) = total.answered.within(acd::model::Span::from_secs(20));
    let share = |n: u64| {
        if answered > 0 {
            n as f64 / answered as f64
        } else {
            0.0
        }
    };
    Ok((
        summary.contacts as f64 / seconds,
        MmnFigures {
            calls: summary.contacts,
            seconds,
            wait_prob: 1.0 - share(immediate),
            asa: total.answered.total_ms() as f64 / 1000.0 / answered.max(1) as f64,
            sl20: share(within),
        },
    ))
}

/// SimPy's and Ciw's calls per second on the same model, from
/// `scripts/bench-sim`.
fn peers(args: &SimArgs) -> Result<Vec<(String, f64)>> {
    let script = repository().join("scripts/bench-sim");
    eprintln!(
        "running SimPy and Ciw ({} calls each; a minute or so)…",
        args.calls
    );
    let out = Command::new(&script)
        .args([
            "--calls",
            &args.calls.to_string(),
            "--seed",
            &args.seed.to_string(),
        ])
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed (--no-peers skips the peers): {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut rates = Vec::new();
    for line in stdout.lines().filter(|l| l.starts_with("peer=")) {
        let field = |key: &str| {
            line.split(' ')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        };
        let (Some(peer), Some(rate)) = (field("peer"), field("calls_per_s")) else {
            bail!("unexpected line from {}: {line}", script.display());
        };
        rates.push((
            peer.to_owned(),
            rate.parse::<f64>().with_context(|| format!("in {line}"))?,
        ));
    }
    Ok(rates)
}
