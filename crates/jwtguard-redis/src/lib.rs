//! Redis stores for jwtguard: revocations and refresh tokens shared by every instance of a
//! service.
//!
//! ```no_run
//! use std::sync::Arc;
//! use jwtguard_core::refresh::RefreshTokens;
//! use jwtguard_core::{Algorithm, Key, Validator};
//! use jwtguard_redis::RedisStores;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let stores = RedisStores::connect("redis://127.0.0.1:6379").await?;
//! let revocations = Arc::new(stores.revocations());
//! let refresh = RefreshTokens::new(Arc::new(stores.refresh_store()));
//! let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256])
//!     .revocation(revocations.clone())
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! **Revocations without a Redis round trip per request.** Each instance keeps a local replica:
//! it subscribes to a channel, loads every revocation, then applies the ones other instances
//! publish. A check reads the replica. When the connection drops, the replica keeps answering
//! for a bounded staleness (1 s by default); after that checks fail closed (`503`) until it is
//! back and reloaded. Revocation entries expire in Redis with the tokens they cover. Writing one
//! is a single script that merges it with what Redis holds (the later cut-off, the later end), so
//! two revocations of one subject or `jti` never undo each other, whatever their order.
//!
//! **Refresh-token rotation is atomic** (one Lua script): of concurrent uses of one token exactly
//! one rotates; the others see it used and revoke the family.

mod refresh;
mod revocations;

use std::time::Duration;

use jwtguard_core::{Error, ErrorKind};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub use refresh::RedisRefreshStore;
pub use revocations::RedisRevocations;

/// A Redis connection for the stores. Cheap to clone.
///
/// ```no_run
/// # async fn demo() -> Result<(), jwtguard_core::Error> {
/// let stores = jwtguard_redis::RedisStores::connect("redis://127.0.0.1:6379").await?;
/// let (revocations, refresh) = (stores.revocations(), stores.refresh_store());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStores {
    client: redis::Client,
    conn: ConnectionManager,
    prefix: String,
    /// The runtime `connect` ran on: replicas run their sync task there.
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for RedisStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStores").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

pub(crate) fn unavailable(e: redis::RedisError) -> Error {
    Error::with_source(ErrorKind::KeysUnavailable, e)
}

impl RedisStores {
    /// Connects (with timeouts of 1 s per command and per connection attempt, and automatic
    /// reconnection). Keys and channels are prefixed with `jwtguard`.
    ///
    /// # Errors
    /// [`ErrorKind::KeysUnavailable`] when Redis cannot be reached.
    pub async fn connect(url: &str) -> Result<RedisStores, Error> {
        RedisStores::connect_with_prefix(url, "jwtguard").await
    }

    /// As [`RedisStores::connect`], with another key prefix (to share one Redis between
    /// services).
    ///
    /// # Errors
    /// [`ErrorKind::KeysUnavailable`] when Redis cannot be reached.
    pub async fn connect_with_prefix(url: &str, prefix: &str) -> Result<RedisStores, Error> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(1))
            .set_response_timeout(Duration::from_secs(1))
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_with_config(client.clone(), config).await.map_err(unavailable)?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::detailed(ErrorKind::KeysUnavailable, "RedisStores needs a tokio runtime"))?;
        Ok(RedisStores { client, conn, prefix: prefix.to_owned(), runtime })
    }

    /// The revocation store, with its local replica (kept in sync by a task on the runtime
    /// `connect` ran on).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use jwtguard_core::{Algorithm, Key, Validator};
    /// let stores = jwtguard_redis::RedisStores::connect("redis://127.0.0.1:6379").await?;
    /// let validator = Validator::builder(Key::hmac([7u8; 32])?, [Algorithm::HS256])
    ///     .revocation(Arc::new(stores.revocations()))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn revocations(&self) -> RedisRevocations {
        RedisRevocations::start(self.clone(), Duration::from_secs(1))
    }

    /// The revocation store, tolerating `max_stale` of lost connection before failing closed.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_core::Error> {
    /// let stores = jwtguard_redis::RedisStores::connect("redis://127.0.0.1:6379").await?;
    /// let revocations = stores.revocations_with_max_stale(std::time::Duration::from_secs(5));
    /// # Ok(()) }
    /// ```
    pub fn revocations_with_max_stale(&self, max_stale: Duration) -> RedisRevocations {
        RedisRevocations::start(self.clone(), max_stale)
    }

    /// The refresh-token store.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_core::Error> {
    /// use std::sync::Arc;
    /// let stores = jwtguard_redis::RedisStores::connect("redis://127.0.0.1:6379").await?;
    /// let tokens = jwtguard_core::refresh::RefreshTokens::new(Arc::new(stores.refresh_store()));
    /// # Ok(()) }
    /// ```
    pub fn refresh_store(&self) -> RedisRefreshStore {
        RedisRefreshStore::new(self.clone())
    }
}
