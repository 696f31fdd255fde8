//! The whole decision for one request, made once for every framework: pass (with the verified
//! token, or anonymous in optional mode), reject (with the error and the rendered answer), or
//! refetch the keys and decide again. A framework integration reads the request head, calls
//! [`Guard::decide`], and turns the [`Decision`] into its own types; it decides nothing.
//!
//! ```
//! use jwtguard_core::pipeline::{Decision, ExtensionsMut};
//! use jwtguard_core::{Algorithm, Guard, Key, RequestHead, Validator};
//!
//! struct Req(Vec<(&'static str, &'static [u8])>);
//! impl RequestHead for Req {
//!     fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
//!         let v: Vec<&'a [u8]> = self.0.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v).collect();
//!         v.into_iter()
//!     }
//!     fn query(&self) -> Option<&str> { None }
//! }
//!
//! let guard = Guard::new(Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256]).build()?);
//! match guard.decide::<serde_json::Value, _>(&Req(vec![])) {
//!     Decision::Reject(reject) => assert_eq!(reject.rejection().status(), 401),
//!     Decision::Pass(_) | Decision::Refetch => unreachable!("no token was sent"),
//! }
//! # Ok::<_, jwtguard_core::ConfigError>(())
//! ```

use serde::de::DeserializeOwned;

use crate::{Error, Guard, Rejection, RequestHead, Verified};

/// Put in the request extensions by every auth middleware, so extractors can tell "anonymous
/// in optional mode" from "no middleware at all".
///
/// ```
/// let _mark = jwtguard_core::pipeline::MiddlewareRan;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MiddlewareRan;

/// Read access to a request's extensions, implemented by each framework for its own map.
///
/// ```
/// use std::any::Any;
/// use std::collections::HashMap;
/// struct Map(HashMap<std::any::TypeId, Box<dyn Any + Send + Sync>>);
/// impl jwtguard_core::pipeline::Extensions for Map {
///     fn get<V: Send + Sync + 'static>(&self) -> Option<&V> {
///         self.0.get(&std::any::TypeId::of::<V>()).and_then(|b| b.downcast_ref())
///     }
/// }
/// ```
pub trait Extensions {
    /// The value of type `V`, if one was inserted.
    fn get<V: Send + Sync + 'static>(&self) -> Option<&V>;
}

/// Write access to a request's extensions, implemented by each framework for its own map.
///
/// ```
/// struct Count(usize);
/// impl jwtguard_core::pipeline::ExtensionsMut for Count {
///     fn insert<V: Clone + Send + Sync + 'static>(&mut self, _value: V) { self.0 += 1; }
/// }
/// ```
pub trait ExtensionsMut {
    /// Inserts `value`, replacing any value of its type.
    fn insert<V: Clone + Send + Sync + 'static>(&mut self, value: V);
}

/// What the core decided about one request.
#[derive(Debug)]
pub enum Decision<T> {
    /// Call the service, after [`Guard::header_action`] and [`Pass::store`] on the request.
    Pass(Pass<T>),
    /// Answer at once, without calling the service.
    Reject(Reject),
    /// The token names a key a remote key set lacks: call [`Guard::decide_after_refetch`],
    /// which waits for the (shared, rate-limited) refetch and decides for good.
    Refetch,
}

/// A request that goes on: its verified token, or none in optional mode.
#[derive(Debug)]
pub struct Pass<T> {
    verified: Option<Verified<T>>,
    guard: Guard,
}

impl<T: Clone + Send + Sync + 'static> Pass<T> {
    /// The verified token, `None` for an anonymous request in optional mode.
    ///
    /// ```
    /// # use jwtguard_core::pipeline::Decision;
    /// # fn demo(decision: Decision<serde_json::Value>) {
    /// if let Decision::Pass(pass) = decision {
    ///     println!("authenticated: {}", pass.verified().is_some());
    /// }
    /// # }
    /// ```
    pub fn verified(&self) -> Option<&Verified<T>> {
        self.verified.as_ref()
    }

    /// The guard that decided: its [`Guard::header_action`] says what to do with the
    /// credential headers.
    ///
    /// ```
    /// # use jwtguard_core::pipeline::Decision;
    /// # fn demo(decision: Decision<serde_json::Value>) {
    /// if let Decision::Pass(pass) = decision {
    ///     assert!(pass.guard().removed_headers().count() <= 1);
    /// }
    /// # }
    /// ```
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// Stores what handlers, extractors and requirement layers read: the `Verified<T>` and its
    /// [`TokenInfo`](crate::TokenInfo) (when a token was verified), the [`Guard`], and
    /// [`MiddlewareRan`].
    ///
    /// ```
    /// # use jwtguard_core::pipeline::{Decision, ExtensionsMut};
    /// struct Count(usize);
    /// impl ExtensionsMut for Count {
    ///     fn insert<V: Clone + Send + Sync + 'static>(&mut self, _value: V) { self.0 += 1; }
    /// }
    /// # fn demo(decision: Decision<serde_json::Value>) {
    /// if let Decision::Pass(pass) = decision {
    ///     let mut ext = Count(0);
    ///     pass.store(&mut ext);
    /// }
    /// # }
    /// ```
    pub fn store<E: ExtensionsMut + ?Sized>(self, ext: &mut E) {
        if let Some(verified) = self.verified {
            ext.insert(verified.info().clone());
            ext.insert(verified);
        }
        ext.insert(self.guard);
        ext.insert(MiddlewareRan);
    }
}

/// A refused request: why, and the RFC 6750 (or gRPC) answer to send.
#[derive(Debug, Clone)]
pub struct Reject {
    error: Error,
    rejection: Rejection,
}

impl Reject {
    /// The answer to `error` rendered by `guard` for `req` (in gRPC form for a gRPC request).
    ///
    /// ```
    /// # struct Req;
    /// # impl jwtguard_core::RequestHead for Req {
    /// #     fn header_values<'a>(&'a self, _: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> { std::iter::empty() }
    /// #     fn query(&self) -> Option<&str> { None }
    /// # }
    /// use jwtguard_core::pipeline::Reject;
    /// use jwtguard_core::{Error, ErrorKind};
    /// let reject = Reject::new(Error::new(ErrorKind::Expired), None, None, &Req);
    /// assert_eq!(reject.rejection().status(), 401);
    /// ```
    pub fn new<R: RequestHead>(error: Error, guard: Option<&Guard>, scope: Option<&str>, req: &R) -> Self {
        let rejection = match guard {
            Some(guard) => guard.reject_with_scope(&error, scope),
            None => crate::Challenge::default().respond_with_scope(&error, scope),
        };
        let rejection = if is_grpc(req) { rejection.into_grpc() } else { rejection };
        Reject { error, rejection }
    }

    /// Why the request was refused.
    ///
    /// ```
    /// # use jwtguard_core::pipeline::Reject;
    /// # use jwtguard_core::{Error, ErrorKind};
    /// # struct Req;
    /// # impl jwtguard_core::RequestHead for Req {
    /// #     fn header_values<'a>(&'a self, _: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> { std::iter::empty() }
    /// #     fn query(&self) -> Option<&str> { None }
    /// # }
    /// let reject = Reject::new(Error::new(ErrorKind::Missing), None, None, &Req);
    /// assert_eq!(reject.error().kind(), ErrorKind::Missing);
    /// ```
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The answer to send.
    ///
    /// ```
    /// # use jwtguard_core::pipeline::Reject;
    /// # use jwtguard_core::{Error, ErrorKind};
    /// # struct Req;
    /// # impl jwtguard_core::RequestHead for Req {
    /// #     fn header_values<'a>(&'a self, _: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> { std::iter::empty() }
    /// #     fn query(&self) -> Option<&str> { None }
    /// # }
    /// let reject = Reject::new(Error::new(ErrorKind::Missing), None, None, &Req);
    /// assert_eq!(reject.rejection().www_authenticate(), Some(r#"Bearer realm="api""#));
    /// ```
    pub fn rejection(&self) -> &Rejection {
        &self.rejection
    }

    /// The error and the answer.
    ///
    /// ```
    /// # use jwtguard_core::pipeline::Reject;
    /// # use jwtguard_core::{Error, ErrorKind};
    /// # struct Req;
    /// # impl jwtguard_core::RequestHead for Req {
    /// #     fn header_values<'a>(&'a self, _: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> { std::iter::empty() }
    /// #     fn query(&self) -> Option<&str> { None }
    /// # }
    /// let (error, rejection) = Reject::new(Error::new(ErrorKind::Missing), None, None, &Req).into_parts();
    /// assert_eq!((error.kind(), rejection.status()), (ErrorKind::Missing, 401));
    /// ```
    pub fn into_parts(self) -> (Error, Rejection) {
        (self.error, self.rejection)
    }
}

/// Metrics, the outcome and error kind on the current span, and a DEBUG event. Nothing of the
/// refused token (its `kid`, `iss` or claims are unverified, chosen by the client) is recorded.
fn observe_reject(error: &Error) {
    crate::telemetry::request(Some(error.kind()), false);
    let span = tracing::Span::current();
    span.record("jwtguard.outcome", "denied");
    span.record("jwtguard.error", error.kind().as_str());
    tracing::debug!(target: "jwtguard", error = error.kind().as_str(), "request rejected");
}

/// A gRPC request (tonic) is answered with `grpc-status` rather than an HTTP error: only where
/// the server serves gRPC, and only for gRPC's own content types (`application/grpc`, or with a
/// `+codec` suffix; not gRPC-Web, whose clients read HTTP statuses).
fn is_grpc<R: RequestHead>(req: &R) -> bool {
    req.serves_grpc()
        && req.header_values("content-type").next().is_some_and(|v| {
            let v = v.split(|b| *b == b';').next().unwrap_or_default().trim_ascii();
            v.eq_ignore_ascii_case(b"application/grpc")
                || v.get(..17).is_some_and(|p| p.eq_ignore_ascii_case(b"application/grpc+"))
        })
}

/// What to do with a request header once the request passes.
///
/// ```
/// use jwtguard_core::pipeline::HeaderAction;
/// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
/// let guard = jwtguard_core::Guard::new(validator);
/// assert_eq!(guard.header_action("authorization"), HeaderAction::MarkSensitive);
/// assert_eq!(guard.strip_token(true).header_action("authorization"), HeaderAction::Remove);
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderAction {
    /// Not a credential: leave it.
    Keep,
    /// A credential the service may read: mark it sensitive, so `Debug` and HPACK keep it out
    /// of logs and tables.
    MarkSensitive,
    /// A credential the service must not see (`strip_token`): remove it.
    Remove,
}

impl Guard {
    /// Decides `req`. Never waits: when the token names a key a remote key set lacks, it answers
    /// [`Decision::Refetch`].
    ///
    /// ```
    /// # struct Req;
    /// # impl jwtguard_core::RequestHead for Req {
    /// #     fn header_values<'a>(&'a self, _: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> { std::iter::empty() }
    /// #     fn query(&self) -> Option<&str> { None }
    /// # }
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// use jwtguard_core::pipeline::Decision;
    /// let guard = jwtguard_core::Guard::new(validator).optional(true);
    /// assert!(matches!(guard.decide::<serde_json::Value, _>(&Req), Decision::Pass(p) if p.verified().is_none()));
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn decide<T, R>(&self, req: &R) -> Decision<T>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
        R: RequestHead,
    {
        match self.authenticate_with::<T, crate::verify::Keep, R>(req) {
            Err(error) if self.validator().needs_refetch(&error) => Decision::Refetch,
            result => match self.conclude(result, req) {
                Ok(pass) => Decision::Pass(pass),
                Err(reject) => Decision::Reject(reject),
            },
        }
    }

    /// Decides `req` after waiting for a key refetch (or at once when none is needed or allowed),
    /// for good: pass or reject.
    ///
    /// ```
    /// # struct Req;
    /// # impl jwtguard_core::RequestHead for Req {
    /// #     fn header_values<'a>(&'a self, _: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> { std::iter::empty() }
    /// #     fn query(&self) -> Option<&str> { None }
    /// # }
    /// # async fn demo(guard: jwtguard_core::Guard) {
    /// let decided = guard.decide_after_refetch::<serde_json::Value, _>(&Req).await;
    /// assert!(decided.is_err(), "no token was sent");
    /// # }
    /// ```
    ///
    /// # Errors
    /// The [`Reject`] to answer with.
    pub async fn decide_after_refetch<T: DeserializeOwned, R: RequestHead>(&self, req: &R) -> Result<Pass<T>, Reject> {
        let result = self.authenticate_async::<T, R>(req).await;
        self.conclude(result, req)
    }

    fn conclude<T, R: RequestHead>(
        &self,
        result: Result<Option<Verified<T>>, Error>,
        req: &R,
    ) -> Result<Pass<T>, Reject> {
        match result {
            Ok(verified) => {
                self.observe_pass(verified.as_ref().map(Verified::info));
                Ok(Pass { verified, guard: self.clone() })
            }
            Err(error) => {
                observe_reject(&error);
                Err(Reject::new(error, Some(self), None, req))
            }
        }
    }

    /// Metrics, and the outcome recorded on the current span (the request's, with tower-http's
    /// `TraceLayer` or tracing-actix-web): fields `jwtguard.outcome`, `jwtguard.alg`,
    /// `jwtguard.kid`, `jwtguard.iss`, and `jwtguard.sub` only with
    /// [`Guard::trace_subject`]. A span records only the fields it declared.
    fn observe_pass(&self, info: Option<&crate::TokenInfo>) {
        crate::telemetry::request(None, info.is_some());
        let span = tracing::Span::current();
        let Some(info) = info else {
            span.record("jwtguard.outcome", "anonymous");
            return;
        };
        span.record("jwtguard.outcome", "allowed");
        // An unsigned encrypted token (the opt-in) says so, not `none`, which reads as an unsecured JWS.
        span.record("jwtguard.alg", info.header().alg().map_or("unsigned", |a| a.as_str()));
        if let Some(kid) = info.header().kid() {
            span.record("jwtguard.kid", kid);
        }
        if let Some(iss) = info.registered().iss() {
            span.record("jwtguard.iss", iss);
        }
        if self.traces_subject()
            && let Some(sub) = info.registered().sub()
        {
            span.record("jwtguard.sub", sub);
        }
    }

    /// What to do with the request header `name` (lowercase) when the request passes: the
    /// headers that carry the token are marked sensitive, or removed with `strip_token`.
    ///
    /// ```
    /// use jwtguard_core::pipeline::HeaderAction;
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let guard = jwtguard_core::Guard::new(validator);
    /// assert_eq!(guard.header_action("accept"), HeaderAction::Keep);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn header_action(&self, name: &str) -> HeaderAction {
        if !self.token_sources().header_names().any(|n| n.eq_ignore_ascii_case(name)) {
            HeaderAction::Keep
        } else if self.strips_token() {
            HeaderAction::Remove
        } else {
            HeaderAction::MarkSensitive
        }
    }

    /// The headers [`Guard::header_action`] answers [`HeaderAction::Remove`] for: none unless
    /// the guard strips the token.
    ///
    /// ```
    /// # let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
    /// let guard = jwtguard_core::Guard::new(validator);
    /// assert_eq!(guard.removed_headers().count(), 0);
    /// assert_eq!(guard.strip_token(true).removed_headers().collect::<Vec<_>>(), ["authorization"]);
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    pub fn removed_headers(&self) -> impl Iterator<Item = &str> {
        self.token_sources().header_names().filter(|_| self.strips_token())
    }
}
