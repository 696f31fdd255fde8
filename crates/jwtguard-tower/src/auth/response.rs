//! Turning a rejection into a response: the body types it can be written into, the default
//! rendering (RFC 6750, or gRPC status headers for gRPC requests), and custom closures.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use jwtguard_core::{Error, Guard, Rejection};

/// A response body a rejection can be written into.
///
/// Implemented for axum's body (feature `axum`), tonic's body (feature `tonic`) and
/// `http_body_util::Full<Bytes>`; implement it for your own body type to use another.
///
/// ```
/// use bytes::Bytes;
///
/// #[derive(Default)]
/// struct MyBody(Bytes);
///
/// impl jwtguard_tower::RejectionBody for MyBody {
///     fn empty() -> Self { MyBody::default() }
///     fn from_bytes(bytes: Bytes) -> Self { MyBody(bytes) }
/// }
/// ```
pub trait RejectionBody: Sized {
    /// An empty body.
    fn empty() -> Self;
    /// A body holding `bytes`.
    fn from_bytes(bytes: Bytes) -> Self;
}

#[cfg(feature = "axum")]
impl RejectionBody for axum_core::body::Body {
    fn empty() -> Self {
        axum_core::body::Body::empty()
    }
    fn from_bytes(bytes: Bytes) -> Self {
        axum_core::body::Body::from(bytes)
    }
}

#[cfg(feature = "tonic")]
impl RejectionBody for tonic::body::Body {
    fn empty() -> Self {
        tonic::body::Body::default()
    }
    fn from_bytes(bytes: Bytes) -> Self {
        tonic::body::Body::new(http_body_util::Full::new(bytes))
    }
}

impl RejectionBody for http_body_util::Full<Bytes> {
    fn empty() -> Self {
        http_body_util::Full::default()
    }
    fn from_bytes(bytes: Bytes) -> Self {
        http_body_util::Full::new(bytes)
    }
}

/// Builds the response for a rejected request. The [`Error`] is also put in the response's
/// extensions, so an outer layer can log why a request was refused without parsing headers.
///
/// Implemented by [`DefaultRejection`] and by every `Fn(&Error) -> Response<B> + Clone`.
///
/// ```
/// use axum::body::Body;
/// use http::Response;
/// use jwtguard_core::{Error, Guard};
/// use jwtguard_tower::{DefaultRejection, OnRejection};
///
/// /// The default answer plus a header of our own.
/// #[derive(Clone)]
/// struct Tagged;
///
/// impl OnRejection<Body> for Tagged {
///     fn on_rejection(&self, error: &Error, guard: &Guard, grpc: bool) -> Response<Body> {
///         let mut res: Response<Body> = DefaultRejection.on_rejection(error, guard, grpc);
///         res.headers_mut().insert("x-auth", http::HeaderValue::from_static("jwtguard"));
///         res
///     }
/// }
/// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
/// let layer = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator).on_rejection(Tagged);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub trait OnRejection<B>: Clone {
    /// The response for `error`. `guard` holds the realm and body format; `grpc` says whether the
    /// request was a gRPC call.
    fn on_rejection(&self, error: &Error, guard: &Guard, grpc: bool) -> Response<B>;
}

/// The default: the core's RFC 6750 answer, or for a gRPC request a trailers-only response with
/// `grpc-status` 16 (`UNAUTHENTICATED`), 7 (`PERMISSION_DENIED`) or 14 (`UNAVAILABLE`).
///
/// ```
/// use axum::body::Body;
/// use jwtguard_core::{Error, ErrorKind, Guard};
/// use jwtguard_tower::{DefaultRejection, OnRejection};
/// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
/// let res: http::Response<Body> = DefaultRejection.on_rejection(&Error::new(ErrorKind::Expired), &Guard::new(validator), false);
/// assert_eq!(res.status(), 401);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRejection;

impl<B: RejectionBody> OnRejection<B> for DefaultRejection {
    fn on_rejection(&self, error: &Error, guard: &Guard, grpc: bool) -> Response<B> {
        let mut res = render(guard.reject(error), grpc);
        res.extensions_mut().insert(error.clone());
        res
    }
}

impl<B, F> OnRejection<B> for F
where
    F: Fn(&Error) -> Response<B> + Clone,
{
    fn on_rejection(&self, error: &Error, _guard: &Guard, _grpc: bool) -> Response<B> {
        let mut res = self(error);
        res.extensions_mut().insert(error.clone());
        res
    }
}

/// Renders a core [`Rejection`] as an `http` response.
pub(crate) fn render<B: RejectionBody>(rejection: Rejection, grpc: bool) -> Response<B> {
    let bearer = rejection.bearer();
    let retry_after = rejection.retry_after();
    let (status, www_authenticate, content_type, body) = rejection.into_parts();
    let mut res = if grpc {
        let mut res = Response::new(B::empty());
        let h = res.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        h.insert("grpc-status", HeaderValue::from(u16::from(bearer.grpc_code())));
        let message: String = bearer.description().replace(' ', "%20");
        if let Ok(v) = HeaderValue::from_str(&message) {
            h.insert("grpc-message", v);
        }
        res
    } else {
        let mut res = Response::new(if body.is_empty() { B::empty() } else { B::from_bytes(Bytes::from(body)) });
        *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
        if let Some(ct) = content_type {
            res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        res
    };
    if let Some(v) = www_authenticate.and_then(|v| HeaderValue::from_str(&v).ok()) {
        res.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    if let Some(secs) = retry_after.filter(|_| !grpc) {
        res.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}
