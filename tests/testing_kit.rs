//! `jwtguard::testing` as a user's tests use it: handler tests in axum and actix (the README's
//! examples, checked to be the same code), every broken-token helper against the real
//! validator, and `JwksServer` with OIDC discovery, key rotation and failures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

use jwtguard::jwks::{Oidc, RemoteJwks};
use jwtguard::testing::{Failure, JwksServer, TEST_AUDIENCE};
use jwtguard::{Algorithm, ErrorKind, Validator};

// README: axum
use axum::{Router, body::Body, http::Request, routing::get};
use jwtguard::testing::TestIssuer;
use jwtguard::tower::{Claims, JwtAuthLayer, RequireScope};
use serde_json::Value;
use tower::ServiceExt;

async fn orders(Claims(c): Claims<Value>) -> String {
    format!("orders of {}", c["sub"].as_str().unwrap_or_default())
}

fn app(issuer: &TestIssuer) -> Router {
    Router::new()
        .route("/orders", get(orders))
        .layer(RequireScope::all(["orders:read"]))
        .layer(JwtAuthLayer::<Value>::new(issuer.guard()))
}

#[tokio::test]
async fn axum_orders_need_a_token_with_orders_read() {
    let issuer = TestIssuer::new();
    for (token, status) in [
        (issuer.bearer(|c| c.scope("orders:read")), 200),
        (issuer.bearer(|c| c.missing_scope()), 403),
        (issuer.bearer(|c| c.scope("orders:read").expired()), 401),
        (issuer.bearer(|c| c.scope("orders:read").wrong_key()), 401),
    ] {
        let req = Request::get("/orders").header("authorization", token).body(Body::empty()).unwrap();
        assert_eq!(app(&issuer).oneshot(req).await.unwrap().status(), status);
    }
}
// README: end

// README: actix
use actix_web::{App, test as actix_test, web};
use jwtguard::actix::JwtAuth;

async fn me(jwtguard::actix::Claims(c): jwtguard::actix::Claims<Value>) -> String {
    c["sub"].as_str().unwrap_or_default().to_owned()
}

#[actix_web::test]
async fn actix_me_answers_with_the_subject() {
    let issuer = TestIssuer::new();
    let app = actix_test::init_service(
        App::new().wrap(JwtAuth::<Value>::new(issuer.guard())).route("/me", web::get().to(me)),
    )
    .await;
    let req = actix_test::TestRequest::get()
        .uri("/me")
        .insert_header(("authorization", issuer.bearer(|c| c.subject("alice"))));
    assert_eq!(actix_test::call_and_read_body(&app, req.to_request()).await, "alice");
}
// README: end

#[tokio::test]
async fn axum_handler_reads_the_claims() {
    let issuer = TestIssuer::new();
    let req = Request::get("/orders")
        .header("authorization", issuer.bearer(|c| c.subject("alice").scope("orders:read")))
        .body(Body::empty())
        .unwrap();
    let res = app(&issuer).oneshot(req).await.unwrap();
    let body = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
    assert_eq!(body, "orders of alice");
}

#[actix_web::test]
async fn actix_rejects_the_broken_tokens() {
    let issuer = TestIssuer::new();
    let app = actix_test::init_service(
        App::new().wrap(JwtAuth::<Value>::new(issuer.guard())).route("/me", web::get().to(me)),
    )
    .await;
    for token in
        [issuer.bearer(|c| c.expired()), issuer.bearer(|c| c.wrong_audience()), issuer.bearer(|c| c.wrong_key())]
    {
        let req = actix_test::TestRequest::get().uri("/me").insert_header(("authorization", token)).to_request();
        let res = actix_test::call_service(&app, req).await;
        assert_eq!(res.status(), 401);
        assert!(res.headers().get("www-authenticate").unwrap().to_str().unwrap().contains("invalid_token"));
    }
}

#[test]
fn each_broken_token_fails_the_check_it_names() {
    let issuer = TestIssuer::new();
    let validator = issuer.validator();
    let kind = |token: String| validator.verify::<Value>(&token).map(|_| ()).map_err(|e| e.kind());
    assert_eq!(kind(issuer.token(|c| c)), Ok(()));
    assert_eq!(kind(issuer.token(|c| c.expired())), Err(ErrorKind::Expired));
    assert!(matches!(
        kind(issuer.token(|c| c.not_yet_valid())),
        Err(ErrorKind::NotYetValid | ErrorKind::IssuedInFuture)
    ));
    assert_eq!(kind(issuer.token(|c| c.wrong_audience())), Err(ErrorKind::WrongAudience));
    assert_eq!(kind(issuer.token(|c| c.wrong_issuer())), Err(ErrorKind::WrongIssuer));
    assert_eq!(kind(issuer.token(|c| c.wrong_key())), Err(ErrorKind::BadSignature));
    // Another issuer's tokens name another kid.
    assert_eq!(kind(TestIssuer::new().token(|c| c)), Err(ErrorKind::UnknownKey));
    let verified = validator.verify::<Value>(&issuer.token(|c| c.audience([TEST_AUDIENCE, "billing-api"]))).unwrap();
    assert_eq!(verified.claims()["aud"], serde_json::json!([TEST_AUDIENCE, "billing-api"]));
    assert_eq!(verified.header().typ(), Some("at+jwt"));
    assert_eq!(verified.header().kid(), Some(issuer.kid()));
}

#[test]
fn other_algorithms() {
    for alg in [Algorithm::EdDSA, Algorithm::ES384, Algorithm::PS256] {
        let issuer = TestIssuer::with(alg, "https://login.test").unwrap();
        issuer.validator().verify::<Value>(&issuer.token(|c| c)).unwrap();
    }
    assert!(TestIssuer::with(Algorithm::HS256, "x").is_err(), "an HMAC secret is not a key pair");
}

fn remote(server: &JwksServer) -> RemoteJwks {
    RemoteJwks::builder(&server.jwks_url())
        .unwrap()
        .timeouts(Duration::from_millis(500), Duration::from_millis(500))
        .build()
        .unwrap()
}

#[tokio::test]
async fn jwks_server_with_discovery_and_a_key_rotation() {
    let server = JwksServer::start().await.unwrap();
    let old = TestIssuer::with(Algorithm::ES256, server.issuer()).unwrap();
    server.publish(&old);
    let oidc = Oidc::discover(&server.issuer()).await.unwrap();
    oidc.jwks().wait_ready(Duration::from_secs(10)).await.unwrap();
    let validator = oidc.validator([Algorithm::ES256]).audience(TEST_AUDIENCE).build().unwrap();
    validator.verify_async::<Value>(&old.token(|c| c)).await.unwrap();

    // Rotation: the new key is published next to the old one, then alone.
    let new = TestIssuer::with(Algorithm::ES256, server.issuer()).unwrap();
    assert_ne!(new.kid(), old.kid());
    server.add(&new);
    validator.verify_async::<Value>(&new.token(|c| c)).await.unwrap();
    validator.verify_async::<Value>(&old.token(|c| c)).await.unwrap();
    server.publish(&new);
    assert_eq!(remote(&server).refetch().await.unwrap().len(), 1);
    assert!(server.hits() >= 2);
}

#[tokio::test]
async fn jwks_server_failures_reach_the_client() {
    let server = JwksServer::start().await.unwrap();
    let issuer = TestIssuer::with(Algorithm::ES256, server.issuer()).unwrap();
    server.publish(&issuer);
    for failure in [Failure::Status500, Failure::Garbage, Failure::Slow(Duration::from_secs(30))] {
        server.fail(failure);
        let err = remote(&server).refetch().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::KeysUnavailable, "{failure:?}");
    }
    server.recover();
    let jwks = remote(&server);
    jwks.wait_ready(Duration::from_secs(10)).await.unwrap();
    let validator = Validator::builder(jwks, [Algorithm::ES256]).audience(TEST_AUDIENCE).build().unwrap();
    validator.verify_async::<Value>(&issuer.token(|c| c)).await.unwrap();
}

/// The README's testing-kit examples are this file's code, verbatim.
#[test]
fn readme_examples_are_these_tests() {
    let readme = include_str!("../README.md");
    let this = include_str!("testing_kit.rs");
    let section = readme.split("\n## Testing your handlers\n").nth(1).expect("README has a testing-kit section");
    let section = section.split("\n## ").next().unwrap();
    let blocks: Vec<&str> = section.split("```rust\n").skip(1).map(|b| b.split("```").next().unwrap()).collect();
    assert_eq!(blocks.len(), 2, "one axum and one actix example");
    for block in blocks {
        assert!(this.contains(block), "README example is not in tests/testing_kit.rs:\n{block}");
    }
}
