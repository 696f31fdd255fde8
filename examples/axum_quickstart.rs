//! The axum quickstart: `cargo run --example axum_quickstart --features axum`.
//!
//! Starts on 127.0.0.1:3000 (`PORT` overrides it) with an embedded default: an Ed25519 key made
//! at start, no external service. Prints ready-to-paste `curl` lines with valid tokens.
//!
//! Routes: `GET /` (public), `GET /me` (any valid token; echoes the claims), `POST /orders`
//! (scope `orders:write`), `GET /feed` (optional token).

#[path = "common/quickstart.rs"]
mod quickstart;

use axum::routing::{get, post};
use axum::{Json, Router};
use jwtguard::Validator;
use jwtguard::tower::{Claims, JwtAuthLayer, RequireScope};
use quickstart::MyClaims;

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
    let qs = quickstart::setup(3000)?;
    let listener = tokio::net::TcpListener::bind(qs.addr).await?;
    qs.print("axum");
    axum::serve(listener, app(qs.validator))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
