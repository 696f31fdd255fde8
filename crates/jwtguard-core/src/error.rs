//! Errors: the opaque per-request [`Error`] with its [`ErrorKind`], and the start-up
//! [`ConfigError`].

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use crate::bearer::BearerError;

/// Why a request was not authenticated.
///
/// The kind decides the HTTP answer through [`ErrorKind::bearer`], the one mapping every
/// framework integration uses. The `Display` text never contains the token, a key or a claim
/// value.
///
/// ```
/// use jwtguard_core::{Algorithm, ErrorKind, Key, Validator};
/// let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
/// let err = validator.verify::<serde_json::Value>("a.b").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Malformed);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No token was sent.
    Missing,
    /// The request itself is malformed: two credentials, a bearer scheme without a token, a
    /// token with characters the `b64token` syntax forbids.
    InvalidRequest,
    /// The token is not a well-formed JWS compact serialization, or a member has the wrong type.
    Malformed,
    /// The token is larger than the configured bound.
    TooLarge,
    /// The header's `alg` is not in the allow-list (this includes `none`).
    AlgorithmNotAllowed,
    /// The header lists a `crit` extension this validator does not understand.
    UnsupportedCritical,
    /// The header's `typ` is not the configured one.
    WrongType,
    /// No key fits the token's `kid` and `alg`.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// An encrypted token (JWE) could not be decrypted. Deliberately says nothing of why: not
    /// whether the key, the ephemeral key, the tag or the padding failed.
    DecryptionFailed,
    /// `exp` is in the past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    IssuedInFuture,
    /// `iat` is older than the configured maximum age.
    TooOld,
    /// `iss` is not an accepted issuer.
    WrongIssuer,
    /// `aud` does not name an accepted audience, or is present when none is configured.
    WrongAudience,
    /// A required claim is absent.
    MissingClaim,
    /// A custom validation rule rejected the token.
    RuleFailed,
    /// The token (its `jti` or its subject) was revoked.
    Revoked,
    /// A required scope, role or claim is missing: the token is good but not enough.
    InsufficientScope,
    /// The keys could not be had (a remote key set unreachable, no randomness to sign); the
    /// request fails closed.
    KeysUnavailable,
    /// A revocation or refresh-token store could not vouch for its answer (a replica out of
    /// sync, Redis unreachable); the request fails closed with `503`.
    StoreUnavailable,
}

impl ErrorKind {
    /// The RFC 6750 answer for this kind. This is the single mapping every integration uses.
    ///
    /// ```
    /// use jwtguard_core::{BearerError, ErrorKind};
    /// assert_eq!(ErrorKind::Expired.bearer(), BearerError::InvalidToken);
    /// assert_eq!(ErrorKind::Missing.bearer().status(), 401);
    /// assert_eq!(ErrorKind::InvalidRequest.bearer().status(), 400);
    /// ```
    pub const fn bearer(self) -> BearerError {
        match self {
            ErrorKind::Missing => BearerError::Missing,
            ErrorKind::InvalidRequest => BearerError::InvalidRequest,
            ErrorKind::Malformed
            | ErrorKind::TooLarge
            | ErrorKind::AlgorithmNotAllowed
            | ErrorKind::UnsupportedCritical
            | ErrorKind::WrongType
            | ErrorKind::UnknownKey
            | ErrorKind::BadSignature
            | ErrorKind::DecryptionFailed
            | ErrorKind::Expired
            | ErrorKind::NotYetValid
            | ErrorKind::IssuedInFuture
            | ErrorKind::TooOld
            | ErrorKind::WrongIssuer
            | ErrorKind::WrongAudience
            | ErrorKind::MissingClaim
            | ErrorKind::RuleFailed
            | ErrorKind::Revoked => BearerError::InvalidToken,
            ErrorKind::InsufficientScope => BearerError::InsufficientScope,
            ErrorKind::KeysUnavailable | ErrorKind::StoreUnavailable => BearerError::Unavailable,
        }
    }

    /// A short lowercase name, stable for logs and the CLI (`expired`, `bad_signature`, ...).
    ///
    /// ```
    /// assert_eq!(jwtguard_core::ErrorKind::BadSignature.as_str(), "bad_signature");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Missing => "missing",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Malformed => "malformed",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::AlgorithmNotAllowed => "algorithm_not_allowed",
            ErrorKind::UnsupportedCritical => "unsupported_critical",
            ErrorKind::WrongType => "wrong_type",
            ErrorKind::UnknownKey => "unknown_key",
            ErrorKind::BadSignature => "bad_signature",
            ErrorKind::DecryptionFailed => "decryption_failed",
            ErrorKind::Expired => "expired",
            ErrorKind::NotYetValid => "not_yet_valid",
            ErrorKind::IssuedInFuture => "issued_in_future",
            ErrorKind::TooOld => "too_old",
            ErrorKind::WrongIssuer => "wrong_issuer",
            ErrorKind::WrongAudience => "wrong_audience",
            ErrorKind::MissingClaim => "missing_claim",
            ErrorKind::RuleFailed => "rule_failed",
            ErrorKind::Revoked => "revoked",
            ErrorKind::InsufficientScope => "insufficient_scope",
            ErrorKind::KeysUnavailable => "keys_unavailable",
            ErrorKind::StoreUnavailable => "store_unavailable",
        }
    }

    const fn describe(self) -> &'static str {
        match self {
            ErrorKind::Missing => "no bearer token in the request",
            ErrorKind::InvalidRequest => "malformed authentication request",
            ErrorKind::Malformed => "malformed token",
            ErrorKind::TooLarge => "token larger than allowed",
            ErrorKind::AlgorithmNotAllowed => "algorithm not allowed",
            ErrorKind::UnsupportedCritical => "unsupported critical header extension",
            ErrorKind::WrongType => "wrong token type",
            ErrorKind::UnknownKey => "no key matches the token",
            ErrorKind::BadSignature => "signature does not verify",
            ErrorKind::DecryptionFailed => "token could not be decrypted",
            ErrorKind::Expired => "token expired",
            ErrorKind::NotYetValid => "token not yet valid",
            ErrorKind::IssuedInFuture => "token issued in the future",
            ErrorKind::TooOld => "token older than the maximum age",
            ErrorKind::WrongIssuer => "issuer not accepted",
            ErrorKind::WrongAudience => "audience not accepted",
            ErrorKind::MissingClaim => "required claim missing",
            ErrorKind::RuleFailed => "a custom rule failed",
            ErrorKind::Revoked => "token revoked",
            ErrorKind::InsufficientScope => "insufficient scope",
            ErrorKind::KeysUnavailable => "keys unavailable",
            ErrorKind::StoreUnavailable => "store unavailable",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Why a token or request was rejected.
///
/// Opaque on purpose: match on [`Error::kind`]. Cheap to clone. The optional detail is a fixed string naming the
/// check (`"duplicate member name"`), never a token, key or claim value.
///
/// ```
/// use jwtguard_core::{Error, ErrorKind};
/// let err = Error::new(ErrorKind::Expired);
/// assert_eq!(err.kind(), ErrorKind::Expired);
/// assert_eq!(err.to_string(), "token expired");
/// ```
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    detail: Option<&'static str>,
    // An `Arc` so the error is `Clone` and can travel in response extensions.
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl Error {
    /// An error of this kind.
    ///
    /// ```
    /// let err = jwtguard_core::Error::new(jwtguard_core::ErrorKind::Revoked);
    /// assert_eq!(err.to_string(), "token revoked");
    /// ```
    pub const fn new(kind: ErrorKind) -> Self {
        Error { kind, detail: None, source: None }
    }

    /// An error of this kind with a fixed detail naming the check that failed.
    ///
    /// ```
    /// use jwtguard_core::{Error, ErrorKind};
    /// let err = Error::detailed(ErrorKind::Malformed, "payload is not JSON");
    /// assert_eq!(err.to_string(), "malformed token: payload is not JSON");
    /// ```
    pub const fn detailed(kind: ErrorKind, detail: &'static str) -> Self {
        Error { kind, detail: Some(detail), source: None }
    }

    /// An error of this kind caused by `source` (an I/O failure, say). The source must not
    /// carry a token or claim value.
    ///
    /// ```
    /// use std::error::Error as _;
    /// let io = std::io::Error::other("connection refused");
    /// let err = jwtguard_core::Error::with_source(jwtguard_core::ErrorKind::KeysUnavailable, io);
    /// assert!(err.source().is_some());
    /// ```
    pub fn with_source(kind: ErrorKind, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Error { kind, detail: None, source: Some(Arc::from(source.into())) }
    }

    /// What went wrong.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::Error::new(jwtguard_core::ErrorKind::Expired).kind(), jwtguard_core::ErrorKind::Expired);
    /// ```
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The fixed detail, if any.
    ///
    /// ```
    /// use jwtguard_core::{Error, ErrorKind};
    /// assert_eq!(Error::detailed(ErrorKind::MissingClaim, "sub").detail(), Some("sub"));
    /// ```
    pub const fn detail(&self) -> Option<&'static str> {
        self.detail
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(detail) = self.detail {
            d.field("detail", &detail);
        }
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail {
            Some(detail) => write!(f, "{}: {detail}", self.kind),
            None => fmt::Display::fmt(&self.kind, f),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// A configuration mistake, reported once at start-up by a `build()` or a key constructor,
/// never per request.
///
/// ```
/// use jwtguard_core::{Algorithm, ConfigError, Key, Validator};
/// let err = Validator::builder(Key::hmac([7u8; 32])?, []).build().unwrap_err();
/// assert!(matches!(err, ConfigError::NoAlgorithms));
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The algorithm allow-list is empty.
    #[error("the algorithm allow-list is empty")]
    NoAlgorithms,
    /// An algorithm name is not one jwtguard supports.
    #[error("unknown algorithm `{0}`")]
    UnknownAlgorithm(String),
    /// A key cannot serve the algorithm it was asked to serve.
    #[error("a {kind:?} key cannot verify {alg}")]
    KeyAlgorithmMismatch {
        /// The key's kind.
        kind: crate::KeyKind,
        /// The algorithm.
        alg: crate::Algorithm,
    },
    /// An HMAC secret is shorter than its algorithm's hash: 32, 48 and 64 bytes for HS256,
    /// HS384 and HS512 (RFC 7518 §3.2).
    #[error("an HMAC secret must be at least as long as its hash (32, 48 or 64 bytes), got {0}")]
    WeakSecret(usize),
    /// Key material could not be parsed or is not a usable public key.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The key type or curve is not supported.
    #[error("unsupported key: {0}")]
    UnsupportedKey(&'static str),
    /// The JWK is not meant for signature verification (`use`, `key_ops` or `alg` disagree).
    #[error("key not usable for signature verification: {0}")]
    KeyNotForVerification(&'static str),
    /// The JWK is not meant for decryption (`use`, `key_ops` or `alg` disagree).
    #[error("key not usable for decryption: {0}")]
    KeyNotForDecryption(&'static str),
    /// A JWE key-management algorithm that no given key can serve: an allowed one no
    /// decryption key fits, or an encryption key of another kind or length.
    #[error("no key serves the key-management algorithm {0}")]
    NoKeyFor(crate::KeyManagement),
    /// The crypto backend in use lacks a primitive this configuration needs.
    #[error("the crypto backend lacks {0}")]
    BackendLacks(&'static str),
    /// The JWKS document could not be parsed.
    #[error("invalid JWKS document: {0}")]
    InvalidJwks(&'static str),
    /// A key set has no usable key.
    #[error("no usable key")]
    NoUsableKey,
    /// A symmetric (`oct`) key came from a remote or provider key set, which anyone who can read
    /// it could use to forge tokens; refused unless the application opts in.
    #[error("symmetric key from a remote or provider key set refused")]
    SymmetricKeyRefused,
    /// A realm, scope or other value would not fit in a `WWW-Authenticate` header.
    #[error("invalid {0}: only printable ASCII is allowed")]
    InvalidHeaderValue(&'static str),
    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    InvalidSetting(&'static str),
}
