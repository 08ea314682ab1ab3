//! The administration API: live configuration changes, customers, the
//! audit log, and the agent's screen pop.
//!
//! Key items: [`routes`] (merged into [`router`](crate::http::router)),
//! [`ScreenPop`] and [`AuditEntry`]. Every change goes through
//! [`Core::admin`](crate::Core::admin): checked, applied live (routing
//! changes by the engine), and logged with the user who made it before
//! the reply. Queues and agents take the same JSON as the configuration
//! file's `[[routing.queues]]` and `[[routing.agents]]` tables, the id
//! coming from the path. `DELETE` retires: history stays, and putting the
//! thing again brings it back.
//!
//! | method | path | roles | body → answer |
//! |---|---|---|---|
//! | GET | `/api/config` | admin, supervisor, analyst | → routing configuration, tiers, lines, hours, retired |
//! | PUT / DELETE | `/api/skills/{skill}` | admin | `{name}` |
//! | PUT / DELETE | `/api/queues/{queue}` | admin | a queue table |
//! | PUT | `/api/queues/{queue}/hours` | admin | `[{day, open, close}]` (`[]`: closed) |
//! | DELETE | `/api/queues/{queue}/hours` | admin | → always open |
//! | PUT / DELETE | `/api/agents/{agent}` | admin | an agent table |
//! | PUT | `/api/agents/{agent}/skills` | admin, supervisor | `{skills: [[skill, level]]}` |
//! | PUT / DELETE | `/api/reason-codes/{code}` | admin | — |
//! | PUT / DELETE | `/api/outcome-codes/{code}` | admin | `{success}` |
//! | PUT | `/api/tiers/{tier}` | admin | `{priority}` |
//! | PUT | `/api/lines/{dnis}` | admin | `{name}` |
//! | GET | `/api/customers/{id}` | admin, supervisor | → the customer and its recent contacts |
//! | PUT / DELETE | `/api/customers/{id}` | admin | `{name, phones?, tier?}` |
//! | GET | `/api/audit` | admin, analyst | `?limit=` → newest changes first |
//! | GET | `/api/contacts/{contact}` | staff; an agent for a contact it holds or held | → [`ScreenPop`] |

use std::collections::BTreeMap;

use acd::ConfigChange;
use acd::config::{AgentConfig, OutcomeConfig, QueueConfig, SkillConfig};
use acd::model::{
    AgentId, Code, ContactId, PhoneNumber, Priority, Proficiency, QueueId, SkillId, Span, Time,
};
use acd::query::ContactStatus;
use acd::record::{ContactRecord, ContactResult};
use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use kpi::{Admin, AdminChange, Customer, CustomerRecord, Retired, Role, WeeklyHours};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::actor::CUSTOMER_ATTRIBUTE;
use crate::error::Error;
use crate::http::{
    AdminOnly, Allowed, ApiError, AppState, Auditors, Body, Caller, Desk, Param, QueryParams,
    Readers, Staff, ok,
};

/// Contacts the screen pop lists from the caller's history.
const HISTORY: usize = 5;

/// A repeat contact is one within this many days of the caller's previous
/// one (KPI.md's FCR window).
const REPEAT_DAYS: u64 = 7;

/// Most audit entries one request returns.
const MAX_AUDIT: usize = 1000;

/// The administration routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/config", get(config))
        .route("/api/skills/{skill}", put(put_skill).delete(retire_skill))
        .route("/api/queues/{queue}", put(put_queue).delete(retire_queue))
        .route(
            "/api/queues/{queue}/hours",
            put(put_hours).delete(always_open),
        )
        .route("/api/agents/{agent}", put(put_agent).delete(retire_agent))
        .route("/api/agents/{agent}/skills", put(put_agent_skills))
        .route(
            "/api/reason-codes/{code}",
            put(put_reason).delete(retire_reason),
        )
        .route(
            "/api/outcome-codes/{code}",
            put(put_outcome).delete(retire_outcome),
        )
        .route("/api/tiers/{tier}", put(put_tier))
        .route("/api/lines/{dnis}", put(put_line))
        .route(
            "/api/customers/{id}",
            get(customer).put(put_customer).delete(retire_customer),
        )
        .route("/api/audit", get(audit))
        .route("/api/contacts/{contact}", get(screen_pop))
}

/// Logs `change` as the caller and answers `{ok}`. The handler's
/// [`Allowed`] extractor checked the caller's role before the body was read.
async fn change(
    state: &AppState,
    caller: &Caller,
    change: AdminChange,
) -> Result<Json<Value>, ApiError> {
    state.core.admin(&caller.0.user, change).await?;
    Ok(ok())
}

async fn retire(state: &AppState, caller: &Caller, what: Retired) -> Result<Json<Value>, ApiError> {
    change(state, caller, AdminChange::Retired(what)).await
}

/// A table of the configuration file with its id from the path.
fn with_id<T: serde::de::DeserializeOwned>(mut body: Value, id: Value) -> Result<T, ApiError> {
    let Value::Object(fields) = &mut body else {
        return Err(invalid("the body must be a JSON object".into()));
    };
    if let Some(given) = fields.get("id")
        && *given != id
    {
        return Err(invalid(format!(
            "the body's id {given} is not the path's {id}"
        )));
    }
    fields.insert("id".into(), id);
    serde_json::from_value(body).map_err(|e| invalid(e.to_string()))
}

fn invalid(detail: String) -> ApiError {
    ApiError::from(Error::Refused(crate::directory::Refusal::Invalid(detail)))
}

// ----- configuration ---------------------------------------------------------

async fn config(
    State(state): State<AppState>,
    _: Allowed<Readers>,
) -> Result<Json<Value>, ApiError> {
    let directory = state.core.directory();
    let hours: BTreeMap<String, &WeeklyHours> = directory
        .hours
        .iter()
        .map(|(queue, hours)| (queue.0.to_string(), hours))
        .collect();
    Ok(Json(json!({
        "routing": directory.config,
        "tiers": directory.tiers,
        "lines": directory.lines,
        "hours": hours,
        "retired": directory.retired,
        "customers": directory.customers.len(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

async fn put_skill(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(id): Param<SkillId>,
    Body(NameBody { name }): Body<NameBody>,
) -> Result<Json<Value>, ApiError> {
    let skill = SkillConfig { id, name };
    change(
        &state,
        &caller,
        AdminChange::Routing(ConfigChange::UpsertSkill(skill)),
    )
    .await
}

async fn retire_skill(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(id): Param<SkillId>,
) -> Result<Json<Value>, ApiError> {
    retire(&state, &caller, Retired::Skill(id)).await
}

async fn put_queue(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(id): Param<QueueId>,
    Body(body): Body<Value>,
) -> Result<Json<Value>, ApiError> {
    let queue: QueueConfig = with_id(body, json!(id))?;
    change(
        &state,
        &caller,
        AdminChange::Routing(ConfigChange::UpsertQueue(queue)),
    )
    .await
}

async fn retire_queue(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(id): Param<QueueId>,
) -> Result<Json<Value>, ApiError> {
    retire(&state, &caller, Retired::Queue(id)).await
}

async fn put_hours(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(queue): Param<QueueId>,
    Body(hours): Body<WeeklyHours>,
) -> Result<Json<Value>, ApiError> {
    change(&state, &caller, AdminChange::Hours { queue, hours }).await
}

/// Removes a queue's hours: always open. Logged as hours covering every
/// day, so the log keeps one kind of hours change.
async fn always_open(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(queue): Param<QueueId>,
) -> Result<Json<Value>, ApiError> {
    use jiff::civil::{Time as ClockTime, Weekday};
    let days = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];
    let periods = days
        .into_iter()
        .map(|day| kpi::admin::OpenPeriod {
            day,
            open: ClockTime::MIN,
            close: ClockTime::MAX,
        })
        .collect();
    let hours = WeeklyHours::new(periods).map_err(|e| invalid(e.to_string()))?;
    change(&state, &caller, AdminChange::Hours { queue, hours }).await
}

async fn put_agent(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(id): Param<AgentId>,
    Body(body): Body<Value>,
) -> Result<Json<Value>, ApiError> {
    let agent: AgentConfig = with_id(body, json!(id))?;
    change(
        &state,
        &caller,
        AdminChange::Routing(ConfigChange::UpsertAgent(agent)),
    )
    .await
}

async fn retire_agent(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(id): Param<AgentId>,
) -> Result<Json<Value>, ApiError> {
    retire(&state, &caller, Retired::Agent(id)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SkillsBody {
    skills: Vec<(SkillId, Proficiency)>,
}

/// Supervisors may change skills too: it is how they move agents between
/// queues during the day.
async fn put_agent_skills(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<Staff>,
    Param(agent): Param<AgentId>,
    Body(SkillsBody { skills }): Body<SkillsBody>,
) -> Result<Json<Value>, ApiError> {
    let set = ConfigChange::SetAgentSkills { agent, skills };
    change(&state, &caller, AdminChange::Routing(set)).await
}

async fn put_reason(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(code): Param<Code>,
) -> Result<Json<Value>, ApiError> {
    change(
        &state,
        &caller,
        AdminChange::Routing(ConfigChange::AddReasonCode(code)),
    )
    .await
}

async fn retire_reason(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(code): Param<Code>,
) -> Result<Json<Value>, ApiError> {
    retire(&state, &caller, Retired::Reason(code)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomeBody {
    success: bool,
}

async fn put_outcome(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(code): Param<Code>,
    Body(OutcomeBody { success }): Body<OutcomeBody>,
) -> Result<Json<Value>, ApiError> {
    let outcome = OutcomeConfig { code, success };
    change(
        &state,
        &caller,
        AdminChange::Routing(ConfigChange::UpsertOutcome(outcome)),
    )
    .await
}

async fn retire_outcome(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(code): Param<Code>,
) -> Result<Json<Value>, ApiError> {
    retire(&state, &caller, Retired::Outcome(code)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierBody {
    priority: u8,
}

async fn put_tier(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(tier): Param<Code>,
    Body(TierBody { priority }): Body<TierBody>,
) -> Result<Json<Value>, ApiError> {
    let tier = AdminChange::Tier {
        tier,
        priority: Priority(priority),
    };
    change(&state, &caller, tier).await
}

async fn put_line(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(dnis): Param<PhoneNumber>,
    Body(NameBody { name }): Body<NameBody>,
) -> Result<Json<Value>, ApiError> {
    change(&state, &caller, AdminChange::Line { dnis, name }).await
}

// ----- customers -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerBody {
    name: String,
    #[serde(default)]
    phones: Vec<PhoneNumber>,
    #[serde(default)]
    tier: Option<Code>,
}

async fn put_customer(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(id): Param<Code>,
    Body(body): Body<CustomerBody>,
) -> Result<Json<Value>, ApiError> {
    let customer = CustomerRecord {
        id,
        name: body.name,
        phones: body.phones,
        tier: body.tier,
    };
    change(&state, &caller, AdminChange::Customer(customer)).await
}

async fn retire_customer(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(id): Param<Code>,
) -> Result<Json<Value>, ApiError> {
    retire(&state, &caller, Retired::Customer(id)).await
}

/// A customer as the screen pop and `GET /api/customers/{id}` show it.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    /// Id.
    pub id: Code,
    /// Name.
    pub name: String,
    /// Value tier.
    pub tier: Option<Code>,
    /// The priority the tier gives.
    pub tier_priority: Option<Priority>,
    /// Numbers.
    pub phones: Vec<PhoneNumber>,
}

async fn customer(
    State(state): State<AppState>,
    _: Allowed<Staff>,
    Param(id): Param<Code>,
) -> Result<Json<Value>, ApiError> {
    let view = {
        let directory = state.core.directory();
        let record = directory
            .customers
            .get(&id)
            .ok_or_else(|| ApiError::not_found(format!("unknown customer {id}")))?;
        customer_view(record, &directory.tiers)
    };
    let recent = recent(&state, Customer::Id(id)).await?;
    Ok(Json(json!({ "customer": view, "recent": recent })))
}

fn customer_view(
    record: &CustomerRecord,
    tiers: &std::collections::HashMap<Code, Priority>,
) -> CustomerView {
    CustomerView {
        id: record.id.clone(),
        name: record.name.clone(),
        tier: record.tier.clone(),
        tier_priority: record.tier.as_ref().and_then(|t| tiers.get(t).copied()),
        phones: record.phones.clone(),
    }
}

/// A past contact on the screen pop.
#[derive(Debug, Clone, Serialize)]
pub struct PastContact {
    /// The contact.
    pub contact: ContactId,
    /// When it arrived.
    pub arrived: Time,
    /// How it ended.
    pub result: ContactResult,
    /// The queue of its last leg.
    pub queue: Option<QueueId>,
    /// The agent who handled it last.
    pub agent: Option<AgentId>,
    /// Call reason from wrap-up.
    pub reason: Option<Code>,
    /// Outcome code from wrap-up.
    pub outcome: Option<Code>,
    /// The agent's notes.
    pub notes: String,
}

fn past(record: &ContactRecord) -> PastContact {
    let last = record.legs.iter().rev().find(|leg| leg.agent.is_some());
    PastContact {
        contact: record.id,
        arrived: record.arrived,
        result: record.result,
        queue: record.legs.last().map(|leg| leg.queue),
        agent: last.and_then(|leg| leg.agent),
        reason: last.and_then(|leg| leg.reason.clone()),
        outcome: last.and_then(|leg| leg.outcome.clone()),
        notes: last.map(|leg| leg.notes.clone()).unwrap_or_default(),
    }
}

async fn recent(state: &AppState, who: Customer) -> Result<Vec<PastContact>, ApiError> {
    let records = state
        .core
        .query(move |store| store.recent_contacts(&who, HISTORY + 1))
        .await?
        .map_err(Error::from)?;
    Ok(records.iter().map(past).collect())
}

// ----- audit -----------------------------------------------------------------

/// One administration change as the audit log shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// When (milliseconds on the Unix epoch).
    pub at: Time,
    /// Who.
    pub by: String,
    /// What, in a sentence.
    pub summary: String,
    /// What, in full (password hashes left out).
    pub change: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    #[serde(default)]
    limit: Option<usize>,
}

async fn audit(
    State(state): State<AppState>,
    _: Allowed<Auditors>,
    QueryParams(query): QueryParams<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let limit = query.limit.unwrap_or(100).min(MAX_AUDIT);
    let changes = state
        .core
        .query(|store| store.admin_changes())
        .await?
        .map_err(Error::from)?;
    let entries = changes
        .into_iter()
        .rev()
        .take(limit)
        .map(|Admin { at, by, change }| {
            let summary = change.summary();
            let mut change = serde_json::to_value(&change).unwrap_or(Value::Null);
            if let Some(user) = change.get_mut("user").and_then(Value::as_object_mut) {
                user.remove("hash");
            }
            AuditEntry {
                at,
                by,
                summary,
                change,
            }
        })
        .collect();
    Ok(Json(entries))
}

// ----- screen pop ------------------------------------------------------------

/// What an agent's screen shows when a contact is offered: who is calling,
/// what they dialled and what it stands for, the customer record, their
/// recent contacts, and whether this one repeats a recent one (FCR).
#[derive(Debug, Clone, Serialize)]
pub struct ScreenPop {
    /// The contact now, if it is still in the ACD.
    pub live: Option<ContactStatus>,
    /// Its record, once it has finished.
    pub finished: Option<PastContact>,
    /// What the dialled number stands for (campaign, advertisement, line).
    pub line: Option<String>,
    /// The customer, recognised by the `customer` attribute or the number.
    pub customer: Option<CustomerView>,
    /// The caller's previous contacts, newest first.
    pub recent: Vec<PastContact>,
    /// The previous contact this one repeats: one within 7 days.
    pub repeat_of: Option<ContactId>,
}

async fn screen_pop(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<Desk>,
    Param(contact): Param<ContactId>,
) -> Result<Json<ScreenPop>, ApiError> {
    let live = state
        .core
        .read(move |engine, _| engine.contact_status(contact).ok())
        .await?;
    let finished = match &live {
        Some(_) => None,
        None => state
            .core
            .query(move |store| store.contact(contact))
            .await?
            .map_err(Error::from)?,
    };
    let (ani, dnis, attributes, arrived) = match (&live, &finished) {
        (Some(l), _) => (
            l.ani.clone(),
            l.dnis.clone(),
            l.attributes.clone(),
            l.arrived,
        ),
        (None, Some(r)) => (
            r.ani.clone(),
            r.dnis.clone(),
            r.attributes.clone(),
            r.arrived,
        ),
        (None, None) => return Err(ApiError::not_found(format!("unknown contact {contact}"))),
    };
    if caller.0.role == Role::Agent {
        let holder = match (&live, &finished) {
            (Some(l), _) => l.agent,
            (None, Some(r)) => r.legs.iter().rev().find_map(|leg| leg.agent),
            (None, None) => None,
        };
        if holder.is_none() || holder != caller.0.agent {
            return Err(ApiError::forbidden(format!(
                "user {} may see only its own contacts",
                caller.0.user
            )));
        }
    }
    let named = attributes
        .iter()
        .find(|(key, _)| key.as_str() == CUSTOMER_ATTRIBUTE)
        .map(|(_, value)| value.clone());
    let (line, customer) = {
        let directory = state.core.directory();
        let customer = directory
            .customer(named.as_ref(), ani.as_ref())
            .map(|c| customer_view(c, &directory.tiers));
        (directory.lines.get(&dnis).cloned(), customer)
    };
    let who = match (&named, &customer, &ani) {
        (Some(id), _, _) => Some(Customer::Id(id.clone())),
        (None, Some(c), _) => Some(Customer::Id(c.id.clone())),
        (None, None, Some(ani)) => Some(Customer::Ani(ani.clone())),
        (None, None, None) => None,
    };
    let mut recent = match who {
        Some(who) => recent(&state, who).await?,
        None => Vec::new(),
    };
    recent.retain(|past| past.contact != contact && past.arrived <= arrived);
    recent.truncate(HISTORY);
    let window = Span::from_secs(REPEAT_DAYS * 24 * 3600);
    let repeat_of = recent
        .iter()
        .find(|past| arrived.since(past.arrived) <= window)
        .map(|past| past.contact);
    Ok(Json(ScreenPop {
        finished: finished.as_ref().map(past),
        live,
        line,
        customer,
        recent,
        repeat_of,
    }))
}
