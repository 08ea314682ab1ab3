//! The report settings file: what the event log cannot know about the
//! business, in one TOML file.
//!
//! Key types: [`ReportSettings`] (the whole file, read by
//! [`ReportSettings::from_toml`]) and its sections [`FcrSettings`],
//! [`CsatSettings`], [`CostModel`], [`StrategyRules`], [`ValueSettings`],
//! [`ReasonSettings`] (per call reason), [`OutcomeSettings`] (per outcome
//! code: revenue, success, lead, [`Resolution`]), [`Category`] (of a
//! reason in the value report), [`Campaign`] (per advertised number) and
//! [`Contract`] (an outsourcing contract's terms, with its [`SlTerm`]).
//!
//! Every key is optional; an empty file gives [`ReportSettings::default`].
//! Unknown keys are refused (a misspelt key would otherwise be silently
//! ignored), and every error names the dotted key at fault and its line.
//! `examples/reports/settings.toml` documents every key with an example.
//!
//! Money amounts are decimal numbers in the center's currency; shares and
//! targets that are rates are between 0 and 1.

use std::collections::BTreeMap;
use std::ops::Range;

use acd::model::{Code, PhoneNumber, QueueId, Span};
use jiff::tz::{Offset, TimeZone};
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::Error;
use crate::fact::{Entity, Money, Score};
use crate::outcome::Rate;
use crate::queue::SlDefinition;

/// The whole settings file.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    /// The center's time zone, for days, weeks and months (`time_zone`).
    pub time_zone: TimeZone,
    /// A label for money amounts, e.g. "CNY" (`currency`).
    pub currency: String,
    /// First-contact resolution (`[fcr]`).
    pub fcr: FcrSettings,
    /// Customer satisfaction (`[csat]`).
    pub csat: CsatSettings,
    /// What the center costs (`[cost]`).
    pub cost: CostModel,
    /// Thresholds of the call-reason strategy rules (`[strategy]`).
    pub strategy: StrategyRules,
    /// The value report (`[value]`).
    pub value: ValueSettings,
    /// Per call reason (`[reasons.<code>]`).
    pub reasons: BTreeMap<Code, ReasonSettings>,
    /// Per outcome code (`[outcomes.<code>]`).
    pub outcomes: BTreeMap<Code, OutcomeSettings>,
    /// Campaigns by advertised number (`[campaigns.<key>]`), in key order.
    pub campaigns: Vec<Campaign>,
    /// Department of each queue (`[departments]`: the queue's id or its
    /// name as the log names it = the department).
    pub departments: BTreeMap<String, String>,
    /// The outsourcing contract to check (`[contract]`).
    pub contract: Option<Contract>,
    /// Success-rate targets of the outcome report (`[targets]`).
    pub targets: Targets,
}

/// `[targets]`: the outcome success rate to reach per week and per month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Targets {
    /// Per ISO week (`success_rate_week`, 0–1).
    pub success_rate_week: Option<Rate>,
    /// Per calendar month (`success_rate_month`, 0–1).
    pub success_rate_month: Option<Rate>,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            time_zone: TimeZone::UTC,
            currency: String::new(),
            fcr: FcrSettings::default(),
            csat: CsatSettings::default(),
            cost: CostModel::default(),
            strategy: StrategyRules::default(),
            value: ValueSettings::default(),
            reasons: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            campaigns: Vec::new(),
            departments: BTreeMap::new(),
            contract: None,
            targets: Targets::default(),
        }
    }
}

/// `[fcr]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FcrSettings {
    /// A further contact within this many days of a handled one, from the
    /// same customer on the same reason, makes it a repeat (`window_days`,
    /// default 7; whole days of 24 hours).
    pub window_days: u32,
}

impl Default for FcrSettings {
    fn default() -> Self {
        FcrSettings { window_days: 7 }
    }
}

impl FcrSettings {
    /// The window as a span.
    pub fn window(&self) -> Span {
        Span::from_secs(u64::from(self.window_days) * 86_400)
    }
}

/// `[csat]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsatSettings {
    /// Scores from this up are satisfied, below it dissatisfied
    /// (`satisfied_min`, 1–5, default 4).
    pub satisfied_min: Score,
}

impl Default for CsatSettings {
    fn default() -> Self {
        CsatSettings {
            satisfied_min: Score::new(4).expect("4 is a score"),
        }
    }
}

/// `[cost]`: the cost model. Rates are decimal amounts (they may be
/// fractions of a cent); totals are rounded to the cent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CostModel {
    /// Loaded cost of one paid (logged-in) agent hour: wage, benefits,
    /// seat (`agent_hour`, default 0).
    pub agent_hour: f64,
    /// Cost of one minute of a caller on the line (`telecom_minute`,
    /// default 0).
    pub telecom_minute: f64,
    /// Fixed overhead (rent, systems, management) per calendar day
    /// (`overhead_per_day`, default 0).
    pub overhead_per_day: f64,
}

/// `[strategy]`: thresholds of the rules that recommend a strategy per
/// call reason (see [`crate::reasons`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyRules {
    /// Proactive reach at least this to eliminate at the source
    /// (`min_reach`, default 0.6).
    pub min_reach: f64,
    /// A reason is significant when at least this share of customers calls
    /// for it (`min_customer_share`, default 0.05)…
    pub min_customer_share: f64,
    /// …or at least this share of contacts is about it
    /// (`min_volume_share`, default 0.05).
    pub min_volume_share: f64,
    /// Repeat rate from which a significant reason is eliminated at the
    /// source, its cause being fixed (`max_repeat_rate`, default 0.3).
    pub max_repeat_rate: f64,
    /// Self-service success rate at least this to move a reason to
    /// self-service (`min_channel_success`, default 0.7).
    pub min_channel_success: f64,
    /// Importance / urgency (1–5) at most this to move it to self-service
    /// (`max_self_service_importance`, default 3).
    pub max_self_service_importance: u8,
}

impl Default for StrategyRules {
    fn default() -> Self {
        StrategyRules {
            min_reach: 0.6,
            min_customer_share: 0.05,
            min_volume_share: 0.05,
            max_repeat_rate: 0.3,
            min_channel_success: 0.7,
            max_self_service_importance: 3,
        }
    }
}

/// `[value]`: the value report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValueSettings {
    /// What one site visit costs, so that each contact resolved remotely
    /// counts as a visit avoided (`site_visit_cost`; none: no money figure).
    pub site_visit_cost: Option<Money>,
}

/// A call reason's category in the value report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The customer complains.
    Complaint,
    /// The customer praises someone.
    Praise,
    /// The customer wants to buy.
    Lead,
    /// The customer asks a question.
    Inquiry,
    /// The customer asks for a service.
    Request,
    /// Anything else, and reasons without a category.
    #[default]
    Other,
}

impl Category {
    const NAMES: [(&'static str, Category); 6] = [
        ("complaint", Category::Complaint),
        ("praise", Category::Praise),
        ("lead", Category::Lead),
        ("inquiry", Category::Inquiry),
        ("request", Category::Request),
        ("other", Category::Other),
    ];
}

/// `[reasons.<code>]`: what the log cannot say about a call reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReasonSettings {
    /// Topic in the value report (`topic`; default: the code).
    pub topic: Option<String>,
    /// Category in the value report (`category`: complaint, praise, lead,
    /// inquiry, request, other; default other).
    pub category: Category,
    /// Share of the customers who call for it that proactive contact would
    /// reach in time, accurately (`proactive_reach`, 0–1).
    pub proactive_reach: Option<Rate>,
    /// Importance and urgency to customer and company (`importance`, 1–5).
    pub importance: Option<u8>,
    /// Success rate of the self-service channel for it: IVR, web, app
    /// (`self_service_success`, 0–1).
    pub self_service_success: Option<Rate>,
}

/// How an outcome code resolved the customer's problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Resolved on the phone.
    Remote,
    /// A technician had to go.
    SiteVisit,
}

/// `[outcomes.<code>]`: what an outcome code is worth.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OutcomeSettings {
    /// Revenue of a contact with this outcome, when no sale fact tells the
    /// real amount (`revenue`, default 0).
    pub revenue: Money,
    /// Counts toward the success rate (`success`, default false).
    pub success: bool,
    /// A lead handed to sales (`lead`, default false).
    pub lead: bool,
    /// Resolved remotely or by a site visit (`resolution`: "remote" or
    /// "site_visit"; default neither).
    pub resolution: Option<Resolution>,
}

/// `[campaigns.<key>]`: an advertised number and what the campaign cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Campaign {
    /// The table's key.
    pub key: Code,
    /// Shown name (`name`; default the key).
    pub name: String,
    /// The advertised numbers: contacts that dialled one belong to the
    /// campaign (`dnis`, at least one).
    pub dnis: Vec<PhoneNumber>,
    /// Media and list cost over the period reported (`cost`, default 0).
    pub cost: Money,
    /// People the campaign reached, for the response rate (`contacted`).
    pub contacted: Option<u64>,
}

/// `[contract.service_level]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlTerm {
    /// Which definition (`definition`: answered, offered, abandon_neutral;
    /// default offered).
    pub definition: SlDefinition,
    /// T (`threshold_secs`, whole seconds, default 20).
    pub threshold: Span,
    /// The share to reach (`target`, 0–1, required).
    pub target: Rate,
}

/// `[contract]`: an outsourcing contract's terms (seed 003's checklist).
/// Every term is optional; those the event log cannot show are reported
/// as not measurable.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Contract {
    /// Its name (`name`).
    pub name: String,
    /// Queues it covers (`queues`, ids; empty: all).
    pub queues: Vec<QueueId>,
    /// Short-abandon threshold (`short_abandon_secs`, default 5).
    pub short_abandon: Span,
    /// Service level (`[contract.service_level]`).
    pub service_level: Option<SlTerm>,
    /// Highest abandonment rate (`abandon_rate_max`).
    pub abandon_rate_max: Option<Rate>,
    /// Highest ASA in seconds (`asa_max_secs`).
    pub asa_max_secs: Option<f64>,
    /// Lowest first-contact resolution (`fcr_min`).
    pub fcr_min: Option<Rate>,
    /// Lowest CSAT (`csat_min`).
    pub csat_min: Option<Rate>,
    /// Highest AHT in seconds: the agents' speed (`aht_max_secs`).
    pub aht_max_secs: Option<f64>,
    /// Lowest share of handled contacts with an outcome code
    /// (`outcome_coded_min`).
    pub outcome_coded_min: Option<Rate>,
    /// Lowest success rate (`success_rate_min`; success codes are those
    /// with `success = true` in `[outcomes]`).
    pub success_rate_min: Option<Rate>,
    /// Highest cost per handled call (`cost_per_call_max`).
    pub cost_per_call_max: Option<Money>,
    /// Lowest productivity: handled contacts per full-time week
    /// (`calls_per_fte_week_min`).
    pub calls_per_fte_week_min: Option<f64>,
    /// Paid hours of one full-time week (`fte_week_hours`, default 40).
    pub fte_week_hours: f64,
    /// Lowest staffing: paid agent hours over the period
    /// (`staffed_hours_min`).
    pub staffed_hours_min: Option<f64>,
    /// Lowest ROI of the campaigns together (`roi_min`).
    pub roi_min: Option<f64>,
    /// Lowest quality evaluation score (`quality_min`; not in the log).
    pub quality_min: Option<Rate>,
    /// Highest agent attrition (`attrition_max`; not in the log).
    pub attrition_max: Option<Rate>,
    /// Reporting obligations (`reporting`; not in the log).
    pub reporting: Option<String>,
    /// Any other terms, as text (`other`; not in the log).
    pub other: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    time_zone: Option<Spanned<String>>,
    currency: Option<String>,
    #[serde(default)]
    fcr: RawFcr,
    #[serde(default)]
    csat: RawCsat,
    #[serde(default)]
    cost: RawCost,
    #[serde(default)]
    strategy: RawStrategy,
    #[serde(default)]
    value: RawValue,
    #[serde(default)]
    reasons: BTreeMap<String, RawReason>,
    #[serde(default)]
    outcomes: BTreeMap<String, RawOutcome>,
    #[serde(default)]
    campaigns: BTreeMap<String, RawCampaign>,
    #[serde(default)]
    departments: BTreeMap<String, String>,
    contract: Option<RawContract>,
    #[serde(default)]
    targets: RawTargets,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    success_rate_week: Option<f64>,
    success_rate_month: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFcr {
    window_days: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCsat {
    satisfied_min: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCost {
    agent_hour: Option<f64>,
    telecom_minute: Option<f64>,
    overhead_per_day: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStrategy {
    min_reach: Option<f64>,
    min_customer_share: Option<f64>,
    min_volume_share: Option<f64>,
    max_repeat_rate: Option<f64>,
    min_channel_success: Option<f64>,
    max_self_service_importance: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawValue {
    site_visit_cost: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReason {
    topic: Option<String>,
    category: Option<String>,
    proactive_reach: Option<f64>,
    importance: Option<i64>,
    self_service_success: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutcome {
    revenue: Option<f64>,
    #[serde(default)]
    success: bool,
    #[serde(default)]
    lead: bool,
    resolution: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCampaign {
    name: Option<String>,
    dnis: Vec<String>,
    cost: Option<f64>,
    contacted: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSl {
    definition: Option<String>,
    threshold_secs: Option<i64>,
    target: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContract {
    name: Option<String>,
    #[serde(default)]
    queues: Vec<i64>,
    short_abandon_secs: Option<i64>,
    service_level: Option<RawSl>,
    abandon_rate_max: Option<f64>,
    asa_max_secs: Option<f64>,
    fcr_min: Option<f64>,
    csat_min: Option<f64>,
    aht_max_secs: Option<f64>,
    outcome_coded_min: Option<f64>,
    success_rate_min: Option<f64>,
    cost_per_call_max: Option<f64>,
    calls_per_fte_week_min: Option<f64>,
    fte_week_hours: Option<f64>,
    staffed_hours_min: Option<f64>,
    roi_min: Option<f64>,
    quality_min: Option<f64>,
    attrition_max: Option<f64>,
    reporting: Option<String>,
    #[serde(default)]
    other: Vec<String>,
}

/// Finds keys in the file, to give errors a line, and the key at a byte
/// offset, to name the key of a TOML type error.
struct Locator<'a> {
    text: &'a str,
    table: Option<Spanned<DeTable<'a>>>,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str) -> Self {
        Locator {
            text,
            table: DeTable::parse(text).ok(),
        }
    }

    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// The line of a dotted key, or 1 when it is not in the file (a
    /// default that was checked).
    fn line_of(&self, key: &str) -> usize {
        let Some(table) = &self.table else { return 1 };
        let mut span = table.span();
        let mut current = table.get_ref();
        for part in key.split('.') {
            let Some((k, v)) = current.iter().find(|(k, _)| k.get_ref().as_ref() == part) else {
                break;
            };
            span = k.span();
            match v.get_ref() {
                DeValue::Table(inner) => current = inner,
                _ => break,
            }
        }
        self.line(span.start)
    }

    /// The dotted path of the innermost key whose key or value covers
    /// `offset`.
    fn key_at(&self, offset: usize) -> String {
        let mut path = Vec::new();
        if let Some(table) = &self.table {
            find_key(table.get_ref(), offset, &mut path);
        }
        path.join(".")
    }

    fn error(&self, key: &str, problem: impl Into<String>) -> Error {
        Error::Settings {
            line: self.line_of(key),
            key: key.to_owned(),
            problem: problem.into(),
        }
    }

    /// A TOML syntax or type error, with the key it is about.
    fn toml_error(&self, error: &toml::de::Error) -> Error {
        let span = error.span().unwrap_or(0..0);
        let message = error.message().trim().to_owned();
        let mut key = self.key_at(span.start);
        // A missing key has no span of its own: serde names it.
        if let Some(missing) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            if !key.is_empty() {
                key.push('.');
            }
            key.push_str(missing);
        }
        Error::Settings {
            line: self.line(span.start),
            key,
            problem: message,
        }
    }
}

fn covers(span: &Range<usize>, offset: usize) -> bool {
    span.start <= offset && offset < span.end.max(span.start + 1)
}

fn find_key(table: &DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
    for (key, value) in table.iter() {
        let inside = match value.get_ref() {
            DeValue::Table(inner) => {
                path.push(key.get_ref().to_string());
                if find_key(inner, offset, path) {
                    return true;
                }
                path.pop();
                false
            }
            _ => false,
        };
        if !inside && (covers(&key.span(), offset) || covers(&value.span(), offset)) {
            path.push(key.get_ref().to_string());
            return true;
        }
    }
    false
}

impl ReportSettings {
    /// Reads a settings file.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let at = Locator::new(text);
        let raw: RawFile = toml::from_str(text).map_err(|e| at.toml_error(&e))?;
        let defaults = StrategyRules::default();
        let s = &raw.strategy;
        let strategy = StrategyRules {
            min_reach: share(&at, "strategy.min_reach", s.min_reach)?
                .map_or(defaults.min_reach, Rate::get),
            min_customer_share: share(&at, "strategy.min_customer_share", s.min_customer_share)?
                .map_or(defaults.min_customer_share, Rate::get),
            min_volume_share: share(&at, "strategy.min_volume_share", s.min_volume_share)?
                .map_or(defaults.min_volume_share, Rate::get),
            max_repeat_rate: share(&at, "strategy.max_repeat_rate", s.max_repeat_rate)?
                .map_or(defaults.max_repeat_rate, Rate::get),
            min_channel_success: share(&at, "strategy.min_channel_success", s.min_channel_success)?
                .map_or(defaults.min_channel_success, Rate::get),
            max_self_service_importance: importance(
                &at,
                "strategy.max_self_service_importance",
                s.max_self_service_importance,
            )?
            .unwrap_or(defaults.max_self_service_importance),
        };
        let window_days = match raw.fcr.window_days {
            None => FcrSettings::default().window_days,
            Some(days) => u32::try_from(days)
                .ok()
                .filter(|&d| (1..=366).contains(&d))
                .ok_or_else(|| at.error("fcr.window_days", "expected 1 to 366 days"))?,
        };
        let satisfied_min = match raw.csat.satisfied_min {
            None => CsatSettings::default().satisfied_min,
            Some(n) => u8::try_from(n)
                .ok()
                .and_then(|n| Score::new(n).ok())
                .ok_or_else(|| at.error("csat.satisfied_min", "expected a score from 1 to 5"))?,
        };
        Ok(ReportSettings {
            time_zone: match &raw.time_zone {
                None => TimeZone::UTC,
                Some(name) => time_zone(name.get_ref())
                    .ok_or_else(|| at.error("time_zone", time_zone_problem(name.get_ref())))?,
            },
            currency: raw.currency.clone().unwrap_or_default(),
            fcr: FcrSettings { window_days },
            csat: CsatSettings { satisfied_min },
            cost: CostModel {
                agent_hour: amount(&at, "cost.agent_hour", raw.cost.agent_hour)?.unwrap_or(0.0),
                telecom_minute: amount(&at, "cost.telecom_minute", raw.cost.telecom_minute)?
                    .unwrap_or(0.0),
                overhead_per_day: amount(&at, "cost.overhead_per_day", raw.cost.overhead_per_day)?
                    .unwrap_or(0.0),
            },
            strategy,
            value: ValueSettings {
                site_visit_cost: amount(&at, "value.site_visit_cost", raw.value.site_visit_cost)?
                    .map(Money::from_units),
            },
            reasons: reasons(&at, &raw.reasons)?,
            outcomes: outcomes(&at, &raw.outcomes)?,
            campaigns: campaigns(&at, &raw.campaigns)?,
            departments: raw.departments.clone(),
            contract: raw
                .contract
                .as_ref()
                .map(|c| contract(&at, c))
                .transpose()?,
            targets: Targets {
                success_rate_week: share(
                    &at,
                    "targets.success_rate_week",
                    raw.targets.success_rate_week,
                )?,
                success_rate_month: share(
                    &at,
                    "targets.success_rate_month",
                    raw.targets.success_rate_month,
                )?,
            },
        })
    }

    /// The success-rate target of the outcome report for `period`.
    pub fn outcome_target(&self, period: crate::outcome::Period) -> Option<Rate> {
        match period {
            crate::outcome::Period::Week => self.targets.success_rate_week,
            crate::outcome::Period::Month => self.targets.success_rate_month,
        }
    }

    /// The settings of `reason`, if the file has any.
    pub fn reason(&self, reason: Option<&Code>) -> Option<&ReasonSettings> {
        reason.and_then(|r| self.reasons.get(r))
    }

    /// The department of `queue`: `[departments]` by its id, else by its
    /// name in `names` (the log's [`crate::Fact::Named`] facts).
    pub fn department(&self, queue: QueueId, names: &BTreeMap<Entity, String>) -> Option<&String> {
        self.departments.get(&queue.0.to_string()).or_else(|| {
            names
                .get(&Entity::Queue(queue))
                .and_then(|name| self.departments.get(name))
        })
    }

    /// The settings of `outcome`, if the file has any.
    pub fn outcome(&self, outcome: Option<&Code>) -> Option<&OutcomeSettings> {
        outcome.and_then(|o| self.outcomes.get(o))
    }
}

/// "UTC", a fixed offset "+07:00" / "-05:30", or a zone name when this
/// build carries the time-zone database.
fn time_zone(text: &str) -> Option<TimeZone> {
    if text == "UTC" || text == "Z" {
        return Some(TimeZone::UTC);
    }
    if let Some(rest) = text.strip_prefix('+').or_else(|| text.strip_prefix('-')) {
        let sign = if text.starts_with('-') { -1 } else { 1 };
        let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
        let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
        if !(0..=25).contains(&h) || !(0..60).contains(&m) {
            return None;
        }
        return Offset::from_seconds(sign * (h * 3600 + m * 60))
            .ok()
            .map(TimeZone::fixed);
    }
    TimeZone::get(text).ok()
}

fn time_zone_problem(text: &str) -> String {
    format!(
        "unknown time zone {text:?}: expected \"UTC\", a fixed offset such as \"+07:00\", \
         or a zone name this build knows"
    )
}

fn amount(at: &Locator<'_>, key: &str, value: Option<f64>) -> Result<Option<f64>, Error> {
    match value {
        Some(v) if !(v.is_finite() && v >= 0.0) => {
            Err(at.error(key, format!("expected an amount of at least 0, got {v}")))
        }
        v => Ok(v),
    }
}

fn share(at: &Locator<'_>, key: &str, value: Option<f64>) -> Result<Option<Rate>, Error> {
    value
        .map(|v| {
            Rate::new(v)
                .map_err(|_| at.error(key, format!("expected a share from 0 to 1, got {v}")))
        })
        .transpose()
}

fn importance(at: &Locator<'_>, key: &str, value: Option<i64>) -> Result<Option<u8>, Error> {
    value
        .map(|v| {
            u8::try_from(v)
                .ok()
                .filter(|v| (1..=5).contains(v))
                .ok_or_else(|| at.error(key, format!("expected 1 to 5, got {v}")))
        })
        .transpose()
}

fn code(at: &Locator<'_>, key: &str, text: &str) -> Result<Code, Error> {
    Code::parse(text).map_err(|e| at.error(key, e.to_string()))
}

fn reasons(
    at: &Locator<'_>,
    raw: &BTreeMap<String, RawReason>,
) -> Result<BTreeMap<Code, ReasonSettings>, Error> {
    raw.iter()
        .map(|(name, r)| {
            let key = |field: &str| format!("reasons.{name}.{field}");
            let category = match &r.category {
                None => Category::Other,
                Some(text) => Category::NAMES
                    .iter()
                    .find(|(n, _)| n == text)
                    .map(|&(_, c)| c)
                    .ok_or_else(|| {
                        at.error(
                            &key("category"),
                            format!(
                                "unknown category {text:?}: expected complaint, praise, lead, \
                                 inquiry, request or other"
                            ),
                        )
                    })?,
            };
            Ok((
                code(at, &format!("reasons.{name}"), name)?,
                ReasonSettings {
                    topic: r.topic.clone(),
                    category,
                    proactive_reach: share(at, &key("proactive_reach"), r.proactive_reach)?,
                    importance: importance(at, &key("importance"), r.importance)?,
                    self_service_success: share(
                        at,
                        &key("self_service_success"),
                        r.self_service_success,
                    )?,
                },
            ))
        })
        .collect()
}

fn outcomes(
    at: &Locator<'_>,
    raw: &BTreeMap<String, RawOutcome>,
) -> Result<BTreeMap<Code, OutcomeSettings>, Error> {
    raw.iter()
        .map(|(name, o)| {
            let key = |field: &str| format!("outcomes.{name}.{field}");
            let resolution = match o.resolution.as_deref() {
                None => None,
                Some("remote") => Some(Resolution::Remote),
                Some("site_visit") => Some(Resolution::SiteVisit),
                Some(other) => {
                    return Err(at.error(
                        &key("resolution"),
                        format!("unknown resolution {other:?}: expected remote or site_visit"),
                    ));
                }
            };
            Ok((
                code(at, &format!("outcomes.{name}"), name)?,
                OutcomeSettings {
                    revenue: amount(at, &key("revenue"), o.revenue)?
                        .map_or(Money::default(), Money::from_units),
                    success: o.success,
                    lead: o.lead,
                    resolution,
                },
            ))
        })
        .collect()
}

fn campaigns(
    at: &Locator<'_>,
    raw: &BTreeMap<String, RawCampaign>,
) -> Result<Vec<Campaign>, Error> {
    let mut owner: BTreeMap<PhoneNumber, &str> = BTreeMap::new();
    raw.iter()
        .map(|(name, c)| {
            let key = |field: &str| format!("campaigns.{name}.{field}");
            if c.dnis.is_empty() {
                return Err(at.error(&key("dnis"), "list at least one advertised number"));
            }
            let dnis = c
                .dnis
                .iter()
                .map(|text| {
                    let number = PhoneNumber::parse(text)
                        .map_err(|e| at.error(&key("dnis"), e.to_string()))?;
                    if let Some(other) = owner.insert(number.clone(), name) {
                        return Err(at.error(
                            &key("dnis"),
                            format!("{text} is already campaign {other}'s number"),
                        ));
                    }
                    Ok(number)
                })
                .collect::<Result<_, _>>()?;
            let contacted = c
                .contacted
                .map(|n| {
                    u64::try_from(n)
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| at.error(&key("contacted"), "expected a positive count"))
                })
                .transpose()?;
            Ok(Campaign {
                key: code(at, &format!("campaigns.{name}"), name)?,
                name: c.name.clone().unwrap_or_else(|| name.clone()),
                dnis,
                cost: amount(at, &key("cost"), c.cost)?.map_or(Money::default(), Money::from_units),
                contacted,
            })
        })
        .collect()
}

fn whole_secs(
    at: &Locator<'_>,
    key: &str,
    value: Option<i64>,
    default: u64,
) -> Result<Span, Error> {
    match value {
        None => Ok(Span::from_secs(default)),
        Some(secs) => u64::try_from(secs)
            .ok()
            .filter(|&s| s <= 86_400)
            .map(Span::from_secs)
            .ok_or_else(|| at.error(key, format!("expected 0 to 86400 seconds, got {secs}"))),
    }
}

fn contract(at: &Locator<'_>, c: &RawContract) -> Result<Contract, Error> {
    let service_level = c
        .service_level
        .as_ref()
        .map(|sl| {
            let definition = match sl.definition.as_deref() {
                None | Some("offered") => SlDefinition::Offered,
                Some("answered") => SlDefinition::Answered,
                Some("abandon_neutral") => SlDefinition::AbandonNeutral,
                Some(other) => {
                    return Err(at.error(
                        "contract.service_level.definition",
                        format!(
                            "unknown definition {other:?}: expected answered, offered or \
                             abandon_neutral"
                        ),
                    ));
                }
            };
            Ok(SlTerm {
                definition,
                threshold: whole_secs(
                    at,
                    "contract.service_level.threshold_secs",
                    sl.threshold_secs,
                    20,
                )?,
                target: share(at, "contract.service_level.target", Some(sl.target))?
                    .expect("given"),
            })
        })
        .transpose()?;
    let queues = c
        .queues
        .iter()
        .map(|&q| {
            u32::try_from(q)
                .map(QueueId)
                .map_err(|_| at.error("contract.queues", format!("{q} is not a queue id")))
        })
        .collect::<Result<_, _>>()?;
    let positive = |key: &str, value: Option<f64>| amount(at, &format!("contract.{key}"), value);
    let rate = |key: &str, value: Option<f64>| share(at, &format!("contract.{key}"), value);
    let fte_week_hours = match positive("fte_week_hours", c.fte_week_hours)? {
        Some(0.0) => {
            return Err(at.error("contract.fte_week_hours", "expected more than 0 hours"));
        }
        h => h.unwrap_or(40.0),
    };
    Ok(Contract {
        name: c.name.clone().unwrap_or_default(),
        queues,
        short_abandon: whole_secs(at, "contract.short_abandon_secs", c.short_abandon_secs, 5)?,
        service_level,
        abandon_rate_max: rate("abandon_rate_max", c.abandon_rate_max)?,
        asa_max_secs: positive("asa_max_secs", c.asa_max_secs)?,
        fcr_min: rate("fcr_min", c.fcr_min)?,
        csat_min: rate("csat_min", c.csat_min)?,
        aht_max_secs: positive("aht_max_secs", c.aht_max_secs)?,
        outcome_coded_min: rate("outcome_coded_min", c.outcome_coded_min)?,
        success_rate_min: rate("success_rate_min", c.success_rate_min)?,
        cost_per_call_max: positive("cost_per_call_max", c.cost_per_call_max)?
            .map(Money::from_units),
        calls_per_fte_week_min: positive("calls_per_fte_week_min", c.calls_per_fte_week_min)?,
        fte_week_hours,
        staffed_hours_min: positive("staffed_hours_min", c.staffed_hours_min)?,
        roi_min: positive("roi_min", c.roi_min)?,
        quality_min: rate("quality_min", c.quality_min)?,
        attrition_max: rate("attrition_max", c.attrition_max)?,
        reporting: c.reporting.clone(),
        other: c.other.clone(),
    })
}
