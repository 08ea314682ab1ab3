//! Customer satisfaction (CSAT) and the daily call-back lists of seed 001.
//!
//! Key types: [`CsatReport`] (the total and one [`CsatRow`] per period),
//! [`CsatFigures`] and [`Caller`] (a line of the dissatisfied or unrated
//! list: number, agent, reason, recording).
//!
//! CSAT = satisfied answers ÷ survey answers, where an answer is satisfied
//! when its score is at least `[csat] satisfied_min` (default 4) and
//! dissatisfied below it. Every answer counts, so a contact rated twice
//! counts twice. An answer belongs to the period its contact arrived in
//! (a survey taken after midnight rates the day of the call), or to the
//! period it was given when its contact is not in the log.
//!
//! Unrated callers are handled contacts with no survey answer in the log;
//! a survey that comes after the log's end will move its caller off the
//! list. The recording shown is the contact's `recording` attribute (see
//! [`crate::contact`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use acd::model::{AgentId, Code, ContactId, PhoneNumber, Time};
use jiff::{Timestamp, Zoned};
use serde::Serialize;

use crate::Ledger;
use crate::contact::{ContactFacts, ContactList, Customer};
use crate::error::Error;
use crate::fact::Score;
use crate::interval::{Bucketing, Interval};
use crate::queue::ratio;
use crate::settings::ReportSettings;

/// A caller to review or call back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    /// The contact.
    pub contact: ContactId,
    /// When it arrived (`None`: the contact is not in the log).
    pub arrived: Option<Time>,
    /// The caller's number.
    pub ani: Option<PhoneNumber>,
    /// Who called.
    pub customer: Option<Customer>,
    /// The agent of the last handled leg.
    pub agent: Option<AgentId>,
    /// The call reason.
    pub reason: Option<Code>,
    /// The score given (`None` on the unrated list).
    pub score: Option<Score>,
    /// The `recording` attribute.
    pub recording: Option<Code>,
}

impl Caller {
    fn new(contact: ContactId, facts: Option<&ContactFacts>, score: Option<Score>) -> Self {
        Caller {
            contact,
            arrived: facts.map(|f| f.arrived),
            ani: facts.and_then(|f| f.ani.clone()),
            customer: facts.and_then(|f| f.customer.clone()),
            agent: facts.and_then(|f| f.agent),
            reason: facts.and_then(|f| f.reason.clone()),
            score,
            recording: facts.and_then(|f| f.recording.clone()),
        }
    }
}

/// Survey figures of a set of answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CsatFigures {
    /// Every answer (its contact, once per answer).
    pub answers: ContactList,
    /// Answers at or above the threshold.
    pub satisfied: ContactList,
    /// Answers below it.
    pub dissatisfied: ContactList,
    /// Answers by score.
    pub by_score: BTreeMap<Score, u64>,
    /// Satisfied ÷ answers.
    pub csat: Option<f64>,
}

impl CsatFigures {
    fn add(&mut self, contact: ContactId, score: Score, satisfied_min: Score) {
        self.answers.push(contact);
        if score >= satisfied_min {
            self.satisfied.push(contact);
        } else {
            self.dissatisfied.push(contact);
        }
        *self.by_score.entry(score).or_default() += 1;
        self.csat = ratio(self.satisfied.count, self.answers.count);
    }
}

/// One period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsatRow {
    /// Local start of the period.
    pub start: Zoned,
    /// Its figures.
    #[serde(flatten)]
    pub figures: CsatFigures,
    /// Dissatisfied answers, in log order.
    pub dissatisfied_callers: Vec<Caller>,
    /// Handled contacts of the period without an answer, in finishing
    /// order.
    pub unrated_callers: Vec<Caller>,
}

/// The CSAT report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsatReport {
    /// The lowest satisfied score.
    pub satisfied_min: Score,
    /// The period length of `rows`.
    pub interval: Interval,
    /// All answers.
    pub total: CsatFigures,
    /// Handled contacts without an answer.
    pub unrated: ContactList,
    /// By period.
    pub rows: Vec<CsatRow>,
}

pub(crate) fn report(
    ledger: &Ledger,
    settings: &ReportSettings,
    interval: Interval,
) -> Result<CsatReport, Error> {
    let facts = ledger.contact_facts();
    let by_id: HashMap<ContactId, &ContactFacts> = facts.iter().map(|f| (f.id, f)).collect();
    let bucketing = Bucketing {
        interval,
        time_zone: settings.time_zone.clone(),
    };
    let satisfied_min = settings.csat.satisfied_min;
    let mut rows: BTreeMap<Timestamp, CsatRow> = BTreeMap::new();
    let mut total = CsatFigures::default();
    let mut rated = HashSet::new();
    for survey in ledger.surveys() {
        let contact = by_id.get(&survey.contact).copied();
        let row = row_of(
            &mut rows,
            &bucketing,
            contact.map_or(survey.at, |f| f.arrived),
        )?;
        row.figures.add(survey.contact, survey.score, satisfied_min);
        total.add(survey.contact, survey.score, satisfied_min);
        if survey.score < satisfied_min {
            row.dissatisfied_callers
                .push(Caller::new(survey.contact, contact, Some(survey.score)));
        }
        rated.insert(survey.contact);
    }
    let mut unrated = ContactList::default();
    for f in facts.iter().filter(|f| f.handled && !rated.contains(&f.id)) {
        unrated.push(f.id);
        row_of(&mut rows, &bucketing, f.arrived)?
            .unrated_callers
            .push(Caller::new(f.id, Some(f), None));
    }
    Ok(CsatReport {
        satisfied_min,
        interval,
        total,
        unrated,
        rows: rows.into_values().collect(),
    })
}

fn row_of<'a>(
    rows: &'a mut BTreeMap<Timestamp, CsatRow>,
    bucketing: &Bucketing,
    at: Time,
) -> Result<&'a mut CsatRow, Error> {
    let start = bucketing.start(at)?;
    Ok(rows.entry(start.timestamp()).or_insert_with(|| CsatRow {
        start,
        figures: CsatFigures::default(),
        dissatisfied_callers: Vec::new(),
        unrated_callers: Vec::new(),
    }))
}
