//! Two instances of the quickstart sharing one Redis and one signing key (an axum one and an
//! actix one): a logout on A makes the access and refresh tokens fail on B, and a refresh-token
//! reuse on B kills the family on A.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../examples/common/actix_app.rs"]
mod actix_app;
#[path = "support/apps.rs"]
mod apps;
#[path = "../examples/common/axum_app.rs"]
mod axum_app;
#[path = "../examples/common/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use apps::{start_actix, start_axum};
use jwtguard_test::redis_server::RedisServer;
use quickstart::Settings;
use serde_json::{Value, json};

struct Client {
    http: reqwest::Client,
}

impl Client {
    async fn post(&self, addr: SocketAddr, path: &str, bearer: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.http.post(format!("http://{addr}{path}")).json(&body);
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
    async fn me(&self, addr: SocketAddr, token: &str) -> u16 {
        self.http.get(format!("http://{addr}/me")).bearer_auth(token).send().await.unwrap().status().as_u16()
    }
    async fn login(&self, addr: SocketAddr) -> (String, String) {
        let (status, body) = self.post(addr, "/login", None, json!({"username": "demo", "password": "demo"})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["expires_in"].as_u64().unwrap() > 0);
        (body["access_token"].as_str().unwrap().to_owned(), body["refresh_token"].as_str().unwrap().to_owned())
    }
}

#[actix_web::test]
#[ignore = "needs redis-server"]
async fn two_instances_share_logout_and_reuse_detection_through_redis() {
    let redis = RedisServer::start();
    let settings = Settings {
        port: 0,
        tls: None,
        redis_url: Some(redis.url()),
        signing_key_file: Some(jwtguard_test::key_path("p256.key.pem")),
        trusted_jwks: None,
    };
    let a = start_axum(&settings).await;
    let b = start_actix(&settings).await;
    let c = Client { http: reqwest::Client::new() };

    // Both replicas come in sync within a moment of start-up (503 until then, never 401).
    let (access, refresh) = c.login(a).await;
    let deadline = Instant::now() + jwtguard_test::HANG_GUARD;
    for instance in [a, b] {
        loop {
            match c.me(instance, &access).await {
                200 => break,
                503 if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(20)).await,
                other => panic!("GET /me answered {other}"),
            }
        }
    }

    // Logout on A: B rejects the access token once the revocation reaches its replica, within
    // the replica's staleness bound (1 s) and a margin for a loaded machine: a revocation that
    // only arrived at the next reload or reconnect would miss it.
    let (status, _) = c.post(a, "/logout", Some(&access), json!({"refresh_token": refresh})).await;
    assert_eq!(status, 204);
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.me(b, &access).await != 401 {
        assert!(Instant::now() < deadline, "B still accepts the access token 5 s after the logout on A");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(c.me(a, &access).await, 401);
    let (status, body) = c.post(b, "/token/refresh", None, json!({"refresh_token": refresh})).await;
    assert_eq!((status, body), (400, json!({"error": "invalid_grant"})));

    // Reuse on B of a token A rotated kills the family on A too.
    let (_, r1) = c.login(a).await;
    let (status, rotated) = c.post(a, "/token/refresh", None, json!({"refresh_token": r1})).await;
    assert_eq!(status, 200);
    let r2 = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(c.me(b, rotated["access_token"].as_str().unwrap()).await, 200, "B accepts A's refreshed access token");
    let (status, body) = c.post(b, "/token/refresh", None, json!({"refresh_token": r1})).await;
    assert_eq!((status, body), (400, json!({"error": "invalid_grant"})));
    let (status, _) = c.post(a, "/token/refresh", None, json!({"refresh_token": r2})).await;
    assert_eq!(status, 400, "the family died with the reuse");

    // Wrong password.
    let (status, _) = c.post(b, "/login", None, json!({"username": "demo", "password": "nope"})).await;
    assert_eq!(status, 401);
}
