//! The one decision every framework's `Claims<T>` extractor makes, and its error: take what the
//! auth middleware verified; with no middleware, verify with a guard the app provided; otherwise
//! explain what is missing.

use serde::de::DeserializeOwned;

use super::pipeline::{Extensions, MiddlewareRan, Reject};
use crate::{Error, ErrorKind, Guard, RequestHead, TokenInfo, Verified};

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
/// use jwtguard_core::extract::{Found, Unresolved, resolve};
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

impl<'a, T: Clone + Send + Sync + 'static> Found<'a, T> {
    /// What the auth middleware left in the request extensions. `provided` is a guard the app
    /// made available for routes without the middleware (an axum `Extension` or state, actix
    /// `app_data`); the middleware's own guard comes first when it ran.
    ///
    /// ```
    /// # use jwtguard_core::extract::Found;
    /// struct Empty;
    /// impl jwtguard_core::pipeline::Extensions for Empty {
    ///     fn get<V: Send + Sync + 'static>(&self) -> Option<&V> { None }
    /// }
    /// let found = Found::<serde_json::Value>::in_extensions(&Empty, None);
    /// assert!(!found.middleware_ran && found.guard.is_none());
    /// ```
    pub fn in_extensions<E: Extensions + ?Sized>(ext: &'a E, provided: Option<&'a Guard>) -> Self {
        Found {
            verified: ext.get::<Verified<T>>().cloned(),
            middleware_ran: ext.get::<MiddlewareRan>().is_some(),
            other_claims_type: ext.get::<TokenInfo>().is_some(),
            guard: ext.get::<Guard>().or(provided),
        }
    }
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
/// use jwtguard_core::extract::{Found, Unresolved, resolve};
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
/// use jwtguard_core::extract::{Found, Unresolved, resolve};
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
/// use jwtguard_core::extract::{Found, Unresolved, resolve_async};
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

/// [`resolve_async`] and [`ExtractError::explain`] in one: what an extractor `what<T>` returns.
///
/// # Errors
/// The [`ExtractError`] to answer with.
///
/// ```
/// # struct Req;
/// # impl jwtguard_core::RequestHead for Req {
/// #     fn header_values<'a>(&'a self, _: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> { std::iter::empty() }
/// #     fn query(&self) -> Option<&str> { None }
/// # }
/// use jwtguard_core::extract::{Found, Hints, extract_async};
/// const HINTS: Hints = Hints { missing: "add the middleware", other_claims_type: "another type" };
/// # async fn demo() {
/// let found: Found<'_, serde_json::Value> = Found { verified: None, middleware_ran: false, other_claims_type: false, guard: None };
/// let err = extract_async(found, &Req, false, "Claims", HINTS).await.unwrap_err();
/// assert_eq!(err.to_string(), "Claims<Value> not found; add the middleware");
/// # }
/// ```
pub async fn extract_async<T, R>(
    found: Found<'_, T>,
    req: &R,
    optional: bool,
    what: &'static str,
    hints: Hints,
) -> Result<Option<Verified<T>>, ExtractError>
where
    T: DeserializeOwned,
    R: RequestHead,
{
    let guard = found.guard;
    resolve_async(found, req, optional)
        .await
        .map_err(|unresolved| ExtractError::explain::<T, R>(unresolved, guard, what, hints, req))
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
/// let hints = jwtguard_core::extract::Hints {
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
/// use jwtguard_core::extract::{ExtractError, Hints, Unresolved};
/// const HINTS: Hints = Hints { missing: "is the middleware installed?", other_claims_type: "another type" };
/// let e = ExtractError::explain::<serde_json::Value, _>(Unresolved::NoMiddleware, None, "Claims", HINTS, &jwtguard_core::source::EmptyHead);
/// assert!(e.error().is_none());
/// assert_eq!(e.to_string(), "Claims<Value> not found; is the middleware installed?");
/// ```
#[derive(Clone)]
pub enum ExtractError {
    /// Authentication failed: the error and the guard's answer to it.
    Auth(Reject),
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
    /// # use jwtguard_core::extract::{ExtractError, Hints, Unresolved};
    /// # const HINTS: Hints = Hints { missing: "m", other_claims_type: "o" };
    /// let e = ExtractError::explain::<u8, _>(Unresolved::OtherClaimsType, None, "Token", HINTS, &jwtguard_core::source::EmptyHead);
    /// assert_eq!(e.to_string(), "Token<u8> not found; o");
    /// ```
    pub fn explain<T, R: RequestHead>(
        unresolved: Unresolved,
        guard: Option<&Guard>,
        what: &'static str,
        hints: Hints,
        req: &R,
    ) -> Self {
        match (unresolved, guard) {
            (Unresolved::Rejected(error), Some(guard)) => {
                ExtractError::Auth(Reject::new(error, Some(guard), None, req))
            }
            (Unresolved::OtherClaimsType, _) => ExtractError::not_found::<T>(what, hints.other_claims_type),
            _ => ExtractError::not_found::<T>(what, hints.missing),
        }
    }

    /// The server error for the extractor `what<T>`, with `hint`.
    ///
    /// ```
    /// let e = jwtguard_core::extract::ExtractError::not_found::<Vec<u8>>("Claims", "add the middleware");
    /// assert_eq!(e.to_string(), "Claims<Vec<u8>> not found; add the middleware");
    /// ```
    pub fn not_found<T>(what: &'static str, hint: &'static str) -> Self {
        ExtractError::NotFound { what, claims: short_name::<T>(), hint }
    }

    /// The authentication error, or `None` for a misconfiguration.
    ///
    /// ```
    /// let e = jwtguard_core::extract::ExtractError::not_found::<u8>("Claims", "add the middleware");
    /// assert!(e.error().is_none());
    /// ```
    pub fn error(&self) -> Option<&Error> {
        match self {
            ExtractError::Auth(reject) => Some(reject.error()),
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
            ExtractError::Auth(reject) => f.debug_tuple("ClaimsRejection").field(reject.error()).finish(),
            ExtractError::NotFound { what, claims, .. } => write!(f, "ClaimsRejection({what}<{claims}> not found)"),
        }
    }
}

impl std::fmt::Display for ExtractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtractError::Auth(reject) => std::fmt::Display::fmt(reject.error(), f),
            ExtractError::NotFound { what, claims, hint } => write!(f, "{what}<{claims}> not found; {hint}"),
        }
    }
}
