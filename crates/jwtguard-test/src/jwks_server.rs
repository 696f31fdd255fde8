//! A real HTTP server on 127.0.0.1:0 that serves a JWKS and can rotate keys, fail, stall, send
//! garbage or too much, and counts its hits; it also answers OpenID discovery for itself. Not a mock of the client: a server for it to talk to.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::{Fixture, jwks};

/// How the server answers `/jwks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The document, as `application/jwk-set+json`.
    Ok,
    /// 500.
    Fail,
    /// Nothing for 30 seconds.
    Stall,
    /// Broken JSON.
    Garbage,
    /// 2 MiB of spaces.
    Oversize,
}

/// The server; cheap to clone.
#[derive(Clone, Debug)]
pub struct JwksServer {
    doc: Arc<Mutex<Value>>,
    mode: Arc<Mutex<Mode>>,
    hits: Arc<AtomicUsize>,
    addr: SocketAddr,
    claimed_issuer: Arc<Mutex<Option<String>>>,
    cache_control: Arc<Mutex<Option<String>>>,
}

impl JwksServer {
    /// Starts serving these keys at `/jwks` (and a same-origin redirect to it at `/redirect`).
    pub async fn start(keys: &[(&str, Fixture)]) -> JwksServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = JwksServer {
            doc: Arc::new(Mutex::new(jwks(keys))),
            mode: Arc::new(Mutex::new(Mode::Ok)),
            hits: Arc::new(AtomicUsize::new(0)),
            addr: listener.local_addr().unwrap(),
            claimed_issuer: Arc::new(Mutex::new(None)),
            cache_control: Arc::new(Mutex::new(None)),
        };
        let app = axum::Router::new()
            .route("/jwks", get(serve))
            .route("/redirect", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/jwks")]) }))
            .route("/.well-known/openid-configuration", get(discovery))
            .with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        server
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The issuer this server is: `http://127.0.0.1:PORT`.
    pub fn issuer(&self) -> String {
        self.url("")
    }

    /// Makes the discovery document name another issuer (to test the mismatch check).
    pub fn claim_issuer(&self, issuer: &str) {
        *self.claimed_issuer.lock().unwrap() = Some(issuer.to_owned());
    }

    /// Sends this `Cache-Control` with the document from now on.
    pub fn cache_control(&self, value: &str) {
        *self.cache_control.lock().unwrap() = Some(value.to_owned());
    }

    /// Serves these keys from now on.
    pub fn set(&self, keys: &[(&str, Fixture)]) {
        *self.doc.lock().unwrap() = jwks(keys);
    }

    /// Serves this exact document from now on.
    pub fn set_doc(&self, doc: Value) {
        *self.doc.lock().unwrap() = doc;
    }

    /// Answers this way from now on.
    pub fn mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Requests for `/jwks` so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn discovery(State(server): State<JwksServer>) -> Response {
    let issuer = server.claimed_issuer.lock().unwrap().clone().unwrap_or_else(|| server.issuer());
    axum::Json(serde_json::json!({"issuer": issuer, "jwks_uri": server.url("/jwks")})).into_response()
}

async fn serve(State(server): State<JwksServer>) -> Response {
    server.hits.fetch_add(1, Ordering::SeqCst);
    let mode = *server.mode.lock().unwrap();
    match mode {
        Mode::Ok => {
            let body = server.doc.lock().unwrap().to_string();
            let mut res = ([(header::CONTENT_TYPE, "application/jwk-set+json")], body).into_response();
            if let Some(cc) = server.cache_control.lock().unwrap().as_deref() {
                res.headers_mut().insert(header::CACHE_CONTROL, cc.parse().unwrap());
            }
            res
        }
        Mode::Fail => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Mode::Stall => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK.into_response()
        }
        Mode::Garbage => "{\"keys\": [ this is not json".into_response(),
        Mode::Oversize => " ".repeat(2 * 1024 * 1024).into_response(),
    }
}
