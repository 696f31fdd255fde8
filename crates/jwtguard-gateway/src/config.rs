//! The one configuration file (TOML): listeners, issuers, routes, header mapping, logging.
//!
//! [`Config::from_file`] reads and checks everything that needs no network: every key file is
//! read and parsed, every route names issuers that exist, every header name is valid. A
//! mistake is a [`ConfigError`] naming the file, the line and the key; nothing starts
//! half-configured. Remote key sets and OpenID discovery are set up by
//! [`Gateway::start`](crate::Gateway::start), whose errors name the line of their issuer too.
//!
//! ```toml
//! realm = "api"
//!
//! [[listener]]
//! addr = "127.0.0.1:9000"
//! mode = "forward_auth"            # or "proxy" (then `upstream = "http://127.0.0.1:8080"`)
//! # tls_cert = "tls/chain.pem"     # HTTPS: chain and key (PEM), reloaded when the files change
//! # tls_key = "tls/key.pem"        # or on SIGHUP
//!
//! # [[listener]]                   # plain HTTP answered with a 308 to https://HOST/same/path
//! # addr = "0.0.0.0:80"
//! # mode = "redirect_https"
//! # https_port = 443               # the port in the Location (omitted when 443)
//! # redirect_host = "api.example"  # a fixed host instead of the request's Host (set it unless
//!                                  # every Host that reaches this listener is yours)
//!
//! [[issuer]]
//! name = "main"
//! issuer = "https://login.example.com"
//! audiences = ["orders-api"]
//! algorithms = ["ES256"]
//! pem_files = ["keys/login.pub.pem"] # or jwks_file, jwks_url, or discovery = true
//!
//! [[route]]
//! path = "/api/"
//! issuers = ["main"]                 # Defaults to: every issuer
//! scopes = ["orders:read"]           # all of them; any_scopes, roles, any_roles, claims too
//!
//! [[route]]
//! path = "/health"
//! public = true
//!
//! [headers]
//! "X-Auth-Request-User" = "sub"
//! "X-Auth-Request-Scopes" = "@scopes"
//! "X-Jwt-Payload" = "@payload"
//!
//! [forward_auth]
//! # Where the original request's URI is read, from exactly one place so that a header the
//! # client sent through the proxy can never stand in for it:
//! original_uri_header = "X-Original-URI"   # nginx (the default); "X-Forwarded-Uri" for Traefik, Caddy
//! # envoy_path_prefix = "/ext_authz"       # Envoy ext_authz: the request's own path after this
//!
//! [proxy]
//! strip_authorization = false              # remove the token before the upstream sees it
//!
//! [revocation]                            # share the services' revocations through Redis
//! redis = "redis://127.0.0.1:6379"         # or redis_cluster = [URL, ...], or
//!                                          # redis_sentinels = [URL, ...] with master_name
//! prefix = "jwtguard"                      # the services' key prefix (the default)
//! max_stale_ms = 1000                      # fail closed (503) past this without proof of sync
//!
//! [server]
//! drain_timeout_secs = 30                  # on SIGTERM, how long requests in flight may finish
//! require_https = false                    # refuse a token that came over plain HTTP, unless
//! trusted_proxies = []                     # one of these says `X-Forwarded-Proto: https`
//!
//! [log]
//! format = "json"
//! level = "info"
//! claims = []                              # claims named here are logged; none by default
//! ```
//!
//! The method and host of the original request come from `X-Forwarded-Method` and
//! `X-Forwarded-Host` (else the request's own `Host`), which nginx is told to set and Traefik,
//! Caddy and Envoy set themselves.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http::HeaderName;
use jwtguard_core::{Algorithm, Challenge, Key, KeySet};
use serde::Deserialize;
use toml::Spanned;

/// A configuration mistake: the file, the line (when known) and the key, and what is wrong.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("jwtguard-gateway-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let file = dir.join("gateway.toml");
/// std::fs::write(&file, "[[listener]]\naddr = \"127.0.0.1:9000\"\nmode = \"sideways\"\n")?;
/// let err = jwtguard_gateway::Config::from_file(&file).unwrap_err();
/// assert_eq!((err.line(), err.key()), (Some(3), "mode"));
/// # Ok::<_, std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    file: PathBuf,
    line: Option<usize>,
    key: String,
    message: String,
}

impl ConfigError {
    /// The configuration file.
    pub fn file(&self) -> &Path {
        &self.file
    }
    /// The line (1-based) of the key, when the file has one for it.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
    /// The key, as a TOML path such as `issuer[0].pem_files`.
    pub fn key(&self) -> &str {
        &self.key
    }
    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Where a listener's requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Answers allow (2xx with the claim headers) or deny, for nginx `auth_request`, Traefik
    /// ForwardAuth, Caddy `forward_auth` and Envoy `ext_authz`.
    ForwardAuth,
    /// Verifies, then proxies to the listener's upstream.
    Proxy,
    /// Answers every request (but `/healthz` and the like, when `health = true`) with a
    /// `308 Permanent Redirect` to the same path and query over HTTPS. No token is read; a
    /// token the client already sent in the clear is exposed nonetheless, so clients should
    /// only be given `https://` URLs.
    RedirectHttps,
}

/// The format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One JSON object a line (the default).
    #[default]
    Json,
    /// Human-readable text.
    Text,
}

/// What a claim header carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderSource {
    /// One claim: a string as is, an array of strings joined by spaces, anything else as JSON.
    Claim(String),
    /// The token's scopes (`scope` or `scp`), space-separated.
    Scopes,
    /// The token's payload segment, base64url as in the token.
    Payload,
}

#[derive(Debug, Clone)]
pub(crate) struct ListenerConfig {
    pub(crate) addr: SocketAddr,
    pub(crate) mode: Mode,
    pub(crate) upstream: Option<http::Uri>,
    pub(crate) health: bool,
    /// Certificate chain and key files (PEM): an HTTPS listener.
    pub(crate) tls: Option<(PathBuf, PathBuf)>,
    /// `redirect_https`: where the `Location` points.
    pub(crate) redirect: Option<RedirectConfig>,
}

/// Where a `redirect_https` listener sends clients.
#[derive(Debug, Clone)]
pub(crate) struct RedirectConfig {
    /// The port of the HTTPS listener (left out of the URL when 443).
    pub(crate) https_port: u16,
    /// A fixed host; else the request's `Host` (its host part).
    pub(crate) host: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum KeysConfig {
    Static(std::sync::Arc<KeySet>),
    JwksUrl(String),
    Discovery,
}

#[derive(Debug, Clone)]
pub(crate) struct IssuerConfig {
    pub(crate) name: String,
    pub(crate) key: String,
    pub(crate) line: usize,
    pub(crate) issuer: Option<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) keys: KeysConfig,
    pub(crate) allow_http: bool,
    pub(crate) leeway: Option<Duration>,
    pub(crate) typ: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct RouteConfig {
    pub(crate) key: String,
    pub(crate) line: usize,
    pub(crate) path: String,
    pub(crate) host: Option<String>,
    /// Indexes into `Config::issuers`.
    pub(crate) issuers: Vec<usize>,
    pub(crate) scopes: Vec<String>,
    pub(crate) any_scopes: Vec<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) any_roles: Vec<String>,
    pub(crate) claims: Vec<(String, serde_json::Value)>,
    pub(crate) public: bool,
    pub(crate) optional: bool,
}

/// Where the Redis holding the services' revocations is. Its URLs may hold a password, so
/// `Debug` shows them without their user info.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum RedisTopology {
    Single(String),
    Cluster(Vec<String>),
    Sentinel { sentinels: Vec<String>, master_name: String },
}

impl fmt::Debug for RedisTopology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = |urls: &[String]| urls.iter().map(|u| redacted(u)).collect::<Vec<_>>();
        match self {
            RedisTopology::Single(url) => f.debug_tuple("Single").field(&redacted(url)).finish(),
            RedisTopology::Cluster(nodes) => f.debug_tuple("Cluster").field(&all(nodes)).finish(),
            RedisTopology::Sentinel { sentinels, master_name } => f
                .debug_struct("Sentinel")
                .field("sentinels", &all(sentinels))
                .field("master_name", master_name)
                .finish(),
        }
    }
}

/// A URL with everything between `://` and its last `@` replaced by `[redacted]`: the user info,
/// whatever characters the password holds (`/` and `@` included; an `@` later in the URL only
/// hides more).
fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rfind('@') {
            Some(at) => format!("{scheme}://[redacted]@{}", rest.get(at + 1..).unwrap_or_default()),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// `[revocation]`: revocations shared with the services through Redis.
#[derive(Debug, Clone)]
pub(crate) struct RevocationConfig {
    pub(crate) line: usize,
    pub(crate) redis: RedisTopology,
    pub(crate) prefix: String,
    pub(crate) max_stale: Duration,
}

#[derive(Debug, Clone)]
pub(crate) struct ProxyConfig {
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) strip_authorization: bool,
}

/// A checked configuration: every file read, every reference resolved.
///
/// ```no_run
/// let config = jwtguard_gateway::Config::from_file("gateway.toml")?;
/// # Ok::<_, jwtguard_gateway::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) file: PathBuf,
    pub(crate) listeners: Vec<ListenerConfig>,
    pub(crate) issuers: Vec<IssuerConfig>,
    pub(crate) routes: Vec<RouteConfig>,
    pub(crate) headers: Vec<(HeaderName, HeaderSource)>,
    pub(crate) challenge: Challenge,
    pub(crate) original_uri_header: HeaderName,
    pub(crate) envoy_path_prefix: Option<String>,
    pub(crate) proxy: ProxyConfig,
    pub(crate) log_format: LogFormat,
    pub(crate) log_level: tracing::Level,
    pub(crate) log_claims: Vec<String>,
    pub(crate) drain_timeout: Duration,
    pub(crate) require_https: bool,
    pub(crate) trusted_proxies: Vec<std::net::IpAddr>,
    pub(crate) revocation: Option<RevocationConfig>,
}

// ---- the file as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    realm: Option<Spanned<String>>,
    #[serde(default)]
    problem_json: bool,
    #[serde(default, rename = "listener")]
    listeners: Vec<Spanned<RawListener>>,
    #[serde(default, rename = "issuer")]
    issuers: Vec<Spanned<RawIssuer>>,
    #[serde(default, rename = "route")]
    routes: Vec<Spanned<RawRoute>>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    forward_auth: RawForwardAuth,
    #[serde(default)]
    proxy: RawProxy,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    server: RawServer,
    revocation: Option<Spanned<RawRevocation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRevocation {
    redis: Option<Spanned<String>>,
    redis_cluster: Option<Spanned<Vec<Spanned<String>>>>,
    redis_sentinels: Option<Spanned<Vec<Spanned<String>>>>,
    master_name: Option<Spanned<String>>,
    prefix: Option<Spanned<String>>,
    max_stale_ms: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawListener {
    addr: Spanned<String>,
    mode: Mode,
    upstream: Option<Spanned<String>>,
    health: Option<bool>,
    tls_cert: Option<Spanned<String>>,
    tls_key: Option<Spanned<String>>,
    https_port: Option<Spanned<u16>>,
    redirect_host: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssuer {
    name: Spanned<String>,
    issuer: Option<Spanned<String>>,
    #[serde(default)]
    audiences: Vec<String>,
    algorithms: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pem_files: Vec<Spanned<String>>,
    jwks_file: Option<Spanned<String>>,
    jwks_url: Option<Spanned<String>>,
    #[serde(default)]
    discovery: bool,
    #[serde(default)]
    allow_http: bool,
    leeway_secs: Option<u64>,
    typ: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    path: Spanned<String>,
    host: Option<String>,
    issuers: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    scopes: Vec<Spanned<String>>,
    #[serde(default)]
    any_scopes: Vec<Spanned<String>>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    any_roles: Vec<String>,
    #[serde(default)]
    claims: BTreeMap<String, toml::Value>,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    optional: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawForwardAuth {
    original_uri_header: Option<Spanned<String>>,
    envoy_path_prefix: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProxy {
    connect_timeout_secs: Option<u64>,
    timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    #[serde(default)]
    strip_authorization: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLog {
    #[serde(default)]
    format: LogFormat,
    level: Option<Spanned<String>>,
    #[serde(default)]
    claims: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServer {
    drain_timeout_secs: Option<u64>,
    #[serde(default)]
    require_https: bool,
    #[serde(default)]
    trusted_proxies: Vec<Spanned<String>>,
}

/// Headers the gateway never sets from a claim: they carry the request itself.
const RESERVED: &[&str] = &[
    "authorization",
    "cookie",
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-authorization",
    "www-authenticate",
];

/// Reads a config file's text and the line of a byte offset in it.
struct Source<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    fn line(&self, offset: usize) -> usize {
        self.text.get(..offset).unwrap_or(self.text).matches('\n').count() + 1
    }

    fn err(
        &self,
        span: Option<std::ops::Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            line: span.map(|s| self.line(s.start)),
            key: key.into(),
            message: message.into(),
        }
    }

    fn at<T>(&self, spanned: &Spanned<T>, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        self.err(Some(spanned.span()), key, message)
    }

    /// The key a TOML syntax or type error is about: the text before `=` on its line, or the
    /// table header.
    fn key_at(&self, offset: usize) -> String {
        let start = self.text.get(..offset).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
        let line = self.text.get(start..).and_then(|t| t.lines().next()).unwrap_or("").trim();
        if line.starts_with('[') {
            line.trim_matches(|c| c == '[' || c == ']').trim().to_owned()
        } else if let Some((key, _)) = line.split_once('=') {
            key.trim().trim_matches('"').to_owned()
        } else {
            String::new()
        }
    }

    /// A path in the file, relative to the file's folder.
    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() { p.to_owned() } else { self.file.parent().unwrap_or(Path::new(".")).join(p) }
    }
}

impl Config {
    /// Reads and checks `path`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the file, line and key of the first mistake.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let file = path.as_ref();
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
            file: file.to_owned(),
            line: None,
            key: String::new(),
            message: format!("cannot read the file: {e}"),
        })?;
        Config::from_str_at(&text, file)
    }

    /// Checks `text` as if it were the file `file` (relative key paths are resolved against
    /// its folder).
    ///
    /// # Errors
    /// As [`Config::from_file`].
    pub fn from_str_at(text: &str, file: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let src = Source { file: file.as_ref(), text };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let span = e.span();
            let key = span.as_ref().map(|s| src.key_at(s.start)).unwrap_or_default();
            src.err(span, key, e.message().trim().to_owned())
        })?;
        check(&src, raw)
    }

    /// The log format (`log.format`).
    pub fn log_format(&self) -> LogFormat {
        self.log_format
    }

    /// The most verbose level logged (`log.level`).
    pub fn log_level(&self) -> tracing::Level {
        self.log_level
    }

    /// The local addresses the listeners are configured for.
    pub fn listen_addrs(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.listeners.iter().map(|l| l.addr)
    }
}

fn check(src: &Source<'_>, raw: Raw) -> Result<Config, ConfigError> {
    let challenge = match &raw.realm {
        Some(realm) => Challenge::new(realm.get_ref()).map_err(|e| src.at(realm, "realm", e.to_string()))?,
        None => Challenge::default(),
    }
    .problem_json(raw.problem_json);

    if raw.listeners.is_empty() {
        return Err(src.err(None, "listener", "at least one [[listener]] is required"));
    }
    let mut listeners = Vec::new();
    for (i, l) in raw.listeners.iter().enumerate() {
        let key = |k: &str| format!("listener[{i}].{k}");
        let l_ = l.get_ref();
        let addr: SocketAddr = l_
            .addr
            .get_ref()
            .parse()
            .map_err(|_| src.at(&l_.addr, key("addr"), "not an IP address with a port, such as 127.0.0.1:9000"))?;
        let upstream = match (l_.mode, &l_.upstream) {
            (Mode::Proxy, None) => return Err(src.at(l, key("upstream"), "a proxy listener needs an upstream")),
            (Mode::ForwardAuth, Some(u)) => {
                return Err(src.at(u, key("upstream"), "a forward_auth listener has no upstream"));
            }
            (Mode::RedirectHttps, Some(u)) => {
                return Err(src.at(u, key("upstream"), "a redirect_https listener has no upstream"));
            }
            (Mode::ForwardAuth | Mode::RedirectHttps, None) => None,
            (Mode::Proxy, Some(u)) => Some(upstream_uri(src, u, &key("upstream"))?),
        };
        let redirect = match l_.mode {
            Mode::RedirectHttps => {
                if let Some(c) = &l_.tls_cert {
                    return Err(src.at(c, key("tls_cert"), "a redirect_https listener speaks plain HTTP"));
                }
                let https_port = match &l_.https_port {
                    Some(p) if *p.get_ref() == 0 => return Err(src.at(p, key("https_port"), "a port from 1 to 65535")),
                    Some(p) => *p.get_ref(),
                    None => 443,
                };
                let host = match &l_.redirect_host {
                    Some(h) => Some(redirect_host(h.get_ref()).ok_or_else(|| {
                        src.at(h, key("redirect_host"), "a host name or IP address, without scheme, port or path")
                    })?),
                    None => None,
                };
                Some(RedirectConfig { https_port, host })
            }
            _ => {
                if let Some(p) = &l_.https_port {
                    return Err(src.at(p, key("https_port"), "https_port goes with mode = \"redirect_https\""));
                }
                if let Some(h) = &l_.redirect_host {
                    return Err(src.at(h, key("redirect_host"), "redirect_host goes with mode = \"redirect_https\""));
                }
                None
            }
        };
        let tls = match (&l_.tls_cert, &l_.tls_key) {
            (None, None) => None,
            (Some(cert), Some(tls_key)) => {
                let (cert_path, key_path) = (src.path(cert.get_ref()), src.path(tls_key.get_ref()));
                crate::tls::load(&cert_path, &key_path).map_err(|e| src.at(cert, key("tls_cert"), e))?;
                Some((cert_path, key_path))
            }
            (Some(c), None) => return Err(src.at(c, key("tls_key"), "tls_cert needs tls_key")),
            (None, Some(k)) => return Err(src.at(k, key("tls_cert"), "tls_key needs tls_cert")),
        };
        listeners.push(ListenerConfig {
            addr,
            mode: l_.mode,
            upstream,
            health: l_.health.unwrap_or(l_.mode == Mode::ForwardAuth),
            tls,
            redirect,
        });
    }

    let mut issuers: Vec<IssuerConfig> = Vec::new();
    for (i, spanned) in raw.issuers.iter().enumerate() {
        let r = spanned.get_ref();
        let key = |k: &str| format!("issuer[{i}].{k}");
        let name = r.name.get_ref().clone();
        if name.is_empty() {
            return Err(src.at(&r.name, key("name"), "an issuer needs a name"));
        }
        if issuers.iter().any(|o| o.name == name) {
            return Err(src.at(&r.name, key("name"), format!("issuer name {name:?} is used twice")));
        }
        let mut algorithms = Vec::new();
        for a in r.algorithms.get_ref() {
            algorithms.push(a.get_ref().parse::<Algorithm>().map_err(|e| src.at(a, key("algorithms"), e.to_string()))?);
        }
        if algorithms.is_empty() {
            return Err(src.at(&r.algorithms, key("algorithms"), "the algorithm allow-list is required"));
        }
        let sources = usize::from(!r.pem_files.is_empty())
            + usize::from(r.jwks_file.is_some())
            + usize::from(r.jwks_url.is_some())
            + usize::from(r.discovery);
        if sources != 1 {
            return Err(src.at(
                spanned,
                format!("issuer[{i}]"),
                "give exactly one key source: pem_files, jwks_file, jwks_url or discovery = true",
            ));
        }
        let keys = if !r.pem_files.is_empty() {
            let mut set = KeySet::new();
            for p in &r.pem_files {
                let key_ = Key::from_pem_file(src.path(p.get_ref()))
                    .map_err(|e| src.at(p, key("pem_files"), format!("{}: {e}", p.get_ref())))?;
                set = set.with(key_);
            }
            KeysConfig::Static(set.into())
        } else if let Some(p) = &r.jwks_file {
            let set = KeySet::from_jwks_file(src.path(p.get_ref()))
                .map_err(|e| src.at(p, key("jwks_file"), format!("{}: {e}", p.get_ref())))?;
            if set.is_empty() {
                return Err(src.at(p, key("jwks_file"), format!("{}: no usable key", p.get_ref())));
            }
            KeysConfig::Static(set.into())
        } else if let Some(u) = &r.jwks_url {
            let _syntax_checked = jwtguard_jwks::RemoteJwks::builder(u.get_ref())
                .map_err(|e| src.at(u, key("jwks_url"), e.to_string()))?;
            KeysConfig::JwksUrl(u.get_ref().clone())
        } else {
            if r.issuer.is_none() {
                return Err(src.at(spanned, key("discovery"), "discovery needs the `issuer` to discover"));
            }
            KeysConfig::Discovery
        };
        issuers.push(IssuerConfig {
            name,
            key: format!("issuer[{i}]"),
            line: src.line(spanned.span().start),
            issuer: r.issuer.as_ref().map(|s| s.get_ref().clone()),
            audiences: r.audiences.clone(),
            algorithms,
            keys,
            allow_http: r.allow_http,
            leeway: r.leeway_secs.map(Duration::from_secs),
            typ: r.typ.clone(),
        });
    }

    let mut routes = Vec::new();
    let mut seen_routes = std::collections::HashSet::new();
    for (i, spanned) in raw.routes.iter().enumerate() {
        let r = spanned.get_ref();
        let key = |k: &str| format!("route[{i}].{k}");
        let path = r.path.get_ref();
        if !path.starts_with('/') {
            return Err(src.at(&r.path, key("path"), "a route path is a prefix starting with `/`"));
        }
        // Requests are matched on their normalised path: a route written otherwise could never
        // match, silently.
        if crate::gateway::normalize_path(path).as_deref() != Some(path.as_str()) {
            return Err(src.at(
                &r.path,
                key("path"),
                "a route path is written as requests are matched: no escapes, `.` or `..` segments, `;`, `\\` or repeated `/`",
            ));
        }
        let host = match &r.host {
            Some(h) if h.is_empty() || h.contains([':', '[', ']', '/']) => {
                return Err(src.at(spanned, key("host"), "a route host is a name, without a port"));
            }
            Some(h) => Some(crate::gateway::host_key(h)),
            None => None,
        };
        // Two routes for one path and host: one would silently never apply.
        if !seen_routes.insert((host.clone(), path.clone())) {
            return Err(src.at(&r.path, key("path"), "another [[route]] has this path (and host)"));
        }
        let has_rules = !(r.scopes.is_empty()
            && r.any_scopes.is_empty()
            && r.roles.is_empty()
            && r.any_roles.is_empty()
            && r.claims.is_empty());
        if r.public && (has_rules || r.optional || r.issuers.is_some()) {
            return Err(src.at(spanned, key("public"), "a public route has no issuers, rules or optional auth"));
        }
        if r.optional && has_rules {
            return Err(src.at(
                spanned,
                key("optional"),
                "an optional-auth route cannot also require scopes, roles or claims",
            ));
        }
        for s in r.scopes.iter().chain(&r.any_scopes) {
            jwtguard_core::bearer::validate_scope(s.get_ref())
                .map_err(|_| src.at(s, key("scopes"), "a scope is printable ASCII without spaces, `\"` or `\\`"))?;
        }
        let mut route_issuers = Vec::new();
        if !r.public {
            match &r.issuers {
                Some(names) => {
                    for n in names {
                        let idx = issuers.iter().position(|o| &o.name == n.get_ref()).ok_or_else(|| {
                            src.at(n, key("issuers"), format!("no [[issuer]] is named {:?}", n.get_ref()))
                        })?;
                        route_issuers.push(idx);
                    }
                    if route_issuers.is_empty() {
                        return Err(src.at(spanned, key("issuers"), "a route that is not public needs an issuer"));
                    }
                }
                None if issuers.is_empty() => {
                    return Err(src.at(spanned, key("issuers"), "a route that is not public needs an [[issuer]]"));
                }
                None => route_issuers = (0..issuers.len()).collect(),
            }
            if route_issuers.len() > 1
                && let Some(&idx) = route_issuers.iter().find(|&&idx| issuers[idx].issuer.is_none())
            {
                return Err(src.at(
                    spanned,
                    key("issuers"),
                    format!("issuer {:?} needs `issuer` to share a route with other issuers", issuers[idx].name),
                ));
            }
        }
        let mut claims = Vec::new();
        for (name, value) in &r.claims {
            let value = serde_json::to_value(value)
                .map_err(|e| src.at(spanned, key(&format!("claims.{name}")), e.to_string()))?;
            claims.push((name.clone(), value));
        }
        routes.push(RouteConfig {
            key: format!("route[{i}]"),
            line: src.line(spanned.span().start),
            path: path.clone(),
            host,
            issuers: route_issuers,
            scopes: r.scopes.iter().map(|s| s.get_ref().clone()).collect(),
            any_scopes: r.any_scopes.iter().map(|s| s.get_ref().clone()).collect(),
            roles: r.roles.clone(),
            any_roles: r.any_roles.clone(),
            claims,
            public: r.public,
            optional: r.optional,
        });
    }
    if routes.is_empty() {
        return Err(src.err(None, "route", "at least one [[route]] is required (requests matching none are denied)"));
    }

    let mut headers = Vec::new();
    for (name, value) in &raw.headers {
        let key = format!("headers.{name}");
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| src.at(value, key.clone(), "not a valid header name"))?;
        if RESERVED.contains(&header.as_str()) {
            return Err(src.at(value, key, "this header carries the request itself; pick another name"));
        }
        let source = match value.get_ref().as_str() {
            "@payload" => HeaderSource::Payload,
            "@scopes" => HeaderSource::Scopes,
            "" => return Err(src.at(value, key, "name a claim, `@scopes` or `@payload`")),
            s if s.starts_with('@') => return Err(src.at(value, key, "the specials are `@scopes` and `@payload`")),
            claim => HeaderSource::Claim(claim.to_owned()),
        };
        headers.push((header, source));
    }

    let original_uri_header = match &raw.forward_auth.original_uri_header {
        Some(h) => HeaderName::from_bytes(h.get_ref().as_bytes())
            .map_err(|_| src.at(h, "forward_auth.original_uri_header", "not a valid header name"))?,
        None => HeaderName::from_static("x-original-uri"),
    };
    let envoy_path_prefix = match &raw.forward_auth.envoy_path_prefix {
        Some(p) if !p.get_ref().starts_with('/') || p.get_ref().ends_with('/') => {
            return Err(src.at(
                p,
                "forward_auth.envoy_path_prefix",
                "a path such as `/ext_authz`, without a final `/`",
            ));
        }
        Some(p) => Some(p.get_ref().clone()),
        None => None,
    };

    let log_level = match &raw.log.level {
        Some(l) => l
            .get_ref()
            .parse::<tracing::Level>()
            .map_err(|_| src.at(l, "log.level", "one of error, warn, info, debug, trace"))?,
        None => tracing::Level::INFO,
    };

    let mut trusted_proxies = Vec::new();
    for p in &raw.server.trusted_proxies {
        trusted_proxies.push(
            p.get_ref()
                .parse::<std::net::IpAddr>()
                .map_err(|_| src.at(p, "server.trusted_proxies", "an IP address such as 127.0.0.1 (no ranges)"))?,
        );
    }
    if raw.server.require_https && trusted_proxies.is_empty() {
        return Err(src.err(
            None,
            "server.require_https",
            "the listeners speak plain HTTP, so require_https needs the trusted_proxies that terminate TLS",
        ));
    }

    let revocation = raw.revocation.as_ref().map(|r| revocation(src, r)).transpose()?;

    let secs = |v: Option<u64>, default: u64| Duration::from_secs(v.unwrap_or(default));
    Ok(Config {
        file: src.file.to_owned(),
        listeners,
        issuers,
        routes,
        headers,
        challenge,
        original_uri_header,
        envoy_path_prefix,
        proxy: ProxyConfig {
            connect_timeout: secs(raw.proxy.connect_timeout_secs, 5),
            timeout: secs(raw.proxy.timeout_secs, 60),
            idle_timeout: secs(raw.proxy.idle_timeout_secs, 90),
            strip_authorization: raw.proxy.strip_authorization,
        },
        log_format: raw.log.format,
        log_level,
        log_claims: raw.log.claims,
        drain_timeout: secs(raw.server.drain_timeout_secs, 30),
        require_https: raw.server.require_https,
        trusted_proxies,
        revocation,
    })
}

/// `[revocation]`: exactly one Redis topology, with URLs the `redis` crate will accept.
fn revocation(src: &Source<'_>, spanned: &Spanned<RawRevocation>) -> Result<RevocationConfig, ConfigError> {
    let r = spanned.get_ref();
    let url = |u: &Spanned<String>, key: &str| -> Result<String, ConfigError> {
        let text = u.get_ref();
        // `rediss://` needs TLS support in the Redis client, which the gateway is not built with.
        // The Redis client's own parser decides the rest, so a check passes only what start-up can use.
        if !text.starts_with("redis://") || jwtguard_redis::RedisStores::check_url(text).is_err() {
            return Err(src.at(u, format!("revocation.{key}"), "a URL such as redis://127.0.0.1:6379"));
        }
        Ok(text.clone())
    };
    let urls = |list: &Spanned<Vec<Spanned<String>>>, key: &str| -> Result<Vec<String>, ConfigError> {
        if list.get_ref().is_empty() {
            return Err(src.at(list, format!("revocation.{key}"), "at least one URL"));
        }
        list.get_ref().iter().map(|u| url(u, key)).collect()
    };
    let redis = match (&r.redis, &r.redis_cluster, &r.redis_sentinels) {
        (Some(u), None, None) => RedisTopology::Single(url(u, "redis")?),
        (None, Some(nodes), None) => RedisTopology::Cluster(urls(nodes, "redis_cluster")?),
        (None, None, Some(sentinels)) => {
            let master_name = r.master_name.as_ref().ok_or_else(|| {
                src.at(sentinels, "revocation.master_name", "redis_sentinels needs the master_name they watch")
            })?;
            RedisTopology::Sentinel {
                sentinels: urls(sentinels, "redis_sentinels")?,
                master_name: master_name.get_ref().clone(),
            }
        }
        _ => {
            return Err(src.at(spanned, "revocation", "give exactly one of redis, redis_cluster or redis_sentinels"));
        }
    };
    if let (Some(m), false) = (&r.master_name, matches!(redis, RedisTopology::Sentinel { .. })) {
        return Err(src.at(m, "revocation.master_name", "master_name goes with redis_sentinels"));
    }
    let prefix = match &r.prefix {
        Some(p) if p.get_ref().is_empty() => return Err(src.at(p, "revocation.prefix", "an empty prefix")),
        Some(p) => p.get_ref().clone(),
        None => "jwtguard".to_owned(),
    };
    let max_stale = match &r.max_stale_ms {
        Some(ms) if !(10..=60_000).contains(ms.get_ref()) => {
            return Err(src.at(ms, "revocation.max_stale_ms", "between 10 and 60000"));
        }
        Some(ms) => Duration::from_millis(*ms.get_ref()),
        None => Duration::from_secs(1),
    };
    Ok(RevocationConfig { line: src.line(spanned.span().start), redis, prefix, max_stale })
}

fn upstream_uri(src: &Source<'_>, u: &Spanned<String>, key: &str) -> Result<http::Uri, ConfigError> {
    let uri: http::Uri = u.get_ref().parse().map_err(|_| src.at(u, key, "not a URL such as http://127.0.0.1:8080"))?;
    if uri.scheme_str() != Some("http") || uri.authority().is_none() {
        return Err(src.at(
            u,
            key,
            "an upstream is an http:// URL with a host (https upstreams are not supported yet)",
        ));
    }
    if uri.query().is_some() {
        return Err(src.at(u, key, "an upstream has no query"));
    }
    Ok(uri)
}

/// `host` when it is a bare host name (letters, digits, `-` and `.`) or a bracketed IPv6
/// address, lowercased: what may stand between `https://` and the port of a redirect. The
/// other characters an authority allows (`!$&'()*+,;=%`) are refused.
pub(crate) fn redirect_host(host: &str) -> Option<String> {
    let ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(ipv6) => ipv6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            (1..=253).contains(&host.len()) && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        }
    };
    ok.then(|| host.to_ascii_lowercase())
}

/// The error a start-up step (a remote key set, discovery, a validator) had, at its table.
pub(crate) fn start_error(file: &Path, line: usize, key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError { file: file.to_owned(), line: Some(line), key: key.to_owned(), message: message.into() }
}

#[cfg(test)]
mod tests;
