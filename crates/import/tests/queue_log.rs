//! Asterisk `queue_log` imports of hand-written logs, checked through the
//! reports a live log would feed: `kpi`'s queue report (one UTC day,
//! T = 20 s, short abandons off) and agent report. Each expected figure is
//! worked out in the comments from the log's times.

mod common;

use acd::AgentState;
use acd::model::{AgentId, Code, QueueId, Span, Time};
use acd::record::{ContactResult, LegEnd, OfferOutcome};
use import::{Import, Options, Rejected};
use jiff::tz::TimeZone;
use kpi::{AgentRow, Bucketing, Count, Interval, Ledger, QueueOptions, QueueRow, SlDefinition};

/// 2023-11-14 09:00:00 UTC.
const BASE: u64 = 1_699_952_400;

/// A log line `seconds after BASE|rest`.
fn at(offset: u64, rest: &str) -> String {
    format!("{}|{rest}", BASE + offset)
}

fn run(lines: &[String]) -> Import {
    let text = lines.join("\n");
    let options = Options::new(TimeZone::UTC);
    let import = import::queue_log::read(text.as_bytes(), &options, |_| {}).unwrap();
    common::check_log(&import.facts);
    import
}

fn ledger(import: &Import) -> Ledger {
    Ledger::from_facts(&import.facts).unwrap()
}

fn queue_row(import: &Import, queue: &str) -> QueueRow {
    let mut options = QueueOptions::new(Bucketing {
        interval: Interval::Day,
        time_zone: TimeZone::UTC,
    });
    options.threshold = Span::from_secs(20);
    options.short_abandon = Span::ZERO;
    let id = import.names.queue_id(queue).unwrap();
    let report = ledger(import).queue_report(&options).unwrap();
    let rows: Vec<_> = report.rows.into_iter().filter(|r| r.queue == id).collect();
    assert_eq!(rows.len(), 1, "one day of {queue}");
    rows.into_iter().next().unwrap()
}

fn agent_row(import: &Import, agent: &str) -> AgentRow {
    let id = import.names.agent_id(agent).unwrap();
    ledger(import)
        .agent_report(None)
        .unwrap()
        .row(id)
        .unwrap()
        .clone()
}

fn secs(s: u64) -> Span {
    Span::from_secs(s)
}

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

/// A day at a small center: every event the importer handles.
fn day() -> (Vec<String>, Vec<u64>) {
    let mut lines = vec![
        // Alice is a dynamic member, Carol an agent channel; Bob is a
        // static member who only shows up at work (from 115 s).
        at(0, "NONE|support|SIP/alice|ADDMEMBER|"),
        at(0, "NONE|NONE|Agent/carol|AGENTLOGIN|SIP/carol-00000001"),
        at(10, "NONE|support|SIP/alice|PAUSE|lunch"),
        at(70, "NONE|support|SIP/alice|UNPAUSE|"),
        // c1: rings Bob 15 s in vain, Alice answers after 18 s, talks
        // 100 s, the caller hangs up. FreePBX names the dialled number.
        at(99, "c1|NONE|NONE|DID|18005550100"),
        at(100, "c1|support|NONE|ENTERQUEUE||5551001|1"),
        at(115, "c1|support|SIP/bob|RINGNOANSWER|15000"),
        at(118, "c1|support|SIP/alice|CONNECT|18|c1-peer|3"),
        at(218, "c1|support|SIP/alice|COMPLETECALLER|18|100|1"),
        // c2: hangs up after 12 s while Bob's phone rings.
        at(200, "c2|support|NONE|ENTERQUEUE||anonymous|1"),
        at(212, "c2|support|SIP/bob|RINGCANCELED|2000"),
        at(212, "c2|support|NONE|ABANDON|1|1|12"),
        // c3: the queue's timeout after 60 s.
        at(300, "c3|support|NONE|ENTERQUEUE||5551003|1"),
        at(360, "c3|support|NONE|EXITWITHTIMEOUT|1|1|60"),
        // c4: Bob answers after 5 s, talks 60 s, blind-transfers to sales,
        // where Carol answers after 4 s and talks 60 s.
        at(400, "c4|support|NONE|ENTERQUEUE||5551004|1"),
        at(405, "c4|support|SIP/bob|CONNECT|5|c4-peer|1"),
        at(
            465,
            "c4|support|SIP/bob|BLINDTRANSFER|700|from-queue|5|60|1",
        ),
        at(466, "c4|sales|NONE|ENTERQUEUE||5551004|1"),
        at(470, "c4|sales|Agent/carol|CONNECT|4|c4-peer2|0"),
        at(530, "c4|sales|Agent/carol|COMPLETEAGENT|4|60|1"),
        // c5: sales is empty after 10 s; the dialplan sends the caller to
        // support, who leaves by key after 29 s.
        at(600, "c5|sales|NONE|ENTERQUEUE||5551005|1"),
        at(610, "c5|sales|NONE|EXITEMPTY|1|1|10"),
        at(611, "c5|support|NONE|ENTERQUEUE||5551005|1"),
        at(640, "c5|support|NONE|EXITWITHKEY|5|1|1|29"),
        // c6: Alice dumps the caller, the channels fail, the caller hangs
        // up after 20 s.
        at(700, "c6|support|NONE|ENTERQUEUE||5551006|1"),
        at(705, "c6|support|SIP/alice|AGENTDUMP|"),
        at(710, "c6|support|SIP/alice|SYSCOMPAT|"),
        at(720, "c6|support|NONE|ABANDON|1|1|20"),
        // c7: still waiting when the file ends.
        at(900, "c7|support|NONE|ENTERQUEUE||5551007|1"),
        // c8: Alice answers after 2 s and attended-transfers after 28 s.
        at(1000, "c8|support|NONE|ENTERQUEUE||5551008|1"),
        at(1002, "c8|support|SIP/alice|CONNECT|2|c8-peer|1"),
        at(
            1030,
            "c8|support|SIP/alice|ATTENDEDTRANSFER|BRIDGE|b1|2|28|1",
        ),
        // c9: Bob answers after 1 s and transfers (Asterisk 1.4) after 49 s.
        at(1100, "c9|support|NONE|ENTERQUEUE||5551009|1"),
        at(1101, "c9|support|SIP/bob|CONNECT|1|c9-peer|1"),
        at(1150, "c9|support|SIP/bob|TRANSFER|200|from-internal|1|49"),
        // Alice pauses everything for a coffee (a reason with a space) as
        // Asterisk writes it: PAUSEALL, then a PAUSE per queue.
        at(1200, "NONE|NONE|SIP/alice|PAUSEALL|Coffee break"),
        at(1200, "NONE|support|SIP/alice|PAUSE|Coffee break"),
        at(1260, "NONE|NONE|SIP/alice|UNPAUSEALL|"),
        at(1260, "NONE|support|SIP/alice|UNPAUSE|"),
        at(1300, "NONE|support|SIP/alice|REMOVEMEMBER|"),
        at(
            1300,
            "NONE|NONE|Agent/carol|AGENTLOGOFF|SIP/carol-00000001|1300",
        ),
        at(1400, "NONE|NONE|NONE|CONFIGRELOAD|"),
        at(1400, "NONE|NONE|NONE|QUEUESTART|"),
        at(1400, "c9|support|SIP/bob|FOOBAR|1"),
    ];
    // Bad lines, with their line numbers.
    let bad = vec![
        "garbage".to_owned(),
        "abc|c1|support|NONE|ENTERQUEUE||1|1".to_owned(),
        at(1500, "cX|support|SIP/alice|CONNECT|1|x|0"),
        at(1500, "NONE|support|NONE|PAUSE|x"),
        at(1500, "c1|support|SIP/alice|COMPLETEAGENT|1|1|1"),
    ];
    let mut numbers = Vec::new();
    for (i, line) in bad.into_iter().enumerate() {
        let position = 5 + i * 7;
        lines.insert(position, line);
        numbers.push(position as u64 + 1);
    }
    (lines, numbers)
}

#[test]
fn a_day_of_calls_gives_the_queue_report() {
    let (lines, _) = day();
    let import = run(&lines);

    // support: c1, c2, c3, c4's first leg, c5's second leg, c6, c8, c9;
    // c7 is still waiting.
    let row = queue_row(&import, "support");
    let count = |c| row.count(c);
    assert_eq!(count(Count::Offered), 8);
    assert_eq!(count(Count::OverflowedIn), 1, "c5 came from sales");
    assert_eq!(count(Count::Answered), 4, "c1, c4, c8, c9");
    assert_eq!(count(Count::AnsweredWithin), 4, "waits 18, 5, 2, 1 s");
    assert_eq!(count(Count::Abandoned), 2, "c2, c6");
    assert_eq!(count(Count::AbandonedWithin), 2, "waits 12 and 20 s");
    assert_eq!(count(Count::TimedOut), 2, "c3 by timeout, c5 by key");
    assert_eq!(count(Count::Handled), 4);
    assert_eq!(row.service_level(SlDefinition::Answered), Some(1.0));
    assert_eq!(row.service_level(SlDefinition::Offered), Some(0.5));
    assert_eq!(row.asa, Some((18.0 + 5.0 + 2.0 + 1.0) / 4.0));
    assert_eq!(row.average_abandon_time, Some(16.0));
    assert_eq!(row.max_wait, 60.0);
    assert_eq!(row.aht, Some((100.0 + 60.0 + 28.0 + 49.0) / 4.0));

    // sales: c4's second leg (transferred in), c5's first (overflowed out).
    let row = queue_row(&import, "sales");
    assert_eq!(row.count(Count::Offered), 2);
    assert_eq!(row.count(Count::TransferredIn), 1);
    assert_eq!(row.count(Count::Answered), 1);
    assert_eq!(row.count(Count::Overflowed), 1);
    assert_eq!(row.count(Count::Handled), 1);
    assert_eq!(row.asa, Some(4.0));
    assert_eq!(row.aht, Some(60.0));

    assert_eq!(import.report.unfinished, vec!["c7".to_owned()]);
    assert_eq!(import.report.contacts, 8);
    assert_eq!(import.report.legs, 10);
}

#[test]
fn a_day_of_calls_gives_the_agent_report() {
    let (lines, _) = day();
    let import = run(&lines);

    // Alice: member from 0 to 1300 s; lunch 10–70, coffee 1200–1260;
    // talking 118–218 (c1) and 1002–1030 (c8).
    let alice = agent_row(&import, "SIP/alice");
    assert_eq!(alice.logged_in, secs(1300));
    assert_eq!(alice.talking, secs(128));
    assert_eq!(alice.not_ready, secs(120));
    assert_eq!(
        alice.not_ready_by_reason.into_iter().collect::<Vec<_>>(),
        vec![(code("Coffee_break"), secs(60)), (code("lunch"), secs(60))]
    );
    assert_eq!(alice.ready, secs(1300 - 128 - 120));
    assert_eq!(alice.wrap_up, Span::ZERO, "queue_log has no wrap-up");
    assert_eq!((alice.handled, alice.aht), (2, Some(64.0)));
    assert_eq!(alice.logouts, 1);

    // Bob, a static member, logs in when his phone first rings (115 s)
    // and stays until the log's last fact (1300 s); talking 405–465 (c4)
    // and 1101–1150 (c9).
    let bob = agent_row(&import, "SIP/bob");
    assert_eq!(bob.logged_in, secs(1300 - 115));
    assert_eq!(bob.talking, secs(109));
    assert_eq!(bob.ready, secs(1300 - 115 - 109));
    assert_eq!((bob.handled, bob.logouts), (2, 0));

    // Carol: logged in 0–1300 s, talking 470–530 (c4 in sales).
    let carol = agent_row(&import, "Agent/carol");
    assert_eq!(carol.logged_in, secs(1300));
    assert_eq!(carol.talking, secs(60));
    assert_eq!(
        (carol.handled, carol.aht, carol.logouts),
        (1, Some(60.0), 1)
    );

    let counts = &import.report;
    assert_eq!(counts.count("implicit login"), 1);
    assert_eq!(counts.count("pause reason rewritten"), 2);
    assert_eq!(counts.count("ignored CONFIGRELOAD"), 1);
    assert_eq!(counts.count("ignored QUEUESTART"), 1);
    assert_eq!(counts.count("unknown FOOBAR"), 1);
    assert_eq!(counts.count("caller id not a number"), 1);
    assert_eq!(counts.count("new leg after transfer"), 1);
    assert_eq!(counts.count("new leg after leaving a queue"), 1);
    assert_eq!(counts.count("event ENTERQUEUE"), 11);
}

#[test]
fn contacts_carry_what_the_log_says() {
    let (lines, _) = day();
    let import = run(&lines);
    let ledger = ledger(&import);
    let contact = |source: &str| {
        let id = import
            .sources
            .iter()
            .find(|(_, s)| s == source)
            .map(|(id, _)| *id)
            .unwrap();
        ledger
            .contacts()
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .clone()
    };
    let support = import.names.queue_id("support").unwrap();
    let sales = import.names.queue_id("sales").unwrap();

    let c1 = contact("c1");
    assert_eq!(c1.ani.as_ref().map(|n| n.as_str()), Some("5551001"));
    assert_eq!(c1.dnis.as_str(), "18005550100");
    assert_eq!(c1.result, ContactResult::Handled);
    assert_eq!(c1.finished, Time::from_secs(BASE + 218));
    let offers: Vec<_> = c1.legs[0]
        .offers
        .iter()
        .map(|o| (o.offered.as_millis() / 1000 - BASE, o.outcome))
        .collect();
    assert_eq!(
        offers,
        vec![
            (100, OfferOutcome::NotAnswered),
            (115, OfferOutcome::Accepted)
        ]
    );

    let c2 = contact("c2");
    assert_eq!((c2.ani, c2.dnis.as_str()), (None, "0"));
    assert_eq!(c2.result, ContactResult::Abandoned);
    assert_eq!(c2.legs[0].offers[0].outcome, OfferOutcome::CallerHungUp);

    let c3 = contact("c3");
    assert_eq!(c3.result, ContactResult::Voicemail);
    assert_eq!(
        c3.legs[0].end,
        Some(LegEnd::Overflowed(acd::config::Overflow::Voicemail))
    );

    let c4 = contact("c4");
    let queues: Vec<QueueId> = c4.legs.iter().map(|l| l.queue).collect();
    assert_eq!(queues, vec![support, sales]);
    assert_eq!(c4.legs[0].end, Some(LegEnd::Transferred));
    assert_eq!(c4.legs[1].end, Some(LegEnd::Handled));
    assert_eq!(c4.finished, Time::from_secs(BASE + 530));

    let c5 = contact("c5");
    assert_eq!(
        c5.legs[0].end,
        Some(LegEnd::Overflowed(acd::config::Overflow::Queue(support)))
    );

    let c6 = contact("c6");
    let outcomes: Vec<_> = c6.legs[0].offers.iter().map(|o| o.outcome).collect();
    assert_eq!(
        outcomes,
        vec![OfferOutcome::Rejected, OfferOutcome::NotAnswered]
    );

    assert_eq!(contact("c8").legs[0].end, Some(LegEnd::Transferred));
    assert_eq!(contact("c9").result, ContactResult::Handled);

    // Each queue and agent name is a fact, so reports can print it.
    let named: Vec<String> = ledger.names().values().cloned().collect();
    assert_eq!(
        named,
        vec!["support", "sales", "SIP/alice", "Agent/carol", "SIP/bob"]
    );
}

#[test]
fn bad_lines_are_reported_with_their_line_number() {
    let (lines, numbers) = day();
    let import = run(&lines);
    let reasons = [
        "expected at least 5 '|'-separated fields (time|callid|queue|agent|event), found 1",
        "time \"abc\" is neither Unix seconds nor a date and time",
        "CONNECT for call cX, which is not in a queue (its ENTERQUEUE is not in the log)",
        "PAUSE without an agent",
        "COMPLETEAGENT for call c1, which is not in a queue (its ENTERQUEUE is not in the log)",
    ];
    let want: Vec<Rejected> = numbers
        .iter()
        .zip(reasons)
        .map(|(&line, reason)| Rejected {
            line,
            reason: reason.to_owned(),
        })
        .collect();
    assert_eq!(import.rejected, want);
    assert_eq!(import.report.lines, lines.len() as u64);
}

#[test]
fn lines_are_replayed_in_time_order() {
    // Asterisk writes from several threads: here the hang-up line lands
    // before the answer line, and the join line last.
    let import = run(&[
        at(50, "c1|q|SIP/a|COMPLETECALLER|10|30|1"),
        at(20, "c1|q|SIP/a|CONNECT|10|p|1"),
        at(10, "c1|q|NONE|ENTERQUEUE||100|1"),
        "1699952405.250|NONE|q|SIP/a|ADDMEMBER|".to_owned(),
    ]);
    assert_eq!(import.rejected, vec![]);
    let row = queue_row(&import, "q");
    assert_eq!(
        (row.count(Count::Answered), row.asa, row.aht),
        (1, Some(10.0), Some(30.0))
    );
    let a = agent_row(&import, "SIP/a");
    assert_eq!(
        a.logged_in,
        Span::from_millis(44_750),
        "from 5.25 s to the last fact at 50 s"
    );
    assert_eq!(a.talking, secs(30));
}

#[test]
fn a_caller_sent_back_to_a_queue_after_the_agent_hangs_up_is_a_second_leg() {
    let import = run(&[
        at(0, "c1|q1|NONE|ENTERQUEUE||100|1"),
        at(3, "c1|q1|SIP/a|CONNECT|3|p|1"),
        at(33, "c1|q1|SIP/a|COMPLETEAGENT|3|30|1"),
        at(40, "c1|q2|NONE|ENTERQUEUE||100|1"),
        at(41, "c1|q1|NONE|ENTERQUEUE||100|1"),
        at(52, "c1|q2|NONE|ABANDON|1|1|12"),
        // Realtime exports write date-times; this one is read in UTC.
        "2023-11-14 09:01:40.5|c2|q1|NONE|ENTERQUEUE||100|1".to_owned(),
        at(101, "c2|q1|NONE|ABANDON|1|1|1"),
    ]);
    assert_eq!(
        import.rejected,
        vec![Rejected {
            line: 5,
            reason: "call c1 is still in queue q2 (entered on line 4)".to_owned()
        }]
    );
    assert_eq!(import.report.count("new leg after agent hung up"), 1);
    let ledger = ledger(&import);
    let c1 = &ledger.contacts()[0];
    assert_eq!(c1.legs.len(), 2);
    assert_eq!(c1.result, ContactResult::Abandoned);
    let c2 = &ledger.contacts()[1];
    assert_eq!(c2.arrived, Time::from_millis((BASE + 100) * 1000 + 500));
    assert_eq!(queue_row(&import, "q2").count(Count::TransferredIn), 1);
}

#[test]
fn pauses_are_per_queue_and_added_paused_members_start_not_ready() {
    let import = run(&[
        at(0, "NONE|q1|SIP/a|ADDMEMBER|PAUSED"),
        at(0, "NONE|q2|SIP/a|ADDMEMBER|"),
        at(10, "NONE|q1|SIP/a|UNPAUSE|"),
        at(20, "NONE|q1|SIP/a|PAUSE|training"),
        at(20, "NONE|q2|SIP/a|PAUSE|training"),
        // Still paused in q2.
        at(30, "NONE|q1|SIP/a|UNPAUSE|"),
        at(40, "NONE|q2|SIP/a|UNPAUSE|"),
        // Leaving q1 keeps the agent logged in through q2.
        at(50, "NONE|q1|SIP/a|REMOVEMEMBER|"),
        at(60, "NONE|q2|SIP/a|REMOVEMEMBER|"),
    ]);
    let states: Vec<(u64, AgentState)> = import
        .facts
        .iter()
        .filter_map(|fact| match fact {
            kpi::Fact::Routing(record) => match &record.kind {
                acd::RecordKind::AgentStateChanged { to, .. } => {
                    Some((record.at.as_millis() / 1000 - BASE, to.clone()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        vec![
            (0, AgentState::NotReady(code("paused"))),
            (10, AgentState::Ready),
            (20, AgentState::NotReady(code("training"))),
            (40, AgentState::Ready),
            (60, AgentState::LoggedOut),
        ]
    );
    let a = agent_row(&import, "SIP/a");
    assert_eq!(a.logged_in, secs(60));
    assert_eq!(a.not_ready, secs(30));
    assert_eq!(a.agent, AgentId(1));
}
