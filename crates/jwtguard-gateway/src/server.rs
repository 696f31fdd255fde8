//! The listeners: forward-auth answers, the verifying reverse proxy, `/healthz` and `/readyz`,
//! access log lines, and a graceful shutdown that drains requests in flight.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::TcpListener;

use crate::config::{ListenerConfig, Mode, RedirectConfig};
use crate::gateway::{Gateway, Original, Outcome, Verdict, plain};
use crate::metrics::Metrics;
use crate::tls::{Certificate, RELOAD_CHECK};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Body = BoxBody<Bytes, BoxError>;

/// Headers that describe one connection, not the request (RFC 9110 §7.6.1): never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The bound listeners of a gateway, ready to serve.
///
/// ```no_run
/// # async fn demo(gateway: jwtguard_gateway::Gateway) -> std::io::Result<()> {
/// let server = jwtguard_gateway::Server::bind(gateway).await?;
/// println!("listening on {:?}", server.local_addrs());
/// server.run(async { let _ = tokio::signal::ctrl_c().await; }).await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server {
    gateway: Gateway,
    listeners: Vec<(TcpListener, ListenerConfig, Option<Arc<Certificate>>)>,
}

struct Shared {
    gateway: Gateway,
    client: Client<HttpConnector, Incoming>,
    metrics: Metrics,
}

impl Server {
    /// Binds every configured listener (all of them, or none: an error closes those bound).
    ///
    /// # Errors
    /// The first address that cannot be bound.
    pub async fn bind(gateway: Gateway) -> std::io::Result<Server> {
        let mut listeners = Vec::new();
        for l in &gateway.config().listeners {
            let listener = TcpListener::bind(l.addr)
                .await
                .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", l.addr)))?;
            let cert = match &l.tls {
                Some((cert, key)) => Some(Arc::new(
                    Certificate::new(cert, key).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?,
                )),
                None => None,
            };
            listeners.push((listener, l.clone(), cert));
        }
        Ok(Server { gateway, listeners })
    }

    /// The bound addresses with their modes, in the order of the file.
    pub fn local_addrs(&self) -> Vec<(SocketAddr, Mode)> {
        self.listeners.iter().filter_map(|(l, c, _)| l.local_addr().ok().map(|a| (a, c.mode))).collect()
    }

    /// Serves until `shutdown` completes, then stops accepting and waits for the requests in
    /// flight (at most the configured `server.drain_timeout_secs`).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let proxy = &self.gateway.config().proxy;
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(proxy.connect_timeout));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(proxy.idle_timeout)
            .pool_timer(TokioTimer::new())
            .build(connector);
        let drain = self.gateway.config().drain_timeout;
        let shared = Arc::new(Shared { gateway: self.gateway, client, metrics: Metrics::default() });
        let graceful = Arc::new(GracefulShutdown::new());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut accepting = Vec::new();
        for (listener, cfg, cert) in self.listeners {
            let shared = shared.clone();
            let graceful = graceful.clone();
            let mut stop = stop_rx.clone();
            let cfg = Arc::new(cfg);
            if let Some(cert) = &cert {
                accepting.push(tokio::spawn(reload_certificate(cert.clone(), stop_rx.clone())));
            }
            accepting.push(tokio::spawn(async move {
                loop {
                    let (stream, peer) = tokio::select! {
                        _ = stop.changed() => return,
                        accepted = listener.accept() => match accepted {
                            Ok(a) => a,
                            Err(e) => {
                                tracing::warn!(error = %e, "accept failed");
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                continue;
                            }
                        },
                    };
                    let _ = stream.set_nodelay(true);
                    let (shared, cfg) = (shared.clone(), cfg.clone());
                    let acceptor = cert.as_ref().map(|c| c.acceptor());
                    // Made here, while accepting: a watcher made after the shutdown began would miss it.
                    let watcher = graceful.watcher();
                    tokio::spawn(async move {
                        match acceptor {
                            None => serve_connection(stream, watcher, shared, cfg, peer).await,
                            Some(None) => tracing::warn!("TLS configuration unavailable; connection closed"),
                            Some(Some(acceptor)) => {
                                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
                                    Ok(Ok(tls)) => serve_connection(tls, watcher, shared, cfg, peer).await,
                                    Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                                    Err(_) => tracing::debug!("TLS handshake timed out"),
                                }
                            }
                        }
                    });
                }
            }));
        }
        shutdown.await;
        tracing::info!("shutting down: no new connections, draining requests in flight");
        let _ = stop_tx.send(true);
        for task in accepting {
            let _ = task.await;
        }
        // The accepting tasks held the other references; they are done.
        if let Ok(graceful) = Arc::try_unwrap(graceful)
            && tokio::time::timeout(drain, graceful.shutdown()).await.is_err()
        {
            tracing::warn!(after = ?drain, "drain timeout: closing connections still open");
        }
    }
}

/// Serves one connection (plain or TLS) until it closes, watched for the graceful shutdown.
async fn serve_connection<I>(io: I, watcher: Watcher, shared: Arc<Shared>, cfg: Arc<ListenerConfig>, peer: SocketAddr)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let shared = shared.clone();
        let cfg = cfg.clone();
        async move { Ok::<_, Infallible>(handle(&shared, &cfg, peer, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Reloads a listener's certificate when its files change, or on SIGHUP, until `stop`.
async fn reload_certificate(cert: Arc<Certificate>, mut stop: tokio::sync::watch::Receiver<bool>) {
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        #[cfg(unix)]
        let sighup = async {
            match hangup.as_mut() {
                Some(h) => {
                    h.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let sighup = std::future::pending::<()>();
        tokio::select! {
            _ = stop.changed() => return,
            _ = sighup => cert.reload(true),
            _ = tokio::time::sleep(RELOAD_CHECK) => cert.reload(false),
        }
    }
}

async fn handle(shared: &Shared, cfg: &ListenerConfig, peer: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    if cfg.health && req.method() == Method::GET {
        match req.uri().path() {
            "/healthz" => return text(StatusCode::OK, "ok\n"),
            "/metrics" => {
                let mut res = text(
                    StatusCode::OK,
                    &shared.metrics.render(shared.gateway.is_ready(), shared.gateway.revocations_in_sync()),
                );
                res.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
                return res;
            }
            "/readyz" => {
                let gateway = &shared.gateway;
                return if gateway.is_ready() {
                    text(StatusCode::OK, "ready\n")
                } else {
                    let waiting: Vec<String> = gateway.not_ready().collect();
                    text(StatusCode::SERVICE_UNAVAILABLE, &format!("waiting for {}\n", waiting.join(", ")))
                };
            }
            _ => {}
        }
    }
    let (res, verdict, method, path) = match cfg.mode {
        Mode::RedirectHttps => {
            let res = redirect_https(cfg.redirect.as_ref(), &req);
            shared.metrics.record(cfg.mode, "redirect", res.status().as_u16(), None, started.elapsed());
            return res;
        }
        Mode::ForwardAuth => forward_auth(&shared.gateway, peer, &req).await,
        Mode::Proxy => proxy(shared, cfg, peer, req).await,
    };
    access_log(&verdict, &method, &path, res.status(), started);
    let error_kind = verdict.error.map(|k| format!("{k:?}"));
    shared.metrics.record(
        cfg.mode,
        verdict.outcome_name(),
        res.status().as_u16(),
        error_kind.as_deref(),
        started.elapsed(),
    );
    res
}

/// `308 Permanent Redirect` (the method and body are kept, as Caddy's automatic HTTPS does) to
/// the request's path and query over HTTPS, at the configured host or the request's own
/// (`Host`, or the authority of an absolute-form request). A request without a usable host is
/// a `400`: its `Host` is not echoed into a `Location` unless it is a bare host name.
fn redirect_https(redirect: Option<&RedirectConfig>, req: &Request<Incoming>) -> Response<Body> {
    let host = redirect.and_then(|r| r.host.clone()).or_else(|| {
        let header = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
        let authority = req.uri().authority().map(|a| a.as_str()).or(header)?;
        // A bare `host[:port]`: no user info either.
        let authority: http::uri::Authority = authority.parse().ok().filter(|_| !authority.contains('@'))?;
        crate::config::redirect_host(authority.host())
    });
    let Some(host) = host else {
        return text(StatusCode::BAD_REQUEST, "a Host header is required\n");
    };
    let port = match redirect.map_or(443, |r| r.https_port) {
        443 => String::new(),
        p => format!(":{p}"),
    };
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let path = match path.as_bytes().first() {
        Some(b'/') => path.to_owned(),
        // An absolute-form request with a query and no path (`GET http://h?x=1`).
        Some(b'?') => format!("/{path}"),
        // The asterisk form (`OPTIONS *`) names no resource to send anyone to.
        _ => return text(StatusCode::BAD_REQUEST, "bad request\n"),
    };
    if req.method() == Method::CONNECT {
        return text(StatusCode::BAD_REQUEST, "bad request\n");
    }
    let location = format!("https://{host}{port}{path}");
    match HeaderValue::try_from(location) {
        Ok(location) => {
            let mut res = Response::new(full(Bytes::new()));
            *res.status_mut() = StatusCode::PERMANENT_REDIRECT;
            res.headers_mut().insert(header::LOCATION, location);
            res
        }
        Err(_) => text(StatusCode::BAD_REQUEST, "bad request\n"),
    }
}

/// The original request a forward-auth call describes. Its URI comes from exactly one place,
/// so a header the client sent through the proxy can never stand in for it: the configured
/// header (`X-Original-URI` for nginx by default, `X-Forwarded-Uri` for Traefik and Caddy), or,
/// with `envoy_path_prefix`, the request's own path after that prefix (Envoy `ext_authz`).
/// `None` when neither is there: the proxy is not configured as documented.
fn original<'a>(gateway: &Gateway, peer: SocketAddr, req: &'a Request<Incoming>) -> Option<Original<'a>> {
    let headers = req.headers();
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty());
    let config = gateway.config();
    let uri = match config.envoy_path_prefix.as_deref() {
        Some(prefix) => {
            let own = req.uri().path_and_query().map_or("/", |p| p.as_str());
            let rest = own.strip_prefix(prefix.trim_end_matches('/'))?;
            if rest.starts_with('/') { rest.to_owned() } else { format!("/{rest}") }
        }
        None => get(config.original_uri_header.as_str())?.to_owned(),
    };
    let method = get("x-forwarded-method")
        .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
        .unwrap_or_else(|| req.method().clone());
    let host = get("x-forwarded-host").or_else(|| get("host")).map(str::to_owned);
    Some(Original { method, host, uri, headers, secure: forwarded_https(gateway, peer, headers), for_proxy: true })
}

async fn forward_auth(
    gateway: &Gateway,
    peer: SocketAddr,
    req: &Request<Incoming>,
) -> (Response<Body>, Verdict, Method, String) {
    let Some(orig) = original(gateway, peer, req) else {
        let verdict = gateway.malformed();
        let res = match &verdict.outcome {
            Outcome::Deny(res) => res.clone().map(full),
            Outcome::Allow(_) => plain(StatusCode::BAD_REQUEST).map(full),
        };
        return (res, verdict, req.method().clone(), log_path(req.uri().path()));
    };
    let verdict = gateway.decide(&orig).await;
    let res = match &verdict.outcome {
        Outcome::Allow(headers) => {
            let mut res = plain(StatusCode::OK).map(full);
            for (name, value) in headers {
                res.headers_mut().append(name.clone(), value.clone());
            }
            // Every configured claim header is in an allow answer, empty when the token lacks
            // the claim (or there is no token): a proxy that copies it then overwrites a copy
            // the client sent, and one that copies only present headers (Caddy before 2.7
            // copied its placeholder text instead) has one to copy.
            for name in gateway.claim_header_names() {
                if !res.headers().contains_key(name) {
                    res.headers_mut().insert(name.clone(), HeaderValue::from_static(""));
                }
            }
            res
        }
        Outcome::Deny(res) => {
            let mut res = res.clone().map(full);
            // Never a 2xx for a refusal: the proxy would let the request through.
            if res.status().is_success() {
                *res.status_mut() = StatusCode::UNAUTHORIZED;
            }
            res
        }
    };
    let path = log_path(&orig.uri);
    (res, verdict, orig.method, path)
}

async fn proxy(
    shared: &Shared,
    cfg: &ListenerConfig,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> (Response<Body>, Verdict, Method, String) {
    let gateway = &shared.gateway;
    let uri = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let method = req.method().clone();
    let path = log_path(&uri);
    let secure = cfg.tls.is_some() || forwarded_https(gateway, peer, req.headers());
    let mut verdict = {
        let orig = Original {
            method: method.clone(),
            host: host.clone(),
            uri: uri.clone(),
            headers: req.headers(),
            secure,
            for_proxy: false,
        };
        gateway.decide(&orig).await
    };
    let claim_headers = match std::mem::replace(&mut verdict.outcome, Outcome::Allow(Vec::new())) {
        Outcome::Allow(headers) => headers,
        Outcome::Deny(res) => {
            verdict.outcome = Outcome::Deny(plain(res.status()));
            return (res.map(full), verdict, method, path);
        }
    };
    let removed = gateway.removed_headers(host.as_deref(), &uri);
    let (mut parts, body) = req.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    for name in gateway.claim_header_names() {
        parts.headers.remove(name);
    }
    for name in &removed {
        parts.headers.remove(name.as_str());
    }
    for (name, value) in claim_headers {
        parts.headers.append(name, value);
    }
    if let Some(host) = &host
        && let Ok(v) = HeaderValue::from_str(host)
    {
        parts.headers.insert(HeaderName::from_static("x-forwarded-host"), v);
    }
    let proto = if secure { "https" } else { "http" };
    parts.headers.insert(HeaderName::from_static("x-forwarded-proto"), HeaderValue::from_static(proto));
    let forwarded_for = match parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prior) => format!("{prior}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&forwarded_for) {
        parts.headers.insert(HeaderName::from_static("x-forwarded-for"), v);
    }
    parts.headers.remove(header::HOST);
    let Some(upstream) = cfg.upstream.as_ref().and_then(|u| upstream_uri(u, &uri)) else {
        return (plain(StatusCode::BAD_REQUEST).map(full), verdict, method, path);
    };
    parts.uri = upstream;
    let timeout = gateway.config().proxy.timeout;
    let res = match tokio::time::timeout(timeout, shared.client.request(Request::from_parts(parts, body))).await {
        Ok(Ok(res)) => {
            let (mut parts, body) = res.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, body.map_err(|e| -> BoxError { Box::new(e) }).boxed())
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "upstream request failed");
            plain(StatusCode::BAD_GATEWAY).map(full)
        }
        Err(_) => {
            tracing::warn!(after = ?timeout, "upstream did not answer in time");
            plain(StatusCode::GATEWAY_TIMEOUT).map(full)
        }
    };
    (res, verdict, method, path)
}

/// `true` when a trusted proxy (by its address) says the client used HTTPS: one
/// `X-Forwarded-Proto` header whose value is `https`. The listeners themselves speak plain HTTP.
fn forwarded_https(gateway: &Gateway, peer: SocketAddr, headers: &HeaderMap) -> bool {
    let trusted = gateway.config().trusted_proxies.contains(&peer.ip().to_canonical());
    let mut proto = headers.get_all("x-forwarded-proto").iter();
    trusted
        && matches!((proto.next(), proto.next()), (Some(v), None) if v.as_bytes().trim_ascii().eq_ignore_ascii_case(b"https"))
}

/// The upstream URI for a request target: the upstream's scheme and authority, its path as a
/// prefix, then the request's path and query.
fn upstream_uri(upstream: &Uri, path_and_query: &str) -> Option<Uri> {
    let base = upstream.path().trim_end_matches('/');
    let target = if path_and_query.starts_with('/') { path_and_query } else { "/" };
    Uri::builder()
        .scheme(upstream.scheme_str().unwrap_or("http"))
        .authority(upstream.authority()?.as_str())
        .path_and_query(format!("{base}{target}"))
        .build()
        .ok()
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    for name in HOP_BY_HOP.iter().copied().chain(listed.iter().map(String::as_str)) {
        headers.remove(name);
    }
}

/// The path for the log: no query (it may carry a token), at most 256 bytes.
fn log_path(uri: &str) -> String {
    let path = uri.split(['?', '#']).next().unwrap_or("");
    let mut end = path.len().min(256);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    path[..end].to_owned()
}

fn access_log(verdict: &Verdict, method: &Method, path: &str, status: StatusCode, started: Instant) {
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    tracing::info!(
        target: "jwtguard_gateway::access",
        method = %method,
        path,
        route = verdict.route.as_deref().unwrap_or("-"),
        outcome = verdict.outcome_name(),
        status = status.as_u16(),
        error_kind = verdict.error.map(|k| format!("{k:?}")).as_deref().unwrap_or("-"),
        kid = verdict.kid.as_deref().unwrap_or("-"),
        iss = verdict.iss.as_deref().unwrap_or("-"),
        claims = verdict.logged_claims.as_deref().unwrap_or("-"),
        latency_us,
        "request"
    );
}

fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    let mut res = Response::new(full(Bytes::copy_from_slice(body.as_bytes())));
    *res.status_mut() = status;
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_path_is_a_prefix() {
        let up: Uri = "http://127.0.0.1:8080/base/".parse().unwrap_or_default();
        assert_eq!(
            upstream_uri(&up, "/x?y=1").map(|u| u.to_string()).as_deref(),
            Some("http://127.0.0.1:8080/base/x?y=1")
        );
        let up: Uri = "http://127.0.0.1:8080".parse().unwrap_or_default();
        assert_eq!(upstream_uri(&up, "/").map(|u| u.to_string()).as_deref(), Some("http://127.0.0.1:8080/"));
    }

    #[test]
    fn connection_listed_headers_are_hop_by_hop() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("close, X-Secret-Hop"));
        h.insert("x-secret-hop", HeaderValue::from_static("1"));
        h.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["x-kept"]);
    }

    #[test]
    fn log_path_drops_the_query() {
        assert_eq!(log_path("/a/b?access_token=secret"), "/a/b");
    }
}
