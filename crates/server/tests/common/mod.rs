//! A server on 127.0.0.1:0 over a temporary SQLite store, with a manual
//! clock, and a small HTTP / WebSocket client for the tests.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use acd::config::{AgentConfig, Config, OutcomeConfig, ProfileEntry, QueueConfig, SkillConfig};
use acd::model::{AgentId, Code, Concurrency, Proficiency, QueueId, SkillId, Span, Time};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use server::{Auth, AuthSettings, Core, ManualClock, NewUser, Role};
use store::Store;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite};

/// 2026-01-05 09:00 UTC: a working day, so times look like a real log.
pub const START: Time = Time::from_millis(1_767_603_600_000);

pub const QUEUE: QueueId = QueueId(1);
pub const LAN: AgentId = AgentId(7);
pub const MINH: AgentId = AgentId(8);
pub const PASSWORD: &str = "correct horse battery";

pub fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

/// One queue, two agents, manual wrap-up, 15-second offers.
pub fn config() -> Config {
    let level = Proficiency::new(5).unwrap();
    let agent = |id, name: &str| AgentConfig {
        id,
        name: name.into(),
        skills: vec![(SkillId(1), level)],
        profile: vec![ProfileEntry {
            queue: QUEUE,
            priority: 1,
        }],
        concurrency: Concurrency::ONE,
    };
    Config {
        skills: vec![SkillConfig {
            id: SkillId(1),
            name: "billing".into(),
        }],
        queues: vec![QueueConfig::new(QUEUE, "Billing", SkillId(1), level)],
        agents: vec![agent(LAN, "Lan"), agent(MINH, "Minh")],
        reason_codes: vec![code("login"), code("missed"), code("lunch")],
        outcome_codes: vec![OutcomeConfig {
            code: code("sale"),
            success: true,
        }],
        login_reason: code("login"),
        missed_offer_reason: code("missed"),
    }
}

/// The engine on the store at `path` with [`config`], and its users.
fn open(path: &str, clock: &Arc<ManualClock>) -> (Core, Arc<Auth>) {
    let core = Core::start(config(), store::open(path).unwrap(), clock.clone()).unwrap();
    let auth = Arc::new(cheap_auth(clock.clone(), core.clone()));
    (core, auth)
}

/// Cheap hashes: the tests check the logic, not argon2's cost.
pub fn cheap_auth(clock: Arc<ManualClock>, core: Core) -> Auth {
    let settings = AuthSettings {
        argon2: argon2::Params::new(64, 1, 1, None).unwrap(),
        ..AuthSettings::default()
    };
    Auth::new(settings, clock, core).unwrap()
}

pub struct Harness {
    pub addr: SocketAddr,
    pub core: Core,
    pub clock: Arc<ManualClock>,
    pub admin: String,
    admin_password: String,
    path: String,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<()>,
    _dir: Arc<tempfile::TempDir>,
}

impl Harness {
    /// A server with users admin, boss (supervisor), ana (analyst), lan
    /// (agent 7) and minh (agent 8).
    pub async fn start() -> Harness {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let path = dir.path().join("log.db").to_str().unwrap().to_owned();
        let clock = Arc::new(ManualClock::new(START));
        let (core, auth) = open(&path, &clock);
        let first = auth
            .bootstrap_admin(false)
            .await
            .unwrap()
            .expect("a first admin");
        assert!(
            auth.bootstrap_admin(false).await.unwrap().is_none(),
            "only once"
        );
        for (name, role, agent) in [
            ("boss", Role::Supervisor, None),
            ("ana", Role::Analyst, None),
            ("lan", Role::Agent, Some(LAN)),
            ("minh", Role::Agent, Some(MINH)),
        ] {
            let user = NewUser {
                name: name.into(),
                password: PASSWORD.into(),
                role,
                agent,
            };
            auth.create_user("admin", user).await.unwrap();
        }
        Harness::serve(core, auth, clock, first, path, dir).await
    }

    /// Stops serving, lets the engine thread go, and starts again on the
    /// same store with the same configuration file: what a restart does.
    pub async fn restart(self) -> Harness {
        let Harness {
            core,
            clock,
            admin_password,
            path,
            stop,
            served,
            _dir,
            ..
        } = self;
        let _ = stop.send(());
        served.await.unwrap();
        drop(core);
        let (core, auth) = open(&path, &clock);
        assert!(
            auth.bootstrap_admin(false).await.unwrap().is_none(),
            "the users are in the log"
        );
        Harness::serve(core, auth, clock, admin_password, path, _dir).await
    }

    async fn serve(
        core: Core,
        auth: Arc<Auth>,
        clock: Arc<ManualClock>,
        admin_password: String,
        path: String,
        dir: Arc<tempfile::TempDir>,
    ) -> Harness {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = server::router(core.clone(), auth);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        let mut harness = Harness {
            addr,
            core,
            clock,
            admin: String::new(),
            admin_password,
            path,
            stop,
            served,
            _dir: dir,
        };
        harness.admin = harness
            .login("admin", &harness.admin_password.clone())
            .await;
        harness
    }

    /// A second handle on the store file, as another process would read it.
    pub fn store(&self) -> Box<dyn Store> {
        store::open(&self.path).unwrap()
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Span::from_secs(secs));
    }

    pub async fn login(&self, user: &str, password: &str) -> String {
        let body = serde_json::json!({ "user": user, "password": password }).to_string();
        let (status, answer) = self.raw(Method::POST, "/api/login", None, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.raw(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.raw(Method::POST, path, Some(token), Some(body.to_string()))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.raw(Method::PUT, path, Some(token), Some(body.to_string()))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.raw(Method::DELETE, path, Some(token), None).await
    }

    /// Sends one request on a fresh connection; the answer must be JSON.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        let (status, text) = self
            .send(method, path, token, "application/json", body)
            .await;
        let value = serde_json::from_slice(&text)
            .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(&text)));
        (status, value)
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Option<String>,
    ) -> (StatusCode, Bytes) {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string());
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("content-type", content_type);
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, bytes)
    }

    pub async fn socket(&self, path: &str, token: &str) -> Socket {
        let mut request = format!("ws://{}{path}", self.addr)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        Socket(socket)
    }
}

pub struct Socket(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Socket {
    /// The next record whose kind is `kind` (the key of its JSON form),
    /// skipping others; fails after 5 s.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        let wait = async {
            loop {
                let message = self.0.next().await.expect("socket open").unwrap();
                let tungstenite::Message::Text(text) = message else {
                    continue;
                };
                let value: Value = serde_json::from_str(&text).unwrap();
                let found = match &value["kind"] {
                    Value::Object(map) => map.contains_key(kind),
                    Value::String(name) => name == kind,
                    _ => false,
                };
                if found {
                    return value;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .unwrap_or_else(|_| panic!("no {kind} record within 5 s"))
    }
}

/// Where the engine's `record` is in the log: engine numbers and log
/// positions differ, as users, names and other facts share the log. In a
/// store of one run, the engine's numbers are unique. Panics if it is not
/// there.
pub fn log_position(store: &dyn Store, record: &acd::Record) -> u64 {
    store
        .read_log(0, usize::MAX)
        .unwrap()
        .into_iter()
        .find(|entry| matches!(&entry.fact, kpi::Fact::Routing(r) if r.seq == record.seq))
        .unwrap_or_else(|| panic!("record {} is not in the log", record.seq))
        .seq
}
