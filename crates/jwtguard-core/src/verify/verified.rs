//! What verification hands back: [`Verified<T>`], its [`TokenInfo`], and the [`TokenContext`]
//! custom rules see.

use std::fmt;
use std::sync::Arc;

use super::claims::RegisteredClaims;
use super::header::Header;

/// What every verified token has, whatever its claims type: the header and the registered
/// claims. Cheap to clone (one `Arc`), so integrations can put it in request extensions for
/// scope and role checks that do not know the claims type.
///
/// ```
/// # use jwtguard_core::{Algorithm, Key, Validator};
/// # let (validator, token) = jwtguard_core::doc_support::example();
/// let verified = validator.verify::<serde_json::Value>(token)?;
/// let info = verified.info().clone(); // cheap: one Arc
/// assert_eq!(info.registered().sub(), Some("alice"));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub(crate) inner: Arc<(Header, RegisteredClaims)>,
}

impl TokenInfo {
    /// The header (`alg`, `kid`, `typ`).
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.info().header().kid(), Some("k1"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn header(&self) -> &Header {
        &self.inner.0
    }
    /// The registered claims (`iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`, scopes, roles).
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.info().registered().jti(), Some("t-1"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn registered(&self) -> &RegisteredClaims {
        &self.inner.1
    }
}

impl fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenInfo").field("header", self.header()).field("registered", self.registered()).finish()
    }
}

/// A verified token: its header, its registered claims and the caller's typed claims.
///
/// `Debug` shows the header and which registered claims are present, never claim values.
///
/// ```
/// # use jwtguard_core::{Algorithm, Key, Validator};
/// # let (validator, token) = jwtguard_core::doc_support::example();
/// let verified = validator.verify::<serde_json::Value>(token)?;
/// assert_eq!(verified.claims()["name"], "Alice");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Verified<T> {
    pub(crate) info: TokenInfo,
    pub(crate) claims: T,
}

impl<T> Verified<T> {
    /// The typed claims.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.claims()["name"], "Alice");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn claims(&self) -> &T {
        &self.claims
    }
    /// The typed claims, by value.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// let claims: serde_json::Value = verified.into_claims();
    /// assert_eq!(claims["sub"], "alice");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_claims(self) -> T {
        self.claims
    }
    /// The registered claims (`iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`, scopes, roles).
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.registered().sub(), Some("alice"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn registered(&self) -> &RegisteredClaims {
        self.info.registered()
    }
    /// The header (`alg`, `kid`, `typ`).
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.header().typ(), Some("at+jwt"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn header(&self) -> &Header {
        self.info.header()
    }
    /// The header and registered claims, shareable.
    ///
    /// ```
    /// # use jwtguard_core::{Algorithm, Key, Validator};
    /// # let (validator, token) = jwtguard_core::doc_support::example();
    /// let verified = validator.verify::<serde_json::Value>(token)?;
    /// assert_eq!(verified.info().header().alg(), Some(Algorithm::HS256));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn info(&self) -> &TokenInfo {
        &self.info
    }
}

impl<T> fmt::Debug for Verified<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("header", self.header())
            .field("registered", self.registered())
            .field("claims", &format_args!("[redacted]"))
            .finish()
    }
}

/// What a custom rule sees: the header, the registered claims and the raw claims JSON.
///
/// ```
/// let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
///     .rule(|ctx| ctx.header().kid().is_some() && !ctx.payload_json().is_empty())
///     .build()?;
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub struct TokenContext<'a> {
    pub(crate) header: &'a Header,
    pub(crate) registered: &'a RegisteredClaims,
    pub(crate) payload: &'a [u8],
}

/// Shows the header and which registered claims are present, never a claim's value.
impl fmt::Debug for TokenContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenContext")
            .field("header", self.header)
            .field("registered", self.registered)
            .field("payload", &format_args!("[{} bytes redacted]", self.payload.len()))
            .finish()
    }
}

impl TokenContext<'_> {
    /// The header.
    ///
    /// ```
    /// let v = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
    ///     .rule(|ctx| ctx.header().typ() == Some("at+jwt"))
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn header(&self) -> &Header {
        self.header
    }
    /// The registered claims.
    ///
    /// ```
    /// let v = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
    ///     .rule(|ctx| ctx.registered().has_scope("api"))
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn registered(&self) -> &RegisteredClaims {
        self.registered
    }
    /// The claims set as JSON bytes, for rules about custom claims.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Tenant { tenant: String }
    /// let v = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256])
    ///     .rule(|ctx| serde_json::from_slice::<Tenant>(ctx.payload_json()).is_ok_and(|t| t.tenant == "acme"))
    ///     .build()?;
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn payload_json(&self) -> &[u8] {
        self.payload
    }
}
