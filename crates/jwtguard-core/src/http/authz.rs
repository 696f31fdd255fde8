//! Authorization after authentication: scope and role rules that every framework enforces the
//! same way.

use std::sync::Arc;

use crate::{Error, ErrorKind, TokenInfo};

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
