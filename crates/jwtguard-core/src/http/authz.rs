//! Authorization after authentication: scope and role rules that every framework enforces the
//! same way.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use super::pipeline::{Extensions, Reject};
use crate::{Error, ErrorKind, Guard, RequestHead, TokenInfo, Verified};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Scopes,
    Roles,
}

/// A rule over the token's scopes (`scope`/`scp`) or roles (`roles`): all of a list, or any.
///
/// ```
/// use jwtguard_core::authz::Required;
/// let rule = Required::all_scopes(["orders:read", "orders:write"]);
/// assert_eq!(rule.scope_param(), Some("orders:read orders:write"));
/// assert!(Required::any_roles(["admin"]).scope_param().is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    what: What,
    all: bool,
    items: Arc<[String]>,
    joined: Arc<str>,
}

impl Required {
    fn new(what: What, all: bool, items: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let items: Arc<[String]> = items.into_iter().map(Into::into).collect();
        let joined = items.join(" ").into();
        Required { what, all, items, joined }
    }

    /// Every one of `scopes`.
    ///
    /// ```
    /// let rule = jwtguard_core::authz::Required::all_scopes(["a", "b"]);
    /// assert_eq!(rule.scope_param(), Some("a b"));
    /// ```
    pub fn all_scopes(scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Required::new(What::Scopes, true, scopes)
    }

    /// Any one of `scopes`.
    ///
    /// ```
    /// let rule = jwtguard_core::authz::Required::any_scopes(["a", "b"]);
    /// assert_eq!(rule.scope_param(), Some("a b"));
    /// ```
    pub fn any_scopes(scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Required::new(What::Scopes, false, scopes)
    }

    /// Every one of `roles`.
    ///
    /// ```
    /// let rule = jwtguard_core::authz::Required::all_roles(["admin"]);
    /// assert_eq!(rule.scope_param(), None);
    /// ```
    pub fn all_roles(roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Required::new(What::Roles, true, roles)
    }

    /// Any one of `roles`.
    ///
    /// ```
    /// let rule = jwtguard_core::authz::Required::any_roles(["admin", "ops"]);
    /// ```
    pub fn any_roles(roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Required::new(What::Roles, false, roles)
    }

    /// Checks a request's token: [`ErrorKind::Missing`] without one,
    /// [`ErrorKind::InsufficientScope`] when the rule does not hold.
    ///
    /// # Errors
    /// As above.
    ///
    /// ```
    /// use jwtguard_core::{ErrorKind, authz::Required};
    /// let err = Required::all_scopes(["a"]).check(None).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Missing);
    /// ```
    pub fn check(&self, token: Option<&TokenInfo>) -> Result<(), Error> {
        let claims = token.ok_or(Error::new(ErrorKind::Missing))?.registered();
        let has = |item: &String| match self.what {
            What::Scopes => claims.has_scope(item),
            What::Roles => claims.has_role(item),
        };
        let ok = if self.all { self.items.iter().all(has) } else { self.items.iter().any(has) };
        if ok { Ok(()) } else { Err(Error::new(ErrorKind::InsufficientScope)) }
    }

    /// The `scope="…"` to name in a 403: the scopes for a scope rule, none for a role rule.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::authz::Required::all_scopes(["x"]).scope_param(), Some("x"));
    /// ```
    pub fn scope_param(&self) -> Option<&str> {
        (self.what == What::Scopes).then_some(&*self.joined)
    }
}

/// A rule a request must meet after authentication, read from the request extensions the auth
/// middleware filled. Both frameworks' `Require` layers enforce any `Requirement` through
/// [`enforce`], so they answer alike.
///
/// ```
/// use jwtguard_core::authz::Requirement;
/// use jwtguard_core::pipeline::Extensions;
/// use jwtguard_core::{Error, ErrorKind, TokenInfo};
///
/// /// Only tokens that carry a `jti`.
/// #[derive(Clone)]
/// struct HasJti;
/// impl Requirement for HasJti {
///     fn check<E: Extensions + ?Sized>(&self, ext: &E) -> Result<(), Error> {
///         match ext.get::<TokenInfo>() {
///             Some(t) if t.registered().jti().is_some() => Ok(()),
///             Some(_) => Err(Error::new(ErrorKind::InsufficientScope)),
///             None => Err(Error::new(ErrorKind::Missing)),
///         }
///     }
/// }
/// ```
pub trait Requirement: 'static {
    /// `Ok` when the request meets the rule; [`ErrorKind::Missing`] without a verified token,
    /// [`ErrorKind::InsufficientScope`] when the token lacks what is required.
    ///
    /// # Errors
    /// As above.
    fn check<E: Extensions + ?Sized>(&self, ext: &E) -> Result<(), Error>;

    /// The `scope` to name in the `insufficient_scope` challenge, if the rule is about scopes.
    fn scope(&self) -> Option<&str> {
        None
    }
}

impl Requirement for Required {
    fn check<E: Extensions + ?Sized>(&self, ext: &E) -> Result<(), Error> {
        Required::check(self, ext.get::<TokenInfo>())
    }

    fn scope(&self) -> Option<&str> {
        self.scope_param()
    }
}

/// A predicate over the typed claims `T` the auth middleware verified.
///
/// ```
/// use jwtguard_core::authz::ClaimRule;
/// #[derive(Clone, serde::Deserialize)]
/// struct MyClaims { tenant: String }
/// let rule = ClaimRule::new(|c: &MyClaims| c.tenant == "acme");
/// ```
pub struct ClaimRule<T, F> {
    predicate: F,
    _claims: PhantomData<fn() -> T>,
}

impl<T, F> ClaimRule<T, F>
where
    T: Send + Sync + 'static,
    F: Fn(&T) -> bool + 'static,
{
    /// A rule that holds when `predicate` holds for the verified claims.
    ///
    /// ```
    /// let rule = jwtguard_core::authz::ClaimRule::new(|c: &serde_json::Value| c["admin"] == true);
    /// ```
    pub fn new(predicate: F) -> Self {
        ClaimRule { predicate, _claims: PhantomData }
    }
}

impl<T, F: Clone> Clone for ClaimRule<T, F> {
    fn clone(&self) -> Self {
        ClaimRule { predicate: self.predicate.clone(), _claims: PhantomData }
    }
}

impl<T, F> fmt::Debug for ClaimRule<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaimRule").field("claims", &std::any::type_name::<T>()).finish_non_exhaustive()
    }
}

impl<T, F> Requirement for ClaimRule<T, F>
where
    T: Send + Sync + 'static,
    F: Fn(&T) -> bool + 'static,
{
    fn check<E: Extensions + ?Sized>(&self, ext: &E) -> Result<(), Error> {
        match ext.get::<Verified<T>>() {
            Some(v) if (self.predicate)(v.claims()) => Ok(()),
            Some(_) => Err(Error::new(ErrorKind::InsufficientScope)),
            None => Err(Error::new(ErrorKind::Missing)),
        }
    }
}

/// The decision of a requirement layer: `Ok` to call the service, or the answer, rendered with
/// the auth middleware's guard when it ran (its realm and body format), else the default
/// challenge.
///
/// # Errors
/// The [`Reject`] to answer with.
///
/// ```
/// # struct Req;
/// # impl jwtguard_core::RequestHead for Req {
/// #     fn header_values<'a>(&'a self, _: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> { std::iter::empty() }
/// #     fn query(&self) -> Option<&str> { None }
/// # }
/// struct Empty;
/// impl jwtguard_core::pipeline::Extensions for Empty {
///     fn get<V: Send + Sync + 'static>(&self) -> Option<&V> { None }
/// }
/// use jwtguard_core::authz::{Required, enforce};
/// let reject = enforce(&Required::all_scopes(["orders:write"]), &Empty, &Req).unwrap_err();
/// assert_eq!(reject.rejection().status(), 401, "no verified token at all");
/// ```
pub fn enforce<Q, E, R>(requirement: &Q, ext: &E, req: &R) -> Result<(), Reject>
where
    Q: Requirement + ?Sized,
    E: Extensions + ?Sized,
    R: RequestHead,
{
    requirement.check(ext).map_err(|error| Reject::new(error, ext.get::<Guard>(), requirement.scope(), req))
}
