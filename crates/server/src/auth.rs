//! Users, passwords and bearer tokens.
//!
//! Key types: [`Auth`] (the user table and the live tokens, both in memory
//! for now: users are lost at restart until they move to the store),
//! [`Role`], [`NewUser`], [`Session`] (who a token speaks for) and
//! [`AuthSettings`].
//!
//! Passwords are kept only as argon2id hashes (PHC strings). Tokens are 32
//! random bytes from the operating system, valid for
//! [`AuthSettings::token_ttl`]. Wrong passwords are counted per user name:
//! after [`AuthSettings::max_failures`] within
//! [`AuthSettings::failure_window`], further attempts are refused before
//! any hashing, so a guesser can neither try many passwords nor burn CPU.
//! Hashing is slow on purpose: call [`Auth::login`] and
//! [`Auth::create_user`] off the async runtime (`spawn_blocking`).

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use acd::model::{AgentId, Span, Time};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::Error;

/// The name of the administrator created at first start.
pub const FIRST_ADMIN: &str = "admin";

/// Shortest password accepted for a new user.
const MIN_PASSWORD_LEN: usize = 8;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users.
    Admin,
    /// Live views, contacts, and any agent's state.
    Supervisor,
    /// Its own agent only.
    Agent,
    /// Reports (no live endpoint yet).
    Analyst,
}

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
    role: Role,
    agent: Option<AgentId>,
    hash: String,
    /// Times of recent wrong passwords, oldest first.
    failures: VecDeque<Time>,
}

/// The user table and live tokens.
pub struct Auth {
    settings: AuthSettings,
    clock: Arc<dyn Clock>,
    users: Mutex<HashMap<String, User>>,
    tokens: Mutex<HashMap<String, Session>>,
}

impl Auth {
    /// An empty user table.
    pub fn new(settings: AuthSettings, clock: Arc<dyn Clock>) -> Self {
        Auth {
            settings,
            clock,
            users: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// At first start (no user yet), creates [`FIRST_ADMIN`] with a random
    /// password and returns it, to be shown once; otherwise `None`.
    pub fn bootstrap_admin(&self) -> Result<Option<String>, Error> {
        if !lock(&self.users).is_empty() {
            return Ok(None);
        }
        let password = random_hex(16)?;
        self.create_user(NewUser {
            name: FIRST_ADMIN.to_owned(),
            password: password.clone(),
            role: Role::Admin,
            agent: None,
        })?;
        Ok(Some(password))
    }

    /// Adds a user. Agents must name their agent id; others must not.
    pub fn create_user(&self, user: NewUser) -> Result<(), Error> {
        if user.name.is_empty() || user.name.len() > 64 || user.name.chars().any(char::is_control) {
            return Err(Error::InvalidUser(
                "the name must have 1 to 64 printable characters".into(),
            ));
        }
        if user.password.chars().count() < MIN_PASSWORD_LEN {
            return Err(Error::InvalidUser(format!(
                "the password must have at least {MIN_PASSWORD_LEN} characters"
            )));
        }
        match (user.role, user.agent) {
            (Role::Agent, None) => {
                return Err(Error::InvalidUser("an agent user needs an agent id".into()));
            }
            (Role::Admin | Role::Supervisor | Role::Analyst, Some(_)) => {
                return Err(Error::InvalidUser(
                    "only agent users have an agent id".into(),
                ));
            }
            _ => {}
        }
        if lock(&self.users).contains_key(&user.name) {
            return Err(Error::DuplicateUser(user.name));
        }
        let hash = self
            .hasher()
            .hash_password(user.password.as_bytes())
            .map_err(|e| Error::Hash(e.to_string()))?
            .to_string();
        let mut users = lock(&self.users);
        // Checked again: another request may have created it while hashing.
        if users.contains_key(&user.name) {
            return Err(Error::DuplicateUser(user.name));
        }
        users.insert(
            user.name,
            User {
                role: user.role,
                agent: user.agent,
                hash,
                failures: VecDeque::new(),
            },
        );
        Ok(())
    }

    /// Checks the password and issues a token. Unknown users and wrong
    /// passwords get the same error.
    pub fn login(&self, name: &str, password: &str) -> Result<Issued, Error> {
        let now = self.clock.now();
        let (hash, role, agent) = {
            let mut users = lock(&self.users);
            let user = users.get_mut(name).ok_or(Error::BadCredentials)?;
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
            (user.hash.clone(), user.role, user.agent)
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
