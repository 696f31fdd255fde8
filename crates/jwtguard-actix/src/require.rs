//! Authorization after authentication: [`RequireScope`], [`RequireRole`] and [`RequireClaim`],
//! answering `403 insufficient_scope` exactly as `jwtguard-tower` does.

use std::fmt;
use std::future::{Ready, ready};
use std::marker::PhantomData;
use std::rc::Rc;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use futures_util::future::{Either, MapOk, TryFutureExt};
use jwtguard_core::authz::Required;
use jwtguard_core::{Challenge, Error, ErrorKind, Guard, TokenInfo, Verified};

use crate::head::render;

/// A check on the extensions of an authenticated request.
///
/// ```
/// use actix_web::dev::Extensions;
/// use jwtguard_core::{Error, ErrorKind, TokenInfo};
/// use jwtguard_actix::{Require, Requirement};
///
/// /// Only tokens that name a subject.
/// struct HasSubject;
///
/// impl Requirement for HasSubject {
///     fn check(&self, extensions: &Extensions) -> Result<(), Error> {
///         match extensions.get::<TokenInfo>() {
///             Some(t) if t.registered().sub().is_some() => Ok(()),
///             Some(_) => Err(Error::new(ErrorKind::InsufficientScope)),
///             None => Err(Error::new(ErrorKind::Missing)),
///         }
///     }
/// }
/// let middleware = Require::new(HasSubject);
/// ```
pub trait Requirement: 'static {
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

impl Requirement for Required {
    fn check(&self, extensions: &Extensions) -> Result<(), Error> {
        Required::check(self, extensions.get::<TokenInfo>())
    }
    fn scope(&self) -> Option<&str> {
        self.scope_param()
    }
}

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

/// Requires a predicate over the typed claims `T`.
///
/// ```
/// #[derive(Clone, serde::Deserialize)]
/// struct MyClaims { tenant: String }
///
/// let acme_only = jwtguard_actix::RequireClaim::new(|c: &MyClaims| c.tenant == "acme");
/// ```
pub struct RequireClaim<T, F> {
    predicate: F,
    _claims: PhantomData<fn() -> T>,
}

impl<T, F> fmt::Debug for RequireClaim<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireClaim").field("claims", &std::any::type_name::<T>()).finish_non_exhaustive()
    }
}

impl<T: 'static, F: Fn(&T) -> bool + 'static> RequireClaim<T, F> {
    /// A middleware that requires `predicate` to hold for the verified claims.
    ///
    /// ```
    /// let verified_email = jwtguard_actix::RequireClaim::new(|c: &serde_json::Value| c["email_verified"] == true);
    /// ```
    #[allow(clippy::new_ret_no_self)]
    pub fn new(predicate: F) -> Require<RequireClaim<T, F>> {
        Require::new(RequireClaim { predicate, _claims: PhantomData })
    }
}

impl<T: 'static, F: Fn(&T) -> bool + 'static> Requirement for RequireClaim<T, F> {
    fn check(&self, extensions: &Extensions) -> Result<(), Error> {
        match extensions.get::<Verified<T>>() {
            Some(v) if (self.predicate)(v.claims()) => Ok(()),
            Some(_) => Err(Error::new(ErrorKind::InsufficientScope)),
            None => Err(Error::new(ErrorKind::Missing)),
        }
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
        let checked = self.requirement.check(&req.extensions());
        match checked {
            Ok(()) => Either::Right(self.service.call(req).map_ok(ServiceResponse::map_into_left_body as Passed<B>)),
            Err(error) => {
                let scope = self.requirement.scope();
                let rejection = match req.extensions().get::<Guard>() {
                    Some(guard) => guard.reject_with_scope(&error, scope),
                    None => Challenge::default().respond_with_scope(&error, scope),
                };
                let res = render(rejection, &error);
                Either::Left(ready(Ok(req.into_response(res).map_into_right_body())))
            }
        }
    }
}
