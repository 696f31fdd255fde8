//! [`JwksServer`]: a real HTTP server on a free loopback port that serves a JWKS and OpenID
//! discovery, rotates keys and fails on request. Plain HTTP/1.1 on tokio, one request per
//! connection: enough for any client, nothing to configure.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::TestIssuer;

/// How the server answers `/jwks` while failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// `500 Internal Server Error`.
    Status500,
    /// The document, after this delay (past a client's timeout, it is a timeout).
    Slow(Duration),
    /// `200` with a body that is not JSON.
    Garbage,
}

#[derive(Debug)]
struct State {
    keys: Vec<Value>,
    failure: Option<Failure>,
    issuer: String,
}

/// A JWKS and OpenID Connect discovery server on `127.0.0.1` and a free port, for tests of
/// remote keys. It serves `/jwks` and `/.well-known/openid-configuration` (whose `issuer` is
/// [`JwksServer::issuer`] and `jwks_uri` its `/jwks`). It runs until the tokio runtime that
/// started it ends: in a `#[tokio::test]`, the end of the test.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use jwtguard::testing::{Failure, JwksServer, TestIssuer};
/// let server = JwksServer::start().await?;
/// let issuer = TestIssuer::with(jwtguard::Algorithm::ES256, server.issuer()).unwrap();
/// server.publish(&issuer);                 // serve its keys
/// server.fail(Failure::Status500);         // from now on: 500
/// server.recover();                        // and back
/// assert!(server.jwks_url().ends_with("/jwks"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct JwksServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    hits: Arc<AtomicUsize>,
}

impl JwksServer {
    /// Binds `127.0.0.1:0` and serves an empty key set until [`JwksServer::publish`]. Keeps
    /// the listener it bound (no bind-drop-rebind race on the port).
    ///
    /// # Errors
    /// When the loopback port cannot be bound.
    pub async fn start() -> std::io::Result<JwksServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = JwksServer {
            addr,
            state: Arc::new(Mutex::new(State { keys: Vec::new(), failure: None, issuer: format!("http://{addr}") })),
            hits: Arc::new(AtomicUsize::new(0)),
        };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.answer(stream).await });
            }
        });
        Ok(server)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `http://127.0.0.1:PORT`: the issuer its discovery document names.
    pub fn issuer(&self) -> String {
        self.state().issuer.clone()
    }

    /// `http://127.0.0.1:PORT/jwks`.
    pub fn jwks_url(&self) -> String {
        format!("http://{}/jwks", self.addr)
    }

    /// Serves only this issuer's keys from now on (a rotation, when another was served).
    pub fn publish(&self, issuer: &TestIssuer) {
        self.state().keys = keys_of(issuer);
    }

    /// Serves this issuer's keys next to those already served (the overlap of a rotation).
    pub fn add(&self, issuer: &TestIssuer) {
        self.state().keys.extend(keys_of(issuer));
    }

    /// Fails this way from now on.
    pub fn fail(&self, failure: Failure) {
        self.state().failure = Some(failure);
    }

    /// Answers normally again.
    pub fn recover(&self) {
        self.state().failure = None;
    }

    /// Requests for `/jwks` so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    async fn answer(&self, mut stream: TcpStream) {
        // The request head, at most 16 KiB; the body (there is none for GET) is not read.
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let head = String::from_utf8_lossy(&buf);
        let path = head.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/").to_owned();
        let (status, body) = match path.as_str() {
            "/jwks" => {
                self.hits.fetch_add(1, Ordering::SeqCst);
                let (keys, failure) = {
                    let st = self.state();
                    (json!({ "keys": st.keys }).to_string(), st.failure)
                };
                match failure {
                    None => ("200 OK", keys),
                    Some(Failure::Status500) => ("500 Internal Server Error", String::new()),
                    Some(Failure::Slow(delay)) => {
                        tokio::time::sleep(delay).await;
                        ("200 OK", keys)
                    }
                    Some(Failure::Garbage) => ("200 OK", "{\"keys\": [ this is not json".to_owned()),
                }
            }
            "/.well-known/openid-configuration" => {
                ("200 OK", json!({"issuer": self.issuer(), "jwks_uri": self.jwks_url()}).to_string())
            }
            _ => ("404 Not Found", String::new()),
        };
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
}

fn keys_of(issuer: &TestIssuer) -> Vec<Value> {
    issuer.jwks().get("keys").and_then(Value::as_array).cloned().unwrap_or_default()
}
