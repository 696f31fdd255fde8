//! Interop with a real identity provider: panva's `oidc-provider`. Tokens it issues
//! (client-credentials grant, RFC 9068 JWT access tokens with a resource indicator, RS256,
//! ES256 and EdDSA) pass through the axum and the actix middleware after OIDC discovery; after
//! the provider rotates its signing keys, new tokens are accepted without restarting our side.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

use actix_web::{App, test, web};
use axum::body::Body;
use jwtguard::jwks::Oidc;
use jwtguard::{Algorithm, Validator};
use jwtguard_test::oidc_provider::{CLIENT_ID, CLIENT_SECRET, OidcProvider};
use serde_json::Value;
use tower::ServiceExt;

const RESOURCES: [(&str, &str); 3] =
    [("urn:jwtguard:rs256", "RS256"), ("urn:jwtguard:es256", "ES256"), ("urn:jwtguard:eddsa", "EdDSA")];

async fn access_token(issuer: &str, resource: &str, scope: &str) -> String {
    let body = format!(
        "grant_type=client_credentials&resource={}&scope={}",
        resource.replace(':', "%3A"),
        scope.replace(':', "%3A")
    );
    let res = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "token endpoint");
    let json: Value = res.json().await.unwrap();
    json["access_token"].as_str().unwrap().to_owned()
}

async fn whoami(claims: jwtguard::tower::Claims<Value>) -> String {
    claims["client_id"].as_str().unwrap_or_default().to_owned()
}

async fn whoami_actix(claims: jwtguard::actix::Claims<Value>) -> String {
    claims["client_id"].as_str().unwrap_or_default().to_owned()
}

fn header_alg(token: &str) -> String {
    jwtguard::dangerous::decode_unverified(token).unwrap().header["alg"].as_str().unwrap().to_owned()
}

#[actix_web::test]
#[ignore = "needs node (npm ci in tests/fixtures/oidc-provider)"]
async fn tokens_from_oidc_provider_pass_both_middlewares_and_survive_a_key_rotation() {
    let mut idp = tokio::task::spawn_blocking(OidcProvider::start).await.unwrap();
    let issuer = idp.issuer();

    let oidc = Oidc::discover(&issuer).await.unwrap();
    oidc.jwks().wait_ready(Duration::from_secs(10)).await.unwrap();
    let mut builder = oidc.validator([Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]).typ("at+jwt");
    for (resource, _) in RESOURCES {
        builder = builder.audience(resource);
    }
    let validator: Validator = builder.build().unwrap();

    let axum_app = axum::Router::new()
        .route("/whoami", axum::routing::get(whoami))
        .route("/orders", axum::routing::post(whoami).layer(jwtguard::tower::RequireScope::all(["orders:write"])))
        .layer(jwtguard::tower::JwtAuthLayer::<Value>::new(validator.clone()));
    let actix_app = test::init_service(
        App::new().service(
            web::scope("")
                .wrap(jwtguard::actix::JwtAuth::<Value>::new(validator.clone()))
                .route("/whoami", web::get().to(whoami_actix))
                .service(
                    web::scope("/orders")
                        .wrap(jwtguard::actix::RequireScope::all(["orders:write"]))
                        .route("", web::post().to(whoami_actix)),
                ),
        ),
    )
    .await;

    let axum_call = |method: &str, path: &str, token: &str| {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        axum_app.clone().oneshot(req)
    };
    let actix_req = |method: actix_web::http::Method, path: &str, token: &str| {
        test::TestRequest::default()
            .method(method)
            .uri(path)
            .insert_header(("authorization", format!("Bearer {token}")))
            .to_request()
    };

    let mut fetches = 0;
    for round in ["before rotation", "after rotation"] {
        for (resource, alg) in RESOURCES {
            let token = access_token(&issuer, resource, "orders:read").await;
            assert_eq!(header_alg(&token), alg);

            let res = axum_call("GET", "/whoami", &token).await.unwrap();
            assert_eq!(res.status(), 200, "axum {alg} {round}");
            let res = test::call_service(&actix_app, actix_req(actix_web::http::Method::GET, "/whoami", &token)).await;
            assert_eq!(res.status(), 200, "actix {alg} {round}");
            assert_eq!(test::read_body(res).await, CLIENT_ID);

            // The scope the provider granted is what counts.
            let res = axum_call("POST", "/orders", &token).await.unwrap();
            assert_eq!(res.status(), 403, "axum {alg} {round}");
            let writer = access_token(&issuer, resource, "orders:read orders:write").await;
            let res = axum_call("POST", "/orders", &writer).await.unwrap();
            assert_eq!(res.status(), 200, "axum {alg} {round}");
            let res =
                test::call_service(&actix_app, actix_req(actix_web::http::Method::POST, "/orders", &writer)).await;
            assert_eq!(res.status(), 200, "actix {alg} {round}");
        }
        match round {
            "before rotation" => {
                // Fresh keys with new kids on the same port; our side keeps running.
                fetches = oidc.jwks().fetches();
                idp.rotate();
            }
            _ => assert_eq!(oidc.jwks().fetches(), fetches + 1, "one refetch picked up the rotation"),
        }
    }
}
