//! The actix-web quickstart's routes: the same as the axum ones.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, Responder, web};
use jwtguard::actix::{Claims, JwtAuth, OptionalClaims, RequireScope, Token};

use crate::quickstart::{Auth, FlowError, Login, MyClaims, RefreshRequest};

fn answer<T: serde::Serialize>(result: Result<T, FlowError>) -> HttpResponse {
    match result {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(e) => HttpResponse::build(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            .json(e.body()),
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

async fn login(auth: web::Data<Auth>, body: web::Json<Login>) -> HttpResponse {
    answer(auth.login(&body).await)
}

async fn refresh(auth: web::Data<Auth>, body: web::Json<RefreshRequest>) -> HttpResponse {
    answer(auth.refresh(&body).await)
}

async fn logout(auth: web::Data<Auth>, token: Token<MyClaims>, body: web::Json<RefreshRequest>) -> HttpResponse {
    match auth.logout(&token, &body).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => answer::<()>(Err(e)),
    }
}

/// The routes, for `App::new().configure(routes(auth))`.
pub(crate) fn routes(auth: Auth) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let validator = auth.validator.clone();
        cfg.app_data(web::Data::new(auth))
            .route("/", web::get().to(public))
            .route("/login", web::post().to(login))
            .route("/token/refresh", web::post().to(refresh))
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
