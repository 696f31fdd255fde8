//! Authorization after authentication: [`RequireScope`], [`RequireRole`] and [`RequireClaim`].
//!
//! Put them inside a [`JwtAuthLayer`](crate::JwtAuthLayer) (on a route or a nested router). A
//! request without a verified token gets `401`; a token without what is required gets `403`
//! with `error="insufficient_scope"` (and `scope="…"` for scope checks), rendered with the auth
//! layer's realm and body format.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Extensions, Request, Response};
use jwtguard_core::authz::Required;
use jwtguard_core::{Challenge, Error, ErrorKind, Guard, TokenInfo, Verified};
use tower_layer::Layer;
use tower_service::Service;

use crate::auth::{RejectionBody, ResponseFuture, render};
use crate::head::is_grpc;

/// A check on the extensions of an authenticated request.
///
/// ```
/// use http::Extensions;
/// use jwtguard_core::{Error, ErrorKind};
/// use jwtguard_tower::{Require, Requirement};
///
/// /// Lets only requests marked by an earlier layer through.
/// #[derive(Clone)]
/// struct Marked;
/// #[derive(Clone)]
/// struct Mark;
///
/// impl Requirement for Marked {
///     fn check(&self, extensions: &Extensions) -> Result<(), Error> {
///         extensions.get::<Mark>().map(|_| ()).ok_or(Error::new(ErrorKind::InsufficientScope))
///     }
/// }
/// let layer = Require::new(Marked);
/// ```
pub trait Requirement: Clone + Send + Sync + 'static {
    /// `Ok` to let the request through; an error of kind `Missing` (no token) or
    /// `InsufficientScope`.
    ///
    /// # Errors
    /// As above.
    fn check(&self, extensions: &Extensions) -> Result<(), Error>;
    /// The `scope="…"` to name in a 403, if any.
    fn scope(&self) -> Option<&str> {
        None
    }
}

/// A layer that lets a request through only when its [`Requirement`] holds.
///
/// ```
/// use jwtguard_tower::RequireScope;
/// let layer = RequireScope::all(["orders:write"]); // a Require<Required>
/// ```
#[must_use]
#[derive(Clone)]
pub struct Require<Q> {
    requirement: Q,
}

impl<Q> fmt::Debug for Require<Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Require").field("requirement", &std::any::type_name::<Q>()).finish()
    }
}

impl<Q: Requirement> Require<Q> {
    /// A layer enforcing `requirement`.
    ///
    /// ```
    /// use jwtguard_core::authz::Required;
    /// let layer = jwtguard_tower::Require::new(Required::any_roles(["admin", "ops"]));
    /// ```
    pub fn new(requirement: Q) -> Self {
        Require { requirement }
    }
}

impl<S, Q: Clone> Layer<S> for Require<Q> {
    type Service = RequireService<S, Q>;
    fn layer(&self, inner: S) -> Self::Service {
        RequireService { inner, requirement: self.requirement.clone() }
    }
}

/// The service made by [`Require`].
///
/// ```
/// use tower::{Layer, service_fn};
/// let svc = jwtguard_tower::RequireScope::all(["a"]).layer(service_fn(|_req: http::Request<axum::body::Body>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(axum::body::Body::empty()))
/// }));
/// ```
#[derive(Clone)]
pub struct RequireService<S, Q> {
    inner: S,
    requirement: Q,
}

impl<S: fmt::Debug, Q> fmt::Debug for RequireService<S, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireService").field("inner", &self.inner).finish_non_exhaustive()
    }
}

impl<S, Q, ReqBody, ResBody> Service<Request<ReqBody>> for RequireService<S, Q>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    Q: Requirement,
    ResBody: RejectionBody,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        match self.requirement.check(req.extensions()) {
            Ok(()) => ResponseFuture::inner(self.inner.call(req)),
            Err(error) => {
                let rejection = match req.extensions().get::<Guard>() {
                    Some(guard) => guard.reject_with_scope(&error, self.requirement.scope()),
                    None => Challenge::default().respond_with_scope(&error, self.requirement.scope()),
                };
                let mut res = render(rejection, is_grpc(req.headers()));
                res.extensions_mut().insert(error);
                ResponseFuture::rejected(res)
            }
        }
    }
}

/// Requires scopes from the token's `scope` (space-separated) or `scp` claim; a 403 names them
/// in `scope="…"`.
///
/// ```
/// use jwtguard_tower::RequireScope;
/// let write = RequireScope::all(["orders:write"]);
/// let read_or_admin = RequireScope::any(["orders:read", "admin"]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequireScope;

impl RequireScope {
    /// Every one of `scopes` is required.
    ///
    /// ```
    /// let layer = jwtguard_tower::RequireScope::all(["orders:read", "orders:write"]);
    /// ```
    pub fn all(scopes: impl IntoIterator<Item = impl Into<String>>) -> Require<Required> {
        Require::new(Required::all_scopes(scopes))
    }
    /// Any one of `scopes` is enough.
    ///
    /// ```
    /// let layer = jwtguard_tower::RequireScope::any(["orders:read", "admin"]);
    /// ```
    pub fn any(scopes: impl IntoIterator<Item = impl Into<String>>) -> Require<Required> {
        Require::new(Required::any_scopes(scopes))
    }
}

/// Requires roles from the token's `roles` claim.
///
/// ```
/// let admin = jwtguard_tower::RequireRole::any(["admin"]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequireRole;

impl RequireRole {
    /// Every one of `roles` is required.
    ///
    /// ```
    /// let layer = jwtguard_tower::RequireRole::all(["admin", "billing"]);
    /// ```
    pub fn all(roles: impl IntoIterator<Item = impl Into<String>>) -> Require<Required> {
        Require::new(Required::all_roles(roles))
    }
    /// Any one of `roles` is enough.
    ///
    /// ```
    /// let layer = jwtguard_tower::RequireRole::any(["admin", "billing"]);
    /// ```
    pub fn any(roles: impl IntoIterator<Item = impl Into<String>>) -> Require<Required> {
        Require::new(Required::any_roles(roles))
    }
}

impl Requirement for Required {
    fn check(&self, extensions: &Extensions) -> Result<(), Error> {
        Required::check(self, extensions.get::<TokenInfo>())
    }
    fn scope(&self) -> Option<&str> {
        self.scope_param()
    }
}

/// Requires a predicate over the typed claims `T` (the type the auth layer verifies into).
///
/// ```
/// #[derive(Clone, serde::Deserialize)]
/// struct MyClaims { tenant: String }
///
/// let acme_only = jwtguard_tower::RequireClaim::new(|c: &MyClaims| c.tenant == "acme");
/// ```
pub struct RequireClaim<T, F> {
    predicate: Arc<F>,
    _claims: PhantomData<fn() -> T>,
}

impl<T, F> Clone for RequireClaim<T, F> {
    fn clone(&self) -> Self {
        RequireClaim { predicate: self.predicate.clone(), _claims: PhantomData }
    }
}

impl<T, F> fmt::Debug for RequireClaim<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireClaim").field("claims", &std::any::type_name::<T>()).finish_non_exhaustive()
    }
}

impl<T, F> RequireClaim<T, F>
where
    T: Send + Sync + 'static,
    F: Fn(&T) -> bool + Send + Sync + 'static,
{
    /// A layer that requires `predicate` to hold for the verified claims.
    ///
    /// ```
    /// let verified_email = jwtguard_tower::RequireClaim::new(|c: &serde_json::Value| c["email_verified"] == true);
    /// ```
    #[allow(clippy::new_ret_no_self)]
    pub fn new(predicate: F) -> Require<RequireClaim<T, F>> {
        Require::new(RequireClaim { predicate: Arc::new(predicate), _claims: PhantomData })
    }
}

impl<T, F> Requirement for RequireClaim<T, F>
where
    T: Send + Sync + 'static,
    F: Fn(&T) -> bool + Send + Sync + 'static,
{
    fn check(&self, extensions: &Extensions) -> Result<(), Error> {
        match extensions.get::<Verified<T>>() {
            Some(v) if (self.predicate)(v.claims()) => Ok(()),
            Some(_) => Err(Error::new(ErrorKind::InsufficientScope)),
            None => Err(Error::new(ErrorKind::Missing)),
        }
    }
}
