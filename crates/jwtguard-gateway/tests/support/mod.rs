//! What the gateway's integration tests share: a temp folder, a gateway started in-process on
//! free loopback ports, tokens, and an upstream that echoes the headers it got.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, unreachable_pub)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jwtguard_gateway::{Config, Gateway, Mode, Server};
use jwtguard_test::{Algorithm, Fixture, Minter, key_path, unix_now};
use serde_json::{Value, json};

pub const ISS_A: &str = "https://a.example";
pub const ISS_B: &str = "https://b.example";

/// A fresh folder under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "jwtguard-gateway-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Two issuers (ES256 "a", RS256 "b") from the fixture keys, and the claim headers.
pub fn issuers_and_headers() -> String {
    format!(
        r#"
[[issuer]]
name = "a"
issuer = "{ISS_A}"
algorithms = ["ES256"]
pem_files = ["{p256}"]

[[issuer]]
name = "b"
issuer = "{ISS_B}"
algorithms = ["RS256"]
pem_files = ["{rsa}"]

[headers]
"X-Auth-Request-User" = "sub"
"X-Auth-Request-Email" = "email"
"X-Auth-Request-Scopes" = "@scopes"
"X-Jwt-Payload" = "@payload"
"#,
        p256 = key_path("p256.pub.pem").display(),
        rsa = key_path("rsa.pub.pem").display(),
    )
}

/// The routes most tests use.
pub const ROUTES: &str = r#"
[[route]]
path = "/"
issuers = ["a", "b"]

[[route]]
path = "/orders"
issuers = ["a"]
scopes = ["orders:read"]

[[route]]
path = "/acme"
claims = { tenant = "acme" }

[[route]]
path = "/public"
public = true

[[route]]
path = "/maybe"
optional = true

[[route]]
host = "admin.example"
path = "/"
roles = ["admin"]
"#;

/// A gateway running in this process; stopped (gracefully) on `stop` or drop.
#[derive(Debug)]
pub struct Running {
    pub addrs: Vec<(SocketAddr, Mode)>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    pub gateway: Gateway,
    _dir: TempDir,
}

impl Running {
    /// `http://ADDR` of the first listener of `mode`.
    pub fn url(&self, mode: Mode) -> String {
        let (addr, _) = self.addrs.iter().find(|(_, m)| *m == mode).unwrap();
        format!("http://{addr}")
    }

    /// Stops accepting, drains, and returns once the server is done.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    /// Starts the shutdown without waiting for it.
    pub fn begin_stop(&mut self) -> tokio::task::JoinHandle<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.take().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a gateway from `config` (written to a temp folder as gateway.toml).
pub async fn start(config: &str) -> Running {
    let dir = TempDir::new("gw");
    let file = dir.write("gateway.toml", config);
    let config = Config::from_file(&file).unwrap_or_else(|e| panic!("{e}"));
    let gateway = Gateway::start(config).await.unwrap_or_else(|e| panic!("{e}"));
    let server = Server::bind(gateway.clone()).await.unwrap();
    let addrs = server.local_addrs();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    Running { addrs, stop: Some(tx), task: Some(task), gateway, _dir: dir }
}

/// Claims valid now, from `iss`, with these extra members.
pub fn claims(iss: &str, extra: Value) -> Value {
    let now = unix_now();
    let mut c = json!({ "sub": "alice", "iss": iss, "iat": now, "exp": now + 600 });
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            c.insert(k.clone(), v.clone());
        }
    }
    c
}

/// A token from issuer "a" (ES256, the P-256 fixture).
pub fn token_a(extra: Value) -> String {
    Minter::new(Algorithm::ES256).token(&claims(ISS_A, extra))
}

/// A token from issuer "b" (RS256, the RSA fixture).
pub fn token_b(extra: Value) -> String {
    Minter::new(Algorithm::RS256).token(&claims(ISS_B, extra))
}

/// A token for issuer "a" signed with another P-256 key.
pub fn forged_a() -> String {
    Minter::new(Algorithm::ES256).fixture(Fixture::P256b).token(&claims(ISS_A, json!({})))
}

/// An upstream on 127.0.0.1:0 answering every request with a JSON object of the request
/// headers it got (names lowercase; repeated headers joined by ", "), plus `:path` and
/// `:body-len`. Counts its requests.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    /// When set, requests to `/slow` wait for a permit before answering.
    pub gate: Arc<tokio::sync::Semaphore>,
}

impl Upstream {
    pub async fn start() -> Upstream {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let up = Upstream {
            addr: listener.local_addr().unwrap(),
            hits: Arc::new(AtomicUsize::new(0)),
            gate: Arc::new(tokio::sync::Semaphore::new(0)),
        };
        let state = up.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let state = state.clone();
            async move {
                state.hits.fetch_add(1, Ordering::SeqCst);
                if req.uri().path() == "/slow" {
                    let _permit = state.gate.acquire().await;
                }
                let mut seen: BTreeMap<String, String> = BTreeMap::new();
                for (name, value) in req.headers() {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    seen.entry(name.as_str().to_owned())
                        .and_modify(|v| {
                            v.push_str(", ");
                            v.push_str(&value);
                        })
                        .or_insert(value);
                }
                seen.insert(":path".into(), req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default());
                let body = axum::body::to_bytes(req.into_body(), usize::MAX).await.unwrap_or_default();
                seen.insert(":body-len".into(), body.len().to_string());
                axum::Json(seen)
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        up
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// The header's value as text, if present.
pub fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers().get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// An HTTP client that does not follow redirects or use a proxy.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub const INVALID_TOKEN: &str =
    r#"Bearer realm="shop", error="invalid_token", error_description="the access token is invalid""#;
