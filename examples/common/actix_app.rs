//! The actix-web quickstart's routes: the same as the axum ones. The token-flow answers are made
//! in `quickstart.rs`; this file only translates them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use actix_web::body::{BodyStream, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::{Next, from_fn};
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder, ResponseError, web};
use jwtguard::actix::{Claims, JwtAuth, OptionalClaims, RequireScope, Token};
use serde::de::DeserializeOwned;

use crate::quickstart::{self, Answer, Auth, Login, MyClaims, RefreshRequest};

fn respond(answer: &Answer) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in &answer.headers {
        response.insert_header((*name, value.as_str()));
    }
    if answer.close {
        response.force_close();
    }
    response.body(answer.body.clone())
}

impl Responder for Answer {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        respond(&self)
    }
}

/// An extractor's rejection is an error to actix: the answer, and a `Display` for its logs.
impl ResponseError for Answer {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
    fn error_response(&self) -> HttpResponse {
        respond(self)
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "answered {}", self.status)
    }
}

/// A credential route's JSON body, read by the common rule ([`quickstart::json_body`]): a body
/// it refuses gets the RFC 6749 `invalid_request` answer, not actix's plain-text `Json` error.
struct JsonBody<T>(T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = Answer;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Answer>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = req.headers().get(CONTENT_TYPE).map(|v| v.as_bytes().to_vec());
        let body = actix_web::body::to_bytes_limited(BodyStream::new(payload.take()), quickstart::MAX_BODY);
        Box::pin(async move {
            let body = body.await.ok().and_then(Result::ok);
            quickstart::json_body(content_type.as_deref(), body.as_deref()).map(JsonBody).map_err(Answer::from)
        })
    }
}

/// The rate limit of `/login` and `/token/refresh`, keyed on the TCP peer address (see
/// `ClientLimiter::check` for proxies).
async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let checked = match req.app_data::<web::Data<Auth>>() {
        Some(auth) => auth.limiter.check(req.peer_addr().map(|addr| addr.ip())),
        None => Err(Answer::from(quickstart::FlowError::Unavailable)), // `routes` always registers it
    };
    match checked {
        Ok(()) => next.call(req).await.map(ServiceResponse::map_into_left_body),
        Err(answer) => Ok(req.into_response(respond(&answer)).map_into_right_body()),
    }
}

async fn public() -> &'static str {
    "public: no token needed\n"
}

async fn me(Claims(claims): Claims<MyClaims>) -> impl Responder {
    web::Json(claims)
}

async fn create_order(Claims(claims): Claims<MyClaims>) -> String {
    format!("order created by {}\n", claims.sub)
}

async fn feed(OptionalClaims(claims): OptionalClaims<MyClaims>) -> String {
    match claims {
        Some(c) => format!("feed for {}\n", c.sub),
        None => "feed for a stranger\n".to_owned(),
    }
}

async fn login(auth: web::Data<Auth>, JsonBody(body): JsonBody<Login>) -> Answer {
    auth.login(&body).await.into()
}

async fn refresh(auth: web::Data<Auth>, JsonBody(body): JsonBody<RefreshRequest>) -> Answer {
    auth.refresh(&body).await.into()
}

async fn logout(auth: web::Data<Auth>, token: Token<MyClaims>, JsonBody(body): JsonBody<RefreshRequest>) -> Answer {
    auth.logout(&token, &body).await.into()
}

async fn metrics() -> HttpResponse {
    match quickstart::metrics_text() {
        Some(text) => HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text),
        None => HttpResponse::NotFound().finish(),
    }
}

/// The request's span (tracing-actix-web's root span), with the fields jwtguard records on it
/// (outcome, error kind, algorithm, `kid`, `iss`; never the token or `sub`).
#[allow(dead_code)] // used by the quickstart's main; the tests that include this file do not trace
pub(crate) struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        tracing_actix_web::root_span!(
            request,
            jwtguard.outcome = tracing::field::Empty,
            jwtguard.error = tracing::field::Empty,
            jwtguard.alg = tracing::field::Empty,
            jwtguard.kid = tracing::field::Empty,
            jwtguard.iss = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: tracing::Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// The routes, for `App::new().configure(routes(auth))`. Make `auth` once, outside the
/// `HttpServer` factory, so that all workers share one rate limit.
pub(crate) fn routes(auth: Auth) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let validator = auth.validator.clone();
        cfg.app_data(web::Data::new(auth))
            .route("/", web::get().to(public))
            .route("/metrics", web::get().to(metrics))
            .route("/login", web::post().to(login).wrap(from_fn(rate_limit)))
            .route("/token/refresh", web::post().to(refresh).wrap(from_fn(rate_limit)))
            .service(
                web::scope("/feed")
                    .wrap(JwtAuth::<MyClaims>::new(validator.clone()).optional())
                    .route("", web::get().to(feed)),
            )
            .service(
                web::scope("")
                    .wrap(JwtAuth::<MyClaims>::new(validator))
                    .route("/me", web::get().to(me))
                    .route("/logout", web::post().to(logout))
                    .service(
                        web::scope("/orders")
                            .wrap(RequireScope::all(["orders:write"]))
                            .route("", web::post().to(create_order)),
                    ),
            );
    }
}
