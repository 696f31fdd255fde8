use std::fmt;
use std::task::{Context, Poll};

use http::{Request, Response};
use jwtguard_core::pipeline::{Decision, Pass};
use serde::de::DeserializeOwned;
use tower_service::Service;

use super::future::ResponseFuture;
use super::layer::JwtAuthLayer;
use super::response::{OnRejection, RejectionBody};
use crate::head::{ExtMut, Head, protect_headers};

/// The service made by [`JwtAuthLayer`].
///
/// ```
/// use tower::{Layer, service_fn};
/// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
/// let svc = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator).layer(service_fn(
///     |_req: http::Request<axum::body::Body>| async { Ok::<_, std::convert::Infallible>(http::Response::new(axum::body::Body::empty())) },
/// ));
/// let inner = svc.into_inner();
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub struct JwtAuth<S, T, R> {
    pub(crate) inner: S,
    pub(crate) layer: JwtAuthLayer<T, R>,
}

impl<S: Clone, T, R: Clone> Clone for JwtAuth<S, T, R> {
    fn clone(&self) -> Self {
        JwtAuth { inner: self.inner.clone(), layer: self.layer.clone() }
    }
}

impl<S: fmt::Debug, T, R> fmt::Debug for JwtAuth<S, T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuth").field("inner", &self.inner).field("layer", &self.layer).finish()
    }
}

impl<S, T, R> JwtAuth<S, T, R> {
    /// The inner service.
    ///
    /// ```
    /// use tower::Layer;
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let svc = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator).layer(7u8);
    /// assert_eq!(*svc.get_ref(), 7);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
    /// The inner service, mutably.
    ///
    /// ```
    /// use tower::Layer;
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let mut svc = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator).layer(7u8);
    /// *svc.get_mut() = 8;
    /// assert_eq!(svc.into_inner(), 8);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }
    /// Consumes the middleware, returning the inner service.
    ///
    /// ```
    /// use tower::Layer;
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let svc = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator).layer("inner");
    /// assert_eq!(svc.into_inner(), "inner");
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, T, R, ReqBody, ResBody> Service<Request<ReqBody>> for JwtAuth<S, T, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
    R: OnRejection<ResBody> + Send + Sync + 'static,
    ReqBody: Send + 'static,
    ResBody: RejectionBody + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let decision = self.layer.guard.decide::<T, _>(&Head { headers: req.headers(), uri: req.uri() });
        match decision {
            Decision::Pass(pass) => {
                admit(&mut req, pass);
                ResponseFuture::inner(self.inner.call(req))
            }
            Decision::Reject(reject) => ResponseFuture::rejected(self.layer.on_rejection.on_rejection(reject)),
            Decision::Refetch => self.call_after_refetch(req),
        }
    }
}

impl<S, T, R> JwtAuth<S, T, R> {
    /// The slow path: the token names a key a remote key set lacks. Wait for the (shared,
    /// cooldown-gated) refetch, decide again, then call the inner service.
    fn call_after_refetch<ReqBody, ResBody>(&mut self, mut req: Request<ReqBody>) -> ResponseFuture<S::Future, ResBody>
    where
        S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        T: DeserializeOwned + Clone + Send + Sync + 'static,
        R: OnRejection<ResBody> + Send + Sync + 'static,
        ReqBody: Send + 'static,
        ResBody: RejectionBody + Send + 'static,
    {
        // `poll_ready` made *this* instance ready, so it must serve the request; a clone takes
        // its place for the next call (the tower contract for services called from a future).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        ResponseFuture::refetching(Box::pin(async move {
            let decision = {
                let head = Head { headers: req.headers(), uri: req.uri() };
                layer.guard.decide_after_refetch::<T, _>(&head).await
            };
            match decision {
                Ok(pass) => admit(&mut req, pass),
                Err(reject) => return Ok(layer.on_rejection.on_rejection(reject)),
            }
            inner.call(req).await
        }))
    }
}

/// What the core says a passing request gets: its extensions, and its credential headers
/// marked or removed.
fn admit<B, T: Clone + Send + Sync + 'static>(req: &mut Request<B>, pass: Pass<T>) {
    protect_headers(req.headers_mut(), pass.guard());
    pass.store(&mut ExtMut(req.extensions_mut()));
}
