//! Remote JWKS for jwtguard: keys fetched from an identity provider and kept current.
//!
//! ```no_run
//! use jwtguard_core::{Algorithm, Validator};
//! use jwtguard_jwks::RemoteJwks;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let jwks = RemoteJwks::builder("https://login.example.com/.well-known/jwks.json")?.build()?;
//! jwks.wait_ready(std::time::Duration::from_secs(5)).await?; // optional: fail start-up early
//! let validator = Validator::builder(jwks, [Algorithm::RS256, Algorithm::ES256])
//!     .issuer("https://login.example.com")
//!     .audience("orders-api")
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! What it guarantees:
//!
//! - **Reads never wait on I/O.** The keys are an `Arc` swapped in under a lock held only for
//!   the swap; a background task refetches them (every 10 minutes by default, or as
//!   `Cache-Control: max-age` says, within bounds).
//! - **Unknown `kid`: one refetch for everyone.** Concurrent requests that need a new key share a
//!   single fetch; after it, a cooldown (30 s by default) makes further unknown `kid`s fail fast
//!   as `invalid_token`, so a flood of forged `kid`s costs at most one fetch per cooldown.
//! - **Stale-if-error.** When a refetch fails, the last good keys keep serving (up to a maximum
//!   staleness, 24 h by default) and the refetch is retried with backoff. Before the first
//!   successful fetch, requests get `503` with `Retry-After`, never `401` and never a hang.
//! - **Bounds.** Connect and total timeouts, a 1 MiB body cap, no redirect to another origin,
//!   `https` unless the host is loopback or [`RemoteJwksBuilder::allow_http`] says otherwise.
//! - **Bad keys do not spoil good ones.** Keys that cannot be used (`use: enc`, unknown `kty`,
//!   bad parameters) are skipped and logged once per fetch, not per request.

mod http;
mod oidc;
mod remote;

pub use oidc::{DiscoveryError, Oidc, OidcBuilder};
pub use remote::{RemoteJwks, RemoteJwksBuilder};
