use std::fmt;
use std::marker::PhantomData;

use jwtguard_core::{Challenge, Guard, TokenSources};
use tower_layer::Layer;

use super::response::DefaultRejection;
use super::service::JwtAuth;

/// Authenticates every request with a bearer JWT; see the [module docs](super).
///
/// `T` is the claims type the handlers extract.
///
/// ```
/// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
/// let layer = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[must_use]
pub struct JwtAuthLayer<T, R = DefaultRejection> {
    pub(crate) guard: Guard,
    pub(crate) on_rejection: R,
    pub(crate) _claims: PhantomData<fn() -> T>,
}

impl<T, R: Clone> Clone for JwtAuthLayer<T, R> {
    fn clone(&self) -> Self {
        JwtAuthLayer { guard: self.guard.clone(), on_rejection: self.on_rejection.clone(), _claims: PhantomData }
    }
}

impl<T, R> fmt::Debug for JwtAuthLayer<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthLayer")
            .field("guard", &self.guard)
            .field("claims", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

impl<T> JwtAuthLayer<T> {
    /// A layer that requires a valid token in `Authorization: Bearer`, answering failures with
    /// realm `api` and empty bodies. Takes a [`Validator`](jwtguard_core::Validator) or a
    /// configured [`Guard`].
    ///
    /// ```
    /// use jwtguard_core::{Algorithm, Key, Validator};
    /// use jwtguard_tower::JwtAuthLayer;
    ///
    /// #[derive(Clone, serde::Deserialize)]
    /// struct MyClaims { sub: String }
    ///
    /// let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
    /// let layer = JwtAuthLayer::<MyClaims>::new(validator).strip_token();
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn new(guard: impl Into<Guard>) -> Self {
        JwtAuthLayer { guard: guard.into(), on_rejection: DefaultRejection, _claims: PhantomData }
    }
}

impl<T, R> JwtAuthLayer<T, R> {
    /// Lets requests without any token through, anonymous; a bad token is still rejected.
    /// Defaults to: a token is required.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let layer = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator).optional();
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
    /// use jwtguard_tower::{TokenSource, TokenSources};
    /// let sources = TokenSources::new([TokenSource::Bearer, TokenSource::Cookie("access_token".into())])?;
    /// let layer = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator).sources(sources);
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
    /// use jwtguard_tower::Challenge;
    /// let layer = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator)
    ///     .challenge(Challenge::new("orders")?.problem_json(true));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn challenge(mut self, challenge: Challenge) -> Self {
        self.guard = self.guard.challenge(challenge);
        self
    }

    /// Removes the `Authorization` header (or the custom token header) before the inner service
    /// sees the request, as Envoy does by default. Defaults to: kept, marked sensitive.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let layer = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator).strip_token();
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn strip_token(mut self) -> Self {
        self.guard = self.guard.strip_token(true);
        self
    }

    /// Replaces the rejection response: a closure `Fn(&Error) -> Response<B>` or your own
    /// [`OnRejection`](super::OnRejection). Defaults to [`DefaultRejection`].
    ///
    /// ```
    /// use axum::response::{IntoResponse, Response};
    /// use http::StatusCode;
    /// use jwtguard_core::{Algorithm, Error, Key, Validator};
    /// use jwtguard_tower::JwtAuthLayer;
    ///
    /// let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
    /// let layer = JwtAuthLayer::<serde_json::Value>::new(validator)
    ///     .on_rejection(|err: &Error| -> Response { (StatusCode::UNAUTHORIZED, err.kind().as_str()).into_response() });
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn on_rejection<R2>(self, on_rejection: R2) -> JwtAuthLayer<T, R2> {
        JwtAuthLayer { guard: self.guard, on_rejection, _claims: PhantomData }
    }

    /// The guard this layer authenticates with.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let layer = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator);
    /// assert!(!layer.guard().is_optional());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn guard(&self) -> &Guard {
        &self.guard
    }
}

impl<S, T, R: Clone> Layer<S> for JwtAuthLayer<T, R> {
    type Service = JwtAuth<S, T, R>;

    fn layer(&self, inner: S) -> Self::Service {
        JwtAuth { inner, layer: self.clone() }
    }
}
