//! `switchboard serve`: the live server on the wall clock.
//!
//! Key types: [`ServeArgs`] (the flags) and [`ServerFile`] (the TOML
//! configuration: a `[server]` table with the center's zone, the listen
//! address and the wallboard token, and a `[routing]` table that is acd's
//! [`Config`]; `examples/server/center.toml` shows every key), and
//! [`Bound`] (the started server from [`bind`], which `demo` shares). The run:
//! read and validate the file, open the store, start [`server::Core`]
//! (which replays the log's administration changes over the file's
//! routing configuration and names queues and agents in the store), the
//! users ([`server::Auth`], kept in the log; at first start the admin's
//! random password is printed once) and the wallboard, then serve the API
//! and the wallboard with axum on a multi-threaded tokio runtime.
//!
//! The file configures a new center. Once it runs, configuration changes
//! go through the API; they are logged, and at the next start they are
//! applied over the file again, so they win over later edits of the same
//! queue or agent in the file.

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
    /// The wallboard's read-only token (overrides `[server]
    /// wallboard_token`; 16 characters or more).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SWITCHBOARD_WALLBOARD_TOKEN",
        hide_env_values = true
    )]
    wallboard_token: Option<String>,
    /// Give the `admin` user a new random password, printed once (for an
    /// administrator who lost it; it becomes an administrator again).
    #[arg(long)]
    reset_admin_password: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// The configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    /// Server settings.
    #[serde(default)]
    pub server: ServerSection,
    /// The routing configuration.
    pub routing: Config,
}

/// `[server]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// IANA zone of the center, for a new store ("today" on the wallboard
    /// follows the store's zone); default the system's.
    time_zone: Option<String>,
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
    /// The read-only wallboard token; a random one each start if absent.
    wallboard_token: Option<String>,
}

/// Reads and checks the configuration file, naming the path and the key
/// at fault.
fn load(path: &Path) -> Result<(ServerFile, TimeZone)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the server configuration {}", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// Parses and checks a configuration's `text`; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<(ServerFile, TimeZone)> {
    let file: ServerFile = toml::from_str(text).with_context(|| format!("in {origin}"))?;
    file.routing
        .validate()
        .with_context(|| format!("in {origin}: [routing]"))?;
    let zone = match &file.server.time_zone {
        Some(name) => TimeZone::get(name).with_context(|| {
            format!("in {origin}: [server] time_zone: {name:?} is not an IANA time zone")
        })?,
        None => TimeZone::system(),
    };
    if let Some(token) = &file.server.wallboard_token
        && token.chars().count() < MIN_TOKEN_LEN
    {
        bail!("in {origin}: [server] wallboard_token: give at least {MIN_TOKEN_LEN} characters");
    }
    Ok((file, zone))
}

/// Runs the server until it is killed.
pub fn run(args: &ServeArgs) -> Result<()> {
    let (mut file, zone) = load(&args.config)?;
    if let Some(token) = &args.wallboard_token {
        if token.chars().count() < MIN_TOKEN_LEN {
            bail!(
                "--wallboard-token (or SWITCHBOARD_WALLBOARD_TOKEN): give at least {MIN_TOKEN_LEN} characters"
            );
        }
        file.server.wallboard_token = Some(token.clone());
    }
    let store = args.database.open(Some(&zone))?;
    let listen = match args.listen.or(file.server.listen) {
        Some(addr) => addr,
        None => DEFAULT_LISTEN.parse()?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let bound = bind(
            file,
            store,
            listen,
            AuthSettings::default(),
            args.reset_admin_password,
        )
        .await?;
        bound.print(&args.database.describe());
        bound.serve(std::future::pending()).await
    })
}

/// A server started and bound to its address, not yet answering: what
/// `serve` and `demo` share.
pub struct Bound {
    /// `http://host:port` as bound (a port 0 is resolved).
    pub url: String,
    /// The admin's password (its user is [`server::auth::FIRST_ADMIN`]),
    /// when it was just created or reset.
    pub password: Option<String>,
    /// The wallboard's read-only token.
    pub token: String,
    listener: tokio::net::TcpListener,
    app: axum::Router,
}

/// Opens the engine on `store`, creates the first admin (or resets its
/// password with `reset_admin`), starts the wallboard and binds `listen`.
pub async fn bind(
    file: ServerFile,
    store: Box<dyn store::Store>,
    listen: SocketAddr,
    auth_settings: AuthSettings,
    reset_admin: bool,
) -> Result<Bound> {
    // An existing store keeps the zone it was created with; its reports
    // and the wallboard's "today" must agree.
    let zone = store.time_zone();
    let token = match file.server.wallboard_token {
        Some(token) => token,
        None => random_token()?,
    };
    let clock = Arc::new(SystemClock);
    let settings = WallboardSettings::new(&file.routing, zone, token.clone());
    // Starting reads and writes the store (names, crash recovery); the
    // PostgreSQL client blocks on a runtime of its own, which must not run
    // on one of this runtime's worker threads.
    let routing = file.routing;
    let engine_clock = clock.clone();
    let core = tokio::task::spawn_blocking(move || -> Result<Core> {
        Core::start(routing, store, engine_clock).context("starting the routing engine")
    })
    .await
    .context("starting the routing engine")??;
    let auth = Arc::new(Auth::new(auth_settings, clock, core.clone()).context("starting auth")?);
    let password = auth
        .bootstrap_admin(reset_admin)
        .await
        .context("creating the first admin")?;
    let wallboard =
        Wallboard::start(core.clone(), auth.clone(), settings).context("starting the wallboard")?;
    let app = server::router(core, auth).merge(wallboard.router());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let url = format!("http://{}", listener.local_addr()?);
    Ok(Bound {
        url,
        password,
        token,
        listener,
        app,
    })
}

impl Bound {
    /// Prints where to reach the server and how to log in.
    pub fn print(&self, store: &str) {
        let Bound {
            url,
            password,
            token,
            ..
        } = self;
        println!("Switchboard is serving on {url} (store: {store})");
        match password {
            Some(password) => println!(
                "  API:       {url}/api/...  log in as admin with password {password} (shown once)"
            ),
            None => println!(
                "  API:       {url}/api/...  log in as admin with the password shown at first start \
                 (--reset-admin-password sets a new one)"
            ),
        }
        println!("  wallboard: {url}/wallboard?token={token}");
        println!("  metrics:   {url}/metrics  (Authorization: Bearer <wallboard token>)");
    }

    /// Serves HTTP until `shutdown` completes.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        axum::serve(self.listener, self.app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP")
    }
}

/// 16 random bytes as hex.
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
