//! Authorization after authentication: [`RequireScope`], [`RequireRole`] and [`RequireClaim`],
//! answering `403 insufficient_scope` exactly as `jwtguard-tower` does.

use std::fmt;
use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use futures_util::future::{Either, MapOk, TryFutureExt};
pub use jwtguard_core::authz::Requirement;
use jwtguard_core::authz::enforce;
use jwtguard_core::authz::{ClaimRule, Required};

use crate::head::{Ext, Head, render};

/// A middleware that lets a request through only when its [`Requirement`] holds. Wrap it
/// inside [`JwtAuth`](crate::JwtAuth) (actix runs the last `.wrap` first).
///
/// ```
/// use actix_web::{App, web};
/// let app = App::new().service(
///     web::scope("/admin").wrap(jwtguard_actix::RequireRole::any(["admin"])).route("", web::get().to(|| async { "ok" })),
/// );
/// ```
#[must_use]
pub struct Require<Q> {
    requirement: Rc<Q>,
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

impl<Q: Requirement> Require<Q> {
    /// A middleware enforcing `requirement`.
    ///
    /// ```
    /// use jwtguard_core::authz::Required;
    /// let middleware = jwtguard_actix::Require::new(Required::all_scopes(["orders:write"]));
    /// ```
    pub fn new(requirement: Q) -> Self {
        Require { requirement: Rc::new(requirement) }
    }
}

/// Requires scopes from the token's `scope` or `scp` claim; a 403 names them in `scope="…"`.
///
/// ```
/// let write = jwtguard_actix::RequireScope::all(["orders:write"]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequireScope;

impl RequireScope {
    /// Every one of `scopes` is required.
    ///
    /// ```
    /// let middleware = jwtguard_actix::RequireScope::all(["orders:read", "orders:write"]);
    /// ```
    pub fn all(scopes: impl IntoIterator<Item = impl Into<String>>) -> Require<Required> {
        Require::new(Required::all_scopes(scopes))
    }
    /// Any one of `scopes` is enough.
    ///
    /// ```
    /// let middleware = jwtguard_actix::RequireScope::any(["orders:read", "admin"]);
    /// ```
    pub fn any(scopes: impl IntoIterator<Item = impl Into<String>>) -> Require<Required> {
        Require::new(Required::any_scopes(scopes))
    }
}

/// Requires roles from the token's `roles` claim.
///
/// ```
/// let admin = jwtguard_actix::RequireRole::any(["admin"]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequireRole;

impl RequireRole {
    /// Every one of `roles` is required.
    ///
    /// ```
    /// let middleware = jwtguard_actix::RequireRole::all(["admin", "billing"]);
    /// ```
    pub fn all(roles: impl IntoIterator<Item = impl Into<String>>) -> Require<Required> {
        Require::new(Required::all_roles(roles))
    }
    /// Any one of `roles` is enough.
    ///
    /// ```
    /// let middleware = jwtguard_actix::RequireRole::any(["admin", "billing"]);
    /// ```
    pub fn any(roles: impl IntoIterator<Item = impl Into<String>>) -> Require<Required> {
        Require::new(Required::any_roles(roles))
    }
}

/// Requires a predicate over the typed claims `T` (the type the middleware verifies into).
///
/// ```
/// #[derive(Clone, serde::Deserialize)]
/// struct MyClaims { tenant: String }
///
/// let acme_only = jwtguard_actix::RequireClaim::new(|c: &MyClaims| c.tenant == "acme");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequireClaim;

impl RequireClaim {
    /// A middleware that requires `predicate` to hold for the verified claims.
    ///
    /// ```
    /// let verified_email = jwtguard_actix::RequireClaim::new(|c: &serde_json::Value| c["email_verified"] == true);
    /// ```
    #[allow(clippy::new_ret_no_self)]
    pub fn new<T, F>(predicate: F) -> Require<ClaimRule<T, F>>
    where
        T: Send + Sync + 'static,
        F: Fn(&T) -> bool + 'static,
    {
        Require::new(ClaimRule::new(predicate))
    }
}

impl<S, B, Q> Transform<S, ServiceRequest> for Require<Q>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
    Q: Requirement,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = RequireMiddleware<S, Q>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireMiddleware { service: Rc::new(service), requirement: self.requirement.clone() }))
    }
}

/// The service made by [`Require`].
///
/// ```
/// use actix_web::{App, web};
/// // Made by `Require` when actix builds the app; you only name it in type signatures.
/// let app = App::new().wrap(jwtguard_actix::RequireScope::all(["a"])).route("/", web::get().to(|| async { "ok" }));
/// ```
pub struct RequireMiddleware<S, Q> {
    service: Rc<S>,
    requirement: Rc<Q>,
}

impl<S, Q> fmt::Debug for RequireMiddleware<S, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireMiddleware").finish_non_exhaustive()
    }
}

type Passed<B> = fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>>;

impl<S, B, Q> Service<ServiceRequest> for RequireMiddleware<S, Q>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
    Q: Requirement,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Either<Ready<Result<Self::Response, Self::Error>>, MapOk<S::Future, Passed<B>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let enforced = {
            let head = Head { headers: req.headers(), query: req.query_string() };
            enforce(&*self.requirement, &Ext(&req.extensions()), &head)
        };
        match enforced {
            Ok(()) => Either::Right(self.service.call(req).map_ok(ServiceResponse::map_into_left_body as Passed<B>)),
            Err(reject) => {
                let res = render(reject.rejection(), reject.error());
                Either::Left(ready(Ok(req.into_response(res).map_into_right_body())))
            }
        }
    }
}
