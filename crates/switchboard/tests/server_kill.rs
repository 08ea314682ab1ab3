//! Durability of the running server (issue 6): start the real
//! `switchboard serve`, drive load over HTTP from several threads, SIGKILL
//! it mid-load, restart it on the same store and check that
//!
//! * every command acknowledged with a 2xx is in the log (contact arrivals,
//!   accepts, call ends, wrap-ups), before and after the restart;
//! * the projections equal a rebuild from the log (`Store::verify`);
//! * the contacts in progress at the kill are finished by the restart as
//!   `Interrupted` (none lost, none still open), and the queue report
//!   counts none of them as answered;
//! * the restarted server takes new contacts through a full life.
//!
//! Runs on SQLite, and on PostgreSQL when `SWITCHBOARD_TEST_POSTGRES`
//! names a server (scripts/test sets it); each run gets a fresh database.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use acd::model::{AgentId, Code, ContactId};
use acd::record::{ContactResult, LegEnd, OpenContacts};
use acd::{AgentState, Record, RecordKind};
use kpi::{Bucketing, Count, Disposition, Fact, Interval, QueueAggregator, QueueOptions};
use serde_json::{Value, json};
use store::{Store, TimeRange};

const POSTGRES_VAR: &str = "SWITCHBOARD_TEST_POSTGRES";

/// Agents 1..=AGENTS serve both queues.
const AGENTS: u32 = 6;
/// Threads submitting contacts.
const SUBMITTERS: usize = 3;
/// Acknowledged commands after which the server is killed.
const KILL_AFTER: usize = 600;
/// Give up waiting for that many after this long.
const LOAD_LIMIT: Duration = Duration::from_secs(15);

/// Two queues on one skill, manual wrap-up, offers that never ring out
/// during the test (so only the test's commands finish contacts).
fn center_toml() -> String {
    let mut text = String::from(
        r#"
[server]
time_zone = "UTC"
wallboard_token = "kill-test-wallboard-token"

[routing]
login_reason = "login"
missed_offer_reason = "missed"
reason_codes = ["login", "missed"]

[[routing.outcome_codes]]
code = "resolved"
success = true

[[routing.skills]]
id = 1
name = "general"
"#,
    );
    for queue in 1..=2 {
        text.push_str(&format!(
            r#"
[[routing.queues]]
id = {queue}
name = "Queue {queue}"
requirements = [{{ skill = 1, min_level = 1 }}]
service_level_threshold = 20000
service_level_target = 80
offer_timeout = 600000
expected_handle_time = 60000
"#
        ));
    }
    for agent in 1..=AGENTS {
        text.push_str(&format!(
            r#"
[[routing.agents]]
id = {agent}
name = "Agent {agent}"
skills = [[1, 5]]
profile = [{{ queue = 1, priority = 1 }}, {{ queue = 2, priority = 1 }}]
"#
        ));
    }
    text
}

// ----- store locations ------------------------------------------------------

/// A fresh store location; a PostgreSQL database is dropped on drop.
struct Backend {
    name: &'static str,
    url: String,
    postgres: Option<(String, String)>,
}

impl Backend {
    fn sqlite(dir: &std::path::Path) -> Backend {
        Backend {
            name: "sqlite",
            url: dir.join("store.db").display().to_string(),
            postgres: None,
        }
    }

    /// A new database on SWITCHBOARD_TEST_POSTGRES's server, or `None`
    /// (with a skip line) when it is unset or `skip`.
    fn postgres() -> Option<Backend> {
        let base = match std::env::var(POSTGRES_VAR) {
            Ok(base) if base != "skip" && !base.is_empty() => base,
            _ => {
                eprintln!(
                    "skipped: server_kill on PostgreSQL ({POSTGRES_VAR} is not set; scripts/test sets it)"
                );
                return None;
            }
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "server_kill_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = postgres::Client::connect(&base, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to {base} ({POSTGRES_VAR}): {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("create a test database");
        let (prefix, _) = base.rsplit_once('/').expect("a URL ending in /DATABASE");
        Some(Backend {
            name: "postgres",
            url: format!("{prefix}/{name}"),
            postgres: Some((base, name)),
        })
    }

    fn open(&self) -> Box<dyn Store> {
        store::open(&self.url).unwrap_or_else(|e| panic!("open {}: {e}", self.url))
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.postgres
            && let Ok(mut admin) = postgres::Client::connect(base, postgres::NoTls)
        {
            let _ =
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

// ----- the server process ---------------------------------------------------

/// A running `switchboard serve`.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// The admin's password, printed at the first start only.
    password: Option<String>,
}

impl Server {
    /// Starts `serve` on a free port and reads the bound address and, at
    /// the first start, the admin's password from its standard output.
    fn start(config: &std::path::Path, url: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["serve", "--config"])
            .arg(config)
            .args(["--listen", "127.0.0.1:0", "--database", url])
            .env_remove("SWITCHBOARD_CONFIG")
            .env_remove("SWITCHBOARD_LISTEN")
            .env_remove("SWITCHBOARD_DATABASE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("switchboard serve starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut addr = None;
        let mut password = None;
        let mut login = false;
        while addr.is_none() || !login {
            let Some(Ok(line)) = lines.next() else {
                let status = child.wait().unwrap();
                panic!("switchboard serve ended before printing its URL and password: {status}");
            };
            if let Some(rest) = line.split("serving on http://").nth(1) {
                let text = rest.split_whitespace().next().unwrap();
                addr = Some(text.parse::<SocketAddr>().expect("a socket address"));
            }
            if let Some(rest) = line.split("with password ").nth(1) {
                password = Some(rest.split_whitespace().next().unwrap().to_owned());
            }
            login |= line.contains("log in as admin");
        }
        // Keep draining, so the server never blocks on a full pipe.
        thread::spawn(move || for _ in lines {});
        Server {
            child,
            addr: addr.unwrap(),
            password,
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reap.
    fn kill(mut self) {
        self.child.kill().expect("kill the server");
        self.child.wait().expect("reap the server");
    }

    fn client(&self) -> Client {
        Client {
            addr: self.addr,
            token: None,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ----- a small blocking HTTP/1.1 client -------------------------------------

#[derive(Clone)]
struct Client {
    addr: SocketAddr,
    token: Option<String>,
}

impl Client {
    /// One request on a fresh connection. `Err` when the connection failed
    /// or broke before a whole answer came (the server died): the command's
    /// fate is unknown, so it is not recorded as acknowledged.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> std::io::Result<(u16, Value)> {
        let mut stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))?;
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        if let Some(token) = &self.token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        parse_response(&raw).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("incomplete answer: {:?}", String::from_utf8_lossy(&raw)),
            )
        })
    }

    fn post(&self, path: &str, body: Value) -> std::io::Result<(u16, Value)> {
        self.call("POST", path, Some(body))
    }

    fn get(&self, path: &str) -> std::io::Result<(u16, Value)> {
        self.call("GET", path, None)
    }

    /// A POST that must succeed.
    fn must(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.post(path, body).expect("the server answers");
        assert!((200..300).contains(&status), "{path}: {status} {answer}");
        answer
    }

    fn login(&mut self, user: &str, password: &str) {
        let answer = self.must("/api/login", json!({ "user": user, "password": password }));
        self.token = Some(answer["token"].as_str().expect("a token").to_owned());
    }
}

/// Status and JSON body of a complete HTTP/1.1 answer (Content-Length or
/// chunked); `None` if it is cut short.
fn parse_response(raw: &[u8]) -> Option<(u16, Value)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut rest = &raw[split + 4..];
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        let mut body = Vec::new();
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..end]).ok()?.trim(), 16).ok()?;
            rest = &rest[end + 2..];
            if size == 0 {
                break body;
            }
            body.extend_from_slice(rest.get(..size)?);
            rest = rest.get(size + 2..)?;
        }
    } else {
        let length: usize = header("content-length")?.parse().ok()?;
        rest.get(..length)?.to_vec()
    };
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).ok()?
    };
    Some((status, value))
}

// ----- load -----------------------------------------------------------------

/// Every command the server acknowledged with a 2xx.
#[derive(Default)]
struct Acked {
    /// Contact → queue.
    submitted: BTreeMap<u64, u32>,
    accepted: BTreeSet<(u64, u32)>,
    ended: BTreeSet<(u64, u32)>,
    /// Wrap-ups sent (acknowledged or not): the only way a contact can be
    /// handled in this test.
    wrap_sent: BTreeSet<u64>,
    wrapped: BTreeSet<(u64, u32)>,
    /// Agents logged in and ready.
    ready: BTreeSet<u32>,
}

struct Load {
    acked: Mutex<Acked>,
    count: AtomicUsize,
    stop: AtomicBool,
}

impl Load {
    fn ack(&self, f: impl FnOnce(&mut Acked)) {
        f(&mut self.acked.lock().unwrap());
        self.count.fetch_add(1, Ordering::SeqCst);
    }
}

fn ok(answer: &std::io::Result<(u16, Value)>) -> bool {
    matches!(answer, Ok((status, _)) if (200..300).contains(status))
}

/// Submits contacts until stopped or the server dies.
fn submitter(client: Client, load: Arc<Load>, index: usize) {
    let mut n = 0u64;
    while !load.stop.load(Ordering::SeqCst) {
        n += 1;
        let queue = 1 + (n as u32 + index as u32) % 2;
        let body = json!({ "queue": queue, "dnis": "4008001000", "ani": format!("1380000{index}{:04}", n % 10_000) });
        match client.post("/api/contacts", body) {
            Ok((201, answer)) => {
                let id = answer["contact"].as_u64().expect("a numeric contact id");
                load.ack(|a| {
                    a.submitted.insert(id, queue);
                });
            }
            Ok((status, answer)) => panic!("submit refused: {status} {answer}"),
            Err(_) => return,
        }
        thread::sleep(Duration::from_millis(4));
    }
}

/// Plays one agent: takes whatever it holds through accept, end and
/// wrap-up, with short pauses so the kill finds contacts in every state.
fn agent(client: Client, load: Arc<Load>, agent: u32) {
    let base = format!("/api/agents/{agent}");
    let mut step = 0u64;
    while !load.stop.load(Ordering::SeqCst) {
        let Ok((200, view)) = client.get(&base) else {
            return;
        };
        let Some(contact) = view["contacts"]
            .as_array()
            .and_then(|c| c.first())
            .and_then(Value::as_u64)
        else {
            thread::sleep(Duration::from_millis(3));
            continue;
        };
        for action in ["accept", "end", "wrap-up"] {
            step += 1;
            thread::sleep(Duration::from_millis(2 + (step * 7 + agent as u64) % 11));
            let body = if action == "wrap-up" {
                load.acked.lock().unwrap().wrap_sent.insert(contact);
                json!({ "contact": contact, "outcome": "resolved", "notes": "kill test" })
            } else {
                json!({ "contact": contact })
            };
            let answer = client.post(&format!("{base}/{action}"), body);
            if answer.is_err() {
                return;
            }
            if ok(&answer) {
                load.ack(|a| {
                    let set = match action {
                        "accept" => &mut a.accepted,
                        "end" => &mut a.ended,
                        _ => &mut a.wrapped,
                    };
                    set.insert((contact, agent));
                });
            }
            // A 409 (e.g. accepting an already connected contact after a
            // lost answer) is not acknowledged; carry on with the next step.
        }
    }
}

// ----- the log --------------------------------------------------------------

fn read_all(store: &dyn Store) -> Vec<Fact> {
    let mut facts = Vec::new();
    loop {
        let batch = store.read_log(facts.len() as u64, 10_000).unwrap();
        if batch.is_empty() {
            return facts;
        }
        for entry in batch {
            assert_eq!(entry.seq, facts.len() as u64, "log without gaps");
            facts.push(entry.fact);
        }
    }
}

fn routing(facts: &[Fact]) -> impl Iterator<Item = &Record> {
    facts.iter().filter_map(|f| match f {
        Fact::Routing(record) => Some(record),
        _ => None,
    })
}

/// Checks every acknowledged command has its record in `facts`.
fn assert_acked_in_log(facts: &[Fact], acked: &Acked, when: &str) {
    let mut arrived = BTreeMap::new();
    let mut connected = BTreeSet::new();
    let mut ended = BTreeSet::new();
    let mut wrapped = BTreeSet::new();
    for record in routing(facts) {
        match &record.kind {
            RecordKind::ContactArrived { contact, queue, .. } => {
                arrived.insert(contact.0, queue.0);
            }
            RecordKind::Connected { contact, agent } => {
                connected.insert((contact.0, agent.0));
            }
            RecordKind::CallEnded { contact, agent, .. } => {
                ended.insert((contact.0, agent.0));
            }
            RecordKind::WrapUpEnded { contact, agent, .. } => {
                wrapped.insert((contact.0, agent.0));
            }
            _ => {}
        }
    }
    for (contact, queue) in &acked.submitted {
        assert_eq!(
            arrived.get(contact),
            Some(queue),
            "{when}: acknowledged contact {contact} has no arrival in queue {queue} in the log"
        );
    }
    for (what, acks, logged) in [
        ("accept", &acked.accepted, &connected),
        ("end", &acked.ended, &ended),
        ("wrap-up", &acked.wrapped, &wrapped),
    ] {
        let missing: Vec<_> = acks.difference(logged).collect();
        assert!(
            missing.is_empty(),
            "{when}: acknowledged {what}s missing from the log (contact, agent): {missing:?}"
        );
    }
}

// ----- the test -------------------------------------------------------------

fn kill_and_restart(backend: &Backend, dir: &std::path::Path) {
    let started = Instant::now();
    let config = dir.join("center.toml");
    std::fs::write(&config, center_toml()).unwrap();
    let tag = backend.name;

    // 1. Serve, log agents in, drive load, kill -9 mid-load.
    let server = Server::start(&config, &backend.url);
    let password = server.password.clone().expect("a first start prints it");
    let mut admin = server.client();
    admin.login("admin", &password);
    let load = Arc::new(Load {
        acked: Mutex::new(Acked::default()),
        count: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
    });
    for agent in 1..=AGENTS {
        admin.must(&format!("/api/agents/{agent}/login"), json!({}));
        admin.must(&format!("/api/agents/{agent}/ready"), json!({}));
        load.ack(|a| {
            a.ready.insert(agent);
        });
    }
    let mut threads = Vec::new();
    for index in 0..SUBMITTERS {
        let (client, load) = (admin.clone(), load.clone());
        threads.push(thread::spawn(move || submitter(client, load, index)));
    }
    for id in 1..=AGENTS {
        let (client, load) = (admin.clone(), load.clone());
        threads.push(thread::spawn(move || agent(client, load, id)));
    }
    let load_start = Instant::now();
    while load.count.load(Ordering::SeqCst) < KILL_AFTER && load_start.elapsed() < LOAD_LIMIT {
        assert!(
            threads.iter().all(|t| !t.is_finished()),
            "a load thread stopped before the kill"
        );
        thread::sleep(Duration::from_millis(5));
    }
    let at_kill = load.count.load(Ordering::SeqCst);
    assert!(
        at_kill >= KILL_AFTER,
        "{tag}: only {at_kill} commands acknowledged in {LOAD_LIMIT:?}"
    );
    server.kill();
    let load_time = load_start.elapsed();
    load.stop.store(true, Ordering::SeqCst);
    for thread in threads {
        thread.join().expect("a load thread panicked");
    }
    let acked = std::mem::take(&mut *load.acked.lock().unwrap());
    let total = load.count.load(Ordering::SeqCst);
    assert!(
        !acked.wrapped.is_empty() && !acked.accepted.is_empty(),
        "{tag}: the load handled no contact"
    );

    // 2. The log as the kill left it: every acknowledged command is there;
    // note what was in progress.
    let (in_progress, talked, kill_log_len, last_time) = {
        let store = backend.open();
        let facts = read_all(store.as_ref());
        assert_acked_in_log(&facts, &acked, "after the kill");
        let mut finished = BTreeSet::new();
        let mut talked = BTreeSet::new();
        for record in routing(&facts) {
            match &record.kind {
                RecordKind::ContactFinished(contact) => {
                    finished.insert(contact.id.0);
                }
                RecordKind::CallEnded { contact, .. } => {
                    talked.insert(contact.0);
                }
                _ => {}
            }
        }
        let arrived: BTreeSet<u64> = routing(&facts)
            .filter_map(|r| match &r.kind {
                RecordKind::ContactArrived { contact, .. } => Some(contact.0),
                _ => None,
            })
            .collect();
        let in_progress: BTreeSet<u64> = arrived.difference(&finished).copied().collect();
        let last_time = facts.iter().map(Fact::at).max().expect("a log");
        // In wrap-up at the kill: the conversation's answer and end are
        // known facts, only the wrap-up is cut at the restart.
        let talked: BTreeSet<u64> = talked.intersection(&in_progress).copied().collect();
        (in_progress, talked, facts.len(), last_time)
    };
    assert!(
        !in_progress.is_empty(),
        "{tag}: nothing was in progress at the kill"
    );

    // 3. Restart on the same store: recovery closes what was open; the
    // server takes a new contact through a whole life. The users survived
    // the kill: the first start's password still logs in.
    let server = Server::start(&config, &backend.url);
    assert_eq!(server.password, None, "{tag}: no new password at a restart");
    let mut admin = server.client();
    admin.login("admin", &password);
    let (status, agents) = admin.get("/api/agents").unwrap();
    assert_eq!(status, 200, "{agents}");
    for view in agents.as_array().unwrap() {
        assert_eq!(
            view["state"],
            serde_json::to_value(AgentState::LoggedOut).unwrap(),
            "after the restart every agent is logged out: {view}"
        );
    }
    let (status, queues) = admin.get("/api/queues").unwrap();
    assert_eq!(status, 200, "{queues}");
    for view in queues.as_array().unwrap() {
        assert_eq!(
            view["waiting"], 0,
            "no contact survives the restart: {view}"
        );
    }
    let fresh = admin.must(
        "/api/contacts",
        json!({ "queue": 1, "dnis": "4008001000", "ani": "13900000000" }),
    )["contact"]
        .as_u64()
        .unwrap();
    let highest = acked.submitted.keys().max().copied().unwrap();
    assert!(fresh > highest, "new contact {fresh} after old {highest}");
    admin.must("/api/agents/1/login", json!({}));
    admin.must("/api/agents/1/ready", json!({}));
    let waited = Instant::now();
    loop {
        let (_, view) = admin.get("/api/agents/1").unwrap();
        if view["contacts"] == json!([fresh]) {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(5),
            "the new contact is never offered: {view}"
        );
        thread::sleep(Duration::from_millis(5));
    }
    admin.must("/api/agents/1/accept", json!({ "contact": fresh }));
    admin.must("/api/agents/1/end", json!({ "contact": fresh }));
    admin.must(
        "/api/agents/1/wrap-up",
        json!({ "contact": fresh, "outcome": "resolved" }),
    );
    admin.must("/api/agents/1/logout", json!({}));
    // Quiescent: nothing open, so this kill leaves nothing to recover.
    server.kill();

    // 4. The store after the restart.
    let mut store = backend.open();
    let verification = store.verify().unwrap();
    assert!(
        verification.is_consistent(),
        "{tag}: projections differ from the log: {:?}",
        verification.mismatches
    );
    let facts = read_all(store.as_ref());
    assert_eq!(verification.facts, facts.len() as u64);
    assert!(facts.len() > kill_log_len);
    assert_acked_in_log(&facts, &acked, "after the restart");
    let mut open = OpenContacts::new();
    for record in routing(&facts) {
        open.apply(record);
    }
    assert!(open.is_empty(), "{tag}: contacts left open after recovery");

    // Every acknowledged contact is finished: handled only if its wrap-up
    // was sent, interrupted otherwise; in progress at the kill ⇔ interrupted.
    let mut interrupted = BTreeSet::new();
    let mut handled = BTreeSet::new();
    let all_contacts: BTreeSet<u64> = acked
        .submitted
        .keys()
        .copied()
        .chain(in_progress.iter().copied())
        .collect();
    for &id in &all_contacts {
        let record = store
            .contact(ContactId(id))
            .unwrap()
            .unwrap_or_else(|| panic!("{tag}: contact {id} is lost: not finished in the store"));
        match record.result {
            ContactResult::Interrupted => {
                assert!(
                    in_progress.contains(&id),
                    "{tag}: contact {id} finished before the kill yet interrupted"
                );
                assert_eq!(
                    record.finished, last_time,
                    "{tag}: interrupted at the log's last time"
                );
                let last = record.legs.last().expect("a leg");
                if talked.contains(&id) {
                    // Interrupted in wrap-up: answered and ended before
                    // the kill, wrap-up closed at the log's last time.
                    assert_eq!(last.end, Some(LegEnd::Handled), "{record:?}");
                    assert_eq!(last.wrap_ended, Some(last_time), "{record:?}");
                    assert_eq!(last.outcome, None, "{record:?}");
                } else {
                    assert_eq!(last.end, Some(LegEnd::Interrupted), "{record:?}");
                    assert_eq!(last.ended, Some(last_time), "{record:?}");
                }
                assert!(
                    !acked.wrapped.iter().any(|&(c, _)| c == id),
                    "{tag}: acknowledged wrap-up of {id} lost"
                );
                interrupted.insert(id);
            }
            ContactResult::Handled => {
                assert!(
                    acked.wrap_sent.contains(&id),
                    "{tag}: contact {id} handled though nobody wrapped it up"
                );
                handled.insert(id);
            }
            other => panic!("{tag}: contact {id} ended {other:?}: {record:?}"),
        }
        for &(c, agent) in acked.accepted.iter().filter(|(c, _)| *c == id) {
            assert!(
                record
                    .legs
                    .iter()
                    .any(|leg| leg.agent == Some(AgentId(agent)) && leg.answered.is_some()),
                "{tag}: acknowledged accept of {c} by agent {agent} not in its record: {record:?}"
            );
        }
        for &(c, agent) in acked.wrapped.iter().filter(|(c, _)| *c == id) {
            assert_eq!(record.result, ContactResult::Handled);
            assert!(
                record
                    .legs
                    .iter()
                    .any(|leg| leg.agent == Some(AgentId(agent))
                        && leg.wrap_ended.is_some()
                        && leg.outcome == Some(Code::parse("resolved").unwrap())),
                "{tag}: acknowledged wrap-up of {c} by agent {agent} not in its record: {record:?}"
            );
        }
    }
    assert_eq!(interrupted, in_progress, "{tag}: in progress ⇔ interrupted");
    let acked_wrapped: BTreeSet<u64> = acked.wrapped.iter().map(|&(c, _)| c).collect();
    assert!(acked_wrapped.is_subset(&handled));

    // The legs and the queue report: interrupted legs are offered, never
    // answered, with no agent work.
    let mut answered_legs = 0;
    let mut interrupted_legs = 0;
    let mut legs = 0;
    store
        .for_each_leg(TimeRange::ALL, &mut |leg| {
            legs += 1;
            if interrupted.contains(&leg.contact.0) && !talked.contains(&leg.contact.0) {
                assert_eq!(leg.disposition, Disposition::Interrupted, "{leg:?}");
                assert!(leg.work.is_none(), "{leg:?}");
                interrupted_legs += 1;
            } else if leg.disposition == Disposition::Answered {
                answered_legs += 1;
            }
        })
        .unwrap();
    let cut_short = interrupted.len() - talked.len();
    assert_eq!(interrupted_legs, cut_short);
    // Handled contacts (acknowledged or in flight at the kill), those in
    // wrap-up at the kill, and the new one.
    assert_eq!(answered_legs, handled.len() + talked.len() + 1);
    let options = QueueOptions::new(Bucketing {
        interval: Interval::Day,
        time_zone: store.time_zone(),
    });
    let mut aggregator = QueueAggregator::new(&options).unwrap();
    store
        .for_each_queue_slot(TimeRange::ALL, &mut |queue, slot, tally| {
            aggregator.add_slot(queue, slot, tally).unwrap();
        })
        .unwrap();
    let report = aggregator.finish();
    let sum = |count: Count| report.rows.iter().map(|r| r.count(count)).sum::<u64>();
    assert_eq!(sum(Count::Offered), legs);
    assert_eq!(sum(Count::Interrupted), cut_short as u64);
    assert_eq!(
        sum(Count::Answered),
        answered_legs as u64,
        "{tag}: the queue report counts interrupted contacts as answered"
    );
    assert_eq!(sum(Count::Handled), answered_legs as u64);
    assert!(
        store.current_queues().unwrap().is_empty(),
        "{tag}: queues not empty"
    );
    for now in store.current_agents().unwrap() {
        assert_eq!(now.state, AgentState::LoggedOut, "{tag}: {now:?}");
    }

    eprintln!(
        "server_kill {tag}: {total} commands acknowledged in {:.1} s (killed at {at_kill}), \
         {} contacts acknowledged, {} in progress at the kill → interrupted ({} of them in wrap-up), {} handled, \
         {} facts; whole test {:.1} s",
        load_time.as_secs_f64(),
        acked.submitted.len(),
        interrupted.len(),
        talked.len(),
        handled.len(),
        facts.len(),
        started.elapsed().as_secs_f64(),
    );
}

#[test]
fn kill_9_mid_load_loses_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::sqlite(dir.path());
    kill_and_restart(&backend, dir.path());
}

#[test]
fn kill_9_mid_load_loses_nothing_on_postgres() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    kill_and_restart(&backend, dir.path());
}
