//! Turning a rejection into a response: the body types it can be written into, the default
//! rendering (RFC 6750, or gRPC status headers for gRPC requests), and custom closures.

use bytes::Bytes;
use http::Response;
use jwtguard_core::Error;
use jwtguard_core::pipeline::Reject;

use crate::head::render;

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

/// Builds the response for a rejected request. Implemented by [`DefaultRejection`] (the core's
/// RFC 6750 answer, or gRPC status headers for a gRPC request) and by every
/// `Fn(&Error) -> Response<B>`. The [`Error`] is also put in the response's extensions.
///
/// ```
/// use http::Response;
/// use jwtguard_core::pipeline::Reject;
/// use jwtguard_tower::{DefaultRejection, OnRejection};
///
/// /// The default answer plus a header of our own.
/// #[derive(Clone)]
/// struct Tagged;
///
/// impl OnRejection<axum::body::Body> for Tagged {
///     fn on_rejection(&self, reject: Reject) -> Response<axum::body::Body> {
///         let mut res = DefaultRejection.on_rejection(reject);
///         res.headers_mut().insert("x-auth", http::HeaderValue::from_static("jwtguard"));
///         res
///     }
/// }
/// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
/// let layer = jwtguard_tower::JwtAuthLayer::<serde_json::Value>::new(validator).on_rejection(Tagged);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
pub trait OnRejection<B>: Clone {
    /// The response for the core's decision `reject` (its error and its rendered answer).
    fn on_rejection(&self, reject: Reject) -> Response<B>;
}

/// The core's answer, as it rendered it: the same bytes `jwtguard-actix` sends.
///
/// ```
/// # struct Req;
/// # impl jwtguard_core::RequestHead for Req {
/// #     fn header_values<'a>(&'a self, _: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> { std::iter::empty() }
/// #     fn query(&self) -> Option<&str> { None }
/// # }
/// use jwtguard_core::pipeline::Reject;
/// use jwtguard_core::{Error, ErrorKind};
/// use jwtguard_tower::{DefaultRejection, OnRejection};
/// let res: http::Response<axum::body::Body> = DefaultRejection.on_rejection(Reject::new(Error::new(ErrorKind::Expired), None, None, &Req));
/// assert_eq!(res.status(), 401);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRejection;

impl<B: RejectionBody> OnRejection<B> for DefaultRejection {
    fn on_rejection(&self, reject: Reject) -> Response<B> {
        render(reject.rejection(), reject.error())
    }
}

impl<B, F> OnRejection<B> for F
where
    F: Fn(&Error) -> Response<B> + Clone,
{
    fn on_rejection(&self, reject: Reject) -> Response<B> {
        let mut res = self(reject.error());
        res.extensions_mut().insert(reject.error().clone());
        res
    }
}
