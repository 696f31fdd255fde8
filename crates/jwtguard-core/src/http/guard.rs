//! [`Guard`]: what a framework integration needs to authenticate one request, in one place, so
//! that tower/axum and actix behave (and answer) identically.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::{Challenge, Error, ErrorKind, Rejection, RequestHead, TokenSources, Validator, Verified};

#[derive(Debug, Clone)]
struct Inner {
    validator: Validator,
    sources: TokenSources,
    challenge: Challenge,
    optional: bool,
}

/// A validator with its token sources, its rejection format and its mode. Cheap to clone.
///
/// ```
/// use jwtguard_core::{Algorithm, Challenge, Guard, Key, TokenSource, TokenSources, Validator};
///
/// let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
/// let guard = Guard::new(validator)
///     .sources(TokenSources::new([TokenSource::Bearer, TokenSource::Cookie("access_token".into())])?)
///     .challenge(Challenge::new("orders")?.problem_json(true))
///     .optional(false);
/// assert_eq!(guard.challenge_config().realm(), "orders");
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Guard {
    inner: Arc<Inner>,
}

impl From<Validator> for Guard {
    fn from(validator: Validator) -> Self {
        Guard::new(validator)
    }
}

impl Guard {
    /// A guard that reads `Authorization: Bearer`, answers with realm `api` and empty bodies,
    /// and requires a token.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let guard = jwtguard_core::Guard::new(validator);
    /// assert!(!guard.is_optional());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn new(validator: Validator) -> Self {
        Guard {
            inner: Arc::new(Inner {
                validator,
                sources: TokenSources::default(),
                challenge: Challenge::default(),
                optional: false,
            }),
        }
    }

    /// Where tokens are looked for. Defaults to `Authorization: Bearer` only.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// use jwtguard_core::{Guard, TokenSource, TokenSources};
    /// let guard = Guard::new(validator).sources(TokenSources::new([TokenSource::Cookie("at".into())])?);
    /// assert_eq!(guard.token_sources().as_slice().len(), 1);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    #[must_use]
    pub fn sources(mut self, sources: TokenSources) -> Self {
        Arc::make_mut(&mut self.inner).sources = sources;
        self
    }

    /// How rejections look. Defaults to realm `api` and an empty body.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let guard = jwtguard_core::Guard::new(validator).challenge(jwtguard_core::Challenge::new("shop")?);
    /// assert_eq!(guard.challenge_config().realm(), "shop");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    #[must_use]
    pub fn challenge(mut self, challenge: Challenge) -> Self {
        Arc::make_mut(&mut self.inner).challenge = challenge;
        self
    }

    /// When `true`, a request without any token passes through anonymous; a bad token is still
    /// rejected. Defaults to `false`.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// assert!(jwtguard_core::Guard::new(validator).optional(true).is_optional());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    #[must_use]
    pub fn optional(mut self, optional: bool) -> Self {
        Arc::make_mut(&mut self.inner).optional = optional;
        self
    }

    /// The validator.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let guard = jwtguard_core::Guard::from(validator);
    /// assert_eq!(guard.validator().algorithms().count(), 1);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn validator(&self) -> &Validator {
        &self.inner.validator
    }

    /// Where tokens are looked for.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// assert_eq!(jwtguard_core::Guard::new(validator).token_sources(), &jwtguard_core::TokenSources::default());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn token_sources(&self) -> &TokenSources {
        &self.inner.sources
    }

    /// The rejection format.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// assert_eq!(jwtguard_core::Guard::new(validator).challenge_config().realm(), "api");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn challenge_config(&self) -> &Challenge {
        &self.inner.challenge
    }

    /// `true` in optional mode.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// assert!(!jwtguard_core::Guard::new(validator).is_optional());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn is_optional(&self) -> bool {
        self.inner.optional
    }

    /// Finds and verifies the request's token. `Ok(None)` means "no token" in optional mode.
    ///
    /// # Errors
    /// Why the request is not authenticated; render it with [`Guard::reject`].
    ///
    /// ```
    /// struct Req(Vec<(&'static str, &'static [u8])>);
    /// impl jwtguard_core::RequestHead for Req {
    ///     fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
    ///         let v: Vec<&'a [u8]> = self.0.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v).collect();
    ///         v.into_iter()
    ///     }
    ///     fn query(&self) -> Option<&str> { None }
    /// }
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let guard = jwtguard_core::Guard::new(validator).optional(true);
    /// assert!(guard.authenticate::<serde_json::Value, _>(&Req(vec![])).is_ok_and(|v| v.is_none()));
    /// let bad = Req(vec![("authorization", b"Bearer x.y.z")]);
    /// assert!(guard.authenticate::<serde_json::Value, _>(&bad).is_err());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn authenticate<T: DeserializeOwned, R: RequestHead>(&self, req: &R) -> Result<Option<Verified<T>>, Error> {
        match self.inner.sources.extract(req) {
            Ok(token) => self.inner.validator.verify(token).map(Some),
            Err(e) if e.kind() == ErrorKind::Missing && self.inner.optional => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// [`Guard::authenticate`], waiting for a key refetch when the token names a key a remote
    /// key set lacks (see [`Validator::verify_async`]).
    ///
    /// # Errors
    /// As [`Guard::authenticate`].
    pub async fn authenticate_async<T: DeserializeOwned, R: RequestHead>(
        &self,
        req: &R,
    ) -> Result<Option<Verified<T>>, Error> {
        match self.inner.sources.extract(req) {
            Ok(token) => self.inner.validator.verify_async(token).await.map(Some),
            Err(e) if e.kind() == ErrorKind::Missing && self.inner.optional => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The RFC 6750 answer to `error`.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// use jwtguard_core::{Error, ErrorKind, Guard};
    /// assert_eq!(Guard::new(validator).reject(&Error::new(ErrorKind::Missing)).status(), 401);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn reject(&self, error: &Error) -> Rejection {
        self.inner.challenge.respond(error)
    }

    /// The 403 `insufficient_scope` answer naming `scope` (or 401 when `error` is another kind).
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// use jwtguard_core::{Error, ErrorKind, Guard};
    /// let r = Guard::new(validator).reject_with_scope(&Error::new(ErrorKind::InsufficientScope), Some("a"));
    /// assert_eq!(r.status(), 403);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn reject_with_scope(&self, error: &Error, scope: Option<&str>) -> Rejection {
        self.inner.challenge.respond_with_scope(error, scope)
    }
}

/// What an extractor found in a request, for [`resolve`].
///
/// ```
/// struct Req(Vec<(&'static str, &'static [u8])>);
/// impl jwtguard_core::RequestHead for Req {
///     fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
///         let v: Vec<&'a [u8]> = self.0.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v).collect();
///         v.into_iter()
///     }
///     fn query(&self) -> Option<&str> { None }
/// }
/// use jwtguard_core::guard::{Found, Unresolved, resolve};
/// let found: Found<'_, serde_json::Value> = Found { verified: None, middleware_ran: false, other_claims_type: false, guard: None };
/// assert!(matches!(resolve(found, &Req(vec![]), false), Err(Unresolved::NoMiddleware)));
/// ```
#[derive(Debug)]
pub struct Found<'a, T> {
    /// The `Verified<T>` the auth middleware stored, if any (a copy: the extractor hands it to
    /// the handler).
    pub verified: Option<Verified<T>>,
    /// Whether the auth middleware ran on this request.
    pub middleware_ran: bool,
    /// Whether the middleware verified a token into another claims type.
    pub other_claims_type: bool,
    /// A guard to verify with when no middleware ran (from `Extension` or `app_data`), or the
    /// middleware's own guard.
    pub guard: Option<&'a Guard>,
}

/// Why an extractor found no claims.
///
/// ```
/// struct Req(Vec<(&'static str, &'static [u8])>);
/// impl jwtguard_core::RequestHead for Req {
///     fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
///         let v: Vec<&'a [u8]> = self.0.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v).collect();
///         v.into_iter()
///     }
///     fn query(&self) -> Option<&str> { None }
/// }
/// use jwtguard_core::guard::{Found, Unresolved, resolve};
/// let found: Found<'_, serde_json::Value> = Found { verified: None, middleware_ran: true, other_claims_type: false, guard: None };
/// assert!(matches!(resolve(found, &Req(vec![]), false), Err(Unresolved::Rejected(_))));
/// let found: Found<'_, serde_json::Value> = Found { verified: None, middleware_ran: true, other_claims_type: false, guard: None };
/// assert!(matches!(resolve(found, &Req(vec![]), true), Ok(None)));
/// ```
#[derive(Debug)]
pub enum Unresolved {
    /// Authentication failed: render it with the guard.
    Rejected(Error),
    /// No middleware ran and no guard was provided: a 500 naming the missing middleware.
    NoMiddleware,
    /// The middleware verified the token into another claims type: a 500 saying so.
    OtherClaimsType,
}

/// The one decision every framework's `Claims<T>` extractor makes: take what the middleware
/// verified; in optional mode without a token give `None` (only when `optional` is asked for);
/// with no middleware, verify with a guard the app provided; otherwise explain what is missing.
///
/// # Errors
/// [`Unresolved`] as above.
///
/// ```
/// struct Req(Vec<(&'static str, &'static [u8])>);
/// impl jwtguard_core::RequestHead for Req {
///     fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
///         let v: Vec<&'a [u8]> = self.0.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v).collect();
///         v.into_iter()
///     }
///     fn query(&self) -> Option<&str> { None }
/// }
/// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
/// use jwtguard_core::guard::{Found, Unresolved, resolve};
/// let guard = jwtguard_core::Guard::new(validator);
/// let found: Found<'_, serde_json::Value> = Found { verified: None, middleware_ran: false, other_claims_type: false, guard: Some(&guard) };
/// let bad = Req(vec![("authorization", b"Bearer x.y.z")]);
/// assert!(matches!(resolve(found, &bad, true), Err(Unresolved::Rejected(_))));
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub fn resolve<T, R>(found: Found<'_, T>, req: &R, optional: bool) -> Result<Option<Verified<T>>, Unresolved>
where
    T: DeserializeOwned,
    R: RequestHead,
{
    match decide(found, optional) {
        Decision::Done(result) => result,
        Decision::Verify(guard) => finish(guard.authenticate::<T, R>(req), optional),
    }
}

/// [`resolve`], verifying with [`Guard::authenticate_async`]: when the token names a key that a
/// remote key set lacks, it waits for the (shared, rate-limited) refetch as the middleware does.
/// What the framework extractors use.
///
/// # Errors
/// As [`resolve`].
///
/// ```
/// # struct Req;
/// # impl jwtguard_core::RequestHead for Req {
/// #     fn header_values<'a>(&'a self, _: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> { std::iter::empty() }
/// #     fn query(&self) -> Option<&str> { None }
/// # }
/// use jwtguard_core::guard::{Found, Unresolved, resolve_async};
/// # async fn demo(guard: jwtguard_core::Guard) {
/// let found: Found<'_, serde_json::Value> = Found { verified: None, middleware_ran: false, other_claims_type: false, guard: Some(&guard) };
/// assert!(matches!(resolve_async(found, &Req, true).await, Ok(None)));
/// # }
/// ```
pub async fn resolve_async<T, R>(
    found: Found<'_, T>,
    req: &R,
    optional: bool,
) -> Result<Option<Verified<T>>, Unresolved>
where
    T: DeserializeOwned,
    R: RequestHead,
{
    match decide(found, optional) {
        Decision::Done(result) => result,
        Decision::Verify(guard) => finish(guard.authenticate_async::<T, R>(req).await, optional),
    }
}

/// What [`resolve`] can tell without verifying anything.
enum Decision<'a, T> {
    Done(Result<Option<Verified<T>>, Unresolved>),
    /// No middleware ran: verify with this guard.
    Verify(&'a Guard),
}

fn decide<T>(found: Found<'_, T>, optional: bool) -> Decision<'_, T> {
    if let Some(v) = found.verified {
        return Decision::Done(Ok(Some(v)));
    }
    if found.middleware_ran {
        if found.other_claims_type {
            return Decision::Done(Err(Unresolved::OtherClaimsType));
        }
        // The middleware let the request through without a token: it runs in optional mode.
        return Decision::Done(if optional {
            Ok(None)
        } else {
            Err(Unresolved::Rejected(Error::new(ErrorKind::Missing)))
        });
    }
    match found.guard {
        Some(guard) => Decision::Verify(guard),
        None => Decision::Done(Err(Unresolved::NoMiddleware)),
    }
}

fn finish<T>(verified: Result<Option<Verified<T>>, Error>, optional: bool) -> Result<Option<Verified<T>>, Unresolved> {
    match verified {
        Ok(Some(v)) => Ok(Some(v)),
        Ok(None) if optional => Ok(None),
        Err(e) if optional && e.kind() == ErrorKind::Missing => Ok(None),
        Ok(None) => Err(Unresolved::Rejected(Error::new(ErrorKind::Missing))),
        Err(e) => Err(Unresolved::Rejected(e)),
    }
}

/// What each framework's extractor says when the middleware is missing, or verifies another
/// claims type; the rest of an [`ExtractError`] is shared.
///
/// ```
/// let hints = jwtguard_core::guard::Hints {
///     missing: "is the auth middleware installed on this route?",
///     other_claims_type: "the auth middleware on this route verifies another claims type",
/// };
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Hints {
    /// When no middleware ran and no guard was provided.
    pub missing: &'static str,
    /// When the middleware verified the token into another claims type.
    pub other_claims_type: &'static str,
}

/// Why an extractor has no claims for the handler, ready to render: an authentication failure
/// (the RFC 6750 answer) or a misconfiguration (a 500 whose text names what is missing).
///
/// ```
/// use jwtguard_core::guard::{ExtractError, Hints, Unresolved};
/// const HINTS: Hints = Hints { missing: "is the middleware installed?", other_claims_type: "another type" };
/// let e = ExtractError::explain::<serde_json::Value>(Unresolved::NoMiddleware, None, "Claims", HINTS);
/// assert!(e.error().is_none());
/// assert_eq!(e.to_string(), "Claims<Value> not found; is the middleware installed?");
/// ```
#[derive(Clone)]
pub enum ExtractError {
    /// Authentication failed: answer with `rejection`.
    Auth {
        /// The guard's RFC 6750 answer to `error`.
        rejection: Rejection,
        /// Why.
        error: Error,
    },
    /// The extractor cannot work on this route: a server error.
    NotFound {
        /// The extractor (`Claims`, `Token`, ...).
        what: &'static str,
        /// The claims type's short name.
        claims: &'static str,
        /// What to check.
        hint: &'static str,
    },
}

impl ExtractError {
    /// Turns [`resolve`]'s answer into what the extractor `what<T>` reports; `guard` renders an
    /// authentication failure.
    ///
    /// ```
    /// # use jwtguard_core::guard::{ExtractError, Hints, Unresolved};
    /// # const HINTS: Hints = Hints { missing: "m", other_claims_type: "o" };
    /// let e = ExtractError::explain::<u8>(Unresolved::OtherClaimsType, None, "Token", HINTS);
    /// assert_eq!(e.to_string(), "Token<u8> not found; o");
    /// ```
    pub fn explain<T>(unresolved: Unresolved, guard: Option<&Guard>, what: &'static str, hints: Hints) -> Self {
        match (unresolved, guard) {
            (Unresolved::Rejected(error), Some(guard)) => ExtractError::Auth { rejection: guard.reject(&error), error },
            (Unresolved::OtherClaimsType, _) => ExtractError::not_found::<T>(what, hints.other_claims_type),
            _ => ExtractError::not_found::<T>(what, hints.missing),
        }
    }

    /// The server error for the extractor `what<T>`, with `hint`.
    ///
    /// ```
    /// let e = jwtguard_core::guard::ExtractError::not_found::<Vec<u8>>("Claims", "add the middleware");
    /// assert_eq!(e.to_string(), "Claims<Vec<u8>> not found; add the middleware");
    /// ```
    pub fn not_found<T>(what: &'static str, hint: &'static str) -> Self {
        ExtractError::NotFound { what, claims: short_name::<T>(), hint }
    }

    /// The authentication error, or `None` for a misconfiguration.
    ///
    /// ```
    /// let e = jwtguard_core::guard::ExtractError::not_found::<u8>("Claims", "add the middleware");
    /// assert!(e.error().is_none());
    /// ```
    pub fn error(&self) -> Option<&Error> {
        match self {
            ExtractError::Auth { error, .. } => Some(error),
            ExtractError::NotFound { .. } => None,
        }
    }
}

/// `my_app::MyClaims` → `MyClaims`, `alloc::vec::Vec<u8>` → `Vec<u8>`.
fn short_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    let start = base.rfind("::").map_or(0, |i| i + 2);
    full.get(start..).unwrap_or(full)
}

impl std::fmt::Debug for ExtractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtractError::Auth { error, .. } => f.debug_tuple("ClaimsRejection").field(error).finish(),
            ExtractError::NotFound { what, claims, .. } => write!(f, "ClaimsRejection({what}<{claims}> not found)"),
        }
    }
}

impl std::fmt::Display for ExtractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtractError::Auth { error, .. } => std::fmt::Display::fmt(error, f),
            ExtractError::NotFound { what, claims, hint } => write!(f, "{what}<{claims}> not found; {hint}"),
        }
    }
}
