//! [`Guard`]: a validator with its token sources, its answer format and its mode: the one
//! configuration both framework integrations authenticate with.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::verify::{Parse, Typing};
use crate::{Challenge, Error, ErrorKind, Rejection, RequestHead, TokenSources, Validator, Verified};

#[derive(Debug, Clone)]
struct Inner {
    validator: Validator,
    sources: TokenSources,
    challenge: Challenge,
    optional: bool,
    strip_token: bool,
    trace_subject: bool,
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
                strip_token: false,
                trace_subject: false,
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

    /// When `true`, the headers that carry the token are removed before the service sees the
    /// request (as Envoy does by default); otherwise they are kept and marked sensitive.
    /// Defaults to `false`.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// assert!(jwtguard_core::Guard::new(validator).strip_token(true).strips_token());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    #[must_use]
    pub fn strip_token(mut self, strip: bool) -> Self {
        Arc::make_mut(&mut self.inner).strip_token = strip;
        self
    }

    /// When `true`, the subject (`sub`) of an allowed request is recorded on the request's span
    /// as `jwtguard.sub`. Defaults to `false`: a subject identifies a person, so it goes into
    /// traces only when the application says so.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// assert!(jwtguard_core::Guard::new(validator).trace_subject(true).traces_subject());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    #[must_use]
    pub fn trace_subject(mut self, trace: bool) -> Self {
        Arc::make_mut(&mut self.inner).trace_subject = trace;
        self
    }

    /// `true` when the subject of allowed requests is recorded on their span.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// assert!(!jwtguard_core::Guard::new(validator).traces_subject());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn traces_subject(&self) -> bool {
        self.inner.trace_subject
    }

    /// `true` when the token headers are removed before the service sees the request.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// assert!(!jwtguard_core::Guard::new(validator).strips_token());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn strips_token(&self) -> bool {
        self.inner.strip_token
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
        self.authenticate_with::<T, Parse, R>(req)
    }

    /// [`Guard::authenticate`], getting `T` on a cache hit as `K` says (the middleware's
    /// `decide` uses [`Keep`]: its claims types are `Clone`).
    pub(crate) fn authenticate_with<T, K, R>(&self, req: &R) -> Result<Option<Verified<T>>, Error>
    where
        T: DeserializeOwned,
        K: Typing<T>,
        R: RequestHead,
    {
        match self.inner.sources.extract_unchecked(req) {
            Ok(token) => match self.inner.validator.verify_with::<T, K>(token) {
                Ok(verified) => Ok(Some(verified)),
                // A token that failed: the answer to a credential that is not a `b64token` is
                // `invalid_request`, as `extract` would have said before verifying.
                Err(error) => match self.inner.sources.extract(req) {
                    Err(invalid) => Err(invalid),
                    Ok(_) => Err(error),
                },
            },
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
