//! The actix-web quickstart: `cargo run --example actix_quickstart --features actix`.
//!
//! The twin of the axum quickstart: 127.0.0.1:3001 (`PORT` overrides it), an Ed25519 key made
//! at start, the same routes and the same printed `curl` lines.

#[path = "common/quickstart.rs"]
mod quickstart;

use actix_web::{App, HttpServer, Responder, web};
use jwtguard::actix::{Claims, JwtAuth, OptionalClaims, RequireScope};
use quickstart::MyClaims;

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

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let qs = quickstart::setup(3001)?;
    let validator = qs.validator.clone();
    let server = HttpServer::new(move || {
        App::new()
            .route("/", web::get().to(public))
            .service(
                web::scope("/feed")
                    .wrap(JwtAuth::<MyClaims>::new(validator.clone()).optional())
                    .route("", web::get().to(feed)),
            )
            .service(
                web::scope("")
                    .wrap(JwtAuth::<MyClaims>::new(validator.clone()))
                    .route("/me", web::get().to(me))
                    .service(
                        web::scope("/orders")
                            .wrap(RequireScope::all(["orders:write"]))
                            .route("", web::post().to(create_order)),
                    ),
            )
    })
    .bind(qs.addr)?;
    qs.print("actix");
    server.run().await?;
    Ok(())
}
