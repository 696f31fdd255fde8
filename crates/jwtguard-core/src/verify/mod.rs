//! Verifying a token: the builder, the JWS checks, the claims policy, the verified types and
//! the multi-issuer variant.
//!
//! | file | job |
//! |---|---|
//! | `builder.rs` | [`ValidatorBuilder`]: every option, checked once at start-up |
//! | `validator.rs` | [`Validator`]: one policy or one per issuer; `verify` in order |
//! | `jws.rs` | size bound, segments, header against the allow-list, key, signature |
//! | `jwe.rs` | encrypted (nested) tokens: header against the JWE allow-lists, key, decryption |
//! | `policy.rs` | `exp`, `nbf`, `iat`, maximum age, `iss`, `aud`, required claims |
//! | `multi.rs` | [`Validator::multi_issuer`]: the token's `iss` picks the policy |
//! | `header.rs`, `claims.rs`, `json.rs` | strict parsing of the header and the claims |
//! | `one_pass.rs` | the claims read once into the registered claims and the caller's type |
//! | `verified.rs` | [`Verified`], [`TokenInfo`], [`TokenContext`] |
//! | `cache.rs` | verified tokens by their exact bytes: what a hit skips and what it re-checks |
//! | `clock.rs` | [`Clock`] and its two implementations |

mod builder;
mod cache;
mod claims;
mod clock;
pub(crate) mod header;
pub(crate) mod json;
mod jwe;
mod jws;
mod multi;
pub(crate) mod one_pass;
mod policy;
mod validator;
mod verified;

pub use builder::ValidatorBuilder;
pub use cache::CacheStats;
pub use claims::{Audience, Claim, RegisteredClaims};
pub use clock::{Clock, FixedClock, SystemClock};
pub use header::Header;
pub use jwe::Encryption;
pub(crate) use jwe::JweConfig;
pub use validator::{DEFAULT_CACHE_BYTES, DEFAULT_MAX_TOKEN_SIZE, Validator};
pub(crate) use validator::{Keep, Parse, Typing};
pub use verified::{TokenContext, TokenInfo, Verified};
