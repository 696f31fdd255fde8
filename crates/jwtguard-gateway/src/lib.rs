//! jwtguard as a process: a forward-auth endpoint for nginx `auth_request`, Traefik
//! ForwardAuth, Caddy `forward_auth` and Envoy `ext_authz`, and a verifying reverse proxy, on
//! the same validator core as the library, so a Rust service and the gateway answer the same
//! token the same way.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = jwtguard_gateway::Config::from_file("gateway.toml")?; // file, line and key on error
//! let gateway = jwtguard_gateway::Gateway::start(config).await?;    // remote keys, discovery
//! # Ok(()) }
//! ```
//!
//! See [`config`] for the file.

pub mod config;
mod gateway;
mod metrics;
mod server;
mod tls;

use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub use config::{Config, ConfigError, LogFormat, Mode};
pub use gateway::Gateway;
pub use server::Server;

/// What the `jwtguard-gateway` binary (and `jwtguard gateway`) runs: reads and checks the
/// configuration at `path`, installs its logging, starts the gateway and, unless `check`,
/// serves until SIGTERM or Ctrl-C, then drains.
///
/// Exit status: 0 after a clean stop (or a passing check), 78 (`EX_CONFIG`) for a configuration
/// error (printed as `error: FILE:LINE: KEY: what`), 1 when a listener cannot be bound.
///
/// ```no_run
/// # async fn demo() -> std::process::ExitCode {
/// jwtguard_gateway::run(std::path::Path::new("gateway.toml"), false).await
/// # }
/// ```
pub async fn run(path: &Path, check: bool) -> ExitCode {
    let config = match Config::from_file(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(78);
        }
    };
    init_logging(&config);
    let gateway = match Gateway::start(config).await {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(78);
        }
    };
    if check {
        println!("{}: ok", path.display());
        return ExitCode::SUCCESS;
    }
    // Installed before the first listener is announced, so a SIGTERM from then on is a clean stop.
    let shutdown = shutdown_signal();
    let server = match Server::bind(gateway).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (addr, mode) in server.local_addrs() {
        tracing::info!(%addr, ?mode, "listening");
        // Not println!: a closed stdout is no reason to stop serving.
        let _ = writeln!(std::io::stdout(), "listening on http://{addr} ({mode:?})");
    }
    server.run(shutdown).await;
    ExitCode::SUCCESS
}

/// SIGTERM or Ctrl-C. The handlers are registered when this is called, not when it is first
/// awaited.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = term.recv() => {}
                _ = ctrl_c => {}
            }
            return;
        }
        let _ = ctrl_c.await;
    }
}

/// Installs the process-wide log subscriber the configuration asks for (`log.format`,
/// `log.level`), writing to stderr. Access lines have the target `jwtguard_gateway::access`
/// and the fields `method`, `path` (never the query), `route`, `outcome`, `status`,
/// `error_kind`, `kid`, `iss`, `claims` (only those listed in `log.claims`) and `latency_us`;
/// never a token.
pub fn init_logging(config: &Config) {
    let _ = tracing::subscriber::set_global_default(log_subscriber(config, std::io::stderr));
}

/// The subscriber [`init_logging`] installs, writing to `writer` (for tests and embedding).
pub fn log_subscriber<W>(config: &Config, writer: W) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_max_level(config.log_level()).with_writer(writer);
    match config.log_format() {
        LogFormat::Json => Box::new(builder.json().flatten_event(true).with_current_span(false).finish()),
        LogFormat::Text => Box::new(builder.finish()),
    }
}
