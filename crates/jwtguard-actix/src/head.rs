//! The bridge between actix types and the core: the request head, the extensions, and the
//! core's answer written into a response. Translation only; every decision is the core's.

use actix_web::HttpResponse;
use actix_web::dev::{Extensions, ServiceRequest};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use jwtguard_core::pipeline::{self, HeaderAction};
use jwtguard_core::{Error, Guard, Rejection, RequestHead};

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

/// actix's extensions as the core reads them.
pub(crate) struct Ext<'a>(pub(crate) &'a Extensions);

impl pipeline::Extensions for Ext<'_> {
    fn get<V: Send + Sync + 'static>(&self) -> Option<&V> {
        self.0.get::<V>()
    }
}

/// actix's extensions as the core fills them.
pub(crate) struct ExtMut<'a>(pub(crate) &'a mut Extensions);

impl pipeline::ExtensionsMut for ExtMut<'_> {
    fn insert<V: Clone + Send + Sync + 'static>(&mut self, value: V) {
        self.0.insert(value);
    }
}

/// Applies the guard's [`HeaderAction`] to each header: one pass, no allocation.
pub(crate) fn protect_headers(req: &mut ServiceRequest, guard: &Guard) {
    req.headers_mut().retain(|name: &HeaderName, value: &mut HeaderValue| match guard.header_action(name.as_str()) {
        HeaderAction::Keep => true,
        HeaderAction::MarkSensitive => {
            value.set_sensitive(true);
            true
        }
        HeaderAction::Remove => false,
    });
}

/// The core's answer as an actix response, with the error in its extensions.
pub(crate) fn render(rejection: &Rejection, error: &Error) -> HttpResponse {
    let mut res = HttpResponse::build(StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::UNAUTHORIZED));
    for (name, value) in rejection.headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            res.insert_header((name, value));
        }
    }
    let mut res = res.body(rejection.body().to_vec());
    res.extensions_mut().insert(error.clone());
    res
}
