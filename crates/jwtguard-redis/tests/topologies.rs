//! The shared store suite on the Redis topologies people deploy besides one server: Redis
//! Cluster (three masters) and Redis with Sentinel, each started by the test from real
//! processes on free loopback ports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use jwtguard_redis::RedisStores;
use jwtguard_test::redis_cluster::RedisCluster;
use jwtguard_test::redis_sentinel::{MASTER_NAME, RedisSentinel};
use jwtguard_test::store_suite::{refresh_suite, revocation_suite};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn redis_cluster_stores_pass_the_suite() {
    let Some(cluster) = RedisCluster::start() else { return };
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
#[ignore = "needs redis-server"]
async fn redis_sentinel_stores_pass_the_suite() {
    let Some(setup) = RedisSentinel::start() else { return };
    let urls = setup.sentinel_urls();
    let stores = RedisStores::connect_sentinel(&urls, MASTER_NAME, "jwtguard").await.unwrap();
    refresh_suite(Arc::new(stores.refresh_store())).await;
    let other = RedisStores::connect_sentinel(&urls, MASTER_NAME, "jwtguard").await.unwrap();
    revocation_suite(Arc::new(stores.revocations()), Arc::new(other.revocations())).await;
}
