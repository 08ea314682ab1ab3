//! The WebSockets: an agent's own records (offers, its state changes, its
//! calls) and, for supervisors, every record.
//!
//! Key items: the handlers `agent` and `all`, and `concerns` (which agent a
//! record is about). Each socket subscribes before the upgrade, so no
//! record between the handshake and the first read is missed. Messages are
//! the records as JSON; a socket that falls more than the broadcast's
//! capacity behind gets `{"error": "lagged", "detail": ...}` and should
//! read the state again over HTTP. The token comes in the `Authorization`
//! header or, from a browser, as the `bearer` subprotocol
//! ([`TOKEN_PROTOCOL`]).

use std::sync::Arc;

use acd::model::AgentId;
use acd::{Record, RecordKind};
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::json;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::http::{ApiError, AppState, Caller, Param, TOKEN_PROTOCOL, known_agent};

pub(crate) async fn agent(
    State(state): State<AppState>,
    caller: Caller,
    Param(agent): Param<AgentId>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    caller.act_as(agent)?;
    known_agent(&state.core, agent)?;
    let upgrade = upgrade
        .map_err(|r| ApiError::bad_request(r.status(), r.body_text()))?
        .protocols([TOKEN_PROTOCOL]);
    let records = state.core.subscribe();
    Ok(upgrade.on_upgrade(move |socket| forward(socket, records, Some(agent))))
}

pub(crate) async fn all(
    State(state): State<AppState>,
    caller: Caller,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    caller.require(&[crate::Role::Admin, crate::Role::Supervisor])?;
    let upgrade = upgrade
        .map_err(|r| ApiError::bad_request(r.status(), r.body_text()))?
        .protocols([TOKEN_PROTOCOL]);
    let records = state.core.subscribe();
    Ok(upgrade.on_upgrade(move |socket| forward(socket, records, None)))
}

/// Sends the records (those about `agent`, if given) until either side
/// closes.
async fn forward(
    mut socket: WebSocket,
    mut records: broadcast::Receiver<Arc<Record>>,
    agent: Option<AgentId>,
) {
    loop {
        let text = tokio::select! {
            received = records.recv() => match received {
                Ok(record) => {
                    if agent.is_some_and(|a| concerns(&record.kind) != Some(a)) {
                        continue;
                    }
                    match serde_json::to_string(&*record) {
                        Ok(text) => text,
                        Err(_) => continue,
                    }
                }
                Err(RecvError::Lagged(missed)) => json!({
                    "error": "lagged",
                    "detail": format!("{missed} records were missed; read the state again"),
                })
                .to_string(),
                Err(RecvError::Closed) => return,
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
