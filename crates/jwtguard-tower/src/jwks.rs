//! Serving a [`TokenIssuer`]'s public keys at `/.well-known/jwks.json`.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};

use http::header::HeaderValue;
use http::{Request, Response};
use jwtguard_core::issuer::{JWKS_HEADERS, TokenIssuer};
use tower_service::Service;

use crate::RejectionBody;

/// A service answering every request with the issuer's JWKS (`application/jwk-set+json`,
/// cacheable for 5 minutes, shorter than any sensible rotation notice).
///
/// ```
/// use axum::Router;
/// use jwtguard_core::issuer::{SigningKey, TokenIssuer};
/// use jwtguard_tower::JwksService;
///
/// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example").build()?;
/// let app: Router = Router::new().route_service("/.well-known/jwks.json", JwksService::new(issuer));
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct JwksService {
    issuer: TokenIssuer,
}

impl JwksService {
    /// Serves `issuer`'s keys.
    ///
    /// ```
    /// use jwtguard_core::issuer::{SigningKey, TokenIssuer};
    /// use tower::ServiceExt;
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let issuer = TokenIssuer::builder(SigningKey::generate_ed25519("k1")?).issuer("https://auth.example").build()?;
    /// let res = jwtguard_tower::JwksService::new(issuer).oneshot(http::Request::new(())).await?;
    /// assert_eq!(res.headers()["content-type"], "application/jwk-set+json");
    /// # Ok(()) }
    /// ```
    pub fn new(issuer: TokenIssuer) -> Self {
        JwksService { issuer }
    }
}

impl<B> Service<Request<B>> for JwksService {
    type Response = Response<axum_core::body::Body>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        let body = self.issuer.jwks().to_string();
        let mut res = Response::new(<axum_core::body::Body as RejectionBody>::from_bytes(body.into()));
        for (name, value) in JWKS_HEADERS {
            res.headers_mut().insert(name, HeaderValue::from_static(value));
        }
        ready(Ok(res))
    }
}
