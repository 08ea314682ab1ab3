//! The engine actor: one thread owns the [`acd::Engine`] and the store, so
//! every event is applied, logged and announced in one order.
//!
//! Key types: [`Core`] (the cloneable handle the HTTP layer talks to) and
//! [`Arrival`] (a contact to submit; the core numbers it).
//!
//! Durability path, for each command: the actor reads the clock, hands the
//! event to the engine and drains its records; the records of the commands
//! that were waiting in the channel together (a batch, up to 256) are
//! appended to the store as [`Fact::Routing`] in one append (one
//! transaction, on disk when it returns: group commit, one disk flush for
//! the batch), then broadcast to subscribers, and only then does each
//! command get its reply. So an operation acknowledged to a client is in
//! the log. Read-only views run after the append, so they never show
//! state that is not yet durable. Timers: the actor waits for the next
//! command no longer than until [`Engine::next_wakeup`], then sends
//! [`Event::Tick`]; those records take the same path.
//!
//! Crash recovery: a new engine starts with every agent logged out and no
//! contact, but after a crash the store still has the previous run's
//! contacts in progress and agents in their last state. Before the thread
//! takes any command, [`Core::start`] closes them in one append, dated at
//! the log's last time (the last moment anything is known to have
//! happened, so the outage counts as no one's time): each unfinished
//! contact gets its `ContactFinished` record with result
//! [`ContactResult::Interrupted`](acd::record::ContactResult::Interrupted),
//! rebuilt from its records by [`OpenContacts`], and each agent not logged
//! out an `AgentStateChanged` to logged out. Finding the unfinished
//! contacts reads the whole log, but only when something was left open
//! (an agent logged in or a contact in line). Contact ids continue after
//! the store's highest, so new contacts never collide with old ones.

use std::ops::Range;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvError, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use acd::model::{AgentId, Code, ContactId, PhoneNumber, Priority, QueueId, Time};
use acd::record::OpenContacts;
use acd::{AgentState, Engine, Event, NewContact, Record, RecordKind, Selector};
use kpi::Fact;
use store::Store;
use tokio::sync::{broadcast, oneshot};

use crate::clock::Clock;
use crate::error::Error;

/// How many records a slow subscriber may fall behind before it misses
/// some (it is then told how many it lost).
const BROADCAST_CAPACITY: usize = 4096;

/// Most commands sharing one store append: bounds the latency a command
/// waits for the ones ahead of it in its batch.
const MAX_BATCH: usize = 256;

/// How many log entries recovery reads at a time.
const RECOVERY_CHUNK: usize = 10_000;

/// A contact to submit; the core gives it the next contact id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// The caller's number, if presented.
    pub ani: Option<PhoneNumber>,
    /// The number dialled.
    pub dnis: PhoneNumber,
    /// The queue it enters.
    pub queue: QueueId,
    /// Base priority.
    pub priority: Priority,
    /// IVR attributes.
    pub attributes: Vec<(Code, Code)>,
}

type Reply<T> = oneshot::Sender<Result<T, Error>>;

/// A read-only view to run on the engine at the current time; it sends its
/// own answer.
type View = Box<dyn FnOnce(&Engine, Time) + Send>;

enum Command {
    /// Apply an event; with `holder`, first check that the agent holds the
    /// contact (hold, resume and end name only the contact, so the engine
    /// cannot tell whose request it is).
    Apply {
        event: Event,
        holder: Option<(AgentId, ContactId)>,
        reply: Reply<Vec<Record>>,
    },
    Arrive {
        arrival: Arrival,
        reply: Reply<(ContactId, Vec<Record>)>,
    },
    /// Run a read-only view at the current time.
    Read(View),
}

/// The handle on the engine thread. Cloning it is cheap; the thread stops
/// when the last handle is dropped.
#[derive(Clone)]
pub struct Core {
    commands: mpsc::Sender<Command>,
    records: broadcast::Sender<Arc<Record>>,
    queues: Arc<[(QueueId, String)]>,
    agents: Arc<[(AgentId, String)]>,
}

impl Core {
    /// Starts the engine thread with `config`, logging to `store`, after
    /// closing what a previous run left open (see the module doc). Contact
    /// ids continue after the highest one the store has seen.
    pub fn start(
        config: acd::config::Config,
        mut store: Box<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Core, Error> {
        let queues: Arc<[_]> = config
            .queues
            .iter()
            .map(|q| (q.id, q.name.clone()))
            .collect();
        let agents: Arc<[_]> = config
            .agents
            .iter()
            .map(|a| (a.id, a.name.clone()))
            .collect();
        let engine = Engine::new(config, Selector::Indexed)?;
        recover(store.as_mut())?;
        let next_contact = store.last_contact_id()?.map_or(1, |c| c.0 + 1);
        let (commands, inbox) = mpsc::channel();
        let (records, _) = broadcast::channel(BROADCAST_CAPACITY);
        let actor = Actor {
            engine,
            store,
            clock,
            records: records.clone(),
            next_contact,
        };
        thread::Builder::new()
            .name("engine".into())
            .spawn(move || actor.run(&inbox))
            .map_err(Error::Spawn)?;
        Ok(Core {
            commands,
            records,
            queues,
            agents,
        })
    }

    /// Applies `event` now; returns the records it produced, once they are
    /// in the store.
    pub async fn apply(&self, event: Event) -> Result<Vec<Record>, Error> {
        self.call(|reply| Command::Apply {
            event,
            holder: None,
            reply,
        })
        .await
    }

    /// Like [`apply`](Core::apply), refused unless `agent` holds `contact`.
    pub async fn apply_as_holder(
        &self,
        agent: AgentId,
        contact: ContactId,
        event: Event,
    ) -> Result<Vec<Record>, Error> {
        self.call(|reply| Command::Apply {
            event,
            holder: Some((agent, contact)),
            reply,
        })
        .await
    }

    /// Submits a contact; returns its id and the records stored.
    pub async fn arrive(&self, arrival: Arrival) -> Result<(ContactId, Vec<Record>), Error> {
        self.call(|reply| Command::Arrive { arrival, reply }).await
    }

    /// Runs `view` on the engine, brought to the current time, and returns
    /// its answer. The time is given so views can say "time in state".
    pub async fn read<T: Send + 'static>(
        &self,
        view: impl FnOnce(&Engine, Time) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Read(Box::new(move |engine, now| {
            // The caller may have gone away; nobody is left to tell.
            let _ = reply.send(view(engine, now));
        }));
        self.commands.send(command).map_err(|_| Error::Stopped)?;
        answer.await.map_err(|_| Error::Stopped)
    }

    /// Every record from now on, in log order, once it is in the store.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Record>> {
        self.records.subscribe()
    }

    /// The configured queues with their names, by configuration order.
    pub fn queues(&self) -> &[(QueueId, String)] {
        &self.queues
    }

    /// The configured agents with their names, by configuration order.
    pub fn agents(&self) -> &[(AgentId, String)] {
        &self.agents
    }

    async fn call<T>(&self, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .map_err(|_| Error::Stopped)?;
        answer.await.map_err(|_| Error::Stopped)?
    }
}

/// Closes, in one append, the contacts and agent states a previous run
/// left open: unfinished contacts as interrupted, logged-in agents logged
/// out, all at the log's last time.
fn recover(store: &mut dyn Store) -> Result<(), Error> {
    let Some((_, last)) = store.time_bounds()? else {
        return Ok(());
    };
    let agents: Vec<_> = store
        .current_agents()?
        .into_iter()
        .filter(|now| now.state != AgentState::LoggedOut)
        .collect();
    // A contact ringing, connected or in wrap-up holds a logged-in agent;
    // one in line is in a queue's line. With neither, nothing is open.
    if agents.is_empty() && store.current_queues()?.is_empty() {
        return Ok(());
    }
    let mut open = OpenContacts::new();
    let mut from = 0;
    loop {
        let chunk = store.read_log(from, RECOVERY_CHUNK)?;
        let Some(end) = chunk.last() else { break };
        from = end.seq + 1;
        for entry in &chunk {
            if let Fact::Routing(record) = &entry.fact {
                open.apply(record);
            }
        }
    }
    let contacts = open
        .interrupt(last)
        .into_iter()
        .map(|record| RecordKind::ContactFinished(Box::new(record)));
    let logouts = agents.into_iter().map(|now| RecordKind::AgentStateChanged {
        agent: now.agent,
        from: now.state,
        to: AgentState::LoggedOut,
    });
    let facts: Vec<Fact> = contacts
        .chain(logouts)
        .zip(0..)
        .map(|(kind, seq)| {
            Fact::Routing(Record {
                seq,
                at: last,
                kind,
            })
        })
        .collect();
    if !facts.is_empty() {
        store.append(&facts)?;
    }
    Ok(())
}

struct Actor {
    engine: Engine,
    store: Box<dyn Store>,
    clock: Arc<dyn Clock>,
    records: broadcast::Sender<Arc<Record>>,
    next_contact: u64,
}

/// A reply owed once the batch is on disk, with the outcome to send.
enum Owed {
    Apply(Reply<Vec<Record>>, Result<Range<usize>, Error>),
    Arrive(
        Reply<(ContactId, Vec<Record>)>,
        Result<(ContactId, Range<usize>), Error>,
    ),
}

/// The commands applied since the last append: their records, the replies
/// they wait for, and the views to run once the records are durable.
#[derive(Default)]
struct Batch {
    records: Vec<Record>,
    owed: Vec<Owed>,
    views: Vec<View>,
}

impl Actor {
    fn run(mut self, inbox: &mpsc::Receiver<Command>) {
        loop {
            let mut batch = Batch::default();
            match self.next_command(inbox) {
                Ok(Some(command)) => self.take(command, &mut batch),
                Ok(None) => {
                    let (_, records) = self.step(None, None);
                    batch.records.extend(records);
                }
                Err(RecvError) => return,
            }
            // Group commit: commands that queued up while the last append
            // was reaching the disk share the next one. Each is still
            // acknowledged only after it.
            while batch.owed.len() + batch.views.len() < MAX_BATCH {
                match inbox.try_recv() {
                    Ok(command) => self.take(command, &mut batch),
                    Err(_) => break,
                }
            }
            // After a store failure the engine is ahead of the log: stop
            // rather than acknowledge anything that is not durable.
            if !self.commit(batch) {
                return;
            }
        }
    }

    /// Waits for a command, but not past the engine's next timer: `None`
    /// when the timer is due, an error when every handle is gone.
    fn next_command(
        &mut self,
        inbox: &mpsc::Receiver<Command>,
    ) -> Result<Option<Command>, RecvError> {
        let Some(at) = self.engine.next_wakeup() else {
            return inbox.recv().map(Some);
        };
        let wait = at.since(self.clock.now()).as_millis();
        if wait == 0 {
            return Ok(None);
        }
        match inbox.recv_timeout(Duration::from_millis(wait)) {
            Ok(command) => Ok(Some(command)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(RecvError),
        }
    }

    /// Applies one command to the engine and adds what it owes to `batch`.
    fn take(&mut self, command: Command, batch: &mut Batch) {
        match command {
            Command::Apply {
                event,
                holder,
                reply,
            } => {
                let (outcome, records) = self.step(Some(event), holder);
                let range = batch.add(records);
                batch.owed.push(Owed::Apply(reply, outcome.map(|()| range)));
            }
            Command::Arrive { arrival, reply } => {
                let id = ContactId(self.next_contact);
                let event = Event::ContactArrived(NewContact {
                    id,
                    ani: arrival.ani,
                    dnis: arrival.dnis,
                    queue: arrival.queue,
                    priority: arrival.priority,
                    attributes: arrival.attributes,
                });
                let (outcome, records) = self.step(Some(event), None);
                if outcome.is_ok() {
                    self.next_contact += 1;
                }
                let range = batch.add(records);
                batch
                    .owed
                    .push(Owed::Arrive(reply, outcome.map(|()| (id, range))));
            }
            Command::Read(view) => {
                let (_, records) = self.step(None, None);
                batch.add(records);
                batch.views.push(view);
            }
        }
    }

    /// Brings the engine to now (firing due timers) and applies `event` if
    /// any. Returns the outcome and every record produced, refused event or
    /// not (timers may have fired before the refusal).
    fn step(
        &mut self,
        event: Option<Event>,
        holder: Option<(AgentId, ContactId)>,
    ) -> (Result<(), Error>, Vec<Record>) {
        // Never hand the engine a time before its own: the wall clock can
        // be set back.
        let now = self.clock.now().max(self.engine.now());
        let outcome = self
            .engine
            .handle(now, Event::Tick)
            .map_err(Error::from)
            .and_then(|()| match holder {
                Some((agent, contact)) => self.check_holder(agent, contact),
                None => Ok(()),
            })
            .and_then(|()| match event {
                Some(event) => self.engine.handle(now, event).map_err(Error::from),
                None => Ok(()),
            });
        (outcome, self.engine.drain_records().collect())
    }

    /// Appends the batch's records in one store append, then broadcasts
    /// them, replies and runs the views. False if the store failed: then
    /// the first caller gets the store's error, the others
    /// [`Error::Stopped`], and nothing is broadcast.
    fn commit(&mut self, batch: Batch) -> bool {
        let Batch {
            records,
            owed,
            views,
        } = batch;
        if !records.is_empty() {
            let facts: Vec<Fact> = records.iter().cloned().map(Fact::Routing).collect();
            if let Err(error) = self.store.append(&facts) {
                let mut error = Some(Error::Store(error));
                for owed in owed {
                    let error = error.take().unwrap_or(Error::Stopped);
                    // A caller that went away has nobody to tell.
                    match owed {
                        Owed::Apply(reply, _) => drop(reply.send(Err(error))),
                        Owed::Arrive(reply, _) => drop(reply.send(Err(error))),
                    }
                }
                return false;
            }
            for record in &records {
                // No subscriber is not an error: nobody is watching.
                let _ = self.records.send(Arc::new(record.clone()));
            }
        }
        // A reply whose caller went away is dropped: the operation still
        // happened and is in the log.
        for owed in owed {
            match owed {
                Owed::Apply(reply, result) => {
                    drop(reply.send(result.map(|range| records[range].to_vec())));
                }
                Owed::Arrive(reply, result) => {
                    let answer = result.map(|(id, range)| (id, records[range].to_vec()));
                    drop(reply.send(answer));
                }
            }
        }
        let now = self.engine.now();
        for view in views {
            view(&self.engine, now);
        }
        true
    }

    fn check_holder(&self, agent: AgentId, contact: ContactId) -> Result<(), Error> {
        let status = self.engine.agent_status(agent)?;
        if status.contacts.contains(&contact) {
            Ok(())
        } else {
            Err(Error::NotHeld { agent, contact })
        }
    }
}

impl Batch {
    /// Adds one command's records; returns where they are.
    fn add(&mut self, records: Vec<Record>) -> Range<usize> {
        let from = self.records.len();
        self.records.extend(records);
        from..self.records.len()
    }
}
