//! Starting the real quickstart apps in a test, each on a free loopback port (the listener it
//! bound is the one it serves on). Included with `#[path]` beside `examples/common`.

use std::net::SocketAddr;

use super::quickstart::{Auth, Settings};
use super::{actix_app, axum_app};

/// The axum quickstart, served with each connection's peer address (the rate limit keys on it).
pub(crate) async fn start_axum(settings: &Settings) -> SocketAddr {
    let auth = Auth::new(settings).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, axum_app::service(auth)).await.unwrap() });
    addr
}

/// The actix quickstart, one worker; call from an actix runtime (`#[actix_web::test]`).
pub(crate) async fn start_actix(settings: &Settings) -> SocketAddr {
    let auth = Auth::new(settings).await.unwrap();
    let server = actix_web::HttpServer::new(move || actix_web::App::new().configure(actix_app::routes(auth.clone())))
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    addr
}
