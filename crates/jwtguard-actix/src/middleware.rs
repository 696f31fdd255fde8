//! [`JwtAuth`]: the `.wrap(JwtAuth::new(..))` middleware.

use std::fmt;
use std::future::{Ready, ready};
use std::marker::PhantomData;
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{HttpMessage, HttpResponse};
use futures_util::future::{Either, MapOk, TryFutureExt};
use jwtguard_core::pipeline::{Decision, Pass, Reject};
use jwtguard_core::{Challenge, Error, Guard, TokenSources};
use serde::de::DeserializeOwned;

use crate::head::{ExtMut, Head, protect_headers, render};

/// Builds the response for a rejected request. Implemented by [`DefaultRejection`] (the core's
/// RFC 6750 answer) and by every `Fn(&Error) -> HttpResponse`. The [`Error`] is also put in the
/// response's extensions.
///
/// ```
/// use actix_web::HttpResponse;
/// use jwtguard_core::pipeline::Reject;
/// use jwtguard_actix::{DefaultRejection, JwtAuth, OnRejection};
///
/// /// The default answer plus a header of our own.
/// struct Tagged;
///
/// impl OnRejection for Tagged {
///     fn on_rejection(&self, reject: Reject) -> HttpResponse {
///         let mut res = DefaultRejection.on_rejection(reject);
///         res.headers_mut().insert(
///             actix_web::http::header::HeaderName::from_static("x-auth"),
///             actix_web::http::header::HeaderValue::from_static("jwtguard"),
///         );
///         res
///     }
/// }
/// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
/// let auth = JwtAuth::<serde_json::Value>::new(validator).on_rejection(Tagged);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub trait OnRejection: 'static {
    /// The response for the core's decision `reject` (its error and its rendered answer).
    fn on_rejection(&self, reject: Reject) -> HttpResponse;
}

/// The core's RFC 6750 answer: the same bytes `jwtguard-tower` sends.
///
/// ```
/// use jwtguard_core::pipeline::Reject;
/// use jwtguard_core::source::EmptyHead;
/// use jwtguard_core::{Error, ErrorKind};
/// use jwtguard_actix::{DefaultRejection, OnRejection};
/// let res = DefaultRejection.on_rejection(Reject::new(Error::new(ErrorKind::Expired), None, None, &EmptyHead));
/// assert_eq!(res.status(), 401);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRejection;

impl OnRejection for DefaultRejection {
    fn on_rejection(&self, reject: Reject) -> HttpResponse {
        render(reject.rejection(), reject.error())
    }
}

impl<F> OnRejection for F
where
    F: Fn(&Error) -> HttpResponse + 'static,
{
    fn on_rejection(&self, reject: Reject) -> HttpResponse {
        let mut res = self(reject.error());
        res.extensions_mut().insert(reject.error().clone());
        res
    }
}

/// Authenticates every request with a bearer JWT; `T` is the claims type handlers extract.
///
/// On success [`Verified<T>`](jwtguard_core::Verified) and
/// [`TokenInfo`](jwtguard_core::TokenInfo) go into the request extensions; on failure the
/// middleware answers itself (the right side of [`EitherBody`]) without calling the service.
///
/// ```
/// use jwtguard_actix::{Challenge, JwtAuth};
/// use jwtguard_core::{Algorithm, Key, Validator};
///
/// let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
/// let auth = JwtAuth::<serde_json::Value>::new(validator)
///     .optional()
///     .challenge(Challenge::new("orders")?.problem_json(true));
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[must_use]
pub struct JwtAuth<T, R = DefaultRejection> {
    guard: Guard,
    on_rejection: Rc<R>,
    _claims: PhantomData<fn() -> T>,
}

impl<T, R> Clone for JwtAuth<T, R> {
    fn clone(&self) -> Self {
        JwtAuth { guard: self.guard.clone(), on_rejection: self.on_rejection.clone(), _claims: PhantomData }
    }
}

impl<T, R> fmt::Debug for JwtAuth<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuth")
            .field("guard", &self.guard)
            .field("claims", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

impl<T> JwtAuth<T> {
    /// A middleware that requires a valid token in `Authorization: Bearer`, answering failures
    /// with realm `api` and empty bodies. Takes a [`Validator`](jwtguard_core::Validator) or a
    /// configured [`Guard`].
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let auth = jwtguard_actix::JwtAuth::<serde_json::Value>::new(validator);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn new(guard: impl Into<Guard>) -> Self {
        JwtAuth { guard: guard.into(), on_rejection: Rc::new(DefaultRejection), _claims: PhantomData }
    }
}

impl<T, R> JwtAuth<T, R> {
    /// Lets requests without any token through, anonymous; a bad token is still rejected.
    /// Defaults to: a token is required.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let auth = jwtguard_actix::JwtAuth::<serde_json::Value>::new(validator).optional();
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn optional(mut self) -> Self {
        self.guard = self.guard.optional(true);
        self
    }

    /// Where tokens are looked for. Defaults to `Authorization: Bearer` only.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// use jwtguard_actix::{TokenSource, TokenSources};
    /// let sources = TokenSources::new([TokenSource::Bearer, TokenSource::Header("X-Api-Token".into())])?;
    /// let auth = jwtguard_actix::JwtAuth::<serde_json::Value>::new(validator).sources(sources);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn sources(mut self, sources: TokenSources) -> Self {
        self.guard = self.guard.sources(sources);
        self
    }

    /// The realm and body format of rejections. Defaults to realm `api`, empty body.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let auth = jwtguard_actix::JwtAuth::<serde_json::Value>::new(validator)
    ///     .challenge(jwtguard_actix::Challenge::new("orders")?);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn challenge(mut self, challenge: Challenge) -> Self {
        self.guard = self.guard.challenge(challenge);
        self
    }

    /// Removes the `Authorization` header (or the custom token header) before the service sees
    /// the request. Defaults to: kept, marked sensitive.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let auth = jwtguard_actix::JwtAuth::<serde_json::Value>::new(validator).strip_token();
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn strip_token(mut self) -> Self {
        self.guard = self.guard.strip_token(true);
        self
    }

    /// Replaces the rejection response with a closure `Fn(&Error) -> HttpResponse` or your own
    /// [`OnRejection`]. Defaults to [`DefaultRejection`].
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// use jwtguard_actix::JwtAuth;
    /// use jwtguard_core::{Algorithm, Error, Key, Validator};
    ///
    /// let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
    /// let auth = JwtAuth::<serde_json::Value>::new(validator)
    ///     .on_rejection(|err: &Error| HttpResponse::Unauthorized().body(err.kind().as_str()));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn on_rejection<R2: OnRejection>(self, on_rejection: R2) -> JwtAuth<T, R2> {
        JwtAuth { guard: self.guard, on_rejection: Rc::new(on_rejection), _claims: PhantomData }
    }

    /// The guard this middleware authenticates with.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let auth = jwtguard_actix::JwtAuth::<serde_json::Value>::new(validator).optional();
    /// assert!(auth.guard().is_optional());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn guard(&self) -> &Guard {
        &self.guard
    }
}

impl<S, B, T, R> Transform<S, ServiceRequest> for JwtAuth<T, R>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
    R: OnRejection,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = JwtAuthMiddleware<S, T, R>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(JwtAuthMiddleware { service: Rc::new(service), config: self.clone() }))
    }
}

/// The service made by [`JwtAuth`].
///
/// ```
/// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
/// use actix_web::{App, web};
/// // Made by `JwtAuth` when actix builds the app; you only name it in type signatures.
/// let app = App::new().wrap(jwtguard_actix::JwtAuth::<serde_json::Value>::new(validator)).route("/", web::get().to(|| async { "ok" }));
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub struct JwtAuthMiddleware<S, T, R> {
    service: Rc<S>,
    config: JwtAuth<T, R>,
}

impl<S, T, R> fmt::Debug for JwtAuthMiddleware<S, T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthMiddleware").field("config", &self.config).finish_non_exhaustive()
    }
}

type Passed<B> = fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>>;
type Answer<B> = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;
/// Boxed only when verification has to wait for a remote key refetch.
type Refetch<B> = futures_util::future::LocalBoxFuture<'static, Answer<B>>;

impl<S, B, T, R> Service<ServiceRequest> for JwtAuthMiddleware<S, T, R>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
    R: OnRejection,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Either<Either<Ready<Answer<B>>, MapOk<S::Future, Passed<B>>>, Refetch<B>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let decision = self.config.guard.decide::<T, _>(&Head { headers: req.headers(), query: req.query_string() });
        match decision {
            Decision::Pass(pass) => {
                admit(&mut req, pass);
                Either::Left(Either::Right(
                    self.service.call(req).map_ok(ServiceResponse::map_into_left_body as Passed<B>),
                ))
            }
            Decision::Reject(reject) => Either::Left(Either::Left(ready(Ok(self.refuse(req, reject))))),
            Decision::Refetch => Either::Right(self.call_after_refetch(req)),
        }
    }
}

impl<S, B, T, R> JwtAuthMiddleware<S, T, R>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
    R: OnRejection,
{
    /// The slow path: the token names a key a remote key set lacks. Wait for the (shared,
    /// cooldown-gated) refetch, decide again, then call the service.
    fn call_after_refetch(&self, mut req: ServiceRequest) -> Refetch<B> {
        let service = self.service.clone();
        let config = self.config.clone();
        Box::pin(async move {
            let decision = {
                let head = Head { headers: req.headers(), query: req.query_string() };
                config.guard.decide_after_refetch::<T, _>(&head).await
            };
            match decision {
                Ok(pass) => admit(&mut req, pass),
                Err(reject) => {
                    return Ok(req.into_response(config.on_rejection.on_rejection(reject)).map_into_right_body());
                }
            }
            service.call(req).await.map(ServiceResponse::map_into_left_body)
        })
    }

    fn refuse(&self, req: ServiceRequest, reject: Reject) -> ServiceResponse<EitherBody<B>> {
        req.into_response(self.config.on_rejection.on_rejection(reject)).map_into_right_body()
    }
}

/// What the core says a passing request gets: its extensions, and its credential headers
/// marked or removed.
fn admit<T: Clone + Send + Sync + 'static>(req: &mut ServiceRequest, pass: Pass<T>) {
    protect_headers(req, pass.guard());
    pass.store(&mut ExtMut(&mut req.extensions_mut()));
}
