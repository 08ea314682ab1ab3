//! Switchboard's routing engine (ACD): a deterministic state machine that
//! performs no I/O and never reads a clock.
//!
//! Drivers (the live server, the simulator, tests) call
//! [`Engine::handle`] with each [`Event`] and the time it happened, drain
//! the resulting [`Record`]s with [`Engine::poll_record`] — carrying out the
//! ones that ask for action, such as [`RecordKind::Offered`], and appending
//! every one to the durable log — and call back with [`Event::Tick`] at
//! [`Engine::next_wakeup`]. Same inputs, same records, byte for byte.
//!
//! Modules: [`model`] (ids, time, parsed values), [`config`] (queues, agents,
//! policies), [`event`] (inputs), [`record`] (outputs), [`error`],
//! [`accounting`] (agent time by state, folded from records), [`query`] (live
//! views and wait explanations), and the
//! private engine, matching (`select`) and waiting-line (`waiting`) code.
//!
//! ```
//! use acd::{config::*, model::*, Engine, Event, RecordKind, Selector};
//! let level = Proficiency::new(5).unwrap();
//! let config = Config {
//!     skills: vec![SkillConfig { id: SkillId(1), name: "billing".into() }],
//!     queues: vec![QueueConfig::new(QueueId(1), "Billing", SkillId(1), level)],
//!     agents: vec![AgentConfig {
//!         id: AgentId(7),
//!         name: "Lan".into(),
//!         skills: vec![(SkillId(1), level)],
//!         profile: vec![ProfileEntry { queue: QueueId(1), priority: 1 }],
//!         concurrency: Concurrency::ONE,
//!     }],
//!     reason_codes: vec![Code::parse("login").unwrap(), Code::parse("missed").unwrap()],
//!     outcome_codes: vec![],
//!     login_reason: Code::parse("login").unwrap(),
//!     missed_offer_reason: Code::parse("missed").unwrap(),
//! };
//! let mut engine = Engine::new(config, Selector::Indexed).unwrap();
//! engine.handle(Time::ZERO, Event::AgentLoggedIn { agent: AgentId(7) }).unwrap();
//! engine.handle(Time::ZERO, Event::AgentReady { agent: AgentId(7) }).unwrap();
//! engine.handle(Time::from_secs(3), Event::ContactArrived(acd::NewContact {
//!     id: ContactId(1),
//!     ani: Some(PhoneNumber::parse("+84901234567").unwrap()),
//!     dnis: PhoneNumber::parse("1900").unwrap(),
//!     queue: QueueId(1),
//!     priority: Priority(0),
//!     attributes: vec![],
//! })).unwrap();
//! let offered = engine.drain_records().any(|r| matches!(r.kind,
//!     RecordKind::Offered { agent: AgentId(7), contact: ContactId(1), .. }));
//! assert!(offered);
//! ```

pub mod accounting;
pub mod config;
mod engine;
pub mod error;
pub mod event;
pub mod model;
pub mod query;
pub mod record;
mod select;
mod waiting;

pub use engine::{Engine, Selector};
pub use error::Error;
pub use event::{ConfigChange, Event, NewContact, WrapUp};
pub use record::{AgentState, Record, RecordKind};
