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
mod server;

pub use config::{Config, ConfigError, LogFormat, Mode};
pub use gateway::Gateway;
pub use server::Server;
