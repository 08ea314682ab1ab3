//! The wallboard, its JSON snapshot and `/metrics` over a real socket: names
//! escaped, both languages, the numbers equal to the API's, the Prometheus
//! text well formed, and who may look; and the page in headless Chromium
//! with 60 agents: on one 1920×1080 screen, after its script ran, showing
//! the API's numbers (skipped when `SWITCHBOARD_TEST_CHROMIUM` is unset;
//! scripts/test sets it).

mod browser;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use acd::config::{AgentConfig, Config, ProfileEntry, QueueConfig, SkillConfig};
use acd::model::{AgentId, Code, Concurrency, Proficiency, QueueId, SkillId, Span, Time};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use server::{Auth, AuthSettings, Core, ManualClock, NewUser, Role, Wallboard, WallboardSettings};
use tokio::net::TcpStream;

/// 2026-01-05 09:00 UTC.
const START: Time = Time::from_millis(1_767_603_600_000);
const QUEUE: QueueId = QueueId(1);
const LAN: AgentId = AgentId(7);
const MINH: AgentId = AgentId(8);
const DISPLAY: &str = "display-token-0123456789";
const PASSWORD: &str = "correct horse battery";
/// Names that break HTML and Prometheus labels unless escaped.
const QUEUE_NAME: &str = r#"Billing <"A&B"> \ 账单"#;
const LAN_NAME: &str = r#"<Lan> & "Co""#;
/// The second queue of [`big_config`], served by its extra agents.
const SALES: QueueId = QueueId(2);
/// Agents 101..=158 of [`big_config`]: 60 agents with Lan and Minh.
const EXTRA: std::ops::RangeInclusive<u32> = 101..=158;

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

fn config() -> Config {
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
        queues: vec![QueueConfig::new(QUEUE, QUEUE_NAME, SkillId(1), level)],
        agents: vec![agent(LAN, LAN_NAME), agent(MINH, "Minh")],
        reason_codes: vec![code("login"), code("missed"), code("lunch")],
        outcome_codes: Vec::new(),
        login_reason: code("login"),
        missed_offer_reason: code("missed"),
    }
}

/// [`config`] plus a Sales queue served by 58 more agents, so the board
/// has 60 agents, as a center the wallboard is sized for.
fn big_config() -> Config {
    let mut config = config();
    let level = Proficiency::new(5).unwrap();
    config.skills.push(SkillConfig {
        id: SkillId(2),
        name: "sales".into(),
    });
    config
        .queues
        .push(QueueConfig::new(SALES, "Sales 销售", SkillId(2), level));
    let given = [
        "Fang", "Min", "Sarah", "Ana", "Thi Mai", "Omar", "Priya", "Tom",
    ];
    let family = [
        "Wang 王",
        "Zhang 张",
        "O'Brien",
        "García",
        "Nguyễn",
        "Al-Rashid",
        "Sharma",
        "Baker",
    ];
    for (i, id) in EXTRA.enumerate() {
        config.agents.push(AgentConfig {
            id: AgentId(id),
            name: format!("{} {}", given[i % 8], family[i / 8]),
            skills: vec![(SkillId(2), level)],
            profile: vec![ProfileEntry {
                queue: SALES,
                priority: 1,
            }],
            concurrency: Concurrency::ONE,
        });
    }
    config
}

struct Server {
    addr: SocketAddr,
    clock: Arc<ManualClock>,
    admin: String,
    _dir: tempfile::TempDir,
}

impl Server {
    /// The API and the wallboard, with users boss (supervisor) and lan
    /// (agent 7).
    async fn start() -> Server {
        Server::start_with(config()).await
    }

    /// The same with another configuration.
    async fn start_with(config: Config) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let clock = Arc::new(ManualClock::new(START));
        let settings = WallboardSettings::new(&config, jiff::tz::TimeZone::UTC, DISPLAY.to_owned());
        let store = store::open(path.to_str().unwrap()).unwrap();
        let core = Core::start(config, store, clock.clone()).unwrap();
        let auth = Arc::new(
            Auth::new(
                AuthSettings {
                    argon2: argon2::Params::new(64, 1, 1, None).unwrap(),
                    ..AuthSettings::default()
                },
                clock.clone(),
                core.clone(),
            )
            .unwrap(),
        );
        let first = auth.bootstrap_admin(false).await.unwrap().unwrap();
        for (name, role, agent) in [
            ("boss", Role::Supervisor, None),
            ("lan", Role::Agent, Some(LAN)),
        ] {
            let user = NewUser {
                name: name.into(),
                password: PASSWORD.into(),
                role,
                agent,
            };
            auth.create_user("admin", user).await.unwrap();
        }
        let wallboard = Wallboard::start(core.clone(), auth.clone(), settings).unwrap();
        let app = server::router(core, auth).merge(wallboard.router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let mut server = Server {
            addr,
            clock,
            admin: String::new(),
            _dir: dir,
        };
        server.admin = server.login("admin", &first).await;
        server
    }

    async fn login(&self, user: &str, password: &str) -> String {
        let body = json!({ "user": user, "password": password }).to_string();
        let (status, text) = self.send("POST", "/api/login", &[], Some(body)).await;
        assert_eq!(status, StatusCode::OK);
        let answer: Value = serde_json::from_str(&text).unwrap();
        answer["token"].as_str().unwrap().to_owned()
    }

    fn advance(&self, secs: u64) {
        self.clock.advance(Span::from_secs(secs));
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<String>,
    ) -> (StatusCode, String) {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn get_json(&self, path: &str, token: &str) -> Value {
        let bearer = [("authorization", format!("Bearer {token}"))];
        let (status, text) = self.send("GET", path, &bearer, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let bearer = [("authorization", format!("Bearer {}", self.admin))];
        let (status, text) = self
            .send("POST", path, &bearer, Some(body.to_string()))
            .await;
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn contact(&self) -> u64 {
        let answer = self
            .post("/api/contacts", json!({ "queue": 1, "dnis": "+15550100" }))
            .await;
        answer["contact"].as_u64().unwrap()
    }

    /// The Sales floor of [`big_config`]: agents 101..=152 logged in (every
    /// sixth at lunch, every fifth still at its login reason, the others
    /// ready), three Sales contacts taken (one talking, one on hold, one in
    /// wrap-up), agents 153..=158 logged out; a second passes every four
    /// agents, so times in state differ.
    async fn a_big_floor(&self) {
        for id in *EXTRA.start()..=152 {
            self.post(&format!("/api/agents/{id}/login"), json!({}))
                .await;
            if id % 6 == 0 {
                let lunch = json!({ "reason": "lunch" });
                self.post(&format!("/api/agents/{id}/not-ready"), lunch)
                    .await;
            } else if id % 5 != 0 {
                self.post(&format!("/api/agents/{id}/ready"), json!({}))
                    .await;
            }
            if id % 4 == 0 {
                self.advance(1);
            }
        }
        for then in ["talk", "hold", "end"] {
            let answer = self
                .post("/api/contacts", json!({ "queue": 2, "dnis": "+15550200" }))
                .await;
            let contact = answer["contact"].as_u64().unwrap();
            let agents = self.get_json("/api/agents", &self.admin).await;
            let ringing = agents
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["state"] == "reserved")
                .expect("an agent offered the contact")["agent"]
                .as_u64()
                .unwrap();
            let at = |action: &str| format!("/api/agents/{ringing}/{action}");
            self.post(&at("accept"), json!({ "contact": contact }))
                .await;
            self.advance(3);
            if then != "talk" {
                self.post(&at(then), json!({ "contact": contact })).await;
            }
        }
    }

    /// Lan logged in and ready, Minh logged out; contact 1 handled (no
    /// wait), contact 2 with Lan now, contact 3 abandoned after 8 s,
    /// contact 4 waiting 4 s.
    async fn a_few_contacts(&self) {
        self.post("/api/agents/7/login", json!({})).await;
        self.post("/api/agents/7/ready", json!({})).await;
        let first = self.contact().await;
        self.post("/api/agents/7/accept", json!({ "contact": first }))
            .await;
        self.advance(30);
        self.post("/api/agents/7/end", json!({ "contact": first }))
            .await;
        self.advance(5);
        self.post("/api/agents/7/wrap-up", json!({ "contact": first }))
            .await;
        let second = self.contact().await;
        self.post("/api/agents/7/accept", json!({ "contact": second }))
            .await;
        let third = self.contact().await;
        self.advance(8);
        self.post(&format!("/api/contacts/{third}/hangup"), json!({}))
            .await;
        self.contact().await;
        self.advance(4);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_escapes_names_and_speaks_both_languages() {
    let server = Server::start().await;
    let path = format!("/wallboard?token={DISPLAY}");
    let (status, en) = server.send("GET", &path, &[], None).await;
    assert_eq!(status, StatusCode::OK, "{en}");
    assert!(en.contains("&lt;Lan&gt; &amp; &quot;Co&quot;"), "{en}");
    assert!(en.contains("Billing &lt;&quot;A&amp;B&quot;&gt; \\ 账单"));
    assert!(!en.contains("<Lan>") && !en.contains("<\"A&B\">"));
    assert!(en.contains("<html lang=\"en\">") && en.contains("Waiting"));
    assert!(en.contains("answered within T"), "names the SL definition");
    // The switch link keeps the token.
    assert!(en.contains(&format!("href=\"?lang=zh&amp;token={DISPLAY}\">中文</a>")));

    let (_, zh) = server
        .send("GET", &format!("{path}&lang=zh"), &[], None)
        .await;
    assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("排队中"));
    assert!(zh.contains("&lt;Lan&gt; &amp; &quot;Co&quot;"));
    assert!(zh.contains(">English</a>"));

    let browser = |value: &str| [("accept-language", value.to_owned())];
    let (_, by_header) = server
        .send("GET", &path, &browser("zh-CN,zh;q=0.9,en;q=0.8"), None)
        .await;
    assert!(by_header.contains("排队中"));
    let (_, by_quality) = server
        .send("GET", &path, &browser("fr, en;q=0.8, zh;q=0.5"), None)
        .await;
    assert!(by_quality.contains("Waiting"));
    let (_, forced) = server
        .send("GET", &format!("{path}&lang=en"), &browser("zh-CN"), None)
        .await;
    assert!(forced.contains("Waiting"), "?lang= wins over the browser");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_snapshot_matches_the_api_after_a_few_contacts() {
    let server = Server::start().await;
    server.a_few_contacts().await;
    let data = server
        .get_json(&format!("/wallboard/data?token={DISPLAY}"), DISPLAY)
        .await;
    let queues = server.get_json("/api/queues", &server.admin).await;
    let agents = server.get_json("/api/agents", &server.admin).await;

    let board = &data["queues"][0];
    let api = &queues[0];
    assert_eq!(board["name"], QUEUE_NAME);
    for key in ["queue", "name", "waiting", "longest_wait", "agents"] {
        assert_eq!(board[key], api[key], "{key}");
    }
    assert_eq!(board["waiting"], 1);
    assert_eq!(board["longest_wait"], 4000);
    for (board, api) in data["agents"]
        .as_array()
        .unwrap()
        .iter()
        .zip(agents.as_array().unwrap())
    {
        for key in ["agent", "name", "state", "time_in_state"] {
            assert_eq!(board[key], api[key], "{key}");
        }
    }
    assert_eq!(data["agents"][0]["state"], "talking");
    assert_eq!(data["agents"][1]["state"], "logged_out");

    // Today: contact 1 answered at once and handled, contact 3 abandoned
    // after 8 s (not short); 2 and 4 are not finished.
    assert_eq!(board["offered"], 2);
    assert_eq!(board["answered"], 1);
    assert_eq!(board["abandoned"], 1);
    assert_eq!(board["handled"], 1);
    assert_eq!(board["service_level"], 0.5);
    assert_eq!(board["asa"], 0.0);
    assert_eq!(board["abandon_rate"], 0.5);
    assert_eq!(data["sl_definition"], "offered");
    assert_eq!(data["today"], 1_767_571_200_000_u64, "UTC midnight");
    assert!(data["events"].as_u64().unwrap() > 10);
    assert_eq!(data["missed"], 0);

    // The page shows the same figures.
    let (_, page) = server
        .send("GET", &format!("/wallboard?token={DISPLAY}"), &[], None)
        .await;
    assert!(page.contains("<b data-field=\"waiting\">1</b>"), "waiting");
    assert!(
        page.contains("<b data-field=\"longest_wait\">0:04</b>"),
        "longest wait"
    );
    assert!(
        page.contains("<b data-field=\"service_level\">50%</b>"),
        "SL"
    );
    assert!(page.contains("<small data-field=\"target\">target 80% ≤ 20 s</small>"));
}

/// One sample: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parses the text format strictly enough to catch a malformed line; checks
/// every sample's family has HELP and TYPE before it.
fn parse_prometheus(text: &str) -> Vec<Sample> {
    let mut help = BTreeMap::new();
    let mut kinds = BTreeMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').unwrap();
            assert!(help.insert(name.to_owned(), text.to_owned()).is_none());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["counter", "gauge"].contains(&kind), "{line}");
            assert!(help.contains_key(name), "HELP before TYPE: {line}");
            kinds.insert(name.to_owned(), kind.to_owned());
        } else {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}').unwrap())),
                None => (series, BTreeMap::new()),
            };
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            );
            assert!(kinds.contains_key(name), "no TYPE for {line}");
            samples.push((name.to_owned(), labels, value));
        }
    }
    samples
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
        assert_eq!(chars.next(), Some('"'));
        let mut value = String::new();
        loop {
            match chars.next().expect("closing quote") {
                '"' => break,
                '\\' => match chars.next() {
                    Some('\\') => value.push('\\'),
                    Some('"') => value.push('"'),
                    Some('n') => value.push('\n'),
                    other => panic!("bad escape {other:?}"),
                },
                c => value.push(c),
            }
        }
        labels.insert(key, value);
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    labels
}

fn value_of(samples: &[Sample], name: &str, label: (&str, &str)) -> f64 {
    samples
        .iter()
        .find(|(n, labels, _)| {
            n == name && labels.get(label.0).map(String::as_str) == Some(label.1)
        })
        .unwrap_or_else(|| panic!("no {name} with {label:?}"))
        .2
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_prometheus_text_with_the_apis_numbers() {
    let server = Server::start().await;
    server.a_few_contacts().await;
    let bearer = [("authorization", format!("Bearer {DISPLAY}"))];
    let (status, text) = server.send("GET", "/metrics", &bearer, None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let samples = parse_prometheus(&text);
    let queues = server.get_json("/api/queues", &server.admin).await;

    let queue = ("queue", "1");
    assert_eq!(
        value_of(&samples, "switchboard_queue_waiting", queue),
        queues[0]["waiting"].as_f64().unwrap()
    );
    assert_eq!(
        value_of(&samples, "switchboard_queue_longest_wait_seconds", queue),
        queues[0]["longest_wait"].as_f64().unwrap() / 1000.0
    );
    assert_eq!(
        value_of(&samples, "switchboard_agents", ("state", "talking")),
        1.0
    );
    assert_eq!(
        value_of(&samples, "switchboard_agents", ("state", "logged_out")),
        1.0
    );
    assert_eq!(
        value_of(&samples, "switchboard_queue_handled_today", queue),
        1.0
    );
    assert_eq!(
        value_of(&samples, "switchboard_queue_abandoned_today", queue),
        1.0
    );
    let sl = samples
        .iter()
        .find(|(n, _, _)| n == "switchboard_queue_service_level_today")
        .unwrap();
    assert_eq!(sl.2, 0.5);
    assert_eq!(sl.1["threshold_seconds"], "20");
    // The name survives the label escaping.
    assert_eq!(sl.1["name"], QUEUE_NAME);
    assert!(text.contains(r#"name="Billing <\"A&B\"> \\ 账单""#));
    assert!(text.contains("# TYPE switchboard_engine_events_total counter"));
    let events = samples
        .iter()
        .find(|(n, labels, _)| n == "switchboard_engine_events_total" && labels.is_empty())
        .unwrap();
    assert!(events.2 > 10.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wallboard_takes_its_token_or_a_supervisor() {
    let server = Server::start().await;
    let get = |path: String, headers: Vec<(&'static str, String)>| {
        let server = &server;
        async move { server.send("GET", &path, &headers, None).await.0 }
    };
    for path in ["/wallboard", "/wallboard/data", "/metrics"] {
        assert_eq!(get(path.into(), vec![]).await, StatusCode::UNAUTHORIZED);
        let wrong = format!("{path}?token=display-token-0123456780");
        assert_eq!(get(wrong, vec![]).await, StatusCode::UNAUTHORIZED);
        let right = format!("{path}?token={DISPLAY}");
        assert_eq!(get(right, vec![]).await, StatusCode::OK);
        let bearer = vec![("authorization", format!("Bearer {DISPLAY}"))];
        assert_eq!(get(path.into(), bearer).await, StatusCode::OK);
    }
    let boss = server.login("boss", PASSWORD).await;
    let lan = server.login("lan", PASSWORD).await;
    let as_boss = format!("/wallboard?token={boss}");
    assert_eq!(get(as_boss, vec![]).await, StatusCode::OK);
    let as_agent = format!("/wallboard/data?token={lan}");
    assert_eq!(get(as_agent, vec![]).await, StatusCode::FORBIDDEN);
    // The display token reads the wallboard only.
    let bearer = vec![("authorization", format!("Bearer {DISPLAY}"))];
    assert_eq!(
        get("/api/queues".into(), bearer).await,
        StatusCode::UNAUTHORIZED
    );
}

// ----- in a browser -----------------------------------------------------------

/// A state's key as the page writes it: the JSON name, a not-ready reason
/// left out.
fn state_key(state: &Value) -> String {
    match state {
        Value::String(name) => name.clone(),
        Value::Object(map) => map.keys().next().expect("a state").clone(),
        other => panic!("not a state: {other}"),
    }
}

/// `m:ss` or `h:mm:ss` of a JSON number of ms; "" for null.
fn clock_text(ms: &Value) -> String {
    let Some(ms) = ms.as_u64() else {
        return String::new();
    };
    let secs = ms / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A 0–1 JSON number as a whole percent; "—" for null.
fn percent_text(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "—".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

/// Agents by state key, logged-out agents left out, as the page's chips
/// count them.
fn by_state<'a>(counts: impl Iterator<Item = (&'a Value, u64)>) -> BTreeMap<String, String> {
    let mut by = BTreeMap::<String, u64>::new();
    for (state, n) in counts {
        let key = state_key(state);
        if key != "logged_out" {
            *by.entry(key).or_default() += n;
        }
    }
    by.into_iter()
        .map(|(key, n)| (format!("agents.{key}"), n.to_string()))
        .collect()
}

/// The `data-field` texts inside element `owner`, keyed by field; chips
/// (`agents.STATE`) apart.
fn fields_in(
    dom: &browser::Dom,
    owner: usize,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut fields = BTreeMap::new();
    let mut chips = BTreeMap::new();
    for (at, element) in dom.having("data-field") {
        if dom.within(at, owner) {
            let name = element.attributes["data-field"].clone();
            let into = if name.starts_with("agents.") {
                &mut chips
            } else {
                &mut fields
            };
            assert!(into.insert(name, element.text.clone()).is_none());
        }
    }
    (fields, chips)
}

/// Opens the wallboard of a 60-agent center in headless Chromium, English
/// and Chinese: each time a 1920×1080 PNG under target/tmp/, the page fits
/// the screen without shrinking, its script has refreshed the board, and
/// every figure the page shows is the API's.
#[tokio::test(flavor = "multi_thread")]
async fn chromium_shows_the_apis_figures_for_sixty_agents_on_one_screen() {
    let test = "chromium_shows_the_apis_figures_for_sixty_agents_on_one_screen";
    let Some(chromium) = browser::chromium(test) else {
        return;
    };
    let server = Server::start_with(big_config()).await;
    server.a_big_floor().await;
    server.a_few_contacts().await;
    let data = server
        .get_json(&format!("/wallboard/data?token={DISPLAY}"), DISPLAY)
        .await;
    let queues = server.get_json("/api/queues", &server.admin).await;
    let agents = server.get_json("/api/agents", &server.admin).await;
    let queues = queues.as_array().unwrap();
    let agents = agents.as_array().unwrap();
    assert_eq!(agents.len(), 60);
    // The manual clock stands still, so the board cannot change while
    // Chromium looks; so the figures read now are the page's.

    for (lang, file, talking) in [
        ("en", "wallboard-screenshot.png", "Talking"),
        ("zh", "wallboard-screenshot-zh.png", "通话中"),
    ] {
        let url = format!(
            "http://{}/wallboard?token={DISPLAY}&lang={lang}",
            server.addr
        );
        let screenshot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(file);
        let visit = {
            let (chromium, url, screenshot) = (chromium.clone(), url.clone(), screenshot.clone());
            // Two refreshes of the page's 2-second timer, in virtual time.
            tokio::task::spawn_blocking(move || browser::visit(&chromium, &url, 5000, &screenshot))
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
        };
        eprintln!(
            "{lang}: Chromium took {:?}; screenshot {}",
            visit.took,
            screenshot.display()
        );

        let png = std::fs::read(&screenshot).expect("a screenshot");
        assert_eq!(browser::png_size(&png), Some((1920, 1080)), "{lang}");
        assert!(
            png.len() > 50_000,
            "{lang}: a {} byte screenshot is blank",
            png.len()
        );

        let dom = browser::Dom::parse(&visit.dom);
        let html = dom.first("html");
        let body = dom.first("body");
        assert_eq!(
            html.attributes["lang"],
            if lang == "en" { "en" } else { "zh-CN" }
        );
        let refreshed: u32 = body
            .attributes
            .get("data-refreshed")
            .expect("the script refreshed the board")
            .parse()
            .unwrap();
        assert!(refreshed >= 1, "{lang}");
        assert!(
            !body
                .attributes
                .get("class")
                .is_some_and(|c| c.contains("stale")),
            "{lang}"
        );
        assert_eq!(
            html.attributes["data-fit"], "1",
            "{lang}: 60 agents fit 1920×1080 unshrunk"
        );
        let grid = dom
            .0
            .iter()
            .find(|e| e.attributes.get("class").is_some_and(|c| c == "grid"))
            .expect("the agent grid");
        let columns: u32 = grid.attributes["style"]
            .split_once("--cols:")
            .and_then(|(_, n)| n.trim().trim_end_matches(';').trim().parse().ok())
            .expect("the script's columns");
        assert!(
            columns <= 9,
            "{lang}: 60 agents on {columns} columns: tiles too small"
        );

        // The header: the time of the snapshot, agents by state.
        let mut header = BTreeMap::new();
        let mut header_chips = BTreeMap::new();
        for (at, element) in dom.having("data-field") {
            if dom.owner(at, &["data-queue", "data-agent"]).is_none() {
                let name = element.attributes["data-field"].clone();
                let into = if name.starts_with("agents.") {
                    &mut header_chips
                } else {
                    &mut header
                };
                into.insert(name, element.text.clone());
            }
        }
        let at = data["at"].as_u64().unwrap() / 1000 % 86_400;
        let updated = format!("{:02}:{:02}:{:02}", at / 3600, at / 60 % 60, at % 60);
        assert_eq!(header["updated"], updated, "{lang}");
        assert_eq!(
            header_chips,
            by_state(agents.iter().map(|a| (&a["state"], 1))),
            "{lang}: header"
        );

        // Queue tiles, in the API's order, with its figures.
        let tiles: Vec<_> = dom.having("data-queue").collect();
        assert_eq!(tiles.len(), queues.len(), "{lang}");
        for ((at, tile), (api, board)) in tiles
            .into_iter()
            .zip(queues.iter().zip(data["queues"].as_array().unwrap()))
        {
            let id = api["queue"].to_string();
            assert_eq!(tile.attributes["data-queue"], id);
            let (fields, chips) = fields_in(&dom, at);
            let expected: BTreeMap<String, String> = [
                ("name", api["name"].as_str().unwrap().to_owned()),
                ("waiting", api["waiting"].to_string()),
                (
                    "longest_wait",
                    Some(clock_text(&api["longest_wait"]))
                        .filter(|t| !t.is_empty())
                        .unwrap_or_else(|| "—".to_owned()),
                ),
                ("service_level", percent_text(&board["service_level"])),
                (
                    "asa",
                    board["asa"]
                        .as_f64()
                        .map_or_else(|| "—".to_owned(), |s| format!("{s:.0} s")),
                ),
                ("abandon_rate", percent_text(&board["abandon_rate"])),
                ("handled", board["handled"].to_string()),
                (
                    "target",
                    format!(
                        "{} {}% ≤ {} s",
                        if lang == "en" { "target" } else { "目标" },
                        board["target"],
                        board["threshold"].as_u64().unwrap() / 1000
                    ),
                ),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            assert_eq!(fields, expected, "{lang}: queue {id}");
            let api_chips = by_state(
                api["agents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| (&c["state"], c["agents"].as_u64().unwrap())),
            );
            assert_eq!(chips, api_chips, "{lang}: queue {id}'s agents");
        }

        // Agent tiles, in the API's order.
        let tiles: Vec<_> = dom.having("data-agent").collect();
        assert_eq!(tiles.len(), agents.len(), "{lang}");
        for ((at, tile), api) in tiles.into_iter().zip(agents) {
            let id = api["agent"].to_string();
            assert_eq!(tile.attributes["data-agent"], id);
            let state = state_key(&api["state"]);
            assert_eq!(tile.attributes["data-state"], state, "{lang}: agent {id}");
            let (fields, _) = fields_in(&dom, at);
            assert_eq!(
                fields["name"],
                api["name"].as_str().unwrap(),
                "{lang}: agent {id}"
            );
            let time = if state == "logged_out" {
                String::new()
            } else {
                clock_text(&api["time_in_state"])
            };
            assert_eq!(fields["time"], time, "{lang}: agent {id}");
            let reason = api["state"]["not_ready"].as_str().unwrap_or("");
            assert_eq!(fields["reason"], reason, "{lang}: agent {id}");
        }

        // And the story of a_few_contacts, as a person reads it.
        let queue = dom.having("data-queue").next().unwrap().0;
        let (fields, _) = fields_in(&dom, queue);
        assert_eq!(fields["name"], QUEUE_NAME);
        assert_eq!(fields["waiting"], "1");
        assert_eq!(fields["longest_wait"], "0:04");
        assert_eq!(fields["service_level"], "50%");
        assert_eq!(fields["asa"], "0 s");
        assert_eq!(fields["abandon_rate"], "50%");
        assert_eq!(fields["handled"], "1");
        let lan = dom.having("data-agent").next().unwrap().0;
        let (fields, _) = fields_in(&dom, lan);
        assert_eq!(fields["name"], LAN_NAME);
        assert_eq!(fields["state"], talking);
        assert_eq!(
            fields["time"], "0:12",
            "talking since contact 2 was accepted"
        );
        // Every state of the floor of the floor is on the board.
        for state in [
            "ready",
            "talking",
            "on_hold",
            "wrap_up",
            "not_ready",
            "logged_out",
        ] {
            assert!(
                dom.having("data-state")
                    .any(|(_, e)| e.attributes["data-state"] == state),
                "{lang}: no {state} agent"
            );
        }
    }
}
