//! The shared store suite on the Redis topologies people deploy besides one server: Redis
//! Cluster (three masters) and Redis with Sentinel, each started by the test from real
//! processes on free loopback ports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jwtguard_core::RegisteredClaims;
use jwtguard_core::refresh::{RefreshError, RefreshTokens};
use jwtguard_core::revocation::RevocationStore;
use jwtguard_redis::RedisStores;
use jwtguard_test::redis_cluster::RedisCluster;
use jwtguard_test::redis_sentinel::{MASTER_NAME, RedisSentinel};
use jwtguard_test::store_suite::{refresh_suite, revocation_suite};
use jwtguard_test::tcp_proxy::TcpProxy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn redis_cluster_stores_pass_the_suite() {
    let cluster = RedisCluster::start();
    let urls = cluster.urls();
    let stores = RedisStores::connect_cluster(&urls, "jwtguard").await.unwrap();
    refresh_suite(Arc::new(stores.refresh_store())).await;
    // The other instance is given the nodes in another order, so the two replicas subscribe on
    // different nodes: at most one of them is the node that owns the revocation keys.
    let mut rotated = urls.clone();
    rotated.rotate_left(1);
    let other = RedisStores::connect_cluster(&rotated, "jwtguard").await.unwrap();
    revocation_suite(Arc::new(stores.revocations()), Arc::new(other.revocations())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server and redis-sentinel"]
async fn redis_sentinel_stores_pass_the_suite() {
    let setup = RedisSentinel::start();
    let urls = setup.sentinel_urls();
    // One instance waits for the replica on each write that must survive a failover.
    let stores = RedisStores::connect_sentinel(&urls, MASTER_NAME, "jwtguard")
        .await
        .unwrap()
        .wait_for_replicas(1, Duration::from_secs(2));
    refresh_suite(Arc::new(stores.refresh_store())).await;
    let other = RedisStores::connect_sentinel(&urls, MASTER_NAME, "jwtguard").await.unwrap();
    revocation_suite(Arc::new(stores.revocations()), Arc::new(other.revocations())).await;
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn wait_until(what: &str, secs: u64, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What the workload saw acknowledged.
#[derive(Default)]
struct Acknowledged {
    /// Revoked `jti`s.
    revoked: Vec<String>,
    /// Refresh tokens whose rotation was acknowledged: each must never rotate again.
    rotated_away: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server and redis-sentinel"]
async fn acknowledged_writes_survive_killing_the_master_under_sentinel() {
    // Replication goes through a proxy, so the test can hold it back as a slow link would.
    let mut replication = None;
    let setup = tokio::task::block_in_place(|| {
        RedisSentinel::start_with_replication_via(|master| {
            let upstream = std::net::SocketAddr::from(([127, 0, 0, 1], master));
            let proxy = tokio::runtime::Handle::current().block_on(TcpProxy::start(upstream));
            let port = proxy.addr().port();
            replication = Some(proxy);
            port
        })
    });
    let mut setup = setup;
    let replication = replication.unwrap();
    let urls = setup.sentinel_urls();
    let connect = || RedisStores::connect_sentinel(&urls, MASTER_NAME, "jwtguard");
    let stores = connect().await.unwrap().wait_for_replicas(1, Duration::from_millis(300));
    let fail_over = async {
        // The replica falls behind: what the master acknowledges now would die with it.
        replication.stall();
        tokio::time::sleep(Duration::from_millis(1000)).await;
        tokio::task::block_in_place(|| setup.kill_master_and_fail_over());
    };
    acknowledged_writes_survive(stores, fail_over, async { connect().await.unwrap() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn acknowledged_writes_survive_killing_a_master_of_the_cluster() {
    let mut cluster = RedisCluster::start_with_replicas(1);
    let urls = cluster.urls();
    let connect = || RedisStores::connect_cluster(&urls, "jwtguard");
    let stores = connect().await.unwrap().wait_for_replicas(1, Duration::from_millis(300));
    // The master holding the revocations, and with them the replica's channel's publisher.
    let fail_over = async { tokio::task::block_in_place(|| cluster.kill_master_of("{jwtguard:revocations}")) };
    acknowledged_writes_survive(stores, fail_over, async { connect().await.unwrap() }).await;
}

/// Runs revocations and refreshes on `stores` (which waits for a replica), runs `fail_over` in
/// the middle, then checks through a new instance (`after`) that every acknowledged revocation is
/// there and no token whose rotation was acknowledged rotates again, and that the first
/// instance's replica follows the new master.
async fn acknowledged_writes_survive(
    stores: RedisStores,
    fail_over: impl Future<Output = ()>,
    after: impl Future<Output = RedisStores>,
) {
    let revocations = stores.revocations();
    let tokens = RefreshTokens::new(Arc::new(stores.refresh_store()));
    let now = now();

    // Revocations and refreshes, one after the other, recording what was acknowledged.
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let workload = tokio::spawn({
        let (acknowledged, stop, revocations) = (acknowledged.clone(), stop.clone(), revocations.clone());
        async move {
            let mut current: Option<String> = None;
            for i in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let jti = format!("jti-{i}");
                if revocations.revoke_jti(&jti, now + 600).await.is_ok() {
                    acknowledged.lock().unwrap().revoked.push(jti);
                }
                match &current {
                    None => current = tokens.issue("alice", None).await.ok(),
                    Some(token) => match tokens.refresh(token).await {
                        Ok((next, _)) => {
                            acknowledged.lock().unwrap().rotated_away.push(token.clone());
                            current = Some(next);
                        }
                        // Reuse (a rotation that ran but was not acknowledged) ends the family.
                        Err(RefreshError::InvalidGrant) => current = None,
                        Err(_) => {}
                    },
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    wait_until("the workload gets going", 20, || {
        let a = acknowledged.lock().unwrap();
        a.revoked.len() >= 20 && a.rotated_away.len() >= 20
    })
    .await;

    fail_over.await;
    // A moment of workload against the new master (with no replica left, its writes cannot be
    // acknowledged, which is the documented fail-closed answer).
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    workload.await.unwrap();
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());

    // A new instance after the failover: it loads from the new master.
    let after = after.await;
    let late = after.revocations();
    wait_until("a new replica in sync with the new master", 20, || late.in_sync()).await;
    let claims = |jti: &str| -> RegisteredClaims {
        serde_json::from_value(serde_json::json!({"jti": jti, "sub": "alice", "iat": now, "exp": now + 600})).unwrap()
    };
    let lost: Vec<&String> =
        acknowledged.revoked.iter().filter(|j| !late.is_revoked(&claims(j), now).unwrap()).collect();
    assert_eq!(lost, Vec::<&String>::new(), "acknowledged revocations lost in the failover");
    // The first instance's replica follows the new master too.
    wait_until("the old instance's replica back in sync", 20, || revocations.in_sync()).await;
    let last = acknowledged.revoked.last().unwrap();
    assert!(revocations.is_revoked(&claims(last), now).unwrap());

    let tokens = RefreshTokens::new(Arc::new(after.refresh_store()));
    for token in &acknowledged.rotated_away {
        assert!(
            matches!(tokens.refresh(token).await, Err(RefreshError::InvalidGrant)),
            "a refresh token whose rotation was acknowledged rotated again after the failover"
        );
    }
    // Writes work on the new master (this instance does not wait for a replica).
    after.revocations().revoke_jti("after the failover", now + 600).await.unwrap();
}
