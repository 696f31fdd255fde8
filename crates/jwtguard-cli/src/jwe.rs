//! `jwtguard encrypt` and `jwtguard decrypt`: nested JWTs (a signed token inside a JWE).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use jwtguard_core::issuer::EncryptionKey;
use jwtguard_core::{ContentEncryption, DecryptionKey, DecryptionKeys, KeyManagement, dangerous};

/// Arguments of `jwtguard encrypt`.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("recipient").required(true).args(["to", "secret_file"])))]
pub(crate) struct EncryptArgs {
    /// Key-management algorithm: dir, A128KW, A256KW, RSA-OAEP, RSA-OAEP-256, ECDH-ES,
    /// ECDH-ES+A128KW, ECDH-ES+A256KW.
    #[arg(long)]
    alg: String,
    /// Content-encryption algorithm: A128GCM, A256GCM, A128CBC-HS256, A256CBC-HS512.
    #[arg(long)]
    enc: String,
    /// The recipient's public JWK file (RSA, EC P-256/384/521, OKP X25519) or an `oct` JWK.
    #[arg(long)]
    to: Option<PathBuf>,
    /// A file holding a shared key of 16, 32 or 64 raw bytes.
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// The signed token (JWS) to encrypt, or `-` (or nothing) to read it from standard input.
    token: Option<String>,
}

/// Arguments of `jwtguard decrypt`.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("keys").required(true).args(["key", "secret_file"])))]
pub(crate) struct DecryptArgs {
    /// A private JWK, a JWKS of private keys (`use` enc), or a private-key PEM file (PKCS#8,
    /// PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    #[arg(long)]
    key: Option<PathBuf>,
    /// A file holding a shared key of 16, 32 or 64 raw bytes.
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// Allowed key-management algorithms, comma-separated. Defaults to every supported one.
    #[arg(long, value_delimiter = ',')]
    alg: Vec<String>,
    /// Allowed content-encryption algorithms, comma-separated. Defaults to every supported one.
    #[arg(long, value_delimiter = ',')]
    enc: Vec<String>,
    /// The encrypted token (JWE), or `-` (or nothing) to read it from standard input.
    token: Option<String>,
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Decryption keys from a private JWK, a JWKS of private keys, or a private-key PEM file
/// (PKCS#8, PKCS#1 or SEC1), shared by `decrypt` and `verify --decrypt-key`. A PEM key has no
/// kid, so it is tried for any.
pub(crate) fn decryption_keys(path: &Path) -> Result<DecryptionKeys, String> {
    let bytes = read(path)?;
    if bytes.trim_ascii_start().starts_with(b"-----BEGIN ") {
        return DecryptionKey::from_pem(&bytes).map(Into::into).map_err(|e| format!("{}: {e}", path.display()));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|_| format!("{} is not JSON", path.display()))?;
    if doc.get("keys").is_some() {
        DecryptionKeys::from_jwks(&text).map_err(|e| e.to_string())
    } else {
        DecryptionKey::from_jwk(&text).map(Into::into).map_err(|e| e.to_string())
    }
}

fn list<T: std::str::FromStr<Err = jwtguard_core::ConfigError> + Copy>(
    names: &[String],
    all: &[T],
) -> Result<Vec<T>, String> {
    if names.is_empty() {
        return Ok(all.to_vec());
    }
    names.iter().map(|n| n.trim().parse::<T>().map_err(|e| e.to_string())).collect()
}

pub(crate) fn encrypt(args: EncryptArgs) -> Result<ExitCode, String> {
    let alg: KeyManagement = args.alg.parse().map_err(|e: jwtguard_core::ConfigError| e.to_string())?;
    let enc: ContentEncryption = args.enc.parse().map_err(|e: jwtguard_core::ConfigError| e.to_string())?;
    let key = match (&args.to, &args.secret_file) {
        (Some(path), _) => {
            let text = String::from_utf8(read(path)?).map_err(|_| format!("{} is not UTF-8", path.display()))?;
            EncryptionKey::from_jwk(&text).map_err(|e| e.to_string())?
        }
        (None, Some(path)) => EncryptionKey::shared(read(path)?).map_err(|e| e.to_string())?,
        (None, None) => return Err("one of --to or --secret-file is needed".into()),
    };
    let token = crate::read_token(args.token)?;
    if token.split('.').count() != 3 {
        return Err("the input is not a signed token (JWS compact serialization); encrypt a signed JWT".into());
    }
    let jwe = key.encrypt(alg, enc, &token).map_err(|e| e.to_string())?;
    println!("{jwe}");
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn decrypt(args: DecryptArgs) -> Result<ExitCode, String> {
    let keys = match (&args.key, &args.secret_file) {
        (Some(path), _) => decryption_keys(path)?,
        (None, Some(path)) => DecryptionKey::shared(read(path)?).map_err(|e| e.to_string())?.into(),
        (None, None) => return Err("one of --key or --secret-file is needed".into()),
    };
    let algs = list(&args.alg, &KeyManagement::ALL)?;
    let encs = list(&args.enc, &ContentEncryption::ALL)?;
    let token = crate::read_token(args.token)?;
    match dangerous::decrypt_unverified(&token, keys, algs, encs) {
        Ok(plaintext) => {
            eprintln!(
                "warning: decrypted only: a signature inside was not verified (use `jwtguard verify --decrypt-key`)"
            );
            println!("{}", String::from_utf8_lossy(&plaintext));
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("error: {}: {err}", err.kind().as_str());
            Ok(ExitCode::from(1))
        }
    }
}
