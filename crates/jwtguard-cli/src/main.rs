//! `jwtguard`: decode and verify JWTs from the command line.
//!
//! ```text
//! jwtguard decode [TOKEN|-]
//! jwtguard verify --alg ALG[,ALG..] (--jwks FILE | --key FILE.pem | --secret-file FILE
//!                                    | --jwks-url URL | --oidc-issuer URL)
//!                 [--iss ISS]... [--aud AUD]... [--leeway SECS] [--typ TYP] [--at UNIX_TIME]
//!                 [--decrypt-key FILE] [TOKEN|-]
//! jwtguard encrypt --alg ALG --enc ENC (--to JWK_FILE | --secret-file FILE) [JWS|-]
//! jwtguard decrypt (--key JWK_FILE | --secret-file FILE) [--alg ALG,..] [--enc ENC,..] [JWE|-]
//! ```
//!
//! Exit status: 0 when the token verified (or decoded), 1 when it was rejected, 2 for a usage,
//! key or input error.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

mod jwe;

use clap::{Args, Parser, Subcommand};
use jwtguard_core::{Algorithm, FixedClock, Key, KeySet, Validator, dangerous};
use jwtguard_jwks::{Oidc, RemoteJwks};
use serde_json::{Map, Value, json};

/// The most read from standard input.
const MAX_INPUT: u64 = 1024 * 1024;

#[derive(Parser)]
#[command(name = "jwtguard", version, about = "Decode and verify JSON Web Tokens")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a token's header and claims WITHOUT verifying anything.
    Decode {
        /// The token, or `-` (or nothing) to read it from standard input.
        token: Option<String>,
    },
    /// Verify a token's signature and claims; print them as JSON when it passes.
    Verify(Box<VerifyArgs>),
    /// Encrypt a signed token to a recipient (nested JWT).
    Encrypt(Box<jwe::EncryptArgs>),
    /// Decrypt an encrypted token and print what it holds, WITHOUT verifying a signature inside.
    Decrypt(Box<jwe::DecryptArgs>),
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("keys").required(true).args(["jwks", "key", "secret_file", "jwks_url", "oidc_issuer"])))]
struct VerifyArgs {
    /// Allowed algorithms, comma-separated (e.g. RS256,ES256).
    #[arg(long, value_delimiter = ',', required = true)]
    alg: Vec<String>,
    /// A JWKS document (RFC 7517) file.
    #[arg(long)]
    jwks: Option<PathBuf>,
    /// A public key or certificate PEM file.
    #[arg(long)]
    key: Option<PathBuf>,
    /// A file holding the HMAC secret (trailing newlines are ignored).
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// A JWKS URL (https, or http on loopback).
    #[arg(long)]
    jwks_url: Option<String>,
    /// An OpenID Connect issuer: its keys are discovered and `iss` is checked.
    #[arg(long)]
    oidc_issuer: Option<String>,
    /// Accepted issuer; repeat for several.
    #[arg(long)]
    iss: Vec<String>,
    /// Accepted audience; repeat for several.
    #[arg(long)]
    aud: Vec<String>,
    /// Clock skew tolerated, in seconds.
    #[arg(long, default_value_t = 60)]
    leeway: u64,
    /// Required `typ` header (e.g. at+jwt).
    #[arg(long)]
    typ: Option<String>,
    /// Verify as of this Unix time instead of now.
    #[arg(long)]
    at: Option<i64>,
    /// Accept encrypted (nested) tokens, decrypted with this private JWK or JWKS; every
    /// supported content algorithm, and every key-management algorithm the keys serve, is allowed.
    #[arg(long)]
    decrypt_key: Option<PathBuf>,
    /// The token, or `-` (or nothing) to read it from standard input.
    token: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Decode { token } => {
            let token = read_token(token)?;
            let decoded = dangerous::decode_unverified(&token).map_err(|e| format!("{}: {e}", e.kind().as_str()))?;
            eprintln!("warning: nothing was verified: not the signature, not the expiry, not the issuer");
            let out = json!({
                "header": decoded.header,
                "claims": decoded.claims,
                "times": times(&decoded.claims),
            });
            println!("{}", pretty(&out));
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify(args) => verify(*args),
        Command::Encrypt(args) => jwe::encrypt(*args),
        Command::Decrypt(args) => jwe::decrypt(*args),
    }
}

fn verify(args: VerifyArgs) -> Result<ExitCode, String> {
    let algorithms = args
        .alg
        .iter()
        .map(|a| a.trim().parse::<Algorithm>().map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    // Remote keys need a runtime for the fetch; a small one is enough for one token.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let _entered = runtime.enter();
    let mut builder = if let Some(issuer) = &args.oidc_issuer {
        let oidc = runtime.block_on(Oidc::discover(issuer)).map_err(|e| format!("{e}: {}", source_chain(&e)))?;
        wait_for_keys(&runtime, oidc.jwks())?;
        oidc.validator(algorithms)
    } else if let Some(url) = &args.jwks_url {
        let jwks = RemoteJwks::builder(url).and_then(|b| b.build()).map_err(|e| e.to_string())?;
        wait_for_keys(&runtime, &jwks)?;
        Validator::builder(jwks, algorithms)
    } else {
        Validator::builder(local_keys(&args)?, algorithms)
    };
    builder = builder.leeway(Duration::from_secs(args.leeway));
    for iss in args.iss {
        builder = builder.issuer(iss);
    }
    for aud in args.aud {
        builder = builder.audience(aud);
    }
    if let Some(typ) = args.typ {
        builder = builder.typ(typ);
    }
    if let Some(at) = args.at {
        builder = builder.clock(FixedClock(at));
    }
    if let Some(path) = &args.decrypt_key {
        let keys = jwe::decryption_keys(path)?;
        let algs = keys.key_management();
        builder = builder.decrypt_with(keys, algs, jwtguard_core::ContentEncryption::ALL);
    }
    let validator = builder.build().map_err(|e| e.to_string())?;
    let token = read_token(args.token)?;
    match runtime.block_on(validator.verify_async::<Value>(&token)) {
        Ok(verified) => {
            let h = verified.header();
            let out = json!({
                "header": { "alg": h.alg().as_str(), "kid": h.kid(), "typ": h.typ() },
                "claims": verified.claims(),
                "times": times(verified.claims()),
            });
            println!("{}", pretty(&out));
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("error: {}: {err}", err.kind().as_str());
            Ok(ExitCode::from(1))
        }
    }
}

fn local_keys(args: &VerifyArgs) -> Result<KeySet, String> {
    if let Some(path) = &args.jwks {
        KeySet::from_jwks_file(path).map_err(|e| e.to_string())
    } else if let Some(path) = &args.key {
        Ok(Key::from_pem_file(path).map_err(|e| e.to_string())?.into())
    } else if let Some(path) = &args.secret_file {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let end = bytes.iter().rposition(|b| !matches!(b, b'\n' | b'\r')).map_or(0, |i| i + 1);
        Ok(Key::hmac(&bytes[..end]).map_err(|e| e.to_string())?.into())
    } else {
        Err("one of --jwks, --key, --secret-file, --jwks-url or --oidc-issuer is needed".into())
    }
}

/// Waits up to 10 s for the first fetch of remote keys.
fn wait_for_keys(runtime: &tokio::runtime::Runtime, jwks: &RemoteJwks) -> Result<(), String> {
    runtime.block_on(jwks.wait_ready(Duration::from_secs(10))).map_err(|e| format!("cannot fetch the keys: {e}"))
}

/// The causes of an error, for a message a person can act on.
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = Vec::new();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push(s.to_string());
        cur = s.source();
    }
    out.join(": ")
}

fn read_token(arg: Option<String>) -> Result<String, String> {
    let text = match arg.as_deref() {
        Some("-") | None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .take(MAX_INPUT + 1)
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            if buf.len() as u64 > MAX_INPUT {
                return Err("input larger than 1 MiB".into());
            }
            String::from_utf8(buf).map_err(|_| "the token is not UTF-8".to_owned())?
        }
        Some(t) => t.to_owned(),
    };
    let token = text.trim();
    if token.is_empty() {
        return Err("no token given".into());
    }
    Ok(token.to_owned())
}

/// `exp`, `nbf` and `iat` as RFC 3339, for reading next to the numbers.
fn times(claims: &Value) -> Value {
    let mut out = Map::new();
    for name in ["iat", "nbf", "exp"] {
        let Some(n) = claims.get(name).and_then(Value::as_f64) else { continue };
        if !n.is_finite() {
            continue;
        }
        #[allow(clippy::cast_possible_truncation)]
        let secs = n.floor() as i64;
        let text = time::OffsetDateTime::from_unix_timestamp(secs)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
        if let Some(text) = text {
            out.insert(name.to_owned(), Value::String(text));
        }
    }
    Value::Object(out)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}
