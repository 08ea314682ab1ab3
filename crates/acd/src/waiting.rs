//! The line of waiting contacts of one queue.
//!
//! Key types: [`Waiting`] (contacts bucketed by base priority, each bucket
//! in arrival order) and [`Rules`] (the queue's aging and relaxation
//! timetable). Within a bucket, an older contact has both at least the
//! aging boost and at least the relaxation step of a younger one, so each
//! bucket's head answers "the best contact for this agent" and the whole
//! answer costs one look per bucket, not one per contact.

use std::collections::BTreeSet;

use crate::config::{AgingRule, QueueConfig};
use crate::model::{ContactId, Priority, Span, Time};

/// Aging and relaxation timetable of a queue.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    aging: Option<AgingRule>,
    /// `after` of each relaxation step, increasing.
    steps: Vec<Span>,
}

impl Rules {
    pub(crate) fn of(cfg: &QueueConfig) -> Self {
        Rules {
            aging: cfg.aging,
            steps: cfg.relaxation.iter().map(|r| r.after).collect(),
        }
    }

    /// Relaxation step reached after waiting `waited`.
    pub(crate) fn step(&self, waited: Span) -> u8 {
        self.steps.partition_point(|&after| after <= waited) as u8
    }

    /// The wait at which step `step + 1` begins, if there is one.
    pub(crate) fn next_step_after(&self, step: u8) -> Option<Span> {
        self.steps.get(step as usize).copied()
    }

    /// Base priority plus aging after `waited`.
    pub(crate) fn effective_priority(&self, base: Priority, waited: Span) -> u32 {
        let boost = self.aging.map_or(0, |rule| {
            let increments = waited.as_millis() / rule.every.as_millis();
            u32::try_from(increments)
                .unwrap_or(u32::MAX)
                .saturating_mul(rule.boost)
                .min(rule.max_boost)
        });
        u32::from(base.0) + boost
    }
}

/// The best waiting contact found for an agent: higher `effective` first,
/// then earlier `since`, then lower id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    pub effective: u32,
    pub since: Time,
    pub contact: ContactId,
    pub step: u8,
}

impl Head {
    /// Ordering key: smaller is better.
    pub(crate) fn rank(&self) -> (std::cmp::Reverse<u32>, Time, ContactId) {
        (std::cmp::Reverse(self.effective), self.since, self.contact)
    }
}

#[derive(Debug, Clone)]
struct Bucket {
    priority: Priority,
    line: BTreeSet<(Time, ContactId)>,
}

/// Waiting contacts of one queue.
#[derive(Debug, Clone, Default)]
pub(crate) struct Waiting {
    /// Sorted by priority, highest first; empty buckets stay (few exist).
    buckets: Vec<Bucket>,
    len: usize,
}

impl Waiting {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn insert(&mut self, priority: Priority, since: Time, contact: ContactId) {
        let at = self.buckets.partition_point(|b| b.priority > priority);
        if self.buckets.get(at).is_none_or(|b| b.priority != priority) {
            self.buckets.insert(
                at,
                Bucket {
                    priority,
                    line: BTreeSet::new(),
                },
            );
        }
        if self.buckets[at].line.insert((since, contact)) {
            self.len += 1;
        }
    }

    pub(crate) fn remove(&mut self, priority: Priority, since: Time, contact: ContactId) {
        if let Some(bucket) = self.buckets.iter_mut().find(|b| b.priority == priority)
            && bucket.line.remove(&(since, contact))
        {
            self.len -= 1;
        }
    }

    /// The best contact whose relaxation step is at least `min_step`.
    pub(crate) fn best(&self, rules: &Rules, now: Time, min_step: u8) -> Option<Head> {
        self.buckets
            .iter()
            .filter_map(|bucket| {
                let &(since, contact) = bucket.line.first()?;
                let waited = now.since(since);
                let step = rules.step(waited);
                (step >= min_step).then(|| Head {
                    effective: rules.effective_priority(bucket.priority, waited),
                    since,
                    contact,
                    step,
                })
            })
            .min_by_key(Head::rank)
    }

    /// 1-based position of a waiting contact in line.
    pub(crate) fn position(
        &self,
        rules: &Rules,
        now: Time,
        priority: Priority,
        since: Time,
        contact: ContactId,
    ) -> u32 {
        let me = Head {
            effective: rules.effective_priority(priority, now.since(since)),
            since,
            contact,
            step: 0,
        }
        .rank();
        let ahead: usize = self
            .buckets
            .iter()
            .map(|bucket| {
                // Rank grows along a bucket, so the contacts ahead are a prefix.
                bucket
                    .line
                    .iter()
                    .take_while(|&&(s, c)| {
                        let effective = rules.effective_priority(bucket.priority, now.since(s));
                        (std::cmp::Reverse(effective), s, c) < me
                    })
                    .count()
            })
            .sum();
        u32::try_from(ahead + 1).unwrap_or(u32::MAX)
    }

    /// Every waiting contact with its base priority and place time.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Priority, Time, ContactId)> + '_ {
        self.buckets
            .iter()
            .flat_map(|b| b.line.iter().map(move |&(s, c)| (b.priority, s, c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{QueueConfig, Relaxation};
    use crate::model::{Proficiency, QueueId, SkillId};

    fn rules() -> Rules {
        let mut q = QueueConfig::new(QueueId(1), "q", SkillId(1), Proficiency::MAX);
        q.aging = Some(AgingRule {
            every: Span::from_secs(10),
            boost: 1,
            max_boost: 5,
        });
        q.relaxation = vec![
            Relaxation {
                after: Span::from_secs(30),
                min_level: None,
                add_queues: vec![],
            },
            Relaxation {
                after: Span::from_secs(60),
                min_level: None,
                add_queues: vec![],
            },
        ];
        Rules::of(&q)
    }

    #[test]
    fn aging_lets_an_old_low_priority_contact_pass_a_new_high_one() {
        let rules = rules();
        let mut w = Waiting::default();
        w.insert(Priority(0), Time::from_secs(0), ContactId(1));
        w.insert(Priority(2), Time::from_secs(25), ContactId(2));
        // At 25 s the old one has boost 2 = the new one's 2; older wins the tie.
        let head = w.best(&rules, Time::from_secs(25), 0).unwrap();
        assert_eq!(head.contact, ContactId(1));
        // At 19 s boost is 1 < 2... but contact 2 has not arrived; check rank directly.
        assert_eq!(
            rules.effective_priority(Priority(0), Span::from_secs(19)),
            1
        );
        assert_eq!(
            rules.effective_priority(Priority(0), Span::from_secs(500)),
            5
        );
        assert_eq!(
            w.position(
                &rules,
                Time::from_secs(25),
                Priority(2),
                Time::from_secs(25),
                ContactId(2)
            ),
            2
        );
    }

    #[test]
    fn min_step_filters_by_the_oldest_of_each_bucket() {
        let rules = rules();
        let mut w = Waiting::default();
        w.insert(Priority(1), Time::from_secs(0), ContactId(1));
        w.insert(Priority(1), Time::from_secs(20), ContactId(2));
        assert_eq!(rules.step(Span::from_secs(29)), 0);
        assert_eq!(rules.step(Span::from_secs(30)), 1);
        assert_eq!(rules.step(Span::from_secs(61)), 2);
        assert!(w.best(&rules, Time::from_secs(29), 1).is_none());
        assert_eq!(
            w.best(&rules, Time::from_secs(30), 1).map(|h| h.contact),
            Some(ContactId(1))
        );
        w.remove(Priority(1), Time::from_secs(0), ContactId(1));
        assert!(w.best(&rules, Time::from_secs(30), 1).is_none());
        assert_eq!(w.len(), 1);
    }
}
