//! `keygen`, `sign` and `jwks`: making keys, signing with them, publishing them. Signing is
//! `TokenIssuer`'s; key generation and thumbprints are the core's.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtguard_core::issuer::{Issue, SigningKey, TokenIssuer};
use jwtguard_core::{Algorithm, FixedClock, KeyKind, jwk};
use serde_json::{Map, Value, json};

use crate::output::{Out, pretty};
use crate::{SignArgs, read_limited, read_stdin};

/// Algorithm names as the user typed them.
pub(crate) fn algorithm(name: &str) -> Result<Algorithm, String> {
    name.trim().parse::<Algorithm>().map_err(|e| format!("{e} (one of {})", all_algorithms()))
}

fn all_algorithms() -> String {
    Algorithm::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
}

fn is_hmac(alg: Algorithm) -> bool {
    alg.key_kind() == KeyKind::Hmac
}

fn hash_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => 32,
    }
}

/// The secret in a secret file: its bytes, trailing newlines ignored (as `verify --secret-file`).
pub(crate) fn read_secret(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = zeroize::Zeroizing::new(read_limited(path)?);
    Ok(without_line_ends(&bytes).to_vec())
}

/// A secret as a file or a text box holds it, without the line ends after it.
fn without_line_ends(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|b| !matches!(b, b'\n' | b'\r')).map_or(0, |i| i + 1);
    bytes.get(..end).unwrap_or_default()
}

fn oct_jwk(secret: &[u8]) -> Value {
    json!({"kty": "oct", "k": URL_SAFE_NO_PAD.encode(secret)})
}

/// A signing key from a PKCS#8 PEM (or, for HS*, a secret file) with `kid` or its thumbprint.
fn signing_key(path: &Path, alg: Algorithm, kid: Option<String>) -> Result<SigningKey, String> {
    let bytes = zeroize::Zeroizing::new(read_limited(path)?);
    signing_key_from(&bytes, alg, kid).map_err(|e| format!("{}: {e}", path.display()))
}

/// `15m`, `900s`, `900`, `1h30m`, `2d`.
pub(crate) fn parse_ttl(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration `{text}` (e.g. 15m, 900s, 1h30m, 2d)");
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() {
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = total.checked_add(n).ok_or_else(bad)?;
    }
    if total == 0 {
        return Err(format!("the lifetime must be positive, got `{text}`"));
    }
    Ok(Duration::from_secs(total))
}

/// `--claims JSON|@file|-` as a JSON object.
fn read_claims(arg: &str) -> Result<Map<String, Value>, String> {
    let text = if arg == "-" {
        String::from_utf8(read_stdin()?).map_err(|_| "the claims are not UTF-8".to_owned())?
    } else if let Some(path) = arg.strip_prefix('@') {
        String::from_utf8(read_limited(Path::new(path))?).map_err(|_| format!("{path} is not UTF-8"))?
    } else {
        arg.to_owned()
    };
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("--claims must be a JSON object".into()),
        Err(e) => Err(format!("--claims is not JSON: {e}")),
    }
}

pub(crate) fn sign(args: SignArgs, out: Out) -> Result<ExitCode, String> {
    let alg = algorithm(&args.alg)?;
    let ttl = parse_ttl(&args.ttl)?;
    let mut claims = match &args.claims {
        Some(c) => read_claims(c)?,
        None => Map::new(),
    };
    // The issuer sets these itself; a value in --claims would be silently replaced.
    for (name, flag) in
        [("iss", "--iss"), ("aud", "--aud"), ("exp", "--ttl"), ("iat", "--at"), ("nbf", "--at"), ("jti", "")]
    {
        if claims.contains_key(name) {
            let hint = if flag.is_empty() { "it is random".to_owned() } else { format!("use {flag}") };
            return Err(format!("--claims sets `{name}`, which sign sets itself: {hint}"));
        }
    }
    let sub = match (args.sub, claims.remove("sub")) {
        (Some(s), _) => s,
        (None, Some(Value::String(s))) => s,
        (None, Some(_)) => return Err("`sub` in --claims must be a string".into()),
        (None, None) => return Err("a token needs a subject: give --sub or `sub` in --claims".into()),
    };
    let scope = match (args.scope, claims.remove("scope")) {
        (Some(s), _) => Some(s),
        (None, Some(Value::String(s))) => Some(s),
        (None, Some(_)) => return Err("`scope` in --claims must be a space-separated string".into()),
        (None, None) => None,
    };
    let key = signing_key(&args.key, alg, args.kid)?;
    let spec = TokenSpec { iss: args.iss, aud: args.aud, sub, scope, ttl, at: args.at, extra: claims };
    let issued = sign_token(key, spec)?;
    if out.json {
        let v = json!({"token": issued.token, "jti": issued.jti, "exp": issued.exp, "expires_in": issued.expires_in});
        println!("{}", pretty(&v));
    } else {
        println!("{}", issued.token);
    }
    Ok(ExitCode::SUCCESS)
}

/// What `sign` (and the debugger's re-sign) puts in a token besides what `TokenIssuer` adds.
pub(crate) struct TokenSpec {
    pub(crate) iss: String,
    pub(crate) aud: Vec<String>,
    pub(crate) sub: String,
    pub(crate) scope: Option<String>,
    pub(crate) ttl: Duration,
    pub(crate) at: Option<i64>,
    pub(crate) extra: Map<String, Value>,
}

/// Signs with `TokenIssuer`: `iat`, `nbf`, `exp`, a random `jti`, `typ: at+jwt`, `kid`.
pub(crate) fn sign_token(key: SigningKey, spec: TokenSpec) -> Result<jwtguard_core::issuer::IssuedToken, String> {
    let mut builder = TokenIssuer::builder(key).issuer(spec.iss).ttl(spec.ttl);
    for aud in spec.aud {
        builder = builder.audience(aud);
    }
    if let Some(at) = spec.at {
        builder = builder.clock(FixedClock(at));
    }
    let issuer = builder.build().map_err(|e| e.to_string())?;
    let mut what = Issue::subject(spec.sub);
    if let Some(scope) = spec.scope {
        what = what.scope(scope);
    }
    for (name, value) in spec.extra {
        what = what.claim(name, value);
    }
    issuer.issue(&what).map_err(|e| format!("cannot sign: {e}"))
}

/// A signing key from a PKCS#8 PEM, or for HS* the secret itself (without the line ends a file
/// or a text box adds); `kid` or its thumbprint.
pub(crate) fn signing_key_from(bytes: &[u8], alg: Algorithm, kid: Option<String>) -> Result<SigningKey, String> {
    if is_hmac(alg) {
        let secret = without_line_ends(bytes);
        let kid = match kid {
            Some(k) => k,
            None => jwk::thumbprint(&oct_jwk(secret)).map_err(|e| e.to_string())?,
        };
        return SigningKey::hmac(secret, alg, kid).map_err(|e| e.to_string());
    }
    let load = |kid: String| SigningKey::from_pkcs8_pem(bytes, alg, kid).map_err(|e| e.to_string());
    match kid {
        Some(k) => load(k),
        None => {
            let probe = load(String::new())?;
            let public = probe.public_jwk().ok_or("the key has no public part")?;
            load(jwk::thumbprint(public).map_err(|e| e.to_string())?)
        }
    }
}

/// A fresh key: the private part (PEM, or the secret as base64url text), its kid and, for a key
/// pair, the public JWKS.
pub(crate) struct Generated {
    pub(crate) private: zeroize::Zeroizing<String>,
    pub(crate) kid: String,
    pub(crate) jwks: Option<Value>,
}

pub(crate) fn generate(alg: Algorithm, kid: Option<String>, bits: usize) -> Result<Generated, String> {
    if is_hmac(alg) {
        let mut raw = zeroize::Zeroizing::new(vec![0u8; hash_len(alg)]);
        getrandom::fill(raw.as_mut_slice()).map_err(|e| format!("no randomness: {e}"))?;
        // The base64url text is the secret, byte for byte, as `sign --key` and
        // `verify --secret-file` read it.
        let text = zeroize::Zeroizing::new(URL_SAFE_NO_PAD.encode(raw.as_slice()));
        let kid = match kid {
            Some(k) => k,
            None => jwk::thumbprint(&oct_jwk(text.as_bytes())).map_err(|e| e.to_string())?,
        };
        return Ok(Generated { private: text, kid, jwks: None });
    }
    let pem = SigningKey::generate_pkcs8_pem(alg, bits).map_err(|e| format!("cannot generate the key: {e}"))?;
    let probe = SigningKey::from_pkcs8_pem(pem.as_bytes(), alg, String::new()).map_err(|e| e.to_string())?;
    let mut public = probe.public_jwk().cloned().ok_or("the key has no public part")?;
    let kid = match kid {
        Some(k) => k,
        None => jwk::thumbprint(&public).map_err(|e| e.to_string())?,
    };
    public["kid"] = json!(kid);
    Ok(Generated { private: zeroize::Zeroizing::new(pem.to_string()), kid, jwks: Some(json!({"keys": [public]})) })
}

/// Writes a new file readable by its owner only; never replaces an existing one.
fn write_new(path: &Path, contents: &[u8], private: bool) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => format!("{} exists; not replacing it", path.display()),
        _ => format!("cannot create {}: {e}", path.display()),
    })?;
    file.write_all(contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub(crate) fn keygen(
    alg: &str,
    kid: Option<String>,
    bits: Option<usize>,
    dir: Option<PathBuf>,
    out: Out,
) -> Result<ExitCode, String> {
    let alg = algorithm(alg)?;
    let rsa = alg.key_kind() == KeyKind::Rsa;
    let bits = match bits {
        Some(_) if !rsa => return Err(format!("--bits is for RSA keys; {} keys have a fixed size", alg.as_str())),
        Some(b) if b < 2048 => return Err(format!("refusing a {b}-bit RSA key: RSA keys need at least 2048 bits")),
        Some(b @ (2048 | 3072 | 4096)) => b,
        Some(b) => return Err(format!("--bits must be 2048, 3072 or 4096, got {b}")),
        None => 2048,
    };
    let Generated { private, kid, jwks } = generate(alg, kid, bits)?;
    let suffix = if is_hmac(alg) { "secret" } else { "key.pem" };
    let private = if is_hmac(alg) { zeroize::Zeroizing::new(format!("{}\n", private.as_str())) } else { private };
    match dir {
        Some(dir) => {
            if kid.contains(['/', '\\']) || kid.starts_with('.') || kid.is_empty() {
                return Err(format!("kid `{kid}` cannot name a file; choose another --kid"));
            }
            let key_path = dir.join(format!("{kid}.{suffix}"));
            write_new(&key_path, private.as_bytes(), true)?;
            let jwks_path = dir.join(format!("{kid}.jwks.json"));
            if let Some(jwks) = &jwks {
                write_new(&jwks_path, format!("{}\n", pretty(jwks)).as_bytes(), false)?;
            }
            if out.json {
                let v = json!({"alg": alg.as_str(), "kid": kid, "key": key_path, "jwks": jwks.as_ref().map(|_| &jwks_path)});
                println!("{}", pretty(&v));
            } else {
                println!("{}", key_path.display());
                if jwks.is_some() {
                    println!("{}", jwks_path.display());
                }
            }
        }
        None if out.json => {
            let secret_field = if is_hmac(alg) { "secret" } else { "private_key_pem" };
            let mut v = json!({"alg": alg.as_str(), "kid": kid});
            v[secret_field] = json!(private.trim_end());
            if let Some(jwks) = jwks {
                v["jwks"] = jwks;
            }
            println!("{}", pretty(&v));
        }
        None => {
            print!("{}", private.as_str());
            eprintln!("kid: {kid}");
            if !is_hmac(alg) {
                eprintln!("public JWKS: jwtguard jwks --alg {} --kid {kid} KEY.pem", alg.as_str());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The public JWK of one PEM file: a private PKCS#8 key or a public key/certificate.
fn public_jwk(path: &Path, alg: Option<Algorithm>) -> Result<Value, String> {
    let bytes = zeroize::Zeroizing::new(read_limited(path)?);
    let text = String::from_utf8_lossy(&bytes);
    let mut jwk = if text.contains("PRIVATE KEY-----") {
        let candidates: Vec<Algorithm> = match alg {
            Some(a) => vec![a],
            None => vec![Algorithm::ES256, Algorithm::ES384, Algorithm::ES512, Algorithm::EdDSA, Algorithm::RS256],
        };
        let mut found = None;
        let mut last = String::new();
        for a in candidates {
            match SigningKey::from_pkcs8_pem(&bytes, a, String::new()) {
                Ok(key) => {
                    found = key.public_jwk().cloned();
                    break;
                }
                Err(e) => last = e.to_string(),
            }
        }
        let mut jwk = found.ok_or_else(|| format!("{}: {last}", path.display()))?;
        // An RSA key alone does not say RS* or PS*: without --alg the JWK leaves it open.
        if alg.is_none()
            && jwk["kty"] == "RSA"
            && let Some(map) = jwk.as_object_mut()
        {
            map.remove("alg");
        }
        jwk
    } else {
        let mut jwk = jwk::public_jwk_from_pem(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        jwk["use"] = json!("sig");
        if let Some(a) = alg {
            jwk["alg"] = json!(a.as_str());
        }
        jwk
    };
    if let Some(a) = alg {
        // The key must be able to verify the algorithm it is published for.
        jwtguard_core::Key::from_jwk(&jwk.to_string())
            .map_err(|e| format!("{}: {e}", path.display()))?
            .with_algorithm(a)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(map) = jwk.as_object_mut() {
        map.remove("kid");
    }
    Ok(jwk)
}

pub(crate) fn jwks(files: &[PathBuf], alg: Option<&str>, kids: Vec<String>) -> Result<ExitCode, String> {
    let alg = alg.map(algorithm).transpose()?;
    if kids.len() > files.len() {
        return Err(format!("{} --kid values for {} files", kids.len(), files.len()));
    }
    let mut kids = kids.into_iter();
    let mut keys = Vec::new();
    for path in files {
        let mut jwk = public_jwk(path, alg)?;
        let kid = match kids.next() {
            Some(k) => k,
            None => jwk::thumbprint(&jwk).map_err(|e| e.to_string())?,
        };
        jwk["kid"] = json!(kid);
        keys.push(jwk);
    }
    println!("{}", pretty(&json!({ "keys": keys })));
    Ok(ExitCode::SUCCESS)
}
