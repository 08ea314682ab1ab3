//! Read-only views of the live state for supervisors and wallboards.
//!
//! Key types: [`QueueStatus`], [`AgentStatus`], [`ContactStatus`] (a live
//! contact, for the agent's screen pop) and [`WaitExplanation`] (why
//! a waiting contact has not been offered yet: the other half of the
//! explanation that [`Decision`](crate::record::Decision) gives for every
//! offer).

use std::fmt;

use serde::Serialize;

use crate::engine::{Engine, Phase, Presence};
use crate::error::Error;
use crate::model::{AgentId, Code, ContactId, PhoneNumber, Priority, QueueId, Span, Time};
use crate::record::AgentState;

/// A queue right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueStatus {
    /// The queue.
    pub queue: QueueId,
    /// Contacts waiting (callbacks included).
    pub waiting: usize,
    /// Wait of the contact that has waited longest.
    pub longest_wait: Option<Span>,
    /// Agents that serve the queue, by shown state.
    pub agents: Vec<(AgentState, u32)>,
    /// Handle time used for wait estimates.
    pub handle_time: Span,
}

/// An agent right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentStatus {
    /// The agent.
    pub agent: AgentId,
    /// Shown state.
    pub state: AgentState,
    /// In it since.
    pub since: Time,
    /// Contacts it holds (offered, connected or in wrap-up).
    pub contacts: Vec<ContactId>,
    /// Contacts answered since the day started.
    pub contacts_today: u32,
}

/// A live contact: who called, what they dialled, where it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactStatus {
    /// The contact.
    pub contact: ContactId,
    /// The caller's number, if presented.
    pub ani: Option<PhoneNumber>,
    /// The number dialled.
    pub dnis: PhoneNumber,
    /// Base priority.
    pub priority: Priority,
    /// IVR attributes.
    pub attributes: Vec<(Code, Code)>,
    /// When it arrived.
    pub arrived: Time,
    /// The queue it is in (or was in last).
    pub queue: QueueId,
    /// Where it is: `queued`, `being offered`, `connected`, `on hold`,
    /// `ended` (waiting for wrap-up to finish).
    pub phase: &'static str,
    /// The agent offered, connected or last connected.
    pub agent: Option<AgentId>,
    /// A callback (the caller is not on the line).
    pub callback: bool,
}

/// Why a waiting contact is still waiting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitExplanation {
    /// The contact.
    pub contact: ContactId,
    /// Its queue.
    pub queue: QueueId,
    /// Waiting for this agent only (a transfer by name).
    pub for_agent: Option<AgentId>,
    /// 1 = next.
    pub position: u32,
    /// Wait counted for its place in line.
    pub waited: Span,
    /// Relaxation step reached.
    pub step: u8,
    /// Time until the next relaxation step, if any.
    pub next_step_in: Option<Span>,
    /// Agents eligible at this step, by shown state.
    pub eligible: Vec<(AgentState, u32)>,
}

impl fmt::Display for WaitExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} waits in {} at position {} for {} (relaxation step {}",
            self.contact, self.queue, self.position, self.waited, self.step
        )?;
        match self.next_step_in {
            Some(next) => write!(f, ", next step in {next})")?,
            None => f.write_str(", fully relaxed)")?,
        }
        if let Some(agent) = self.for_agent {
            write!(f, "; it waits for {agent} only")?;
        }
        if self.eligible.is_empty() {
            return f.write_str("; no agent is eligible at this step");
        }
        f.write_str("; eligible agents: ")?;
        for (i, (state, n)) in self.eligible.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n} {state}")?;
        }
        Ok(())
    }
}

fn tally(states: impl Iterator<Item = AgentState>) -> Vec<(AgentState, u32)> {
    let mut counts = std::collections::BTreeMap::new();
    for state in states {
        *counts.entry(state).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

impl Engine {
    /// The state of a queue.
    pub fn queue_status(&self, queue: QueueId) -> Result<QueueStatus, Error> {
        let q = self.queue_index(queue)?;
        let line = &self.queues[q];
        let longest_wait = line
            .waiting
            .iter()
            .map(|(_, since, _)| since)
            .min()
            .map(|since| self.now.since(since));
        Ok(QueueStatus {
            queue,
            waiting: line.waiting.len(),
            longest_wait,
            agents: tally(
                self.agents
                    .iter()
                    .filter(|a| a.reach.iter().any(|r| r.queue == q))
                    .map(|a| a.shown.clone()),
            ),
            handle_time: line.aht.unwrap_or(line.cfg.expected_handle_time),
        })
    }

    /// The state of an agent.
    pub fn agent_status(&self, agent: AgentId) -> Result<AgentStatus, Error> {
        let a = self.agent_index(agent)?;
        let state = &self.agents[a];
        Ok(AgentStatus {
            agent,
            state: state.shown.clone(),
            since: state.shown_since,
            contacts: state.slots.iter().map(|s| s.contact).collect(),
            contacts_today: state.contacts_today,
        })
    }

    /// A contact that has not finished yet.
    pub fn contact_status(&self, contact: ContactId) -> Result<ContactStatus, Error> {
        let c = self
            .contacts
            .get(&contact)
            .ok_or(Error::UnknownContact(contact))?;
        let agent = match c.phase {
            Phase::Offered { agent } | Phase::Connected { agent, .. } => {
                Some(self.agents[agent].cfg.id)
            }
            Phase::Queued | Phase::Done(_) => c.record.legs.last().and_then(|leg| leg.agent),
        };
        let r = &c.record;
        Ok(ContactStatus {
            contact,
            ani: r.ani.clone(),
            dnis: r.dnis.clone(),
            priority: r.priority,
            attributes: r.attributes.clone(),
            arrived: r.arrived,
            queue: self.queues[c.queue].cfg.id,
            phase: c.phase_name(),
            agent,
            callback: r.callback,
        })
    }

    /// Why a queued contact has not been offered yet.
    pub fn explain_wait(&self, contact: ContactId) -> Result<WaitExplanation, Error> {
        let c = self
            .contacts
            .get(&contact)
            .ok_or(Error::UnknownContact(contact))?;
        if c.phase != Phase::Queued {
            return Err(Error::ContactState {
                contact,
                phase: "not waiting",
                action: "explain its wait",
            });
        }
        let queue = &self.queues[c.queue];
        let waited = self.now.since(c.since);
        if let Some(a) = c.for_agent {
            let agent = &self.agents[a];
            let ahead = agent.personal.range(..(c.since, contact)).count();
            return Ok(WaitExplanation {
                contact,
                queue: queue.cfg.id,
                for_agent: Some(agent.cfg.id),
                position: u32::try_from(ahead + 1).unwrap_or(u32::MAX),
                waited,
                step: 0,
                next_step_in: None,
                eligible: vec![(agent.shown.clone(), 1)],
            });
        }
        let step = queue.rules.step(waited);
        let next_step_in = queue
            .rules
            .next_step_after(step)
            .map(|after| after - waited);
        let eligible = self.agents.iter().filter(|agent| {
            agent.presence != Presence::LoggedOut
                && agent
                    .reach
                    .iter()
                    .any(|r| r.queue == c.queue && r.min_step <= step)
        });
        Ok(WaitExplanation {
            contact,
            queue: queue.cfg.id,
            for_agent: None,
            position: queue.waiting.position(
                &queue.rules,
                self.now,
                c.record.priority,
                c.since,
                contact,
            ),
            waited,
            step,
            next_step_in,
            eligible: tally(eligible.map(|a| a.shown.clone())),
        })
    }
}
