//! What both quickstarts share: settings from the environment, the embedded default (a key
//! made at start, in-memory stores), or shared ones (`SIGNING_KEY_FILE`, `REDIS_URL`), and the
//! login / refresh / logout flow with OAuth 2.0 (RFC 6749 §5.1, §5.2) response shapes: every
//! decision and every answer of that flow (the rate limit, the body rules, the JSON) is made
//! here, as an [`Answer`] that each framework only copies into its own response type, so the two
//! apps answer alike byte for byte.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use jwtguard::issuer::{Issue, SigningKey, TokenIssuer};
use jwtguard::refresh::{InMemoryRefreshStore, RefreshError, RefreshStore, RefreshTokens};
use jwtguard::revocation::{InMemoryRevocations, RevocationStore};
use jwtguard::{Algorithm, Error, Validator, Verified};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub(crate) const ISSUER: &str = "jwtguard-quickstart";
pub(crate) const AUDIENCE: &str = "jwtguard-quickstart-api";
const ACCESS_TTL: Duration = Duration::from_secs(900);

/// The demo account. A real service looks the user up and verifies a stored password hash
/// (Argon2id, scrypt), whose check is constant-time like [`same_secret`].
const DEMO_USERNAME: &str = "demo";
const DEMO_PASSWORD: &str = "demo";

/// The rate limit on `/login` and `/token/refresh` together, per client address: a burst of this
/// many requests, then one more every `60 / N` seconds (governor's GCRA: a client that keeps to
/// that pace is never refused). Both apps use this number.
pub(crate) const CREDENTIAL_REQUESTS_PER_MINUTE: u32 = 5;

/// The most a `/login`, `/token/refresh` or `/logout` body may hold: a few short strings.
pub(crate) const MAX_BODY: usize = 4 * 1024;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct MyClaims {
    pub(crate) sub: String,
    #[serde(default)]
    pub(crate) scope: String,
    pub(crate) exp: i64,
}

/// `PORT`, `REDIS_URL`, `SIGNING_KEY_FILE`, `JWKS_URL` with `JWKS_ISSUER`, `TLS_CERT_FILE` with
/// `TLS_KEY_FILE`.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) port: u16,
    /// HTTPS: the certificate chain and its private key (PEM files).
    pub(crate) tls: Option<TlsFiles>,
    pub(crate) redis_url: Option<String>,
    pub(crate) signing_key_file: Option<PathBuf>,
    /// A second issuer to trust besides the quickstart's own: its `iss` and its JWKS URL (keys
    /// fetched and refetched by `RemoteJwks`). Needs the `jwks` feature.
    pub(crate) trusted_jwks: Option<TrustedJwks>,
}

/// `JWKS_ISSUER` and `JWKS_URL`: tokens whose `iss` is `issuer` are verified with the keys at
/// `url` (with the quickstart's audience and revocations); the quickstart's own tokens still
/// verify with its own key.
#[derive(Debug, Clone)]
pub(crate) struct TrustedJwks {
    pub(crate) issuer: String,
    pub(crate) url: String,
}

/// `TLS_CERT_FILE` and `TLS_KEY_FILE`: serve HTTPS with this chain and key.
#[derive(Debug, Clone)]
pub(crate) struct TlsFiles {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

impl Settings {
    pub(crate) fn from_env(default_port: u16) -> Result<Settings, String> {
        Settings::from_vars(default_port, |name| std::env::var(name).ok())
    }

    /// The settings from `var` (the environment, or a test's table).
    pub(crate) fn from_vars(default_port: u16, var: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let port = match var("PORT") {
            Some(p) => p.parse().map_err(|_| format!("PORT must be a port number, got {p:?}"))?,
            None => default_port,
        };
        let non_empty = |name: &str| var(name).filter(|s| !s.is_empty());
        let trusted_jwks = match (non_empty("JWKS_URL"), non_empty("JWKS_ISSUER")) {
            (Some(url), Some(issuer)) => Some(TrustedJwks { issuer, url }),
            (None, None) => None,
            _ => return Err("JWKS_URL and JWKS_ISSUER go together".to_owned()),
        };
        let tls = match (non_empty("TLS_CERT_FILE"), non_empty("TLS_KEY_FILE")) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert: cert.into(), key: key.into() }),
            (None, None) => None,
            _ => return Err("TLS_CERT_FILE and TLS_KEY_FILE go together".to_owned()),
        };
        Ok(Settings {
            port,
            tls,
            redis_url: non_empty("REDIS_URL"),
            signing_key_file: non_empty("SIGNING_KEY_FILE").map(PathBuf::from),
            trusted_jwks,
        })
    }
}

impl TlsFiles {
    /// The rustls server configuration (aws-lc-rs, TLS 1.2 and 1.3) of the chain and key, or
    /// what is wrong with the files. `alpn`: the protocols the server speaks.
    pub(crate) fn server_config(&self, alpn: &[&[u8]]) -> Result<rustls::ServerConfig, String> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};

        let certs = CertificateDer::pem_file_iter(&self.cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("TLS_CERT_FILE {}: {e}", self.cert.display()))?;
        if certs.is_empty() {
            return Err(format!("TLS_CERT_FILE {}: no CERTIFICATE in it", self.cert.display()));
        }
        let key =
            PrivateKeyDer::from_pem_file(&self.key).map_err(|e| format!("TLS_KEY_FILE {}: {e}", self.key.display()))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| format!("TLS_CERT_FILE and TLS_KEY_FILE: {e}"))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(config)
    }
}

/// `POST /login` body. `Debug` leaves the password out.
#[derive(Deserialize)]
pub(crate) struct Login {
    pub(crate) username: String,
    pub(crate) password: String,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("username", &self.username)
            .field("password", &format_args!("[redacted]"))
            .finish()
    }
}

/// `POST /token/refresh` and `POST /logout` body. `Debug` leaves the token out.
#[derive(Deserialize)]
pub(crate) struct RefreshRequest {
    pub(crate) refresh_token: String,
}

impl fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshRequest").field("refresh_token", &format_args!("[redacted]")).finish()
    }
}

/// The RFC 6749 §5.1 token response. `Debug` leaves the tokens out.
#[derive(Serialize)]
pub(crate) struct TokenResponse {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: u64,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &format_args!("[redacted]"))
            .field("refresh_token", &format_args!("[redacted]"))
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Why a flow step failed, and the status it maps to.
#[derive(Debug)]
pub(crate) enum FlowError {
    /// A body the route cannot use (not JSON, wrong content type, a field missing or of the
    /// wrong type, over [`MAX_BODY`]): 400 `invalid_request`.
    InvalidRequest,
    /// Wrong username or password: 401.
    BadCredentials,
    /// A dead, unknown or reused refresh token: 400 `invalid_grant`.
    InvalidGrant,
    /// A store is down: 503.
    Unavailable,
}

impl FlowError {
    fn status(&self) -> u16 {
        match self {
            FlowError::InvalidRequest | FlowError::InvalidGrant => 400,
            FlowError::BadCredentials => 401,
            FlowError::Unavailable => 503,
        }
    }
    fn body(&self) -> serde_json::Value {
        let error = match self {
            FlowError::InvalidRequest => "invalid_request",
            FlowError::BadCredentials => "invalid_client",
            FlowError::InvalidGrant => "invalid_grant",
            FlowError::Unavailable => "temporarily_unavailable",
        };
        serde_json::json!({ "error": error })
    }
}

/// The body of a credential route, by one rule for both apps: the content type is
/// `application/json` (parameters such as `charset` allowed) and the body, read whole within
/// [`MAX_BODY`] bytes (`None`: it could not be), is one JSON value of the expected shape.
/// Anything else is [`FlowError::InvalidRequest`] (RFC 6749 §5.2), never a framework's own
/// plain-text rejection.
pub(crate) fn json_body<T: DeserializeOwned>(content_type: Option<&[u8]>, body: Option<&[u8]>) -> Result<T, FlowError> {
    let is_json = content_type.and_then(|v| std::str::from_utf8(v).ok()).is_some_and(|v| {
        let essence = v.split(';').next().unwrap_or_default();
        essence.trim().eq_ignore_ascii_case("application/json")
    });
    match body {
        Some(body) if is_json => serde_json::from_slice(body).map_err(|_| FlowError::InvalidRequest),
        _ => Err(FlowError::InvalidRequest),
    }
}

/// An answer of the token-flow routes: status, headers and body, which each framework copies
/// into its own response type and nothing more. `Debug` shows the body's length only (it may
/// hold tokens).
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
    /// Close the connection after this answer (`Connection: close`).
    pub(crate) close: bool,
}

impl Answer {
    /// No body. Never cached: RFC 6749 §5.1 requires `Cache-Control: no-store` on anything that
    /// carries tokens, and every answer of these routes says it, errors included.
    fn empty(status: u16) -> Answer {
        Answer { status, headers: vec![("cache-control", "no-store".to_owned())], body: Vec::new(), close: false }
    }

    fn json(status: u16, body: &impl Serialize) -> Answer {
        match serde_json::to_vec(body) {
            Ok(body) => {
                let mut answer = Answer { body, ..Answer::empty(status) };
                answer.headers.push(("content-type", "application/json".to_owned()));
                answer
            }
            Err(_) => Answer::empty(500),
        }
    }

    /// 429 with `Retry-After`: the wait in whole seconds, rounded up and at least 1 (RFC 9110
    /// §10.2.3 has no fractions; rounded down, a client retrying on time would be refused again).
    /// It closes the connection: the request body is left unread, and a client over its budget
    /// has no use for a kept-alive connection.
    fn too_many_requests(wait: Duration) -> Answer {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut answer = Answer::empty(429);
        answer.headers.push(("retry-after", secs.max(1).to_string()));
        answer.close = true;
        answer
    }

    /// 500: the server was set up without the peer address the rate limit needs.
    fn no_peer_address() -> Answer {
        let mut answer = Answer::empty(500);
        answer.headers.push(("content-type", "text/plain; charset=utf-8".to_owned()));
        answer.body = b"the client address is unknown; serve the axum router with \
            into_make_service_with_connect_info::<SocketAddr>()\n"
            .to_vec();
        answer
    }
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &format_args!("[{} bytes]", self.body.len()))
            .field("close", &self.close)
            .finish()
    }
}

impl From<FlowError> for Answer {
    fn from(e: FlowError) -> Answer {
        Answer::json(e.status(), &e.body())
    }
}

/// `/login` and `/token/refresh`: 200 with the tokens, or the error.
impl From<Result<TokenResponse, FlowError>> for Answer {
    fn from(result: Result<TokenResponse, FlowError>) -> Answer {
        match result {
            Ok(tokens) => Answer::json(200, &tokens),
            Err(e) => e.into(),
        }
    }
}

/// `/logout`: 204, or the error.
impl From<Result<(), FlowError>> for Answer {
    fn from(result: Result<(), FlowError>) -> Answer {
        match result {
            Ok(()) => Answer::empty(204),
            Err(e) => e.into(),
        }
    }
}

/// The rate limit of the credential routes (see [`CREDENTIAL_REQUESTS_PER_MINUTE`]): governor's
/// keyed limiter, one budget per client address, shared by all clones (and all actix workers).
#[derive(Clone)]
pub(crate) struct ClientLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl ClientLimiter {
    /// Also starts a task (on the current tokio runtime) that forgets, once a minute, the
    /// addresses whose budget is full again, so a stream of new addresses cannot grow the table
    /// without bound. The task ends with the last clone of the limiter.
    fn new() -> Result<ClientLimiter, &'static str> {
        let per_minute = NonZeroU32::new(CREDENTIAL_REQUESTS_PER_MINUTE).ok_or("the rate limit must not be zero")?;
        let limiter = Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute)));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&limiter);
            runtime.spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(60));
                loop {
                    every.tick().await;
                    let Some(limiter) = weak.upgrade() else { break };
                    limiter.retain_recent();
                }
            });
        }
        Ok(ClientLimiter { limiter })
    }

    /// Takes one request from the budget of the client at `peer`, the TCP peer address (`None`
    /// when the server does not know it: a set-up mistake, 500), or says when to come back (429).
    ///
    /// The peer is the client only when clients connect directly. Behind a reverse proxy or load
    /// balancer every request comes from the proxy, so key on the client address from a
    /// forwarded header (`Forwarded`, `X-Forwarded-For`) instead: only the entry your proxy
    /// appended, and only when the peer is that proxy, since a client sets these headers at will.
    pub(crate) fn check(&self, peer: Option<IpAddr>) -> Result<(), Answer> {
        let Some(peer) = peer else { return Err(Answer::no_peer_address()) };
        self.limiter
            .check_key(&client_key(peer))
            .map_err(|not_until| Answer::too_many_requests(not_until.wait_time_from(DefaultClock::default().now())))
    }
}

/// The budget a client address draws on: an IPv4 address (also when it comes IPv4-mapped), or
/// the /64 of an IPv6 address, since one subscriber usually holds a whole /64 and could otherwise
/// take a fresh budget with every address in it.
fn client_key(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

/// Whether `given` equals `expected`, in a time that tells nothing about `expected`: their
/// SHA-256 digests, of one fixed length, are compared in constant time, so neither a matching
/// prefix nor the length shows.
fn same_secret(given: &str, expected: &str) -> bool {
    let (given, expected) = (digest(&SHA256, given.as_bytes()), digest(&SHA256, expected.as_bytes()));
    verify_slices_are_equal(given.as_ref(), expected.as_ref()).is_ok()
}

impl From<Error> for FlowError {
    fn from(_: Error) -> Self {
        FlowError::Unavailable
    }
}

/// Everything the routes need. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Auth {
    pub(crate) validator: Validator,
    pub(crate) limiter: ClientLimiter,
    issuer: TokenIssuer,
    refresh: RefreshTokens,
    revocations: Arc<dyn RevocationStore>,
}

fn signing_key(settings: &Settings) -> Result<SigningKey, Box<dyn std::error::Error>> {
    let Some(path) = &settings.signing_key_file else {
        return Ok(SigningKey::generate_ed25519(format!("quickstart-{}", std::process::id()))?);
    };
    let pem = std::fs::read(path).map_err(|e| format!("SIGNING_KEY_FILE {}: {e}", path.display()))?;
    [Algorithm::EdDSA, Algorithm::ES256, Algorithm::ES384, Algorithm::RS256]
        .into_iter()
        .find_map(|alg| SigningKey::from_pkcs8_pem(&pem, alg, "quickstart").ok())
        .ok_or_else(|| "SIGNING_KEY_FILE must be a PKCS#8 Ed25519, P-256, P-384 or RSA private key".into())
}

/// The validator of the second issuer (`JWKS_ISSUER`, `JWKS_URL`): its keys come from its JWKS,
/// kept current by `RemoteJwks` (refetched in the background, and once per cooldown for an
/// unknown `kid`); until the first fetch succeeds its tokens get 503.
#[cfg(feature = "jwks")]
fn remote_validator(
    trusted: &TrustedJwks,
    revocations: Arc<dyn RevocationStore>,
) -> Result<Validator, Box<dyn std::error::Error>> {
    let jwks = jwtguard::jwks::RemoteJwks::builder(&trusted.url)?.build()?;
    let algorithms = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];
    Ok(Validator::builder(jwks, algorithms)
        .issuer(trusted.issuer.as_str())
        .audience(AUDIENCE)
        .revocation(revocations)
        .build()?)
}

#[cfg(not(feature = "jwks"))]
fn remote_validator(
    trusted: &TrustedJwks,
    _: Arc<dyn RevocationStore>,
) -> Result<Validator, Box<dyn std::error::Error>> {
    let TrustedJwks { issuer, url } = trusted;
    Err(format!("JWKS_URL ({url}, for {issuer}) needs the jwks feature: add it to --features").into())
}

impl Auth {
    /// The embedded default, or shared key and stores when the settings name them. Call it
    /// once per process (on its tokio runtime), before the server's worker factory: every clone
    /// shares the rate limit.
    pub(crate) async fn new(settings: &Settings) -> Result<Auth, Box<dyn std::error::Error>> {
        let key = signing_key(settings)?;
        let alg = key.alg();
        let issuer = TokenIssuer::builder(key).issuer(ISSUER).audience(AUDIENCE).ttl(ACCESS_TTL).build()?;
        let (revocations, refresh_store): (Arc<dyn RevocationStore>, Arc<dyn RefreshStore>) = match &settings.redis_url
        {
            Some(url) => {
                let stores = jwtguard::redis::RedisStores::connect(url).await?;
                (Arc::new(stores.revocations()), Arc::new(stores.refresh_store()))
            }
            None => (Arc::new(InMemoryRevocations::new()), Arc::new(InMemoryRefreshStore::new())),
        };
        let own = Validator::builder(issuer.clone(), [alg])
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .revocation(revocations.clone())
            .build()?;
        let validator = match &settings.trusted_jwks {
            None => own,
            Some(trusted) => Validator::multi_issuer([own, remote_validator(trusted, revocations.clone())?])?,
        };
        let limiter = ClientLimiter::new()?;
        Ok(Auth { validator, limiter, issuer, refresh: RefreshTokens::new(refresh_store), revocations })
    }

    /// A demo access token (no refresh token), for the printed `curl` lines.
    pub(crate) fn demo_token(&self, scope: &str) -> Result<String, Error> {
        Ok(self.issuer.issue(&Issue::subject("demo").scope(scope))?.token)
    }

    async fn pair(&self, sub: &str, scope: Option<&str>, refresh_token: String) -> Result<TokenResponse, FlowError> {
        let mut what = Issue::subject(sub);
        if let Some(scope) = scope {
            what = what.scope(scope);
        }
        let access = self.issuer.issue(&what)?;
        Ok(TokenResponse {
            access_token: access.token,
            refresh_token,
            token_type: "Bearer",
            expires_in: access.expires_in,
        })
    }

    /// `POST /login`: demo / demo.
    pub(crate) async fn login(&self, login: &Login) -> Result<TokenResponse, FlowError> {
        // Both compared, always (`&`, not `&&`): the time tells neither whether the user name was
        // right nor anything of the password.
        let known = same_secret(&login.username, DEMO_USERNAME) & same_secret(&login.password, DEMO_PASSWORD);
        if !known {
            return Err(FlowError::BadCredentials);
        }
        let scope = "orders:read orders:write";
        let refresh = self.refresh.issue(&login.username, Some(scope)).await?;
        self.pair(&login.username, Some(scope), refresh).await
    }

    /// `POST /token/refresh`.
    pub(crate) async fn refresh(&self, req: &RefreshRequest) -> Result<TokenResponse, FlowError> {
        match self.refresh.refresh(&req.refresh_token).await {
            Ok((next, record)) => self.pair(&record.sub, record.scope.as_deref(), next).await,
            Err(RefreshError::InvalidGrant) => Err(FlowError::InvalidGrant),
            Err(_) => Err(FlowError::Unavailable),
        }
    }

    /// `POST /logout`: revokes the access token's `jti` (until its `exp`) and the refresh family.
    pub(crate) async fn logout(&self, access: &Verified<MyClaims>, req: &RefreshRequest) -> Result<(), FlowError> {
        let r = access.registered();
        if let (Some(jti), Some(exp)) = (r.jti(), r.exp()) {
            self.revocations.revoke_jti(jti, exp).await?;
        }
        self.refresh.logout(&req.refresh_token).await?;
        Ok(())
    }
}

/// Prints where the server listens and ready-to-paste `curl` lines, in one write so a reader of
/// the output never sees the first line without the tokens.
/// With `tls`, the URLs are `https://localhost:PORT` and each `curl` trusts the certificate
/// file (`--cacert`), as for the self-signed set-up in the README.
pub(crate) fn print(
    framework: &str,
    addr: SocketAddr,
    auth: &Auth,
    tls: Option<&TlsFiles>,
) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write as _;

    let reader = auth.demo_token("orders:read")?;
    let writer = auth.demo_token("orders:read orders:write")?;
    let (curl, addr) = match tls {
        Some(tls) => (format!("curl --cacert {}", tls.cert.display()), format!("https://localhost:{}", addr.port())),
        None => ("curl".to_owned(), format!("http://{addr}")),
    };
    let json = "-H 'content-type: application/json'";
    let text = format!(
        "jwtguard {framework} quickstart listening on {addr}

# public:
{curl} -i {addr}/
# protected, echoes the verified claims:
{curl} -i -H 'Authorization: Bearer {reader}' {addr}/me
# needs scope orders:write (this token has only orders:read: 403):
{curl} -i -X POST -H 'Authorization: Bearer {reader}' {addr}/orders
# the same with a token that has orders:write:
{curl} -i -X POST -H 'Authorization: Bearer {writer}' {addr}/orders
# no token: 401 with WWW-Authenticate:
{curl} -i {addr}/me
# log in, refresh, log out (RFC 6749 shapes):
{curl} -s -X POST {json} -d '{{\"username\":\"demo\",\"password\":\"demo\"}}' {addr}/login
{curl} -s -X POST {json} -d '{{\"refresh_token\":\"...\"}}' {addr}/token/refresh
{curl} -i -X POST -H 'Authorization: Bearer ...' {json} -d '{{\"refresh_token\":\"...\"}}' {addr}/logout

"
    );
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The process's Prometheus recorder, installed on first use; `/metrics` renders it. `None` when
/// another recorder was installed first (then `/metrics` answers 404).
pub(crate) fn prometheus() -> Option<&'static metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
        std::sync::OnceLock::new();
    HANDLE.get_or_init(|| metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder().ok()).as_ref()
}

/// `/metrics`: the Prometheus text format, or 404 without a recorder of ours.
pub(crate) fn metrics_text() -> Option<String> {
    prometheus().map(metrics_exporter_prometheus::PrometheusHandle::render)
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`; `RUST_LOG=jwtguard=debug` shows every
/// rejection with its error kind). Stdout keeps only the banner with the tokens.
pub(crate) fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
