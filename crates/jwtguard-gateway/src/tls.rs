//! HTTPS listeners: rustls (aws-lc-rs) with the certificate chain and key from PEM files,
//! reloaded without a restart when the files change (checked every few seconds) or on SIGHUP.
//! A reload that fails keeps the certificate in use and logs why.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::aws_lc_rs;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// How often the files are checked for a change.
pub(crate) const RELOAD_CHECK: Duration = Duration::from_secs(2);

/// The certificate of one listener, swapped in place on reload.
pub(crate) struct Certificate {
    cert: PathBuf,
    key: PathBuf,
    current: Arc<RwLock<Arc<CertifiedKey>>>,
    /// Rebuilt on every reload, so its session cache starts empty: no session resumed after a
    /// reload still rests on the certificate replaced.
    config: RwLock<Arc<rustls::ServerConfig>>,
    /// The files' modification times when last loaded.
    stamp: RwLock<Option<(SystemTime, SystemTime)>>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate").field("cert", &self.cert).field("key", &self.key).finish_non_exhaustive()
    }
}

/// Reads a certificate chain and its private key.
///
/// # Errors
/// What is wrong, naming the file.
pub(crate) fn load(cert: &Path, key: &Path) -> Result<CertifiedKey, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no CERTIFICATE in the file", cert.display()));
    }
    let der = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let signing = aws_lc_rs::sign::any_supported_type(&der).map_err(|e| format!("{}: {e}", key.display()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| format!("{} does not match {}: {e}", key.display(), cert.display()))?;
    Ok(certified)
}

fn stamp(cert: &Path, key: &Path) -> Option<(SystemTime, SystemTime)> {
    let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    Some((m(cert)?, m(key)?))
}

impl Certificate {
    pub(crate) fn new(cert: &Path, key: &Path) -> Result<Certificate, String> {
        let current = Arc::new(RwLock::new(Arc::new(load(cert, key)?)));
        Ok(Certificate {
            cert: cert.to_owned(),
            key: key.to_owned(),
            config: RwLock::new(server_config(&current)?),
            current,
            stamp: RwLock::new(stamp(cert, key)),
        })
    }

    /// Loads the files again if they changed since the last load (or always, when `force`).
    pub(crate) fn reload(&self, force: bool) {
        let now = stamp(&self.cert, &self.key);
        let last = self.stamp.read().ok().and_then(|s| *s);
        if !force && now == last {
            return;
        }
        match load(&self.cert, &self.key) {
            Ok(loaded) => {
                if let Ok(mut current) = self.current.write() {
                    *current = Arc::new(loaded);
                }
                match server_config(&self.current) {
                    Ok(config) => {
                        if let Ok(mut c) = self.config.write() {
                            *c = config;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "TLS configuration not rebuilt"),
                }
                if let Ok(mut s) = self.stamp.write() {
                    *s = now;
                }
                tracing::info!(cert = %self.cert.display(), "TLS certificate reloaded");
            }
            // A half-written pair (the certificate replaced, the key not yet): keep serving
            // the old one; the next check tries again.
            Err(e) => tracing::warn!(error = %e, "TLS certificate not reloaded; the previous one stays in use"),
        }
    }

    /// An acceptor for one connection, with the configuration of the current certificate.
    pub(crate) fn acceptor(&self) -> Option<tokio_rustls::TlsAcceptor> {
        self.config.read().ok().map(|c| tokio_rustls::TlsAcceptor::from(c.clone()))
    }
}

/// A rustls server configuration serving the current certificate (HTTP/1.1 only).
fn server_config(current: &Arc<RwLock<Arc<CertifiedKey>>>) -> Result<Arc<rustls::ServerConfig>, String> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Resolver(current.clone())));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[derive(Debug)]
struct Resolver(Arc<RwLock<Arc<CertifiedKey>>>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.read().ok().map(|c| c.clone())
    }
}
