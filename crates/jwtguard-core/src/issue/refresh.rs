//! Refresh tokens the way OAuth 2.0 Security BCP (RFC 9700 §4.14.2) asks: opaque, 256-bit
//! random, stored only as a SHA-256 hash, rotated on every use, and a rotated token used again
//! revokes its whole family.
//!
//! Concurrent use of one refresh token counts as reuse: exactly one request gets the next token,
//! every other one gets `invalid_grant`, and the family (the new token included) is revoked. A
//! client that races its own refreshes is indistinguishable from a thief racing the client.
//!
//! Works on either crypto backend (randomness and SHA-256 come from the one enabled).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::{Clock, Error, ErrorKind, SystemClock};

/// The SHA-256 of a refresh token: what stores keep instead of the token.
///
/// ```
/// let hash: jwtguard_core::refresh::TokenHash = jwtguard_core::refresh::hash("a refresh token");
/// assert_eq!(hash.len(), 32);
/// ```
pub type TokenHash = [u8; 32];

pub use crate::revocation::StoreFuture;

/// What a live refresh token stands for.
///
/// ```
/// use std::sync::Arc;
/// use jwtguard_core::refresh::{InMemoryRefreshStore, RefreshTokens};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let tokens = RefreshTokens::new(Arc::new(InMemoryRefreshStore::new()));
/// let first = tokens.issue("alice", Some("orders:read")).await?;
/// let (_next, record) = tokens.refresh(&first).await?;
/// assert_eq!((record.sub.as_str(), record.scope.as_deref()), ("alice", Some("orders:read")));
/// assert!(record.expires > record.family_started);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    /// The family: every token rotated from the same login.
    pub family: String,
    /// The subject.
    pub sub: String,
    /// The scope granted at login.
    pub scope: Option<String>,
    /// When the family started (the login), for the absolute lifetime.
    pub family_started: i64,
    /// When this token stops working: the earlier of the idle and the absolute limit.
    pub expires: i64,
}

/// The idle and absolute lifetimes, in seconds, a store applies when rotating.
///
/// ```
/// let lifetimes = jwtguard_core::refresh::Lifetimes { idle: 3600, absolute: 86_400 };
/// assert_eq!(lifetimes.next_expiry(0, 1000), 4600);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// How long an unused token stays valid.
    pub idle: i64,
    /// How long a family may live from its login.
    pub absolute: i64,
}

impl Lifetimes {
    /// When a token rotated at `now` from a family started at `family_started` expires.
    ///
    /// ```
    /// let l = jwtguard_core::refresh::Lifetimes { idle: 10, absolute: 100 };
    /// assert_eq!(l.next_expiry(0, 50), 60);
    /// assert_eq!(l.next_expiry(0, 95), 100);
    /// ```
    pub fn next_expiry(&self, family_started: i64, now: i64) -> i64 {
        now.saturating_add(self.idle).min(family_started.saturating_add(self.absolute))
    }
}

/// The outcome of [`RefreshStore::rotate`].
///
/// ```
/// use jwtguard_core::refresh::{hash, InMemoryRefreshStore, Lifetimes, RefreshStore, Rotation};
///
/// # async fn demo() -> Result<(), jwtguard_core::Error> {
/// let store = InMemoryRefreshStore::new();
/// let lifetimes = Lifetimes { idle: 3600, absolute: 86_400 };
/// let rotation = store.rotate(hash("never issued"), hash("next"), 1_700_000_000, lifetimes).await?;
/// assert_eq!(rotation, Rotation::Unknown);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rotation {
    /// The old token was live; it is now dead and the new one carries this record.
    Rotated(RefreshRecord),
    /// The old token had already been used: its family is now revoked.
    Reused,
    /// No such token (never issued, expired, or its family revoked).
    Unknown,
}

/// Where refresh tokens live. `rotate` must be atomic: of two concurrent rotations of one token,
/// exactly one sees it live.
///
/// ```
/// use std::sync::Arc;
/// use jwtguard_core::refresh::{InMemoryRefreshStore, RefreshStore, RefreshTokens};
///
/// // Any store, in memory or shared (jwtguard-redis), plugs in the same way.
/// let store: Arc<dyn RefreshStore> = Arc::new(InMemoryRefreshStore::new());
/// let tokens = RefreshTokens::new(store);
/// ```
pub trait RefreshStore: Send + Sync + fmt::Debug + 'static {
    /// Stores a new token.
    fn insert(&self, hash: TokenHash, record: RefreshRecord) -> StoreFuture<'_, ()>;

    /// Atomically: if `old` is live at `now`, mark it used, store `new` in the same family with
    /// [`Lifetimes::next_expiry`], and return [`Rotation::Rotated`] with the new record; if `old`
    /// was already used, revoke its family and return [`Rotation::Reused`]; otherwise
    /// [`Rotation::Unknown`].
    fn rotate(&self, old: TokenHash, new: TokenHash, now: i64, lifetimes: Lifetimes) -> StoreFuture<'_, Rotation>;

    /// Revokes the family of `hash`, if it has one.
    fn revoke_family(&self, hash: TokenHash) -> StoreFuture<'_, ()>;
}

#[derive(Debug, Clone)]
struct Entry {
    record: RefreshRecord,
    used: bool,
}

#[derive(Default)]
struct Tables {
    tokens: HashMap<TokenHash, Entry>,
    families: HashMap<String, Vec<TokenHash>>,
}

impl Tables {
    fn revoke(&mut self, family: &str) {
        for hash in self.families.remove(family).unwrap_or_default() {
            self.tokens.remove(&hash);
        }
    }

    fn sweep(&mut self, now: i64) {
        let dead: Vec<(TokenHash, String)> = self
            .tokens
            .iter()
            .filter(|(_, e)| e.record.expires < now)
            .map(|(h, e)| (*h, e.record.family.clone()))
            .collect();
        for (hash, family) in dead {
            self.tokens.remove(&hash);
            if let Some(list) = self.families.get_mut(&family) {
                list.retain(|h| *h != hash);
                if list.is_empty() {
                    self.families.remove(&family);
                }
            }
        }
    }
}

/// The embedded default: refresh tokens in this process's memory. Expired entries are swept as
/// new ones arrive, so nothing grows without bound.
///
/// ```
/// use std::sync::Arc;
/// use jwtguard_core::refresh::{InMemoryRefreshStore, RefreshTokens};
///
/// let tokens = RefreshTokens::new(Arc::new(InMemoryRefreshStore::new()));
/// ```
#[derive(Default)]
pub struct InMemoryRefreshStore {
    tables: Mutex<Tables>,
}

impl fmt::Debug for InMemoryRefreshStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryRefreshStore").field("tokens", &self.len()).finish()
    }
}

impl InMemoryRefreshStore {
    /// An empty store.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::refresh::InMemoryRefreshStore::new().len(), 0);
    /// ```
    pub fn new() -> Self {
        InMemoryRefreshStore::default()
    }

    /// How many tokens (live or used, not yet expired) are held.
    ///
    /// ```
    /// assert_eq!(jwtguard_core::refresh::InMemoryRefreshStore::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.tables.lock().map(|t| t.tokens.len()).unwrap_or(0)
    }

    /// `true` when no token is held.
    ///
    /// ```
    /// assert!(jwtguard_core::refresh::InMemoryRefreshStore::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn poisoned() -> Error {
    Error::detailed(ErrorKind::StoreUnavailable, "refresh store lock poisoned")
}

impl RefreshStore for InMemoryRefreshStore {
    fn insert(&self, hash: TokenHash, record: RefreshRecord) -> StoreFuture<'_, ()> {
        let result = self.tables.lock().map_err(|_| poisoned()).map(|mut t| {
            t.sweep(record.family_started);
            t.families.entry(record.family.clone()).or_default().push(hash);
            t.tokens.insert(hash, Entry { record, used: false });
        });
        Box::pin(std::future::ready(result))
    }

    fn rotate(&self, old: TokenHash, new: TokenHash, now: i64, lifetimes: Lifetimes) -> StoreFuture<'_, Rotation> {
        let result = self.tables.lock().map_err(|_| poisoned()).map(|mut t| {
            let Some(entry) = t.tokens.get(&old).cloned() else { return Rotation::Unknown };
            if entry.used {
                t.revoke(&entry.record.family);
                return Rotation::Reused;
            }
            if entry.record.expires <= now {
                return Rotation::Unknown;
            }
            let next =
                RefreshRecord { expires: lifetimes.next_expiry(entry.record.family_started, now), ..entry.record };
            if let Some(e) = t.tokens.get_mut(&old) {
                e.used = true;
            }
            t.families.entry(next.family.clone()).or_default().push(new);
            t.tokens.insert(new, Entry { record: next.clone(), used: false });
            Rotation::Rotated(next)
        });
        Box::pin(std::future::ready(result))
    }

    fn revoke_family(&self, hash: TokenHash) -> StoreFuture<'_, ()> {
        let result = self.tables.lock().map_err(|_| poisoned()).map(|mut t| {
            if let Some(family) = t.tokens.get(&hash).map(|e| e.record.family.clone()) {
                t.revoke(&family);
            }
        });
        Box::pin(std::future::ready(result))
    }
}

/// Why a refresh failed. [`RefreshError::InvalidGrant`] is the OAuth 2.0 `invalid_grant`
/// (RFC 6749 §5.2): a dead, unknown or reused token.
///
/// ```
/// use std::sync::Arc;
/// use jwtguard_core::refresh::{InMemoryRefreshStore, RefreshError, RefreshTokens};
///
/// # async fn demo() {
/// let tokens = RefreshTokens::new(Arc::new(InMemoryRefreshStore::new()));
/// match tokens.refresh("not a token we issued").await {
///     Err(RefreshError::InvalidGrant) => { /* 400 {"error":"invalid_grant"} */ }
///     Err(_) => { /* 503: the store is down */ }
///     Ok(_) => unreachable!(),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// The token is not (or no longer) valid.
    #[error("invalid_grant")]
    InvalidGrant,
    /// The store could not be reached: fail closed.
    #[error("refresh store unavailable")]
    Unavailable(#[source] Error),
}

/// Issues, rotates and revokes refresh tokens over a [`RefreshStore`]. Cheap to clone.
///
/// ```
/// use std::sync::Arc;
/// use jwtguard_core::refresh::{InMemoryRefreshStore, RefreshError, RefreshTokens};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let tokens = RefreshTokens::new(Arc::new(InMemoryRefreshStore::new()));
/// let first = tokens.issue("alice", Some("orders:read")).await?;
/// let (second, record) = tokens.refresh(&first).await?;
/// assert_eq!(record.sub, "alice");
/// // The first one is dead now, and using it again kills the family.
/// assert!(matches!(tokens.refresh(&first).await, Err(RefreshError::InvalidGrant)));
/// assert!(matches!(tokens.refresh(&second).await, Err(RefreshError::InvalidGrant)));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RefreshTokens {
    store: Arc<dyn RefreshStore>,
    absolute: i64,
    idle: i64,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RefreshTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshTokens")
            .field("store", &self.store)
            .field("absolute", &self.absolute)
            .field("idle", &self.idle)
            .finish()
    }
}

fn random_token() -> Result<(String, TokenHash), Error> {
    let mut bytes = [0u8; 32];
    crate::backend::fill_random(&mut bytes)?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    Ok((token.clone(), hash(&token)))
}

/// The SHA-256 of a token, as stores keep it.
///
/// ```
/// assert_eq!(jwtguard_core::refresh::hash("abc").len(), 32);
/// ```
pub fn hash(token: &str) -> TokenHash {
    crate::backend::sha256(token.as_bytes())
}

impl RefreshTokens {
    /// Refresh tokens over `store`, with an absolute lifetime of 30 days and an idle lifetime
    /// of 7 days.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use jwtguard_core::refresh::{InMemoryRefreshStore, RefreshTokens};
    ///
    /// let tokens = RefreshTokens::new(Arc::new(InMemoryRefreshStore::new()));
    /// ```
    pub fn new(store: Arc<dyn RefreshStore>) -> Self {
        RefreshTokens { store, absolute: 30 * 24 * 3600, idle: 7 * 24 * 3600, clock: Arc::new(SystemClock) }
    }

    /// How long a family may live from its login, whatever its use. Defaults to 30 days.
    ///
    /// ```
    /// # let store = std::sync::Arc::new(jwtguard_core::refresh::InMemoryRefreshStore::new());
    /// let tokens = jwtguard_core::refresh::RefreshTokens::new(store).absolute_lifetime(std::time::Duration::from_secs(86_400));
    /// ```
    #[must_use]
    pub fn absolute_lifetime(mut self, lifetime: Duration) -> Self {
        self.absolute = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// How long an unused token stays valid. Defaults to 7 days.
    ///
    /// ```
    /// # let store = std::sync::Arc::new(jwtguard_core::refresh::InMemoryRefreshStore::new());
    /// let tokens = jwtguard_core::refresh::RefreshTokens::new(store).idle_lifetime(std::time::Duration::from_secs(3600));
    /// ```
    #[must_use]
    pub fn idle_lifetime(mut self, lifetime: Duration) -> Self {
        self.idle = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// The time source. Defaults to the system clock.
    ///
    /// ```
    /// # let store = std::sync::Arc::new(jwtguard_core::refresh::InMemoryRefreshStore::new());
    /// let tokens = jwtguard_core::refresh::RefreshTokens::new(store).clock(jwtguard_core::FixedClock(1_700_000_000));
    /// ```
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Starts a family (at login) and returns its first token.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn issue(&self, sub: &str, scope: Option<&str>) -> Result<String, Error> {
        let now = self.clock.now();
        let (token, hash) = random_token()?;
        let family = URL_SAFE_NO_PAD.encode(&hash[..16]);
        let record = RefreshRecord {
            family,
            sub: sub.to_owned(),
            scope: scope.map(str::to_owned),
            family_started: now,
            expires: now.saturating_add(self.idle.min(self.absolute)),
        };
        self.store.insert(hash, record).await?;
        Ok(token)
    }

    /// Uses `token`: returns the next token of its family and what it stands for.
    ///
    /// # Errors
    /// [`RefreshError::InvalidGrant`] for a dead, unknown or reused token (reuse also revokes
    /// the family); [`RefreshError::Unavailable`] when the store fails.
    pub async fn refresh(&self, token: &str) -> Result<(String, RefreshRecord), RefreshError> {
        let now = self.clock.now();
        let (next_token, new) = random_token().map_err(RefreshError::Unavailable)?;
        let lifetimes = Lifetimes { idle: self.idle, absolute: self.absolute };
        match self.store.rotate(hash(token), new, now, lifetimes).await.map_err(RefreshError::Unavailable)? {
            Rotation::Rotated(record) if record.expires > now => {
                crate::telemetry::refresh_rotated();
                Ok((next_token, record))
            }
            Rotation::Reused => {
                crate::telemetry::refresh_reused();
                Err(RefreshError::InvalidGrant)
            }
            Rotation::Rotated(_) | Rotation::Unknown => Err(RefreshError::InvalidGrant),
        }
    }

    /// Revokes the family of `token` (logout). Unknown tokens are ignored.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn logout(&self, token: &str) -> Result<(), Error> {
        self.store.revoke_family(hash(token)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The behaviour every store must have is in jwtguard-test's store suite, run for this store
    // and for Redis; this is what only the in-memory store can show.
    #[tokio::test]
    async fn only_hashes_are_stored() {
        let store = Arc::new(InMemoryRefreshStore::new());
        let tokens = RefreshTokens::new(store.clone());
        let t = tokens.issue("alice", None).await.unwrap();
        assert_eq!(t.len(), 43, "256 bits, base64url");
        assert!(store.tables.lock().unwrap().tokens.contains_key(&hash(&t)));
        assert!(!format!("{store:?}").contains(&t));
    }
}
