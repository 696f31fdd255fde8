//! The actix-web quickstart: `cargo run --example actix_quickstart --features actix,redis`.
//!
//! The twin of the axum quickstart: 127.0.0.1:3001 (`PORT` overrides it), the same embedded
//! default (or `SIGNING_KEY_FILE` and `REDIS_URL`, and `JWKS_URL` with `JWKS_ISSUER`), HTTPS
//! with `TLS_CERT_FILE` and `TLS_KEY_FILE`, the same routes and printed `curl` lines.

#[path = "common/actix_app.rs"]
mod actix_app;
#[path = "common/quickstart.rs"]
mod quickstart;

use std::net::SocketAddr;

use actix_web::{App, HttpServer};

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = quickstart::Settings::from_env(3001)?;
    let auth = quickstart::Auth::new(&settings).await?;
    let app_auth = auth.clone();
    quickstart::init_tracing();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(tracing_actix_web::TracingLogger::<actix_app::RequestSpan>::new())
            .configure(actix_app::routes(app_auth.clone()))
    });
    let addr = SocketAddr::from(([127, 0, 0, 1], settings.port));
    let server = match &settings.tls {
        // actix-web sets the ALPN protocols it speaks itself.
        Some(tls) => server.bind_rustls_0_23(addr, tls.server_config(&[])?)?,
        None => server.bind(addr)?,
    };
    let addr = server.addrs().first().copied().ok_or("no address bound")?;
    quickstart::print("actix", addr, &auth, settings.tls.as_ref())?;
    server.run().await?;
    Ok(())
}
