//! The server over real sockets: roles, a full contact life with the
//! agent's WebSocket, bad input, durability of acknowledged commands, and
//! the engine thread's own timers on the wall clock.

mod common;

use acd::Event;
use acd::accounting::Accounting;
use acd::model::{ContactId, Span};
use acd::model::{PhoneNumber, Priority};
use acd::record::{ContactResult, LegEnd};
use acd::{AgentState, RecordKind};
use common::*;
use hyper::{Method, StatusCode};
use kpi::Fact;
use serde_json::json;
use server::{Arrival, Core, SystemClock};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn each_role_gets_what_it_may_and_403_otherwise() {
    let h = Harness::start().await;
    let lan = h.login("lan", PASSWORD).await;
    let boss = h.login("boss", PASSWORD).await;
    let ana = h.login("ana", PASSWORD).await;

    // No token, a bad header, an unknown token: 401 with a JSON error.
    let (status, body) = h.raw(Method::GET, "/api/queues", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthorized");
    let (status, _) = h.get("/api/queues", "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // An agent: itself yes, others and supervisor views no.
    for path in ["/api/queues", "/api/agents", "/api/agents/8", "/api/stream"] {
        let (status, body) = h.get(path, &lan).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"], "forbidden");
    }
    let (status, _) = h.get("/api/agents/8/stream", &lan).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        h.post("/api/agents/8/login", &lan, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let contact = json!({ "queue": 1, "dnis": "1900" });
    assert_eq!(
        h.post("/api/contacts", &lan, contact.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let user = json!({ "name": "x", "password": "long enough", "role": "admin" });
    assert_eq!(
        h.post("/api/users", &lan, user.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.post("/api/agents/7/login", &lan, json!({})).await.0,
        StatusCode::OK
    );
    let (status, me) = h.get("/api/agents/7", &lan).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["state"], json!({ "not_ready": "login" }));

    // A supervisor: live views, contacts, forcing an agent; not users.
    assert_eq!(h.get("/api/queues", &boss).await.0, StatusCode::OK);
    assert_eq!(h.get("/api/agents", &boss).await.0, StatusCode::OK);
    assert_eq!(
        h.post("/api/agents/8/login", &boss, json!({})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        h.post("/api/contacts", &boss, contact).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        h.post("/api/users", &boss, user.clone()).await.0,
        StatusCode::FORBIDDEN
    );

    // An analyst: no live endpoint, no agent action.
    assert_eq!(h.get("/api/queues", &ana).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        h.post("/api/agents/7/ready", &ana, json!({})).await.0,
        StatusCode::FORBIDDEN
    );

    // An admin creates users, once each; an agent user needs a known agent.
    assert_eq!(
        h.post("/api/users", &h.admin, user.clone()).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        h.post("/api/users", &h.admin, user).await.0,
        StatusCode::CONFLICT
    );
    let ghost = json!({ "name": "g", "password": "long enough", "role": "agent", "agent": 99 });
    assert_eq!(
        h.post("/api/users", &h.admin, ghost).await.0,
        StatusCode::NOT_FOUND
    );
    let short = json!({ "name": "s", "password": "short", "role": "analyst" });
    assert_eq!(
        h.post("/api/users", &h.admin, short).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Tokens expire.
    h.advance(9 * 3600);
    assert_eq!(
        h.get("/api/agents/7", &lan).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn wrong_passwords_are_rate_limited() {
    let h = Harness::start().await;
    let wrong = json!({ "user": "lan", "password": "guess" }).to_string();
    for _ in 0..5 {
        let (status, body) = h
            .raw(Method::POST, "/api/login", None, Some(wrong.clone()))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    // Even the right password waits out the window.
    let right = json!({ "user": "lan", "password": PASSWORD }).to_string();
    let (status, body) = h
        .raw(Method::POST, "/api/login", None, Some(right.clone()))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"], "too_many_requests");
    // Other users are not locked out.
    h.login("minh", PASSWORD).await;
    h.advance(61);
    h.login("lan", PASSWORD).await;
    // An unknown user is told the same as a wrong password.
    let ghost = json!({ "user": "ghost", "password": "x" }).to_string();
    let (status, _) = h.raw(Method::POST, "/api/login", None, Some(ghost)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn a_contact_lives_from_arrival_to_wrap_up_over_http_and_the_socket(backend: Backend) {
    let h = Harness::start_on(backend).await;
    let lan = h.login("lan", PASSWORD).await;
    let mut socket = h.socket("/api/agents/7/stream", &lan).await;

    assert_eq!(
        h.post("/api/agents/7/login", &lan, json!({})).await.0,
        StatusCode::OK
    );
    h.advance(10);
    assert_eq!(
        h.post("/api/agents/7/ready", &lan, json!({})).await.0,
        StatusCode::OK
    );
    h.advance(20);
    let arrival = json!({
        "queue": 1, "dnis": "1900", "ani": "+84901234567", "priority": 2,
        "attributes": { "language": "vi" }
    });
    let (status, answer) = h.post("/api/contacts", &h.admin, arrival).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let contact = answer["contact"].as_u64().unwrap();

    let offer = socket.next_of("offered").await;
    assert_eq!(offer["kind"]["offered"]["contact"], contact);
    assert_eq!(offer["kind"]["offered"]["agent"], 7);

    let on_contact = json!({ "contact": contact });
    h.advance(3);
    for (action, secs) in [("accept", 60), ("hold", 30), ("resume", 90), ("end", 0)] {
        let (status, body) = h
            .post(&format!("/api/agents/7/{action}"), &lan, on_contact.clone())
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        h.advance(secs);
    }
    socket.next_of("connected").await;
    socket.next_of("held").await;
    socket.next_of("resumed").await;
    socket.next_of("call_ended").await;

    // The supervisor sees the wrap-up and how long it has lasted.
    h.advance(15);
    let (_, agents) = h.get("/api/agents", &h.admin).await;
    let me = &agents.as_array().unwrap()[0];
    assert_eq!(me["state"], "wrap_up");
    assert_eq!(me["time_in_state"], 15_000);
    assert_eq!(me["contacts"], json!([contact]));

    let wrap =
        json!({ "contact": contact, "outcome": "sale", "reason": "billing", "notes": "paid" });
    let (status, body) = h.post("/api/agents/7/wrap-up", &lan, wrap).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    socket.next_of("wrap_up_ended").await;

    // The store holds the finished contact with its leg...
    let store = h.store();
    let record = store
        .contact(ContactId(contact))
        .unwrap()
        .expect("finished");
    assert_eq!(record.result, ContactResult::Handled);
    assert_eq!(record.attributes, vec![(code("language"), code("vi"))]);
    let [leg] = record.legs.as_slice() else {
        panic!("one leg: {:?}", record.legs)
    };
    assert_eq!(leg.agent, Some(LAN));
    assert_eq!(leg.end, Some(LegEnd::Handled));
    assert_eq!(leg.answered.unwrap().since(leg.queued), Span::from_secs(3));
    assert_eq!(leg.holds.len(), 1);
    assert_eq!(
        leg.holds[0].end.since(leg.holds[0].start),
        Span::from_secs(30)
    );
    assert_eq!(leg.outcome, Some(code("sale")));
    assert_eq!(leg.reason, Some(code("billing")));
    assert_eq!(leg.notes, "paid");

    // ...and the agent's states, whose time adds up.
    let mut accounting = Accounting::default();
    for entry in store.read_log(0, 1000).unwrap() {
        if let Fact::Routing(record) = &entry.fact {
            accounting.apply(record);
        }
    }
    let now = START + Span::from_secs(10 + 20 + 3 + 60 + 30 + 90 + 15);
    let time = &accounting.totals_at(now)[&LAN];
    let secs = |state: AgentState| time.by_state.get(&state).map(|s| s.as_millis() / 1000);
    assert_eq!(secs(AgentState::NotReady(code("login"))), Some(10));
    assert_eq!(secs(AgentState::Ready), Some(20));
    assert_eq!(secs(AgentState::Reserved), Some(3));
    assert_eq!(secs(AgentState::Talking), Some(150));
    assert_eq!(secs(AgentState::OnHold), Some(30));
    assert_eq!(secs(AgentState::WrapUp), Some(15));
    assert_eq!(time.logged_in, now.since(START));
    let agents_now = store.current_agents().unwrap();
    assert_eq!(agents_now[0].state, AgentState::Ready);
}

async fn bad_input_gets_a_json_4xx_and_stores_nothing(backend: Backend) {
    let h = Harness::start_on(backend).await;
    let lan = h.login("lan", PASSWORD).await;
    h.post("/api/agents/7/login", &lan, json!({})).await;
    let store = h.store();
    let before = store.next_seq().unwrap();

    let cases: Vec<(&str, Option<String>, StatusCode, &str)> = vec![
        (
            "/api/contacts",
            Some("{\"queue\": 1, ".into()),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/api/contacts",
            Some(json!({ "queue": 1 }).to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "/api/contacts",
            Some(json!({ "queue": 1, "dnis": "not a number" }).to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "/api/contacts",
            Some(json!({ "queue": 42, "dnis": "1900" }).to_string()),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/contacts",
            Some(json!({ "queue": 1, "dnis": "1900", "notes": "x".repeat(100_000) }).to_string()),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "/api/agents/7/accept",
            Some(json!({ "contact": 5 }).to_string()),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/agents/7/wrap-up",
            Some(json!({ "contact": 5, "outcome": "sale" }).to_string()),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/agents/7/not-ready",
            Some(json!({ "reason": "nap" }).to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "/api/agents/seven/ready",
            None,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        ("/api/nowhere", None, StatusCode::NOT_FOUND, "not_found"),
    ];
    for (path, body, status, error) in cases {
        let (got, answer) = h.raw(Method::POST, path, Some(&h.admin), body).await;
        assert_eq!(got, status, "{path}: {answer}");
        assert_eq!(answer["error"], error, "{path}: {answer}");
        assert!(answer["detail"].is_string(), "{path}: {answer}");
    }
    let (status, _) = h
        .send(
            Method::POST,
            "/api/agents/7/accept",
            Some(&h.admin),
            "text/plain",
            Some("{\"contact\": 1}".into()),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, answer) = h
        .raw(Method::DELETE, "/api/queues", Some(&h.admin), None)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{answer}");
    assert_eq!(store.next_seq().unwrap(), before, "nothing stored");

    // Transitions the engine refuses: the engine's reason, 409.
    let (_, answer) = h
        .post(
            "/api/contacts",
            &h.admin,
            json!({ "queue": 1, "dnis": "1900" }),
        )
        .await;
    let contact = answer["contact"].as_u64().unwrap();
    let before = store.next_seq().unwrap();
    let on_contact = json!({ "contact": contact });
    for action in ["accept", "hold", "end"] {
        let (status, answer) = h
            .post(&format!("/api/agents/7/{action}"), &lan, on_contact.clone())
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}: {answer}");
        assert_eq!(answer["error"], "conflict");
    }
    let (status, answer) = h.post("/api/agents/7/logout", &lan, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(store.next_seq().unwrap(), before + 1, "only the logout");

    // An offer that rang out cannot be accepted.
    h.post("/api/agents/7/login", &lan, json!({})).await;
    h.post("/api/agents/7/ready", &lan, json!({})).await;
    h.advance(16);
    let (status, answer) = h.post("/api/agents/7/accept", &lan, on_contact).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let detail = answer["detail"].as_str().unwrap();
    assert!(detail.contains("cannot"), "{detail}");
    let (status, why) = h
        .get(&format!("/api/contacts/{contact}/explain"), &h.admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{why}");
    assert!(why["text"].as_str().unwrap().contains("waits"), "{why}");
}

async fn every_acknowledged_command_is_in_the_store_before_the_reply(backend: Backend) {
    let h = Harness::start_on(backend).await;
    let store = h.store();
    let check = |records: Vec<acd::Record>| {
        assert!(!records.is_empty());
        let from = log_position(&store, &records[0]);
        let log = store.read_log(from, records.len() + 1).unwrap();
        let logged: Vec<Fact> = log.into_iter().map(|e| e.fact).collect();
        let expected: Vec<Fact> = records.into_iter().map(Fact::Routing).collect();
        assert_eq!(logged, expected);
    };
    check(
        h.core
            .apply(acd::Event::AgentLoggedIn { agent: LAN })
            .await
            .unwrap(),
    );
    h.advance(1);
    check(
        h.core
            .apply(acd::Event::AgentReady { agent: LAN })
            .await
            .unwrap(),
    );
    let (contact, records) = h
        .core
        .arrive(server::Arrival {
            ani: None,
            dnis: acd::model::PhoneNumber::parse("1900").unwrap(),
            queue: QUEUE,
            priority: acd::model::Priority(0),
            attributes: vec![],
        })
        .await
        .unwrap();
    assert!(
        records
            .iter()
            .any(|r| matches!(r.kind, RecordKind::Offered { .. }))
    );
    check(records);
    // Timer records (the offer ringing out) take the same path: the next
    // command first brings the engine to the clock's time.
    h.advance(16);
    let mut records = h.core.subscribe();
    let status = h
        .core
        .read(move |engine, _| engine.agent_status(LAN))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.state, AgentState::NotReady(code("missed")));
    let rang_out = records.recv().await.unwrap();
    assert!(matches!(rang_out.kind, RecordKind::OfferEnded { .. }));
    let logged = store.read_log(log_position(&store, &rang_out), 1).unwrap();
    assert_eq!(logged[0].fact, Fact::Routing((*rang_out).clone()));
    check(
        h.core
            .apply(acd::Event::CallerHungUp { contact })
            .await
            .unwrap(),
    );
    assert_eq!(
        store.contact(contact).unwrap().unwrap().result,
        ContactResult::Abandoned
    );

    // Over HTTP: the reply comes after the append.
    let lan = h.login("lan", PASSWORD).await;
    let before = store.next_seq().unwrap();
    let (status, _) = h.post("/api/agents/7/ready", &lan, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let after = store.read_log(before, 10).unwrap();
    assert!(matches!(
        &after[..],
        [entry] if matches!(&entry.fact, Fact::Routing(r) if matches!(
            &r.kind,
            RecordKind::AgentStateChanged { to: AgentState::Ready, .. }
        ))
    ));
}

/// The engine thread wakes up on its own for the engine's timers, on the
/// wall clock, and logs what they produce before broadcasting it.
#[tokio::test]
async fn an_unanswered_offer_rings_out_without_any_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db");
    let path = path.to_str().unwrap();
    let mut config = config();
    config.queues[0].offer_timeout = Span::from_millis(200);
    let core = Core::start(config, store::open(path).unwrap(), Arc::new(SystemClock)).unwrap();
    let mut records = core.subscribe();
    core.apply(Event::AgentLoggedIn { agent: LAN })
        .await
        .unwrap();
    core.apply(Event::AgentReady { agent: LAN }).await.unwrap();
    let (contact, _) = core
        .arrive(Arrival {
            ani: None,
            dnis: PhoneNumber::parse("1900").unwrap(),
            queue: QUEUE,
            priority: Priority(0),
            attributes: vec![],
        })
        .await
        .unwrap();
    let rang_out = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let record = records.recv().await.unwrap();
            if matches!(record.kind, RecordKind::OfferEnded { .. }) {
                return record;
            }
        }
    })
    .await
    .expect("the offer rings out within 5 s");
    let store = StoreHandle::new(path);
    let logged = store.read_log(log_position(&store, &rang_out), 1).unwrap();
    assert_eq!(logged[0].fact, Fact::Routing((*rang_out).clone()));
    assert!(matches!(
        rang_out.kind,
        RecordKind::OfferEnded { contact: c, .. } if c == contact
    ));
}

/// Concurrent callers share appends (group commit); each still hears back
/// only once its own records are in the log.
async fn concurrent_commands_are_each_durable_when_acknowledged(backend: Backend) {
    let h = Harness::start_on(backend).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let core = h.core.clone();
        let store = h.store();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                let (contact, records) = core
                    .arrive(Arrival {
                        ani: None,
                        dnis: PhoneNumber::parse("1900").unwrap(),
                        queue: QUEUE,
                        priority: Priority(0),
                        attributes: vec![],
                    })
                    .await
                    .unwrap();
                logged(&store, &records);
                let records = core.apply(Event::CallerHungUp { contact }).await.unwrap();
                logged(&store, &records);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let store = h.store();
    assert_eq!(store.contacts().len(), 200);
    assert!(store.verify().unwrap().is_consistent());
}

/// Fails unless `records` are in the log.
fn logged(store: &StoreHandle, records: &[acd::Record]) {
    for record in records {
        let entry = store.read_log(log_position(store, record), 1).unwrap();
        assert_eq!(entry[0].fact, Fact::Routing(record.clone()));
    }
}

on_every_backend!(
    a_contact_lives_from_arrival_to_wrap_up_over_http_and_the_socket,
    bad_input_gets_a_json_4xx_and_stores_nothing,
    every_acknowledged_command_is_in_the_store_before_the_reply,
    concurrent_commands_are_each_durable_when_acknowledged,
);

/// A browser cannot set headers on a WebSocket: it sends its token as the
/// `bearer` subprotocol, which the server accepts and echoes.
#[tokio::test]
async fn a_browser_opens_its_socket_with_the_token_as_subprotocol() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::HeaderValue;
    let h = Harness::start().await;
    let lan = h.login("lan", PASSWORD).await;
    let open = |token: String| {
        let mut request = format!("ws://{}/api/agents/7/stream", h.addr)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_str(&format!("bearer, {token}")).unwrap(),
        );
        tokio_tungstenite::connect_async(request)
    };
    let (mut socket, response) = open(lan.clone()).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "bearer");
    let (status, _) = h.post("/api/agents/7/login", &lan, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("a record within 5 s")
        .unwrap()
        .unwrap();
    assert!(
        message.to_text().unwrap().contains("agent_state_changed"),
        "{message}"
    );
    let refused = open("0".repeat(64)).await.unwrap_err();
    assert!(refused.to_string().contains("401"), "{refused}");
}
