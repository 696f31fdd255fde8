//! Authorization after authentication: [`RequireScope`], [`RequireRole`] and [`RequireClaim`].
//!
//! Put them inside a [`JwtAuthLayer`](crate::JwtAuthLayer) (on a route or a nested router). A
//! request without a verified token gets `401`; a token without what is required gets `403`
//! with `error="insufficient_scope"` (and `scope="…"` for scope checks), rendered with the auth
//! layer's realm and body format.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use jwtguard_core::authz::enforce;
pub use jwtguard_core::authz::{ClaimRule, Required, Requirement};
use tower_layer::Layer;
use tower_service::Service;

use crate::auth::{RejectionBody, ResponseFuture};
use crate::head::{Ext, Head, render};

/// A layer that lets a request through only when its [`Requirement`] holds.
///
/// ```
/// use jwtguard_tower::RequireScope;
/// let layer = RequireScope::all(["orders:write"]); // a Require<Required>
/// ```
#[must_use]
pub struct Require<Q> {
    requirement: Arc<Q>,
}

impl<Q> Clone for Require<Q> {
    fn clone(&self) -> Self {
        Require { requirement: self.requirement.clone() }
    }
}

impl<Q> fmt::Debug for Require<Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Require").field("requirement", &std::any::type_name::<Q>()).finish()
    }
}

impl<Q: Requirement + Send + Sync> Require<Q> {
    /// A layer enforcing `requirement`.
    ///
    /// ```
    /// use jwtguard_core::authz::Required;
    /// let layer = jwtguard_tower::Require::new(Required::any_roles(["admin", "ops"]));
    /// ```
    pub fn new(requirement: Q) -> Self {
        Require { requirement: Arc::new(requirement) }
    }
}

impl<S, Q> Layer<S> for Require<Q> {
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
pub struct RequireService<S, Q> {
    inner: S,
    requirement: Arc<Q>,
}

impl<S: Clone, Q> Clone for RequireService<S, Q> {
    fn clone(&self) -> Self {
        RequireService { inner: self.inner.clone(), requirement: self.requirement.clone() }
    }
}

impl<S: fmt::Debug, Q> fmt::Debug for RequireService<S, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireService").field("inner", &self.inner).finish_non_exhaustive()
    }
}

impl<S, Q, ReqBody, ResBody> Service<Request<ReqBody>> for RequireService<S, Q>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    Q: Requirement + Send + Sync,
    ResBody: RejectionBody,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let head = Head { headers: req.headers(), uri: req.uri() };
        match enforce(&*self.requirement, &Ext(req.extensions()), &head) {
            Ok(()) => ResponseFuture::inner(self.inner.call(req)),
            Err(reject) => ResponseFuture::rejected(render(reject.rejection(), reject.error())),
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

/// Requires a predicate over the typed claims `T` (the type the auth layer verifies into).
///
/// ```
/// #[derive(Clone, serde::Deserialize)]
/// struct MyClaims { tenant: String }
///
/// let acme_only = jwtguard_tower::RequireClaim::new(|c: &MyClaims| c.tenant == "acme");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequireClaim;

impl RequireClaim {
    /// A layer that requires `predicate` to hold for the verified claims.
    ///
    /// ```
    /// let verified_email = jwtguard_tower::RequireClaim::new(|c: &serde_json::Value| c["email_verified"] == true);
    /// ```
    #[allow(clippy::new_ret_no_self)]
    pub fn new<T, F>(predicate: F) -> Require<ClaimRule<T, F>>
    where
        T: Send + Sync + 'static,
        F: Fn(&T) -> bool + Send + Sync + 'static,
    {
        Require::new(ClaimRule::new(predicate))
    }
}
