//! `switchboard demo`: a live contact center on one command.
//!
//! Key types: [`DemoArgs`] (the flags), `Traffic` (one queue's callers:
//! arrival rate at the peak, talk time and patience, drawn from the
//! simulator's [`Distribution`]s), `Api` (an HTTP/1 connection to the
//! demo's own server speaking for one user), `Agent` (one simulated agent
//! reacting to its records), `Signal` (what an agent's socket task passes
//! on: a record, or "read the state again"), `Lines` (which contacts an
//! agent answered and which callers are hanging up, so the two never both
//! act on one contact) and `Shared` (what every task reads).
//!
//! The run: the server of `switchboard serve` starts on the configuration
//! embedded from `examples/server/demo.toml` (four queues, four skills, 50
//! agents); the admin creates, over HTTP, one agent user per agent and a
//! supervisor user for the "phone network". Then every agent is a tokio
//! task with its own token, like an agent desktop: it holds its WebSocket
//! `/api/agents/{id}/stream` (opened again after a drop) and logs in only
//! once the socket is open, so no offer is missed; it learns of offers
//! from the `Offered` records pushed there and acts through the HTTP API:
//! ready, accepting, reading the screen pop `GET /api/contacts/{id}`,
//! talking, holding sometimes, ending, wrapping up with an outcome and a
//! call reason, taking breaks. Callers arrive as a Poisson process shaped
//! over a demo day, are submitted with `POST /api/contacts` and hang up
//! when their patience runs out. At the end (Ctrl-C or `--for`) arrivals
//! stop, waiting callers hang up, agents end their calls, wrap up and log
//! out, so the store holds no open contact.
//!
//! Time: `--speed N` divides every duration of the traffic (talk, hold,
//! wrap-up, patience, breaks, gaps between arrivals) by N. The server's
//! clock stays the wall clock, so at speed 10 reports and the wallboard
//! show ten times the volume per interval and a tenth of the handle time.
//! The daily shape of arrivals follows a demo clock that starts at 09:00
//! and runs N times faster than the wall clock.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use acd::model::{AgentId, ContactId};
use acd::{AgentState, Record, RecordKind};
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::{Value, json};
use server::AuthSettings;
use server::auth::FIRST_ADMIN;
use sim::distribution::{Distribution, DistributionSpec};
use sim::units::Period;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::database::DatabaseArgs;
use crate::serve;

/// The demo center, embedded so the demo runs from any directory.
const DEMO_CENTER: &str = include_str!("../../../examples/server/demo.toml");

/// The demo's own store, apart from `switchboard serve`'s default.
const DEFAULT_DATABASE: &str = "switchboard-data/demo.db";

/// Hour of the demo clock at start: the morning rush, so calls come at once.
const DAY_START_HOUR: f64 = 9.0;

/// Arrivals by hour of the demo day, as a fraction of the peak.
const DAY_SHAPE: [f64; 24] = [
    0.05, 0.03, 0.02, 0.02, 0.03, 0.05, 0.12, 0.30, 0.60, 0.85, 1.00, 0.95, 0.75, 0.80, 0.95, 0.90,
    0.80, 0.60, 0.45, 0.35, 0.25, 0.18, 0.12, 0.08,
];

/// Share of calls the agent puts on hold once.
const HOLD_SHARE: f64 = 0.2;

/// The `demo` flags.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Time factor: 10 plays the traffic ten times faster (calls, breaks and
    /// patience ten times shorter, ten times the arrivals per minute); the
    /// server's clock stays real.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    speed: f64,
    /// Address to listen on (port 0: any free port, printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The event store: an SQLite file (created if missing) or a
    /// postgres:// URL. An existing store is continued, not erased (its
    /// reports grow); delete the file for a fresh start. Deliberately not
    /// read from SWITCHBOARD_DATABASE, so the demo never writes into a real
    /// center's store by accident.
    #[arg(long, value_name = "URL", default_value = DEFAULT_DATABASE)]
    database: String,
    /// Stop after this long of traffic (e.g. 30s, 5m); default: until
    /// Ctrl-C.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    run_for: Option<Duration>,
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if speed.is_finite() && (0.01..=1000.0).contains(&speed) => Ok(speed),
        _ => Err(format!("{text:?} is not a speed between 0.01 and 1000")),
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    Period::parse(text).map(|p| Duration::from_millis(p.as_millis()))
}

/// One queue's callers at speed 1.
struct Traffic {
    queue: u32,
    /// The number they dial.
    dnis: &'static str,
    /// Arrivals per hour at the day's peak.
    per_hour: f64,
    talk: Distribution,
    patience: Distribution,
    /// Call reasons, equally likely.
    reasons: &'static [&'static str],
    /// Outcomes with their weights.
    outcomes: &'static [(&'static str, f64)],
}

/// Outcomes of a support call.
const SUPPORT: &[(&str, f64)] = &[("resolved", 0.75), ("follow-up", 0.15), ("escalated", 0.10)];

/// Outcomes of a sales call.
const SALES: &[(&str, f64)] = &[("sale", 0.35), ("resolved", 0.45), ("follow-up", 0.20)];

/// The demo's traffic. At the peak it offers about 36 erlangs of talk to
/// 50 agents, some of whom are on a break: busy, with a little waiting.
fn traffic() -> Result<Vec<Traffic>> {
    Ok(vec![
        queue_traffic(
            1,
            "4008001001",
            180.0,
            (240, 150),
            90,
            &["invoice", "payment", "refund"],
            SUPPORT,
        )?,
        queue_traffic(
            2,
            "4008001002",
            100.0,
            (360, 240),
            150,
            &["outage", "setup", "password"],
            SUPPORT,
        )?,
        queue_traffic(
            3,
            "4008001003",
            80.0,
            (300, 180),
            120,
            &["invoice", "setup", "account"],
            SUPPORT,
        )?,
        queue_traffic(
            4,
            "4008001004",
            150.0,
            (180, 90),
            60,
            &["new-plan", "upgrade", "pricing"],
            SALES,
        )?,
    ])
}

/// A queue's traffic: lognormal talk (mean, sd in seconds), exponential
/// patience (mean in seconds).
fn queue_traffic(
    queue: u32,
    dnis: &'static str,
    per_hour: f64,
    (mean, sd): (u64, u64),
    patience: u64,
    reasons: &'static [&'static str],
    outcomes: &'static [(&'static str, f64)],
) -> Result<Traffic> {
    let key = format!("demo queue {queue}");
    let talk = DistributionSpec::Lognormal {
        mean: Period::from_secs(mean),
        sd: Period::from_secs(sd),
    };
    let patience = DistributionSpec::Exponential(Period::from_secs(patience));
    Ok(Traffic {
        queue,
        dnis,
        per_hour,
        talk: Distribution::new(&talk, &key, Path::new(""))?,
        patience: Distribution::new(&patience, &key, Path::new(""))?,
        reasons,
        outcomes,
    })
}

/// How agents behave, at speed 1.
struct Behaviour {
    /// From the offer to the accept.
    ring: Distribution,
    hold: Distribution,
    wrap_up: Distribution,
    /// Working time between two breaks.
    between_breaks: Distribution,
    break_length: Distribution,
}

fn behaviour() -> Result<Behaviour> {
    let secs = Period::from_secs;
    let make = |spec: DistributionSpec| Distribution::new(&spec, "demo agents", Path::new(""));
    Ok(Behaviour {
        ring: make(DistributionSpec::Uniform {
            min: secs(1),
            max: secs(4),
        })?,
        hold: make(DistributionSpec::Exponential(secs(40)))?,
        wrap_up: make(DistributionSpec::Lognormal {
            mean: secs(20),
            sd: secs(10),
        })?,
        between_breaks: make(DistributionSpec::Exponential(secs(40 * 60)))?,
        break_length: make(DistributionSpec::Uniform {
            min: secs(5 * 60),
            max: secs(15 * 60),
        })?,
    })
}

/// Not-ready reasons of a break, with their weights.
const BREAK_REASONS: &[(&str, f64)] = &[("break", 0.7), ("training", 0.15), ("meeting", 0.15)];

/// Who acts on each contact, so that a caller and an agent never both do:
/// the caller hangs up only if no agent has answered, an agent answers only
/// if the caller is not hanging up. A contact without an entry is over or
/// has its caller waiting (the offer may even reach the agent before the
/// caller hears its contact id).
#[derive(Default)]
struct Lines(Mutex<HashMap<ContactId, Line>>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Line {
    /// An agent answers: the caller stays on the line.
    Answered,
    /// The caller's patience ran out: it hangs up.
    HangingUp,
}

impl Lines {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ContactId, Line>> {
        // A panicked task leaves the map consistent: every change is one
        // insertion or removal.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The caller's patience ran out: true if it hangs up (nobody answered).
    fn give_up(&self, contact: ContactId) -> bool {
        *self.lock().entry(contact).or_insert(Line::HangingUp) == Line::HangingUp
    }

    /// An agent answers: false if the caller is hanging up.
    fn answer(&self, contact: ContactId) -> bool {
        *self.lock().entry(contact).or_insert(Line::Answered) == Line::Answered
    }

    /// The caller hung up, or the agent is done with the contact (or its
    /// accept was refused).
    fn release(&self, contact: ContactId) {
        self.lock().remove(&contact);
    }
}

/// Counts for the closing line.
#[derive(Default)]
struct Counts {
    submitted: AtomicU64,
    answered: AtomicU64,
    gave_up: AtomicU64,
}

/// What every task reads.
struct Shared {
    addr: SocketAddr,
    speed: f64,
    traffic: Vec<Traffic>,
    behaviour: Behaviour,
    lines: Lines,
    counts: Counts,
    stop: watch::Receiver<bool>,
}

impl Shared {
    /// `ms` of demo time as wall time.
    fn scaled(&self, ms: f64) -> Duration {
        Duration::from_secs_f64((ms / 1000.0 / self.speed).max(0.0))
    }
}

/// Sleeps `duration` unless the demo stops first; false if it stopped.
async fn pause(stop: &mut watch::Receiver<bool>, duration: Duration) -> bool {
    let stopped = tokio::select! {
        () = tokio::time::sleep(duration) => false,
        _ = stop.wait_for(|stopped| *stopped) => true,
    };
    !stopped && !*stop.borrow()
}

/// Resolves once the demo stops.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the demo is over: its sender is gone.
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Runs the demo until Ctrl-C or `--for`.
pub fn run(args: &DemoArgs) -> Result<()> {
    let (file, zone) = serve::parse(DEMO_CENTER, "the demo configuration")?;
    let database = DatabaseArgs {
        database: args.database.clone(),
    };
    let store = database.open(Some(&zone))?;
    let agents: Vec<AgentId> = file.routing.agents.iter().map(|a| a.id).collect();
    let queues = file.routing.queues.len();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        // The demo's users get new random passwords each run: cheap hashes
        // keep 51 logins quick; online guessing is still rate-limited. The
        // admin's password is reset too, so the printed login always works.
        let auth = AuthSettings {
            argon2: argon2::Params::new(64, 1, 1, None)
                .map_err(|e| anyhow!("argon2 parameters: {e}"))?,
            ..AuthSettings::default()
        };
        let bound = serve::bind(file, store, args.listen, auth, true).await?;
        bound.print(&database.describe());
        let addr: SocketAddr = bound.url.trim_start_matches("http://").parse()?;
        let password = bound
            .password
            .clone()
            .context("the admin's password was reset, so it is known")?;
        let (halt, halted) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(bound.serve(async move {
            // A dropped sender stops the server as well.
            let _ = halted.await;
        }));
        let (stop_tx, stop) = watch::channel(false);
        let shared = Arc::new(Shared {
            addr,
            speed: args.speed,
            traffic: traffic()?,
            behaviour: behaviour()?,
            lines: Lines::default(),
            counts: Counts::default(),
            stop,
        });
        let (network, passwords) = create_users(addr, &password, &agents).await?;
        println!(
            "Demo: {} agents on {queues} queues, callers at speed {} (every duration / {}); {}",
            agents.len(),
            args.speed,
            args.speed,
            match args.run_for {
                Some(d) => format!("stopping after {}s", d.as_secs_f64()),
                None => "Ctrl-C to stop".into(),
            }
        );
        let mut tasks = JoinSet::new();
        for (agent, password) in agents.iter().zip(passwords) {
            tasks.spawn(run_agent(shared.clone(), *agent, password));
        }
        tasks.spawn(arrivals(shared.clone(), network));
        match args.run_for {
            Some(limit) => tokio::time::sleep(limit).await,
            None => tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?,
        }
        println!("Demo: stopping; callers hang up, agents finish and log out");
        stop_tx.send_replace(true);
        while let Some(joined) = tasks.join_next().await {
            joined.context("a demo task panicked")??;
        }
        let _ = halt.send(());
        server.await.context("the server task panicked")??;
        let counts = &shared.counts;
        println!(
            "Demo: {} contacts submitted, {} answered, {} callers gave up",
            counts.submitted.load(Ordering::Relaxed),
            counts.answered.load(Ordering::Relaxed),
            counts.gave_up.load(Ordering::Relaxed)
        );
        Ok(())
    })
}

/// As admin, over HTTP: a supervisor user for the phone network and one
/// agent user per agent, with random passwords. Returns the network's
/// connection, logged in, and the agents' passwords in order.
async fn create_users(
    addr: SocketAddr,
    admin_password: &str,
    agents: &[AgentId],
) -> Result<(Api, Vec<String>)> {
    let mut admin = Api::new(addr);
    admin.login(FIRST_ADMIN, admin_password).await?;
    let network_password = create_user(&mut admin, "demo-network", "supervisor", None).await?;
    let mut passwords = Vec::with_capacity(agents.len());
    for &agent in agents {
        passwords.push(create_user(&mut admin, &agent_user(agent), "agent", Some(agent)).await?);
    }
    let mut network = Api::new(addr);
    network.login("demo-network", &network_password).await?;
    Ok((network, passwords))
}

/// Creates a user with a random password, which it returns; a user left
/// by an earlier demo on the same store gets a new password instead.
async fn create_user(
    admin: &mut Api,
    name: &str,
    role: &str,
    agent: Option<AgentId>,
) -> Result<String> {
    let password = serve::random_token()?;
    let body = json!({ "name": name, "role": role, "password": password, "agent": agent });
    let (status, answer) = admin.call(Method::POST, "/api/users", Some(body)).await?;
    if status == StatusCode::CONFLICT {
        let body = json!({ "password": password, "role": role, "agent": agent });
        admin
            .expect(Method::PUT, &format!("/api/users/{name}"), Some(body))
            .await?;
    } else if !status.is_success() {
        bail!("POST /api/users: {status} {answer}");
    }
    Ok(password)
}

fn agent_user(agent: AgentId) -> String {
    format!("agent-{}", agent.0)
}

// ----- callers --------------------------------------------------------------

/// Poisson arrivals at the rate of the demo clock's hour, until stopped;
/// each caller is a task. Waits for every caller before returning.
async fn arrivals(shared: Arc<Shared>, network: Api) -> Result<()> {
    let mut rng = SmallRng::seed_from_u64(seed()?);
    let mut stop = shared.stop.clone();
    let start = Instant::now();
    let peak: f64 = shared.traffic.iter().map(|t| t.per_hour).sum();
    let mut callers = JoinSet::new();
    loop {
        let hour = DAY_START_HOUR + start.elapsed().as_secs_f64() * shared.speed / 3600.0;
        let per_hour = peak * DAY_SHAPE[(hour as usize) % 24];
        // Exponential gap at the current rate; the rate changes slowly
        // against the gaps, so no thinning is needed.
        let gap_ms = -(1.0 - rng.random::<f64>()).ln() * 3_600_000.0 / per_hour;
        if !pause(&mut stop, shared.scaled(gap_ms)).await {
            break;
        }
        let mut pick = rng.random::<f64>() * peak;
        let index = shared
            .traffic
            .iter()
            .position(|t| {
                pick -= t.per_hour;
                pick < 0.0
            })
            .unwrap_or(shared.traffic.len() - 1);
        let ani = format!("+86138{:08}", rng.random_range(0..100_000_000u32));
        callers.spawn(caller(
            shared.clone(),
            network.reuse(),
            index,
            ani,
            rng.random(),
        ));
        while let Some(done) = callers.try_join_next() {
            done.context("a caller task panicked")??;
        }
    }
    while let Some(done) = callers.join_next().await {
        done.context("a caller task panicked")??;
    }
    Ok(())
}

/// One caller: dials, waits as long as its patience, hangs up unless an
/// agent answered (or at once when the demo stops).
async fn caller(
    shared: Arc<Shared>,
    mut api: Api,
    index: usize,
    ani: String,
    seed: u64,
) -> Result<()> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let traffic = &shared.traffic[index];
    let body = json!({ "queue": traffic.queue, "dnis": traffic.dnis, "ani": ani });
    let answer = api
        .expect(Method::POST, "/api/contacts", Some(body))
        .await?;
    let contact = ContactId(
        answer["contact"]
            .as_u64()
            .context("POST /api/contacts answered no contact id")?,
    );
    shared.counts.submitted.fetch_add(1, Ordering::Relaxed);
    let patience = shared.scaled(traffic.patience.sample(&mut rng));
    pause(&mut shared.stop.clone(), patience).await;
    if shared.lines.give_up(contact) {
        // 409 or 404: an agent answered and already finished the call;
        // nothing to undo.
        let path = format!("/api/contacts/{}/hangup", contact.0);
        if api.call(Method::POST, &path, None).await?.0 == StatusCode::OK {
            shared.counts.gave_up.fetch_add(1, Ordering::Relaxed);
        }
        shared.lines.release(contact);
    }
    Ok(())
}

// ----- agents ---------------------------------------------------------------

/// What an agent's socket task tells the agent.
enum Signal {
    /// A record about the agent, in the server's order.
    Record(Record),
    /// The socket (re)opened, or fell behind: records may have been missed,
    /// so the agent reads its state over HTTP.
    Resync,
}

/// An agent's state as `GET /api/agents/{id}` shows it.
#[derive(Deserialize)]
struct AgentView {
    state: AgentState,
    contacts: Vec<ContactId>,
}

/// Where an agent is in its cycle of work and breaks.
#[derive(Clone, Copy)]
enum Breaks {
    /// Working; the next break is due at this time (taken once ready).
    Working(Instant),
    /// Not ready on a break of its own until this time.
    OnBreak(Instant),
}

/// One agent, through the API with its own token, until the demo stops;
/// then it finishes its contact and logs out. Its socket task runs beside
/// it and ends with it.
async fn run_agent(shared: Arc<Shared>, agent: AgentId, password: String) -> Result<()> {
    let mut rng = SmallRng::seed_from_u64(seed()?);
    let mut stop = shared.stop.clone();
    // Agents arrive over the first seconds, so the wallboard shows them
    // logging in.
    let arrive = Duration::from_secs_f64(rng.random::<f64>() * 3.0);
    if !pause(&mut stop, arrive).await {
        return Ok(());
    }
    let mut api = Api::new(shared.addr);
    api.login(&agent_user(agent), &password).await?;
    let base = format!("/api/agents/{}", agent.0);
    let (signals, received) = mpsc::unbounded_channel();
    let listener = tokio::spawn(listen(
        shared.addr,
        format!("{base}/stream"),
        api.token.clone(),
        stop.clone(),
        signals,
    ));
    let first_break = shared.scaled(shared.behaviour.between_breaks.sample(&mut rng));
    let mut me = Agent {
        api,
        base,
        shared,
        rng,
        stop,
        signals: received,
        state: AgentState::LoggedOut,
        resync: false,
        breaks: Breaks::Working(Instant::now() + first_break),
    };
    let worked = me.work().await;
    // Reading no more records closes the socket, also after an error.
    me.signals.close();
    listener
        .await
        .context("an agent's socket task panicked")??;
    worked?;
    me.close().await
}

/// Pause before reopening an agent's dropped socket, doubled after each
/// failed attempt up to [`MAX_BACKOFF`].
const BACKOFF: Duration = Duration::from_millis(100);

/// Longest pause between two attempts to reopen a socket.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Holds the agent's WebSocket at `path` until the demo stops or the agent
/// reads no more, reopening it after a drop, and passes on its records.
/// The server subscribes a socket before it answers the upgrade, so once
/// the socket is open no record is lost: the `Resync` sent then makes the
/// agent read over HTTP what happened before (at the start: logged out,
/// so it logs in only now).
async fn listen(
    addr: SocketAddr,
    path: String,
    token: String,
    mut stop: watch::Receiver<bool>,
    signals: mpsc::UnboundedSender<Signal>,
) -> Result<()> {
    let mut backoff = BACKOFF;
    loop {
        match open(addr, &path, &token).await {
            Ok(mut socket) => {
                backoff = BACKOFF;
                if signals.send(Signal::Resync).is_err() {
                    return Ok(());
                }
                loop {
                    let message = tokio::select! {
                        message = socket.next() => message,
                        _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
                        () = signals.closed() => return Ok(()),
                    };
                    match message {
                        Some(Ok(Message::Text(text))) => {
                            if signals.send(signal(&text)?).is_err() {
                                return Ok(());
                            }
                        }
                        // Pings are answered by tungstenite; a close frame
                        // ends the stream next.
                        Some(Ok(_)) => {}
                        Some(Err(_)) | None => break,
                    }
                }
            }
            // The server refused the socket: opening it again will not help.
            Err(WsError::Http(response)) => bail!("GET {path}: {}", response.status()),
            // The server is not reachable just now.
            Err(_) => {}
        }
        if !pause(&mut stop, backoff).await {
            return Ok(());
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the WebSocket at `path` with the bearer token in the
/// `Authorization` header, as the server expects.
async fn open(addr: SocketAddr, path: &str, token: &str) -> Result<Socket, WsError> {
    let mut request = format!("ws://{addr}{path}").into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(socket)
}

/// A message of the agent stream: a record, or `{"error": "lagged", ...}`
/// when the socket fell behind, after which the state must be read again.
fn signal(text: &str) -> Result<Signal> {
    let value: Value = serde_json::from_str(text).context("the agent stream sent no JSON")?;
    if value.get("error").is_some() {
        return Ok(Signal::Resync);
    }
    let record = serde_json::from_value(value).context("reading a record of the agent stream")?;
    Ok(Signal::Record(record))
}

/// One simulated agent: its HTTP connection, what its records told it,
/// and its plans.
struct Agent {
    api: Api,
    /// `/api/agents/{id}`.
    base: String,
    shared: Arc<Shared>,
    rng: SmallRng,
    stop: watch::Receiver<bool>,
    signals: mpsc::UnboundedReceiver<Signal>,
    /// The state its records last showed.
    state: AgentState,
    /// Read the state over HTTP once the records waiting are read: records
    /// were missed, or showed a state the agent did not choose (logged out
    /// or not ready, by a supervisor or after a missed offer).
    resync: bool,
    breaks: Breaks,
}

impl Agent {
    /// Reacts to its records and takes its breaks until the demo stops or
    /// the socket task ends.
    async fn work(&mut self) -> Result<()> {
        loop {
            let (wake, timer) = match self.breaks {
                Breaks::Working(due) => (due, self.state == AgentState::Ready),
                Breaks::OnBreak(until) => (until, true),
            };
            // Biased: records first, so the state over HTTP is read and a
            // break taken only on what the records waiting already said.
            tokio::select! {
                biased;
                () = stopped(&mut self.stop) => return Ok(()),
                signal = self.signals.recv() => match signal {
                    Some(Signal::Record(record)) => self.on_record(record).await?,
                    Some(Signal::Resync) => self.resync = true,
                    // The socket task failed; `run_agent` reports why.
                    None => return Ok(()),
                },
                () = std::future::ready(()), if self.resync => self.resync().await?,
                () = tokio::time::sleep_until(wake.into()), if timer => {
                    self.on_break_timer().await?;
                }
            }
        }
    }

    async fn on_record(&mut self, record: Record) -> Result<()> {
        self.note(&record);
        if let RecordKind::Offered { contact, .. } = record.kind {
            self.serve(contact).await?;
        }
        Ok(())
    }

    /// Follows the agent's state from its records.
    fn note(&mut self, record: &Record) {
        if let RecordKind::AgentStateChanged { to, .. } = &record.kind {
            self.resync |= match to {
                AgentState::LoggedOut => true,
                AgentState::NotReady(_) => matches!(self.breaks, Breaks::Working(_)),
                _ => false,
            };
            self.state = to.clone();
        }
    }

    /// Reads the state over HTTP and carries on from it: logs in and gets
    /// ready, leaves a not-ready it did not choose, answers an offer whose
    /// record it missed, finishes a call a refused step left over.
    async fn resync(&mut self) -> Result<()> {
        self.resync = false;
        let view = self.view().await?;
        self.state = view.state.clone();
        match (view.state, view.contacts.first().copied()) {
            (AgentState::LoggedOut, _) => {
                self.act("login", None).await?;
                self.act("ready", None).await?;
            }
            (AgentState::NotReady(_), _) if matches!(self.breaks, Breaks::Working(_)) => {
                self.act("ready", None).await?;
            }
            (AgentState::Reserved, Some(contact)) => self.serve(contact).await?,
            (AgentState::Talking | AgentState::OnHold, Some(contact)) => {
                self.finish_left_over(contact, true).await?;
            }
            (AgentState::WrapUp, Some(contact)) => self.finish_left_over(contact, false).await?,
            _ => {}
        }
        Ok(())
    }

    /// The break timer: a break is due and the agent is ready, so it goes
    /// not ready with a break reason; or its break is over.
    async fn on_break_timer(&mut self) -> Result<()> {
        let shared = self.shared.clone();
        let behaviour = &shared.behaviour;
        let working = match self.breaks {
            Breaks::Working(_) => {
                let reason = weighted(&mut self.rng, BREAK_REASONS);
                // Set first, so the record of this not-ready is its own.
                let length = shared.scaled(behaviour.break_length.sample(&mut self.rng));
                self.breaks = Breaks::OnBreak(Instant::now() + length);
                let body = json!({ "reason": reason });
                !self.act("not-ready", Some(body)).await?
            }
            Breaks::OnBreak(_) => {
                self.act("ready", None).await?;
                true
            }
        };
        if working {
            let gap = shared.scaled(behaviour.between_breaks.sample(&mut self.rng));
            self.breaks = Breaks::Working(Instant::now() + gap);
        }
        Ok(())
    }

    async fn view(&mut self) -> Result<AgentView> {
        let value = self.api.expect(Method::GET, &self.base, None).await?;
        serde_json::from_value(value).context("reading GET /api/agents/{id}")
    }

    /// POSTs an action; false when the engine refused it (409: the state
    /// moved on, e.g. the caller hung up first; the records tell what
    /// happened instead).
    async fn act(&mut self, action: &str, body: Option<Value>) -> Result<bool> {
        let path = format!("{}/{action}", self.base);
        let (status, answer) = self.api.call(Method::POST, &path, body).await?;
        match status {
            StatusCode::OK => Ok(true),
            StatusCode::CONFLICT | StatusCode::NOT_FOUND => Ok(false),
            _ => bail!("POST {path}: {status} {answer}"),
        }
    }

    /// An offer rings: answer after a moment unless it ends first, read
    /// the screen pop, talk, hold sometimes, end, wrap up.
    async fn serve(&mut self, contact: ContactId) -> Result<()> {
        let shared = self.shared.clone();
        let delay = shared.scaled(shared.behaviour.ring.sample(&mut self.rng));
        if !self.ring(contact, delay).await || !shared.lines.answer(contact) {
            return Ok(());
        }
        let body = json!({ "contact": contact });
        if !self.act("accept", Some(body.clone())).await? {
            shared.lines.release(contact);
            return Ok(());
        }
        shared.counts.answered.fetch_add(1, Ordering::Relaxed);
        let traffic = &shared.traffic[self.screen_pop(contact).await?];
        let talk = traffic.talk.sample(&mut self.rng);
        // Hold, when it happens, splits the talk at a random point.
        let before_hold = talk * self.rng.random::<f64>();
        if self.rng.random_bool(HOLD_SHARE)
            && pause(&mut self.stop, shared.scaled(before_hold)).await
        {
            if self.act("hold", Some(body.clone())).await? {
                let hold = shared.behaviour.hold.sample(&mut self.rng);
                pause(&mut self.stop, shared.scaled(hold)).await;
                self.act("resume", Some(body)).await?;
            }
            pause(&mut self.stop, shared.scaled(talk - before_hold)).await;
        } else {
            pause(&mut self.stop, shared.scaled(talk)).await;
        }
        self.finish(contact, traffic, true).await
    }

    /// Lets the offer ring for `delay` while reading the records: false if
    /// the offer ended first (the caller hung up) or the demo stopped. With
    /// concurrency one no other offer comes meanwhile, so the other records
    /// only update the state.
    async fn ring(&mut self, contact: ContactId, delay: Duration) -> bool {
        let rung = tokio::time::sleep(delay);
        tokio::pin!(rung);
        loop {
            // Biased: an offer that ended or a demo that stopped as the
            // delay ran out is not answered.
            tokio::select! {
                biased;
                () = stopped(&mut self.stop) => return false,
                signal = self.signals.recv() => match signal {
                    Some(Signal::Record(record)) => {
                        self.note(&record);
                        if let RecordKind::OfferEnded { contact: ended, .. } = record.kind
                            && ended == contact
                        {
                            return false;
                        }
                    }
                    Some(Signal::Resync) => self.resync = true,
                    None => return false,
                },
                () = &mut rung => return true,
            }
        }
    }

    /// `GET /api/contacts/{contact}`, as an agent desktop shows it on
    /// answer; its queue tells which traffic the call is (talk time, call
    /// reasons, outcomes). The index of that traffic.
    async fn screen_pop(&mut self, contact: ContactId) -> Result<usize> {
        let path = format!("/api/contacts/{}", contact.0);
        let pop = self.api.expect(Method::GET, &path, None).await?;
        let queue = pop["live"]["queue"]
            .as_u64()
            .or_else(|| pop["finished"]["queue"].as_u64())
            .with_context(|| format!("GET {path} names no queue: {pop}"))?;
        self.shared
            .traffic
            .iter()
            .position(|t| u64::from(t.queue) == queue)
            .with_context(|| format!("contact {} is in queue {queue}, without traffic", contact.0))
    }

    /// Finishes a call found over HTTP: reads its screen pop, then ends it
    /// (if `talking`) and wraps up.
    async fn finish_left_over(&mut self, contact: ContactId, talking: bool) -> Result<()> {
        let shared = self.shared.clone();
        let traffic = &shared.traffic[self.screen_pop(contact).await?];
        self.finish(contact, traffic, talking).await
    }

    /// Ends the call (if `talking`), does the after-call work and wraps up
    /// with an outcome and a call reason of the contact's traffic.
    async fn finish(&mut self, contact: ContactId, traffic: &Traffic, talking: bool) -> Result<()> {
        let body = json!({ "contact": contact });
        if talking {
            // The resume may have been refused: end works on hold too.
            self.act("end", Some(body)).await?;
        }
        let wrap_up = self.shared.behaviour.wrap_up.sample(&mut self.rng);
        pause(&mut self.stop, self.shared.scaled(wrap_up)).await;
        let wrap = json!({
            "contact": contact,
            "outcome": weighted(&mut self.rng, traffic.outcomes),
            "reason": traffic.reasons[self.rng.random_range(0..traffic.reasons.len())],
            "notes": "demo call",
        });
        self.shared.lines.release(contact);
        self.act("wrap-up", Some(wrap)).await?;
        Ok(())
    }

    /// At the end of the demo: reject a ringing offer, finish a call, log
    /// out. A few rounds, as a caller hanging up meanwhile changes the
    /// state under the agent.
    async fn close(&mut self) -> Result<()> {
        for _ in 0..5 {
            let view = self.view().await?;
            match (view.state, view.contacts.first().copied()) {
                (AgentState::LoggedOut, _) => return Ok(()),
                (AgentState::Reserved, Some(contact)) => {
                    self.act("reject", Some(json!({ "contact": contact })))
                        .await?;
                }
                (AgentState::Talking | AgentState::OnHold, Some(contact)) => {
                    self.finish_left_over(contact, true).await?;
                }
                (AgentState::WrapUp, Some(contact)) => {
                    self.finish_left_over(contact, false).await?;
                }
                _ => {
                    self.act("logout", None).await?;
                }
            }
        }
        bail!(
            "{} did not reach logged out at the end of the demo",
            self.base
        )
    }
}

fn weighted<'a>(rng: &mut SmallRng, choices: &[(&'a str, f64)]) -> &'a str {
    let total: f64 = choices.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random::<f64>() * total;
    for (choice, weight) in choices {
        pick -= weight;
        if pick < 0.0 {
            return choice;
        }
    }
    choices[choices.len() - 1].0
}

/// A fresh seed from the operating system: each demo plays a new day.
fn seed() -> Result<u64> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| anyhow!("no randomness: {e}"))?;
    Ok(u64::from_le_bytes(bytes))
}

// ----- HTTP -----------------------------------------------------------------

/// An HTTP/1 keep-alive connection to the demo's server with a bearer
/// token; reconnects when the server closed it.
struct Api {
    addr: SocketAddr,
    token: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Api {
    fn new(addr: SocketAddr) -> Api {
        Api {
            addr,
            token: String::new(),
            sender: None,
        }
    }

    /// Another connection with the same token.
    fn reuse(&self) -> Api {
        Api {
            addr: self.addr,
            token: self.token.clone(),
            sender: None,
        }
    }

    async fn login(&mut self, user: &str, password: &str) -> Result<()> {
        let body = json!({ "user": user, "password": password });
        let answer = self.expect(Method::POST, "/api/login", Some(body)).await?;
        self.token = answer["token"]
            .as_str()
            .context("the login answer has no token")?
            .to_owned();
        Ok(())
    }

    /// A request that must succeed; its JSON answer.
    async fn expect(&mut self, method: Method, path: &str, body: Option<Value>) -> Result<Value> {
        let (status, answer) = self.call(method.clone(), path, body).await?;
        if !status.is_success() {
            bail!("{method} {path}: {status} {answer}");
        }
        Ok(answer)
    }

    /// Sends a request; the status and the JSON answer (null if empty).
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value)> {
        let mut sender = match self.sender.take() {
            Some(sender) => sender,
            None => handshake(self.addr).await?,
        };
        if sender.ready().await.is_err() {
            sender = handshake(self.addr).await?;
        }
        let mut request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header("host", self.addr.to_string());
        if !self.token.is_empty() {
            request = request.header("authorization", format!("Bearer {}", self.token));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let request = request.body(Full::new(Bytes::from(bytes)))?;
        let response = sender
            .send_request(request)
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        self.sender = Some(sender);
        let bytes = response.into_body().collect().await?.to_bytes();
        let answer = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).with_context(|| format!("{method} {path}: not JSON"))?
        };
        Ok((status, answer))
    }
}

async fn handshake(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    // The connection ends when the sender is dropped or the server closes
    // it; either way the next call reconnects.
    tokio::spawn(connection);
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use acd::model::Time;
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

    use super::*;

    /// A socket that drops is opened again, with the token each time, and
    /// after each opening the agent is told to read its state.
    #[tokio::test]
    async fn a_dropped_socket_is_opened_again() {
        let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let record = Record {
            seq: 7,
            at: Time::from_millis(1),
            kind: RecordKind::AgentStateChanged {
                agent: AgentId(3),
                from: AgentState::LoggedOut,
                to: AgentState::Ready,
            },
        };
        let text = serde_json::to_string(&record).unwrap();
        let serving = tokio::spawn(async move {
            for _ in 0..2 {
                let (tcp, _) = server.accept().await.unwrap();
                let mut socket = tokio_tungstenite::accept_hdr_async(tcp, check)
                    .await
                    .unwrap();
                socket.send(Message::text(text.clone())).await.unwrap();
                // Dropped without a close frame, as by a network failure.
            }
        });
        let (stop_tx, stop) = watch::channel(false);
        let (signals, mut received) = mpsc::unbounded_channel();
        let path = "/api/agents/3/stream".to_owned();
        let listening = tokio::spawn(listen(addr, path, "secret".into(), stop, signals));
        let mut next = async || {
            tokio::time::timeout(Duration::from_secs(10), received.recv())
                .await
                .expect("the socket was not opened again")
        };
        for _ in 0..2 {
            assert!(matches!(next().await, Some(Signal::Resync)));
            match next().await {
                Some(Signal::Record(got)) => assert_eq!(got, record),
                _ => panic!("no record"),
            }
        }
        serving.await.unwrap();
        stop_tx.send_replace(true);
        listening.await.unwrap().unwrap();
    }

    /// The server side of the handshake: the agent's stream, its token.
    // The signature is tungstenite's.
    #[allow(clippy::result_large_err)]
    fn check(request: &Request, response: Response) -> Result<Response, ErrorResponse> {
        assert_eq!(request.uri().path(), "/api/agents/3/stream");
        assert_eq!(request.headers()["authorization"], "Bearer secret");
        Ok(response)
    }

    #[test]
    fn a_lagged_socket_makes_the_agent_read_its_state() {
        let lagged = r#"{"error": "lagged", "detail": "3 records were missed"}"#;
        assert!(matches!(signal(lagged), Ok(Signal::Resync)));
    }
}
