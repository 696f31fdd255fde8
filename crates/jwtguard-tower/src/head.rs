//! The bridge between `http` requests and the core's [`RequestHead`].

use http::{HeaderMap, Uri};
use jwtguard_core::RequestHead;

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
}

/// `true` for a gRPC request (`content-type: application/grpc...`).
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers.get(http::header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}
