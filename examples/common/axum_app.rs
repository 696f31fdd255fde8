//! The axum quickstart's routes. The token-flow answers are made in `quickstart.rs`; this file
//! only translates them.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::header::{CONNECTION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jwtguard::tower::{Claims, JwtAuthLayer, RequireScope, Token};
use serde::de::DeserializeOwned;
use tower_http::trace::TraceLayer;

use crate::quickstart::{self, Answer, Auth, ClientLimiter, Login, MyClaims, RefreshRequest};

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
                response.headers_mut().insert(name, value);
            }
        }
        if self.close {
            response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// A credential route's JSON body, read by the common rule ([`quickstart::json_body`]): a body
/// it refuses gets the RFC 6749 `invalid_request` answer, not axum's plain-text `Json` rejection.
struct JsonBody<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Answer;

    async fn from_request(req: Request, _: &S) -> Result<Self, Answer> {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, quickstart::MAX_BODY).await.ok();
        let content_type = parts.headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes);
        quickstart::json_body(content_type, body.as_deref()).map(JsonBody).map_err(Answer::from)
    }
}

/// The rate limit of `/login` and `/token/refresh`, keyed on the TCP peer address that
/// [`service`] records for each connection (see [`ClientLimiter::check`] for proxies).
async fn rate_limit(State(limiter): State<ClientLimiter>, req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
    match limiter.check(peer) {
        Ok(()) => next.run(req).await,
        Err(answer) => answer.into_response(),
    }
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

async fn login(State(auth): State<Auth>, JsonBody(body): JsonBody<Login>) -> Answer {
    auth.login(&body).await.into()
}

async fn refresh(State(auth): State<Auth>, JsonBody(body): JsonBody<RefreshRequest>) -> Answer {
    auth.refresh(&body).await.into()
}

async fn logout(State(auth): State<Auth>, token: Token<MyClaims>, JsonBody(body): JsonBody<RefreshRequest>) -> Answer {
    auth.logout(&token, &body).await.into()
}

pub(crate) fn router(auth: Auth) -> Router {
    let validator = auth.validator.clone();
    let credentials = Router::new()
        .route("/login", post(login))
        .route("/token/refresh", post(refresh))
        .route_layer(middleware::from_fn_with_state(auth.limiter.clone(), rate_limit));
    let protected = Router::new()
        .route("/me", get(me))
        .route("/orders", post(create_order).layer(RequireScope::all(["orders:write"])))
        .route("/logout", post(logout))
        .layer(JwtAuthLayer::<MyClaims>::new(validator.clone()));
    let optional = Router::new().route("/feed", get(feed)).layer(JwtAuthLayer::<MyClaims>::new(validator).optional());
    Router::new()
        .route("/", get(public))
        .route("/metrics", get(metrics))
        .merge(credentials)
        .merge(protected)
        .merge(optional)
        .with_state(auth)
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// The request's span, with the fields jwtguard records on it (outcome, error kind, algorithm,
/// `kid`, `iss`; never the token or `sub`).
fn request_span(req: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = req.uri().path(),
        jwtguard.outcome = tracing::field::Empty,
        jwtguard.error = tracing::field::Empty,
        jwtguard.alg = tracing::field::Empty,
        jwtguard.kid = tracing::field::Empty,
        jwtguard.iss = tracing::field::Empty,
    )
}

async fn metrics() -> Response {
    match quickstart::metrics_text() {
        Some(text) => ([(CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The router, served with each connection's peer address: what `axum::serve` needs for the
/// rate limit to see who is calling.
pub(crate) fn service(auth: Auth) -> IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    router(auth).into_make_service_with_connect_info::<SocketAddr>()
}

/// Serves the quickstart on `listener` until `shutdown`: plain HTTP, or HTTPS with `tls` (what
/// `TLS_CERT_FILE` and `TLS_KEY_FILE` make). `axum::serve` speaks plain TCP; over TLS it is given
/// a listener of finished handshakes, each done in its own task (with a deadline) so that a slow
/// or silent client never holds up the others.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    auth: Auth,
    tls: Option<rustls::ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;

    match tls {
        None => axum::serve(listener, service(auth)).with_graceful_shutdown(shutdown).await,
        Some(config) => {
            // `tap_io` keeps the peer address as axum's `ConnectInfo<SocketAddr>`.
            let listener = TlsListener::new(listener, config).tap_io(|_| ());
            axum::serve(listener, service(auth)).with_graceful_shutdown(shutdown).await
        }
    }
}

/// Finished TLS handshakes, for `axum::serve`.
struct TlsListener {
    ready: tokio::sync::mpsc::Receiver<(tokio_rustls::server::TlsStream<tokio::net::TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

/// How long a client may take to finish its handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How many handshakes may be under way at once: past that, accepting waits, so a flood of
/// silent connections holds at most this many sockets and TLS states.
const HANDSHAKES_AT_ONCE: usize = 1024;

impl TlsListener {
    fn new(listener: tokio::net::TcpListener, config: rustls::ServerConfig) -> TlsListener {
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let local = listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let (tx, ready) = tokio::sync::mpsc::channel(64);
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(HANDSHAKES_AT_ONCE));
        let accepting = tokio::spawn(async move {
            loop {
                // Never closed, so this never fails; a closed one would end the listener.
                let Ok(permit) = permits.clone().acquire_owned().await else { return };
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a moment, as axum::serve does.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await;
                    drop(permit);
                    match handshake {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        TlsListener { ready, local, accepting }
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accepting task only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
