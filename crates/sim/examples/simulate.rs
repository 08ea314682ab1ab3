//! Runs a scenario file and prints what `kpi` measured, with timings:
//! `cargo run -p sim --release --example simulate -- examples/sim/day.toml
//! [--seed N] [--replications N]`. A stand-in for `switchboard simulate`
//! until the command exists.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use sim::{Estimate, Metrics, Scenario, Simulation};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut seed = None;
    let mut replications = 0u64;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => seed = Some(args.next().ok_or("--seed needs a value")?.parse()?),
            "--replications" => {
                replications = args.next().ok_or("--replications needs a value")?.parse()?
            }
            _ => path = Some(PathBuf::from(arg)),
        }
    }
    let path = path.ok_or("usage: simulate SCENARIO.toml [--seed N] [--replications N]")?;
    let scenario = Scenario::from_file(&path)?;
    let simulation = Simulation::new(&scenario)?;
    let seed = seed.unwrap_or(scenario.simulation.seed);

    let started = Instant::now();
    let summary = simulation.run(seed, |_| {})?;
    let wall = started.elapsed().as_secs_f64();
    println!("{summary:#?}");
    println!(
        "run: {:.1} ms, {:.0} contacts/s, {:.0} events/s",
        wall * 1e3,
        summary.contacts as f64 / wall,
        summary.events as f64 / wall
    );

    let kpis = simulation.run_kpis(seed, |_| {})?;
    for (q, queue) in kpis.queues.iter().enumerate() {
        print_metrics(&queue.name, &kpis.queue_metrics(q));
    }
    print_metrics("center", &kpis.total_metrics());

    if replications > 0 {
        let started = Instant::now();
        let rep = sim::replicate(&simulation, seed..seed + replications)?;
        println!(
            "{replications} replications in {:.1} ms (mean ± 95 % half-width)",
            started.elapsed().as_secs_f64() * 1e3
        );
        for (name, e) in rep
            .queues
            .iter()
            .chain([(String::from("center"), rep.total)].iter())
        {
            let show = |x: Option<Estimate>| {
                x.map_or("-".to_owned(), |x| {
                    format!("{:.4} ± {:.4}", x.mean, x.half_width.unwrap_or(f64::NAN))
                })
            };
            println!(
                "{name:>12}: SL {}  ASA {}  abandon {}  AHT {}  occupancy {}  cost {}",
                show(e.service_level),
                show(e.asa),
                show(e.abandon_rate),
                show(e.aht),
                show(e.occupancy),
                show(e.cost)
            );
        }
    }
    Ok(())
}

fn print_metrics(name: &str, m: &Metrics) {
    let f = |x: Option<f64>| x.map_or("-".to_owned(), |x| format!("{x:.4}"));
    println!(
        "{name:>12}: offered {}  SL {}  ASA {}  abandon {}  AHT {}  occupancy {}  cost {}",
        m.offered,
        f(m.service_level),
        f(m.asa),
        f(m.abandon_rate),
        f(m.aht),
        f(m.occupancy),
        f(m.cost)
    );
}
