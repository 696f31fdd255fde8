use std::fmt;
use std::task::{Context, Poll};

use http::{Request, Response};
use jwtguard_core::Verified;
use serde::de::DeserializeOwned;
use tower_service::Service;

use super::future::ResponseFuture;
use super::layer::JwtAuthLayer;
use super::response::{OnRejection, RejectionBody};
use crate::head::{Head, is_grpc};

/// Marks a request the auth layer has seen, so extractors can tell "anonymous in optional mode"
/// from "no layer at all".
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerRan;

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
        let guard = &self.layer.guard;
        let head = Head { headers: req.headers(), uri: req.uri() };
        let verified = match guard.authenticate::<T, _>(&head) {
            Ok(verified) => verified,
            Err(err) if guard.validator().needs_refresh(&err) => return self.call_after_refresh(req),
            Err(err) => {
                let grpc = is_grpc(req.headers());
                return ResponseFuture::rejected(self.layer.on_rejection.on_rejection(&err, guard, grpc));
            }
        };
        prepare(&mut req, &self.layer, verified);
        ResponseFuture::inner(self.inner.call(req))
    }
}

impl<S, T, R> JwtAuth<S, T, R> {
    /// The slow path: the token names a key a remote key set lacks. Wait for the (shared,
    /// cooldown-gated) refetch, verify again, then call the inner service.
    fn call_after_refresh<ReqBody, ResBody>(&mut self, mut req: Request<ReqBody>) -> ResponseFuture<S::Future, ResBody>
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
        ResponseFuture::refreshing(Box::pin(async move {
            let authenticated = {
                let head = Head { headers: req.headers(), uri: req.uri() };
                layer.guard.authenticate_async::<T, _>(&head).await
            };
            match authenticated {
                Ok(verified) => prepare(&mut req, &layer, verified),
                Err(err) => return Ok(layer.on_rejection.on_rejection(&err, &layer.guard, is_grpc(req.headers()))),
            }
            inner.call(req).await
        }))
    }
}

/// What every authenticated (or anonymous, in optional mode) request gets before the inner
/// service sees it: the verified token, the guard, the mark, protected credentials.
fn prepare<B, T, R>(req: &mut Request<B>, layer: &JwtAuthLayer<T, R>, verified: Option<Verified<T>>)
where
    T: Clone + Send + Sync + 'static,
{
    let ext = req.extensions_mut();
    if let Some(verified) = verified {
        ext.insert(verified.token().clone());
        ext.insert(verified);
    }
    ext.insert(layer.guard.clone());
    ext.insert(LayerRan);
    protect_token(req, layer.strip_token, &layer.guard);
}

/// Marks the credential headers sensitive (so `Debug` and HPACK keep them out of logs and
/// tables), or removes them when stripping; no allocation.
fn protect_token<B>(req: &mut Request<B>, strip: bool, guard: &jwtguard_core::Guard) {
    let sources = guard.token_sources();
    let headers = req.headers_mut();
    if strip {
        sources.header_names().for_each(|name| drop(headers.remove(name)));
        return;
    }
    for (name, value) in headers.iter_mut() {
        if sources.header_names().any(|n| n == name.as_str()) {
            value.set_sensitive(true);
        }
    }
}
