//! The HTTP API: JSON in and out, a bearer token on every request but
//! login and the API's OpenAPI document, every endpoint checked per
//! [`Role`].
//!
//! Key items: [`router`] (the axum app), [`ApiError`] (every refusal, as
//! `{"error": CODE, "detail": TEXT}` with a 4xx status for bad input and
//! 5xx for the server's own failures) and [`BODY_LIMIT`].
//!
//! | method | path | roles | body → answer |
//! |---|---|---|---|
//! | POST | `/api/login` | anyone | `{user, password}` → `{token, user, role, agent, expires}` |
//! | GET | `/api/openapi.json` | anyone | → this API as an OpenAPI 3.1 document |
//! | POST | `/api/users` | admin | `{name, password, role, agent?}` → 201 `{name, role, agent}` |
//! | GET | `/api/users` | admin | → every user's `{name, role, agent}` |
//! | PUT / DELETE | `/api/users/{name}` | admin | PUT `{password?, role?, agent?}` → `{name, role, agent}` (its tokens end); DELETE → `{ok}` |
//! | POST | `/api/contacts` | admin, supervisor | `{queue, dnis, ani?, priority?, attributes?: {key: value}}` → 201 `{contact}` |
//! | POST | `/api/contacts/{contact}/hangup` | admin, supervisor | → `{ok}` |
//! | POST | `/api/contacts/{contact}/callback` | admin, supervisor | → `{ok}` |
//! | GET | `/api/contacts/{contact}/explain` | admin, supervisor | → why it still waits, with `text` |
//! | GET | `/api/queues` | admin, supervisor | → each queue's status |
//! | GET | `/api/agents` | admin, supervisor | → each agent's status with `time_in_state` |
//! | GET | `/api/agents/{agent}` | the agent, admin, supervisor | → its status |
//! | POST | `/api/agents/{agent}/login`, `/logout`, `/ready` | the agent, admin, supervisor | → `{ok}` |
//! | POST | `/api/agents/{agent}/not-ready` | same | `{reason}` → `{ok}` |
//! | POST | `/api/agents/{agent}/accept`, `/reject`, `/hold`, `/resume`, `/end` | same | `{contact}` → `{ok}` |
//! | POST | `/api/agents/{agent}/wrap-up` | same | `{contact, outcome?, reason?, notes?}` → `{ok}` |
//! | GET (WebSocket) | `/api/agents/{agent}/stream` | the agent, admin, supervisor | the agent's records as JSON text messages |
//! | GET (WebSocket) | `/api/stream` | admin, supervisor | every record |
//!
//! Statuses: 401 no or dead token, wrong password; 403 role or agent not
//! allowed; 404 unknown id or path; 409 the engine refused the transition
//! (its reason is the detail); 413 body over [`BODY_LIMIT`]; 415 not JSON;
//! 400/422 malformed or invalid JSON; 429 too many wrong passwords (with
//! `Retry-After`). Supervisors and admins may act for any agent (forcing
//! its state); an agent only for itself. An `{ok}` answer means the
//! records are in the store.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

use acd::model::{AgentId, Code, ContactId, PhoneNumber, Priority, QueueId, Span, Time};
use acd::query::WaitExplanation;
use acd::{AgentState, Event, WrapUp};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::actor::{Arrival, Core};
use crate::auth::{Auth, Issued, NewUser, Role, Session, UserChange, UserView};
use crate::directory::Refusal;
use crate::error::Error;
use crate::{admin, stream};

/// Largest request body accepted, in bytes: ample for any command, small
/// enough that a flood of large bodies cannot exhaust memory.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) core: Core,
    pub(crate) auth: Arc<Auth>,
    /// Hands each record to the sockets of the agent it is about.
    pub(crate) fanout: Arc<stream::Fanout>,
}

/// The API on `core`, authenticated by `auth`.
pub fn router(core: Core, auth: Arc<Auth>) -> Router {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/openapi.json", get(openapi))
        .route("/api/users", post(create_user).get(list_users))
        .route("/api/users/{name}", put(change_user).delete(retire_user))
        .route("/api/contacts", post(submit_contact))
        .route("/api/contacts/{contact}/hangup", post(hang_up))
        .route("/api/contacts/{contact}/callback", post(request_callback))
        .route("/api/contacts/{contact}/explain", get(explain))
        .route("/api/queues", get(queues))
        .route("/api/agents", get(agents))
        .route("/api/agents/{agent}", get(agent))
        .route("/api/agents/{agent}/login", post(agent_login))
        .route("/api/agents/{agent}/logout", post(agent_logout))
        .route("/api/agents/{agent}/ready", post(ready))
        .route("/api/agents/{agent}/not-ready", post(not_ready))
        .route("/api/agents/{agent}/accept", post(accept))
        .route("/api/agents/{agent}/reject", post(reject))
        .route("/api/agents/{agent}/hold", post(hold))
        .route("/api/agents/{agent}/resume", post(resume))
        .route("/api/agents/{agent}/end", post(end))
        .route("/api/agents/{agent}/wrap-up", post(wrap_up))
        .route("/api/agents/{agent}/stream", get(stream::agent))
        .route("/api/stream", get(stream::all))
        .merge(admin::routes())
        .fallback(unknown_path)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(AppState {
            core,
            auth,
            fanout: Arc::default(),
        })
}

// ----- errors ---------------------------------------------------------------

/// A refusal as the client sees it: a status and
/// `{"error": CODE, "detail": TEXT}`. `CODE` is one of `bad_request`,
/// `unauthorized`, `forbidden`, `not_found`, `method_not_allowed`,
/// `conflict`, `payload_too_large`, `unsupported_media_type`, `invalid`,
/// `too_many_requests`, `internal`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    detail: String,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, error: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
            detail: detail.into(),
            retry_after_secs: None,
        }
    }

    pub(crate) fn unauthorized(detail: &str) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub(crate) fn forbidden(detail: String) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub(crate) fn not_found(detail: String) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub(crate) fn bad_request(status: StatusCode, detail: String) -> Self {
        let error = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid",
            _ => "bad_request",
        };
        ApiError::new(status, error, detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": self.error, "detail": self.detail }));
        let mut response = (self.status, body).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        use StatusCode as S;
        let (status, code) = match &error {
            Error::Engine(refusal) => engine_status(refusal),
            Error::NotHeld { .. } | Error::DuplicateUser(_) => (S::CONFLICT, "conflict"),
            Error::Refused(Refusal::Unknown(_)) | Error::UnknownUser(_) => {
                (S::NOT_FOUND, "not_found")
            }
            Error::Refused(Refusal::Conflict(_)) => (S::CONFLICT, "conflict"),
            Error::Refused(Refusal::Invalid(_)) => (S::UNPROCESSABLE_ENTITY, "invalid"),
            Error::BadCredentials => (S::UNAUTHORIZED, "unauthorized"),
            Error::RateLimited { .. } => (S::TOO_MANY_REQUESTS, "too_many_requests"),
            Error::InvalidUser(_) => (S::UNPROCESSABLE_ENTITY, "invalid"),
            Error::Config(_)
            | Error::Replay { .. }
            | Error::Store(_)
            | Error::Stopped
            | Error::Spawn(_)
            | Error::Hash(_)
            | Error::Random(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
        };
        let mut api = ApiError::new(status, code, error.to_string());
        if let Error::RateLimited {
            retry_after_secs, ..
        } = error
        {
            api.retry_after_secs = Some(retry_after_secs);
        }
        api
    }
}

fn engine_status(refusal: &acd::Error) -> (StatusCode, &'static str) {
    use acd::Error as E;
    match refusal {
        E::UnknownAgent(_) | E::UnknownQueue(_) | E::UnknownContact(_) => {
            (StatusCode::NOT_FOUND, "not_found")
        }
        E::UnknownReason(_) | E::UnknownOutcome(_) | E::Config(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
        }
        E::AgentState { .. }
        | E::ContactState { .. }
        | E::NotAgentsContact { .. }
        | E::DuplicateContact(_)
        | E::ConcurrencyBelowLoad { .. } => (StatusCode::CONFLICT, "conflict"),
        // The core clamps the clock, so this is the server's own fault.
        E::TimeWentBackwards { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

async fn unknown_path() -> ApiError {
    ApiError::not_found("no such path".into())
}

async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not take this method",
    )
}

// ----- extractors -----------------------------------------------------------

/// The session of the request's bearer token; 401 without a live one.
pub(crate) struct Caller(pub(crate) Session);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = match parts.headers.get(header::AUTHORIZATION) {
            Some(value) => value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| ApiError::unauthorized("the Authorization header is not Bearer"))?,
            None => websocket_token(&parts.headers)
                .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer header"))?,
        };
        state
            .auth
            .session(token.trim())
            .map(Caller)
            .ok_or_else(|| ApiError::unauthorized("the token is unknown or has expired"))
    }
}

/// The WebSocket subprotocol that carries a token for browsers, which
/// cannot set headers on a WebSocket: `new WebSocket(url, ["bearer",
/// token])` sends `Sec-WebSocket-Protocol: bearer, TOKEN`, and the server
/// answers with `bearer`. Tokens stay out of URLs and access logs.
pub(crate) const TOKEN_PROTOCOL: &str = "bearer";

fn websocket_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let offered = headers.get(header::SEC_WEBSOCKET_PROTOCOL)?.to_str().ok()?;
    let mut items = offered.split(',').map(str::trim);
    (items.next()? == TOKEN_PROTOCOL).then(|| items.next())?
}

/// Which roles may call an endpoint. Checked by [`Allowed`] while the
/// request's parts are extracted, so a caller without the role gets 403
/// before its body is even read.
pub(crate) trait Policy {
    /// The roles allowed.
    const ROLES: &'static [Role];
}

/// Administrators only.
pub(crate) struct AdminOnly;
/// Administrators and supervisors.
pub(crate) struct Staff;
/// Those who read the configuration: staff and analysts.
pub(crate) struct Readers;
/// Those who read the audit log: administrators and analysts.
pub(crate) struct Auditors;
/// Those who open screen pops: staff and agents (an agent its own).
pub(crate) struct Desk;

impl Policy for AdminOnly {
    const ROLES: &'static [Role] = &[Role::Admin];
}
impl Policy for Staff {
    const ROLES: &'static [Role] = STAFF;
}
impl Policy for Readers {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Supervisor, Role::Analyst];
}
impl Policy for Auditors {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Analyst];
}
impl Policy for Desk {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Supervisor, Role::Agent];
}

/// A caller whose role `P` allows: 401 without a live token, 403 with a
/// role `P` does not list.
pub(crate) struct Allowed<P>(pub(crate) Caller, pub(crate) PhantomData<P>);

impl<P: Policy> FromRequestParts<AppState> for Allowed<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(P::ROLES)?;
        Ok(Allowed(caller, PhantomData))
    }
}

/// A caller acting for the agent of the path: itself, or any agent for
/// staff. Checked before the body is read.
pub(crate) struct ActingFor(pub(crate) AgentId);

impl FromRequestParts<AppState> for ActingFor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let Param(agent) = Param::<AgentId>::from_request_parts(parts, state).await?;
        caller.act_as(agent)?;
        Ok(ActingFor(agent))
    }
}

impl Caller {
    /// 403 unless the caller has one of `roles`.
    pub(crate) fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "user {} ({:?}) may not do this",
                self.0.user, self.0.role
            )))
        }
    }

    /// 403 unless the caller may act for `agent`: itself, or any agent for
    /// admins and supervisors.
    pub(crate) fn act_as(&self, agent: AgentId) -> Result<(), ApiError> {
        match self.0.role {
            Role::Admin | Role::Supervisor => Ok(()),
            Role::Agent if self.0.agent == Some(agent) => Ok(()),
            Role::Agent | Role::Analyst => Err(ApiError::forbidden(format!(
                "user {} may not act for {agent}",
                self.0.user
            ))),
        }
    }
}

/// A JSON body whose rejections are [`ApiError`]s.
pub(crate) struct Body<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    ApiError::bad_request(rejection.status(), rejection.body_text())
}

/// A query string whose rejections are [`ApiError`]s.
pub(crate) struct QueryParams<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(QueryParams(value)),
            Err(rejection) => Err(ApiError::bad_request(
                StatusCode::BAD_REQUEST,
                rejection.body_text(),
            )),
        }
    }
}

/// A path parameter whose rejections are [`ApiError`]s.
pub(crate) struct Param<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Param<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Param(value)),
            Err(rejection) => Err(ApiError::bad_request(
                StatusCode::BAD_REQUEST,
                rejection.body_text(),
            )),
        }
    }
}

pub(crate) const STAFF: &[Role] = &[Role::Admin, Role::Supervisor];

pub(crate) fn ok() -> Json<Value> {
    Json(json!({ "ok": true }))
}

/// Runs slow, blocking work (password hashing) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    let joined = tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(joined?)
}

// ----- documentation --------------------------------------------------------

/// The OpenAPI 3.1 document of every route, written and reviewed as text;
/// `tests/openapi.rs` checks it against the router and the endpoint tables.
const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

// ----- users ----------------------------------------------------------------

#[derive(Deserialize)]
struct LoginRequest {
    user: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    Body(request): Body<LoginRequest>,
) -> Result<Json<Issued>, ApiError> {
    let auth = Arc::clone(&state.auth);
    let issued = blocking(move || auth.login(&request.user, &request.password)).await?;
    Ok(Json(issued))
}

async fn create_user(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Body(user): Body<NewUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let answer = json!({ "name": user.name, "role": user.role, "agent": user.agent });
    state.auth.create_user(&caller.0.user, user).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

async fn list_users(
    State(state): State<AppState>,
    _: Allowed<AdminOnly>,
) -> Result<Json<Vec<UserView>>, ApiError> {
    Ok(Json(state.auth.users()))
}

async fn change_user(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(name): Param<String>,
    Body(change): Body<UserChange>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        state
            .auth
            .change_user(&caller.0.user, &name, change)
            .await?,
    ))
}

async fn retire_user(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<AdminOnly>,
    Param(name): Param<String>,
) -> Result<Json<Value>, ApiError> {
    state.auth.retire_user(&caller.0.user, &name).await?;
    Ok(ok())
}

pub(crate) fn known_agent(core: &Core, agent: AgentId) -> Result<(), ApiError> {
    if core.directory().has_agent(agent) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("unknown agent {agent}")))
    }
}

// ----- contacts -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactRequest {
    queue: QueueId,
    dnis: PhoneNumber,
    #[serde(default)]
    ani: Option<PhoneNumber>,
    #[serde(default)]
    priority: u8,
    #[serde(default)]
    attributes: BTreeMap<Code, Code>,
}

async fn submit_contact(
    State(state): State<AppState>,
    _: Allowed<Staff>,
    Body(request): Body<ContactRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (contact, _) = state
        .core
        .arrive(Arrival {
            ani: request.ani,
            dnis: request.dnis,
            queue: request.queue,
            priority: Priority(request.priority),
            attributes: request.attributes.into_iter().collect(),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "contact": contact }))))
}

async fn hang_up(
    State(state): State<AppState>,
    _: Allowed<Staff>,
    Param(contact): Param<ContactId>,
) -> Result<Json<Value>, ApiError> {
    state.core.apply(Event::CallerHungUp { contact }).await?;
    Ok(ok())
}

async fn request_callback(
    State(state): State<AppState>,
    _: Allowed<Staff>,
    Param(contact): Param<ContactId>,
) -> Result<Json<Value>, ApiError> {
    state
        .core
        .apply(Event::CallbackRequested { contact })
        .await?;
    Ok(ok())
}

#[derive(Serialize)]
struct ExplainView {
    #[serde(flatten)]
    explanation: WaitExplanation,
    text: String,
}

async fn explain(
    State(state): State<AppState>,
    _: Allowed<Staff>,
    Param(contact): Param<ContactId>,
) -> Result<Json<ExplainView>, ApiError> {
    let explanation = state
        .core
        .read(move |engine, _| engine.explain_wait(contact))
        .await?
        .map_err(Error::from)?;
    let text = explanation.to_string();
    Ok(Json(ExplainView { explanation, text }))
}

// ----- live views -----------------------------------------------------------

#[derive(Serialize)]
struct QueueView {
    queue: QueueId,
    name: String,
    waiting: usize,
    longest_wait: Option<Span>,
    agents: Vec<StateCount>,
    handle_time: Span,
}

#[derive(Serialize)]
struct StateCount {
    state: AgentState,
    agents: u32,
}

async fn queues(
    State(state): State<AppState>,
    _: Allowed<Staff>,
) -> Result<Json<Vec<QueueView>>, ApiError> {
    let names = state.core.queues().to_vec();
    let views = state
        .core
        .read(move |engine, _| {
            names
                .into_iter()
                .map(|(queue, name)| {
                    let status = engine.queue_status(queue)?;
                    Ok(QueueView {
                        queue,
                        name,
                        waiting: status.waiting,
                        longest_wait: status.longest_wait,
                        agents: status
                            .agents
                            .into_iter()
                            .map(|(state, agents)| StateCount { state, agents })
                            .collect(),
                        handle_time: status.handle_time,
                    })
                })
                .collect::<Result<Vec<_>, acd::Error>>()
        })
        .await?
        .map_err(Error::from)?;
    Ok(Json(views))
}

/// An agent now; times are milliseconds (`since` on the Unix epoch).
#[derive(Serialize)]
struct AgentView {
    agent: AgentId,
    name: String,
    state: AgentState,
    since: Time,
    /// `None` for an agent the engine has not seen since it started.
    time_in_state: Option<Span>,
    contacts: Vec<ContactId>,
    contacts_today: u32,
}

fn agent_view(
    engine: &acd::Engine,
    now: Time,
    agent: AgentId,
    name: String,
) -> Result<AgentView, acd::Error> {
    let status = engine.agent_status(agent)?;
    Ok(AgentView {
        agent,
        name,
        time_in_state: (status.since > Time::ZERO).then(|| now.since(status.since)),
        state: status.state,
        since: status.since,
        contacts: status.contacts,
        contacts_today: status.contacts_today,
    })
}

async fn agents(
    State(state): State<AppState>,
    _: Allowed<Staff>,
) -> Result<Json<Vec<AgentView>>, ApiError> {
    let names = state.core.agents().to_vec();
    let views = state
        .core
        .read(move |engine, now| {
            names
                .into_iter()
                .map(|(agent, name)| agent_view(engine, now, agent, name))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?
        .map_err(Error::from)?;
    Ok(Json(views))
}

async fn agent(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
) -> Result<Json<AgentView>, ApiError> {
    let name = state
        .core
        .agents()
        .into_iter()
        .find(|(id, _)| *id == agent)
        .map(|(_, name)| name)
        .ok_or_else(|| ApiError::not_found(format!("unknown agent {agent}")))?;
    let view = state
        .core
        .read(move |engine, now| agent_view(engine, now, agent, name))
        .await?
        .map_err(Error::from)?;
    Ok(Json(view))
}

// ----- agent actions --------------------------------------------------------

/// Applies an agent's event (its handler's [`ActingFor`] checked who may).
async fn act(state: &AppState, event: Event) -> Result<Json<Value>, ApiError> {
    state.core.apply(event).await?;
    Ok(ok())
}

/// Hold, resume and end name only the contact: check the agent holds it.
async fn act_on_held(
    state: &AppState,
    agent: AgentId,
    contact: ContactId,
    event: Event,
) -> Result<Json<Value>, ApiError> {
    state.core.apply_as_holder(agent, contact, event).await?;
    Ok(ok())
}

async fn agent_login(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
) -> Result<Json<Value>, ApiError> {
    act(&state, Event::AgentLoggedIn { agent }).await
}

async fn agent_logout(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
) -> Result<Json<Value>, ApiError> {
    act(&state, Event::AgentLoggedOut { agent }).await
}

async fn ready(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
) -> Result<Json<Value>, ApiError> {
    act(&state, Event::AgentReady { agent }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotReadyRequest {
    reason: Code,
}

async fn not_ready(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
    Body(request): Body<NotReadyRequest>,
) -> Result<Json<Value>, ApiError> {
    let event = Event::AgentNotReady {
        agent,
        reason: request.reason,
    };
    act(&state, event).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactRef {
    contact: ContactId,
}

async fn accept(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
    Body(ContactRef { contact }): Body<ContactRef>,
) -> Result<Json<Value>, ApiError> {
    act(&state, Event::OfferAccepted { contact, agent }).await
}

async fn reject(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
    Body(ContactRef { contact }): Body<ContactRef>,
) -> Result<Json<Value>, ApiError> {
    act(&state, Event::OfferRejected { contact, agent }).await
}

async fn hold(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
    Body(ContactRef { contact }): Body<ContactRef>,
) -> Result<Json<Value>, ApiError> {
    act_on_held(&state, agent, contact, Event::Held { contact }).await
}

async fn resume(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
    Body(ContactRef { contact }): Body<ContactRef>,
) -> Result<Json<Value>, ApiError> {
    act_on_held(&state, agent, contact, Event::Resumed { contact }).await
}

async fn end(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
    Body(ContactRef { contact }): Body<ContactRef>,
) -> Result<Json<Value>, ApiError> {
    act_on_held(&state, agent, contact, Event::ContactEnded { contact }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrapUpRequest {
    contact: ContactId,
    #[serde(default)]
    outcome: Option<Code>,
    #[serde(default)]
    reason: Option<Code>,
    #[serde(default)]
    notes: String,
}

async fn wrap_up(
    State(state): State<AppState>,
    ActingFor(agent): ActingFor,
    Body(request): Body<WrapUpRequest>,
) -> Result<Json<Value>, ApiError> {
    let event = Event::WrapUpDone {
        agent,
        contact: request.contact,
        wrap: WrapUp {
            outcome: request.outcome,
            reason: request.reason,
            notes: request.notes,
        },
    };
    act(&state, event).await
}
