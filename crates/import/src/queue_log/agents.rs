//! Agent states replayed from `queue_log` membership, pause and call lines.
//!
//! Key types: `Agents` (every agent's situation and the state last shown)
//! and `Change` (what one line did to an agent). Asterisk logs facts about
//! an agent per queue; Switchboard shows one state per agent, derived here
//! from the whole situation, so each record's `from` is the state shown
//! before it.

use std::collections::{BTreeMap, BTreeSet};

use acd::AgentState;
use acd::model::{AgentId, Code};

/// What a line did to an agent. `None` as a queue means every queue
/// (`PAUSEALL`, `UNPAUSEALL`, and `queue_log`'s `NONE`).
pub(super) enum Change<'a> {
    /// `AGENTLOGIN`.
    Login,
    /// `AGENTLOGOFF`: logged out of everything.
    Logoff,
    /// `ADDMEMBER`, paused when its data says `PAUSED`.
    Join {
        queue: &'a str,
        paused: Option<Code>,
    },
    /// `REMOVEMEMBER`.
    Leave { queue: &'a str },
    /// `PAUSE` (one queue) or `PAUSEALL`.
    Pause {
        queue: Option<&'a str>,
        reason: Code,
    },
    /// `UNPAUSE` (one queue) or `UNPAUSEALL`.
    Unpause { queue: Option<&'a str> },
    /// A call line naming the agent in `queue` (ringing, dumped).
    Seen { queue: &'a str },
    /// `CONNECT`.
    CallStarted { queue: &'a str },
    /// `COMPLETE*` or a transfer.
    CallEnded,
}

/// One agent's situation.
struct Agent {
    shown: AgentState,
    /// Logged in by `AGENTLOGIN`.
    login: bool,
    /// Queues it is a member of.
    queues: BTreeSet<String>,
    /// Pauses in force by queue (`None`: all), latest last.
    pauses: Vec<(Option<String>, Code)>,
    /// Calls connected and not yet ended.
    calls: u32,
}

impl Agent {
    fn logged_in(&self) -> bool {
        self.login || !self.queues.is_empty()
    }

    /// Logged out, else talking, else not ready for the latest pause in
    /// force, else ready (wrap-up is zero: `queue_log` has no wrap-up line).
    fn state(&self) -> AgentState {
        if !self.logged_in() {
            AgentState::LoggedOut
        } else if self.calls > 0 {
            AgentState::Talking
        } else if let Some((_, reason)) = self.pauses.last() {
            AgentState::NotReady(reason.clone())
        } else {
            AgentState::Ready
        }
    }

    /// A static member (configured in `queues.conf`, so never added by a
    /// line) logs in implicitly when a line first shows it at work.
    fn implicit_login(&mut self, queue: &str) -> bool {
        if self.logged_in() || queue == super::NONE {
            return false;
        }
        self.queues.insert(queue.to_owned());
        true
    }
}

/// Every agent seen so far.
#[derive(Default)]
pub(super) struct Agents {
    book: BTreeMap<AgentId, Agent>,
    /// Agents logged in implicitly, as static members.
    pub(super) implicit_logins: u64,
}

impl Agents {
    /// Applies `change` to `agent`; returns `(from, to)` when its shown
    /// state changed.
    pub(super) fn apply(
        &mut self,
        agent: AgentId,
        change: Change<'_>,
    ) -> Option<(AgentState, AgentState)> {
        let a = self.book.entry(agent).or_insert_with(|| Agent {
            shown: AgentState::LoggedOut,
            login: false,
            queues: BTreeSet::new(),
            pauses: Vec::new(),
            calls: 0,
        });
        let mut implicit = false;
        match change {
            Change::Login => a.login = true,
            Change::Logoff => {
                a.login = false;
                a.queues.clear();
            }
            Change::Join { queue, paused } => {
                a.queues.insert(queue.to_owned());
                if let Some(reason) = paused {
                    pause(a, Some(queue), reason);
                }
            }
            Change::Leave { queue } => {
                a.queues.remove(queue);
                a.pauses.retain(|(q, _)| q.as_deref() != Some(queue));
            }
            Change::Pause { queue, reason } => {
                implicit = queue.is_some_and(|q| a.implicit_login(q));
                pause(a, queue, reason);
            }
            Change::Unpause { queue: Some(queue) } => {
                implicit = a.implicit_login(queue);
                // An unpause in one queue also ends a pause of all queues:
                // Asterisk logs PAUSEALL then a PAUSE per queue, and the
                // agent may take them back one queue at a time.
                a.pauses
                    .retain(|(q, _)| q.is_some() && q.as_deref() != Some(queue));
            }
            Change::Unpause { queue: None } => a.pauses.clear(),
            Change::Seen { queue } => implicit = a.implicit_login(queue),
            Change::CallStarted { queue } => {
                implicit = a.implicit_login(queue);
                a.calls += 1;
            }
            Change::CallEnded => a.calls = a.calls.saturating_sub(1),
        }
        if !a.logged_in() {
            // A new login starts unpaused unless its own line says paused.
            a.pauses.clear();
        }
        self.implicit_logins += u64::from(implicit);
        let now = a.state();
        (now != a.shown).then(|| (std::mem::replace(&mut a.shown, now.clone()), now))
    }
}

fn pause(agent: &mut Agent, queue: Option<&str>, reason: Code) {
    agent.pauses.retain(|(q, _)| q.as_deref() != queue);
    agent.pauses.push((queue.map(str::to_owned), reason));
}
