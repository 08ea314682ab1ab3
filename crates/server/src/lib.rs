//! Switchboard's live server: the routing engine driven by the wall clock,
//! every record made durable before a client hears back, and the HTTP /
//! WebSocket API with users, roles and tokens.
//!
//! Modules: [`actor`] ([`Core`]: the engine thread, its store and the
//! record broadcast), [`clock`] ([`Clock`], [`SystemClock`],
//! [`ManualClock`]), [`auth`] ([`Auth`], [`Role`], tokens), [`http`] (the
//! axum [`router`] and [`ApiError`]; the endpoint table is there), private
//! `stream` (the WebSockets), and [`error`] ([`Error`]).
//!
//! The binary wires them: open the store, [`Core::start`], create [`Auth`]
//! and print the password [`Auth::bootstrap_admin`] returns, then serve
//! [`router`] with `axum::serve`.

pub mod actor;
pub mod admin;
pub mod auth;
pub mod clock;
pub mod directory;
pub mod error;
pub mod http;
pub mod metrics;
mod stream;
pub mod wallboard;

pub use actor::{Arrival, Core};
pub use auth::{Auth, AuthSettings, NewUser, Role, Session};
pub use clock::{Clock, ManualClock, SystemClock};
pub use directory::{Directory, Refusal};
pub use error::Error;
pub use http::{ApiError, BODY_LIMIT, router};
pub use wallboard::{Snapshot, Wallboard, WallboardSettings};
