use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use jwtguard_core::revocation::{InMemoryRevocations, KEEP_AFTER_END, RevocationStore, StoreFuture};
use jwtguard_core::{Error, ErrorKind, RegisteredClaims};

use crate::{RedisStores, unavailable};

/// Revocations in Redis, read from a local replica kept current through pub/sub. Cheap to
/// clone; see the [crate docs](crate).
///
/// ```no_run
/// # async fn demo() -> Result<(), jwtguard_core::Error> {
/// use jwtguard_core::revocation::RevocationStore;
/// let stores = jwtguard_redis::RedisStores::connect("redis://127.0.0.1:6379").await?;
/// let revocations = stores.revocations();
/// // Every instance's replica learns this through pub/sub.
/// revocations.revoke_subject("alice", 1_700_000_000, 1_700_003_600).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRevocations {
    shared: Arc<Shared>,
}

struct Shared {
    stores: RedisStores,
    replica: InMemoryRevocations,
    /// `None` while in sync; otherwise since when it is not (start-up counts).
    out_of_sync_since: Mutex<Option<Instant>>,
    max_stale: Duration,
}

impl std::fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRevocations").field("replica", &self.shared.replica).finish_non_exhaustive()
    }
}

impl RedisRevocations {
    pub(crate) fn start(stores: RedisStores, max_stale: Duration) -> Self {
        let shared = Arc::new(Shared {
            stores,
            replica: InMemoryRevocations::new(),
            out_of_sync_since: Mutex::new(Some(Instant::now() - max_stale)),
            max_stale,
        });
        shared.stores.runtime.spawn(sync(Arc::downgrade(&shared)));
        RedisRevocations { shared }
    }

    /// `true` while the replica follows Redis.
    ///
    /// ```no_run
    /// # async fn demo(stores: jwtguard_redis::RedisStores) {
    /// let revocations = stores.revocations();
    /// println!("in sync: {}", revocations.in_sync());
    /// # }
    /// ```
    pub fn in_sync(&self) -> bool {
        self.shared.out_of_sync_since.lock().map(|s| s.is_none()).unwrap_or(false)
    }

    /// Stores `{prefix}:{kind}:{id}` merged with what is there (each number the larger, so a
    /// narrower revocation never narrows a wider one, as in memory) until its last number, and
    /// publishes the merged event, in one script.
    async fn publish(&self, kind: &str, id: &str, numbers: &[i64]) -> Result<(), Error> {
        let stores = &self.shared.stores;
        let mut conn = stores.conn.clone();
        REVOKE
            .key(format!("{}:{kind}:{id}", stores.prefix))
            .arg(channel(&stores.prefix))
            .arg(kind)
            .arg(id)
            .arg(KEEP_AFTER_END)
            .arg(numbers)
            .invoke_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }
}

/// KEYS[1]: the entry. ARGV: channel, kind, id, seconds to keep it past its end
/// ([`KEEP_AFTER_END`], so a replica loading while validators still accept the tokens finds it),
/// then the numbers (the last is the entry's end).
static REVOKE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
local old = {}
local cur = redis.call('GET', KEYS[1])
if cur then for n in string.gmatch(cur, '%-?%d+') do old[#old + 1] = tonumber(n) end end
local merged = {}
for i = 5, #ARGV do
  local v = tonumber(ARGV[i])
  local o = old[i - 4]
  if o and o > v then v = o end
  merged[#merged + 1] = string.format('%d', v)
end
local value = table.concat(merged, ' ')
local ends = math.max(tonumber(merged[#merged]) + tonumber(ARGV[4]), 1)
redis.call('SET', KEYS[1], value, 'EXAT', string.format('%d', ends))
redis.call('PUBLISH', ARGV[1], ARGV[2] .. ' ' .. value .. ' ' .. ARGV[3])
"#,
    )
});

/// Times are kept within what Lua's numbers and Redis' `EXAT` hold exactly: up to the end of year
/// 9999, as NumericDates in tokens are.
fn clamp_time(t: i64) -> i64 {
    t.clamp(-253_402_300_799, 253_402_300_799)
}

fn channel(prefix: &str) -> String {
    format!("{prefix}:revocations")
}

impl Shared {
    fn set_in_sync(&self, in_sync: bool) {
        if let Ok(mut s) = self.out_of_sync_since.lock() {
            match (in_sync, s.is_some()) {
                (true, _) => *s = None,
                (false, false) => *s = Some(Instant::now()),
                (false, true) => {}
            }
        }
    }

    /// Applies one published event: `jti UNTIL JTI` or `sub BEFORE UNTIL SUB` (the id last, so
    /// it may hold spaces).
    fn apply(&self, event: &str) {
        let applied = if let Some(rest) = event.strip_prefix("jti ") {
            rest.split_once(' ').and_then(|(until, jti)| Some(self.replica.record_jti(jti, until.parse().ok()?)))
        } else if let Some(rest) = event.strip_prefix("sub ") {
            rest.split_once(' ').and_then(|(before, rest)| {
                let (until, sub) = rest.split_once(' ')?;
                Some(self.replica.record_subject(sub, before.parse().ok()?, until.parse().ok()?))
            })
        } else {
            None
        };
        if !matches!(applied, Some(Ok(()))) {
            tracing::warn!("ignoring a malformed revocation event");
        }
    }

    /// Loads every revocation stored in Redis into the replica.
    async fn reload(&self) -> Result<(), redis::RedisError> {
        let mut conn = self.stores.conn.clone();
        let prefix = &self.stores.prefix;
        for (kind, pattern) in [("jti", format!("{prefix}:jti:*")), ("sub", format!("{prefix}:sub:*"))] {
            let mut cursor = 0u64;
            loop {
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(500)
                    .query_async(&mut conn)
                    .await?;
                if !keys.is_empty() {
                    let values: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query_async(&mut conn).await?;
                    let key_prefix = format!("{prefix}:{kind}:");
                    for (key, value) in keys.iter().zip(values) {
                        let (Some(value), Some(id)) = (value, key.strip_prefix(&key_prefix)) else { continue };
                        // Stored values are the event's middle fields.
                        self.apply(&format!("{kind} {value} {id}"));
                    }
                }
                cursor = next;
                if cursor == 0 {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Subscribes, reloads, follows; on any failure marks the replica out of sync and starts over
/// with backoff, until the store is dropped.
async fn sync(shared: Weak<Shared>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let Some(s) = shared.upgrade() else { return };
        let client = s.stores.client.clone();
        let channel = channel(&s.stores.prefix);
        drop(s);
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        }
        .await;
        match subscribed {
            Ok(pubsub) => {
                let Some(s) = shared.upgrade() else { return };
                // Subscribed before the reload, so no event falls between the two.
                match s.reload().await {
                    Ok(()) => {
                        s.set_in_sync(true);
                        backoff = Duration::from_millis(100);
                        tracing::info!("revocation replica in sync with Redis");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "revocation reload failed");
                        s.set_in_sync(false);
                        drop(s);
                        tokio::time::sleep(backoff).await;
                        continue;
                    }
                }
                let weak = Arc::downgrade(&s);
                drop(s);
                let mut messages = pubsub.into_on_message();
                while let Some(msg) = messages.next().await {
                    let Some(s) = weak.upgrade() else { return };
                    if let Ok(event) = msg.get_payload::<String>() {
                        s.apply(&event);
                    }
                }
                tracing::warn!("lost the Redis revocation channel; reconnecting");
                if let Some(s) = shared.upgrade() {
                    s.set_in_sync(false);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot subscribe to Redis revocations");
                if let Some(s) = shared.upgrade() {
                    s.set_in_sync(false);
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

impl RevocationStore for RedisRevocations {
    fn is_revoked(&self, claims: &RegisteredClaims, now: i64) -> Result<bool, Error> {
        let stale = self
            .shared
            .out_of_sync_since
            .lock()
            .map(|s| s.is_some_and(|since| since.elapsed() > self.shared.max_stale))
            .unwrap_or(true);
        if stale {
            return Err(Error::detailed(ErrorKind::KeysUnavailable, "revocation replica out of sync with Redis"));
        }
        self.shared.replica.is_revoked(claims, now)
    }

    fn revoke_jti<'a>(&'a self, jti: &'a str, until: i64) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let until = clamp_time(until);
            self.publish("jti", jti, &[until]).await?;
            self.shared.replica.record_jti(jti, until)
        })
    }

    fn revoke_subject<'a>(&'a self, sub: &'a str, issued_before: i64, until: i64) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (issued_before, until) = (clamp_time(issued_before), clamp_time(until));
            self.publish("sub", sub, &[issued_before, until]).await?;
            self.shared.replica.record_subject(sub, issued_before, until)
        })
    }
}
