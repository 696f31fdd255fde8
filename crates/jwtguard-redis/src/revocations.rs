use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use jwtguard_core::revocation::{InMemoryRevocations, KEEP_AFTER_END, RevocationStore, StoreFuture};
use jwtguard_core::{Error, ErrorKind, RegisteredClaims};
use redis::aio::PubSub;
use redis::io::tcp::socket2;

use crate::{RedisStores, TIMEOUT};

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
    /// What `complete_as_of` counts from.
    epoch: Instant,
    /// Nanoseconds after `epoch`, plus one (0: never), before which everything Redis acknowledged
    /// is in the replica.
    complete_as_of: AtomicU64,
    max_stale: Duration,
    heartbeat: Duration,
    /// Tells this replica's heartbeats from other instances' on the shared channel.
    instance: u64,
}

/// Builds a [`RedisRevocations`] with its staleness bound and heartbeat; from
/// [`RedisStores::revocations_builder`].
///
/// ```no_run
/// # async fn demo() -> Result<(), jwtguard_core::Error> {
/// use std::time::Duration;
/// let stores = jwtguard_redis::RedisStores::connect("redis://127.0.0.1:6379").await?;
/// let revocations = stores.revocations_builder().max_stale(Duration::from_secs(3)).build();
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use]
pub struct RevocationsBuilder {
    stores: RedisStores,
    max_stale: Duration,
    heartbeat: Option<Duration>,
}

impl RevocationsBuilder {
    pub(crate) fn new(stores: RedisStores) -> Self {
        RevocationsBuilder { stores, max_stale: Duration::from_secs(1), heartbeat: None }
    }

    /// How long checks keep answering from the replica without proof that it holds everything
    /// Redis acknowledged; after that they fail closed ([`ErrorKind::StoreUnavailable`], a
    /// `503`) until it has resubscribed and reloaded. This bounds how late a revocation made on
    /// another instance can be missed. Defaults to 1 s.
    ///
    /// ```no_run
    /// # async fn demo(stores: jwtguard_redis::RedisStores) {
    /// let revocations = stores.revocations_builder().max_stale(std::time::Duration::from_secs(5)).build();
    /// # }
    /// ```
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    /// How often the subscription proves itself alive: a `PING` on it, whose echo must come
    /// back within the staleness bound, or the connection is dropped and made again. At most
    /// half the bound (a longer one is shortened to that, so one slow echo does not fail
    /// closed), at least 1 ms. Defaults to a quarter of the bound.
    ///
    /// ```no_run
    /// # async fn demo(stores: jwtguard_redis::RedisStores) {
    /// let revocations = stores.revocations_builder().heartbeat(std::time::Duration::from_millis(100)).build();
    /// # }
    /// ```
    pub fn heartbeat(mut self, heartbeat: Duration) -> Self {
        self.heartbeat = Some(heartbeat);
        self
    }

    /// Starts the replica; its sync task runs on the runtime [`RedisStores::connect`] ran on.
    ///
    /// ```no_run
    /// # async fn demo(stores: jwtguard_redis::RedisStores) {
    /// let revocations = stores.revocations_builder().build();
    /// # }
    /// ```
    pub fn build(self) -> RedisRevocations {
        let heartbeat = self.heartbeat.unwrap_or(self.max_stale / 4).min(self.max_stale / 2);
        RedisRevocations::start(self.stores, self.max_stale, heartbeat.max(Duration::from_millis(1)))
    }
}

impl std::fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRevocations").field("replica", &self.shared.replica).finish_non_exhaustive()
    }
}

impl RedisRevocations {
    fn start(stores: RedisStores, max_stale: Duration, heartbeat: Duration) -> Self {
        let shared = Arc::new(Shared {
            stores,
            replica: InMemoryRevocations::new(),
            epoch: Instant::now(),
            complete_as_of: AtomicU64::new(0),
            max_stale,
            heartbeat,
            // A randomly keyed hash: distinct per replica without a random-number dependency.
            instance: std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), Instant::now()),
        });
        shared.stores.runtime.spawn(sync(Arc::downgrade(&shared)));
        RedisRevocations { shared }
    }

    /// `true` while checks answer from the replica: it is known to have held everything Redis
    /// acknowledged at most the staleness bound ago.
    ///
    /// ```no_run
    /// # async fn demo(stores: jwtguard_redis::RedisStores) {
    /// let revocations = stores.revocations();
    /// println!("in sync: {}", revocations.in_sync());
    /// # }
    /// ```
    pub fn in_sync(&self) -> bool {
        self.shared.fresh()
    }

    /// Stores the entry `KIND ID` merged with what is there (each number the larger, so a
    /// narrower revocation never narrows a wider one, as in memory) until its last number, and
    /// publishes the merged event, in one script.
    async fn publish(&self, kind: &str, id: &str, numbers: &[i64]) -> Result<(), Error> {
        let stores = &self.shared.stores;
        let (entries, ends) = keys(&stores.prefix);
        let args = (channel(&stores.prefix), kind, id, KEEP_AFTER_END, numbers);
        stores.write(&crate::eval(REVOKE, &[entries, ends], args)).await
    }
}

/// The two keys that hold every revocation, under one hash tag (so a script may touch both on
/// Redis Cluster): a hash of entries, `KIND ID` → the event's numbers, and a sorted set of the
/// same fields by when Redis may forget them. A replica loads the hash alone, instead of scanning
/// the whole key space.
fn keys(prefix: &str) -> (String, String) {
    (format!("{{{prefix}:revocations}}"), format!("{{{prefix}:revocations}}:ends"))
}

/// KEYS: the entries, their ends. ARGV: channel, kind, id, seconds to keep an entry past its end
/// ([`KEEP_AFTER_END`], so a replica loading while validators still accept the tokens finds it),
/// then the numbers (the last is the entry's end). Each write also forgets up to 100 entries
/// past their keeping time, and both keys expire with the last entry.
const REVOKE: &str = r#"
local field = ARGV[2] .. ' ' .. ARGV[3]
local old = {}
local cur = redis.call('HGET', KEYS[1], field)
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
redis.call('HSET', KEYS[1], field, value)
redis.call('ZADD', KEYS[2], string.format('%d', ends), field)
local now = redis.call('TIME')[1]
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. now, 'LIMIT', 0, 100)
if #dead > 0 then
  redis.call('HDEL', KEYS[1], unpack(dead))
  redis.call('ZREM', KEYS[2], unpack(dead))
end
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if #last == 2 then
  redis.call('EXPIREAT', KEYS[1], last[2])
  redis.call('EXPIREAT', KEYS[2], last[2])
end
redis.call('PUBLISH', ARGV[1], ARGV[2] .. ' ' .. value .. ' ' .. ARGV[3])
"#;

/// KEYS: the revocations' entries (only to route the script where revocations are written).
/// ARGV: channel, heartbeat nonce.
const HEARTBEAT: &str = "redis.call('PUBLISH', ARGV[1], ARGV[2])";

/// What starts a heartbeat's payload on the revocation channel; no revocation event does.
const HEARTBEAT_PREFIX: &str = "hb ";

/// Times are kept within what Lua's numbers and Redis' `EXAT` hold exactly: up to the end of year
/// 9999, as NumericDates in tokens are.
fn clamp_time(t: i64) -> i64 {
    t.clamp(-253_402_300_799, 253_402_300_799)
}

fn channel(prefix: &str) -> String {
    format!("{prefix}:revocations")
}

impl Shared {
    /// Records that the replica holds everything Redis acknowledged before `at`.
    fn confirm(&self, at: Instant) {
        let nanos = u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX - 1);
        self.complete_as_of.fetch_max(nanos + 1, Ordering::Release);
        jwtguard_core::telemetry::replica_in_sync(true);
    }

    /// `true` when the replica was complete at most `max_stale` ago.
    fn fresh(&self) -> bool {
        let Some(as_of) = self.complete_as_of.load(Ordering::Acquire).checked_sub(1) else { return false };
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        u128::from(now.saturating_sub(as_of)) <= self.max_stale.as_nanos()
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

    /// Applies one pub/sub message.
    fn apply_msg(&self, msg: &redis::Msg) {
        match msg.get_payload::<String>() {
            // Every instance's heartbeats travel the channel too.
            Ok(event) if event.starts_with(HEARTBEAT_PREFIX) => {}
            Ok(event) => self.apply(&event),
            Err(_) => tracing::warn!("ignoring a malformed revocation event"),
        }
    }

    /// Loads every revocation stored in Redis into the replica.
    async fn reload(&self) -> Result<(), redis::RedisError> {
        let mut conn = self.stores.conn.clone();
        let (entries, _) = keys(&self.stores.prefix);
        let mut cursor = 0u64;
        loop {
            let (next, fields): (u64, Vec<(String, String)>) =
                redis::cmd("HSCAN").arg(&entries).arg(cursor).arg("COUNT").arg(500).query_async(&mut conn).await?;
            for (field, value) in fields {
                // Fields are `KIND ID`, values the event's middle numbers.
                if let Some((kind, id)) = field.split_once(' ') {
                    self.apply(&format!("{kind} {value} {id}"));
                }
            }
            cursor = next;
            if cursor == 0 {
                return Ok(());
            }
        }
    }
}

/// Why [`follow`] stopped.
enum Lost {
    /// The store was dropped: the task ends.
    Dropped,
    /// The subscription ended or failed.
    Closed,
    /// A heartbeat's echo did not come back within the staleness bound.
    Silent,
}

/// Subscribes, reloads, follows; when the subscription ends, fails or goes silent, starts over
/// with backoff, until the store is dropped. Checks fail closed on their own once the last proof
/// of completeness is older than the bound.
async fn sync(shared: Weak<Shared>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let Some(s) = shared.upgrade() else { return };
        let subscriber = s.stores.subscriber.clone();
        let channel = channel(&s.stores.prefix);
        drop(s);
        let attempt = Instant::now();
        let subscribed = async { subscribe(&subscriber.client().await?, &channel).await };
        let subscribed = match tokio::time::timeout(TIMEOUT, subscribed).await {
            Ok(subscribed) => subscribed,
            Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "subscribing timed out").into()),
        };
        match subscribed {
            Ok(pubsub) => {
                let Some(s) = shared.upgrade() else { return };
                // The command connection reconnects lazily: after an outage its first command
                // fails and starts the reconnection, which the next one waits for. Redis has just
                // answered the subscription, so a failed reload is tried again at once, not after
                // a backoff step (up to 5 s more of failing closed with Redis back).
                let reloaded = match s.reload().await {
                    Ok(()) => Ok(()),
                    Err(_) => s.reload().await,
                };
                match reloaded {
                    Ok(()) => {
                        // Subscribed before the reload, so no event falls between the two: the
                        // replica now holds everything acknowledged before the attempt began.
                        s.confirm(attempt);
                        backoff = Duration::from_millis(100);
                        tracing::info!("revocation replica in sync with Redis");
                        drop(s);
                        let lost = follow(&shared, pubsub).await;
                        jwtguard_core::telemetry::replica_in_sync(false);
                        match lost {
                            Lost::Dropped => return,
                            Lost::Closed => tracing::warn!("lost the Redis revocation channel; reconnecting"),
                            Lost::Silent => {
                                tracing::warn!("the Redis revocation channel went silent; reconnecting");
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "revocation reload failed"),
                }
            }
            Err(e) => {
                jwtguard_core::telemetry::replica_in_sync(false);
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot subscribe to Redis revocations");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// A pub/sub connection subscribed to `channel`. Over plain TCP it is made here, to give it
/// keepalive (the `redis` crate offers no TCP settings for pub/sub); TLS and Unix sockets use the
/// client's own connection, which the heartbeat guards the same way.
async fn subscribe(client: &redis::Client, channel: &str) -> Result<PubSub, redis::RedisError> {
    let info = client.get_connection_info();
    let mut pubsub = match &info.addr {
        redis::ConnectionAddr::Tcp(host, port) => {
            let stream = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
            stream.set_nodelay(true)?;
            let socket = socket2::SockRef::from(&stream);
            socket.set_tcp_keepalive(&crate::keepalive())?;
            #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
            socket.set_tcp_user_timeout(Some(crate::USER_TIMEOUT))?;
            PubSub::new(&info.redis, stream).await?
        }
        _ => client.get_async_pubsub().await?,
    };
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

/// Applies published events and proves the subscription alive every heartbeat, until it ends,
/// fails, goes silent, or the store is dropped.
async fn follow(shared: &Weak<Shared>, pubsub: PubSub) -> Lost {
    let Some((max_stale, heartbeat)) = shared.upgrade().map(|s| (s.max_stale, s.heartbeat)) else {
        return Lost::Dropped;
    };
    let (_sink, mut messages) = pubsub.split();
    let mut heartbeats = 0u64;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            msg = messages.next() => {
                let Some(msg) = msg else { return Lost::Closed };
                let Some(s) = shared.upgrade() else { return Lost::Dropped };
                s.apply_msg(&msg);
            }
            _ = ticks.tick() => {
                let sent = Instant::now();
                let Some(s) = shared.upgrade() else { return Lost::Dropped };
                heartbeats += 1;
                let nonce = format!("{HEARTBEAT_PREFIX}{}-{heartbeats}", s.instance);
                // Published the way a revocation is (a script on the revocations' key, so on the
                // master that holds them, on a cluster or after a failover), and awaited on the
                // subscription: its echo proves the whole path a revocation takes, not only that
                // the subscribed node answers.
                let (entries, _) = keys(&s.stores.prefix);
                let publish = crate::eval(HEARTBEAT, &[entries], (channel(&s.stores.prefix), nonce.as_str()));
                let mut conn = s.stores.conn.clone();
                drop(s);
                let echo = tokio::time::timeout(max_stale, async {
                    publish.query_async::<()>(&mut conn).await?;
                    loop {
                        let Some(msg) = messages.next().await else { return Ok(false) };
                        if msg.get_payload::<String>().is_ok_and(|p| p == nonce) {
                            return Ok::<_, redis::RedisError>(true);
                        }
                        if let Some(s) = shared.upgrade() {
                            s.apply_msg(&msg);
                        }
                    }
                })
                .await;
                match echo {
                    Ok(Ok(true)) => {}
                    Ok(Ok(false)) => return Lost::Closed,
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "heartbeat on the Redis revocation channel failed");
                        return Lost::Closed;
                    }
                    Err(_) => return Lost::Silent,
                }
                let Some(s) = shared.upgrade() else { return Lost::Dropped };
                // Events are published in order on one channel: everything Redis acknowledged
                // before the heartbeat left came before its echo, and is applied.
                s.confirm(sent);
            }
        }
    }
}

impl RevocationStore for RedisRevocations {
    fn is_revoked(&self, claims: &RegisteredClaims, now: i64) -> Result<bool, Error> {
        if !self.shared.fresh() {
            return Err(Error::detailed(ErrorKind::StoreUnavailable, "revocation replica out of sync with Redis"));
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
