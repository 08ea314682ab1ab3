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
//!
//! The page is one TV screen, read across the room: a header with the
//! agents by state, a tile per queue (waiting now, longest wait, service
//! level today against its target, ASA, abandonment, handled today, its
//! agents by state), then a tile per agent filled with its state's colour
//! (name, state, time in state, not-ready reason). The script picks the
//! fewest columns of agents with which the page fits the screen (on
//! 1920×1080 with four queues: 56 agents on 8 columns at full size, 60 on
//! 9 with slightly smaller text, 120 on 12); past 16 columns it shrinks
//! the whole page. Every figure carries a `data-field` attribute (see the
//! HTML section), which tests read.

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
/// The page's words in one language.
struct Labels {
    html_lang: &'static str,
    title: &'static str,
    updated: &'static str,
    stale: &'static str,
    switch: &'static str,
    switch_lang: &'static str,
    waiting: &'static str,
    longest: &'static str,
    service_level: &'static str,
    target: &'static str,
    asa: &'static str,
    abandoned: &'static str,
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
    waiting: "Waiting",
    longest: "Longest wait",
    service_level: "SL today",
    target: "target",
    asa: "ASA",
    abandoned: "Abandoned",
    handled: "Handled today",
    sl_note: "Service level (SL) = answered within T ÷ (offered − abandoned within 5 s), \
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
    waiting: "排队中",
    longest: "最长等待",
    service_level: "今日服务水平",
    target: "目标",
    asa: "平均应答速度",
    abandoned: "放弃率",
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

/// A state's key (its JSON name, as in `/api/agents`, a not-ready reason
/// left out; also its CSS class), its place in the page's order of states
/// and its label.
fn state_style(state: &AgentState, words: &Labels) -> (&'static str, u8, &'static str) {
    match state {
        AgentState::Ready => ("ready", 0, words.ready),
        AgentState::Reserved => ("reserved", 1, words.ringing),
        AgentState::Talking => ("talking", 2, words.talking),
        AgentState::OnHold => ("on_hold", 3, words.on_hold),
        AgentState::WrapUp => ("wrap_up", 4, words.wrap_up),
        AgentState::NotReady(_) => ("not_ready", 5, words.not_ready),
        AgentState::LoggedOut => ("logged_out", 6, words.logged_out),
    }
}

fn reason(state: &AgentState) -> Option<&Code> {
    match state {
        AgentState::NotReady(code) => Some(code),
        _ => None,
    }
}

// ----- HTML -----------------------------------------------------------------
//
// Every figure is the whole text of an element with a `data-field`
// attribute, inside the element that owns it: `data-queue="ID"` (a queue
// tile), `data-agent="ID"` (an agent tile, which also carries
// `data-state`, the state's key), or neither (the page's header). The
// fields are `name`, `waiting`, `longest_wait`, `service_level`, `asa`,
// `abandon_rate`, `handled`, `target` and `agents.STATE` in a queue tile;
// `name`, `state`, `time` and `reason` in an agent tile; `updated` and
// `agents.STATE` in the header. Tests read the page by these, so keep them
// stable.

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

/// Sized for a 1920×1080 TV: 1rem is 1/80 of the width or 1/45 of the
/// height, whichever is smaller (24 px there), so the layout is the same
/// on any screen; `--fit` (set by the script) shrinks it when the board
/// would not fit, as a TV cannot scroll. Agent tiles are filled with their
/// state's colour, to be read across the room; past 8 columns their text
/// shrinks with their width.
const STYLE: &str = "
*{box-sizing:border-box}
html{font-size:calc(var(--fit,1)*min(1.25vw,2.222vh));background:#000}
body{margin:0;color:#fff;font-family:system-ui,'Noto Sans CJK SC','Noto Sans SC',sans-serif;font-size:1rem;line-height:1.2}
header{display:flex;align-items:center;gap:.8rem;padding:.25rem .6rem;background:#111;border-bottom:.1rem solid #333}
h1{font-size:1.2rem;margin:0;white-space:nowrap}
.sum{flex:1;display:flex;flex-wrap:wrap;gap:.25rem;justify-content:center}
.updated{color:#bbb;font-size:.8rem;white-space:nowrap;font-variant-numeric:tabular-nums}
header a{color:#7cc4ff;font-size:.8rem}
.stale-banner{display:none;position:fixed;top:0;left:0;right:0;z-index:1;background:#c00;color:#fff;font-weight:bold;padding:.3rem 1rem;font-size:1.2rem;text-align:center}
body.stale .stale-banner{display:block}
body.stale #board{opacity:.4}
main{padding:.35rem .6rem .2rem}
.queues{display:grid;grid-template-columns:repeat(var(--cols),minmax(0,1fr));gap:.35rem;margin-bottom:.35rem}
.q{background:#141414;border:.08rem solid #383838;border-radius:.3rem;padding:.25rem .5rem .35rem}
.qn{display:block;font-weight:bold;font-size:1.1rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.m{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:.05rem .4rem;margin:.1rem 0 .2rem}
.k span{display:block;color:#aaa;font-size:.6rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.k b{display:block;font-size:1.9rem;line-height:1.05;font-variant-numeric:tabular-nums;white-space:nowrap}
.k small{display:block;color:#999;font-size:.55rem;white-space:nowrap}
.k.alert b{color:#ffd23f}.k.bad b{color:#ff5c5c}.k.good b{color:#5cff8a}
.chips{display:flex;flex-wrap:wrap;gap:.2rem}
.chip{padding:.05rem .35rem;border-radius:.25rem;font-size:.7rem;font-weight:bold;white-space:nowrap}
.grid{display:grid;grid-template-columns:repeat(var(--cols),minmax(0,1fr));gap:.25rem;container-type:inline-size}
.a{border-radius:.25em;padding:.15em .35em .2em;min-width:0;font-size:min(1rem,calc(10.5cqi / var(--cols)))}
.a .n{font-weight:bold;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.a .l{display:flex;justify-content:space-between;align-items:baseline;gap:.3em;font-size:.8em;min-height:1.9em}
.a .l span{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.a .l b{font-size:1.56em;font-variant-numeric:tabular-nums}
.a .r{font-size:.75em;min-height:1.2em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
footer{color:#888;font-size:.5rem;padding:0 .6rem .3rem}
.ready{background:#1e8e3e}
.reserved{background:#f2c200;color:#000}
.talking{background:#1967d2}
.on_hold{background:#7b3fc4}
.wrap_up{background:#e8710a;color:#000}
.not_ready{background:#c5221f}
.logged_out{background:#1c1c1c;color:#777}
";

/// Re-fetches the page every 2 s and swaps the board in; on failure the
/// board is marked stale until a fetch succeeds again. `fit` lays the
/// board out on the screen, after every swap and resize: the fewest agent
/// columns (6 to 16; more columns, smaller tiles) with which the page
/// fits, else 16 columns and the whole page shrunk (down to 60 %).
/// `data-fit` on `<html>` says by how much, `data-refreshed` on `<body>`
/// how many swaps succeeded.
const SCRIPT: &str = "
const root=document.documentElement;let refreshed=0;
function fit(){const fits=()=>root.scrollHeight<=innerHeight+1;
let s=1;root.style.setProperty('--fit',s);
const grid=document.querySelector('.grid');
if(grid)for(let c=6;c<=16;c++){grid.style.setProperty('--cols',c);if(fits())break;}
while(s>0.6&&!fits()){s=Math.round(s*100-5)/100;root.style.setProperty('--fit',s);}
root.dataset.fit=s;}
addEventListener('resize',fit);fit();
setInterval(async()=>{try{
const r=await fetch(location.href,{cache:'no-store'});
if(!r.ok)throw new Error(r.status);
const board=new DOMParser().parseFromString(await r.text(),'text/html').getElementById('board');
if(!board)throw new Error('no board');
document.getElementById('board').replaceWith(board);
document.body.classList.remove('stale');
document.body.dataset.refreshed=++refreshed;
fit();
}catch(e){document.body.classList.add('stale');}},2000);
";

/// The whole page. `token` is the `?token=` the page was asked with, kept
/// in the language link.
pub fn render(snapshot: &Snapshot, lang: Lang, zone: &TimeZone, token: Option<&str>) -> String {
    let w = lang.labels();
    let mut html = String::with_capacity(32 * 1024);
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
         <div class=\"stale-banner\">{}</div><div id=\"board\">\
         <header><h1>{}</h1><div class=\"sum\">",
        w.html_lang, w.title, w.stale, w.title,
    );
    chips(
        &mut html,
        snapshot.agents.iter().map(|a| (&a.state, 1)),
        w,
        false,
    );
    let _ = write!(
        html,
        "</div><span class=\"updated\">{} <span data-field=\"updated\">{}</span></span>\
         <a href=\"{}\">{}</a></header><main>",
        w.updated,
        escape(&updated),
        escape(&switch),
        w.switch,
    );
    queue_tiles(&mut html, snapshot, w);
    agent_grid(&mut html, snapshot, w);
    let _ = write!(
        html,
        "</main><footer>{} T = {}.</footer></div><script>{SCRIPT}</script></body></html>",
        w.sl_note,
        thresholds(snapshot)
    );
    html
}

/// One chip per state with its number of agents, in the page's order of
/// states; not-ready reasons are merged (the agent tiles name them), and
/// logged-out agents are counted only if `logged_out`.
fn chips<'a>(
    html: &mut String,
    counts: impl Iterator<Item = (&'a AgentState, u32)>,
    w: &Labels,
    logged_out: bool,
) {
    let mut kinds: BTreeMap<u8, (&str, &str, u32)> = BTreeMap::new();
    for (state, n) in counts {
        if *state == AgentState::LoggedOut && !logged_out {
            continue;
        }
        let (key, order, label) = state_style(state, w);
        kinds.entry(order).or_insert((key, label, 0)).2 += n;
    }
    for (key, label, n) in kinds.values() {
        let _ = write!(
            html,
            "<span class=\"chip {key}\"><b data-field=\"agents.{key}\">{n}</b> {label}</span>"
        );
    }
}

/// Columns of a grid of `n` tiles: `per_column` tiles per column, within
/// `min..=max` columns.
fn columns(n: usize, per_column: usize, min: usize, max: usize) -> usize {
    n.div_ceil(per_column).clamp(min, max)
}

fn queue_tiles(html: &mut String, snapshot: &Snapshot, w: &Labels) {
    let _ = write!(
        html,
        "<div class=\"queues\" style=\"--cols:{}\">",
        snapshot.queues.len().clamp(1, 6)
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
            "<section class=\"q\" data-queue=\"{}\">\
             <span class=\"qn\" data-field=\"name\">{}</span><div class=\"m\">\
             <div class=\"k {waiting_class}\"><span>{}</span><b data-field=\"waiting\">{}</b></div>\
             <div class=\"k {longest_class}\"><span>{}</span><b data-field=\"longest_wait\">{}</b></div>\
             <div class=\"k {sl_class}\"><span>{}</span><b data-field=\"service_level\">{}</b>\
             <small data-field=\"target\">{} {}% ≤ {} s</small></div>\
             <div class=\"k\"><span>{}</span><b data-field=\"asa\">{}</b></div>\
             <div class=\"k\"><span>{}</span><b data-field=\"abandon_rate\">{}</b></div>\
             <div class=\"k\"><span>{}</span><b data-field=\"handled\">{}</b></div>\
             </div><div class=\"chips\">",
            q.queue.0,
            escape(&q.name),
            w.waiting,
            q.waiting,
            w.longest,
            q.longest_wait.map_or_else(|| "—".to_owned(), clock_span),
            w.service_level,
            percent(q.service_level),
            w.target,
            q.target,
            q.threshold.as_millis() / 1000,
            w.asa,
            q.asa
                .map_or_else(|| "—".to_owned(), |s| format!("{s:.0} s")),
            w.abandoned,
            percent(q.abandon_rate),
            w.handled,
            q.handled,
        );
        chips(
            html,
            q.agents.iter().map(|c| (&c.state, c.agents)),
            w,
            false,
        );
        html.push_str("</div></section>");
    }
    html.push_str("</div>");
}

/// "Billing 20 s, Sales 30 s": each queue's T, for the note.
fn thresholds(snapshot: &Snapshot) -> String {
    snapshot
        .queues
        .iter()
        .map(|q| format!("{} {} s", escape(&q.name), q.threshold.as_millis() / 1000))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The agents as tiles; the columns are the script's to choose (see
/// [`SCRIPT`]), these (seven rows deep, 6 to 16 columns) are for a
/// browser without it.
fn agent_grid(html: &mut String, snapshot: &Snapshot, w: &Labels) {
    let _ = write!(
        html,
        "<div class=\"grid\" style=\"--cols:{}\">",
        columns(snapshot.agents.len(), 7, 6, 16)
    );
    for a in &snapshot.agents {
        let (key, _, label) = state_style(&a.state, w);
        let reason = reason(&a.state).map_or_else(String::new, |c| escape(c.as_str()));
        let time = if a.state == AgentState::LoggedOut {
            String::new()
        } else {
            a.time_in_state.map(clock_span).unwrap_or_default()
        };
        let _ = write!(
            html,
            "<div class=\"a {key}\" data-agent=\"{}\" data-state=\"{key}\">\
             <div class=\"n\" data-field=\"name\">{}</div>\
             <div class=\"l\"><span data-field=\"state\">{label}</span><b data-field=\"time\">{time}</b></div>\
             <div class=\"r\" data-field=\"reason\">{reason}</div></div>",
            a.agent.0,
            escape(&a.name),
        );
    }
    html.push_str("</div>");
}
