//! actix extractors: [`Claims<T>`], [`OptionalClaims<T>`] and [`Token<T>`].
//!
//! Behind [`JwtAuth`](crate::JwtAuth) they read what the middleware verified. On a route
//! without it they verify by themselves when a [`Guard`] or a [`Validator`] is in `app_data`
//! (plain or in `web::Data`); with neither they answer `500` naming what is missing.
//!
//! Use [`OptionalClaims<T>`] rather than `Option<Claims<T>>` where no middleware runs: actix's
//! `Option<E>` turns every extraction error into `None`, so a bad token would pass as anonymous.
//! Behind the middleware both are safe, since the middleware already rejected bad tokens.

use futures_util::future::LocalBoxFuture;
use std::fmt;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use jwtguard_core::extract::{ExtractError, Found, Hints, extract_async};
use jwtguard_core::{Error, Guard, Validator, Verified};
use serde::de::DeserializeOwned;

use crate::head::{Ext, Head, render};

/// The verified claims of the request's token.
///
/// ```
/// use actix_web::{Responder, web};
/// use jwtguard_actix::Claims;
///
/// #[derive(Clone, serde::Deserialize, serde::Serialize)]
/// struct MyClaims { sub: String }
///
/// async fn me(Claims(c): Claims<MyClaims>) -> impl Responder { web::Json(c) }
/// ```
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims<T>(pub T);

impl<T> Claims<T> {
    /// The claims.
    ///
    /// ```
    /// let claims = jwtguard_actix::Claims(42);
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

/// The claims when a token was sent, `None` when none was; a bad token is still rejected.
///
/// ```
/// use jwtguard_actix::OptionalClaims;
///
/// async fn feed(OptionalClaims(c): OptionalClaims<serde_json::Value>) -> String {
///     c.map_or("hello, stranger".into(), |c| format!("hello, {}", c["sub"]))
/// }
/// ```
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionalClaims<T>(pub Option<T>);

/// The whole verified token: typed claims, registered claims and header.
///
/// ```
/// use jwtguard_actix::Token;
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
    /// async fn handler(token: jwtguard_actix::Token<serde_json::Value>) -> String {
    ///     token.into_inner().into_claims().to_string()
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

/// Why `Claims<T>`, `OptionalClaims<T>` or `Token<T>` could not be extracted. Its
/// `error_response` is the core's RFC 6750 answer (with `WWW-Authenticate`), or a 500 naming the
/// missing middleware.
///
/// ```
/// use actix_web::{HttpResponse, ResponseError};
/// use jwtguard_actix::{Claims, ClaimsRejection};
///
/// // Handle the rejection yourself by extracting a Result.
/// async fn handler(claims: Result<Claims<serde_json::Value>, ClaimsRejection>) -> HttpResponse {
///     match claims {
///         Ok(Claims(c)) => HttpResponse::Ok().body(c.to_string()),
///         Err(rejection) => rejection.error_response(),
///     }
/// }
/// ```
pub struct ClaimsRejection {
    inner: ExtractError,
}

impl ClaimsRejection {
    /// The authentication error, or `None` when the extractor was used without the middleware.
    ///
    /// ```
    /// async fn handler(claims: Result<jwtguard_actix::Claims<serde_json::Value>, jwtguard_actix::ClaimsRejection>) -> String {
    ///     match claims {
    ///         Ok(_) => "in".into(),
    ///         Err(r) => r.error().map_or("no middleware".into(), |e| e.kind().as_str().to_owned()),
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

impl ResponseError for ClaimsRejection {
    fn status_code(&self) -> StatusCode {
        match &self.inner {
            ExtractError::Auth(reject) => {
                StatusCode::from_u16(reject.rejection().status()).unwrap_or(StatusCode::UNAUTHORIZED)
            }
            ExtractError::NotFound { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match &self.inner {
            ExtractError::Auth(reject) => render(reject.rejection(), reject.error()),
            ExtractError::NotFound { .. } => HttpResponse::InternalServerError().body(self.to_string()),
        }
    }
}

const HINTS: Hints = Hints {
    missing: "is JwtAuth installed (.wrap(JwtAuth::new(..))) or a Guard in app_data?",
    other_claims_type: "the JwtAuth middleware on this route verifies another claims type",
};

/// The lookup behind every extractor; the decision is the core's
/// ([`extract_async`]), shared with tower.
async fn lookup<T>(
    req: &HttpRequest,
    optional: bool,
    what: &'static str,
) -> Result<Option<Verified<T>>, ClaimsRejection>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    // A guard the app provided in app_data, for routes without the middleware.
    let provided: Option<Guard> = req
        .app_data::<Guard>()
        .cloned()
        .or_else(|| req.app_data::<web::Data<Guard>>().map(|g| g.get_ref().clone()))
        .or_else(|| req.app_data::<Validator>().cloned().map(Guard::new))
        .or_else(|| req.app_data::<web::Data<Validator>>().map(|v| Guard::new(v.get_ref().clone())));
    // What the middleware left, taken out of the extensions before anything awaits (another
    // extractor may borrow them mutably meanwhile).
    let (verified, middleware_ran, other_claims_type, guard) = {
        let ext = req.extensions();
        let ext = Ext(&ext);
        let found = Found::<T>::in_extensions(&ext, provided.as_ref());
        (found.verified, found.middleware_ran, found.other_claims_type, found.guard.cloned())
    };
    let found = Found { verified, middleware_ran, other_claims_type, guard: guard.as_ref() };
    let head = Head { headers: req.headers(), query: req.query_string() };
    extract_async(found, &head, optional, what, HINTS).await.map_err(|inner| ClaimsRejection { inner })
}

async fn required<T>(req: &HttpRequest, what: &'static str) -> Result<Verified<T>, ClaimsRejection>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    lookup::<T>(req, false, what)
        .await?
        .ok_or_else(|| ClaimsRejection { inner: ExtractError::not_found::<T>(what, HINTS.missing) })
}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> FromRequest for Claims<T> {
    type Error = ClaimsRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { required::<T>(&req, "Claims").await.map(|v| Claims(v.into_claims())) })
    }
}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> FromRequest for OptionalClaims<T> {
    type Error = ClaimsRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            lookup::<T>(&req, true, "OptionalClaims").await.map(|v| OptionalClaims(v.map(Verified::into_claims)))
        })
    }
}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> FromRequest for Token<T> {
    type Error = ClaimsRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { required::<T>(&req, "Token").await.map(Token) })
    }
}
