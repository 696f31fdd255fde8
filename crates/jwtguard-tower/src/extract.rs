//! axum extractors: [`Claims<T>`], `Option<Claims<T>>`, [`Token<T>`] and [`StateClaims<T>`].
//!
//! Behind [`JwtAuthLayer`](crate::JwtAuthLayer) they read what the layer verified. On a route
//! without the layer `Claims<T>` and `Token<T>` verify by themselves when a [`Guard`] (or a
//! `Validator` turned into one) was added with `axum::Extension`, and [`StateClaims<T>`] with the
//! `Guard` held in the router's state (`FromRef`); with none of these they answer `500` with a
//! message that names what is missing.
//!
//! Why two types for the state: `Claims<T>` works with any state, so a `Router<AppState>` behind
//! the layer needs no change. Requiring `Guard: FromRef<S>` on it would make every such app
//! implement that, and Rust cannot pick between two impls by whether the bound holds.

use std::fmt;
use std::ops::Deref;

use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use jwtguard_core::extract::{ExtractError, Found, Hints, extract_async};
use jwtguard_core::{Error, Guard, Verified};
use serde::de::DeserializeOwned;

use crate::head::{Ext, Head, render};

/// The verified claims of the request's token.
///
/// `Option<Claims<T>>` is `None` only when no token was sent (in optional mode); a present but
/// bad token is still rejected.
///
/// ```
/// use jwtguard_tower::Claims;
///
/// #[derive(Clone, serde::Deserialize)]
/// struct MyClaims { sub: String }
///
/// async fn me(Claims(c): Claims<MyClaims>) -> String { c.sub }
/// async fn feed(claims: Option<Claims<MyClaims>>) -> String {
///     claims.map_or("hello, stranger".into(), |c| format!("hello, {}", c.sub))
/// }
/// ```
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims<T>(pub T);

impl<T> Claims<T> {
    /// The claims.
    ///
    /// ```
    /// let claims = jwtguard_tower::Claims(42);
    /// assert_eq!(claims.into_inner(), 42);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Claims<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The whole verified token: typed claims, registered claims and header.
///
/// ```
/// use jwtguard_tower::Token;
///
/// async fn whoami(token: Token<serde_json::Value>) -> String {
///     format!("{:?} signed with {:?}", token.registered().sub(), token.header().alg())
/// }
/// ```
#[must_use]
#[derive(Debug, Clone)]
pub struct Token<T>(pub Verified<T>);

impl<T> Token<T> {
    /// The verified token.
    ///
    /// ```
    /// async fn handler(token: jwtguard_tower::Token<serde_json::Value>) -> String {
    ///     let verified = token.into_inner();
    ///     verified.into_claims().to_string()
    /// }
    /// ```
    pub fn into_inner(self) -> Verified<T> {
        self.0
    }
}

impl<T> Deref for Token<T> {
    type Target = Verified<T>;
    fn deref(&self) -> &Verified<T> {
        &self.0
    }
}

/// The verified claims, like [`Claims<T>`], verified with the [`Guard`] in the router's state
/// when no [`JwtAuthLayer`](crate::JwtAuthLayer) ran (behind the layer it reads what the layer
/// verified). `Option<StateClaims<T>>` is `None` only when no token was sent.
///
/// ```
/// use axum::extract::FromRef;
/// use axum::{Router, routing::get};
/// use jwtguard_tower::{Algorithm, Guard, Key, StateClaims, Validator};
///
/// #[derive(Clone)]
/// struct AppState {
///     guard: Guard,
///     // ... your database pool, settings ...
/// }
///
/// // Or `#[derive(FromRef)]` on AppState, with axum's `macros` feature.
/// impl FromRef<AppState> for Guard {
///     fn from_ref(state: &AppState) -> Guard { state.guard.clone() }
/// }
///
/// #[derive(Clone, serde::Deserialize)]
/// struct MyClaims { sub: String }
///
/// async fn me(StateClaims(c): StateClaims<MyClaims>) -> String { c.sub }
///
/// let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?;
/// let app: Router = Router::new().route("/me", get(me)).with_state(AppState { guard: Guard::new(validator) });
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateClaims<T>(pub T);

impl<T> StateClaims<T> {
    /// The claims.
    ///
    /// ```
    /// let claims = jwtguard_tower::StateClaims(42);
    /// assert_eq!(claims.into_inner(), 42);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for StateClaims<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Why `Claims<T>`, `Token<T>` or `StateClaims<T>` could not be extracted.
///
/// ```
/// use axum::response::IntoResponse;
/// use jwtguard_tower::Claims;
///
/// // Handle the rejection yourself by extracting a Result.
/// async fn handler(claims: Result<Claims<serde_json::Value>, jwtguard_tower::ClaimsRejection>) -> axum::response::Response {
///     match claims {
///         Ok(Claims(c)) => c.to_string().into_response(),
///         Err(rejection) => rejection.into_response(),
///     }
/// }
/// ```
pub struct ClaimsRejection {
    inner: ExtractError,
}

impl ClaimsRejection {
    /// The authentication error, or `None` when the extractor was used without the layer.
    ///
    /// ```
    /// async fn handler(claims: Result<jwtguard_tower::Claims<serde_json::Value>, jwtguard_tower::ClaimsRejection>) -> String {
    ///     match claims {
    ///         Ok(_) => "in".into(),
    ///         Err(r) => r.error().map_or("no layer".into(), |e| e.kind().as_str().to_owned()),
    ///     }
    /// }
    /// ```
    pub fn error(&self) -> Option<&Error> {
        self.inner.error()
    }
}

impl fmt::Debug for ClaimsRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl fmt::Display for ClaimsRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl std::error::Error for ClaimsRejection {}

impl IntoResponse for ClaimsRejection {
    fn into_response(self) -> Response {
        match self.inner {
            ExtractError::Auth(reject) => render(reject.rejection(), reject.error()),
            not_found @ ExtractError::NotFound { .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, not_found.to_string()).into_response()
            }
        }
    }
}

const HINTS: Hints = Hints {
    missing: "is JwtAuthLayer installed on this route?",
    other_claims_type: "the JwtAuthLayer on this route verifies another claims type",
};

/// The lookup behind every extractor; the decision and its explanation are the core's
/// ([`extract_async`], [`ExtractError`]), shared with actix.
async fn lookup<T>(
    parts: &Parts,
    optional: bool,
    what: &'static str,
    state: Option<&Guard>,
) -> Result<Option<Verified<T>>, ClaimsRejection>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let ext = Ext(&parts.extensions);
    let found = Found::in_extensions(&ext, state);
    let head = Head { headers: &parts.headers, uri: &parts.uri };
    extract_async(found, &head, optional, what, HINTS).await.map_err(|inner| ClaimsRejection { inner })
}

async fn required<T>(parts: &Parts, what: &'static str, state: Option<&Guard>) -> Result<Verified<T>, ClaimsRejection>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    lookup::<T>(parts, false, what, state)
        .await?
        .ok_or_else(|| ClaimsRejection { inner: ExtractError::not_found::<T>(what, HINTS.missing) })
}

impl<S, T> FromRequestParts<S> for Claims<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        required::<T>(parts, "Claims", None).await.map(|v| Claims(v.into_claims()))
    }
}

impl<S, T> OptionalFromRequestParts<S> for Claims<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(lookup::<T>(parts, true, "Claims", None).await?.map(|v| Claims(v.into_claims())))
    }
}

impl<S, T> FromRequestParts<S> for Token<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        required::<T>(parts, "Token", None).await.map(Token)
    }
}

impl<S, T> OptionalFromRequestParts<S> for Token<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(lookup::<T>(parts, true, "Token", None).await?.map(Token))
    }
}

impl<S, T> FromRequestParts<S> for StateClaims<T>
where
    Guard: FromRef<S>,
    S: Send + Sync,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let guard = Guard::from_ref(state);
        required::<T>(parts, "StateClaims", Some(&guard)).await.map(|v| StateClaims(v.into_claims()))
    }
}

impl<S, T> OptionalFromRequestParts<S> for StateClaims<T>
where
    Guard: FromRef<S>,
    S: Send + Sync,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let guard = Guard::from_ref(state);
        Ok(lookup::<T>(parts, true, "StateClaims", Some(&guard)).await?.map(|v| StateClaims(v.into_claims())))
    }
}
