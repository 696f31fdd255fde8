//! `jwtguard debugger`: one page on `127.0.0.1` to paste a token, read it, verify it and
//! re-sign it, offline. The page (`index.html`, `style.css`, `app.js`, embedded in the binary)
//! does no JOSE itself: it asks this server's small JSON API, which runs the same code as
//! `decode`, `explain`, `keygen` and `sign`, so the page and the library cannot disagree.
//!
//! Nothing leaves the machine except the JWKS/OIDC fetch the user asks for. Requests must name
//! this server in `Host` (no DNS rebinding) and, when a browser sends one, in `Origin`; API calls
//! must be `application/json` (no cross-site form posts).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use jwtguard_core::dangerous;
use serde_json::{Map, Value, json};

use crate::keys::{self, TokenSpec};
use crate::{InlineKey, VerifyArgs, times};

const INDEX: &str = include_str!("index.html");
const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("app.js");

/// The largest request body read (a token, a key, a JWKS).
const MAX_BODY: usize = 1024 * 1024;

pub(crate) fn serve(port: u16) -> Result<ExitCode, String> {
    let listener =
        TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    println!("jwtguard debugger: http://127.0.0.1:{port}/");
    let _ = std::io::stdout().flush();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        std::thread::spawn(move || {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
            handle(stream, port);
        });
    }
    Ok(ExitCode::SUCCESS)
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The announced body was over [`MAX_BODY`] and was not read.
    too_large: bool,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.by_ref().take(8192).read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.by_ref().take(8192).read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if headers.len() > 100 {
            return None;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_owned(), v.trim().to_owned()));
    }
    let mut req = Request { method, path, headers, body: Vec::new(), too_large: false };
    let len: usize = req.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    if len > MAX_BODY {
        req.too_large = true;
        return Some(req);
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    req.body = body;
    Some(req)
}

fn respond(mut stream: TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\ncache-control: no-store\r\n\
         content-security-policy: default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'\r\n\
         x-content-type-options: nosniff\r\nreferrer-policy: no-referrer\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn json_response(stream: TcpStream, status: &str, v: &Value) {
    respond(stream, status, "application/json", v.to_string().as_bytes());
}

fn handle(stream: TcpStream, port: u16) {
    let Some(req) = read_request(&stream) else {
        return respond(stream, "400 Bad Request", "text/plain", b"bad request");
    };
    let hosts = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    if !req.header("host").is_some_and(|h| hosts.iter().any(|ok| ok == h)) {
        return respond(stream, "403 Forbidden", "text/plain", b"this server answers to 127.0.0.1 only");
    }
    if let Some(origin) = req.header("origin")
        && !hosts.iter().any(|h| origin == format!("http://{h}"))
    {
        return respond(stream, "403 Forbidden", "text/plain", b"cross-origin requests are refused");
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/") => respond(stream, "200 OK", "text/html; charset=utf-8", INDEX.as_bytes()),
        ("GET", "/style.css") => respond(stream, "200 OK", "text/css; charset=utf-8", STYLE.as_bytes()),
        ("GET", "/app.js") => respond(stream, "200 OK", "text/javascript; charset=utf-8", SCRIPT.as_bytes()),
        ("POST", path) if path.starts_with("/api/") => {
            if !req.header("content-type").is_some_and(|c| c.starts_with("application/json")) {
                return json_response(stream, "415 Unsupported Media Type", &json!({"error": "send application/json"}));
            }
            if req.too_large {
                return json_response(stream, "413 Payload Too Large", &json!({"error": "request larger than 1 MiB"}));
            }
            let input: Map<String, Value> = match serde_json::from_slice(&req.body) {
                Ok(Value::Object(m)) => m,
                _ => {
                    return json_response(
                        stream,
                        "400 Bad Request",
                        &json!({"error": "the body is not a JSON object"}),
                    );
                }
            };
            let answer = match path {
                "/api/decode" => decode(&input),
                "/api/verify" => verify(&input),
                "/api/keygen" => keygen(&input),
                "/api/sign" => sign(&input),
                _ => return json_response(stream, "404 Not Found", &json!({"error": "no such API"})),
            };
            match answer {
                Ok(v) => json_response(stream, "200 OK", &v),
                Err(e) => json_response(stream, "400 Bad Request", &json!({ "error": e })),
            }
        }
        _ => respond(stream, "404 Not Found", "text/plain", b"not found"),
    }
}

fn text<'a>(input: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn list(input: &Map<String, Value>, name: &str) -> Vec<String> {
    match input.get(name) {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(s)) => s.split([',', ' ']).filter(|p| !p.is_empty()).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

fn decode(input: &Map<String, Value>) -> Result<Value, String> {
    let token = text(input, "token").ok_or("no token")?;
    let d = dangerous::decode_unverified(token).map_err(|e| e.to_string())?;
    let segments: Vec<&str> = token.split('.').collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut relative = Map::new();
    for name in ["iat", "nbf", "exp"] {
        if let Some(t) = crate::output::unix_claim(&d.claims, name) {
            let words = if t == now {
                "now".to_owned()
            } else if t > now {
                format!("in {}", crate::output::human((t - now).unsigned_abs()))
            } else {
                format!("{} ago", crate::output::human((now - t).unsigned_abs()))
            };
            relative.insert(name.to_owned(), json!(words));
        }
    }
    Ok(json!({
        "header": d.header, "claims": d.claims, "times": times(&d.claims), "relative": relative,
        "segments": segments, "now": now,
    }))
}

fn verify(input: &Map<String, Value>) -> Result<Value, String> {
    let token = text(input, "token").ok_or("no token")?.to_owned();
    let key = input.get("key").and_then(Value::as_str).unwrap_or_default().to_owned();
    let key_type = text(input, "key_type").unwrap_or("secret");
    let mut args = VerifyArgs {
        alg: list(input, "alg"),
        jwks: None,
        key: None,
        secret_file: None,
        jwks_url: None,
        oidc_issuer: None,
        iss: list(input, "iss"),
        aud: list(input, "aud"),
        leeway: input.get("leeway").and_then(Value::as_u64).unwrap_or(60),
        typ: text(input, "typ").map(str::to_owned),
        at: None,
        decrypt_key: None,
        token: Some(token.clone()),
        inline: None,
    };
    if args.alg.is_empty() {
        return Err("choose the allowed algorithm(s)".into());
    }
    if key.trim().is_empty() {
        return Err("paste a key to verify with".into());
    }
    match key_type {
        "secret" => args.inline = Some(InlineKey::Secret(zeroize::Zeroizing::new(key))),
        "pem" => args.inline = Some(InlineKey::Pem(key)),
        "jwk" if key.contains("\"keys\"") => args.inline = Some(InlineKey::Jwks(key)),
        "jwk" => args.inline = Some(InlineKey::Jwk(key)),
        "jwks_url" => args.jwks_url = Some(key.trim().to_owned()),
        "oidc" => args.oidc_issuer = Some(key.trim().to_owned()),
        other => return Err(format!("unknown key type `{other}`")),
    }
    Ok(crate::judge(&args, &token)?.to_json())
}

fn keygen(input: &Map<String, Value>) -> Result<Value, String> {
    let alg = keys::algorithm(text(input, "alg").unwrap_or("ES256"))?;
    let g = keys::generate(alg, text(input, "kid").map(str::to_owned), 2048)?;
    let field = if g.jwks.is_some() { "private_key_pem" } else { "secret" };
    let mut v = json!({"alg": alg.as_str(), "kid": g.kid, "jwks": g.jwks});
    v[field] = json!(g.private.as_str());
    Ok(v)
}

/// Re-signs edited claims the way `sign` does: `iss`, `aud`, `sub`, `scope` and the custom
/// claims are kept; `iat`, `nbf`, `jti` are new and `exp` keeps the token's lifetime.
fn sign(input: &Map<String, Value>) -> Result<Value, String> {
    let alg = keys::algorithm(text(input, "alg").ok_or("choose an algorithm")?)?;
    let key_text = input.get("key").and_then(Value::as_str).ok_or("paste or generate a signing key")?;
    let mut claims = match input.get("claims") {
        Some(Value::Object(m)) => m.clone(),
        _ => return Err("the payload must be a JSON object".into()),
    };
    let iss = match claims.remove("iss") {
        Some(Value::String(s)) => s,
        _ => return Err("the payload needs an `iss` string".into()),
    };
    let sub = match claims.remove("sub") {
        Some(Value::String(s)) => s,
        _ => return Err("the payload needs a `sub` string".into()),
    };
    let aud = match claims.remove("aud") {
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(a)) => a.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    };
    let scope = claims.remove("scope").and_then(|v| v.as_str().map(str::to_owned));
    let exp = crate::output::unix_claim(&Value::Object(claims.clone()), "exp");
    let iat = crate::output::unix_claim(&Value::Object(claims.clone()), "iat");
    let ttl = match (exp, iat) {
        (Some(e), Some(i)) if e > i => Duration::from_secs((e - i).unsigned_abs()),
        _ => Duration::from_secs(900),
    };
    for name in ["iat", "nbf", "exp", "jti"] {
        claims.remove(name);
    }
    let key = keys::signing_key_from(key_text.as_bytes(), alg, text(input, "kid").map(str::to_owned))?;
    let issued = keys::sign_token(key, TokenSpec { iss, aud, sub, scope, ttl, at: None, extra: claims })?;
    Ok(json!({"token": issued.token, "exp": issued.exp}))
}
