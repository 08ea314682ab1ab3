//! Users, passwords and bearer tokens.
//!
//! Key types: [`Auth`] (the user table and the live tokens), [`Role`],
//! [`NewUser`], [`UserChange`], [`Session`] (who a token speaks for) and
//! [`AuthSettings`].
//!
//! Users are durable: creating, changing or retiring one is an
//! administration change logged through the [`Core`] (who did it, when,
//! and the new hash), and [`Auth::new`] loads them from the core's
//! directory, which the log rebuilt. Tokens live in memory only: a restart
//! asks everyone to log in again.
//!
//! Passwords are kept only as argon2id hashes (PHC strings). Tokens are 32
//! random bytes from the operating system, valid for
//! [`AuthSettings::token_ttl`]. Wrong passwords are counted per user name:
//! after [`AuthSettings::max_failures`] within
//! [`AuthSettings::failure_window`], further attempts are refused before
//! any hashing, so a guesser can neither try many passwords nor burn CPU.
//! An unknown user name costs the same hashing as a wrong password, so
//! timing does not tell which names exist. Hashing is slow on purpose:
//! call [`Auth::login`] off the async runtime (`spawn_blocking`); the
//! async user changes do so themselves.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use acd::model::{AgentId, Span, Time};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

use kpi::{AdminChange, Retired, UserRecord};

use crate::actor::Core;
use crate::clock::Clock;
use crate::error::Error;

pub use kpi::Role;

/// The name of the administrator created at first start.
pub const FIRST_ADMIN: &str = "admin";

/// Shortest password accepted for a new user.
const MIN_PASSWORD_LEN: usize = 8;

/// A user to create.
#[derive(Debug, Clone, Deserialize)]
pub struct NewUser {
    /// Login name.
    pub name: String,
    /// Password in clear; only its hash is kept.
    pub password: String,
    /// Role.
    pub role: Role,
    /// The agent it is; required for [`Role::Agent`], refused otherwise.
    #[serde(default)]
    pub agent: Option<AgentId>,
}

/// A change to a user; what is left out stays.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// A new password.
    #[serde(default)]
    pub password: Option<String>,
    /// A new role (with `agent` when it becomes an agent user).
    #[serde(default)]
    pub role: Option<Role>,
    /// The agent it is; `null` (or absent) keeps the current one unless
    /// the role changes away from agent.
    #[serde(default)]
    pub agent: Option<AgentId>,
}

/// A user as listed (never with its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserView {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The agent, for agent users.
    pub agent: Option<AgentId>,
}

/// Who a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// Login name.
    pub user: String,
    /// Role.
    pub role: Role,
    /// The agent, for agent users.
    pub agent: Option<AgentId>,
    /// When the token stops working.
    pub expires: Time,
}

/// A token handed out at login.
#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    /// The bearer token.
    pub token: String,
    /// Whom it speaks for, until when.
    #[serde(flatten)]
    pub session: Session,
}

/// Costs and limits.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Argon2id cost parameters for new hashes (checking uses the
    /// parameters stored in each hash).
    pub argon2: Params,
    /// How long a token lives.
    pub token_ttl: Span,
    /// Wrong passwords allowed per user within `failure_window`.
    pub max_failures: usize,
    /// The window over which wrong passwords are counted.
    pub failure_window: Span,
}

impl Default for AuthSettings {
    /// argon2's recommended costs, 8-hour tokens (a shift), 5 wrong
    /// passwords a minute.
    fn default() -> Self {
        AuthSettings {
            argon2: Params::default(),
            token_ttl: Span::from_secs(8 * 3600),
            max_failures: 5,
            failure_window: Span::from_secs(60),
        }
    }
}

struct User {
    record: UserRecord,
    /// Times of recent wrong passwords, oldest first.
    failures: VecDeque<Time>,
}

impl User {
    fn new(record: UserRecord) -> Self {
        User {
            record,
            failures: VecDeque::new(),
        }
    }
}

/// The user table and live tokens.
pub struct Auth {
    settings: AuthSettings,
    clock: Arc<dyn Clock>,
    core: Core,
    users: Mutex<HashMap<String, User>>,
    tokens: Mutex<HashMap<String, Session>>,
    /// A hash of a random password, checked for unknown user names so
    /// they take as long as wrong passwords.
    decoy: String,
}

impl Auth {
    /// The users the core's directory holds (rebuilt from the log), no
    /// token yet. User changes are logged through `core`.
    pub fn new(settings: AuthSettings, clock: Arc<dyn Clock>, core: Core) -> Result<Self, Error> {
        let users = core
            .directory()
            .users
            .values()
            .map(|record| (record.name.clone(), User::new(record.clone())))
            .collect();
        let mut auth = Auth {
            settings,
            clock,
            core,
            users: Mutex::new(users),
            tokens: Mutex::new(HashMap::new()),
            decoy: String::new(),
        };
        auth.decoy = auth.hash(&random_hex(16)?)?;
        Ok(auth)
    }

    /// At first start (no user yet), creates [`FIRST_ADMIN`] with a random
    /// password and returns it, to be shown once. With `reset` (for an
    /// administrator who lost it), gives [`FIRST_ADMIN`] a new random
    /// password, making it an administrator again or creating it. Otherwise
    /// `None`: there is no default password anywhere.
    pub async fn bootstrap_admin(self: &Arc<Self>, reset: bool) -> Result<Option<String>, Error> {
        let (empty, exists) = {
            let users = lock(&self.users);
            (users.is_empty(), users.contains_key(FIRST_ADMIN))
        };
        if !empty && !reset {
            return Ok(None);
        }
        let password = random_hex(16)?;
        if exists {
            let change = UserChange {
                password: Some(password.clone()),
                role: Some(Role::Admin),
                agent: None,
            };
            self.change_user(SYSTEM, FIRST_ADMIN, change).await?;
        } else {
            let admin = NewUser {
                name: FIRST_ADMIN.to_owned(),
                password: password.clone(),
                role: Role::Admin,
                agent: None,
            };
            self.create_user(SYSTEM, admin).await?;
        }
        Ok(Some(password))
    }

    /// Adds a user on behalf of `by`. Agents must name their agent id;
    /// others must not.
    pub async fn create_user(self: &Arc<Self>, by: &str, user: NewUser) -> Result<(), Error> {
        check_name(&user.name)?;
        check_password(&user.password)?;
        if lock(&self.users).contains_key(&user.name) {
            return Err(Error::DuplicateUser(user.name));
        }
        let hash = self.hash_off_runtime(user.password).await?;
        let record = UserRecord {
            name: user.name,
            role: user.role,
            agent: user.agent,
            hash,
        };
        // Checked again: another request may have created it while hashing.
        if lock(&self.users).contains_key(&record.name) {
            return Err(Error::DuplicateUser(record.name));
        }
        self.core
            .admin(by, AdminChange::User(record.clone()))
            .await?;
        lock(&self.users).insert(record.name.clone(), User::new(record));
        Ok(())
    }

    /// Changes a user's password, role or agent on behalf of `by`; its
    /// tokens stop working, so it logs in again with what changed.
    pub async fn change_user(
        self: &Arc<Self>,
        by: &str,
        name: &str,
        change: UserChange,
    ) -> Result<UserView, Error> {
        let mut record = self.record(name)?;
        if let Some(role) = change.role {
            if role != Role::Agent {
                record.agent = None;
            }
            record.role = role;
        }
        if change.agent.is_some() {
            record.agent = change.agent;
        }
        if record.role != Role::Admin {
            self.keep_an_admin(name)?;
        }
        if let Some(password) = change.password {
            check_password(&password)?;
            record.hash = self.hash_off_runtime(password).await?;
        }
        self.core
            .admin(by, AdminChange::User(record.clone()))
            .await?;
        let view = view(&record);
        lock(&self.users).insert(record.name.clone(), User::new(record));
        self.forget_tokens(name);
        Ok(view)
    }

    /// Retires a user on behalf of `by`: it can no longer log in and its
    /// tokens stop working. The last administrator cannot be retired.
    pub async fn retire_user(self: &Arc<Self>, by: &str, name: &str) -> Result<(), Error> {
        self.record(name)?;
        self.keep_an_admin(name)?;
        self.core
            .admin(by, AdminChange::Retired(Retired::User(name.to_owned())))
            .await?;
        lock(&self.users).remove(name);
        self.forget_tokens(name);
        Ok(())
    }

    /// Every user, by name.
    pub fn users(&self) -> Vec<UserView> {
        let mut users: Vec<UserView> = lock(&self.users)
            .values()
            .map(|u| view(&u.record))
            .collect();
        users.sort_by(|a, b| a.name.cmp(&b.name));
        users
    }

    fn record(&self, name: &str) -> Result<UserRecord, Error> {
        lock(&self.users)
            .get(name)
            .map(|u| u.record.clone())
            .ok_or_else(|| Error::UnknownUser(name.to_owned()))
    }

    /// Refuses to leave the center without an administrator when `name`
    /// stops being one.
    fn keep_an_admin(&self, name: &str) -> Result<(), Error> {
        let others = lock(&self.users)
            .values()
            .filter(|u| u.record.role == Role::Admin && u.record.name != name)
            .count();
        if others == 0 && self.record(name)?.role == Role::Admin {
            return Err(Error::InvalidUser(format!(
                "{name} is the last administrator; make another one first"
            )));
        }
        Ok(())
    }

    fn forget_tokens(&self, name: &str) {
        lock(&self.tokens).retain(|_, session| session.user != name);
    }

    async fn hash_off_runtime(self: &Arc<Self>, password: String) -> Result<String, Error> {
        let auth = Arc::clone(self);
        tokio::task::spawn_blocking(move || auth.hash(&password))
            .await
            .map_err(|e| Error::Hash(e.to_string()))?
    }

    fn hash(&self, password: &str) -> Result<String, Error> {
        Ok(self
            .hasher()
            .hash_password(password.as_bytes())
            .map_err(|e| Error::Hash(e.to_string()))?
            .to_string())
    }

    /// Checks the password and issues a token. Unknown users and wrong
    /// passwords get the same error.
    pub fn login(&self, name: &str, password: &str) -> Result<Issued, Error> {
        let now = self.clock.now();
        let (hash, role, agent) = {
            let mut users = lock(&self.users);
            let Some(user) = users.get_mut(name) else {
                drop(users);
                // As slow as a wrong password, and as unsuccessful.
                if let Ok(decoy) = PasswordHash::new(&self.decoy) {
                    let _ = self.hasher().verify_password(password.as_bytes(), &decoy);
                }
                return Err(Error::BadCredentials);
            };
            let window = self.settings.failure_window;
            while user
                .failures
                .front()
                .is_some_and(|&t| now.since(t) >= window)
            {
                user.failures.pop_front();
            }
            if user.failures.len() >= self.settings.max_failures {
                let oldest = user.failures.front().copied().unwrap_or(now);
                let left = window - now.since(oldest);
                return Err(Error::RateLimited {
                    user: name.to_owned(),
                    retry_after_secs: left.as_millis().div_ceil(1000),
                });
            }
            (
                user.record.hash.clone(),
                user.record.role,
                user.record.agent,
            )
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| Error::Hash(e.to_string()))?;
        if self
            .hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
        {
            if let Some(user) = lock(&self.users).get_mut(name) {
                user.failures.push_back(now);
            }
            return Err(Error::BadCredentials);
        }
        let session = Session {
            user: name.to_owned(),
            role,
            agent,
            expires: Time::from_millis(now.as_millis() + self.settings.token_ttl.as_millis()),
        };
        let token = random_hex(32)?;
        let mut tokens = lock(&self.tokens);
        // Forget expired tokens here, where tokens are added, so the table
        // does not grow with every shift.
        tokens.retain(|_, s| s.expires > now);
        tokens.insert(token.clone(), session.clone());
        Ok(Issued { token, session })
    }

    /// Whom `token` speaks for, if it is live.
    pub fn session(&self, token: &str) -> Option<Session> {
        let now = self.clock.now();
        let mut tokens = lock(&self.tokens);
        match tokens.get(token) {
            Some(session) if session.expires > now => Some(session.clone()),
            Some(_) => {
                tokens.remove(token);
                None
            }
            None => None,
        }
    }

    fn hasher(&self) -> Argon2<'static> {
        Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            self.settings.argon2.clone(),
        )
    }
}

/// Who the server itself is in the audit log.
pub const SYSTEM: &str = "system";

fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
        return Err(Error::InvalidUser(
            "the name must have 1 to 64 printable characters".into(),
        ));
    }
    Ok(())
}

fn check_password(password: &str) -> Result<(), Error> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::InvalidUser(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

fn view(record: &UserRecord) -> UserView {
    UserView {
        name: record.name.clone(),
        role: record.role,
        agent: record.agent,
    }
}

/// Locks a table; a panic in another request cannot leave a table half
/// changed (every change is one insert or remove), so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn random_hex(bytes: usize) -> Result<String, Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(Error::Random)?;
    let mut text = String::with_capacity(bytes * 2);
    for b in buf {
        let _ = write!(text, "{b:02x}");
    }
    Ok(text)
}
