//! Matching: which ready agent takes a contact, which waiting contact an
//! agent takes.
//!
//! Key types: [`Pool`] (available agents of one queue and qualification
//! tier, ordered by the queue's [`SelectionPolicy`] through a [`PoolKey`])
//! and the two dispatchers on [`Engine`]: `dispatch_contact` (a contact
//! became routable: compare ready agents) and `dispatch_agent` (an agent
//! became available: compare waiting contacts). Each has an indexed and a
//! scanning implementation that must decide identically.

use std::cmp::Reverse;
use std::collections::{BTreeSet, VecDeque};

use crate::config::SelectionPolicy;
use crate::engine::{Agent, Engine, Phase, Reach, Selector};
use crate::model::{AgentId, ContactId, Time};
use crate::record::{Decision, Route, Trigger};
use crate::waiting::Head;

/// Order of agents within a pool: smaller is chosen first.
pub(crate) type PoolKey = (u64, u64, AgentId);

/// Available agents of one queue qualified from one relaxation step.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    /// Longest idle. Agents join at the back when they become available,
    /// so the line is in idle order without sorting. Leaving is lazy: an
    /// entry is stale once its agent is unavailable or on a later
    /// availability turn; stale entries are dropped when they reach the
    /// front (the front is always live) or when the line compacts. This
    /// makes the most frequent pool operations O(1).
    Line {
        /// (availability turn, agent index), turns increasing.
        line: VecDeque<(u64, usize)>,
        /// Live entries.
        live: usize,
    },
    /// Every other policy: an exact ordered set.
    Ordered(BTreeSet<(PoolKey, usize)>),
}

/// Whether a line entry still stands for an available agent.
fn live(agents: &[Agent], (turn, a): (u64, usize)) -> bool {
    agents[a].available && agents[a].turn == turn
}

impl Pool {
    pub(crate) fn new(policy: SelectionPolicy) -> Self {
        match policy {
            SelectionPolicy::LongestIdle => Pool::Line {
                line: VecDeque::new(),
                live: 0,
            },
            _ => Pool::Ordered(BTreeSet::new()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Pool::Line { live, .. } => *live,
            Pool::Ordered(set) => set.len(),
        }
    }

    /// Adds an available agent; in a line its turn must be the newest.
    fn insert(&mut self, key: PoolKey, a: usize, agents: &[Agent]) {
        match self {
            Pool::Line { line, live: count } => {
                line.push_back((key.0, a));
                *count += 1;
                if line.len() > 2 * *count + 32 {
                    line.retain(|&entry| live(agents, entry));
                }
            }
            Pool::Ordered(set) => {
                set.insert((key, a));
            }
        }
    }

    /// Removes an agent that is no longer available.
    fn remove(&mut self, key: PoolKey, a: usize, agents: &[Agent]) {
        match self {
            Pool::Line { line, live: count } => {
                *count -= 1;
                while line.front().is_some_and(|&entry| !live(agents, entry)) {
                    line.pop_front();
                }
            }
            Pool::Ordered(set) => {
                set.remove(&(key, a));
            }
        }
    }

    /// The agent the policy picks; round robin starts after `cursor`.
    fn best(
        &self,
        policy: SelectionPolicy,
        cursor: Option<AgentId>,
        agents: &[Agent],
    ) -> Option<(PoolKey, usize)> {
        match self {
            Pool::Line { line, .. } => line
                .front()
                .map(|&(turn, a)| ((turn, 0, agents[a].cfg.id), a)),
            Pool::Ordered(set) => match (policy, cursor) {
                (SelectionPolicy::RoundRobin, Some(AgentId(last))) if last < u32::MAX => set
                    .range(((0, 0, AgentId(last + 1)), 0)..)
                    .next()
                    .or_else(|| set.first())
                    .copied(),
                _ => set.first().copied(),
            },
        }
    }
}

/// Rank of a pool key across the pools of one queue: round robin ranks
/// agents after the cursor before those that wrap around.
fn rank(policy: SelectionPolicy, cursor: Option<AgentId>, key: PoolKey) -> PoolKey {
    match policy {
        SelectionPolicy::RoundRobin => {
            let wrapped = cursor.is_some_and(|c| key.2 <= c);
            (u64::from(wrapped), 0, key.2)
        }
        _ => key,
    }
}

/// An agent found for a contact.
struct AgentPick {
    agent: usize,
    route: Route,
    policy: SelectionPolicy,
    alternatives: usize,
    /// The queue whose round-robin cursor moves.
    cursor_queue: usize,
}

/// A contact found for an agent.
struct ContactPick {
    head: Head,
    reach: Reach,
    alternatives: usize,
}

impl Engine {
    /// Position of agent `a` in the pools of queue `q`.
    fn pool_key(&self, a: usize, q: usize) -> PoolKey {
        let agent = &self.agents[a];
        let queue = &self.queues[q];
        // Turns are handed out in time order, so the earlier turn is the
        // longer idle; unlike a timestamp they never tie.
        let turn = agent.turn;
        match queue.cfg.selection {
            SelectionPolicy::LongestIdle => (turn, 0, agent.cfg.id),
            SelectionPolicy::MostSkilled => {
                let score: u64 = queue
                    .cfg
                    .requirements
                    .iter()
                    .map(|r| agent.cfg.level(r.skill).map_or(0, |l| u64::from(l.get())))
                    .sum();
                (u64::MAX - score, turn, agent.cfg.id)
            }
            SelectionPolicy::FewestContacts => {
                (u64::from(agent.contacts_today), turn, agent.cfg.id)
            }
            SelectionPolicy::RoundRobin => (0, 0, agent.cfg.id),
        }
    }

    /// Puts an available agent into the pools of the queues it qualifies for.
    pub(crate) fn pool_in(&mut self, a: usize) {
        if self.selector != Selector::Indexed {
            return;
        }
        for i in 0..self.agents[a].memberships.len() {
            let m = self.agents[a].memberships[i];
            let key = self.pool_key(a, m.queue);
            self.queues[m.queue].pools[usize::from(m.tier)].insert(key, a, &self.agents);
        }
    }

    /// Takes an agent that stopped being available out of every pool. Its
    /// pool keys are what they were when it joined: nothing they depend on
    /// changes while an agent is available (see `set_fewest_contacts_pooling`
    /// for the one exception).
    pub(crate) fn pool_out(&mut self, a: usize) {
        if self.selector != Selector::Indexed {
            return;
        }
        for i in 0..self.agents[a].memberships.len() {
            let m = self.agents[a].memberships[i];
            let key = self.pool_key(a, m.queue);
            self.queues[m.queue].pools[usize::from(m.tier)].remove(key, a, &self.agents);
        }
    }

    /// Empties every pool, ahead of a configuration change.
    pub(crate) fn unpool_all(&mut self) {
        for queue in &mut self.queues {
            for pool in &mut queue.pools {
                *pool = Pool::new(queue.cfg.selection);
            }
        }
    }

    /// Pools every available agent, in turn order so lines stay sorted, and
    /// asks for a match for each.
    pub(crate) fn pool_available(&mut self) {
        let mut available: Vec<usize> = (0..self.agents.len())
            .filter(|&a| self.agents[a].available)
            .collect();
        available.sort_by_key(|&a| self.agents[a].turn);
        for a in available {
            self.pool_in(a);
            self.pending_agents.push_back(a);
        }
    }

    /// Takes the available agents out of (or puts them back into) the
    /// pools ordered by contacts today, around a reset of those counts.
    pub(crate) fn set_fewest_contacts_pooling(&mut self, pooled: bool) {
        if self.selector != Selector::Indexed {
            return;
        }
        for a in 0..self.agents.len() {
            if !self.agents[a].available {
                continue;
            }
            for i in 0..self.agents[a].memberships.len() {
                let m = self.agents[a].memberships[i];
                if self.queues[m.queue].cfg.selection != SelectionPolicy::FewestContacts {
                    continue;
                }
                let key = self.pool_key(a, m.queue);
                let pool = &mut self.queues[m.queue].pools[usize::from(m.tier)];
                if pooled {
                    pool.insert(key, a, &self.agents);
                } else {
                    pool.remove(key, a, &self.agents);
                }
            }
        }
    }

    fn profile_priority(&self, a: usize, q: usize) -> u8 {
        self.agents[a]
            .memberships
            .iter()
            .find(|m| m.queue == q)
            .map_or(0, |m| m.priority)
    }

    /// A contact became routable: offer it to the best eligible ready agent.
    pub(crate) fn dispatch_contact(&mut self, id: ContactId) {
        let Some(c) = self.contacts.get(&id) else {
            return;
        };
        if c.phase != Phase::Queued {
            return;
        }
        let queue = &self.queues[c.queue];
        let waited = self.now.since(c.since);
        let effective = queue.rules.effective_priority(c.record.priority, waited);
        let (step, pick) = match c.for_agent {
            Some(a) => (
                0,
                self.agents[a].available.then_some(AgentPick {
                    agent: a,
                    route: Route::Personal,
                    policy: queue.cfg.selection,
                    alternatives: 1,
                    cursor_queue: c.queue,
                }),
            ),
            None => {
                let step = queue.rules.step(waited);
                let pick = match self.selector {
                    Selector::Indexed => self.pick_agent_indexed(c.queue, step),
                    Selector::Scan => self.pick_agent_scan(c.queue, step),
                };
                (step, pick)
            }
        };
        if let Some(pick) = pick {
            let decision = Decision {
                trigger: Trigger::Contact,
                route: pick.route,
                policy: pick.policy,
                step,
                effective_priority: effective,
                waited,
                agent_idle: self.now.since(self.agents[pick.agent].idle_since),
                alternatives: u32::try_from(pick.alternatives).unwrap_or(u32::MAX),
            };
            self.offer(id, pick.agent, decision, pick.cursor_queue);
        }
    }

    fn pick_agent_indexed(&self, q: usize, step: u8) -> Option<AgentPick> {
        let queue = &self.queues[q];
        let (policy, cursor) = (queue.cfg.selection, queue.rr_cursor);
        let top = usize::from(step).min(queue.pools.len() - 1);
        let mut best: Option<(PoolKey, usize, u8)> = None;
        let mut alternatives = 0;
        for (tier, pool) in queue.pools[..=top].iter().enumerate() {
            alternatives += pool.len();
            if let Some((key, a)) = pool.best(policy, cursor, &self.agents) {
                let r = rank(policy, cursor, key);
                if best.is_none_or(|(b, _, _)| r < b) {
                    best = Some((r, a, tier as u8));
                }
            }
        }
        if let Some((_, a, tier)) = best {
            return Some(AgentPick {
                agent: a,
                route: Route::Queue {
                    queue: queue.cfg.id,
                    tier,
                    profile_priority: self.profile_priority(a, q),
                },
                policy,
                alternatives,
                cursor_queue: q,
            });
        }
        for &b in queue.lent[1..=top].iter().flatten() {
            let lender = &self.queues[b];
            if let Some((_, a)) =
                lender.pools[0].best(lender.cfg.selection, lender.rr_cursor, &self.agents)
            {
                return Some(self.borrowed_pick(q, b, a, lender.pools[0].len()));
            }
        }
        None
    }

    fn pick_agent_scan(&self, q: usize, step: u8) -> Option<AgentPick> {
        let queue = &self.queues[q];
        let top = usize::from(step).min(queue.pools.len() - 1);
        let eligible = |queue_ix: usize, max_tier: u8| {
            let lender = &self.queues[queue_ix];
            let (policy, cursor) = (lender.cfg.selection, lender.rr_cursor);
            let mut best: Option<(PoolKey, usize, u8)> = None;
            let mut count = 0;
            for (a, agent) in self.agents.iter().enumerate() {
                if !agent.available {
                    continue;
                }
                let Some(m) = agent
                    .memberships
                    .iter()
                    .find(|m| m.queue == queue_ix && m.tier <= max_tier)
                else {
                    continue;
                };
                count += 1;
                let r = rank(policy, cursor, self.pool_key(a, queue_ix));
                if best.is_none_or(|(b, _, _)| r < b) {
                    best = Some((r, a, m.tier));
                }
            }
            best.map(|(_, a, tier)| (a, tier, count))
        };
        if let Some((a, tier, count)) = eligible(q, top as u8) {
            return Some(AgentPick {
                agent: a,
                route: Route::Queue {
                    queue: queue.cfg.id,
                    tier,
                    profile_priority: self.profile_priority(a, q),
                },
                policy: queue.cfg.selection,
                alternatives: count,
                cursor_queue: q,
            });
        }
        for &b in queue.lent[1..=top].iter().flatten() {
            if let Some((a, _, count)) = eligible(b, 0) {
                return Some(self.borrowed_pick(q, b, a, count));
            }
        }
        None
    }

    fn borrowed_pick(&self, q: usize, b: usize, a: usize, alternatives: usize) -> AgentPick {
        AgentPick {
            agent: a,
            route: Route::Borrowed {
                queue: self.queues[q].cfg.id,
                from: self.queues[b].cfg.id,
                profile_priority: self.profile_priority(a, b),
            },
            policy: self.queues[b].cfg.selection,
            alternatives,
            cursor_queue: b,
        }
    }

    /// An agent became available: offer it the best contact it may take.
    pub(crate) fn dispatch_agent(&mut self, a: usize) {
        let agent = &self.agents[a];
        if !agent.available {
            return;
        }
        let agent_idle = self.now.since(agent.idle_since);
        if let Some(&(since, id)) = agent.personal.first() {
            let c = &self.contacts[&id];
            let queue = &self.queues[c.queue];
            let waited = self.now.since(since);
            let decision = Decision {
                trigger: Trigger::Agent,
                route: Route::Personal,
                policy: queue.cfg.selection,
                step: 0,
                effective_priority: queue.rules.effective_priority(c.record.priority, waited),
                waited,
                agent_idle,
                alternatives: 1,
            };
            self.offer(id, a, decision, c.queue);
            return;
        }
        let pick = match self.selector {
            Selector::Indexed => self.pick_contact_indexed(a),
            Selector::Scan => self.pick_contact_scan(a),
        };
        let Some(ContactPick {
            head,
            reach,
            alternatives,
        }) = pick
        else {
            return;
        };
        let queue_id = self.queues[reach.queue].cfg.id;
        let (route, served) = match reach.lent_from {
            None => (
                Route::Queue {
                    queue: queue_id,
                    tier: reach.min_step,
                    profile_priority: reach.priority,
                },
                reach.queue,
            ),
            Some(b) => (
                Route::Borrowed {
                    queue: queue_id,
                    from: self.queues[b].cfg.id,
                    profile_priority: reach.priority,
                },
                b,
            ),
        };
        let decision = Decision {
            trigger: Trigger::Agent,
            route,
            policy: self.queues[served].cfg.selection,
            step: head.step,
            effective_priority: head.effective,
            waited: self.now.since(head.since),
            agent_idle,
            alternatives: u32::try_from(alternatives).unwrap_or(u32::MAX),
        };
        self.offer(head.contact, a, decision, served);
    }

    fn pick_contact_indexed(&self, a: usize) -> Option<ContactPick> {
        let all = &self.agents[a].reach;
        let mut alternatives = 0;
        let best = all
            .iter()
            .filter_map(|&reach| {
                let queue = &self.queues[reach.queue];
                let head = queue.waiting.best(&queue.rules, self.now, reach.min_step)?;
                // A queue reached both as its own and, from an earlier step,
                // lent counts once: the lent reach sees all the own one does.
                let also_lent = reach.lent_from.is_none()
                    && all
                        .iter()
                        .any(|r| r.queue == reach.queue && r.lent_from.is_some());
                if !also_lent {
                    alternatives += 1;
                }
                Some((head, reach))
            })
            .min_by_key(|(head, reach)| contact_rank(head, reach));
        best.map(|(head, reach)| ContactPick {
            head,
            reach,
            alternatives,
        })
    }

    fn pick_contact_scan(&self, a: usize) -> Option<ContactPick> {
        let agent = &self.agents[a];
        let eligible: Vec<(Head, Reach)> = self
            .contacts
            .iter()
            .filter(|(_, c)| c.phase == Phase::Queued && c.for_agent.is_none())
            .filter_map(|(&id, c)| {
                let queue = &self.queues[c.queue];
                let waited = self.now.since(c.since);
                let step = queue.rules.step(waited);
                // Own reaches sort first: the best reach open at this step.
                let &reach = agent
                    .reach
                    .iter()
                    .find(|r| r.queue == c.queue && r.min_step <= step)?;
                let head = Head {
                    effective: queue.rules.effective_priority(c.record.priority, waited),
                    since: c.since,
                    contact: id,
                    step,
                };
                Some((head, reach))
            })
            .collect();
        let mut queues: Vec<usize> = eligible.iter().map(|(_, r)| r.queue).collect();
        queues.sort_unstable();
        queues.dedup();
        let (head, reach) = eligible
            .into_iter()
            .min_by_key(|(head, reach)| contact_rank(head, reach))?;
        Some(ContactPick {
            head,
            reach,
            alternatives: queues.len(),
        })
    }
}

/// An agent takes contacts from its own queues before borrowed ones, then by
/// its profile priority, then by the contacts' effective priority and wait.
fn contact_rank(head: &Head, reach: &Reach) -> (bool, u8, (Reverse<u32>, Time, ContactId)) {
    (reach.lent_from.is_some(), reach.priority, head.rank())
}
