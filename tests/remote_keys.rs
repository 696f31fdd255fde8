//! Both frameworks in front of a remote JWKS: 503 with `Retry-After` before the first fetch, a
//! key rotation picked up through the middleware without a restart, and a fetch shared by
//! concurrent requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

use actix_web::{App, test, web};
use axum::body::Body;
use jwtguard::jwks::RemoteJwks;
use jwtguard::{Algorithm, Validator};
use jwtguard_test::jwks_server::{JwksServer, Mode};
use jwtguard_test::{Fixture, Minter, unix_now};
use serde_json::{Value, json};
use tower::ServiceExt;

fn bearer(kid: &str, fixture: Fixture) -> String {
    format!(
        "Bearer {}",
        Minter::new(Algorithm::ES256)
            .fixture(fixture)
            .kid(kid)
            .token(&json!({"sub": "alice", "exp": unix_now() + 600}))
    )
}

async fn ok() -> &'static str {
    "ok"
}

fn axum_app(validator: Validator) -> axum::Router {
    axum::Router::new().route("/", axum::routing::get(ok)).layer(jwtguard::tower::JwtAuthLayer::<Value>::new(validator))
}

async fn axum_status(app: &axum::Router, auth: &str) -> (u16, Option<String>) {
    let req = http::Request::builder().uri("/").header("authorization", auth).body(Body::empty()).unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    (res.status().as_u16(), res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned()))
}

#[actix_web::test]
async fn middlewares_with_a_remote_jwks() {
    let idp = JwksServer::start(&[("k1", Fixture::P256)]).await;
    idp.mode(Mode::Fail);
    let jwks = RemoteJwks::builder(&idp.url("/jwks")).unwrap().build().unwrap();
    let validator = Validator::builder(jwks.clone(), [Algorithm::ES256]).build().unwrap();
    let axum = axum_app(validator.clone());
    let actix = test::init_service(
        App::new().wrap(jwtguard::actix::JwtAuth::<Value>::new(validator.clone())).route("/", web::get().to(ok)),
    )
    .await;
    let actix_status = |auth: String| {
        let req = test::TestRequest::get().uri("/").insert_header(("authorization", auth)).to_request();
        test::call_service(&actix, req)
    };

    // The IdP is down before the first fetch: 503 with Retry-After, from both.
    assert_eq!(axum_status(&axum, &bearer("k1", Fixture::P256)).await, (503, Some("5".into())));
    let res = actix_status(bearer("k1", Fixture::P256)).await;
    assert_eq!((res.status().as_u16(), res.headers().get("retry-after").unwrap().to_str().unwrap()), (503, "5"));

    idp.mode(Mode::Ok);
    jwks.wait_ready(Duration::from_secs(5)).await.unwrap();
    assert_eq!(axum_status(&axum, &bearer("k1", Fixture::P256)).await.0, 200);
    assert_eq!(actix_status(bearer("k1", Fixture::P256)).await.status().as_u16(), 200);

    // The IdP rotates: a token with the new key passes through axum at once (one refetch)...
    idp.set(&[("k1", Fixture::P256), ("k2", Fixture::P256b)]);
    let before = idp.hits();
    let t2 = bearer("k2", Fixture::P256b);
    let answers = futures_util::future::join_all((0..20).map(|_| axum_status(&axum, &t2))).await;
    assert!(answers.iter().all(|a| a.0 == 200), "{answers:?}");
    assert_eq!(idp.hits() - before, 1);
    // ...and through actix with the keys that refetch brought.
    assert_eq!(actix_status(bearer("k2", Fixture::P256b)).await.status().as_u16(), 200);
    assert_eq!(idp.hits() - before, 1);

    // A key nobody published is 401, not 500, and inside the cooldown costs no fetch.
    assert_eq!(axum_status(&axum, &bearer("k9", Fixture::P256b)).await.0, 401);
    assert_eq!(actix_status(bearer("k9", Fixture::P256b)).await.status().as_u16(), 401);
    assert_eq!(idp.hits() - before, 1);
}

async fn me(jwtguard::tower::Claims(c): jwtguard::tower::Claims<Value>) -> String {
    c["sub"].as_str().unwrap_or_default().to_owned()
}

async fn actix_me(jwtguard::actix::Claims(c): jwtguard::actix::Claims<Value>) -> String {
    c["sub"].as_str().unwrap_or_default().to_owned()
}

/// A remote key set that has fetched k1 once, and a validator over it.
async fn ready_idp() -> (JwksServer, Validator) {
    let idp = JwksServer::start(&[("k1", Fixture::P256)]).await;
    let jwks = RemoteJwks::builder(&idp.url("/jwks")).unwrap().build().unwrap();
    jwks.wait_ready(Duration::from_secs(5)).await.unwrap();
    (idp, Validator::builder(jwks, [Algorithm::ES256]).build().unwrap())
}

#[actix_web::test]
async fn extractors_without_a_middleware_wait_for_a_rotated_key_too() {
    // No layer, no middleware: the guard comes from an axum Extension / actix app_data. The first
    // token signed with a newly published key is accepted at once, by one refetch.
    let (idp, validator) = ready_idp().await;
    let axum =
        axum::Router::new().route("/", axum::routing::get(me)).layer(axum::Extension(jwtguard::Guard::new(validator)));
    idp.set(&[("k1", Fixture::P256), ("k2", Fixture::P256b)]);
    let before = idp.hits();
    let t2 = bearer("k2", Fixture::P256b);
    let answers = futures_util::future::join_all((0..10).map(|_| axum_status(&axum, &t2))).await;
    assert!(answers.iter().all(|a| a.0 == 200), "{answers:?}");
    assert_eq!(idp.hits() - before, 1);

    let (idp, validator) = ready_idp().await;
    let actix = test::init_service(App::new().app_data(validator).route("/", web::get().to(actix_me))).await;
    idp.set(&[("k1", Fixture::P256), ("k2", Fixture::P256b)]);
    let before = idp.hits();
    let req = |kid: &str, f: Fixture| {
        test::TestRequest::get().uri("/").insert_header(("authorization", bearer(kid, f))).to_request()
    };
    assert_eq!(test::call_service(&actix, req("k2", Fixture::P256b)).await.status().as_u16(), 200);
    assert_eq!(idp.hits() - before, 1);
    // A key nobody published is a 401, not a 500, and inside the cooldown costs no fetch.
    assert_eq!(test::call_service(&actix, req("k9", Fixture::P256)).await.status().as_u16(), 401);
    assert_eq!(idp.hits() - before, 1);
}
