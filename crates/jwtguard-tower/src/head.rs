//! The bridge between `http` types and the core: the request head, the extensions, and the
//! core's answer written into a response. Translation only; every decision is the core's.

use bytes::Bytes;
use http::header::HeaderValue;
use http::{HeaderMap, Response, StatusCode, Uri};
use jwtguard_core::pipeline::{self, HeaderAction};
use jwtguard_core::{Error, Guard, Rejection, RequestHead};

use crate::RejectionBody;

/// Borrowed headers and URI of an `http` request.
pub(crate) struct Head<'a> {
    pub(crate) headers: &'a HeaderMap,
    pub(crate) uri: &'a Uri,
}

impl<'h> RequestHead for Head<'h> {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a, 'h> {
        self.headers.get_all(name).into_iter().map(http::HeaderValue::as_bytes)
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    /// A tower service may be a tonic server.
    fn serves_grpc(&self) -> bool {
        true
    }
}

/// `http::Extensions` as the core reads them.
pub(crate) struct Ext<'a>(pub(crate) &'a http::Extensions);

impl pipeline::Extensions for Ext<'_> {
    fn get<V: Send + Sync + 'static>(&self) -> Option<&V> {
        self.0.get::<V>()
    }
}

/// `http::Extensions` as the core fills them.
pub(crate) struct ExtMut<'a>(pub(crate) &'a mut http::Extensions);

impl pipeline::ExtensionsMut for ExtMut<'_> {
    fn insert<V: Clone + Send + Sync + 'static>(&mut self, value: V) {
        self.0.insert(value);
    }
}

/// Applies the guard's [`HeaderAction`] to the credential headers, allocating nothing.
pub(crate) fn protect_headers(headers: &mut HeaderMap, guard: &Guard) {
    for (name, value) in headers.iter_mut() {
        if guard.header_action(name.as_str()) == HeaderAction::MarkSensitive {
            value.set_sensitive(true);
        }
    }
    for name in guard.removed_headers() {
        headers.remove(name);
    }
}

/// The core's answer as an `http` response, with the error in its extensions.
pub(crate) fn render<B: RejectionBody>(rejection: &Rejection, error: &Error) -> Response<B> {
    let body =
        if rejection.body().is_empty() { B::empty() } else { B::from_bytes(Bytes::copy_from_slice(rejection.body())) };
    let mut res = Response::new(body);
    *res.status_mut() = StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    for (name, value) in rejection.headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(name, value);
        }
    }
    res.extensions_mut().insert(error.clone());
    res
}
