//! The connection the stores send commands on, and where the revocation replica subscribes,
//! for each topology: one Redis, Redis Cluster, Redis with Sentinel.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::sentinel::SentinelClient;
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use crate::{TIMEOUT, tcp_settings};

/// Commands go here. Cheap to clone.
#[derive(Clone)]
pub(crate) enum Conn {
    /// One Redis: reconnects by itself.
    Single(ConnectionManager),
    /// Redis Cluster: routes each command by its first key, follows slot moves and failovers.
    Cluster(ClusterConnection),
    /// Redis with Sentinel: the current master, asked of the sentinels again after a failure.
    Sentinel(SentinelConn),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
            Conn::Sentinel(s) => Box::pin(async move {
                let mut c = s.master().await?;
                let reply = c.req_packed_command(cmd).await;
                s.check(&reply);
                reply
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Sentinel(s) => Box::pin(async move {
                let mut c = s.master().await?;
                let reply = c.req_packed_commands(cmd, offset, count).await;
                s.check(&reply);
                reply
            }),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
            Conn::Sentinel(_) => 0,
        }
    }
}

/// A connection to the master the sentinels name. After a failure that may mean the master
/// changed (the connection broke or timed out, or the server now answers `READONLY` as a
/// replica), the next command asks the sentinels again. A failed command is never retried: a
/// script that did run but whose answer was lost must not run twice (a refresh token would be
/// seen as reused).
#[derive(Clone)]
pub(crate) struct SentinelConn {
    sentinel: Arc<tokio::sync::Mutex<SentinelClient>>,
    current: Arc<Mutex<Option<MultiplexedConnection>>>,
}

impl SentinelConn {
    pub(crate) fn new(sentinel: Arc<tokio::sync::Mutex<SentinelClient>>) -> Self {
        SentinelConn { sentinel, current: Arc::new(Mutex::new(None)) }
    }

    async fn master(&self) -> RedisResult<MultiplexedConnection> {
        if let Some(c) = self.current.lock().ok().and_then(|c| c.clone()) {
            return Ok(c);
        }
        let client = master_client(&self.sentinel).await?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(TIMEOUT)
            .set_response_timeout(TIMEOUT)
            .set_tcp_settings(tcp_settings());
        let c = client.get_multiplexed_async_connection_with_config(&config).await?;
        if let Ok(mut current) = self.current.lock() {
            *current = Some(c.clone());
        }
        Ok(c)
    }

    fn check<T>(&self, reply: &RedisResult<T>) {
        let Err(e) = reply else { return };
        let master_may_have_changed = e.is_unrecoverable_error()
            || e.is_timeout()
            || e.is_connection_dropped()
            || e.kind() == redis::ErrorKind::ReadOnly;
        if master_may_have_changed && let Ok(mut current) = self.current.lock() {
            *current = None;
        }
    }
}

/// A client for the master the sentinels name now, asked within the timeout.
async fn master_client(sentinel: &tokio::sync::Mutex<SentinelClient>) -> RedisResult<redis::Client> {
    let ask = async { sentinel.lock().await.async_get_client().await };
    match tokio::time::timeout(TIMEOUT, ask).await {
        Ok(client) => client,
        Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer from the sentinels").into()),
    }
}

/// Where the revocation replica subscribes. Cheap to clone.
#[derive(Clone)]
pub(crate) enum Subscriber {
    /// One of these nodes, the next one after each failure. On Redis Cluster a classic `PUBLISH`
    /// reaches every node, so any node will do.
    Nodes(Arc<[redis::Client]>, Arc<AtomicUsize>),
    /// The master the sentinels name.
    Sentinel(Arc<tokio::sync::Mutex<SentinelClient>>),
}

impl Subscriber {
    pub(crate) fn nodes(clients: Vec<redis::Client>) -> Self {
        Subscriber::Nodes(clients.into(), Arc::new(AtomicUsize::new(0)))
    }

    /// The client to subscribe with now.
    pub(crate) async fn client(&self) -> Result<redis::Client, RedisError> {
        match self {
            Subscriber::Nodes(clients, next) => {
                let i = next.fetch_add(1, Ordering::Relaxed);
                clients
                    .get(i % clients.len().max(1))
                    .cloned()
                    .ok_or_else(|| RedisError::from((redis::ErrorKind::InvalidClientConfig, "no Redis node given")))
            }
            Subscriber::Sentinel(sentinel) => master_client(sentinel).await,
        }
    }
}
