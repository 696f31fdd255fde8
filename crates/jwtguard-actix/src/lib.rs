//! jwtguard for actix-web 4.
//!
//! ```
//! use actix_web::{App, Responder, web};
//! use jwtguard_actix::{Claims, JwtAuth, RequireScope};
//! use jwtguard_core::{Algorithm, Key, Validator};
//!
//! #[derive(Clone, serde::Deserialize, serde::Serialize)]
//! struct MyClaims { sub: String }
//!
//! async fn me(Claims(c): Claims<MyClaims>) -> impl Responder { web::Json(c) }
//! async fn admin() -> &'static str { "admin" }
//!
//! let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
//! let app = App::new()
//!     .wrap(JwtAuth::<MyClaims>::new(validator.clone()))
//!     .service(web::resource("/me").to(me))
//!     .service(web::scope("/admin").wrap(RequireScope::all(["admin"])).route("", web::get().to(admin)));
//! # Ok::<_, jwtguard_core::ConfigError>(())
//! ```
//!
//! [`JwtAuth`] verifies with the shared core and answers failures with the core's RFC 6750
//! mapping: the same status, `WWW-Authenticate` and body, byte for byte, as `jwtguard-tower`
//! sends for the same failure and configuration. Nothing on the request path takes a lock: the
//! validator is shared through an `Arc` by every worker.
//!
//! The core types are re-exported, so this crate is the one dependency an actix app needs.

mod extract;
mod head;
mod middleware;
mod require;

pub use extract::{Claims, ClaimsRejection, OptionalClaims, Token};
pub use jwtguard_core::{
    Algorithm, Challenge, Claim, ConfigError, Error, ErrorKind, Guard, Key, KeySet, TokenInfo, TokenSource,
    TokenSources, Validator, Verified,
};
pub use middleware::{DefaultRejection, JwtAuth, JwtAuthMiddleware, OnRejection};
pub use require::{Require, RequireClaim, RequireMiddleware, RequireRole, RequireScope, Requirement};

/// An actix resource serving a [`TokenIssuer`](jwtguard_core::issuer::TokenIssuer)'s public
/// keys (`application/jwk-set+json`, cacheable for 5 minutes).
///
/// ```
/// use actix_web::App;
/// use jwtguard_core::issuer::{SigningKey, TokenIssuer};
///
/// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example").build()?;
/// let app = App::new().service(jwtguard_actix::jwks_resource("/.well-known/jwks.json", issuer));
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub fn jwks_resource(path: &str, issuer: jwtguard_core::issuer::TokenIssuer) -> actix_web::Resource {
    actix_web::web::resource(path).route(actix_web::web::get().to(move || {
        let body = issuer.jwks().to_string();
        async move {
            let mut res = actix_web::HttpResponse::Ok();
            for header in jwtguard_core::issuer::JWKS_HEADERS {
                res.insert_header(header);
            }
            res.body(body)
        }
    }))
}
