//! The live wallboard and the figures behind it and `/metrics`.
//!
//! Key types: [`Wallboard`] (today's KPI feed plus the routes
//! `GET /wallboard`, `GET /wallboard/data` and `GET /metrics`, merged into
//! the API by [`Wallboard::router`]), [`WallboardSettings`] (the center's
//! time zone, each queue's service-level T and target, the display token)
//! and [`Snapshot`] (one consistent view: the engine's live state and
//! today's tallies, served as JSON by `/wallboard/data`).
//!
//! Today's figures are kpi's: a [`QueueTally`] per queue, fed with the legs
//! [`kpi::legs::classify`] finds in each `ContactFinished` record of the
//! core's broadcast, counted on the local day the leg entered its queue
//! (kpi's rule), in memory and reset at local midnight. A restart starts
//! the day's tallies empty. A snapshot first reads the engine (which
//! returns only after every earlier record was broadcast) and then drains
//! the broadcast, so the tallies are never behind the live state it shows;
//! a thread also drains every 100 ms so the broadcast does not overflow
//! while nobody looks.
//!
//! Auth: a TV cannot log in, so these three routes accept a read-only
//! display token ([`WallboardSettings::token`]) in `?token=` or as
//! `Authorization: Bearer` (what Prometheus sends), or the token of a
//! logged-in admin or supervisor in the same places. Nothing else of the
//! API accepts the display token, and it changes nothing.
//!
//! The page is rendered on the server, every name escaped; its small
//! inline script re-fetches the page itself every 2 s and swaps the board
//! in, so the page is rendered in one place only, and a failed fetch marks
//! the board stale instead of showing old numbers as live. Labels are
//! English or Chinese, by `?lang=en|zh`, else the browser's
//! `Accept-Language`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::thread;
use std::time::Duration;

use acd::config::Config;
use acd::model::{AgentId, Code, QueueId, Span, Time};
use acd::{AgentState, Record, RecordKind};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jiff::tz::TimeZone;
use kpi::{Bucketing, Interval, QueueTally, SlDefinition};
use serde::Serialize;
use tokio::sync::broadcast::{self, error::TryRecvError};

use crate::actor::Core;
use crate::auth::{Auth, Role};
use crate::error::Error;
use crate::http::ApiError;
use crate::metrics;

/// Abandons within this are "short" and left out of the service level and
/// the abandonment rate (KPI.md's default).
pub const SHORT_ABANDON: Span = Span::from_secs(5);

/// The service-level definition shown: answered within T ÷ (offered −
/// short abandons), as Amazon Connect counts it.
pub const SL_DEFINITION: SlDefinition = SlDefinition::Offered;

/// How often the feed thread drains the broadcast.
const DRAIN_EVERY: Duration = Duration::from_millis(100);

/// What the wallboard needs besides the core.
#[derive(Debug, Clone)]
pub struct WallboardSettings {
    /// The center's zone: "today" starts at its local midnight.
    pub time_zone: TimeZone,
    /// The read-only display token for `?token=`: the only secret of a TV
    /// URL, so make it long and random; an empty one admits nobody.
    pub token: String,
    /// Each queue's service-level T and target percent.
    pub targets: BTreeMap<QueueId, (Span, u8)>,
}

impl WallboardSettings {
    /// T and target of every queue of `config`.
    pub fn new(config: &Config, time_zone: TimeZone, token: String) -> Self {
        let targets = config
            .queues
            .iter()
            .map(|q| (q.id, (q.service_level_threshold, q.service_level_target)))
            .collect();
        WallboardSettings {
            time_zone,
            token,
            targets,
        }
    }
}

/// The wallboard's state; cheap to clone.
#[derive(Clone)]
pub struct Wallboard {
    core: Core,
    auth: Arc<Auth>,
    settings: Arc<WallboardSettings>,
    bucketing: Bucketing,
    feed: Arc<Mutex<Feed>>,
}

/// Today's tallies and the broadcast they are fed from.
struct Feed {
    records: broadcast::Receiver<Arc<Record>>,
    /// Local midnight of the day tallied, once known.
    day: Option<Time>,
    tallies: BTreeMap<QueueId, QueueTally>,
    /// Records seen since start.
    events: u64,
    /// Records lost to a full broadcast (the tallies miss them).
    missed: u64,
}

/// Today's figures of one queue, with the live state.
#[derive(Debug, Clone, Serialize)]
pub struct QueueBoard {
    /// The queue.
    pub queue: QueueId,
    /// Its name.
    pub name: String,
    /// Contacts waiting now.
    pub waiting: usize,
    /// The longest current wait, ms.
    pub longest_wait: Option<Span>,
    /// Agents serving the queue, by state (as `/api/queues`).
    pub agents: Vec<StateCount>,
    /// Service-level threshold T, ms.
    pub threshold: Span,
    /// Service-level target, percent.
    pub target: u8,
    /// Legs that entered the queue today and finished.
    pub offered: u64,
    /// Of those, answered.
    pub answered: u64,
    /// Of those, abandoned (short abandons included).
    pub abandoned: u64,
    /// Of those, handled (connected and wrapped up).
    pub handled: u64,
    /// [`SL_DEFINITION`] under T, 0–1; `None` before any contact.
    pub service_level: Option<f64>,
    /// Average speed of answer, seconds.
    pub asa: Option<f64>,
    /// Abandoned ÷ offered, short abandons left out of both, 0–1.
    pub abandon_rate: Option<f64>,
}

/// A count of agents in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateCount {
    /// The state.
    pub state: AgentState,
    /// How many agents.
    pub agents: u32,
}

/// One agent now.
#[derive(Debug, Clone, Serialize)]
pub struct AgentBoard {
    /// The agent.
    pub agent: AgentId,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: AgentState,
    /// Time in that state, ms.
    /// `None` for an agent the engine has not seen since it started (as
    /// in `/api/agents`).
    pub time_in_state: Option<Span>,
}

/// The wallboard at one instant.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// When, ms since the Unix epoch.
    pub at: Time,
    /// Local midnight that "today" starts at, ms since the Unix epoch.
    pub today: Time,
    /// The service-level definition of `service_level`.
    pub sl_definition: SlDefinition,
    /// Abandons within this are short, ms.
    pub short_abandon: Span,
    /// Every queue, by configuration order.
    pub queues: Vec<QueueBoard>,
    /// Every agent, by configuration order.
    pub agents: Vec<AgentBoard>,
    /// Engine records seen since the server started.
    pub events: u64,
    /// Records the tallies missed because the broadcast overflowed.
    pub missed: u64,
}

/// The live part of a snapshot, read on the engine thread.
struct Live {
    now: Time,
    queues: Vec<(QueueId, String, acd::query::QueueStatus)>,
    agents: Vec<AgentBoard>,
}

impl Wallboard {
    /// Subscribes to `core`'s records (call it before serving, so no
    /// contact is missed) and starts the thread that drains them.
    pub fn start(
        core: Core,
        auth: Arc<Auth>,
        settings: WallboardSettings,
    ) -> Result<Wallboard, Error> {
        let bucketing = Bucketing {
            interval: Interval::Day,
            time_zone: settings.time_zone.clone(),
        };
        let feed = Arc::new(Mutex::new(Feed {
            records: core.subscribe(),
            day: None,
            tallies: BTreeMap::new(),
            events: 0,
            missed: 0,
        }));
        let weak = Arc::downgrade(&feed);
        let days = bucketing.clone();
        thread::Builder::new()
            .name("wallboard".into())
            .spawn(move || drain_until_dropped(&weak, &days))
            .map_err(Error::Spawn)?;
        Ok(Wallboard {
            core,
            auth,
            settings: Arc::new(settings),
            bucketing,
            feed,
        })
    }

    /// `GET /wallboard`, `GET /wallboard/data` and `GET /metrics`, to merge
    /// into [`router`](crate::router)'s app.
    pub fn router(self) -> Router {
        Router::new()
            .route("/wallboard", get(page))
            .route("/wallboard/data", get(data))
            .route("/metrics", get(metrics_text))
            .with_state(self)
    }

    /// The live state and today's figures, consistent with each other.
    pub async fn snapshot(&self) -> Result<Snapshot, Error> {
        let queue_names = self.core.queues().to_vec();
        let agent_names = self.core.agents().to_vec();
        let live = self
            .core
            .read(move |engine, now| -> Result<Live, acd::Error> {
                let queues = queue_names
                    .into_iter()
                    .map(|(id, name)| Ok((id, name, engine.queue_status(id)?)))
                    .collect::<Result<_, acd::Error>>()?;
                let agents = agent_names
                    .into_iter()
                    .map(|(agent, name)| {
                        let status = engine.agent_status(agent)?;
                        Ok(AgentBoard {
                            agent,
                            name,
                            state: status.state,
                            time_in_state: (status.since > Time::ZERO)
                                .then(|| now.since(status.since)),
                        })
                    })
                    .collect::<Result<_, acd::Error>>()?;
                Ok(Live {
                    now,
                    queues,
                    agents,
                })
            })
            .await??;
        let today = day_start(&self.bucketing, live.now);
        let mut feed = lock(&self.feed);
        feed.drain(&self.bucketing);
        feed.roll_to(today);
        let queues = live
            .queues
            .into_iter()
            .map(|(queue, name, status)| {
                let (threshold, target) = self
                    .settings
                    .targets
                    .get(&queue)
                    .copied()
                    .unwrap_or((Span::from_secs(20), 80));
                let tally = feed.tallies.get(&queue).cloned().unwrap_or_default();
                // The row's start only labels it; the figures are the tally's.
                let start = self.bucketing.start(today).ok();
                let row = start.map(|start| tally.row(queue, start, threshold, SHORT_ABANDON));
                QueueBoard {
                    queue,
                    name,
                    waiting: status.waiting,
                    longest_wait: status.longest_wait,
                    agents: status
                        .agents
                        .into_iter()
                        .map(|(state, agents)| StateCount { state, agents })
                        .collect(),
                    threshold,
                    target,
                    offered: tally.offered,
                    answered: tally.answered.count(),
                    abandoned: tally.abandoned.count(),
                    handled: tally.handled,
                    service_level: row.as_ref().and_then(|r| r.service_level(SL_DEFINITION)),
                    asa: row.as_ref().and_then(|r| r.asa),
                    abandon_rate: row.as_ref().and_then(|r| r.abandon_rate),
                }
            })
            .collect();
        Ok(Snapshot {
            at: live.now,
            today,
            sl_definition: SL_DEFINITION,
            short_abandon: SHORT_ABANDON,
            queues,
            agents: live.agents,
            events: feed.events,
            missed: feed.missed,
        })
    }

    /// The center's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.settings.time_zone
    }

    /// Admits the display token or an admin's or supervisor's session,
    /// from `?token=` or `Authorization: Bearer`.
    fn admit(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), ApiError> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let token = query_param(uri, "token").or(bearer).ok_or_else(|| {
            ApiError::unauthorized("give the wallboard token as ?token= or a Bearer header")
        })?;
        if same_secret(token, &self.settings.token) {
            return Ok(());
        }
        match self.auth.session(token) {
            Some(session) if matches!(session.role, Role::Admin | Role::Supervisor) => Ok(()),
            Some(session) => Err(ApiError::forbidden(format!(
                "user {} ({:?}) may not see the wallboard",
                session.user, session.role
            ))),
            None => Err(ApiError::unauthorized(
                "the token is neither the wallboard token nor a live session",
            )),
        }
    }
}

impl Feed {
    /// Takes every record waiting in the broadcast.
    fn drain(&mut self, days: &Bucketing) {
        loop {
            match self.records.try_recv() {
                Ok(record) => self.take(&record, days),
                Err(TryRecvError::Lagged(missed)) => self.missed += missed,
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
            }
        }
    }

    fn take(&mut self, record: &Record, days: &Bucketing) {
        self.events += 1;
        let RecordKind::ContactFinished(contact) = &record.kind else {
            return;
        };
        let mut legs = Vec::new();
        // A record the engine wrote is classifiable; one that is not would
        // be refused by every report too, so it is left out here as there.
        if kpi::legs::classify(contact, &mut legs).is_err() {
            return;
        }
        for leg in legs {
            let day = day_start(days, leg.queued);
            self.roll_to(day);
            if Some(day) == self.day {
                self.tallies.entry(leg.queue).or_default().add(&leg);
            }
        }
    }

    /// Starts a new day's tallies when `day` is after the one tallied.
    fn roll_to(&mut self, day: Time) {
        if self.day.is_none_or(|current| day > current) {
            self.day = Some(day);
            self.tallies.clear();
        }
    }
}

fn drain_until_dropped(feed: &Weak<Mutex<Feed>>, days: &Bucketing) {
    loop {
        thread::sleep(DRAIN_EVERY);
        let Some(feed) = feed.upgrade() else {
            return;
        };
        lock(&feed).drain(days);
    }
}

/// Local midnight of the day containing `at`. A time jiff cannot place
/// (beyond year 9999) is its own day.
fn day_start(days: &Bucketing, at: Time) -> Time {
    days.start(at)
        .ok()
        .and_then(|start| u64::try_from(start.timestamp().as_millisecond()).ok())
        .map_or(at, Time::from_millis)
}

/// A panic elsewhere cannot leave the tallies half changed in a way that
/// matters more than a lost snapshot, so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Compares secrets without stopping at the first difference, so the time
/// taken does not tell a guesser how much of a token was right.
fn same_secret(given: &str, secret: &str) -> bool {
    !secret.is_empty()
        && given.len() == secret.len()
        && given
            .bytes()
            .zip(secret.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The raw value of `name` in the query string. Tokens and `lang` are
/// plain ASCII, so no percent-decoding is needed.
fn query_param<'a>(uri: &'a Uri, name: &str) -> Option<&'a str> {
    uri.query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

// ----- handlers -------------------------------------------------------------

async fn data(
    State(board): State<Wallboard>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<Snapshot>, ApiError> {
    board.admit(&uri, &headers)?;
    Ok(Json(board.snapshot().await?))
}

async fn metrics_text(
    State(board): State<Wallboard>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    board.admit(&uri, &headers)?;
    let snapshot = board.snapshot().await?;
    let text = metrics::render(&snapshot, board.time_zone());
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        text,
    )
        .into_response())
}

async fn page(
    State(board): State<Wallboard>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    board.admit(&uri, &headers)?;
    let lang = language(&uri, &headers);
    let snapshot = board.snapshot().await?;
    let token = query_param(&uri, "token");
    let html = render(&snapshot, lang, board.time_zone(), token);
    // A TV must never show a cached board as live.
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

// ----- language -------------------------------------------------------------

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Chinese (simplified).
    Zh,
}

/// `?lang=` if given, else the browser's most preferred of English and
/// Chinese, else English.
fn language(uri: &Uri, headers: &HeaderMap) -> Lang {
    match query_param(uri, "lang") {
        Some("zh") => return Lang::Zh,
        Some("en") => return Lang::En,
        _ => {}
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut best: Option<(f64, Lang)> = None;
    for entry in accept.split(',') {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f64>().ok())
            .unwrap_or(1.0);
        let lang = match tag.split('-').next() {
            Some("zh") => Lang::Zh,
            Some("en") => Lang::En,
            _ => continue,
        };
        // The first of equal qualities wins, as the header lists them by
        // preference.
        if best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, lang));
        }
    }
    best.map_or(Lang::En, |(_, lang)| lang)
}

/// The page's words in one language.
struct Labels {
    html_lang: &'static str,
    title: &'static str,
    updated: &'static str,
    stale: &'static str,
    switch: &'static str,
    switch_lang: &'static str,
    queue: &'static str,
    waiting: &'static str,
    longest: &'static str,
    service_level: &'static str,
    target: &'static str,
    asa: &'static str,
    abandoned: &'static str,
    agents: &'static str,
    handled: &'static str,
    sl_note: &'static str,
    ready: &'static str,
    ringing: &'static str,
    talking: &'static str,
    on_hold: &'static str,
    wrap_up: &'static str,
    not_ready: &'static str,
    logged_out: &'static str,
}

const EN: Labels = Labels {
    html_lang: "en",
    title: "Switchboard wallboard",
    updated: "Updated",
    stale: "Connection lost — figures are not live",
    switch: "中文",
    switch_lang: "zh",
    queue: "Queue",
    waiting: "Waiting",
    longest: "Longest wait",
    service_level: "Service level today",
    target: "target",
    asa: "ASA",
    abandoned: "Abandoned",
    agents: "Agents",
    handled: "Handled today",
    sl_note: "Service level = answered within T ÷ (offered − abandoned within 5 s), \
              contacts that entered the queue since local midnight and finished; \
              ASA = average wait of answered contacts; abandoned = abandoned ÷ offered, \
              abandons within 5 s left out.",
    ready: "Ready",
    ringing: "Ringing",
    talking: "Talking",
    on_hold: "On hold",
    wrap_up: "Wrap-up",
    not_ready: "Not ready",
    logged_out: "Logged out",
};

const ZH: Labels = Labels {
    html_lang: "zh-CN",
    title: "Switchboard 实时看板",
    updated: "更新于",
    stale: "连接中断——数据不是实时的",
    switch: "English",
    switch_lang: "en",
    queue: "队列",
    waiting: "排队中",
    longest: "最长等待",
    service_level: "今日服务水平",
    target: "目标",
    asa: "平均应答速度",
    abandoned: "放弃率",
    agents: "坐席",
    handled: "今日处理",
    sl_note: "服务水平 = T 秒内接通数 ÷（进线数 − 5 秒内放弃数），统计当地午夜以来进入队列且已结束的联系；\
              平均应答速度 = 已接通联系的平均等待时间；放弃率 = 放弃数 ÷ 进线数，不计 5 秒内放弃。",
    ready: "就绪",
    ringing: "振铃",
    talking: "通话中",
    on_hold: "保持",
    wrap_up: "话后处理",
    not_ready: "未就绪",
    logged_out: "已登出",
};

impl Lang {
    fn labels(self) -> &'static Labels {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }
}

/// The CSS class and label of a state (a not-ready reason is shown apart).
fn state_label(state: &AgentState, words: &Labels) -> (&'static str, &'static str) {
    match state {
        AgentState::Ready => ("ready", words.ready),
        AgentState::Reserved => ("ringing", words.ringing),
        AgentState::Talking => ("talking", words.talking),
        AgentState::OnHold => ("hold", words.on_hold),
        AgentState::WrapUp => ("wrap", words.wrap_up),
        AgentState::NotReady(_) => ("notready", words.not_ready),
        AgentState::LoggedOut => ("out", words.logged_out),
    }
}

fn reason(state: &AgentState) -> Option<&Code> {
    match state {
        AgentState::NotReady(code) => Some(code),
        _ => None,
    }
}

// ----- HTML -----------------------------------------------------------------

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `m:ss`, or `h:mm:ss` past an hour.
fn clock_span(span: Span) -> String {
    let secs = span.as_millis() / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;background:#000;color:#fff;font-family:system-ui,'Noto Sans CJK SC','Noto Sans SC',sans-serif;font-size:28px}
header{display:flex;align-items:baseline;gap:1.5em;padding:.4em 1em;background:#111;border-bottom:4px solid #333}
h1{font-size:1.5em;margin:0;flex:1}
header a{color:#7cc4ff;font-size:1em}
.updated{color:#bbb}
.stale-banner{display:none;background:#c00;color:#fff;font-weight:bold;padding:.3em 1em;font-size:1.2em}
body.stale .stale-banner{display:block}
body.stale main{opacity:.4}
main{padding:.5em 1em}
table{width:100%;border-collapse:collapse}
th{white-space:nowrap;color:#bbb;font-weight:normal;text-align:right;padding:.2em .5em;font-size:.9em;border-bottom:2px solid #444}
td{text-align:right;padding:.25em .5em;font-size:1.6em;font-variant-numeric:tabular-nums;border-bottom:1px solid #333;white-space:nowrap}
td small{display:block;font-size:.45em;color:#bbb}
th:first-child,td:first-child{text-align:left}
td.name{font-weight:bold;white-space:normal}
td.alert{color:#ffd23f}
td.bad{color:#ff5c5c}
td.good{color:#5cff8a}
td.agents{font-size:1em;white-space:normal}
.chip{display:inline-block;padding:.05em .4em;margin:.1em;border-radius:.3em;color:#000;font-weight:bold}
.note{color:#999;font-size:.6em;margin:.4em 0 1em}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:.4em}
.agent{padding:.3em .5em;border-radius:.3em;border-left:.5em solid #666;background:#1a1a1a}
.agent .n{font-weight:bold;font-size:1.05em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.agent .s{display:flex;justify-content:space-between;font-size:.9em}
.agent .t{font-variant-numeric:tabular-nums}
.agent .r{color:#ddd;font-size:.8em;min-height:1.1em}
.ready{border-color:#2ecc40}.chip.ready{background:#2ecc40}
.ringing{border-color:#ffd23f}.chip.ringing{background:#ffd23f}
.talking{border-color:#3fa9ff}.chip.talking{background:#3fa9ff}
.hold{border-color:#b57cff}.chip.hold{background:#b57cff}
.wrap{border-color:#00d2c6}.chip.wrap{background:#00d2c6}
.notready{border-color:#ff5c5c}.chip.notready{background:#ff5c5c}
.out{border-color:#444;color:#777}.chip.out{background:#555}
.agent.out .r,.agent.out .n{color:#777}
";

/// Re-fetches the page every 2 s and swaps the board in; on failure the
/// board is marked stale until a fetch succeeds again.
const SCRIPT: &str = "
setInterval(async()=>{try{
const r=await fetch(location.href,{cache:'no-store'});
if(!r.ok)throw new Error(r.status);
const d=new DOMParser().parseFromString(await r.text(),'text/html');
document.querySelector('main').replaceWith(d.querySelector('main'));
document.querySelector('.updated').replaceWith(d.querySelector('.updated'));
document.body.classList.remove('stale');
}catch(e){document.body.classList.add('stale');}},2000);
";

/// The whole page. `token` is the `?token=` the page was asked with, kept
/// in the language link.
pub fn render(snapshot: &Snapshot, lang: Lang, zone: &TimeZone, token: Option<&str>) -> String {
    let w = lang.labels();
    let mut html = String::with_capacity(16 * 1024);
    let updated = jiff::Timestamp::from_millisecond(
        i64::try_from(snapshot.at.as_millis()).unwrap_or(i64::MAX),
    )
    .map(|t| t.to_zoned(zone.clone()).strftime("%H:%M:%S").to_string())
    .unwrap_or_default();
    let mut switch = format!("?lang={}", w.switch_lang);
    if let Some(token) = token {
        let _ = write!(switch, "&token={}", url_encode(token));
    }
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{}</title><style>{STYLE}</style></head><body>\
         <header><h1>{}</h1><span class=\"updated\">{} {}</span>\
         <a href=\"{}\">{}</a></header>\
         <div class=\"stale-banner\">{}</div><main>",
        w.html_lang,
        w.title,
        w.title,
        w.updated,
        escape(&updated),
        escape(&switch),
        w.switch,
        w.stale,
    );
    queue_table(&mut html, snapshot, w);
    agent_grid(&mut html, snapshot, w);
    let _ = write!(html, "</main><script>{SCRIPT}</script></body></html>");
    html
}

fn queue_table(html: &mut String, snapshot: &Snapshot, w: &Labels) {
    let _ = write!(
        html,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        w.queue, w.waiting, w.longest, w.service_level, w.asa, w.abandoned, w.handled, w.agents
    );
    for q in &snapshot.queues {
        let waiting_class = if q.waiting > 0 { "alert" } else { "" };
        let longest_class = match q.longest_wait {
            Some(wait) if wait > q.threshold => "bad",
            Some(_) => "alert",
            None => "",
        };
        let sl_class = match q.service_level {
            Some(sl) if sl * 100.0 >= f64::from(q.target) => "good",
            Some(_) => "bad",
            None => "",
        };
        let _ = write!(
            html,
            "<tr data-queue=\"{}\"><td class=\"name\">{}</td><td class=\"{waiting_class}\">{}</td>\
             <td class=\"{longest_class}\">{}</td>\
             <td class=\"{sl_class}\">{}<small>{} {}% ≤ {} s</small></td>\
             <td>{}</td><td>{}</td><td>{}</td><td class=\"agents\">",
            q.queue.0,
            escape(&q.name),
            q.waiting,
            q.longest_wait.map_or_else(|| "—".to_owned(), clock_span),
            percent(q.service_level),
            w.target,
            q.target,
            q.threshold.as_millis() / 1000,
            q.asa
                .map_or_else(|| "—".to_owned(), |s| format!("{s:.0} s")),
            percent(q.abandon_rate),
            q.handled,
        );
        // Not-ready reasons are merged here: the agent tiles name them.
        let mut kinds: BTreeMap<usize, (&str, &str, u32)> = BTreeMap::new();
        for count in &q.agents {
            if count.state == AgentState::LoggedOut {
                continue;
            }
            let (class, label) = state_label(&count.state, w);
            let order = ORDER
                .iter()
                .position(|c| *c == class)
                .unwrap_or(ORDER.len());
            kinds.entry(order).or_insert((class, label, 0)).2 += count.agents;
        }
        for (class, label, n) in kinds.values() {
            let _ = write!(html, "<span class=\"chip {class}\">{n} {label}</span>");
        }
        html.push_str("</td></tr>");
    }
    let _ = write!(
        html,
        "</tbody></table><p class=\"note\">{} T = {}.</p>",
        w.sl_note,
        thresholds(snapshot)
    );
}

/// The order of states in a queue's agent chips.
const ORDER: [&str; 7] = [
    "ready", "ringing", "talking", "hold", "wrap", "notready", "out",
];

/// "Billing 20 s, Sales 30 s": each queue's T, for the note.
fn thresholds(snapshot: &Snapshot) -> String {
    snapshot
        .queues
        .iter()
        .map(|q| format!("{} {} s", escape(&q.name), q.threshold.as_millis() / 1000))
        .collect::<Vec<_>>()
        .join(", ")
}

fn agent_grid(html: &mut String, snapshot: &Snapshot, w: &Labels) {
    html.push_str("<div class=\"grid\">");
    for a in &snapshot.agents {
        let (class, label) = state_label(&a.state, w);
        let reason = reason(&a.state).map_or_else(String::new, |c| escape(c.as_str()));
        let time = if a.state == AgentState::LoggedOut {
            String::new()
        } else {
            a.time_in_state.map(clock_span).unwrap_or_default()
        };
        let _ = write!(
            html,
            "<div class=\"agent {class}\" data-agent=\"{}\"><div class=\"n\">{}</div>\
             <div class=\"s\"><span>{label}</span><span class=\"t\">{time}</span></div>\
             <div class=\"r\">{reason}</div></div>",
            a.agent.0,
            escape(&a.name),
        );
    }
    html.push_str("</div>");
}
