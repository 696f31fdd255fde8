//! The axum quickstart: `cargo run --example axum_quickstart --features axum,redis`.
//!
//! Starts on 127.0.0.1:3000 (`PORT` overrides it) with an embedded default: an Ed25519 key
//! made at start and in-memory stores, no external service. `TLS_CERT_FILE` and `TLS_KEY_FILE`
//! (PEM) make it serve HTTPS. `SIGNING_KEY_FILE` (a PKCS#8 PEM)
//! and `REDIS_URL` make instances share keys, revocations and refresh tokens. `JWKS_URL` with
//! `JWKS_ISSUER` (feature `jwks`) trusts a second issuer, whose keys come from that JWKS. Prints
//! ready-to-paste `curl` lines with valid tokens.
//!
//! Routes: `GET /` (public), `GET /me` (echoes the claims), `POST /orders` (scope
//! `orders:write`), `GET /feed` (optional token), `POST /login`, `POST /token/refresh`,
//! `POST /logout`. `/login` and `/token/refresh` are rate-limited per client address (429 with
//! `Retry-After`), which is why the router is served with the peer address
//! (`into_make_service_with_connect_info`).

#[path = "common/axum_app.rs"]
mod axum_app;
#[path = "common/quickstart.rs"]
mod quickstart;

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    quickstart::init_tracing();
    let settings = quickstart::Settings::from_env(3000)?;
    let auth = quickstart::Auth::new(&settings).await?;
    // The router speaks HTTP/1.1 only (axum's `http1` feature).
    let tls = settings.tls.as_ref().map(|t| t.server_config(&[b"http/1.1"])).transpose()?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], settings.port))).await?;
    quickstart::print("axum", listener.local_addr()?, &auth, settings.tls.as_ref())?;
    axum_app::serve(listener, auth, tls, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
