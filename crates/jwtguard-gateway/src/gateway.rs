//! [`Gateway`]: the configured routes, each with the core's [`Guard`] and requirements, and
//! the decision for one request. Route matching is the gateway's own; whether a token passes,
//! and what the refusal looks like, is only ever the core's (`Guard::decide`,
//! `Guard::decide_after_refetch`, `authz::enforce`).

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use jwtguard_core::authz::{ClaimRule, Required, enforce};
use jwtguard_core::pipeline::{self, Decision, Pass, Reject};
use jwtguard_core::provider::{KeyProvider, KeySource};
use jwtguard_core::{Error, ErrorKind, Guard, Rejection, RequestHead, TokenSources, Validator, Verified};
use jwtguard_jwks::{Oidc, RemoteJwks};
use jwtguard_redis::{RedisRevocations, RedisStores};
use serde_json::Value;

use crate::config::{Config, ConfigError, HeaderSource, KeysConfig, RedisTopology, RevocationConfig, start_error};

type Predicate = Box<dyn Fn(&Value) -> bool + Send + Sync>;

enum Access {
    Public,
    Guarded { guard: Guard, rules: Vec<Required>, claims: Option<ClaimRule<Value, Predicate>> },
}

struct Route {
    /// What access logs call the route: its path prefix (and host).
    label: String,
    host: Option<String>,
    prefix: String,
    access: Access,
}

struct Inner {
    config: Config,
    routes: Vec<Route>,
    /// Every remote key set, by issuer name: the gateway is ready once each has keys.
    remotes: Vec<(String, RemoteJwks)>,
    /// The replica of the services' revocations, when `[revocation]` is configured.
    revocations: Option<RedisRevocations>,
}

/// The configured gateway: routes, guards, header mapping. Cheap to clone.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let config = jwtguard_gateway::Config::from_file("gateway.toml")?;
/// let gateway = jwtguard_gateway::Gateway::start(config).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let routes: Vec<&str> = self.inner.routes.iter().map(|r| r.label.as_str()).collect();
        f.debug_struct("Gateway").field("routes", &routes).finish_non_exhaustive()
    }
}

/// The request being decided: in forward-auth mode the original one the proxy describes, in
/// proxy mode the request itself.
#[derive(Debug)]
pub(crate) struct Original<'a> {
    pub(crate) method: Method,
    pub(crate) host: Option<String>,
    /// Path and query, as sent.
    pub(crate) uri: String,
    pub(crate) headers: &'a HeaderMap,
    /// Whether the client's request came over HTTPS, as far as the gateway can trust: a
    /// trusted proxy's `X-Forwarded-Proto: https`.
    pub(crate) secure: bool,
    /// Forward-auth: the answer goes to a proxy that reads its status, never to a gRPC client,
    /// so a refusal must never take gRPC's form (HTTP 200 with `grpc-status`), which a proxy
    /// would take for an allow.
    pub(crate) for_proxy: bool,
}

impl<'h> RequestHead for Original<'h> {
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a, 'h> {
        self.headers.get_all(name).into_iter().map(HeaderValue::as_bytes)
    }

    fn query(&self) -> Option<&str> {
        self.uri.split_once('?').map(|(_, q)| q.split('#').next().unwrap_or(q))
    }

    /// The proxy mode may stand in front of a gRPC upstream; a forward-auth answer never goes
    /// to a gRPC client.
    fn serves_grpc(&self) -> bool {
        !self.for_proxy
    }
}

/// What was decided, with what the access log says about it.
#[derive(Debug)]
pub(crate) struct Verdict {
    pub(crate) route: Option<String>,
    pub(crate) outcome: Outcome,
    pub(crate) error: Option<ErrorKind>,
    pub(crate) kid: Option<String>,
    pub(crate) iss: Option<String>,
    /// The explicitly listed claims, as JSON.
    pub(crate) logged_claims: Option<String>,
}

#[derive(Debug)]
pub(crate) enum Outcome {
    /// Go on, with these claim headers.
    Allow(Vec<(HeaderName, HeaderValue)>),
    /// Answer with this, at once.
    Deny(http::Response<Bytes>),
}

impl Verdict {
    pub(crate) fn outcome_name(&self) -> &'static str {
        match &self.outcome {
            Outcome::Allow(_) => "allow",
            Outcome::Deny(_) => "deny",
        }
    }
}

/// Connects to the Redis of `[revocation]` and starts the revocation replica.
async fn connect_revocations(r: &RevocationConfig) -> Result<RedisRevocations, String> {
    let stores = match &r.redis {
        RedisTopology::Single(url) => RedisStores::connect_with_prefix(url, &r.prefix).await,
        RedisTopology::Cluster(nodes) => RedisStores::connect_cluster(nodes, &r.prefix).await,
        RedisTopology::Sentinel { sentinels, master_name } => {
            RedisStores::connect_sentinel(sentinels, master_name, &r.prefix).await
        }
    };
    let stores = stores.map_err(|e| {
        format!(
            "cannot reach Redis: {}",
            std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string())
        )
    })?;
    Ok(stores.revocations_builder().max_stale(r.max_stale).build())
}

/// `http::Extensions` as the core reads them.
struct Ext<'a>(&'a http::Extensions);

impl pipeline::Extensions for Ext<'_> {
    fn get<V: Send + Sync + 'static>(&self) -> Option<&V> {
        self.0.get::<V>()
    }
}

/// `http::Extensions` as the core fills them.
struct ExtMut<'a>(&'a mut http::Extensions);

impl pipeline::ExtensionsMut for ExtMut<'_> {
    fn insert<V: Clone + Send + Sync + 'static>(&mut self, value: V) {
        self.0.insert(value);
    }
}

impl Gateway {
    /// Builds every issuer's validator (starting remote key sets and running OpenID discovery)
    /// and every route's guard.
    ///
    /// # Errors
    /// A [`ConfigError`] at the issuer or route that cannot be built: an `http` JWKS URL on a
    /// public host without `allow_http`, failed discovery, issuers that cannot share a route.
    pub async fn start(config: Config) -> Result<Gateway, ConfigError> {
        let file = config.file.clone();
        let revocations = match &config.revocation {
            Some(r) => Some(connect_revocations(r).await.map_err(|m| start_error(&file, r.line, "revocation", m))?),
            None => None,
        };
        let mut validators = Vec::new();
        let mut remotes = Vec::new();
        for iss in &config.issuers {
            let err = |m: String| start_error(&file, iss.line, &iss.key, m);
            let builder = match &iss.keys {
                KeysConfig::Static(set) => {
                    Validator::builder(KeySource::Static(set.clone()), iss.algorithms.iter().copied())
                }
                KeysConfig::JwksUrl(url) => {
                    let mut b = RemoteJwks::builder(url).map_err(|e| err(e.to_string()))?;
                    if iss.allow_http {
                        b = b.allow_http();
                    }
                    let jwks = b.build().map_err(|e| err(format!("jwks_url: {e}")))?;
                    remotes.push((iss.name.clone(), jwks.clone()));
                    Validator::builder(jwks, iss.algorithms.iter().copied())
                }
                KeysConfig::Discovery => {
                    let issuer = iss.issuer.clone().unwrap_or_default();
                    let mut b = Oidc::builder(&issuer);
                    if iss.allow_http {
                        b = b.allow_http().jwks(|j| j.allow_http());
                    }
                    let oidc = b.discover().await.map_err(|e| err(format!("discovery of {issuer}: {e}")))?;
                    remotes.push((iss.name.clone(), oidc.jwks().clone()));
                    oidc.validator(iss.algorithms.iter().copied())
                }
            };
            let mut builder = builder;
            if let Some(i) = &iss.issuer {
                builder = builder.issuer(i.clone());
            }
            for a in &iss.audiences {
                builder = builder.audience(a.clone());
            }
            if let Some(l) = iss.leeway {
                builder = builder.leeway(l);
            }
            if let Some(t) = &iss.typ {
                builder = builder.typ(t.clone());
            }
            if let Some(r) = &revocations {
                builder = builder.revocation(Arc::new(r.clone()));
            }
            validators.push(builder.build().map_err(|e| err(e.to_string()))?);
        }

        let mut routes = Vec::new();
        for r in &config.routes {
            let label = match &r.host {
                Some(h) => format!("{h}{}", r.path),
                None => r.path.clone(),
            };
            let access = if r.public {
                Access::Public
            } else {
                let err = |m: String| start_error(&file, r.line, &format!("{}.issuers", r.key), m);
                let validator = match r.issuers.as_slice() {
                    [one] => validators[*one].clone(),
                    many => Validator::multi_issuer(many.iter().map(|i| validators[*i].clone()))
                        .map_err(|e| err(e.to_string()))?,
                };
                let guard = Guard::new(validator)
                    .challenge(config.challenge.clone())
                    .optional(r.optional)
                    .strip_token(config.proxy.strip_authorization);
                let mut rules = Vec::new();
                if !r.scopes.is_empty() {
                    rules.push(Required::all_scopes(r.scopes.clone()));
                }
                if !r.any_scopes.is_empty() {
                    rules.push(Required::any_scopes(r.any_scopes.clone()));
                }
                if !r.roles.is_empty() {
                    rules.push(Required::all_roles(r.roles.clone()));
                }
                if !r.any_roles.is_empty() {
                    rules.push(Required::any_roles(r.any_roles.clone()));
                }
                let claims = (!r.claims.is_empty()).then(|| {
                    let wanted = r.claims.clone();
                    let predicate: Predicate =
                        Box::new(move |c: &Value| wanted.iter().all(|(name, want)| claim_matches(c.get(name), want)));
                    ClaimRule::new(predicate)
                });
                Access::Guarded { guard, rules, claims }
            };
            routes.push(Route { label, host: r.host.clone(), prefix: r.path.clone(), access });
        }
        Ok(Gateway { inner: Arc::new(Inner { config, routes, remotes, revocations }) })
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    /// `true` once every issuer's keys are loaded (static keys always are; a remote key set
    /// once its first fetch succeeded) and, with `[revocation]`, while the revocation replica is
    /// in sync with Redis (otherwise every token check fails closed).
    pub fn is_ready(&self) -> bool {
        self.not_ready().next().is_none()
    }

    /// What the gateway waits for, in words: `the keys of issuer NAME` for each issuer whose
    /// keys are not loaded yet, and `revocations in sync with Redis` while the revocation
    /// replica is not.
    pub fn not_ready(&self) -> impl Iterator<Item = String> + '_ {
        let keys = self.inner.remotes.iter().filter(|(_, j)| KeyProvider::keys(j).is_err());
        let keys = keys.map(|(n, _)| format!("the keys of issuer {n}"));
        let revocations = self.inner.revocations.as_ref().filter(|r| !r.in_sync());
        keys.chain(revocations.map(|_| "revocations in sync with Redis".to_owned()))
    }

    /// With `[revocation]`: whether the revocation replica is in sync with Redis.
    pub(crate) fn revocations_in_sync(&self) -> Option<bool> {
        self.inner.revocations.as_ref().map(RedisRevocations::in_sync)
    }

    /// The route for a request: host-specific routes first, then the longest matching prefix.
    fn route(&self, host: Option<&str>, path: &str) -> Option<&Route> {
        let host = host.map(host_key);
        self.inner
            .routes
            .iter()
            .filter(|r| r.host.as_deref().is_none_or(|h| Some(h) == host.as_deref()))
            .filter(|r| prefix_matches(&r.prefix, path))
            .max_by_key(|r| (r.host.is_some(), r.prefix.len()))
    }

    /// Decides `req`: no decision of its own beyond which route applies.
    pub(crate) async fn decide(&self, req: &Original<'_>) -> Verdict {
        let mut verdict = Verdict {
            route: None,
            outcome: Outcome::Allow(Vec::new()),
            error: None,
            kid: None,
            iss: None,
            logged_claims: None,
        };
        let Some(path) = normalize_path(&req.uri) else {
            // Dot segments, or an escape that does not decode: the upstream might read another
            // path than the one routed, so the request is refused as the core renders it.
            return self.malformed();
        };
        let Some(route) = self.route(req.host.as_deref(), &path) else {
            verdict.outcome = Outcome::Deny(plain(StatusCode::FORBIDDEN));
            verdict.error = None;
            return verdict;
        };
        verdict.route = Some(route.label.clone());
        if self.inner.config.require_https && !req.secure {
            // RFC 6750 §5.3: a bearer token only over TLS. One sent in the clear is refused
            // (and never reaches the service), also on a public route.
            let sources = match &route.access {
                Access::Guarded { guard, .. } => guard.token_sources().clone(),
                Access::Public => TokenSources::default(),
            };
            if sources.extract(req).map_or_else(|e| e.kind() != ErrorKind::Missing, |_| true) {
                let mut refused = self.malformed();
                refused.route = verdict.route;
                return refused;
            }
        }
        let Access::Guarded { guard, rules, claims } = &route.access else {
            return verdict;
        };
        let pass = match guard.decide::<Value, _>(req) {
            Decision::Pass(pass) => Ok(pass),
            Decision::Reject(reject) => Err(reject),
            Decision::Refetch => guard.decide_after_refetch::<Value, _>(req).await,
        };
        let mut ext = http::Extensions::new();
        let result = pass.and_then(|pass: Pass<Value>| {
            pass.store(&mut ExtMut(&mut ext));
            for rule in rules {
                enforce(rule, &Ext(&ext), req)?;
            }
            if let Some(rule) = claims {
                enforce(rule, &Ext(&ext), req)?;
            }
            Ok(())
        });
        let verified = ext.get::<Verified<Value>>();
        if let Some(v) = verified {
            verdict.kid = v.header().kid().map(str::to_owned);
            verdict.iss = v.registered().iss().map(str::to_owned);
            verdict.logged_claims = self.logged_claims(v.claims());
        }
        match result {
            Ok(()) => verdict.outcome = Outcome::Allow(self.claim_headers(guard, req, verified)),
            Err(reject) => {
                let (error, rejection) = Reject::into_parts(reject);
                verdict.error = Some(error.kind());
                verdict.outcome = Outcome::Deny(to_response(&rejection));
            }
        }
        verdict
    }

    /// The answer to a request the gateway cannot route: `invalid_request`, as the core renders it.
    pub(crate) fn malformed(&self) -> Verdict {
        let error = Error::new(ErrorKind::InvalidRequest);
        Verdict {
            route: None,
            outcome: Outcome::Deny(to_response(&self.inner.config.challenge.respond(&error))),
            error: Some(error.kind()),
            kid: None,
            iss: None,
            logged_claims: None,
        }
    }

    fn logged_claims(&self, claims: &Value) -> Option<String> {
        let listed = &self.inner.config.log_claims;
        if listed.is_empty() {
            return None;
        }
        let picked: serde_json::Map<String, Value> =
            listed.iter().filter_map(|n| claims.get(n).map(|v| (n.clone(), v.clone()))).collect();
        serde_json::to_string(&picked).ok()
    }

    /// The configured claim headers for a verified token (none for an anonymous request).
    fn claim_headers(
        &self,
        guard: &Guard,
        req: &Original<'_>,
        verified: Option<&Verified<Value>>,
    ) -> Vec<(HeaderName, HeaderValue)> {
        let Some(verified) = verified else { return Vec::new() };
        let mut out = Vec::new();
        for (name, source) in &self.inner.config.headers {
            let text = match source {
                HeaderSource::Claim(claim) => verified.claims().get(claim).and_then(claim_text),
                HeaderSource::Scopes => {
                    let scopes: Vec<&str> = verified.registered().scopes().collect();
                    (!scopes.is_empty()).then(|| scopes.join(" "))
                }
                HeaderSource::Payload => guard
                    .token_sources()
                    .extract(req)
                    .ok()
                    .and_then(|t| t.split('.').nth(1))
                    .map(str::to_owned)
                    .or_else(|| serde_json::to_vec(verified.claims()).ok().map(|b| URL_SAFE_NO_PAD.encode(b))),
            };
            match text.map(HeaderValue::try_from) {
                Some(Ok(mut value)) => {
                    value.set_sensitive(true);
                    out.push((name.clone(), value));
                }
                Some(Err(_)) => {
                    tracing::debug!(header = %name, "claim value is not a valid header value; header left out")
                }
                None => {}
            }
        }
        out
    }

    /// Every header name the gateway sets from claims: client-sent copies are always removed.
    pub(crate) fn claim_header_names(&self) -> impl Iterator<Item = &HeaderName> {
        self.inner.config.headers.iter().map(|(n, _)| n)
    }

    /// The route's guard, for what it says about credential headers upstream.
    pub(crate) fn removed_headers(&self, host: Option<&str>, uri: &str) -> Vec<String> {
        let path = normalize_path(uri).unwrap_or_default();
        match self.route(host, &path).map(|r| &r.access) {
            Some(Access::Guarded { guard, .. }) => guard.removed_headers().map(str::to_owned).collect(),
            // A public route has no guard to say so; with `strip_authorization` the token still
            // never reaches the upstream (the guards read the default sources too).
            Some(Access::Public) if self.inner.config.proxy.strip_authorization => {
                TokenSources::default().header_names().map(str::to_owned).collect()
            }
            _ => Vec::new(),
        }
    }
}

fn claim_matches(have: Option<&Value>, want: &Value) -> bool {
    match have {
        Some(Value::Array(items)) if !want.is_array() => items.contains(want),
        Some(v) => v == want,
        None => false,
    }
}

/// A claim as header text: a string as is, an array of strings joined by spaces, a number or
/// a boolean as JSON; objects and mixed arrays as JSON.
fn claim_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Array(items) if items.iter().all(Value::is_string) => {
            Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "))
        }
        other => serde_json::to_string(other).ok(),
    }
}

/// A host as routes name it: without port or the trailing dot of a fully qualified name
/// (`Admin.Example.:443` is `admin.example`), lowercased.
pub(crate) fn host_key(host: &str) -> String {
    strip_port(host).trim_end_matches('.').to_ascii_lowercase()
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_once(']').map_or(host, |(h, _)| h).trim_start_matches('[');
    }
    host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h)
}

/// `prefix` matches `path` at a segment boundary: `/api` matches `/api` and `/api/x`, not `/apix`.
fn prefix_matches(prefix: &str, path: &str) -> bool {
    path.starts_with(prefix)
        && (prefix.ends_with('/') || path.len() == prefix.len() || path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

/// The path routes are matched on: percent-decoded, runs of `/` merged. `None` for a path with
/// `.` or `..` segments (also escaped), an escape that is not UTF-8, a backslash, or a `;`
/// (also escaped): servers disagree about these, and Java servers read `/public/..;/admin` as
/// `/admin` and `/admin;x` as `/admin`.
pub(crate) fn normalize_path(uri: &str) -> Option<String> {
    let raw = uri.split(['?', '#']).next().unwrap_or("");
    // An absolute-form URI (`http://host/path`) is routed on its path.
    let raw = match raw.find("://") {
        Some(i) => raw.get(i + 3..).and_then(|rest| rest.find('/').map(|j| &rest[j..])).unwrap_or("/"),
        None => raw,
    };
    if !raw.starts_with('/') {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
    if decoded.contains(['\\', '\0', ';']) {
        return None;
    }
    let mut out = String::with_capacity(decoded.len());
    for segment in decoded.split('/') {
        if segment == "." || segment == ".." {
            return None;
        }
        if !segment.is_empty() {
            out.push('/');
            out.push_str(segment);
        }
    }
    if out.is_empty() || decoded.ends_with('/') {
        out.push('/');
    }
    Some(out)
}

/// The core's answer as a response, copying its status, headers and body.
fn to_response(rejection: &Rejection) -> http::Response<Bytes> {
    let mut res = http::Response::new(Bytes::copy_from_slice(rejection.body()));
    *res.status_mut() = StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    for (name, value) in rejection.headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(name, value);
        }
    }
    res
}

pub(crate) fn plain(status: StatusCode) -> http::Response<Bytes> {
    let mut res = http::Response::new(Bytes::new());
    *res.status_mut() = status;
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_and_encoded_dots_are_refused() {
        assert_eq!(normalize_path("/public/../admin"), None);
        assert_eq!(normalize_path("/public/%2e%2e/admin"), None);
        assert_eq!(normalize_path("/public/%2E/admin"), None);
        assert_eq!(normalize_path("/a\\b"), None);
        assert_eq!(normalize_path("/a%5cb"), None);
        assert_eq!(normalize_path("/%ff"), None);
        // Found in review: path parameters, which Java servers strip before resolving dots.
        assert_eq!(normalize_path("/public/..;/orders"), None);
        assert_eq!(normalize_path("/public/%2e%2e%3b/orders"), None);
        assert_eq!(normalize_path("/admin;x/users"), None);
        assert_eq!(normalize_path("/orders?filter=a;b").as_deref(), Some("/orders"));
    }

    #[test]
    fn paths_are_decoded_and_slashes_merged() {
        assert_eq!(normalize_path("//admin//x?q=1").as_deref(), Some("/admin/x"));
        assert_eq!(normalize_path("/%61dmin/").as_deref(), Some("/admin/"));
        assert_eq!(normalize_path("http://h.example/x/y").as_deref(), Some("/x/y"));
        assert_eq!(normalize_path("/").as_deref(), Some("/"));
    }

    #[test]
    fn prefixes_match_at_segment_boundaries() {
        assert!(prefix_matches("/api", "/api"));
        assert!(prefix_matches("/api", "/api/x"));
        assert!(!prefix_matches("/api", "/apix"));
        assert!(prefix_matches("/api/", "/api/x"));
        assert!(prefix_matches("/", "/anything"));
    }

    #[test]
    fn host_ports_are_ignored() {
        assert_eq!(strip_port("api.example.com:8443"), "api.example.com");
        assert_eq!(strip_port("[::1]:80"), "::1");
        assert_eq!(strip_port("api.example.com"), "api.example.com");
        // Found in review: a fully qualified name's trailing dot skipped host routes.
        assert_eq!(host_key("Admin.Example.:443"), "admin.example");
        assert_eq!(host_key("admin.example."), "admin.example");
        assert_eq!(host_key("[::1]:80"), "::1");
    }

    #[test]
    fn claim_values_become_header_text() {
        assert_eq!(claim_text(&serde_json::json!("alice")).as_deref(), Some("alice"));
        assert_eq!(claim_text(&serde_json::json!(["a", "b"])).as_deref(), Some("a b"));
        assert_eq!(claim_text(&serde_json::json!(7)).as_deref(), Some("7"));
        assert_eq!(claim_text(&serde_json::json!(null)), None);
    }
}
