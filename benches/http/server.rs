//! The server of the HTTP benchmark: `GET /` answering `ok` from axum 0.8 or actix-web 4, behind
//! no authentication, jwtguard (verified-token cache off or on) or a hand-written middleware on
//! `jsonwebtoken` 12. `benches/http/run.sh` starts it, loads it with wrk and prints the table.
//!
//! ```text
//! server token <alg>                      print a token the servers accept (valid for 24 h)
//! server <framework> <mode> <alg>         serve on 127.0.0.1, port chosen by the system
//!     framework: axum | actix
//!     mode:      none | jwtguard-nocache | jwtguard-cache | jsonwebtoken
//!     alg:       HS256 | RS256 | ES256 | EdDSA (ignored by `none`)
//! ```
//!
//! It prints `listening on 127.0.0.1:<port>` once it accepts connections, runs on one worker
//! thread (the driver pins it to one core), and on SIGTERM stops, prints the jwtguard cache's
//! counters (`cache hits=<n> misses=<n>`, when it has a cache) and exits.
//!
//! A `[[bench]]` with `harness = false` rather than an example: it is built with the bench
//! profile by `cargo bench --no-run`, is not built by `cargo test`, and is not offered to users
//! as sample code. Run by `cargo bench` without arguments, it says how to use it and exits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write;
use std::sync::Arc;

use jsonwebtoken::{DecodingKey, Validation};
use jwtguard::{Algorithm, Validator};
use jwtguard_test::{Fixture, Minter};
use serde_json::json;

#[path = "../common/claims.rs"]
mod claims;
use claims::Claims;

const ISSUER: &str = "https://login.example.com";
const AUDIENCE: &str = "orders-api";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    None,
    JwtguardNoCache,
    JwtguardCache,
    Jsonwebtoken,
}

fn parse_alg(s: &str) -> Algorithm {
    match s {
        "HS256" => Algorithm::HS256,
        "RS256" => Algorithm::RS256,
        "ES256" => Algorithm::ES256,
        "EdDSA" => Algorithm::EdDSA,
        other => usage(&format!("unknown algorithm {other}")),
    }
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: server token <alg> | server <axum|actix> <none|jwtguard-nocache|jwtguard-cache|jsonwebtoken> <HS256|RS256|ES256|EdDSA>"
    );
    std::process::exit(2)
}

/// A token with the verify micro-benchmark's claims and a `kid`, valid for 24 hours.
fn token(alg: Algorithm) -> String {
    let now = jwtguard_test::unix_now();
    let claims = json!({
        "sub": "user-1234567890", "iss": ISSUER, "aud": AUDIENCE,
        "exp": now + 86_400, "iat": now, "jti": "3f2c9a7e-5b1d-4e8f-9a6c-0d1e2f3a4b5c",
        "scope": "orders:read orders:write profile",
    });
    Minter::new(alg).kid("k1").token(&claims)
}

/// jwtguard's validator, configured like the verify micro-benchmark's: `iss` and `aud` checked,
/// the key found by `kid`.
fn validator(alg: Algorithm, cache: bool) -> Validator {
    let builder =
        Validator::builder(Fixture::for_alg(alg).key().with_kid("k1"), [alg]).issuer(ISSUER).audience(AUDIENCE);
    let builder = if cache { builder } else { builder.cache_capacity(0) };
    builder.build().unwrap()
}

/// The best peer a team would write: `jsonwebtoken::decode` with a key and a `Validation` built
/// once at start-up, the claims put in the request's extensions, 401 on any failure.
struct Peer {
    key: DecodingKey,
    validation: Validation,
}

impl Peer {
    fn new(alg: Algorithm) -> Peer {
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
        let pem = Fixture::for_alg(alg).public_pem();
        let (key, jwt_alg) = match alg {
            Algorithm::HS256 => {
                (DecodingKey::from_secret(jwtguard_test::HMAC_SECRET).unwrap(), jsonwebtoken::Algorithm::HS256)
            }
            Algorithm::RS256 => (DecodingKey::from_rsa_pem(&pem.unwrap()).unwrap(), jsonwebtoken::Algorithm::RS256),
            Algorithm::ES256 => (DecodingKey::from_ec_pem(&pem.unwrap()).unwrap(), jsonwebtoken::Algorithm::ES256),
            _ => (DecodingKey::from_ed_pem(&pem.unwrap()).unwrap(), jsonwebtoken::Algorithm::EdDSA),
        };
        let mut validation = Validation::new(jwt_alg);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        Peer { key, validation }
    }

    /// The claims of a valid `Authorization: Bearer` token, or `None`.
    fn check(&self, authorization: Option<&str>) -> Option<Claims> {
        let token = authorization?.strip_prefix("Bearer ")?;
        jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).ok().map(|data| data.claims)
    }
}

fn announce(addr: std::net::SocketAddr) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {addr}").unwrap();
    out.flush().unwrap();
}

fn report(validator: Option<&Validator>) {
    if let Some(stats) = validator.and_then(Validator::cache_stats) {
        println!("cache hits={} misses={}", stats.hits, stats.misses);
    }
}

async fn ok() -> &'static str {
    "ok"
}

async fn sigterm() {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap().recv().await;
}

fn serve_axum(mode: Mode, alg: Algorithm) {
    use axum::extract::{Request, State};
    use axum::middleware::{Next, from_fn_with_state};
    use axum::response::{IntoResponse, Response};
    use jwtguard::tower::JwtAuthLayer;

    async fn peer(State(peer): State<Arc<Peer>>, mut req: Request, next: Next) -> Response {
        match peer.check(req.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())) {
            Some(claims) => {
                req.extensions_mut().insert(claims);
                next.run(req).await
            }
            None => http::StatusCode::UNAUTHORIZED.into_response(),
        }
    }

    let mut validator = None;
    let app = axum::Router::new().route("/", axum::routing::get(ok));
    let app = match mode {
        Mode::None => app,
        Mode::JwtguardNoCache | Mode::JwtguardCache => {
            let v = validator.insert(self::validator(alg, mode == Mode::JwtguardCache));
            app.layer(JwtAuthLayer::<Claims>::new(v.clone()))
        }
        Mode::Jsonwebtoken => app.layer(from_fn_with_state(Arc::new(Peer::new(alg)), peer)),
    };
    // One worker: the driver gives the server one core.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        announce(listener.local_addr().unwrap());
        axum::serve(listener, app).with_graceful_shutdown(sigterm()).await.unwrap();
    });
    report(validator.as_ref());
}

fn serve_actix(mode: Mode, alg: Algorithm) {
    use actix_web::body::MessageBody;
    use actix_web::dev::{ServiceRequest, ServiceResponse};
    use actix_web::middleware::{Next, from_fn};
    use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
    use jwtguard::actix::JwtAuth;

    async fn peer(
        peer: Arc<Peer>,
        req: ServiceRequest,
        next: Next<impl MessageBody + 'static>,
    ) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
        let authorization = req.headers().get(actix_web::http::header::AUTHORIZATION);
        match peer.check(authorization.and_then(|v| v.to_str().ok())) {
            Some(claims) => {
                req.extensions_mut().insert(claims);
                Ok(next.call(req).await?.map_into_left_body())
            }
            None => Ok(req.into_response(HttpResponse::Unauthorized().finish()).map_into_right_body()),
        }
    }

    let validator = match mode {
        Mode::JwtguardNoCache | Mode::JwtguardCache => Some(self::validator(alg, mode == Mode::JwtguardCache)),
        _ => None,
    };
    let peer_state = (mode == Mode::Jsonwebtoken).then(|| Arc::new(Peer::new(alg)));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let app_validator = validator.clone();
    actix_web::rt::System::new().block_on(async move {
        // One App type per configuration, so that each one has exactly the middleware measured
        // (a `Condition` wrapper would cost the no-auth case a branch).
        // One worker, no signal handling (SIGTERM is ours), on the listener made above.
        macro_rules! serve {
            ($factory:expr) => {
                HttpServer::new($factory)
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .listen(listener)
                    .unwrap()
                    .run()
            };
        }
        let server = match (mode, app_validator, peer_state) {
            (Mode::None, _, _) => serve!(|| App::new().route("/", web::get().to(ok))),
            (Mode::Jsonwebtoken, _, Some(state)) => serve!(move || {
                let state = state.clone();
                App::new().route("/", web::get().to(ok)).wrap(from_fn(move |req, next| peer(state.clone(), req, next)))
            }),
            (_, Some(v), _) => {
                serve!(move || App::new().route("/", web::get().to(ok)).wrap(JwtAuth::<Claims>::new(v.clone())))
            }
            _ => unreachable!(),
        };
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            sigterm().await;
            handle.stop(true).await;
        });
        announce(addr);
        server.await.unwrap();
    });
    report(validator.as_ref());
}

fn main() {
    // BENCH_RECORDER=prometheus installs the Prometheus recorder (what the quickstarts serve on
    // /metrics), to measure what recording costs; it only counts with `--features metrics`.
    if std::env::var("BENCH_RECORDER").as_deref() == Ok("prometheus") {
        metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder().unwrap();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        // `cargo bench` runs every bench target with `--bench`: this one needs its driver.
        [] | ["--bench", ..] => {
            println!("the HTTP benchmark's server: run benches/http/run.sh (see its header)");
        }
        ["token", alg] => println!("{}", token(parse_alg(alg))),
        [framework, mode, alg] => {
            let mode = match *mode {
                "none" => Mode::None,
                "jwtguard-nocache" => Mode::JwtguardNoCache,
                "jwtguard-cache" => Mode::JwtguardCache,
                "jsonwebtoken" => Mode::Jsonwebtoken,
                other => usage(&format!("unknown mode {other}")),
            };
            let alg = parse_alg(alg);
            match *framework {
                "axum" => serve_axum(mode, alg),
                "actix" => serve_actix(mode, alg),
                other => usage(&format!("unknown framework {other}")),
            }
        }
        _ => usage("wrong arguments"),
    }
}
