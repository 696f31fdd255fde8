//! The verified-token cache: a client sends the same access token for its whole life, so the
//! signature (30–70 µs for RSA, ECDSA and EdDSA) need be checked once, not on every request.
//!
//! What a hit skips is the JWS half only: the size bound, the header, the key lookup, the
//! signature and the strict parse of the registered claims. Everything that depends on the time
//! or on state runs again on every hit: the claims policy (`exp` + leeway, `nbf`, `iat`, maximum
//! age), the custom rules and the revocation check. The claims type `T` is parsed again on a hit
//! by [`Validator::verify`](crate::Validator::verify); the middleware (its `T` is `Clone`)
//! keeps the `T` of the first verification in the entry and clones it: the same JSON always
//! gives the same `T`. An entry is used only
//! for the exact token bytes it was made from (the key is the whole token, compared in full),
//! only while the key set it was verified with is still the current one (a rotation, a refetch
//! or a retired key replaces the set, and every older entry stops matching), and only by the
//! validator that made it (each validator has its own cache, and with it its own policy: the
//! JWE settings, `require_encryption` and `insecure_allow_unsigned_encrypted` included, are fixed
//! when it is built, so an entry made under an opt-in never answers for a validator without it).
//! Tokens that fail are not cached.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Lifecycle, OptionsBuilder, Weighter};

use super::verified::TokenInfo;
use crate::KeySet;

/// What a verified token leaves behind.
pub(crate) struct Entry {
    /// The header and registered claims, which hold the claims set as JSON.
    pub(crate) info: TokenInfo,
    /// The key set it was verified with, for a key provider (kept alive, so its address cannot
    /// be reused by a later set while the entry exists); `None` for static keys.
    pub(crate) keys: Option<Arc<KeySet>>,
    /// The claims as the first middleware claims type asked for them (`validator::Keep`), so a
    /// hit by that type clones them instead of parsing the JSON again.
    pub(crate) typed: Option<Box<dyn std::any::Any + Send + Sync>>,
    /// What the kept claims are weighed at ([`kept_weight`]); 0 when none are kept.
    pub(crate) typed_weight: u64,
}

/// What a claims type parsed from `payload` holds beyond its own `size_of`, estimated from the
/// JSON's shape (what hangs off a value cannot be asked of it): every object a map's first node (a
/// `serde_json::Map` takes about 630 bytes for `{"a":0}`), every member, element and array a
/// value and its slot, and every byte once (string contents). The structural bytes are counted
/// inside strings too, which only overestimates. A payload of tiny objects then weighs what it
/// costs parsed, so the cache's byte bound still bounds memory. (A claims type whose array
/// elements are each a struct of more than some 64 bytes, filled from `null`s, is not covered.)
pub(crate) fn kept_weight(payload: &str) -> u64 {
    const PER_OBJECT: u64 = 640;
    const PER_VALUE: u64 = 64;
    let (objects, values) = payload.bytes().fold((0u64, 0u64), |(o, v), b| match b {
        b'{' => (o + 1, v),
        b':' | b',' | b'[' => (o, v + 1),
        _ => (o, v),
    });
    payload.len() as u64 + PER_OBJECT * objects + PER_VALUE * values
}

impl Entry {
    /// The claims set as JSON.
    pub(crate) fn payload(&self) -> &str {
        &self.info.registered().json
    }

    /// `true` while the key set this entry was verified with is the provider's `current` one.
    /// An entry no provider's key vouched for (static keys, an unsigned encrypted token) does
    /// not ask for them: `current` is called only when the entry names a key set.
    pub(crate) fn keys_current(
        &self,
        current: impl FnOnce() -> Result<Option<Arc<KeySet>>, crate::Error>,
    ) -> Result<bool, crate::Error> {
        let Some(then) = &self.keys else { return Ok(true) };
        Ok(current()?.is_some_and(|now| Arc::ptr_eq(then, &now)))
    }
}

/// Bytes an entry holds: the token, the claims JSON, and a fixed allowance for the header,
/// the registered claims and the cache's own bookkeeping.
#[derive(Clone, Copy)]
struct Bytes;

const ENTRY_OVERHEAD: u64 = 256;

/// What one parsed string (a scope, a role, an audience) costs beside its bytes: the `String`
/// itself and the allocator's bookkeeping.
const PER_STRING: u64 = 48;

impl Weighter<Box<str>, Arc<Entry>> for Bytes {
    /// The token and the claims JSON, the parsed registered claims (their strings cannot be
    /// longer than the JSON they came from, plus a fixed cost each: a token of thousands of
    /// one-letter scopes weighs what it holds), the kept typed claims ([`kept_weight`]), and
    /// the entry's own bookkeeping.
    fn weight(&self, token: &Box<str>, entry: &Arc<Entry>) -> u64 {
        let registered = entry.info.registered();
        let audiences = match registered.aud() {
            Some(crate::Audience::Many(many)) => many.len(),
            Some(_) => 1,
            None => 0,
        };
        let strings = registered.scopes().count() + registered.roles().count() + audiences;
        (token.len() + 2 * entry.payload().len()) as u64
            + PER_STRING * strings as u64
            + ENTRY_OVERHEAD
            + entry.typed_weight
    }
}

/// Counts the entries dropped to stay within the bound.
#[derive(Clone, Default)]
struct Evictions(Arc<AtomicU64>);

impl Lifecycle<Box<str>, Arc<Entry>> for Evictions {
    type RequestState = ();

    fn on_evict(&self, _state: &mut (), _token: Box<str>, _entry: Arc<Entry>) {
        self.0.fetch_add(1, Ordering::Relaxed);
        crate::telemetry::cache_evicted();
    }
}

/// The least weight capacity a shard gets. quick_cache splits its bound among its shards and
/// refuses an entry heavier than (almost) a shard's share; by default it makes four shards a
/// CPU, so on a large host a heavy token would silently never be cached.
const MIN_SHARD_BYTES: u64 = 1 << 20;

/// The most the middleware's kept claims may weigh ([`kept_weight`]); heavier ones are not kept,
/// so that with the token and its JSON (each within the token size bound) an entry fits a shard.
pub(crate) const MAX_KEPT_WEIGHT: u64 = MIN_SHARD_BYTES / 4;

/// Four shards a CPU (quick_cache's default, for little contention), but none smaller than
/// [`MIN_SHARD_BYTES`]: quick_cache rounds the count up to a power of two, so the count by size
/// is rounded down to one.
fn shards(capacity: u64) -> usize {
    let per_cpu = std::thread::available_parallelism().map_or(1, |n| n.get()).saturating_mul(4);
    let by_size = usize::try_from(capacity / MIN_SHARD_BYTES).unwrap_or(usize::MAX).max(1);
    let by_size = 1 << by_size.ilog2();
    per_cpu.min(by_size)
}

/// Verified tokens by their exact bytes, bounded in bytes.
pub(crate) struct TokenCache {
    entries: Cache<Box<str>, Arc<Entry>, Bytes, DefaultHashBuilder, Evictions>,
    evictions: Evictions,
    capacity: u64,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What a validator's verified-token cache holds and has done.
///
/// ```
/// let validator = jwtguard_core::Validator::builder(jwtguard_core::Key::hmac([7u8; 32])?, [jwtguard_core::Algorithm::HS256]).build()?;
/// let stats = validator.cache_stats().unwrap();
/// assert_eq!((stats.entries, stats.hits), (0, 0));
/// # Ok::<_, jwtguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Entries held.
    pub entries: usize,
    /// Bytes they weigh (tokens, claims JSON, bookkeeping).
    pub bytes: u64,
    /// The bound on `bytes`.
    pub capacity: u64,
    /// Verifications answered from the cache.
    pub hits: u64,
    /// Verifications that found no usable entry.
    pub misses: u64,
    /// Entries dropped to stay within the bound.
    pub evictions: u64,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("capacity_bytes", &self.capacity)
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl TokenCache {
    /// A cache holding at most `capacity` bytes of entries.
    pub(crate) fn new(capacity: u64) -> Self {
        // A typical entry weighs about 2.5 KiB; the estimate only sizes the initial tables.
        let estimated = usize::try_from(capacity / 2560).unwrap_or(usize::MAX).max(16);
        let evictions = Evictions::default();
        let mut options = OptionsBuilder::new();
        options.estimated_items_capacity(estimated).weight_capacity(capacity).shards(shards(capacity));
        let entries = match options.build() {
            Ok(options) => Cache::with_options(options, Bytes, DefaultHashBuilder::default(), evictions.clone()),
            // Only unset options fail, and both are set.
            Err(_) => Cache::with(estimated, capacity, Bytes, DefaultHashBuilder::default(), evictions.clone()),
        };
        TokenCache { entries, evictions, capacity, hits: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<Entry>> {
        self.entries.get(token)
    }

    /// Counts a verification answered from an entry (`true`) or not.
    pub(crate) fn count(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        crate::telemetry::cache_lookup(hit);
    }

    pub(crate) fn insert(&self, token: &str, entry: Entry) {
        self.entries.insert(token.into(), Arc::new(entry));
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.entries.len(),
            bytes: self.entries.weight(),
            capacity: self.capacity,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.0.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shards_are_never_smaller_than_a_mebibyte() {
        assert_eq!(super::shards(1024), 1);
        // Found in review: 3 MiB made three shards, which quick_cache rounds up to four.
        for mib in 1..=70u64 {
            for extra in [0, 1 << 19] {
                let capacity = (mib << 20) + extra;
                let made = super::shards(capacity).next_power_of_two() as u64;
                assert!(capacity / made >= super::MIN_SHARD_BYTES, "{capacity} bytes in {made} shards");
            }
        }
    }
}
