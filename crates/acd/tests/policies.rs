//! Routing policies, each exercised in simulated time.
//!
//! Key pieces: [`Center`] (an engine plus every record it produced, driven
//! by seconds on a virtual clock) and the small config builders `queue`,
//! `agent` and `arrive`. Each test tells one story a supervisor would
//! recognise and checks the records the engine produced.

use acd::accounting::Accounting;
use acd::config::{
    AgentConfig, AgingRule, Config, OutcomeConfig, Overflow, ProfileEntry, QueueConfig, Relaxation,
    SelectionPolicy, SkillConfig,
};
use acd::model::{
    AgentId, Code, Concurrency, ContactId, PhoneNumber, Priority, Proficiency, QueueId, SkillId,
    Span, Time,
};
use acd::record::{ContactRecord, ContactResult, LegEnd, OfferOutcome, Route, Trigger};
use acd::{
    AgentState, ConfigChange, Engine, Event, NewContact, Record, RecordKind, Selector, WrapUp,
};

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

fn level(n: u8) -> Proficiency {
    Proficiency::new(n).unwrap()
}

fn queue(id: u32, skill: u32, min: u8) -> QueueConfig {
    QueueConfig::new(QueueId(id), &format!("Q{id}"), SkillId(skill), level(min))
}

fn agent(id: u32, skills: &[(u32, u8)], queues: &[(u32, u8)]) -> AgentConfig {
    AgentConfig {
        id: AgentId(id),
        name: format!("A{id}"),
        skills: skills
            .iter()
            .map(|&(s, l)| (SkillId(s), level(l)))
            .collect(),
        profile: queues
            .iter()
            .map(|&(q, priority)| ProfileEntry {
                queue: QueueId(q),
                priority,
            })
            .collect(),
        concurrency: Concurrency::ONE,
    }
}

fn config(queues: Vec<QueueConfig>, agents: Vec<AgentConfig>) -> Config {
    Config {
        skills: (1..=4)
            .map(|id| SkillConfig {
                id: SkillId(id),
                name: format!("S{id}"),
            })
            .collect(),
        queues,
        agents,
        reason_codes: ["login", "missed", "lunch"].map(code).to_vec(),
        outcome_codes: vec![OutcomeConfig {
            code: code("sale"),
            success: true,
        }],
        login_reason: code("login"),
        missed_offer_reason: code("missed"),
    }
}

fn arrive(id: u64, queue: u32, priority: u8) -> Event {
    Event::ContactArrived(NewContact {
        id: ContactId(id),
        ani: Some(PhoneNumber::parse(&format!("+8490{id:07}")).unwrap()),
        dnis: PhoneNumber::parse("19001234").unwrap(),
        queue: QueueId(queue),
        priority: Priority(priority),
        attributes: vec![(code("language"), code("vi"))],
    })
}

/// An engine with everything it said, on a clock in seconds.
struct Center {
    engine: Engine,
    records: Vec<Record>,
}

impl Center {
    fn new(queues: Vec<QueueConfig>, agents: Vec<AgentConfig>) -> Self {
        Center {
            engine: Engine::new(config(queues, agents), Selector::Indexed).unwrap(),
            records: Vec::new(),
        }
    }

    /// Applies an event at `secs`; panics if the engine refuses it.
    fn at(&mut self, secs: u64, event: Event) -> &mut Self {
        self.at_ms(secs * 1000, event)
    }

    fn at_ms(&mut self, ms: u64, event: Event) -> &mut Self {
        let shown = format!("{event:?}");
        if let Err(e) = self.engine.handle(Time::from_millis(ms), event) {
            panic!("refused at {ms} ms: {shown}: {e}");
        }
        self.records.extend(self.engine.drain_records());
        self
    }

    /// Logs agents in and makes them ready at `secs`, in the order given.
    fn ready(&mut self, secs: u64, agents: &[u32]) -> &mut Self {
        for &a in agents {
            self.at(secs, Event::AgentLoggedIn { agent: AgentId(a) });
            self.at(secs, Event::AgentReady { agent: AgentId(a) });
        }
        self
    }

    /// (contact, agent) of every offer, in order.
    fn offers(&self) -> Vec<(u64, u32)> {
        self.records
            .iter()
            .filter_map(|r| match r.kind {
                RecordKind::Offered { contact, agent, .. } => Some((contact.0, agent.0)),
                _ => None,
            })
            .collect()
    }

    fn last_offer(&self) -> (Time, &acd::record::Decision, u64, u32) {
        self.records
            .iter()
            .rev()
            .find_map(|r| match &r.kind {
                RecordKind::Offered {
                    contact,
                    agent,
                    decision,
                    ..
                } => Some((r.at, decision, contact.0, agent.0)),
                _ => None,
            })
            .expect("an offer was made")
    }

    fn accept(&mut self, secs: u64, contact: u64, agent: u32) -> &mut Self {
        self.at(
            secs,
            Event::OfferAccepted {
                contact: ContactId(contact),
                agent: AgentId(agent),
            },
        )
    }

    /// Answers, talks for `talk` seconds and ends, from `secs`.
    fn handle_call(&mut self, secs: u64, contact: u64, agent: u32, talk: u64) -> &mut Self {
        self.accept(secs, contact, agent).at(
            secs + talk,
            Event::ContactEnded {
                contact: ContactId(contact),
            },
        )
    }

    fn wrap(&mut self, secs: u64, contact: u64, agent: u32) -> &mut Self {
        self.at(
            secs,
            Event::WrapUpDone {
                agent: AgentId(agent),
                contact: ContactId(contact),
                wrap: WrapUp {
                    outcome: Some(code("sale")),
                    reason: Some(code("billing")),
                    notes: "asked about the March bill".into(),
                },
            },
        )
    }

    fn finished(&self, contact: u64) -> &ContactRecord {
        self.records
            .iter()
            .find_map(|r| match &r.kind {
                RecordKind::ContactFinished(record) if record.id == ContactId(contact) => {
                    Some(record.as_ref())
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("contact {contact} finished"))
    }

    fn state(&self, agent: u32) -> AgentState {
        self.engine.agent_status(AgentId(agent)).unwrap().state
    }
}

#[test]
fn higher_priority_first_then_longest_wait() {
    let mut c = Center::new(vec![queue(1, 1, 1)], vec![agent(1, &[(1, 5)], &[(1, 1)])]);
    c.at(0, arrive(1, 1, 0))
        .at(1, arrive(2, 1, 0))
        .at(2, arrive(3, 1, 5))
        .ready(10, &[1]);
    assert_eq!(c.offers(), [(3, 1)], "the VIP goes first");
    c.handle_call(12, 3, 1, 30).wrap(45, 3, 1);
    c.handle_call(47, 1, 1, 30).wrap(80, 1, 1);
    assert_eq!(c.offers(), [(3, 1), (1, 1), (2, 1)], "then by wait");
}

#[test]
fn aging_lets_a_long_waiting_caller_overtake_a_new_vip() {
    let mut aged = queue(1, 1, 1);
    aged.aging = Some(AgingRule {
        every: Span::from_secs(10),
        boost: 1,
        max_boost: 10,
    });
    let mut c = Center::new(vec![aged], vec![agent(1, &[(1, 5)], &[(1, 1)])]);
    c.at(0, arrive(1, 1, 0))
        .at(50, arrive(2, 1, 3))
        .ready(51, &[1]);
    let (_, decision, contact, _) = c.last_offer();
    assert_eq!(contact, 1, "51 s of waiting is worth 5 > 3");
    assert_eq!(decision.effective_priority, 5);

    let mut c = Center::new(vec![queue(1, 1, 1)], vec![agent(1, &[(1, 5)], &[(1, 1)])]);
    c.at(0, arrive(1, 1, 0))
        .at(50, arrive(2, 1, 3))
        .ready(51, &[1]);
    assert_eq!(c.last_offer().2, 2, "without aging the VIP wins");
}

fn relaxing_queue() -> QueueConfig {
    let mut q = queue(1, 1, 7);
    q.relaxation = vec![
        Relaxation {
            after: Span::from_secs(30),
            min_level: Some(level(3)),
            add_queues: vec![],
        },
        Relaxation {
            after: Span::from_secs(60),
            min_level: None,
            add_queues: vec![QueueId(2)],
        },
    ];
    q
}

#[test]
fn requirements_relax_with_wait() {
    // Agent 1 has level 5: good enough only after 30 s.
    let mut c = Center::new(
        vec![relaxing_queue(), queue(2, 2, 1)],
        vec![agent(1, &[(1, 5)], &[(1, 1)])],
    );
    c.ready(0, &[1]).at(1, arrive(1, 1, 0)).at(30, Event::Tick);
    assert!(c.offers().is_empty(), "29 s: still wants level 7");
    c.at(31, Event::Tick);
    let (at, decision, contact, agent) = c.last_offer();
    assert_eq!((at, contact, agent), (Time::from_secs(31), 1, 1));
    assert_eq!(decision.step, 1);
    assert!(matches!(decision.route, Route::Queue { tier: 1, .. }));
    assert_eq!(decision.trigger, Trigger::Contact);
}

#[test]
fn relaxation_borrows_agents_of_another_queue() {
    let mut c = Center::new(
        vec![relaxing_queue(), queue(2, 2, 1)],
        vec![agent(2, &[(2, 5)], &[(2, 1)])],
    );
    c.ready(0, &[2]).at(0, arrive(1, 1, 0)).at(59, Event::Tick);
    assert!(c.offers().is_empty());
    c.at(60, Event::Tick);
    let (_, decision, contact, agent) = c.last_offer();
    assert_eq!((contact, agent), (1, 2));
    assert!(matches!(
        decision.route,
        Route::Borrowed {
            queue: QueueId(1),
            from: QueueId(2),
            ..
        }
    ));
}

#[test]
fn relaxed_callers_keep_their_place() {
    let mut c = Center::new(
        vec![relaxing_queue(), queue(2, 2, 1)],
        vec![agent(1, &[(1, 5)], &[(1, 1)])],
    );
    c.at(0, arrive(1, 1, 0))
        .at(10, arrive(2, 1, 0))
        .ready(45, &[1]);
    // Both have passed 30 s; the one who came first is served first.
    assert_eq!(c.offers(), [(1, 1)]);
    let (_, decision, ..) = c.last_offer();
    assert_eq!(decision.trigger, Trigger::Agent);
}

fn two_agent_center(policy: SelectionPolicy, levels: [u8; 2]) -> Center {
    let mut q = queue(1, 1, 1);
    q.selection = policy;
    q.wrap_up = Some(Span::ZERO);
    Center::new(
        vec![q],
        vec![
            agent(1, &[(1, levels[0])], &[(1, 1)]),
            agent(2, &[(1, levels[1])], &[(1, 1)]),
        ],
    )
}

#[test]
fn longest_idle_agent_is_chosen_by_default() {
    let mut c = two_agent_center(SelectionPolicy::LongestIdle, [5, 9]);
    c.ready(0, &[1]).ready(5, &[2]).at(10, arrive(1, 1, 0));
    let (_, decision, _, agent) = c.last_offer();
    assert_eq!(agent, 1);
    assert_eq!(decision.agent_idle, Span::from_secs(10));
    assert_eq!(decision.alternatives, 2);
    let text = decision.to_string();
    assert!(
        text.contains("LongestIdle") && text.contains("2 eligible"),
        "{text}"
    );
}

#[test]
fn most_skilled_agent_is_chosen() {
    let mut c = two_agent_center(SelectionPolicy::MostSkilled, [5, 9]);
    c.ready(0, &[1]).ready(5, &[2]).at(10, arrive(1, 1, 0));
    assert_eq!(c.last_offer().3, 2);
}

#[test]
fn fewest_contacts_today_then_reset_at_day_start() {
    let mut c = two_agent_center(SelectionPolicy::FewestContacts, [5, 5]);
    c.ready(0, &[1, 2]);
    // Agent 1 takes two calls, agent 2 one.
    c.at(1, arrive(1, 1, 0)).handle_call(2, 1, 1, 10);
    c.at(13, arrive(2, 1, 0)).accept(14, 2, 2);
    c.at(20, arrive(3, 1, 0)).handle_call(21, 3, 1, 10);
    c.at(
        114,
        Event::ContactEnded {
            contact: ContactId(2),
        },
    );
    assert_eq!(c.state(1), AgentState::Ready);
    c.at(130, arrive(4, 1, 0));
    assert_eq!(c.last_offer().3, 2, "agent 2 took fewer contacts today");
    c.handle_call(131, 4, 2, 10);
    // Now 2 each; a new day resets the counts and longest idle decides.
    c.at(200, Event::DayStarted).at(201, arrive(5, 1, 0));
    assert_eq!(c.last_offer().3, 1);
}

#[test]
fn round_robin_rotates_through_agents() {
    let mut q = queue(1, 1, 1);
    q.selection = SelectionPolicy::RoundRobin;
    q.wrap_up = Some(Span::ZERO);
    let mut c = Center::new(
        vec![q],
        (1..=3).map(|a| agent(a, &[(1, 5)], &[(1, 1)])).collect(),
    );
    c.ready(0, &[3, 1, 2]);
    for contact in 1..=4 {
        let t = contact * 100;
        c.at(t, arrive(contact, 1, 0));
        let agent = c.last_offer().3;
        c.handle_call(t + 1, contact, agent, 10);
    }
    let agents: Vec<u32> = c.offers().into_iter().map(|(_, a)| a).collect();
    assert_eq!(agents, [1, 2, 3, 1]);
}

#[test]
fn an_agent_in_several_queues_serves_them_by_profile_priority() {
    let mut c = Center::new(
        vec![queue(1, 1, 1), queue(2, 1, 1)],
        vec![agent(1, &[(1, 5)], &[(1, 2), (2, 1)])],
    );
    c.at(0, arrive(1, 1, 0))
        .at(5, arrive(2, 2, 0))
        .ready(10, &[1]);
    let (_, decision, contact, _) = c.last_offer();
    assert_eq!(contact, 2, "queue 2 has profile priority 1");
    assert_eq!(decision.alternatives, 2);
    assert!(matches!(
        decision.route,
        Route::Queue {
            queue: QueueId(2),
            profile_priority: 1,
            ..
        }
    ));
}

#[test]
fn wrap_up_timer_can_be_cut_short_or_extended() {
    let mut q = queue(1, 1, 1);
    q.wrap_up = Some(Span::from_secs(30));
    let mut c = Center::new(vec![q], vec![agent(1, &[(1, 5)], &[(1, 1)])]);
    c.ready(0, &[1])
        .at(0, arrive(1, 1, 0))
        .handle_call(1, 1, 1, 10);
    assert_eq!(c.state(1), AgentState::WrapUp);
    c.at(40, Event::Tick);
    assert_eq!(c.state(1), AgentState::WrapUp, "29 s into wrap-up");
    c.at(41, Event::Tick);
    assert_eq!(c.state(1), AgentState::Ready, "timer ended it at 41 s");
    assert!(c.records.iter().any(|r| matches!(
        r.kind,
        RecordKind::WrapUpEnded {
            timed_out: true,
            ..
        }
    )));

    c.at(50, arrive(2, 1, 0)).handle_call(51, 2, 1, 10);
    c.at(
        61,
        Event::WrapUpExtended {
            agent: AgentId(1),
            contact: ContactId(2),
            by: Span::from_secs(20),
        },
    );
    c.at(100, Event::Tick);
    assert_eq!(c.state(1), AgentState::WrapUp, "extended to 111 s");
    c.at(111, Event::Tick);
    assert_eq!(c.state(1), AgentState::Ready);

    c.at(120, arrive(3, 1, 0))
        .handle_call(121, 3, 1, 10)
        .wrap(135, 3, 1);
    assert_eq!(c.state(1), AgentState::Ready, "ended early at 135 s");
    let leg = &c.finished(3).legs[0];
    assert_eq!(leg.wrap_ended, Some(Time::from_secs(135)));
    assert_eq!(leg.outcome, Some(code("sale")));
}

#[test]
fn unanswered_offer_makes_the_agent_not_ready_and_the_caller_keeps_their_place() {
    let mut c = Center::new(
        vec![queue(1, 1, 1)],
        vec![
            agent(1, &[(1, 5)], &[(1, 1)]),
            agent(2, &[(1, 5)], &[(1, 1)]),
        ],
    );
    c.ready(0, &[1])
        .at(1, arrive(1, 1, 0))
        .at(2, arrive(2, 1, 0));
    assert_eq!(c.offers(), [(1, 1)]);
    c.at(16, Event::Tick);
    assert_eq!(c.state(1), AgentState::NotReady(code("missed")));
    assert!(c.records.iter().any(|r| matches!(
        r.kind,
        RecordKind::OfferEnded {
            outcome: OfferOutcome::NotAnswered,
            ..
        }
    )));
    c.ready(20, &[2]);
    assert_eq!(c.offers(), [(1, 1), (1, 2)], "contact 1 is still first");
}

#[test]
fn position_and_estimated_wait_are_announced() {
    let mut q = queue(1, 1, 1);
    q.announce_every = Some(Span::from_secs(30));
    q.expected_handle_time = Span::from_secs(120);
    let mut c = Center::new(
        vec![q],
        vec![
            agent(1, &[(1, 5)], &[(1, 1)]),
            agent(2, &[(1, 5)], &[(1, 1)]),
        ],
    );
    c.ready(0, &[1, 2]);
    c.at(0, arrive(1, 1, 0)).at(0, arrive(2, 1, 0));
    c.accept(1, 1, 1).accept(1, 2, 2);
    c.at(2, arrive(3, 1, 0))
        .at(3, arrive(4, 1, 0))
        .at(4, arrive(5, 1, 0));
    c.at(34, Event::Tick);
    let announced: Vec<(u64, u32, Option<Span>)> = c
        .records
        .iter()
        .filter_map(|r| match r.kind {
            RecordKind::Announce {
                contact,
                position,
                estimated_wait,
            } => Some((contact.0, position, estimated_wait)),
            _ => None,
        })
        .collect();
    assert_eq!(
        announced,
        [
            (3, 1, Some(Span::from_secs(60))),
            (4, 2, Some(Span::from_secs(120))),
            (5, 3, Some(Span::from_secs(180))),
        ]
    );
    let why = c.engine.explain_wait(ContactId(5)).unwrap();
    assert_eq!(why.position, 3);
    assert_eq!(why.eligible, [(AgentState::Talking, 2)]);
    assert!(why.to_string().contains("2 talking"), "{why}");
}

#[test]
fn every_logged_in_second_is_accounted_for() {
    let mut q = queue(1, 1, 1);
    q.wrap_up = Some(Span::from_secs(30));
    let mut c = Center::new(vec![q], vec![agent(1, &[(1, 5)], &[(1, 1)])]);
    c.at(0, Event::AgentLoggedIn { agent: AgentId(1) })
        .at(10, Event::AgentReady { agent: AgentId(1) })
        .at(20, arrive(1, 1, 0))
        .at(
            25,
            Event::OfferAccepted {
                contact: ContactId(1),
                agent: AgentId(1),
            },
        )
        .at(
            40,
            Event::Held {
                contact: ContactId(1),
            },
        )
        .at(
            50,
            Event::Resumed {
                contact: ContactId(1),
            },
        )
        .at(
            100,
            Event::CallerHungUp {
                contact: ContactId(1),
            },
        )
        .at(
            200,
            Event::AgentNotReady {
                agent: AgentId(1),
                reason: code("lunch"),
            },
        )
        .at(300, Event::AgentLoggedOut { agent: AgentId(1) });
    let mut accounting = Accounting::default();
    c.records.iter().for_each(|r| accounting.apply(r));
    let time = &accounting.totals_at(Time::from_secs(300))[&AgentId(1)];
    let secs = |state: AgentState| {
        time.by_state
            .get(&state)
            .map_or(0, |s| s.as_millis() / 1000)
    };
    assert_eq!(secs(AgentState::NotReady(code("login"))), 10);
    assert_eq!(secs(AgentState::Ready), 10 + 70);
    assert_eq!(secs(AgentState::Reserved), 5);
    assert_eq!(secs(AgentState::Talking), 15 + 50);
    assert_eq!(secs(AgentState::OnHold), 10);
    assert_eq!(secs(AgentState::WrapUp), 30);
    assert_eq!(secs(AgentState::NotReady(code("lunch"))), 100);
    assert_eq!(time.logged_in, Span::from_secs(300));
    assert_eq!(time.state_total(), time.logged_in);
    assert_eq!(time.logouts, 1);

    let record = c.finished(1);
    assert_eq!(record.result, ContactResult::Handled);
    let leg = &record.legs[0];
    assert_eq!(leg.offers.len(), 1);
    assert_eq!(leg.answered, Some(Time::from_secs(25)));
    assert_eq!(leg.holds.len(), 1);
    assert_eq!(leg.holds[0].end, Time::from_secs(50));
    assert_eq!(leg.ended, Some(Time::from_secs(100)));
    assert_eq!(leg.wrap_ended, Some(Time::from_secs(130)));
    assert_eq!(record.finished, Time::from_secs(130));
}

#[test]
fn transfers_add_legs_and_the_record_closes_after_every_wrap_up() {
    let mut c = Center::new(
        vec![queue(1, 1, 1), queue(2, 2, 1)],
        vec![
            agent(1, &[(1, 5)], &[(1, 1)]),
            agent(2, &[(2, 5)], &[(2, 1)]),
            agent(3, &[(1, 5)], &[(1, 1)]),
        ],
    );
    c.ready(0, &[1])
        .at(0, Event::AgentLoggedIn { agent: AgentId(3) });
    c.at(1, arrive(1, 1, 0)).accept(2, 1, 1).at(
        30,
        Event::TransferredToAgent {
            contact: ContactId(1),
            agent: AgentId(3),
        },
    );
    c.at(40, Event::AgentReady { agent: AgentId(3) });
    assert_eq!(c.last_offer().3, 3, "the named agent gets it when ready");
    assert_eq!(c.last_offer().1.route, Route::Personal);
    c.at(
        41,
        Event::OfferAccepted {
            contact: ContactId(1),
            agent: AgentId(3),
        },
    )
    .at(
        60,
        Event::TransferredToQueue {
            contact: ContactId(1),
            queue: QueueId(2),
        },
    );
    c.ready(70, &[2]).handle_call(71, 1, 2, 30);
    c.wrap(105, 1, 2).wrap(106, 1, 3);
    assert!(
        !c.records
            .iter()
            .any(|r| matches!(r.kind, RecordKind::ContactFinished(_))),
        "agent 1 is still wrapping up"
    );
    c.wrap(107, 1, 1);
    let record = c.finished(1);
    let ends: Vec<Option<LegEnd>> = record.legs.iter().map(|l| l.end).collect();
    assert_eq!(
        ends,
        [
            Some(LegEnd::Transferred),
            Some(LegEnd::Transferred),
            Some(LegEnd::Handled)
        ]
    );
    assert_eq!(record.legs[1].for_agent, Some(AgentId(3)));
    assert_eq!(record.legs[2].queue, QueueId(2));
    assert_eq!(record.finished, Time::from_secs(107));
}

#[test]
fn maximum_wait_overflows_to_another_queue_voicemail_or_callback() {
    let mut to_queue = queue(1, 1, 1);
    to_queue.max_wait = Some(Span::from_secs(60));
    to_queue.overflow = Some(Overflow::Queue(QueueId(2)));
    let mut to_voicemail = queue(3, 1, 1);
    to_voicemail.max_wait = Some(Span::from_secs(60));
    to_voicemail.overflow = Some(Overflow::Voicemail);
    let mut to_callback = queue(4, 1, 1);
    to_callback.max_wait = Some(Span::from_secs(60));
    to_callback.overflow = Some(Overflow::Callback);
    let mut c = Center::new(
        vec![to_queue, queue(2, 2, 1), to_voicemail, to_callback],
        vec![
            agent(2, &[(2, 5)], &[(2, 1)]),
            agent(4, &[(1, 5)], &[(4, 1)]),
        ],
    );
    c.at(0, arrive(1, 1, 0)).at(0, arrive(3, 3, 0));
    c.at(0, arrive(4, 4, 0)).at(30, arrive(5, 4, 0));
    c.ready(61, &[2]);
    assert_eq!(c.offers(), [(1, 2)], "overflowed into queue 2");
    assert_eq!(c.finished(3).result, ContactResult::Voicemail);
    c.ready(200, &[4]);
    let (_, _, contact, _) = c.last_offer();
    assert_eq!(contact, 4, "the callback kept its place ahead of contact 5");
    assert!(c.records.iter().any(|r| matches!(
        r.kind,
        RecordKind::Offered {
            contact: ContactId(4),
            callback: true,
            ..
        }
    )));
}

#[test]
fn a_skill_change_at_run_time_reaches_routing_at_once() {
    let mut c = Center::new(vec![queue(1, 1, 5)], vec![agent(1, &[(1, 2)], &[(1, 1)])]);
    c.ready(0, &[1]).at(1, arrive(1, 1, 0)).at(10, Event::Tick);
    assert!(c.offers().is_empty());
    c.at(
        11,
        Event::Configure(ConfigChange::SetAgentSkills {
            agent: AgentId(1),
            skills: vec![(SkillId(1), level(6))],
        }),
    );
    assert_eq!(c.offers(), [(1, 1)]);
}

#[test]
fn concurrency_lets_an_agent_hold_several_contacts() {
    let mut chat = agent(1, &[(1, 5)], &[(1, 1)]);
    chat.concurrency = Concurrency::new(2).unwrap();
    let mut c = Center::new(vec![queue(1, 1, 1)], vec![chat]);
    c.ready(0, &[1])
        .at(1, arrive(1, 1, 0))
        .at(1, arrive(2, 1, 0))
        .at(1, arrive(3, 1, 0));
    assert_eq!(c.offers(), [(1, 1)], "one offer at a time");
    c.at(
        2,
        Event::OfferAccepted {
            contact: ContactId(1),
            agent: AgentId(1),
        },
    );
    assert_eq!(c.offers(), [(1, 1), (2, 1)]);
    c.at(
        3,
        Event::OfferAccepted {
            contact: ContactId(2),
            agent: AgentId(1),
        },
    );
    assert_eq!(c.offers().len(), 2, "two is the limit");
    assert_eq!(c.engine.agent_status(AgentId(1)).unwrap().contacts.len(), 2);
}

#[test]
fn caller_hanging_up_while_ringing_is_an_abandon_and_the_agent_stays_ready() {
    let mut c = Center::new(vec![queue(1, 1, 1)], vec![agent(1, &[(1, 5)], &[(1, 1)])]);
    c.ready(0, &[1]).at(1, arrive(1, 1, 0)).at(
        3,
        Event::CallerHungUp {
            contact: ContactId(1),
        },
    );
    assert_eq!(c.finished(1).result, ContactResult::Abandoned);
    assert_eq!(c.state(1), AgentState::Ready);
    assert_eq!(
        c.finished(1).legs[0].offers[0].outcome,
        OfferOutcome::CallerHungUp
    );
}

#[test]
fn a_queue_change_at_run_time_repools_agents_and_restarts_timers() {
    // Agent 1 (level 5) sits in the relaxed tier of queue 1.
    let mut c = Center::new(
        vec![relaxing_queue(), queue(2, 2, 1)],
        vec![
            agent(1, &[(1, 5)], &[(1, 1)]),
            agent(2, &[(1, 9)], &[(1, 1)]),
        ],
    );
    c.ready(0, &[1]).at(1, arrive(1, 1, 0)).at(5, Event::Tick);
    assert!(c.offers().is_empty());
    // The supervisor lowers the requirement to level 4, without relaxation.
    let mut easier = queue(1, 1, 4);
    easier.name = "Q1 (easier)".into();
    c.at(6, Event::Configure(ConfigChange::UpsertQueue(easier)));
    assert_eq!(c.offers(), [(1, 1)]);
    // And back to strict: agent 1 no longer qualifies, agent 2 does.
    c.at(
        7,
        Event::CallerHungUp {
            contact: ContactId(1),
        },
    );
    c.at(
        8,
        Event::Configure(ConfigChange::UpsertQueue(queue(1, 1, 7))),
    );
    c.at(9, arrive(2, 1, 0)).ready(10, &[2]);
    assert_eq!(c.last_offer().3, 2);
}

#[test]
fn timers_of_a_finished_contact_do_not_touch_a_later_one_with_the_same_id() {
    let mut q = queue(1, 1, 1);
    q.announce_every = Some(Span::from_secs(30));
    let mut c = Center::new(vec![q], vec![agent(1, &[(1, 5)], &[(1, 1)])]);
    c.at(0, arrive(1, 1, 0))
        .at(
            5,
            Event::CallerHungUp {
                contact: ContactId(1),
            },
        )
        .at(6, arrive(1, 1, 0))
        .at(40, Event::Tick);
    let announced: Vec<Time> = c
        .records
        .iter()
        .filter(|r| matches!(r.kind, RecordKind::Announce { .. }))
        .map(|r| r.at)
        .collect();
    assert_eq!(announced, [Time::from_secs(36)]);
}
