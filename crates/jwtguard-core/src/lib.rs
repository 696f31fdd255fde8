//! The validator core of [jwtguard](https://docs.rs/jwtguard): keys, claims policy, errors, the
//! RFC 6750 mapping, token sources, and the whole decision for one request. No web framework
//! and no HTTP client in here; the `jwtguard-tower` and `jwtguard-actix` crates put it in front
//! of a service and only translate.
//!
//! # Where things are
//!
//! | folder | job |
//! |---|---|
//! | `verify/` | the [`Validator`]: builder, JWS checks, claims policy, verified types, multi-issuer |
//! | `keys/` | [`Key`], [`KeySet`], JWK and PEM loading, [`provider`]s of keys that change |
//! | `issue/` | [`issuer`]: signing keys, the issuer and its key ring; [`refresh`] tokens |
//! | `http/` | answering a request: [`source`], [`guard`], [`pipeline`], [`extract`], [`authz`], [`bearer`] |
//! | `backend/` | the crypto backend, chosen once |
//!
//! # The path of one request
//!
//! ```text
//! framework middleware (jwtguard-tower auth/service.rs, jwtguard-actix middleware.rs)
//!   reads the request head ──► Guard::decide                      http/pipeline.rs
//!                                TokenSources::extract            http/source.rs
//!                                Validator::verify                verify/validator.rs
//!                                  size, header, key, signature   verify/jws.rs
//!                                  exp, nbf, iat, iss, aud        verify/policy.rs
//!                                  rules, revocation              verify/validator.rs
//!                              ◄── Decision::Pass | Reject | Refetch
//!   Pass: Pass::store into the extensions, Guard::header_action on the headers, call the service
//!   Reject: copy Rejection's status, headers() and body into a response   http/bearer.rs
//!   Refetch: await Guard::decide_after_refetch, then as above
//! ```
//!
//! Requirement layers call [`authz::enforce`]; `Claims<T>` extractors call
//! [`extract::extract_async`]. A change to any decision is one edit here, and both frameworks
//! follow.
//!
//! ```
//! use jwtguard_core::{Algorithm, ErrorKind, Key, Validator};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct MyClaims { sub: String }
//!
//! let validator = Validator::builder(Key::hmac(b"a secret of at least thirty-two bytes!")?, [Algorithm::HS256])
//!     .issuer("https://login.example.com")   // Defaults to: not checked
//!     .audience("orders-api")                 // Defaults to: tokens with `aud` rejected
//!     .build()?;
//!
//! match validator.verify::<MyClaims>("eyJhbGciOiJub25lIn0.e30.") {
//!     Ok(verified) => println!("hello {}", verified.claims().sub),
//!     Err(err) => assert_eq!(err.kind(), ErrorKind::AlgorithmNotAllowed), // `none` never verifies
//! }
//! # Ok::<_, jwtguard_core::ConfigError>(())
//! ```
//!
//! # Features
//!
//! | feature | what it turns on |
//! |---|---|
//! | `aws-lc-rs` (default) | the aws-lc-rs crypto backend; wins when both are enabled |
//! | `rust-crypto` | the pure-Rust RustCrypto backend |
//!
//! With neither backend the crate does not compile; with both, aws-lc-rs is used. The choice is
//! made at compile time: there is no process-wide provider to install and nothing that can
//! panic at the first verification.
//!
//! # Security considerations
//!
//! - **Algorithms.** The allow-list is required; `none` never verifies; a key's kind decides the
//!   primitive, so a public key can never be used as an HMAC secret (key confusion).
//! - **Clock skew.** `exp`, `nbf` and `iat` get 60 s of leeway by default; keep clocks in sync
//!   with NTP rather than raising it.
//! - **Key rotation.** Give keys a `kid`. A token naming an unknown `kid` fails with
//!   [`ErrorKind::UnknownKey`]; remote key sets refetch on it.
//! - **Proxies.** A proxy in front may strip or duplicate `Authorization`; two headers are an
//!   `invalid_request`, never "the first one wins".
//! - **Secrets.** Tokens, secrets and claim values never appear in errors or `Debug` output.
//! - **Encrypted tokens.** With [`ValidatorBuilder::decrypt_with`], a JWE is decrypted first and
//!   the signed token inside is verified as any other: encryption hides the claims, the
//!   signature still decides. `RSA1_5`, `PBES2-*`, `zip` and unsigned encrypted claims are
//!   refused; every decryption failure is the same [`ErrorKind::DecryptionFailed`]. The size
//!   bound applies to the whole encrypted token.

pub mod algorithm;
mod backend;
pub mod dangerous;
#[doc(hidden)]
pub mod doc_support;
mod error;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzz_support;
mod http;
mod issue;
mod keys;
pub mod revocation;
pub mod telemetry;
mod verify;

pub use http::{authz, bearer, extract, guard, pipeline, source};
pub use keys::provider;

/// Issuing access tokens: [`TokenIssuer`](issuer::TokenIssuer), its [`SigningKey`](issuer::SigningKey)s
/// and their rotation.
pub mod issuer {
    pub use crate::issue::{
        EncryptionKey, Issue, IssuedToken, JWKS_HEADERS, SigningKey, TokenIssuer, TokenIssuerBuilder,
    };
}
pub use issue::refresh;

/// JWK helpers for publishing keys: the RFC 7638 thumbprint and the public JWK of a PEM key.
pub mod jwk {
    pub use crate::keys::jwk::{public_jwk_from_pem, thumbprint};
}

pub use algorithm::{Algorithm, ContentEncryption, KeyKind, KeyManagement};
pub use bearer::{BearerError, Challenge, Rejection};
pub use error::{ConfigError, Error, ErrorKind};
pub use guard::Guard;
pub use keys::{DecryptionKey, DecryptionKeys, Key, KeySet, SkippedKey};
pub use source::{RequestHead, TokenSource, TokenSources};
pub use verify::{
    Audience, CacheStats, Claim, Clock, DEFAULT_CACHE_BYTES, DEFAULT_MAX_TOKEN_SIZE, Encryption, FixedClock, Header,
    RegisteredClaims, SystemClock, TokenContext, TokenInfo, Validator, ValidatorBuilder, Verified,
};
