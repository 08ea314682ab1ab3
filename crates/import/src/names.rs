//! The name table: what the source calls its queues and agents, and the
//! ids Switchboard gives them.
//!
//! Key type: [`Names`]. Sources name queues and agents ("support",
//! "SIP/2001", "DORIT"); the event log uses [`QueueId`]s and [`AgentId`]s.
//! An import extends the table it is given, so a second import of the same
//! center reuses the ids of the first, and a name already configured on
//! the live system keeps its configured id.

use std::collections::BTreeMap;

use acd::model::{AgentId, QueueId};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Queue and agent names with their ids, both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Table", into = "Table")]
pub struct Names {
    queues: Bimap,
    agents: Bimap,
}

/// One kind of name, both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Bimap {
    ids: BTreeMap<String, u32>,
    names: BTreeMap<u32, String>,
}

impl Bimap {
    fn insert(&mut self, kind: &'static str, id: u32, name: &str) -> Result<(), Error> {
        match (self.ids.get(name), self.names.get(&id)) {
            (Some(&bound), _) if bound == id => Ok(()),
            (None, None) => {
                self.ids.insert(name.to_owned(), id);
                self.names.insert(id, name.to_owned());
                Ok(())
            }
            _ => Err(Error::NameTaken {
                kind,
                name: name.to_owned(),
                id: u64::from(id),
            }),
        }
    }

    /// The id of `name`, a new one after the largest when it is new; the
    /// flag says whether it was new.
    fn id_or_add(&mut self, kind: &'static str, name: &str) -> Result<(u32, bool), Error> {
        if let Some(&id) = self.ids.get(name) {
            return Ok((id, false));
        }
        let id = match self.names.keys().next_back() {
            Some(&last) => last.checked_add(1).ok_or(Error::IdsExhausted(kind))?,
            None => 1,
        };
        self.insert(kind, id, name)?;
        Ok((id, true))
    }
}

impl Names {
    /// An empty table.
    pub fn new() -> Self {
        Names::default()
    }

    /// Binds `name` to `id`; refused when either is bound to another.
    pub fn insert_queue(&mut self, id: QueueId, name: &str) -> Result<(), Error> {
        self.queues.insert("queue", id.0, name)
    }

    /// Binds `name` to `id`; refused when either is bound to another.
    pub fn insert_agent(&mut self, id: AgentId, name: &str) -> Result<(), Error> {
        self.agents.insert("agent", id.0, name)
    }

    /// The id of the queue called `name`.
    pub fn queue_id(&self, name: &str) -> Option<QueueId> {
        self.queues.ids.get(name).copied().map(QueueId)
    }

    /// The name of queue `id`.
    pub fn queue_name(&self, id: QueueId) -> Option<&str> {
        self.queues.names.get(&id.0).map(String::as_str)
    }

    /// The id of the agent called `name`.
    pub fn agent_id(&self, name: &str) -> Option<AgentId> {
        self.agents.ids.get(name).copied().map(AgentId)
    }

    /// The name of agent `id`.
    pub fn agent_name(&self, id: AgentId) -> Option<&str> {
        self.agents.names.get(&id.0).map(String::as_str)
    }

    /// Every queue, by id.
    pub fn queues(&self) -> impl Iterator<Item = (QueueId, &str)> {
        self.queues
            .names
            .iter()
            .map(|(&id, name)| (QueueId(id), name.as_str()))
    }

    /// Every agent, by id.
    pub fn agents(&self) -> impl Iterator<Item = (AgentId, &str)> {
        self.agents
            .names
            .iter()
            .map(|(&id, name)| (AgentId(id), name.as_str()))
    }

    /// The id of queue `name`, added when new; the flag says whether it was.
    pub(crate) fn queue_or_add(&mut self, name: &str) -> Result<(QueueId, bool), Error> {
        let (id, new) = self.queues.id_or_add("queue", name)?;
        Ok((QueueId(id), new))
    }

    /// The id of agent `name`, added when new; the flag says whether it was.
    pub(crate) fn agent_or_add(&mut self, name: &str) -> Result<(AgentId, bool), Error> {
        let (id, new) = self.agents.id_or_add("agent", name)?;
        Ok((AgentId(id), new))
    }
}

/// The stored form: `{"queues": [[1, "support"]], "agents": [[1, "SIP/2001"]]}`.
#[derive(Serialize, Deserialize)]
struct Table {
    queues: Vec<(QueueId, String)>,
    agents: Vec<(AgentId, String)>,
}

impl TryFrom<Table> for Names {
    type Error = Error;
    fn try_from(table: Table) -> Result<Self, Error> {
        let mut names = Names::new();
        for (id, name) in &table.queues {
            names.insert_queue(*id, name)?;
        }
        for (id, name) in &table.agents {
            names.insert_agent(*id, name)?;
        }
        Ok(names)
    }
}

impl From<Names> for Table {
    fn from(names: Names) -> Self {
        Table {
            queues: names.queues().map(|(id, n)| (id, n.to_owned())).collect(),
            agents: names.agents().map(|(id, n)| (id, n.to_owned())).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_names_follow_the_largest_id_and_known_names_keep_theirs() {
        let mut names = Names::new();
        names.insert_queue(QueueId(7), "billing").unwrap();
        assert_eq!(names.queue_or_add("billing").unwrap(), (QueueId(7), false));
        assert_eq!(names.queue_or_add("sales").unwrap(), (QueueId(8), true));
        assert_eq!(names.agent_or_add("DORIT").unwrap(), (AgentId(1), true));
        assert_eq!(names.queue_name(QueueId(8)), Some("sales"));
        assert!(names.insert_queue(QueueId(7), "other").is_err());
        assert!(names.insert_queue(QueueId(9), "sales").is_err());
        let json = serde_json::to_string(&names).unwrap();
        assert_eq!(
            json,
            r#"{"queues":[[7,"billing"],[8,"sales"]],"agents":[[1,"DORIT"]]}"#
        );
        assert_eq!(serde_json::from_str::<Names>(&json).unwrap(), names);
    }
}
