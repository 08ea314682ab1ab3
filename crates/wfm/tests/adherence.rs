//! Adherence and conformance on a hand-made schedule and state log, with
//! every figure worked out by hand; and the errors of bad logs.
//!
//! Key pieces: `SCHEDULE` and `LOG`, two agents' day: Ana works
//! 09:00-17:00 with lunch 12:00-12:30; Ben works a night 22:00-02:00.

use jiff::civil::date;
use wfm::adherence::{Schedule, State, StateLog, adherence};

const SCHEDULE: &str = "\
agent,activity,start,end
Ana,work,2025-03-03T09:00:00,2025-03-03T12:00:00
Ana,lunch,2025-03-03T12:00:00,2025-03-03T12:30:00
Ana,work,2025-03-03T12:30:00,2025-03-03T17:00:00
Ben,work,2025-03-03T22:00:00,2025-03-04T02:00:00
";

const LOG: &str = "\
agent,state,start,end
# Ana logs in five minutes late and goes to lunch ten minutes late.
Ana,ready,2025-03-03T09:05:00,2025-03-03T10:00:00
Ana,talking,2025-03-03T10:00:00,2025-03-03T10:30:00
Ana,wrap,2025-03-03T10:30:00,2025-03-03T10:35:00
Ana,ready,2025-03-03T10:35:00,2025-03-03T12:10:00
Ana,not_ready:lunch,2025-03-03T12:10:00,2025-03-03T12:40:00
Ana,ready,2025-03-03T12:40:00,2025-03-03T16:50:00
Ana,logged_out,2025-03-03T16:50:00,2025-03-03T23:59:00
# Ben works until one, then takes an unscheduled break.
Ben,ready,2025-03-03T22:00:00,2025-03-04T01:00:00
Ben,not_ready:break,2025-03-04T01:00:00,2025-03-04T02:00:00
";

#[test]
fn adherence_and_conformance_match_the_hand_count() {
    let schedule = Schedule::from_csv(SCHEDULE.as_bytes()).unwrap();
    let log = StateLog::from_csv(LOG.as_bytes()).unwrap();
    let days = adherence(&schedule, &log);
    let got: Vec<_> = days
        .iter()
        .map(|d| {
            (
                d.agent.as_str(),
                d.date,
                d.scheduled_minutes,
                d.adherent_minutes,
                d.scheduled_work_minutes,
                d.worked_minutes,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // Work 09:00-12:00 on the phone from 09:05: 175; lunch
            // 12:00-12:30 in not_ready:lunch from 12:10: 20; work
            // 12:30-17:00 on the phone 12:40-16:50: 250.
            ("Ana", date(2025, 3, 3), 480.0, 445.0, 450.0, 435.0),
            // The night splits at midnight: 120 minutes each side.
            ("Ben", date(2025, 3, 3), 120.0, 120.0, 120.0, 120.0),
            ("Ben", date(2025, 3, 4), 120.0, 60.0, 120.0, 60.0),
        ]
    );
    assert_eq!(days[0].adherence, Some(445.0 / 480.0));
    assert_eq!(days[0].conformance, Some(435.0 / 450.0));
    assert_eq!(days[2].adherence, Some(0.5));
}

#[test]
fn a_scheduled_agent_missing_from_the_log_is_absent_on_the_dates_it_covers() {
    let schedule = Schedule::from_csv(
        format!("{SCHEDULE}Cleo,work,2025-03-03T09:00:00,2025-03-03T10:00:00\nCleo,work,2025-03-09T09:00:00,2025-03-09T10:00:00\n")
            .as_bytes(),
    )
    .unwrap();
    let log = StateLog::from_csv(LOG.as_bytes()).unwrap();
    let cleo: Vec<_> = adherence(&schedule, &log)
        .into_iter()
        .filter(|d| d.agent == "Cleo")
        .collect();
    assert_eq!(cleo.len(), 1, "the 9th is past the log's last date");
    assert_eq!(cleo[0].adherence, Some(0.0));
    assert_eq!(cleo[0].conformance, Some(0.0));
}

#[test]
fn states_parse_and_map_to_activities() {
    assert_eq!(State::parse("wrap_up"), Some(State::Wrap));
    assert_eq!(
        State::parse("not_ready:Lunch"),
        Some(State::NotReady(Some("lunch".to_owned())))
    );
    assert_eq!(State::parse("away"), None);
    assert!(State::Hold.adheres_to("work"));
    assert!(!State::NotReady(None).adheres_to("lunch"));
    assert!(
        !State::Talking.adheres_to("lunch"),
        "a call during lunch is out of adherence"
    );
    assert!(!State::LoggedOut.on_phone());
}

#[test]
fn bad_logs_name_line_field_and_value() {
    let err = StateLog::from_csv(
        "agent,state,start,end\nAna,ready,2025-03-03T09:00:00,2025-03-03T10:00:00\nAna,napping,2025-03-03T10:00:00,2025-03-03T11:00:00\n"
            .as_bytes(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 3: field `state` has value \"napping\": expected ready, reserved, talking, hold, \
         wrap, not_ready[:reason] or logged_out"
    );
    let err = StateLog::from_csv(
        "agent,state,start,end\nAna,ready,2025-03-03T09:00:00,2025-03-03T10:00:00\nAna,talking,2025-03-03T09:30:00,2025-03-03T11:00:00\n"
            .as_bytes(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 3: field `start` has value \"2025-03-03T09:30:00\": overlaps line 2 of the same \
         agent, which ends 2025-03-03T10:00:00"
    );
    let err = StateLog::from_csv(
        "agent,state,start,end\nAna,ready,2025-03-03T09:00:00,2025-03-03T08:00\n".as_bytes(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2: field `end` has value \"2025-03-03T08:00:00\": not after the start 2025-03-03T09:00:00"
    );
    let err = Schedule::from_csv(
        "agent,activity,start,end\nAna,work,2025-03-03 09:00,tomorrow\n".as_bytes(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2: field `end` has value \"tomorrow\": expected a date and time like 2025-03-03T07:00:00"
    );
    let err = Schedule::from_csv("agent,start,end\n".as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1: the header has no `activity` column"
    );
}
