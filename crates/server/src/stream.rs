//! The WebSockets: an agent's own records (offers, its state changes, its
//! calls) and, for supervisors, every record.
//!
//! Key items: the handlers `agent` and `all`, [`Fanout`] (one task reads
//! the record broadcast and hands each record only to the sockets of the
//! agent it concerns, so the work grows with records, not records ×
//! sockets) and `concerns` (which agent a record is about). Each socket is
//! registered before the upgrade, so no record between the handshake and
//! the first read is missed. Messages are the records as JSON. A socket
//! that falls behind misses records and then gets `{"error": "lagged",
//! "detail": ...}`; it stays open, and its client should read the state
//! again over HTTP. The token comes in the `Authorization` header or, from
//! a browser, as the `bearer` subprotocol ([`TOKEN_PROTOCOL`]).
//!
//! Sockets read with a 4 KiB buffer: clients say nothing on them, and the
//! WebSocket layer clears its whole read buffer before every read, which
//! with the default 128 KiB and a thousand sockets was most of the
//! server's CPU.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use acd::model::AgentId;
use acd::{Record, RecordKind};
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::json;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::mpsc;

use crate::actor::Core;
use crate::http::{ActingFor, Allowed, ApiError, AppState, Staff, TOKEN_PROTOCOL, known_agent};

/// Read buffer of a socket, in bytes (see the module doc).
const READ_BUFFER: usize = 4096;

/// Records an agent's socket may fall behind before it misses some.
const AGENT_BACKLOG: usize = 1024;

/// What the fan-out hands an agent's socket.
enum Item {
    Record(Arc<Record>),
    /// Records were missed before the next one.
    Lagged,
}

/// One agent socket's channel, and whether it missed records it has not
/// been told about yet.
struct Subscriber {
    sender: mpsc::Sender<Item>,
    lagged: bool,
}

impl Subscriber {
    /// Hands over `record`, after the lag notice it owes; false once the
    /// socket is gone. A full channel drops the record and owes a notice.
    fn offer(&mut self, record: &Arc<Record>) -> bool {
        use mpsc::error::TrySendError;
        if self.lagged {
            match self.sender.try_send(Item::Lagged) {
                Ok(()) => self.lagged = false,
                Err(TrySendError::Full(_)) => return true,
                Err(TrySendError::Closed(_)) => return false,
            }
        }
        match self.sender.try_send(Item::Record(Arc::clone(record))) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.lagged = true;
                true
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

type Subscribers = HashMap<AgentId, Vec<Subscriber>>;

/// The agents' sockets by agent, fed by one task from the broadcast,
/// started with the first socket.
#[derive(Default)]
pub(crate) struct Fanout {
    sockets: Arc<Mutex<Subscribers>>,
    started: OnceLock<()>,
}

impl Fanout {
    /// A receiver of the records about `agent`, from now on.
    fn join(&self, core: &Core, agent: AgentId) -> mpsc::Receiver<Item> {
        self.started.get_or_init(|| {
            let records = core.subscribe();
            tokio::spawn(feed(records, Arc::clone(&self.sockets)));
        });
        let (sender, receiver) = mpsc::channel(AGENT_BACKLOG);
        let subscriber = Subscriber {
            sender,
            lagged: false,
        };
        lock(&self.sockets)
            .entry(agent)
            .or_default()
            .push(subscriber);
        receiver
    }
}

/// Hands each record to its agent's sockets. A socket whose backlog is
/// full, or every socket when this task itself lagged, misses records and
/// is told so before its next one.
async fn feed(mut records: broadcast::Receiver<Arc<Record>>, sockets: Arc<Mutex<Subscribers>>) {
    loop {
        match records.recv().await {
            Ok(record) => {
                let Some(agent) = concerns(&record.kind) else {
                    continue;
                };
                let mut sockets = lock(&sockets);
                if let Some(senders) = sockets.get_mut(&agent) {
                    senders.retain_mut(|s| s.offer(&record));
                    if senders.is_empty() {
                        sockets.remove(&agent);
                    }
                }
            }
            Err(RecvError::Lagged(_)) => {
                for subscriber in lock(&sockets).values_mut().flatten() {
                    subscriber.lagged = true;
                }
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// The socket table; a panic elsewhere cannot leave it half changed.
fn lock(sockets: &Mutex<Subscribers>) -> std::sync::MutexGuard<'_, Subscribers> {
    sockets.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) async fn agent(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    known_agent(&state.core, agent)?;
    let upgrade = upgrade
        .map_err(|r| ApiError::bad_request(r.status(), r.body_text()))?
        .protocols([TOKEN_PROTOCOL])
        .read_buffer_size(READ_BUFFER);
    let records = state.fanout.join(&state.core, agent);
    Ok(upgrade.on_upgrade(move |socket| forward_own(socket, records)))
}

pub(crate) async fn all(
    State(state): State<AppState>,
    _: Allowed<Staff>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade
        .map_err(|r| ApiError::bad_request(r.status(), r.body_text()))?
        .protocols([TOKEN_PROTOCOL])
        .read_buffer_size(READ_BUFFER);
    let records = state.core.subscribe();
    Ok(upgrade.on_upgrade(move |socket| forward_all(socket, records)))
}

/// Sends an agent's records until either side closes.
async fn forward_own(mut socket: WebSocket, mut records: mpsc::Receiver<Item>) {
    loop {
        let text = tokio::select! {
            received = records.recv() => match received {
                Some(Item::Record(record)) => match serde_json::to_string(&*record) {
                    Ok(text) => text,
                    Err(_) => continue,
                },
                Some(Item::Lagged) => lagged("records were missed"),
                None => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                // The client has nothing to say on this socket; pings are
                // answered by the WebSocket layer.
                Some(Ok(_)) => continue,
            },
        };
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
}

/// Sends every record until either side closes; a lag is reported and
/// the socket goes on.
async fn forward_all(mut socket: WebSocket, mut records: broadcast::Receiver<Arc<Record>>) {
    loop {
        let text = tokio::select! {
            received = records.recv() => match received {
                Ok(record) => match serde_json::to_string(&*record) {
                    Ok(text) => text,
                    Err(_) => continue,
                },
                Err(RecvError::Lagged(missed)) => {
                    lagged(&format!("{missed} records were missed"))
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => continue,
            },
        };
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
}

fn lagged(what: &str) -> String {
    json!({
        "error": "lagged",
        "detail": format!("{what}; read the state again"),
    })
    .to_string()
}

/// The agent a record is about, if any.
fn concerns(kind: &RecordKind) -> Option<AgentId> {
    match kind {
        RecordKind::Offered { agent, .. }
        | RecordKind::OfferEnded { agent, .. }
        | RecordKind::Connected { agent, .. }
        | RecordKind::Held { agent, .. }
        | RecordKind::Resumed { agent, .. }
        | RecordKind::CallEnded { agent, .. }
        | RecordKind::WrapUpEnded { agent, .. }
        | RecordKind::AgentStateChanged { agent, .. } => Some(*agent),
        RecordKind::Transferred { from, .. } => Some(*from),
        RecordKind::ContactArrived { .. }
        | RecordKind::Overflowed { .. }
        | RecordKind::CallbackRequested { .. }
        | RecordKind::Announce { .. }
        | RecordKind::ContactFinished(_)
        | RecordKind::ConfigChanged(_)
        | RecordKind::DayStarted => None,
    }
}
