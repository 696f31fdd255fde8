//! Revocations shared with the services through a real Redis: a logout anywhere is honoured at
//! the gateway, and with Redis gone the gateway fails closed (503) instead of letting a revoked
//! token through.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use jwtguard_core::revocation::RevocationStore;
use jwtguard_gateway::{Config, Gateway, Mode};
use jwtguard_redis::RedisStores;
use jwtguard_test::redis_server::RedisServer;
use jwtguard_test::{eventually, unix_now};
use serde_json::json;
use support::*;

fn config(revocation: &str) -> String {
    format!(
        "realm = \"shop\"\n[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"forward_auth\"\n{}{ROUTES}\n[revocation]\n{revocation}",
        issuers_and_headers()
    )
}

/// The status and `WWW-Authenticate` of the gateway's answer for `/orders/1` with `token`.
async fn ask(gw: &Running, token: &str) -> (u16, Option<String>) {
    let res = client()
        .get(format!("{}/auth", gw.url(Mode::ForwardAuth)))
        .header("X-Original-URI", "/orders/1")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), header(&res, "www-authenticate"))
}

async fn status(gw: &Running, path: &str) -> u16 {
    client().get(format!("{}{path}", gw.url(Mode::ForwardAuth))).send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn a_revocation_made_by_a_service_is_honoured_at_the_gateway() {
    let redis = RedisServer::start();
    let gw = start(&config(&format!("redis = \"{}\"\nprefix = \"shop\"\n", redis.url()))).await;
    // A service sharing the Redis and the prefix.
    let service = RedisStores::connect_with_prefix(&redis.url(), "shop").await.unwrap().revocations();
    eventually("service replica in sync", || service.in_sync()).await;
    eventually("gateway ready", || gw.gateway.is_ready()).await;
    assert_eq!(status(&gw, "/readyz").await, 200);

    let scoped = json!({ "scope": "orders:read" });
    let alice = token_a(json!({ "jti": "t-1", "scope": "orders:read" }));
    let other = token_a(json!({ "jti": "t-2", "scope": "orders:read" }));
    assert_eq!(ask(&gw, &alice).await.0, 200);

    // Logout of one token on the service: the gateway refuses it, and only it.
    service.revoke_jti("t-1", unix_now() + 600).await.unwrap();
    eventually_status(&gw, &alice, 401).await;
    assert_eq!(ask(&gw, &alice).await.1.as_deref(), Some(INVALID_TOKEN));
    assert_eq!(ask(&gw, &other).await.0, 200);

    // Every token of the subject issued up to now: one issued after (the next login, here a
    // second later) still passes, and so does another subject's.
    let before = token_a(scoped.clone());
    let cut_off = unix_now();
    service.revoke_subject("alice", cut_off, cut_off + 600).await.unwrap();
    eventually_status(&gw, &before, 401).await;
    let mut later = scoped.clone();
    later["iat"] = json!(cut_off + 1);
    assert_eq!(ask(&gw, &token_a(later)).await.0, 200);
    let bob = jwtguard_test::Minter::new(jwtguard_test::Algorithm::ES256).token(
        &json!({ "sub": "bob", "iss": ISS_A, "iat": unix_now(), "exp": unix_now() + 600, "scope": "orders:read" }),
    );
    assert_eq!(ask(&gw, &bob).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server"]
async fn with_redis_gone_the_gateway_fails_closed_then_resumes() {
    let mut redis = RedisServer::start();
    let gw = start(&config(&format!("redis = \"{}\"\nmax_stale_ms = 200\n", redis.url()))).await;
    eventually("gateway ready", || gw.gateway.is_ready()).await;
    let token = token_a(json!({ "jti": "t-1", "scope": "orders:read" }));
    assert_eq!(ask(&gw, &token).await.0, 200);

    redis.kill();
    // Past the staleness bound no token passes: a revocation made meanwhile could be missed.
    eventually_status(&gw, &token, 503).await;
    assert_eq!(status(&gw, "/readyz").await, 503);
    let metrics = client().get(format!("{}/metrics", gw.url(Mode::ForwardAuth))).send().await.unwrap();
    let text = metrics.text().await.unwrap();
    assert!(text.contains("jwtguard_revocation_replica_in_sync 0\n"), "{text}");
    let res = client().get(format!("{}/readyz", gw.url(Mode::ForwardAuth))).send().await.unwrap().text().await.unwrap();
    assert_eq!(res, "waiting for revocations in sync with Redis\n");

    redis.restart();
    eventually_status(&gw, &token, 200).await;
    assert_eq!(status(&gw, "/readyz").await, 200);
}

/// Asks until the gateway answers `want` for `token` (a replica catches up asynchronously).
async fn eventually_status(gw: &Running, token: &str, want: u16) {
    let deadline = std::time::Instant::now() + jwtguard_test::HANG_GUARD;
    loop {
        let (got, _) = ask(gw, token).await;
        if got == want {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "still {got}, not {want}, after {:?}", jwtguard_test::HANG_GUARD);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn an_unreachable_redis_stops_the_start_at_its_table() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let text = config(&format!("redis = \"redis://127.0.0.1:{port}\"\n"));
    let dir = TempDir::new("rev");
    let cfg = Config::from_file(dir.write("gateway.toml", &text)).unwrap();
    let err = Gateway::start(cfg).await.unwrap_err();
    let line = text.lines().position(|l| l == "[revocation]").unwrap() + 1;
    assert_eq!((err.line(), err.key()), (Some(line), "revocation"), "{err}");
    assert!(err.message().starts_with("cannot reach Redis"), "{err}");
}
