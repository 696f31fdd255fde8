//! OpenID Connect discovery: from an issuer to its keys, with `iss` checked automatically.

use std::fmt;
use std::time::Duration;

use jwtguard_core::{Algorithm, ConfigError, Validator, ValidatorBuilder};

use crate::http::{self, FetchError};
use crate::{RemoteJwks, RemoteJwksBuilder};

/// Why discovery failed. Discovery runs at start-up: a service should not start without keys.
///
/// ```
/// use jwtguard_jwks::{DiscoveryError, Oidc};
///
/// # async fn demo() {
/// match Oidc::discover("http://login.example.com").await {
///     Err(DiscoveryError::Config(e)) => println!("plain http on a public host is refused: {e}"),
///     other => println!("{other:?}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// A URL or setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The configuration document could not be fetched.
    #[error("cannot fetch the OpenID configuration")]
    Fetch(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The document is not JSON with string `issuer` and `jwks_uri` members.
    #[error("the OpenID configuration is not JSON with an issuer and a jwks_uri")]
    Invalid,
    /// The document names another issuer than the one configured (OIDC Discovery §4.3).
    #[error("the OpenID configuration names issuer {found:?}, not {expected:?}")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The issuer in the document.
        found: String,
    },
}

impl From<FetchError> for DiscoveryError {
    fn from(e: FetchError) -> Self {
        DiscoveryError::Fetch(Box::new(e))
    }
}

/// An issuer found by discovery: its identifier and its remote keys.
///
/// ```no_run
/// use jwtguard_core::Algorithm;
/// use jwtguard_jwks::Oidc;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let idp = Oidc::discover("https://login.example.com").await?;
/// let validator = idp.validator([Algorithm::RS256]).audience("orders-api").build()?; // iss checked
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Oidc {
    issuer: String,
    jwks_uri: String,
    jwks: RemoteJwks,
}

impl fmt::Debug for Oidc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Oidc").field("issuer", &self.issuer).field("jwks_uri", &self.jwks_uri).finish_non_exhaustive()
    }
}

/// Configures discovery. Made by [`Oidc::builder`].
///
/// ```no_run
/// use std::time::Duration;
/// use jwtguard_jwks::Oidc;
///
/// # async fn demo() -> Result<(), jwtguard_jwks::DiscoveryError> {
/// let idp = Oidc::builder("https://login.example.com")
///     .jwks(|jwks| jwks.cooldown(Duration::from_secs(60)))
///     .discover()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use]
pub struct OidcBuilder {
    issuer: String,
    allow_http: bool,
    client: Option<reqwest::Client>,
    connect_timeout: Duration,
    timeout: Duration,
    max_body: usize,
    jwks: Box<dyn FnOnce(RemoteJwksBuilder) -> RemoteJwksBuilder + Send>,
}

impl fmt::Debug for OidcBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcBuilder").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl Oidc {
    /// Discovers `issuer` with the default bounds; see [`OidcBuilder::discover`].
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_jwks::DiscoveryError> {
    /// let idp = jwtguard_jwks::Oidc::discover("https://login.example.com").await?;
    /// println!("keys at {}", idp.jwks_uri());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`OidcBuilder::discover`].
    pub async fn discover(issuer: &str) -> Result<Oidc, DiscoveryError> {
        Oidc::builder(issuer).discover().await
    }

    /// Starts configuring discovery of `issuer`.
    ///
    /// ```
    /// let builder = jwtguard_jwks::Oidc::builder("https://login.example.com")
    ///     .jwks(|jwks| jwks.cooldown(std::time::Duration::from_secs(60)));
    /// ```
    pub fn builder(issuer: &str) -> OidcBuilder {
        OidcBuilder {
            issuer: issuer.to_owned(),
            allow_http: false,
            client: None,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_body: 256 * 1024,
            jwks: Box::new(|b| b),
        }
    }

    /// The issuer, exactly as the configuration document states it.
    ///
    /// ```no_run
    /// # async fn demo(idp: jwtguard_jwks::Oidc) {
    /// assert_eq!(idp.issuer(), "https://login.example.com");
    /// # }
    /// ```
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `jwks_uri` the configuration named.
    ///
    /// ```no_run
    /// # async fn demo(idp: jwtguard_jwks::Oidc) {
    /// println!("{}", idp.jwks_uri());
    /// # }
    /// ```
    pub fn jwks_uri(&self) -> &str {
        &self.jwks_uri
    }

    /// The issuer's keys, kept current in the background.
    ///
    /// ```no_run
    /// # async fn demo(idp: jwtguard_jwks::Oidc) -> Result<(), jwtguard_core::Error> {
    /// idp.jwks().wait_ready(std::time::Duration::from_secs(5)).await?;
    /// # Ok(()) }
    /// ```
    pub fn jwks(&self) -> &RemoteJwks {
        &self.jwks
    }

    /// A validator builder with these keys and `iss` checked against this issuer.
    ///
    /// ```no_run
    /// # async fn demo(idp: jwtguard_jwks::Oidc) -> Result<(), jwtguard_core::ConfigError> {
    /// let validator = idp.validator([jwtguard_core::Algorithm::ES256]).audience("api").build()?;
    /// # Ok(()) }
    /// ```
    pub fn validator(&self, algorithms: impl IntoIterator<Item = Algorithm>) -> ValidatorBuilder {
        Validator::builder(self.jwks.clone(), algorithms).issuer(self.issuer.clone())
    }
}

impl OidcBuilder {
    /// Allows plain `http` on a non-loopback host, for discovery and keys. Defaults to: `https`
    /// required except for `localhost` and loopback addresses.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_jwks::DiscoveryError> {
    /// let idp = jwtguard_jwks::Oidc::builder("http://keycloak.internal:8080/realms/main").allow_http().discover().await?;
    /// # Ok(()) }
    /// ```
    pub fn allow_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// Uses your own HTTP client (custom CA, proxy) for discovery and keys.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(3)).build()?;
    /// let idp = jwtguard_jwks::Oidc::builder("https://login.example.com").client(client).discover().await?;
    /// # Ok(()) }
    /// ```
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Configures the [`RemoteJwks`] made from `jwks_uri` (cooldown, refetch interval, bounds).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_jwks::DiscoveryError> {
    /// let idp = jwtguard_jwks::Oidc::builder("https://login.example.com")
    ///     .jwks(|jwks| jwks.refetch_interval(std::time::Duration::from_secs(300)))
    ///     .discover()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn jwks(mut self, configure: impl FnOnce(RemoteJwksBuilder) -> RemoteJwksBuilder + Send + 'static) -> Self {
        self.jwks = Box::new(configure);
        self
    }

    /// Fetches `{issuer}/.well-known/openid-configuration`, checks that its `issuer` equals the
    /// configured one, and starts a [`RemoteJwks`] on its `jwks_uri` (which must be https, or
    /// loopback, or allowed by [`allow_http`](Self::allow_http)). Call inside a tokio runtime.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_jwks::DiscoveryError> {
    /// let idp = jwtguard_jwks::Oidc::builder("http://127.0.0.1:8080").discover().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A [`DiscoveryError`] saying which step failed.
    pub async fn discover(self) -> Result<Oidc, DiscoveryError> {
        let well_known = format!("{}/.well-known/openid-configuration", self.issuer.trim_end_matches('/'));
        let url =
            http::parse_url(&well_known, self.allow_http, "issuer must be an https URL (or loopback, or allow_http)")?;
        let client = match &self.client {
            Some(c) => c.clone(),
            None => http::default_client(&url, self.connect_timeout, self.timeout)?,
        };
        let fetched = http::get_bounded(&client, &url, "application/json", self.max_body).await?;
        #[derive(serde::Deserialize)]
        struct Metadata {
            issuer: String,
            jwks_uri: String,
        }
        let meta: Metadata = serde_json::from_slice(&fetched.body).map_err(|_| DiscoveryError::Invalid)?;
        if meta.issuer != self.issuer {
            return Err(DiscoveryError::IssuerMismatch { expected: self.issuer, found: meta.issuer });
        }
        tracing::info!(issuer = %meta.issuer, jwks_uri = %meta.jwks_uri, "OpenID configuration discovered");
        let mut jwks = RemoteJwks::builder(&meta.jwks_uri)?;
        if self.allow_http {
            jwks = jwks.allow_http();
        }
        if let Some(c) = self.client {
            jwks = jwks.client(c);
        }
        let jwks = (self.jwks)(jwks).build()?;
        Ok(Oidc { issuer: meta.issuer, jwks_uri: meta.jwks_uri, jwks })
    }
}
