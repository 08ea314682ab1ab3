//! Test support: a small simulated contact center and an HTML checker.
//!
//! Key pieces: [`morning`] (a morning of two queues driven through a real
//! `acd::Engine` in simulated time: arrivals, patience, ringing, talk,
//! wrap-up, breaks; deterministic), [`Run`] (its records and what the
//! pages need around them) and [`check_markup`] (tags balanced, every `&`
//! an entity, no script: a tag matcher suffices because the pages are
//! XHTML-compatible).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use acd::config::{
    AgentConfig, Config, OutcomeConfig, Overflow, ProfileEntry, QueueConfig, SkillConfig,
};
use acd::model::{
    AgentId, Code, Concurrency, ContactId, PhoneNumber, Priority, Proficiency, QueueId, SkillId,
    Span, Time,
};
use acd::{Engine, Event, NewContact, Record, RecordKind, Selector, WrapUp};
use jiff::civil::{DateTime, date};
use jiff::tz::{Offset, TimeZone};
use kpi::Ledger;

pub fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

/// The center's zone: UTC+01:00.
pub fn zone() -> TimeZone {
    TimeZone::fixed(Offset::constant(1))
}

/// 08:00 local on the simulated day.
pub fn opening() -> DateTime {
    date(2024, 3, 5).at(8, 0, 0, 0)
}

/// A finished simulated run.
pub struct Run {
    pub config: Config,
    pub records: Vec<Record>,
}

impl Run {
    pub fn ledger(&self) -> Ledger {
        Ledger::from_records(&self.records).unwrap()
    }
}

/// A fixed-seed xorshift generator: the run is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.next()
    }

    fn exponential(&mut self, mean: f64) -> f64 {
        -(1.0 - self.next()).ln() * mean
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Arrive { contact: u64, queue: u32 },
    HangUp { contact: u64 },
    Answer { contact: u64, agent: AgentId },
    Hold { contact: u64 },
    Resume { contact: u64 },
    Finish { contact: u64 },
    Wrap { contact: u64, agent: AgentId },
    Agent { index: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Ringing,
    Talking,
    Gone,
}

struct Driver {
    engine: Engine,
    records: Vec<Record>,
    agenda: BinaryHeap<Reverse<(u64, u64, Step)>>,
    seq: u64,
    phases: BTreeMap<u64, (u32, Phase)>,
    agent_events: Vec<Event>,
    rng: Rng,
}

impl Driver {
    fn plan(&mut self, at_ms: u64, step: Step) {
        self.agenda.push(Reverse((at_ms, self.seq, step)));
        self.seq += 1;
    }

    fn send(&mut self, at_ms: u64, event: Event) {
        let shown = format!("{event:?}");
        if let Err(e) = self.engine.handle(Time::from_millis(at_ms), event) {
            panic!("refused at {at_ms} ms: {shown}: {e}");
        }
        let new: Vec<Record> = self.engine.drain_records().collect();
        for record in &new {
            self.observe(record);
        }
        self.records.extend(new);
    }

    fn observe(&mut self, record: &Record) {
        let at = record.at.as_millis();
        match &record.kind {
            RecordKind::Offered { contact, agent, .. } => {
                self.set(contact.0, Phase::Ringing);
                let ring = self.rng.between(2_000.0, 7_000.0) as u64;
                self.plan(
                    at + ring,
                    Step::Answer {
                        contact: contact.0,
                        agent: *agent,
                    },
                );
            }
            RecordKind::Connected { contact, .. } => {
                self.set(contact.0, Phase::Talking);
                let talk = 60_000.0 + self.rng.exponential(150_000.0);
                self.plan(at + talk as u64, Step::Finish { contact: contact.0 });
                // A quarter of the calls put the caller on hold mid-call.
                if self.rng.next() < 0.25 {
                    let hold = at + (talk * 0.4) as u64;
                    self.plan(hold, Step::Hold { contact: contact.0 });
                    let back = hold + (talk * 0.3).min(45_000.0) as u64;
                    self.plan(back, Step::Resume { contact: contact.0 });
                }
            }
            RecordKind::CallEnded { contact, agent, .. } => {
                self.set(contact.0, Phase::Gone);
                let wrap = self.rng.between(10_000.0, 45_000.0) as u64;
                self.plan(
                    at + wrap,
                    Step::Wrap {
                        contact: contact.0,
                        agent: *agent,
                    },
                );
            }
            RecordKind::ContactFinished(finished) => self.set(finished.id.0, Phase::Gone),
            _ => {}
        }
    }

    fn set(&mut self, contact: u64, phase: Phase) {
        if let Some(entry) = self.phases.get_mut(&contact) {
            entry.1 = phase;
        }
    }

    fn run(&mut self) -> u64 {
        let mut now = 0;
        loop {
            let planned = self.agenda.peek().map(|Reverse((at, _, _))| *at);
            let wakeup = self.engine.next_wakeup().map(Time::as_millis);
            match (wakeup, planned) {
                (Some(w), p) if p.is_none_or(|p| w <= p) => {
                    now = w;
                    self.send(w, Event::Tick);
                }
                (_, Some(_)) => {
                    let Some(Reverse((at, _, step))) = self.agenda.pop() else {
                        unreachable!()
                    };
                    now = at;
                    if let Some(event) = self.act(step) {
                        self.send(at, event);
                    }
                }
                _ => return now,
            }
        }
    }

    fn act(&mut self, step: Step) -> Option<Event> {
        let phase = |d: &Driver, c: u64| d.phases.get(&c).map(|p| p.1);
        match step {
            Step::Arrive { contact, queue } => {
                self.phases.insert(contact, (queue, Phase::Waiting));
                Some(Event::ContactArrived(NewContact {
                    id: ContactId(contact),
                    ani: None,
                    dnis: PhoneNumber::parse("18005550100").unwrap(),
                    queue: QueueId(queue),
                    priority: Priority(0),
                    attributes: vec![],
                }))
            }
            Step::HangUp { contact } => {
                matches!(phase(self, contact), Some(Phase::Waiting | Phase::Ringing)).then(|| {
                    self.set(contact, Phase::Gone);
                    Event::CallerHungUp {
                        contact: ContactId(contact),
                    }
                })
            }
            Step::Answer { contact, agent } => (phase(self, contact) == Some(Phase::Ringing))
                .then_some(Event::OfferAccepted {
                    contact: ContactId(contact),
                    agent,
                }),
            Step::Hold { contact } => Some(Event::Held {
                contact: ContactId(contact),
            }),
            Step::Resume { contact } => Some(Event::Resumed {
                contact: ContactId(contact),
            }),
            Step::Finish { contact } => Some(Event::ContactEnded {
                contact: ContactId(contact),
            }),
            Step::Wrap { contact, agent } => {
                let queue = self.phases.get(&contact).map_or(0, |p| p.0);
                let u = self.rng.next();
                let outcome = match queue {
                    1 if u < 0.35 => Some(code("sale")),
                    1 if u < 0.9 => Some(code("no_sale")),
                    2 if u < 0.8 => Some(code("resolved")),
                    _ => None,
                };
                Some(Event::WrapUpDone {
                    agent,
                    contact: ContactId(contact),
                    wrap: WrapUp {
                        outcome,
                        reason: None,
                        notes: String::new(),
                    },
                })
            }
            Step::Agent { index } => Some(self.agent_events[index].clone()),
        }
    }
}

fn config(queue_names: [&str; 2]) -> Config {
    let mut sales = QueueConfig::new(QueueId(1), queue_names[0], SkillId(1), Proficiency::MIN);
    sales.service_level_threshold = Span::from_secs(20);
    let mut support = QueueConfig::new(QueueId(2), queue_names[1], SkillId(1), Proficiency::MIN);
    support.service_level_threshold = Span::from_secs(30);
    support.max_wait = Some(Span::from_secs(240));
    support.overflow = Some(Overflow::Voicemail);
    let names = [
        "Ada Lovelace",
        "Grace Hopper",
        "Edsger W. Dijkstra",
        "Barbara Liskov",
        "Maximilian Alexander von Humboldt-Winterfeld",
    ];
    let agents = names
        .iter()
        .enumerate()
        .map(|(i, name)| AgentConfig {
            id: AgentId(i as u32 + 1),
            name: name.to_string(),
            skills: vec![(SkillId(1), Proficiency::MIN)],
            profile: [1, 2]
                .into_iter()
                .map(|q| ProfileEntry {
                    queue: QueueId(q),
                    // The first three agents lean to sales, the rest to support.
                    priority: if (i < 3) == (q == 1) { 1 } else { 2 },
                })
                .collect(),
            concurrency: Concurrency::ONE,
        })
        .collect();
    Config {
        skills: vec![SkillConfig {
            id: SkillId(1),
            name: "phone".into(),
        }],
        queues: vec![sales, support],
        agents,
        reason_codes: ["login", "missed", "break", "lunch"].map(code).to_vec(),
        outcome_codes: vec![
            OutcomeConfig {
                code: code("sale"),
                success: true,
            },
            OutcomeConfig {
                code: code("no_sale"),
                success: false,
            },
            OutcomeConfig {
                code: code("resolved"),
                success: false,
            },
        ],
        login_reason: code("login"),
        missed_offer_reason: code("missed"),
    }
}

/// Calls per quarter hour from 08:00 to 12:00, per queue: a morning peak
/// around 10:00 that the five agents cannot quite keep up with.
const ARRIVALS: [[u32; 16]; 2] = [
    [4, 5, 7, 9, 11, 13, 15, 16, 16, 15, 13, 11, 9, 7, 5, 4],
    [2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2],
];

/// A morning from 08:00 to 12:00 local: two queues, five agents, breaks,
/// and every agent logged out once the last call is wrapped up.
pub fn morning(queue_names: [&str; 2]) -> Run {
    let config = config(queue_names);
    let start_ms = opening()
        .to_zoned(zone())
        .unwrap()
        .timestamp()
        .as_millisecond() as u64;
    let mut driver = Driver {
        engine: Engine::new(config.clone(), Selector::Indexed).unwrap(),
        records: Vec::new(),
        agenda: BinaryHeap::new(),
        seq: 0,
        phases: BTreeMap::new(),
        agent_events: Vec::new(),
        rng: Rng(0x5eed_cafe_f00d),
    };
    let minute = 60_000;
    let agent_step = |driver: &mut Driver, at: u64, event: Event| {
        driver.agent_events.push(event);
        let index = driver.agent_events.len() - 1;
        driver.plan(at, Step::Agent { index });
    };
    for a in 1..=5 {
        let agent = AgentId(a);
        let login = start_ms + u64::from(a - 1) * 2 * minute;
        agent_step(&mut driver, login, Event::AgentLoggedIn { agent });
        agent_step(&mut driver, login + minute, Event::AgentReady { agent });
    }
    for (agent, from, minutes, reason) in [(3, 90, 15, "break"), (5, 150, 30, "lunch")] {
        let at = start_ms + from * minute;
        agent_step(
            &mut driver,
            at,
            Event::AgentNotReady {
                agent: AgentId(agent),
                reason: code(reason),
            },
        );
        agent_step(
            &mut driver,
            at + minutes * minute,
            Event::AgentReady {
                agent: AgentId(agent),
            },
        );
    }
    let mut contact = 0;
    for (q, per_quarter) in ARRIVALS.iter().enumerate() {
        for (i, &n) in per_quarter.iter().enumerate() {
            for _ in 0..n {
                contact += 1;
                let at = start_ms
                    + i as u64 * 15 * minute
                    + driver.rng.between(0.0, 15.0 * minute as f64) as u64;
                let patience = driver.rng.exponential(120_000.0);
                driver.plan(
                    at,
                    Step::Arrive {
                        contact,
                        queue: q as u32 + 1,
                    },
                );
                driver.plan(at + patience as u64, Step::HangUp { contact });
            }
        }
    }
    let end = driver.run();
    for a in 1..=5 {
        driver.send(end + 1_000, Event::AgentLoggedOut { agent: AgentId(a) });
    }
    Run {
        config,
        records: driver.records,
    }
}

/// Checks that `html` is well formed: every tag closed in order, every
/// `&` starting an entity, no script element. Panics with the offending
/// place.
pub fn check_markup(html: &str) {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        check_text(&rest[..lt]);
        rest = &rest[lt..];
        let gt = rest
            .find('>')
            .unwrap_or_else(|| panic!("unclosed tag at {:.40}", rest));
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let top = open
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(top, name, "</{name}> closes <{top}>");
            continue;
        }
        let name = tag.split_whitespace().next().unwrap_or("");
        assert!(!name.is_empty(), "empty tag");
        assert_ne!(name.to_ascii_lowercase(), "script", "a script element");
        check_text(tag);
        if tag.ends_with('/') {
            continue;
        }
        open.push(name);
        if name == "style" {
            // CSS holds no markup; skip to its end tag.
            let end = rest.find("</style>").expect("style closed");
            rest = &rest[end..];
        }
    }
    check_text(rest);
    assert!(open.is_empty(), "left open: {open:?}");
}

fn check_text(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
            .iter()
            .any(|e| entity.starts_with(e));
        assert!(ok, "bare & at {:.40}", entity);
    }
}
