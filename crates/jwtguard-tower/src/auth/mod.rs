//! [`JwtAuthLayer`]: bearer-JWT authentication for any tower service.
//!
//! The layer finds the token (by default in `Authorization: Bearer`), verifies it with the
//! core [`Validator`](jwtguard_core::Validator), and on success puts
//! [`Verified<T>`](jwtguard_core::Verified) and [`TokenInfo`](jwtguard_core::TokenInfo) in the
//! request extensions. On failure it answers at once with the core's RFC 6750 response
//! (`401`/`400`/`403`/`503` with `WWW-Authenticate`) without calling the inner service; for a
//! gRPC request the answer is a trailers-only response with `grpc-status` 16
//! (`UNAUTHENTICATED`). The rejection is a response, not a service error: the inner service's
//! error type is unchanged.
//!
//! ```
//! use axum::{Router, routing::get};
//! use jwtguard_core::{Algorithm, Key, Validator};
//! use jwtguard_tower::{Claims, JwtAuthLayer};
//!
//! #[derive(Clone, serde::Deserialize, serde::Serialize)]
//! struct MyClaims { sub: String }
//!
//! async fn me(Claims(c): Claims<MyClaims>) -> String { c.sub }
//!
//! let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .layer(JwtAuthLayer::<MyClaims>::new(validator));
//! # Ok::<_, jwtguard_core::ConfigError>(())
//! ```

mod future;
mod layer;
mod response;
mod service;

pub use future::ResponseFuture;
pub use layer::JwtAuthLayer;
pub use response::{DefaultRejection, OnRejection, RejectionBody};
pub use service::JwtAuth;
