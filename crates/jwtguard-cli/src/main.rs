//! `jwtguard`: decode, verify and explain JWTs; make keys, sign tokens and publish JWKS.
//!
//! ```text
//! jwtguard decode [TOKEN|-]
//! jwtguard verify  --alg ALG[,ALG..] (--jwks FILE | --key FILE.pem | --secret-file FILE
//!                                     | --jwks-url URL | --oidc-issuer URL)
//!                  [--iss ISS]... [--aud AUD]... [--leeway SECS] [--typ TYP] [--at UNIX_TIME]
//!                  [--decrypt-key FILE] [TOKEN|-]
//! jwtguard explain (the options of verify)
//! jwtguard keygen  --alg ALG [--kid K] [--bits 2048|3072|4096] [--out DIR]
//! jwtguard sign    --key FILE --alg ALG --iss ISS [--kid K] [--aud AUD]... [--sub SUB] [--scope S]
//!                  [--ttl 15m] [--claims JSON|@FILE|-] [--at UNIX_TIME]
//! jwtguard jwks    [--alg ALG] [--kid K]... FILE.pem...
//! jwtguard debugger [--port 8686]
//! jwtguard completions bash|zsh|fish|elvish|powershell
//! jwtguard encrypt --alg ALG --enc ENC (--to JWK_FILE | --secret-file FILE) [JWS|-]
//! jwtguard decrypt (--key JWK_FILE|PEM_FILE | --secret-file FILE) [--alg ALG,..] [--enc ENC,..] [JWE|-]
//! jwtguard gateway [--check] CONFIG.toml
//! ```
//!
//! `--json` (any subcommand) prints JSON, errors included (`{"error": ...}` on stderr).
//!
//! Exit status: 0 when the token verified (or the command did its job), 1 when the token was
//! rejected (`verify`, `explain`), 2 for a usage, key or input error; `gateway` exits as the
//! `jwtguard-gateway` binary does (78 for a configuration error).

mod debugger;
mod explain;
mod jwe;
mod keys;
mod output;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};
use jwtguard_core::provider::KeyProvider;
use jwtguard_core::{Algorithm, FixedClock, Key, KeySet, Validator, dangerous};
use jwtguard_jwks::{Oidc, RemoteJwks};
use serde_json::{Map, Value, json};

use crate::output::{Out, pretty};

/// The most read from standard input or a key or claims file.
const MAX_INPUT: u64 = 1024 * 1024;

#[derive(Parser)]
#[command(
    name = "jwtguard",
    version,
    about = "Decode, verify and explain JSON Web Tokens; make keys and sign test tokens"
)]
struct Cli {
    /// Print JSON (errors too, on stderr).
    #[arg(long, global = true)]
    json: bool,
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
    /// Verify like `verify`, and say in plain words which check failed and what to change.
    Explain(Box<VerifyArgs>),
    /// Make a signing key: a PKCS#8 PEM private key and its public JWKS, or an HMAC secret.
    Keygen {
        /// ES256, ES384, ES512, RS256..RS512, PS256..PS512, EdDSA, HS256, HS384 or HS512.
        #[arg(long)]
        alg: String,
        /// The key id. Defaults to the RFC 7638 thumbprint of the key.
        #[arg(long)]
        kid: Option<String>,
        /// RSA modulus size: 2048, 3072 or 4096. Defaults to 2048.
        #[arg(long)]
        bits: Option<usize>,
        /// Write KID.key.pem (or KID.secret) and KID.jwks.json into this directory instead of
        /// printing the private key.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Sign a token the way `TokenIssuer` does (iat, nbf, exp, a random jti, typ at+jwt).
    Sign(Box<SignArgs>),
    /// Print the JWKS of PEM keys (private PKCS#8 or public), kid = RFC 7638 thumbprint unless given.
    Jwks {
        /// The algorithm the keys are published for (sets each JWK's `alg`).
        #[arg(long)]
        alg: Option<String>,
        /// Key ids, in the order of the files. Defaults to each key's thumbprint.
        #[arg(long)]
        kid: Vec<String>,
        /// PEM files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Serve the offline debugger page on 127.0.0.1 (paste, read, verify, re-sign a token).
    Debugger {
        /// The port on 127.0.0.1 (0: any free port; the URL is printed).
        #[arg(long, default_value_t = 8686)]
        port: u16,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Encrypt a signed token to a recipient (nested JWT).
    Encrypt(Box<jwe::EncryptArgs>),
    /// Decrypt an encrypted token and print what it holds, WITHOUT verifying a signature inside.
    Decrypt(Box<jwe::DecryptArgs>),
    /// Run the gateway (forward-auth and verifying reverse proxy) from its TOML configuration,
    /// as the `jwtguard-gateway` binary does.
    #[cfg(feature = "gateway")]
    Gateway {
        /// Read and check the configuration (keys, discovery, Redis), then exit.
        #[arg(long)]
        check: bool,
        /// The configuration file.
        config: PathBuf,
    },
}

#[derive(Args)]
pub(crate) struct SignArgs {
    /// The PKCS#8 PEM private key, or for HS256/384/512 the file holding the secret.
    #[arg(long)]
    key: PathBuf,
    /// The signing algorithm.
    #[arg(long)]
    alg: String,
    /// The `kid` header. Defaults to the key's RFC 7638 thumbprint.
    #[arg(long)]
    kid: Option<String>,
    /// The `iss` claim.
    #[arg(long)]
    iss: String,
    /// An `aud` claim; repeat for several.
    #[arg(long)]
    aud: Vec<String>,
    /// The `sub` claim (or `sub` in --claims).
    #[arg(long)]
    sub: Option<String>,
    /// The `scope` claim, space-separated.
    #[arg(long)]
    scope: Option<String>,
    /// Lifetime: 15m, 900s, 1h30m, 2d.
    #[arg(long, default_value = "15m")]
    ttl: String,
    /// More claims: a JSON object, `@FILE`, or `-` for standard input.
    #[arg(long)]
    claims: Option<String>,
    /// Sign as of this Unix time instead of now.
    #[arg(long)]
    at: Option<i64>,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("keys").required(true).args(["jwks", "key", "secret_file", "jwks_url", "oidc_issuer"])))]
pub(crate) struct VerifyArgs {
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
    pub(crate) iss: Vec<String>,
    /// Accepted audience; repeat for several.
    #[arg(long)]
    pub(crate) aud: Vec<String>,
    /// Clock skew tolerated, in seconds.
    #[arg(long, default_value_t = 60)]
    pub(crate) leeway: u64,
    /// Required `typ` header (e.g. at+jwt).
    #[arg(long)]
    pub(crate) typ: Option<String>,
    /// Verify as of this Unix time instead of now.
    #[arg(long)]
    at: Option<i64>,
    /// Accept encrypted (nested) tokens, decrypted with this private JWK, JWKS or private-key
    /// PEM file (PKCS#8, PKCS#1 or SEC1); every
    /// supported content algorithm, and every key-management algorithm the keys serve, is allowed.
    #[arg(long)]
    decrypt_key: Option<PathBuf>,
    /// The token, or `-` (or nothing) to read it from standard input.
    token: Option<String>,
    /// Keys pasted into the debugger page rather than named on the command line.
    #[arg(skip)]
    pub(crate) inline: Option<InlineKey>,
}

/// Key material given as text (the debugger page), in place of a file.
#[derive(Clone)]
pub(crate) enum InlineKey {
    Jwks(String),
    Jwk(String),
    Pem(String),
    Secret(zeroize::Zeroizing<String>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out::new(cli.json);
    match run(cli.command, out) {
        Ok(code) => code,
        Err(message) => {
            out.error(&message);
            ExitCode::from(2)
        }
    }
}

fn run(command: Command, out: Out) -> Result<ExitCode, String> {
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
        Command::Explain(args) => explain(*args, out),
        Command::Keygen { alg, kid, bits, out: dir } => keys::keygen(&alg, kid, bits, dir, out),
        Command::Sign(args) => keys::sign(*args, out),
        Command::Jwks { alg, kid, files } => keys::jwks(&files, alg.as_deref(), kid),
        Command::Debugger { port } => debugger::serve(port),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "jwtguard", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Encrypt(args) => jwe::encrypt(*args),
        Command::Decrypt(args) => jwe::decrypt(*args),
        #[cfg(feature = "gateway")]
        Command::Gateway { check, config } => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the runtime: {e}"))?;
            Ok(runtime.block_on(jwtguard_gateway::run(&config, check)))
        }
    }
}

/// A validator built from the verify options, with what `explain` needs to phrase a verdict.
struct Prepared {
    runtime: tokio::runtime::Runtime,
    validator: Validator,
    /// The key set's `kid`s (local keys), or the remote key set to ask.
    local_kids: Vec<Option<String>>,
    remote: Option<RemoteJwks>,
    algorithms: Vec<String>,
}

impl Prepared {
    fn kids(&self) -> Vec<Option<String>> {
        match &self.remote {
            Some(jwks) => jwks
                .keys()
                .map(|set| set.keys().iter().map(|k| k.kid().map(str::to_owned)).collect())
                .unwrap_or_default(),
            None => self.local_kids.clone(),
        }
    }
}

fn prepare(args: &VerifyArgs) -> Result<Prepared, String> {
    let algorithms = args.alg.iter().map(|a| keys::algorithm(a)).collect::<Result<Vec<Algorithm>, _>>()?;
    let names = algorithms.iter().map(|a| a.as_str().to_owned()).collect();
    // Remote keys need a runtime for the fetch; a small one is enough for one token.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let entered = runtime.enter();
    let mut local_kids = Vec::new();
    let mut remote = None;
    let mut builder = if let Some(issuer) = &args.oidc_issuer {
        let oidc = runtime.block_on(Oidc::discover(issuer)).map_err(|e| format!("{e}: {}", source_chain(&e)))?;
        wait_for_keys(&runtime, oidc.jwks())?;
        remote = Some(oidc.jwks().clone());
        oidc.validator(algorithms)
    } else if let Some(url) = &args.jwks_url {
        let jwks = RemoteJwks::builder(url).and_then(|b| b.build()).map_err(|e| e.to_string())?;
        wait_for_keys(&runtime, &jwks)?;
        remote = Some(jwks.clone());
        Validator::builder(jwks, algorithms)
    } else {
        let set = local_keys(args)?;
        local_kids = set.keys().iter().map(|k| k.kid().map(str::to_owned)).collect();
        Validator::builder(set, algorithms)
    };
    builder = builder.leeway(Duration::from_secs(args.leeway));
    for iss in &args.iss {
        builder = builder.issuer(iss.clone());
    }
    for aud in &args.aud {
        builder = builder.audience(aud.clone());
    }
    if let Some(typ) = &args.typ {
        builder = builder.typ(typ.clone());
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
    drop(entered);
    Ok(Prepared { runtime, validator, local_kids, remote, algorithms: names })
}

fn verify(args: VerifyArgs) -> Result<ExitCode, String> {
    let p = prepare(&args)?;
    let _entered = p.runtime.enter();
    let token = read_token(args.token)?;
    match p.runtime.block_on(p.validator.verify_async::<Value>(&token)) {
        Ok(verified) => {
            let h = verified.header();
            let out = json!({
                "header": { "alg": h.alg().map_or("unsigned", |a| a.as_str()), "kid": h.kid(), "typ": h.typ() },
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

/// The validator's verdict on one token, in words: what `explain` prints and the debugger shows.
pub(crate) struct Judgement {
    pub(crate) valid: bool,
    pub(crate) kind: Option<jwtguard_core::ErrorKind>,
    pub(crate) why: String,
    pub(crate) fix: Option<String>,
    /// The verified header and claims (valid tokens only).
    pub(crate) verified: Option<(Value, Value)>,
}

impl Judgement {
    pub(crate) fn to_json(&self) -> Value {
        let mut v = explain::json(self.valid, self.kind, &self.why, self.fix.as_deref());
        if let Some((header, claims)) = &self.verified {
            v["header"] = header.clone();
            v["claims"] = claims.clone();
        }
        v
    }
}

/// Verifies `token` with the validator `args` describe and phrases the verdict.
pub(crate) fn judge(args: &VerifyArgs, token: &str) -> Result<Judgement, String> {
    let p = prepare(args)?;
    let _entered = p.runtime.enter();
    let verdict = p.runtime.block_on(p.validator.verify_async::<Value>(token));
    let policy = explain::Policy {
        args,
        oidc_issuer: args.oidc_issuer.as_deref(),
        now: p.validator.now(),
        kids: p.kids(),
        algorithms: p.algorithms.clone(),
    };
    match verdict {
        Ok(verified) => {
            let h = verified.header();
            let header = json!({ "alg": h.alg().map_or("unsigned", |a| a.as_str()), "kid": h.kid(), "typ": h.typ() });
            let why = policy.valid(&header, verified.claims());
            Ok(Judgement {
                valid: true,
                kind: None,
                why,
                fix: None,
                verified: Some((header, verified.claims().clone())),
            })
        }
        Err(err) if err.kind() == jwtguard_core::ErrorKind::KeysUnavailable => {
            Err(format!("{}: {err}", err.kind().as_str()))
        }
        Err(err) => {
            let e = policy.explain(token, &err);
            Ok(Judgement { valid: false, kind: Some(err.kind()), why: e.why, fix: Some(e.fix), verified: None })
        }
    }
}

fn explain(args: VerifyArgs, out: Out) -> Result<ExitCode, String> {
    let token = read_token(args.token.clone())?;
    let j = judge(&args, &token)?;
    if out.json {
        println!("{}", pretty(&j.to_json()));
    } else if j.valid {
        println!("{} {}", out.good("valid:"), j.why);
    } else {
        let kind = j.kind.map_or("rejected", jwtguard_core::ErrorKind::as_str);
        println!("{} {}", out.bad(&format!("rejected ({kind}):")), j.why);
        println!("{} {}", out.dim("fix:"), j.fix.as_deref().unwrap_or_default());
    }
    Ok(if j.valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn local_keys(args: &VerifyArgs) -> Result<KeySet, String> {
    match &args.inline {
        Some(InlineKey::Jwks(text)) => return KeySet::from_jwks(text).map_err(|e| e.to_string()),
        Some(InlineKey::Jwk(text)) => return Ok(Key::from_jwk(text).map_err(|e| e.to_string())?.into()),
        Some(InlineKey::Pem(text)) => return Ok(Key::from_pem(text.as_bytes()).map_err(|e| e.to_string())?.into()),
        Some(InlineKey::Secret(secret)) => {
            return Ok(Key::hmac(secret.as_bytes()).map_err(|e| e.to_string())?.into());
        }
        None => {}
    }
    if let Some(path) = &args.jwks {
        KeySet::from_jwks_file(path).map_err(|e| e.to_string())
    } else if let Some(path) = &args.key {
        Ok(Key::from_pem_file(path).map_err(|e| e.to_string())?.into())
    } else if let Some(path) = &args.secret_file {
        let secret = zeroize::Zeroizing::new(keys::read_secret(path)?);
        Ok(Key::hmac(&*secret).map_err(|e| e.to_string())?.into())
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

/// Standard input, at most 1 MiB.
pub(crate) fn read_stdin() -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err("input larger than 1 MiB".into());
    }
    Ok(buf)
}

/// A key, secret or claims file, at most 1 MiB.
pub(crate) fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut buf = Vec::new();
    file.take(MAX_INPUT + 1).read_to_end(&mut buf).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(format!("{} is larger than 1 MiB", path.display()));
    }
    Ok(buf)
}

fn read_token(arg: Option<String>) -> Result<String, String> {
    let text = match arg.as_deref() {
        Some("-") | None => String::from_utf8(read_stdin()?).map_err(|_| "the token is not UTF-8".to_owned())?,
        Some(t) => t.to_owned(),
    };
    let token = text.trim();
    if token.is_empty() {
        return Err("no token given".into());
    }
    Ok(token.to_owned())
}

/// `exp`, `nbf` and `iat` as RFC 3339, for reading next to the numbers.
pub(crate) fn times(claims: &Value) -> Value {
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
