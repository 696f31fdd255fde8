//! What both quickstarts share: the embedded default (a fresh Ed25519 key, no external
//! service), demo tokens, the `PORT` setting and the printed `curl` lines.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtguard::{Algorithm, Key, Validator};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub(crate) const AUDIENCE: &str = "jwtguard-quickstart";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct MyClaims {
    pub(crate) sub: String,
    #[serde(default)]
    pub(crate) scope: String,
    pub(crate) exp: i64,
}

pub(crate) struct Quickstart {
    pub(crate) addr: SocketAddr,
    pub(crate) validator: Validator,
    /// A token with scope `orders:read`.
    pub(crate) reader: String,
    /// A token with scopes `orders:read orders:write`.
    pub(crate) writer: String,
}

/// Signs a compact EdDSA JWS. The token issuer lands in jwtguard later; this is the quickstart's
/// stand-in so that the example needs nothing but its own key.
fn sign(key: &Ed25519KeyPair, claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","typ":"JWT","kid":"quickstart"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
}

/// Reads `PORT` (default `default_port`), makes the key, the validator and two demo tokens.
pub(crate) fn setup(default_port: u16) -> Result<Quickstart, Box<dyn std::error::Error>> {
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(|_| format!("PORT must be a port number, got {p:?}"))?,
        Err(_) => default_port,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let issuer = format!("http://{addr}");

    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| "key generation failed")?;
    let signing = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| "bad generated key")?;
    let public_jwk = json!({
        "kty": "OKP", "crv": "Ed25519", "kid": "quickstart", "alg": "EdDSA",
        "x": URL_SAFE_NO_PAD.encode(signing.public_key().as_ref()),
    });
    let validator = Validator::builder(Key::from_jwk(&public_jwk.to_string())?, [Algorithm::EdDSA])
        .issuer(issuer.clone())
        .audience(AUDIENCE)
        .build()?;

    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let token = |scope: &str| {
        let claims =
            json!({"iss": issuer, "aud": AUDIENCE, "sub": "demo", "scope": scope, "iat": now, "exp": now + 3600});
        sign(&signing, &claims)
    };
    Ok(Quickstart { addr, validator, reader: token("orders:read"), writer: token("orders:read orders:write") })
}

impl Quickstart {
    /// Prints where the server listens and ready-to-paste `curl` lines.
    pub(crate) fn print(&self, framework: &str) {
        let Quickstart { addr, reader, writer, .. } = self;
        println!("jwtguard {framework} quickstart listening on http://{addr}\n");
        println!("# public:");
        println!("curl -i http://{addr}/");
        println!("# protected, echoes the verified claims:");
        println!("curl -i -H 'Authorization: Bearer {reader}' http://{addr}/me");
        println!("# needs scope orders:write (this token has only orders:read: 403):");
        println!("curl -i -X POST -H 'Authorization: Bearer {reader}' http://{addr}/orders");
        println!("# the same with a token that has orders:write:");
        println!("curl -i -X POST -H 'Authorization: Bearer {writer}' http://{addr}/orders");
        println!("# no token: 401 with WWW-Authenticate:");
        println!("curl -i http://{addr}/me\n");
    }
}
