use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use jwtguard_core::provider::{KeyProvider, KeySource, RefetchFuture};
use jwtguard_core::{ConfigError, Error, ErrorKind, KeySet};
// tokio's clock: every refetch, cooldown and staleness decision runs on the time the runtime
// shows, so tests pause and advance it instead of sleeping. Outside tests it reads the same
// monotonic clock as `std::time::Instant`.
use tokio::time::Instant;
use url::Url;

use crate::http;

/// Keys from a JWKS URL, kept current in the background. Cheap to clone; see the
/// [crate docs](crate) for what it guarantees.
///
/// ```no_run
/// use jwtguard_core::{Algorithm, Validator};
/// use jwtguard_jwks::RemoteJwks;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let jwks = RemoteJwks::builder("https://login.example.com/.well-known/jwks.json")?.build()?;
/// let validator = Validator::builder(jwks, [Algorithm::RS256]).audience("orders-api").build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RemoteJwks {
    shared: Arc<Shared>,
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("url", &self.shared.url.as_str())
            .field("fetches", &self.fetches())
            .finish_non_exhaustive()
    }
}

/// Configures a [`RemoteJwks`]. Made by [`RemoteJwks::builder`].
///
/// ```no_run
/// # async fn demo() -> Result<(), jwtguard_core::ConfigError> {
/// let builder = jwtguard_jwks::RemoteJwks::builder("https://login.example.com/jwks")?;
/// let jwks = builder.cooldown(std::time::Duration::from_secs(60)).build()?;
/// # Ok(()) }
/// ```
#[must_use]
#[derive(Debug)]
pub struct RemoteJwksBuilder {
    url: String,
    client: Option<reqwest::Client>,
    allow_http: bool,
    refetch: Duration,
    min_refetch: Duration,
    max_refetch: Duration,
    cooldown: Duration,
    max_stale: Duration,
    connect_timeout: Duration,
    timeout: Duration,
    max_body: usize,
    symmetric: bool,
}

struct Shared {
    url: Url,
    client: reqwest::Client,
    cfg: Limits,
    /// The current keys. Written only to swap the `Arc`, never held across I/O.
    keys: RwLock<Option<Fetched>>,
    /// Serializes fetches; waiters check `generation` to reuse the one that just finished.
    inflight: tokio::sync::Mutex<()>,
    /// Counts completed fetch attempts, successful or not.
    generation: AtomicU64,
    /// Counts HTTP requests made.
    fetches: AtomicU64,
    /// When the last refetch for an unknown `kid` finished: the start of the cooldown.
    unknown_refetch: Mutex<Option<Instant>>,
}

#[derive(Clone)]
struct Fetched {
    keys: Arc<KeySet>,
    /// The document they were parsed from: an unchanged document keeps the same `Arc`, so the
    /// verified-token cache (which matches entries to the key set they were verified with) keeps
    /// its entries across refetches that change nothing.
    doc: Box<[u8]>,
    at: Instant,
    /// How long these keys count as fresh (`max-age` within bounds, or the interval).
    fresh_for: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    refetch: Duration,
    min_refetch: Duration,
    max_refetch: Duration,
    cooldown: Duration,
    max_stale: Duration,
    max_body: usize,
    /// Whether `oct` keys of the document may verify (off unless the application opts in).
    symmetric: bool,
}

impl RemoteJwks {
    /// Starts configuring keys from `url`.
    ///
    /// ```
    /// let builder = jwtguard_jwks::RemoteJwks::builder("https://login.example.com/jwks.json")?;
    /// assert!(jwtguard_jwks::RemoteJwks::builder("http://login.example.com/jwks.json")?.build().is_err());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidSetting`] when `url` is not an absolute http(s) URL.
    pub fn builder(url: &str) -> Result<RemoteJwksBuilder, ConfigError> {
        // Checked for syntax now; for https (or loopback, or allow_http) when built.
        http::parse_url(url, true, "JWKS URL must be an http(s) URL")?;
        Ok(RemoteJwksBuilder {
            url: url.to_owned(),
            client: None,
            allow_http: false,
            refetch: Duration::from_secs(600),
            min_refetch: Duration::from_secs(60),
            max_refetch: Duration::from_secs(24 * 3600),
            cooldown: Duration::from_secs(30),
            max_stale: Duration::from_secs(24 * 3600),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_body: 1024 * 1024,
            symmetric: false,
        })
    }

    /// Waits until the first fetch succeeded, for at most `timeout`.
    ///
    /// ```no_run
    /// # async fn demo(jwks: jwtguard_jwks::RemoteJwks) -> Result<(), jwtguard_core::Error> {
    /// jwks.wait_ready(std::time::Duration::from_secs(5)).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::KeysUnavailable`] when no keys arrived in time.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.shared.current().is_some() {
                return Ok(());
            }
            let generation = self.shared.generation.load(Ordering::Acquire);
            if Instant::now() >= deadline {
                return Err(Error::detailed(ErrorKind::KeysUnavailable, "no JWKS fetched yet"));
            }
            // Fetch now rather than wait for the background task's backoff.
            let _ = tokio::time::timeout_at(deadline, self.shared.refetch(generation, false)).await;
            if self.shared.current().is_none() {
                tokio::time::sleep(Duration::from_millis(100).min(deadline.saturating_duration_since(Instant::now())))
                    .await;
            }
        }
    }

    /// How many HTTP requests for the JWKS were made so far.
    ///
    /// ```no_run
    /// # fn demo(jwks: jwtguard_jwks::RemoteJwks) {
    /// println!("{} JWKS fetches", jwks.fetches());
    /// # }
    /// ```
    pub fn fetches(&self) -> u64 {
        self.shared.fetches.load(Ordering::Relaxed)
    }

    /// Refetches now (shared with any fetch already in flight) and returns the keys after it.
    ///
    /// ```no_run
    /// # async fn demo(jwks: jwtguard_jwks::RemoteJwks) -> Result<(), jwtguard_core::Error> {
    /// let keys = jwks.refetch().await?;
    /// println!("{} keys", keys.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::KeysUnavailable`] when the fetch failed and there are no usable keys.
    pub async fn refetch(&self) -> Result<Arc<KeySet>, Error> {
        let generation = self.shared.generation.load(Ordering::Acquire);
        self.shared.refetch(generation, false).await
    }
}

impl From<RemoteJwks> for KeySource {
    fn from(jwks: RemoteJwks) -> Self {
        KeySource::provider(jwks)
    }
}

impl KeyProvider for RemoteJwks {
    fn keys(&self) -> Result<Arc<KeySet>, Error> {
        self.shared.current().ok_or(Error::detailed(ErrorKind::KeysUnavailable, "no usable JWKS"))
    }

    fn refetch_unknown(&self) -> Option<RefetchFuture<'_>> {
        let cooling = self
            .shared
            .unknown_refetch
            .lock()
            .ok()
            .and_then(|t| *t)
            .is_some_and(|t| t.elapsed() < self.shared.cfg.cooldown);
        if cooling {
            tracing::debug!(url = %self.shared.url, "unknown kid during cooldown: failing fast");
            return None;
        }
        let generation = self.shared.generation.load(Ordering::Acquire);
        Some(Box::pin(self.shared.refetch(generation, true)))
    }

    fn allows_symmetric_keys(&self) -> bool {
        self.shared.cfg.symmetric
    }
}

impl Shared {
    /// The keys, unless none were fetched or they are staler than allowed.
    fn current(&self) -> Option<Arc<KeySet>> {
        let guard = self.keys.read().ok()?;
        let fetched = guard.as_ref()?;
        (fetched.at.elapsed() <= self.cfg.max_stale).then(|| fetched.keys.clone())
    }

    fn fetched_at(&self) -> Option<Instant> {
        self.keys.read().ok().and_then(|k| k.as_ref().map(|f| f.at))
    }

    /// Fetches unless a fetch completed since `seen` (then its result is shared).
    async fn refetch(&self, seen: u64, for_unknown_kid: bool) -> Result<Arc<KeySet>, Error> {
        let _flight = self.inflight.lock().await;
        if self.generation.load(Ordering::Acquire) != seen {
            return self.current().ok_or(Error::detailed(ErrorKind::KeysUnavailable, "no usable JWKS"));
        }
        let result = self.fetch().await;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        jwtguard_core::telemetry::keys_fetched(result.is_ok(), i64::try_from(now).unwrap_or(i64::MAX));
        let outcome = match result {
            Ok((keys, max_age, doc)) => Ok(self.install(keys, max_age, doc)),
            Err(err) => {
                tracing::warn!(url = %self.url, error = %err, source = ?std::error::Error::source(&err), "JWKS fetch failed; keeping the last good keys");
                self.current().ok_or(err)
            }
        };
        if for_unknown_kid && let Ok(mut t) = self.unknown_refetch.lock() {
            *t = Some(Instant::now());
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        outcome
    }

    /// Installs freshly fetched keys and returns the set now current: the same `Arc` as before
    /// when the document did not change.
    fn install(&self, keys: KeySet, max_age: Option<Duration>, doc: Box<[u8]>) -> Arc<KeySet> {
        let fresh_for = self.next_refetch(max_age);
        let kids = |k: &KeySet| k.keys().iter().filter_map(|k| k.kid().map(str::to_owned)).collect::<Vec<_>>();
        let Ok(mut slot) = self.keys.write() else { return Arc::new(keys) };
        let keys = match slot.as_ref() {
            Some(old) if old.doc == doc => old.keys.clone(),
            old => {
                let after = kids(&keys);
                if old.map(|f| kids(&f.keys)).as_ref() != Some(&after) {
                    tracing::info!(url = %self.url, kids = ?after, "JWKS keys changed");
                }
                Arc::new(keys)
            }
        };
        *slot = Some(Fetched { keys: keys.clone(), doc, at: Instant::now(), fresh_for });
        keys
    }

    /// One bounded HTTP fetch and parse. Returns the keys and the `max-age`, if any.
    async fn fetch(&self) -> Result<(KeySet, Option<Duration>, Box<[u8]>), Error> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(url = %self.url, "fetching JWKS");
        let fetched =
            http::get_bounded(&self.client, &self.url, "application/jwk-set+json, application/json", self.cfg.max_body)
                .await
                .map_err(|e| Error::with_source(ErrorKind::KeysUnavailable, e))?;
        let text = std::str::from_utf8(&fetched.body)
            .map_err(|_| Error::detailed(ErrorKind::KeysUnavailable, "JWKS is not UTF-8"))?;
        let mut keys = KeySet::from_jwks(text).map_err(|e| Error::with_source(ErrorKind::KeysUnavailable, e))?;
        if !self.cfg.symmetric {
            keys = keys.without_symmetric_keys();
        }
        for skipped in keys.skipped() {
            tracing::warn!(url = %self.url, kid = ?skipped.kid, reason = %skipped.reason, "JWKS key skipped");
        }
        if keys.is_empty() {
            return Err(Error::with_source(ErrorKind::KeysUnavailable, ConfigError::NoUsableKey));
        }
        Ok((keys, fetched.max_age, fetched.body.into()))
    }

    /// When the background task should look again after a fetch.
    fn next_refetch(&self, max_age: Option<Duration>) -> Duration {
        max_age.unwrap_or(self.cfg.refetch).clamp(self.cfg.min_refetch, self.cfg.max_refetch)
    }
}

/// The background task: refetch when the keys stop being fresh (or back off after a failure),
/// until the `RemoteJwks` is dropped. A fetch made meanwhile for an unknown `kid` resets the
/// clock, so the two never fetch back to back.
async fn run(shared: Weak<Shared>) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let Some(s) = shared.upgrade() else { return };
        let fresh_left = s
            .keys
            .read()
            .ok()
            .and_then(|k| k.as_ref().map(|f| f.fresh_for.saturating_sub(f.at.elapsed())))
            .filter(|left| !left.is_zero());
        let wait = match fresh_left {
            Some(left) => left,
            None => {
                let before = s.fetched_at();
                let generation = s.generation.load(Ordering::Acquire);
                let _ = s.refetch(generation, false).await;
                // `refetch` keeps the last good keys on failure: success is a new fetch time.
                if s.fetched_at() != before {
                    backoff = Duration::from_secs(1);
                    continue;
                }
                let wait = backoff;
                backoff = (backoff * 2).min(s.cfg.refetch);
                tracing::warn!(url = %s.url, retry_in = ?wait, "JWKS refetch did not succeed; retrying with backoff");
                wait
            }
        };
        drop(s);
        tokio::time::sleep(wait).await;
    }
}

impl RemoteJwksBuilder {
    /// Uses your own HTTP client (custom CA, proxy). Its timeouts and redirect policy then
    /// apply instead of this builder's. Defaults to a client with the bounds below.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn demo() -> Result<(), jwtguard_core::ConfigError> {
    /// let jwks = jwtguard_jwks::RemoteJwks::builder("http://127.0.0.1:8080/jwks")?.client(reqwest::Client::new()).build()?;
    /// # Ok(()) }
    /// ```
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Allows a plain `http` URL on a non-loopback host. Defaults to: `https` required except
    /// for `localhost` and loopback addresses.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn demo() -> Result<(), jwtguard_core::ConfigError> {
    /// let jwks = jwtguard_jwks::RemoteJwks::builder("http://127.0.0.1:8080/jwks")?.allow_http().build()?;
    /// # Ok(()) }
    /// ```
    pub fn allow_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// How often the keys are refetched when the response has no `Cache-Control: max-age`.
    /// Defaults to 10 minutes.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn demo() -> Result<(), jwtguard_core::ConfigError> {
    /// let jwks = jwtguard_jwks::RemoteJwks::builder("http://127.0.0.1:8080/jwks")?.refetch_interval(Duration::from_secs(300)).build()?;
    /// # Ok(()) }
    /// ```
    pub fn refetch_interval(mut self, every: Duration) -> Self {
        self.refetch = every;
        self
    }

    /// The bounds a `max-age` is clamped to. Defaults to 1 minute and 24 hours.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn demo() -> Result<(), jwtguard_core::ConfigError> {
    /// let jwks = jwtguard_jwks::RemoteJwks::builder("http://127.0.0.1:8080/jwks")?.refetch_bounds(Duration::from_secs(30), Duration::from_secs(3600)).build()?;
    /// # Ok(()) }
    /// ```
    pub fn refetch_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.min_refetch = min;
        self.max_refetch = max;
        self
    }

    /// After a refetch for an unknown `kid`, how long further unknown `kid`s fail fast.
    /// Defaults to 30 seconds.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn demo() -> Result<(), jwtguard_core::ConfigError> {
    /// let jwks = jwtguard_jwks::RemoteJwks::builder("http://127.0.0.1:8080/jwks")?.cooldown(Duration::from_secs(60)).build()?;
    /// # Ok(()) }
    /// ```
    pub fn cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// How long the last good keys keep serving while refetches fail. Defaults to 24 hours.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn demo() -> Result<(), jwtguard_core::ConfigError> {
    /// let jwks = jwtguard_jwks::RemoteJwks::builder("http://127.0.0.1:8080/jwks")?.max_stale(Duration::from_secs(3600)).build()?;
    /// # Ok(()) }
    /// ```
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    /// Connect and total timeouts of one fetch. Defaults to 5 and 10 seconds.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn demo() -> Result<(), jwtguard_core::ConfigError> {
    /// let jwks = jwtguard_jwks::RemoteJwks::builder("http://127.0.0.1:8080/jwks")?.timeouts(Duration::from_secs(2), Duration::from_secs(5)).build()?;
    /// # Ok(()) }
    /// ```
    pub fn timeouts(mut self, connect: Duration, total: Duration) -> Self {
        self.connect_timeout = connect;
        self.timeout = total;
        self
    }

    /// The largest JWKS body accepted. Defaults to 1 MiB.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn demo() -> Result<(), jwtguard_core::ConfigError> {
    /// let jwks = jwtguard_jwks::RemoteJwks::builder("http://127.0.0.1:8080/jwks")?.max_body(256 * 1024).build()?;
    /// # Ok(()) }
    /// ```
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Lets symmetric (`oct`) keys of the document verify HS tokens. Defaults to: refused, each
    /// skipped and logged like any other unusable key, and HS algorithms answered
    /// `AlgorithmNotAllowed`: whoever can read a published secret can forge tokens with it.
    /// Only for a key set that is itself a secret, served to this service alone.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_core::ConfigError> {
    /// let jwks = jwtguard_jwks::RemoteJwks::builder("https://vault.internal/jwks")?.insecure_allow_symmetric_keys().build()?;
    /// # Ok(()) }
    /// ```
    pub fn insecure_allow_symmetric_keys(mut self) -> Self {
        self.symmetric = true;
        self
    }

    /// Builds the key source and starts its background refetch on the current tokio runtime.
    ///
    /// ```
    /// // Outside a tokio runtime there is nothing to refetch on: a configuration error, not a panic.
    /// let builder = jwtguard_jwks::RemoteJwks::builder("https://login.example.com/jwks")?;
    /// assert!(builder.build().is_err());
    /// # Ok::<_, jwtguard_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::InvalidSetting`] for a plain-http non-loopback URL without
    /// [`allow_http`](Self::allow_http), a call outside a tokio runtime, or a client that
    /// cannot be built.
    pub fn build(self) -> Result<RemoteJwks, ConfigError> {
        let url = http::parse_url(&self.url, self.allow_http, "JWKS URL must be https (or loopback, or allow_http)")?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| ConfigError::InvalidSetting("RemoteJwks must be built inside a tokio runtime"))?;
        let client = match self.client {
            Some(c) => c,
            None => http::default_client(&url, self.connect_timeout, self.timeout)?,
        };
        let shared = Arc::new(Shared {
            url,
            client,
            cfg: Limits {
                refetch: self.refetch,
                min_refetch: self.min_refetch,
                max_refetch: self.max_refetch,
                cooldown: self.cooldown,
                max_stale: self.max_stale,
                max_body: self.max_body,
                symmetric: self.symmetric,
            },
            keys: RwLock::new(None),
            inflight: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
            unknown_refetch: Mutex::new(None),
        });
        runtime.spawn(run(Arc::downgrade(&shared)));
        Ok(RemoteJwks { shared })
    }
}
