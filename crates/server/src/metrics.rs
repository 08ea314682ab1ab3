//! `/metrics`: the wallboard's [`Snapshot`] in the Prometheus text
//! exposition format (version 0.0.4).
//!
//! Key items: [`render`] and [`CONTENT_TYPE`]. Every family has its
//! `# HELP` and `# TYPE` lines before its samples; label values escape
//! `\`, `"` and newlines, help texts `\` and newlines, as the format
//! requires. "Today" figures are gauges, not counters: they fall to zero
//! at local midnight. A ratio with nothing to divide (no contact yet) has
//! no sample rather than a NaN. The route and its auth are in
//! [`wallboard`](crate::wallboard).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use acd::AgentState;
use jiff::tz::TimeZone;

use crate::wallboard::{SHORT_ABANDON, Snapshot};

/// The Content-Type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics of `snapshot`; `zone` names "today" in the help texts.
pub fn render(snapshot: &Snapshot, zone: &TimeZone) -> String {
    let zone = zone.iana_name().unwrap_or("the center's zone");
    let short = SHORT_ABANDON.as_millis() / 1000;
    let mut out = Text::default();
    let queue_labels = |q: &crate::wallboard::QueueBoard| {
        vec![("queue", q.queue.0.to_string()), ("name", q.name.clone())]
    };

    out.family(
        "switchboard_queue_waiting",
        "gauge",
        "Contacts waiting in the queue now (callbacks included).",
    );
    for q in &snapshot.queues {
        out.sample(
            "switchboard_queue_waiting",
            &queue_labels(q),
            q.waiting as f64,
        );
    }
    out.family(
        "switchboard_queue_longest_wait_seconds",
        "gauge",
        "Wait of the contact waiting longest in the queue now; 0 when none waits.",
    );
    for q in &snapshot.queues {
        let wait = q.longest_wait.map_or(0.0, |w| w.as_secs_f64());
        out.sample(
            "switchboard_queue_longest_wait_seconds",
            &queue_labels(q),
            wait,
        );
    }

    out.family(
        "switchboard_agents",
        "gauge",
        "Configured agents by state now; not_ready has the reason code.",
    );
    let mut by_state: BTreeMap<(&str, String), u32> = BTreeMap::new();
    for a in &snapshot.agents {
        let (state, reason) = state_name(&a.state);
        *by_state.entry((state, reason)).or_default() += 1;
    }
    for ((state, reason), n) in by_state {
        let mut labels = vec![("state", state.to_owned())];
        if !reason.is_empty() {
            labels.push(("reason", reason));
        }
        out.sample("switchboard_agents", &labels, f64::from(n));
    }

    let today =
        format!("contacts that entered the queue since local midnight ({zone}) and finished");
    for (name, help, value) in [
        (
            "switchboard_queue_offered_today",
            "Offered",
            (|q| q.offered) as fn(&crate::wallboard::QueueBoard) -> u64,
        ),
        ("switchboard_queue_answered_today", "Answered", |q| {
            q.answered
        }),
        (
            "switchboard_queue_abandoned_today",
            "Abandoned (short abandons included)",
            |q| q.abandoned,
        ),
        (
            "switchboard_queue_handled_today",
            "Handled (connected and wrapped up)",
            |q| q.handled,
        ),
    ] {
        out.family(name, "gauge", &format!("{help}: {today}."));
        for q in &snapshot.queues {
            out.sample(name, &queue_labels(q), value(q) as f64);
        }
    }

    out.family(
        "switchboard_queue_service_level_today",
        "gauge",
        &format!(
            "Service level today, 0-1: answered within T / (offered - abandoned within {short} s), \
             {today}; T is the queue's threshold, label threshold_seconds."
        ),
    );
    for q in &snapshot.queues {
        if let Some(sl) = q.service_level {
            let mut labels = queue_labels(q);
            labels.push((
                "threshold_seconds",
                (q.threshold.as_millis() / 1000).to_string(),
            ));
            out.sample("switchboard_queue_service_level_today", &labels, sl);
        }
    }
    out.family(
        "switchboard_queue_asa_today_seconds",
        "gauge",
        &format!("Average speed of answer today: mean wait of answered {today}."),
    );
    for q in &snapshot.queues {
        if let Some(asa) = q.asa {
            out.sample("switchboard_queue_asa_today_seconds", &queue_labels(q), asa);
        }
    }
    out.family(
        "switchboard_queue_abandon_rate_today",
        "gauge",
        &format!(
            "Abandonment today, 0-1: abandoned / offered, abandons within {short} s left out of both; {today}."
        ),
    );
    for q in &snapshot.queues {
        if let Some(rate) = q.abandon_rate {
            out.sample(
                "switchboard_queue_abandon_rate_today",
                &queue_labels(q),
                rate,
            );
        }
    }

    out.family(
        "switchboard_engine_events_total",
        "counter",
        "Routing engine records (the durable log's events) since the server started; rate() gives events per second.",
    );
    out.sample(
        "switchboard_engine_events_total",
        &[],
        snapshot.events as f64,
    );
    out.family(
        "switchboard_wallboard_missed_events_total",
        "counter",
        "Engine records the wallboard's tallies missed because it fell behind; today's figures undercount when this grows.",
    );
    out.sample(
        "switchboard_wallboard_missed_events_total",
        &[],
        snapshot.missed as f64,
    );
    out.0
}

/// The `state` label and the reason code (empty unless not ready).
fn state_name(state: &AgentState) -> (&'static str, String) {
    match state {
        AgentState::LoggedOut => ("logged_out", String::new()),
        AgentState::Ready => ("ready", String::new()),
        AgentState::Reserved => ("reserved", String::new()),
        AgentState::Talking => ("talking", String::new()),
        AgentState::OnHold => ("on_hold", String::new()),
        AgentState::WrapUp => ("wrap_up", String::new()),
        AgentState::NotReady(reason) => ("not_ready", reason.as_str().to_owned()),
    }
}

/// The exposition being written.
#[derive(Default)]
struct Text(String);

impl Text {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, String)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{key}=\"{}\"", escape_label(value));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }
}

/// A label value as the format wants it.
pub fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
