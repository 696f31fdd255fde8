//! The bridge between actix requests and the core: [`RequestHead`] and response rendering.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use jwtguard_core::{Error, Rejection, RequestHead};

/// Borrowed headers and query string of an actix request.
pub(crate) struct Head<'a> {
    pub(crate) headers: &'a HeaderMap,
    pub(crate) query: &'a str,
}

impl<'h> RequestHead for Head<'h> {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a, 'h> {
        self.headers.get_all(name).map(HeaderValue::as_bytes)
    }

    fn query(&self) -> Option<&str> {
        (!self.query.is_empty()).then_some(self.query)
    }
}

/// Renders a core [`Rejection`] exactly as `jwtguard-tower` does, and records the error in the
/// response extensions.
pub(crate) fn render(rejection: Rejection, error: &Error) -> HttpResponse {
    let retry_after = rejection.retry_after();
    let (status, www_authenticate, content_type, body) = rejection.into_parts();
    let mut res = HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED));
    if let Some(v) = www_authenticate.and_then(|v| HeaderValue::from_str(&v).ok()) {
        res.insert_header((WWW_AUTHENTICATE, v));
    }
    if let Some(ct) = content_type {
        res.insert_header((CONTENT_TYPE, ct));
    }
    if let Some(secs) = retry_after {
        res.insert_header((RETRY_AFTER, secs.to_string()));
    }
    let mut res = res.body(body);
    res.extensions_mut().insert(error.clone());
    res
}
