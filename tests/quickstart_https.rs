//! The quickstarts' HTTPS mode (`TLS_CERT_FILE`, `TLS_KEY_FILE`): both apps, as their `main`
//! serves them, over TLS with a certificate from a test CA made here; the same answers as over
//! HTTP; no answer in the clear on the TLS port; and the settings' mistakes said at start.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../examples/common/actix_app.rs"]
mod actix_app;
#[path = "support/apps.rs"]
mod apps;
#[path = "../examples/common/axum_app.rs"]
mod axum_app;
#[path = "../examples/common/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;

use std::collections::BTreeMap;
use std::path::PathBuf;

use quickstart::{Auth, Settings};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};

/// A CA and a `localhost` / 127.0.0.1 server certificate signed by it, written to a temp folder:
/// (the CA's PEM, the settings naming the chain and key files).
fn tls_settings(tag: &str) -> (String, Settings) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "jwtguard quickstart test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.subject_alt_names.push(SanType::IpAddress([127, 0, 0, 1].into()));
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &ca).unwrap();

    let dir = std::env::temp_dir().join(format!("jwtguard-quickstart-https-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let vars = BTreeMap::from([
        ("TLS_CERT_FILE", cert_file.display().to_string()),
        ("TLS_KEY_FILE", key_file.display().to_string()),
        // One signing key for the apps and the test's tokens (the embedded default is made per app).
        ("SIGNING_KEY_FILE", jwtguard_test::key_path("p256.key.pem").display().to_string()),
    ]);
    let settings = Settings::from_vars(0, |name| vars.get(name).cloned()).unwrap();
    (ca.pem(), settings)
}

fn https_client(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        // A server that stopped answering fails the test instead of hanging CI until its limit.
        .timeout(jwtguard_test::HANG_GUARD)
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .build()
        .unwrap()
}

#[actix_web::test]
async fn both_quickstarts_serve_https_with_the_same_answers() {
    let (ca, settings) = tls_settings("serve");
    let auth = Auth::new(&settings).await.unwrap();
    let token = auth.demo_token("orders:read").unwrap();
    let client = https_client(&ca);
    for (name, addr) in [("axum", apps::start_axum(&settings).await), ("actix", apps::start_actix(&settings).await)] {
        let base = format!("https://localhost:{}", addr.port());
        let res = client.get(format!("{base}/me")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 200, "{name}");
        let res = client.get(format!("{base}/me")).send().await.unwrap();
        assert_eq!(res.status(), 401, "{name}");
        assert_eq!(res.headers()["www-authenticate"], r#"Bearer realm="api""#, "{name}");

        // The TLS port never answers a plain HTTP request (a bearer token in the clear).
        let plain = reqwest::Client::builder().no_proxy().build().unwrap();
        let res = plain.get(format!("http://127.0.0.1:{}/me", addr.port())).bearer_auth(&token).send().await;
        assert!(res.map_or(true, |r| !r.status().is_success()), "{name}: a plain HTTP request was served");
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_does_not_hold_up_others() {
    let (ca, settings) = tls_settings("slow");
    let addr = apps::start_axum(&settings).await;
    // Connected, silent: its handshake waits in its own task.
    let silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let res = https_client(&ca).get(format!("https://localhost:{}/", addr.port())).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // Served while the silent handshake is still pending: a server that shook hands one client
    // at a time would only have answered after giving up on (and closing) the silent one.
    let still_open = matches!(silent.try_read(&mut [0u8; 1]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
    assert!(still_open, "the silent connection was closed before the other client was served");
}

#[test]
fn tls_settings_mistakes_are_said_at_start() {
    let vars = |pairs: &[(&str, &str)]| {
        let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_vars(3000, move |name| map.get(name).cloned())
    };
    assert_eq!(vars(&[("TLS_CERT_FILE", "cert.pem")]).unwrap_err(), "TLS_CERT_FILE and TLS_KEY_FILE go together");
    assert_eq!(vars(&[("TLS_KEY_FILE", "key.pem")]).unwrap_err(), "TLS_CERT_FILE and TLS_KEY_FILE go together");
    assert!(vars(&[]).unwrap().tls.is_none(), "plain HTTP by default");

    let missing = quickstart::TlsFiles { cert: PathBuf::from("/nonexistent/cert.pem"), key: PathBuf::from("/k.pem") };
    let err = missing.server_config(&[]).unwrap_err();
    assert!(err.starts_with("TLS_CERT_FILE /nonexistent/cert.pem"), "{err}");

    // A public key where the certificate goes, a certificate where the key goes.
    let (_, settings) = tls_settings("mistakes");
    let files = settings.tls.unwrap();
    let not_a_cert = quickstart::TlsFiles { cert: jwtguard_test::key_path("p256.pub.pem"), key: files.key.clone() };
    assert!(not_a_cert.server_config(&[]).unwrap_err().contains("no CERTIFICATE"), "public key as certificate");
    let not_a_key = quickstart::TlsFiles { cert: files.cert.clone(), key: files.cert.clone() };
    assert!(not_a_key.server_config(&[]).unwrap_err().starts_with("TLS_KEY_FILE"), "certificate as key");
    let other_key = quickstart::TlsFiles { cert: files.cert, key: jwtguard_test::key_path("p256.key.pem") };
    assert!(other_key.server_config(&[]).is_err(), "a key that is not the certificate's");
}
