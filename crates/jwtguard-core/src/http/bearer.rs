//! The RFC 6750 answer to a rejected request: status, `WWW-Authenticate` and body.
//!
//! [`ErrorKind::bearer`](crate::ErrorKind::bearer) is the one mapping from an error to a
//! [`BearerError`]; [`Challenge::respond`] renders it. Both framework integrations call these,
//! so axum and actix answer byte for byte alike.
//!
//! | [`ErrorKind`](crate::ErrorKind) | status | `WWW-Authenticate` (realm `api`) |
//! |---|---|---|
//! | `Missing` | 401 | `Bearer realm="api"` |
//! | `InvalidRequest` | 400 | `Bearer realm="api", error="invalid_request", error_description="malformed authorization request"` |
//! | every token failure | 401 | `Bearer realm="api", error="invalid_token", error_description="the access token is invalid"` |
//! | `InsufficientScope` | 403 | `Bearer realm="api", error="insufficient_scope", error_description="the access token lacks the required scope", scope="…"` |
//! | `KeysUnavailable`, `StoreUnavailable` | 503 | none; `Retry-After: 5` |

use crate::{ConfigError, Error};

/// The RFC 6750 §3.1 error codes, plus the two answers that carry none.
///
/// ```
/// use jwtguard_core::{BearerError, ErrorKind};
/// assert_eq!(ErrorKind::WrongAudience.bearer(), BearerError::InvalidToken);
/// assert_eq!(BearerError::InvalidToken.status(), 401);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BearerError {
    /// No credentials: 401 with a bare challenge (RFC 6750 §3.1 says no error code here).
    Missing,
    /// `invalid_request`: 400.
    InvalidRequest,
    /// `invalid_token`: 401.
    InvalidToken,
    /// `insufficient_scope`: 403.
    InsufficientScope,
    /// The key source or a store is down: 503, fail closed.
    Unavailable,
}

impl BearerError {
    /// The HTTP status code.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::BearerError::InsufficientScope.status(), 403);
    /// ```
    pub const fn status(self) -> u16 {
        match self {
            BearerError::Missing | BearerError::InvalidToken => 401,
            BearerError::InvalidRequest => 400,
            BearerError::InsufficientScope => 403,
            BearerError::Unavailable => 503,
        }
    }

    /// The `error` attribute, if this answer has one.
    ///
    /// ```
    /// use jwtguard_core::BearerError;
    /// assert_eq!(BearerError::InvalidToken.as_str(), Some("invalid_token"));
    /// assert_eq!(BearerError::Missing.as_str(), None);
    /// ```
    pub const fn as_str(self) -> Option<&'static str> {
        match self {
            BearerError::InvalidRequest => Some("invalid_request"),
            BearerError::InvalidToken => Some("invalid_token"),
            BearerError::InsufficientScope => Some("insufficient_scope"),
            BearerError::Missing | BearerError::Unavailable => None,
        }
    }

    /// The fixed human-readable description. It never says which check failed.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::BearerError::InvalidToken.description(), "the access token is invalid");
    /// ```
    pub const fn description(self) -> &'static str {
        match self {
            BearerError::Missing => "a bearer token is required",
            BearerError::InvalidRequest => "malformed authorization request",
            BearerError::InvalidToken => "the access token is invalid",
            BearerError::InsufficientScope => "the access token lacks the required scope",
            BearerError::Unavailable => "authentication is temporarily unavailable",
        }
    }

    /// The gRPC status code for a gRPC request: 16 `UNAUTHENTICATED`, 7 `PERMISSION_DENIED`
    /// for a missing scope, 14 `UNAVAILABLE` when keys cannot be reached.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::BearerError::InvalidToken.grpc_code(), 16);
    /// ```
    pub const fn grpc_code(self) -> u8 {
        match self {
            BearerError::Missing | BearerError::InvalidRequest | BearerError::InvalidToken => 16,
            BearerError::InsufficientScope => 7,
            BearerError::Unavailable => 14,
        }
    }

    const fn title(self) -> &'static str {
        match self {
            BearerError::Missing | BearerError::InvalidToken => "Unauthorized",
            BearerError::InvalidRequest => "Bad Request",
            BearerError::InsufficientScope => "Forbidden",
            BearerError::Unavailable => "Service Unavailable",
        }
    }
}

/// How rejections are rendered: the realm and the body format.
///
/// ```
/// use jwtguard_core::{Challenge, Error, ErrorKind};
///
/// let challenge = Challenge::new("orders")?;
/// let answer = challenge.respond(&Error::new(ErrorKind::Expired));
/// assert_eq!(answer.status(), 401);
/// assert_eq!(
///     answer.www_authenticate(),
///     Some(r#"Bearer realm="orders", error="invalid_token", error_description="the access token is invalid""#)
/// );
/// assert!(answer.body().is_empty());
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    realm: String,
    problem_json: bool,
}

impl Default for Challenge {
    fn default() -> Self {
        Challenge { realm: "api".to_owned(), problem_json: false }
    }
}

impl Challenge {
    /// A challenge with this realm (printable ASCII; `"` and `\` are escaped as RFC 7230
    /// quoted-string requires). Defaults to `api` when built with [`Challenge::default`].
    ///
    /// # Errors
    /// [`ConfigError::InvalidHeaderValue`] for control or non-ASCII characters.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::Challenge::new("orders")?.realm(), "orders");
    /// assert!(jwtguard_core::Challenge::new("line\nbreak").is_err());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn new(realm: &str) -> Result<Self, ConfigError> {
        if !realm.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(ConfigError::InvalidHeaderValue("realm"));
        }
        Ok(Challenge { realm: realm.to_owned(), problem_json: false })
    }

    /// Answer with an RFC 9457 `application/problem+json` body instead of an empty one.
    /// Defaults to an empty body.
    ///
    /// ```
    /// use jwtguard_core::{Challenge, Error, ErrorKind};
    /// let r = Challenge::default().problem_json(true).respond(&Error::new(ErrorKind::Missing));
    /// assert_eq!(r.content_type(), Some("application/problem+json"));
    /// ```
    pub fn problem_json(mut self, enabled: bool) -> Self {
        self.problem_json = enabled;
        self
    }

    /// The realm.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::Challenge::default().realm(), "api");
    /// ```
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// Renders the answer to `error`.
    ///
    /// ```
    /// use jwtguard_core::{Challenge, Error, ErrorKind};
    /// let r = Challenge::default().respond(&Error::new(ErrorKind::InvalidRequest));
    /// assert_eq!(r.status(), 400);
    /// ```
    pub fn respond(&self, error: &Error) -> Rejection {
        self.respond_with_scope(error, None)
    }

    /// Renders the answer to `error`, naming the `scope` that would have been enough (for
    /// [`BearerError::InsufficientScope`]). `scope` must already be valid scope-token text
    /// (see [`validate_scope`]); anything else is left out.
    ///
    /// ```
    /// use jwtguard_core::{Challenge, Error, ErrorKind};
    /// let r = Challenge::default().respond_with_scope(&Error::new(ErrorKind::InsufficientScope), Some("admin"));
    /// assert_eq!(r.status(), 403);
    /// assert!(r.www_authenticate().is_some_and(|v| v.ends_with(r#"scope="admin""#)));
    /// ```
    pub fn respond_with_scope(&self, error: &Error, scope: Option<&str>) -> Rejection {
        let bearer = error.kind().bearer();
        let www_authenticate = match bearer {
            BearerError::Unavailable => None,
            _ => {
                let mut v = String::with_capacity(128);
                v.push_str("Bearer realm=\"");
                for c in self.realm.chars() {
                    if c == '"' || c == '\\' {
                        v.push('\\');
                    }
                    v.push(c);
                }
                v.push('"');
                if let Some(code) = bearer.as_str() {
                    v.push_str(", error=\"");
                    v.push_str(code);
                    v.push_str("\", error_description=\"");
                    v.push_str(bearer.description());
                    v.push('"');
                }
                if bearer == BearerError::InsufficientScope
                    && let Some(scope) = scope.filter(|s| validate_scope(s).is_ok())
                {
                    v.push_str(", scope=\"");
                    v.push_str(scope);
                    v.push('"');
                }
                Some(v)
            }
        };
        let (content_type, body) = if self.problem_json {
            let body = format!(
                r#"{{"type":"about:blank","title":"{}","status":{},"detail":"{}"}}"#,
                bearer.title(),
                bearer.status(),
                bearer.description()
            );
            (Some("application/problem+json"), body.into_bytes())
        } else {
            (None, Vec::new())
        };
        Rejection { bearer, status: bearer.status(), www_authenticate, content_type, body, grpc: false }
    }
}

/// Checks that `scope` is a space-separated list of RFC 6749 §3.3 scope tokens, so it can be
/// put in a `scope="…"` attribute unescaped.
///
/// ```
/// assert!(jwtguard_core::bearer::validate_scope("orders:read orders:write").is_ok());
/// assert!(jwtguard_core::bearer::validate_scope("bad\"scope").is_err());
/// ```
///
/// # Errors
/// [`ConfigError::InvalidHeaderValue`] when a character is outside `%x21 / %x23-5B / %x5D-7E`.
pub fn validate_scope(scope: &str) -> Result<(), ConfigError> {
    let ok = !scope.is_empty()
        && scope.split(' ').all(|t| {
            !t.is_empty() && t.bytes().all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
        });
    if ok { Ok(()) } else { Err(ConfigError::InvalidHeaderValue("scope")) }
}

/// A rendered rejection: what the framework glue turns into a response.
///
/// ```
/// use jwtguard_core::{Challenge, Error, ErrorKind};
/// let (status, www, content_type, body) = Challenge::default().respond(&Error::new(ErrorKind::Expired)).into_parts();
/// assert_eq!((status, content_type, body.len()), (401, None, 0));
/// assert!(www.is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    bearer: BearerError,
    status: u16,
    www_authenticate: Option<String>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    grpc: bool,
}

/// How long a client is told to wait (`Retry-After`) when keys are unavailable, in seconds.
///
/// ```
/// assert_eq!(jwtguard_core::bearer::RETRY_AFTER_SECS, 5);
/// ```
pub const RETRY_AFTER_SECS: u32 = 5;

impl Rejection {
    /// The `Retry-After` value in seconds, for 503 answers.
    ///
    /// ```
    /// use jwtguard_core::{Challenge, Error, ErrorKind};
    /// assert_eq!(Challenge::default().respond(&Error::new(ErrorKind::KeysUnavailable)).retry_after(), Some(5));
    /// assert_eq!(Challenge::default().respond(&Error::new(ErrorKind::Expired)).retry_after(), None);
    /// ```
    pub fn retry_after(&self) -> Option<u32> {
        (self.bearer == BearerError::Unavailable).then_some(RETRY_AFTER_SECS)
    }
    /// The RFC 6750 error this answer renders.
    ///
    /// ```
    /// use jwtguard_core::{BearerError, Challenge, Error, ErrorKind};
    /// assert_eq!(Challenge::default().respond(&Error::new(ErrorKind::Revoked)).bearer(), BearerError::InvalidToken);
    /// ```
    pub fn bearer(&self) -> BearerError {
        self.bearer
    }
    /// The HTTP status.
    ///
    /// ```
    /// use jwtguard_core::{Challenge, Error, ErrorKind};
    /// assert_eq!(Challenge::default().respond(&Error::new(ErrorKind::InsufficientScope)).status(), 403);
    /// ```
    pub fn status(&self) -> u16 {
        self.status
    }
    /// The `WWW-Authenticate` value, if any.
    ///
    /// ```
    /// use jwtguard_core::{Challenge, Error, ErrorKind};
    /// assert_eq!(Challenge::default().respond(&Error::new(ErrorKind::Missing)).www_authenticate(), Some(r#"Bearer realm="api""#));
    /// ```
    pub fn www_authenticate(&self) -> Option<&str> {
        self.www_authenticate.as_deref()
    }
    /// The `Content-Type` of the body, if it has one.
    ///
    /// ```
    /// use jwtguard_core::{Challenge, Error, ErrorKind};
    /// assert_eq!(Challenge::default().respond(&Error::new(ErrorKind::Missing)).content_type(), None);
    /// ```
    pub fn content_type(&self) -> Option<&'static str> {
        self.content_type
    }
    /// The body (empty unless problem+json is enabled).
    ///
    /// ```
    /// use jwtguard_core::{Challenge, Error, ErrorKind};
    /// assert!(Challenge::default().respond(&Error::new(ErrorKind::Missing)).body().is_empty());
    /// ```
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The same answer in gRPC's form, for a gRPC request (tonic): HTTP 200,
    /// `content-type: application/grpc`, `grpc-status` (16 `UNAUTHENTICATED`, 7
    /// `PERMISSION_DENIED` or 14 `UNAVAILABLE`) and `grpc-message` (the fixed description), the
    /// `WWW-Authenticate` challenge kept, no body and no `Retry-After`.
    ///
    /// ```
    /// use jwtguard_core::{Challenge, Error, ErrorKind};
    /// let r = Challenge::default().respond(&Error::new(ErrorKind::Expired)).into_grpc();
    /// assert_eq!(r.status(), 200);
    /// assert!(r.headers().any(|(name, value)| name == "grpc-status" && value == "16"));
    /// ```
    #[must_use]
    pub fn into_grpc(mut self) -> Rejection {
        self.grpc = true;
        self.status = 200;
        self.content_type = Some("application/grpc");
        self.body.clear();
        self
    }

    /// Every header of the answer, names in lowercase: what an integration copies into its
    /// response, deciding nothing.
    ///
    /// ```
    /// use jwtguard_core::{Challenge, Error, ErrorKind};
    /// let r = Challenge::default().respond(&Error::new(ErrorKind::KeysUnavailable));
    /// assert_eq!(r.headers().collect::<Vec<_>>(), [("retry-after", "5".into())]);
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, std::borrow::Cow<'_, str>)> + '_ {
        use std::borrow::Cow;
        let grpc = self.grpc.then(|| {
            [
                ("grpc-status", Cow::Owned(self.bearer.grpc_code().to_string())),
                ("grpc-message", Cow::Owned(self.bearer.description().replace(' ', "%20"))),
            ]
        });
        let content_type = self.content_type.map(|ct| ("content-type", Cow::Borrowed(ct)));
        let challenge = self.www_authenticate.as_deref().map(|v| ("www-authenticate", Cow::Borrowed(v)));
        let retry_after =
            self.retry_after().filter(|_| !self.grpc).map(|secs| ("retry-after", Cow::Owned(secs.to_string())));
        content_type.into_iter().chain(grpc.into_iter().flatten()).chain(challenge).chain(retry_after)
    }

    /// Splits into status, `WWW-Authenticate`, `Content-Type` and body.
    ///
    /// ```
    /// use jwtguard_core::{Challenge, Error, ErrorKind};
    /// let (status, ..) = Challenge::default().respond(&Error::new(ErrorKind::Missing)).into_parts();
    /// assert_eq!(status, 401);
    /// ```
    pub fn into_parts(self) -> (u16, Option<String>, Option<&'static str>, Vec<u8>) {
        (self.status, self.www_authenticate, self.content_type, self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn missing_token_gets_a_bare_challenge() {
        let r = Challenge::default().respond(&Error::new(ErrorKind::Missing));
        assert_eq!(r.status(), 401);
        assert_eq!(r.www_authenticate(), Some(r#"Bearer realm="api""#));
    }

    #[test]
    fn realm_quotes_and_backslashes_are_escaped() {
        let r = Challenge::new(r#"a"b\c"#).unwrap_or_default().respond(&Error::new(ErrorKind::Missing));
        assert_eq!(r.www_authenticate(), Some(r#"Bearer realm="a\"b\\c""#));
    }

    #[test]
    fn control_characters_in_realm_are_a_config_error() {
        assert!(matches!(Challenge::new("a\r\nb"), Err(ConfigError::InvalidHeaderValue("realm"))));
        assert!(Challenge::new("é").is_err());
    }

    #[test]
    fn insufficient_scope_names_the_scope() {
        let r = Challenge::default().respond_with_scope(&Error::new(ErrorKind::InsufficientScope), Some("a b"));
        assert_eq!(r.status(), 403);
        assert_eq!(
            r.www_authenticate(),
            Some(
                r#"Bearer realm="api", error="insufficient_scope", error_description="the access token lacks the required scope", scope="a b""#
            )
        );
    }

    #[test]
    fn unavailable_is_503_without_challenge() {
        let r = Challenge::default().respond(&Error::new(ErrorKind::KeysUnavailable));
        assert_eq!(r.status(), 503);
        assert_eq!(r.www_authenticate(), None);
    }

    #[test]
    fn problem_json_body() {
        let r = Challenge::default().problem_json(true).respond(&Error::new(ErrorKind::InvalidRequest));
        assert_eq!(r.status(), 400);
        assert_eq!(r.content_type(), Some("application/problem+json"));
        assert_eq!(
            std::str::from_utf8(r.body()).unwrap_or_default(),
            r#"{"type":"about:blank","title":"Bad Request","status":400,"detail":"malformed authorization request"}"#
        );
    }
}
