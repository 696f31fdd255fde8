#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

/// A config file next to the fixture keys, so `pem_files = ["p256.pub.pem"]` resolves.
fn at_keys() -> PathBuf {
    jwtguard_test::key_path("gateway.toml")
}

const LISTENER: &str = "[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"forward_auth\"\n";
const ISSUER: &str = "[[issuer]]\nname = \"main\"\nissuer = \"https://a.example\"\nalgorithms = [\"ES256\"]\npem_files = [\"p256.pub.pem\"]\n";
const ROUTE: &str = "[[route]]\npath = \"/\"\n";

fn err(text: &str) -> ConfigError {
    match Config::from_str_at(text, at_keys()) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

/// The line `needle` is on in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_complete_file_is_accepted() {
    let text = format!(
        "realm = \"shop\"\n{LISTENER}\n[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"proxy\"\nupstream = \"http://127.0.0.1:8080\"\n\
         {ISSUER}audiences = [\"orders\"]\n\n[[issuer]]\nname = \"other\"\nissuer = \"https://b.example\"\nalgorithms = [\"RS256\"]\n\
         pem_files = [\"rsa.pub.pem\"]\n\n{ROUTE}scopes = [\"orders:read\"]\nclaims = {{ tenant = \"acme\" }}\n\n\
         [[route]]\npath = \"/public\"\npublic = true\n\n[headers]\n\"X-Auth-Request-User\" = \"sub\"\n\
         \"X-Auth-Request-Scopes\" = \"@scopes\"\n\"X-Jwt-Payload\" = \"@payload\"\n\n[log]\nformat = \"text\"\nlevel = \"debug\"\n"
    );
    let config = Config::from_str_at(&text, at_keys()).unwrap();
    assert_eq!(config.listeners.len(), 2);
    assert_eq!(config.routes[0].issuers, [0, 1], "a route without `issuers` accepts every issuer");
    assert_eq!(config.headers.len(), 3);
    assert_eq!(config.challenge.realm(), "shop");
    assert_eq!(config.log_format, LogFormat::Text);
}

#[test]
fn toml_syntax_error_names_file_and_line() {
    let text = format!("{LISTENER}{ISSUER}{ROUTE}[headers\n");
    let e = err(&text);
    assert_eq!(e.file(), at_keys());
    assert_eq!(e.line(), Some(line_of(&text, "[headers")));
}

#[test]
fn unknown_key_names_its_line_and_key() {
    let text = format!("{LISTENER}{ISSUER}audience = [\"x\"]\n{ROUTE}");
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(line_of(&text, "audience =")), "audience"));
    assert!(e.message().contains("unknown field"), "{e}");
}

#[test]
fn unknown_mode_names_its_line() {
    let text = format!("[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"sideways\"\n{ISSUER}{ROUTE}");
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(3), "mode"));
}

#[test]
fn missing_listener_is_an_error() {
    let e = err(&format!("{ISSUER}{ROUTE}"));
    assert_eq!(e.key(), "listener");
}

#[test]
fn bad_listen_address_names_its_line() {
    let text = format!("[[listener]]\naddr = \"localhost\"\nmode = \"forward_auth\"\n{ISSUER}{ROUTE}");
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(2), "listener[0].addr"));
}

#[test]
fn proxy_listener_needs_an_http_upstream() {
    let e = err(&format!("[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"proxy\"\n{ISSUER}{ROUTE}"));
    assert_eq!((e.line(), e.key()), (Some(1), "listener[0].upstream"));
    let text = format!(
        "[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"proxy\"\nupstream = \"https://x.example\"\n{ISSUER}{ROUTE}"
    );
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(4), "listener[0].upstream"));
}

#[test]
fn forward_auth_listener_with_upstream_is_an_error() {
    let text = format!(
        "[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"forward_auth\"\nupstream = \"http://127.0.0.1:1\"\n{ISSUER}{ROUTE}"
    );
    assert_eq!(err(&text).line(), Some(4));
}

#[test]
fn unreadable_pem_file_names_the_file_line_and_key() {
    let text = format!(
        "{LISTENER}[[issuer]]\nname = \"main\"\nalgorithms = [\"ES256\"]\npem_files = [\"p256.pub.pem\", \"nope.pem\"]\n{ROUTE}"
    );
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(line_of(&text, "nope.pem")), "issuer[0].pem_files"));
    assert!(e.message().contains("nope.pem"), "{e}");
    assert!(e.to_string().starts_with(&format!(
        "{}:{}: issuer[0].pem_files: ",
        at_keys().display(),
        e.line().unwrap()
    )));
}

#[test]
fn bad_jwks_file_names_its_line() {
    let text =
        format!("{LISTENER}[[issuer]]\nname = \"m\"\nalgorithms = [\"ES256\"]\njwks_file = \"p256.pub.pem\"\n{ROUTE}");
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(line_of(&text, "jwks_file")), "issuer[0].jwks_file"));
}

#[test]
fn unknown_algorithm_names_its_line() {
    let text = format!(
        "{LISTENER}[[issuer]]\nname = \"m\"\nalgorithms = [\"ES256\", \"none\"]\npem_files = [\"p256.pub.pem\"]\n{ROUTE}"
    );
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(line_of(&text, "algorithms")), "issuer[0].algorithms"));
}

#[test]
fn empty_algorithm_list_is_an_error() {
    let text = format!("{LISTENER}[[issuer]]\nname = \"m\"\nalgorithms = []\npem_files = [\"p256.pub.pem\"]\n{ROUTE}");
    assert_eq!(err(&text).key(), "issuer[0].algorithms");
}

#[test]
fn issuer_needs_exactly_one_key_source() {
    let text = format!(
        "{LISTENER}[[issuer]]\nname = \"m\"\nalgorithms = [\"ES256\"]\npem_files = [\"p256.pub.pem\"]\njwks_url = \"https://x.example/jwks\"\n{ROUTE}"
    );
    assert_eq!(err(&text).key(), "issuer[0]");
    let none = format!("{LISTENER}[[issuer]]\nname = \"m\"\nalgorithms = [\"ES256\"]\n{ROUTE}");
    assert_eq!(err(&none).key(), "issuer[0]");
}

#[test]
fn bad_jwks_url_names_its_line() {
    let text = format!("{LISTENER}[[issuer]]\nname = \"m\"\nalgorithms = [\"ES256\"]\njwks_url = \"ftp://x\"\n{ROUTE}");
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(line_of(&text, "jwks_url")), "issuer[0].jwks_url"));
}

#[test]
fn discovery_needs_an_issuer() {
    let text = format!("{LISTENER}[[issuer]]\nname = \"m\"\nalgorithms = [\"ES256\"]\ndiscovery = true\n{ROUTE}");
    assert_eq!(err(&text).key(), "issuer[0].discovery");
}

#[test]
fn duplicate_issuer_name_names_the_second() {
    let text = format!("{LISTENER}{ISSUER}{}{ROUTE}", ISSUER.replace("a.example", "b.example"));
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(10), "issuer[1].name"));
}

#[test]
fn route_naming_an_unknown_issuer_names_its_line() {
    let text = format!("{LISTENER}{ISSUER}[[route]]\npath = \"/\"\nissuers = [\"main\", \"mian\"]\n");
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(line_of(&text, "mian")), "route[0].issuers"));
    assert!(e.message().contains("mian"));
}

#[test]
fn issuers_sharing_a_route_need_an_iss() {
    let text = format!(
        "{LISTENER}{ISSUER}[[issuer]]\nname = \"x\"\nalgorithms = [\"RS256\"]\npem_files = [\"rsa.pub.pem\"]\n{ROUTE}"
    );
    assert_eq!(err(&text).key(), "route[0].issuers");
}

#[test]
fn route_path_must_start_with_a_slash() {
    let text = format!("{LISTENER}{ISSUER}[[route]]\npath = \"api\"\n");
    assert_eq!(err(&text).key(), "route[0].path");
}

/// Found in review: routes that could never match, or never apply, were accepted silently.
#[test]
fn a_route_that_could_never_apply_is_an_error() {
    for path in ["/a//b", "/a/../b", "/a%20b", "/a;b", "/./a"] {
        let text = format!("{LISTENER}{ISSUER}[[route]]\npath = \"{path}\"\n");
        assert_eq!(err(&text).key(), "route[0].path", "{path}");
    }
    let twice =
        format!("{LISTENER}{ISSUER}{ROUTE}[[route]]\npath = \"/admin\"\n[[route]]\npath = \"/admin\"\npublic = true\n");
    assert_eq!(err(&twice).key(), "route[2].path");
    assert_eq!(err(&twice).line(), Some(line_of(&twice, "public = true") - 1));
    let same_host = format!(
        "{LISTENER}{ISSUER}{ROUTE}[[route]]\npath = \"/\"\nhost = \"A.example\"\n[[route]]\npath = \"/\"\nhost = \"a.example.\"\n"
    );
    assert_eq!(err(&same_host).key(), "route[2].path");
    for host in ["a.example:443", "", "[::1]"] {
        let text = format!("{LISTENER}{ISSUER}[[route]]\npath = \"/\"\nhost = \"{host}\"\n");
        assert_eq!(err(&text).key(), "route[0].host", "{host}");
    }
}

#[test]
fn public_route_with_rules_is_an_error() {
    let text = format!("{LISTENER}{ISSUER}[[route]]\npath = \"/\"\npublic = true\nscopes = [\"a\"]\n");
    assert_eq!(err(&text).key(), "route[0].public");
}

#[test]
fn optional_route_with_rules_is_an_error() {
    let text = format!("{LISTENER}{ISSUER}[[route]]\npath = \"/\"\noptional = true\nroles = [\"a\"]\n");
    assert_eq!(err(&text).key(), "route[0].optional");
}

#[test]
fn scope_with_a_quote_is_an_error() {
    let text = format!("{LISTENER}{ISSUER}[[route]]\npath = \"/\"\nscopes = [\"a\\\"b\"]\n");
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(line_of(&text, "scopes")), "route[0].scopes"));
}

#[test]
fn no_route_is_an_error() {
    assert_eq!(err(&format!("{LISTENER}{ISSUER}")).key(), "route");
}

#[test]
fn protected_route_without_any_issuer_is_an_error() {
    assert_eq!(err(&format!("{LISTENER}{ROUTE}")).key(), "route[0].issuers");
}

#[test]
fn invalid_header_name_names_its_line() {
    let text = format!("{LISTENER}{ISSUER}{ROUTE}[headers]\n\"X User\" = \"sub\"\n");
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(line_of(&text, "X User")), "headers.X User"));
}

#[test]
fn reserved_header_cannot_carry_a_claim() {
    let text = format!("{LISTENER}{ISSUER}{ROUTE}[headers]\n\"Authorization\" = \"sub\"\n");
    assert_eq!(err(&text).key(), "headers.Authorization");
}

#[test]
fn unknown_special_header_source_is_an_error() {
    let text = format!("{LISTENER}{ISSUER}{ROUTE}[headers]\n\"X-A\" = \"@everything\"\n");
    assert_eq!(err(&text).key(), "headers.X-A");
}

#[test]
fn bad_log_level_names_its_line() {
    let text = format!("{LISTENER}{ISSUER}{ROUTE}[log]\nlevel = \"loud\"\n");
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(line_of(&text, "loud")), "log.level"));
}

#[test]
fn bad_realm_names_its_line() {
    let text = format!("realm = \"a\\nb\"\n{LISTENER}{ISSUER}{ROUTE}");
    assert_eq!((err(&text).line(), err(&text).key()), (Some(1), "realm"));
}

#[test]
fn bad_envoy_prefix_is_an_error() {
    let text = format!("{LISTENER}{ISSUER}{ROUTE}[forward_auth]\nenvoy_path_prefix = \"ext_authz/\"\n");
    assert_eq!(err(&text).key(), "forward_auth.envoy_path_prefix");
}

#[test]
fn missing_file_names_the_file() {
    let e = Config::from_file(jwtguard_test::key_path("no-such-gateway.toml")).unwrap_err();
    assert_eq!(e.line(), None);
    assert!(e.to_string().contains("no-such-gateway.toml"), "{e}");
}

#[test]
fn bad_trusted_proxy_names_its_line() {
    let text = format!("{LISTENER}{ISSUER}{ROUTE}[server]\nrequire_https = true\ntrusted_proxies = [\"10.0.0.0/8\"]\n");
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(line_of(&text, "10.0.0.0/8")), "server.trusted_proxies"));
}

#[test]
fn require_https_needs_trusted_proxies() {
    let text = format!("{LISTENER}{ISSUER}{ROUTE}[server]\nrequire_https = true\n");
    assert_eq!(err(&text).key(), "server.require_https");
}

#[test]
fn tls_files_that_do_not_load_name_their_line() {
    let text = format!(
        "[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"forward_auth\"\ntls_cert = \"p256.pub.pem\"\ntls_key = \"p256.key.pem\"\n{ISSUER}{ROUTE}"
    );
    let e = err(&text);
    assert_eq!((e.line(), e.key()), (Some(4), "listener[0].tls_cert"));
    let half =
        format!("[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"forward_auth\"\ntls_cert = \"x.pem\"\n{ISSUER}{ROUTE}");
    assert_eq!(err(&half).key(), "listener[0].tls_key");
}

#[test]
fn revocation_takes_one_redis_topology() {
    let ok = |rev: &str| Config::from_str_at(&format!("{LISTENER}{ISSUER}{ROUTE}[revocation]\n{rev}"), at_keys());
    let single = ok("redis = \"redis://127.0.0.1:6379\"\n").unwrap().revocation.unwrap();
    assert_eq!(single.redis, RedisTopology::Single("redis://127.0.0.1:6379".into()));
    assert_eq!((single.prefix.as_str(), single.max_stale), ("jwtguard", Duration::from_secs(1)));
    let cluster = ok("redis_cluster = [\"redis://10.0.0.1:6379\", \"redis://10.0.0.2:6379\"]\nprefix = \"shop\"\nmax_stale_ms = 250\n")
        .unwrap()
        .revocation
        .unwrap();
    assert_eq!(
        cluster.redis,
        RedisTopology::Cluster(vec!["redis://10.0.0.1:6379".into(), "redis://10.0.0.2:6379".into()])
    );
    assert_eq!((cluster.prefix.as_str(), cluster.max_stale), ("shop", Duration::from_millis(250)));
    let sentinel =
        ok("redis_sentinels = [\"redis://10.0.0.1:26379\"]\nmaster_name = \"mymaster\"\n").unwrap().revocation.unwrap();
    assert_eq!(
        sentinel.redis,
        RedisTopology::Sentinel { sentinels: vec!["redis://10.0.0.1:26379".into()], master_name: "mymaster".into() }
    );
    assert!(Config::from_str_at(&format!("{LISTENER}{ISSUER}{ROUTE}"), at_keys()).unwrap().revocation.is_none());
}

#[test]
fn revocation_mistakes_name_their_line_and_key() {
    let cases = [
        ("redis = \"redis://a:1\"\nredis_cluster = [\"redis://b:1\"]\n", "[revocation]", "revocation"),
        ("max_stale_ms = 100\n", "[revocation]", "revocation"),
        ("redis = \"rediss://a:6379\"\n", "rediss://", "revocation.redis"),
        ("redis = \"http://a:6379\"\n", "http://", "revocation.redis"),
        ("redis_cluster = []\n", "redis_cluster", "revocation.redis_cluster"),
        ("redis_cluster = [\"redis://a:1\", \"a:2\"]\n", "redis_cluster", "revocation.redis_cluster"),
        ("redis_sentinels = [\"redis://a:26379\"]\n", "redis_sentinels", "revocation.master_name"),
        ("redis = \"redis://a:1\"\nmaster_name = \"m\"\n", "master_name", "revocation.master_name"),
        ("redis = \"redis://a:1\"\nmax_stale_ms = 0\n", "max_stale_ms", "revocation.max_stale_ms"),
        ("redis = \"redis://a:1\"\nprefix = \"\"\n", "prefix", "revocation.prefix"),
        ("redis = \"redis://a:1\"\npassword = \"x\"\n", "password", "password"),
    ];
    for (rev, needle, key) in cases {
        let text = format!("{LISTENER}{ISSUER}{ROUTE}[revocation]\n{rev}");
        let e = err(&text);
        assert_eq!((e.line(), e.key()), (Some(line_of(&text, needle)), key), "{rev}: {e}");
    }
}

#[test]
fn redirect_listener_mistakes_name_their_line_and_key() {
    let cases = [
        ("mode = \"redirect_https\"\nupstream = \"http://127.0.0.1:1\"\n", "upstream", "listener[0].upstream"),
        ("mode = \"redirect_https\"\ntls_cert = \"a.pem\"\ntls_key = \"b.pem\"\n", "tls_cert", "listener[0].tls_cert"),
        ("mode = \"redirect_https\"\nhttps_port = 0\n", "https_port", "listener[0].https_port"),
        (
            "mode = \"redirect_https\"\nredirect_host = \"https://api.example\"\n",
            "redirect_host",
            "listener[0].redirect_host",
        ),
        (
            "mode = \"redirect_https\"\nredirect_host = \"api.example:443\"\n",
            "redirect_host",
            "listener[0].redirect_host",
        ),
        ("mode = \"forward_auth\"\nhttps_port = 8443\n", "https_port", "listener[0].https_port"),
        ("mode = \"forward_auth\"\nredirect_host = \"a\"\n", "redirect_host", "listener[0].redirect_host"),
    ];
    for (listener, needle, key) in cases {
        let text = format!("[[listener]]\naddr = \"127.0.0.1:0\"\n{listener}{ISSUER}{ROUTE}");
        let e = err(&text);
        assert_eq!((e.line(), e.key()), (Some(line_of(&text, needle)), key), "{listener}: {e}");
    }
    let ok = "[[listener]]\naddr = \"127.0.0.1:0\"\nmode = \"redirect_https\"\nredirect_host = \"API.example\"\n";
    let config = Config::from_str_at(&format!("{ok}{ISSUER}{ROUTE}"), at_keys()).unwrap();
    let redirect = config.listeners[0].redirect.as_ref().unwrap();
    assert_eq!((redirect.https_port, redirect.host.as_deref()), (443, Some("api.example")));
}

#[test]
fn a_redis_password_never_shows_in_debug_output() {
    let text = format!(
        "{LISTENER}{ISSUER}{ROUTE}[revocation]\nredis_sentinels = [\"redis://:s3cret@10.0.0.1:26379\", \"redis://u:p4ss@h:1/0\"]\nmaster_name = \"m\"\n"
    );
    let config = Config::from_str_at(&text, at_keys()).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cret") && !shown.contains("p4ss"), "{shown}");
    assert!(
        shown.contains("redis://[redacted]@10.0.0.1:26379") && shown.contains("redis://[redacted]@h:1/0"),
        "{shown}"
    );
    for (url, secret) in
        [("redis://:pw@127.0.0.1:6379", "pw"), ("redis://:pa/ss@h:6379", "pa/ss"), ("redis://:p@ss/w@h:1", "ss/w")]
    {
        let single = format!("{LISTENER}{ISSUER}{ROUTE}[revocation]\nredis = \"{url}\"\n");
        // Refused by the Redis client's parser, or accepted: either way the password is not shown.
        let shown = match Config::from_str_at(&single, at_keys()) {
            Ok(config) => format!("{config:?}"),
            Err(e) => format!("{e} {e:?}"),
        };
        assert!(!shown.contains(secret), "{url}: {shown}");
    }
}
