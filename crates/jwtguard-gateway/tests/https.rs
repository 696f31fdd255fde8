//! The reverse proxy over HTTPS, with a test CA made at test time, and a certificate reload
//! (new files on disk) in the middle of traffic without a failed request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use jwtguard_gateway::Mode;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};
use serde_json::{Value, json};
use support::*;

struct Ca(CertifiedIssuer<'static, KeyPair>);

impl Ca {
    fn new() -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "jwtguard test CA");
        Ca(CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap())
    }

    /// A server certificate for 127.0.0.1 and localhost: (chain PEM, key PEM, DER).
    fn leaf(&self, name: &str) -> (String, String, Vec<u8>) {
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.subject_alt_names.push(SanType::IpAddress([127, 0, 0, 1].into()));
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.0).unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    }
}

fn https_client(ca: &Ca) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.0.pem().as_bytes()).unwrap()])
        .tls_info(true)
        // Every request on a new connection, so each one shakes hands with the current certificate.
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

fn peer_cert(res: &reqwest::Response) -> Vec<u8> {
    res.extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

/// Writes a pair the way a certificate manager should: each file renamed into place.
fn install(dir: &TempDir, (chain, key, _): &(String, String, Vec<u8>)) {
    for (name, text) in [("key.pem", key), ("chain.pem", chain)] {
        let tmp = dir.write(&format!("{name}.new"), text);
        std::fs::rename(tmp, dir.0.join(name)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_over_https_reloads_its_certificate_during_traffic_without_a_failed_request() {
    let ca = Ca::new();
    let (one, two) = (ca.leaf("gateway one"), ca.leaf("gateway two"));
    let tls = TempDir::new("tls");
    install(&tls, &one);
    let upstream = Upstream::start().await;
    let cfg = format!(
        "[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"proxy\"\nupstream = \"{}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n{}{ROUTES}",
        upstream.url(),
        tls.0.join("chain.pem").display(),
        tls.0.join("key.pem").display(),
        issuers_and_headers()
    );
    let gw = start(&cfg).await;
    let url = gw.url(Mode::Proxy).replace("http://", "https://");
    let client = https_client(&ca);
    let token = token_a(json!({}));

    let res = client.get(format!("{url}/x")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(peer_cert(&res), one.2);
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["x-auth-request-user"], "alice");
    assert_eq!(seen["x-forwarded-proto"], "https");
    let res = client.get(format!("{url}/x")).send().await.unwrap();
    assert_eq!(res.status(), 401, "the same answers over HTTPS");

    // Traffic on new connections all along; the files change under it.
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, failed, saw_two) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let traffic = {
        let (stop, sent, failed, saw_two) = (stop.clone(), sent.clone(), failed.clone(), saw_two.clone());
        let (client, url, token, two_der) = (client.clone(), url.clone(), token.clone(), two.2.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                sent.fetch_add(1, Ordering::SeqCst);
                match client.get(format!("{url}/x")).bearer_auth(&token).send().await {
                    Ok(res) if res.status() == 200 => {
                        if peer_cert(&res) == two_der {
                            saw_two.store(true, Ordering::SeqCst);
                        }
                    }
                    Ok(res) => panic!("status {}", res.status()),
                    Err(e) => {
                        eprintln!("request failed: {e:?}");
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        })
    };
    jwtguard_test::eventually("traffic before the reload", || sent.load(Ordering::SeqCst) > 5).await;
    install(&tls, &two);
    jwtguard_test::eventually("a handshake with the new certificate", || saw_two.load(Ordering::SeqCst)).await;
    let after = sent.load(Ordering::SeqCst);
    jwtguard_test::eventually("traffic after the reload", || sent.load(Ordering::SeqCst) > after + 5).await;
    stop.store(true, Ordering::SeqCst);
    traffic.await.unwrap();
    assert_eq!(failed.load(Ordering::SeqCst), 0, "of {} requests", sent.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_broken_pair_on_disk_keeps_the_certificate_in_use() {
    let ca = Ca::new();
    let (one, two) = (ca.leaf("gateway one"), ca.leaf("gateway two"));
    let tls = TempDir::new("tls");
    install(&tls, &one);
    let cfg = format!(
        "[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"forward_auth\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n{}{ROUTES}",
        tls.0.join("chain.pem").display(),
        tls.0.join("key.pem").display(),
        issuers_and_headers()
    );
    let gw = start(&cfg).await;
    let url = gw.url(Mode::ForwardAuth).replace("http://", "https://");
    let client = https_client(&ca);
    // The new certificate with the old key: not a pair.
    std::fs::write(tls.0.join("chain.pem"), &two.0).unwrap();
    // Past a reload check (real time, bounded by the hang guard): still the old one, serving.
    let mut checks = 0;
    while checks < 3 {
        let res = client.get(format!("{url}/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(peer_cert(&res), one.2);
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        checks += 1;
    }
}

/// A port free right now (bound, then released), for a listener whose port another listener's
/// configuration must name.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_listener_sends_plain_http_clients_to_the_https_listener() {
    let ca = Ca::new();
    let tls = TempDir::new("tls");
    install(&tls, &ca.leaf("gateway"));
    let upstream = Upstream::start().await;
    let https_port = free_port();
    let cfg = format!(
        "[[listener]]\naddr = \"127.0.0.1:{https_port}\"\nmode = \"proxy\"\nupstream = \"{}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n\
         [[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"redirect_https\"\nhttps_port = {https_port}\n{}{ROUTES}",
        upstream.url(),
        tls.0.join("chain.pem").display(),
        tls.0.join("key.pem").display(),
        issuers_and_headers()
    );
    let gw = start(&cfg).await;
    let plain = gw.url(Mode::RedirectHttps).replace("127.0.0.1", "localhost");

    // A client that follows redirects lands on the HTTPS listener, same path and query.
    let following = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.0.pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let res = following.get(format!("{plain}/public/x?y=1")).send().await.unwrap();
    assert_eq!(res.url().as_str(), format!("https://localhost:{https_port}/public/x?y=1"));
    assert_eq!(res.status(), 200);
    let seen: Value = res.json().await.unwrap();
    assert_eq!((seen[":path"].as_str(), seen["x-forwarded-proto"].as_str()), (Some("/public/x?y=1"), Some("https")));
    assert_eq!(upstream.hits(), 1, "only the HTTPS request reached the upstream");

    // The answer itself: 308 (method and body kept), the request's host, the HTTPS port.
    let res = client()
        .post(format!("{}/orders/1?a=b", gw.url(Mode::RedirectHttps)))
        .header("Host", "API.example:8080")
        .bearer_auth(token_a(json!({})))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 308);
    assert_eq!(header(&res, "location").as_deref(), Some(&*format!("https://api.example:{https_port}/orders/1?a=b")));
    assert_eq!(upstream.hits(), 1, "a redirect listener never proxies");
}

#[tokio::test]
async fn a_redirect_never_echoes_a_host_that_is_not_a_bare_host_name() {
    let base = |extra: &str| {
        format!(
            "[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"redirect_https\"\n{extra}{}{ROUTES}",
            issuers_and_headers()
        )
    };
    let gw = start(&base("")).await;
    let url = gw.url(Mode::RedirectHttps);
    let odd = ["api!.example", "a%41.example", "a;b.example", "a*b", "a,b", "[::1", "[nope]"];
    for host in ["evil.example/x", "user@api.example", "api.example:8080:1", "api .example", ""].into_iter().chain(odd)
    {
        let res = client().get(format!("{url}/")).header("Host", host).send().await.unwrap();
        assert_eq!((res.status().as_u16(), header(&res, "location")), (400, None), "Host: {host}");
    }
    let res = client().get(format!("{url}/a")).header("Host", "[::1]:80").send().await.unwrap();
    assert_eq!(header(&res, "location").as_deref(), Some("https://[::1]/a"), "443 is left out");

    // HTTP/1.0 without a Host: nothing to redirect to.
    let mut conn = tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut conn, b"GET /a HTTP/1.0\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut conn, &mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.0 400"), "{}", String::from_utf8_lossy(&answer));

    // The asterisk form names no resource.
    let mut conn = tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut conn, b"OPTIONS * HTTP/1.0\r\nHost: api.example\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut conn, &mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.0 400"), "{}", String::from_utf8_lossy(&answer));

    // An absolute-form request with a query and no path; CONNECT names no resource.
    for (request, want) in [
        (&b"GET http://api.example?x=1 HTTP/1.0\r\n\r\n"[..], &b"location: https://api.example/?x=1"[..]),
        (b"CONNECT api.example:443 HTTP/1.0\r\n\r\n", b"HTTP/1.0 400"),
    ] {
        let mut conn = tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut conn, request).await.unwrap();
        let mut answer = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut conn, &mut answer).await.unwrap();
        let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        assert!(text.contains(&String::from_utf8_lossy(want).to_ascii_lowercase()), "{text}");
    }

    // A fixed host wins over the request's.
    let fixed = start(&base("redirect_host = \"api.example\"\nhttps_port = 8443\n")).await;
    let res = client()
        .get(format!("{}/a?b", fixed.url(Mode::RedirectHttps)))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "location").as_deref(), Some("https://api.example:8443/a?b"));
}
