//! `switchboard serve`: the live server on the wall clock.
//!
//! Key types: [`ServeArgs`] (the flags) and [`ServerFile`] (the TOML
//! configuration: a `[server]` table with the center's zone, the listen
//! address and the wallboard token, and a `[routing]` table that is acd's
//! [`Config`]; `examples/server/center.toml` shows every key). The run:
//! read and validate the file, open the store, start [`server::Core`], the
//! users ([`server::Auth`], the first admin's password printed once, as
//! users live in memory for now) and the wallboard, then serve the API and
//! the wallboard with axum on a multi-threaded tokio runtime.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use acd::config::Config;
use anyhow::{Context, Result, bail};
use clap::Args;
use jiff::tz::TimeZone;
use serde::Deserialize;
use server::{Auth, AuthSettings, Core, SystemClock, Wallboard, WallboardSettings};

use crate::database::DatabaseArgs;

/// Where the server listens when neither the flag nor the file says.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Shortest wallboard token accepted from the file: it is the only secret
/// of a TV's URL.
const MIN_TOKEN_LEN: usize = 16;

/// The `serve` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The server configuration (TOML): `[server]` and `[routing]`; see
    /// examples/server/center.toml.
    #[arg(
        long,
        value_name = "FILE",
        env = "SWITCHBOARD_CONFIG",
        default_value = "switchboard.toml"
    )]
    config: PathBuf,
    /// Address to listen on (overrides `[server] listen`; default
    /// 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR", env = "SWITCHBOARD_LISTEN")]
    listen: Option<SocketAddr>,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// The configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    /// Server settings.
    #[serde(default)]
    server: ServerSection,
    /// The routing configuration.
    routing: Config,
}

/// `[server]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    /// IANA zone of the center, for a new store ("today" on the wallboard
    /// follows the store's zone); default the system's.
    time_zone: Option<String>,
    /// Address to listen on.
    listen: Option<SocketAddr>,
    /// The read-only wallboard token; a random one each start if absent.
    wallboard_token: Option<String>,
}

/// Reads and checks the configuration file, naming the path and the key
/// at fault.
fn load(path: &Path) -> Result<(ServerFile, TimeZone)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the server configuration {}", path.display()))?;
    let file: ServerFile =
        toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
    file.routing
        .validate()
        .with_context(|| format!("in {}: [routing]", path.display()))?;
    let zone = match &file.server.time_zone {
        Some(name) => TimeZone::get(name).with_context(|| {
            format!(
                "in {}: [server] time_zone: {name:?} is not an IANA time zone",
                path.display()
            )
        })?,
        None => TimeZone::system(),
    };
    if let Some(token) = &file.server.wallboard_token
        && token.chars().count() < MIN_TOKEN_LEN
    {
        bail!(
            "in {}: [server] wallboard_token: give at least {MIN_TOKEN_LEN} characters",
            path.display()
        );
    }
    Ok((file, zone))
}

/// Runs the server until it is killed.
pub fn run(args: &ServeArgs) -> Result<()> {
    let (file, zone) = load(&args.config)?;
    let store = args.database.open(Some(&zone))?;
    // An existing store keeps the zone it was created with; its reports
    // and the wallboard's "today" must agree.
    let zone = store.time_zone();
    let listen = match args.listen.or(file.server.listen) {
        Some(addr) => addr,
        None => DEFAULT_LISTEN.parse()?,
    };
    let token = match file.server.wallboard_token {
        Some(token) => token,
        None => random_token()?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let clock = Arc::new(SystemClock);
        let settings = WallboardSettings::new(&file.routing, zone, token.clone());
        let core = Core::start(file.routing, store, clock.clone())
            .context("starting the routing engine")?;
        let auth = Arc::new(Auth::new(AuthSettings::default(), clock));
        let password = auth
            .bootstrap_admin()
            .context("creating the first admin")?
            .context("a fresh user table has no admin")?;
        let wallboard = Wallboard::start(core.clone(), auth.clone(), settings)
            .context("starting the wallboard")?;
        let app = server::router(core, auth).merge(wallboard.router());
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let url = format!("http://{}", listener.local_addr()?);
        println!(
            "Switchboard is serving on {url} (store: {})",
            args.database.describe()
        );
        println!(
            "  API:       {url}/api/...  log in as admin with password {password} (shown once)"
        );
        println!("  wallboard: {url}/wallboard?token={token}");
        println!("  metrics:   {url}/metrics  (Authorization: Bearer <wallboard token>)");
        axum::serve(listener, app).await.context("serving HTTP")
    })
}

/// 16 random bytes as hex.
fn random_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
