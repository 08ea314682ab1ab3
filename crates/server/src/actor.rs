//! The engine actor: one thread owns the [`acd::Engine`] and the store, so
//! every event is applied, logged and announced in one order.
//!
//! Key types: [`Core`] (the cloneable handle the HTTP layer talks to) and
//! [`Arrival`] (a contact to submit; the core numbers it).
//!
//! Administration: [`Core::admin`] checks a change against the
//! [`Directory`] (and, for routing changes, the engine), then logs it as a
//! [`Fact::Admin`] with who made it, in the same append as the engine's
//! records. At start the log's administration facts are replayed over the
//! configuration file, so users, customers and live configuration changes
//! survive a restart. The directory is updated when a change is taken, so
//! the next command of the same batch sees it; should the append then fail,
//! the core stops, as it does for engine state.
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
use std::sync::mpsc::{self, RecvError, RecvTimeoutError};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread;
use std::time::Duration;

use acd::model::{AgentId, Code, ContactId, PhoneNumber, Priority, QueueId, Time};
use acd::record::OpenContacts;
use acd::{AgentState, ConfigChange, Engine, Event, NewContact, Record, RecordKind, Selector};
use jiff::tz::TimeZone;
use kpi::{Admin, AdminChange, Entity, Fact, Naming};
use store::Store;
use tokio::sync::{broadcast, oneshot};

use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::Error;

/// How many records a slow subscriber may fall behind before it misses
/// some (it is then told how many it lost).
const BROADCAST_CAPACITY: usize = 16_384;

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

/// A read of the store, run on the engine thread (which owns the store)
/// after the batch's append; it sends its own answer.
type Query = Box<dyn FnOnce(&dyn Store) + Send>;

/// The attribute that names a contact's customer.
pub const CUSTOMER_ATTRIBUTE: &str = "customer";

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
    /// Read the store.
    Query(Query),
    /// Make an administration change.
    Admin {
        by: String,
        change: AdminChange,
        reply: Reply<()>,
    },
}

/// The handle on the engine thread. Cloning it is cheap; the thread stops
/// when the last handle is dropped.
#[derive(Clone)]
pub struct Core {
    commands: mpsc::Sender<Command>,
    records: broadcast::Sender<Arc<Record>>,
    directory: Arc<RwLock<Directory>>,
    zone: TimeZone,
}

impl Core {
    /// Starts the engine thread with `config` and the administration
    /// changes the log holds, logging to `store`, after closing what a
    /// previous run left open (see the module doc). Contact ids continue
    /// after the highest one the store has seen.
    pub fn start(
        config: acd::config::Config,
        mut store: Box<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Core, Error> {
        let mut directory = Directory::new(config.clone());
        let mut engine = Engine::new(config, Selector::Indexed)?;
        for admin in store.admin_changes()? {
            if let AdminChange::Routing(change) = &admin.change {
                let at = admin.at.max(engine.now());
                engine
                    .handle(at, Event::Configure(change.clone()))
                    .map_err(|source| Error::Replay {
                        summary: admin.change.summary(),
                        by: admin.by.clone(),
                        source,
                    })?;
                // Its ConfigChanged record is in the log already.
                engine.drain_records().for_each(drop);
            }
            directory.apply(&admin.change);
        }
        recover(store.as_mut())?;
        name(store.as_mut(), &directory, clock.now())?;
        let next_contact = store.last_contact_id()?.map_or(1, |c| c.0 + 1);
        let (commands, inbox) = mpsc::channel();
        let (records, _) = broadcast::channel(BROADCAST_CAPACITY);
        let directory = Arc::new(RwLock::new(directory));
        let zone = store.time_zone();
        let actor = Actor {
            engine,
            store,
            clock,
            records: records.clone(),
            next_contact,
            directory: Arc::clone(&directory),
            zone: zone.clone(),
        };
        thread::Builder::new()
            .name("engine".into())
            .spawn(move || actor.run(&inbox))
            .map_err(Error::Spawn)?;
        Ok(Core {
            commands,
            records,
            directory,
            zone,
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

    /// Runs `query` on the store after the commands before it are in the
    /// log, and returns its answer. It runs on the engine thread: keep it
    /// to indexed reads.
    pub async fn query<T: Send + 'static>(
        &self,
        query: impl FnOnce(&dyn Store) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Query(Box::new(move |store| {
            let _ = reply.send(query(store));
        }));
        self.commands.send(command).map_err(|_| Error::Stopped)?;
        answer.await.map_err(|_| Error::Stopped)
    }

    /// Makes an administration change on behalf of user `by`: checked,
    /// applied (routing changes by the engine), and in the log when this
    /// returns.
    pub async fn admin(&self, by: &str, change: AdminChange) -> Result<(), Error> {
        let by = by.to_owned();
        self.call(|reply| Command::Admin { by, change, reply })
            .await
    }

    /// Every record from now on, in log order, once it is in the store.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Record>> {
        self.records.subscribe()
    }

    /// The directory as it is now (configuration, names, customers…).
    /// Hold the guard briefly: the engine thread waits for it to change.
    pub fn directory(&self) -> RwLockReadGuard<'_, Directory> {
        read(&self.directory)
    }

    /// The configured queues with their names, by configuration order.
    pub fn queues(&self) -> Vec<(QueueId, String)> {
        self.directory().queue_names()
    }

    /// The configured agents with their names, by configuration order.
    pub fn agents(&self) -> Vec<(AgentId, String)> {
        self.directory().agent_names()
    }

    /// The center's time zone (the store's), for opening hours and days.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    async fn call<T>(&self, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .map_err(|_| Error::Stopped)?;
        answer.await.map_err(|_| Error::Stopped)?
    }
}

/// Logs the names of queues and agents that the store does not know yet
/// (or knows by another name), so reports of the server's log show the
/// names the center uses now.
fn name(store: &mut dyn Store, directory: &Directory, at: Time) -> Result<(), Error> {
    let known: std::collections::HashMap<Entity, String> = store
        .names()?
        .into_iter()
        .map(|n| (n.entity, n.name))
        .collect();
    let queues = directory
        .queue_names()
        .into_iter()
        .map(|(id, name)| (Entity::Queue(id), name));
    let agents = directory
        .agent_names()
        .into_iter()
        .map(|(id, name)| (Entity::Agent(id), name));
    let facts: Vec<Fact> = queues
        .chain(agents)
        .filter(|(entity, name)| known.get(entity) != Some(name))
        .map(|(entity, name)| Fact::Named(Naming { at, entity, name }))
        .collect();
    if !facts.is_empty() {
        store.append(&facts)?;
    }
    Ok(())
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
    directory: Arc<RwLock<Directory>>,
    zone: TimeZone,
}

/// A reply owed once the batch is on disk, with the outcome to send.
enum Owed {
    Admin(Reply<()>, Result<(), Error>),
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
    /// Administration and naming facts, logged after the records.
    facts: Vec<Fact>,
    owed: Vec<Owed>,
    views: Vec<View>,
    queries: Vec<Query>,
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
            while batch.owed.len() + batch.views.len() + batch.queries.len() < MAX_BATCH {
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
                let (outcome, records) = match self.admit(id, arrival) {
                    Ok(event) => self.step(Some(event), None),
                    Err(refusal) => (Err(refusal), self.step(None, None).1),
                };
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
            Command::Query(query) => batch.queries.push(query),
            Command::Admin { by, change, reply } => {
                let outcome = self.administer(by, change, batch);
                batch.owed.push(Owed::Admin(reply, outcome));
            }
        }
    }

    /// The arrival event of contact `id`, unless its queue is retired or
    /// closed. A caller recognised by number gets the `customer`
    /// attribute, and its tier's priority when that is higher.
    fn admit(&self, id: ContactId, arrival: Arrival) -> Result<Event, Error> {
        let directory = read(&self.directory);
        let now = self.clock.now().max(self.engine.now());
        let local =
            jiff::Timestamp::from_millisecond(now.as_millis().try_into().unwrap_or(i64::MAX))
                .unwrap_or(jiff::Timestamp::MAX)
                .to_zoned(self.zone.clone());
        directory.admit(arrival.queue, &local)?;
        let mut attributes = arrival.attributes;
        let mut priority = arrival.priority;
        let named = attributes
            .iter()
            .find(|(key, _)| key.as_str() == CUSTOMER_ATTRIBUTE)
            .map(|(_, value)| value.clone());
        if let Some(customer) = directory.customer(named.as_ref(), arrival.ani.as_ref()) {
            if named.is_none()
                && let Ok(key) = Code::parse(CUSTOMER_ATTRIBUTE)
            {
                attributes.push((key, customer.id.clone()));
            }
            if let Some(tier) = customer.tier.as_ref().and_then(|t| directory.tiers.get(t)) {
                priority = priority.max(*tier);
            }
        }
        Ok(Event::ContactArrived(NewContact {
            id,
            ani: arrival.ani,
            dnis: arrival.dnis,
            queue: arrival.queue,
            priority,
            attributes,
        }))
    }

    /// Checks and applies one administration change; its facts join the
    /// batch.
    fn administer(
        &mut self,
        by: String,
        change: AdminChange,
        batch: &mut Batch,
    ) -> Result<(), Error> {
        {
            let directory = read(&self.directory);
            let engine = &self.engine;
            directory.check(&change, |agent| {
                engine
                    .agent_status(agent)
                    .is_ok_and(|s| s.state == AgentState::LoggedOut)
            })?;
        }
        if let AdminChange::Routing(routing) = &change {
            let (outcome, records) = self.step(Some(Event::Configure(routing.clone())), None);
            batch.add(records);
            outcome?;
        }
        let at = self.clock.now().max(self.engine.now());
        let naming = match &change {
            AdminChange::Routing(ConfigChange::UpsertQueue(q)) => {
                Some((Entity::Queue(q.id), &q.name))
            }
            AdminChange::Routing(ConfigChange::UpsertAgent(a)) => {
                Some((Entity::Agent(a.id), &a.name))
            }
            _ => None,
        };
        if let Some((entity, name)) = naming {
            batch.facts.push(Fact::Named(Naming {
                at,
                entity,
                name: name.clone(),
            }));
        }
        write(&self.directory).apply(&change);
        batch.facts.push(Fact::Admin(Admin { at, by, change }));
        Ok(())
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
            .and_then(|()| match &event {
                Some(event) => read(&self.directory).allows(event).map_err(Error::from),
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
            facts: extra,
            owed,
            views,
            queries,
        } = batch;
        if !records.is_empty() || !extra.is_empty() {
            let facts: Vec<Fact> = records
                .iter()
                .cloned()
                .map(Fact::Routing)
                .chain(extra)
                .collect();
            if let Err(error) = self.store.append(&facts) {
                let mut error = Some(Error::Store(error));
                for owed in owed {
                    let error = error.take().unwrap_or(Error::Stopped);
                    // A caller that went away has nobody to tell.
                    match owed {
                        Owed::Admin(reply, _) => drop(reply.send(Err(error))),
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
                Owed::Admin(reply, result) => drop(reply.send(result)),
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
        for query in queries {
            query(self.store.as_ref());
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

/// The directory for reading; a panic elsewhere cannot leave it half
/// changed (every change is applied whole, after its checks), so poisoning
/// is ignored.
fn read(directory: &RwLock<Directory>) -> RwLockReadGuard<'_, Directory> {
    directory.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(directory: &RwLock<Directory>) -> RwLockWriteGuard<'_, Directory> {
    directory.write().unwrap_or_else(PoisonError::into_inner)
}
