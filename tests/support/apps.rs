//! Starting the real quickstart apps in a test, each on a free loopback port (the listener it
//! bound is the one it serves on). Included with `#[path]` beside `examples/common`.

use std::net::SocketAddr;

use super::quickstart::{Auth, Settings};
use super::{actix_app, axum_app};

/// The axum quickstart as its `main` serves it (with each connection's peer address, which the
/// rate limit keys on; over HTTPS when `settings.tls` says so).
pub(crate) async fn start_axum(settings: &Settings) -> SocketAddr {
    let auth = Auth::new(settings).await.unwrap();
    let tls = settings.tls.as_ref().map(|t| t.server_config(&[b"http/1.1"]).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum_app::serve(listener, auth, tls, std::future::pending()).await.unwrap() });
    addr
}

/// The actix quickstart, one worker (over HTTPS when `settings.tls` says so); call from an actix
/// runtime (`#[actix_web::test]`).
pub(crate) async fn start_actix(settings: &Settings) -> SocketAddr {
    let auth = Auth::new(settings).await.unwrap();
    let server =
        actix_web::HttpServer::new(move || actix_web::App::new().configure(actix_app::routes(auth.clone()))).workers(1);
    let server = match &settings.tls {
        Some(tls) => server.bind_rustls_0_23(("127.0.0.1", 0), tls.server_config(&[]).unwrap()),
        None => server.bind(("127.0.0.1", 0)),
    }
    .unwrap();
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    addr
}
