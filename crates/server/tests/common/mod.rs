//! A server on 127.0.0.1:0 over a temporary store (a SQLite file, or a
//! fresh database on the PostgreSQL server SWITCHBOARD_TEST_POSTGRES names,
//! which scripts/test starts), with a manual clock, and a small HTTP /
//! WebSocket client for the tests.
//!
//! The PostgreSQL client blocks on a runtime of its own, which cannot run
//! inside the tests' runtime: the store is opened, and read by
//! [`StoreHandle`], on plain threads.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use acd::config::{AgentConfig, Config, OutcomeConfig, ProfileEntry, QueueConfig, SkillConfig};
use acd::model::ContactId;
use acd::model::{AgentId, Code, Concurrency, Proficiency, QueueId, SkillId, Span, Time};
use acd::record::ContactRecord;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use server::{Auth, AuthSettings, Core, ManualClock, NewUser, Role};
use store::{AgentNow, LogEntry, QueueNow, Store, Verification};
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

/// The engine on the store at `url` with [`config`], and its users.
fn open(url: &str, clock: &Arc<ManualClock>) -> (Core, Arc<Auth>) {
    let engine_clock = clock.clone();
    let core =
        on_thread(move || Core::start(config(), store::open(url).unwrap(), engine_clock).unwrap());
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

/// Where a test's store lives.
pub struct Backend {
    pub name: &'static str,
    url: String,
    /// The server's URL and the database to drop at the end.
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

const POSTGRES_VAR: &str = "SWITCHBOARD_TEST_POSTGRES";

impl Backend {
    pub fn sqlite() -> Backend {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("log.db").to_str().unwrap().to_owned();
        Backend {
            name: "sqlite",
            url,
            postgres: None,
            _dir: dir,
        }
    }

    /// A new database named after `test` on SWITCHBOARD_TEST_POSTGRES's
    /// server; `None` (with a skip line) when the variable is unset.
    pub fn postgres(test: &str) -> Option<Backend> {
        let base = match std::env::var(POSTGRES_VAR) {
            Ok(base) if !base.is_empty() && base != "skip" => base,
            _ => {
                eprintln!(
                    "skipped: {test} on PostgreSQL ({POSTGRES_VAR} is not set; scripts/test sets it)"
                );
                return None;
            }
        };
        let name = format!("server_{test}_{}", std::process::id());
        on_thread(|| {
            let mut admin = postgres::Client::connect(&base, postgres::NoTls)
                .unwrap_or_else(|e| panic!("cannot connect to {base} ({POSTGRES_VAR}): {e}"));
            // A database left by an earlier run of the same process id.
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            admin
                .batch_execute(&drop)
                .expect("drop an old test database");
            let create = format!("CREATE DATABASE \"{name}\"");
            admin
                .batch_execute(&create)
                .expect("create a test database");
        });
        let (prefix, _) = base.rsplit_once('/').expect("a URL ending in /DATABASE");
        Some(Backend {
            name: "postgres",
            url: format!("{prefix}/{name}"),
            postgres: Some((base, name)),
            _dir: tempfile::tempdir().unwrap(),
        })
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((base, name)) = self.postgres.take() {
            on_thread(move || {
                if let Ok(mut admin) = postgres::Client::connect(&base, postgres::NoTls) {
                    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = admin.batch_execute(&drop);
                }
            });
        }
    }
}

/// Runs `work` on a thread outside any async runtime.
fn on_thread<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| scope.spawn(work).join().unwrap())
}

/// Each test below `on_every_backend!` is an async function of a
/// [`Backend`], run once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                super::$test(super::common::Backend::sqlite()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                if let Some(backend) = super::common::Backend::postgres(stringify!($test)) {
                    super::$test(backend).await;
                }
            })*
        }
    };
}

/// A second handle on the store, as another process would read it; each
/// call opens the store on a plain thread.
pub struct StoreHandle {
    url: String,
}

impl StoreHandle {
    pub fn new(url: &str) -> StoreHandle {
        StoreHandle {
            url: url.to_owned(),
        }
    }

    fn run<T: Send>(&self, read: impl FnOnce(&mut dyn Store) -> T + Send) -> T {
        let url = &self.url;
        on_thread(move || read(&mut *store::open(url).unwrap()))
    }

    pub fn contact(&self, id: ContactId) -> Result<Option<ContactRecord>, store::Error> {
        self.run(|s| s.contact(id))
    }

    pub fn read_log(&self, from: u64, limit: usize) -> Result<Vec<LogEntry>, store::Error> {
        self.run(|s| s.read_log(from, limit))
    }

    pub fn next_seq(&self) -> Result<u64, store::Error> {
        self.run(|s| s.next_seq())
    }

    pub fn current_agents(&self) -> Result<Vec<AgentNow>, store::Error> {
        self.run(|s| s.current_agents())
    }

    pub fn current_queues(&self) -> Result<Vec<QueueNow>, store::Error> {
        self.run(|s| s.current_queues())
    }

    pub fn names(&self) -> Result<Vec<kpi::Naming>, store::Error> {
        self.run(|s| s.names())
    }

    /// Every finished contact.
    pub fn contacts(&self) -> Vec<ContactRecord> {
        self.run(|s| {
            let mut all = Vec::new();
            s.for_each_contact(store::TimeRange::ALL, &mut |c| all.push(c))
                .unwrap();
            all
        })
    }

    pub fn verify(&self) -> Result<Verification, store::Error> {
        self.run(|s| s.verify())
    }
}

pub struct Harness {
    pub addr: SocketAddr,
    pub core: Core,
    pub clock: Arc<ManualClock>,
    pub admin: String,
    admin_password: String,
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<()>,
    /// Last: the store goes after the server.
    backend: Backend,
}

impl Harness {
    /// A server on SQLite with users admin, boss (supervisor), ana
    /// (analyst), lan (agent 7) and minh (agent 8).
    pub async fn start() -> Harness {
        Harness::start_on(Backend::sqlite()).await
    }

    /// The same on `backend`.
    pub async fn start_on(backend: Backend) -> Harness {
        let clock = Arc::new(ManualClock::new(START));
        let (core, auth) = open(&backend.url, &clock);
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
        Harness::serve(core, auth, clock, first, backend).await
    }

    /// Stops serving, lets the engine thread go, and starts again on the
    /// same store with the same configuration file: what a restart does.
    pub async fn restart(self) -> Harness {
        let Harness {
            core,
            clock,
            admin_password,
            stop,
            served,
            backend,
            ..
        } = self;
        let _ = stop.send(());
        served.await.unwrap();
        drop(core);
        let (core, auth) = open(&backend.url, &clock);
        assert!(
            auth.bootstrap_admin(false).await.unwrap().is_none(),
            "the users are in the log"
        );
        Harness::serve(core, auth, clock, admin_password, backend).await
    }

    async fn serve(
        core: Core,
        auth: Arc<Auth>,
        clock: Arc<ManualClock>,
        admin_password: String,
        backend: Backend,
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
            url: backend.url.clone(),
            stop,
            served,
            backend,
        };
        harness.admin = harness
            .login("admin", &harness.admin_password.clone())
            .await;
        harness
    }

    /// A second handle on the store, as another process would read it.
    pub fn store(&self) -> StoreHandle {
        StoreHandle {
            url: self.url.clone(),
        }
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
pub fn log_position(store: &StoreHandle, record: &acd::Record) -> u64 {
    store
        .read_log(0, usize::MAX)
        .unwrap()
        .into_iter()
        .find(|entry| matches!(&entry.fact, kpi::Fact::Routing(r) if r.seq == record.seq))
        .unwrap_or_else(|| panic!("record {} is not in the log", record.seq))
        .seq
}
