//! `bench server`: the live server under load from 1,000 agents on
//! loopback (issue 6).
//!
//! Key types: [`ServerArgs`] (the flags), `Http` (one pooled HTTP/1
//! client shared by every simulated agent and the submitter), `Tracker`
//! (each contact's arrival and first-offer times, matched by contact id in
//! whichever order they come), `Agent` (one agent's token and actions),
//! `Counts` (what went wrong, for the table) and `Step` (the figures of one
//! rate).
//!
//! The server is `switchboard serve`'s, in-process: [`serve::bind`] on
//! 127.0.0.1:0 over a fresh SQLite file in a temporary directory (or the
//! `--database` given), with the wallboard, on the wall clock. The center
//! is generated: `--agents` agents over four queues, each agent in two of
//! them (its home queue first), manual wrap-up, offers that ring 60 s so a
//! slow client never loses one. As the admin, the client creates one agent
//! user per agent (cheap argon2 hashes: logging in is not what is
//! measured); each agent logs in with its own token, opens its WebSocket
//! `/api/agents/{id}/stream`, logs in to the engine and goes ready. On each
//! `Offered` record its socket delivers, the agent POSTs accept, end and
//! wrap-up at once, so talk time is zero and it is ready again: the
//! figures are the server's (engine thread, group-committed appends, HTTP,
//! WebSocket fan-out), not call durations. A socket that lags behind the
//! broadcast (the server says `"lagged"`) makes its agent read its state
//! over HTTP and carry on from there.
//!
//! Load: contacts are submitted open-loop, Poisson arrivals at a fixed rate
//! on four queues, each a `POST /api/contacts` of its own (at most
//! `MAX_IN_FLIGHT` at once), so a slow server does not slow the arrivals
//! down and hide its own latency. The latency of a contact runs from its
//! scheduled arrival (when its POST is sent, unless the client itself is
//! behind) to the moment its agent's socket delivers the `Offered` record;
//! the offer often comes before the POST's answer, as the server
//! broadcasts before it replies. To find the sustained rate the run steps
//! up the rate (500, 1,000, 2,000, 3,000, 4,000, 6,000, … contacts/s, or
//! the `--rate` list), each rate for a warm-up and then the measured
//! seconds, and stops after the first rate that the server did not keep
//! up with within the objective: offers delivered during the measurement
//! fewer than 95 % of the arrivals due in it, a contact with no offer, or
//! a p99 over `--p99-limit-ms`. An open loop is what a real phone network
//! does and gives honest latency at a known load; stepping finds the
//! highest such load, where a closed loop would only report the
//! throughput at a latency it chose itself. The summary line reports the
//! highest rate that kept up (or the first rate, if none did): offers
//! delivered per second during its measurement and the latencies of the
//! contacts that arrived then.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use acd::config::{AgentConfig, Config, OutcomeConfig, ProfileEntry, QueueConfig, SkillConfig};
use acd::model::{AgentId, Code, Concurrency, ContactId, Proficiency, QueueId, SkillId, Span};
use acd::{AgentState, Record, RecordKind};
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jiff::tz::TimeZone;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::{Value, json};
use server::AuthSettings;
use server::auth::FIRST_ADMIN;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, http::HeaderValue};

use super::{peak_memory_mb, reset_peak_memory};
use crate::database::DatabaseArgs;
use crate::serve::{self, ServerFile, ServerSection};

/// Queues of the generated center; each agent serves two.
const QUEUES: u32 = 4;

/// Rates tried in turn when `--rate` is not given, in contacts per second.
const RATES: &str = "500,1000,2000,3000,4000,6000,8000,12000,16000,24000,32000";

/// Share of the measurement's arrivals the offers delivered meanwhile
/// must reach for a rate to have kept up.
const KEPT_UP: f64 = 0.95;

/// Most contact POSTs awaiting their answer: bounds the client's memory
/// when the server falls behind; reaching it delays arrivals, which the
/// latency (counted from the scheduled arrival) then shows.
const MAX_IN_FLIGHT: usize = 1_000;

/// Agents setting up at once (user, login, socket, ready).
const SETUP_CONCURRENCY: usize = 32;

/// Read buffer of an agent's socket: a few records.
const SOCKET_READ_BUFFER: usize = 4096;

/// How long after the last arrival the offers of a step may still come.
const DRAIN: Duration = Duration::from_secs(10);

/// Options of `bench server`.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Connected agents, each with its own user, token and WebSocket.
    #[arg(long, value_name = "N", default_value_t = 1_000,
          value_parser = clap::value_parser!(u32).range(i64::from(QUEUES)..=100_000))]
    agents: u32,
    /// Measured seconds of each rate, after its warm-up.
    #[arg(long, value_name = "S", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
    /// Seconds of each rate before its measurement starts.
    #[arg(long, value_name = "S", default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(0..=600))]
    warmup: u64,
    /// The rates to try in turn, in contacts per second (one rate: just
    /// that one).
    #[arg(long, value_name = "PER_S,...", value_delimiter = ',', default_value = RATES,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    rate: Vec<u32>,
    /// The latency objective: stepping stops after the first rate whose
    /// p99 from arrival to offer exceeds it.
    #[arg(long, value_name = "MS", default_value_t = 20.0)]
    p99_limit_ms: f64,
    /// The event store: an SQLite file or a postgres:// URL, which the
    /// bench fills with its contacts, so give a throwaway one [default: a
    /// fresh SQLite file in the system's temporary directory]. Not read
    /// from SWITCHBOARD_DATABASE, so the bench never writes into a real
    /// center's store by accident.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
}

/// Runs `bench server`.
pub fn run(args: &ServerArgs) -> Result<()> {
    // The temporary directory lives until the run ends.
    let (database, _temporary) = match &args.database {
        Some(url) => (url.clone(), None),
        None => {
            let dir = tempfile::tempdir().context("creating a temporary directory")?;
            (dir.path().join("bench.db").display().to_string(), Some(dir))
        }
    };
    let database = DatabaseArgs { database };
    let backend = if database.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let store = database.open(Some(&TimeZone::UTC))?;
    let routing = center(args.agents)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    reset_peak_memory();
    runtime.block_on(bench(args, routing, store, backend, &database.describe()))
}

/// `agents` agents over [`QUEUES`] queues of one skill each: agent `i` has
/// the skills of queues `i` and `i + 1` (mod 4) and serves them in that
/// order, so routing looks at two queues and both profile priorities.
fn center(agents: u32) -> Result<Config> {
    let level = Proficiency::new(5)?;
    let code = |text: &str| Code::parse(text).map_err(|e| anyhow!("{e}"));
    let queues = (1..=QUEUES)
        .map(|q| QueueConfig {
            offer_timeout: Span::from_secs(60),
            ..QueueConfig::new(QueueId(q), &format!("Queue {q}"), SkillId(q), level)
        })
        .collect();
    let agents = (0..agents)
        .map(|i| {
            let home = i % QUEUES + 1;
            let second = (i + 1) % QUEUES + 1;
            AgentConfig {
                id: AgentId(i + 1),
                name: format!("Agent {}", i + 1),
                skills: vec![(SkillId(home), level), (SkillId(second), level)],
                profile: vec![
                    ProfileEntry {
                        queue: QueueId(home),
                        priority: 1,
                    },
                    ProfileEntry {
                        queue: QueueId(second),
                        priority: 2,
                    },
                ],
                concurrency: Concurrency::ONE,
            }
        })
        .collect();
    let config = Config {
        skills: (1..=QUEUES)
            .map(|s| SkillConfig {
                id: SkillId(s),
                name: format!("Skill {s}"),
            })
            .collect(),
        queues,
        agents,
        reason_codes: vec![code("login")?, code("missed")?],
        outcome_codes: vec![OutcomeConfig {
            code: code("resolved")?,
            success: true,
        }],
        login_reason: code("login")?,
        missed_offer_reason: code("missed")?,
    };
    config.validate()?;
    Ok(config)
}

async fn bench(
    args: &ServerArgs,
    routing: Config,
    store: Box<dyn store::Store>,
    backend: &str,
    location: &str,
) -> Result<()> {
    let ids: Vec<AgentId> = routing.agents.iter().map(|a| a.id).collect();
    let file = ServerFile {
        server: ServerSection::default(),
        routing,
    };
    // Throwaway users: cheap hashes keep a thousand logins quick.
    let auth = AuthSettings {
        argon2: argon2::Params::new(64, 1, 1, None)
            .map_err(|e| anyhow!("argon2 parameters: {e}"))?,
        ..AuthSettings::default()
    };
    // The admin's password is reset, so it is known on a used store too.
    let bound = serve::bind(file, store, "127.0.0.1:0".parse()?, auth, true).await?;
    let http = Http::new(bound.url.clone());
    let password = bound
        .password
        .clone()
        .context("the admin's password was reset, so it is known")?;
    let (halt, halted) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bound.serve(async move {
        // A dropped sender stops the server as well.
        let _ = halted.await;
    }));
    let admin = http.login(FIRST_ADMIN, &password).await?;

    let started = Instant::now();
    let shared = Arc::new(Shared {
        http,
        tracker: Tracker::default(),
        counts: Counts::default(),
    });
    let (stop, stopped) = watch::channel(false);
    let mut agents = start_agents(&shared, &admin, &ids, &stopped).await?;
    println!(
        "bench server: {backend} store {location}; {} agents on {QUEUES} queues logged in, \
         connected and ready in {:.1} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "each rate: {} s warm-up, then {} s measured; objective p99 <= {} ms",
        args.warmup, args.seconds, args.p99_limit_ms
    );
    println!();
    println!(
        "{:>7} {:>10} {:>9} {:>7} {:>7} {:>8} {:>8} {:>7} {:>8} {:>6} {:>8}  verdict",
        "rate",
        "offers/s",
        "contacts",
        "p50_ms",
        "p99_ms",
        "max_ms",
        "no_offer",
        "lagged",
        "resynced",
        "cpu%",
        "engine%"
    );
    let mut rng = SmallRng::seed_from_u64(1);
    let mut reported: Option<Step> = None;
    for &rate in &args.rate {
        let step = run_step(&shared, &admin, rate, args, &mut rng, &mut agents).await?;
        let verdict = step.verdict(args.p99_limit_ms);
        step.print(&verdict);
        let kept_up = verdict.is_none();
        if kept_up || reported.is_none() {
            reported = Some(step);
        }
        if !kept_up {
            break;
        }
    }
    let step = reported.context("no rate was measured")?;

    stop.send_replace(true);
    while let Some(done) = agents.join_next().await {
        done.context("an agent task panicked")??;
    }
    let _ = halt.send(());
    server.await.context("the server task panicked")??;

    println!(
        "offers/s: Offered records delivered to the agents' sockets per second of the \
         measurement; contacts: arrived in it; p50/p99/max:\nfrom a contact's scheduled \
         arrival to its offer on the socket; lagged: socket messages saying records were \
         missed; resynced:\nagents that read their state over HTTP after a lag or a refused \
         accept; cpu%: the whole process (server and load client,\n200 = two cores); \
         engine%: the engine thread (engine and store appends)."
    );
    let peak = peak_memory_mb();
    println!(
        "summary: the rate of {} contacts/s, {}; peak memory {}",
        step.rate,
        match step.verdict(args.p99_limit_ms) {
            None => "the highest that kept up within the objective".to_owned(),
            Some(verdict) => format!("the first one, which did not keep up ({verdict})"),
        },
        peak.map_or("n/a".to_owned(), |mb| format!("{mb:.0} MB"))
    );
    println!();
    println!(
        "bench server backend={backend} contacts_per_s={:.0} p99_offer_ms={:.2} \
         p50_offer_ms={:.2} max_offer_ms={:.2} no_offer={} rate={} agents={}{}",
        step.offers_per_s(),
        step.latency_ms(0.99),
        step.latency_ms(0.5),
        step.latency_ms(1.0),
        step.no_offer,
        step.rate,
        ids.len(),
        peak.map_or(String::new(), |mb| format!(" peak_mb={mb:.0}"))
    );
    Ok(())
}

/// What every task of the load client reads.
struct Shared {
    http: Http,
    tracker: Tracker,
    counts: Counts,
}

/// Trouble seen while running, for the table.
#[derive(Default)]
struct Counts {
    /// `"lagged"` messages on the agents' sockets.
    lagged: AtomicU64,
    /// Agents that read their state over HTTP to recover.
    resynced: AtomicU64,
}

// ----- one rate -------------------------------------------------------------

/// The figures of one rate.
struct Step {
    rate: u32,
    measured: Duration,
    /// Contacts due to arrive during the measurement (submitted or not).
    arrivals: usize,
    /// Offers delivered during the measurement.
    offers: usize,
    /// Arrival-to-offer latencies of the contacts that arrived during the
    /// measurement, sorted.
    latencies: Vec<Duration>,
    /// Contacts that arrived during the measurement and got no offer.
    no_offer: usize,
    lagged: u64,
    resynced: u64,
    /// CPU of the process and of the engine thread during the
    /// measurement, in percent of one core.
    cpu: Option<f64>,
    engine: Option<f64>,
}

impl Step {
    fn offers_per_s(&self) -> f64 {
        self.offers as f64 / self.measured.as_secs_f64()
    }

    /// The `q` quantile of the latencies in ms (1.0: the maximum).
    fn latency_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank =
            ((q * self.latencies.len() as f64).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[rank - 1].as_secs_f64() * 1000.0
    }

    /// `None` if the server kept up within the objective, else why not.
    /// Offers are compared with the arrivals the Poisson draw made, not
    /// with the nominal rate, so a short measurement's noise is no fault.
    fn verdict(&self, p99_limit_ms: f64) -> Option<String> {
        let p99 = self.latency_ms(0.99);
        if (self.offers as f64) < KEPT_UP * self.arrivals as f64 {
            Some(format!(
                "offers {:.0} % of arrivals",
                self.offers as f64 * 100.0 / self.arrivals as f64
            ))
        } else if self.no_offer > 0 {
            Some(format!("{} contacts without an offer", self.no_offer))
        } else if p99.is_nan() || p99 > p99_limit_ms {
            Some(format!("p99 over {p99_limit_ms} ms"))
        } else {
            None
        }
    }

    fn print(&self, verdict: &Option<String>) {
        let percent = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.0}"));
        println!(
            "{:>7} {:>10.1} {:>9} {:>7.2} {:>7.2} {:>8.2} {:>8} {:>7} {:>8} {:>6} {:>8}  {}",
            self.rate,
            self.offers_per_s(),
            self.latencies.len(),
            self.latency_ms(0.5),
            self.latency_ms(0.99),
            self.latency_ms(1.0),
            self.no_offer,
            self.lagged,
            self.resynced,
            percent(self.cpu),
            percent(self.engine),
            verdict.as_deref().unwrap_or("kept up"),
        );
    }
}

/// Submits contacts at `rate` for the warm-up and the measurement, waits
/// for their offers, and measures.
async fn run_step(
    shared: &Arc<Shared>,
    token: &str,
    rate: u32,
    args: &ServerArgs,
    rng: &mut SmallRng,
    agents: &mut JoinSet<Result<()>>,
) -> Result<Step> {
    shared.tracker.reset();
    let lagged = shared.counts.lagged.load(Ordering::Relaxed);
    let resynced = shared.counts.resynced.load(Ordering::Relaxed);
    let begin = Instant::now();
    let from = begin + Duration::from_secs(args.warmup);
    let to = from + Duration::from_secs(args.seconds);
    let usage = tokio::spawn(async move {
        tokio::time::sleep_until(from.into()).await;
        let before = Usage::now();
        tokio::time::sleep_until(to.into()).await;
        before.zip(Usage::now())
    });
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut submissions = JoinSet::new();
    let token: Arc<str> = Arc::from(token);
    let mut next = begin;
    let mut arrivals = 0;
    // Arrivals due after the end are not submitted: a client left behind by
    // a slow server stops with the clock, and the rate it reached shows.
    while next < to && Instant::now() < to {
        if next > Instant::now() {
            tokio::time::sleep_until(next.into()).await;
        }
        let permit = in_flight.clone().acquire_owned().await?;
        let queue = rng.random_range(1..=QUEUES);
        let (shared, token) = (shared.clone(), token.clone());
        submissions.spawn(async move {
            let answer = shared.http.submit(&token, queue).await;
            drop(permit);
            shared.tracker.arrived(answer?, next);
            Ok::<_, anyhow::Error>(())
        });
        while let Some(done) = submissions.try_join_next() {
            done.context("a submission panicked")??;
        }
        // An agent task ends only on an error: stop the bench with it.
        if let Some(done) = agents.try_join_next() {
            done.context("an agent task panicked")??;
            bail!("an agent stopped before the end of the bench");
        }
        if (from..to).contains(&next) {
            arrivals += 1;
        }
        next += gap(rng, rate);
    }
    // Count the arrivals the client had no time to submit.
    while next < to {
        if next >= from {
            arrivals += 1;
        }
        next += gap(rng, rate);
    }
    while let Some(done) = submissions.join_next().await {
        done.context("a submission panicked")??;
    }
    let deadline = Instant::now() + DRAIN;
    while shared.tracker.waiting() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (before, after) = match usage.await.context("the CPU meter panicked")? {
        Some((before, after)) => (Some(before), Some(after)),
        None => (None, None),
    };
    let measured = to - from;
    let share = |busy: fn(&Usage) -> Option<Duration>| {
        let (before, after) = (before.as_ref()?, after.as_ref()?);
        let spent = busy(after)?.checked_sub(busy(before)?)?;
        Some(spent.as_secs_f64() * 100.0 / measured.as_secs_f64())
    };
    let (offers, latencies, no_offer) = shared.tracker.figures(from, to);
    Ok(Step {
        rate,
        measured,
        arrivals,
        offers,
        latencies,
        no_offer,
        lagged: shared.counts.lagged.load(Ordering::Relaxed) - lagged,
        resynced: shared.counts.resynced.load(Ordering::Relaxed) - resynced,
        cpu: share(|u| Some(u.process)),
        engine: share(|u| u.engine),
    })
}

/// The time to the next Poisson arrival at `rate` a second.
fn gap(rng: &mut SmallRng, rate: u32) -> Duration {
    Duration::from_secs_f64(-(1.0 - rng.random::<f64>()).ln() / f64::from(rate))
}

/// CPU time used so far (Linux: /proc).
struct Usage {
    process: Duration,
    /// The engine thread's, found by its name.
    engine: Option<Duration>,
}

impl Usage {
    fn now() -> Option<Usage> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command's closing parenthesis; utime and stime
        // are the 14th and 15th of the line, in USER_HZ ticks (100 a second
        // on Linux).
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(Usage {
            process: Duration::from_millis(ticks * 10),
            engine: engine_cpu(),
        })
    }
}

/// The engine thread's run time from its schedstat (nanoseconds).
fn engine_cpu() -> Option<Duration> {
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        if std::fs::read_to_string(path.join("comm")).ok()?.trim() == "engine" {
            let stat = std::fs::read_to_string(path.join("schedstat")).ok()?;
            let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
            return Some(Duration::from_nanos(ns));
        }
    }
    None
}

// ----- arrivals and offers ----------------------------------------------------

/// Each contact's arrival and first offer, matched by id: the POST's
/// answer (with the id) and the offer on an agent's socket come in either
/// order.
#[derive(Default)]
struct Tracker(Mutex<Tracked>);

#[derive(Default)]
struct Tracked {
    /// Contacts seen on one side only.
    pending: HashMap<ContactId, Pending>,
    /// (arrival, offer) of every contact seen on both sides since the
    /// step began.
    matched: Vec<(Instant, Instant)>,
}

enum Pending {
    /// Its POST was answered; no offer yet.
    Arrived(Instant),
    /// Its offer came before its POST's answer.
    Offered(Instant),
}

impl Tracker {
    fn lock(&self) -> MutexGuard<'_, Tracked> {
        // Every change is a whole insertion or removal: a panicked holder
        // leaves the maps consistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn reset(&self) {
        *self.lock() = Tracked::default();
    }

    /// The contact's POST was answered; `at` is its scheduled arrival.
    fn arrived(&self, contact: ContactId, at: Instant) {
        let mut tracked = self.lock();
        match tracked.pending.remove(&contact) {
            Some(Pending::Offered(offer)) => tracked.matched.push((at, offer)),
            Some(Pending::Arrived(_)) | None => {
                tracked.pending.insert(contact, Pending::Arrived(at));
            }
        }
    }

    /// An agent's socket delivered an offer of the contact at `at`. Only
    /// the first offer of a contact counts.
    fn offered(&self, contact: ContactId, at: Instant) {
        let mut tracked = self.lock();
        match tracked.pending.remove(&contact) {
            Some(Pending::Arrived(arrival)) => tracked.matched.push((arrival, at)),
            Some(Pending::Offered(first)) => {
                tracked.pending.insert(contact, Pending::Offered(first));
            }
            None => {
                tracked.pending.insert(contact, Pending::Offered(at));
            }
        }
    }

    /// Contacts arrived and not yet offered.
    fn waiting(&self) -> usize {
        let tracked = self.lock();
        tracked
            .pending
            .values()
            .filter(|p| matches!(p, Pending::Arrived(_)))
            .count()
    }

    /// Offers delivered in `from..to`, the sorted latencies of contacts
    /// that arrived then, and how many of those got no offer.
    fn figures(&self, from: Instant, to: Instant) -> (usize, Vec<Duration>, usize) {
        let tracked = self.lock();
        let within = |t: &Instant| (from..to).contains(t);
        let offers = tracked.matched.iter().filter(|(_, o)| within(o)).count();
        let mut latencies: Vec<Duration> = tracked
            .matched
            .iter()
            .filter(|(a, _)| within(a))
            .map(|(a, o)| o.saturating_duration_since(*a))
            .collect();
        latencies.sort_unstable();
        let no_offer = tracked
            .pending
            .values()
            .filter(|p| matches!(p, Pending::Arrived(a) if within(a)))
            .count();
        (offers, latencies, no_offer)
    }
}

// ----- agents -----------------------------------------------------------------

/// Sets up every agent (at most [`SETUP_CONCURRENCY`] at once) and leaves
/// each running in two tasks: its socket's reader and its worker.
async fn start_agents(
    shared: &Arc<Shared>,
    admin: &str,
    ids: &[AgentId],
    stop: &watch::Receiver<bool>,
) -> Result<JoinSet<Result<()>>> {
    let limit = Arc::new(Semaphore::new(SETUP_CONCURRENCY));
    let admin: Arc<str> = Arc::from(admin);
    let mut setups = JoinSet::new();
    for &id in ids {
        let (shared, limit, admin) = (shared.clone(), limit.clone(), admin.clone());
        setups.spawn(async move {
            let _permit = limit.acquire_owned().await?;
            Agent::connect(shared, &admin, id).await
        });
    }
    let mut running = JoinSet::new();
    while let Some(done) = setups.join_next().await {
        let (agent, socket) = done.context("an agent's setup panicked")??;
        let (work, inbox) = mpsc::unbounded_channel();
        running.spawn(read_socket(
            socket,
            agent.id,
            agent.shared.clone(),
            work,
            stop.clone(),
        ));
        running.spawn(agent.work(inbox, stop.clone()));
    }
    Ok(running)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What an agent's socket tells its worker.
enum Work {
    /// A contact rings at the agent.
    Offer(ContactId),
    /// Records were missed: read the state over HTTP.
    Resync,
}

/// Reads an agent's socket until the bench stops: stamps each offer's
/// delivery and hands it to the worker. The reader is a task of its own
/// so that the stamp is not delayed by the worker's requests.
async fn read_socket(
    mut socket: Socket,
    agent: AgentId,
    shared: Arc<Shared>,
    work: mpsc::UnboundedSender<Work>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    loop {
        let message = tokio::select! {
            message = socket.next() => message,
            _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            Some(Err(error)) => {
                return Err(error).with_context(|| format!("the socket of {agent}"));
            }
            None => bail!("the server closed the socket of {agent}"),
        };
        let delivered = Instant::now();
        let next = match serde_json::from_str::<Record>(&text) {
            Ok(Record {
                kind: RecordKind::Offered { contact, .. },
                ..
            }) => {
                shared.tracker.offered(contact, delivered);
                Work::Offer(contact)
            }
            Ok(_) => continue,
            Err(_) => {
                let message: Value = serde_json::from_str(&text)
                    .with_context(|| format!("the socket of {agent} sent {text:?}"))?;
                if message["error"] != "lagged" {
                    bail!("the socket of {agent} sent {message}");
                }
                shared.counts.lagged.fetch_add(1, Ordering::Relaxed);
                Work::Resync
            }
        };
        // The worker is gone only when the bench stops.
        if work.send(next).is_err() {
            return Ok(());
        }
    }
}

/// An agent's state as `GET /api/agents/{id}` shows it.
#[derive(Deserialize)]
struct AgentView {
    state: AgentState,
    contacts: Vec<ContactId>,
}

/// One agent: its token and the paths of its actions.
struct Agent {
    id: AgentId,
    token: String,
    /// `/api/agents/{id}`.
    base: String,
    shared: Arc<Shared>,
}

impl Agent {
    /// Creates the agent's user as `admin` (or gives the user an earlier
    /// run left on the store a new password), logs in with it, opens the
    /// agent's socket, then logs the agent in and makes it ready.
    async fn connect(shared: Arc<Shared>, admin: &str, id: AgentId) -> Result<(Agent, Socket)> {
        let http = &shared.http;
        let user = format!("agent-{}", id.0);
        let password = serve::random_token()?;
        let body = json!({ "name": user, "role": "agent", "password": password, "agent": id });
        let (status, answer) = http
            .call(Method::POST, "/api/users", admin, Some(&body))
            .await?;
        if status == StatusCode::CONFLICT {
            let body = json!({ "password": password, "role": "agent", "agent": id });
            http.expect(
                Method::PUT,
                &format!("/api/users/{user}"),
                admin,
                Some(&body),
            )
            .await?;
        } else if !status.is_success() {
            bail!(
                "POST /api/users: {status} {}",
                String::from_utf8_lossy(&answer)
            );
        }
        let token = http.login(&user, &password).await?;
        let base = format!("/api/agents/{}", id.0);
        // Subscribed before the upgrade: nothing after this is missed.
        let socket = http.socket(&format!("{base}/stream"), &token).await?;
        let agent = Agent {
            id,
            token,
            base,
            shared: shared.clone(),
        };
        agent.act("login", None).await?;
        agent.act("ready", None).await?;
        Ok((agent, socket))
    }

    /// Serves offers until the bench stops, then logs out.
    async fn work(
        self,
        mut inbox: mpsc::UnboundedReceiver<Work>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<()> {
        loop {
            let work = tokio::select! {
                // Offers already delivered are served before stopping.
                biased;
                work = inbox.recv() => work,
                _ = stop.wait_for(|stopped| *stopped) => None,
            };
            match work {
                Some(Work::Offer(contact)) => {
                    if !self.serve(contact).await? {
                        self.resync().await?;
                    }
                }
                Some(Work::Resync) => self.resync().await?,
                None => return self.log_out().await,
            }
        }
    }

    /// Accepts, ends and wraps up the contact. False if the accept was
    /// refused: the offer was no longer ringing here (an offer seen twice,
    /// once on the socket and once by a resync).
    async fn serve(&self, contact: ContactId) -> Result<bool> {
        let body = json!({ "contact": contact });
        if !self.try_act("accept", Some(&body)).await? {
            return Ok(false);
        }
        self.act("end", Some(&body)).await?;
        self.wrap_up(contact).await?;
        Ok(true)
    }

    async fn wrap_up(&self, contact: ContactId) -> Result<()> {
        let body = json!({ "contact": contact, "outcome": "resolved" });
        self.act("wrap-up", Some(&body)).await
    }

    /// Reads the agent's state and takes it back to ready, serving a
    /// contact it holds.
    async fn resync(&self) -> Result<()> {
        self.shared.counts.resynced.fetch_add(1, Ordering::Relaxed);
        let view = self.view().await?;
        let body = |contact: ContactId| json!({ "contact": contact });
        match (view.state, view.contacts.first().copied()) {
            (AgentState::Reserved, Some(contact)) => {
                // Its Offered record was lost with the lag: delivered now.
                self.shared.tracker.offered(contact, Instant::now());
                self.serve(contact).await?;
            }
            (AgentState::Talking | AgentState::OnHold, Some(contact)) => {
                self.act("end", Some(&body(contact))).await?;
                self.wrap_up(contact).await?;
            }
            (AgentState::WrapUp, Some(contact)) => self.wrap_up(contact).await?,
            (AgentState::NotReady(_), _) => self.act("ready", None).await?,
            (AgentState::LoggedOut, _) => {
                self.act("login", None).await?;
                self.act("ready", None).await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Logs out, so the store holds no agent left logged in (which would
    /// make the next start on it read the whole log to recover).
    async fn log_out(&self) -> Result<()> {
        for _ in 0..3 {
            if self.try_act("logout", None).await? {
                return Ok(());
            }
            self.resync().await?;
        }
        bail!("{} could not log out", self.base)
    }

    async fn view(&self) -> Result<AgentView> {
        let answer = self
            .shared
            .http
            .expect(Method::GET, &self.base, &self.token, None)
            .await?;
        serde_json::from_value(answer).with_context(|| format!("reading GET {}", self.base))
    }

    /// POSTs an action that must succeed.
    async fn act(&self, action: &str, body: Option<&Value>) -> Result<()> {
        if self.try_act(action, body).await? {
            Ok(())
        } else {
            bail!("POST {}/{action}: the engine refused it", self.base)
        }
    }

    /// POSTs an action; false if the engine refused it (409, 404).
    async fn try_act(&self, action: &str, body: Option<&Value>) -> Result<bool> {
        let path = format!("{}/{action}", self.base);
        let (status, answer) = self
            .shared
            .http
            .call(Method::POST, &path, &self.token, body)
            .await?;
        match status {
            StatusCode::OK => Ok(true),
            StatusCode::CONFLICT | StatusCode::NOT_FOUND => Ok(false),
            _ => bail!("POST {path}: {status} {}", String::from_utf8_lossy(&answer)),
        }
    }
}

// ----- HTTP -------------------------------------------------------------------

/// The load client's HTTP/1 connection pool to the server; cloning shares
/// the pool.
#[derive(Clone)]
struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    /// `http://host:port`.
    base: String,
}

impl Http {
    fn new(base: String) -> Http {
        let client = Client::builder(TokioExecutor::new()).build_http();
        Http { client, base }
    }

    /// Logs `user` in; its token.
    async fn login(&self, user: &str, password: &str) -> Result<String> {
        let body = json!({ "user": user, "password": password });
        let answer = self
            .expect(Method::POST, "/api/login", "", Some(&body))
            .await?;
        answer["token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("the login of {user} answered no token"))
    }

    /// Submits a contact to `queue`; its id.
    async fn submit(&self, token: &str, queue: u32) -> Result<ContactId> {
        let body = json!({ "queue": queue, "dnis": format!("40000000{queue:02}") });
        let answer = self
            .expect(Method::POST, "/api/contacts", token, Some(&body))
            .await?;
        answer["contact"]
            .as_u64()
            .map(ContactId)
            .context("POST /api/contacts answered no contact id")
    }

    /// A request that must succeed; its JSON answer.
    async fn expect(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let (status, answer) = self.call(method.clone(), path, token, body).await?;
        if !status.is_success() {
            bail!(
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&answer)
            );
        }
        serde_json::from_slice(&answer).with_context(|| format!("{method} {path}: not JSON"))
    }

    /// Sends a request (with a bearer `token` unless empty); the status
    /// and the body.
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Bytes)> {
        let mut request = Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base));
        if !token.is_empty() {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let bytes = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Bytes::from(serde_json::to_vec(body)?)
            }
            None => Bytes::new(),
        };
        let response = self
            .client
            .request(request.body(Full::new(bytes))?)
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let answer = response
            .into_body()
            .collect()
            .await
            .with_context(|| format!("{method} {path}: reading the answer"))?
            .to_bytes();
        Ok((status, answer))
    }

    /// Opens the WebSocket at `path` with a bearer `token`.
    async fn socket(&self, path: &str, token: &str) -> Result<Socket> {
        let url = format!("{}{path}", self.base.replacen("http://", "ws://", 1));
        let mut request = url.as_str().into_client_request()?;
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
        // tungstenite zero-fills its whole read buffer before every read
        // (128 KiB by default): at thousands of small records a second
        // that memset would be the client's main cost.
        let config = WebSocketConfig::default().read_buffer_size(SOCKET_READ_BUFFER);
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), false)
                .await
                .with_context(|| format!("opening the WebSocket {path}"))?;
        Ok(socket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_center_is_valid_and_spreads_agents_over_queues() {
        let config = center(10).unwrap();
        assert_eq!(config.queues.len(), QUEUES as usize);
        let homes: Vec<u32> = config.agents.iter().map(|a| a.profile[0].queue.0).collect();
        assert_eq!(homes, [1, 2, 3, 4, 1, 2, 3, 4, 1, 2]);
    }

    #[test]
    fn quantiles_are_ranks_of_the_sorted_latencies() {
        let step = Step {
            rate: 100,
            measured: Duration::from_secs(1),
            arrivals: 100,
            offers: 100,
            latencies: (1..=100).map(Duration::from_millis).collect(),
            no_offer: 0,
            lagged: 0,
            resynced: 0,
            cpu: None,
            engine: None,
        };
        assert_eq!(step.latency_ms(0.5), 50.0);
        assert_eq!(step.latency_ms(0.99), 99.0);
        assert_eq!(step.latency_ms(1.0), 100.0);
        assert_eq!(step.verdict(99.0), None);
        assert_eq!(step.verdict(98.0).as_deref(), Some("p99 over 98 ms"));
    }
}
