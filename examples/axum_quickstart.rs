//! The axum quickstart: `cargo run --example axum_quickstart --features axum`.
//!
//! Starts on 127.0.0.1:3000 (`PORT` overrides it) with an embedded default: an Ed25519 key made
//! at start, no external service. Prints ready-to-paste `curl` lines with valid tokens.
//!
//! Routes: `GET /` (public), `GET /me` (any valid token; echoes the claims), `POST /orders`
//! (scope `orders:write`), `GET /feed` (optional token).

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtguard::tower::{Claims, JwtAuthLayer, RequireScope};
use jwtguard::{Algorithm, Key, Validator};
use serde::{Deserialize, Serialize};
use serde_json::json;

const AUDIENCE: &str = "jwtguard-quickstart";

#[derive(Clone, Debug, Serialize, Deserialize)]
struct MyClaims {
    sub: String,
    #[serde(default)]
    scope: String,
    exp: i64,
}

async fn public() -> &'static str {
    "public: no token needed\n"
}

async fn me(Claims(claims): Claims<MyClaims>) -> Json<MyClaims> {
    Json(claims)
}

async fn create_order(Claims(claims): Claims<MyClaims>) -> String {
    format!("order created by {}\n", claims.sub)
}

async fn feed(claims: Option<Claims<MyClaims>>) -> String {
    match claims {
        Some(Claims(c)) => format!("feed for {}\n", c.sub),
        None => "feed for a stranger\n".to_owned(),
    }
}

/// Signs a compact EdDSA JWS. The token issuer lands in jwtguard later; this is the quickstart's
/// stand-in so that the example needs nothing but its own key.
fn sign(key: &Ed25519KeyPair, claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","typ":"JWT","kid":"quickstart"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
}

fn app(validator: Validator) -> Router {
    let protected = Router::new()
        .route("/me", get(me))
        .route("/orders", post(create_order).layer(RequireScope::all(["orders:write"])))
        .layer(JwtAuthLayer::<MyClaims>::new(validator.clone()));
    let optional = Router::new().route("/feed", get(feed)).layer(JwtAuthLayer::<MyClaims>::new(validator).optional());
    Router::new().route("/", get(public)).merge(protected).merge(optional)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(|_| format!("PORT must be a port number, got {p:?}"))?,
        Err(_) => 3000,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let issuer = format!("http://{addr}");

    // The embedded default: a fresh Ed25519 key, so nothing outside this process is needed.
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| "key generation failed")?;
    let signing = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| "bad generated key")?;
    let public_jwk = json!({
        "kty": "OKP", "crv": "Ed25519", "kid": "quickstart", "alg": "EdDSA",
        "x": URL_SAFE_NO_PAD.encode(signing.public_key().as_ref()),
    });
    let validator = Validator::builder(Key::from_jwk(&public_jwk.to_string())?, [Algorithm::EdDSA])
        .issuer(issuer.clone())
        .audience(AUDIENCE)
        .build()?;

    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let token = |scope: &str| {
        sign(
            &signing,
            &json!({"iss": issuer, "aud": AUDIENCE, "sub": "demo", "scope": scope, "iat": now, "exp": now + 3600}),
        )
    };
    let reader = token("orders:read");
    let writer = token("orders:read orders:write");

    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("jwtguard axum quickstart listening on http://{addr}\n");
    println!("# public:");
    println!("curl -i http://{addr}/");
    println!("# protected, echoes the verified claims:");
    println!("curl -i -H 'Authorization: Bearer {reader}' http://{addr}/me");
    println!("# needs scope orders:write (this token has only orders:read: 403):");
    println!("curl -i -X POST -H 'Authorization: Bearer {reader}' http://{addr}/orders");
    println!("# the same with a token that has orders:write:");
    println!("curl -i -X POST -H 'Authorization: Bearer {writer}' http://{addr}/orders");
    println!("# no token: 401 with WWW-Authenticate:");
    println!("curl -i http://{addr}/me\n");
    axum::serve(listener, app(validator)).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
