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
//! publish. A check reads the replica, and answers only while the replica is known to have been
//! complete within a bounded staleness (1 s by default): a heartbeat (a `PING` on the
//! subscription, whose echo comes after every event published before it) proves that several
//! times per bound. When the connection drops, or goes silent as behind a NAT or load balancer
//! that forgets it, checks fail closed (`503`) once the bound has passed, and the replica
//! resubscribes and reloads. Connections also use TCP keepalive, so the kernel eventually
//! notices a dead peer too.
//!
//! Revocation entries expire in Redis with the tokens they cover. Writing one is a single
//! script that merges it with what Redis holds (the later cut-off, the later end), so two
//! revocations of one subject or `jti` never undo each other, whatever their order.
//!
//! **Refresh-token rotation is atomic** (one Lua script): of concurrent uses of one token exactly
//! one rotates; the others see it used and revoke the family. Logout deletes the family's one
//! key, so a rotation racing it cannot survive.
//!
//! **Topologies.** One Redis ([`RedisStores::connect`]), Redis Cluster
//! ([`RedisStores::connect_cluster`]: every script touches keys of one hash tag and declares
//! them) and Redis with Sentinel ([`RedisStores::connect_sentinel`]: the master is asked of the
//! sentinels again after a failure). Replication is asynchronous; to keep acknowledged
//! revocations, rotations and logouts through a failover, see
//! [`RedisStores::wait_for_replicas`].

mod conn;
mod refresh;
mod revocations;

use std::time::Duration;

use jwtguard_core::{Error, ErrorKind};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::conn::{Conn, SentinelConn, Subscriber};
use redis::io::tcp::socket2;

pub use refresh::RedisRefreshStore;
pub use revocations::{RedisRevocations, RevocationsBuilder};

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
    /// Where the revocation replica subscribes.
    subscriber: Subscriber,
    conn: Conn,
    prefix: String,
    /// Replicas that must acknowledge a write that must survive a failover, and for how long
    /// to wait for them.
    wait: Option<(u32, Duration)>,
    /// The runtime `connect` ran on: replicas run their sync task there.
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for RedisStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStores").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

pub(crate) fn unavailable(e: redis::RedisError) -> Error {
    Error::with_source(ErrorKind::StoreUnavailable, e)
}

/// `EVAL` of a script with its keys (all declared) and arguments. The source travels with each
/// call (`EVAL`, not `EVALSHA`), so a script and a `WAIT` fit in one pipeline; the scripts run on
/// rare writes only.
pub(crate) fn eval(script: &str, keys: &[String], args: impl redis::ToRedisArgs) -> redis::Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(script).arg(keys.len()).arg(keys).arg(args);
    cmd
}

/// How long a connection attempt may take, and a command's answer.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(1);

/// TCP keepalive on every connection: a peer silent for 10 s is probed every 5 s, and the
/// connection is dropped after 3 unanswered probes. The replica's heartbeat notices a dead
/// subscription much sooner; this catches dead command connections, which would otherwise time
/// out request after request on a socket that never closes, and keeps idle connections alive
/// through NATs.
pub(crate) fn keepalive() -> socket2::TcpKeepalive {
    socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(10))
        .with_interval(Duration::from_secs(5))
        .with_retries(3)
}

/// On Linux, data left unacknowledged this long drops the connection too.
#[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
pub(crate) const USER_TIMEOUT: Duration = Duration::from_secs(20);

/// The TCP settings of command connections: no delay, [`keepalive`], and on Linux the user
/// timeout.
pub(crate) fn tcp_settings() -> redis::io::tcp::TcpSettings {
    let settings = redis::io::tcp::TcpSettings::default().set_nodelay(true).set_keepalive(keepalive());
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    let settings = settings.set_user_timeout(USER_TIMEOUT);
    settings
}

impl RedisStores {
    /// Checks that `url` is one [`RedisStores::connect`] can use, without connecting: what a
    /// configuration check runs.
    ///
    /// ```
    /// assert!(jwtguard_redis::RedisStores::check_url("redis://127.0.0.1:6379/0").is_ok());
    /// assert!(jwtguard_redis::RedisStores::check_url("redis://host:port").is_err());
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::StoreUnavailable`] saying what the Redis client found wrong.
    pub fn check_url(url: &str) -> Result<(), Error> {
        redis::Client::open(url).map(|_| ()).map_err(unavailable)
    }

    /// Connects (with timeouts of 1 s per command and per connection attempt, TCP keepalive,
    /// and automatic reconnection). Keys and channels are prefixed with `jwtguard`.
    ///
    /// # Errors
    /// [`ErrorKind::StoreUnavailable`] when Redis cannot be reached.
    pub async fn connect(url: &str) -> Result<RedisStores, Error> {
        RedisStores::connect_with_prefix(url, "jwtguard").await
    }

    /// As [`RedisStores::connect`], with another key prefix (to share one Redis between
    /// services).
    ///
    /// # Errors
    /// [`ErrorKind::StoreUnavailable`] when Redis cannot be reached.
    pub async fn connect_with_prefix(url: &str, prefix: &str) -> Result<RedisStores, Error> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(TIMEOUT)
            .set_response_timeout(TIMEOUT)
            .set_number_of_retries(1)
            .set_tcp_settings(tcp_settings());
        let conn = ConnectionManager::new_with_config(client.clone(), config).await.map_err(unavailable)?;
        RedisStores::new(Subscriber::nodes(vec![client]), Conn::Single(conn), prefix)
    }

    /// Connects to Redis Cluster through any of its `nodes` (URLs as for [`RedisStores::connect`];
    /// the others are found from them), with keys and channels prefixed with `prefix` (`jwtguard`
    /// in [`RedisStores::connect`]). Same timeouts, keepalive and reconnection; commands follow
    /// slot moves and failovers.
    ///
    /// Every script touches keys of one hash tag and declares them. Revocations travel over
    /// classic pub/sub, which Redis Cluster delivers to subscribers on every node: the replica
    /// subscribes on one of `nodes` (the next one after each failure). That costs a message on
    /// the cluster bus per revocation, which is rare; sharded pub/sub would save it but moves
    /// with its slot.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_core::Error> {
    /// let nodes = ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379", "redis://10.0.0.3:6379"];
    /// let stores = jwtguard_redis::RedisStores::connect_cluster(nodes, "jwtguard").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::StoreUnavailable`] when no node can be reached or a URL is invalid.
    pub async fn connect_cluster<S: AsRef<str>>(
        nodes: impl IntoIterator<Item = S>,
        prefix: &str,
    ) -> Result<RedisStores, Error> {
        let urls: Vec<String> = nodes.into_iter().map(|n| n.as_ref().to_owned()).collect();
        let clients = urls.iter().map(|u| redis::Client::open(u.as_str())).collect::<Result<Vec<_>, _>>();
        let clients = clients.map_err(unavailable)?;
        let cluster = redis::cluster::ClusterClientBuilder::new(urls)
            .connection_timeout(TIMEOUT)
            .response_timeout(TIMEOUT)
            .retries(1)
            .tcp_settings(tcp_settings())
            .build()
            .map_err(unavailable)?;
        let conn = cluster.get_async_connection().await.map_err(unavailable)?;
        RedisStores::new(Subscriber::nodes(clients), Conn::Cluster(conn), prefix)
    }

    /// Connects to the master that the `sentinels` (URLs as for [`RedisStores::connect`]) name
    /// for `master_name`, with keys and channels prefixed with `prefix` (`jwtguard` in
    /// [`RedisStores::connect`]). After a failover, the next command and the replica's next
    /// subscription ask the sentinels again; the replica reloads as after any reconnection.
    ///
    /// Replication is asynchronous: a write acknowledged by a master that dies before a replica
    /// received it is lost in the failover (Redis' own guarantee, not changed here).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_core::Error> {
    /// let sentinels = ["redis://10.0.0.1:26379", "redis://10.0.0.2:26379", "redis://10.0.0.3:26379"];
    /// let stores = jwtguard_redis::RedisStores::connect_sentinel(sentinels, "mymaster", "jwtguard").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::StoreUnavailable`] when no sentinel names a reachable master or a URL is
    /// invalid.
    pub async fn connect_sentinel<S: AsRef<str>>(
        sentinels: impl IntoIterator<Item = S>,
        master_name: &str,
        prefix: &str,
    ) -> Result<RedisStores, Error> {
        let urls: Vec<String> = sentinels.into_iter().map(|n| n.as_ref().to_owned()).collect();
        let sentinel = redis::sentinel::SentinelClient::build(
            urls,
            master_name.to_owned(),
            None,
            redis::sentinel::SentinelServerType::Master,
        )
        .map_err(unavailable)?;
        let sentinel = std::sync::Arc::new(tokio::sync::Mutex::new(sentinel));
        let conn = SentinelConn::new(sentinel.clone());
        // Fails now, not at the first request, when no master can be reached.
        redis::cmd("PING").query_async::<()>(&mut Conn::Sentinel(conn.clone())).await.map_err(unavailable)?;
        RedisStores::new(Subscriber::Sentinel(sentinel), Conn::Sentinel(conn), prefix)
    }

    /// Acknowledges the writes that must survive a failover (revocations, refresh-token
    /// rotations, logouts) only once `replicas` replicas have them, waiting at most `timeout`
    /// (Redis `WAIT`); when fewer have them in time, the write fails with
    /// [`ErrorKind::StoreUnavailable`] (a `503`). The master may still keep such a write, so
    /// repeating it must be safe, and is: revocations and logouts repeat harmlessly, and using a
    /// refresh token again after a rotation that did happen counts as reuse, which ends the
    /// family (the user logs in again; no token is ever valid twice). Defaults to not waiting.
    ///
    /// Redis replicates asynchronously: without this, a write the master acknowledged but did not
    /// yet send to a replica is lost when that replica is promoted. With it, a write is
    /// acknowledged only once on `replicas` replicas; Sentinel promotes the replica with the
    /// most recent data, so with one replica and `replicas` = 1 an acknowledged write survives
    /// the master's death. It is not consensus: a failover that promotes a replica which had not
    /// received the write (several replicas, or a replica partitioned at the time) still loses
    /// it. The cost is a replication round trip on each such write (these are rare next to
    /// checks, which never touch Redis), and on Redis Cluster a `WAIT` on every master.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_core::Error> {
    /// let sentinels = ["redis://10.0.0.1:26379", "redis://10.0.0.2:26379", "redis://10.0.0.3:26379"];
    /// let stores = jwtguard_redis::RedisStores::connect_sentinel(sentinels, "mymaster", "jwtguard")
    ///     .await?
    ///     .wait_for_replicas(1, std::time::Duration::from_millis(500));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn wait_for_replicas(mut self, replicas: u32, timeout: Duration) -> RedisStores {
        self.wait = Some((replicas, timeout));
        self
    }

    /// Runs `cmd`, a write that must survive a failover, and waits for replicas as configured.
    /// Elsewhere the write and the `WAIT` go in one pipeline, so on one connection: `WAIT`
    /// counts the writes of its own connection. On a cluster the `WAIT` goes to every master
    /// after it.
    pub(crate) async fn write<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, Error> {
        let mut conn = self.conn.clone();
        let Some((replicas, timeout)) = self.wait else {
            return cmd.query_async(&mut conn).await.map_err(unavailable);
        };
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let (value, acknowledged): (T, u32) = if let Conn::Cluster(_) = conn {
            let value = cmd.query_async(&mut conn).await.map_err(unavailable)?;
            let acknowledged =
                redis::cmd("WAIT").arg(replicas).arg(millis).query_async(&mut conn).await.map_err(unavailable)?;
            (value, acknowledged)
        } else {
            let mut pipe = redis::pipe();
            pipe.add_command(cmd.clone()).cmd("WAIT").arg(replicas).arg(millis);
            pipe.query_async(&mut conn).await.map_err(unavailable)?
        };
        if acknowledged < replicas {
            return Err(Error::detailed(
                ErrorKind::StoreUnavailable,
                "fewer Redis replicas than required have the write",
            ));
        }
        Ok(value)
    }

    fn new(subscriber: Subscriber, conn: Conn, prefix: &str) -> Result<RedisStores, Error> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::detailed(ErrorKind::StoreUnavailable, "RedisStores needs a tokio runtime"))?;
        Ok(RedisStores { subscriber, conn, prefix: prefix.to_owned(), wait: None, runtime })
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
        self.revocations_builder().build()
    }

    /// The revocation store, tolerating `max_stale` without proof of being in sync before
    /// failing closed (the heartbeat is a quarter of it).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_core::Error> {
    /// let stores = jwtguard_redis::RedisStores::connect("redis://127.0.0.1:6379").await?;
    /// let revocations = stores.revocations_with_max_stale(std::time::Duration::from_secs(5));
    /// # Ok(()) }
    /// ```
    pub fn revocations_with_max_stale(&self, max_stale: Duration) -> RedisRevocations {
        self.revocations_builder().max_stale(max_stale).build()
    }

    /// A builder for the revocation store, to set its staleness bound and heartbeat.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), jwtguard_core::Error> {
    /// use std::time::Duration;
    /// let stores = jwtguard_redis::RedisStores::connect("redis://127.0.0.1:6379").await?;
    /// let revocations = stores
    ///     .revocations_builder()
    ///     .max_stale(Duration::from_secs(2))
    ///     .heartbeat(Duration::from_millis(250))
    ///     .build();
    /// # Ok(()) }
    /// ```
    pub fn revocations_builder(&self) -> RevocationsBuilder {
        RevocationsBuilder::new(self.clone())
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
