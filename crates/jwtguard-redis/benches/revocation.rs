//! What a revocation check costs: the local replica (what `RedisRevocations` does) against one
//! Redis round trip per request (what it avoids). `cargo bench -p jwtguard-redis`.
//! Starts its own `redis-server` on a free loopback port; bounded in count. Without
//! `redis-server` on the `PATH` it measures nothing and exits with status 2.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use jwtguard_core::RegisteredClaims;
use jwtguard_core::revocation::RevocationStore;
use jwtguard_redis::RedisStores;
use jwtguard_test::redis_server::RedisServer;

fn main() {
    if !RedisServer::installed() {
        eprintln!("revocation benchmark NOT RUN: it needs redis-server on the PATH (apt-get install redis-server)");
        std::process::exit(2);
    }
    let redis = RedisServer::start();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(async {
        let stores = RedisStores::connect(&redis.url()).await.unwrap();
        let revocations = stores.revocations();
        let now = jwtguard_test::unix_now();
        jwtguard_test::eventually("replica in sync", || revocations.in_sync()).await;
        for i in 0..1000 {
            revocations.revoke_jti(&format!("revoked-{i}"), now + 600).await.unwrap();
        }
        let claims: RegisteredClaims = serde_json::from_value(
            serde_json::json!({"jti": "live-token", "sub": "alice", "iat": now, "exp": now + 600}),
        )
        .unwrap();

        let n = 1_000_000u32;
        let start = Instant::now();
        for _ in 0..n {
            black_box(revocations.is_revoked(black_box(&claims), now).unwrap());
        }
        let replica = start.elapsed() / n;

        let client = redis::Client::open(redis.url()).unwrap();
        let mut conn = redis::aio::ConnectionManager::new(client).await.unwrap();
        let n = 20_000u32;
        let start = Instant::now();
        for _ in 0..n {
            let exists: bool = redis::cmd("HEXISTS")
                .arg("{jwtguard:revocations}")
                .arg("jti live-token")
                .query_async(&mut conn)
                .await
                .unwrap();
            black_box(exists);
        }
        let round_trip = start.elapsed() / n;
        println!("revocation check, local replica (1,000 revoked jtis): {replica:?} per check");
        println!("revocation check, one Redis HEXISTS round trip on loopback: {round_trip:?} per check");
    });
}
