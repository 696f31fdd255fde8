//! The axum quickstart's routes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jwtguard::tower::{Claims, JwtAuthLayer, RequireScope, Token};

use crate::quickstart::{Auth, FlowError, Login, MyClaims, RefreshRequest};

impl IntoResponse for FlowError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.body())).into_response()
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

async fn login(State(auth): State<Auth>, Json(body): Json<Login>) -> Response {
    auth.login(&body).await.map(Json).into_response()
}

async fn refresh(State(auth): State<Auth>, Json(body): Json<RefreshRequest>) -> Response {
    auth.refresh(&body).await.map(Json).into_response()
}

async fn logout(State(auth): State<Auth>, token: Token<MyClaims>, Json(body): Json<RefreshRequest>) -> Response {
    auth.logout(&token, &body).await.map(|()| StatusCode::NO_CONTENT).into_response()
}

pub(crate) fn router(auth: Auth) -> Router {
    let validator = auth.validator.clone();
    let protected = Router::new()
        .route("/me", get(me))
        .route("/orders", post(create_order).layer(RequireScope::all(["orders:write"])))
        .route("/logout", post(logout))
        .layer(JwtAuthLayer::<MyClaims>::new(validator.clone()));
    let optional = Router::new().route("/feed", get(feed)).layer(JwtAuthLayer::<MyClaims>::new(validator).optional());
    Router::new()
        .route("/", get(public))
        .route("/login", post(login))
        .route("/token/refresh", post(refresh))
        .merge(protected)
        .merge(optional)
        .with_state(auth)
}
