//! # jwtguard
//!
//! JWT authentication for Rust web services: one validator core with safe defaults, integrations
//! for tower/axum and actix-web, remote JWKS/OIDC key sets, token issuance with refresh-token
//! rotation, and revocation shared across instances through Redis.
//!
//! ```
//! use jwtguard::{Algorithm, Key, Validator};
//!
//! let validator = Validator::builder(Key::hmac(b"a secret of at least thirty-two bytes!")?, [Algorithm::HS256])
//!     .issuer("https://login.example.com")
//!     .audience("orders-api")
//!     .build()?;
//! assert!(validator.verify::<serde_json::Value>("not.a.token").is_err());
//! # Ok::<_, jwtguard::ConfigError>(())
//! ```
//!
//! # Features
//!
//! | feature | what it turns on |
//! |---|---|
//! | `aws-lc-rs` (default) | the aws-lc-rs crypto backend; wins when both backends are enabled |
//! | `rust-crypto` | the pure-Rust RustCrypto backend |
//! | `tower` | [`tower`]: `JwtAuthLayer` and the scope/role/claim layers for any tower service |
//! | `axum` | `tower` plus the axum extractors `Claims<T>`, `Option<Claims<T>>`, `Token<T>` |
//! | `actix` | [`actix`]: the actix-web 4 `JwtAuth` middleware, scope layers and extractors |
//! | `jwks` | [`jwks`]: remote JWKS kept current in the background (`RemoteJwks`) |
//! | `redis` | [`redis`]: Redis revocation and refresh-token stores |
//! | `testing` | [`testing`]: `TestIssuer` and a mock JWKS/OIDC server for your own tests |
//!
//! See [`jwtguard_core`] for the security considerations.

pub use jwtguard_core::*;

/// The tower/axum integration (feature `tower`; extractors with `axum`).
#[cfg(feature = "tower")]
pub use jwtguard_tower as tower;

/// The actix-web integration (feature `actix`).
#[cfg(feature = "actix")]
pub use jwtguard_actix as actix;

/// Remote JWKS (feature `jwks`).
#[cfg(feature = "jwks")]
pub use jwtguard_jwks as jwks;

/// Redis stores (feature `redis`).
#[cfg(feature = "redis")]
pub use jwtguard_redis as redis;

/// Test helpers for your own handler tests (feature `testing`).
#[cfg(feature = "testing")]
pub mod testing;
