use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;
use pin_project_lite::pin_project;

use super::response::RejectionBody;

/// A boxed future, used only when verification has to wait for a key refetch.
pub(crate) type Refetch<O> = Pin<Box<dyn Future<Output = O> + Send>>;

pin_project! {
    /// The response future of [`JwtAuth`](super::JwtAuth): the inner service's, a rejection that
    /// is ready at once, or (only when a remote key set must refetch) a boxed wait followed by
    /// the inner service.
    ///
    /// ```
    /// use tower::{Layer, Service, service_fn};
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let mut svc = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator).layer(service_fn(
    ///     |_req: http::Request<axum::body::Body>| async { Ok::<_, std::convert::Infallible>(http::Response::new(axum::body::Body::empty())) },
    /// ));
    /// let future = svc.call(http::Request::new(axum::body::Body::empty())); // a ResponseFuture
    /// assert_eq!(future.await?.status(), 401);
    /// # Ok(()) }
    /// ```
    pub struct ResponseFuture<F: Future, B> {
        #[pin]
        kind: Kind<F, B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F: Future, B> {
        Inner { #[pin] fut: F },
        Rejected { response: Option<Response<B>> },
        Refetching { fut: Refetch<F::Output> },
    }
}

impl<F: Future, B> ResponseFuture<F, B> {
    pub(crate) fn inner(fut: F) -> Self {
        ResponseFuture { kind: Kind::Inner { fut } }
    }
    pub(crate) fn rejected(response: Response<B>) -> Self {
        ResponseFuture { kind: Kind::Rejected { response: Some(response) } }
    }
    pub(crate) fn refetching(fut: Refetch<F::Output>) -> Self {
        ResponseFuture { kind: Kind::Refetching { fut } }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: RejectionBody,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { fut } => fut.poll(cx),
            KindProj::Refetching { fut } => fut.as_mut().poll(cx),
            // Polled again after completion: a contract breach by the caller. Answer with an
            // empty 500 rather than panic.
            KindProj::Rejected { response } => Poll::Ready(Ok(response.take().unwrap_or_else(|| {
                let mut r = Response::new(B::empty());
                *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                r
            }))),
        }
    }
}

impl<F: Future, B> std::fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
