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

pub use config::{Config, ConfigError, LogFormat, Mode};
pub use gateway::Gateway;
pub use server::Server;

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
