//! jwtguard for tower and axum.
//!
//! ```
//! use axum::{Json, Router, routing::{get, post}};
//! use jwtguard_core::{Algorithm, Key, Validator};
//! use jwtguard_tower::{Claims, JwtAuthLayer, RequireScope};
//!
//! #[derive(Clone, serde::Deserialize, serde::Serialize)]
//! struct MyClaims { sub: String }
//!
//! async fn me(Claims(c): Claims<MyClaims>) -> Json<MyClaims> { Json(c) }
//! async fn create_order(Claims(c): Claims<MyClaims>) -> String { format!("created by {}", c.sub) }
//! async fn feed(claims: Option<Claims<MyClaims>>) -> String {
//!     claims.map_or("anonymous".into(), |c| c.sub.clone())
//! }
//!
//! let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .route("/orders", post(create_order).layer(RequireScope::all(["orders:write"])))
//!     .layer(JwtAuthLayer::<MyClaims>::new(validator));
//! # Ok::<_, jwtguard_core::ConfigError>(())
//! ```
//!
//! [`JwtAuthLayer`] works with any tower `Service<http::Request<B>>` (axum, tonic, hyper). The
//! extractors need the `axum` feature (on by default; they depend on `axum-core` only).
//!
//! | feature | what it turns on |
//! |---|---|
//! | `axum` (default) | [`Claims`], `Option<Claims>`, [`Token`] extractors; axum bodies for rejections |
//! | `tonic` | tonic bodies for rejections, so the layer fits in front of a tonic server |
//!
//! The core types are re-exported, so this crate is the one dependency an axum app needs.

pub mod auth;
#[cfg(feature = "axum")]
pub mod extract;
mod head;
#[cfg(feature = "axum")]
mod jwks;
pub mod require;

pub use auth::{DefaultRejection, JwtAuth, JwtAuthLayer, OnRejection, RejectionBody};
#[cfg(feature = "axum")]
pub use extract::{Claims, ClaimsRejection, StateClaims, Token};
#[cfg(feature = "axum")]
pub use jwks::JwksService;
pub use jwtguard_core::{
    Algorithm, Challenge, Claim, ConfigError, Error, ErrorKind, Guard, Key, KeySet, TokenInfo, TokenSource,
    TokenSources, Validator, Verified,
};
pub use require::{Require, RequireClaim, RequireRole, RequireScope, Requirement};
