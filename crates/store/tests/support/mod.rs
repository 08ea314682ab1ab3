//! What the store's tests share.
//!
//! Key types: [`Backend`] (a fresh, empty store location on SQLite or
//! PostgreSQL, deleted when dropped), [`Center`] (a real `acd::Engine`
//! driven by a small seeded simulation of callers and agents, keeping every
//! record) and fact builders for hand-made contacts.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::sync::atomic::{AtomicU32, Ordering};

use acd::config::{
    AgentConfig, Config, OutcomeConfig, Overflow, ProfileEntry, QueueConfig, SkillConfig,
};
use acd::model::{
    AgentId, Code, Concurrency, ContactId, PhoneNumber, Priority, Proficiency, QueueId, SkillId,
    Span, Time,
};
use acd::record::{ContactRecord, ContactResult, Leg, LegEnd};
use acd::{AgentState, Engine, Event, NewContact, Record, RecordKind, Selector, WrapUp};
use kpi::Fact;
use store::{Options, Store};

/// The variable naming the PostgreSQL server for tests (scripts/test sets
/// it); `skip` skips the PostgreSQL tests on purpose.
pub const POSTGRES_VAR: &str = "SWITCHBOARD_TEST_POSTGRES";

/// 2026-03-01 23:00 UTC: runs cross midnight, so agent days split.
pub const START: Time = Time::from_secs(1_772_406_000);

/// A fresh store location; PostgreSQL databases are dropped on drop.
pub struct Backend {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl Backend {
    /// A SQLite file in a new temporary directory (the file does not exist
    /// yet: opening creates it).
    pub fn sqlite() -> Backend {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!(
            "sqlite://{}",
            dir.path().join("data").join("store.db").display()
        );
        Backend {
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A new database on the server of SWITCHBOARD_TEST_POSTGRES, or `None`
    /// when that says `skip`. Fails when it is unset: PostgreSQL tests must
    /// not pass by not running.
    pub fn postgres(test: &str) -> Option<Backend> {
        let base = match std::env::var(POSTGRES_VAR) {
            Ok(base) if base == "skip" => {
                eprintln!("skipped: {test} on PostgreSQL ({POSTGRES_VAR}=skip)");
                return None;
            }
            Ok(base) => base,
            Err(_) => panic!(
                "{POSTGRES_VAR} is not set, so the PostgreSQL half of the store's tests cannot run. \
                 Run scripts/test (it starts a throwaway PostgreSQL), or start one with \
                 `eval \"$(scripts/test-postgres | grep ^export)\"` before `cargo test -p store`, \
                 or set {POSTGRES_VAR}=skip to skip them knowingly."
            ),
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let mut name = format!(
            "store_{}_{}_{test}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        name.truncate(63);
        let mut admin = postgres::Client::connect(&base, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to {base} ({POSTGRES_VAR}): {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("create a test database");
        let (prefix, _) = base.rsplit_once('/').expect("a URL ending in /DATABASE");
        Some(Backend {
            url: format!("{prefix}/{name}"),
            _dir: None,
            postgres: Some((base, name)),
        })
    }

    pub fn open(&self) -> Box<dyn Store> {
        store::open(&self.url).unwrap_or_else(|e| panic!("open {}: {e}", self.url))
    }

    pub fn open_with(&self, options: &Options) -> Box<dyn Store> {
        store::open_with(&self.url, options).unwrap_or_else(|e| panic!("open {}: {e}", self.url))
    }

    /// Runs SQL on the store's database behind its back.
    pub fn execute(&self, sql: &str) {
        match &self.postgres {
            Some(_) => postgres::Client::connect(&self.url, postgres::NoTls)
                .and_then(|mut c| c.batch_execute(sql))
                .expect("raw SQL on PostgreSQL"),
            None => {
                let path = self.url.strip_prefix("sqlite://").expect("a sqlite URL");
                rusqlite::Connection::open(path)
                    .and_then(|c| c.execute_batch(sql))
                    .expect("raw SQL on SQLite")
            }
        }
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

/// Appends `facts` in batches of assorted sizes (1, 2, 3, 5, 8, ... 89,
/// then again), as a live server and an importer would.
pub fn append_in_batches(store: &mut dyn Store, facts: &[Fact]) {
    let sizes = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
    let mut rest = facts;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (batch, tail) = rest.split_at(size.min(rest.len()));
        let first = store.next_seq().unwrap();
        let seqs = store.append(batch).unwrap();
        assert_eq!(seqs, first..first + batch.len() as u64);
        rest = tail;
    }
}

pub fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

/// A small deterministic random number generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Three queues and four agents: Q1 overflows to Q2 after two minutes, Q2
/// becomes a callback after three, Q3 goes to voicemail after four; Q2 and
/// Q3 end wrap-up after 20 s.
fn config() -> Config {
    let skill = SkillId(1);
    let mut q1 = QueueConfig::new(QueueId(1), "Sales", skill, Proficiency::MIN);
    q1.max_wait = Some(Span::from_secs(120));
    q1.overflow = Some(Overflow::Queue(QueueId(2)));
    let mut q2 = QueueConfig::new(QueueId(2), "Support", skill, Proficiency::MIN);
    q2.max_wait = Some(Span::from_secs(180));
    q2.overflow = Some(Overflow::Callback);
    q2.wrap_up = Some(Span::from_secs(20));
    let mut q3 = QueueConfig::new(QueueId(3), "Billing", skill, Proficiency::MIN);
    q3.max_wait = Some(Span::from_secs(240));
    q3.overflow = Some(Overflow::Voicemail);
    q3.wrap_up = Some(Span::from_secs(20));
    let agent = |id: u32, queues: &[u32]| AgentConfig {
        id: AgentId(id),
        name: format!("A{id}"),
        skills: vec![(skill, Proficiency::MIN)],
        profile: queues
            .iter()
            .map(|&q| ProfileEntry {
                queue: QueueId(q),
                priority: 1,
            })
            .collect(),
        concurrency: Concurrency::ONE,
    };
    Config {
        skills: vec![SkillConfig {
            id: skill,
            name: "general".into(),
        }],
        queues: vec![q1, q2, q3],
        agents: vec![
            agent(1, &[1, 2]),
            agent(2, &[1]),
            agent(3, &[2, 3]),
            agent(4, &[3]),
        ],
        reason_codes: ["login", "missed", "lunch"].map(code).to_vec(),
        outcome_codes: vec![
            OutcomeConfig {
                code: code("sale"),
                success: true,
            },
            OutcomeConfig {
                code: code("no_sale"),
                success: false,
            },
        ],
        login_reason: code("login"),
        missed_offer_reason: code("missed"),
    }
}

/// A real engine driven by simulated callers and agents: contacts arrive
/// every 5–40 s; agents answer most offers after 1–8 s and let some ring
/// out or reject them, talk 20–200 s, sometimes hold or transfer, wrap up
/// with an outcome and a call reason; callers sometimes hang up or ask for
/// a callback; agents take lunch and log out at the end.
pub struct Center {
    pub engine: Engine,
    pub records: Vec<Record>,
    rng: Rng,
    /// Driver events by time, then order of scheduling.
    pending: BinaryHeap<Reverse<(Time, u64)>>,
    events: Vec<Option<Event>>,
    /// Contacts transferred once: the engine logs no record when such a
    /// caller hangs up in line while the first agent still wraps up, so
    /// the simulation's callers do not.
    transferred: BTreeSet<ContactId>,
    next_contact: u64,
}

pub const AGENTS: [u32; 4] = [1, 2, 3, 4];
pub const QUEUES: [u32; 3] = [1, 2, 3];

impl Center {
    pub fn new(seed: u64) -> Center {
        let mut center = Center {
            engine: Engine::new(config(), Selector::Indexed).unwrap(),
            records: Vec::new(),
            rng: Rng::new(seed),
            pending: BinaryHeap::new(),
            events: Vec::new(),
            transferred: BTreeSet::new(),
            next_contact: 1,
        };
        for agent in AGENTS {
            let agent = AgentId(agent);
            center.schedule(START, Event::AgentLoggedIn { agent });
            center.schedule(START + Span::from_secs(5), Event::AgentReady { agent });
        }
        center
    }

    fn schedule(&mut self, at: Time, event: Event) {
        self.pending.push(Reverse((at, self.events.len() as u64)));
        self.events.push(Some(event));
    }

    /// Schedules `contacts` arrivals from `from` on.
    pub fn arrivals(&mut self, from: Time, contacts: u64) {
        let mut at = from;
        for _ in 0..contacts {
            at = at + Span::from_secs(self.rng.between(5, 40));
            let id = ContactId(self.next_contact);
            self.next_contact += 1;
            let queue = QueueId(self.rng.between(1, 3) as u32);
            let attributes = if self.rng.chance(50) {
                vec![(
                    code("customer"),
                    code(&format!("C{}", self.rng.between(1, 20))),
                )]
            } else {
                vec![]
            };
            let ani = self.rng.chance(80).then(|| {
                PhoneNumber::parse(&format!("+8490{}", self.rng.between(1_000_000, 9_999_999)))
                    .unwrap()
            });
            let priority = Priority(self.rng.between(0, 2) as u8);
            let arrival = NewContact {
                id,
                ani,
                dnis: PhoneNumber::parse("19001234").unwrap(),
                queue,
                priority,
                attributes,
            };
            self.schedule(at, Event::ContactArrived(arrival));
            if self.rng.chance(15) {
                let hang_up = at + Span::from_secs(self.rng.between(5, 150));
                self.schedule(hang_up, Event::CallerHungUp { contact: id });
            } else if self.rng.chance(5) {
                self.schedule(
                    at + Span::from_secs(30),
                    Event::CallbackRequested { contact: id },
                );
            }
        }
    }

    /// Everyone logs out at `at` (after wrap-ups: refused ones retry).
    pub fn closing(&mut self, at: Time) {
        for agent in AGENTS {
            self.schedule(
                at,
                Event::AgentLoggedOut {
                    agent: AgentId(agent),
                },
            );
        }
    }

    /// Runs the engine and the simulated people until `until`.
    pub fn run_until(&mut self, until: Time) {
        loop {
            let driver = self.pending.peek().map(|Reverse((at, _))| *at);
            let timer = self.engine.next_wakeup();
            let next = match (driver, timer) {
                (Some(d), Some(t)) => d.min(t),
                (Some(d), None) => d,
                (None, Some(t)) => t,
                (None, None) => break,
            };
            if next > until {
                break;
            }
            let event = if driver == Some(next) {
                let Reverse((_, index)) = self.pending.pop().unwrap();
                self.events[index as usize].take().unwrap()
            } else {
                Event::Tick
            };
            if let Event::CallerHungUp { contact } = &event
                && self.transferred.contains(contact)
            {
                continue;
            }
            let retry = matches!(event, Event::AgentLoggedOut { .. }).then(|| event.clone());
            // A refused event changes nothing but the clock: simulated
            // people act on stale knowledge sometimes (a hang-up after the
            // call ended, a wrap-up the timer already closed).
            if self.engine.handle(next, event).is_err()
                && let Some(retry) = retry
            {
                self.schedule(next + Span::from_secs(30), retry);
            }
            let records: Vec<Record> = self.engine.drain_records().collect();
            for record in &records {
                self.react(record);
            }
            self.records.extend(records);
        }
    }

    fn react(&mut self, record: &Record) {
        let at = record.at;
        match &record.kind {
            RecordKind::Offered { contact, agent, .. } => {
                let (contact, agent) = (*contact, *agent);
                match self.rng.next() % 10 {
                    0 => self.schedule(
                        at + Span::from_secs(2),
                        Event::OfferRejected { contact, agent },
                    ),
                    // Rings out: the engine's offer timer ends it.
                    1 => {}
                    _ => {
                        let after = Span::from_secs(self.rng.between(1, 8));
                        self.schedule(at + after, Event::OfferAccepted { contact, agent });
                    }
                }
            }
            RecordKind::Connected { contact, .. } => {
                let contact = *contact;
                let talk = self.rng.between(20, 200);
                if self.rng.chance(20) {
                    self.schedule(at + Span::from_secs(5), Event::Held { contact });
                    self.schedule(at + Span::from_secs(15), Event::Resumed { contact });
                }
                if self.rng.chance(10) && !self.transferred.contains(&contact) {
                    self.transferred.insert(contact);
                    let queue = QueueId(self.rng.between(1, 3) as u32);
                    self.schedule(
                        at + Span::from_secs(talk),
                        Event::TransferredToQueue { contact, queue },
                    );
                } else {
                    self.schedule(at + Span::from_secs(talk), Event::ContactEnded { contact });
                }
            }
            RecordKind::CallEnded { contact, agent, .. } => {
                let outcome = match self.rng.next() % 3 {
                    0 => Some(code("sale")),
                    1 => Some(code("no_sale")),
                    _ => None,
                };
                let reason = self.rng.chance(50).then(|| code("billing"));
                let after = Span::from_secs(self.rng.between(1, 30));
                self.schedule(
                    at + after,
                    Event::WrapUpDone {
                        agent: *agent,
                        contact: *contact,
                        wrap: WrapUp {
                            outcome,
                            reason,
                            notes: String::new(),
                        },
                    },
                );
            }
            RecordKind::AgentStateChanged { agent, to, .. } => {
                let agent = *agent;
                match to {
                    AgentState::NotReady(reason) if reason.as_str() == "missed" => {
                        self.schedule(at + Span::from_secs(20), Event::AgentReady { agent });
                    }
                    AgentState::NotReady(reason) if reason.as_str() == "lunch" => {
                        self.schedule(at + Span::from_secs(600), Event::AgentReady { agent });
                    }
                    AgentState::Ready if self.rng.chance(3) => {
                        let lunch = Event::AgentNotReady {
                            agent,
                            reason: code("lunch"),
                        };
                        self.schedule(at + Span::from_secs(60), lunch);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// The records as log facts.
    pub fn facts(&self) -> Vec<Fact> {
        self.records.iter().cloned().map(Fact::Routing).collect()
    }
}

/// A complete handled contact with one leg, answered by `agent`.
pub fn handled_contact(id: u64, queue: u32, agent: u32, at: Time) -> ContactRecord {
    let leg = Leg {
        queue: QueueId(queue),
        for_agent: None,
        queued: at,
        offers: vec![],
        answered: Some(at + Span::from_secs(4)),
        agent: Some(AgentId(agent)),
        holds: vec![],
        ended: Some(at + Span::from_secs(64)),
        end: Some(LegEnd::Handled),
        callback: None,
        wrap_ended: Some(at + Span::from_secs(70)),
        outcome: Some(code("sale")),
        reason: Some(code("billing")),
        notes: "asked about the invoice".into(),
    };
    ContactRecord {
        id: ContactId(id),
        ani: Some(PhoneNumber::parse("+84901234567").unwrap()),
        dnis: PhoneNumber::parse("19001234").unwrap(),
        priority: Priority(1),
        attributes: vec![(code("customer"), code("C42"))],
        arrived: at,
        callback: false,
        legs: vec![leg],
        result: ContactResult::Handled,
        finished: at + Span::from_secs(70),
    }
}

/// A routing fact.
pub fn routing(seq: u64, at: Time, kind: RecordKind) -> Fact {
    Fact::Routing(Record { seq, at, kind })
}

/// The ContactFinished fact of `contact`.
pub fn finished(seq: u64, contact: ContactRecord) -> Fact {
    routing(
        seq,
        contact.finished,
        RecordKind::ContactFinished(Box::new(contact)),
    )
}
